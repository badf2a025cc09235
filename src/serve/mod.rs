//! `labdeck serve`: build a deck, serve it on 127.0.0.1, rebuild when its
//! inputs change and reload open browsers on the slide they were on.
//!
//! One thread watches files and rebuilds (builds are synchronous CPU work);
//! the HTTP side only reads the last good page and relays change events to
//! browsers over server-sent events. A failed build keeps the last good page
//! up and shows the error in the page and on the terminal.
//!
//! An edit usually changes a few slides of a deck of thousands: open pages
//! then get only those slides (`slides` event, see [`slide_changes`]) and
//! swap them in place, instead of reloading and re-reading the whole page.
//! Anything else (slides added or removed, the theme...) reloads the page.
//!
//! Every route answers through one guard ([`crate::classroom::guard`]), and
//! besides the page only the files the page uses are served ([`assets`]).

mod assets;
mod livereload;
mod watch;

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use axum::Router;
use axum::extract::State as AxState;
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use tokio::sync::broadcast;

use crate::error::Error;

/// What a build produces: the page, the files it was made from (the
/// manifest, chapters, stylesheets, templates) so edits to them rebuild,
/// and the files the page refers to (the only ones served).
#[derive(Debug, Clone)]
pub struct Built {
    pub html: String,
    pub inputs: Vec<PathBuf>,
    pub assets: Assets,
}

pub use assets::Assets;

/// Builds the deck; called again after each relevant change.
pub type Builder = Arc<dyn Fn() -> Result<Built, Error> + Send + Sync>;

/// The deck page of `manifest` and the files it was made from.
pub fn render(
    builder: &crate::build::Builder,
    manifest: &Path,
    opts: &crate::build::BuildOptions,
) -> Result<Built, Error> {
    let (deck, page) = builder.render(manifest)?;
    let mut inputs = deck.inputs();
    inputs.extend(opts.css.iter().cloned());
    // A stylesheet an `@import` names: editing it may name other files
    // (fonts, images, more imports) the page must now serve.
    inputs.extend(page.inputs.iter().cloned());
    let assets = Assets::of(&deck.manifest.dir, &page.images, &page.extra_files);
    Ok(Built {
        html: page.html,
        inputs,
        assets,
    })
}

/// A [`Builder`] for `manifest` with the deck compiler. Templates are read
/// once, unless they come from a folder (which may be being edited).
pub fn deck_builder(manifest: PathBuf, opts: crate::build::BuildOptions) -> Result<Builder, Error> {
    let reused = match opts.templates {
        Some(_) => None,
        None => Some(crate::build::Builder::new(opts.clone())?),
    };
    Ok(Arc::new(move || match &reused {
        Some(b) => render(b, &manifest, &opts),
        None => render(&crate::build::Builder::new(opts.clone())?, &manifest, &opts),
    }))
}

pub struct Options {
    /// The manifest (or chapter) being served; its folder is the site root,
    /// so relative image paths resolve as they do next to a built file.
    pub manifest: PathBuf,
    pub port: u16,
    /// Extra folders whose every change rebuilds (e.g. `--templates DIR`).
    pub watch_dirs: Vec<PathBuf>,
    /// Students check exercises from the slides against this cluster
    /// (`--kubeconfig`/`--context`); `None`: a plain deck, no check control.
    pub classroom: Option<Arc<crate::classroom::student::Student>>,
}

/// A message to open pages.
#[derive(Debug, Clone)]
enum Notice {
    Reload,
    /// New text for some slides, as JSON: `{"from": version, "to": version,
    /// "slides": [[index, step, name, inner, notes], ...]}` (fields escaped as
    /// in the page: src/render/page.rs SLIDES_SCRIPT). A page of version
    /// `from` applies it and becomes `to`; any other page reloads.
    Slides(Arc<String>),
    Failed(String),
}

struct Page {
    html: Option<Arc<String>>,
    /// Counts good builds: a page knows the version it was served.
    version: u64,
    error: Option<String>,
    inputs: BTreeSet<PathBuf>,
    /// The files the last good page refers to.
    assets: Arc<Assets>,
}

#[derive(Clone)]
struct Shared {
    page: Arc<RwLock<Page>>,
    /// The deck's folder, canonical.
    root: Arc<PathBuf>,
    notices: broadcast::Sender<Notice>,
    /// Whether pages get the check control.
    classroom: bool,
}

/// A running server; dropping it stops watching (the HTTP task stops with the runtime).
pub struct Server {
    pub addr: SocketAddr,
    _watcher: watch::Watcher,
}

impl Server {
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }
}

/// Build once, bind 127.0.0.1:port (0 = any free port), start watching and serving.
pub async fn start(opts: Options, build: Builder) -> Result<Server, Error> {
    let root = opts
        .manifest
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    let root = std::fs::canonicalize(&root).map_err(|e| Error::io(&root, e))?;
    let (notices, _) = broadcast::channel(16);
    let shared = Shared {
        page: Arc::new(RwLock::new(Page {
            html: None,
            version: 0,
            error: None,
            inputs: BTreeSet::new(),
            assets: Arc::new(Assets::default()),
        })),
        root: Arc::new(root.clone()),
        notices,
        classroom: opts.classroom.is_some(),
    };
    let first = {
        let build = build.clone();
        tokio::task::spawn_blocking(move || build())
            .await
            .map_err(|e| Error::System(format!("build task failed: {e}")))?
    };
    apply(&shared, first);

    let watcher = watch::start(root.clone(), opts.watch_dirs.clone(), {
        let shared = shared.clone();
        move |changes| on_change(&shared, &build, changes)
    })?;
    watcher.watch_inputs(&lock_page(&shared).inputs);

    let listener = tokio::net::TcpListener::bind(("127.0.0.1", opts.port))
        .await
        .map_err(|cause| Error::Listen {
            addr: format!("127.0.0.1:{}", opts.port),
            cause,
        })?;
    let addr = listener.local_addr().map_err(|cause| Error::Listen {
        addr: format!("127.0.0.1:{}", opts.port),
        cause,
    })?;
    let mut app = Router::new()
        .route("/", get(index))
        .route("/_labdeck/events", get(events))
        .fallback(asset)
        .with_state(shared);
    if let Some(student) = opts.classroom.clone() {
        app = app.merge(student.router());
    }
    // One guard in front of everything: page, stream, files, checks.
    let app =
        crate::classroom::guard::protect(app, crate::classroom::guard::Guard::for_addr(addr, None));
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            crate::stderr!("labdeck serve: server stopped: {e}");
        }
    });
    Ok(Server {
        addr,
        _watcher: watcher,
    })
}

fn lock_page(shared: &Shared) -> std::sync::RwLockWriteGuard<'_, Page> {
    // A panic while holding the lock cannot leave Page half-updated (plain
    // field assignments), so a poisoned lock is still usable.
    shared.page.write().unwrap_or_else(|e| e.into_inner())
}

/// Record a build result; tell pages and the terminal.
fn apply(shared: &Shared, result: Result<Built, Error>) -> bool {
    let mut page = lock_page(shared);
    match result {
        Ok(built) => {
            let from = page.version;
            let to = from.wrapping_add(1);
            let notice = match page.html.as_deref() {
                Some(old) => match slide_changes(old, &built.html) {
                    Some(changes) if changes.is_empty() => None,
                    Some(changes) => Some(Notice::Slides(Arc::new(
                        serde_json::json!({ "from": from, "to": to, "slides": changes })
                            .to_string(),
                    ))),
                    None => Some(Notice::Reload),
                },
                None => Some(Notice::Reload),
            };
            page.html = Some(Arc::new(built.html));
            page.assets = Arc::new(built.assets);
            if notice.is_some() {
                // (an identical page keeps its version: open pages are up to date)
                page.version = to;
            }
            page.inputs = built
                .inputs
                .iter()
                .map(|p| std::fs::canonicalize(p).unwrap_or_else(|_| p.clone()))
                .collect();
            // A page showing the error needs the fixed deck in full.
            let notice = if page.error.take().is_some() {
                Some(Notice::Reload)
            } else {
                notice
            };
            drop(page);
            if let Some(notice) = notice {
                let _ = shared.notices.send(notice);
            }
            true
        }
        Err(e) => {
            let msg = e.to_string();
            crate::stderr!("labdeck serve: build failed (serving the last good deck):\n{msg}");
            page.error = Some(msg.clone());
            drop(page);
            let _ = shared.notices.send(Notice::Failed(msg));
            false
        }
    }
}

/// Called by the watcher with the files that changed (canonical paths).
fn on_change(
    shared: &Shared,
    build: &Builder,
    changes: watch::Changes,
) -> Option<BTreeSet<PathBuf>> {
    let rebuild = {
        let page = lock_page(shared);
        // After a failed build any change may be the fix (e.g. creating the
        // chapter the manifest names), so anything rebuilds then.
        page.error.is_some()
            || changes.in_watch_dirs
            || changes.paths.iter().any(|p| page.inputs.contains(p))
    };
    if rebuild {
        let started = std::time::Instant::now();
        let version = lock_page(shared).version;
        if apply(shared, build()) {
            crate::stderr!(
                "labdeck serve: rebuilt in {:.0?} ({})",
                started.elapsed(),
                describe(&changes.paths)
            );
            // The same page, but a file it loads by URL changed (an
            // imported stylesheet): the browser fetches it again.
            if lock_page(shared).version == version && changes.paths.iter().any(|p| is_asset(p)) {
                let _ = shared.notices.send(Notice::Reload);
            }
        }
        Some(lock_page(shared).inputs.clone())
    } else {
        // Not an input but something the page loads by URL (an image...): the
        // page is unchanged, the browser just needs to fetch it again.
        if changes.paths.iter().any(|p| is_asset(p)) {
            let _ = shared.notices.send(Notice::Reload);
        }
        None
    }
}

/// A slide an edit changed: its index and its fields as the page writes them.
type SlideChange = (usize, String, String, String, String);

/// The slides that differ between two builds of a page, as
/// `(index, step, name, inner, notes)` with the fields as the page writes
/// them; None when pages cannot be brought from `old` to `new` by replacing
/// slides: the count changed, something outside the slides did (title,
/// styles, runtime), or the page does not carry its slides as text (a
/// `--templates` deck.html of another shape).
fn slide_changes(old: &str, new: &str) -> Option<Vec<SlideChange>> {
    use crate::render::page::{first_slide_span, slide_fields, slides_script_span};
    let (old_start, old_end) = slides_script_span(old)?;
    let (new_start, new_end) = slides_script_span(new)?;
    // Slide 1's second copy (painted before the slides script is read) is
    // part of slide 1: the page swaps slide 1 in like any other.
    fn without_first(page: &str, end: usize) -> (&str, &str) {
        match first_slide_span(&page[..end]) {
            Some((s, e)) => (&page[..s], &page[e..end]),
            None => (&page[..end], ""),
        }
    }
    if without_first(old, old_start) != without_first(new, new_start)
        || old[old_end..] != new[new_end..]
    {
        return None;
    }
    let before = slide_fields(old)?;
    let after = slide_fields(new)?;
    if before.len() != after.len() {
        return None;
    }
    Some(
        before
            .into_iter()
            .zip(after)
            .enumerate()
            .filter(|(_, (b, a))| b != a)
            .map(|(i, (_, [step, name, inner, notes]))| (i, step, name, inner, notes))
            .collect(),
    )
}

/// Files a deck page loads by URL rather than inlining.
fn is_asset(path: &Path) -> bool {
    const EXTS: &[&str] = &[
        "png", "jpg", "jpeg", "gif", "svg", "webp", "ico", "avif", "css", "js", "woff", "woff2",
        "ttf", "otf", "mp4", "webm", "ogg", "mp3",
    ];
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| EXTS.contains(&e.to_ascii_lowercase().as_str()))
}

fn describe(paths: &[PathBuf]) -> String {
    let names: Vec<String> = paths
        .iter()
        .take(3)
        .map(|p| {
            p.file_name()
                .unwrap_or(p.as_os_str())
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    let more = paths.len().saturating_sub(3);
    if more > 0 {
        format!("{} and {more} more", names.join(", "))
    } else {
        names.join(", ")
    }
}

async fn index(AxState(shared): AxState<Shared>) -> impl IntoResponse {
    let (html, version, error) = {
        let page = shared.page.read().unwrap_or_else(|e| e.into_inner());
        (page.html.clone(), page.version, page.error.clone())
    };
    let body = match html {
        Some(html) if shared.classroom => livereload::inject(
            &livereload::inject_script(&html, crate::classroom::student::SCRIPT),
            version,
        ),
        Some(html) => livereload::inject(&html, version),
        // No good build yet: a page that shows the error and reloads when fixed.
        None => livereload::error_page(error.as_deref().unwrap_or("no build yet")),
    };
    ([(http::header::CACHE_CONTROL, "no-store")], Html(body))
}

/// A file the page uses (see [`assets`]); anything else is a 404.
async fn asset(AxState(shared): AxState<Shared>, req: axum::extract::Request) -> Response {
    let assets = shared
        .page
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .assets
        .clone();
    let Some(file) = assets.file(&shared.root, req.uri().path()) else {
        return (StatusCode::NOT_FOUND, "labdeck: not found\n").into_response();
    };
    match tower::ServiceExt::oneshot(tower_http::services::ServeFile::new(file), req).await {
        Ok(r) => r.into_response(),
        Err(never) => match never {},
    }
}

async fn events(AxState(shared): AxState<Shared>) -> impl IntoResponse {
    let rx = shared.notices.subscribe();
    let pending = shared
        .page
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .error
        .clone()
        .map(Notice::Failed);
    let first = futures::stream::iter(pending);
    let rest = futures::stream::unfold(rx, |mut rx| async move {
        match rx.recv().await {
            Ok(n) => Some((n, rx)),
            // Missed some notices: a reload covers whatever they were.
            Err(broadcast::error::RecvError::Lagged(_)) => Some((Notice::Reload, rx)),
            Err(broadcast::error::RecvError::Closed) => None,
        }
    });
    let stream = futures::StreamExt::map(futures::StreamExt::chain(first, rest), |n| {
        Ok::<_, std::convert::Infallible>(match n {
            Notice::Reload => Event::default().event("reload").data("reload"),
            Notice::Slides(json) => Event::default().event("slides").data(json.as_str()),
            Notice::Failed(msg) => Event::default().event("build-error").data(msg),
        })
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

#[cfg(test)]
mod tests {
    use super::slide_changes;
    use crate::render::page::{
        FIRST_SLIDE_SCRIPT, PageSlide, SLIDES_SCRIPT, first_slide_text, push_slide_record,
    };

    fn page(title: &str, htmls: &[&str]) -> String {
        let slides: Vec<PageSlide> = htmls
            .iter()
            .map(|&html| PageSlide {
                html,
                last_step: true,
                ..Default::default()
            })
            .collect();
        let mut text = String::new();
        for s in &slides {
            push_slide_record(&mut text, s);
        }
        format!(
            "<title>{title}</title>{FIRST_SLIDE_SCRIPT}{}</script><script>early()</script>{SLIDES_SCRIPT}{text}</script><script>run()</script>",
            first_slide_text(&slides[0])
        )
    }

    /// Slide 1 also travels alone before the slides script (to paint
    /// first): an edit to it is still a slide swap, not a page reload.
    #[test]
    fn regression_an_edit_to_slide_one_is_a_swap_not_a_reload() {
        let old = page("t", &["<p>one</p>", "<p>two</p>"]);
        let new = page("t", &["<p>ONE</p>", "<p>two</p>"]);
        let changes = slide_changes(&old, &new).expect("a swap");
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].0, 0);
        assert!(changes[0].3.contains("ONE"));
        // something else outside the slides still reloads
        assert!(slide_changes(&old, &page("u", &["<p>one</p>", "<p>two</p>"])).is_none());
        // the same page: nothing to send
        assert_eq!(slide_changes(&old, &old).map(|c| c.len()), Some(0));
    }
}
