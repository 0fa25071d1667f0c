/* Small helpers of the console: confirm before destructive forms; focus the error summary. */
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  });
  var errors = document.getElementById("form-errors");
  if (errors) errors.focus();
})();
