//! `labdeck build`: manifests to HTML files, written atomically, with the
//! local images they use copied beside them.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use rayon::prelude::*;

use crate::deck::{self, Deck, LoadOptions};
use crate::error::{Error, Result};
use crate::files::{Confinement, Files};
use crate::remark::segments::Parses;
use crate::render::RenderCache;
use crate::render::css_assets;
use crate::render::page::{self, BuildInfo, GitQuery, PageOptions, Templates};

/// Options shared by every deck of one `build` call.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    pub out_dir: PathBuf,
    pub load: LoadOptions,
    /// Folder whose templates replace the built-in ones.
    pub templates: Option<PathBuf>,
    /// Extra stylesheets (added after the manifest's `css:` list).
    pub css: Vec<PathBuf>,
    /// Pack a page's slides script from this many bytes of slides' text
    /// (`labdeck build`: render/page.rs `PACK_SLIDES_FROM`); None: never
    /// (`serve`, `pdf`, `lint`: see `PageOptions::pack_slides_from`).
    pub pack_slides_from: Option<usize>,
}

/// What one deck's build produced.
#[derive(Debug, Clone)]
pub struct Built {
    pub manifest: PathBuf,
    pub output: PathBuf,
    pub slides: usize,
    pub images_copied: usize,
    /// Built without these (a page's missing stylesheet: a browser shows
    /// the deck without it too).
    pub warnings: Vec<crate::diagnostic::Diagnostic>,
}

/// Shared state of a build: templates and the code highlighting cache.
pub struct Builder {
    /// The page templates. A `--templates` folder's are read by `new`, so
    /// that their errors are said once, before anything is built; the
    /// built-in ones (parsing them is about 8 M instructions) on first use:
    /// `build_all` reads them on one core while the decks load on the
    /// other.
    templates: OnceLock<std::result::Result<Templates, String>>,
    cache: RenderCache,
    /// Commit and uncommitted files, by deck folder: `git` runs once per
    /// folder, while decks load (see `build_all`).
    git: Mutex<HashMap<PathBuf, Git>>,
    /// What the last `build_all` call shared between its decks (files
    /// read, slides parsed), kept until the next call replaces it or the
    /// builder is dropped: so that a process about to exit can skip
    /// freeing it (cli/build.rs).
    last_call: Mutex<Option<(Arc<Files>, LoadOptions)>>,
    opts: BuildOptions,
}

impl Builder {
    pub fn new(opts: BuildOptions) -> Result<Builder> {
        let templates = OnceLock::new();
        if let Some(dir) = opts.templates.as_deref() {
            // A new cell: setting it cannot fail.
            let _ = templates.set(Ok(Templates::load(Some(dir))?));
        }
        Ok(Builder {
            templates,
            cache: RenderCache::new(),
            git: Mutex::new(HashMap::new()),
            last_call: Mutex::new(None),
            opts,
        })
    }

    /// Builds several manifests in parallel; one result per manifest, in order.
    /// Manifests whose outputs would overwrite each other (same file stem)
    /// fail, and nothing is written for them.
    pub fn build_all(&self, manifests: &[PathBuf]) -> Vec<Result<Built>> {
        let mut by_output: HashMap<String, Vec<&PathBuf>> = HashMap::new();
        for m in manifests {
            by_output.entry(output_name(m)).or_default().push(m);
        }
        // What only rendering needs is started on one core while the decks
        // load on the other: `git` (it answers while they load), then the
        // templates.
        let before_rendering = || {
            if let Ok(mut git) = self.git.lock() {
                for m in manifests {
                    let dir = crate::manifest::dir_of(m);
                    git.entry(dir)
                        .or_insert_with_key(|dir| Git::Running(GitQuery::start(dir)));
                }
            }
            // An error is said by each deck's build.
            let _ = self.templates();
        };
        // Chapters shared by decks are read once for the whole call, and
        // their slides lexed and parsed once.
        let files = Arc::new(Files::new());
        let load = self
            .opts
            .load
            .sharing(&files)
            .parsing(&Arc::new(Parses::default()));
        let build_each = || {
            manifests
                .par_iter()
                .map(|m| {
                    let same = &by_output[&output_name(m)];
                    if same.len() > 1 {
                        return Err(Error::SameOutput {
                            manifest: m.to_path_buf(),
                            output: self.opts.out_dir.join(output_name(m)),
                            others: same
                                .iter()
                                .filter(|o| **o != m)
                                .map(|o| o.to_path_buf())
                                .collect(),
                        });
                    }
                    self.build_with(m, &files, &load)
                })
                .collect()
        };
        let built = rayon::join(before_rendering, build_each).1;
        if let Ok(mut last) = self.last_call.lock() {
            *last = Some((files, load));
        }
        built
    }

    /// The page templates; the built-in ones are read on first use.
    fn templates(&self) -> Result<&Templates> {
        let loaded = self.templates.get_or_init(|| {
            Templates::load(None).map_err(|e| match e {
                Error::Template(message) => message,
                other => other.to_string(),
            })
        });
        loaded
            .as_ref()
            .map_err(|message| Error::Template(message.clone()))
    }

    /// Renders one manifest to HTML in memory (nothing written), reading
    /// its files afresh.
    pub fn render(&self, manifest: &Path) -> Result<(Deck, page::Page)> {
        let files = Arc::new(Files::new());
        self.render_with(manifest, &files, &self.opts.load.sharing(&files))
    }

    /// Renders `manifest`, loaded with `load` (whose files are `files`).
    fn render_with(
        &self,
        manifest: &Path,
        files: &Arc<Files>,
        load: &LoadOptions,
    ) -> Result<(Deck, page::Page)> {
        let deck = deck::load_strict(manifest, load)?;
        if deck.slides.is_empty() {
            return Err(Error::at(
                crate::error::Location::new(manifest, 1),
                "the deck has no slides (empty chapters, or every slide excluded)",
            ));
        }
        let dir = &deck.manifest.dir;
        let css_assets::Styles {
            texts: styles,
            assets,
            imported,
            diagnostics,
        } = css_assets::deck_styles(&deck, files, &self.opts.css);
        let (errors, warnings): (Vec<_>, Vec<_>) =
            diagnostics.into_iter().partition(|d| d.is_error());
        if let Some(d) = errors.into_iter().next() {
            return Err(d.into_error());
        }
        let build = self.build_info(dir);
        let mut page = page::render_page(
            &deck,
            self.templates()?,
            &self.cache,
            &PageOptions {
                styles,
                build,
                pack_slides_from: self.opts.pack_slides_from,
            },
        )?;
        // An image outside the repository root (a symlink to
        // `~/.kube/config`) is an error before anything is written; so is
        // one outside the deck's folder, which the output would not have.
        let gate = Confinement::new(&deck.root, files);
        for image in page.images.iter().filter(|i| crate::files::is_local(i)) {
            let src = crate::files::local_path(dir, image);
            let at = || image_location(&deck, image);
            if let Err(e) = gate.admit(files, &src) {
                return Err(Error::at(
                    at(),
                    format!("image `{image}` ({}): {e}", src.display()),
                ));
            }
            if crate::files::leaves_folder(Path::new(crate::files::local_file(image).as_ref())) {
                return Err(Error::at(
                    at(),
                    crate::files::outside_deck_message(image, dir),
                ));
            }
        }
        for asset in assets {
            match asset {
                css_assets::Asset::InDeck(rel) => page.images.push(rel),
                css_assets::Asset::Outside(file, rel) => page.extra_files.push((file, rel)),
            }
        }
        page.inputs = imported;
        page.warnings = warnings;
        Ok((deck, page))
    }

    /// Builds one manifest into `out_dir/<stem>.html`.
    pub fn build(&self, manifest: &Path) -> Result<Built> {
        let files = Arc::new(Files::new());
        self.build_with(manifest, &files, &self.opts.load.sharing(&files))
    }

    fn build_with(&self, manifest: &Path, files: &Arc<Files>, load: &LoadOptions) -> Result<Built> {
        let (deck, page) = self.render_with(manifest, files, load)?;
        let out_dir = &self.opts.out_dir;
        std::fs::create_dir_all(out_dir).map_err(|e| Error::io(out_dir, e))?;
        let output = out_dir.join(format!("{}.html", deck.manifest.stem()));
        crate::output::write_if_changed(&output, page.html.as_bytes())?;
        let mut images_copied = copy_images(&deck.manifest.dir, out_dir, &page.images)?;
        for (file, rel) in &page.extra_files {
            if copy_fresh(file, &out_dir.join(rel))? {
                images_copied += 1;
            }
        }
        Ok(Built {
            manifest: manifest.to_path_buf(),
            output,
            slides: deck.slides.len(),
            images_copied,
            warnings: page.warnings,
        })
    }

    fn build_info(&self, dir: &Path) -> BuildInfo {
        // Held while git finishes: a deck of the same folder waits for the
        // same answer.
        let Ok(mut git) = self.git.lock() else {
            return BuildInfo::from_git(dir);
        };
        let info = match git.remove(dir) {
            Some(Git::Done(info)) => info,
            Some(Git::Running(query)) => query.finish(),
            None => BuildInfo::from_git(dir),
        };
        git.insert(dir.to_path_buf(), Git::Done(info.clone()));
        info
    }
}

pub use crate::output::write_atomically;

/// A deck folder's git state: being asked, or known.
enum Git {
    Running(GitQuery),
    Done(BuildInfo),
}

/// Where the deck first writes `image` (the manifest when it cannot tell).
fn image_location(deck: &Deck, image: &str) -> crate::error::Location {
    deck.source
        .as_str()
        .find(image)
        .and_then(|offset| deck.source.report_location(offset))
        .map(|(at, _)| at)
        .unwrap_or_else(|| crate::error::Location::new(&deck.manifest.path, 1))
}

/// The file a manifest builds into (`<stem>.html`).
fn output_name(manifest: &Path) -> String {
    let stem = manifest
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    format!("{stem}.html")
}

/// Copies the local images a deck uses from its folder to the output folder,
/// keeping their relative paths. Missing images are left to `lint`; every
/// one passed the gate in `render_with`.
fn copy_images(from: &Path, to: &Path, images: &[String]) -> Result<usize> {
    let same = match (from.canonicalize(), to.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if same {
        return Ok(0);
    }
    let wanted: BTreeSet<&str> = images
        .iter()
        .map(String::as_str)
        .filter(|i| crate::files::is_local(i))
        .collect();
    let mut copied = 0;
    for image in wanted {
        // `a%20b.png` is the file `a b.png`, copied under that name: the
        // page's URL still names it.
        let file = crate::files::local_file(image);
        let rel = Path::new(file.as_ref());
        // Refused before anything was written (`render_with`).
        if crate::files::leaves_folder(rel) {
            continue;
        }
        if copy_fresh(&from.join(rel), &to.join(rel))? {
            copied += 1;
        }
    }
    Ok(copied)
}

/// Copies `src` to `dst` unless `dst` is already as new and as long (or
/// `src` is no file); whether it copied.
fn copy_fresh(src: &Path, dst: &Path) -> Result<bool> {
    // One look at each (the corpus's 14 decks ask for 514 copies of 133
    // images).
    let Ok(s) = src.metadata() else {
        return Ok(false);
    };
    if !s.is_file() {
        return Ok(false);
    }
    let fresh = match dst.metadata() {
        Ok(d) => match (s.modified(), d.modified()) {
            (Ok(sm), Ok(dm)) => dm >= sm && s.len() == d.len(),
            _ => false,
        },
        _ => false,
    };
    if fresh {
        return Ok(false);
    }
    if let Some(parent) = dst.parent() {
        std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
    }
    let bytes =
        crate::files::read_regular(src, crate::files::MAX_COPIED).map_err(|e| e.about(src))?;
    write_atomically(dst, &bytes)?;
    Ok(true)
}
