// Material's search dialog has no name, and the boxes it makes for wide tables scroll without
// taking the keyboard's focus: both are read by assistive technology (tests/test_browser.py).
document$.subscribe(function () {
  var search = document.querySelector(".md-search");
  if (search) search.setAttribute("aria-label", "Search");
  document.querySelectorAll(".md-typeset__scrollwrap, .size-chart").forEach(function (box) {
    box.setAttribute("tabindex", "0");
  });
});
