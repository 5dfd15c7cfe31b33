// The filter box: hides every section (and its sidebar entry) whose text lacks one of the typed words.
// Without JavaScript the box stays hidden and the page reads in full.
(function () {
  var box = document.getElementById("filter");
  var count = document.getElementById("filter-count");
  var sections = Array.prototype.slice.call(document.querySelectorAll("main [data-search]"));
  var operations = sections.filter(function (s) { return s.classList.contains("op"); });
  box.hidden = false;
  box.addEventListener("input", function () {
    var words = box.value.toLowerCase().split(/\s+/).filter(Boolean);
    sections.forEach(function (section) {
      var text = section.getAttribute("data-search");
      section.hidden = !words.every(function (w) { return text.indexOf(w) !== -1; });
      var link = document.querySelector('[data-for="' + section.id + '"]');
      if (link) { link.hidden = section.hidden; }
    });
    // A sidebar group whose entries are all hidden loses its heading too.
    Array.prototype.forEach.call(document.querySelectorAll("aside ul"), function (list) {
      var heading = list.previousElementSibling;
      if (heading && heading.tagName === "H4") {
        heading.hidden = list.querySelectorAll("li:not([hidden])").length === 0;
      }
    });
    var shown = operations.filter(function (s) { return !s.hidden; }).length;
    count.hidden = words.length === 0;
    count.textContent = shown + " of " + operations.length + " operations";
  });
})();
