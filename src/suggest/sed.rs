//! `sed -i` on a manifest the deck wrote earlier (`kubectl create ...
//! --dry-run=client -o yaml > rng.yml`, then `sed -i -e 's/^kind:
//! Deployment$/kind: DaemonSet/' -e '/replicas:/d' rng.yml`): the two sed
//! commands decks use to turn one manifest into another, `s/RE/REPL/FLAGS`
//! and `/RE/d`, with POSIX basic regular expressions (GNU sed's `\+`, `\?`,
//! `\|` included) or extended ones with `-E`/`-r`. Anything else returns
//! `None`: the file's content is then unknown.

use regex::{Regex, RegexBuilder};

enum Cmd {
    Subst {
        re: Regex,
        repl: String,
        global: bool,
    },
    Delete(Regex),
}

/// Applies a `sed` command line (the words after `sed`, without the file
/// names) to `text`; `None` when a script is not one of the supported forms.
pub fn apply(scripts: &[String], extended: bool, text: &str) -> Option<String> {
    let cmds = scripts
        .iter()
        .map(|s| parse(s, extended))
        .collect::<Option<Vec<_>>>()?;
    let mut out = String::new();
    'lines: for line in text.lines() {
        let mut line = line.to_string();
        for c in &cmds {
            match c {
                Cmd::Delete(re) if re.is_match(&line) => continue 'lines,
                Cmd::Delete(_) => {}
                Cmd::Subst { re, repl, global } => {
                    line = if *global {
                        re.replace_all(&line, repl.as_str()).into_owned()
                    } else {
                        re.replace(&line, repl.as_str()).into_owned()
                    };
                }
            }
        }
        out.push_str(&line);
        out.push('\n');
    }
    Some(out)
}

fn parse(script: &str, extended: bool) -> Option<Cmd> {
    let s = script.trim();
    if let Some(rest) = s.strip_prefix('/') {
        let (re, after) = split_delimited(rest, '/')?;
        if after.trim() != "d" {
            return None;
        }
        return Some(Cmd::Delete(regex(&re, extended, false)?));
    }
    let rest = s.strip_prefix('s')?;
    let delim = rest.chars().next()?;
    if delim.is_alphanumeric() || delim == '\\' || delim == '\n' {
        return None;
    }
    let (re, after) = split_delimited(&rest[delim.len_utf8()..], delim)?;
    let (repl, flags) = split_delimited(after, delim)?;
    let mut global = false;
    let mut icase = false;
    for f in flags.trim().chars() {
        match f {
            'g' => global = true,
            'I' | 'i' => icase = true,
            _ => return None,
        }
    }
    Some(Cmd::Subst {
        re: regex(&re, extended, icase)?,
        repl: replacement(&repl)?,
        global,
    })
}

/// Text up to the next unescaped `delim` (an escaped delimiter becomes the
/// character itself), and what follows it.
fn split_delimited(s: &str, delim: char) -> Option<(String, &str)> {
    let mut out = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        if c == '\\' {
            let (_, n) = chars.next()?;
            if n == delim {
                out.push(n);
            } else {
                out.push('\\');
                out.push(n);
            }
        } else if c == delim {
            return Some((out, &s[i + c.len_utf8()..]));
        } else {
            out.push(c);
        }
    }
    None
}

/// A POSIX BRE (or ERE) as a `regex` pattern: in a BRE, `\(`, `\)`, `\{`,
/// `\}`, `\+`, `\?`, `\|` are operators and the bare characters literal.
fn regex(re: &str, extended: bool, icase: bool) -> Option<Regex> {
    let pattern = if extended {
        re.to_string()
    } else {
        let mut p = String::new();
        let mut chars = re.chars().peekable();
        let mut in_bracket = false;
        while let Some(c) = chars.next() {
            if in_bracket {
                p.push(c);
                if c == ']' {
                    in_bracket = false;
                }
                continue;
            }
            match c {
                '[' => {
                    in_bracket = true;
                    p.push(c);
                    if chars.peek() == Some(&']') {
                        p.push('\\');
                        p.push(']');
                        chars.next();
                    }
                }
                '\\' => match chars.next()? {
                    n @ ('(' | ')' | '{' | '}' | '+' | '?' | '|') => p.push(n),
                    n if n.is_ascii_digit() => return None,
                    n => {
                        p.push('\\');
                        p.push(n);
                    }
                },
                '(' | ')' | '{' | '}' | '+' | '?' | '|' => {
                    p.push('\\');
                    p.push(c);
                }
                c => p.push(c),
            }
        }
        p
    };
    RegexBuilder::new(&pattern)
        .case_insensitive(icase)
        .build()
        .ok()
}

/// sed's replacement (`&`, `\1`..`\9`, `\n`) in `regex` syntax.
fn replacement(r: &str) -> Option<String> {
    let mut out = String::new();
    let mut chars = r.chars();
    while let Some(c) = chars.next() {
        match c {
            '&' => out.push_str("${0}"),
            '$' => out.push_str("$$"),
            '\\' => match chars.next()? {
                d if d.is_ascii_digit() => out.push_str(&format!("${{{d}}}")),
                'n' => out.push('\n'),
                't' => out.push('\t'),
                other => out.push(other),
            },
            c => out.push(c),
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn the_daemonset_edit() {
        let text = "kind: Deployment\nspec:\n  replicas: 1\n  strategy: {}\nstatus: {}\n";
        let out = apply(
            &s(&[
                "s/^kind: Deployment$/kind: DaemonSet/",
                "/replicas:/d",
                "/strategy:/d",
                "/^status:/d",
            ]),
            false,
            text,
        )
        .unwrap();
        assert_eq!(out, "kind: DaemonSet\nspec:\n");
    }

    #[test]
    fn basic_regular_expressions_and_replacements() {
        let out = apply(
            &s(&["s/\\(v0\\)\\.1/\\1.2 (&)/g"]),
            false,
            "a v0.1 b v0.1\n",
        )
        .unwrap();
        assert_eq!(out, "a v0.2 (v0.1) b v0.2 (v0.1)\n");
        // A bare `+` is literal in a BRE, an operator in an ERE.
        assert_eq!(apply(&s(&["s/a+/X/"]), false, "aa+\n").unwrap(), "aX\n");
        assert_eq!(apply(&s(&["s/a+/X/"]), true, "aa+\n").unwrap(), "X+\n");
        assert_eq!(apply(&s(&["s|/x|/y|"]), false, "/x\n").unwrap(), "/y\n");
        assert!(apply(&s(&["y/abc/xyz/"]), false, "a\n").is_none());
        assert!(apply(&s(&["s/a/b/w out"]), false, "a\n").is_none());
    }
}
