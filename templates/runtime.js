/* labdeck runtime: shows slides rendered at build time. No framework, no network.
 *
 * Why it is shaped like this: a deck can hold thousands of slides, and parsing
 * them all as HTML would be most of the wait for the first one. The page
 * ships them as text in one script element of type text/x-labdeck-slides (format:
 * src/render/page.rs SLIDES_SCRIPT), which the browser only scans; the
 * runtime makes one empty container per slide and "materialises" (parses)
 * only the few slides around the visible one, dropping content far behind.
 * Printing materialises everything. A big deck's built page carries that
 * text packed (data-packed="deflate-raw": page.rs PACKED_SLIDES_SCRIPT),
 * a quarter of the bytes for the browser to read and scan before slide 1
 * paints; the runtime then starts once the browser has unpacked it.
 *
 * Public hooks (for tests, the clone window and `labdeck serve`): window.labdeck
 * with current(), count(), go(index), notes(index), update(changes), and the
 * `labdeck-slide` event on window.
 */
(function () {
  'use strict';

  var OPTIONS = remarkOptions();
  var SLIDE_W = OPTIONS.width || 1210, SLIDE_H = OPTIONS.height || 681;  // from remark's `ratio`
  var RATIO = OPTIONS.ratio || [16, 9];  // `ratio` as written: 16:9 is [16, 9]
  var NAVIGATION = OPTIONS.navigation || { scroll: true, touch: true, click: false };
  var KEEP_AHEAD = 2, KEEP_BEHIND = 1;  // slides materialised around the current one
  var DROP_DISTANCE = 12;               // content further away than this is dropped

  var doc = document;
  var body = doc.body;
  var area = doc.querySelector('.remark-slides-area');
  var preview = doc.querySelector('.remark-preview-area');
  var notesArea = doc.querySelector('.remark-notes-area');
  var notesBox = doc.querySelector('.remark-notes');
  var positionBox = doc.querySelector('.labdeck-position');
  var timerBox = doc.querySelector('.remark-toolbar-timer');
  var clockBox = doc.querySelector('.labdeck-clock');
  var gotoBox = doc.querySelector('.labdeck-goto');
  var records = [];       // per slide: its fields, still escaped (readSlides)
  var slides = [];        // the .remark-slide-container of each slide
  var names = Object.create(null);
  var live = [];          // indexes whose content is materialised
  var current = -1;
  var typed = '';         // digits typed before Enter
  var isClone = window.name.indexOf('labdeck-clone') === 0;
  var clones = [];        // windows opened with `c`
  var channel = null;
  var printing = false;   // while true, content is never dropped

  /* ---------- slide data: text in the page, containers, materialisation ---------- */

  var FIELD_END = '<\\-', FIELDS = 4;  // see src/render/page.rs SLIDES_SCRIPT

  // Undo page.rs script_text(): `<\x` was `<x`.
  function decode(text) { return text.replace(/<\\([\\\/!])/g, '<$1'); }

  // The slides script's text, then `then(text)`: at once when it is plain;
  // when packed, once the browser has inflated it (DecompressionStream,
  // `deflate-raw`, as page.rs pack_slides() deflates it), with `failed(err)`
  // if it cannot.
  function slidesText(then, failed) {
    var data = doc.querySelector('script[type="text/x-labdeck-slides"]');
    if (!data) return then('');
    if (data.getAttribute('data-packed') !== 'deflate-raw') return then(data.text);
    // Inflating runs in the promise jobs that follow this script, before the
    // browser paints: when slide 1 is already in place (deck.html's early
    // script), wait for the frame that paints it (the requestAnimationFrame
    // callback runs in that frame, the timeout after it). A hidden page
    // gets no frames: it unpacks at once.
    // Its parts: this element's text, then each part element's after it.
    var parts = [data.text];
    var parted = doc.querySelectorAll('script[type="text/x-labdeck-slides-part"]');
    for (var p = 0; p < parted.length; p++) parts.push(parted[p].text);
    if (first && doc.visibilityState !== 'hidden') {
      requestAnimationFrame(function () { setTimeout(function () { unpack(parts, then, failed); }, 0); });
    } else {
      unpack(parts, then, failed);
    }
  }

  // Each part is base64 of some of the stream's bytes (page.rs push_packed).
  function unpack(parts, then, failed) {
    try {
      var chunks = parts.map(function (b64) {
        if (Uint8Array.fromBase64) return Uint8Array.fromBase64(b64);
        var bin = atob(b64), bytes = new Uint8Array(bin.length);
        for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
        return bytes;
      });
      var inflated = new Blob(chunks).stream().pipeThrough(new DecompressionStream('deflate-raw'));
      new Response(inflated).text().then(then, failed);
    } catch (err) {
      failed(err);
    }
  }

  function readSlides(text) {
    var fields = text.split(FIELD_END);
    var out = [];
    for (var k = 0; k + FIELDS <= fields.length; k += FIELDS) {
      out.push({ step: fields[k] === 'step', name: decode(fields[k + 1]),
                 inner: fields[k + 2], notes: fields[k + 3] });
    }
    return out;
  }

  // A container's own attributes: step marker (print collapses steps), name.
  function dress(c, r) {
    c.className = 'remark-slide-container' + (r.step ? ' labdeck-step' : '');
    if (r.name) {
      c.id = 'slide-' + r.name;
      c.setAttribute('data-name', r.name);
    } else {
      c.removeAttribute('id');
      c.removeAttribute('data-name');
    }
  }

  function indexNames() {
    names = Object.create(null);
    records.forEach(function (r, i) {
      if (r.name && !(r.name in names)) names[r.name] = i;
    });
  }

  // Slide 1's container as deck.html's early script made it (already
  // painted, see there), or null.
  var first = area.querySelector('.labdeck-first');

  function makeContainers() {
    var all = doc.createDocumentFragment();
    slides = records.map(function (r, i) {
      var c = i === 0 && first ? first : doc.createElement('div');
      dress(c, r);
      if (c !== first) all.appendChild(c);
      return c;
    });
    if (first && slides[0] === first) {
      settle(first, 0);
      while (first.nextSibling) area.removeChild(first.nextSibling);
    } else {
      area.textContent = '';
    }
    area.appendChild(all);
    indexNames();
  }

  function materialise(i) {
    var c = slides[i];
    if (!c || c.labdeckLive) return;
    c.innerHTML = decode(records[i].inner);
    settle(c, i);
  }

  // Slide i's content is in place: its background image, and it counts as live.
  function settle(c, i) {
    var content = c.querySelector('.remark-slide-content');
    var bg = content && content.getAttribute('data-background-image');
    if (bg) content.style.backgroundImage = bg;
    c.labdeckLive = true;
    live.push(i);
  }

  function drop(i) {
    var c = slides[i];
    if (!c.labdeckLive) return;
    c.textContent = '';
    c.labdeckLive = false;
  }

  function materialiseAround(i) {
    for (var k = i - KEEP_BEHIND; k <= i + KEEP_AHEAD; k++) {
      if (k >= 0 && k < slides.length) materialise(k);
    }
    if (printing) return;  // printing needs every slide's content
    live = live.filter(function (k) {
      if (Math.abs(k - i) > DROP_DISTANCE) { drop(k); return false; }
      return true;
    });
  }

  function materialiseAll() {
    for (var i = 0; i < slides.length; i++) materialise(i);
  }

  function notesHtml(i) {
    return records[i] ? decode(records[i].notes) : '';
  }

  // `labdeck serve` after an edit that kept the slides' count: new fields for
  // some slides, [[index, step, name, inner, notes], ...] escaped as in the
  // page. False when they do not fit this page (the caller reloads it).
  function update(changes) {
    if (!Array.isArray(changes)) return false;
    for (var k = 0; k < changes.length; k++) {
      var ch = changes[k];
      if (!Array.isArray(ch) || ch.length !== 1 + FIELDS || !(ch[0] >= 0 && ch[0] < slides.length)) return false;
    }
    changes.forEach(function (ch) {
      var i = ch[0], c = slides[i];
      records[i] = { step: ch[1] === 'step', name: decode(ch[2]), inner: ch[3], notes: ch[4] };
      dress(c, records[i]);
      if (i === current) c.classList.add('remark-visible');
      if (c.labdeckLive) {
        c.labdeckLive = false;
        live = live.filter(function (k) { return k !== i; });
        materialise(i);
      }
    });
    indexNames();
    updatePresenter();
    return true;
  }

  /* ---------- scaling (remark's scaleToFit, via CSS variables) ---------- */

  function fit(el, box) {
    var w = box.clientWidth, h = box.clientHeight;
    if (!w || !h) return;
    // remark (src/remark/scaler.js, scaleToFit) picks the side to fit by
    // the ratio as written, not by the slide's size in pixels (whose width
    // is rounded down): at 1280x720 a 16:9 slide is 1280 wide, as in remark.
    var scale = w / RATIO[0] > h / RATIO[1] ? h / SLIDE_H : w / SLIDE_W;
    el.style.setProperty('--ld-scale', String(scale));
    el.style.setProperty('--ld-left', Math.max((w - SLIDE_W * scale) / 2, 0) + 'px');
    el.style.setProperty('--ld-top', Math.max((h - SLIDE_H * scale) / 2, 0) + 'px');
  }

  function rescale() {
    fit(area, area);
    if (body.classList.contains('remark-presenter-mode')) fit(preview, preview);
  }

  /* ---------- navigation ---------- */

  function indexFromHash(hash) {
    var h = (hash || '').replace(/^#/, '');
    // A malformed escape (`#%`) is a name that matches nothing, not a URIError.
    try { h = decodeURIComponent(h); } catch (err) { return null; }
    if (!h) return null;
    if (/^\d+$/.test(h)) {
      var n = parseInt(h, 10);
      return Math.min(Math.max(n, 1), slides.length) - 1;
    }
    if (h in names) return names[h];
    if (h.indexOf('slide-') === 0 && h.slice(6) in names) return names[h.slice(6)];
    return null;
  }

  // A xaringan page's `<style data-target="print-only">` goes when the
  // first slide shown is left, as the page's own script does it on remark's
  // first 'beforeShowSlide' (src/html_page.rs PRINT_ONLY).
  function dropPrintOnly() {
    var all = document.querySelectorAll('style');
    for (var k = 0; k < all.length; k++) {
      if (all[k].textContent.trim().indexOf('/* labdeck: print-only */') === 0) all[k].parentNode.removeChild(all[k]);
    }
  }

  function show(i, fromPeer) {
    if (!slides.length) return;
    i = Math.min(Math.max(i, 0), slides.length - 1);
    if (i === current) return;
    materialiseAround(i);
    if (current >= 0) dropPrintOnly();
    if (current >= 0) slides[current].classList.remove('remark-visible');
    slides[i].classList.add('remark-visible');
    current = i;
    var hash = '#' + (i + 1);
    if (location.hash !== hash && indexFromHash(location.hash) !== i) {
      history.replaceState(history.state, '', hash);
    }
    updatePresenter();
    if (!fromPeer) tellPeers();
    startTimer();
    window.dispatchEvent(new CustomEvent('labdeck-slide', { detail: { index: i } }));
  }

  function next() { show(current + 1); }
  function prev() { show(current - 1); }

  /* ---------- presenter mode: preview, notes, clock, timer ---------- */

  var timerStart = null;

  function startTimer() {
    if (timerStart === null && current > 0) timerStart = Date.now();
  }

  function resetTimer() {
    timerStart = Date.now();
    tick();
  }

  function two(n) { return (n < 10 ? '0' : '') + n; }

  function tick() {
    var now = new Date();
    clockBox.textContent = two(now.getHours()) + ':' + two(now.getMinutes());
    var s = timerStart === null ? 0 : Math.floor((Date.now() - timerStart) / 1000);
    timerBox.textContent = Math.floor(s / 3600) + ':' + two(Math.floor(s / 60) % 60) + ':' + two(s % 60);
  }

  function updatePresenter() {
    if (!body.classList.contains('remark-presenter-mode') || current < 0) return;
    notesBox.innerHTML = notesHtml(current);
    positionBox.textContent = 'Slide ' + (current + 1) + ' of ' + slides.length;
    preview.textContent = '';
    var nxt = slides[current + 1];
    if (nxt) {
      materialise(current + 1);
      var copy = nxt.cloneNode(true);
      copy.removeAttribute('id');
      copy.classList.add('remark-visible');
      preview.appendChild(copy);
    }
    fit(preview, preview);
  }

  function togglePresenter() {
    body.classList.toggle('remark-presenter-mode');
    if (body.classList.contains('remark-presenter-mode')) {
      if (timerStart === null) timerStart = Date.now();
      tick();
    }
    rescale();
    updatePresenter();
  }

  setInterval(tick, 1000);

  /* ---------- clone window, kept in sync both ways ---------- */

  function tellPeers() {
    var msg = { labdeck: 'goto', index: current };
    clones = clones.filter(function (w) { return w && !w.closed; });
    clones.forEach(function (w) { w.postMessage(msg, '*'); });
    if (window.opener && !window.opener.closed) {
      try { window.opener.postMessage(msg, '*'); } catch (e) { /* opener gone */ }
    }
    if (channel && (isClone || clones.length)) channel.postMessage(msg);
  }

  function onPeerMessage(data) {
    if (data && data.labdeck === 'goto' && typeof data.index === 'number') show(data.index, true);
  }

  window.addEventListener('message', function (e) { onPeerMessage(e.data); });
  if (typeof BroadcastChannel === 'function') {
    // Also reaches clones whose opener link was lost (e.g. reloaded by `labdeck serve`).
    try {
      channel = new BroadcastChannel('labdeck:' + location.pathname);
      // Only windows that are part of a presenter/clone pair follow each other.
      channel.onmessage = function (e) { if (isClone || clones.length) onPeerMessage(e.data); };
    } catch (e) { channel = null; }
  }

  function openClone() {
    var w = window.open(location.href.split('#')[0] + '#' + (current + 1), 'labdeck-clone-' + Date.now());
    if (w) clones.push(w);
  }

  if (isClone) body.classList.add('labdeck-clone');

  /* ---------- full screen, blackout, help ---------- */

  function toggleFullscreen() {
    if (doc.fullscreenElement) {
      if (doc.exitFullscreen) doc.exitFullscreen();
    } else if (doc.documentElement.requestFullscreen) {
      doc.documentElement.requestFullscreen().catch(function () { /* refused: stay windowed */ });
    }
  }

  function closeOverlays() {
    body.classList.remove('remark-help-mode', 'remark-blackout-mode');
    typed = '';
    showTyped();
  }

  function showTyped() {
    gotoBox.textContent = typed;
    gotoBox.classList.toggle('labdeck-active', typed !== '');
  }

  /* ---------- input ---------- */

  doc.addEventListener('keydown', function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    var t = e.target;
    if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
    var k = e.key;
    // Enter and Space on a focused control (link, button: the check bar,
    // the progress panel, the notes toolbar) are its own activation (HTML's
    // activation behaviour), not the deck's "go to" or "next".
    if ((k === 'Enter' || k === ' ') && !typed && t && t.closest &&
        t.closest('a[href], button, summary, [role="button"], [role="link"]')) return;
    if (/^[0-9]$/.test(k)) { typed += k; showTyped(); e.preventDefault(); return; }
    switch (k) {
      case 'Enter':
        if (typed) show(parseInt(typed, 10) - 1);
        typed = ''; showTyped(); break;
      case 'Backspace':
        typed = typed.slice(0, -1); showTyped(); break;
      case 'ArrowRight': case 'ArrowDown': case 'PageDown': case ' ': case 'j':
        next(); break;
      case 'ArrowLeft': case 'ArrowUp': case 'PageUp': case 'k':
        prev(); break;
      case 'Home': show(0); break;
      case 'End': show(slides.length - 1); break;
      case 'p': togglePresenter(); break;
      case 'c': openClone(); break;
      case 'f': toggleFullscreen(); break;
      case 'b': body.classList.toggle('remark-blackout-mode'); break;
      case 't': resetTimer(); break;
      case 'h': case '?': body.classList.toggle('remark-help-mode'); break;
      case 'Escape': closeOverlays(); break;
      default: return;
    }
    e.preventDefault();
  });

  /* ---------- remark options ---------- */

  // remark.create()'s options as the build resolved them (ratio, navigation):
  // the JSON in #labdeck-options.
  function remarkOptions() {
    var el = document.getElementById('labdeck-options');
    try { return el ? JSON.parse(el.textContent) : {}; } catch (err) { return {}; }
  }

  // navigation.click (remark's mouse.js): a click goes forward, the context
  // menu back, links excepted.
  if (NAVIGATION.click) {
    doc.addEventListener('click', function (e) {
      if (e.button !== 0 || (e.target.closest && e.target.closest('a, .remark-notes-area, .remark-toolbar'))) return;
      next();
    });
    doc.addEventListener('contextmenu', function (e) {
      if (e.target.closest && e.target.closest('a')) return;
      e.preventDefault();
      prev();
    });
  }

  var touch = null;
  if (NAVIGATION.touch) doc.addEventListener('touchstart', function (e) {
    if (e.touches.length === 1) touch = { x: e.touches[0].clientX, y: e.touches[0].clientY };
  }, { passive: true });
  if (NAVIGATION.touch) doc.addEventListener('touchend', function (e) {
    if (!touch || !e.changedTouches.length) return;
    var dx = e.changedTouches[0].clientX - touch.x;
    var dy = e.changedTouches[0].clientY - touch.y;
    var x = touch.x;
    touch = null;
    if (Math.abs(dx) > 40 && Math.abs(dx) > Math.abs(dy)) {
      if (dx < 0) next(); else prev();
    } else if (Math.abs(dx) < 10 && Math.abs(dy) < 10 && !(e.target.closest && e.target.closest('a'))) {
      if (x < window.innerWidth / 2) prev(); else next();  // tap: left half back, right half on
    }
  });

  // Mouse wheel / trackpad, as remark: one slide per gesture (a trackpad
  // sends a burst of events, hence the pause), not inside the scrolling notes.
  var lastWheel = 0;
  if (NAVIGATION.scroll) doc.addEventListener('wheel', function (e) {
    if (e.ctrlKey || Math.abs(e.deltaY) < 4) return;
    if (e.target.closest && e.target.closest('.remark-notes-area, .remark-help')) return;
    var now = Date.now();
    if (now - lastWheel > 400) {
      if (e.deltaY > 0) next(); else prev();
    }
    lastWheel = now;
  }, { passive: true });

  doc.addEventListener('click', function (e) {
    var a = e.target.closest && e.target.closest('[data-labdeck]');
    if (a) {
      var size = parseFloat(notesArea.style.fontSize) || 18;
      notesArea.style.fontSize = (size + (a.getAttribute('data-labdeck') === 'bigger' ? 2 : -2)) + 'px';
      e.preventDefault();
    } else if (e.target === timerBox) {
      resetTimer();
    }
  });

  window.addEventListener('hashchange', function () {
    var i = indexFromHash(location.hash);
    if (i !== null) show(i);
  });
  window.addEventListener('resize', rescale);

  /* ---------- printing ---------- */

  var notesAdded = false;
  function prepareForPrint() {
    printing = true;
    materialiseAll();
    if (!notesAdded && /[?&]notes\b/.test(location.search)) {
      notesAdded = true;
      body.classList.add('labdeck-print-notes');
      slides.forEach(function (c, i) {
        if (c.classList.contains('labdeck-step')) return;
        var html = notesHtml(i);
        if (!html) return;
        var note = doc.createElement('div');
        note.className = 'labdeck-print-note';
        note.innerHTML = '<h6>Notes for slide ' + (i + 1) + '</h6>' + html;
        c.parentNode.insertBefore(note, c.nextSibling);
      });
    }
  }
  var printOnly = /[?&]print\b/.test(location.search);
  window.addEventListener('beforeprint', prepareForPrint);
  window.addEventListener('afterprint', function () { printing = printOnly; });

  /* ---------- start ---------- */

  function start(text) {
    // When the runtime took over (tests compare it with labdeck-first-slide).
    if (window.performance && performance.mark) performance.mark('labdeck-ready');
    records = readSlides(text);
    makeContainers();
    // `labdeck pdf` opens the page with ?print: everything must be in place
    // before load (its pages carry the slides plain, so this runs while the
    // page is parsed).
    if (printOnly) prepareForPrint();

    window.labdeck = {
      current: function () { return current; },
      count: function () { return slides.length; },
      go: function (i) { show(i); },
      notes: notesHtml,
      update: update,
      isClone: isClone
    };

    rescale();
    var at = indexFromHash(location.hash);
    show(at === null ? 0 : at);
    tick();
    // The frame that paints the first slide shown, unless deck.html's early
    // script already marked slide 1's (scripts/bench-browser.sh reads this mark).
    if (window.performance && performance.mark && !(first && current === 0)) {
      requestAnimationFrame(function () { performance.mark('labdeck-first-slide'); });
    }
  }

  slidesText(start, function (err) {
    // A browser without DecompressionStream (before Chrome 80, Firefox
    // 113, Safari 16.4): say so on the page rather than sit on slide 1.
    var box = doc.createElement('div');
    box.className = 'labdeck-error';
    box.textContent = 'labdeck: this browser cannot unpack the slides of this page (' + err + ')';
    body.appendChild(box);
  });
})();
