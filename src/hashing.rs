//! The hasher of the build's memo tables, whose keys are whole slides and
//! chapter pieces (megabytes per build): std's SipHash-1-3 took about 3% of
//! a corpus build's instructions hashing them. foldhash reads 16 bytes a
//! step and is seeded per process, so a deck still cannot choose keys that
//! collide (the reason std seeds its hasher).

/// A `BuildHasher` for `HashMap<K, V, Seeded>` (`HashMap::default()`).
pub(crate) type Seeded = foldhash::fast::RandomState;
