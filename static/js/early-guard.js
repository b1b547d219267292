// Holds a reporter's form until the page's sealing module has taken charge of it, and
// clears the visit's keys from the tab when the reporter leaves.
//
// The sealing libraries take a moment to load (libsodium is about 1.3 MB). Without this
// guard, a reporter with JavaScript on who sends quickly would post the readable form —
// or their codename — to the server before the module could seal it. This small classic
// script runs in <head>, before any form exists, and catches the submit on the document:
// a form marked data-seal-guard is held until the module has set its data-sealing
// attribute ("device": the module seals it; "server": no WebAssembly, the server path is
// right), then sent again through the module. If the module never arrives, nothing is
// sent and the page says so.
//
// Browsers that cannot run the module at all (no WebAssembly, no ES modules) are not
// held: for them the server path is the only one, by design.
(function () {
  "use strict";
  // Leave (a plain form, posted with or without any module): the visit's keys go from
  // this tab at once, even if the page's module never ran. (The portal also answers
  // Leave with Clear-Site-Data and forgets the key they were wrapped under.)
  document.addEventListener(
    "submit",
    function (event) {
      if (!(event.target instanceof HTMLFormElement) || event.target.id !== "logout-form") return;
      try {
        sessionStorage.removeItem("candour-reporter-keys");
      } catch (error) {
        // storage disabled: nothing was kept
      }
    },
    true,
  );
  var wasm = typeof WebAssembly === "object";
  var modules = typeof HTMLScriptElement !== "undefined" && "noModule" in HTMLScriptElement.prototype;
  if (!wasm || !modules) return;
  var GIVE_UP_MS = 60000;

  function sentence(key) {
    var template = document.getElementById("candour-strings");
    var found = template && template.content.querySelector('[data-key="' + key + '"]');
    return found ? found.textContent.trim() : "";
  }

  function say(form, key) {
    var note = form.querySelector(".seal-wait");
    if (!note) {
      note = document.createElement("p");
      note.className = "seal-wait";
      note.setAttribute("role", "status");
      form.insertBefore(note, form.firstChild);
    }
    note.textContent = sentence(key);
  }

  function resend(form) {
    var note = form.querySelector(".seal-wait");
    if (note) note.parentNode.removeChild(note);
    if (typeof form.requestSubmit === "function") {
      form.requestSubmit();
    } else {
      var button = form.querySelector("[type=submit], button:not([type])");
      if (button) button.click();
    }
  }

  function hold(form) {
    if (form.getAttribute("data-seal-held") === "yes") return;
    form.setAttribute("data-seal-held", "yes");
    say(form, "preparing");
    var observer = new MutationObserver(function () {
      if (!form.hasAttribute("data-sealing")) return;
      observer.disconnect();
      clearTimeout(timer);
      form.removeAttribute("data-seal-held");
      resend(form);
    });
    observer.observe(form, { attributes: true, attributeFilter: ["data-sealing"] });
    var timer = setTimeout(function () {
      observer.disconnect();
      say(form, "prepare-failed");
    }, GIVE_UP_MS);
  }

  document.addEventListener(
    "submit",
    function (event) {
      var form = event.target;
      if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-seal-guard")) return;
      if (form.hasAttribute("data-sealing")) return; // the module has it (or chose the server path)
      event.preventDefault();
      event.stopImmediatePropagation();
      hold(form);
    },
    true,
  );
})();
