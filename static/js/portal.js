// After an HTMX swap of the main content, move the focus to the new content's heading so that
// keyboard and screen-reader users land on what changed.
document.addEventListener("htmx:afterSettle", function (event) {
  var heading = event.detail.target.querySelector("h1, [data-htmx-focus]");
  if (heading) {
    if (!heading.hasAttribute("tabindex")) heading.setAttribute("tabindex", "-1");
    heading.focus();
  }
});
