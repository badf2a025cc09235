//! The HTML page: Tera templates (built in, overridable from a folder) fed
//! with the rendered slides.

use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;

use super::RenderCache;
use super::highlight::{CodeOptions, escape_into};
use crate::deck::Deck;
use crate::error::{Error, Result};
use crate::remark::options::RemarkOptions;

/// Built-in templates: (name, text). A `--templates DIR` file of the same
/// name replaces one.
pub const BUILTIN_TEMPLATES: &[(&str, &str)] = &[
    ("deck.html", include_str!("../../templates/deck.html")),
    ("theme.css", include_str!("../../templates/theme.css")),
    ("print.css", include_str!("../../templates/print.css")),
    ("runtime.js", include_str!("../../templates/runtime.js")),
];

/// Loaded templates.
pub struct Templates {
    tera: tera::Tera,
}

impl Templates {
    /// The built-in templates, with any file of `dir` of the same name (or
    /// any other `.html`/`.css`/`.js` file there) taking precedence.
    pub fn load(dir: Option<&Path>) -> Result<Templates> {
        let mut tera = tera::Tera::default();
        tera.autoescape_on(vec![]);
        let mut files: Vec<(String, String)> = BUILTIN_TEMPLATES
            .iter()
            .map(|(n, t)| (n.to_string(), t.to_string()))
            .collect();
        if let Some(dir) = dir {
            let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
            for entry in entries {
                let entry = entry.map_err(|e| Error::io(dir, e))?;
                let path = entry.path();
                let Some(name) = path.file_name().map(|n| n.to_string_lossy().into_owned()) else {
                    continue;
                };
                if !path.is_file() {
                    continue;
                }
                let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
                files.retain(|(n, _)| *n != name);
                files.push((name, text));
            }
        }
        tera.add_raw_templates(files.iter().map(|(n, t)| (n.as_str(), t.as_str())))
            .map_err(|e| Error::Other(format!("templates: {}", tera_message(&e))))?;
        Ok(Templates { tera })
    }
}

fn tera_message(e: &tera::Error) -> String {
    let mut msg = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        src = s.source();
    }
    msg
}

/// The commit and dirty files of the work tree a deck was built from.
#[derive(Debug, Clone, Default, Serialize)]
pub struct BuildInfo {
    pub commit: Option<String>,
    pub dirty: Vec<String>,
}

impl BuildInfo {
    /// Reads it with git, from the folder of the manifest; none outside a
    /// git work tree.
    pub fn from_git(dir: &Path) -> BuildInfo {
        let git = |args: &[&str]| {
            std::process::Command::new("git")
                .arg("-C")
                .arg(if dir.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    dir
                })
                .args(args)
                .stderr(std::process::Stdio::null())
                .output()
                .ok()
                .filter(|o| o.status.success())
                .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        };
        let Some(commit) = git(&["rev-parse", "HEAD"]) else {
            return BuildInfo::default();
        };
        let dirty = git(&["status", "--porcelain", "--", "."])
            .map(|s| {
                s.lines()
                    .filter_map(|l| l.get(3..))
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        BuildInfo {
            commit: Some(commit.trim().to_owned()),
            dirty,
        }
    }
}

/// Options for one page.
#[derive(Debug, Clone, Default)]
pub struct PageOptions {
    /// Extra stylesheets' text, after the theme.
    pub styles: Vec<String>,
    pub build: BuildInfo,
}

#[derive(Serialize)]
struct SlideContext<'a> {
    index: usize,
    number: usize,
    /// The slide number as `slideNumberFormat` writes it (HTML, as remark
    /// sets it with innerHTML).
    number_text: String,
    /// The `<style>` elements of its content (for the page head).
    #[serde(skip)]
    styles: Vec<String>,
    name: Option<&'a str>,
    classes: String,
    html: String,
    notes: String,
    background_image: Option<&'a str>,
    last_step: bool,
}

#[derive(Serialize)]
struct PageContext<'a> {
    title: String,
    number_prefix: &'a str,
    total: usize,
    styles: &'a [String],
    build: &'a BuildInfo,
    slides: Vec<SlideContext<'a>>,
    remark: RemarkPage,
}

/// A rendered page and the local files it refers to.
pub struct Page {
    pub html: String,
    /// Image paths as written in the deck (relative ones are local files).
    pub images: Vec<String>,
    /// Files the page refers to from outside the deck's folder (stylesheet
    /// fonts and images): (file, path relative to the output folder).
    pub extra_files: Vec<(PathBuf, String)>,
}

/// Renders the whole deck page.
pub fn render_page(
    deck: &Deck,
    templates: &Templates,
    cache: &RenderCache,
    opts: &PageOptions,
) -> Result<Page> {
    let total = deck.slides.last().map_or(0, |s| s.number);
    let options = &deck.manifest.remark;
    let code = CodeOptions {
        language: options.highlight_language.clone(),
        lines: options.highlight_lines,
        spans: options.highlight_spans,
    };
    // Slides render independently: spread them over the cores.
    let rendered: Vec<(SlideContext, Vec<String>)> = deck
        .slides
        .par_iter()
        .map(|slide| {
            let content = cache.render(&slide.content, &deck.links, &code);
            let notes = cache.render(&slide.notes, &deck.links, &code);
            let mut images = content.images.clone();
            images.extend(notes.images.iter().cloned());
            let mut html = content.html.clone();
            let first = slide.index == 0;
            html.push_str(&debug_footer(deck, slide, first.then_some(&opts.build)));
            let background_image = slide.property("background-image");
            if let Some(url) = background_image.and_then(css_url) {
                images.push(url.to_owned());
            }
            let context = SlideContext {
                index: slide.index,
                number: slide.number,
                number_text: options.slide_number(slide.number, total),
                styles: content.styles.clone(),
                name: slide.name.as_deref(),
                classes: slide_classes(slide, options),
                html,
                notes: notes.html.clone(),
                background_image,
                last_step: slide.last_step,
            };
            (context, images)
        })
        .collect();
    let remark = RemarkPage::new(options, &rendered);
    let mut images = Vec::new();
    let mut slides = Vec::with_capacity(rendered.len());
    for (context, slide_images) in rendered {
        slides.push(context);
        images.extend(slide_images);
    }
    let page = PageContext {
        title: deck.manifest.title.trim().replace('\n', " "),
        number_prefix: &deck.manifest.slidenumberprefix,
        total,
        styles: &opts.styles,
        build: &opts.build,
        slides,
        remark,
    };
    let context = tera::Context::from_serialize(&page)
        .map_err(|e| Error::Other(format!("templates: {}", tera_message(&e))))?;
    let html = templates
        .tera
        .render("deck.html", &context)
        .map_err(|e| Error::Other(format!("templates: deck.html: {}", tera_message(&e))))?;
    Ok(Page {
        html,
        images,
        extra_files: Vec::new(),
    })
}

/// What remark's options and the deck's own styles put in the page.
#[derive(Serialize)]
struct RemarkPage {
    /// Slide size in CSS pixels (from `ratio`).
    width: u32,
    height: u32,
    /// Options the runtime reads (a JSON object, safe inside `<script>`).
    runtime_json: String,
    /// `<style>` elements written in slides: remark has every slide in the
    /// document, so they apply to the whole deck.
    slide_styles: Vec<String>,
}

impl RemarkPage {
    fn new(options: &RemarkOptions, rendered: &[(SlideContext, Vec<String>)]) -> RemarkPage {
        let (width, height) = options.dimensions();
        let runtime = serde_json::json!({
            "width": width,
            "height": height,
            "navigation": options.navigation,
        });
        let mut slide_styles: Vec<String> = Vec::new();
        for (slide, _) in rendered {
            for style in &slide.styles {
                if !slide_styles.iter().any(|s| s == style) {
                    slide_styles.push(style.clone());
                }
            }
        }
        RemarkPage {
            width,
            height,
            runtime_json: runtime.to_string().replace("</", "<\\/"),
            slide_styles,
        }
    }
}

/// The slide's classes, then remark's `hljs-<style>` (the slide's
/// `highlight-style` property, else the deck's `highlightStyle`; remark 0.14
/// slideView.js `setHighlightStyleFromProperties`).
fn slide_classes(slide: &crate::deck::Slide, options: &RemarkOptions) -> String {
    let mut classes = slide.classes.join(" ");
    let style = slide
        .property("highlight-style")
        .unwrap_or(&options.highlight_style);
    if !style.is_empty() {
        if !classes.is_empty() {
            classes.push(' ');
        }
        classes.push_str("hljs-");
        classes.push_str(style);
    }
    classes
}

/// The `.debug` footer naming the slide's source file (a link into the
/// repository when its URL is known); the deck's first one also carries the
/// build's commit and dirty files.
fn debug_footer(deck: &Deck, slide: &crate::deck::Slide, build: Option<&BuildInfo>) -> String {
    let mut out = String::from("<div class=\"debug\">");
    if let Some(b) = build
        && let Some(commit) = &b.commit
    {
        if !b.dirty.is_empty() {
            out.push_str("<pre><code>");
            escape_into(&mut out, &b.dirty.join("\n"));
            out.push_str("</code></pre>");
        }
        out.push_str("<p>These slides have been built from commit: ");
        escape_into(&mut out, commit);
        out.push_str("</p>");
    }
    match &slide.location {
        Some(loc) => {
            let file = loc.file.strip_prefix(&deck.root).unwrap_or(&loc.file);
            let file = file.to_string_lossy();
            let repo = deck.manifest.gitrepo.trim_end_matches('/');
            if repo.is_empty() {
                escape_into(&mut out, &format!("{file}:{}", loc.line));
            } else {
                let scheme = if repo.contains("://") { "" } else { "https://" };
                out.push_str("<a href=\"");
                escape_into(
                    &mut out,
                    &format!("{scheme}{repo}/tree/main/{file}#L{}", loc.line),
                );
                out.push_str("\">");
                escape_into(&mut out, &format!("{file}:{}", loc.line));
                out.push_str("</a>");
            }
        }
        None => out.push_str("(automatically generated)"),
    }
    out.push_str("</div>");
    out
}

/// The URL inside `url(...)`.
fn css_url(value: &str) -> Option<&str> {
    let v = value.trim();
    let inner = v.strip_prefix("url(")?.strip_suffix(')')?;
    Some(inner.trim().trim_matches(['"', '\'']))
}

/// A path that names a local file (not a URL, an anchor or data).
pub fn is_local(reference: &str) -> bool {
    !(reference.is_empty()
        || reference.starts_with('#')
        || reference.starts_with('/')
        || reference.starts_with("data:")
        || reference.starts_with("//")
        || reference.contains("://"))
}

/// Where a local reference lives relative to a folder (query and fragment dropped).
pub fn local_path(base: &Path, reference: &str) -> PathBuf {
    let clean = reference.split(['?', '#']).next().unwrap_or(reference);
    base.join(clean)
}
