/* 办件 at the counter: while a ticket is served, the clerk registers a case for it (applicant,
   the item's materials checklist, 容缺受理), prints its 受理回执, or prints the 一次性告知 of
   what is missing; the card shows the case of the ticket (registered for it, or a 出件 ticket
   taken for it) with its light, 补正 and 出件. Every change goes through /api/v1. */
(function () {
  "use strict";

  var C = window.HallqCounter;
  var $ = function (id) { return document.getElementById(id); };
  var windowId = C.windowId;
  var panel = null;
  var mine = false;
  var shownFor = null;   // the ticket id the card was read for
  var current = null;    // GET /windows/<id>/case
  var options = null;    // the window's options (its hall's service items)
  var item = null;       // the chosen item with its materials
  var live = null;       // the hall's back-office room: decisions on the case shown
  var LIGHTS = { green: ["绿灯", "on time"], yellow: ["黄灯", "1 day left"], red: ["红灯", "overdue"] };

  function text(el, value) { el.textContent = value == null ? "" : String(value); }

  document.addEventListener("hallq:panel", function (event) {
    panel = event.detail.panel;
    mine = event.detail.mine;
    var cur = panel.current;
    $("case-card").hidden = !cur;
    $("case-register").disabled = !(cur && mine);
    if (!live && window.HallqLive) {
      // The back office's decisions reach the card at once (the case's number and state only).
      live = window.HallqLive.connect({
        rooms: [{ backoffice: panel.window.hall_id }],
        events: ["case_changed"],
        onEvent: function (name, payload) {
          if (current && current.case && payload.id === current.case.id) load();
        },
      });
    }
    if (!cur) { shownFor = null; current = null; return; }
    if (shownFor !== cur.id) { shownFor = cur.id; load(); }
  });

  function load() {
    return C.request("GET", "/api/v1/windows/" + windowId + "/case").then(function (data) {
      current = data;
      render();
    }, C.failed);
  }

  function render() {
    var c = current && current.case;
    $("case-none").hidden = Boolean(c);
    $("case-info").hidden = !c;
    $("case-print").hidden = !c;
    $("case-resubmit").hidden = !(c && c.state === "correction");
    $("case-deliver").hidden = !(c && (c.state === "approved" || c.state === "refused"));
    $("case-register").hidden = Boolean(c);
    if (!c) return;
    $("case-pickup").hidden = !current.pickup;
    text($("case-number"), c.number);
    var light = $("case-light");
    light.className = "light" + (c.light ? " light-" + c.light : "");
    text(light, c.light ? LIGHTS[c.light][0] : "");
    light.hidden = !c.light || c.state === "delivered";
    text($("case-item"), c.item ? c.item.name : "");
    text($("case-state"), c.state_name + "（" + c.state_name_en + "）");
    text($("case-deadline"), c.deadline ? c.deadline + (c.deadline_provisional ? "（暂定）" : "") : "待定");
    text($("case-applicant"), c.applicant.name + " " + c.applicant.phone);
    $("case-missing").hidden = !c.missing.length;
    text($("case-missing"), "需补正：" + c.missing.join("、"));
  }

  // -- registering ---------------------------------------------------------------------------
  function hallId() { return panel.window.hall_id; }

  function openDialog() {
    if (!panel || !panel.current || !mine) return;
    var ready = options ? Promise.resolve(options)
      : C.request("GET", "/api/v1/windows/" + windowId + "/options").then(function (data) { options = data; return data; });
    ready.then(function () {
      var select = $("case-item-select");
      select.textContent = "";
      var cur = panel.current;
      var catId = cur.category ? cur.category.id : null;
      var chosen = cur.service_item_id || null;
      options.service_items
        .filter(function (i) { return i.category_id === catId; })
        .concat(options.service_items.filter(function (i) { return i.category_id !== catId; }))
        .forEach(function (i) {
          var opt = document.createElement("option");
          opt.value = i.id;
          opt.textContent = i.name;
          if (chosen === i.id) opt.selected = true;
          select.appendChild(opt);
        });
      ["case-name", "case-phone", "case-id-number"].forEach(function (id) { $(id).value = ""; });
      $("case-accept").checked = false;
      $("case-refused").hidden = true;
      chooseItem().then(function () {
        $("case-dialog").showModal();
        $("case-name").focus();
      });
    }, C.failed);
  }

  function chooseItem() {
    var id = parseInt($("case-item-select").value, 10);
    return C.request("GET", "/api/v1/halls/" + hallId() + "/service-items/" + id).then(function (reply) {
      var data = reply.item;
      item = data;
      text($("case-item-limit"), "承诺时限：" + data.time_limit + "（" + data.time_limit_en + "）");
      var body = $("case-materials");
      body.textContent = "";
      data.materials.forEach(function (name, index) {
        var tr = document.createElement("tr");
        var th = document.createElement("td");
        th.textContent = name;
        th.id = "case-material-" + index;
        tr.appendChild(th);
        [["provided", "已提供"], ["missing", "缺"], ["na", "不适用"]].forEach(function (choice) {
          var td = document.createElement("td");
          var input = document.createElement("input");
          input.type = "radio";
          input.name = "material-" + index;
          input.value = choice[0];
          input.checked = choice[0] === "provided";
          input.setAttribute("aria-label", name + "：" + choice[1]);
          td.appendChild(input);
          tr.appendChild(td);
        });
        body.appendChild(tr);
      });
      $("case-refused").hidden = true;
    }, C.failed);
  }
  $("case-item-select").addEventListener("change", chooseItem);

  function checklist() {
    var marks = {};
    item.materials.forEach(function (name, index) {
      var checked = document.querySelector("input[name='material-" + index + "']:checked");
      marks[name] = checked ? checked.value : "provided";
    });
    return marks;
  }

  function register() {
    var body = {
      item: item.id,
      applicant: { name: $("case-name").value.trim(), phone: $("case-phone").value.trim(), id_number: $("case-id-number").value.trim().toUpperCase() },
      materials: checklist(),
      accept_with_missing: $("case-accept").checked,
    };
    return C.request("POST", "/api/v1/windows/" + windowId + "/cases", body).then(function (made) {
      $("case-dialog").close("done");
      C.toast("已受理 " + made.number + "，承诺 " + made.deadline + " 办结", "Case registered", "ok");
      return C.request("POST", "/api/v1/cases/" + made.id + "/receipt", {}).then(function () {
        C.toast("已受理 " + made.number + "，回执已打印", "Case registered, receipt printed", "ok");
      }, C.failed);
    }, function (error) {
      if (error.status === 422 && error.data.error === "materials_missing") {
        text($("case-refused-list"), error.data.missing.join("、"));
        $("case-refused").hidden = false;
        $("case-notice").focus();
        return;
      }
      C.failed(error);
    }).then(load);
  }

  $("case-form").addEventListener("submit", function (event) {
    var submitter = event.submitter;
    if (submitter && submitter.value === "cancel") return;  // the dialog closes
    event.preventDefault();
    if (!$("case-form").reportValidity()) return;
    register();
  });
  $("case-accept-now").addEventListener("click", function () {
    $("case-accept").checked = true;
    register();
  });
  $("case-notice").addEventListener("click", function () {
    var marks = checklist();
    var missing = Object.keys(marks).filter(function (name) { return marks[name] === "missing"; });
    C.request("POST", "/api/v1/windows/" + windowId + "/missing-notice", { item: item.id, missing: missing }).then(function () {
      $("case-dialog").close("notice");
      C.toast("一次性告知单已打印", "The list of missing materials is printed", "ok");
    }, C.failed);
  });

  // -- the case of the ticket ----------------------------------------------------------------
  function caseAction(action, body, okZh, okEn) {
    var c = current && current.case;
    if (!c) return;
    C.request("POST", "/api/v1/cases/" + c.id + "/" + action, body || {}).then(function () {
      C.toast(okZh, okEn, "ok");
      return load();
    }, C.failed);
  }
  $("case-register").addEventListener("click", openDialog);
  $("case-print").addEventListener("click", function () { caseAction("receipt", {}, "回执已打印", "Receipt printed"); });
  $("case-resubmit").addEventListener("click", function () {
    caseAction("resubmit", {}, "补正材料已收齐，办件回到审批", "Back in review");
  });
  $("case-deliver").addEventListener("click", function () {
    caseAction("deliver", { how: "window" }, "已出件", "Handed out");
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "0" || event.ctrlKey || event.altKey || event.metaKey) return;
    if (document.querySelector("dialog[open]")) return;
    var tag = (event.target && event.target.tagName) || "";
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT") return;
    if (!$("case-register").disabled && !$("case-register").hidden && !$("case-card").hidden) {
      event.preventDefault();
      openDialog();
    }
  });
})();
