//! When each student first passed each exercise, kept in a file of JSON
//! lines so that `grade --serve` can be stopped and started again during a
//! class without losing a minute of it.
//!
//! Append-only: one line per first pass, written whole with one `write` and
//! flushed. A last line cut short by a crash is ignored (with a warning);
//! anything else unreadable is an error naming the file and line, so a
//! wrong `--history` path is never silently overwritten.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Location, Result};

/// One first pass.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub student: String,
    pub exercise: String,
    /// Milliseconds since the Unix epoch.
    pub passed_at_ms: u64,
    /// The same instant for people (RFC 3339, UTC).
    pub passed_at: String,
}

pub struct History {
    path: PathBuf,
    file: Mutex<File>,
    first: Mutex<BTreeMap<(String, String), u64>>,
}

impl History {
    /// Reads `path` if it exists, and appends to it from now on.
    /// Returns the history and any warning about its last line.
    pub fn open(path: &Path) -> Result<(History, Option<String>)> {
        let mut first = BTreeMap::new();
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
                    Ok(e) => {
                        first
                            .entry((e.student, e.exercise))
                            .and_modify(|t: &mut u64| *t = (*t).min(e.passed_at_ms))
                            .or_insert(e.passed_at_ms);
                    }
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
                first: Mutex::new(first),
            },
            warning,
        ))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// When `student` first passed `exercise`, if ever.
    pub fn first_pass(&self, student: &str, exercise: &str) -> Option<u64> {
        self.first
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&(student.to_string(), exercise.to_string()))
            .copied()
    }

    /// Every first pass known, keyed by (student, exercise).
    pub fn all(&self) -> BTreeMap<(String, String), u64> {
        self.first.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Records a pass at `at_ms`; returns the first-pass time (the earlier
    /// one if there was one already). Only a new first pass is written.
    pub fn record(&self, student: &str, exercise: &str, at_ms: u64) -> Result<u64> {
        let key = (student.to_string(), exercise.to_string());
        let mut first = self.first.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(t) = first.get(&key) {
            return Ok(*t);
        }
        let entry = Entry {
            student: key.0.clone(),
            exercise: key.1.clone(),
            passed_at_ms: at_ms,
            passed_at: rfc3339(at_ms),
        };
        let mut line = serde_json::to_vec(&entry).map_err(|e| Error::Other(e.to_string()))?;
        line.push(b'\n');
        {
            let mut f = self.file.lock().unwrap_or_else(|e| e.into_inner());
            f.write_all(&line).map_err(|e| Error::io(&self.path, e))?;
            f.flush().map_err(|e| Error::io(&self.path, e))?;
        }
        first.insert(key, at_ms);
        Ok(at_ms)
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
        report.recount();
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
        Ok(())
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
