//! A small deck served by `labdeck::serve` for tests, and raw HTTP helpers.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub struct Served {
    pub dir: tempfile::TempDir,
    pub server: labdeck::serve::Server,
}

impl Served {
    pub fn chapter(&self) -> PathBuf {
        self.dir.path().join("chapter.md")
    }
    pub fn manifest(&self) -> PathBuf {
        self.dir.path().join("deck.yml")
    }
}

pub fn chapter_text(marker: &str) -> String {
    let mut s = String::new();
    for i in 1..=8 {
        s.push_str(&format!(
            "name: s{i}\n# Slide {i} {marker}\n\ntext of slide {i}\n\n???\nnotes {i}\n---\n"
        ));
    }
    s.push_str("# Picture\n\n![pic](images/pic.svg)\n");
    s
}

/// The deck compiler as `serve` uses it.
pub fn compiler(manifest: &Path) -> labdeck::serve::Builder {
    labdeck::serve::deck_builder(manifest.to_path_buf(), Default::default()).unwrap()
}

pub async fn serve_small_deck() -> Served {
    let dir = tempfile::tempdir().unwrap();
    write(&dir.path().join("chapter.md"), &chapter_text("v1"));
    write(
        &dir.path().join("deck.yml"),
        "title: Served deck\ncontent:\n- chapter.md\n",
    );
    std::fs::create_dir(dir.path().join("images")).unwrap();
    write(
        &dir.path().join("images/pic.svg"),
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"/>",
    );
    let manifest = dir.path().join("deck.yml");
    let builder = compiler(&manifest);
    let opts = labdeck::serve::Options {
        manifest,
        port: 0,
        watch_dirs: vec![],
        classroom: None,
    };
    let server = labdeck::serve::start(opts, builder).await.unwrap();
    Served { dir, server }
}

/// Write through a temporary file and rename, as editors do.
pub fn write(path: &Path, text: &str) {
    let tmp = path.with_extension("labdeck-tmp~");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

pub async fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    get_as(addr, path, &addr.to_string()).await
}

/// `GET path` sending `Host: host` (a DNS-rebinding page sends its own name).
/// Returns the status and the body; an event stream's body is read for up
/// to 2 s.
pub async fn get_as(addr: SocketAddr, path: &str, host: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .await
    .unwrap();
    if path.contains("events") {
        let mut buf = vec![0u8; 65536];
        let mut got = Vec::new();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
        while let Ok(Ok(n)) = tokio::time::timeout_at(deadline, s.read(&mut buf)).await {
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
        }
        let text = String::from_utf8_lossy(&got).into_owned();
        let status = text.split_whitespace().nth(1).unwrap().parse().unwrap();
        let body = text
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_string())
            .unwrap_or_default();
        return (status, body);
    }
    let mut buf = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut buf))
        .await
        .unwrap()
        .unwrap();
    let text = String::from_utf8_lossy(&buf).into_owned();
    let status = text.split_whitespace().nth(1).unwrap().parse().unwrap();
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

/// An open server-sent events stream.
pub struct Events(TcpStream, String);

pub async fn events(addr: SocketAddr) -> Events {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(format!("GET /_labdeck/events HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes())
        .await
        .unwrap();
    // The server subscribes before it answers: once the headers are in, no event can be missed.
    let mut ev = Events(s, String::new());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !ev.1.contains("\n\n") {
        let mut buf = [0u8; 1024];
        let n = tokio::time::timeout_at(deadline, ev.0.read(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert!(n > 0, "event stream closed");
        ev.1.push_str(&String::from_utf8_lossy(&buf[..n]).replace("\r\n", "\n"));
    }
    let (headers, rest) = ev.1.split_once("\n\n").unwrap();
    assert!(headers.contains("text/event-stream"), "{headers}");
    ev.1 = rest.to_string();
    ev
}

impl Events {
    /// Wait (at most 10 s) for the next event named `name`; returns what was read up to it.
    pub async fn next(&mut self, name: &str) -> String {
        let needle = format!("event: {name}\n");
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(at) = self.1.find(&needle) {
                let seen = self.1[..at + needle.len()].to_string();
                let rest = self.1[at + needle.len()..].to_string();
                // keep the event's data lines for the caller
                let (data, rest) = rest
                    .split_once("\n\n")
                    .map(|(d, r)| (d.to_string(), r.to_string()))
                    .unwrap_or((rest, String::new()));
                self.1 = rest;
                return format!("{seen}{data}");
            }
            let mut buf = [0u8; 4096];
            let n = tokio::time::timeout_at(deadline, self.0.read(&mut buf))
                .await
                .unwrap_or_else(|_| panic!("no `{name}` event within 10 s; got {:?}", self.1))
                .unwrap();
            assert!(n > 0, "event stream closed");
            self.1
                .push_str(&String::from_utf8_lossy(&buf[..n]).replace("\r\n", "\n"));
        }
    }
}

/// The arguments of `grade DECK --kubeconfigs CLASS --serve` on a port of
/// loopback, looking every second, then `extra`: the board as the browser
/// and real-cluster tests start it.
pub fn board_args<'a>(deck: &'a str, class: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "grade",
        deck,
        "--kubeconfigs",
        class,
        "--serve",
        "--listen",
        "127.0.0.1:0",
        "--interval",
        "1s",
    ];
    args.extend_from_slice(extra);
    args
}

/// `labdeck ARGS` in folder `cwd`, running until dropped; returns it with
/// the first `http://` URL it prints.
pub async fn spawn_in(cwd: &Path, args: &[&str]) -> (tokio::process::Child, String) {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_labdeck"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .env_remove("KUBECONFIG")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("run labdeck");
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let url = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(at) = line.find("http://") {
                return line[at..]
                    .chars()
                    .take_while(|c| !c.is_whitespace())
                    .collect::<String>();
            }
        }
        panic!("labdeck {args:?} ended without printing its URL");
    })
    .await
    .expect("labdeck printed its URL");
    // Keep draining stdout so the child never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, url)
}
