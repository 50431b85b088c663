// Focus management for HTMX swaps (keyboard and screen-reader users land on what changed).
(function () {
  function focus(element) {
    if (!element) return;
    if (!element.hasAttribute("tabindex")) element.setAttribute("tabindex", "-1");
    element.focus();
  }

  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail.target;
    if (target && target.id === "picker-body") {
      // The picker: announce the shown location, focus the picker's heading.
      var location = target.querySelector("[data-picker-location]");
      var status = document.getElementById("picker-status");
      if (location && status) status.textContent = location.getAttribute("data-picker-location");
      focus(document.getElementById("picker-title"));
      return;
    }
    var heading = document.querySelector("#page-content h1");
    if (heading && event.detail.requestConfig && event.detail.requestConfig.target &&
        event.detail.requestConfig.target.id === "page-content") {
      focus(heading);
    }
  });

  // "Rattacher ici" put the chosen structure into the form: close the picker.
  document.body.addEventListener("rattachement-choisi", function () {
    var modal = document.getElementById("picker-modal");
    if (modal && window.dsfr) window.dsfr(modal).modal.conceal();
  });

  // However the picker closes (Fermer, Annuler, Escape, Rattacher ici), the focus goes back to its opener.
  // The opener may have been replaced by the swap of the rattachement field: look it up again, and again
  // once DSFR has finished restoring the focus itself.
  document.addEventListener("dsfr.conceal", function (event) {
    if (!event.target || event.target.id !== "picker-modal") return;
    var back = function () {
      var opener = document.getElementById("bouton-rattachement");
      if (opener && document.activeElement !== opener) opener.focus();
    };
    setTimeout(back, 0);
    setTimeout(back, 400);
  }, true);
})();

// A form that failed comes back with its error summary: move the focus there so that it is read out
// (the script is deferred: the document is parsed).
(function () {
  var summary = document.querySelector("[data-error-summary]");
  if (summary) summary.focus();
})();

// Leaving a form with unsaved changes asks for confirmation: a reload, back, closing the tab or a link (the
// browser's own question), an HTMX navigation (ours). Submitting the form, or a request of the form itself
// or of the picker that fills it, is no leaving.
(function () {
  var GUARDED = "form[data-confirmer-sortie]";
  var MESSAGE = "Vous avez des modifications non enregistrées. Voulez-vous vraiment quitter cette page ?";

  function markChanged(event) {
    var form = event.target && event.target.closest && event.target.closest(GUARDED);
    if (form) form.setAttribute("data-modifie", "true");
  }
  function changedForm() {
    return document.querySelector(GUARDED + "[data-modifie='true']");
  }
  document.addEventListener("input", markChanged, true);
  document.addEventListener("change", markChanged, true);
  document.addEventListener("submit", function (event) {
    if (event.target.matches && event.target.matches(GUARDED)) event.target.removeAttribute("data-modifie");
  }, true);
  // "Rattacher ici" changed the rattachement of the form.
  document.body.addEventListener("rattachement-choisi", function () {
    var form = document.querySelector(GUARDED);
    if (form) form.setAttribute("data-modifie", "true");
  });
  window.addEventListener("beforeunload", function (event) {
    if (!changedForm()) return;
    event.preventDefault();
    event.returnValue = "";
  });
  document.addEventListener("htmx:confirm", function (event) {
    var form = changedForm();
    var source = event.target;
    if (!form || form.contains(source) || (source.closest && source.closest("#picker-modal"))) return;
    event.preventDefault();
    if (window.confirm(MESSAGE)) {
      form.removeAttribute("data-modifie");
      event.detail.issueRequest(true);
    }
  });
})();

// A long list of checkboxes gets a filter field (hidden without JavaScript, where the whole list shows):
// the options whose label holds the typed text, accents and case aside, and the checked ones.
(function () {
  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }
  function setUp(root) {
    root.querySelectorAll("[data-filtre-options][hidden]").forEach(function (box) {
      var input = box.querySelector("[data-filtre-liste]");
      var list = document.getElementById(input.getAttribute("data-filtre-liste"));
      var status = box.querySelector("[data-filtre-statut]");
      box.hidden = false;
      input.addEventListener("input", function () {
        var term = fold(input.value.trim());
        var shown = 0;
        list.querySelectorAll("[data-option]").forEach(function (option) {
          var visible = !term || option.querySelector("input").checked ||
            fold(option.textContent).indexOf(term) !== -1;
          option.hidden = !visible;
          if (visible) shown += 1;
        });
        status.textContent = term ? shown + " activité(s) affichée(s)" : "";
      });
    });
  }
  setUp(document);
  document.addEventListener("htmx:afterSettle", function (event) { setUp(event.detail.target); });
})();

// "Créer une offre": the modèles de saisie of the chosen champ d'activité only (each option lists its champs in
// data-champs); the only one left is chosen. Without JavaScript every modèle is listed and the server checks.
(function () {
  function setUp(root) {
    root.querySelectorAll("[data-modeles] select").forEach(function (select) {
      var champ = select.form && select.form.querySelector("select[name=champ_activite]");
      if (!champ) return;
      function filter() {
        var fitting = [];
        Array.prototype.forEach.call(select.options, function (option) {
          if (!option.value) return;
          var fits = !champ.value || (option.getAttribute("data-champs") || "").split(" ").indexOf(champ.value) !== -1;
          option.hidden = !fits;
          option.disabled = !fits;
          if (fits) fitting.push(option);
        });
        if (select.selectedOptions.length && select.selectedOptions[0].disabled) select.value = "";
        if (champ.value && fitting.length === 1) select.value = fitting[0].value;
      }
      champ.addEventListener("change", filter);
      filter();
    });
  }
  setUp(document);
  document.addEventListener("htmx:afterSettle", function (event) { setUp(event.detail.target); });
})();
