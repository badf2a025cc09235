//! The script `serve` adds to pages: swap in the slides an edit changed, or
//! reload on other changes (the runtime keeps the slide in the URL, so a
//! reload lands on the same slide), show build errors.

const SCRIPT: &str = r#"<script>
(function () {
  var version = LABDECK_VERSION;
  var es = new EventSource('/_labdeck/events');
  es.addEventListener('reload', function () { location.reload(); });
  es.addEventListener('slides', function (e) {
    // {from, to, slides}: only for the page as served at version `from`.
    var ok = false;
    try {
      var msg = JSON.parse(e.data);
      ok = msg.from === version && !!window.labdeck && typeof labdeck.update === 'function' &&
        labdeck.update(msg.slides);
      if (ok) version = msg.to;
    } catch (err) { ok = false; }
    if (!ok) location.reload();
  });
  es.addEventListener('build-error', function (e) {
    var box = document.querySelector('.labdeck-error');
    if (!box) {
      box = document.createElement('pre');
      box.className = 'labdeck-error';
      document.body.appendChild(box);
    }
    box.textContent = 'labdeck: build failed; showing the last good deck.\n\n' + e.data;
  });
})();
</script>
"#;

/// The page with the live-reload script before `</body>`; `version` is the
/// build it is (slide updates apply to that build only).
pub(crate) fn inject(html: &str, version: u64) -> String {
    inject_script(
        html,
        &SCRIPT.replace("LABDECK_VERSION", &version.to_string()),
    )
}

/// The page with `script` before its last `</body>`.
pub(crate) fn inject_script(html: &str, script: &str) -> String {
    match html.rfind("</body>") {
        Some(at) => format!("{}{script}{}", &html[..at], &html[at..]),
        None => format!("{html}{script}"),
    }
}

/// Shown when the first build failed: the error, and a reload once fixed.
pub(crate) fn error_page(error: &str) -> String {
    // The one HTML escaper of the project.
    let mut escaped = String::with_capacity(error.len());
    crate::render::highlight::escape_into(&mut escaped, error);
    inject(
        &format!(
            "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>labdeck: build failed</title>\
         <style>.labdeck-error{{white-space:pre-wrap;color:#fff;background:#b00020;padding:12px;font:14px monospace}}</style>\
         </head><body><pre class=\"labdeck-error\">labdeck: build failed\n\n{escaped}</pre></body></html>"
        ),
        0,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_goes_before_the_last_body_end() {
        let out = inject("<body><pre>&lt;/body></pre></body></html>", 7);
        assert!(out.contains("var version = 7;"), "{out}");
        assert!(out.ends_with("</script>\n</body></html>"), "{out}");
    }

    #[test]
    fn error_page_escapes_the_message() {
        let out = error_page("a.md:3: bad <div>");
        assert!(out.contains("a.md:3: bad &lt;div&gt;"));
        assert!(out.contains("EventSource"));
    }
}
