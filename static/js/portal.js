// After an HTMX navigation, move the focus to the new content's heading so that keyboard and
// screen-reader users land on what changed (the swapped element itself is gone with outerHTML).
document.addEventListener("htmx:afterSettle", function () {
  var heading = document.querySelector("#page-content h1");
  if (heading && !heading.contains(document.activeElement)) {
    heading.setAttribute("tabindex", "-1");
    heading.focus();
  }
});
