// Small helps only: every page works without this script.
// The VAT from a rate: net × rate, rounded half-up to the cent, computed on integer cents.
(function () {
  function cents(text) {
    var t = (text || "").trim().replace(/\s|€/g, "");
    if (t.indexOf(",") >= 0) { t = t.replace(/\./g, "").replace(",", "."); }
    else if (/^\d{1,3}(\.\d{3})+$/.test(t)) { t = t.replace(/\./g, ""); }
    if (!/^\d+(\.\d{1,2})?$/.test(t)) { return null; }
    var parts = t.split(".");
    var frac = ((parts[1] || "") + "00").slice(0, 2);
    return parseInt(parts[0], 10) * 100 + parseInt(frac, 10);
  }
  function italian(c) {
    var units = String(Math.floor(c / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, ".");
    return units + "," + String(c % 100).padStart(2, "0");
  }
  document.addEventListener("DOMContentLoaded", function () {
    // "Torna indietro" goes back in the history when there is one (the link works without it).
    document.querySelectorAll("[data-indietro]").forEach(function (link) {
      link.addEventListener("click", function (event) {
        if (window.history.length > 1) { event.preventDefault(); window.history.back(); }
      });
    });
    var button = document.getElementById("calcola-iva");
    if (!button) { return; }
    button.addEventListener("click", function () {
      var net = cents(document.getElementById("net_amount").value);
      var rate = document.getElementById("vat_rate").value;
      if (net === null || rate === "") { return; }
      // Half-up on integer arithmetic: (net × rate + 50) / 100, all in cents.
      var vat = Math.floor((net * parseInt(rate, 10) + 50) / 100);
      document.getElementById("vat_amount").value = italian(vat);
    });
  });
})();
