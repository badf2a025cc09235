//! Which proxy, if any, a connection to an API server goes through, decided
//! as kubectl decides it, so a classroom behind a proxy can be graded.
//!
//! client-go `transport/cache.go` (`tlsCacheGet`) uses the cluster's
//! `proxy-url` when the kubeconfig sets one (for every request, whatever
//! `NO_PROXY` says), and otherwise Go's `http.ProxyFromEnvironment`, whose
//! rules (golang.org/x/net `http/httpproxy/proxy.go`) are restated here:
//!
//! - `https://` servers use `HTTPS_PROXY` (or `https_proxy`), `http://`
//!   servers `HTTP_PROXY` (or `http_proxy`); the upper-case name wins when
//!   both are set and non-empty. A value without a scheme means `http://`.
//! - `localhost` and loopback addresses never go through a proxy.
//! - `NO_PROXY` (or `no_proxy`) is a comma-separated list: `*` (no proxy at
//!   all), an IP (`10.0.0.1`), a CIDR (`10.0.0.0/8`), a domain
//!   (`example.com` matches it and its subdomains, `.example.com` and
//!   `*.example.com` only subdomains), each optionally with `:port`.
//!   Entries that do not parse are ignored, as Go does.
//!
//! Not followed: Go's IDNA conversion of non-ASCII names, and its refusal of
//! `HTTP_PROXY` in a CGI environment.

use std::net::IpAddr;

use http::Uri;

/// The proxy settings of the environment (`HTTPS_PROXY`, `HTTP_PROXY`,
/// `NO_PROXY`), read once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProxyEnv {
    pub http_proxy: String,
    pub https_proxy: String,
    pub no_proxy: String,
}

/// The first of `names` set to a non-empty value (Go's `getEnvAny`).
fn env_any(names: &[&str]) -> String {
    names
        .iter()
        .filter_map(|n| std::env::var(n).ok())
        .find(|v| !v.is_empty())
        .unwrap_or_default()
}

impl ProxyEnv {
    /// httpproxy `FromEnvironment`.
    pub fn from_env() -> ProxyEnv {
        ProxyEnv {
            http_proxy: env_any(&["HTTP_PROXY", "http_proxy"]),
            https_proxy: env_any(&["HTTPS_PROXY", "https_proxy"]),
            no_proxy: env_any(&["NO_PROXY", "no_proxy"]),
        }
    }

    /// The proxy for a request to `target`, or `None` to connect directly
    /// (httpproxy `proxyForURL`).
    pub fn proxy_for(&self, target: &Uri) -> Option<Uri> {
        let raw = match target.scheme_str() {
            Some("https") => &self.https_proxy,
            Some("http") => &self.http_proxy,
            _ => return None,
        };
        // An invalid value is ignored (httpproxy `init` keeps only parsed ones).
        let proxy = parse_env_proxy(raw)?;
        let host = target.host()?;
        let port = target
            .port_u16()
            .unwrap_or(if target.scheme_str() == Some("https") {
                443
            } else {
                80
            });
        use_proxy(&self.no_proxy, host, port).then_some(proxy)
    }
}

/// httpproxy `parseProxy`: a URL with scheme http, https or socks5, else the
/// value is tried again with `http://` in front.
fn parse_env_proxy(raw: &str) -> Option<Uri> {
    if raw.is_empty() {
        return None;
    }
    if let Ok(u) = raw.parse::<Uri>()
        && matches!(u.scheme_str(), Some("http" | "https" | "socks5"))
        && u.authority().is_some()
    {
        return Some(u);
    }
    format!("http://{raw}")
        .parse::<Uri>()
        .ok()
        .filter(|u| u.authority().is_some())
}

/// Parses a kubeconfig `proxy-url`. client-go accepts http, https and
/// socks5 (clientcmd `validation.go`, `validateClusterInfo`).
pub fn parse_kubeconfig_proxy(raw: &str) -> Result<Uri, ProxyUrlError> {
    let u: Uri = raw.parse().map_err(|cause| ProxyUrlError::NotAUrl {
        url: raw.to_owned(),
        cause,
    })?;
    match (u.scheme_str(), u.authority()) {
        (Some("http" | "https" | "socks5"), Some(_)) => Ok(u),
        _ => Err(ProxyUrlError::Scheme(raw.to_owned())),
    }
}

/// A kubeconfig `proxy-url` client-go would refuse.
#[derive(Debug, thiserror::Error)]
pub enum ProxyUrlError {
    #[error("proxy-url {url:?} is not a URL: {cause}")]
    NotAUrl {
        url: String,
        cause: http::uri::InvalidUri,
    },
    #[error("proxy-url {0:?}: the scheme must be http, https or socks5, with a host")]
    Scheme(String),
}

/// httpproxy `useProxy`: whether a request to `host:port` goes through the
/// proxy under the `no_proxy` list.
pub fn use_proxy(no_proxy: &str, host: &str, port: u16) -> bool {
    // `Uri::host` keeps the brackets of an IPv6 literal.
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .trim()
        .to_ascii_lowercase();
    if host == "localhost" {
        return false;
    }
    let ip = host.parse::<IpAddr>().ok();
    if ip.is_some_and(|ip| ip.is_loopback()) {
        return false;
    }
    let port = port.to_string();
    for entry in no_proxy.split(',') {
        let p = entry.trim().to_ascii_lowercase();
        if p.is_empty() {
            continue;
        }
        if p == "*" {
            return false;
        }
        if let Ok(net) = p.parse::<ipnet::IpNet>() {
            if ip.is_some_and(|ip| net.contains(&ip)) {
                return false;
            }
            continue;
        }
        let (phost, pport) = split_host_port(&p);
        if phost.is_empty() {
            continue;
        }
        if let Ok(pip) = phost.parse::<IpAddr>() {
            if ip == Some(pip) && (pport.is_empty() || pport == port) {
                return false;
            }
            continue;
        }
        // domain.com matches domain.com and x.domain.com; .domain.com and
        // *.domain.com only x.domain.com.
        let phost = phost.strip_prefix('*').unwrap_or(phost);
        let (suffix, match_host) = match phost.strip_prefix('.') {
            Some(_) => (phost.to_string(), false),
            None => (format!(".{phost}"), true),
        };
        let matched = host.ends_with(&suffix) || (match_host && host == suffix[1..]);
        if matched && (pport.is_empty() || pport == port) {
            return false;
        }
    }
    true
}

/// Go's `net.SplitHostPort` where it succeeds (`h:p`, `[v6]:p`), else the
/// whole entry as host with no port.
fn split_host_port(p: &str) -> (&str, &str) {
    if let Some(rest) = p.strip_prefix('[') {
        if let Some((h, tail)) = rest.split_once(']') {
            if let Some(port) = tail.strip_prefix(':') {
                return (h, port);
            }
            if tail.is_empty() {
                return (h, "");
            }
        }
        return (p, "");
    }
    match p.rsplit_once(':') {
        // More than one colon without brackets: a bare IPv6 address.
        Some((h, port)) if !h.contains(':') => (h, port),
        _ => (p, ""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(https: &str, no: &str) -> ProxyEnv {
        ProxyEnv {
            http_proxy: "http://plain-proxy:3128".into(),
            https_proxy: https.into(),
            no_proxy: no.into(),
        }
    }

    fn via(e: &ProxyEnv, url: &str) -> Option<String> {
        e.proxy_for(&url.parse().unwrap()).map(|u| u.to_string())
    }

    #[test]
    fn scheme_picks_the_variable_and_a_bare_host_means_http() {
        let e = env("corp-proxy:8080", "");
        assert_eq!(
            via(&e, "https://k8s.example:6443").as_deref(),
            Some("http://corp-proxy:8080/")
        );
        assert_eq!(
            via(&e, "http://k8s.example:8080").as_deref(),
            Some("http://plain-proxy:3128/")
        );
        let e = env("socks5://s:1080", "");
        assert_eq!(
            via(&e, "https://k8s.example").as_deref(),
            Some("socks5://s:1080/")
        );
        let e = env("", "");
        assert_eq!(via(&e, "https://k8s.example"), None);
    }

    #[test]
    fn loopback_and_localhost_are_never_proxied() {
        let e = env("http://p:1", "");
        for u in [
            "https://localhost:6443",
            "https://127.0.0.1:6443",
            "https://127.3.2.1",
            "https://[::1]:6443",
        ] {
            assert_eq!(via(&e, u), None, "{u}");
        }
    }

    #[test]
    fn no_proxy_follows_go() {
        let cases: &[(&str, &str, bool)] = &[
            // (NO_PROXY, server, proxied?)
            ("*", "https://k.example", false),
            ("example.com", "https://example.com", false),
            ("example.com", "https://api.example.com", false),
            ("example.com", "https://notexample.com", true),
            (".example.com", "https://example.com", true),
            (".example.com", "https://api.example.com", false),
            ("*.example.com", "https://example.com", true),
            ("*.example.com", "https://api.example.com", false),
            ("example.com:6443", "https://api.example.com:6443", false),
            ("example.com:6443", "https://api.example.com", true),
            ("10.0.0.0/8", "https://10.1.2.3:6443", false),
            ("10.0.0.0/8", "https://11.1.2.3:6443", true),
            ("10.1.2.3", "https://10.1.2.3:6443", false),
            ("10.1.2.3:443", "https://10.1.2.3:6443", true),
            ("10.1.2.3:6443", "https://10.1.2.3:6443", false),
            ("[2001:db8::1]:6443", "https://[2001:db8::1]:6443", false),
            ("2001:db8::/32", "https://[2001:db8::1]:6443", false),
            (" foo.io , , EXAMPLE.com ", "https://api.example.com", false),
            (":80,[]:1", "https://api.example.com", true),
        ];
        for (no, url, proxied) in cases {
            let e = env("http://p:1", no);
            assert_eq!(via(&e, url).is_some(), *proxied, "NO_PROXY={no:?} {url}");
        }
    }

    #[test]
    fn kubeconfig_proxy_url_schemes() {
        assert!(parse_kubeconfig_proxy("http://p:3128").is_ok());
        assert!(parse_kubeconfig_proxy("socks5://p:1080").is_ok());
        let e = parse_kubeconfig_proxy("ftp://p:21").unwrap_err();
        assert!(e.to_string().contains("http, https or socks5"), "{e}");
    }
}
