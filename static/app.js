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

  // A live character count under each textarea with a maxlength. The limit is the attribute
  // the server set from its rules; it moves to data-maxlength so an over-long text is shown and
  // counted rather than silently cut. The visible count follows every key; the spoken one, a
  // polite live region, only once typing pauses, so a screen reader is not flooded.
  function countText(textarea) {
    var max = parseInt(textarea.getAttribute("data-maxlength"), 10);
    var used = Array.from(textarea.value).length; // code points, as the server counts
    var text = used.toLocaleString("en") + " of " + max.toLocaleString("en") + " characters";
    if (used > max) text += ", " + (used - max).toLocaleString("en") + " too many";
    return { text: text, over: used > max };
  }
  function setUpCounts() {
    document.querySelectorAll("textarea[maxlength]").forEach(function (textarea) {
      textarea.setAttribute("data-maxlength", textarea.getAttribute("maxlength"));
      textarea.removeAttribute("maxlength");
      var shown = document.createElement("p");
      shown.id = textarea.id + "-count";
      shown.className = "char-count";
      shown.setAttribute("aria-hidden", "true");
      var spoken = document.createElement("p");
      spoken.id = textarea.id + "-count-live";
      spoken.className = "visually-hidden";
      spoken.setAttribute("aria-live", "polite");
      textarea.insertAdjacentElement("afterend", spoken);
      textarea.insertAdjacentElement("afterend", shown);
      showCount(textarea, false);
    });
  }
  var spokenTimers = {};
  function showCount(textarea, speak) {
    var shown = document.getElementById(textarea.id + "-count");
    if (!shown) return;
    var count = countText(textarea);
    shown.textContent = count.text;
    shown.classList.toggle("over", count.over);
    if (!speak) return;
    clearTimeout(spokenTimers[textarea.id]);
    spokenTimers[textarea.id] = setTimeout(function () {
      var spoken = document.getElementById(textarea.id + "-count-live");
      if (spoken) spoken.textContent = countText(textarea).text;
    }, 1000);
  }
  document.addEventListener("input", function (event) {
    var textarea = event.target;
    if (textarea && textarea.hasAttribute && textarea.hasAttribute("data-maxlength")) {
      showCount(textarea, true);
    }
  });
  document.addEventListener("DOMContentLoaded", setUpCounts);
  document.addEventListener("htmx:afterSettle", setUpCounts);

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
