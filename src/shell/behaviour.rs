//! How a command behaves in a terminal, as far as `run` cares: it returns,
//! it never ends by design (watches, follows, port-forwards), or it opens an
//! interactive program the next lines are typed into. Words come from
//! [`super::parse`] and flags from [`super::args`] (pflag's rules and
//! kubectl's flag table), so `-it`, `-i -t`, `--stdin --tty` and
//! `--stdin=true` read alike, as kubectl reads them.

use serde::Serialize;

use super::args::{Args, kubectl_takes_value};
use super::parse::parse;

/// How a command behaves in a terminal, as far as the executor cares.
/// Ordered by how much they ask of the executor (`max` of a line's commands).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
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

/// Classifies a command line (see [`Behaviour`]): the most demanding of
/// its simple commands, a backgrounded one (`&`) counting as returning.
pub fn behaviour(command: &str) -> Behaviour {
    let words: Vec<Vec<String>> = match parse(command) {
        Ok(commands) => commands
            .into_iter()
            .filter(|c| !c.background)
            .map(|c| c.words)
            .collect(),
        // Unbalanced quotes: the words as written, one command.
        Err(_) => vec![command.split_whitespace().map(str::to_owned).collect()],
    };
    words
        .iter()
        .map(|w| simple_behaviour(w))
        .max()
        .unwrap_or(Behaviour::Returns)
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

/// Programs that never end by design, whatever their arguments.
const NEVER_END: &[&str] = &["stern", "watch", "top", "htop", "k9s", "kubetail"];

/// docker/podman flags that take a value (docker's cli/command/container
/// `run`, `exec` and `logs` options), so that `-it`, `-i -t` and the image
/// name are told apart from values.
fn docker_takes_value(f: &str) -> bool {
    matches!(
        f,
        "e" | "env"
            | "v"
            | "volume"
            | "p"
            | "publish"
            | "name"
            | "network"
            | "net"
            | "w"
            | "workdir"
            | "u"
            | "user"
            | "entrypoint"
            | "format"
            | "filter"
            | "since"
            | "until"
            | "tail"
            | "n"
            | "l"
            | "label"
            | "m"
            | "memory"
            | "cpus"
            | "hostname"
            | "h"
            | "mount"
            | "restart"
            | "platform"
            | "env-file"
            | "detach-keys"
            | "log-driver"
            | "pull"
    )
}

/// A boolean flag that is on: given bare, or `=true` (pflag's `NoOptDefVal`).
fn on(args: &Args, names: &[&str]) -> bool {
    args.flags
        .iter()
        .rev()
        .find(|(k, _)| names.contains(&k.as_str()))
        .is_some_and(|(_, v)| v.as_deref().is_none_or(|v| v != "false"))
}

fn simple_behaviour(words: &[String]) -> Behaviour {
    use Behaviour::*;
    // Skip `VAR=value`, `sudo`, `time`, `exec`.
    let start = words
        .iter()
        .position(|w| {
            let assignment = w.contains('=') && !w.starts_with('-');
            !assignment && !matches!(w.as_str(), "sudo" | "time" | "exec")
        })
        .unwrap_or(words.len());
    let words = &words[start..];
    let Some(program) = words.first() else {
        return Returns;
    };
    let program = program.rsplit('/').next().unwrap_or(program);
    let rest = &words[1..];
    // What follows `--` is the container's command, not the tool's flags.
    let after_dashes = rest.iter().position(|w| w == "--").map(|i| &rest[i + 1..]);
    let when = |b: bool, what: Behaviour| if b { what } else { Returns };
    match program {
        "kubectl" | "k" | "kubecolor" | "oc" => {
            let args = Args::parse(rest, kubectl_takes_value);
            if on(&args, &["w", "watch", "watch-only"]) {
                return NeverEnds;
            }
            let terminal = on(&args, &["i", "stdin"]) && on(&args, &["t", "tty"]);
            match args.pos.first().map(String::as_str) {
                Some("logs") => when(on(&args, &["f", "follow"]), NeverEnds),
                Some("port-forward" | "proxy") => NeverEnds,
                // `attach` without a terminal still streams until interrupted.
                Some("attach") => when(terminal, Interactive).max(NeverEnds),
                Some(verb @ ("exec" | "run")) => {
                    // kubectl exec POD [--] COMMAND; kubectl run NAME [--] [COMMAND]:
                    // without a command, `run` starts the image's own (a shell
                    // for the images decks use interactively).
                    let command = after_dashes.unwrap_or_else(|| args.pos.get(2..).unwrap_or(&[]));
                    let interactive = match command.first() {
                        None => verb == "run",
                        Some(program) => {
                            is_interactive_program(program)
                                && command.get(1).is_none_or(|a| a != "-c")
                        }
                    };
                    when(terminal && interactive, Interactive)
                }
                _ => Returns,
            }
        }
        "docker" | "podman" => {
            let args = Args::parse(rest, docker_takes_value);
            let terminal = on(&args, &["i", "interactive"]) && on(&args, &["t", "tty"]);
            match args.pos.first().map(String::as_str) {
                Some("logs") => when(on(&args, &["f", "follow"]), NeverEnds),
                Some("events") => NeverEnds,
                Some("attach") => Interactive,
                Some("stats") => when(!on(&args, &["no-stream"]), NeverEnds),
                Some("exec" | "run") => when(
                    terminal && rest.last().is_some_and(|l| is_interactive_program(l)),
                    Interactive,
                ),
                _ => Returns,
            }
        }
        p if NEVER_END.contains(&p) => NeverEnds,
        "tail" => when(
            rest.iter().any(|a| {
                matches!(a.as_str(), "-f" | "-F" | "--follow") || a.starts_with("--follow=")
            }),
            NeverEnds,
        ),
        "ping" | "httping" => when(!rest.iter().any(|a| a.starts_with("-c")), NeverEnds),
        "vmstat" | "iostat" | "mpstat" => {
            when(rest.iter().any(|a| a.parse::<u32>().is_ok()), NeverEnds)
        }
        _ => Returns,
    }
}

fn is_interactive_program(word: &str) -> bool {
    let word = word.rsplit('/').next().unwrap_or(word);
    INTERACTIVE.contains(&word)
}

#[cfg(test)]
mod tests {
    use super::*;

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
            "kubectl exec -i -t pod/x -- sh",
            "kubectl exec --stdin --tty pod/x -- bash",
            "kubectl exec --stdin=true --tty pod/x -- sh",
            "kubectl -n blue exec -it pod/x -- sh",
            "docker run -i -t alpine sh",
        ] {
            assert_eq!(behaviour(yes), Behaviour::Interactive, "{yes}");
        }
        for no in [
            "kubectl run --rm -it --restart=Never --image=nixery.dev/curl my-test-pod \\\n  curl color.blue.svc",
            "kubectl run pause --image=alpine --rm -ti --restart=Never -- sleep 5",
            "kubectl exec -ti pod/x -- sh -c 'echo hi'",
            "kubectl exec pod/x -- ls",
            "kubectl exec --stdin pod/x -- sh",
            "kubectl exec -i -t --tty=false pod/x -- sh",
        ] {
            assert_eq!(behaviour(no), Behaviour::Returns, "{no}");
        }
    }
}
