/* 好差评 on the citizen's phone page: once the ticket is served it asks for one rating within
   the hall's time limit; afterwards it shows the rating given (from any source). */
(function () {
  "use strict";

  var R = window.HallqRating;

  function mount(section) {
    var token = section.dataset.hallqEvaluation;
    var intro = section.querySelector(".hallq-evaluation-intro");
    var form = section.querySelector(".hallq-evaluation-form");
    var done = section.querySelector(".hallq-evaluation-done");
    var url = "/api/v1/tickets/" + encodeURIComponent(token) + "/evaluation";
    var rendered = false;

    function showDone(evaluation) {
      section.hidden = false;
      form.hidden = true;
      intro.hidden = true;
      done.hidden = false;
      done.textContent = "感谢您的评价：" + evaluation.level_name + "（" + evaluation.level_name_en + "）";
    }

    function refresh() {
      return window.HallqHttp.get(url).then(function (status) {
        if (status.evaluation) { showDone(status.evaluation); return status; }
        if (!status.can_evaluate) { section.hidden = true; return status; }
        section.hidden = false;
        intro.textContent = "您的 " + status.number + " 号已办理完毕，请对本次服务进行评价（每次办理评价一次）。";
        if (!rendered) {
          rendered = true;
          new R.RatingForm(form, {
            levels: status.levels,
            reasons: status.reasons,
            idPrefix: "phone-rating",
            onSubmit: function (rating) {
              return window.HallqHttp.post(url, rating).then(function (reply) { showDone(reply.evaluation); });
            },
          });
        }
        return status;
      }, function () { section.hidden = true; });
    }

    refresh();
    return refresh;
  }

  var refreshers = [];
  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-hallq-evaluation]"), function (s) {
      refreshers.push(mount(s));
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();

  window.HallqEvaluation = {
    /* Ask the server again (call it on the phone page's ticket_finished event). */
    refresh: function () { return Promise.all(refreshers.map(function (r) { return r(); })); },
  };
})();
