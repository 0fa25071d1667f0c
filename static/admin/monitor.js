/* The live monitor: joins the hall's Socket.IO room and redraws the server-rendered windows,
   queues, devices and alarms whenever the hall changes; service clocks tick every second. */
(function () {
  "use strict";
  var root = document.getElementById("monitor");
  if (!root) return;
  var hall = Number(root.dataset.hall);
  var live = document.getElementById("monitor-live");
  var conn = document.getElementById("conn");
  var offset = 0;
  var timer = null;
  var busy = false;
  var again = false;

  function syncClock() {
    var mark = live.querySelector(".live-root");
    var at = mark ? Date.parse(mark.dataset.serverTime) : NaN;
    if (!isNaN(at)) offset = at - Date.now();
  }

  function tick() {
    var now = Date.now() + offset;
    var clocks = live.querySelectorAll("[data-started-at]");
    for (var i = 0; i < clocks.length; i++) {
      var el = clocks[i];
      var seconds = Math.max(0, Math.floor((now - Date.parse(el.dataset.startedAt)) / 1000));
      var minutes = Math.floor(seconds / 60);
      el.textContent = minutes + ":" + String(seconds % 60).padStart(2, "0");
      var over = seconds > Number(el.dataset.target) * 60;
      el.classList.toggle("over", over);
      var card = el.closest(".window-card");
      if (card) card.classList.toggle("over", over);
    }
  }

  function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    fetch(root.dataset.live, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (reply) {
        if (reply.status === 401 || reply.status === 403) { window.location.reload(); return null; }
        return reply.ok ? reply.text() : null;
      })
      .then(function (html) {
        if (html === null) return;
        live.innerHTML = html; // rendered and escaped by the server
        syncClock();
        tick();
        root.dataset.updated = String(Date.now());
      })
      .catch(function () {})
      .then(function () {
        busy = false;
        if (again) { again = false; schedule(); }
      });
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 200);
  }

  function setConn(state) {
    conn.dataset.state = state;
    conn.innerHTML = state === "live"
      ? '实时 <small lang="en">Live</small>'
      : '连接中断，正在重连 <small lang="en">Offline — reconnecting</small>';
  }

  syncClock();
  tick();
  setInterval(tick, 1000);
  // Redrawn now and then even without events: when the message queue is down no event comes,
  // and the redraw is what shows the fault.
  setInterval(schedule, 30000);
  // static/common/live.js: joins the hall's room, rejoins after every reconnect.
  var seen = false;
  window.HallqLive.connect({
    rooms: [{ hall: hall }],
    backoff: [1000, 10000],
    events: ["window_removed", "devices_changed", "hall_changed"],
    onMissing: function () {
      // the live-connection script did not load: say so instead of a page that never changes
      conn.dataset.state = "missing";
      conn.innerHTML = '实时连接无法加载，页面不会自动更新 <small lang="en">Live updates failed to load</small>';
    },
    onStatus: function (online) {
      // "连接中" until the first snapshot; after that, live or reconnecting.
      if (online) seen = true;
      if (seen) setConn(online ? "live" : "offline");
    },
    onSnapshot: schedule,
    onEvent: schedule,
  });
})();
