//! What each command of an exercise does to the expected state: kubectl and
//! helm invocations read with the flags those tools really have, applied to
//! [`State`]; anything whose effect cannot be known from the text is a
//! [`Skip`] with its reason.
//!
//! Each rule names the upstream source it follows (kubectl's under
//! staging/src/k8s.io/kubectl/pkg/cmd/, helm's under pkg/).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

mod apply;
mod autoscale;
mod certificate;
mod create;
mod delete;
mod expose;
mod helm;
mod label;
mod patch;
mod rollout;
mod run;
mod set;
mod variables;

use super::manifests;
pub use super::model::Touch;
use super::model::{Container, Key, Obj, State, selector_text};
use crate::check::selector::{Op, Selector};
use crate::kinds::{self, Builtin as KindInfo};
use crate::shell::args::{Args, helm_takes_value, kubectl_takes_value};
use crate::shell::parse::SimpleCommand;
use create::dry_run_manifest;
use helm::helm_changes;
use variables::{assignment, placeholder, whole_variable};

/// Why a command that changes the cluster gives no suggestion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reason {
    /// A manifest fetched from a URL.
    Url,
    /// `XXXXX`, `A.B.C.D`, `<name>`, `...`: the student fills it in.
    Placeholder,
    /// A shell variable or command substitution whose value is unknown.
    ShellVariable,
    /// `kubectl edit`: the change is what the student types.
    InteractiveEdit,
    /// A manifest file changed by an editor, `sed` or another program
    /// before it is applied.
    FileEdited,
    /// `-f FILE` that the repository does not have (and no earlier command wrote).
    FileNotFound,
    /// `kubectl apply -k` / kustomize directories.
    Kustomize,
    /// A manifest read from a pipe.
    Pipe,
    /// A kubectl or helm command that changes the cluster in a way the
    /// model does not follow (taint, drain, certificate approve, JSON patch...).
    Unsupported,
    /// Shell or YAML that does not parse.
    Unparsable,
    /// A command kubectl refuses (`kubectl scale pod`).
    Refused,
}

impl Reason {
    pub const ALL: [Reason; 11] = [
        Reason::Url,
        Reason::Placeholder,
        Reason::ShellVariable,
        Reason::InteractiveEdit,
        Reason::FileEdited,
        Reason::FileNotFound,
        Reason::Kustomize,
        Reason::Pipe,
        Reason::Unsupported,
        Reason::Unparsable,
        Reason::Refused,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Url => "url",
            Reason::Placeholder => "placeholder",
            Reason::ShellVariable => "shell-variable",
            Reason::InteractiveEdit => "interactive-edit",
            Reason::FileEdited => "file-edited",
            Reason::FileNotFound => "file-not-found",
            Reason::Kustomize => "kustomize",
            Reason::Pipe => "pipe",
            Reason::Unsupported => "unsupported",
            Reason::Unparsable => "unparsable",
            Reason::Refused => "refused",
        }
    }
}

/// A command that changes the cluster but cannot be followed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skip {
    pub reason: Reason,
    pub detail: String,
}

fn skip(reason: Reason, detail: impl Into<String>) -> Outcome {
    Outcome::Skipped(Skip {
        reason,
        detail: detail.into(),
    })
}

/// What one command did.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Nothing in the cluster changes (or nothing that lasts: `run --rm`).
    ReadOnly,
    /// Changed these; the state has been updated.
    Changed(Vec<Touch>),
    Skipped(Skip),
}

/// What a file written during the deck holds.
#[derive(Debug, Clone)]
enum FileState {
    Written(String),
    Unknown(String),
}

/// A shell variable's value, as far as it is known.
#[derive(Debug, Clone)]
enum Binding {
    Literal(String),
    /// `$(kubectl get KIND -l SEL -o name)`.
    Selection {
        kind: &'static KindInfo,
        namespace: Option<String>,
        selector: String,
    },
}

/// The interpreter: expected state, shell variables and files written so far.
pub struct Interp {
    pub state: State,
    /// Where `-f FILE` is looked up: the repository root (decks are written
    /// for a clone of the repository in the home directory, e.g.
    /// `~/container.training/k8s/x.yaml`).
    root: PathBuf,
    /// Directory names a home-relative path may start with for this
    /// repository (`~/container.training/...`).
    repo_names: Vec<String>,
    vars: BTreeMap<String, Binding>,
    files: BTreeMap<String, FileState>,
    /// What the last kubectl command printed, when it is a manifest the
    /// model can write (`create deployment --dry-run=client -o yaml`).
    output: Option<String>,
    /// Whether a command since the last [`Interp::take_context_namespace`]
    /// used the context's namespace (no `-n`) while a command had set it.
    used_context_namespace: std::cell::Cell<bool>,
}

impl Interp {
    pub fn new(root: &Path) -> Interp {
        let mut repo_names = vec!["container.training".to_string()];
        if let Some(n) = root.file_name() {
            repo_names.push(n.to_string_lossy().into_owned());
        }
        Interp {
            state: State::default(),
            root: root.to_path_buf(),
            repo_names,
            vars: BTreeMap::new(),
            files: BTreeMap::new(),
            output: None,
            used_context_namespace: std::cell::Cell::new(false),
        }
    }

    /// Whether a command since the last call relied on the namespace a
    /// `kns`/`set-context` had set (and resets the flag).
    pub fn take_context_namespace(&self) -> bool {
        self.used_context_namespace.replace(false)
    }

    /// Runs one simple command against the model.
    pub fn command(&mut self, cmd: &SimpleCommand) -> Outcome {
        let mut words: Vec<String> = cmd.words.clone();
        let mut expanding: BTreeSet<usize> = cmd.expanding.iter().copied().collect();
        // Assignments (`NAME=value`, `export NAME=value`) before a command or alone.
        let mut start = 0;
        if words.first().map(String::as_str) == Some("export") {
            start = 1;
        }
        let mut assignments = Vec::new();
        while let Some(w) = words.get(start)
            && let Some((name, value)) = assignment(w)
        {
            assignments.push((
                name.to_string(),
                value.to_string(),
                expanding.contains(&start),
            ));
            start += 1;
        }
        if start >= words.len() {
            for (name, value, expands) in assignments {
                let binding = if expands {
                    self.binding_from_substitution(&value)
                } else {
                    Some(Binding::Literal(value))
                };
                match binding {
                    Some(b) => {
                        self.vars.insert(name, b);
                    }
                    None => {
                        self.vars.remove(&name);
                    }
                }
            }
            return Outcome::ReadOnly;
        }
        words.drain(..start);
        expanding = expanding
            .into_iter()
            .filter_map(|i| i.checked_sub(start))
            .collect();
        // Wrappers that run the rest as a command.
        while let Some(first) = words.first().map(String::as_str)
            && matches!(
                first,
                "sudo" | "time" | "command" | "watch" | "nohup" | "exec"
            )
        {
            words.remove(0);
            expanding = expanding
                .into_iter()
                .filter_map(|i| i.checked_sub(1))
                .collect();
        }
        // Literal variables are substituted; selections stay as whole words.
        let mut selections: BTreeMap<usize, Binding> = BTreeMap::new();
        for i in expanding.clone() {
            let Some(w) = words.get(i).cloned() else {
                continue;
            };
            if let Some(name) = whole_variable(&w)
                && let Some(b @ Binding::Selection { .. }) = self.vars.get(name)
            {
                selections.insert(i, b.clone());
                expanding.remove(&i);
                continue;
            }
            if let Some(v) = self.substitute(&w) {
                words[i] = v;
                expanding.remove(&i);
            }
        }
        let Some(program) = words.first().cloned() else {
            return Outcome::ReadOnly;
        };
        let program = program.rsplit('/').next().unwrap_or(&program).to_string();
        let outcome = match program.as_str() {
            "kubectl" | "k" => {
                if let Some(v) = expanding.iter().next().and_then(|i| words.get(*i)) {
                    if self.kubectl_changes(&words) {
                        return skip(Reason::ShellVariable, format!("`{v}` is a shell variable"));
                    }
                    return Outcome::ReadOnly;
                }
                self.kubectl(&words[1..], cmd, &selections)
            }
            "helm" => {
                if let Some(v) = expanding.iter().next().and_then(|i| words.get(*i))
                    && helm_changes(&words[1..])
                {
                    // Some release of that namespace changed: which, and
                    // its revision, are no longer known.
                    let a = Args::parse(&words[1..], helm_takes_value);
                    let ns = a
                        .value(&["n", "namespace"])
                        .map(str::to_string)
                        .or_else(|| self.state.namespace.clone());
                    self.state.helm_unknown.insert(ns);
                    return skip(Reason::ShellVariable, format!("`{v}` is a shell variable"));
                }
                self.helm(&words[1..])
            }
            "kubens" | "kns" => {
                if let Some(ns) = words.get(1).filter(|w| !w.starts_with('-')) {
                    self.set_context_namespace(if ns == "-" { None } else { Some(ns.clone()) });
                }
                Outcome::ReadOnly
            }
            "kubectx" | "kctx" => {
                if words.len() > 1 {
                    self.set_context_namespace(None);
                }
                Outcome::ReadOnly
            }
            "vim" | "vi" | "nano" | "emacs" | "code" | "edit" | "ed" => {
                for w in &words[1..] {
                    if !w.starts_with('-') {
                        self.files.insert(
                            w.clone(),
                            FileState::Unknown(format!("edited with `{program}`")),
                        );
                    }
                }
                Outcome::ReadOnly
            }
            "sed"
                if words[1..].iter().any(|w| {
                    (w.starts_with("-i") && !w.starts_with("--")) || w.starts_with("--in-place")
                }) =>
            {
                self.sed(&words[1..]);
                Outcome::ReadOnly
            }
            "cat" if cmd.stdout_file.is_some() && cmd.stdin.is_some() && words.len() == 1 => {
                if let (Some(f), Some(body)) = (&cmd.stdout_file, &cmd.stdin) {
                    self.files
                        .insert(f.clone(), FileState::Written(body.clone()));
                }
                Outcome::ReadOnly
            }
            _ => Outcome::ReadOnly,
        };
        // Any other output sent to a file makes its content unknown, unless
        // it is a manifest the model printed.
        let printed = self.output.take();
        if let Some(f) = &cmd.stdout_file
            && !(program == "cat" && cmd.stdin.is_some())
            && f != "/dev/null"
        {
            let state = match printed {
                Some(text) => FileState::Written(text),
                None => FileState::Unknown(format!("written by `{}`", cmd.text)),
            };
            self.files.insert(f.clone(), state);
        }
        outcome
    }

    /// Whether a kubectl command line changes the cluster (to decide whether
    /// an unknown variable matters).
    fn kubectl_changes(&self, words: &[String]) -> bool {
        let args = Args::parse(&words[1..], kubectl_takes_value);
        let verb = args.pos.first().map(String::as_str).unwrap_or("");
        changes_cluster(verb, &args)
    }

    fn namespace(&self, args: &Args) -> Option<String> {
        args.value(&["n", "namespace"])
            .map(str::to_string)
            .or_else(|| self.context_namespace())
    }

    /// The context's namespace, noting that a command relies on it.
    fn context_namespace(&self) -> Option<String> {
        if self.state.namespace.is_some() {
            self.used_context_namespace.set(true);
        }
        self.state.namespace.clone()
    }

    fn kubectl(
        &mut self,
        words: &[String],
        cmd: &SimpleCommand,
        selections: &BTreeMap<usize, Binding>,
    ) -> Outcome {
        let args = Args::parse(words, kubectl_takes_value);
        let verb = args.pos.first().cloned().unwrap_or_default();
        if !changes_cluster(&verb, &args) {
            if verb == "config" {
                self.kubectl_config(&args);
            }
            if verb == "create" && dry_run(&args) {
                self.output = dry_run_manifest(&args, self.namespace(&args).as_deref());
            }
            return Outcome::ReadOnly;
        }
        if let Some(p) = words.iter().find_map(|w| placeholder(w)) {
            let from = cmd
                .words
                .iter()
                .find(|w| w.contains('$') && !cmd.text.contains(p))
                .map(|v| format!(" (the value of `{v}`)"))
                .unwrap_or_default();
            return skip(Reason::Placeholder, format!("`{p}`{from} is a placeholder"));
        }
        // A selection variable (`$POD`) stands for a resource argument: index
        // in `words` is one more than in `args.pos`? Resolve by value.
        let selection = selections.values().next().cloned();
        let ns = self.namespace(&args);
        match verb.as_str() {
            "apply" | "create" | "replace"
                if args.has(&["f", "filename"]) || args.has(&["k", "kustomize"]) =>
            {
                self.apply_files(&args, cmd, ns)
            }
            "create" => self.create(&args, ns),
            "run" => self.run(&args, ns),
            "expose" => self.expose(&args, ns),
            "delete" => self.delete(&args, ns),
            // scale/scale.go: `--replicas` on each KIND NAME / KIND/NAME.
            "scale" => self.for_targets(&args, 1, ns, |o, a| {
                // scale.go goes through the `scale` subresource, which
                // only these kinds have: `kubectl scale pod` is refused
                // ("the server could not find the requested resource").
                if !matches!(
                    o.kind.as_str(),
                    "Deployment" | "ReplicaSet" | "ReplicationController" | "StatefulSet"
                ) {
                    return Err(skip(
                        Reason::Refused,
                        format!("a {} cannot be scaled (no scale subresource)", o.kind),
                    ));
                }
                if a.has(&["record"]) {
                    o.change_cause = Some(change_cause(a));
                    o.annotations.remove(super::model::CHANGE_CAUSE);
                }
                match a.value(&["replicas"]).and_then(|r| r.parse::<i64>().ok()) {
                    Some(r) => {
                        o.replicas = Some(r);
                        Ok(())
                    }
                    None => Err(skip(
                        Reason::Unsupported,
                        "`scale` without a literal `--replicas`",
                    )),
                }
            }),
            "label" | "annotate" => self.label(&args, ns, verb == "label", selection),
            "set" => self.set(&args, ns),
            "patch" => self.patch(&args, ns, selection),
            "rollout" => self.rollout(&args, ns),
            "autoscale" => self.autoscale(&args, ns),
            "certificate" => self.certificate(&args),
            "cordon" | "uncordon" | "drain" => {
                // cordon/drain set `spec.unschedulable: true`; uncordon sets
                // it false, which the API server omits (drain/cordon.go).
                let on = verb != "uncordon";
                let nodes: Vec<String> =
                    args.pos[1..].iter().map(|n| format!("node/{n}")).collect();
                let a = Args {
                    pos: std::iter::once(String::new()).chain(nodes).collect(),
                    flags: args.flags.clone(),
                };
                self.for_targets(&a, 1, None, move |o, _| {
                    let off = "spec.unschedulable != true".to_string();
                    if on {
                        o.wheres.remove(&off);
                        crate::suggest::model::merge(
                            &mut o.extra,
                            &json!({"spec": {"unschedulable": true}}),
                        );
                    } else {
                        if let Some(spec) = o.extra.get_mut("spec").and_then(Value::as_object_mut) {
                            spec.remove("unschedulable");
                        }
                        o.wheres.insert(off);
                    }
                    Ok(())
                })
            }
            "edit" => {
                // Whatever the student types: the object is no longer known.
                let _ = self.for_targets(&args, 1, ns, |o, _| {
                    o.uncertain = true;
                    Ok(())
                });
                skip(
                    Reason::InteractiveEdit,
                    "`kubectl edit` changes what the student types",
                )
            }
            other => skip(
                Reason::Unsupported,
                format!("`kubectl {other}` is not modelled"),
            ),
        }
    }

    fn kubectl_config(&mut self, args: &Args) {
        // kubectl/pkg/cmd/config/create_context.go: `set-context --current
        // --namespace=X` sets the namespace of the current context (an
        // empty value unsets it).
        match args.pos.get(1).map(String::as_str) {
            Some("set-context") if args.has(&["current"]) => {
                if let Some(ns) = args.value(&["namespace", "n"]) {
                    self.set_context_namespace((!ns.is_empty()).then(|| ns.to_string()));
                }
            }
            Some("use-context") => self.set_context_namespace(None),
            _ => {}
        }
    }

    /// The namespace of the current context, as a command set it
    /// (`default` is no namespace set).
    fn set_context_namespace(&mut self, ns: Option<String>) {
        self.state.namespace = ns.filter(|n| n != "default");
        self.state.namespace_sets = self.state.namespace_sets.saturating_add(1);
    }

    /// Applies `change` to each `KIND NAME...` / `KIND/NAME` target (objects
    /// the model does not know yet are known from now on by what changed).
    /// `skip_pos`: positional words before the targets (the verb).
    fn for_targets(
        &mut self,
        args: &Args,
        skip_pos: usize,
        ns: Option<String>,
        change: impl Fn(&mut Obj, &Args) -> Result<(), Outcome>,
    ) -> Outcome {
        if dry_run(args) {
            return Outcome::ReadOnly;
        }
        let targets = match targets(args.pos.get(skip_pos..).unwrap_or(&[])) {
            Ok(t) => t,
            Err(o) => return o,
        };
        if targets.is_empty() {
            return skip(
                Reason::Unsupported,
                format!(
                    "`kubectl {}` without a named resource",
                    args.pos.first().map(String::as_str).unwrap_or("")
                ),
            );
        }
        let mut touched = Vec::new();
        for (info, name) in targets {
            let key = Key {
                kind: info.kind.to_string(),
                namespace: ns.clone().filter(|_| info.namespaced).unwrap_or_default(),
                name: name.clone(),
            };
            let mut obj = self
                .state
                .objects
                .get(&key)
                .map(|o| Obj::clone(o))
                .unwrap_or_else(|| Obj::new(info.kind, "", info.namespaced, ns.clone(), &name));
            if let Err(o) = change(&mut obj, args) {
                return o;
            }
            touched.push(Touch::Object(obj.key()));
            self.state.upsert(obj);
        }
        Outcome::Changed(touched)
    }
}

/// The `kubernetes.io/change-cause` kubectl records (pkg/cmd/util/helpers.go
/// `Command`): `kubectl`, the positional arguments, then each flag set as
/// ` --name=value`, in name order (pflag's `Visit` order).
fn change_cause(args: &Args) -> String {
    let mut text = String::from("kubectl");
    for p in &args.pos {
        text.push(' ');
        text.push_str(p);
    }
    let mut flags: Vec<(String, String)> = args
        .flags
        .iter()
        .map(|(k, v)| {
            let name = match k.as_str() {
                "n" => "namespace",
                other => other,
            };
            (name.to_string(), v.clone().unwrap_or_else(|| "true".into()))
        })
        .collect();
    flags.sort();
    for (k, v) in flags {
        text.push_str(&format!(" --{k}={v}"));
    }
    text
}

/// The verbs that change the cluster (kubectl/pkg/cmd/cmd.go groups them
/// under "Basic Commands", "Deploy Commands" and "Cluster Management").
fn changes_cluster(verb: &str, args: &Args) -> bool {
    match verb {
        // run/run.go: `--rm` deletes the pod when it ends: nothing lasts.
        "run" => !dry_run(args) && !args.has(&["rm"]),
        "create" | "apply" | "replace" | "expose" | "delete" | "scale" | "label" | "annotate"
        | "set" | "patch" | "edit" | "autoscale" | "taint" | "cordon" | "uncordon" | "drain"
        | "certificate" => !dry_run(args),
        "rollout" => matches!(
            args.pos.get(1).map(String::as_str),
            Some("undo" | "restart" | "pause" | "resume")
        ),
        _ => false,
    }
}

/// `--dry-run`, `--dry-run=client|server` (not `none`): nothing is changed
/// (kubectl/pkg/cmd/util/helpers.go `GetDryRunStrategy`).
fn dry_run(args: &Args) -> bool {
    args.flags.iter().any(|(k, v)| {
        k == "dry-run" && v.as_deref() != Some("none") && v.as_deref() != Some("false")
    })
}

/// `KIND NAME...` or `KIND/NAME...` (kubectl's resource builder,
/// k8s.io/cli-runtime/pkg/resource/builder.go `ResourceTypeOrNameArgs`).
fn targets(pos: &[String]) -> Result<Vec<(&'static KindInfo, String)>, Outcome> {
    let mut out = Vec::new();
    if pos.is_empty() {
        return Ok(out);
    }
    if pos[0].contains('/') {
        for p in pos {
            let Some((k, n)) = p.split_once('/') else {
                return Err(skip(
                    Reason::Unsupported,
                    format!("`{p}`: mixed KIND/NAME and NAME"),
                ));
            };
            let Some(info) = kinds::builtin(k) else {
                return Err(skip(
                    Reason::Unsupported,
                    format!("kind `{k}` is not built in"),
                ));
            };
            out.push((info, n.to_string()));
        }
        return Ok(out);
    }
    let kinds_word = &pos[0];
    if kinds_word.contains(',') && pos.len() > 1 {
        return Err(skip(
            Reason::Unsupported,
            format!("several kinds `{kinds_word}` for one name"),
        ));
    }
    let Some(info) = kinds::builtin(kinds_word) else {
        return Err(skip(
            Reason::Unsupported,
            format!("kind `{kinds_word}` is not built in"),
        ));
    };
    for n in &pos[1..] {
        out.push((info, n.clone()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
