//! Shell variables and files an exercise writes: assignments, `$(...)`
//! substitutions of kubectl output, placeholders a trainer leaves for the
//! student, and `sed -i` edits of files written earlier in the deck.

use super::*;

impl Interp {
    /// `sed -i [-E] [-e SCRIPT]... FILE...`: a file written earlier in the
    /// deck is edited with the scripts the [`sed`](crate::suggest::sed) module
    /// follows; any other file's content becomes unknown.
    pub(super) fn sed(&mut self, args: &[String]) {
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
                    match crate::suggest::sed::apply(&scripts, extended, text) {
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
    pub(super) fn binding_from_substitution(&self, value: &str) -> Option<Binding> {
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
    pub(super) fn substitute(&self, word: &str) -> Option<String> {
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
}

/// `NAME=value` (a shell assignment word).
pub(super) fn assignment(w: &str) -> Option<(&str, &str)> {
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
pub(super) fn whole_variable(w: &str) -> Option<&str> {
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
pub(super) fn placeholder(w: &str) -> Option<&str> {
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
