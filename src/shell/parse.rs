//! The shell side of a command block: where one simple command ends and the
//! next begins (`;`, `&&`, `||`, `|`, `&`, newlines, `\` continuations),
//! here-documents, redirections and variable expansions, as bash reads them.
//!
//! Control operators and here-documents are found by a small quote-aware
//! scanner (the rules of bash(1), "SHELL GRAMMAR" and "REDIRECTION"); the
//! words of each simple command are then split by the `shlex` crate, which
//! implements POSIX quoting. Nothing is expanded: a word that needs an
//! expansion (`$VAR`, `$(...)`) is marked so that callers can refuse to
//! guess its value.

/// One simple command of a block, as bash would run it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimpleCommand {
    /// The words after quote removal, without redirections.
    pub words: Vec<String>,
    /// Words that hold an expansion (`$X`, `${X}`, `$(...)`, backquotes),
    /// by index into `words`.
    pub expanding: Vec<usize>,
    /// The command as written (continuations joined), for reports.
    pub text: String,
    /// 0-based line of the block where the command starts.
    pub line: usize,
    /// Here-document (or here-string) given on standard input.
    pub stdin: Option<String>,
    /// `> FILE` / `>> FILE`: where standard output goes.
    pub stdout_file: Option<String>,
    /// Standard input comes from the previous command of a pipeline.
    pub piped_in: bool,
    /// Ended with `&`: runs in the background.
    pub background: bool,
}

impl SimpleCommand {
    /// Whether word `i` needs an expansion.
    pub fn expands(&self, i: usize) -> bool {
        self.expanding.contains(&i)
    }
}

/// A block that cannot be split (unbalanced quotes, an unterminated
/// here-document): its 0-based line and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShellError {
    pub line: usize,
    pub message: String,
}

/// Splits a block of shell text into simple commands, in order.
pub fn parse(text: &str) -> Result<Vec<SimpleCommand>, ShellError> {
    let lines: Vec<&str> = text.split('\n').collect();
    let mut out = Vec::new();
    let mut i = 0;
    // The command being read: raw text (for shlex), display text, first line.
    let mut cur = Segment::new(0);
    let mut quote = Quote::None;
    let mut depth = 0usize; // inside `$(...)` or backquotes
    // Here-documents of the current line: (index of the command they feed
    // in `out`, delimiter, strip leading tabs).
    let mut pending_heredocs: Vec<(usize, String, bool)> = Vec::new();
    while i < lines.len() {
        let line = lines[i];
        let chars: Vec<char> = line.chars().collect();
        let mut j = 0;
        let mut continued = false;
        while j < chars.len() {
            let c = chars[j];
            match quote {
                Quote::Single => {
                    cur.push(c);
                    if c == '\'' {
                        quote = Quote::None;
                    }
                    j += 1;
                    continue;
                }
                Quote::Double => {
                    if c == '\\' && j + 1 < chars.len() {
                        cur.push(c);
                        cur.push(chars[j + 1]);
                        j += 2;
                        continue;
                    }
                    if c == '\\' && j + 1 == chars.len() {
                        continued = true;
                        break;
                    }
                    if c == '$' && starts_expansion(chars.get(j + 1).copied()) {
                        cur.expands = true;
                    }
                    if c == '"' {
                        quote = Quote::None;
                    }
                    cur.push(c);
                    j += 1;
                    continue;
                }
                Quote::None => {}
            }
            if depth > 0 {
                // Inside `$(...)` or backquotes: one word for shlex, kept
                // as written (its quotes and spaces escaped).
                match c {
                    '(' => depth += 1,
                    ')' | '`' => depth -= 1,
                    _ => {}
                }
                cur.push_escaped(c);
                j += 1;
                continue;
            }
            match c {
                '\\' if j + 1 == chars.len() => {
                    continued = true;
                    break;
                }
                '\\' => {
                    cur.push(c);
                    cur.push(chars[j + 1]);
                    j += 2;
                }
                '\'' => {
                    quote = Quote::Single;
                    cur.push(c);
                    j += 1;
                }
                '"' => {
                    quote = Quote::Double;
                    cur.push(c);
                    j += 1;
                }
                '#' if cur.at_word_start() => {
                    // A comment runs to the end of the line.
                    break;
                }
                '$' if chars.get(j + 1) == Some(&'(') => {
                    cur.expands = true;
                    depth += 1;
                    cur.push('$');
                    cur.push('(');
                    j += 2;
                }
                '$' => {
                    if starts_expansion(chars.get(j + 1).copied()) {
                        cur.expands = true;
                    }
                    cur.push(c);
                    j += 1;
                }
                '`' => {
                    cur.expands = true;
                    depth = 1;
                    cur.push(c);
                    j += 1;
                }
                ';' | '&' | '|' => {
                    let two = chars.get(j + 1).copied();
                    // `&>` and `>&` are redirections, handled below.
                    if c == '&' && two == Some('>') {
                        j += 2;
                        let (target, next) = redirect_target(&chars, j);
                        cur.stdout_file = Some(target);
                        j = next;
                        continue;
                    }
                    let background = c == '&' && two != Some('&');
                    let pipe = c == '|' && two != Some('|');
                    finish(&mut out, &mut cur, i, background);
                    if pipe {
                        cur.piped_in = true;
                    }
                    j += if matches!(
                        (c, two),
                        ('&', Some('&')) | ('|', Some('|')) | (';', Some(';'))
                    ) {
                        2
                    } else {
                        1
                    };
                }
                '<' if chars.get(j + 1) == Some(&'<') => {
                    if chars.get(j + 2) == Some(&'<') {
                        // Here-string: the word is standard input.
                        let (word, next) = redirect_target(&chars, j + 3);
                        cur.stdin = Some(format!("{word}\n"));
                        j = next;
                        continue;
                    }
                    let mut k = j + 2;
                    let strip = chars.get(k) == Some(&'-');
                    if strip {
                        k += 1;
                    }
                    let (delim, next) = redirect_target(&chars, k);
                    if delim.is_empty() {
                        return Err(ShellError {
                            line: i,
                            message: "`<<` without a delimiter".into(),
                        });
                    }
                    // `cur` holds a here-document, so `finish` will push it
                    // at this index.
                    cur.display
                        .push_str(&format!("<<{}{delim}", if strip { "-" } else { "" }));
                    pending_heredocs.push((out.len(), delim, strip));
                    cur.heredocs += 1;
                    j = next;
                }
                '<' => {
                    // Input from a file: not something we read.
                    let (_, next) = redirect_target(&chars, j + 1);
                    j = next;
                }
                '>' => {
                    // `2>`, `>>`, `>|`, `>&2`.
                    let fd_digit = cur.drop_fd_digit();
                    let mut k = j + 1;
                    if matches!(chars.get(k), Some('>' | '|')) {
                        k += 1;
                    }
                    if chars.get(k) == Some(&'&') {
                        let (_, next) = redirect_target(&chars, k + 1);
                        j = next;
                        continue;
                    }
                    let (target, next) = redirect_target(&chars, k);
                    if fd_digit.is_none_or(|d| d == '1') {
                        cur.stdout_file = Some(target);
                    }
                    j = next;
                }
                _ => {
                    cur.push(c);
                    j += 1;
                }
            }
        }
        if quote != Quote::None && !continued {
            // A quoted string spans lines: keep the newline in it.
            cur.push('\n');
            i += 1;
            continue;
        }
        if continued {
            cur.display.push(' ');
            i += 1;
            continue;
        }
        // End of a logical line: the command ends; here-documents follow.
        finish(&mut out, &mut cur, i, false);
        i += 1;
        for (owner, delim, strip) in pending_heredocs.drain(..) {
            let (body, next) = heredoc_body(&lines, i, &delim, strip)?;
            i = next;
            if let Some(cmd) = out.get_mut(owner) {
                cmd.stdin = Some(body);
            }
        }
        cur = Segment::new(i);
    }
    if quote != Quote::None {
        return Err(ShellError {
            line: cur.line,
            message: "unbalanced quotes".into(),
        });
    }
    finish(&mut out, &mut cur, lines.len(), false);
    pipe_cat_input(&mut out);
    Ok(out)
}

/// The body of a here-document whose text starts at `lines[from]`, and the
/// index of the line after its delimiter. `strip` (`<<-`): leading tabs
/// are dropped. A delimiter indented like the slide's code block means the
/// block was indented as a whole (the student pastes it without the
/// indentation): the body loses that indentation too.
fn heredoc_body(
    lines: &[&str],
    from: usize,
    delim: &str,
    strip: bool,
) -> Result<(String, usize), ShellError> {
    let mut i = from;
    let mut body_lines: Vec<&str> = Vec::new();
    let mut indent = None;
    while let Some(line) = lines.get(i) {
        let l = if strip {
            line.trim_start_matches('\t')
        } else {
            line
        };
        i += 1;
        if l.trim() == delim {
            indent = Some(l.len() - l.trim_start_matches([' ', '\t']).len());
            break;
        }
        body_lines.push(l);
    }
    let Some(indent) = indent else {
        return Err(ShellError {
            line: i.saturating_sub(1),
            message: format!("here-document is not closed by `{delim}`"),
        });
    };
    let mut body = String::new();
    for l in body_lines {
        // Spaces and tabs only: one byte each, so any cut is a character
        // boundary.
        let ws = l.len() - l.trim_start_matches([' ', '\t']).len();
        body.push_str(&l[ws.min(indent)..]);
        body.push('\n');
    }
    Ok((body, i))
}

/// A here-document fed to `cat` in a pipeline reaches the next command.
fn pipe_cat_input(out: &mut [SimpleCommand]) {
    for k in 1..out.len() {
        if out[k].piped_in
            && out[k].stdin.is_none()
            && out[k - 1].words.first().map(String::as_str) == Some("cat")
            && out[k - 1].words.len() == 1
            && out[k - 1].stdin.is_some()
        {
            out[k].stdin = out[k - 1].stdin.clone();
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quote {
    None,
    Single,
    Double,
}

/// `$` followed by this starts an expansion.
fn starts_expansion(next: Option<char>) -> bool {
    next.is_some_and(|n| {
        n.is_ascii_alphanumeric()
            || matches!(n, '_' | '{' | '(' | '@' | '*' | '#' | '?' | '$' | '!')
    })
}

/// The word after a redirection operator (quotes removed), and where it ends.
fn redirect_target(chars: &[char], mut j: usize) -> (String, usize) {
    while chars.get(j).is_some_and(|c| *c == ' ' || *c == '\t') {
        j += 1;
    }
    let mut word = String::new();
    let mut quote = Quote::None;
    while let Some(&c) = chars.get(j) {
        match (quote, c) {
            (Quote::None, ' ' | '\t' | ';' | '&' | '|' | '<' | '>' | ')') => break,
            (Quote::None, '\'') => quote = Quote::Single,
            (Quote::None, '"') => quote = Quote::Double,
            (Quote::Single, '\'') | (Quote::Double, '"') => quote = Quote::None,
            (_, c) => word.push(c),
        }
        j += 1;
    }
    (word, j)
}

struct Segment {
    raw: String,
    display: String,
    line: usize,
    expands: bool,
    heredocs: usize,
    stdin: Option<String>,
    stdout_file: Option<String>,
    piped_in: bool,
}

impl Segment {
    fn new(line: usize) -> Self {
        Segment {
            raw: String::new(),
            display: String::new(),
            line,
            expands: false,
            heredocs: 0,
            stdin: None,
            stdout_file: None,
            piped_in: false,
        }
    }

    fn push(&mut self, c: char) {
        if self.raw.trim().is_empty() && self.display.trim().is_empty() {
            self.raw.clear();
            self.display.clear();
        }
        self.raw.push(c);
        self.display.push(c);
    }

    /// A character shlex must keep in the current word.
    fn push_escaped(&mut self, c: char) {
        if c.is_whitespace() || matches!(c, '\'' | '"' | '\\' | '#') {
            self.raw.push('\\');
        }
        self.raw.push(c);
        self.display.push(c);
    }

    fn at_word_start(&self) -> bool {
        self.raw.is_empty() || self.raw.ends_with([' ', '\t', '\n'])
    }

    /// Removes a file-descriptor number written just before `>` (`2>`).
    fn drop_fd_digit(&mut self) -> Option<char> {
        let last = self.raw.chars().last()?;
        let before = self.raw.chars().rev().nth(1);
        if last.is_ascii_digit() && before.is_none_or(|b| b == ' ' || b == '\t') {
            self.raw.pop();
            self.display.pop();
            Some(last)
        } else {
            None
        }
    }
}

fn finish(out: &mut Vec<SimpleCommand>, cur: &mut Segment, next_line: usize, background: bool) {
    let seg = std::mem::replace(cur, Segment::new(next_line));
    let text = seg.display.trim().to_string();
    if text.is_empty() && seg.heredocs == 0 {
        return;
    }
    let words = shlex::split(&seg.raw).unwrap_or_else(|| {
        seg.raw
            .split_whitespace()
            .map(str::to_string)
            .collect::<Vec<_>>()
    });
    let expanding = if seg.expands {
        words
            .iter()
            .enumerate()
            .filter(|(_, w)| has_expansion(w))
            .map(|(i, _)| i)
            .collect()
    } else {
        Vec::new()
    };
    out.push(SimpleCommand {
        words,
        expanding,
        text: collapse_spaces(&text),
        line: seg.line,
        stdin: seg.stdin,
        stdout_file: seg.stdout_file,
        piped_in: seg.piped_in,
        background,
    });
}

/// Whether a word (after quote removal) still holds `$X`, `${`, `$(` or a backquote.
pub fn has_expansion(word: &str) -> bool {
    let b = word.as_bytes();
    word.contains('`')
        || b.windows(2).any(|w| {
            w[0] == b'$' && (w[1].is_ascii_alphanumeric() || matches!(w[1], b'_' | b'{' | b'('))
        })
}

fn collapse_spaces(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s.chars() {
        if c == ' ' || c == '\t' {
            if !space {
                out.push(' ');
            }
            space = true;
        } else {
            out.push(c);
            space = false;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<Vec<String>> {
        parse(text).unwrap().into_iter().map(|c| c.words).collect()
    }

    #[test]
    fn operators_split_commands() {
        assert_eq!(
            words("kubectl get pods && kubectl delete pod x; echo 'a;b' | grep a"),
            vec![
                vec!["kubectl", "get", "pods"],
                vec!["kubectl", "delete", "pod", "x"],
                vec!["echo", "a;b"],
                vec!["grep", "a"],
            ]
        );
    }

    #[test]
    fn continuations_and_comments() {
        let cmds = parse("kubectl create deployment rng \\\n   --image=x # a comment\nls").unwrap();
        assert_eq!(
            cmds[0].words,
            vec!["kubectl", "create", "deployment", "rng", "--image=x"]
        );
        assert_eq!(cmds[0].line, 0);
        assert_eq!(cmds[1].words, vec!["ls"]);
        assert_eq!(cmds[1].line, 2);
    }

    #[test]
    fn heredocs_feed_stdin() {
        let cmds = parse("kubectl apply -f - <<EOF\nkind: Namespace\nEOF\necho done").unwrap();
        assert_eq!(cmds[0].words, vec!["kubectl", "apply", "-f", "-"]);
        assert_eq!(cmds[0].stdin.as_deref(), Some("kind: Namespace\n"));
        assert_eq!(cmds[1].words, vec!["echo", "done"]);
        let cmds = parse("cat <<'EOF' | kubectl apply -f-\n\tkind: A\nEOF").unwrap();
        assert_eq!(cmds[1].stdin.as_deref(), Some("\tkind: A\n"));
        let cmds = parse("\tkubectl apply -f- <<-EOF\n\tkind: B\n\tEOF").unwrap();
        assert_eq!(cmds[0].stdin.as_deref(), Some("kind: B\n"));
        let cmds =
            parse("\tkubectl apply -f- <<EOF\n\tkind: C\n\tmetadata:\n\t  name: c\n\tEOF").unwrap();
        assert_eq!(
            cmds[0].stdin.as_deref(),
            Some("kind: C\nmetadata:\n  name: c\n")
        );
        assert!(parse("cat <<EOF\nnever closed").is_err());
    }

    #[test]
    fn expansions_and_redirections() {
        let cmds = parse("kubectl patch $POD -p '{\"a\": \"$b\"}' > out.txt 2>&1").unwrap();
        assert_eq!(
            cmds[0].words,
            vec!["kubectl", "patch", "$POD", "-p", "{\"a\": \"$b\"}"]
        );
        assert!(cmds[0].expands(2));
        assert_eq!(cmds[0].stdout_file.as_deref(), Some("out.txt"));
        let cmds = parse("POD=$(kubectl get pods -l app=x -o name)").unwrap();
        assert_eq!(
            cmds[0].words,
            vec!["POD=$(kubectl get pods -l app=x -o name)"]
        );
        let cmds = parse("kubectl proxy &\nkubectl get pods").unwrap();
        assert!(cmds[0].background);
        assert!(parse("echo 'unbalanced").is_err());
    }

    #[test]
    fn odd_text_never_panics() {
        for t in [
            "",
            "\\",
            "a \\",
            "<<",
            "a <<",
            "a <<'",
            "a <<EOF",
            ">",
            "a >",
            "a 2>",
            "a >&",
            "&>",
            ";;",
            "&&||;|&",
            "$(",
            "a $(b",
            "`",
            "a `b",
            "'",
            "\"",
            "\"$(\"",
            "<<<",
            "a <<<",
            "é <<é\né\né",
            "cat <<EOF | \nEOF",
            "\u{a0}\u{a0}x <<E\n\u{a0}y\n E",
            "# only a comment",
            "a#b #c",
        ] {
            let _ = parse(t);
        }
    }

    #[test]
    fn quoted_newlines_stay_in_the_word() {
        let cmds = parse("kubectl patch deploy w -p \"\nspec:\n  replicas: 2\n\"\nls").unwrap();
        assert_eq!(cmds[0].words[5], "\nspec:\n  replicas: 2\n");
        assert_eq!(cmds[1].words, vec!["ls"]);
    }
}
