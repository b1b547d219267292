// Quick exit (templates/layout/_quick_exit.html). The link already works without
// JavaScript; here it also replaces this page's entry in the history (so "Back" on
// the neutral page does not return here) and answers the Escape key.
// It cannot erase the browser's history; the page footer says so.
(function () {
  "use strict";

  function leave(link) {
    // Hide the page at once: the neutral page may take a while to load over Tor.
    document.documentElement.hidden = true;
    document.title = "";
    // The codename keys kept for this tab go now, not only when /leave answers.
    try {
      sessionStorage.clear();
    } catch (error) {
      // Storage switched off: nothing was kept there.
    }
    window.location.replace(link.href);
  }

  function start() {
    var link = document.querySelector("a[data-quick-exit]");
    if (!link) return;
    link.addEventListener("click", function (event) {
      if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
      event.preventDefault();
      leave(link);
    });
    document.addEventListener("keydown", function (event) {
      // Not while an input method is composing text (Escape then cancels the
      // composition), nor when a page control already handled the key.
      if (event.key !== "Escape" || event.isComposing || event.defaultPrevented) return;
      leave(link);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
