//! Who may talk to a classroom server.
//!
//! A web server on 127.0.0.1 with cluster credentials behind it is reachable
//! by every page the browser has open. Three attacks matter, and each has one
//! rule here:
//!
//! - DNS rebinding (a hostile name re-resolved to 127.0.0.1): the browser
//!   then sends that name in `Host`. On loopback, `Host` must be one of our
//!   own loopback names with our port.
//! - Other tabs: a cross-site `fetch` carries `Origin` (the Fetch standard
//!   adds it to every CORS request and every non-GET request) and
//!   `Sec-Fetch-Site` (Fetch Metadata, sent by Chromium and Firefox). A
//!   foreign `Origin`, or a `Sec-Fetch-Site` other than `same-origin`/`none`,
//!   is refused.
//! - Other machines, when the board is bound beyond loopback: every request
//!   must carry the token printed at start (`?token=` or
//!   `Authorization: Bearer`), compared in constant time.
//!
//! Requests without `Origin` (curl, the first navigation) pass the Origin
//! rule: they cannot come from another site's script.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The rules for one listening address.
#[derive(Debug, Clone)]
pub struct Guard {
    /// `host:port` values a browser may send in `Host` (loopback only).
    hosts: Vec<String>,
    /// Required on every request when set (non-loopback binds).
    token: Option<String>,
}

impl Guard {
    /// The guard for a server listening on `addr`. A non-loopback address
    /// needs a token (see [`new_token`]).
    pub fn for_addr(addr: SocketAddr, token: Option<String>) -> Guard {
        let port = addr.port();
        let hosts = if addr.ip().is_loopback() {
            vec![
                format!("127.0.0.1:{port}"),
                format!("localhost:{port}"),
                format!("[::1]:{port}"),
            ]
        } else {
            Vec::new()
        };
        Guard { hosts, token }
    }

    /// Why `headers` (and the request's query) may not be served, if so.
    pub fn refusal(&self, headers: &HeaderMap, query: Option<&str>) -> Option<String> {
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("");
        if !self.hosts.is_empty() && !self.hosts.iter().any(|h| h.eq_ignore_ascii_case(host)) {
            return Some(format!("Host {host:?} is not this server"));
        }
        if let Some(origin) = headers.get(header::ORIGIN) {
            let origin = origin.to_str().unwrap_or("");
            let own = origin
                .strip_prefix("http://")
                .is_some_and(|o| o.eq_ignore_ascii_case(host));
            if !own {
                return Some(format!("Origin {origin:?} is not this server"));
            }
        }
        if let Some(site) = headers.get("sec-fetch-site") {
            let site = site.to_str().unwrap_or("");
            if site != "same-origin" && site != "none" {
                return Some(format!("cross-site request ({site})"));
            }
        }
        if let Some(want) = &self.token {
            let given = bearer(headers).or_else(|| query.and_then(token_param));
            if !given.is_some_and(|g| same(g.as_bytes(), want.as_bytes())) {
                return Some("missing or wrong token".into());
            }
        }
        None
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
}

fn token_param(query: &str) -> Option<&str> {
    query.split('&').find_map(|kv| kv.strip_prefix("token="))
}

/// Constant-time equality: how long it takes says nothing of the token.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A fresh random token (128 bits, hex) from the operating system.
pub fn new_token() -> Result<String, String> {
    let mut bytes = [0u8; 16];
    getrandom::getrandom(&mut bytes).map_err(|e| format!("no randomness for a token: {e}"))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Axum middleware: refuse with 403 and the reason.
pub async fn layer(State(guard): State<Arc<Guard>>, req: Request, next: Next) -> Response {
    if let Some(why) = guard.refusal(req.headers(), req.uri().query()) {
        return (StatusCode::FORBIDDEN, format!("labdeck: refused: {why}\n")).into_response();
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn loopback_host_and_own_origin_only() {
        let g = Guard::for_addr("127.0.0.1:8000".parse().unwrap(), None);
        assert_eq!(
            g.refusal(&headers(&[("host", "127.0.0.1:8000")]), None),
            None
        );
        assert_eq!(
            g.refusal(&headers(&[("host", "localhost:8000")]), None),
            None
        );
        assert!(
            g.refusal(&headers(&[("host", "evil.example:8000")]), None)
                .is_some()
        );
        assert!(
            g.refusal(&headers(&[("host", "127.0.0.1:8001")]), None)
                .is_some()
        );
        assert!(g.refusal(&headers(&[]), None).is_some());
        let own = headers(&[
            ("host", "127.0.0.1:8000"),
            ("origin", "http://127.0.0.1:8000"),
        ]);
        assert_eq!(g.refusal(&own, None), None);
        let other = headers(&[
            ("host", "127.0.0.1:8000"),
            ("origin", "http://evil.example"),
        ]);
        assert!(g.refusal(&other, None).unwrap().contains("evil.example"));
        let cross = headers(&[("host", "127.0.0.1:8000"), ("sec-fetch-site", "cross-site")]);
        assert!(g.refusal(&cross, None).is_some());
        let same_site = headers(&[
            ("host", "127.0.0.1:8000"),
            ("sec-fetch-site", "same-origin"),
        ]);
        assert_eq!(g.refusal(&same_site, None), None);
    }

    #[test]
    fn elsewhere_needs_the_token() {
        let g = Guard::for_addr("0.0.0.0:8000".parse().unwrap(), Some("abc123".into()));
        let h = headers(&[("host", "board.lan:8000")]);
        assert!(g.refusal(&h, None).is_some());
        assert!(g.refusal(&h, Some("token=abc124")).is_some());
        assert_eq!(g.refusal(&h, Some("x=1&token=abc123")), None);
        let b = headers(&[
            ("host", "board.lan:8000"),
            ("authorization", "Bearer abc123"),
        ]);
        assert_eq!(g.refusal(&b, None), None);
    }

    #[test]
    fn tokens_are_random_hex() {
        let (a, b) = (new_token().unwrap(), new_token().unwrap());
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
    }
}
