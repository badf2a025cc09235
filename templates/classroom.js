/* labdeck classroom: check your own work from the slide.
 *
 * Added by `labdeck serve DECK --kubeconfig F | --context C` only (a built
 * deck has nothing to call). On a slide whose exercise has a check it shows a
 * small "Check" control (key x); the server runs that exercise's check against
 * the student's cluster and streams what it sees: "waiting..." with the time
 * elapsed while it watches, then pass, or fail with what is missing and the
 * check's hint. Key e opens the progress panel: every exercise of the deck
 * with its state, click to go there. Progress is kept per deck in
 * localStorage, so it survives a reload and reaches clone windows.
 *
 * Only exercise ids travel to the server; it decides everything else.
 */
(function () {
  'use strict';
  var deck = window.labdeck;
  if (!deck) return;
  var doc = document;
  var slides = Array.prototype.slice.call(doc.querySelectorAll('.remark-slides-area > .remark-slide-container'));
  var storeKey = 'labdeck-progress:' + location.pathname + ':' + doc.title;
  var exercises = [];          // from the server, deck order
  var running = Object.create(null);   // id -> {started, timer, controller}
  var progress = load();

  function load() {
    try { return JSON.parse(localStorage.getItem(storeKey) || '{}') || {}; } catch (e) { return {}; }
  }
  function save() {
    try { localStorage.setItem(storeKey, JSON.stringify(progress)); } catch (e) { /* private mode: memory only */ }
  }

  /* ---------- the widgets ---------- */
  var style = doc.createElement('style');
  style.textContent =
    '.labdeck-check{position:fixed;left:12px;bottom:12px;z-index:50;max-width:46em;font:14px/1.35 system-ui,sans-serif;color:#222}' +
    '.labdeck-check button{font:inherit;padding:4px 12px;border:1px solid #888;border-radius:4px;background:#f6f6f6;cursor:pointer;margin-right:6px}' +
    '.labdeck-check button:hover{background:#e8e8e8}' +
    '.labdeck-check-out{margin-top:6px;padding:8px 10px;border-radius:4px;background:rgba(255,255,255,.96);box-shadow:0 1px 4px rgba(0,0,0,.3);white-space:pre-wrap}' +
    '.labdeck-check-out:empty{display:none}' +
    '.labdeck-state-pass{color:#0a7a2f}.labdeck-state-fail{color:#b00020}.labdeck-state-error{color:#9a5b00}.labdeck-state-waiting{color:#555}' +
    '.labdeck-progress{position:fixed;top:5%;right:5%;bottom:5%;width:30em;overflow:auto;z-index:60;background:#fff;color:#222;box-shadow:0 2px 12px rgba(0,0,0,.4);border-radius:6px;padding:12px 16px;font:14px/1.4 system-ui,sans-serif;display:none}' +
    '.labdeck-progress.open{display:block}.labdeck-progress h2{margin:0 0 8px;font-size:18px}' +
    '.labdeck-progress li{cursor:pointer;list-style:none;padding:2px 0}.labdeck-progress li:hover{text-decoration:underline}' +
    '@media print{.labdeck-check,.labdeck-progress{display:none!important}}';
  doc.head.appendChild(style);

  var box = doc.createElement('div');
  box.className = 'labdeck-check';
  box.hidden = true;
  var buttons = doc.createElement('span');
  var out = doc.createElement('div');
  out.className = 'labdeck-check-out';
  out.setAttribute('aria-live', 'polite');
  box.appendChild(buttons);
  box.appendChild(out);
  doc.body.appendChild(box);

  var panel = doc.createElement('div');
  panel.className = 'labdeck-progress';
  doc.body.appendChild(panel);

  var help = doc.querySelector('.remark-help table');
  if (help) {
    help.insertAdjacentHTML('beforeend',
      '<tr><td><span class="key">x</span></td><td>Check this slide\'s exercise on your cluster</td></tr>' +
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

  function render() {
    var here = exercisesOn(deck.current());
    box.hidden = here.length === 0;
    buttons.textContent = '';
    out.textContent = '';
    here.forEach(function (ex) {
      var b = doc.createElement('button');
      b.type = 'button';
      b.textContent = running[ex.id] ? 'Checking\u2026' : (here.length > 1 ? 'Check ' + ex.id : 'Check');
      b.setAttribute('data-exercise', ex.id);
      b.title = 'Check "' + ex.title + '" on your cluster (x)';
      b.addEventListener('click', function () { check(ex.id); });
      buttons.appendChild(b);
      var d = describe(ex.id);
      if (d) {
        var line = doc.createElement('div');
        line.className = 'labdeck-state-' + d.state;
        line.setAttribute('data-exercise', ex.id);
        line.textContent = (here.length > 1 ? ex.id + ': ' : '') + d.text;
        out.appendChild(line);
      }
    });
    if (panel.classList.contains('open')) renderPanel();
  }

  function renderPanel() {
    var done = exercises.filter(function (ex) { return progress[ex.id] && progress[ex.id].state === 'pass'; }).length;
    var checked = exercises.filter(function (ex) { return ex.checked; }).length;
    panel.textContent = '';
    var h = doc.createElement('h2');
    h.textContent = 'Exercises: ' + done + ' of ' + checked + ' passed';
    panel.appendChild(h);
    var ul = doc.createElement('ul');
    exercises.forEach(function (ex) {
      var li = doc.createElement('li');
      var p = progress[ex.id];
      var state = running[ex.id] ? 'waiting' : (p ? p.state : '');
      var mark = { pass: '\u2714', fail: '\u2718', error: '!', waiting: '\u2026' }[state] || (ex.checked ? '\u25cb' : '\u00b7');
      li.className = state ? 'labdeck-state-' + state : '';
      li.setAttribute('data-exercise', ex.id);
      li.textContent = mark + ' ' + ex.title + ' (' + ex.id + ', slide ' + ex.slide + ')';
      li.addEventListener('click', function () { panel.classList.remove('open'); deck.go(ex.slide - 1); });
      ul.appendChild(li);
    });
    panel.appendChild(ul);
  }

  /* ---------- running a check ---------- */
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
    }
    render();
  }

  function check(id) {
    if (running[id]) return;
    var r = running[id] = { started: Date.now(), diagnosis: null, hint: null, timeoutMs: 0 };
    r.timer = setInterval(render, 1000);
    render();
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
              else if (ev.event === 'waiting') { r.diagnosis = ev.diagnosis; r.hint = ev.hint || null; }
              else if (ev.event === 'result') last = ev;
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
    if (e.key === 'x') {
      var here = exercisesOn(deck.current());
      if (here.length) { check(here[0].id); e.preventDefault(); }
    } else if (e.key === 'e') {
      panel.classList.toggle('open');
      if (panel.classList.contains('open')) renderPanel();
      e.preventDefault();
    } else if (e.key === 'Escape') {
      panel.classList.remove('open');
    }
  });
  window.addEventListener('labdeck-slide', render);
  // Another window of the same deck (clone, presenter) recorded a result.
  window.addEventListener('storage', function (e) {
    if (e.key === storeKey) { progress = load(); render(); }
  });

  fetch('/_labdeck/exercises', { cache: 'no-store' })
    .then(function (res) { return res.ok ? res.json() : []; })
    .then(function (list) { exercises = list; render(); })
    .catch(function () { /* not a checking server */ });

  window.labdeckClassroom = { check: check, progress: function () { return progress; } };
})();
