//! `labdeck checks suggest`: draft checks for decks that have none, inferred
//! from the commands on the slides.
//!
//! Writing a check for each of a deck's hundreds of exercises by hand is
//! what keeps decks unchecked; labdeck already reads every command of every
//! exercise, so it can propose the checks for an author to review. This
//! module plays a deck's commands in order against a model of the expected
//! cluster state ([`model`]): shell text is split as bash would
//! ([`crate::shell`]), kubectl and helm arguments are read with the flags those
//! tools have ([`interpret`]), manifests are read from the repository or
//! from here-documents ([`manifests`]). The check for exercise N describes
//! what exercise N changed, as the state stands after it (what a later
//! exercise deletes is expected gone from then on). Commands whose effect
//! cannot be known from the text are reported with a reason instead of a
//! guess.
//!
//! The output is a checks overlay (the `--checks FILE` format, one entry
//! per exercise id), each entry annotated with the commands and file:line
//! it comes from.

pub mod interpret;
pub mod manifests;
pub mod model;
pub mod sed;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::deck::{Deck, LoadOptions};
use crate::exercise::Exercise;
use crate::shell::parse as shell;
use interpret::{Interp, Outcome, Reason, Skip, Touch};
use model::Draft;

/// Where a command comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The command as written (continuations joined).
    pub text: String,
    pub file: PathBuf,
    pub line: usize,
}

/// What was inferred for one exercise.
#[derive(Debug, Clone)]
pub struct Suggestion {
    pub id: String,
    pub file: PathBuf,
    pub line: usize,
    /// The slides already carry a check for it.
    pub has_check: bool,
    /// The commands that change the cluster and were followed.
    pub followed: Vec<Origin>,
    /// The commands that change the cluster and could not be followed.
    pub skipped: Vec<(Origin, Skip)>,
    /// The draft check (`None` when nothing could be inferred).
    pub check: Option<DraftCheck>,
}

impl Suggestion {
    /// Whether the exercise changes the cluster (followed or not).
    pub fn changes_state(&self) -> bool {
        !self.followed.is_empty() || !self.skipped.is_empty()
    }
}

/// A draft check: timeout and expectations.
#[derive(Debug, Clone, PartialEq)]
pub struct DraftCheck {
    pub timeout: &'static str,
    pub expect: Vec<Draft>,
}

/// Suggestions for every exercise of a deck, in deck order.
#[derive(Debug, Clone)]
pub struct Report {
    pub exercises: Vec<Suggestion>,
}

/// Coverage figures: of the exercises that change the cluster, how many get
/// a suggestion, how many are skipped, and why.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Coverage {
    pub exercises: usize,
    pub changing: usize,
    pub suggested: usize,
    /// Suggested, but some of their commands were skipped.
    pub partial: usize,
    pub skipped: usize,
    /// Skipped exercises by the reason of their first skipped command.
    pub reasons: BTreeMap<Reason, usize>,
}

/// The deck and its exercises as `checks suggest` reads them: a deck with
/// any error (an unclosed `.exercise[`, shown as text by remark so that
/// its exercise vanishes; a missing chapter; two exercises with one id...)
/// is refused at its file:line, as `run` refuses it. A checks file drafted
/// from it would lack exercises without a word, and `--out` would replace
/// a reviewed one with it (issue 26).
pub fn load(path: &Path, opts: &LoadOptions) -> crate::error::Result<(Deck, Vec<Exercise>)> {
    let deck = crate::deck::load_strict(path, opts)?;
    let exercises = crate::exercise::extract_strict(&deck)?;
    Ok((deck, exercises))
}

/// Plays the deck's exercises in order and drafts a check for each one that
/// changes the cluster.
pub fn suggest(deck: &Deck, exercises: &[Exercise]) -> Report {
    let mut interp = Interp::new(&deck.root);
    let mut out = Vec::new();
    for ex in exercises {
        out.push(suggest_one(&mut interp, ex));
    }
    Report { exercises: out }
}

/// Fenced blocks that `labdeck run` types into the shell (the run plan's
/// rule: a block without a language is output, not a command).
fn is_shell(lang: Option<&str>) -> bool {
    lang.is_some_and(|l| crate::shell::SHELL_LANGS.contains(&l))
}

fn suggest_one(interp: &mut Interp, ex: &Exercise) -> Suggestion {
    let mut followed = Vec::new();
    let mut skipped = Vec::new();
    let mut touched: Vec<Touch> = Vec::new();
    for step in &ex.steps {
        // Visible blocks start the line after their fence; hidden ones at `line`.
        let first_line = match step.directive.as_deref() {
            None if is_shell(step.lang.as_deref()) => step.line + 1,
            Some("bash" | "hide") => step.line,
            _ => continue,
        };
        let commands = match shell::parse(&step.text) {
            Ok(c) => c,
            Err(e) => {
                skipped.push((
                    Origin {
                        text: step
                            .text
                            .lines()
                            .nth(e.line)
                            .unwrap_or("")
                            .trim()
                            .to_string(),
                        file: ex.file.clone(),
                        line: first_line + e.line,
                    },
                    Skip {
                        reason: Reason::Unparsable,
                        detail: e.message,
                    },
                ));
                continue;
            }
        };
        for cmd in &commands {
            let origin = Origin {
                text: cmd.text.clone(),
                file: ex.file.clone(),
                line: first_line + cmd.line,
            };
            match interp.command(cmd) {
                Outcome::ReadOnly => {}
                Outcome::Changed(t) => {
                    followed.push(origin);
                    for x in t {
                        if !touched.contains(&x) {
                            touched.push(x);
                        }
                    }
                }
                Outcome::Skipped(s) => skipped.push((origin, s)),
            }
        }
    }
    let expect = describe(interp, &touched);
    let timeout = if expect
        .iter()
        .any(|e| e.ready == Some(true) || e.kind == "Pod")
    {
        "2m"
    } else {
        "30s"
    };
    Suggestion {
        id: ex.id.clone(),
        file: ex.file.clone(),
        line: ex.line,
        has_check: ex.check.is_some(),
        followed,
        skipped,
        check: (!expect.is_empty()).then_some(DraftCheck { timeout, expect }),
    }
}

/// The expectations for what an exercise touched, as the state stands now.
fn describe(interp: &Interp, touched: &[Touch]) -> Vec<Draft> {
    let mut out: Vec<Draft> = Vec::new();
    let push = |d: Draft, out: &mut Vec<Draft>| {
        if !out.contains(&d) {
            out.push(d);
        }
    };
    for t in touched {
        match t {
            Touch::Object(key) => {
                let drafts = match (interp.state.objects.get(key), interp.state.gone.get(key)) {
                    (Some(o), _) => o.expectations(),
                    (None, Some(o)) => o.gone(),
                    (None, None) => Vec::new(),
                };
                for d in drafts {
                    push(d, &mut out);
                }
            }
            Touch::Selection {
                kind,
                namespace,
                selector,
                count,
            } => {
                let mut d = Draft::new(kind);
                d.namespace = namespace.clone();
                d.selector = (!selector.is_empty()).then(|| selector.clone());
                d.count = Some((*count).to_string());
                push(d, &mut out);
            }
            Touch::HelmRelease {
                namespace,
                name,
                present,
            } => {
                let mut d = Draft::new("Secret");
                d.namespace = namespace.clone();
                if *present {
                    d.selector = Some(format!("owner=helm,name={name},status=deployed"));
                    d.count = Some("1".into());
                    d.matches = Some(serde_json::json!({"type": "helm.sh/release.v1"}));
                } else {
                    d.selector = Some(format!("owner=helm,name={name}"));
                    d.count = Some("0".into());
                }
                push(d, &mut out);
            }
        }
    }
    out
}

impl Report {
    /// Coverage over the exercises that change the cluster.
    pub fn coverage(&self) -> Coverage {
        let mut c = Coverage {
            exercises: self.exercises.len(),
            ..Coverage::default()
        };
        for s in &self.exercises {
            if !s.changes_state() {
                continue;
            }
            c.changing += 1;
            if s.check.is_some() {
                c.suggested += 1;
                if !s.skipped.is_empty() {
                    c.partial += 1;
                }
            } else {
                c.skipped += 1;
                if let Some((_, skip)) = s.skipped.first() {
                    *c.reasons.entry(skip.reason).or_default() += 1;
                }
            }
        }
        c
    }

    /// The overlay file: one entry per exercise that changes the cluster
    /// (those with a check in the slides only with `include_checked`: an
    /// overlay entry replaces the slide's check), skipped ones as comments.
    pub fn render(&self, deck_name: &str, include_checked: bool) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "# labdeck checks suggest: draft checks for {deck_name}");
        let _ = writeln!(
            s,
            "# Inferred from the commands on the slides: review each one before use."
        );
        let _ = writeln!(
            s,
            "# Use with: labdeck run|check|grade {deck_name} --checks THIS-FILE"
        );
        for e in &self.exercises {
            if !e.changes_state() || (e.has_check && !include_checked) {
                continue;
            }
            s.push('\n');
            let _ = writeln!(s, "# {} ({}:{})", e.id, e.file.display(), e.line);
            for o in &e.followed {
                let _ = writeln!(
                    s,
                    "#   {}  ({}:{})",
                    one_line(&o.text),
                    o.file.display(),
                    o.line
                );
            }
            for (o, skip) in &e.skipped {
                let _ = writeln!(
                    s,
                    "#   skipped [{}] {}  ({}:{}): {}",
                    skip.reason.as_str(),
                    one_line(&o.text),
                    o.file.display(),
                    o.line,
                    one_line(&skip.detail)
                );
            }
            match &e.check {
                Some(c) => {
                    let _ = writeln!(s, "{}:", yaml_key(&e.id));
                    let _ = writeln!(s, "  timeout: {}", c.timeout);
                    let _ = writeln!(s, "  expect:");
                    for d in &c.expect {
                        render_draft(&mut s, d);
                    }
                }
                None => {
                    let _ = writeln!(s, "#   no suggestion: nothing could be inferred");
                }
            }
        }
        s
    }

    /// The skipped commands, one line each (for stderr).
    pub fn skipped_lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        for e in &self.exercises {
            for (o, skip) in &e.skipped {
                out.push(format!(
                    "{}:{}: {} [{}]: {} ({})",
                    o.file.display(),
                    o.line,
                    e.id,
                    skip.reason.as_str(),
                    one_line(&skip.detail),
                    one_line(&o.text)
                ));
            }
        }
        out
    }
}

/// A draft check as the YAML of a `<!-- check -->` body.
pub fn check_yaml(c: &DraftCheck) -> String {
    let mut s = format!("timeout: {}\nexpect:\n", c.timeout);
    for d in &c.expect {
        let mut one = String::new();
        render_draft(&mut one, d);
        // Entries are written for a map value (indented by 2): outdent.
        for line in one.lines() {
            s.push_str(line.strip_prefix("  ").unwrap_or(line));
            s.push('\n');
        }
    }
    s
}

fn one_line(s: &str) -> String {
    let first = s.lines().next().unwrap_or("");
    let more = s.lines().count() > 1;
    let mut t: String = first.chars().take(160).collect();
    if more || first.chars().count() > 160 {
        t.push_str(" ...");
    }
    t
}

fn render_draft(s: &mut String, d: &Draft) {
    let _ = writeln!(s, "    - kind: {}", scalar(&Value::String(d.kind.clone())));
    let field = |s: &mut String, k: &str, v: &str| {
        let _ = writeln!(s, "      {k}: {}", scalar(&Value::String(v.to_string())));
    };
    if let Some(ns) = &d.namespace {
        field(s, "namespace", ns);
    }
    if let Some(n) = &d.name {
        field(s, "name", n);
    }
    if let Some(sel) = &d.selector {
        field(s, "selector", sel);
    }
    if let Some(r) = d.ready {
        let _ = writeln!(s, "      ready: {r}");
    }
    if let Some(o) = &d.owner {
        field(s, "owner", o);
    }
    if let Some(m) = &d.matches {
        let _ = writeln!(s, "      match:");
        yaml_block(s, m, 8);
    }
    if !d.r#where.is_empty() {
        let _ = writeln!(s, "      where:");
        for w in &d.r#where {
            let _ = writeln!(s, "        - {}", scalar(&Value::String(w.clone())));
        }
    }
    if let Some(c) = &d.count {
        // A plain number reads as one; `>=1` needs quotes.
        if c.parse::<u64>().is_ok() {
            let _ = writeln!(s, "      count: {c}");
        } else {
            field(s, "count", c);
        }
    }
}

/// A map key: plain when safe, quoted otherwise.
fn yaml_key(k: &str) -> String {
    scalar(&Value::String(k.to_string()))
}

/// Block YAML for a JSON value at `indent` (maps and lists nested).
pub(crate) fn yaml_block(s: &mut String, v: &Value, indent: usize) {
    let pad = " ".repeat(indent);
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                match v {
                    Value::Object(o) if !o.is_empty() => {
                        let _ = writeln!(s, "{pad}{}:", yaml_key(k));
                        yaml_block(s, v, indent + 2);
                    }
                    Value::Array(a) if !a.is_empty() => {
                        let _ = writeln!(s, "{pad}{}:", yaml_key(k));
                        yaml_block(s, v, indent);
                    }
                    _ => {
                        let _ = writeln!(s, "{pad}{}: {}", yaml_key(k), scalar(v));
                    }
                }
            }
        }
        Value::Array(a) => {
            for item in a {
                match item {
                    Value::Object(o) if !o.is_empty() => {
                        let mut inner = String::new();
                        yaml_block(&mut inner, item, indent + 2);
                        // The first line of the item goes after `- `.
                        let mut lines = inner.lines();
                        if let Some(first) = lines.next() {
                            let _ = writeln!(s, "{pad}- {}", first.trim_start());
                        }
                        for l in lines {
                            let _ = writeln!(s, "{l}");
                        }
                    }
                    _ => {
                        let _ = writeln!(s, "{pad}- {}", scalar(item));
                    }
                }
            }
        }
        other => {
            let _ = writeln!(s, "{pad}{}", scalar(other));
        }
    }
}

/// A scalar: plain when YAML reads it back as the same string, JSON-quoted
/// (a valid YAML double-quoted scalar) otherwise.
fn scalar(v: &Value) -> String {
    match v {
        Value::String(t) => {
            let plain = !t.is_empty()
                && t.chars().all(|c| {
                    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '/' | '-' | '=' | ',')
                })
                && t.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && !matches!(
                    t.to_ascii_lowercase().as_str(),
                    "true" | "false" | "yes" | "no" | "on" | "off" | "null" | "y" | "n"
                );
            if plain {
                t.clone()
            } else {
                Value::String(t.clone()).to_string()
            }
        }
        Value::Object(o) if o.is_empty() => "{}".into(),
        Value::Array(a) if a.is_empty() => "[]".into(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn scalars_round_trip() {
        assert_eq!(scalar(&json!("nginx")), "nginx");
        assert_eq!(scalar(&json!("yes")), "\"yes\"");
        assert_eq!(scalar(&json!("1")), "\"1\"");
        assert_eq!(
            scalar(&json!("dockercoins/worker:v0.1")),
            "\"dockercoins/worker:v0.1\""
        );
        assert_eq!(scalar(&json!(3)), "3");
        assert_eq!(scalar(&json!(">=1")), "\">=1\"");
    }

    #[test]
    fn blocks_nest() {
        let mut s = String::new();
        yaml_block(
            &mut s,
            &json!({"spec": {"replicas": 2, "template": {"spec": {"containers": [{"name": "a", "image": "x:1"}]}}}}),
            0,
        );
        assert_eq!(
            s,
            "spec:\n  replicas: 2\n  template:\n    spec:\n      containers:\n      - image: \"x:1\"\n        name: a\n"
        );
        let back: Value = serde_saphyr::from_str(&s).unwrap();
        assert_eq!(
            back["spec"]["template"]["spec"]["containers"][0]["image"],
            "x:1"
        );
    }
}
