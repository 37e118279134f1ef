// An association's identifiers checked as they are typed: once the typing pauses, or the field
// is left, the portal checks the value with the rules it will apply when the form is sent
// (/associations/verification) and says, under the field, what to fix or what it means (a
// Paris postal code's district). The form is checked again when sent, and decides.
(function () {
  "use strict";
  if (!window.fetch || !window.URLSearchParams) return;
  document.querySelectorAll("input[data-verifier]").forEach(function (input) {
    var said = document.getElementById(input.id + "-verification");
    if (!said) return;
    var waiting = null;
    var checked = input.value.trim();
    function check() {
      var value = input.value.trim();
      if (value === checked) return;
      checked = value;
      var query = new URLSearchParams({ champ: input.dataset.verifier, valeur: value });
      fetch("/associations/verification?" + query, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (answer) { return answer.ok ? answer.json() : null; })
        .then(function (told) {
          if (!told || value !== checked) return;
          said.textContent = told.refused || told.noted || "";
          said.className = told.refused ? "govuk-error-message simpa-verification" : "govuk-hint simpa-verification";
          said.dataset.checked = value;
        })
        .catch(function () { /* the form is checked when sent */ });
    }
    input.addEventListener("input", function () {
      clearTimeout(waiting);
      waiting = setTimeout(check, 600);
    });
    input.addEventListener("change", check);
  });
})();
