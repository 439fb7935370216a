// newsrag chat UI: clicking an [n] marker in an answer brings its source card into view
// and highlights it. Event delegation on the document, because Gradio re-renders the chat
// and the sources panel on every streamed update.
(function () {
  function highlight(id) {
    var card = document.getElementById(id);
    if (!card) return false;
    var node = card.parentElement;
    while (node) {  // open collapsed sections (earlier turns, uncited passages)
      if (node.tagName === "DETAILS") node.open = true;
      node = node.parentElement;
    }
    document.querySelectorAll(".nr-card.nr-active").forEach(function (el) {
      el.classList.remove("nr-active");
    });
    card.classList.add("nr-active");
    card.scrollIntoView({ behavior: "smooth", block: "center" });
    return true;
  }
  document.addEventListener(
    "click",
    function (event) {
      var link = event.target && event.target.closest ? event.target.closest("a.nr-cite, a[href^='#nr-src-']") : null;
      if (!link) return;
      event.preventDefault();
      event.stopPropagation();
      var id = (link.getAttribute("href") || "").replace(/^#/, "");
      highlight(id);
    },
    true
  );
})();
