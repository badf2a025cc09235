/* labdeck classroom: check your own work from the slide.
 *
 * Added by `labdeck serve DECK --kubeconfig F | --context C` only (a built
 * deck has nothing to call). On a slide whose exercises have checks it shows
 * a "Check" bar below the slide (key x runs every check of the slide); the
 * server runs the check against the student's cluster and streams what it
 * sees: "waiting..." with the time elapsed while it watches, then pass, or
 * fail with what is missing and the check's hint. Key e opens the progress
 * panel: the deck's checkable exercises with their state (the others on
 * demand), each a button that goes there. Progress is kept per deck in
 * localStorage, so it survives a reload and reaches clone windows.
 *
 * Accessibility (WCAG 2.1 AA): every control is a native <button> (name,
 * role, Enter and Space; the runtime leaves those keys to a focused control),
 * focus is visible, the check bar is updated in place (a focused button is
 * never replaced while a check waits), verdicts go to a polite live region
 * (role=status), and the bar sits outside the slide's scaled box (it takes
 * its height from the slide area, or from the notes in presenter mode), so
 * it covers neither the slide nor the next-slide preview.
 *
 * Only exercise ids travel to the server; it decides everything else.
 */
(function () {
  'use strict';
  var deck = window.labdeck;
  if (!deck) return;
  var doc = document;
  var body = doc.body;
  var slides = Array.prototype.slice.call(doc.querySelectorAll('.remark-slides-area > .remark-slide-container'));
  var storeKey = 'labdeck-progress:' + location.pathname + ':' + doc.title;
  var exercises = [];          // from the server, deck order
  var running = Object.create(null);   // id -> {started, timer, diagnosis, hint, timeoutMs}
  var progress = load();
  var showAll = false;         // progress panel: also the exercises without a check
  var returnFocus = null;      // what had focus before the panel opened

  function load() {
    try { return JSON.parse(localStorage.getItem(storeKey) || '{}') || {}; } catch (e) { return {}; }
  }
  function save() {
    try { localStorage.setItem(storeKey, JSON.stringify(progress)); } catch (e) { /* private mode: memory only */ }
  }

  /* ---------- the widgets ---------- */
  // Colours are for white backgrounds, each >= 4.5:1 (WCAG 1.4.3): #1f1f1f,
  // #0a6b29 (6.6), #b00020 (7.4), #8a4f00 (6.4), #4a4a4a (8.9); the focus
  // ring #1a4fd6 is >= 3:1 on white and on the page's grey (2.4.7, 1.4.11).
  var style = doc.createElement('style');
  style.textContent =
    '@media screen{body:not(.remark-presenter-mode) .remark-slides-area{height:calc(100% - var(--ld-check-h,0px))}' +
    'body.remark-presenter-mode .remark-notes-area{bottom:var(--ld-check-h,0px)}}' +
    '.labdeck-check{position:fixed;left:0;right:0;bottom:0;z-index:50;box-sizing:border-box;padding:6px 12px;' +
    'background:#fff;color:#1f1f1f;border-top:1px solid #767676;font:15px/1.35 system-ui,sans-serif}' +
    '.remark-presenter-mode .labdeck-check{left:52%}' +
    '.labdeck-check[hidden]{display:none}' +
    '.labdeck-check button,.labdeck-progress button{font:inherit;color:#1f1f1f;padding:4px 12px;border:1px solid #595959;border-radius:4px;background:#f2f2f2;cursor:pointer;margin:2px 6px 2px 0}' +
    '.labdeck-check button:hover,.labdeck-progress button:hover{background:#e0e0e0}' +
    '.labdeck-check button:focus-visible,.labdeck-progress button:focus-visible{outline:3px solid #1a4fd6;outline-offset:2px}' +
    '.labdeck-check-out{max-height:30vh;overflow:auto;white-space:pre-wrap}' +
    '.labdeck-check-out:empty{display:none}' +
    '.labdeck-state-pass{color:#0a6b29}.labdeck-state-fail{color:#b00020}.labdeck-state-error{color:#8a4f00}.labdeck-state-waiting{color:#4a4a4a}' +
    '.labdeck-progress{position:fixed;top:5%;right:5%;bottom:5%;width:32em;max-width:90%;overflow:auto;z-index:60;background:#fff;color:#1f1f1f;box-shadow:0 2px 12px rgba(0,0,0,.4);border-radius:6px;padding:12px 16px;font:15px/1.4 system-ui,sans-serif;display:none}' +
    '.labdeck-progress.open{display:block}.labdeck-progress h2{margin:0 0 8px;font-size:18px}' +
    '.labdeck-progress ul{padding:0;margin:8px 0}.labdeck-progress li{list-style:none;padding:0}' +
    '.labdeck-progress li button{display:block;width:100%;text-align:left;border-color:transparent;background:#fff;margin:1px 0}' +
    '.labdeck-progress li.labdeck-state-pass button{color:#0a6b29}.labdeck-progress li.labdeck-state-fail button{color:#b00020}' +
    '.labdeck-progress li.labdeck-state-error button{color:#8a4f00}.labdeck-progress li.labdeck-state-waiting button{color:#4a4a4a}' +
    '.labdeck-sr{position:absolute;width:1px;height:1px;margin:-1px;padding:0;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}' +
    '@media print{.labdeck-check,.labdeck-progress{display:none!important}}';
  doc.head.appendChild(style);

  var box = doc.createElement('div');
  box.className = 'labdeck-check';
  box.setAttribute('role', 'region');
  box.setAttribute('aria-label', 'Check your work');
  box.hidden = true;
  var buttons = doc.createElement('div');
  var out = doc.createElement('div');
  out.className = 'labdeck-check-out';
  box.appendChild(buttons);
  box.appendChild(out);
  body.appendChild(box);

  // Verdicts, for screen readers: outside the bar, so that it is never
  // hidden when a verdict arrives.
  var status = doc.createElement('div');
  status.className = 'labdeck-sr labdeck-status';
  status.setAttribute('role', 'status');
  status.setAttribute('aria-live', 'polite');
  body.appendChild(status);

  var panel = doc.createElement('div');
  panel.className = 'labdeck-progress';
  panel.setAttribute('role', 'dialog');
  panel.setAttribute('aria-modal', 'false');
  panel.setAttribute('aria-labelledby', 'labdeck-progress-title');
  body.appendChild(panel);

  // The slide area gives the bar its height (runtime.js rescales the slide
  // on `resize`), so the bar never lies over the slide or the preview.
  var reserved = -1;
  function reserve() {
    var h = box.hidden ? 0 : Math.ceil(box.getBoundingClientRect().height);
    if (h === reserved) return;
    reserved = h;
    body.style.setProperty('--ld-check-h', h + 'px');
    window.dispatchEvent(new Event('resize'));
  }
  if (typeof ResizeObserver === 'function') new ResizeObserver(reserve).observe(box);

  var help = doc.querySelector('.remark-help table');
  if (help) {
    help.insertAdjacentHTML('beforeend',
      '<tr><td><span class="key">x</span></td><td>Check this slide\'s exercises on your cluster</td></tr>' +
      '<tr><td><span class="key">e</span></td><td>Exercises: your progress through the deck</td></tr>');
  }

  /* ---------- which exercises a slide shows ---------- */
  // An exercise first appears on slide `slide` (1-based) and stays on the
  // following incremental steps of the same source slide (labdeck-step).
  function exercisesOn(index) {
    return exercises.filter(function (ex) {
      if (!ex.checked) return false;
      var first = ex.slide - 1;
      if (index < first) return false;
      for (var k = first; k < index; k++) {
        if (!slides[k] || !slides[k].classList.contains('labdeck-step')) return false;
      }
      return true;
    });
  }

  function seconds(ms) { return (ms / 1000).toFixed(0) + ' s'; }

  function describe(id) {
    var p = progress[id];
    var r = running[id];
    if (r) {
      var elapsed = Date.now() - r.started;
      var lines = ['waiting\u2026 ' + seconds(elapsed) + (r.timeoutMs ? ' of ' + seconds(r.timeoutMs) : '')];
      if (r.diagnosis && r.diagnosis.length) lines.push('not yet:', r.diagnosis.join('\n'));
      if (r.hint) lines.push('hint: ' + r.hint);
      return { state: 'waiting', text: lines.join('\n') };
    }
    if (!p) return null;
    var text;
    if (p.state === 'pass') text = '\u2714 passed';
    else if (p.state === 'fail') text = '\u2718 not yet\n' + (p.diagnosis || []).join('\n') + (p.hint ? '\nhint: ' + p.hint : '');
    else text = '! could not check\n' + (p.diagnosis || []).join('\n');
    return { state: p.state, text: text };
  }

  // Text and class only when they change: the element (and its focus) stays.
  function setText(el, text) { if (el.textContent !== text) el.textContent = text; }
  function setClass(el, name) { if (el.className !== name) el.className = name; }

  var shown = '';              // the ids the bar has controls for
  var controls = Object.create(null);  // id -> {button, line}

  function build(here) {
    buttons.textContent = '';
    out.textContent = '';
    controls = Object.create(null);
    here.forEach(function (ex) {
      var b = doc.createElement('button');
      b.type = 'button';
      b.setAttribute('data-exercise', ex.id);
      b.title = 'Check "' + ex.title + '" on your cluster (x)';
      b.addEventListener('click', function () { check(ex.id); });
      var line = doc.createElement('div');
      line.setAttribute('data-exercise', ex.id);
      line.id = 'labdeck-check-out-' + ex.id;
      b.setAttribute('aria-describedby', line.id);
      buttons.appendChild(b);
      out.appendChild(line);
      controls[ex.id] = { button: b, line: line };
    });
  }

  function render() {
    var here = exercisesOn(deck.current());
    var ids = here.map(function (ex) { return ex.id; }).join('\n');
    if (ids !== shown) { shown = ids; build(here); }
    box.hidden = here.length === 0;
    here.forEach(function (ex) {
      var c = controls[ex.id];
      var name = here.length > 1 ? 'Check ' + ex.id : 'Check';
      setText(c.button, running[ex.id] ? 'Checking\u2026' : name);
      var d = describe(ex.id);
      setClass(c.line, d ? 'labdeck-state-' + d.state : '');
      setText(c.line, d ? (here.length > 1 ? ex.id + ': ' : '') + d.text : '');
    });
    reserve();
  }

  // The panel changes only when a check starts or ends (not every second).
  function refreshPanel() { if (panel.classList.contains('open')) renderPanel(); }

  /* ---------- the progress panel ---------- */
  var MARKS = { pass: '\u2714', fail: '\u2718', error: '!', waiting: '\u2026' };
  var STATES = { pass: 'passed', fail: 'not yet', error: 'could not check', waiting: 'checking' };

  function entry(ex) {
    var p = progress[ex.id];
    var state = running[ex.id] ? 'waiting' : (p ? p.state : '');
    var li = doc.createElement('li');
    li.className = state ? 'labdeck-state-' + state : '';
    li.setAttribute('data-exercise', ex.id);
    var b = doc.createElement('button');
    b.type = 'button';
    b.setAttribute('data-exercise', ex.id);
    var mark = doc.createElement('span');
    mark.setAttribute('aria-hidden', 'true');
    mark.textContent = (MARKS[state] || (ex.checked ? '\u25cb' : '\u00b7')) + ' ';
    b.appendChild(mark);
    b.appendChild(doc.createTextNode(ex.title + ' (' + ex.id + ', slide ' + ex.slide + ')'));
    var said = doc.createElement('span');
    said.className = 'labdeck-sr';
    said.textContent = ': ' + (STATES[state] || (ex.checked ? 'not tried' : 'no check'));
    b.appendChild(said);
    b.addEventListener('click', function () { go(ex); });
    li.appendChild(b);
    return li;
  }

  function go(ex) {
    closePanel(false);
    deck.go(ex.slide - 1);
    // Straight to the check of the slide it went to, if it has one.
    var c = controls[ex.id];
    if (c) c.button.focus(); else if (returnFocus && returnFocus.focus && doc.contains(returnFocus)) returnFocus.focus();
  }

  function renderPanel() {
    var checked = exercises.filter(function (ex) { return ex.checked; });
    var done = checked.filter(function (ex) { return progress[ex.id] && progress[ex.id].state === 'pass'; }).length;
    var unchecked = exercises.length - checked.length;
    // Keep the focused entry focused across a re-render.
    var focused = doc.activeElement && panel.contains(doc.activeElement) ? doc.activeElement.getAttribute('data-exercise') || doc.activeElement.className : null;
    panel.textContent = '';
    var h = doc.createElement('h2');
    h.id = 'labdeck-progress-title';
    h.textContent = 'Exercises: ' + done + ' of ' + checked.length + ' passed';
    panel.appendChild(h);
    var ul = doc.createElement('ul');
    (showAll ? exercises : checked).forEach(function (ex) { ul.appendChild(entry(ex)); });
    panel.appendChild(ul);
    if (unchecked > 0) {
      var all = doc.createElement('button');
      all.type = 'button';
      all.className = 'labdeck-progress-all';
      all.setAttribute('aria-pressed', showAll ? 'true' : 'false');
      all.textContent = 'Also show the ' + unchecked + ' without a check';
      all.addEventListener('click', function () { showAll = !showAll; renderPanel(); });
      panel.appendChild(all);
    }
    var close = doc.createElement('button');
    close.type = 'button';
    close.className = 'labdeck-progress-close';
    close.textContent = 'Close (Esc)';
    close.addEventListener('click', function () { closePanel(true); });
    panel.appendChild(close);
    if (focused) {
      var again = panel.querySelector('button[data-exercise="' + cssEscape(focused) + '"]') ||
        panel.querySelector('button.' + cssEscape(focused));
      if (again) again.focus();
    }
  }

  function cssEscape(s) { return window.CSS && CSS.escape ? CSS.escape(s) : s.replace(/[^\w-]/g, '\\$&'); }

  function openPanel() {
    returnFocus = doc.activeElement;
    panel.classList.add('open');
    renderPanel();
    var first = panel.querySelector('button');
    if (first) first.focus();
  }

  function closePanel(restore) {
    if (!panel.classList.contains('open')) return;
    panel.classList.remove('open');
    if (restore && returnFocus && returnFocus.focus && doc.contains(returnFocus)) returnFocus.focus();
  }

  /* ---------- running a check ---------- */
  function titleOf(id) {
    var ex = exercises.filter(function (e) { return e.id === id; })[0];
    return ex ? ex.title : id;
  }

  function announce(id, event) {
    var words = { pass: 'passed', fail: 'not yet', error: 'could not check' }[event.verdict] || event.verdict;
    var text = titleOf(id) + ': ' + words;
    if (event.verdict !== 'pass' && event.diagnosis && event.diagnosis.length) text += '. ' + event.diagnosis.join('. ');
    if (event.verdict === 'fail' && event.hint) text += '. Hint: ' + event.hint;
    status.textContent = text;
  }

  function finish(id, event) {
    var r = running[id];
    if (r) clearInterval(r.timer);
    delete running[id];
    if (event) {
      progress[id] = {
        state: event.verdict, at: Date.now(), diagnosis: event.diagnosis || [],
        hint: event.hint || null, message: event.message || ''
      };
      save();
      announce(id, event);
    }
    render();
    refreshPanel();
  }

  function check(id) {
    if (running[id]) return;
    var r = running[id] = { started: Date.now(), diagnosis: null, hint: null, timeoutMs: 0 };
    r.timer = setInterval(render, 1000);
    status.textContent = 'Checking ' + titleOf(id) + '\u2026';
    render();
    refreshPanel();
    fetch('/_labdeck/check/' + encodeURIComponent(id), { method: 'POST', cache: 'no-store' })
      .then(function (res) {
        if (!res.ok) {
          return res.text().then(function (t) { finish(id, { verdict: 'error', diagnosis: [t.trim()] }); });
        }
        var reader = res.body.getReader();
        var decoder = new TextDecoder();
        var buffered = '';
        var last = null;
        function pump() {
          return reader.read().then(function (chunk) {
            if (chunk.done) {
              finish(id, last || { verdict: 'error', diagnosis: ['the server closed the check'] });
              return;
            }
            buffered += decoder.decode(chunk.value, { stream: true });
            var nl;
            while ((nl = buffered.indexOf('\n')) >= 0) {
              var line = buffered.slice(0, nl);
              buffered = buffered.slice(nl + 1);
              if (!line) continue;
              var ev = JSON.parse(line);
              if (ev.event === 'looking') r.timeoutMs = ev.timeout_ms;
              else if (ev.event === 'waiting') {
                r.diagnosis = ev.diagnosis; r.hint = ev.hint || null;
                status.textContent = titleOf(id) + ': not yet, still watching. ' + (ev.diagnosis || []).join('. ');
              } else if (ev.event === 'result') last = ev;
            }
            render();
            return pump();
          });
        }
        return pump();
      })
      .catch(function (e) { finish(id, { verdict: 'error', diagnosis: ['labdeck serve is not reachable (' + e.message + ')'] }); });
  }

  /* ---------- keys and events ---------- */
  doc.addEventListener('keydown', function (e) {
    if (e.ctrlKey || e.altKey || e.metaKey) return;
    var t = e.target;
    if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
    if (e.key === 'x') {
      // Every checkable exercise of the slide.
      var here = exercisesOn(deck.current());
      here.forEach(function (ex) { check(ex.id); });
      if (here.length) e.preventDefault();
    } else if (e.key === 'e') {
      if (panel.classList.contains('open')) closePanel(true); else openPanel();
      e.preventDefault();
    } else if (e.key === 'Escape') {
      closePanel(true);
    }
  });
  window.addEventListener('labdeck-slide', render);
  // Another window of the same deck (clone, presenter) recorded a result.
  window.addEventListener('storage', function (e) {
    if (e.key === storeKey) { progress = load(); render(); refreshPanel(); }
  });

  fetch('/_labdeck/exercises', { cache: 'no-store' })
    .then(function (res) { return res.ok ? res.json() : []; })
    .then(function (list) { exercises = list; render(); })
    .catch(function () { /* not a checking server */ });

  window.labdeckClassroom = { check: check, progress: function () { return progress; } };
})();
