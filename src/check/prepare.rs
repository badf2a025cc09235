//! What `check`, `grade` and `serve` hand to the engine: the deck's
//! exercises narrowed by `--only/--from/--upto` ([`crate::selection`], the
//! rule `run` uses too), every selected check parsed before any cluster is
//! contacted, and the selected exercises that have no check. One rule for
//! the commands: a check that does not parse stops them all, and so does
//! `--only` naming an exercise without a check.

use crate::error::Error;
use crate::exercise::Exercise;
use crate::selection::{self, Selection};

use super::engine::{self, Plan};

/// The selected exercises, ready for the engine.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The exercises with a check, in slide order.
    pub plans: Vec<Plan>,
    /// Ids of the selected exercises without a check.
    pub unchecked: Vec<String>,
}

/// Why nothing can be checked.
#[derive(Debug, thiserror::Error)]
pub enum PrepareError {
    /// `--only`, `--from` or `--upto` named an id the deck does not have.
    #[error("{0}")]
    Selection(Error),
    /// `--only` named an exercise that has no check.
    #[error("exercise {0:?} has no check")]
    NoCheck(String),
    /// These checks do not parse (every one found).
    #[error("{} check(s) do not parse", .0.len())]
    Checks(Vec<Error>),
    /// None of the selected exercises has a check (for commands that need
    /// one: see [`Prepared::require_checks`]).
    #[error("none of the selected exercises has a check")]
    NothingToCheck,
}

impl PrepareError {
    /// The command line is at fault (an id `--only/--from/--upto` named),
    /// not the deck: exit status [`crate::exit::USAGE`], else
    /// [`crate::exit::BAD_INPUT`].
    pub fn is_usage(&self) -> bool {
        matches!(self, PrepareError::Selection(_) | PrepareError::NoCheck(_))
    }
}

/// The exercises `selection` keeps, their checks parsed.
pub fn prepare(exercises: Vec<Exercise>, selection: &Selection) -> Result<Prepared, PrepareError> {
    let selected = selection::select(exercises, |e| e.id.as_str(), selection)
        .map_err(PrepareError::Selection)?;
    let unchecked: Vec<String> = selected
        .iter()
        .filter(|e| e.check.is_none())
        .map(|e| e.id.clone())
        .collect();
    if let Some(id) = selection.only.iter().find(|id| unchecked.contains(id)) {
        return Err(PrepareError::NoCheck(id.clone()));
    }
    let plans = engine::plans(&selected).map_err(PrepareError::Checks)?;
    Ok(Prepared { plans, unchecked })
}

impl Prepared {
    /// For commands with nothing to do without a check (`grade`).
    pub fn require_checks(self) -> Result<Prepared, PrepareError> {
        if self.plans.is_empty() {
            Err(PrepareError::NothingToCheck)
        } else {
            Ok(self)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exercise::CheckSource;

    fn exercise(id: &str, check: Option<&str>) -> Exercise {
        Exercise {
            id: id.into(),
            file: "k8s/x.md".into(),
            line: 1,
            slide: 1,
            slide_name: None,
            title: id.into(),
            commands: Vec::new(),
            steps: Vec::new(),
            check: check.map(|yaml| CheckSource {
                yaml: yaml.into(),
                file: "k8s/x.md".into(),
                line: 2,
            }),
        }
    }

    fn only(ids: &[&str]) -> Vec<String> {
        ids.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn selects_parses_and_lists_the_unchecked() {
        let deck = || {
            vec![
                exercise("a", Some("expect:\n- kind: pods\n  count: 1\n")),
                exercise("b", None),
                exercise("c", Some("expect:\n- kind: pods\n  count: 0\n")),
            ]
        };
        let all = prepare(deck(), &Selection::default()).unwrap();
        let ids: Vec<&str> = all.plans.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, ["a", "c"]);
        assert_eq!(all.unchecked, ["b"]);

        let upto = prepare(
            deck(),
            &Selection {
                upto: Some("b"),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(upto.plans.len(), 1);

        let o = only(&["b"]);
        let e = prepare(
            deck(),
            &Selection {
                only: &o,
                ..Default::default()
            },
        )
        .unwrap_err();
        assert!(matches!(&e, PrepareError::NoCheck(id) if id == "b"), "{e}");

        let o = only(&["zz"]);
        let e = prepare(
            deck(),
            &Selection {
                only: &o,
                ..Default::default()
            },
        )
        .unwrap_err();
        assert!(matches!(e, PrepareError::Selection(_)), "{e}");

        let none = prepare(vec![exercise("b", None)], &Selection::default()).unwrap();
        assert!(matches!(
            none.require_checks(),
            Err(PrepareError::NothingToCheck)
        ));
    }

    #[test]
    fn every_broken_check_is_reported() {
        let e = prepare(
            vec![
                exercise("a", Some("expect: [")),
                exercise("b", Some("nonsense: 1\n")),
            ],
            &Selection::default(),
        )
        .unwrap_err();
        match e {
            PrepareError::Checks(errors) => assert_eq!(errors.len(), 2),
            other => panic!("{other}"),
        }
    }
}
