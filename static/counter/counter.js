/* The clerk's counter panel: sign in, choose a window, call and serve. Every change goes
   through /api/v1 with the session cookie and X-CSRF-Token; live events only trigger a
   re-fetch of the panel, so two panels of one window always show the same thing. */
(function () {
  "use strict";

  var app = document.getElementById("app");
  var csrf = app.dataset.csrf || "";
  var windowId = parseInt(app.dataset.window, 10) || null;
  var signedIn = Boolean(app.dataset.me);
  var $ = function (id) { return document.getElementById(id); };
  var T = window.HallqLive.text;

  var me = null;          // {id, name, staff_no, ...}
  var myPost = "";        // "A" or "B" at this window
  var panel = null;       // GET /api/v1/windows/<id>
  var stats = null;       // GET /api/v1/windows/<id>/stats
  var options = null;     // GET /api/v1/windows/<id>/options
  var live = null;
  var busy = false;
  var refreshTimer = null;
  var serverOffset = 0;

  var STATE_NAMES = window.HallqLabels.states; // one name per state (domain/model.py)

  // -- HTTP --------------------------------------------------------------------------------
  // One helper for every page (static/common/http.js); a refusal carries the API's bilingual
  // error (error.status, error.data.message, error.data.message_en).
  function request(method, url, body) {
    return window.HallqHttp.request(method, url, method === "GET" ? undefined : body || {}, { csrf: csrf });
  }

  function serverNow() { return Date.now() + serverOffset; }

  // What the case card (case.js) shares with the panel: the same requests and messages.
  window.HallqCounter = {
    request: function (method, url, body) { return request(method, url, body); },
    refresh: function () { return refreshNow(); },
    toast: function (zh, en, kind) { toast(zh, en, kind); },
    failed: function (error) { failed(error); },
    windowId: windowId,
  };

  // -- messages ----------------------------------------------------------------------------
  var toastTimer = null;
  function toast(zh, en, kind) {
    var box = $("toast");
    box.querySelector(".zh").textContent = zh;
    box.querySelector(".en").textContent = en || "";
    box.className = "toast " + (kind || "error");
    box.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { box.hidden = true; }, kind === "ok" ? 2500 : 6000);
  }

  function failed(error) {
    if (error.status === 401) {
      showLogin();
    }
    toast(error.data.message, error.data.message_en, "error");
  }

  // -- views -------------------------------------------------------------------------------
  function show(view) {
    ["login-view", "password-view", "chooser-view", "panel-view"].forEach(function (id) { $(id).hidden = id !== view; });
    $("sign-out").hidden = view === "login-view" || !signedIn;
    $("change-password").hidden = view === "login-view" || view === "password-view" || !signedIn;
    $("switch-window").hidden = view !== "panel-view";
  }

  function showLogin() {
    signedIn = false;
    show("login-view");
    $("staff-no").focus();
  }

  $("login-form").addEventListener("submit", function (event) {
    event.preventDefault();
    request("POST", "/api/v1/auth/login", {
      staff_no: $("staff-no").value.trim(), password: $("password").value,
    }).then(function (data) {
      csrf = data.csrf_token;
      signedIn = true;
      $("password").value = "";
      T($("who"), data.clerk.name + "（" + data.clerk.staff_no + "）");
      start();
    }, function (error) {
      if (error.status === 403 && error.data.error === "password_change_required") {
        // The password an admin gave works once: to choose one's own.
        passwordFor = $("staff-no").value.trim();
        $("current-password").value = $("password").value;
        $("password").value = "";
        showPassword(true);
        return;
      }
      failed(error);
    });
  });

  // -- one's own password ----------------------------------------------------------------------
  var passwordFor = null;  // the staff number after an admin's reset (not signed in)
  function showPassword(afterReset) {
    $("password-reason").hidden = !afterReset;
    show("password-view");
    (afterReset ? $("new-password") : $("current-password")).focus();
  }

  $("change-password").addEventListener("click", function () { passwordFor = null; showPassword(false); });
  $("password-cancel").addEventListener("click", function () {
    ["current-password", "new-password", "repeat-password"].forEach(function (id) { $(id).value = ""; });
    if (signedIn) start(); else showLogin();
  });

  $("password-form").addEventListener("submit", function (event) {
    event.preventDefault();
    if ($("new-password").value !== $("repeat-password").value) {
      toast("两次输入的新密码不一致", "The two new passwords differ", "error");
      return;
    }
    var body = { password: $("current-password").value, new_password: $("new-password").value };
    if (passwordFor) body.staff_no = passwordFor;
    request("POST", "/api/v1/auth/password", body).then(function (data) {
      ["current-password", "new-password", "repeat-password"].forEach(function (id) { $(id).value = ""; });
      csrf = data.csrf_token;
      signedIn = true;
      passwordFor = null;
      T($("who"), data.clerk.name + "（" + data.clerk.staff_no + "）");
      toast("密码已修改", "Password changed", "ok");
      start();
    }, function (error) {
      if (error.status === 401 && signedIn && !passwordFor) {
        // A wrong current password: stay here, say so (a real sign-out shows the sign-in).
        toast(error.data.message, error.data.message_en, "error");
        return;
      }
      failed(error);
    });
  });

  $("sign-out").addEventListener("click", function () {
    request("POST", "/api/v1/auth/logout", {}).then(function () {
      window.location.href = "/counter";
    }, function (error) {
      // Already signed out (the session ended): go to the sign-in page all the same.
      if (error.status === 401) window.location.href = "/counter";
      else failed(error);
    });
  });
  $("switch-window").addEventListener("click", function () { window.location.href = "/counter"; });

  function windowStatusText(w) {
    if (w.status === "open") return ["服务中", "Open"];
    if (w.status === "paused") return ["暂停服务：" + w.pause_reason, "Paused"];
    return ["未开放", "Closed"];
  }

  function showChooser(data) {
    show("chooser-view");
    var list = $("window-list");
    list.textContent = "";
    data.windows.forEach(function (w) {
      var li = document.createElement("li");
      var status = windowStatusText(w);
      var who = w.clerk ? w.clerk.name : "无人";
      li.innerHTML =
        '<a class="window-choice" href="/counter/' + w.id + '">' +
        '<span class="wnum"></span><span class="wname"></span>' +
        '<span class="wpost"></span><span class="wstate"></span></a>';
      li.querySelector(".wnum").textContent = w.number + " 号窗口";
      li.querySelector(".wname").textContent = w.name + (w.name === w.type_name ? "" : " · " + w.type_name);
      li.querySelector(".wpost").textContent = w.post + " 岗";
      li.querySelector(".wstate").textContent = status[0] + "（" + who + "）";
      list.appendChild(li);
    });
    if (!data.windows.length) {
      list.innerHTML = '<li class="empty">您没有被安排到任何窗口 <small lang="en">You hold no window post</small></li>';
    }
  }

  function start() {
    request("GET", "/api/v1/me/windows").then(function (data) {
      me = data.me;
      T($("who"), me.name + "（" + me.staff_no + "）");
      if (windowId) {
        var mine = data.windows.filter(function (w) { return w.id === windowId; })[0];
        if (!mine) {
          toast("您不是该窗口的 A 岗或 B 岗人员", "You hold no post at this window");
          showChooser(data);
          return;
        }
        myPost = mine.post;
        openPanel();
      } else {
        showChooser(data);
      }
    }, function (error) {
      if (error.status === 401) { showLogin(); return; }
      failed(error);
    });
  }

  // -- the panel ---------------------------------------------------------------------------
  function openPanel() {
    show("panel-view");
    request("GET", "/api/v1/windows/" + windowId + "/options").then(function (data) {
      options = data;
    }, failed);
    refreshNow().then(function () {
      if (!panel || live) return;
      live = window.HallqLive.connect({
        rooms: [{ window: windowId }, { hall: panel.window.hall_id }],
        mark: "#conn",
        onSnapshot: function (snap) {
          if (snap.server_time) serverOffset = Date.parse(snap.server_time) - Date.now();
          refreshSoon();
        },
        onEvent: function () { refreshSoon(); },
      });
    });
  }

  function refreshSoon() {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(refreshNow, 60);
  }

  // Every refresh (on each window or queue event) reads the panel again, the hall's queue rules
  // with it: a rule changed in the console (it sends queue_changed) shows without a reload.
  function refreshNow() {
    return Promise.all([
      request("GET", "/api/v1/windows/" + windowId),
      request("GET", "/api/v1/windows/" + windowId + "/stats"),
    ]).then(function (results) {
      panel = results[0];
      stats = results[1];
      serverOffset = Date.parse(stats.server_time) - Date.now();
      render();
    }, failed);
  }

  function isMine() {
    var clerk = panel.window.clerk;
    return Boolean(clerk && me && clerk.staff_no === me.staff_no);
  }

  function minutesText(seconds) {
    var minutes = Math.floor(seconds / 60);
    return minutes < 1 ? "不到 1 分钟" : minutes + " 分钟";
  }

  function render() {
    var w = panel.window;
    document.title = w.number + " 号窗口 — 窗口叫号";
    T($("where"), w.number + " 号窗口 · " + w.name + (w.name === w.type_name ? "" : " · " + w.type_name));
    T($("who"), me.name + "（" + me.staff_no + "）" + myPost + " 岗");
    renderBanner(w);
    renderCurrent();
    renderLists();
    renderCounts();
    renderButtons();
    // The case card (case.js) follows the ticket served.
    document.dispatchEvent(new CustomEvent("hallq:panel", { detail: { panel: panel, mine: isMine() } }));
  }

  function renderBanner(w) {
    var banner = $("state-banner");
    var action = $("banner-action");
    var zh = "", en = "", label = "", act = "";
    if (w.status === "closed") {
      zh = "窗口未开放"; en = "The window is closed";
      label = "开始服务"; act = "open";
    } else if (w.status === "paused") {
      zh = "暂停服务中：" + w.pause_reason; en = "Paused";
      if (isMine()) { label = "继续服务 (8)"; act = "resume"; }
      else {
        label = myPost === "B" ? "接岗（B 岗）" : "接岗";
        act = "resume";
        if (w.clerk) zh += "（" + w.clerk.name + "）";
      }
    } else if (!isMine()) {
      zh = "本窗口由 " + (w.clerk ? w.clerk.name + "（" + w.clerk.staff_no + "）" : "其他人员") +
        " 服务中，对方暂停或签退后您可接岗";
      en = "A colleague is working this window; take over once they pause or sign out";
    }
    banner.hidden = !zh;
    banner.dataset.status = w.status;
    banner.querySelector(".zh").textContent = zh;
    banner.querySelector(".en").textContent = en;
    action.hidden = !act;
    action.textContent = label;
    action.dataset.action = act;
  }

  function item(ticket) {
    var found = stats && stats.ticket_items && stats.ticket_items[String(ticket.id)];
    return found ? found.name : "—";
  }

  function renderCurrent() {
    var cur = panel.current;
    $("current").hidden = !cur;
    $("current-empty").hidden = Boolean(cur);
    if (!cur) return;
    T($("cur-number"), cur.number);
    var state = STATE_NAMES[cur.state] || [cur.state, ""];
    T($("cur-state"), state[0]);
    $("cur-state").dataset.state = cur.state;
    var prio = $("cur-priority");
    prio.hidden = cur.priority === "none";
    T(prio, "绿色通道 · " + cur.priority_name);
    $("cur-appointment").hidden = !cur.appointment;
    $("cur-transferred").hidden = !cur.transferred;
    T($("cur-category"), cur.category ? cur.category.prefix + " " + cur.category.name : "—");
    T($("cur-item"), item(cur));
    T($("cur-calls"), cur.times_called + " 次");
    tick();
  }

  function tick() {
    var cur = panel && panel.current;
    if (cur) {
      var issued = Date.parse(cur.issued_at);
      var called = Date.parse(cur.called_at);
      T($("cur-waited"), minutesText((called - issued) / 1000));
      if (cur.state === "serving" && cur.started_at) {
        $("cur-clock-label").innerHTML = '办理时长 <small lang="en">Serving for</small>';
        T($("cur-clock"), window.HallqLive.duration((serverNow() - Date.parse(cur.started_at)) / 1000));
      } else {
        $("cur-clock-label").innerHTML = '呼叫后 <small lang="en">Since the call</small>';
        T($("cur-clock"), window.HallqLive.duration((serverNow() - Date.parse(cur.last_called_at)) / 1000));
      }
    }
    if (panel) renderButtons();
  }
  setInterval(tick, 1000);

  function ticketRow(ticket, extra) {
    var li = document.createElement("li");
    li.className = "ticket-row";
    var num = document.createElement("span");
    num.className = "tnum";
    num.textContent = ticket.number;
    li.appendChild(num);
    var info = document.createElement("span");
    info.className = "tinfo";
    info.textContent = (ticket.category ? ticket.category.name : "") + (extra ? " · " + extra : "");
    li.appendChild(info);
    if (ticket.priority !== "none") {
      var b = document.createElement("span");
      b.className = "badge prio";
      b.textContent = ticket.priority_name;
      li.appendChild(b);
    }
    if (ticket.appointment) {
      var a = document.createElement("span");
      a.className = "badge appt";
      a.textContent = "预约";
      li.appendChild(a);
    }
    return li;
  }

  function renderLists() {
    var mine = isMine();
    var open = panel.window.status === "open";
    var held = $("held-list");
    held.textContent = "";
    panel.held.forEach(function (ticket) {
      var li = ticketRow(ticket, "暂离 " + minutesText((serverNow() - Date.parse(ticket.issued_at)) / 1000));
      var button = document.createElement("button");
      button.type = "button";
      button.className = "small-action";
      button.textContent = "继续办理 (9)";
      button.disabled = !mine || Boolean(panel.current);
      button.addEventListener("click", function () {
        act("resume-held", { ticket: ticket.id }, "继续办理 " + ticket.number);
      });
      li.appendChild(button);
      held.appendChild(li);
    });
    $("held-empty").hidden = panel.held.length > 0;

    var waiting = $("waiting-list");
    waiting.textContent = "";
    var chosen = panel.rules.allow_call_out_of_order;
    panel.waiting.forEach(function (ticket) {
      var waited = minutesText((serverNow() - Date.parse(ticket.issued_at)) / 1000);
      var li = ticketRow(ticket, "已等 " + waited);
      if (chosen) {
        var button = document.createElement("button");
        button.type = "button";
        button.className = "small-action";
        button.textContent = "叫此号";
        button.setAttribute("aria-label", "叫 " + ticket.number + " 号");
        button.disabled = !mine || !open || Boolean(panel.current);
        button.addEventListener("click", function () {
          act("call", { ticket: ticket.id }, STATE_NAMES.called[0] + " " + ticket.number);
        });
        li.appendChild(button);
      }
      waiting.appendChild(li);
    });
    $("waiting-empty").hidden = panel.waiting.length > 0;
  }

  function renderCounts() {
    var today = stats.today;
    T($("cnt-served"), today.served);
    T($("cnt-noshow"), today.no_show);
    T($("cnt-waiting"), panel.waiting_count);
    T($("cnt-hall"), panel.today.waiting || 0);
    T($("cnt-rating"), today.satisfaction_percent === null ? "—" : today.satisfaction_percent + "%");
  }

  function setButton(action, enabled, sub) {
    var button = $("btn-" + action);
    button.disabled = !enabled;
    T(button.querySelector(".sub"), sub || "");
  }

  function renderButtons() {
    var w = panel.window;
    var mine = isMine();
    var open = w.status === "open" && mine;
    var cur = panel.current;
    var called = Boolean(cur && cur.state === "called");
    var noShowSub = "";
    var noShowReady = false;
    if (called) {
      if (!cur.no_show_allowed_at) {
        noShowSub = "需再呼叫 " + Math.max(1, panel.rules.min_calls_before_no_show - cur.times_called) + " 次";
      } else {
        var left = Math.ceil((Date.parse(cur.no_show_allowed_at) - serverNow()) / 1000);
        noShowReady = left <= 0;
        noShowSub = noShowReady ? "" : left + " 秒后可用";
      }
    }
    // the one next step is highlighted: call someone, start serving the one called, finish
    var next = !cur ? "call-next" : called ? "start" : "finish";
    ["call-next", "start", "finish"].forEach(function (action) {
      $("btn-" + action).classList.toggle("next-step", action === next);
    });
    // why 过号 is not offered yet: the hall gives a citizen time to walk to the window
    var hint = $("no-show-hint");
    hint.hidden = !(mine && called && !noShowReady);
    T(hint.querySelector(".zh"), "过号须先呼叫 " + panel.rules.min_calls_before_no_show + " 次，最后一次呼叫后再等 " +
      panel.rules.min_seconds_before_no_show + " 秒，给群众走到窗口的时间（大厅设置）");
    T(hint.querySelector(".en"), "No-show needs " + panel.rules.min_calls_before_no_show + " calls, then " +
      panel.rules.min_seconds_before_no_show + " s after the last one, so the citizen can reach the window (hall setting)");
    setButton("call-next", open && (!cur || cur.state === "serving"),
      called ? "先办理或过号" : cur ? "并办结当前号" : "");
    setButton("recall", mine && called);
    setButton("start", mine && called);
    setButton("finish", mine && Boolean(cur));
    setButton("no-show", mine && called && noShowReady, noShowSub);
    setButton("hold", mine && Boolean(cur));
    setButton("transfer", mine && (Boolean(cur) || panel.held.length > 0));
    var pause = $("btn-pause");
    var paused = w.status === "paused";
    pause.querySelector(".zh").textContent = paused ? "继续服务" : "暂停服务";
    pause.querySelector(".en").textContent = paused ? "Resume" : "Pause";
    setButton("pause", paused ? true : open);
  }

  // -- actions -----------------------------------------------------------------------------
  function act(action, body, okText) {
    if (busy) return Promise.resolve();
    busy = true;
    return request("POST", "/api/v1/windows/" + windowId + "/" + action, body || {}).then(
      function (data) {
        busy = false;
        if (action === "call-next" && data && data.ticket === null) {
          toast("当前没有可叫的号", "Nobody is waiting for this window", "info");
        } else if (data && data.ticket && (action === "call-next" || action === "recall")) {
          toast((action === "recall" ? "重呼 " : STATE_NAMES.called[0] + " ") + data.ticket.number, "", "ok");
        } else if (okText) {
          toast(okText, "", "ok");
        }
        return refreshNow();
      },
      function (error) { busy = false; failed(error); return refreshNow(); }
    );
  }

  function onAction(action) {
    if (action === "finish") return openFinish();
    if (action === "transfer") return openTransfer();
    if (action === "pause") {
      if (panel.window.status === "paused") return act("resume", {}, "已继续服务");
      return openPause();
    }
    return act(action);
  }

  Array.prototype.forEach.call(document.querySelectorAll(".action"), function (button) {
    button.addEventListener("click", function () { onAction(button.dataset.action); });
  });
  $("banner-action").addEventListener("click", function () {
    var action = $("banner-action").dataset.action;
    if (action) act(action, {}, action === "open" ? "已开始服务" : "已继续服务");
  });
  $("close-window").addEventListener("click", function () {
    if (window.confirm("确定关闭本窗口？ Close this window?")) act("close", {}, "窗口已关闭");
  });

  // -- dialogs -----------------------------------------------------------------------------
  function radio(name, value, label, checked) {
    var el = document.createElement("label");
    var input = document.createElement("input");
    input.type = "radio";
    input.name = name;
    input.value = value;
    input.checked = Boolean(checked);
    el.appendChild(input);
    el.appendChild(document.createTextNode(" " + label));
    return el;
  }

  function openFinish() {
    var cur = panel.current;
    if (!cur || !options) return;
    var outcomes = $("finish-outcomes");
    outcomes.textContent = "";
    options.outcomes.forEach(function (o, i) {
      outcomes.appendChild(radio("outcome", o.code, o.name + "（" + o.name_en + "）", i === 0));
    });
    var items = $("finish-items");
    items.textContent = "";
    var chosenItem = stats.ticket_items && stats.ticket_items[String(cur.id)];
    var catId = cur.category ? cur.category.id : null;
    options.service_items
      .filter(function (i) { return i.category_id === catId; })
      .concat(options.service_items.filter(function (i) { return i.category_id !== catId; }))
      .slice(0, 40)
      .forEach(function (i) {
        var label = document.createElement("label");
        var box = document.createElement("input");
        box.type = "checkbox";
        box.value = i.id;
        box.checked = Boolean(chosenItem && chosenItem.id === i.id);
        label.appendChild(box);
        label.appendChild(document.createTextNode(" " + i.name));
        items.appendChild(label);
      });
    $("finish-dialog").showModal();
    $("finish-dialog").querySelector("button[value=ok]").focus();
  }
  $("finish-dialog").addEventListener("close", function () {
    if ($("finish-dialog").returnValue !== "ok") return;
    var outcome = $("finish-form").querySelector("input[name=outcome]:checked");
    var items = Array.prototype.map.call(
      $("finish-items").querySelectorAll("input:checked"), function (b) { return parseInt(b.value, 10); });
    act("finish", { outcome: outcome ? outcome.value : "completed", items: items }, "已办结");
  });

  function openPause() {
    if (!options) return;
    var box = $("pause-reasons");
    box.textContent = "";
    options.pause_reasons.forEach(function (r, i) {
      box.appendChild(radio("reason", r.name, r.name + "（" + r.name_en + "）", i === 0));
    });
    box.appendChild(radio("reason", "", "其他（Other）", false));
    $("pause-other").value = "";
    $("pause-dialog").showModal();
    $("pause-dialog").querySelector("button[value=ok]").focus();
  }
  $("pause-other").addEventListener("input", function () {
    var other = $("pause-reasons").querySelector("input[value='']");
    if (other) other.checked = true;
  });
  $("pause-dialog").addEventListener("close", function () {
    if ($("pause-dialog").returnValue !== "ok") return;
    var chosen = $("pause-reasons").querySelector("input:checked");
    var reason = chosen && chosen.value ? chosen.value : $("pause-other").value.trim();
    if (!reason) { toast("请填写暂停原因", "Give a reason for the pause"); return; }
    act("pause", { reason: reason }, "已暂停服务");
  });

  function fillTargets() {
    var kind = $("transfer-form").querySelector("input[name=kind]:checked").value;
    var select = $("transfer-target");
    select.textContent = "";
    var rows = kind === "category" ? options.categories : kind === "window" ? options.windows : options.clerks;
    rows.forEach(function (row) {
      var opt = document.createElement("option");
      opt.value = row.id;
      opt.textContent = kind === "category" ? row.prefix + " " + row.name
        : kind === "window" ? row.number + " 号窗口 " + row.name
        : row.name + "（" + row.staff_no + "，" + row.department + "）";
      select.appendChild(opt);
    });
  }
  Array.prototype.forEach.call(document.querySelectorAll("#transfer-form input[name=kind]"), function (r) {
    r.addEventListener("change", fillTargets);
  });
  function openTransfer() {
    if (!options) return;
    var ticket = panel.current || panel.held[0];
    if (!ticket) return;
    T($("transfer-number"), ticket.number);
    fillTargets();
    $("transfer-note").value = "";
    $("transfer-dialog").showModal();
    $("transfer-target").focus();
  }
  $("transfer-dialog").addEventListener("close", function () {
    if ($("transfer-dialog").returnValue !== "ok") return;
    var kind = $("transfer-form").querySelector("input[name=kind]:checked").value;
    var body = { note: $("transfer-note").value.trim() };
    body[kind] = parseInt($("transfer-target").value, 10);
    act("transfer", body, "已转移");
  });

  // -- keyboard ----------------------------------------------------------------------------
  var KEYS = {};
  Array.prototype.forEach.call(document.querySelectorAll(".action"), function (button) {
    KEYS[button.getAttribute("aria-keyshortcuts")] = button;
  });
  document.addEventListener("keydown", function (event) {
    if ($("panel-view").hidden || event.ctrlKey || event.altKey || event.metaKey) return;
    if (document.querySelector("dialog[open]")) return;
    var tag = (event.target && event.target.tagName) || "";
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT") return;
    var key = event.key;
    if (KEYS[key]) {
      event.preventDefault();
      if (!KEYS[key].disabled) KEYS[key].click();
    } else if (key === "9" && panel && panel.held.length && isMine() && !panel.current) {
      event.preventDefault();
      act("resume-held", { ticket: panel.held[0].id }, "继续办理 " + panel.held[0].number);
    }
  });

  // -- start -------------------------------------------------------------------------------
  if (signedIn) start(); else showLogin();
})();
