//! A concurrent memo table: each key is computed once, even when several
//! threads ask for it at the same time (the others wait for the result).
//! Decks of one build share chapters, and `--` steps repeat code, so the same
//! rendering is asked for many times.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, OnceLock};

pub struct Memo<K, V> {
    cells: Mutex<HashMap<K, Arc<OnceLock<V>>, crate::hashing::Seeded>>,
}

impl<K, V> Default for Memo<K, V> {
    fn default() -> Self {
        Memo {
            cells: Mutex::new(HashMap::default()),
        }
    }
}

impl<K: Hash + Eq, V: Clone> Memo<K, V> {
    /// The value for `key`, computing it with `make` the first time.
    pub fn get_or_compute(&self, key: K, make: impl FnOnce() -> V) -> V {
        let cell = match self.cells.lock() {
            Ok(mut cells) => cells.entry(key).or_default().clone(),
            // A poisoned lock only means another thread panicked: compute
            // without the cache.
            Err(_) => return make(),
        };
        cell.get_or_init(make).clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn computes_each_key_once_across_threads() {
        let memo: Memo<u32, u32> = Memo::default();
        let calls = AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| {
                    for k in 0..50 {
                        let v = memo.get_or_compute(k, || {
                            calls.fetch_add(1, Ordering::SeqCst);
                            k * 2
                        });
                        assert_eq!(v, k * 2);
                    }
                });
            }
        });
        assert_eq!(calls.load(Ordering::SeqCst), 50);
    }
}
