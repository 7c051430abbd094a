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

  // Copy buttons: shown only where the script runs and the clipboard can be written (without
  // them the snippet is plain selectable text); they copy the text of the element named, and
  // say "Copied" for a moment, on the button and in a polite live region beside it.
  function showCopyButtons() {
    document.querySelectorAll("button[data-copy]").forEach(function (button) {
      if (!navigator.clipboard || button.nextElementSibling &&
          button.nextElementSibling.classList.contains("copy-status")) return;
      var status = document.createElement("span");
      status.className = "copy-status visually-hidden";
      status.setAttribute("aria-live", "polite");
      button.insertAdjacentElement("afterend", status);
      button.hidden = false;
    });
  }
  document.addEventListener("DOMContentLoaded", showCopyButtons);
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button[data-copy]");
    if (!button) return;
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source) return;
    var label = button.querySelector(".copy-label") || button;
    navigator.clipboard.writeText(source.textContent).then(function () {
      if (!label.hasAttribute("data-label")) label.setAttribute("data-label", label.textContent);
      label.textContent = "Copied";
      var status = button.nextElementSibling;
      if (status && status.classList.contains("copy-status")) status.textContent = "Copied";
      clearTimeout(button.copyTimer);
      button.copyTimer = setTimeout(function () {
        label.textContent = label.getAttribute("data-label");
        if (status && status.classList.contains("copy-status")) status.textContent = "";
      }, 2000);
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

  // Listings whose state lives in the URL (form[data-url-state]). The form always shows the
  // URL's state: after Back and Forward htmx restores a snapshot whose inputs hold the values
  // they were first rendered with, and on reload a browser may refill a form from memory; so
  // every visible input is set from the query string (what it leaves out: the input's
  // data-default, else blank; a choice a select does not offer: the same). The hidden sort
  // comes with the results, rendered for their URL.
  function urlStateForms() {
    return document.querySelectorAll("form[data-url-state]");
  }
  function stateKey(form) {
    return new URLSearchParams(new FormData(form)).toString();
  }
  function showUrlState() {
    var params = new URLSearchParams(location.search);
    urlStateForms().forEach(function (form) {
      Array.prototype.forEach.call(form.elements, function (input) {
        if (!input.name || /^(hidden|submit|button)$/.test(input.type)) return;
        var fallback = input.getAttribute("data-default") || "";
        var value = params.has(input.name) ? params.get(input.name).trim() : fallback;
        if (input.tagName === "SELECT" && !Array.prototype.some.call(input.options,
            function (option) { return option.value === value; })) value = fallback;
        input.value = value;
      });
      form.lastStateKey = stateKey(form);
    });
  }
  document.addEventListener("DOMContentLoaded", showUrlState);
  window.addEventListener("pageshow", showUrlState);
  document.addEventListener("htmx:historyRestore", showUrlState);
  window.addEventListener("popstate", function () { setTimeout(showUrlState, 0); });

  // One request per change: leaving a field after typing, then pressing Apply, fires both a
  // change and a submit; a search typed and applied at once fires the submit and, later, the
  // search box's pause. A request for the state already asked for is dropped.
  function urlStateFormOf(element) {
    if (!element || !element.closest) return null;
    return element.closest("form[data-url-state]") || (element.form &&
      element.form.matches("[data-url-state]") ? element.form : null);
  }
  // (On htmx:confirm, before hx-sync would abort the request in flight for its twin.)
  document.addEventListener("htmx:confirm", function (event) {
    var form = urlStateFormOf(event.detail.elt);
    if (!form) return;
    var key = stateKey(form);
    if (key === form.lastStateKey) event.preventDefault();
    else form.lastStateKey = key;
  });

  // A page link or a sort link changed the results, the hidden sort with them: note the state
  // shown. A page link also moves to the top of the new results, and focus with it, so the
  // next Tab or screen-reader line starts there rather than at the page's foot.
  document.addEventListener("htmx:afterSettle", function (event) {
    var config = event.detail.requestConfig;
    var source = config && config.elt;
    if (!source || urlStateFormOf(source)) return;
    urlStateForms().forEach(function (form) { form.lastStateKey = stateKey(form); });
    if (!source.closest || !source.closest(".pagination, .past-end")) return;
    var target = event.detail.target;
    var top = target && (target.querySelector(".count") || target.querySelector("[tabindex='-1']"));
    if (!top) return;
    if (!top.hasAttribute("tabindex")) top.setAttribute("tabindex", "-1");
    top.scrollIntoView({ block: "start" });
    top.focus({ preventScroll: true });
  });

  // Results swapped in a container that names a status line (data-status): say in it, once,
  // what the results now are ("1–6 of 6", "No adapters match.").
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail.target;
    var status = target && target.getAttribute &&
      document.getElementById(target.getAttribute("data-status") || "");
    if (!status) return;
    var summary = target.querySelector(".count, .past-end p, .empty p");
    status.textContent = summary ? summary.textContent.replace(/\s+/g, " ").trim() : "";
  });

  // htmx comes from another server (a CDN) and may not arrive: blocked, offline, or refused
  // for a wrong integrity hash. The pages still work as plain forms and links, so say so, and
  // show hints that promise live behaviour (class live-hint) only once htmx is here.
  function checkHtmx() {
    if (window.htmx) {
      document.documentElement.classList.add("htmx-ready");
      return;
    }
    var main = document.getElementById("main");
    if (!main || document.getElementById("htmx-missing")) return;
    var notice = document.createElement("div");
    notice.id = "htmx-missing";
    notice.className = "notice notice-warning";
    notice.setAttribute("aria-live", "polite");
    main.insertBefore(notice, main.firstChild);
    setTimeout(function () {  // filled after insertion, so screen readers announce it
      notice.textContent = "Live checks are off: the page works, but forms are checked " +
        "when you submit them and lists reload the whole page. (The enhancing script " +
        "could not be loaded.)";
    }, 50);
  }
  document.addEventListener("DOMContentLoaded", checkHtmx);

  // "/" moves to search, as on many sites: the page's own search box if it has one, else the
  // header's. Not while typing in a field, nor with a modifier key held.
  function searchBox() {
    return document.querySelector("main [data-search], main input#q, main input[type='search']") ||
      document.querySelector("[data-search='header']");
  }
  function markShortcut() {
    var box = searchBox();
    if (box) box.setAttribute("aria-keyshortcuts", "/");
  }
  document.addEventListener("DOMContentLoaded", markShortcut);
  document.addEventListener("htmx:afterSettle", markShortcut);
  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey ||
        event.defaultPrevented) return;
    var target = event.target;
    if (target && (target.isContentEditable ||
        /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
    var box = searchBox();
    if (!box) return;
    event.preventDefault();
    box.focus();
    if (box.select) box.select();
  });
})();
