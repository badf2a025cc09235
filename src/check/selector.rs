//! Label selectors in kubectl syntax (`a=b`, `a!=b`, `a in (x,y)`, `!a`...).
//!
//! The string is still sent to the API server as `labelSelector`; parsing it
//! here lets a broken selector be reported with the slide's file and line
//! before any cluster is contacted, and lets results be re-checked locally.

use std::collections::BTreeMap;
use std::fmt;

/// A parsed label selector: every requirement must hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector {
    pub requirements: Vec<Requirement>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    pub key: String,
    pub op: Op,
    /// One value for `=`/`!=`, the set for `in`/`notin`, none for existence.
    pub values: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Equals,
    NotEquals,
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

/// What is wrong with a label selector, and where: the whole selector
/// (`text`), the key it concerns, the column. Callers add the file:line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectorError {
    #[error("selector {text:?}: expected ',' at column {column}")]
    ExpectedComma { text: String, column: usize },
    #[error("selector {text:?}: expected '!=' after key {key:?}")]
    ExpectedNotEquals { text: String, key: String },
    #[error(
        "selector {text:?}: unexpected {found:?} after key {key:?} (want =, ==, !=, in, notin or ',')"
    )]
    UnexpectedAfterKey {
        text: String,
        key: String,
        found: String,
    },
    #[error("selector {text:?}: expected '(' after in/notin for {key:?}")]
    ExpectedSet { text: String, key: String },
    #[error("selector {text:?}: expected ',' or ')' in the set for {key:?}")]
    UnclosedSet { text: String, key: String },
    #[error("selector {text:?}: {problem}")]
    Key { text: String, problem: LabelError },
    #[error("selector {text:?}: value for {key:?}: {problem}")]
    Value {
        text: String,
        key: String,
        problem: LabelError,
    },
}

/// A label key or value the API server would refuse
/// (apimachinery `validation.IsQualifiedName`, `IsValidLabelValue`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LabelError {
    #[error("missing label key")]
    MissingKey,
    #[error("bad label key prefix {0:?} (want a DNS subdomain)")]
    KeyPrefix(String),
    #[error("bad label key {0:?} (at most 63 of a-z A-Z 0-9 - _ ., alphanumeric at both ends)")]
    Key(String),
    #[error("bad label value {0:?} (at most 63 of a-z A-Z 0-9 - _ ., alphanumeric at both ends)")]
    Value(String),
}

/// A field selector term without `=`, `==` or `!=`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid field selector term {term:?}: no operator")]
pub struct FieldSelectorError {
    pub term: String,
}

impl Selector {
    /// Parses kubectl label-selector syntax. The error says what is wrong
    /// with which part of the string.
    pub fn parse(text: &str) -> Result<Selector, SelectorError> {
        let mut p = Parser {
            s: text.as_bytes(),
            pos: 0,
        };
        let mut requirements = Vec::new();
        p.skip_ws();
        if p.at_end() {
            return Ok(Selector { requirements });
        }
        loop {
            requirements.push(p.requirement()?);
            p.skip_ws();
            if p.at_end() {
                break;
            }
            if !p.eat(b',') {
                return Err(SelectorError::ExpectedComma {
                    text: text.to_owned(),
                    column: p.pos + 1,
                });
            }
        }
        Ok(Selector { requirements })
    }

    /// Whether an object with these labels is selected.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.matches_with(|key| labels.get(key).map(String::as_str))
    }

    /// Same test on labels as they appear in object JSON (`metadata.labels`;
    /// a value that is not a string is no label).
    pub fn matches_json(&self, labels: Option<&serde_json::Value>) -> bool {
        let labels = labels.and_then(serde_json::Value::as_object);
        self.matches_with(|key| {
            labels
                .and_then(|m| m.get(key))
                .and_then(serde_json::Value::as_str)
        })
    }

    /// The test itself, on labels looked up by key (one rule for both
    /// forms, and no copy of an object's labels per test: `lint` tests
    /// every object of a Kind for every draft).
    fn matches_with<'a>(&self, label: impl Fn(&str) -> Option<&'a str>) -> bool {
        self.requirements.iter().all(|r| r.matches(label(&r.key)))
    }
}

impl Requirement {
    /// Whether a label value (`None`: no such label) meets this
    /// requirement (apimachinery labels/selector.go `Requirement.Matches`).
    fn matches(&self, got: Option<&str>) -> bool {
        let is_listed = |v: &str| self.values.iter().any(|w| w == v);
        match self.op {
            Op::Equals | Op::In => got.is_some_and(is_listed),
            Op::NotEquals | Op::NotIn => got.is_none_or(|v| !is_listed(v)),
            Op::Exists => got.is_some(),
            Op::DoesNotExist => got.is_none(),
        }
    }
}

/// Canonical kubectl form, as sent to the API server.
impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, r) in self.requirements.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            match r.op {
                Op::Equals => write!(f, "{}={}", r.key, r.values[0])?,
                Op::NotEquals => write!(f, "{}!={}", r.key, r.values[0])?,
                Op::In => write!(f, "{} in ({})", r.key, r.values.join(","))?,
                Op::NotIn => write!(f, "{} notin ({})", r.key, r.values.join(","))?,
                Op::Exists => write!(f, "{}", r.key)?,
                Op::DoesNotExist => write!(f, "!{}", r.key)?,
            }
        }
        Ok(())
    }
}

struct Parser<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn at_end(&self) -> bool {
        self.pos >= self.s.len()
    }
    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }
    fn skip_ws(&mut self) {
        while self.peek().is_some_and(|c| c == b' ' || c == b'\t') {
            self.pos += 1;
        }
    }
    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    fn text(&self) -> String {
        String::from_utf8_lossy(self.s).into_owned()
    }
    /// A key or value token: everything up to a delimiter.
    fn word(&mut self) -> String {
        let start = self.pos;
        while let Some(c) = self.peek() {
            if matches!(c, b' ' | b'\t' | b',' | b'=' | b'!' | b'(' | b')') {
                break;
            }
            self.pos += 1;
        }
        String::from_utf8_lossy(&self.s[start..self.pos]).into_owned()
    }

    fn requirement(&mut self) -> Result<Requirement, SelectorError> {
        self.skip_ws();
        if self.eat(b'!') {
            self.skip_ws();
            let key = self.key()?;
            return Ok(Requirement {
                key,
                op: Op::DoesNotExist,
                values: vec![],
            });
        }
        let key = self.key()?;
        self.skip_ws();
        let op = if self.eat(b'=') {
            self.eat(b'=');
            Op::Equals
        } else if self.peek() == Some(b'!') {
            self.pos += 1;
            if !self.eat(b'=') {
                return Err(SelectorError::ExpectedNotEquals {
                    text: self.text(),
                    key,
                });
            }
            Op::NotEquals
        } else {
            let save = self.pos;
            match self.word().as_str() {
                "in" => Op::In,
                "notin" => Op::NotIn,
                "" => {
                    self.pos = save;
                    return Ok(Requirement {
                        key,
                        op: Op::Exists,
                        values: vec![],
                    });
                }
                other => {
                    return Err(SelectorError::UnexpectedAfterKey {
                        text: self.text(),
                        found: other.to_owned(),
                        key,
                    });
                }
            }
        };
        self.skip_ws();
        let values = match op {
            Op::In | Op::NotIn => self.value_set(&key)?,
            _ => vec![self.value(&key)?],
        };
        Ok(Requirement { key, op, values })
    }

    fn key(&mut self) -> Result<String, SelectorError> {
        let key = self.word();
        validate_key(&key).map_err(|problem| SelectorError::Key {
            text: self.text(),
            problem,
        })?;
        Ok(key)
    }

    fn value(&mut self, key: &str) -> Result<String, SelectorError> {
        let v = self.word();
        validate_value(&v).map_err(|problem| SelectorError::Value {
            text: self.text(),
            key: key.to_owned(),
            problem,
        })?;
        Ok(v)
    }

    fn value_set(&mut self, key: &str) -> Result<Vec<String>, SelectorError> {
        if !self.eat(b'(') {
            return Err(SelectorError::ExpectedSet {
                text: self.text(),
                key: key.to_owned(),
            });
        }
        let mut values = Vec::new();
        loop {
            self.skip_ws();
            values.push(self.value(key)?);
            self.skip_ws();
            if self.eat(b')') {
                break;
            }
            if !self.eat(b',') {
                return Err(SelectorError::UnclosedSet {
                    text: self.text(),
                    key: key.to_owned(),
                });
            }
        }
        Ok(values)
    }
}

/// `[prefix/]name`: prefix a DNS subdomain, name at most 63 characters of
/// alphanumerics, `-`, `_`, `.`, starting and ending alphanumeric.
fn validate_key(key: &str) -> Result<(), LabelError> {
    if key.is_empty() {
        return Err(LabelError::MissingKey);
    }
    let (prefix, name) = match key.split_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, key),
    };
    if let Some(p) = prefix {
        let ok = !p.is_empty()
            && p.len() <= 253
            && p.split('.').all(|part| {
                !part.is_empty()
                    && part
                        .bytes()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
                    && !part.starts_with('-')
                    && !part.ends_with('-')
            });
        if !ok {
            return Err(LabelError::KeyPrefix(p.to_owned()));
        }
    }
    if name.is_empty() || !is_label_name(name) {
        return Err(LabelError::Key(key.to_owned()));
    }
    Ok(())
}

fn validate_value(v: &str) -> Result<(), LabelError> {
    if v.is_empty() || is_label_name(v) {
        Ok(())
    } else {
        Err(LabelError::Value(v.to_owned()))
    }
}

fn is_label_name(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() <= 63
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
        && b.first().is_some_and(u8::is_ascii_alphanumeric)
        && b.last().is_some_and(u8::is_ascii_alphanumeric)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn labels_in_object_json_select_as_the_same_labels_in_a_map() {
        // A value that is not a string is no label (labels are strings:
        // apimachinery's ObjectMeta.Labels is map[string]string).
        let json = serde_json::json!({"app": "web", "tier": 3});
        for text in [
            "app=web",
            "app!=web",
            "tier",
            "!tier",
            "tier notin (3)",
            "app in (api,web)",
            "x",
        ] {
            let s = Selector::parse(text).unwrap();
            assert_eq!(
                s.matches_json(Some(&json)),
                s.matches(&labels(&[("app", "web")])),
                "{text}"
            );
            assert_eq!(s.matches_json(None), s.matches(&labels(&[])), "{text}");
        }
    }

    #[test]
    fn parses_every_operator() {
        let s = Selector::parse("a=b, c==d,e!=f,g in (x, y),h notin (z),i,!j").unwrap();
        let ops: Vec<Op> = s.requirements.iter().map(|r| r.op).collect();
        assert_eq!(
            ops,
            vec![
                Op::Equals,
                Op::Equals,
                Op::NotEquals,
                Op::In,
                Op::NotIn,
                Op::Exists,
                Op::DoesNotExist
            ]
        );
        assert_eq!(s.requirements[3].values, vec!["x", "y"]);
        assert_eq!(s.to_string(), "a=b,c=d,e!=f,g in (x,y),h notin (z),i,!j");
    }

    #[test]
    fn matches_like_the_api_server() {
        let s = Selector::parse("isactive=yes,tier notin (db),!debug").unwrap();
        assert!(s.matches(&labels(&[("isactive", "yes")])));
        assert!(s.matches(&labels(&[("isactive", "yes"), ("tier", "web")])));
        assert!(!s.matches(&labels(&[("isactive", "no")])));
        assert!(!s.matches(&labels(&[("isactive", "yes"), ("tier", "db")])));
        assert!(!s.matches(&labels(&[("isactive", "yes"), ("debug", "")])));
        let ne = Selector::parse("isactive!=yes").unwrap();
        assert!(ne.matches(&labels(&[])), "!= matches a missing label");
        let prefixed = Selector::parse("app.kubernetes.io/name in (web)").unwrap();
        assert!(prefixed.matches(&labels(&[("app.kubernetes.io/name", "web")])));
        assert!(Selector::parse("").unwrap().matches(&labels(&[])));
    }

    #[test]
    fn rejects_broken_selectors() {
        for bad in [
            "a=b=c",
            "a in x",
            "a in (x",
            "a b",
            "=b",
            "a=b,",
            "-a=b",
            "a=b c",
            "a=-x",
            "Bad_Prefix/x=y",
            "a !~ b",
        ] {
            assert!(Selector::parse(bad).is_err(), "{bad:?} should not parse");
        }
    }
}

/// A field selector (`spec.type=NodePort,status.phase!=Running`), read as
/// kube-apiserver reads it (apimachinery `pkg/fields/selector.go`,
/// `ParseSelector`: comma-separated terms, `=`, `==` or `!=`, `\` escaping
/// `,` `=` `!` and itself), to apply it here when a server refuses to:
/// which fields a server filters on differs by kind and version (services'
/// `spec.type` only from 1.31), while the fields themselves are in every
/// object it returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldSelector {
    /// `(field path, wanted value, equal)`: every term must hold.
    terms: Vec<(String, String, bool)>,
}

impl FieldSelector {
    pub fn parse(text: &str) -> Result<FieldSelector, FieldSelectorError> {
        let mut terms = Vec::new();
        for term in split_unescaped(text, ',') {
            if term.is_empty() {
                continue;
            }
            let (key, value, equal) = if let Some(at) = find_unescaped(&term, "!=") {
                (&term[..at], &term[at + 2..], false)
            } else if let Some(at) = find_unescaped(&term, "==") {
                (&term[..at], &term[at + 2..], true)
            } else if let Some(at) = find_unescaped(&term, "=") {
                (&term[..at], &term[at + 1..], true)
            } else {
                return Err(FieldSelectorError { term });
            };
            terms.push((key.trim().to_string(), unescape(value), equal));
        }
        Ok(FieldSelector { terms })
    }

    /// Whether the object's fields hold every term. A field the object does
    /// not have reads as the empty string, as the server's field sets do
    /// (`spec.nodeName=` selects unscheduled pods); booleans and numbers by
    /// their text.
    pub fn matches(&self, object: &serde_json::Value) -> bool {
        self.terms.iter().all(|(path, want, equal)| {
            let got = path
                .split('.')
                .try_fold(object, |v, k| v.get(k))
                .map(|v| match v {
                    serde_json::Value::String(s) => s.clone(),
                    serde_json::Value::Null => String::new(),
                    other => other.to_string(),
                })
                .unwrap_or_default();
            (got == *want) == *equal
        })
    }
}

/// `text` split at each `sep` not preceded by a `\`, escapes kept.
fn split_unescaped(text: &str, sep: char) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut escaped = false;
    for c in text.chars() {
        let last = out.last_mut();
        match (c, escaped, last) {
            (_, true, Some(l)) => {
                l.push(c);
                escaped = false;
            }
            ('\\', false, Some(l)) => {
                l.push(c);
                escaped = true;
            }
            (c, false, _) if c == sep => out.push(String::new()),
            (c, false, Some(l)) => l.push(c),
            (_, _, None) => {}
        }
    }
    out
}

/// Byte offset of the first `op` in `term` not preceded by a `\`.
fn find_unescaped(term: &str, op: &str) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in term.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        if c == '\\' {
            escaped = true;
            continue;
        }
        if term[i..].starts_with(op) {
            return Some(i);
        }
    }
    None
}

fn unescape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut escaped = false;
    for c in value.chars() {
        if !escaped && c == '\\' {
            escaped = true;
            continue;
        }
        escaped = false;
        out.push(c);
    }
    out
}

#[cfg(test)]
mod field_tests {
    use super::FieldSelector;
    use serde_json::json;

    #[test]
    fn field_selectors_match_as_the_server_filters() {
        let svc = json!({"metadata": {"name": "np"}, "spec": {"type": "NodePort"}});
        let pod = json!({"metadata": {"name": "p"}, "spec": {}, "status": {"phase": "Running"}});
        let yes = |s: &str, o| FieldSelector::parse(s).unwrap().matches(o);
        assert!(yes("spec.type=NodePort", &svc));
        assert!(yes("spec.type==NodePort,metadata.name=np", &svc));
        assert!(!yes("spec.type!=NodePort", &svc));
        assert!(!yes("spec.type=ClusterIP", &svc));
        // A missing field is the empty string.
        assert!(yes("spec.nodeName=", &pod));
        assert!(yes("status.phase!=Pending", &pod));
        assert!(yes(
            r"metadata.name=a\,b",
            &json!({"metadata": {"name": "a,b"}})
        ));
        assert!(FieldSelector::parse("spec.type").is_err());
    }
}
