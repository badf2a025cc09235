//! A stand-in deck builder so `serve` and `pdf` work before the compiler
//! lands: manifest `content:` chapters, slides split on `---`/`--`, leading
//! `name:`/`class:` properties, `???` notes, CommonMark via pulldown-cmark,
//! rendered through the real templates. It does NOT implement remark's
//! dialect (layouts, `.class[...]`, macros): at merge, the CLI points at the
//! compiler's build function instead and this module goes.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::Built;
use crate::error::{Error, Location};

pub fn build_deck(
    manifest: &Path,
    templates: Option<&Path>,
    css: &[PathBuf],
) -> Result<Built, Error> {
    let dir = manifest.parent().unwrap_or(Path::new("."));
    let text = std::fs::read_to_string(manifest).map_err(|e| Error::io(manifest, e))?;
    let mut inputs = vec![manifest.to_path_buf()];
    let (title, chapters, mut styles_files) = if manifest.extension().is_some_and(|e| e == "md") {
        (
            file_stem(manifest),
            vec![manifest.to_path_buf()],
            Vec::new(),
        )
    } else {
        let doc: Value = serde_saphyr::from_str(&text)
            .map_err(|e| Error::at(Location::new(manifest, 1), format!("invalid manifest: {e}")))?;
        let title = doc["title"]
            .as_str()
            .map(|t| t.trim().replace('\n', " "))
            .unwrap_or_else(|| file_stem(manifest));
        let mut chapters = Vec::new();
        flatten(&doc["content"], &mut |p| chapters.push(dir.join(p)));
        let mut styles = Vec::new();
        flatten(&doc["css"], &mut |p| styles.push(dir.join(p)));
        (title, chapters, styles)
    };
    styles_files.extend(css.iter().cloned());
    let mut slides = Vec::new();
    for chapter in &chapters {
        let text = std::fs::read_to_string(chapter).map_err(|e| Error::io(chapter, e))?;
        inputs.push(chapter.clone());
        chapter_slides(&text, &mut slides);
    }
    let mut styles = Vec::new();
    for f in &styles_files {
        styles.push(std::fs::read_to_string(f).map_err(|e| Error::io(f, e))?);
        inputs.push(f.clone());
    }
    if let Some(t) = templates {
        inputs.extend(
            crate::templates::override_files(t)?
                .into_iter()
                .map(|(_, p)| p),
        );
    }
    let total = slides.len();
    let ctx = json!({
        "title": title, "number_prefix": "", "total": total, "styles": styles,
        "build": { "commit": null, "dirty": [] }, "slides": slides,
    });
    let tera = crate::templates::load(templates)?;
    let ctx = tera::Context::from_value(ctx).map_err(|e| Error::Other(e.to_string()))?;
    let html = tera
        .render(crate::templates::PAGE, &ctx)
        .map_err(|e| crate::templates::template_error(templates, &e))?;
    Ok(Built { html, inputs })
}

fn file_stem(p: &Path) -> String {
    p.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn flatten(v: &Value, f: &mut dyn FnMut(&str)) {
    match v {
        Value::String(s) => f(s),
        Value::Array(items) => items.iter().for_each(|i| flatten(i, f)),
        _ => {}
    }
}

fn chapter_slides(text: &str, out: &mut Vec<Value>) {
    let mut slide = Vec::new();
    for line in text.lines().chain(["---"]) {
        if line.trim_end() == "---" {
            push_slide(&slide, out);
            slide.clear();
        } else {
            slide.push(line);
        }
    }
}

fn push_slide(lines: &[&str], out: &mut Vec<Value>) {
    let (body, notes) = match lines.iter().position(|l| l.trim_end() == "???") {
        Some(at) => (&lines[..at], &lines[at + 1..]),
        None => (lines, &[][..]),
    };
    let props = body
        .iter()
        .take_while(|l| {
            l.split_once(':').is_some_and(|(k, _)| {
                !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            })
        })
        .count();
    let prop = |key: &str| {
        body[..props]
            .iter()
            .filter_map(|l| l.split_once(':'))
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.trim().to_string())
    };
    if prop("exclude").is_some_and(|v| v == "true") || prop("layout").is_some_and(|v| v == "true") {
        return;
    }
    let content = &body[props..];
    let steps: Vec<usize> = content
        .iter()
        .enumerate()
        .filter(|(_, l)| l.trim_end() == "--")
        .map(|(i, _)| i)
        .chain([content.len()])
        .collect();
    let notes_html = markdown(&notes.join("\n"));
    for (k, end) in steps.iter().enumerate() {
        let shown: Vec<&str> = content[..*end]
            .iter()
            .copied()
            .filter(|l| l.trim_end() != "--")
            .collect();
        let index = out.len();
        out.push(json!({
            "index": index,
            "number": index + 1,
            "name": if k == 0 { prop("name") } else { None },
            "classes": prop("class").unwrap_or_default().replace(',', " "),
            "html": markdown(&shown.join("\n")),
            "notes": notes_html,
            "background_image": prop("background-image"),
            "last_step": k + 1 == steps.len(),
        }));
    }
}

fn markdown(text: &str) -> String {
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, pulldown_cmark::Parser::new(text));
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_chapters_steps_and_notes() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("a.md"),
            "name: intro\nclass: title\n# Hello\n--\nmore\n???\nsay hi\n---\n# Two\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("deck.yml"),
            "title: |\n  My\n  Deck\ncontent:\n- - a.md\n",
        )
        .unwrap();
        let built = build_deck(&dir.path().join("deck.yml"), None, &[]).unwrap();
        assert_eq!(built.inputs.len(), 2);
        assert!(built.html.contains("<title>My Deck</title>"));
        assert_eq!(
            built
                .html
                .matches("<div class=\"remark-slide-container")
                .count(),
            3
        );
        assert!(built.html.contains("id=\"slide-intro\""));
        assert!(built.html.contains("<p>say hi</p>"));
        assert!(built.html.contains("remark-slide-container labdeck-step"));
    }

    #[test]
    fn missing_chapter_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("deck.yml"), "content:\n- nope.md\n").unwrap();
        let err = build_deck(&dir.path().join("deck.yml"), None, &[]).unwrap_err();
        assert!(err.to_string().contains("nope.md"), "{err}");
    }
}
