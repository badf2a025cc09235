//! The hasher of the build's memo tables, whose keys are whole slides and
//! chapter pieces (megabytes per build), and of the tables looked up for
//! every file or slide (files read, paths resolved, slides' file names):
//! std's SipHash-1-3 took about 3% of a corpus build's instructions hashing
//! the first, 1% the others. foldhash reads 16 bytes a
//! step and is seeded per process, so a deck still cannot choose keys that
//! collide (the reason std seeds its hasher).

/// A `BuildHasher` for `HashMap<K, V, Seeded>` (`HashMap::default()`).
pub(crate) type Seeded = foldhash::fast::RandomState;
