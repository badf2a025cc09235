//! Who may talk to a labdeck web server: the one gate in front of every
//! route of every server labdeck runs (`serve`, with or without the
//! classroom, and `grade --serve`): [`protect`] wraps a whole router, its
//! fallback (static files) included, so no route can be added unguarded.
//!
//! A web server on 127.0.0.1 with a deck folder and cluster credentials
//! behind it is reachable by every page the browser has open. Each attack
//! has one rule here:
//!
//! - DNS rebinding (a hostile name re-resolved to 127.0.0.1): the browser
//!   then sends that name in `Host`. On loopback, `Host` must be one of our
//!   own loopback names with our port, on every route (the deck page, its
//!   images, the live-reload stream, the checks, the board).
//! - Other tabs: a cross-site `fetch` carries `Origin` (the Fetch standard
//!   adds it to every CORS request and every non-GET request) and
//!   `Sec-Fetch-Site` (Fetch Metadata, sent by Chromium, Firefox and
//!   Safari). A foreign `Origin` is refused; so is a `Sec-Fetch-Site` other
//!   than `same-origin`/`none`, except a top-level navigation (a link
//!   clicked on another page: `Sec-Fetch-Mode: navigate`,
//!   `Sec-Fetch-Dest: document`, GET) to an entry page (`/`), which another
//!   site cannot read and which changes nothing.
//! - Other machines, when the board is bound beyond loopback: every request
//!   carries the token printed at start: `Authorization: Bearer`, the
//!   cookie, or `?token=`. A `GET /?token=` (the printed link, typed or
//!   clicked) is answered by setting the token as a cookie (`HttpOnly`,
//!   `SameSite=Strict`) and sending the browser on to `/` without it, so
//!   the token leaves the address bar and history. That step is a page
//!   (`<meta http-equiv=refresh>`), not a 3xx: a redirect keeps the
//!   cross-site initiator of a clicked link, and browsers then withhold a
//!   `SameSite=Strict` cookie (RFC 6265bis §5.2, "same-site" requests);
//!   a navigation started by our own page is same-site. Tokens are compared
//!   in constant time.
//!
//! Every answer says `Referrer-Policy: no-referrer` (no address leaves in a
//! `Referer`) and `X-Frame-Options: DENY` (no page frames ours to click on
//! it).
//!
//! Requests without `Origin` (curl, the first navigation) pass the Origin
//! rule: they cannot come from another site's script.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Pages a link on another site may open.
const ENTRIES: &[&str] = &["/"];

/// The rules for one listening address.
#[derive(Debug, Clone)]
pub struct Guard {
    /// `host:port` values a browser may send in `Host` (loopback only).
    hosts: Vec<String>,
    /// Required on every request when set (non-loopback binds).
    token: Option<String>,
    /// The token's cookie. Cookies belong to a host, not a port (RFC 6265
    /// §8.5), so the name carries the port: two boards on one machine keep
    /// their own.
    cookie: String,
}

/// What the guard says of one request.
#[derive(Debug, PartialEq, Eq)]
pub enum Decision {
    Pass,
    /// Refused, and why (the answer is 403 with this reason).
    Refuse(String),
    /// The token came in the address of an entry page: set it as a cookie
    /// and send the browser to this path without it.
    Enter(&'static str),
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
        Guard {
            hosts,
            token,
            cookie: format!("labdeck_token_{port}"),
        }
    }

    /// Whether a request (`method`, `path`, `query`, `headers`) may be served.
    pub fn decide(
        &self,
        method: &Method,
        path: &str,
        query: Option<&str>,
        headers: &HeaderMap,
    ) -> Decision {
        let host = text(headers, header::HOST.as_str());
        if !self.hosts.is_empty() && !self.hosts.iter().any(|h| h.eq_ignore_ascii_case(host)) {
            return Decision::Refuse(format!("Host {host:?} is not this server"));
        }
        if let Some(origin) = headers.get(header::ORIGIN) {
            let origin = origin.to_str().unwrap_or("");
            let own = origin
                .strip_prefix("http://")
                .is_some_and(|o| o.eq_ignore_ascii_case(host));
            if !own {
                return Decision::Refuse(format!("Origin {origin:?} is not this server"));
            }
        }
        let entry = ENTRIES.iter().copied().find(|e| *e == path);
        if let Some(site) = headers.get("sec-fetch-site") {
            let site = site.to_str().unwrap_or("");
            let own = site == "same-origin" || site == "none";
            let navigation = (*method == Method::GET || *method == Method::HEAD)
                && text(headers, "sec-fetch-mode") == "navigate"
                && text(headers, "sec-fetch-dest") == "document";
            let allowed = own || (navigation && entry.is_some());
            if !allowed {
                return Decision::Refuse(format!("cross-site request ({site})"));
            }
        }
        let Some(want) = &self.token else {
            return Decision::Pass;
        };
        let is = |given: Option<&str>| given.is_some_and(|g| same(g.as_bytes(), want.as_bytes()));
        if let Some(to) = entry.filter(|_| *method == Method::GET)
            && is(query.and_then(token_param))
        {
            return Decision::Enter(to);
        }
        if is(bearer(headers))
            || is(cookie(headers, &self.cookie))
            || is(query.and_then(token_param))
        {
            Decision::Pass
        } else {
            Decision::Refuse(
                "missing or wrong token (open the address with ?token= that labdeck printed)"
                    .into(),
            )
        }
    }

    /// The answer to [`Decision::Enter`]: the cookie, and a page that goes on to `to`.
    fn enter(&self, to: &str) -> Response {
        let token = self.token.as_deref().unwrap_or("");
        let cookie = format!("{}={token}; HttpOnly; SameSite=Strict; Path=/", self.cookie);
        let page = format!(
            "<!doctype html><meta charset=utf-8><meta http-equiv=refresh content=\"0; url={to}\">\
             <title>labdeck</title><a href=\"{to}\">Continue</a>\n"
        );
        let mut r = (
            [
                (header::CACHE_CONTROL, "no-store"),
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            ],
            page,
        )
            .into_response();
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            r.headers_mut().insert(header::SET_COOKIE, v);
        }
        r
    }
}

fn text<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("")
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
}

/// The value of cookie `name` (`Cookie: a=1; b=2`, RFC 6265 §5.4).
fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|kv| {
            let (k, v) = kv.trim().split_once('=')?;
            (k == name).then_some(v)
        })
}

fn token_param(query: &str) -> Option<&str> {
    query.split('&').find_map(|kv| kv.strip_prefix("token="))
}

/// Constant-time equality: how long it takes says nothing of the token.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The operating system gave no random bytes (getrandom(2) failed).
#[derive(Debug, thiserror::Error)]
#[error("no randomness for a token: {0}")]
pub struct NoRandomness(pub getrandom::Error);

/// A fresh random token (128 bits, hex) from the operating system.
pub fn new_token() -> Result<String, NoRandomness> {
    let mut bytes = [0u8; 16];
    getrandom::getrandom(&mut bytes).map_err(NoRandomness)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Whether `s` is a token as [`new_token`] makes them.
pub fn is_token(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|c| c.is_ascii_hexdigit())
}

/// `app`, every route and the fallback, behind `guard`.
pub fn protect(app: Router, guard: Guard) -> Router {
    app.layer(axum::middleware::from_fn_with_state(Arc::new(guard), layer))
}

/// Axum middleware: refuse with 403 and the reason, or let through.
async fn layer(State(guard): State<Arc<Guard>>, req: Request, next: Next) -> Response {
    let decision = guard.decide(
        req.method(),
        req.uri().path(),
        req.uri().query(),
        req.headers(),
    );
    let mut response = match decision {
        Decision::Pass => next.run(req).await,
        Decision::Enter(to) => guard.enter(to),
        Decision::Refuse(why) => {
            (StatusCode::FORBIDDEN, format!("labdeck: refused: {why}\n")).into_response()
        }
    };
    let h = response.headers_mut();
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_static(v));
        }
        h
    }

    fn get(g: &Guard, path: &str, query: Option<&str>, h: &HeaderMap) -> Decision {
        g.decide(&Method::GET, path, query, h)
    }

    #[test]
    fn loopback_host_and_own_origin_only() {
        let g = Guard::for_addr("127.0.0.1:8000".parse().unwrap(), None);
        let ok =
            |h: &[(&'static str, &'static str)]| get(&g, "/", None, &headers(h)) == Decision::Pass;
        assert!(ok(&[("host", "127.0.0.1:8000")]));
        assert!(ok(&[("host", "localhost:8000")]));
        assert!(!ok(&[("host", "evil.example:8000")]));
        assert!(!ok(&[("host", "127.0.0.1:8001")]));
        assert!(!ok(&[]));
        assert!(ok(&[
            ("host", "127.0.0.1:8000"),
            ("origin", "http://127.0.0.1:8000")
        ]));
        let other = headers(&[
            ("host", "127.0.0.1:8000"),
            ("origin", "http://evil.example"),
        ]);
        assert!(
            matches!(get(&g, "/", None, &other), Decision::Refuse(w) if w.contains("evil.example"))
        );
        assert!(!ok(&[
            ("host", "127.0.0.1:8000"),
            ("sec-fetch-site", "cross-site")
        ]));
        assert!(ok(&[
            ("host", "127.0.0.1:8000"),
            ("sec-fetch-site", "same-origin")
        ]));
    }

    #[test]
    fn a_link_from_another_site_opens_an_entry_page_only() {
        let g = Guard::for_addr("127.0.0.1:8000".parse().unwrap(), None);
        let clicked = headers(&[
            ("host", "127.0.0.1:8000"),
            ("sec-fetch-site", "cross-site"),
            ("sec-fetch-mode", "navigate"),
            ("sec-fetch-dest", "document"),
        ]);
        assert_eq!(get(&g, "/", None, &clicked), Decision::Pass);
        assert!(matches!(
            get(&g, "/export.csv", None, &clicked),
            Decision::Refuse(_)
        ));
        assert!(matches!(
            g.decide(&Method::POST, "/", None, &clicked),
            Decision::Refuse(_)
        ));
        let framed = headers(&[
            ("host", "127.0.0.1:8000"),
            ("sec-fetch-site", "cross-site"),
            ("sec-fetch-mode", "navigate"),
            ("sec-fetch-dest", "iframe"),
        ]);
        assert!(matches!(get(&g, "/", None, &framed), Decision::Refuse(_)));
    }

    #[test]
    fn elsewhere_needs_the_token() {
        let g = Guard::for_addr("0.0.0.0:8000".parse().unwrap(), Some("abc123".into()));
        let h = headers(&[("host", "board.lan:8000")]);
        let refused = |d| matches!(d, Decision::Refuse(_));
        assert!(refused(get(&g, "/", None, &h)));
        assert!(refused(get(&g, "/", Some("token=abc124"), &h)));
        assert!(refused(get(&g, "/board.json", Some("token=abc12"), &h)));
        assert_eq!(
            get(&g, "/board.json", Some("x=1&token=abc123"), &h),
            Decision::Pass
        );
        // The printed link, typed or clicked: the token goes into a cookie.
        assert_eq!(get(&g, "/", Some("token=abc123"), &h), Decision::Enter("/"));
        let clicked = headers(&[
            ("host", "board.lan:8000"),
            ("sec-fetch-site", "cross-site"),
            ("sec-fetch-mode", "navigate"),
            ("sec-fetch-dest", "document"),
        ]);
        assert_eq!(
            get(&g, "/", Some("token=abc123"), &clicked),
            Decision::Enter("/")
        );
        let b = headers(&[
            ("host", "board.lan:8000"),
            ("authorization", "Bearer abc123"),
        ]);
        assert_eq!(get(&g, "/board.json", None, &b), Decision::Pass);
        let c = headers(&[
            ("host", "board.lan:8000"),
            ("cookie", "a=1; labdeck_token_8000=abc123"),
        ]);
        assert_eq!(get(&g, "/events", None, &c), Decision::Pass);
        let other_port = headers(&[
            ("host", "board.lan:8000"),
            ("cookie", "labdeck_token_8001=abc123"),
        ]);
        assert!(refused(get(&g, "/events", None, &other_port)));
    }

    #[test]
    fn tokens_are_random_hex() {
        let (a, b) = (new_token().unwrap(), new_token().unwrap());
        assert!(is_token(&a));
        assert_ne!(a, b);
    }
}
