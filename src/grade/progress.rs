//! Where a student is in the deck: the exercise after the furthest one
//! passed, now or at any time before (the history).
//!
//! Not the first exercise never passed: later steps of a deck undo
//! earlier states (the sample deck cleans up), so a student who has moved
//! on fails earlier checks again and would look stuck at the start. The
//! board and a snapshot `grade` both place students by this one rule.

/// The index (in deck order) of the furthest exercise of `ids` that
/// `passed` says has passed, if any has.
pub fn furthest<'a>(
    ids: impl IntoIterator<Item = &'a str>,
    passed: impl Fn(&str) -> bool,
) -> Option<usize> {
    let mut last = None;
    for (i, id) in ids.into_iter().enumerate() {
        if passed(id) {
            last = Some(i);
        }
    }
    last
}

/// The exercise a student is on: the one after the furthest passed (the
/// first when none has), or `None` when the last one has passed.
pub fn on<'a>(ids: &[&'a str], passed: impl Fn(&str) -> bool) -> Option<&'a str> {
    let next = furthest(ids.iter().copied(), passed).map_or(0, |i| i.saturating_add(1));
    ids.get(next).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_student_ahead_is_on_the_exercise_after_the_furthest_pass() {
        let ids = ["create", "scale", "relabel", "cleanup"];
        // `create` fails again (the cleanup removed it), `relabel` passed.
        let passed = |id: &str| id == "relabel";
        assert_eq!(furthest(ids, passed), Some(2));
        assert_eq!(on(&ids, passed), Some("cleanup"));
        assert_eq!(on(&ids, |_| false), Some("create"));
        assert_eq!(on(&ids, |id| id == "cleanup"), None);
    }
}
