//! `labdeck serve`: page, static files, rebuild on change, errors keep the last good deck.

mod support;

use support::served::{self, chapter_text, write};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_the_deck_with_live_reload_and_its_images() {
    let s = served::serve_small_deck().await;
    let (status, page) = served::get(s.server.addr, "/").await;
    assert_eq!(status, 200);
    assert_eq!(labdeck::render::page::slide_fields(&page).unwrap().len(), 9);
    assert!(page.contains("Slide 3 v1"));
    assert!(page.contains("new EventSource('/_labdeck/events')"));
    let (status, svg) = served::get(s.server.addr, "/images/pic.svg").await;
    assert_eq!(status, 200);
    assert!(svg.starts_with("<svg"));
    let (status, _) = served::get(s.server.addr, "/images/nope.svg").await;
    assert_eq!(status, 404);
    let (status, _) = served::get(s.server.addr, "/../../etc/passwd").await;
    assert_ne!(status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn editing_a_chapter_rebuilds_and_tells_pages() {
    let s = served::serve_small_deck().await;
    let mut events = served::events(s.server.addr).await;
    let (_, page) = served::get(s.server.addr, "/").await;
    assert!(page.contains("var version = 1;"), "first build");
    // same slides, new text: pages get the changed slides only
    write(
        &s.chapter(),
        &chapter_text("v1").replace("text of slide 3", "text of slide 3, edited"),
    );
    let event = events.next("slides").await;
    let data = event.split_once("data: ").unwrap().1;
    let msg: serde_json::Value = serde_json::from_str(data).unwrap();
    assert_eq!(
        (msg["from"].as_u64(), msg["to"].as_u64()),
        (Some(1), Some(2))
    );
    let slides = msg["slides"].as_array().unwrap();
    assert_eq!(slides.len(), 1, "{msg}");
    assert_eq!(slides[0][0], 2);
    assert!(
        slides[0][3]
            .as_str()
            .unwrap()
            .contains("text of slide 3, edited")
    );
    let (_, page) = served::get(s.server.addr, "/").await;
    assert!(page.contains("text of slide 3, edited"), "rebuilt page");
    assert!(page.contains("var version = 2;"));
    // a slide more: every number changes, pages reload
    write(
        &s.chapter(),
        &format!("# New first slide\n---\n{}", chapter_text("v2")),
    );
    events.next("reload").await;
    let (_, page) = served::get(s.server.addr, "/").await;
    assert!(page.contains("Slide 3 v2"), "rebuilt page");
    // an image change reloads pages without needing a rebuild
    write(
        &s.dir.path().join("images/pic.svg"),
        "<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
    );
    events.next("reload").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_build_error_keeps_the_last_good_deck_and_is_reported() {
    let s = served::serve_small_deck().await;
    let mut events = served::events(s.server.addr).await;
    write(
        &s.manifest(),
        "title: Served deck\ncontent:\n- missing-chapter.md\n",
    );
    let error = events.next("build-error").await;
    assert!(error.contains("missing-chapter.md"), "{error}");
    let (status, page) = served::get(s.server.addr, "/").await;
    assert_eq!(status, 200);
    assert!(page.contains("Slide 3 v1"), "last good deck still served");
    // a page opened now learns about the error at once
    let mut late = served::events(s.server.addr).await;
    late.next("build-error").await;
    // fixed: pages reload onto the new deck
    write(
        &s.manifest(),
        "title: Served deck\ncontent:\n- chapter.md\n",
    );
    events.next("reload").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_first_build_serves_an_error_page() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("deck.yml");
    std::fs::write(&manifest, "content:\n- nope.md\n").unwrap();
    let builder = served::compiler(&manifest);
    let opts = labdeck::serve::Options {
        manifest,
        port: 0,
        watch_dirs: vec![],
        classroom: None,
    };
    let server = labdeck::serve::start(opts, builder).await.unwrap();
    let (status, page) = served::get(server.addr, "/").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("build failed") && page.contains("nope.md"),
        "{page}"
    );
    assert!(page.contains("EventSource"), "reloads once fixed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_port_is_a_clear_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("deck.yml");
    std::fs::write(&manifest, "content: []\n").unwrap();
    let builder = served::compiler(&manifest);
    let opts = labdeck::serve::Options {
        manifest,
        port,
        watch_dirs: vec![],
        classroom: None,
    };
    let Err(err) = labdeck::serve::start(opts, builder).await else {
        panic!("port {port} is taken")
    };
    assert!(
        err.to_string().contains(&format!("127.0.0.1:{port}")),
        "{err}"
    );
}

#[test]
fn the_serve_command_of_a_missing_manifest_fails_cleanly() {
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_labdeck"))
        .args(["serve", "/nonexistent/deck.yml", "--port", "0"])
        .output()
        .unwrap();
    assert!(!run.status.success());
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("/nonexistent/deck.yml"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_serve_command_serves_until_stopped() {
    use std::io::BufRead;
    let s = served::serve_small_deck().await; // a deck on disk (its own server is not used)
    struct KillOnDrop(std::process::Child);
    impl Drop for KillOnDrop {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_labdeck"))
        .arg("serve")
        .arg(s.manifest())
        .args(["--port", "0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let child = KillOnDrop(child);
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .unwrap();
        line
    });
    let line = tokio::time::timeout(std::time::Duration::from_secs(20), line)
        .await
        .expect("serve printed its address")
        .unwrap();
    let addr: std::net::SocketAddr = line
        .split("http://")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .parse()
        .unwrap();
    let (status, page) = served::get(addr, "/").await;
    drop(child);
    assert_eq!(status, 200);
    assert!(page.contains("Slide 3 v1"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn editing_an_imported_stylesheet_rebuilds_and_serves_what_it_now_names() {
    // A remark page's stylesheet `@import`s another (issue 23): the page
    // loads it by URL, so an edit reloads open pages; and an edit that makes
    // it import a new file rebuilds, so the new file is served (it was a 404
    // until some other input changed).
    let dir = tempfile::tempdir().unwrap();
    write(
        &dir.path().join("talk.html"),
        "<html><head><link rel=\"stylesheet\" href=\"css/theme.css\"></head><body>\n<textarea id=\"source\"># One\n---\n# Two\n</textarea>\n<script>var slideshow = remark.create();</script></body></html>",
    );
    std::fs::create_dir_all(dir.path().join("css/parts")).unwrap();
    write(
        &dir.path().join("css/theme.css"),
        "@import \"parts/colors.css\";\nh1 { margin: 0 }\n",
    );
    write(
        &dir.path().join("css/parts/colors.css"),
        "h1 { color: red }\n",
    );
    let page = dir.path().join("talk.html");
    let server = labdeck::serve::start(
        labdeck::serve::Options {
            manifest: page.clone(),
            port: 0,
            watch_dirs: vec![],
            classroom: None,
        },
        served::compiler(&page),
    )
    .await
    .unwrap();
    let (status, css) = served::get(server.addr, "/css/parts/colors.css").await;
    assert_eq!((status, css.as_str()), (200, "h1 { color: red }\n"));
    let (status, _) = served::get(server.addr, "/css/parts/more.css").await;
    assert_eq!(status, 404, "not named yet");

    let mut events = served::events(server.addr).await;
    write(
        &dir.path().join("css/parts/more.css"),
        "h2 { color: blue }\n",
    );
    write(
        &dir.path().join("css/parts/colors.css"),
        "@import \"more.css\";\nh1 { color: green }\n",
    );
    events.next("reload").await;
    let (status, css) = served::get(server.addr, "/css/parts/colors.css").await;
    assert_eq!(status, 200);
    assert!(css.contains("green"), "{css}");
    let (status, css) = served::get(server.addr, "/css/parts/more.css").await;
    assert_eq!(
        (status, css.as_str()),
        (200, "h2 { color: blue }\n"),
        "the newly imported stylesheet is served"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn editing_a_template_from_templates_dir_rebuilds() {
    let s = served::serve_small_deck().await; // a deck on disk
    let templates = tempfile::tempdir().unwrap();
    write(&templates.path().join("theme.css"), "/* theme v1 */");
    let opts = labdeck::build::BuildOptions {
        templates: Some(templates.path().to_path_buf()),
        ..Default::default()
    };
    let builder = labdeck::serve::deck_builder(s.manifest(), opts).unwrap();
    let server = labdeck::serve::start(
        labdeck::serve::Options {
            manifest: s.manifest(),
            port: 0,
            watch_dirs: vec![templates.path().to_path_buf()],
            classroom: None,
        },
        builder,
    )
    .await
    .unwrap();
    let (_, page) = served::get(server.addr, "/").await;
    assert!(page.contains("/* theme v1 */"));
    let mut events = served::events(server.addr).await;
    write(&templates.path().join("theme.css"), "/* theme v2 */");
    events.next("reload").await;
    let (_, page) = served::get(server.addr, "/").await;
    assert!(
        page.contains("/* theme v2 */"),
        "template change rebuilt the page"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rebound_host_gets_no_page_file_or_event_stream() {
    let s = served::serve_small_deck().await;
    let rebound = format!("rebind.example:{}", s.server.addr.port());
    for path in ["/", "/images/pic.svg", "/_labdeck/events", "/deck.yml"] {
        let (status, body) = served::get_as(s.server.addr, path, &rebound).await;
        assert!(
            status == 403 || status == 421,
            "{path} answered {status} to a rebound Host"
        );
        for leak in ["Slide", "<svg", "event:", "Served deck"] {
            assert!(!body.contains(leak), "{path} leaked {leak}: {body}");
        }
    }
    // Its own name still works.
    let (status, _) = served::get(s.server.addr, "/images/pic.svg").await;
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_hands_out_no_dotfile_kubeconfig_unused_file_or_symlink_out() {
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("config");
    std::fs::write(&secret, "apiVersion: v1\nkind: Config\ntoken: s3cr3t\n").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join(".kube")).unwrap();
    std::fs::write(d.join(".kube/config"), "token: s3cr3t\n").unwrap();
    std::fs::write(d.join(".env"), "AWS_SECRET=s3cr3t\n").unwrap();
    std::fs::write(d.join("notes.txt"), "s3cr3t\n").unwrap();
    std::fs::create_dir_all(d.join("images")).unwrap();
    for name in ["ok", "out", "dot"] {
        std::fs::write(d.join(format!("images/{name}.svg")), "<svg/>").unwrap();
    }
    write(
        &d.join("chapter.md"),
        "# One\n\n![a](images/ok.svg) ![b](images/out.svg) ![c](images/dot.svg)\n",
    );
    write(&d.join("deck.yml"), "title: Home\ncontent:\n- chapter.md\n");
    let manifest = d.join("deck.yml");
    let server = labdeck::serve::start(
        labdeck::serve::Options {
            manifest: manifest.clone(),
            port: 0,
            watch_dirs: vec![],
            classroom: None,
        },
        served::compiler(&manifest),
    )
    .await
    .unwrap();
    let (status, body) = served::get(server.addr, "/images/out.svg").await;
    assert_eq!((status, body.as_str()), (200, "<svg/>"));
    // Images the deck uses become symlinks out of the folder and to a
    // dotfile after the build: each request looks again.
    std::fs::remove_file(d.join("images/out.svg")).unwrap();
    std::os::unix::fs::symlink(&secret, d.join("images/out.svg")).unwrap();
    std::fs::remove_file(d.join("images/dot.svg")).unwrap();
    std::os::unix::fs::symlink(d.join(".kube/config"), d.join("images/dot.svg")).unwrap();
    let (status, body) = served::get(server.addr, "/images/ok.svg").await;
    assert_eq!((status, body.as_str()), (200, "<svg/>"));
    for path in [
        "/.kube/config",
        "/%2ekube/config",
        "/.env",
        "/notes.txt",
        "/deck.yml",
        "/chapter.md",
        "/images/out.svg",
        "/images/dot.svg",
        "/images/",
        "/images",
    ] {
        let (status, body) = served::get(server.addr, path).await;
        assert_eq!(status, 404, "{path}: {body}");
        assert!(!body.contains("s3cr3t"), "{path}: {body}");
    }
}
