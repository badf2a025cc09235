//! Parses labdeck's own Sublime grammars (`src/render/*.sublime-syntax`)
//! with syntect's YAML loader, links them into one `SyntaxSet` (a
//! Dockerfile embeds the shell grammar by its scope) and writes it as
//! syntect's uncompressed binary dump, `src/render/syntaxes.bin`, which
//! labdeck loads without a YAML parser, without inflating it, and without
//! linking it again (each grammar's contexts are read when a block first
//! needs them);
//! beside it `src/render/syntaxes.fnv` records the FNV-1a hash of each
//! grammar's text, so labdeck's tests notice a grammar edited without a new
//! dump. Run it after editing a grammar:
//!
//!     cargo run --manifest-path tools/syntax-dump/Cargo.toml

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use syntect::parsing::{SyntaxDefinition, SyntaxSetBuilder};

// The one FNV-1a, shared with labdeck's test of the recorded hashes.
#[path = "../../../src/render/fnv.rs"]
mod fnv;

/// The grammars, in the order labdeck reads them from the dump.
const GRAMMARS: [&str; 9] = [
    "shell",
    "yaml",
    "dockerfile",
    "json",
    "go",
    "python",
    "css",
    "javascript",
    "ruby",
];

fn main() -> ExitCode {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../src/render");
    // Named as `src/render`, not `tools/syntax-dump/../../src/render`.
    let dir = dir.canonicalize().unwrap_or(dir);
    match dump(&dir) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn dump(dir: &Path) -> Result<(), String> {
    let mut builder = SyntaxSetBuilder::new();
    let mut hashes = String::new();
    for name in GRAMMARS {
        let path = dir.join(format!("{name}.sublime-syntax"));
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        // As labdeck used them: lines include their newline, no fallback name.
        let def = SyntaxDefinition::load_from_str(&text, true, None)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        hashes.push_str(&format!(
            "{:016x}  {name}.sublime-syntax\n",
            fnv::fnv1a64(text.as_bytes())
        ));
        builder.add(def);
    }
    let bin: PathBuf = dir.join("syntaxes.bin");
    syntect::dumps::dump_to_uncompressed_file(&builder.build(), &bin)
        .map_err(|e| format!("{}: {e}", bin.display()))?;
    let fnv = dir.join("syntaxes.fnv");
    std::fs::write(&fnv, hashes).map_err(|e| format!("{}: {e}", fnv.display()))?;
    let size = std::fs::metadata(&bin).map(|m| m.len()).unwrap_or(0);
    println!(
        "wrote {} ({size} bytes) and {}",
        bin.display(),
        fnv.display()
    );
    Ok(())
}
