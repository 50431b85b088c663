// The admin's autocomplete (select2) adds a search box to multiple selects with no label: name it after
// the field's label so that screen readers and voice control can find it.
(function () {
  function labelSearchBoxes() {
    document.querySelectorAll(".select2-search__field:not([aria-label])").forEach(function (input) {
      var container = input.closest(".select2");
      var select = container && container.previousElementSibling;
      var label = select && select.id ? document.querySelector('label[for="' + select.id + '"]') : null;
      input.setAttribute("aria-label", "Rechercher : " + (label ? label.textContent.replace(/\s*:\s*$/, "") : "choix"));
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    labelSearchBoxes();
    new MutationObserver(labelSearchBoxes).observe(document.body, { childList: true, subtree: true });
  });
})();
