// Small progressive enhancements. Everything works without this file.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // A per-field check swapped in a message slot: mark its input invalid or valid again.
  document.addEventListener("htmx:afterSettle", function (event) {
    var slot = event.detail.elt;
    if (!slot || !slot.classList || !slot.classList.contains("field-error")) return;
    var input = document.getElementById(slot.id.replace(/-error$/, ""));
    if (!input) return;
    var invalid = !slot.hidden && slot.textContent.trim() !== "";
    if (invalid) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
    var wrapper = input.closest(".field");
    if (wrapper) wrapper.classList.toggle("has-error", invalid);
  });

  // The LoRA settings matter only for LoRA-family types: show them just then.
  function syncLora() {
    var select = document.getElementById("finetuning_type");
    var box = document.getElementById("lora-settings");
    if (!select || !box) return;
    var types = (box.getAttribute("data-lora-types") || "").split(" ");
    box.hidden = select.value !== "" && types.indexOf(select.value) === -1;
  }
  document.addEventListener("change", function (event) {
    if (event.target && event.target.id === "finetuning_type") syncLora();
  });
  document.addEventListener("DOMContentLoaded", syncLora);
  document.addEventListener("htmx:afterSettle", syncLora);

  // Copy buttons: shown only where the script runs; they copy the text of the element named.
  function showCopyButtons() {
    document.querySelectorAll("button[data-copy]").forEach(function (button) {
      if (navigator.clipboard) button.hidden = false;
    });
  }
  document.addEventListener("DOMContentLoaded", showCopyButtons);
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button[data-copy]");
    if (!button) return;
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source) return;
    navigator.clipboard.writeText(source.textContent).then(function () {
      var label = button.getAttribute("data-label") || button.textContent;
      button.setAttribute("data-label", label);
      button.textContent = "Copied";
      setTimeout(function () { button.textContent = label; }, 2000);
    });
  });

  // Links in an error summary move focus to the input, not just scroll to it.
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest(".error-summary a[href^='#']");
    if (!link) return;
    var input = document.getElementById(link.getAttribute("href").slice(1));
    if (!input) return;
    event.preventDefault();
    input.focus();
    input.scrollIntoView({ block: "center" });
  });
})();
