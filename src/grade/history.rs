//! When each student first passed each exercise, kept in a file of JSON
//! lines so that `grade --serve` can be stopped and started again during a
//! class without losing a minute of it.
//!
//! Append-only: one line per first pass, written whole with one `write` and
//! flushed. A last line cut short by a crash is ignored (with a warning);
//! anything else unreadable is an error naming the file and line, so a
//! wrong `--history` path is never silently overwritten.
//!
//! Besides first passes (lines without `kind`, as older files have them)
//! it keeps what the stuck clock counts from: when the board first saw a
//! student (`kind: joined`), so a student with no pass is not "new" again
//! after a restart, and when the instructor marked a student helped
//! (`kind: helped`, the latest counts).

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Location, Result};

/// What a line of the history says happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// `student` first passed `exercise` (lines without `kind`).
    #[default]
    Pass,
    /// The board first saw `student` (no exercise).
    Joined,
    /// The instructor marked `student` helped (no exercise).
    Helped,
}

impl Kind {
    fn is_pass(&self) -> bool {
        *self == Kind::Pass
    }
}

/// One line: a first pass, or a student joined or helped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    #[serde(default, skip_serializing_if = "Kind::is_pass")]
    pub kind: Kind,
    pub student: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub exercise: String,
    /// Milliseconds since the Unix epoch (of the pass, or of the event).
    pub passed_at_ms: u64,
    /// The same instant for people (RFC 3339, UTC).
    pub passed_at: String,
}

#[derive(Default)]
struct Known {
    /// First pass, by (student, exercise).
    first: BTreeMap<(String, String), u64>,
    /// When the board first saw each student.
    joined: BTreeMap<String, u64>,
    /// The latest "helped" of each student.
    helped: BTreeMap<String, u64>,
}

pub struct History {
    path: PathBuf,
    file: Mutex<File>,
    known: Mutex<Known>,
}

impl History {
    /// Reads `path` if it exists, and appends to it from now on.
    /// Returns the history and any warning about its last line.
    pub fn open(path: &Path) -> Result<(History, Option<String>)> {
        let mut known = Known::default();
        let mut warning = None;
        // Where the good lines end: a last line cut short is cut off, so the
        // next line appended starts on a line of its own.
        let mut keep = None;
        if path.exists() {
            let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
            let mut offset = 0usize;
            let count = text.split_inclusive('\n').count();
            for (n, line) in text.split_inclusive('\n').enumerate() {
                let start = offset;
                offset += line.len();
                if line.trim().is_empty() {
                    continue;
                }
                match serde_json::from_str::<Entry>(line.trim_end()) {
                    Ok(e) if e.passed_at_ms > LAST_MS => {
                        return Err(Error::at(
                            Location::new(path, n + 1),
                            format!(
                                "passed_at_ms {} is after the year 9999 (RFC 3339 ends there)",
                                e.passed_at_ms
                            ),
                        ));
                    }
                    Ok(e) => known.add(e),
                    Err(e) if n + 1 == count && !line.ends_with('\n') => {
                        warning = Some(format!(
                            "{}: dropping a last line cut short ({e})",
                            Location::new(path, n + 1)
                        ));
                        keep = Some(start as u64);
                    }
                    Err(e) => {
                        return Err(Error::at(
                            Location::new(path, n + 1),
                            format!("not a labdeck grade history line: {e}"),
                        ));
                    }
                }
            }
        }
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| Error::io(path, e))?;
        if let Some(len) = keep {
            file.set_len(len).map_err(|e| Error::io(path, e))?;
        }
        Ok((
            History {
                path: path.to_path_buf(),
                file: Mutex::new(file),
                known: Mutex::new(known),
            },
            warning,
        ))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn known(&self) -> std::sync::MutexGuard<'_, Known> {
        self.known.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// When `student` first passed `exercise`, if ever.
    pub fn first_pass(&self, student: &str, exercise: &str) -> Option<u64> {
        self.known()
            .first
            .get(&(student.to_string(), exercise.to_string()))
            .copied()
    }

    /// Every first pass known, keyed by (student, exercise).
    pub fn all(&self) -> BTreeMap<(String, String), u64> {
        self.known().first.clone()
    }

    /// When the board first saw `student`, if it has.
    pub fn joined_at(&self, student: &str) -> Option<u64> {
        self.known().joined.get(student).copied()
    }

    /// When `student` was last marked helped, if ever.
    pub fn helped_at(&self, student: &str) -> Option<u64> {
        self.known().helped.get(student).copied()
    }

    /// Writes one line whole (one `write`), then flushes.
    fn append(&self, entry: &Entry) -> Result<()> {
        let mut line = serde_json::to_vec(entry).map_err(|cause| Error::HistoryEntry {
            path: self.path.clone(),
            cause,
        })?;
        line.push(b'\n');
        let mut f = self.file.lock().unwrap_or_else(|e| e.into_inner());
        f.write_all(&line).map_err(|e| Error::io(&self.path, e))?;
        f.flush().map_err(|e| Error::io(&self.path, e))
    }

    /// Records a pass at `at_ms`; returns the first-pass time (the earlier
    /// one if there was one already). Only a new first pass is written.
    pub fn record(&self, student: &str, exercise: &str, at_ms: u64) -> Result<u64> {
        let key = (student.to_string(), exercise.to_string());
        let mut known = self.known();
        if let Some(t) = known.first.get(&key) {
            return Ok(*t);
        }
        self.append(&Entry::new(Kind::Pass, student, exercise, at_ms))?;
        known.first.insert(key, at_ms);
        Ok(at_ms)
    }

    /// Records that the board saw `student` at `at_ms`, unless it had
    /// before; returns when it first did.
    pub fn join(&self, student: &str, at_ms: u64) -> Result<u64> {
        let mut known = self.known();
        if let Some(t) = known.joined.get(student) {
            return Ok(*t);
        }
        self.append(&Entry::new(Kind::Joined, student, "", at_ms))?;
        known.joined.insert(student.to_string(), at_ms);
        Ok(at_ms)
    }

    /// Records that the instructor helped `student` at `at_ms`.
    pub fn help(&self, student: &str, at_ms: u64) -> Result<u64> {
        let mut known = self.known();
        self.append(&Entry::new(Kind::Helped, student, "", at_ms))?;
        known.add(Entry::new(Kind::Helped, student, "", at_ms));
        Ok(at_ms)
    }
}

impl Entry {
    fn new(kind: Kind, student: &str, exercise: &str, at_ms: u64) -> Entry {
        Entry {
            kind,
            student: student.to_string(),
            exercise: exercise.to_string(),
            passed_at_ms: at_ms,
            passed_at: rfc3339(at_ms),
        }
    }
}

impl Known {
    /// Takes one line in: the earliest pass and join, the latest help.
    fn add(&mut self, e: Entry) {
        let at = e.passed_at_ms;
        match e.kind {
            Kind::Pass => {
                self.first
                    .entry((e.student, e.exercise))
                    .and_modify(|t| *t = (*t).min(at))
                    .or_insert(at);
            }
            Kind::Joined => {
                self.joined
                    .entry(e.student)
                    .and_modify(|t| *t = (*t).min(at))
                    .or_insert(at);
            }
            Kind::Helped => {
                self.helped
                    .entry(e.student)
                    .and_modify(|t| *t = (*t).max(at))
                    .or_insert(at);
            }
        }
    }
}

impl History {
    /// Records this report's passes (at `at_ms`) and writes every known
    /// first-pass time into it (`first_passed` of each student), so that
    /// `grade --history FILE --format csv|json` carries the times.
    /// A cleanup held back for want of its prerequisite this round counts
    /// if the history has the prerequisite passed ([`crate::check::vacuous`]).
    pub fn stamp(
        &self,
        plans: &[crate::check::engine::Plan],
        report: &mut crate::grade::report::GradeReport,
        at_ms: u64,
    ) -> Result<()> {
        for c in &mut report.clusters {
            let before = |id: &str| self.first_pass(&c.name, id).is_some();
            crate::check::vacuous::gate(plans, &mut c.results, before);
            c.summary = crate::report::Summary::of(&c.results);
        }
        report.recount(plans);
        for c in &mut report.clusters {
            for r in &c.results {
                let first = if r.verdict == crate::check::engine::Verdict::Pass {
                    Some(self.record(&c.name, &r.id, at_ms)?)
                } else {
                    self.first_pass(&c.name, &r.id)
                };
                if let Some(t) = first {
                    c.first_passed.insert(r.id.clone(), rfc3339(t));
                }
            }
        }
        // Where each student is, now that the history's passes are in.
        report.recount(plans);
        Ok(())
    }
}

/// Whose history a board keeps: a class named with `--class NAME`, or
/// the kubeconfigs' folder (the kubeconfig file for `--contexts`), by its
/// canonical path. Two classes graded from one folder keep two histories.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Class {
    /// Part of the default history file's name: the name, or the folder's
    /// name and a hash of its canonical path (`students-1f2e3d4c`).
    pub key: String,
    /// For people: `class ops-2 (--class)`, `kubeconfigs /srv/class-a`.
    pub about: String,
}

impl Class {
    /// `--class NAME`: 1 to 64 of `A-Z a-z 0-9 . _ -`, not starting with
    /// a dot (it names a file).
    pub fn named(name: &str) -> Result<Class> {
        let ok = (1..=64).contains(&name.len())
            && !name.starts_with('.')
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        if !ok {
            return Err(Error::ClassName(name.to_owned()));
        }
        Ok(Class {
            key: name.to_string(),
            about: format!("class {name}"),
        })
    }

    /// The class whose kubeconfigs are at `path` (a folder, or one file).
    pub fn of_path(path: &Path) -> Result<Class> {
        let full = std::fs::canonicalize(path).map_err(|e| Error::io(path, e))?;
        let base: String = full
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .take(32)
            .collect();
        let hash = crate::render::fnv::fnv1a64(full.as_os_str().as_encoded_bytes());
        Ok(Class {
            key: format!(
                "{}-{:08x}",
                if base.is_empty() {
                    "class"
                } else {
                    base.as_str()
                },
                hash >> 32
            ),
            about: format!("kubeconfigs {}", full.display()),
        })
    }
}

/// The last instant RFC 3339 can write (9999-12-31T23:59:59.999Z), in
/// milliseconds since the epoch: its years have four digits (RFC 3339 §5.6
/// `date-fullyear = 4DIGIT`), and humantime's `format_rfc3339` panics past it.
pub const LAST_MS: u64 = 253_402_300_799_999;

/// `at_ms` (since the epoch) as RFC 3339 UTC, to the second; times past
/// the year 9999 (which a history file may claim) are written as its last second.
pub fn rfc3339(at_ms: u64) -> String {
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_millis(at_ms.min(LAST_MS));
    crate::duration::rfc3339(t)
}

/// Now, in milliseconds since the epoch.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(crate::duration::millis)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn survives_a_restart_and_keeps_the_first_time() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("h.jsonl");
        {
            let (h, w) = History::open(&path).unwrap();
            assert!(w.is_none());
            assert_eq!(h.record("ana", "relabel", 1_000).unwrap(), 1_000);
            assert_eq!(h.record("ana", "relabel", 5_000).unwrap(), 1_000);
            h.record("bo", "create", 2_000).unwrap();
        }
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 2, "{text}");
        let (h, _) = History::open(&path).unwrap();
        assert_eq!(h.first_pass("ana", "relabel"), Some(1_000));
        assert_eq!(h.first_pass("bo", "create"), Some(2_000));
        assert_eq!(h.first_pass("bo", "relabel"), None);
    }

    #[test]
    fn joins_and_helps_survive_a_restart_and_older_files_still_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("h.jsonl");
        // A file from before `kind` existed: every line a pass.
        let old =
            r#"{"student":"a","exercise":"x","passed_at_ms":5,"passed_at":"1970-01-01T00:00:00Z"}"#;
        std::fs::write(&path, format!("{old}\n")).unwrap();
        {
            let (h, _) = History::open(&path).unwrap();
            assert_eq!(h.first_pass("a", "x"), Some(5));
            assert_eq!(h.join("bo", 1_000).unwrap(), 1_000);
            assert_eq!(h.join("bo", 9_000).unwrap(), 1_000, "the first join counts");
            h.help("bo", 2_000).unwrap();
            h.help("bo", 3_000).unwrap();
        }
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 4, "{text}");
        assert!(text.contains(r#""kind":"joined""#), "{text}");
        let (h, w) = History::open(&path).unwrap();
        assert!(w.is_none());
        assert_eq!(h.joined_at("bo"), Some(1_000));
        assert_eq!(h.helped_at("bo"), Some(3_000), "the latest help counts");
        assert_eq!(h.joined_at("a"), None);
        assert_eq!(h.first_pass("bo", ""), None, "a join is not a pass");
    }

    #[test]
    fn a_class_is_keyed_by_its_name_or_its_folders_full_path() {
        let root = tempfile::tempdir().unwrap();
        let (a, b) = (root.path().join("a"), root.path().join("b"));
        std::fs::create_dir_all(a.join("x")).unwrap();
        std::fs::create_dir_all(&b).unwrap();
        let ka = Class::of_path(&a).unwrap();
        assert!(ka.key.starts_with("a-"), "{ka:?}");
        assert_ne!(ka.key, Class::of_path(&b).unwrap().key);
        // The same folder however written.
        assert_eq!(ka, Class::of_path(&a.join("x").join("..")).unwrap());
        assert_eq!(Class::named("tue-2.b_c").unwrap().key, "tue-2.b_c");
        for bad in ["", ".hidden", "a/b", "../x", "a b", &"x".repeat(65)] {
            let err = Class::named(bad).unwrap_err().to_string();
            assert!(err.contains("--class"), "{err}");
        }
    }

    #[test]
    fn a_cut_last_line_is_a_warning_anything_else_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("h.jsonl");
        let good =
            r#"{"student":"a","exercise":"x","passed_at_ms":5,"passed_at":"1970-01-01T00:00:00Z"}"#;
        std::fs::write(&path, format!("{good}\n{{\"student\":\"b\",\"exe")).unwrap();
        let (h, w) = History::open(&path).unwrap();
        assert!(w.unwrap().contains("h.jsonl:2"));
        assert_eq!(h.first_pass("a", "x"), Some(5));
        h.record("c", "y", 9).unwrap();
        drop(h);
        let (h, w) = History::open(&path).unwrap();
        assert!(w.is_none());
        assert_eq!(h.first_pass("c", "y"), Some(9));
        std::fs::write(&path, format!("garbage\n{good}\n")).unwrap();
        let err = History::open(&path).err().unwrap().to_string();
        assert!(err.contains("h.jsonl:1"), "{err}");
    }

    #[test]
    fn a_first_pass_after_the_year_9999_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("h.jsonl");
        let late =
            r#"{"student":"a","exercise":"x","passed_at_ms":253402300800000,"passed_at":"x"}"#;
        std::fs::write(&path, format!("{late}\n")).unwrap();
        let err = History::open(&path).err().unwrap().to_string();
        assert!(err.contains("h.jsonl:1") && err.contains("9999"), "{err}");
        assert_eq!(rfc3339(u64::MAX), "9999-12-31T23:59:59Z");
        assert_eq!(rfc3339(LAST_MS), "9999-12-31T23:59:59Z");
    }
}
