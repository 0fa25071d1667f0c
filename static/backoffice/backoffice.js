/* The back office's workbench (审批工作台): sign in, see the department's cases ordered by time
   left with their light, claim, approve, return for correction, refuse. Live over Socket.IO:
   every case_changed of the hall's back-office room reads the list again. */
(function () {
  "use strict";

  var app = document.getElementById("app");
  var csrf = app.dataset.csrf || "";
  var hall = parseInt(app.dataset.hall, 10) || null;
  var $ = function (id) { return document.getElementById(id); };
  var bench = null;
  var live = null;
  var busy = false;
  var timer = null;
  var acting = null;  // the case a dialog acts on
  var LIGHTS = { green: ["绿灯", "On time"], yellow: ["黄灯", "1 day left"], red: ["红灯", "Overdue"] };
  var STEP = { pending: "待审", approved: "已通过", refused: "不予许可" };

  function request(method, url, body) {
    // One helper for every page's calls; its refusals carry the API's bilingual error.
    return window.HallqHttp.request(method, url, method === "GET" ? undefined : body || {}, { csrf: csrf });
  }

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
    if (error.status === 401) { show(false); }
    toast(error.data.message, error.data.message_en, "error");
  }

  function show(signedIn) {
    $("login-view").hidden = signedIn;
    $("bench-view").hidden = !signedIn;
    $("sign-out").hidden = !signedIn;
  }

  $("login-form").addEventListener("submit", function (event) {
    event.preventDefault();
    request("POST", "/api/v1/auth/login", {
      staff_no: $("staff-no").value.trim(), password: $("password").value,
    }).then(function (data) {
      csrf = data.csrf_token;
      hall = data.clerk.hall_id || hall;
      $("password").value = "";
      $("who").textContent = data.clerk.name + "（" + data.clerk.staff_no + "）";
      start();
    }, failed);
  });
  $("sign-out").addEventListener("click", function () {
    request("POST", "/api/v1/auth/logout", {}).then(function () { window.location.href = "/backoffice"; },
      function () { window.location.href = "/backoffice"; });
  });

  function start() {
    show(true);
    refresh().then(function () {
      if (live || !bench) return;
      live = window.HallqLive.connect({
        rooms: [{ backoffice: bench.hall_id }],
        events: ["case_changed"],
        mark: "#conn",
        onSnapshot: refreshSoon,
        onEvent: refreshSoon,
      });
    });
  }

  function refreshSoon() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 80);
  }

  function refresh() {
    return request("GET", "/api/v1/backoffice/cases").then(function (data) {
      bench = data;
      render();
    }, failed);
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text != null) node.textContent = text;
    return node;
  }

  function button(zh, en, kind, onClick) {
    var b = el("button", "big" + (kind ? " " + kind : ""));
    b.type = "button";
    b.appendChild(document.createTextNode(zh + " "));
    var small = el("small", "", en);
    small.lang = "en";
    b.appendChild(small);
    b.addEventListener("click", onClick);
    return b;
  }

  function render() {
    $("department").textContent = bench.department || "（未设部门）";
    $("where").textContent = bench.department ? bench.department : "";
    var list = $("bench");
    list.textContent = "";
    $("bench-empty").hidden = bench.cases.length > 0;
    bench.cases.forEach(function (c) {
      var li = el("li", "case-row");
      li.dataset.light = c.light || "";
      li.dataset.number = c.number;
      var light = el("span", "light light-" + (c.light || "green"), c.light ? LIGHTS[c.light][0] : "—");
      li.appendChild(light);
      var main = el("div", "case-main");
      main.appendChild(el("span", "num", c.number));
      main.appendChild(el("span", "what", (c.item ? c.item.name : "") + " · " + c.applicant.name + " · " + c.state_name));
      main.appendChild(el("span", "when", "承诺办结 " + (c.deadline || "待定") + (c.deadline_provisional ? "（暂定）" : "") +
        " · 受理 " + c.received_on));
      var steps = el("ul", "steps");
      steps.setAttribute("aria-label", "并联审批 Parallel sign-off");
      c.steps.forEach(function (s) {
        var chip = el("li", "step", s.department + "：" + STEP[s.state] + (s.approver ? "（" + s.approver + "）" : ""));
        chip.dataset.state = s.state;
        steps.appendChild(chip);
      });
      main.appendChild(steps);
      if (c.missing.length) main.appendChild(el("p", "case-missing", "需补正：" + c.missing.join("、")));
      li.appendChild(main);
      var actions = el("div", "case-actions");
      var mine = c.my_step;
      if (c.state === "in_review" && mine && mine.state === "pending") {
        if (mine.approver_id == null) {
          actions.appendChild(button("认领", "Claim", "", function () { act(c, "claim", {}, "已认领 " + c.number); }));
        }
        if (mine.approver_id == null || mine.approver_id === bench.me.id) {
          actions.appendChild(button("通过", "Approve", "primary", function () { act(c, "approve", {}, "已通过 " + c.number); }));
          actions.appendChild(button("退回补正", "Return", "", function () { openReturn(c); }));
          actions.appendChild(button("不予许可", "Refuse", "danger", function () { openRefuse(c); }));
        } else {
          actions.appendChild(el("span", "hint", "已由 " + mine.approver + " 认领"));
        }
      }
      li.appendChild(actions);
      list.appendChild(li);
    });
  }

  function act(c, action, body, okText) {
    if (busy) return;
    busy = true;
    request("POST", "/api/v1/cases/" + c.id + "/" + action, body).then(function () {
      busy = false;
      toast(okText, "", "ok");
      refresh();
    }, function (error) { busy = false; failed(error); refresh(); });
  }

  function openReturn(c) {
    acting = c;
    $("return-number").textContent = c.number;
    var box = $("return-materials");
    box.textContent = "";
    c.materials.forEach(function (m) {
      var label = el("label");
      var input = document.createElement("input");
      input.type = "checkbox";
      input.value = m.name;
      label.appendChild(input);
      label.appendChild(document.createTextNode(" " + m.name));
      box.appendChild(label);
    });
    $("return-other").value = "";
    $("return-note").value = "";
    $("return-dialog").showModal();
  }
  $("return-dialog").addEventListener("close", function () {
    if ($("return-dialog").returnValue !== "ok" || !acting) return;
    var missing = Array.prototype.map.call($("return-materials").querySelectorAll("input:checked"), function (i) { return i.value; });
    if ($("return-other").value.trim()) missing.push($("return-other").value.trim());
    if (!missing.length) { toast("请选择缺少的材料", "Choose the missing materials"); return; }
    act(acting, "return", { missing: missing, note: $("return-note").value.trim() }, "已退回补正 " + acting.number);
  });

  function openRefuse(c) {
    acting = c;
    $("refuse-number").textContent = c.number;
    $("refuse-reason").value = "";
    $("refuse-dialog").showModal();
  }
  $("refuse-dialog").addEventListener("close", function () {
    if ($("refuse-dialog").returnValue !== "ok" || !acting) return;
    var reason = $("refuse-reason").value.trim();
    if (!reason) { toast("不予许可须写明理由", "A refusal needs its reason"); return; }
    act(acting, "refuse", { reason: reason }, "已不予许可 " + acting.number);
  });

  if (app.dataset.me) start(); else show(false);
})();
