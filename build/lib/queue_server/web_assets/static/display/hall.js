/* The lobby screen (综合屏): latest call large and flashing, recent calls, waiting per
   category, date and time, the scrolling public notice, and the spoken announcements. */
(function () {
  "use strict";

  var root = document.getElementById("lobby");
  var hallId = parseInt(root.dataset.hall, 10);
  var zone = root.dataset.timezone;
  var $ = function (id) { return document.getElementById(id); };
  var T = window.HallqLive.text;
  var params = new URLSearchParams(window.location.search);

  var announcer = new window.HallqAnnounce.Announcer({
    enabled: params.get("voice") !== "off",
    unlockButton: "#unlock-voice",
  });
  window.__announcer = announcer;

  var recent = [];
  var windows = {};
  var flashTimer = null;

  var latestShown = false;
  function showLatest(call, flash) {
    latestShown = Boolean(call);
    $("latest").hidden = !call;
    $("latest-none").hidden = Boolean(call);
    if (!call) return;
    T($("latest-number"), call.number);
    T($("latest-window"), call.window_number);
    T($("latest-window-name"), call.window_name || "");
    T($("latest-en"), "Number " + call.number + ", please go to window " + call.window_number);
    if (flash) {
      var el = $("latest");
      el.classList.remove("flash");
      void el.offsetWidth; // restart the animation for a new call
      el.classList.add("flash");
      clearTimeout(flashTimer);
      flashTimer = setTimeout(function () { el.classList.remove("flash"); }, 10000);
    }
  }

  function renderRecent() {
    var body = $("recent-body");
    body.textContent = "";
    // the calls before the one shown as 正在呼叫 (all of them when none is shown)
    recent.slice(latestShown ? 1 : 0, 8).forEach(function (call) {
      var tr = document.createElement("tr");
      var a = document.createElement("td");
      a.textContent = call.number;
      var b = document.createElement("td");
      b.textContent = call.window_number + " 号窗口";
      tr.appendChild(a);
      tr.appendChild(b);
      body.appendChild(tr);
    });
    if (!body.children.length) {
      var empty = document.createElement("tr");
      var cell = document.createElement("td");
      cell.colSpan = 2;
      cell.className = "recent-empty";
      cell.textContent = "暂无更早的呼叫";
      empty.appendChild(cell);
      body.appendChild(empty);
    }
  }

  function renderCategories(categories) {
    var body = $("wait-body");
    body.textContent = "";
    categories.forEach(function (c) {
      var tr = document.createElement("tr");
      var name = document.createElement("td");
      name.innerHTML = '<span class="prefix"></span> <span class="cname"></span>';
      name.querySelector(".prefix").textContent = c.prefix;
      name.querySelector(".cname").textContent = c.name;
      var count = document.createElement("td");
      count.className = "num";
      count.textContent = c.waiting + " 人";
      var est = document.createElement("td");
      est.className = "num";
      est.textContent = !c.waiting ? "无需等候"
        : c.estimated_wait_minutes >= 1 ? "约 " + c.estimated_wait_minutes + " 分钟" : "即将叫号";
      tr.appendChild(name);
      tr.appendChild(count);
      tr.appendChild(est);
      body.appendChild(tr);
    });
  }

  function renderWindows() {
    var list = $("window-tiles");
    list.textContent = "";
    Object.keys(windows).map(function (k) { return windows[k]; })
      .sort(function (a, b) { return a.number - b.number; })
      .forEach(function (w) {
        var li = document.createElement("li");
        li.className = "tile " + w.status;
        var num = document.createElement("span");
        num.className = "tile-num";
        num.textContent = w.number + "号";
        var what = document.createElement("span");
        what.className = "tile-what";
        what.textContent = w.status === "paused" ? "暂停 " + w.pause_reason
          : w.status === "closed" ? "未开放"
          : w.current ? w.current.number : "空闲";
        li.appendChild(num);
        li.appendChild(what);
        list.appendChild(li);
      });
  }

  function addCall(call) {
    recent = recent.filter(function (c) { return c.number !== call.number; });
    recent.unshift(call);
    recent = recent.slice(0, 9);
    showLatest(call, true);
    renderRecent();
  }

  // 正在呼叫 shows the latest call only while its window is open: once that window pauses or
  // closes, nobody is being called there any more
  function windowOpen(call) {
    var w = windows[call.window_id];
    return !w || w.status === "open";
  }
  function showCurrentLatest() {
    showLatest(recent[0] && windowOpen(recent[0]) ? recent[0] : null, false);
  }

  var live = window.HallqLive.connect({
    rooms: [{ hall: hallId }],
    mark: "#conn",
    onSnapshot: function (snap) {
      recent = (snap.recent_calls || []).slice();
      windows = {};
      (snap.windows || []).forEach(function (w) { windows[w.id] = w; });
      showCurrentLatest();
      renderRecent();
      renderCategories(snap.categories || []);
      renderWindows();
      if (snap.hall && snap.hall.name) T(document.querySelector(".hall-name").firstChild, snap.hall.name + " ");
    },
    onEvent: function (name, payload) {
      if (name === "ticket_called" || name === "ticket_recalled") {
        addCall(payload);
        announcer.announce(payload, name === "ticket_recalled");
      } else if (name === "queue_changed") {
        renderCategories(payload.categories || []);
      } else if (name === "window_changed") {
        windows[payload.id] = payload;
        renderWindows();
        if (recent[0] && recent[0].window_id === payload.id && !windowOpen(recent[0])) {
          showLatest(null, false);
          renderRecent();
        }
      }
    },
  });

  function clock() {
    var parts = window.HallqLive.hallTime(live.now(), zone);
    T($("clock-time"), parts.time);
    T($("clock-day"), parts.day);
  }
  clock();
  setInterval(clock, 1000);
})();

/* The notice scrolls at a steady reading speed whatever its length. */
(function () {
  "use strict";
  var text = document.getElementById("notice-text");
  if (!text) return;
  var seconds = Math.max(20, Math.round(text.textContent.length / 4));
  text.style.animationDuration = seconds + "s";
})();
