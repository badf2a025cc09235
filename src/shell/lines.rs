//! Where one typed command ends and the next begins in a block of shell
//! text: a command goes on while a quote is open, a line ends with `\\`, `|`,
//! `&&` or `||`, or a here-document is not yet closed (bash(1), "SHELL
//! GRAMMAR"). `run` types each such command and waits for the prompt; the
//! words inside one are [`super::parse`]'s business.

/// Splits shell text into commands, each with the 0-based line it starts on.
/// A command goes on past its line while a quote is open, the line ends with
/// `\`, `|`, `&&` or `||`, or a here-document is not yet closed. Blank lines
/// and whole-line comments are dropped.
pub fn split_commands(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut current: Option<(usize, String)> = None;
    let mut state = Scan::default();
    for (n, line) in text.lines().enumerate() {
        match current.as_mut() {
            None => {
                let t = line.trim();
                if t.is_empty() || t.starts_with('#') {
                    continue;
                }
                current = Some((n, line.trim_start().to_string()));
                state = Scan::default();
                state.feed(line.trim_start());
            }
            Some((_, buf)) => {
                buf.push('\n');
                buf.push_str(line);
                state.feed(line);
            }
        }
        if !state.continues()
            && let Some((start, buf)) = current.take()
        {
            out.push((start, buf.trim_end().to_string()));
        }
    }
    if let Some((start, buf)) = current {
        out.push((start, buf.trim_end().to_string()));
    }
    out
}

/// Line-by-line shell lexer state: just enough to know whether a command
/// continues on the next line.
#[derive(Default)]
struct Scan {
    quote: Option<char>,
    /// Here-document terminators still awaited, in order.
    heredocs: Vec<(String, bool)>,
    /// Inside a here-document body (waiting for the terminator line).
    in_heredoc: bool,
    /// The last line asks for more (`\`, `|`, `&&`, `||`).
    trailing: bool,
}

impl Scan {
    fn feed(&mut self, line: &str) {
        if self.in_heredoc {
            if let Some((word, strip_tabs)) = self.heredocs.first() {
                let l = if *strip_tabs {
                    line.trim_start_matches('\t')
                } else {
                    line
                };
                if l.trim_end() == word {
                    self.heredocs.remove(0);
                    self.in_heredoc = !self.heredocs.is_empty();
                }
            }
            return;
        }
        let chars: Vec<char> = line.chars().collect();
        let mut i = 0;
        let mut word_start = true;
        self.trailing = false;
        while i < chars.len() {
            let c = chars[i];
            match self.quote {
                Some('\'') => {
                    if c == '\'' {
                        self.quote = None;
                    }
                }
                Some(_) => match c {
                    '\\' => i += 1,
                    '"' => self.quote = None,
                    _ => {}
                },
                None => match c {
                    '\\' if i + 1 == chars.len() => {
                        self.trailing = true;
                    }
                    '\\' => i += 1,
                    '\'' | '"' => self.quote = Some(c),
                    '#' if word_start => break,
                    '<' if chars.get(i + 1) == Some(&'<') && chars.get(i + 2) != Some(&'<') => {
                        let mut j = i + 2;
                        let strip_tabs = chars.get(j) == Some(&'-');
                        if strip_tabs {
                            j += 1;
                        }
                        while chars.get(j).is_some_and(|c| c.is_whitespace()) {
                            j += 1;
                        }
                        let mut word = String::new();
                        while let Some(&c) = chars.get(j) {
                            if c.is_whitespace() || ";|&<>()".contains(c) {
                                break;
                            }
                            if c != '\'' && c != '"' && c != '\\' {
                                word.push(c);
                            }
                            j += 1;
                        }
                        if !word.is_empty() {
                            self.heredocs.push((word, strip_tabs));
                        }
                        i = j;
                        word_start = false;
                        continue;
                    }
                    '<' if chars.get(i + 1) == Some(&'<') => {
                        // `<<<` here-string: skip all three.
                        i += 3;
                        continue;
                    }
                    _ => {}
                },
            }
            word_start = self.quote.is_none() && (c.is_whitespace() || ";|&(".contains(c));
            i += 1;
        }
        if self.quote.is_none() && !self.trailing {
            let t = line.trim_end();
            self.trailing = t.ends_with('|') || t.ends_with("&&");
        }
        if !self.heredocs.is_empty() {
            self.in_heredoc = true;
        }
    }

    fn continues(&self) -> bool {
        self.quote.is_some() || self.in_heredoc || self.trailing
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_lines_continuations_heredocs_and_quotes() {
        let text = "export X=1\n\n# a comment, don't type\ncd /tmp \\\n  && pwd\ncat <<EOF > f\na 'quote\nEOF\necho 'multi\nline'\nkubectl get pods |\n  wc -l\n";
        let got = split_commands(text);
        assert_eq!(
            got,
            vec![
                (0, "export X=1".to_string()),
                (3, "cd /tmp \\\n  && pwd".to_string()),
                (5, "cat <<EOF > f\na 'quote\nEOF".to_string()),
                (8, "echo 'multi\nline'".to_string()),
                (10, "kubectl get pods |\n  wc -l".to_string()),
            ]
        );
    }

    #[test]
    fn apostrophe_in_trailing_comment_does_not_open_a_quote() {
        let got = split_commands("ls # don't\npwd\n");
        assert_eq!(got.len(), 2);
    }
}
