//! `--only ID` (repeatable), `--from ID` and `--upto ID`: which of a deck's
//! exercises `run`, `check` and `grade` work on. One rule for the three
//! commands: ids must exist (an unknown one is an error naming the deck's
//! ids), slide order is kept, `--from`/`--upto` bound the range (both
//! included) and `--only` keeps the named ones inside it.

use crate::error::{Error, Result};

/// What the user asked for.
#[derive(Debug, Clone, Default)]
pub struct Selection<'a> {
    pub only: &'a [String],
    pub from: Option<&'a str>,
    pub upto: Option<&'a str>,
}

/// The items of `items` (in order) that `selection` keeps; `id` gives an
/// item's exercise id.
pub fn select<T>(items: Vec<T>, id: impl Fn(&T) -> &str, selection: &Selection) -> Result<Vec<T>> {
    let ids: Vec<&str> = items.iter().map(&id).collect();
    let position = |wanted: &str| ids.iter().position(|i| *i == wanted);
    let unknown: Vec<&str> = selection
        .only
        .iter()
        .map(String::as_str)
        .chain(selection.from)
        .chain(selection.upto)
        .filter(|i| position(i).is_none())
        .collect();
    if !unknown.is_empty() {
        return Err(Error::UnknownExercise {
            unknown: unknown.iter().map(|s| (*s).to_owned()).collect(),
            known: ids.iter().map(|s| (*s).to_owned()).collect(),
        });
    }
    let first = selection.from.and_then(position).unwrap_or(0);
    let last = selection.upto.and_then(position).unwrap_or(usize::MAX);
    let keep: Vec<bool> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            i >= first
                && i <= last
                && (selection.only.is_empty() || selection.only.iter().any(|o| o == id))
        })
        .collect();
    Ok(items
        .into_iter()
        .zip(keep)
        .filter_map(|(item, k)| k.then_some(item))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(
        v: &[&str],
        only: &[&str],
        from: Option<&str>,
        upto: Option<&str>,
    ) -> Result<Vec<String>> {
        let only: Vec<String> = only.iter().map(|s| s.to_string()).collect();
        let items: Vec<String> = v.iter().map(|s| s.to_string()).collect();
        select(
            items,
            |s| s.as_str(),
            &Selection {
                only: &only,
                from,
                upto,
            },
        )
    }

    #[test]
    fn ranges_only_and_unknown_ids() {
        let d = ["a", "b", "c", "d"];
        assert_eq!(ids(&d, &[], None, None).unwrap(), ["a", "b", "c", "d"]);
        assert_eq!(ids(&d, &[], Some("b"), Some("c")).unwrap(), ["b", "c"]);
        assert_eq!(ids(&d, &["d", "a"], None, Some("c")).unwrap(), ["a"]);
        assert_eq!(ids(&d, &["c"], Some("b"), None).unwrap(), ["c"]);
        let e = ids(&d, &["x"], Some("y"), None).unwrap_err().to_string();
        assert!(e.contains("x, y") && e.contains("a, b, c, d"), "{e}");
    }
}
