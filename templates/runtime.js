(function () {
  var slides = document.querySelectorAll('.remark-slide-container');
  var current = 0;
  function show(i) {
    if (!slides.length) { return; }
    i = Math.max(0, Math.min(slides.length - 1, i));
    slides[current].classList.remove('remark-visible');
    current = i;
    slides[current].classList.add('remark-visible');
  }
  show(0);
  document.addEventListener('keydown', function (e) {
    if (e.key === 'ArrowRight' || e.key === ' ') { show(current + 1); }
    if (e.key === 'ArrowLeft') { show(current - 1); }
  });
})();
