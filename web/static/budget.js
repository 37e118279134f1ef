// The budget's totals and balance as the association types, before it saves: the server
// computes them again, and decides. Without this script, the totals show once saved.
(function () {
  "use strict";
  var form = document.querySelector("[data-budget]");
  if (!form) return;
  var format = new Intl.NumberFormat("fr-FR", { maximumFractionDigits: 0 });
  function euros(n) { return format.format(n) + "\u00a0€"; }  // as the server writes them
  function amount(typed) {
    var t = typed.replace(/[\s\u00a0\u202f€]/g, "").replace(/[,.]0+$/, "");
    if (t === "") return 0;
    return /^\d+$/.test(t) ? Number(t) : null;
  }
  function update() {
    var sums = { charges: 0, produits: 0, emplois: 0, contributions: 0 };
    var unreadable = false;
    var city = 0;
    // Lines kept outside the table (sent through the API) count as the server counts them.
    document.querySelectorAll("li[data-side]").forEach(function (line) {
      sums[line.dataset.side] += Number(line.dataset.euros);
    });
    form.querySelectorAll("input[data-side]").forEach(function (input) {
      var value = amount(input.value);
      if (value === null) { unreadable = true; return; }
      sums[input.dataset.side] += value;
      if (input.name === "l74_commune") city = value;
    });
    Object.keys(sums).forEach(function (side) {
      var total = form.querySelector('[data-total="' + side + '"]');
      if (total) total.textContent = euros(sums[side]);
    });
    var words;
    if (unreadable) {
      words = "Un montant n'est pas un nombre entier d'euros : corrigez-le pour voir les totaux.";
    } else if (sums.charges !== sums.produits) {
      words = "Le total des charges (" + euros(sums.charges) + ") doit être égal au total des produits (" + euros(sums.produits) + ").";
    } else if (sums.emplois !== sums.contributions) {
      words = "Les emplois des contributions en nature (" + euros(sums.emplois) + ") doivent égaler les contributions reçues (" + euros(sums.contributions) + ").";
    } else {
      words = "Le budget est équilibré. Montant demandé à la Ville : " + euros(city) + ".";
    }
    var balance = document.getElementById("equilibre");
    balance.replaceChildren(Object.assign(document.createElement("p"), { className: "govuk-body", textContent: words }));
  }
  form.addEventListener("input", update);
})();
