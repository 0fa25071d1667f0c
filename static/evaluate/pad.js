/* The evaluation pad facing the citizen: after each finished service it asks once for a
   rating of that visit; a rating from the keypad or the phone closes the question too.
   Ratings carry the pad's device token (an evaluator device of this window): it arrives once as
   ?token=…, is kept in localStorage and removed from the address, as on the kiosk. */
(function () {
  "use strict";

  var TOKEN_KEY = "hallq.pad.token";

  function takeTokenFromUrl() {
    var params = new URLSearchParams(location.search);
    var token = params.get("token");
    if (token) {
      try { localStorage.setItem(TOKEN_KEY, token); } catch (e) { /* private mode: keep in memory */ }
      params.delete("token");
      var rest = params.toString();
      history.replaceState(null, "", location.pathname + (rest ? "?" + rest : ""));
    }
    try { return token || localStorage.getItem(TOKEN_KEY); } catch (e) { return token; }
  }

  var token = takeTokenFromUrl();

  var root = document.getElementById("pad");
  var windowId = parseInt(root.dataset.window, 10);
  var data = JSON.parse(document.getElementById("pad-data").textContent);
  var $ = function (id) { return document.getElementById(id); };
  var R = window.HallqRating;
  var asking = null;       // the number being asked about
  var idleTimer = null;

  function show(which) {
    $("pad-idle").hidden = which !== "idle";
    $("pad-ask").hidden = which !== "ask";
    $("pad-thanks").hidden = which !== "thanks";
    root.dataset.view = which;
  }

  function ask(number) {
    asking = number;
    $("pad-number").textContent = number;
    $("pad-number-en").textContent = number;
    new R.RatingForm($("pad-form"), {
      levels: data.levels,
      reasons: data.reasons,
      idPrefix: "pad",
      onSubmit: function (rating) {
        rating.number = number;
        return window.HallqHttp.post("/windows/" + windowId + "/evaluation", rating, { token: token }).then(function (reply) {
          thanks(reply.evaluation.level_name);
        });
      },
    });
    show("ask");
  }

  function thanks(levelName) {
    asking = null;
    $("pad-thanks-level").textContent = levelName ? "您的评价：" + levelName : "";
    show("thanks");
    clearTimeout(idleTimer);
    idleTimer = setTimeout(function () { if (!asking) show("idle"); }, 6000);
  }

  function load() {
    return window.HallqHttp.get("/windows/" + windowId + "/evaluation").then(function (reply) {
      if (reply.pending) {
        if (asking !== reply.pending.number) ask(reply.pending.number);
      } else if (asking) {
        asking = null;
        show("idle");
      }
    }, function () {});
  }

  window.HallqLive.connect({
    rooms: [{ window: windowId }],
    mark: "#conn",
    onSnapshot: function (snap) {
      var clerk = snap.window && snap.window.clerk;
      $("pad-clerk").textContent = clerk ? clerk.name + "（工号 " + clerk.staff_no + "）" : "";
      load();
    },
    onEvent: function (name, payload) {
      if (name === "ticket_finished" && payload.window_id === windowId) {
        load();
      } else if (name === "ticket_evaluated" && payload.number === asking) {
        thanks(payload.level_name);
      } else if (name === "window_changed" && payload.id === windowId) {
        var clerk = payload.clerk;
        $("pad-clerk").textContent = clerk ? clerk.name + "（工号 " + clerk.staff_no + "）" : "";
      }
    },
  });
  show("idle");
  load();
})();
