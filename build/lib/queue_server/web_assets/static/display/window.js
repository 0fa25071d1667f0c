/* 窗口显示牌 / 工作人员座牌: who serves at this window, what it handles, the number now at
   the window, and 暂停服务 with the reason while paused. */
(function () {
  "use strict";

  var root = document.getElementById("wd");
  var windowId = parseInt(root.dataset.window, 10);
  var $ = function (id) { return document.getElementById(id); };
  var T = window.HallqLive.text;
  var params = new URLSearchParams(window.location.search);
  // The lobby speaks for the hall; a window screen speaks only where the hall wants it to.
  var announcer = new window.HallqAnnounce.Announcer({
    enabled: params.get("voice") === "on",
    unlockButton: "#unlock-voice",
  });
  window.__announcer = announcer;
  var flashTimer = null;

  function renderPhoto(clerk) {
    var box = $("wd-photo");
    box.textContent = "";
    if (!clerk) return;
    if (clerk.photo_url) {
      var img = document.createElement("img");
      img.src = clerk.photo_url;
      img.alt = "";
      box.appendChild(img);
    } else {
      var initial = document.createElement("span");
      initial.textContent = clerk.name.slice(0, 1);
      box.appendChild(initial);
    }
  }

  function render(w) {
    root.dataset.status = w.status;
    T($("wd-number"), w.number);
    T($("wd-name"), w.name);
    T($("wd-type"), w.type_name);
    $("wd-type").hidden = w.type_name === w.name;
    T($("wd-type-en"), "Window " + w.number + " · " + w.type_name_en);
    T($("wd-services"), w.category_names && w.category_names.length
      ? w.category_names.join("、") : "全部业务（综合受理）");
    // Only the clerk on duty is shown: nobody when the window is closed or left unstaffed.
    var clerk = w.status === "closed" ? null : w.clerk;
    $("wd-clerk").hidden = !clerk;
    if (clerk) {
      T($("wd-clerk-name"), clerk.name);
      T($("wd-clerk-no"), clerk.staff_no);
      T($("wd-clerk-dept"), clerk.department);
    }
    renderPhoto(clerk);
    $("wd-paused").hidden = w.status !== "paused";
    T($("wd-paused-reason"), w.pause_reason || "");
    $("wd-closed").hidden = w.status !== "closed";
    $("wd-now").hidden = w.status !== "open";
    var current = w.current;
    T($("wd-now-number"), current ? current.number : "—");
    $("wd-now-label").innerHTML = current && current.state === "called"
      ? '请 <b>' + current.number + '</b> 号到本窗口 <small lang="en">Please come to this window</small>'
      : current ? '正在办理 <small lang="en">Now serving</small>'
      : '等候叫号 <small lang="en">Waiting for the next call</small>';
    document.title = w.number + " 号窗口 " + w.name;
  }

  function flash() {
    var el = $("wd-now");
    el.classList.remove("flash");
    void el.offsetWidth;
    el.classList.add("flash");
    clearTimeout(flashTimer);
    flashTimer = setTimeout(function () { el.classList.remove("flash"); }, 8000);
  }

  window.HallqLive.connect({
    rooms: [{ window: windowId }],
    mark: "#conn",
    onSnapshot: function (snap) { if (snap.window) render(snap.window); },
    onEvent: function (name, payload) {
      if (name === "window_changed" && payload.id === windowId) {
        render(payload);
      } else if ((name === "ticket_called" || name === "ticket_recalled") && payload.window_id === windowId) {
        T($("wd-now-number"), payload.number);
        flash();
        announcer.announce(payload, name === "ticket_recalled");
      }
    },
  });
})();
