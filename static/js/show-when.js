/*
 * Progressive enhancement: an element marked data-show-when="NAME=VALUE" is shown
 * only while the radio button NAME with that VALUE is checked (step 3: the SEPA
 * fields only for the direct debit, the new account only when the bank changed).
 * Without this script everything shows, and the server ignores what does not apply.
 * An external file: the Content-Security-Policy allows no inline script.
 */
(function () {
  "use strict";

  function update(form) {
    form.querySelectorAll("[data-show-when]").forEach(function (element) {
      var rule = element.getAttribute("data-show-when");
      var separator = rule.indexOf("=");
      var name = rule.slice(0, separator);
      var value = rule.slice(separator + 1);
      var shown = Array.prototype.some.call(form.elements, function (input) {
        return input.name === name && input.checked && input.value === value;
      });
      element.hidden = !shown;
    });
  }

  document.querySelectorAll("form").forEach(function (form) {
    if (!form.querySelector("[data-show-when]")) {
      return;
    }
    update(form);
    form.addEventListener("change", function () {
      update(form);
    });
  });
})();
