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

use super::manifests;
pub use super::model::Touch;
use super::model::{Container, Key, Obj, State, selector_text};
use crate::check::selector::{Op, Selector};
use crate::kinds::{self, Builtin as KindInfo};
use crate::shell::args::{Args, helm_takes_value, kubectl_takes_value};
use crate::shell::parse::SimpleCommand;

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

    /// `sed -i [-E] [-e SCRIPT]... FILE...`: a file written earlier in the
    /// deck is edited with the scripts the [`sed`](super::sed) module
    /// follows; any other file's content becomes unknown.
    fn sed(&mut self, args: &[String]) {
        let mut scripts = Vec::new();
        let mut files = Vec::new();
        let mut extended = false;
        let mut followed = true;
        let mut had_e = false;
        let mut k = 0;
        while k < args.len() {
            let w = &args[k];
            if w == "-e" || w == "--expression" {
                had_e = true;
                if let Some(s) = args.get(k + 1) {
                    scripts.push(s.clone());
                }
                k += 2;
                continue;
            }
            if w == "-E" || w == "-r" || w == "--regexp-extended" {
                extended = true;
            } else if w.starts_with("-i") || w.starts_with("--in-place") {
            } else if w.starts_with('-') {
                // -n, -f FILE, -s...: not followed.
                followed = false;
            } else if !had_e && scripts.is_empty() {
                scripts.push(w.clone());
            } else {
                files.push(w.clone());
            }
            k += 1;
        }
        for f in files {
            let next = match self.files.get(&f) {
                Some(FileState::Written(text)) if followed => {
                    match super::sed::apply(&scripts, extended, text) {
                        Some(t) => FileState::Written(t),
                        None => FileState::Unknown(
                            "edited by a `sed` script labdeck does not follow".into(),
                        ),
                    }
                }
                _ => FileState::Unknown("edited with `sed -i`".into()),
            };
            self.files.insert(f, next);
        }
    }

    /// `$(kubectl get KIND -l SEL -o name)`: the objects a later `$VAR` names.
    fn binding_from_substitution(&self, value: &str) -> Option<Binding> {
        let inner = value.strip_prefix("$(")?.strip_suffix(')')?;
        let words = shlex::split(inner)?;
        if words.first().map(String::as_str) != Some("kubectl") {
            return None;
        }
        let args = Args::parse(&words[1..], kubectl_takes_value);
        if args.pos.first().map(String::as_str) != Some("get") {
            return None;
        }
        let output = args.value(&["o", "output"])?;
        if output != "name" {
            return None;
        }
        let kind = kinds::builtin(args.pos.get(1)?)?;
        let selector = args.value(&["l", "selector"])?.to_string();
        if args.pos.len() > 2 || Selector::parse(&selector).is_err() {
            return None;
        }
        Some(Binding::Selection {
            kind,
            namespace: args.value(&["n", "namespace"]).map(str::to_string),
            selector,
        })
    }

    /// A word with literal variables replaced, if all of them are known.
    fn substitute(&self, word: &str) -> Option<String> {
        let mut out = String::new();
        let mut rest = word;
        while let Some(i) = rest.find('$') {
            out.push_str(&rest[..i]);
            let after = &rest[i + 1..];
            let (name, len) = if let Some(b) = after.strip_prefix('{') {
                let end = b.find('}')?;
                (&b[..end], end + 2)
            } else {
                let end = after
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(after.len());
                if end == 0 {
                    return None;
                }
                (&after[..end], end)
            };
            match self.vars.get(name) {
                Some(Binding::Literal(v)) => out.push_str(v),
                _ => return None,
            }
            rest = &after[len..];
        }
        out.push_str(rest);
        if word.contains('`') {
            return None;
        }
        Some(out)
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

    /// `apply|create|replace -f FILE|DIR|-|URL [-R]`.
    fn apply_files(&mut self, args: &Args, cmd: &SimpleCommand, ns: Option<String>) -> Outcome {
        if args.has(&["k", "kustomize"]) {
            return skip(Reason::Kustomize, "kustomize (`-k`) output is not inferred");
        }
        if dry_run(args) {
            return Outcome::ReadOnly;
        }
        let mut docs = Vec::new();
        for f in args.values(&["f", "filename"]) {
            if f.contains("://") {
                return skip(Reason::Url, format!("manifest from a URL: {f}"));
            }
            if f == "-" {
                match &cmd.stdin {
                    Some(body) => match manifests::parse(body) {
                        Ok(d) => docs.extend(d),
                        Err(e) => return skip(Reason::Unparsable, format!("here-document: {e}")),
                    },
                    None => return skip(Reason::Pipe, "manifest read from a pipe"),
                }
                continue;
            }
            match self.read_manifest(f, args.has(&["R", "recursive"])) {
                Ok(d) => docs.extend(d),
                Err(s) => return Outcome::Skipped(s),
            }
        }
        if let Some(name) = docs
            .iter()
            .filter_map(|d| d.pointer("/metadata/name").and_then(Value::as_str))
            .find_map(placeholder)
        {
            return skip(
                Reason::Placeholder,
                format!("object name `{name}` is a placeholder"),
            );
        }
        let mut touched = Vec::new();
        for doc in &docs {
            if let Some((kind, namespaced)) = manifests::custom_kind(doc) {
                self.state.custom_kinds.insert(kind, namespaced);
            }
            if let Some(obj) = manifests::to_obj(doc, ns.as_deref(), &self.state) {
                touched.push(Touch::Object(obj.key()));
                self.state.upsert(obj);
            } else if let Some(t) = manifests::generated(doc, ns.as_deref(), &self.state) {
                touched.push(t);
            }
        }
        if touched.is_empty() {
            return skip(Reason::Unparsable, "the manifest declares no named object");
        }
        Outcome::Changed(touched)
    }

    fn read_manifest(&self, f: &str, recursive: bool) -> Result<Vec<Value>, Skip> {
        if let Some(state) = self.files.get(f) {
            return match state {
                FileState::Written(text) => manifests::parse(text).map_err(|e| Skip {
                    reason: Reason::Unparsable,
                    detail: format!("{f}: {e}"),
                }),
                FileState::Unknown(why) => Err(Skip {
                    reason: Reason::FileEdited,
                    detail: format!("{f} was {why}: its content is unknown"),
                }),
            };
        }
        let path = self.repo_path(f).ok_or_else(|| Skip {
            reason: Reason::FileNotFound,
            detail: format!("{f} is not a file of the repository"),
        })?;
        let mut files = Vec::new();
        collect_manifests(&path, recursive, true, &mut files);
        if files.is_empty() {
            return Err(Skip {
                reason: Reason::FileNotFound,
                detail: format!("{f} holds no manifest"),
            });
        }
        let mut docs = Vec::new();
        for p in files {
            let text = std::fs::read_to_string(&p).map_err(|e| Skip {
                reason: Reason::FileNotFound,
                detail: format!("{}: {e}", p.display()),
            })?;
            docs.extend(manifests::parse(&text).map_err(|e| Skip {
                reason: Reason::Unparsable,
                detail: format!("{f}: {e}"),
            })?);
        }
        Ok(docs)
    }

    /// A path as the deck writes it, in the repository: `~/REPO/x`, or
    /// relative to the repository root.
    fn repo_path(&self, f: &str) -> Option<PathBuf> {
        let rel = if let Some(home) = f.strip_prefix("~/") {
            let (first, rest) = home.split_once('/')?;
            if !self.repo_names.iter().any(|n| n == first) {
                return None;
            }
            rest
        } else if f.starts_with('/') {
            return None;
        } else {
            f.trim_start_matches("./")
        };
        if rel.is_empty()
            || rel == "."
            || Path::new(rel)
                .components()
                .any(|c| c == std::path::Component::ParentDir)
        {
            return None;
        }
        let p = self.root.join(rel);
        p.exists().then_some(p)
    }

    /// `kubectl create KIND NAME ...` generators.
    fn create(&mut self, args: &Args, ns: Option<String>) -> Outcome {
        if dry_run(args) {
            return Outcome::ReadOnly;
        }
        let sub = args.pos.get(1).map(String::as_str).unwrap_or("");
        let name = args.pos.get(2).cloned();
        let Some(name) = name.or_else(|| args.value(&["name"]).map(str::to_string)) else {
            return skip(
                Reason::Unsupported,
                format!("`kubectl create {sub}` without a name"),
            );
        };
        let info = match sub {
            "secret" | "service" => None,
            _ => kinds::builtin(sub),
        };
        let mk = |kind: &str, api: &str, namespaced: bool| {
            Obj::new(kind, api, namespaced, ns.clone(), &name)
        };
        let mut obj = match (sub, info.map(|k| k.kind)) {
            (_, Some("Deployment")) => {
                // create/create_deployment.go: labels and selector `app=NAME`,
                // one container per --image named after the image.
                let images = args.values(&["image"]);
                if images.is_empty() {
                    return skip(Reason::Unsupported, "`create deployment` without --image");
                }
                let mut o = mk("Deployment", "apps/v1", true);
                let app = BTreeMap::from([("app".to_string(), name.clone())]);
                o.labels = app
                    .iter()
                    .map(|(k, v)| (k.clone(), Some(v.clone())))
                    .collect();
                o.selector = Some(app);
                o.replicas = Some(
                    args.value(&["replicas"])
                        .and_then(|r| r.parse().ok())
                        .unwrap_or(1),
                );
                o.containers = Some(images.iter().map(|i| image_container(i)).collect());
                o
            }
            (_, Some("Job")) => {
                // create/create_job.go: one container named NAME.
                let mut o = mk("Job", "batch/v1", true);
                if let Some(image) = args.value(&["image"]) {
                    o.containers = Some(vec![Container {
                        name: Some(name.clone()),
                        image: image.to_string(),
                    }]);
                }
                o
            }
            (_, Some("CronJob")) => {
                // create/create_cronjob.go: container NAME, --schedule.
                let mut o = mk("CronJob", "batch/v1", true);
                if let Some(image) = args.value(&["image"]) {
                    o.containers = Some(vec![Container {
                        name: Some(name.clone()),
                        image: image.to_string(),
                    }]);
                }
                if let Some(s) = args.value(&["schedule"]) {
                    o.extra = json!({"spec": {"schedule": s}});
                }
                o
            }
            (_, Some("ConfigMap")) => {
                // create/create_configmap.go: --from-literal=k=v,
                // --from-file=[key=]path (key: the file's base name).
                let mut o = mk("ConfigMap", "v1", true);
                let mut data = serde_json::Map::new();
                for l in args.values(&["from-literal"]) {
                    if let Some((k, v)) = l.split_once('=') {
                        data.insert(k.to_string(), Value::String(v.to_string()));
                    }
                }
                if !data.is_empty() {
                    o.extra = json!({ "data": data });
                }
                o.data_keys = file_keys(&args.values(&["from-file"]));
                o
            }
            ("secret", _) => {
                // create/create_secret.go, create_secret_tls.go,
                // create_secret_docker.go: the type follows the subcommand.
                let (ty, name) = match (args.pos.get(2).map(String::as_str), args.pos.get(3)) {
                    (Some("generic"), Some(n)) => ("Opaque", n.clone()),
                    (Some("tls"), Some(n)) => ("kubernetes.io/tls", n.clone()),
                    (Some("docker-registry"), Some(n)) => {
                        ("kubernetes.io/dockerconfigjson", n.clone())
                    }
                    _ => {
                        return skip(
                            Reason::Unsupported,
                            "`create secret` without a type and name",
                        );
                    }
                };
                let mut o = Obj::new("Secret", "v1", true, ns.clone(), &name);
                o.extra = json!({ "type": ty });
                let mut keys = file_keys(&args.values(&["from-file"]));
                for l in args.values(&["from-literal"]) {
                    if let Some((k, _)) = l.split_once('=') {
                        keys.insert(k.to_string());
                    }
                }
                if ty == "kubernetes.io/tls" {
                    keys.extend(["tls.crt".to_string(), "tls.key".to_string()]);
                }
                o.data_keys = keys;
                o
            }
            ("service", _) => {
                // create/create_service.go: `create service TYPE NAME`,
                // selector `app=NAME`.
                let (ty, name) = match (args.pos.get(2).map(String::as_str), args.pos.get(3)) {
                    (Some("clusterip"), Some(n)) => ("ClusterIP", n.clone()),
                    (Some("nodeport"), Some(n)) => ("NodePort", n.clone()),
                    (Some("loadbalancer"), Some(n)) => ("LoadBalancer", n.clone()),
                    (Some("externalname"), Some(n)) => ("ExternalName", n.clone()),
                    _ => {
                        return skip(
                            Reason::Unsupported,
                            "`create service` without a type and name",
                        );
                    }
                };
                let mut o = Obj::new("Service", "v1", true, ns.clone(), &name);
                o.extra = json!({"spec": {"type": ty}});
                if ty != "ExternalName" {
                    o.selector = Some(BTreeMap::from([("app".to_string(), name.clone())]));
                    o.extra["spec"]["selector"] = json!({"app": name});
                }
                o
            }
            (_, Some("RoleBinding" | "ClusterRoleBinding")) => {
                // create/create_rolebinding.go: --role or --clusterrole.
                let kind = info.map(|k| k.kind).unwrap_or("RoleBinding");
                let mut o = mk(kind, "rbac.authorization.k8s.io/v1", kind == "RoleBinding");
                if let Some(r) = args.value(&["clusterrole"]) {
                    o.extra = json!({"roleRef": {"kind": "ClusterRole", "name": r}});
                } else if let Some(r) = args.value(&["role"]) {
                    o.extra = json!({"roleRef": {"kind": "Role", "name": r}});
                }
                // create_rolebinding.go `createRoleBinding`: subjects from
                // --user, --group, --serviceaccount=NS:NAME.
                let mut subjects = Vec::new();
                for u in args.values(&["user"]) {
                    subjects.push(
                        json!({"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": u}),
                    );
                }
                for g in args.values(&["group"]) {
                    subjects.push(json!({"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": g}));
                }
                for sa in args.values(&["serviceaccount"]) {
                    let Some((sa_ns, sa_name)) = sa.split_once(':') else {
                        return skip(
                            Reason::Refused,
                            format!("--serviceaccount={sa}: kubectl wants NAMESPACE:NAME"),
                        );
                    };
                    subjects.push(
                        json!({"kind": "ServiceAccount", "namespace": sa_ns, "name": sa_name}),
                    );
                }
                if !subjects.is_empty() {
                    o.extra["subjects"] = Value::Array(subjects);
                }
                o
            }
            (
                _,
                Some(
                    kind @ ("Namespace"
                    | "ServiceAccount"
                    | "Role"
                    | "ClusterRole"
                    | "Ingress"
                    | "PodDisruptionBudget"
                    | "PriorityClass"
                    | "ResourceQuota"
                    | "PersistentVolumeClaim"
                    | "NetworkPolicy"),
                ),
            ) => {
                let info = info.expect_kind();
                let group = if info.group.is_empty() {
                    "v1".to_string()
                } else {
                    format!("{}/v1", info.group)
                };
                mk(kind, &group, info.namespaced)
            }
            _ => {
                return skip(
                    Reason::Unsupported,
                    format!("`kubectl create {sub}` is not modelled"),
                );
            }
        };
        if !obj.namespaced {
            obj.namespace = None;
        }
        let key = obj.key();
        self.state.upsert(obj);
        Outcome::Changed(vec![Touch::Object(key)])
    }

    /// `kubectl run NAME --image=IMAGE [-- COMMAND]`: a bare Pod since
    /// Kubernetes 1.18 (run/run.go: labels `run=NAME` unless --labels,
    /// one container named NAME; `--rm` deletes it when it ends;
    /// `--expose` also makes a Service of the same name).
    fn run(&mut self, args: &Args, ns: Option<String>) -> Outcome {
        if dry_run(args) || args.has(&["rm"]) {
            return Outcome::ReadOnly;
        }
        let Some(name) = args.pos.get(1).cloned() else {
            return skip(Reason::Unsupported, "`kubectl run` without a name");
        };
        let Some(image) = args.value(&["image"]) else {
            return skip(Reason::Unsupported, "`kubectl run` without --image");
        };
        let mut pod = Obj::new("Pod", "v1", true, ns.clone(), &name);
        let labels: BTreeMap<String, String> = match args.value(&["labels", "l"]) {
            Some(l) => l
                .split(',')
                .filter_map(|kv| kv.split_once('='))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            None => BTreeMap::from([("run".to_string(), name.clone())]),
        };
        pod.labels = labels
            .iter()
            .map(|(k, v)| (k.clone(), Some(v.clone())))
            .collect();
        pod.containers = Some(vec![Container {
            name: Some(name.clone()),
            image: image.to_string(),
        }]);
        let mut touched = vec![Touch::Object(pod.key())];
        self.state.upsert(pod);
        if args.has(&["expose"]) {
            let mut svc = Obj::new("Service", "v1", true, ns, &name);
            svc.selector = Some(labels.clone());
            svc.extra = json!({"spec": {"selector": labels}});
            touched.push(Touch::Object(svc.key()));
            self.state.upsert(svc);
        }
        Outcome::Changed(touched)
    }

    /// `kubectl expose KIND NAME` / `KIND/NAME`: a Service named after the
    /// resource (or --name), selecting what the resource selects
    /// (expose/expose.go: the selector comes from the object through
    /// polymorphichelpers.MapBasedSelectorForObject: a pod's labels, a
    /// workload's matchLabels, a service's selector).
    fn expose(&mut self, args: &Args, ns: Option<String>) -> Outcome {
        if dry_run(args) {
            return Outcome::ReadOnly;
        }
        let targets = match targets(&args.pos[1..]) {
            Ok(t) => t,
            Err(o) => return o,
        };
        let Some((info, name)) = targets.into_iter().next() else {
            return skip(Reason::Unsupported, "`kubectl expose` without a resource");
        };
        let key = Key {
            kind: info.kind.to_string(),
            namespace: ns.clone().unwrap_or_default(),
            name: name.clone(),
        };
        let source = self.state.objects.get(&key);
        let selector = match (args.value(&["selector"]), source) {
            (Some(s), _) => Some(
                s.split(',')
                    .filter_map(|kv| kv.split_once('='))
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect::<BTreeMap<_, _>>(),
            ),
            (None, Some(o)) if o.kind == "Pod" => Some(
                o.labels
                    .iter()
                    .filter_map(|(k, v)| v.clone().map(|v| (k.clone(), v)))
                    .collect(),
            ),
            (None, Some(o)) => o.selector.clone(),
            (None, None) => None,
        };
        let svc_name = args.value(&["name"]).map(str::to_string).unwrap_or(name);
        let mut svc = Obj::new("Service", "v1", true, ns, &svc_name);
        let mut spec = serde_json::Map::new();
        if let Some(t) = args.value(&["type"]) {
            spec.insert("type".into(), Value::String(t.to_string()));
        }
        if let Some(sel) = selector.as_ref().filter(|s| !s.is_empty()) {
            spec.insert("selector".into(), json!(sel));
        }
        if let Some(p) = args.value(&["port"]).and_then(|p| p.parse::<i64>().ok()) {
            spec.insert("ports".into(), json!([{"port": p}]));
        }
        svc.selector = selector;
        if !spec.is_empty() {
            svc.extra = json!({ "spec": spec });
        }
        let key = svc.key();
        self.state.upsert(svc);
        Outcome::Changed(vec![Touch::Object(key)])
    }

    /// `kubectl delete KIND NAME...|KIND/NAME|-f FILE|-l SEL|--all`
    /// (delete/delete.go).
    fn delete(&mut self, args: &Args, ns: Option<String>) -> Outcome {
        if dry_run(args) {
            return Outcome::ReadOnly;
        }
        let mut touched = Vec::new();
        if args.has(&["f", "filename"]) {
            for f in args.values(&["f", "filename"]) {
                if f.contains("://") {
                    return skip(Reason::Url, format!("manifest from a URL: {f}"));
                }
                let docs = match self.read_manifest(f, args.has(&["R", "recursive"])) {
                    Ok(d) => d,
                    Err(s) => return Outcome::Skipped(s),
                };
                for doc in &docs {
                    if let Some(obj) = manifests::to_obj(doc, ns.as_deref(), &self.state) {
                        let key = obj.key();
                        if self.state.remove(&key).is_none() {
                            self.state.gone.insert(key.clone(), obj);
                        }
                        touched.push(Touch::Object(key));
                    }
                }
            }
            return Outcome::Changed(touched);
        }
        if let Some(sel) = args.value(&["l", "selector"]) {
            let Some(kinds) = args.pos.get(1) else {
                return skip(Reason::Unsupported, "`delete -l` without a kind");
            };
            for k in kinds.split(',') {
                let Some(info) = kinds::builtin(k) else {
                    return skip(Reason::Unsupported, format!("unknown kind `{k}`"));
                };
                self.remove_matching(info, &ns, Some(sel));
                touched.push(Touch::Selection {
                    kind: info.kind.to_string(),
                    namespace: ns.clone().filter(|_| info.namespaced),
                    selector: sel.to_string(),
                    count: "0",
                });
            }
            return Outcome::Changed(touched);
        }
        if args.has(&["all"]) {
            let Some(kinds) = args.pos.get(1) else {
                return skip(Reason::Unsupported, "`delete --all` without a kind");
            };
            for k in kinds.split(',') {
                let Some(info) = kinds::builtin(k) else {
                    return skip(Reason::Unsupported, format!("unknown kind `{k}`"));
                };
                for key in self.remove_matching(info, &ns, None) {
                    touched.push(Touch::Object(key));
                }
                touched.push(Touch::Selection {
                    kind: info.kind.to_string(),
                    namespace: ns.clone().filter(|_| info.namespaced),
                    selector: String::new(),
                    count: "0",
                });
            }
            return Outcome::Changed(touched);
        }
        let targets = match targets(&args.pos[1..]) {
            Ok(t) => t,
            Err(o) => return o,
        };
        if targets.is_empty() {
            return skip(Reason::Unsupported, "`kubectl delete` without a resource");
        }
        for (info, name) in targets {
            let obj = Obj::new(info.kind, "", info.namespaced, ns.clone(), &name);
            let key = obj.key();
            if self.state.remove(&key).is_none() {
                self.state.gone.insert(key.clone(), obj);
            }
            touched.push(Touch::Object(key));
        }
        Outcome::Changed(touched)
    }

    /// Removes the objects of a kind (matching `sel`) from the state.
    fn remove_matching(
        &mut self,
        info: &KindInfo,
        ns: &Option<String>,
        sel: Option<&str>,
    ) -> Vec<Key> {
        let selector = sel.and_then(|s| Selector::parse(s).ok());
        let namespace = ns.clone().filter(|_| info.namespaced).unwrap_or_default();
        let keys: Vec<Key> = self
            .state
            .objects
            .iter()
            .filter(|(k, o)| {
                k.kind == info.kind
                    && k.namespace == namespace
                    && selector.as_ref().is_none_or(|s| {
                        let labels: BTreeMap<String, String> = o
                            .labels
                            .iter()
                            .filter_map(|(k, v)| v.clone().map(|v| (k.clone(), v)))
                            .collect();
                        s.matches(&labels)
                    })
            })
            .map(|(k, _)| k.clone())
            .collect();
        for k in &keys {
            self.state.remove(k);
        }
        keys
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
                .cloned()
                .unwrap_or_else(|| Obj::new(info.kind, "", info.namespaced, ns.clone(), &name));
            if let Err(o) = change(&mut obj, args) {
                return o;
            }
            touched.push(Touch::Object(obj.key()));
            self.state.upsert(obj);
        }
        Outcome::Changed(touched)
    }

    /// `kubectl label|annotate KIND NAME|-l SEL|--all k=v k- [--overwrite]`
    /// (label/label.go, annotate/annotate.go: `key-` removes).
    fn label(
        &mut self,
        args: &Args,
        ns: Option<String>,
        labels: bool,
        selection: Option<Binding>,
    ) -> Outcome {
        if dry_run(args) {
            return Outcome::ReadOnly;
        }
        let mut changes: Vec<(String, Option<String>)> = Vec::new();
        let mut rest = Vec::new();
        for p in &args.pos[1..] {
            if let Some((k, v)) = p.split_once('=') {
                changes.push((k.to_string(), Some(v.to_string())));
            } else if let Some(k) = p.strip_suffix('-').filter(|_| {
                !rest.is_empty() || args.has(&["l", "selector", "all"]) || selection.is_some()
            }) {
                // `key-` removes (object names cannot end with `-`).
                changes.push((k.to_string(), None));
            } else {
                rest.push(p.clone());
            }
        }
        if changes.is_empty() {
            return skip(Reason::Unsupported, "no `key=value` to set");
        }
        let selected = match (&selection, args.value(&["l", "selector"])) {
            (
                Some(Binding::Selection {
                    kind,
                    namespace,
                    selector,
                }),
                _,
            ) => Some((*kind, namespace.clone().or(ns.clone()), selector.clone())),
            (None, Some(sel)) => {
                let Some(kind) = rest.first().and_then(|k| kinds::builtin(k)) else {
                    return skip(Reason::Unsupported, "`-l` without a known kind");
                };
                Some((kind, ns.clone(), sel.to_string()))
            }
            _ => None,
        };
        if let Some((kind, namespace, sel)) = selected {
            if !labels {
                // Annotations do not move objects in or out of a selection.
                return Outcome::Changed(vec![Touch::Selection {
                    kind: kind.kind.to_string(),
                    namespace,
                    selector: sel,
                    count: ">=1",
                }]);
            }
            return self.relabel_selection(kind, namespace, &sel, &changes);
        }
        if args.has(&["all"]) {
            // Every object of the kind: none is left without the change.
            let Some(kind) = rest.first().and_then(|k| kinds::builtin(k)) else {
                return skip(Reason::Unsupported, "`--all` without a known kind");
            };
            if !labels {
                return skip(
                    Reason::Unsupported,
                    "`annotate --all`: annotations cannot be selected",
                );
            }
            let namespace = ns.clone().filter(|_| kind.namespaced);
            let key_ns = namespace.clone().unwrap_or_default();
            for o in self.state.objects.values_mut() {
                if o.kind == kind.kind && o.key().namespace == key_ns {
                    for (k, v) in &changes {
                        o.labels.insert(k.clone(), v.clone());
                    }
                }
            }
            return Outcome::Changed(
                changes
                    .iter()
                    .map(|(k, v)| Touch::Selection {
                        kind: kind.kind.to_string(),
                        namespace: namespace.clone(),
                        selector: match v {
                            Some(v) => format!("{k}!={v}"),
                            None => k.clone(),
                        },
                        count: "0",
                    })
                    .collect(),
            );
        }
        let pos_args = Args {
            pos: std::iter::once(String::new()).chain(rest).collect(),
            flags: args.flags.clone(),
        };
        self.for_targets(&pos_args, 1, ns, |o, _| {
            for (k, v) in &changes {
                if labels {
                    o.labels.insert(k.clone(), v.clone());
                } else {
                    o.annotations.insert(k.clone(), v.clone());
                }
            }
            Ok(())
        })
    }

    /// Objects chosen by `sel` get new labels: afterwards they match the
    /// relabelled selector; the old one matches nothing unless a controller
    /// replaces the pods that left it.
    fn relabel_selection(
        &mut self,
        kind: &KindInfo,
        namespace: Option<String>,
        sel: &str,
        changes: &[(String, Option<String>)],
    ) -> Outcome {
        let Ok(parsed) = Selector::parse(sel) else {
            return skip(Reason::Unparsable, format!("selector `{sel}`"));
        };
        let mut eq: BTreeMap<String, String> = BTreeMap::new();
        let mut other = Vec::new();
        for r in &parsed.requirements {
            match r.op {
                Op::Equals if r.values.len() == 1 => {
                    eq.insert(r.key.clone(), r.values[0].clone());
                }
                _ => other.push(r.clone()),
            }
        }
        let old = eq.clone();
        let mut new = eq.clone();
        let mut new_text: Vec<String> = Vec::new();
        for (k, v) in changes {
            match v {
                Some(v) => {
                    new.insert(k.clone(), v.clone());
                }
                None => {
                    new.remove(k);
                    new_text.push(format!("!{k}"));
                }
            }
        }
        // Requirements other than equality stay as written unless a change touches their key.
        for r in &other {
            if !changes.iter().any(|(k, _)| k == &r.key) {
                new_text.push(r_text(r));
            }
        }
        let mut parts: Vec<String> = new.iter().map(|(k, v)| format!("{k}={v}")).collect();
        parts.extend(new_text);
        let new_sel = parts.join(",");
        // Update known pods of the model.
        for o in self.state.objects.values_mut() {
            if o.kind == kind.kind {
                let labels: BTreeMap<String, String> = o
                    .labels
                    .iter()
                    .filter_map(|(k, v)| v.clone().map(|v| (k.clone(), v)))
                    .collect();
                if parsed.matches(&labels) {
                    for (k, v) in changes {
                        o.labels.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        let mut touched = vec![Touch::Selection {
            kind: kind.kind.to_string(),
            namespace: namespace.clone().filter(|_| kind.namespaced),
            selector: new_sel.clone(),
            count: ">=1",
        }];
        let changed_selected_key = changes
            .iter()
            .any(|(k, v)| eq.get(k).is_some_and(|old| Some(old) != v.as_ref()));
        if changed_selected_key
            && other.is_empty()
            && new_sel != sel
            && !self
                .state
                .replaced_by_controller(namespace.as_deref().unwrap_or(""), &old)
        {
            touched.push(Touch::Selection {
                kind: kind.kind.to_string(),
                namespace: namespace.filter(|_| kind.namespaced),
                selector: selector_text(&old),
                count: "0",
            });
        }
        Outcome::Changed(touched)
    }

    /// `kubectl set image KIND/NAME c=image...` (set/set_image.go; `*`
    /// sets every container). Other `set` subcommands are not modelled.
    fn set(&mut self, args: &Args, ns: Option<String>) -> Outcome {
        if args.pos.get(1).map(String::as_str) != Some("image") {
            return skip(
                Reason::Unsupported,
                format!(
                    "`kubectl set {}` is not modelled",
                    args.pos.get(1).map(String::as_str).unwrap_or("")
                ),
            );
        }
        let mut images = Vec::new();
        let mut rest = vec![String::new()];
        for p in &args.pos[2..] {
            match p.split_once('=') {
                Some((c, i)) => images.push((c.to_string(), i.to_string())),
                None => rest.push(p.clone()),
            }
        }
        if images.is_empty() {
            return skip(Reason::Unsupported, "`set image` without `container=image`");
        }
        let a = Args {
            pos: rest,
            flags: args.flags.clone(),
        };
        let cause = args.has(&["record"]).then(|| change_cause(args));
        self.for_targets(&a, 1, ns, |o, _| {
            for (c, i) in &images {
                o.set_image(c, i);
            }
            if let Some(c) = &cause {
                o.change_cause = Some(c.clone());
                o.annotations.remove(super::model::CHANGE_CAUSE);
            }
            Ok(())
        })
    }

    /// `kubectl patch KIND NAME -p PATCH [--type strategic|merge|json]`
    /// (patch/patch.go): a literal strategic or merge patch is what the
    /// object contains afterwards; JSON patches are not modelled.
    fn patch(&mut self, args: &Args, ns: Option<String>, selection: Option<Binding>) -> Outcome {
        if dry_run(args) {
            return Outcome::ReadOnly;
        }
        let ty = args.value(&["type"]).unwrap_or("strategic");
        if ty == "json" {
            return skip(
                Reason::Unsupported,
                "JSON patch (--type json) operations are not modelled",
            );
        }
        let text = match (args.value(&["p", "patch"]), args.value(&["patch-file"])) {
            (Some(p), _) => p.to_string(),
            (None, Some(f)) => match self
                .repo_path(f)
                .and_then(|p| std::fs::read_to_string(p).ok())
            {
                Some(t) => t,
                None => return skip(Reason::FileNotFound, format!("patch file {f}")),
            },
            _ => return skip(Reason::Unsupported, "`kubectl patch` without -p"),
        };
        let patch: Value = match serde_saphyr::from_str(&text) {
            Ok(v) => v,
            Err(e) => {
                return skip(
                    Reason::Unparsable,
                    format!(
                        "patch: {}",
                        e.without_snippet().to_string().lines().next().unwrap_or("")
                    ),
                );
            }
        };
        if !patch.is_object()
            || text.contains("$patch")
            || text.contains("$setElementOrder")
            || text.contains("$retainKeys")
        {
            return skip(Reason::Unsupported, "patch directives are not modelled");
        }
        if let Some(Binding::Selection {
            kind,
            namespace,
            selector,
        }) = selection
        {
            let changes: Vec<(String, Option<String>)> = patch
                .pointer("/metadata/labels")
                .and_then(Value::as_object)
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| (k.clone(), v.as_str().map(str::to_string)))
                        .collect()
                })
                .unwrap_or_default();
            if changes.is_empty() {
                return skip(
                    Reason::Unsupported,
                    "a patch of objects chosen by a variable, not of their labels",
                );
            }
            return self.relabel_selection(kind, namespace.or(ns), &selector, &changes);
        }
        self.for_targets(args, 1, ns, |o, _| {
            o.merge_patch(&patch);
            Ok(())
        })
    }

    /// `kubectl certificate approve|deny NAME...`: the request gets an
    /// `Approved` (or `Denied`) condition (certificates/certificates.go).
    fn certificate(&mut self, args: &Args) -> Outcome {
        let ty = match args.pos.get(1).map(String::as_str) {
            Some("approve") => "Approved",
            Some("deny") => "Denied",
            _ => {
                return skip(
                    Reason::Unsupported,
                    "`kubectl certificate` without approve or deny",
                );
            }
        };
        if args.has(&["f", "filename"]) {
            return skip(Reason::Unsupported, "`kubectl certificate` with -f");
        }
        let names: Vec<String> = args.pos[2..].iter().map(|n| format!("csr/{n}")).collect();
        let a = Args {
            pos: std::iter::once(String::new()).chain(names).collect(),
            flags: args.flags.clone(),
        };
        self.for_targets(&a, 1, None, move |o, _| {
            crate::suggest::model::merge(
                &mut o.extra,
                &json!({"status": {"conditions": [{"type": ty, "status": "True"}]}}),
            );
            Ok(())
        })
    }

    /// `kubectl rollout undo|restart|pause|resume KIND/NAME`
    /// (rollout/rollout_undo.go and polymorphichelpers/rollback.go;
    /// `status` and `history` only read).
    fn rollout(&mut self, args: &Args, ns: Option<String>) -> Outcome {
        let sub = args.pos.get(1).cloned().unwrap_or_default();
        let to = args
            .value(&["to-revision"])
            .and_then(|r| r.parse::<u64>().ok())
            .unwrap_or(0);
        match sub.as_str() {
            "undo" => self.for_targets(args, 2, ns, move |o, _| {
                o.undo(to);
                Ok(())
            }),
            // objectrestarter.go: the template's annotation
            // `kubectl.kubernetes.io/restartedAt` is set to now, a new
            // template (so a new ReplicaSet), same containers.
            "restart" => self.for_targets(args, 2, ns, |o, _| {
                o.restarts = o.restarts.saturating_add(1);
                Ok(())
            }),
            "pause" | "resume" => {
                let paused = sub == "pause";
                self.for_targets(args, 2, ns, move |o, _| {
                    crate::suggest::model::merge(
                        &mut o.extra,
                        &json!({"spec": {"paused": paused}}),
                    );
                    Ok(())
                })
            }
            _ => Outcome::ReadOnly,
        }
    }

    /// `kubectl autoscale KIND NAME --max=N [--min=N]`: an HPA named after the
    /// resource (autoscale/autoscale.go).
    fn autoscale(&mut self, args: &Args, ns: Option<String>) -> Outcome {
        if dry_run(args) {
            return Outcome::ReadOnly;
        }
        let targets = match targets(&args.pos[1..]) {
            Ok(t) => t,
            Err(o) => return o,
        };
        let Some((_, name)) = targets.into_iter().next() else {
            return skip(
                Reason::Unsupported,
                "`kubectl autoscale` without a resource",
            );
        };
        let name = args.value(&["name"]).map(str::to_string).unwrap_or(name);
        let mut hpa = Obj::new("HorizontalPodAutoscaler", "autoscaling/v2", true, ns, &name);
        if let Some(max) = args.value(&["max"]).and_then(|m| m.parse::<i64>().ok()) {
            hpa.extra = json!({"spec": {"maxReplicas": max}});
        }
        let key = hpa.key();
        self.state.upsert(hpa);
        Outcome::Changed(vec![Touch::Object(key)])
    }

    /// `helm install NAME CHART`, `helm upgrade [--install] NAME CHART`,
    /// `helm uninstall NAME`, `helm rollback NAME`: the release's storage
    /// Secret `sh.helm.release.v1.NAME.vN`, labelled `owner=helm`,
    /// `name=NAME`, `status=deployed` for the current revision
    /// (helm pkg/storage/driver/secrets.go `newSecretsObject`, key from
    /// pkg/storage/storage.go `makeKey`).
    fn helm(&mut self, words: &[String]) -> Outcome {
        let args = Args::parse(words, helm_takes_value);
        let verb = args.pos.first().cloned().unwrap_or_default();
        if !helm_changes(words) {
            return Outcome::ReadOnly;
        }
        if let Some(p) = words.iter().find_map(|w| placeholder(w)) {
            return skip(Reason::Placeholder, format!("`{p}` is a placeholder"));
        }
        if args.has(&["dry-run"]) {
            return Outcome::ReadOnly;
        }
        let ns = args
            .value(&["n", "namespace"])
            .map(str::to_string)
            .or_else(|| self.context_namespace());
        match verb.as_str() {
            "install" | "upgrade" | "rollback" => {
                if args.has(&["generate-name", "g"]) {
                    return skip(
                        Reason::Unsupported,
                        "`--generate-name`: the release name is not known",
                    );
                }
                let min = if verb == "rollback" { 2 } else { 3 };
                if args.pos.len() < min {
                    return skip(
                        Reason::Unsupported,
                        format!("`helm {verb}` without a release name and chart"),
                    );
                }
                let name = args.pos[1].clone();
                // Each install, upgrade or rollback is a new revision
                // (pkg/action/install.go: 1; upgrade.go and rollback.go:
                // the last one + 1); an upgrade of a release that does
                // not exist is an install (`--install`).
                if verb != "install" && self.state.helm_unknown.contains(&ns) {
                    return skip(
                        Reason::ShellVariable,
                        "an earlier helm command in this namespace named its release with a shell variable: which releases exist, and their revisions, are not known",
                    );
                }
                let unknown = false;
                let revision = self
                    .state
                    .releases
                    .entry((ns.clone(), name.clone()))
                    .or_insert(0);
                // 0: the revision is not known (see `State::releases`).
                *revision = if verb == "install" {
                    1
                } else if unknown
                    || (*revision == 0
                        && (verb == "rollback"
                            || self.state.carried.contains(&(ns.clone(), name.clone()))))
                {
                    0
                } else {
                    revision.saturating_add(1)
                };
                let mut touched = Vec::new();
                if args.has(&["create-namespace"])
                    && let Some(n) = &ns
                {
                    let o = Obj::new("Namespace", "v1", false, None, n);
                    touched.push(Touch::Object(o.key()));
                    self.state.upsert(o);
                }
                touched.push(Touch::HelmRelease {
                    namespace: ns,
                    name,
                    present: true,
                });
                Outcome::Changed(touched)
            }
            "uninstall" | "delete" | "del" | "un" => {
                if args.has(&["keep-history"]) {
                    return skip(
                        Reason::Unsupported,
                        "`--keep-history` keeps the release's Secrets",
                    );
                }
                let Some(name) = args.pos.get(1).cloned() else {
                    return skip(
                        Reason::Unsupported,
                        "`helm uninstall` without a release name",
                    );
                };
                self.state.releases.remove(&(ns.clone(), name.clone()));
                Outcome::Changed(vec![Touch::HelmRelease {
                    namespace: ns,
                    name,
                    present: false,
                }])
            }
            other => skip(
                Reason::Unsupported,
                format!("`helm {other}` is not modelled"),
            ),
        }
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

/// What `kubectl create deployment NAME --image=I... --dry-run=client -o
/// yaml|json` prints: the object of create_deployment.go
/// `createDeployment`, with the zero values Go's encoder writes
/// (`creationTimestamp: null`, `strategy: {}`, `resources: {}`,
/// `status: {}`), keys sorted as sigs.k8s.io/yaml prints them.
fn dry_run_manifest(args: &Args, ns: Option<&str>) -> Option<String> {
    let format = args.value(&["o", "output"])?;
    if args
        .pos
        .get(1)
        .and_then(|k| kinds::builtin(k))
        .map(|k| k.kind)
        != Some("Deployment")
    {
        return None;
    }
    let name = args.pos.get(2)?;
    let images = args.values(&["image"]);
    if images.is_empty() {
        return None;
    }
    let replicas: i64 = match args.value(&["replicas"]) {
        Some(r) => r.parse().ok()?,
        None => 1,
    };
    let containers: Vec<Value> = images
        .iter()
        .map(|i| {
            let c = image_container(i);
            // A sanitized name gets a random suffix: not predictable.
            c.name
                .map(|n| json!({"image": i, "name": n, "resources": {}}))
        })
        .collect::<Option<_>>()?;
    let mut metadata = json!({"creationTimestamp": null, "labels": {"app": name}, "name": name});
    if let (Some(n), true) = (ns, args.has(&["n", "namespace"])) {
        metadata["namespace"] = json!(n);
    }
    let obj = json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": metadata,
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "strategy": {},
            "template": {
                "metadata": {"creationTimestamp": null, "labels": {"app": name}},
                "spec": {"containers": containers}
            }
        },
        "status": {}
    });
    match format {
        "yaml" => {
            let mut s = String::new();
            super::yaml_block(&mut s, &obj, 0);
            Some(s)
        }
        "json" => serde_json::to_string_pretty(&obj).ok(),
        _ => None,
    }
}

trait ExpectKind {
    fn expect_kind(self) -> &'static KindInfo;
}

impl ExpectKind for Option<&'static KindInfo> {
    /// Only called where a kind matched a pattern, so `Namespace` is a
    /// harmless fallback.
    fn expect_kind(self) -> &'static KindInfo {
        self.or_else(|| kinds::by_kind_name("Namespace"))
            .unwrap_or(&kinds::BUILTINS[2])
    }
}

fn r_text(r: &crate::check::selector::Requirement) -> String {
    match r.op {
        Op::Equals => format!("{}={}", r.key, r.values.join("")),
        Op::NotEquals => format!("{}!={}", r.key, r.values.join("")),
        Op::In => format!("{} in ({})", r.key, r.values.join(",")),
        Op::NotIn => format!("{} notin ({})", r.key, r.values.join(",")),
        Op::Exists => r.key.clone(),
        Op::DoesNotExist => format!("!{}", r.key),
    }
}

/// `NAME=value` (a shell assignment word).
fn assignment(w: &str) -> Option<(&str, &str)> {
    let (name, value) = w.split_once('=')?;
    let ok = !name.is_empty()
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    ok.then_some((name, value))
}

/// `$NAME` or `${NAME}` as the whole word.
fn whole_variable(w: &str) -> Option<&str> {
    let name = w
        .strip_prefix("${")
        .and_then(|r| r.strip_suffix('}'))
        .or_else(|| w.strip_prefix('$'))?;
    name.chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_')
        .then_some(name)
}

/// A word the student is meant to replace: `XXXXX`, `xxxxx-yyyyy`,
/// `A.B.C.D`, `<name>`, `...`.
pub fn placeholder(w: &str) -> Option<&str> {
    let lower = w.to_ascii_lowercase();
    let runs = |c: char| {
        let mut best = 0;
        let mut n = 0;
        for ch in lower.chars() {
            if ch == c {
                n += 1;
                best = best.max(n);
            } else {
                n = 0;
            }
        }
        best
    };
    let is = runs('x') >= 4
        || runs('y') >= 4
        || w.contains("A.B.C.D")
        || w.contains("...")
        || w.contains('…')
        || (w.contains('<') && w.contains('>'));
    is.then_some(w)
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

fn helm_changes(words: &[String]) -> bool {
    let args = Args::parse(words, helm_takes_value);
    matches!(
        args.pos.first().map(String::as_str),
        Some("install" | "upgrade" | "rollback" | "uninstall" | "delete" | "del" | "un" | "init")
    ) && !args.has(&["dry-run"])
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

/// `create deployment`'s container for an image (create_deployment.go
/// `buildPodSpec`: the last path segment without tag or digest; a name with
/// `_` or `.` gets a random suffix, so it is left out).
fn image_container(image: &str) -> Container {
    let last = image.rsplit('/').next().unwrap_or(image);
    let name = last.split([':', '@']).next().unwrap_or(last);
    Container {
        name: (!name.contains(['_', '.'])).then(|| name.to_string()),
        image: image.to_string(),
    }
}

/// Keys of `--from-file=[key=]path` (the base name of the path).
fn file_keys(values: &[&str]) -> BTreeSet<String> {
    values
        .iter()
        .map(|v| match v.split_once('=') {
            Some((k, _)) => k.to_string(),
            None => v.rsplit('/').next().unwrap_or(v).to_string(),
        })
        .filter(|k| !k.is_empty())
        .collect()
}

/// Manifest files of `-f PATH` (`-R`: folders below too; kubectl reads
/// `.json`, `.yaml` and `.yml` files of a folder: cli-runtime
/// pkg/resource/visitor.go `FileExtensions`). Symbolic links to folders are
/// not followed below the top, so a loop cannot recurse forever.
fn collect_manifests(path: &Path, recursive: bool, top: bool, out: &mut Vec<PathBuf>) {
    if path.is_file() {
        out.push(path.to_path_buf());
        return;
    }
    // Below the top: only with -R, and not through symbolic links.
    if !top && (!recursive || path.is_symlink()) {
        return;
    }
    let Ok(entries) = std::fs::read_dir(path) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            collect_manifests(&p, recursive, false, out);
        } else if p
            .extension()
            .is_some_and(|e| e == "yaml" || e == "yml" || e == "json")
        {
            out.push(p);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shell::parse as shell;

    fn run(interp: &mut Interp, text: &str) -> Vec<Outcome> {
        shell::parse(text)
            .unwrap()
            .iter()
            .map(|c| interp.command(c))
            .collect()
    }

    fn interp() -> Interp {
        Interp::new(Path::new("/nonexistent"))
    }

    #[test]
    fn args_like_pflag() {
        let w: Vec<String> = [
            "-n",
            "blue",
            "get",
            "-owide",
            "--dry-run",
            "pods",
            "-it",
            "--",
            "sh",
            "-c",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let a = Args::parse(&w, kubectl_takes_value);
        assert_eq!(a.pos, vec!["get", "pods"]);
        assert_eq!(a.value(&["n"]), Some("blue"));
        assert_eq!(a.value(&["o"]), Some("wide"));
        assert!(a.has(&["dry-run"]) && a.has(&["i"]) && a.has(&["t"]));
    }

    #[test]
    fn create_deployment_scale_set_image_undo() {
        let mut i = interp();
        run(
            &mut i,
            "kubectl create deployment worker --image=dockercoins/worker:v0.1\nkubectl scale deploy/worker --replicas 3\nkubectl set image deploy worker worker=dockercoins/worker:v0.2",
        );
        let key = Key {
            kind: "Deployment".into(),
            namespace: String::new(),
            name: "worker".into(),
        };
        let o = &i.state.objects[&key];
        assert_eq!(o.replicas, Some(3));
        assert_eq!(
            o.containers.as_ref().unwrap()[0].image,
            "dockercoins/worker:v0.2"
        );
        run(&mut i, "kubectl rollout undo deployment worker");
        assert_eq!(
            i.state.objects[&key].containers.as_ref().unwrap()[0].image,
            "dockercoins/worker:v0.1"
        );
        run(&mut i, "kubectl delete deployment worker");
        assert!(!i.state.objects.contains_key(&key) && i.state.gone.contains_key(&key));
    }

    #[test]
    fn run_is_a_bare_pod_and_expose_selects_it() {
        let mut i = interp();
        run(
            &mut i,
            "kubectl run pingpong --image alpine ping 127.0.0.1\nkubectl expose pod pingpong --port=80",
        );
        let pod = i.state.objects.values().find(|o| o.kind == "Pod").unwrap();
        assert_eq!(pod.labels["run"].as_deref(), Some("pingpong"));
        let svc = i
            .state
            .objects
            .values()
            .find(|o| o.kind == "Service")
            .unwrap();
        assert_eq!(svc.extra["spec"]["selector"]["run"], "pingpong");
        assert_eq!(svc.extra["spec"]["ports"][0]["port"], 80);
        assert_eq!(
            run(&mut i, "kubectl run x --rm -it --image=alpine -- sh"),
            vec![Outcome::ReadOnly]
        );
    }

    #[test]
    fn namespaces_follow_the_context() {
        let mut i = interp();
        run(
            &mut i,
            "kubectl config set-context --current --namespace=blue\nkubectl create configmap c --from-literal=a=b",
        );
        let cm = i
            .state
            .objects
            .values()
            .find(|o| o.kind == "ConfigMap")
            .unwrap();
        assert_eq!(cm.namespace.as_deref(), Some("blue"));
        run(&mut i, "kns red\nkubectl create namespace green -n ignored");
        assert_eq!(i.state.namespace.as_deref(), Some("red"));
        let ns = i
            .state
            .objects
            .values()
            .find(|o| o.kind == "Namespace")
            .unwrap();
        assert_eq!(ns.namespace, None);
    }

    #[test]
    fn skips_say_why() {
        let mut i = interp();
        let reasons = |o: &[Outcome]| -> Vec<Reason> {
            o.iter()
                .filter_map(|o| match o {
                    Outcome::Skipped(s) => Some(s.reason),
                    _ => None,
                })
                .collect()
        };
        assert_eq!(
            reasons(&run(&mut i, "kubectl apply -f https://x/y.yaml")),
            vec![Reason::Url]
        );
        assert_eq!(
            reasons(&run(&mut i, "kubectl delete pod pingpong-xxxxxxxxxx-yyyyy")),
            vec![Reason::Placeholder]
        );
        assert_eq!(
            reasons(&run(
                &mut i,
                "kubectl create secret tls $DOMAIN --cert=c --key=k"
            )),
            vec![Reason::ShellVariable]
        );
        assert_eq!(
            reasons(&run(&mut i, "kubectl edit service rng")),
            vec![Reason::InteractiveEdit]
        );
        assert_eq!(
            reasons(&run(&mut i, "kubectl apply -f nothere.yaml")),
            vec![Reason::FileNotFound]
        );
        assert_eq!(
            reasons(&run(
                &mut i,
                "kubectl get pods -o yaml | kubectl apply -f -"
            )),
            vec![Reason::Pipe]
        );
        assert!(
            reasons(&run(&mut i, "kubectl get pods $X")).is_empty(),
            "read-only"
        );
        // A literal variable is substituted.
        run(
            &mut i,
            "NAME=web\nkubectl create deployment $NAME --image=nginx",
        );
        assert!(i.state.objects.values().any(|o| o.name == "web"));
    }

    #[test]
    fn selection_variables_and_relabels() {
        let mut i = interp();
        run(
            &mut i,
            "kubectl apply -f - <<EOF\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  selector: {matchLabels: {app: d, on: \"yes\"}}\n  template:\n    metadata: {labels: {app: d, on: \"yes\"}}\n    spec: {containers: [{name: c, image: alpine}]}\nEOF",
        );
        let out = run(
            &mut i,
            "POD=$(kubectl get pods -l app=d,on=yes -o name)\nkubectl patch $POD -p '{\"metadata\": {\"labels\": {\"on\": \"no\"}}}'",
        );
        assert_eq!(
            out[1],
            Outcome::Changed(vec![Touch::Selection {
                kind: "Pod".into(),
                namespace: None,
                selector: "app=d,on=no".into(),
                count: ">=1"
            }]),
            "the deployment replaces the pod: no count 0 on the old selector"
        );
        let out = run(&mut i, "kubectl label pods -l on=no on=yes --overwrite");
        let Outcome::Changed(t) = &out[0] else {
            panic!("{out:?}")
        };
        assert_eq!(t.len(), 2);
        assert!(
            matches!(&t[1], Touch::Selection { selector, count: "0", .. } if selector == "on=no")
        );
    }

    #[test]
    fn dry_run_output_edited_by_sed_then_applied() {
        let mut i = interp();
        let out = run(
            &mut i,
            "kubectl create deployment rng --image=dockercoins/rng:v0.1 --dry-run=client -o yaml > rng.yml\nsed -i -e 's/^kind: Deployment$/kind: DaemonSet/' -e '/replicas:/d' -e '/strategy:/d' -e '/^status:/d' rng.yml\nkubectl apply -f rng.yml",
        );
        assert_eq!(out[0], Outcome::ReadOnly, "dry run");
        assert!(matches!(&out[2], Outcome::Changed(_)), "{out:?}");
        let ds = i
            .state
            .objects
            .values()
            .find(|o| o.kind == "DaemonSet")
            .unwrap();
        assert_eq!(ds.selector.as_ref().unwrap()["app"], "rng");
        assert_eq!(ds.replicas, None);
        assert!(!i.state.objects.values().any(|o| o.kind == "Deployment"));
        // An editor makes the content unknown.
        let out = run(&mut i, "vim rng.yml\nkubectl apply -f rng.yml");
        assert!(matches!(
            &out[1],
            Outcome::Skipped(Skip {
                reason: Reason::FileEdited,
                ..
            })
        ));
    }

    #[test]
    fn all_objects_certificates_and_nodes() {
        let mut i = interp();
        let out = run(
            &mut i,
            "kubectl label namespaces a=b c- --all\nkubectl certificate approve user=jean.doe\nkubectl cordon node2",
        );
        let Outcome::Changed(t) = &out[0] else {
            panic!("{out:?}")
        };
        assert!(
            matches!(&t[0], Touch::Selection { selector, count: "0", .. } if selector == "a!=b")
        );
        assert!(matches!(&t[1], Touch::Selection { selector, count: "0", .. } if selector == "c"));
        let csr = i
            .state
            .objects
            .values()
            .find(|o| o.kind == "CertificateSigningRequest")
            .unwrap();
        assert_eq!(csr.extra["status"]["conditions"][0]["type"], "Approved");
        let node = i.state.objects.values().find(|o| o.kind == "Node").unwrap();
        assert_eq!(node.namespace, None);
        assert_eq!(node.extra["spec"]["unschedulable"], true);
        run(&mut i, "kubectl uncordon node2");
        let node = i.state.objects.values().find(|o| o.kind == "Node").unwrap();
        assert!(
            node.extra
                .get("spec")
                .is_none_or(|s| s.get("unschedulable").is_none())
        );
        let e = node.expectations();
        assert_eq!(e[0].r#where, vec!["spec.unschedulable != true"]);
    }

    #[test]
    fn truncated_and_odd_commands_never_panic() {
        let mut i = interp();
        let lines = [
            "kubectl",
            "kubectl -n",
            "kubectl --namespace",
            "kubectl create",
            "kubectl create deployment",
            "kubectl create deployment x",
            "kubectl create secret",
            "kubectl create secret tls",
            "kubectl create service nodeport",
            "kubectl run",
            "kubectl run x",
            "kubectl expose",
            "kubectl expose deploy",
            "kubectl delete",
            "kubectl delete -l",
            "kubectl delete -l a=b",
            "kubectl delete --all",
            "kubectl delete pod/",
            "kubectl delete /x",
            "kubectl scale",
            "kubectl scale deploy/x",
            "kubectl scale deploy/x --replicas=lots",
            "kubectl label",
            "kubectl label pod",
            "kubectl label pod x",
            "kubectl label pod x a-",
            "kubectl label -l a=b",
            "kubectl annotate --all",
            "kubectl set",
            "kubectl set image",
            "kubectl set image deploy/x",
            "kubectl patch",
            "kubectl patch deploy x",
            "kubectl patch deploy x -p '[1'",
            "kubectl patch deploy x -p '[]'",
            "kubectl patch deploy x -p 'null'",
            "kubectl rollout",
            "kubectl rollout undo",
            "kubectl rollout undo deploy/x --to-revision=-1",
            "kubectl autoscale",
            "kubectl certificate",
            "kubectl certificate approve",
            "kubectl cordon",
            "kubectl apply",
            "kubectl apply -f",
            "kubectl apply -f -",
            "kubectl apply -f ../../etc/passwd",
            "kubectl apply -k",
            "kubectl config set-context --current --namespace",
            "helm",
            "helm install",
            "helm install x",
            "helm upgrade",
            "helm uninstall",
            "helm rollback",
            "kns",
            "kubens -",
            "sed -i",
            "sed -i -e",
            "vim",
            "X=",
            "export",
            "=x",
            "$(",
            "`",
            "POD=$(kubectl get pods -o name)",
            "kubectl patch $POD -p '{}'",
            "kubectl label $POD a=b",
        ];
        for l in lines {
            let Ok(cmds) = shell::parse(l) else { continue };
            for c in &cmds {
                let _ = i.command(c);
            }
        }
    }

    #[test]
    fn helm_releases() {
        let mut i = interp();
        let out = run(
            &mut i,
            "helm upgrade --install prometheus prometheus --repo https://x --namespace kube-system --create-namespace",
        );
        let Outcome::Changed(t) = &out[0] else {
            panic!("{out:?}")
        };
        assert!(t.contains(&Touch::HelmRelease {
            namespace: Some("kube-system".into()),
            name: "prometheus".into(),
            present: true
        }));
        assert_eq!(
            run(&mut i, "helm repo add x https://y\nhelm list"),
            vec![Outcome::ReadOnly, Outcome::ReadOnly]
        );
        let out = run(&mut i, "helm uninstall prometheus -n kube-system");
        assert!(
            matches!(&out[0], Outcome::Changed(t) if matches!(&t[0], Touch::HelmRelease { present: false, .. }))
        );
    }
}
