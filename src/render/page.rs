//! The HTML page: Tera templates (built in, overridable from a folder) fed
//! with the rendered slides.
//!
//! A deck can hold thousands of slides, and a browser parsing them all as
//! HTML takes longer than anything else on the way to the first slide. So the
//! page ships every slide as text inside one `<script
//! type="text/x-labdeck-slides">` (the browser only scans it for its end
//! tag), and the runtime turns a slide into DOM when it is about to be shown
//! (see templates/runtime.js). [`SLIDES_SCRIPT`] describes the format; this
//! module writes it ([`push_slide_record`]) and reads it back (`serve` sends
//! open pages only the slides an edit changed).
//!
//! `labdeck build` ships a big deck's slides script packed
//! ([`PACKED_SLIDES_SCRIPT`]: raw DEFLATE, base64): Chromium decodes and
//! preload-scans the first chunk of a page it reads (up to 1 MiB, in its
//! traces) before it parses anything, and tokenises all of a script's text
//! before it paints what follows; a 2.2 MB page packs to about a quarter of
//! its size. [`slides_text`] is the one reader of either form.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;

use super::RenderCache;
use super::highlight::escape_into;
pub use super::script_text::{push_script_text, script_text, script_text_decode};
use crate::deck::Deck;
use crate::error::{Error, Result};
use crate::manifest::Look;
use crate::remark::options::{CodeOptions, RemarkOptions};

/// Built-in templates: (name, text). A `--templates DIR` file of the same
/// name replaces one.
pub const BUILTIN_TEMPLATES: &[(&str, &str)] = &[
    ("deck.html", include_str!("../../templates/deck.html")),
    ("remark.css", include_str!("../../templates/remark.css")),
    ("theme.css", include_str!("../../templates/theme.css")),
    (
        "remark-look.css",
        include_str!("../../templates/remark-look.css"),
    ),
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
        // The built-in stylesheets and script hold no template syntax: they
        // go into the page as context values, not parsed by Tera (parsing
        // their 40 KB cost more than rendering a deck's page). A file of
        // the same name in `dir` is a template again.
        let mut files: Vec<(String, String)> = BUILTIN_TEMPLATES
            .iter()
            .map(|&(n, t)| {
                let text = if n == "deck.html" {
                    t.to_string()
                } else {
                    format!("{{{{ builtin_assets[\"{n}\"] }}}}")
                };
                (n.to_string(), text)
            })
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
            .map_err(|e| Error::Template(tera_message(&e)))?;
        Ok(Templates { tera })
    }
}

/// How the page carries its slides: the text of the one element opening with
/// this tag, up to the next `</script>`. Per slide, four fields, each
/// followed by [`FIELD_END`]: `step` when the next slide continues this one
/// (else nothing), the slide's name, the inner HTML of its
/// `.remark-slide-container`, its speaker notes (HTML). Fields are
/// [`script_text`]-escaped so that none can end the script early.
pub const SLIDES_SCRIPT: &str = "<script type=\"text/x-labdeck-slides\">";

/// Stands for the slides' text while Tera renders the page (no deck text
/// holds a NUL: chapters' NULs are read as U+FFFD, see `files.rs`).
const SLIDES_MARKER: &str = "\0labdeck-slides-text\0";

/// What ends each field: `<\-`, which [`script_text`] never produces.
pub const FIELD_END: &str = "<\\-";

/// Fields per slide in [`SLIDES_SCRIPT`].
pub const FIELDS: usize = 4;

/// The slides of a page, as written in its slides script ([`slides_text`]):
/// four escaped fields each (see [`SLIDES_SCRIPT`]). None when the page has
/// no such element (a `--templates` deck.html of another shape) or it is
/// cut short.
pub fn slide_fields(html: &str) -> Option<Vec<[String; FIELDS]>> {
    let text = slides_text(html)?;
    Some(
        fields_of(&text)?
            .into_iter()
            .map(|f| f.map(str::to_owned))
            .collect(),
    )
}

/// The records of a [`SLIDES_SCRIPT`] text, its fields borrowed.
fn fields_of(text: &str) -> Option<Vec<[&str; FIELDS]>> {
    let mut fields = text.split(FIELD_END);
    let mut slides = Vec::new();
    loop {
        let step = fields.next()?;
        if step.is_empty() && fields.clone().next().is_none() {
            return Some(slides); // after the last FIELD_END
        }
        let name = fields.next()?;
        let inner = fields.next()?;
        let notes = fields.next()?;
        slides.push([step, name, inner, notes]);
    }
}

/// The slides script packed: the raw DEFLATE stream (RFC 1951) of a
/// [`SLIDES_SCRIPT`] text, in parts, each part's bytes as base64 (RFC 4648,
/// with padding): the first part is this element's text, each next part
/// the text of a [`PACKED_PART_SCRIPT`] element right after it (parts are
/// joined by [`PACKED_PART_SEPARATOR`]). The parts are deflated apart, as
/// pigz does (each but the last ends with a sync flush, so that their bytes
/// joined are one stream), on as many threads; and a browser reads several
/// elements of about 64 kB sooner than one of their total size (README,
/// "Speed"). runtime.js joins the parts' bytes and unpacks them with the
/// browser's `DecompressionStream` (`deflate-raw`), so the runtime then
/// starts once that resolves, after the page has been parsed;
/// [`slides_text`] unpacks them here.
pub const PACKED_SLIDES_SCRIPT: &str =
    "<script type=\"text/x-labdeck-slides\" data-packed=\"deflate-raw\">";

/// The element of each packed part after the first ([`PACKED_SLIDES_SCRIPT`]).
pub const PACKED_PART_SCRIPT: &str = "<script type=\"text/x-labdeck-slides-part\">";

/// What stands between two packed parts' base64.
const PACKED_PART_SEPARATOR: &str = "</script><script type=\"text/x-labdeck-slides-part\">";

/// Bytes of slides' text per packed part: about 60 kB deflated, 80 kB of
/// base64 (kube-selfpaced's 2.2 MB: 9 parts).
const PACK_PART: usize = 256 << 10;

/// Slides' text from which `labdeck build` packs them ([`PageOptions::pack_slides_from`]):
/// a page below it is read and parsed in a few milliseconds anyway, and
/// packing costs build time (about 20 M instructions per MB of slides'
/// text: 87 M of the corpus build's 0.81 G for its three decks above it,
/// 4.5 MB; README, "Speed").
pub const PACK_SLIDES_FROM: usize = 1 << 20;

/// Byte range of the text of the page's slides script, plain
/// ([`SLIDES_SCRIPT`]) or packed ([`PACKED_SLIDES_SCRIPT`]), and whether it
/// is packed.
pub fn slides_script_span(html: &str) -> Option<(usize, usize)> {
    slides_script(html).map(|(start, end, _)| (start, end))
}

fn slides_script(html: &str) -> Option<(usize, usize, bool)> {
    // The first of the two (a page has one; the earlier wins over the same
    // words further on, in a comment of a script or a slide's code).
    let plain = script_span(html, SLIDES_SCRIPT).map(|(s, e)| (s, e, false));
    let packed = script_span(html, PACKED_SLIDES_SCRIPT).map(|(start, mut end)| {
        // and the parts that follow it
        while let Some(rest) = html[end..].strip_prefix(PACKED_PART_SEPARATOR) {
            let Some(close) = memchr::memmem::find(rest.as_bytes(), b"</script>") else {
                break;
            };
            end += PACKED_PART_SEPARATOR.len() + close;
        }
        (start, end, true)
    });
    match (plain, packed) {
        (Some(p), Some(k)) => Some(if k.0 < p.0 { k } else { p }),
        (p, k) => p.or(k),
    }
}

/// The text of the page's slides script as [`SLIDES_SCRIPT`] describes it
/// (unpacked if the page carries it packed): the one way to read a page's
/// slides. None when the page has no slides script or its packed text does
/// not unpack.
pub fn slides_text(html: &str) -> Option<std::borrow::Cow<'_, str>> {
    let (start, end, packed) = slides_script(html)?;
    let text = &html[start..end];
    if !packed {
        return Some(std::borrow::Cow::Borrowed(text));
    }
    unpack(text, UNPACKED_MAX).map(std::borrow::Cow::Owned)
}

/// The most slides' text a packed page may unpack to: a page from elsewhere
/// may pack a bomb (DEFLATE packs a run of one byte about 1,000 times); the
/// corpus's biggest deck has 2.2 MB.
const UNPACKED_MAX: usize = 256 << 20;

/// The text a [`PACKED_SLIDES_SCRIPT`] carries (its parts, joined by
/// [`PACKED_PART_SEPARATOR`]), if it unpacks to at most `limit` bytes of
/// UTF-8.
fn unpack(packed: &str, limit: usize) -> Option<String> {
    use base64::Engine as _;
    use std::io::Read as _;
    let mut bytes = Vec::with_capacity(packed.len() / 4 * 3);
    for part in packed.split(PACKED_PART_SEPARATOR) {
        base64::engine::general_purpose::STANDARD
            .decode_vec(part, &mut bytes)
            .ok()?;
    }
    let mut out = String::new();
    flate2::read::DeflateDecoder::new(bytes.as_slice())
        .take(u64::try_from(limit).ok()?.saturating_add(1))
        .read_to_string(&mut out)
        .ok()?;
    (out.len() <= limit).then_some(out)
}

/// `html` with its plain slides script packed ([`PACKED_SLIDES_SCRIPT`]);
/// None when it has no plain slides script. The one writer of the packed
/// form (`render_page` with [`PageOptions::pack_slides_from`], and tests).
pub fn pack_slides(html: &str) -> Option<String> {
    let (start, end) = script_span(html, SLIDES_SCRIPT)?;
    pack_span(html, start, end, PACK_PART)
}

/// [`pack_slides`] of the plain slides script whose text is
/// `html[start..end]`, in parts of `part` bytes of it.
fn pack_span(html: &str, start: usize, end: usize, part: usize) -> Option<String> {
    let text = html.get(start..end)?;
    if !html[..start].ends_with(SLIDES_SCRIPT) || part == 0 {
        return None;
    }
    let parts: Vec<Vec<&[u8]>> = text.as_bytes().chunks(part).map(|c| vec![c]).collect();
    let tag_at = start - SLIDES_SCRIPT.len();
    let mut out = String::with_capacity(html.len() - text.len() + text.len() / 3);
    out.push_str(&html[..tag_at]);
    push_packed(&mut out, &parts)?;
    out.push_str(&html[end..]);
    Some(out)
}

/// Writes [`PACKED_SLIDES_SCRIPT`] and the packed text, whose parts are
/// `parts` (each given as pieces, read in turn: a page's slide records),
/// deflated in parallel; the caller closes the element.
fn push_packed(out: &mut String, parts: &[Vec<&[u8]>]) -> Option<()> {
    use base64::Engine as _;
    let empty: [Vec<&[u8]>; 1] = [Vec::new()];
    // An empty script: one final block, empty.
    let parts = if parts.is_empty() { &empty[..] } else { parts };
    let last = parts.len().saturating_sub(1);
    let packed: Vec<Vec<u8>> = parts
        .par_iter()
        .enumerate()
        .map(|(i, pieces)| deflate_part(pieces, i == last))
        .collect::<Option<_>>()?;
    out.reserve(
        packed
            .iter()
            .map(|p| p.len() / 3 * 4 + 4 + PACKED_PART_SEPARATOR.len())
            .sum(),
    );
    out.push_str(PACKED_SLIDES_SCRIPT);
    for (i, bytes) in packed.iter().enumerate() {
        if i > 0 {
            out.push_str(PACKED_PART_SEPARATOR);
        }
        base64::engine::general_purpose::STANDARD.encode_string(bytes, out);
    }
    Some(())
}

/// Groups `records` (a page's slide records, in order) into the parts of a
/// packed slides script: each part holds records up to [`PACK_PART`]
/// bytes, or one record when it is longer.
fn record_parts(records: &[String]) -> Vec<Vec<&[u8]>> {
    let mut parts: Vec<Vec<&[u8]>> = Vec::new();
    let mut size = 0;
    for record in records {
        match parts.last_mut() {
            Some(part) if size + record.len() <= PACK_PART => part.push(record.as_bytes()),
            _ => {
                parts.push(vec![record.as_bytes()]);
                size = 0;
            }
        }
        size += record.len();
    }
    parts
}

/// One part of a packed slides script: raw DEFLATE of its pieces, read in
/// turn, ended by a sync flush (an empty stored block: the stream goes on
/// in the next part) or, for the last part, by the final block.
fn deflate_part(pieces: &[&[u8]], last: bool) -> Option<Vec<u8>> {
    use flate2::{Compress, Compression};
    // Level 1, zlib-rs's `deflate_quick`: kube-selfpaced's 2.2 MB packs to
    // 534 kB in about 17 M instructions per MB; level 2, `deflate_fast`,
    // 420 kB at 30 M (miniz_oxide's level 2, before: 413 kB, 63 M); level 3
    // starts `deflate_medium`, 385 kB at 42 M; level 6, 354 kB at 60 M
    // (callgrind, release builds). The page is 152 kB longer than at level
    // 2 and paints slide 1 as soon (26 ms median of 9 either way, one run
    // of `scripts/bench-browser.sh`; README, "Speed").
    thread_local! {
        /// One compressor per thread, reset for each part: making one
        /// zeroes its tables (about 440,000 instructions, 8 M for the
        /// corpus's 19 parts), resetting it a third of that.
        static DEFLATE: std::cell::RefCell<Option<Compress>> = const { std::cell::RefCell::new(None) };
    }
    DEFLATE.with_borrow_mut(|slot| {
        let deflate = match slot {
            Some(d) => {
                d.reset();
                d
            }
            None => slot.insert(Compress::new(Compression::new(1), false)),
        };
        deflate_with(deflate, pieces, last)
    })
}

/// [`deflate_part`] with `deflate`, fresh or reset.
fn deflate_with(deflate: &mut flate2::Compress, pieces: &[&[u8]], last: bool) -> Option<Vec<u8>> {
    use flate2::{FlushCompress, Status};
    let total: usize = pieces.iter().map(|p| p.len()).sum();
    let mut out = Vec::with_capacity(total / 4 + 64);
    // A call that neither reads nor writes, with room to write, would
    // repeat forever: give up (the page is then written unpacked).
    let mut stalled = 0;
    for piece in pieces {
        let mut read = 0;
        while read < piece.len() {
            if out.len() == out.capacity() {
                out.reserve(out.capacity().max(4096));
            }
            let (before, written) = (deflate.total_in(), out.len());
            deflate
                .compress_vec(piece.get(read..)?, &mut out, FlushCompress::None)
                .ok()?;
            let now = usize::try_from(deflate.total_in().checked_sub(before)?).ok()?;
            stalled = if now == 0 && out.len() == written {
                stalled + 1
            } else {
                0
            };
            if stalled > 2 {
                return None;
            }
            read += now;
        }
    }
    let flush = if last {
        FlushCompress::Finish
    } else {
        FlushCompress::Sync
    };
    loop {
        if out.len() == out.capacity() {
            out.reserve(out.capacity().max(4096));
        }
        let written = out.len();
        let status = deflate.compress_vec(&[], &mut out, flush).ok()?;
        // Done when the stream ended, or (a sync flush) when the output had
        // room to spare.
        if status == Status::StreamEnd || (!last && out.len() < out.capacity()) {
            return Some(out);
        }
        stalled = if out.len() == written { stalled + 1 } else { 0 };
        if stalled > 2 {
            return None;
        }
    }
}

/// The element that carries slide 1 a second time, before [`SLIDES_SCRIPT`],
/// for the page to paint it first ([`first_slide_text`]).
pub const FIRST_SLIDE_SCRIPT: &str = "<script type=\"text/x-labdeck-first-slide\">";

/// Byte range of the text of the page's [`FIRST_SLIDE_SCRIPT`], if it has one.
pub fn first_slide_span(html: &str) -> Option<(usize, usize)> {
    script_span(html, FIRST_SLIDE_SCRIPT)
}

fn script_span(html: &str, tag: &str) -> Option<(usize, usize)> {
    let start = html.find(tag)? + tag.len();
    let end = start + html[start..].find("</script>")?;
    Some((start, end))
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
        GitQuery::start(dir).finish()
    }
}

/// The two `git` commands behind a [`BuildInfo`], started together and read
/// later: `build` starts them before loading its decks, so they answer
/// while the decks load.
pub struct GitQuery {
    commit: Option<std::process::Child>,
    status: Option<std::process::Child>,
}

impl GitQuery {
    pub fn start(dir: &Path) -> GitQuery {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        if !may_be_in_a_repository(dir) {
            return GitQuery {
                commit: None,
                status: None,
            };
        }
        let git = |args: &[&str]| {
            // A deck's folder may hold a bare repository (files `HEAD`,
            // `config`...) committed by a pull request: git must not
            // take it as the repository, nor run a command a config
            // names (`core.fsmonitor`). Command-line config is
            // "protected" (git-config(1), `safe.bareRepository`).
            std::process::Command::new("git")
                .args(["-c", "safe.bareRepository=explicit"])
                .args(["-c", "core.fsmonitor=false"])
                .arg("-C")
                .arg(dir)
                .args(args)
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::null())
                .spawn()
                .ok()
        };
        GitQuery {
            commit: git(&["rev-parse", "HEAD"]),
            status: git(&["status", "--porcelain", "--", "."]),
        }
    }

    /// Waits for both; none outside a git work tree (or without git).
    pub fn finish(self) -> BuildInfo {
        let output = |child: Option<std::process::Child>| {
            child
                .and_then(|c| c.wait_with_output().ok())
                .filter(|o| o.status.success())
                .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        };
        let commit = output(self.commit);
        let status = output(self.status);
        let Some(commit) = commit else {
            return BuildInfo::default();
        };
        let dirty = status
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

/// Whether git, run in `dir`, may find a repository: false when
/// `GIT_DIR` is not set and neither `dir` nor a folder above it (as git
/// sees them once in `dir`: symbolic links resolved) holds a `.git`, the
/// only place git's discovery looks with `safe.bareRepository=explicit`
/// (setup.c `setup_git_directory_gently_1`; `GIT_CEILING_DIRECTORIES` and
/// file system boundaries only stop it sooner). Two `git` processes that
/// can only fail cost about 12 ms of CPU, 4% of building the 14 corpus
/// decks (which are not in a repository).
fn may_be_in_a_repository(dir: &Path) -> bool {
    if std::env::var_os("GIT_DIR").is_some() {
        return true;
    }
    let Ok(real) = std::fs::canonicalize(dir) else {
        // Whatever git makes of it, it says so itself.
        return true;
    };
    real.ancestors()
        .any(|d| std::fs::symlink_metadata(d.join(".git")).is_ok())
}

/// Options for one page.
#[derive(Debug, Clone, Default)]
pub struct PageOptions {
    /// Extra stylesheets' text, after the theme.
    pub styles: Vec<String>,
    pub build: BuildInfo,
    /// Pack the slides script ([`PACKED_SLIDES_SCRIPT`]) when its text is
    /// this long or longer (`labdeck build`: [`PACK_SLIDES_FROM`]); None:
    /// never (`serve`, `pdf` and `lint` pages, whose runtime must start
    /// while the page loads).
    pub pack_slides_from: Option<usize>,
}

/// One slide as the page carries it (see [`SLIDES_SCRIPT`]).
#[derive(Debug, Clone, Default)]
pub struct PageSlide<'a> {
    /// The slide number as `slideNumberFormat` writes it (HTML, as remark
    /// sets it with innerHTML).
    pub number_text: String,
    pub name: Option<&'a str>,
    /// Content classes, space-separated.
    pub classes: String,
    /// Content HTML.
    pub html: &'a str,
    /// Speaker notes HTML.
    pub notes: &'a str,
    /// The `background-image` property (CSS), applied when shown.
    pub background_image: Option<&'a str>,
    /// False when the next slide continues this one (`--`).
    pub last_step: bool,
}

/// One slide's record in the slides script: its [`FIELDS`] fields, each
/// escaped and followed by [`FIELD_END`]. The container's inner HTML is
/// remark's slide DOM (scaler, slide, content with its classes, number),
/// which remark themes style.
pub fn push_slide_record(out: &mut String, s: &PageSlide) {
    push_record(
        out,
        s,
        |o| push_script_text(o, s.html),
        |o| push_script_text(o, s.notes),
    );
}

/// [`push_slide_record`], with the slide's content and notes written by
/// `html` and `notes` (already escaped: `build` escapes each distinct
/// content once, see [`super::markdown::Rendered::script`]).
fn push_record(
    out: &mut String,
    s: &PageSlide,
    html: impl FnOnce(&mut String),
    notes: impl FnOnce(&mut String),
) {
    if !s.last_step {
        out.push_str("step");
    }
    out.push_str(FIELD_END);
    push_script_text(out, s.name.unwrap_or(""));
    out.push_str(FIELD_END);
    push_slide_inner(out, s, html);
    out.push_str(FIELD_END);
    notes(out);
    out.push_str(FIELD_END);
}

/// The end of a slide's container after its content: the number's
/// element opened, and (after the number) every element closed, as
/// [`push_script_text`] writes them (escaped once here, not for every
/// slide of every page).
const NUMBER_OPEN: &str = "<div class=\"remark-slide-number\">";
const CONTAINER_CLOSE: &str = "<\\/div><\\/div><\\/div><\\/div>";

/// The inner HTML of a slide's `.remark-slide-container`,
/// [`push_script_text`]-escaped, the slide's content written by `html`
/// (escaped too).
fn push_slide_inner(out: &mut String, s: &PageSlide, html: impl FnOnce(&mut String)) {
    let mut attr = String::with_capacity(
        [s.name, Some(s.classes.as_str()), s.background_image]
            .into_iter()
            .map(|t| t.map_or(0, str::len))
            .fold(128, usize::saturating_add),
    );
    attr.push_str("<div class=\"remark-slide-scaler\"><div class=\"remark-slide\"><div ");
    // remark 0.14 slideView.js: the `name` id is on the content element.
    if let Some(name) = s.name {
        attr.push_str("id=\"slide-");
        escape_into(&mut attr, name);
        attr.push_str("\" ");
    }
    attr.push_str("class=\"remark-slide-content ");
    escape_into(&mut attr, &s.classes);
    attr.push('"');
    if let Some(bg) = s.background_image {
        attr.push_str(" data-background-image=\"");
        escape_into(&mut attr, bg);
        attr.push('"');
    }
    attr.push('>');
    push_script_text(out, &attr);
    html(out);
    out.push_str(NUMBER_OPEN);
    push_script_text(out, &s.number_text);
    out.push_str(CONTAINER_CLOSE);
}

/// The first slide's container inner HTML again, [`script_text`]-escaped,
/// for the page to paint before the browser has read the slides script:
/// deck.html carries it in a small script element of its own, its early
/// script turns it into slide 1's container (with innerHTML, as runtime.js
/// materialises any slide), and runtime.js adopts that container.
pub fn first_slide_text(s: &PageSlide) -> String {
    let mut out = String::with_capacity(s.html.len() + 256);
    push_slide_inner(&mut out, s, |o| push_script_text(o, s.html));
    out
}

/// What `deck.html` is given, for error messages (the fields of
/// [`PageContext`]).
const CONTEXT_NAMES: &str = "title, total, styles, build.commit, build.dirty, slides_text, first_slide, slide_count, remark (width, height, slide_styles, runtime_json, look, highlight_css), builtin_assets";

#[derive(Serialize)]
struct PageContext<'a> {
    title: String,
    total: usize,
    styles: &'a [String],
    build: &'a BuildInfo,
    /// Text of the slides script (see [`SLIDES_SCRIPT`]): a marker the
    /// slides replace once Tera is done.
    slides_text: &'static str,
    /// The first slide's container inner HTML, escaped ([`first_slide_text`]).
    first_slide: String,
    slide_count: usize,
    remark: RemarkPage,
    /// The built-in stylesheets and script by name (see [`Templates::load`]).
    builtin_assets: std::collections::BTreeMap<&'static str, &'static str>,
}

/// A rendered page and the local files it refers to.
pub struct Page {
    pub html: String,
    /// Image paths as written in the deck (relative ones are local files).
    pub images: Vec<String>,
    /// Files the page refers to from outside the deck's folder (stylesheet
    /// fonts and images): (file, path relative to the output folder).
    pub extra_files: Vec<(PathBuf, String)>,
    /// Files the page is made from besides the deck's inputs
    /// ([`crate::deck::Deck::inputs`]): the stylesheets `@import`s name.
    pub inputs: Vec<PathBuf>,
    /// What the page is built without (a missing stylesheet a browser
    /// would skip too): `build` says them as warnings.
    pub warnings: Vec<crate::diagnostic::Diagnostic>,
}

/// One slide rendered: its record for the page's slides script, the images
/// it names, its `<style>`s, and (slide 1 only) its text for the early paint.
type Rendered = (String, Vec<String>, Vec<String>, Option<String>);

/// Renders the whole deck page.
pub fn render_page(
    deck: &Deck,
    templates: &Templates,
    cache: &RenderCache,
    opts: &PageOptions,
) -> Result<Page> {
    let total = deck.slides.last().map_or(0, |s| s.number);
    let key_links = super::markdown::KeyLinks::new(&deck.links);
    let options = &deck.manifest.remark;
    let code = options.code();
    let repo_names = repo_names(deck);
    let each = SlideContext {
        deck,
        cache,
        key_links: &key_links,
        code: &code,
        repo_names: &repo_names,
        build: &opts.build,
        total,
        numbers: deck.manifest.remark.slide_numbers(),
    };
    // Slides render independently: spread them over the cores.
    let rendered: Vec<Rendered> = deck
        .slides
        .par_iter()
        .map(|slide| each.render(slide))
        .collect();
    let remark = RemarkPage::new(
        options,
        deck.manifest.look,
        highlight_css(deck, options),
        rendered.iter().map(|(_, _, styles, _)| styles),
    );
    let text_len: usize = rendered.iter().map(|(r, _, _, _)| r.len()).sum();
    let mut images = Vec::new();
    let mut records = Vec::with_capacity(rendered.len());
    let mut first_slide = String::new();
    for (record, slide_images, _, first_html) in rendered {
        records.push(record);
        images.extend(slide_images);
        if let Some(html) = first_html {
            first_slide = html;
        }
    }
    // Tera would copy the slides' text twice (into its context, then into
    // the page): the template gets a marker, and the slides go in its place
    // once rendered, one by one (no copy of the whole text either).
    let page = PageContext {
        title: deck.manifest.title.trim().replace('\n', " "),
        total,
        styles: &opts.styles,
        build: &opts.build,
        slides_text: SLIDES_MARKER,
        first_slide,
        slide_count: deck.slides.len(),
        remark,
        builtin_assets: BUILTIN_TEMPLATES
            .iter()
            .filter(|(n, _)| *n != "deck.html")
            .copied()
            .collect(),
    };
    let context =
        tera::Context::from_serialize(&page).map_err(|e| Error::Template(tera_message(&e)))?;
    let with_marker = templates.tera.render("deck.html", &context).map_err(|e| {
        Error::Template(format!(
            "deck.html: {} (deck.html is given {CONTEXT_NAMES}; README, \"Templates\")",
            tera_message(&e)
        ))
    })?;
    let html = with_slides(&with_marker, &records, text_len, opts.pack_slides_from)?;
    Ok(Page {
        html,
        images,
        extra_files: Vec::new(),
        inputs: Vec::new(),
        warnings: Vec::new(),
    })
}

/// What every slide of a page is rendered with ([`SlideContext::render`]).
struct SlideContext<'a> {
    deck: &'a Deck,
    cache: &'a RenderCache,
    key_links: &'a super::markdown::KeyLinks<'a>,
    code: &'a CodeOptions,
    repo_names: &'a RepoNames<'a>,
    build: &'a BuildInfo,
    /// The last slide's number (`%total%`).
    total: usize,
    /// `slideNumberFormat`, read once.
    numbers: crate::remark::options::SlideNumbers,
}

impl SlideContext<'_> {
    /// One slide's record, images, styles and (slide 1) early-paint text.
    fn render(&self, slide: &crate::deck::Slide) -> Rendered {
        let (deck, options) = (self.deck, &self.deck.manifest.remark);
        let content = self
            .cache
            .render(&slide.content, &deck.links, self.key_links, self.code);
        let notes = self
            .cache
            .render(&slide.notes, &deck.links, self.key_links, self.code);
        let mut images = content.images.clone();
        images.extend(notes.images.iter().cloned());
        let first = slide.index == 0;
        let footer = debug_footer(deck, self.repo_names, slide, first.then_some(self.build));
        let background_image = slide.property("background-image");
        if let Some(url) = background_image.and_then(crate::files::css_url) {
            images.push(url.to_owned());
        }
        let page_slide = PageSlide {
            number_text: self.numbers.text(slide.number, self.total),
            name: slide.name.as_deref(),
            classes: slide_classes(slide, options),
            html: "",
            notes: "",
            background_image,
            last_step: slide.last_step,
        };
        // The slide's HTML is its content, then its footer: the content
        // comes escaped from the cache, the footer is escaped here (the
        // same text as escaping both at once: escaping looks one byte
        // ahead of a `<`, and the footer starts with `<div`).
        let body = |o: &mut String| {
            o.push_str(&content.script);
            push_script_text(o, &footer);
        };
        let mut record =
            String::with_capacity(content.script.len() + notes.script.len() + footer.len() + 256);
        push_record(&mut record, &page_slide, body, |o| {
            o.push_str(&notes.script)
        });
        let first_html = first.then(|| {
            let mut out = String::with_capacity(content.script.len() + footer.len() + 256);
            push_slide_inner(&mut out, &page_slide, body);
            out
        });
        (record, images, content.styles.clone(), first_html)
    }
}

/// The page Tera rendered (`with_marker`: [`SLIDES_MARKER`] where the
/// slides go) with the slides' records in the slides script, packed
/// (straight from the records, no copy of the whole text first) when
/// their text is `pack_from` bytes or more.
fn with_slides(
    with_marker: &str,
    records: &[String],
    text_len: usize,
    pack_from: Option<usize>,
) -> Result<String> {
    // The runtime reads the slides from the one slides script: a deck.html
    // that does not put them there would build a page without slides.
    let mut markers = memchr::memmem::find_iter(with_marker.as_bytes(), SLIDES_MARKER.as_bytes());
    let at = match (markers.next(), markers.next()) {
        (Some(at), None) if with_marker[..at].ends_with(SLIDES_SCRIPT) => at,
        _ => {
            return Err(Error::Template(format!(
                "deck.html must show `{{{{ slides_text }}}}` once, right inside `{SLIDES_SCRIPT}...</script>` (the runtime reads the slides there; README, \"Templates\")"
            )));
        }
    };
    let after = &with_marker[at + SLIDES_MARKER.len()..];
    let mut html = String::new();
    if pack_from.is_some_and(|from| text_len >= from) {
        html.reserve(with_marker.len() + text_len / 4);
        html.push_str(&with_marker[..at - SLIDES_SCRIPT.len()]);
        if push_packed(&mut html, &record_parts(records)).is_none() {
            html.clear();
        }
    }
    if html.is_empty() {
        html.reserve(with_marker.len() + text_len);
        html.push_str(&with_marker[..at]);
        for record in records {
            html.push_str(record);
        }
    }
    html.push_str(after);
    Ok(html)
}

/// What remark's options and the deck's own styles put in the page.
#[derive(Serialize)]
struct RemarkPage {
    /// Slide size in CSS pixels (from `ratio`).
    width: u32,
    height: u32,
    /// `ratio` as written (16 and 9 for `16:9`): remark's scaler.js picks
    /// the side a slide fits by it.
    ratio_width: u32,
    ratio_height: u32,
    /// Options the runtime reads (a JSON object, safe inside `<script>`).
    runtime_json: String,
    /// `labdeck` or `remark`: which look goes under the deck's stylesheets
    /// (theme.css or remark-look.css; `crate::manifest::Look`).
    look: &'static str,
    /// highlight.js's styles the slides name (CSS: [`highlight_css`]).
    highlight_css: String,
    /// `<style>` elements written in slides: remark has every slide in the
    /// document, so they apply to the whole deck.
    slide_styles: Vec<String>,
}

impl RemarkPage {
    fn new<'a>(
        options: &RemarkOptions,
        look: Look,
        highlight_css: String,
        slide_styles_each: impl Iterator<Item = &'a Vec<String>>,
    ) -> RemarkPage {
        let (width, height) = options.dimensions();
        let runtime = serde_json::json!({
            "width": width,
            "height": height,
            "ratio": [options.ratio.0, options.ratio.1],
            "navigation": options.navigation,
        });
        let mut slide_styles: Vec<String> = Vec::new();
        for styles in slide_styles_each {
            for style in styles {
                if !slide_styles.iter().any(|s| s == style) {
                    slide_styles.push(style.clone());
                }
            }
        }
        RemarkPage {
            width,
            height,
            ratio_width: options.ratio.0,
            ratio_height: options.ratio.1,
            runtime_json: runtime.to_string().replace("</", "<\\/"),
            look: look.name(),
            highlight_css,
            slide_styles,
        }
    }
}

/// The CSS of the highlight.js styles the deck's slides name (their
/// `hljs-<style>` classes: [`slide_classes`]), each once, in remark's order,
/// after their notice; empty when they name none remark has. remark puts
/// every style in the page (styler.js `styleDocument`): the ones no slide
/// names colour nothing.
fn highlight_css(deck: &Deck, options: &RemarkOptions) -> String {
    let mut named = std::collections::HashSet::new();
    named.insert(options.highlight_style.as_str());
    for slide in &deck.slides {
        if let Some(style) = slide.property("highlight-style") {
            named.insert(style);
        }
        for class in &slide.classes {
            if let Some(style) = class.strip_prefix("hljs-") {
                named.insert(style);
            }
        }
    }
    let mut css = String::new();
    for (name, style) in super::highlight_styles::styles() {
        if named.contains(name) {
            if css.is_empty() {
                css.push_str(super::highlight_styles::NOTICE);
            }
            css.push('\n');
            css.push_str(style);
        }
    }
    css
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

/// The slides' files named from the repository root, by file; looked up
/// for every slide, so with foldhash rather than std's SipHash.
type RepoNames<'a> = HashMap<&'a OsStr, String, crate::hashing::Seeded>;

/// The slides' files named from the repository root, once per file (not
/// per slide: resolving `..` is not free).
fn repo_names(deck: &Deck) -> RepoNames<'_> {
    let root = crate::assemble::RepoRoot::new(&deck.root);
    let mut names = RepoNames::default();
    let mut previous: Option<&OsStr> = None;
    for slide in &deck.slides {
        if let Some(loc) = &slide.location {
            // Slides come file by file: look up a file once per run of them.
            let file = loc.file.as_os_str();
            if previous == Some(file) {
                continue;
            }
            previous = Some(file);
            names
                .entry(file)
                .or_insert_with(|| root.relative(&loc.file).to_string_lossy().into_owned());
        }
    }
    names
}

/// The `.debug` footer naming the slide's source file (a link into the
/// repository when its URL is known); the deck's first one also carries the
/// build's commit and dirty files.
fn debug_footer(
    deck: &Deck,
    repo_names: &RepoNames<'_>,
    slide: &crate::deck::Slide,
    build: Option<&BuildInfo>,
) -> String {
    // Room for a link to the file and line (grown, it would be copied two
    // or three times for every slide of every deck).
    let mut out = String::with_capacity(256);
    out.push_str("<div class=\"debug\">");
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
            let file = match repo_names.get(loc.file.as_os_str()) {
                Some(name) => std::borrow::Cow::Borrowed(name.as_str()),
                None => loc.file.to_string_lossy(),
            };
            // Escaping goes character by character: the pieces are escaped
            // one by one (a line number needs none), not formatted first.
            let repo = deck.manifest.gitrepo.trim_end_matches('/');
            let file_line = |out: &mut String| {
                escape_into(out, &file);
                let _ = write!(out, ":{}", loc.line);
            };
            if repo.is_empty() {
                file_line(&mut out);
            } else {
                let scheme = if repo.contains("://") { "" } else { "https://" };
                out.push_str("<a href=\"");
                out.push_str(scheme);
                escape_into(&mut out, repo);
                out.push_str("/tree/main/");
                escape_into(&mut out, &file);
                let _ = write!(out, "#L{}", loc.line);
                out.push_str("\">");
                file_line(&mut out);
                out.push_str("</a>");
            }
        }
        None => out.push_str("(automatically generated)"),
    }
    out.push_str("</div>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_runs_only_where_a_repository_may_be() {
        let top = tempfile::tempdir().unwrap();
        assert!(
            !may_be_in_a_repository(top.path()),
            "the scratch folder {} is in a git repository: nothing here can be told apart",
            top.path().display()
        );
        let deck = top.path().join("repo/slides");
        std::fs::create_dir_all(&deck).unwrap();
        assert!(!may_be_in_a_repository(&deck));
        assert_eq!(GitQuery::start(&deck).finish().commit, None);
        // A `.git` folder or file (a worktree's, a submodule's) above.
        std::fs::write(top.path().join("repo/.git"), "gitdir: elsewhere\n").unwrap();
        assert!(may_be_in_a_repository(&deck));
        // Reached through a link from outside: git looks above the real
        // folder.
        let outside = tempfile::tempdir().unwrap();
        let link = outside.path().join("deck");
        std::os::unix::fs::symlink(&deck, &link).unwrap();
        assert!(may_be_in_a_repository(&link));
    }

    #[test]
    fn script_text_cannot_end_the_script_and_reads_back() {
        let text = "a</script><!--<script>x<\\-y<\\z\\ \r\nb\rc <p>é</p>";
        let escaped = script_text(text);
        assert!(
            !escaped.contains("</") && !escaped.contains("<!"),
            "{escaped}"
        );
        assert!(
            !escaped.contains(FIELD_END) && !escaped.contains('\r'),
            "{escaped}"
        );
        assert_eq!(
            script_text_decode(&escaped),
            text.replace("\r\n", "\n").replace('\r', "\n")
        );
    }

    #[test]
    fn container_pieces_are_escaped_as_script_text_escapes_them() {
        assert_eq!(
            NUMBER_OPEN,
            script_text("<div class=\"remark-slide-number\">")
        );
        assert_eq!(CONTAINER_CLOSE, script_text("</div></div></div></div>"));
        assert_eq!(
            script_text_decode(CONTAINER_CLOSE),
            "</div></div></div></div>"
        );
    }

    #[test]
    fn slide_fields_reads_what_push_slide_record_writes() {
        let slides = [
            PageSlide {
                number_text: "<b>N</b> 1/1".into(),
                name: Some("intro"),
                classes: "title middle".into(),
                html: "<h1>Hi</h1>",
                notes: "<p>say hi</p>",
                background_image: Some("url(\"a.png\")"),
                last_step: false,
            },
            PageSlide {
                number_text: "<b>N</b> 1/1".into(),
                html: "<h1>Hi</h1><p>more</p>",
                last_step: true,
                ..Default::default()
            },
        ];
        let mut text = String::new();
        for s in &slides {
            push_slide_record(&mut text, s);
        }
        let html = format!("<p>x</p>{SLIDES_SCRIPT}{text}</script><script>run()</script>");
        let fields = slide_fields(&html).unwrap();
        assert_eq!(fields.len(), 2);
        assert_eq!(fields[0][0], "step");
        assert_eq!(fields[0][1], "intro");
        assert_eq!(
            script_text_decode(&fields[0][2]),
            "<div class=\"remark-slide-scaler\"><div class=\"remark-slide\"><div id=\"slide-intro\" class=\"remark-slide-content title middle\" data-background-image=\"url(&quot;a.png&quot;)\"><h1>Hi</h1><div class=\"remark-slide-number\"><b>N</b> 1/1</div></div></div></div>"
        );
        assert_eq!(script_text_decode(&fields[0][3]), "<p>say hi</p>");
        assert_eq!(
            (&*fields[1][0], &*fields[1][1], &*fields[1][3]),
            ("", "", "")
        );
        // cut short: not a page to patch
        let cut = html.replacen("<\\-</script>", "</script>", 1);
        assert!(slide_fields(&cut).is_none());
        assert!(slide_fields("<p>no slides</p>").is_none());
    }

    /// A page's slides packed read back the same, through the one reader.
    #[test]
    fn packed_slides_read_back_as_the_plain_ones() {
        let mut text = String::new();
        for i in 0..300 {
            let html = format!("<p>slide {i} é → 🐳 </script> <\\- <!-- x --></p>");
            let number_text = format!("{}/300", i + 1);
            let name = format!("s{i}");
            push_slide_record(
                &mut text,
                &PageSlide {
                    number_text,
                    name: (i % 7 == 0).then_some(name.as_str()),
                    classes: "middle".into(),
                    html: &html,
                    notes: "<p>say it\r\nagain</p>",
                    background_image: None,
                    last_step: i % 3 != 0,
                },
            );
        }
        let plain = format!("<p>before</p>{SLIDES_SCRIPT}{text}</script><script>run()</script>");
        let packed = pack_slides(&plain).expect("a plain slides script");
        assert!(packed.contains(PACKED_SLIDES_SCRIPT), "{packed:.200}");
        assert!(!packed.contains(SLIDES_SCRIPT));
        assert!(
            packed.starts_with("<p>before</p>")
                && packed.ends_with("</script><script>run()</script>")
        );
        assert!(
            packed.len() * 3 < plain.len(),
            "{} against {}",
            packed.len(),
            plain.len()
        );
        let (start, end) = slides_script_span(&packed).unwrap();
        assert!(
            packed[start..end]
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b))
        );
        assert_eq!(slides_text(&packed).as_deref(), Some(text.as_str()));
        assert_eq!(slide_fields(&packed), slide_fields(&plain));
        assert_eq!(slide_fields(&packed).map(|f| f.len()), Some(300));
        // in parts (deflated apart, one stream): the same text back, each
        // part base64, the span from the first part's text to the last's
        let (plain_start, plain_end) = script_span(&plain, SLIDES_SCRIPT).unwrap();
        let parted = pack_span(&plain, plain_start, plain_end, 4000).unwrap();
        let (part_start, part_end) = slides_script_span(&parted).unwrap();
        let parts: Vec<&str> = parted[part_start..part_end]
            .split(PACKED_PART_SEPARATOR)
            .collect();
        assert!(parts.len() > 5, "{}", parts.len());
        assert!(parts.iter().all(|p| {
            p.len() % 4 == 0
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b))
        }));
        assert!(parted[part_end..].starts_with("</script><script>run()</script>"));
        assert_eq!(slides_text(&parted).as_deref(), Some(text.as_str()));
        assert_eq!(slide_fields(&parted), slide_fields(&plain));
        // an empty slides script packs and reads back empty
        let empty = pack_slides(&format!("{SLIDES_SCRIPT}</script>")).unwrap();
        assert_eq!(slides_text(&empty).as_deref(), Some(""));
        // nothing to pack; packed twice is not a plain script any more
        assert!(pack_slides("<p>no slides</p>").is_none());
        assert!(pack_slides(&packed).is_none());
        // packed text that does not unpack: no slides, not a panic
        let broken = packed.replacen(PACKED_SLIDES_SCRIPT, &format!("{PACKED_SLIDES_SCRIPT}!"), 1);
        assert!(slides_text(&broken).is_none());
        let cut = format!("{}</script>", &packed[..start + (end - start) / 2 / 4 * 4]);
        assert!(slide_fields(&cut).is_none());
        // a bomb (more than the limit, packed small) is not unpacked
        let bomb =
            pack_slides(&format!("{SLIDES_SCRIPT}{}</script>", "a".repeat(3 << 20))).unwrap();
        // (level 1, `deflate_quick`, packs 3 MB of one byte in 41 kB)
        assert!(bomb.len() < (3 << 20) / 50, "{}", bomb.len());
        let (start, end) = slides_script_span(&bomb).unwrap();
        assert_eq!(
            unpack(&bomb[start..end], 3 << 20).map(|t| t.len()),
            Some(3 << 20)
        );
        assert!(unpack(&bomb[start..end], (3 << 20) - 1).is_none());
    }

    /// Records go into parts in order, up to PACK_PART bytes each; a record
    /// longer than that is a part of its own; none, no part.
    #[test]
    fn records_are_grouped_into_parts_in_order() {
        let records: Vec<String> = [100, PACK_PART - 100, 1, PACK_PART + 5, 7, 8]
            .iter()
            .enumerate()
            .map(|(i, n)| char::from(b'a' + i as u8).to_string().repeat(*n))
            .collect();
        let parts = record_parts(&records);
        let sizes: Vec<Vec<usize>> = parts
            .iter()
            .map(|p| p.iter().map(|r| r.len()).collect())
            .collect();
        assert_eq!(
            sizes,
            vec![
                vec![100, PACK_PART - 100],
                vec![1],
                vec![PACK_PART + 5],
                vec![7, 8]
            ]
        );
        let joined: Vec<u8> = parts.concat().concat();
        assert_eq!(joined, records.concat().into_bytes());
        assert!(record_parts(&[]).is_empty());
    }

    /// `labdeck build` packs a page's slides from `pack_slides_from` bytes
    /// of their text; `serve`, `pdf` and `lint` never do.
    #[test]
    fn render_page_packs_from_the_threshold_only() {
        let dir = tempfile::tempdir().unwrap();
        let md = dir.path().join("deck.md");
        std::fs::write(&md, "# One\n\n---\n\n# Two ✔\n\n???\n\nnotes").unwrap();
        let deck = crate::deck::load_strict(&md, &Default::default()).unwrap();
        let templates = Templates::load(None).unwrap();
        let cache = RenderCache::new();
        let page = |from: Option<usize>| {
            let opts = PageOptions {
                pack_slides_from: from,
                ..Default::default()
            };
            render_page(&deck, &templates, &cache, &opts).unwrap().html
        };
        let plain = page(None);
        assert!(plain.contains(SLIDES_SCRIPT));
        assert_eq!(page(Some(1 << 20)), plain, "below the threshold");
        let packed = page(Some(0));
        assert!(packed.contains(PACKED_SLIDES_SCRIPT) && !packed.contains(SLIDES_SCRIPT));
        assert_eq!(slide_fields(&packed), slide_fields(&plain));
        // slide 1 still travels alone, plain, before the slides script
        assert_eq!(
            first_slide_span(&packed).map(|(s, e)| &packed[s..e]),
            first_slide_span(&plain).map(|(s, e)| &plain[s..e])
        );
    }

    #[test]
    fn first_slide_text_is_the_records_inner_html() {
        let slide = PageSlide {
            number_text: "1/2".into(),
            name: Some("a\"b"),
            classes: "title".into(),
            html: "<p>x</script></p>",
            notes: "<p>n</p>",
            background_image: Some("url(b.png)"),
            last_step: false,
        };
        let mut text = String::new();
        push_slide_record(&mut text, &slide);
        let html = format!("{SLIDES_SCRIPT}{text}</script>");
        let inner = &slide_fields(&html).unwrap()[0][2];
        assert_eq!(&first_slide_text(&slide), inner);
        assert!(!inner.contains("</"), "{inner}");
        assert!(script_text_decode(inner).contains("<p>x</script></p>"));
    }
}
