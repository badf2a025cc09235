//! INTERIM: finds a deck's exercises by scanning its chapter files, until
//! the compiler's `labdeck::exercise::extract(&Deck)` lands on main. Then
//! `load` becomes `exercise::extract(&deck::load(path, &opts)?)` and this
//! file goes. It follows `checks.md` for ids and attachment, and the deck
//! format's slide separators, enough for decks like `slides/`.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use labdeck::exercise::{CheckSource, Command, Exercise};
use serde_json::Value;

/// The exercises of a manifest (`.yml`) or a single chapter (`.md`).
pub fn load(path: &Path) -> anyhow::Result<Vec<Exercise>> {
    let is_md = path.extension().is_some_and(|e| e == "md");
    let (dir, chapters) = if is_md {
        let dir = path.parent().unwrap_or(Path::new("")).to_path_buf();
        let name = path.file_name().map(PathBuf::from).unwrap_or_default();
        (dir, vec![name])
    } else {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("{}: cannot read manifest", path.display()))?;
        let manifest: Value = serde_saphyr::from_str(&text)
            .map_err(|e| anyhow::anyhow!("{}: {}", path.display(), e.without_snippet()))?;
        let mut chapters = Vec::new();
        flatten(&manifest["content"], &mut chapters);
        if chapters.is_empty() {
            bail!("{}: manifest has no chapters in `content:`", path.display());
        }
        let dir = path.parent().unwrap_or(Path::new("")).to_path_buf();
        (dir, chapters)
    };
    let mut out = Vec::new();
    let mut slide_base = 0;
    for ch in chapters {
        let full = dir.join(&ch);
        let text = std::fs::read_to_string(&full)
            .with_context(|| format!("{}: cannot read chapter", full.display()))?;
        slide_base = scan(&ch, &text, slide_base, &mut out)?;
    }
    let mut seen = std::collections::HashSet::new();
    for e in &out {
        if !seen.insert(e.id.clone()) {
            bail!(
                "{}:{}: duplicate exercise id {:?}",
                e.file.display(),
                e.line,
                e.id
            );
        }
    }
    Ok(out)
}

fn flatten(v: &Value, out: &mut Vec<PathBuf>) {
    match v {
        Value::String(s) if s.trim_end().ends_with(".md") && !s.contains('\n') => {
            out.push(PathBuf::from(s.trim()))
        }
        Value::Array(items) => items.iter().for_each(|i| flatten(i, out)),
        _ => {}
    }
}

/// Scans one chapter; returns the slide count so far.
fn scan(
    file: &Path,
    text: &str,
    mut slide: usize,
    out: &mut Vec<Exercise>,
) -> anyhow::Result<usize> {
    let stem = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    let mut n_in_file = 0;
    let mut title = String::new();
    let mut slide_name = None;
    let mut current: Option<usize> = None; // index in `out` of this slide's last exercise
    let mut in_exercise = false;
    slide += 1;
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let t = line.trim();
        if t == "---" || t == "--" {
            slide += 1;
            if t == "---" {
                title.clear();
                slide_name = None;
            }
            current = None;
            in_exercise = false;
        } else if let Some(n) = t.strip_prefix("name:") {
            slide_name = Some(n.trim().to_string());
        } else if t.starts_with('#') && title.is_empty() {
            title = t.trim_start_matches('#').trim().to_string();
        } else if t.starts_with(".exercise[") || t.starts_with(".lab[") {
            n_in_file += 1;
            out.push(Exercise {
                id: format!("{stem}-{n_in_file}"),
                file: file.to_path_buf(),
                line: i + 1,
                slide,
                slide_name: slide_name.clone(),
                title: title.clone(),
                commands: vec![],
                steps: vec![],
                check: None,
            });
            current = Some(out.len() - 1);
            in_exercise = true;
        } else if t.starts_with("```") && in_exercise {
            let lang = t
                .trim_start_matches('`')
                .split_whitespace()
                .next()
                .map(str::to_string);
            let start = i + 1;
            let mut body = Vec::new();
            i += 1;
            while i < lines.len() && !lines[i].trim().starts_with("```") {
                body.push(lines[i]);
                i += 1;
            }
            if let Some(c) = current {
                out[c].commands.push(Command {
                    lang,
                    text: dedent(&body),
                    line: start,
                });
            }
        } else if t == "]" {
            in_exercise = false;
        } else if let Some(rest) = t.strip_prefix("<!-- check") {
            let first = i + 2;
            let mut yaml = Vec::new();
            if rest.trim().ends_with("-->") {
                bail!("{}:{}: empty check", file.display(), i + 1);
            }
            i += 1;
            while i < lines.len() && !lines[i].trim().starts_with("-->") {
                yaml.push(lines[i]);
                i += 1;
            }
            let Some(c) = current else {
                bail!(
                    "{}:{}: check with no exercise before it on its slide",
                    file.display(),
                    first - 1
                );
            };
            let yaml = yaml.join("\n") + "\n";
            if let Some(id) = yaml
                .lines()
                .find_map(|l| l.strip_prefix("id:"))
                .map(|s| s.trim().trim_matches('"').to_string())
            {
                out[c].id = id;
            }
            out[c].check = Some(CheckSource {
                yaml,
                file: file.to_path_buf(),
                line: first,
            });
        }
        i += 1;
    }
    Ok(slide)
}

fn dedent(lines: &[&str]) -> String {
    let indent = lines
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    let mut s: String = lines
        .iter()
        .map(|l| l.get(indent..).unwrap_or("").to_string())
        .collect::<Vec<_>>()
        .join("\n");
    s.push('\n');
    s
}
