//! What `labdeck run` will do, exercise by exercise: the lines a student
//! types, the keys they press, the text they wait for.
//!
//! Which fenced blocks are typed: only those whose language is `bash`, `sh`
//! or `shell`. A block without a language, or in any other language
//! (`yaml`, `json`, `console`...), is usually output or a file's content, so
//! it is not run; the plan says so. Decks mark commands with ```` ```bash ````
//! (container.training does so throughout), so being conservative costs
//! little and never types YAML into a shell.
//!
//! Hidden directives (HTML comments holding ```` ```wait TEXT``` ```` and
//! friends, as container.training's own test driver reads them):
//! - `wait TEXT`: wait until TEXT has been printed since the last command
//!   was typed (`longwait TEXT`: the same, with 5x the time limit);
//! - `key K`: one key, in tmux's naming (`^C`, `^D`, `^J`, `Enter`, `Space`,
//!   `Escape`, `Tab`...), anything else typed as is;
//! - `keys TEXT`: TEXT typed as is (no Enter), except a lone `^X`, a key;
//! - `hide` / `bash`: commands typed but not shown on the slide;
//! - `copypaste`, `open`, `tmux`: need a human or a tmux session; skipped
//!   with a note.

use serde::Serialize;

use crate::exercise::{Exercise, Step};

/// Languages whose blocks are typed into the shell.
pub const SHELL_LANGS: &[&str] = &["bash", "sh", "shell"];

/// One thing to do in the shell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// Type a command (one logical line, maybe spanning several physical
    /// lines) and press Enter.
    Type {
        text: String,
        line: usize,
        /// From a `hide`/`bash` directive: not shown to students.
        hidden: bool,
        /// How it behaves: returns, never ends (`-w`, `logs -f`: interrupted
        /// after the grace period unless a directive deals with it), or opens
        /// an interactive program the next commands are typed into.
        behaviour: Behaviour,
    },
    /// Wait until `text` has been printed since the last command was typed.
    Wait {
        text: String,
        line: usize,
        /// `longwait`: for slow things (image pulls), 5x the time limit.
        long: bool,
    },
    /// Press keys (no Enter added).
    Keys {
        /// What the directive said (`^C`, `:wq`).
        display: String,
        bytes: Vec<u8>,
        line: usize,
    },
    /// Not done, and why.
    Skip {
        what: String,
        line: usize,
        reason: String,
    },
}

impl Action {
    pub fn line(&self) -> usize {
        match self {
            Action::Type { line, .. }
            | Action::Wait { line, .. }
            | Action::Keys { line, .. }
            | Action::Skip { line, .. } => *line,
        }
    }
}

/// One exercise's actions.
#[derive(Debug, Clone, Serialize)]
pub struct PlannedExercise {
    pub exercise: Exercise,
    pub actions: Vec<Action>,
}

impl PlannedExercise {
    /// Whether anything will be typed.
    pub fn types_anything(&self) -> bool {
        self.actions
            .iter()
            .any(|a| matches!(a, Action::Type { .. } | Action::Keys { .. }))
    }
}

/// Builds the plan for `exercises`, in the order given (slide order).
pub fn plan(exercises: &[Exercise]) -> Vec<PlannedExercise> {
    exercises
        .iter()
        .map(|ex| PlannedExercise {
            exercise: ex.clone(),
            actions: actions(ex),
        })
        .collect()
}

/// The actions of one exercise, from its steps (visible commands and hidden
/// directives in source order); from its commands if it has no steps.
pub fn actions(ex: &Exercise) -> Vec<Action> {
    let steps: Vec<Step> = if ex.steps.is_empty() {
        ex.commands
            .iter()
            .map(|c| Step {
                directive: None,
                lang: c.lang.clone(),
                text: c.text.clone(),
                line: c.line,
            })
            .collect()
    } else {
        ex.steps.clone()
    };
    let mut out = Vec::new();
    for step in &steps {
        match step.directive.as_deref() {
            None => {
                let lang = step.lang.as_deref().unwrap_or("");
                if SHELL_LANGS.contains(&lang) {
                    // The fence is on step.line; the block's text starts on
                    // the next line.
                    push_commands(&mut out, &step.text, step.line + 1, false);
                } else {
                    out.push(Action::Skip {
                        what: first_line(&step.text),
                        line: step.line,
                        reason: if lang.is_empty() {
                            "code block without a language is not run (mark commands ```bash)"
                                .to_string()
                        } else {
                            format!("`{lang}` block is not run")
                        },
                    });
                }
            }
            Some("hide") | Some("bash") => push_commands(&mut out, &step.text, step.line, true),
            Some(w @ ("wait" | "longwait")) => out.push(Action::Wait {
                text: step.text.trim().to_string(),
                line: step.line,
                long: w == "longwait",
            }),
            Some("key") => out.push(Action::Keys {
                display: step.text.trim().to_string(),
                bytes: key_bytes(step.text.trim()),
                line: step.line,
            }),
            Some("keys") => {
                let text = step.text.trim_end_matches('\n');
                let bytes = match control_key(text.trim()) {
                    Some(b) => vec![b],
                    None => text.as_bytes().to_vec(),
                };
                out.push(Action::Keys {
                    display: text.to_string(),
                    bytes,
                    line: step.line,
                });
            }
            Some(other) => out.push(Action::Skip {
                what: format!("{other} {}", first_line(&step.text)),
                line: step.line,
                reason: format!("`{other}` directive needs a person or tmux; skipped"),
            }),
        }
    }
    out
}

/// Keeps the exercises `--only/--from/--upto` select, in plan order
/// ([`crate::selection`], the rule `check` and `grade` use).
pub fn select(
    plan: Vec<PlannedExercise>,
    selection: &crate::selection::Selection,
) -> Result<Vec<PlannedExercise>, crate::error::Error> {
    crate::selection::select(plan, |p| p.exercise.id.as_str(), selection)
}

/// Parses the check of every planned exercise, as `check` does, so that
/// `run` (and `run --dry-run`) refuses a check that does not parse before
/// anything is typed, naming every one (file:line).
pub fn parse_checks(plan: &[PlannedExercise]) -> Result<(), Vec<crate::error::Error>> {
    let exercises: Vec<Exercise> = plan.iter().map(|p| p.exercise.clone()).collect();
    crate::check::engine::plans(&exercises).map(|_| ())
}

/// The plan as `--dry-run` prints it: every action with its file:line.
pub fn render(plan: &[PlannedExercise]) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    for p in plan {
        let ex = &p.exercise;
        let file = ex.file.display();
        let _ = writeln!(
            out,
            "{}  {file}:{} (slide {}) {}",
            ex.id, ex.line, ex.slide, ex.title
        );
        for a in &p.actions {
            let line = a.line();
            let what = match a {
                Action::Type {
                    text,
                    hidden,
                    behaviour,
                    ..
                } => {
                    let mut lines = text.lines();
                    let mut s = format!(
                        "{}$ {}",
                        if *hidden { "[hidden] " } else { "" },
                        lines.next().unwrap_or("")
                    );
                    for l in lines {
                        s.push_str("\n        > ");
                        s.push_str(l);
                    }
                    match behaviour {
                        Behaviour::NeverEnds => {
                            s.push_str("   (never ends: ^C after the grace period)")
                        }
                        Behaviour::Interactive => s.push_str(
                            "   (interactive: the next commands are typed into it until it exits)",
                        ),
                        Behaviour::Returns => {}
                    }
                    s
                }
                Action::Wait { text, long, .. } => {
                    format!("wait for `{text}`{}", if *long { " (long)" } else { "" })
                }
                Action::Keys { display, .. } => format!("press {display}"),
                Action::Skip { what, reason, .. } => format!("skip `{what}`: {reason}"),
            };
            let _ = writeln!(out, "  {file}:{line}  {what}");
        }
        match &ex.check {
            Some(c) => {
                let _ = writeln!(out, "  {}:{}  then check", c.file.display(), c.line);
            }
            None => {
                let _ = writeln!(out, "  (no check)");
            }
        }
    }
    out
}

fn first_line(text: &str) -> String {
    text.lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim()
        .to_string()
}

/// Splits a block into the commands a student types one after the other and
/// appends them; `first_line` is the file line of the block's first line.
fn push_commands(out: &mut Vec<Action>, text: &str, first_line: usize, hidden: bool) {
    for (offset, command) in split_commands(text) {
        out.push(Action::Type {
            behaviour: behaviour(&command),
            text: command,
            line: first_line + offset,
            hidden,
        });
    }
}

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

/// How a command behaves in a terminal, as far as the executor cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Behaviour {
    /// Runs and returns to the prompt.
    Returns,
    /// Never ends by design (watches, follows, port-forwards, monitors):
    /// interrupted after the grace period.
    NeverEnds,
    /// Opens an interactive program (a shell in a pod, `su`, `psql`): the
    /// commands typed next go to it, until it exits.
    Interactive,
}

/// Classifies a command line (see [`Behaviour`]).
pub fn behaviour(command: &str) -> Behaviour {
    // Each simple command of the line; a backgrounded one (`&`) returns.
    let text = command.replace("\\\n", " ");
    let trimmed = text.trim_end();
    if trimmed.ends_with('&') && !trimmed.ends_with("&&") {
        return Behaviour::Returns;
    }
    let segments: Vec<Behaviour> = text
        .split(['|', ';', '\n'])
        .flat_map(|s| s.split("&&"))
        .map(segment_behaviour)
        .collect();
    if segments.contains(&Behaviour::Interactive) {
        Behaviour::Interactive
    } else if segments.contains(&Behaviour::NeverEnds) {
        Behaviour::NeverEnds
    } else {
        Behaviour::Returns
    }
}

/// Whether a command never ends by design (see [`Behaviour::NeverEnds`]).
pub fn is_long_running(command: &str) -> bool {
    behaviour(command) == Behaviour::NeverEnds
}

/// Programs that, given a terminal, wait for what the user types.
const INTERACTIVE: &[&str] = &[
    "sh",
    "bash",
    "ash",
    "zsh",
    "su",
    "psql",
    "mysql",
    "redis-cli",
    "python",
    "python3",
    "irb",
    "node",
];

fn segment_behaviour(segment: &str) -> Behaviour {
    use Behaviour::*;
    let words: Vec<&str> = segment.split_whitespace().collect();
    // Skip `VAR=value`, `sudo`, `time`, `exec`.
    let start = words
        .iter()
        .position(|w| {
            let assignment = w.contains('=') && !w.starts_with('-');
            !assignment && !matches!(*w, "sudo" | "time" | "exec")
        })
        .unwrap_or(words.len());
    let words = &words[start..];
    let Some(&program) = words.first() else {
        return Returns;
    };
    let program = program.rsplit('/').next().unwrap_or(program);
    let args = &words[1..];
    let flag = |list: &[&str], flags: &[&str]| {
        list.iter().any(|a| {
            flags
                .iter()
                .any(|f| a == f || a.strip_prefix(f).is_some_and(|r| r.starts_with('=')))
        })
    };
    let has = |flags: &[&str]| flag(args, flags);
    let when = |b: bool, what: Behaviour| if b { what } else { Returns };
    // Everything after `--` is the container's command, not kubectl's flags.
    let own_args: Vec<&str> = args.iter().take_while(|a| **a != "--").copied().collect();
    let own = |flags: &[&str]| flag(&own_args, flags);
    let subcommand = own_args.iter().find(|a| !a.starts_with('-')).copied();
    match program {
        "kubectl" | "k" | "kubecolor" | "oc" => {
            if own(&["-w", "--watch", "--watch-only"]) {
                return NeverEnds;
            }
            match subcommand {
                Some("logs") => when(own(&["-f", "--follow"]), NeverEnds),
                Some("port-forward") | Some("proxy") => NeverEnds,
                Some("attach") => when(own(&["-it", "-ti"]), Interactive).max_never_ends(),
                Some("exec") | Some("run") => when(
                    own(&["-it", "-ti"]) && starts_interactive(args),
                    Interactive,
                ),
                _ => Returns,
            }
        }
        "docker" | "podman" => match subcommand {
            Some("logs") => when(has(&["-f", "--follow"]), NeverEnds),
            Some("events") => NeverEnds,
            Some("attach") => Interactive,
            Some("stats") => when(!has(&["--no-stream"]), NeverEnds),
            Some("exec") | Some("run") => when(
                own(&["-it", "-ti"]) && last_is_interactive(args),
                Interactive,
            ),
            _ => Returns,
        },
        "stern" | "watch" | "top" | "htop" | "k9s" | "kubetail" => NeverEnds,
        "tail" => when(has(&["-f", "-F", "--follow"]), NeverEnds),
        "ping" | "httping" => when(!args.iter().any(|a| a.starts_with("-c")), NeverEnds),
        "vmstat" | "iostat" | "mpstat" => {
            when(args.iter().any(|a| a.parse::<u32>().is_ok()), NeverEnds)
        }
        _ => Returns,
    }
}

impl Behaviour {
    /// `attach` without a terminal still streams until interrupted.
    fn max_never_ends(self) -> Behaviour {
        match self {
            Behaviour::Returns => Behaviour::NeverEnds,
            other => other,
        }
    }
}

/// `kubectl exec/run -it ...`: interactive when the container's command is
/// an interactive program, or absent (`run` then starts the image's own).
/// Without `--`, the command is what follows the name; flags that take a
/// value (`--image alpine`) make that ambiguous, so only a last word that is
/// an interactive program, a flag or a flag's value counts.
fn starts_interactive(args: &[&str]) -> bool {
    match args.iter().position(|a| *a == "--") {
        Some(i) => match args.get(i + 1) {
            None => true,
            Some(cmd) => is_interactive_program(cmd) && args.get(i + 2).is_none_or(|a| *a != "-c"),
        },
        None => {
            let n = args.len();
            match args.last() {
                None => true,
                Some(last) if last.starts_with('-') || is_interactive_program(last) => true,
                Some(_) => n >= 2 && args[n - 2].starts_with("--") && !args[n - 2].contains('='),
            }
        }
    }
}

fn last_is_interactive(args: &[&str]) -> bool {
    args.last().is_some_and(|l| is_interactive_program(l))
}

fn is_interactive_program(word: &str) -> bool {
    let word = word.rsplit('/').next().unwrap_or(word);
    INTERACTIVE.contains(&word)
}

/// A `key` directive's bytes, in tmux key names.
pub fn key_bytes(key: &str) -> Vec<u8> {
    if let Some(b) = control_key(key) {
        return vec![b];
    }
    match key {
        "Enter" => b"\n".to_vec(),
        "Space" => b" ".to_vec(),
        "Escape" => b"\x1b".to_vec(),
        "Tab" => b"\t".to_vec(),
        "BSpace" => b"\x7f".to_vec(),
        "Up" => b"\x1b[A".to_vec(),
        "Down" => b"\x1b[B".to_vec(),
        "Right" => b"\x1b[C".to_vec(),
        "Left" => b"\x1b[D".to_vec(),
        other => other.as_bytes().to_vec(),
    }
}

/// `^C` -> 0x03, `^[` -> ESC, `^?` -> DEL.
fn control_key(key: &str) -> Option<u8> {
    let mut chars = key.chars();
    if chars.next() != Some('^') {
        return None;
    }
    let c = chars.next()?;
    if chars.next().is_some() {
        return None;
    }
    match c.to_ascii_uppercase() {
        '?' => Some(0x7f),
        c @ '@'..='_' => Some(c as u8 - b'@'),
        _ => None,
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

    #[test]
    fn long_running_detection() {
        for yes in [
            "kubectl get pods -w",
            "kubectl get pods --watch",
            "kubectl logs deploy/pingpong --tail 1 --follow",
            "kubectl logs -f pod/x",
            "kubectl port-forward svc/x 8080:80",
            "stern pingpong",
            "watch kubectl get pods",
            "ping 1.1.1.1",
            "tail -f /var/log/syslog",
            "kubectl get events -w | grep x",
            "top",
        ] {
            assert!(is_long_running(yes), "{yes}");
        }
        for no in [
            "kubectl apply -f x.yaml",
            "kubectl logs deploy/pingpong",
            "kubectl run -i --rm x --image alpine -- wget -O- http://x",
            "kubectl exec -ti pod/x -- sh -c 'echo hi'",
            "grep -w foo file",
            "ping -c 3 1.1.1.1",
            "kubectl port-forward svc/x 8080:80 &",
            "kubectl get pods",
            "kubectl exec -ti pod/x -- sh",
        ] {
            assert!(!is_long_running(no), "{no}");
        }
    }

    #[test]
    fn interactive_detection() {
        for yes in [
            "kubectl exec -ti pod/x -- sh",
            "kubectl exec -ti postgres-0 -- su postgres",
            "kubectl run -it --rm shell --image alpine",
            "kubectl run -ti --rm debug --image=alpine",
            "kubectl run eyepod --rm -ti --restart=Never \\\n  --image nixery.dev/shell/curl/kubectl -- bash",
            "docker exec -ti $CID sh",
        ] {
            assert_eq!(behaviour(yes), Behaviour::Interactive, "{yes}");
        }
        for no in [
            "kubectl run --rm -it --restart=Never --image=nixery.dev/curl my-test-pod \\\n  curl color.blue.svc",
            "kubectl run pause --image=alpine --rm -ti --restart=Never -- sleep 5",
            "kubectl exec -ti pod/x -- sh -c 'echo hi'",
            "kubectl exec pod/x -- ls",
        ] {
            assert_eq!(behaviour(no), Behaviour::Returns, "{no}");
        }
    }

    #[test]
    fn keys() {
        assert_eq!(key_bytes("^C"), vec![3]);
        assert_eq!(key_bytes("^J"), vec![b'\n']);
        assert_eq!(key_bytes("^["), vec![0x1b]);
        assert_eq!(key_bytes("Space"), vec![b' ']);
        assert_eq!(key_bytes("$"), vec![b'$']);
    }
}
