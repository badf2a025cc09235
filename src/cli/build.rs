//! `labdeck build MANIFEST... [--out DIR]`

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use labdeck::build::{BuildOptions, Builder};
use labdeck::deck::LoadOptions;

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// Deck manifests (YAML), single chapter files (Markdown) or remark pages (HTML).
    #[arg(required = true)]
    manifests: Vec<PathBuf>,
    /// Output folder: each deck becomes DIR/<manifest stem>.html.
    #[arg(long, short, default_value = "out")]
    out: PathBuf,
    #[command(flatten)]
    deck: DeckArgs,
}

/// How to build a page (shared by `build`, `serve` and `pdf`).
#[derive(Debug, Args, Clone)]
pub struct DeckArgs {
    /// Repository root for @@INCLUDE/@@LINK (default: the parent of the
    /// manifest's folder).
    #[arg(long)]
    root: Option<PathBuf>,
    /// Folder of templates replacing the built-in ones (deck.html,
    /// remark.css, theme.css, remark-look.css, print.css, runtime.js).
    #[arg(long)]
    pub templates: Option<PathBuf>,
    /// Extra stylesheet to inline after the theme (repeatable).
    #[arg(long)]
    css: Vec<PathBuf>,
    /// A remark option, as `remark.create()` names it, over the deck's own
    /// (repeatable): `--remark ratio=4:3 --remark highlightLines=true`.
    #[arg(long, value_name = "KEY=VALUE")]
    remark: Vec<String>,
}

impl DeckArgs {
    pub fn options(&self) -> BuildOptions {
        BuildOptions {
            out_dir: PathBuf::new(),
            load: LoadOptions {
                root: self.root.clone(),
                remark: self.remark.clone(),
                files: None,
                parses: None,
            },
            templates: self.templates.clone(),
            css: self.css.clone(),
            pack_slides_from: None,
        }
    }
}

pub fn run(args: BuildArgs) -> anyhow::Result<ExitCode> {
    // Built pages are read from disk: a big deck's slides travel packed.
    let builder = Builder::new(BuildOptions {
        out_dir: args.out,
        pack_slides_from: Some(labdeck::render::page::PACK_SLIDES_FROM),
        ..args.deck.options()
    })?;
    let mut failed = false;
    let results = builder.build_all(&args.manifests);
    for result in results {
        match result {
            Ok(built) => {
                for w in &built.warnings {
                    labdeck::stderr!("warning: {}: {}", w.location, w.message);
                }
                labdeck::verbose!(
                    "{}: {} image(s) copied beside it",
                    built.output.display(),
                    built.images_copied
                );
                if labdeck::console::verbosity() != labdeck::console::Verbosity::Quiet {
                    super::out::println(format_args!(
                        "{}: {} slides -> {}",
                        built.manifest.display(),
                        built.slides,
                        built.output.display()
                    ))?;
                }
            }
            Err(e) => {
                failed = true;
                labdeck::stderr!("error: {e}");
            }
        }
    }
    // The builder holds every file read and every slide parsed and
    // rendered. Freeing it all takes about 5 ms on one core while the
    // other idles (5% of building the 2021 corpus), for memory the process
    // hands back as it exits anyway; clang's driver skips it the same way
    // (`-disable-free`).
    std::mem::forget(builder);
    // A deck that does not build is malformed input, as for every command.
    Ok(if failed {
        ExitCode::from(labdeck::exit::BAD_INPUT)
    } else {
        ExitCode::SUCCESS
    })
}
