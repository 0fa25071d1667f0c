/* The citizen's page of a case (the receipt's QR): live over Socket.IO (/live, room
   case:<token>); each case_status reads the case again by its token. */
(function () {
  "use strict";

  var page = document.getElementById("case-page");
  var TOKEN = page.dataset.token;
  function $(id) { return document.getElementById(id); }
  function setText(id, text) { $(id).textContent = text == null ? "" : String(text); }

  function render(c) {
    page.dataset.state = c.state;
    var state = $("case-state");
    state.className = "state case-state-" + c.state;
    state.textContent = c.state_name + " ";
    var en = document.createElement("span");
    en.className = "en";
    en.lang = "en";
    en.textContent = c.state_name_en;
    state.appendChild(en);
    $("case-correction").hidden = c.state !== "correction";
    var list = $("case-missing");
    list.textContent = "";
    c.missing.forEach(function (m) {
      var li = document.createElement("li");
      li.textContent = m;
      list.appendChild(li);
    });
    var ready = c.state === "approved" || c.state === "refused";
    $("case-ready").hidden = !ready;
    if (c.pickup) setText("case-pickup-hall", c.pickup.hall);
    $("case-refusal").hidden = !c.refusal_reason;
    setText("case-refusal-reason", c.refusal_reason);
    setText("case-deadline", c.deadline || "待定");
  }

  function refresh() {
    window.HallqHttp.get("/cases/" + encodeURIComponent(TOKEN)).then(render, function () {});
  }

  window.HallqLive.connect({
    rooms: [{ case: TOKEN }],
    events: ["case_status"],
    mark: "#connection",
    onSnapshot: function (data) { if (data && data.case) render(data.case); },
    onEvent: function (name) { if (name === "case_status") refresh(); },
  });
  setInterval(refresh, 60000);  // a fallback if the live connection is down
})();
