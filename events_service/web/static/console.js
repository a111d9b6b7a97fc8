/* The organisers' console: forms that ask before they do something that cannot be undone
   (<form data-confirm="question">). No inline script, so a Content-Security-Policy without
   'unsafe-inline' keeps working. */
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form && form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });
})();
