// Progressive enhancements only: every page works without this file.
(function () {
  "use strict";

  // Submit the search form when the sort order changes.
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
    var apply = select.form.querySelector(".sort-row button");
    if (apply) { apply.hidden = true; }
  });

  // A copy button beside each citation.
  // The labels come translated from the page (data-copy-label, data-copied-label).
  if (navigator.clipboard) {
    document.querySelectorAll("pre.copyable").forEach(function (pre) {
      var holder = pre.closest("[data-copy-label]");
      if (!holder) { return; }
      var label = [holder.dataset.copyLabel, holder.dataset.copiedLabel];
      var button = document.createElement("button");
      button.type = "button";
      button.className = "copy secondary";
      button.textContent = label[0];
      button.setAttribute("aria-describedby", pre.id);
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(pre.textContent).then(function () {
          button.textContent = label[1];
          setTimeout(function () { button.textContent = label[0]; }, 2000);
        });
      });
      pre.insertAdjacentElement("afterend", button);
    });
  }
})();
