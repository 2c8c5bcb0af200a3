/* Small behaviours shared by every page (no inline scripts: CSP). */
(function () {
  "use strict";
  // Auto-submit filter forms when a select changes (still works without JS: a button is there).
  document.addEventListener("change", function (event) {
    var form = event.target.closest && event.target.closest("form[data-autosubmit]");
    if (form && event.target.matches("select, input[type=checkbox], input[type=date]")) {
      form.requestSubmit ? form.requestSubmit() : form.submit();
    }
  });
  // "Select all" checkbox of bulk forms.
  document.addEventListener("change", function (event) {
    if (!event.target.matches("[data-select-all]")) return;
    var scope = document.getElementById(event.target.getAttribute("data-select-all"));
    if (!scope) return;
    scope.querySelectorAll("input[type=checkbox][name]").forEach(function (box) { box.checked = event.target.checked; });
  });
})();
/* htmx swaps only 2xx answers by default: a form answered with its errors
   (400) or with a concurrent-change notice (409) must be shown too. */
document.addEventListener("htmx:beforeSwap", function (event) {
  var status = event.detail.xhr.status;
  if (status === 400 || status === 409) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
