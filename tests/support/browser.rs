//! Headless Chromium driven through chromedriver (WebDriver), for end-to-end
//! tests of the deck runtime. Whether a test can run is decided before it
//! starts (tests/support/harness.rs: reported as ignored without Chromium or
//! chromedriver, failed with LABDECK_REQUIRE_BROWSER=1); a test that starts
//! a browser that is not there fails.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

/// One browser at a time: the machine has 2 cores, and timing assertions
/// (first slide) must not compete with another Chromium.
pub static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn find(names: &[&str], fallbacks: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        for n in names {
            let p = dir.join(n);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    fallbacks.iter().map(PathBuf::from).find(|p| p.is_file())
}

pub fn chromium() -> Option<PathBuf> {
    find(&["chromium", "chromium-browser"], &["/usr/bin/chromium"])
}

pub fn chromedriver() -> Option<PathBuf> {
    find(
        &["chromedriver"],
        &["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"],
    )
}

/// The flags every headless Chromium we start gets.
pub fn chromium_flags(profile: &Path) -> Vec<String> {
    labdeck::pdf::HEADLESS_FLAGS
        .iter()
        .chain(&[
            "--window-size=1280,720",
            "--hide-scrollbars",
            "--enable-precise-memory-info",
        ])
        .map(|s| s.to_string())
        .chain([format!("--user-data-dir={}", profile.display())])
        .collect()
}

pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

/// Start chromedriver + Chromium; a test that needs them is registered as
/// needing them (tests/support/harness.rs), so their absence here fails it.
pub async fn start(test: &str) -> Browser {
    start_with(test, &[]).await
}

/// As [`start`], with extra Chromium flags.
pub async fn start_with(test: &str, extra: &[&str]) -> Browser {
    let (Some(chromium), Some(driver)) = (chromium(), chromedriver()) else {
        panic!(
            "{test}: chromium and chromedriver are not installed (apt-get install chromium chromium-driver)"
        );
    };
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let driver = Command::new(driver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let profile = tempfile::tempdir().unwrap();
    let caps = json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": chromium,
            "args": chromium_flags(profile.path()).into_iter().chain(extra.iter().map(|s| s.to_string())).collect::<Vec<_>>(),
        },
        "goog:loggingPrefs": { "browser": "ALL" },
    });
    let Value::Object(caps) = caps else {
        unreachable!()
    };
    let url = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(20);
    let client = loop {
        let mut b = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new());
        b.capabilities(caps.clone());
        match b.connect(&url).await {
            Ok(c) => break c,
            Err(e) if Instant::now() > deadline => {
                panic!("{test}: chromedriver did not start: {e}")
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    };
    Browser {
        client,
        driver,
        _profile: profile,
    }
}

#[derive(Debug)]
struct BrowserLog;

impl WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/se/log", session.unwrap_or_default()))
    }
    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(r#"{"type":"browser"}"#.to_string()),
        )
    }
}

/// A Chrome DevTools Protocol command through chromedriver.
#[derive(Debug)]
struct Cdp(String, Value);

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!(
            "session/{}/goog/cdp/execute",
            session.unwrap_or_default()
        ))
    }
    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(json!({ "cmd": self.0, "params": self.1 }).to_string()),
        )
    }
}

impl Browser {
    pub async fn cdp(&self, cmd: &str, params: Value) -> Value {
        self.client
            .issue_cmd(Cdp(cmd.to_string(), params))
            .await
            .unwrap_or_else(|e| panic!("{cmd}: {e}"))
    }

    pub async fn open(&self, url: &str) {
        self.client.goto(url).await.unwrap();
        self.wait_for("window.labdeck !== undefined", "runtime started")
            .await;
    }

    pub async fn eval(&self, js: &str) -> Value {
        self.client
            .execute(js, vec![])
            .await
            .unwrap_or_else(|e| panic!("{js}: {e}"))
    }

    /// Poll a JS condition until it holds; fail with `what` after 10 s.
    pub async fn wait_for(&self, cond: &str, what: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        let js = format!("return !!({cond});");
        loop {
            if self.client.execute(&js, vec![]).await.ok() == Some(Value::Bool(true)) {
                return;
            }
            if Instant::now() > deadline {
                panic!("timed out waiting for {what} ({cond})");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn key(&self, key: &str) {
        let body = self.client.find(Locator::Css("body")).await.unwrap();
        body.send_keys(key).await.unwrap();
    }

    /// Index of the one visible slide container, from the DOM (not the runtime's word).
    pub async fn visible(&self) -> i64 {
        let v = self
            .eval(
                "const all = document.querySelectorAll('.remark-slides-area > .remark-visible');
                 if (all.length !== 1) return -all.length - 100;
                 return Array.prototype.indexOf.call(document.querySelector('.remark-slides-area').children, all[0]);",
            )
            .await;
        v.as_i64().unwrap()
    }

    pub async fn hash(&self) -> String {
        self.eval("return location.hash;")
            .await
            .as_str()
            .unwrap()
            .to_string()
    }

    /// Console messages of level SEVERE (errors) since the last call.
    pub async fn console_errors(&self) -> Vec<String> {
        let log = self.client.issue_cmd(BrowserLog).await.unwrap();
        log.as_array()
            .into_iter()
            .flatten()
            .filter(|e| e["level"] == "SEVERE")
            .map(|e| e["message"].as_str().unwrap_or_default().to_string())
            .collect()
    }

    /// Keys through WebDriver's keyboard actions: they go to the focused
    /// element, as a person's would (`key` types into `<body>`). Special
    /// keys: [`keys`].
    pub async fn press(&self, keys: &str) {
        use fantoccini::actions::{InputSource, KeyAction, KeyActions};
        for k in keys.chars() {
            let a = KeyActions::new("keyboard".into())
                .then(KeyAction::Down { value: k })
                .then(KeyAction::Up { value: k });
            self.client.perform_actions(a).await.unwrap();
        }
    }

    /// Presses Tab until the element `css` has focus (at most 30 times);
    /// returns how many presses it took.
    pub async fn tab_to(&self, css: &str) -> usize {
        for n in 1..=30 {
            self.press(keys::TAB).await;
            let here = self
                .eval(&format!(
                    "return document.activeElement === document.querySelector({css:?});"
                ))
                .await;
            if here == Value::Bool(true) {
                return n;
            }
        }
        panic!("Tab never reached {css}");
    }

    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }
}

impl Drop for Browser {
    // Also on a failed assertion: never leave our chromedriver behind.
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// WebDriver's codes of special keys (W3C WebDriver, "Keyboard actions").
pub mod keys {
    pub const TAB: &str = "\u{e004}";
    pub const ENTER: &str = "\u{e007}";
    pub const ESCAPE: &str = "\u{e00c}";
    pub const SPACE: &str = "\u{e00d}";
    pub const RIGHT: &str = "\u{e014}";
}

pub fn file_url(path: &Path) -> String {
    url::Url::from_file_path(path).unwrap().to_string()
}

/// Pages in a PDF written by Chromium (its page objects are not compressed).
pub fn pdf_pages(pdf: &[u8]) -> usize {
    let needle = b"/Type /Page";
    pdf.windows(needle.len() + 1)
        .filter(|w| &w[..needle.len()] == needle && w[needle.len()] != b's')
        .count()
}
