/* labdeck lint --render: how far each slide's content reaches past its slide.
 *
 * Added to a built page opened with ?print (every slide's content in place,
 * see runtime.js) by src/lint/overflow.rs, which reads the answer from the
 * `data-labdeck-overflow` attribute of <html> in Chromium's --dump-dom.
 * Runs on `load`, once images and fonts are in and have their size.
 *
 * The slide is its .remark-slide-scaler (the deck's ratio, in CSS pixels,
 * `overflow: hidden`): what lies past its bottom or right edge is cut off.
 * Content is measured as what shows: the boxes of text (a Range over each
 * text node) and of replaced elements (images, SVG, video...), clipped by
 * any element between them and the slide that hides its own overflow (a
 * `pre` that scrolls shows no more than its box). Margins and padding, which
 * show nothing, do not count, nor does the slide number (it follows the
 * content down).
 *
 * Answer: `N` (slides measured) then, per slide that overflows,
 * ` index:bottom:right` in whole CSS pixels.
 */
(function () {
  'use strict';
  window.addEventListener('load', function () {
    var doc = document;
    var style = doc.createElement('style');
    style.textContent =
      '.remark-slides-area > .remark-slide-container { display: block !important; }' +
      '.remark-slide-scaler { transform: none !important; left: 0 !important; top: 0 !important; }';
    doc.head.appendChild(style);
    var REPLACED = /^(IMG|SVG|VIDEO|CANVAS|IFRAME|OBJECT|EMBED|svg)$/;
    var containers = doc.querySelectorAll('.remark-slides-area > .remark-slide-container');
    var out = [String(containers.length)];
    for (var i = 0; i < containers.length; i++) {
      var box = containers[i].querySelector('.remark-slide-scaler');
      if (!box) continue;
      var frame = box.getBoundingClientRect();
      var bottom = frame.bottom, right = frame.right;
      var add = function (rect, from) {
        if (rect.width <= 0 && rect.height <= 0) return;
        var b = rect.bottom, r = rect.right;
        for (var el = from; el && el !== box; el = el.parentElement) {
          // The slide number sits at the bottom of the content: it moves
          // down with content that overflows, and says nothing itself.
          if (el.classList.contains('remark-slide-number')) return;
          var cs = getComputedStyle(el);
          if (cs.display === 'none' || cs.visibility === 'hidden') return;
          if (cs.overflowY !== 'visible' || cs.overflowX !== 'visible') {
            var clip = el.getBoundingClientRect();
            if (cs.overflowY !== 'visible') b = Math.min(b, clip.bottom);
            if (cs.overflowX !== 'visible') r = Math.min(r, clip.right);
          }
        }
        if (b > bottom) bottom = b;
        if (r > right) right = r;
      };
      var walker = doc.createTreeWalker(box, NodeFilter.SHOW_TEXT | NodeFilter.SHOW_ELEMENT);
      var range = doc.createRange();
      for (var node = walker.nextNode(); node; node = walker.nextNode()) {
        if (node.nodeType === 3) {
          if (!/\S/.test(node.data)) continue;
          range.selectNodeContents(node);
          add(range.getBoundingClientRect(), node.parentElement);
        } else if (REPLACED.test(node.tagName)) {
          add(node.getBoundingClientRect(), node);
        }
      }
      var down = Math.round(bottom - frame.bottom), across = Math.round(right - frame.right);
      if (down > 0 || across > 0) out.push(i + ':' + Math.max(down, 0) + ':' + Math.max(across, 0));
    }
    doc.documentElement.setAttribute('data-labdeck-overflow', out.join(' '));
  });
})();
