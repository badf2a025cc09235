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
pub mod verify;

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
    /// The draft check (`None` when nothing could be inferred, or when it
    /// is withheld).
    pub check: Option<DraftCheck>,
    /// Why no check is offered although the commands were followed.
    pub withheld: Option<Withheld>,
}

/// Why an exercise whose commands were followed gets no suggestion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Withheld {
    pub why: Why,
    pub detail: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Why {
    /// The draft holds on the state before the exercise's commands.
    AlreadyHolds,
    /// The draft does not hold on the state the model has after them.
    DoesNotHold,
    /// The commands rely on a namespace set in another chapter.
    NamespaceUnknown,
    /// The slide shows the command failing on purpose.
    FailsOnPurpose,
}

impl Why {
    pub fn as_str(self) -> &'static str {
        match self {
            Why::AlreadyHolds => "already-holds",
            Why::DoesNotHold => "does-not-hold",
            Why::NamespaceUnknown => "namespace-unknown",
            Why::FailsOnPurpose => "fails-on-purpose",
        }
    }
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
    /// `can-i` questions (`kubectl auth can-i ... --as USER`).
    pub can_i: Vec<CanIDraft>,
}

/// One `can-i` question of a draft.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CanIDraft {
    pub user: String,
    pub verb: String,
    pub resource: String,
    pub namespace: Option<String>,
    pub allowed: bool,
}

/// What a binding to these built-in ClusterRoles grants that a slide can
/// ask: reading pods (bootstrappolicy/policy.go: `view`, `edit`, `admin`
/// aggregate `get`/`list`/`watch` on pods; `cluster-admin` allows all).
const READS_PODS: &[&str] = &["view", "edit", "admin", "cluster-admin"];

/// The `can-i` questions a (Cluster)RoleBinding answers: each service
/// account it binds to a built-in role may list pods, in the binding's
/// namespace (or the account's, for a ClusterRoleBinding).
fn binding_questions(o: &model::Obj) -> Vec<CanIDraft> {
    let role = &o.extra["roleRef"];
    if role["kind"] != "ClusterRole" || !READS_PODS.iter().any(|r| role["name"] == *r) {
        return Vec::new();
    }
    let mut out = Vec::new();
    for s in o.extra["subjects"].as_array().into_iter().flatten() {
        if s["kind"] != "ServiceAccount" {
            continue;
        }
        let (Some(ns), Some(name)) = (s["namespace"].as_str(), s["name"].as_str()) else {
            continue;
        };
        let namespace = if o.kind == "RoleBinding" {
            o.namespace.clone()
        } else {
            Some(ns.to_string())
        };
        out.push(CanIDraft {
            user: format!("system:serviceaccount:{ns}:{name}"),
            verb: "list".into(),
            resource: "pods".into(),
            namespace,
            allowed: true,
        });
    }
    out
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
    /// Exercises followed whose draft is withheld, by why.
    pub withheld: BTreeMap<Why, usize>,
    /// Exercises with neither a suggestion nor a reason.
    pub unexplained: usize,
}

impl Coverage {
    /// Exercises that get a suggestion or a precise reason.
    pub fn explained(&self) -> usize {
        self.changing.saturating_sub(self.unexplained)
    }
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
    let mut renders = verify::Renders::default();
    let mut out = Vec::new();
    let mut chapters = Chapters::new(deck);
    // The chapter being played, and where the context's namespace was set.
    let mut chapter: Option<&Path> = None;
    let mut set_at: Option<(PathBuf, String)> = None;
    let mut unknown_ns: Option<String> = None;
    for ex in exercises {
        if chapter != Some(ex.file.as_path()) {
            // A chapter may run on another machine, or after the
            // trainer reset the context: a namespace set by an earlier
            // chapter is not known to hold in it until it sets one.
            unknown_ns = match (&interp.state.namespace, &set_at) {
                (Some(ns), Some((file, id))) => Some(format!(
                    "relies on the context's namespace, set to `{ns}` in {} (exercise {id}); whether it is still in effect in {} is not known",
                    file.display(),
                    ex.file.display()
                )),
                _ => None,
            };
            if chapter.is_some() {
                interp.state.new_chapter();
            }
            chapter = Some(ex.file.as_path());
        }
        let sets = interp.state.namespace_sets;
        let mut s = suggest_one(&mut interp, &mut renders, ex, chapters.lines(&ex.file));
        if interp.state.namespace_sets != sets {
            set_at = Some((ex.file.clone(), ex.id.clone()));
            unknown_ns = None;
        }
        if let (Some(why), true, None) = (&unknown_ns, interp.take_context_namespace(), &s.withheld)
            && s.changes_state()
        {
            s.check = None;
            s.withheld = Some(Withheld {
                why: Why::NamespaceUnknown,
                detail: why.clone(),
            });
        }
        out.push(s);
    }
    Report { exercises: out }
}

/// The chapters' lines, read and split once each (to see what the slide
/// says around an exercise: splitting a chapter again for each of its
/// exercises made `lint` take time in the square of their number).
struct Chapters<'a> {
    deck: &'a Deck,
    read: BTreeMap<PathBuf, Option<Vec<String>>>,
}

impl<'a> Chapters<'a> {
    fn new(deck: &'a Deck) -> Chapters<'a> {
        Chapters {
            deck,
            read: BTreeMap::new(),
        }
    }

    fn lines(&mut self, file: &Path) -> Option<&[String]> {
        let deck = self.deck;
        self.read
            .entry(file.to_path_buf())
            .or_insert_with(|| {
                let c = deck.chapters.iter().find(|c| Path::new(&c.name) == file)?;
                std::fs::read_to_string(&c.path).ok().map(|t| lines_of(&t))
            })
            .as_deref()
    }
}

/// A chapter's text as [`fails_on_purpose`] reads it, line by line.
fn lines_of(text: &str) -> Vec<String> {
    text.lines().map(str::to_owned).collect()
}

/// Phrases by which a slide says the command just typed fails (or does
/// not do what it seems to) on purpose.
const FAILS: &[&str] = &[
    "that didn't work",
    "this didn't work",
    "that doesn't work",
    "this doesn't work",
    "that won't work",
    "this won't work",
    "this will fail",
    "it will fail",
    "this fails",
    "that fails",
    "this should fail",
    "it should fail",
];

/// Phrases by which an exercise's instructions say what it starts will
/// not run.
const WONT_RUN: &[&str] = &["non-existent image", "won't start", "will not start"];

/// Whether the slide shows the exercise's commands failing on purpose:
/// a comment in the block or the text after the exercise, up to the next
/// slide, says so ("That didn't work", "This will fail"), or the next
/// block shows an error; a conditional ("If ..., this will fail") does
/// not count. Returns the line that says so.
fn fails_on_purpose(
    ex: &Exercise,
    chapter: Option<&[String]>,
    followed: &[Origin],
) -> Option<String> {
    let says = |line: &str| {
        let l = line.to_lowercase();
        FAILS.iter().any(|p| l.contains(p)) && !l.contains("if ")
    };
    for step in &ex.steps {
        if let Some(l) = step
            .text
            .lines()
            .find(|l| l.trim_start().starts_with('#') && says(l))
        {
            return Some(format!("{} (in the block at line {})", l.trim(), step.line));
        }
    }
    let lines = chapter?;
    // The exercise's own words before its last block ("Update `worker`
    // by specifying a non-existent image", "Check that the Pod won't
    // start").
    let end = ex.steps.last().map_or(ex.line, |s| s.line);
    let first = ex.line.saturating_sub(1);
    for (i, line) in lines
        .iter()
        .enumerate()
        .take(end.min(lines.len()))
        .skip(first)
    {
        let l = line.to_lowercase();
        if l.trim_start().starts_with('-') && WONT_RUN.iter().any(|p| l.contains(p)) {
            return Some(format!("{} (line {})", line.trim(), i + 1));
        }
    }
    // The text after the exercise is about its last visible block: only
    // when that block changes the cluster is it about a change.
    let last = ex.steps.iter().rev().find(|s| s.directive.is_none())?;
    if !followed.iter().any(|o| o.line > last.line) {
        return None;
    }
    // From after the last block (its fence, text and closing fence).
    let start = last
        .line
        .saturating_add(last.text.lines().count())
        .saturating_add(1);
    let mut conditional = false;
    let mut i = start;
    while let Some(line) = lines.get(i) {
        let t = line.trim();
        if t == "---" || t == "???" {
            break;
        }
        // The next exercise, or a block a student types: what follows is
        // about other commands.
        if t.starts_with(".exercise[")
            || t.starts_with(".lab[")
            || ["```bash", "```sh", "```shell"].contains(&t)
        {
            break;
        }
        let l = t.to_lowercase();
        if FAILS.iter().any(|p| l.contains(p)) {
            if l.contains("if ") {
                conditional = true;
            } else {
                return Some(format!("{t} (line {})", i + 1));
            }
        }
        if t.starts_with("```")
            && !conditional
            && let Some(next) = lines.get(i + 1)
            && (next.trim_start().starts_with("Error") || next.trim_start().starts_with("error:"))
        {
            return Some(format!(
                "the next block shows `{}` (line {})",
                next.trim(),
                i + 2
            ));
        }
        i += 1;
    }
    None
}

/// Fenced blocks that `labdeck run` types into the shell (the run plan's
/// rule: a block without a language is output, not a command).
fn is_shell(lang: Option<&str>) -> bool {
    lang.is_some_and(|l| crate::shell::SHELL_LANGS.contains(&l))
}

fn suggest_one(
    interp: &mut Interp,
    renders: &mut verify::Renders,
    ex: &Exercise,
    chapter: Option<&[String]>,
) -> Suggestion {
    let mut followed = Vec::new();
    let mut skipped = Vec::new();
    let mut touched: Vec<Touch> = Vec::new();
    let before = renders.render(&interp.state);
    interp.take_context_namespace();
    for step in &ex.steps {
        // Visible blocks start the line after their fence; hidden ones at
        // `line`. A block without a language is read too (`labdeck
        // exercises` lists it: `helm install helmcoins dockercoins` is a
        // step), unless it does not parse as shell: then it is output.
        let (first_line, unlabelled) = match step.directive.as_deref() {
            None if is_shell(step.lang.as_deref()) => (step.line + 1, false),
            None if step.lang.is_none() => (step.line + 1, true),
            Some("bash" | "hide") => (step.line, false),
            _ => continue,
        };
        let commands = match shell::parse(&step.text) {
            Ok(c) => c,
            Err(_) if unlabelled => continue,
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
    let can_i: Vec<CanIDraft> = touched
        .iter()
        .filter_map(|t| match t {
            Touch::Object(k) => interp.state.objects.get(k).map(|o| &**o),
            _ => None,
        })
        .flat_map(binding_questions)
        .collect();
    let timeout = if expect
        .iter()
        .any(|e| e.ready == Some(true) || e.kind == "Pod")
    {
        "2m"
    } else {
        "30s"
    };
    let mut check = (!expect.is_empty()).then_some(DraftCheck {
        timeout,
        expect,
        can_i,
    });
    let mut withheld = None;
    if !followed.is_empty()
        && let Some(line) = fails_on_purpose(ex, chapter, &followed)
    {
        check = None;
        withheld = Some(Withheld {
            why: Why::FailsOnPurpose,
            detail: format!("the slide shows it failing: {line}"),
        });
    }
    if let Some(c) = &check {
        let after = renders.render(&interp.state);
        if let Some(detail) = verify::verify(c, &before, &after) {
            let why = if detail.starts_with(verify::ALREADY) {
                Why::AlreadyHolds
            } else {
                Why::DoesNotHold
            };
            check = None;
            withheld = Some(Withheld { why, detail });
        }
    }
    Suggestion {
        id: ex.id.clone(),
        file: ex.file.clone(),
        line: ex.line,
        has_check: ex.check.is_some(),
        followed,
        skipped,
        check,
        withheld,
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
                let revision = interp
                    .state
                    .releases
                    .get(&(namespace.clone(), name.clone()));
                if let (true, Some(v)) = (*present, revision.filter(|v| **v > 0)) {
                    // The revision's Secret (label `version`, helm
                    // pkg/storage/driver/secrets.go): an upgrade is a
                    // new one.
                    d.selector = Some(format!(
                        "owner=helm,name={name},status=deployed,version={v}"
                    ));
                    d.count = Some("1".into());
                    d.matches = Some(serde_json::json!({"type": "helm.sh/release.v1"}));
                } else if *present {
                    // Deployed, revision unknown.
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
            } else if let Some(w) = &s.withheld {
                *c.withheld.entry(w.why).or_default() += 1;
            } else {
                c.skipped += 1;
                if let Some((_, skip)) = s.skipped.first() {
                    *c.reasons.entry(skip.reason).or_default() += 1;
                } else {
                    c.unexplained += 1;
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
                    if !c.can_i.is_empty() {
                        let _ = writeln!(s, "  can-i:");
                        for q in &c.can_i {
                            let _ = writeln!(s, "    - {}", can_i_line(q));
                        }
                    }
                }
                None => match &e.withheld {
                    Some(w) => {
                        let _ = writeln!(
                            s,
                            "#   no suggestion [{}]: {}",
                            w.why.as_str(),
                            one_line(&w.detail)
                        );
                    }
                    None => {
                        let _ = writeln!(s, "#   no suggestion: nothing could be inferred");
                    }
                },
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
    if !c.can_i.is_empty() {
        s.push_str("can-i:\n");
        for q in &c.can_i {
            s.push_str(&format!("  - {}\n", can_i_line(q)));
        }
    }
    s
}

/// A `can-i` question as a YAML flow mapping.
fn can_i_line(q: &CanIDraft) -> String {
    let mut t = format!(
        "{{as: {}, verb: {}, resource: {}",
        Value::String(q.user.clone()),
        scalar(&Value::String(q.verb.clone())),
        scalar(&Value::String(q.resource.clone()))
    );
    if let Some(ns) = &q.namespace {
        t.push_str(&format!(", namespace: {}", Value::String(ns.clone())));
    }
    t.push_str(&format!(", allowed: {}}}", q.allowed));
    t
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

    fn exercise(id: &str, text: &str, lang: Option<&str>) -> Exercise {
        Exercise {
            id: id.into(),
            file: "k8s/x.md".into(),
            line: 1,
            slide: 1,
            slide_name: None,
            title: String::new(),
            commands: Vec::new(),
            steps: vec![crate::exercise::Step {
                directive: None,
                lang: lang.map(str::to_string),
                text: text.into(),
                line: 10,
            }],
            check: None,
        }
    }

    /// Plays exercises (one block of bash each) in order.
    fn play(blocks: &[&str]) -> Vec<Suggestion> {
        play_with(&mut verify::Renders::default(), blocks)
    }

    /// [`play`], rendering with `renders` (one for all, as `suggest` does).
    fn play_with(renders: &mut verify::Renders, blocks: &[&str]) -> Vec<Suggestion> {
        let mut interp = Interp::new(Path::new("/nonexistent"));
        blocks
            .iter()
            .enumerate()
            .map(|(i, b)| {
                suggest_one(
                    &mut interp,
                    renders,
                    &exercise(&format!("x-{i}"), b, Some("bash")),
                    None,
                )
            })
            .collect()
    }

    #[test]
    fn regression_each_object_is_rendered_once_per_change_not_once_per_exercise() {
        // 1,000 exercises that each create a Deployment made `lint` render
        // every object again for each (39 s): 500 here rendered 250,000
        // objects; once per change, 500 (and each exercise's draft is still
        // verified against the state before and after it).
        let mut blocks: Vec<String> = (0..500)
            .map(|i| format!("kubectl create deployment d{i} --image=nginx"))
            .collect();
        // A change is rendered again: a label on every Deployment.
        blocks.push("kubectl label deployment --all tier=web".into());
        let blocks: Vec<&str> = blocks.iter().map(String::as_str).collect();
        let mut renders = verify::Renders::default();
        let out = play_with(&mut renders, &blocks);
        assert!(
            out[..500]
                .iter()
                .all(|s| s.check.is_some() && s.withheld.is_none())
        );
        // Verified on the relabelled objects: it would not hold after the
        // step if they were the renderings from before it.
        assert!(
            yaml(&out[500]).contains("selector: \"tier!=web\""),
            "{}",
            yaml(&out[500])
        );
        assert!(out[500].withheld.is_none(), "{:?}", out[500].withheld);
        assert_eq!(renders.fresh(), 1000);
    }

    fn yaml(s: &Suggestion) -> String {
        s.check.as_ref().map(check_yaml).unwrap_or_default()
    }

    #[test]
    fn rollout_restart_checks_the_restarted_at_annotation() {
        let s = play(&[
            "kubectl create deployment web --image=nginx",
            "kubectl rollout restart deployment web",
            "kubectl rollout restart deployment web",
        ]);
        assert!(
            yaml(&s[1]).contains(r#"annotations[\"kubectl.kubernetes.io/restartedAt\"] exists"#),
            "{}",
            yaml(&s[1])
        );
        assert_eq!(s[1].withheld, None);
        // A second restart's draft already holds before it: withheld.
        assert!(s[2].check.is_none());
        assert_eq!(
            s[2].withheld.as_ref().map(|w| w.why),
            Some(Why::AlreadyHolds)
        );
    }

    #[test]
    fn set_image_record_checks_the_change_cause() {
        let s = play(&[
            "kubectl create deployment worker --image=dockercoins/worker:v0.1",
            "kubectl set image deployment worker worker=dockercoins/worker:v0.2 --record",
        ]);
        let y = yaml(&s[1]);
        assert!(
            y.contains(r#"metadata.annotations[\"kubernetes.io/change-cause\"] exists"#),
            "{y}"
        );
        assert!(y.contains("dockercoins/worker:v0.2"), "{y}");
    }

    #[test]
    fn patch_of_requests_cpu_is_checked_as_the_canonical_quantity() {
        let s = play(&[
            "kubectl create deployment web --image=nginx",
            "kubectl patch deployment web -p '{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"nginx\",\"resources\":{\"requests\":{\"cpu\":0.5}}}]}}}}'",
        ]);
        let y = yaml(&s[1]);
        assert!(y.contains("cpu: \"500m\""), "{y}");
        assert_eq!(s[1].withheld, None, "{y}");
    }

    #[test]
    fn rolebinding_to_a_service_account_checks_subjects_and_can_i() {
        let s = play(&[
            "kubectl create rolebinding can-view --clusterrole=view --serviceaccount=default:default",
        ]);
        let y = yaml(&s[0]);
        assert!(y.contains("kind: ServiceAccount"), "{y}");
        assert!(
            y.contains("{as: \"system:serviceaccount:default:default\", verb: list, resource: pods, allowed: true}"),
            "{y}"
        );
        assert_eq!(s[0].withheld, None, "{y}");
        // The slide's trap: `--role=view` binds a Role that does not exist.
        let trap = play(&[
            "kubectl create rolebinding can-view --role=view --serviceaccount=default:default",
        ]);
        assert!(!yaml(&trap[0]).contains("can-i"), "{}", yaml(&trap[0]));
    }

    #[test]
    fn scale_of_a_pod_is_refused_not_suggested() {
        let s = play(&[
            "kubectl run pingpong --image alpine ping 1.1.1.1",
            "kubectl scale pod pingpong --replicas=3",
        ]);
        assert!(s[1].check.is_none());
        assert_eq!(s[1].skipped[0].1.reason, Reason::Refused);
    }

    #[test]
    fn a_draft_that_already_holds_is_withheld() {
        let s = play(&[
            "kubectl create deployment web --image=nginx",
            "kubectl label deployment web color=blue",
            "kubectl scale deployment web --replicas=1",
        ]);
        assert!(s[1].check.is_some());
        let w = s[2].withheld.as_ref().unwrap();
        assert_eq!(w.why, Why::AlreadyHolds);
        assert!(w.detail.starts_with(verify::ALREADY), "{}", w.detail);
    }

    #[test]
    fn commands_the_slide_shows_failing_are_not_suggested() {
        let chapter = "l1\n.exercise[\n\n- Try it:\n  ```bash\n  kubectl rollout undo deployment worker\n  ```\n\n]\n\n🤔 That didn't work.\n\n---\n";
        let mut interp = Interp::new(Path::new("/nonexistent"));
        let mut ex = exercise("u", "kubectl rollout undo deployment worker", Some("bash"));
        ex.steps[0].line = 5;
        let s = suggest_one(
            &mut interp,
            &mut verify::Renders::default(),
            &ex,
            Some(&lines_of(chapter)),
        );
        assert_eq!(
            s.withheld.as_ref().map(|w| w.why),
            Some(Why::FailsOnPurpose)
        );
        assert!(s.withheld.unwrap().detail.contains("That didn't work"));
        // A conditional failure is not one.
        let cond = "l1\n.exercise[\n- x:\n  ```\n  helm install helmcoins dockercoins\n  ```\n]\n--\n- If the application is already deployed, this will fail:\n```\nError: rendered manifests\n```\n---\n";
        let mut ex = exercise("h", "helm install helmcoins dockercoins", None);
        ex.steps[0].line = 4;
        let s = suggest_one(
            &mut interp,
            &mut verify::Renders::default(),
            &ex,
            Some(&lines_of(cond)),
        );
        assert_eq!(s.withheld, None);
        assert!(yaml(&s).contains("name=helmcoins"), "{}", yaml(&s));
    }

    #[test]
    fn commands_in_unlabelled_fences_are_followed_and_output_is_not() {
        let mut interp = Interp::new(Path::new("/nonexistent"));
        let s = suggest_one(
            &mut interp,
            &mut verify::Renders::default(),
            &exercise("h", "helm install helmcoins dockercoins", None),
            None,
        );
        assert_eq!(s.followed.len(), 1);
        let out = suggest_one(
            &mut interp,
            &mut verify::Renders::default(),
            &exercise("o", "NAME  READY  STATUS\nweb's   1/1   Running", None),
            None,
        );
        assert!(!out.changes_state() && out.skipped.is_empty());
    }

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
