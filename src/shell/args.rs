//! Command-line flags as cobra/pflag read them (kubectl's and helm's
//! parser), with the tables of which flags take a value. One reader for
//! `checks suggest` (what a command changes) and `run`/`lint` (how it
//! behaves in a terminal: [`super::behaviour`]).

/// Parsed command-line flags: positional words and `(name, value)` pairs,
/// the way cobra/pflag reads them (`--name=value`, `--name value` for
/// flags that take one, `-n value`, `-nvalue`, `-it`; `--` ends flags).
#[derive(Debug, Clone, Default)]
pub struct Args {
    pub pos: Vec<String>,
    pub flags: Vec<(String, Option<String>)>,
}

impl Args {
    pub fn parse(words: &[String], takes_value: fn(&str) -> bool) -> Args {
        let mut a = Args::default();
        let mut i = 0;
        while i < words.len() {
            let w = &words[i];
            if w == "--" {
                break;
            }
            if let Some(long) = w.strip_prefix("--") {
                match long.split_once('=') {
                    Some((k, v)) => a.flags.push((k.to_string(), Some(v.to_string()))),
                    None if takes_value(long) => {
                        a.flags.push((long.to_string(), words.get(i + 1).cloned()));
                        i += 1;
                    }
                    None => a.flags.push((long.to_string(), None)),
                }
            } else if let Some(short) = w.strip_prefix('-').filter(|s| !s.is_empty()) {
                let first = &short[..short.char_indices().nth(1).map_or(short.len(), |(i, _)| i)];
                let rest = &short[first.len()..];
                if takes_value(first) {
                    let v = if rest.is_empty() {
                        i += 1;
                        words.get(i).cloned()
                    } else {
                        Some(rest.trim_start_matches('=').to_string())
                    };
                    a.flags.push((first.to_string(), v));
                } else {
                    for c in short.chars() {
                        a.flags.push((c.to_string(), None));
                    }
                }
            } else {
                a.pos.push(w.clone());
            }
            i += 1;
        }
        a
    }

    pub fn has(&self, names: &[&str]) -> bool {
        self.flags.iter().any(|(k, _)| names.contains(&k.as_str()))
    }

    /// The last value given to any of `names`.
    pub fn value(&self, names: &[&str]) -> Option<&str> {
        self.flags
            .iter()
            .rev()
            .find(|(k, _)| names.contains(&k.as_str()))
            .and_then(|(_, v)| v.as_deref())
    }

    pub fn values(&self, names: &[&str]) -> Vec<&str> {
        self.flags
            .iter()
            .filter(|(k, _)| names.contains(&k.as_str()))
            .filter_map(|(_, v)| v.as_deref())
            .collect()
    }
}

/// kubectl flags that take a value (global flags of
/// k8s.io/cli-runtime/pkg/genericclioptions/config_flags.go, and those of
/// the commands modelled here); boolean flags with optional values
/// (`--dry-run`, `--validate`, `--overwrite`) only take one after `=`.
pub fn kubectl_takes_value(f: &str) -> bool {
    matches!(
        f,
        "n" | "namespace"
            | "context"
            | "cluster"
            | "user"
            | "kubeconfig"
            | "s"
            | "server"
            | "token"
            | "as"
            | "as-group"
            | "as-uid"
            | "request-timeout"
            | "v"
            | "cache-dir"
            | "certificate-authority"
            | "client-certificate"
            | "client-key"
            | "tls-server-name"
            | "f"
            | "filename"
            | "k"
            | "kustomize"
            | "l"
            | "selector"
            | "o"
            | "output"
            | "p"
            | "patch"
            | "patch-file"
            | "type"
            | "image"
            | "port"
            | "target-port"
            | "name"
            | "replicas"
            | "current-replicas"
            | "schedule"
            | "from"
            | "from-literal"
            | "from-file"
            | "from-env-file"
            | "cert"
            | "key"
            | "docker-server"
            | "docker-username"
            | "docker-password"
            | "docker-email"
            | "clusterrole"
            | "role"
            | "serviceaccount"
            | "group"
            | "verb"
            | "resource"
            | "resource-name"
            | "restart"
            | "labels"
            | "env"
            | "overrides"
            | "field-selector"
            | "to-revision"
            | "timeout"
            | "grace-period"
            | "cascade"
            | "rule"
            | "class"
            | "default-backend"
            | "annotation"
            | "c"
            | "container"
            | "max"
            | "min"
            | "cpu-percent"
            | "protocol"
            | "external-ip"
            | "load-balancer-ip"
            | "session-affinity"
            | "cluster-ip"
            | "requests"
            | "limits"
            | "field-manager"
            | "template"
            | "sort-by"
            | "tail"
            | "since"
            | "for"
            | "subresource"
            | "tcp"
            | "external-name"
            | "node-port"
            | "hard"
            | "value"
            | "description"
            | "min-available"
            | "max-unavailable"
            | "pod-running-timeout"
            | "save-config"
            | "generator"
            | "hostport"
            | "service-overrides"
            | "attach"
            | "api-group"
            | "chunk-size"
            | "show-managed-fields"
            | "allow-missing-template-keys"
    )
}

/// helm flags that take a value (helm cmd/helm/flags.go, install.go,
/// upgrade.go and the global flags of pkg/cli/environment.go).
pub fn helm_takes_value(f: &str) -> bool {
    matches!(
        f,
        "n" | "namespace"
            | "kube-context"
            | "kubeconfig"
            | "kube-apiserver"
            | "kube-token"
            | "kube-as-user"
            | "kube-as-group"
            | "kube-ca-file"
            | "registry-config"
            | "repository-cache"
            | "repository-config"
            | "set"
            | "set-string"
            | "set-file"
            | "set-json"
            | "set-literal"
            | "f"
            | "values"
            | "version"
            | "repo"
            | "timeout"
            | "description"
            | "post-renderer"
            | "post-renderer-args"
            | "username"
            | "password"
            | "ca-file"
            | "cert-file"
            | "key-file"
            | "keyring"
            | "name-template"
            | "o"
            | "output"
            | "history-max"
            | "max"
    )
}
