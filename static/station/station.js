/* The village station's page: sign in, take an application in for the town's back office
   (代办、转报), follow the station's cases, hand out those sent back here. Everything goes
   through /api/v1 with the session cookie and X-CSRF-Token. */
(function () {
  "use strict";

  var root = document.getElementById("station");
  if (!root) return;
  var HALL = root.dataset.hall;
  var csrf = root.dataset.csrf || "";
  var $ = function (id) { return document.getElementById(id); };
  var items = {};

  var LIGHTS = {
    green: ["正常", "On time"],
    yellow: ["即将到期", "Due within a working day"],
    red: ["已超期", "Overdue"],
  };
  var STATUS = [["provided", "已提供", "Provided"], ["missing", "缺", "Missing"], ["na", "不适用", "Not applicable"]];

  function request(method, url, body) {
    // One helper for every page's calls; its refusals carry the API's bilingual error.
    return window.HallqHttp.request(method, url, method === "GET" ? undefined : body || {}, { csrf: csrf });
  }

  function say(zh, en, ok) {
    $("message-zh").textContent = zh;
    $("message-en").textContent = en || "";
    $("message").className = "message" + (ok ? " ok" : "");
    $("message").hidden = false;
  }
  function failed(error) {
    var data = error.data || {};
    var zh = data.message || "请求失败";
    say(zh, data.message_en || "");
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function both(tag, cls, zh, en) {
    var node = el(tag, cls, zh + " ");
    var span = el("span", "en", en);
    span.lang = "en";
    node.appendChild(span);
    return node;
  }

  // -- sign-in -----------------------------------------------------------------------------
  var login = $("login-form");
  if (login) {
    login.addEventListener("submit", function (event) {
      event.preventDefault();
      request("POST", "/api/v1/auth/login", {
        staff_no: $("staff-no").value.trim(), password: $("password").value,
      }).then(function () { window.location.reload(); }, failed);
    });
    return;
  }
  if (!root.dataset.me) return;

  // -- the form ----------------------------------------------------------------------------
  function showMaterials() {
    var item = items[$("item").value];
    var box = $("materials");
    box.textContent = "";
    $("materials-box").hidden = !item;
    $("item-limit").textContent = item
      ? "承诺时限 " + item.time_limit_days + " 个工作日（镇便民服务中心审批） · " + item.time_limit_days + " working days"
      : "";
    if (!item) return;
    item.materials.forEach(function (name, index) {
      var row = el("div", "material");
      var id = "material-" + index;
      var label = el("label", "", name);
      label.htmlFor = id;
      var select = el("select");
      select.id = id;
      select.dataset.name = name;
      STATUS.forEach(function (s) {
        var option = el("option", "", s[1] + " " + s[2]);
        option.value = s[0];
        select.appendChild(option);
      });
      row.appendChild(label);
      row.appendChild(select);
      box.appendChild(row);
    });
  }
  $("item").addEventListener("change", showMaterials);

  $("case-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var materials = {};
    Array.prototype.forEach.call($("materials").querySelectorAll("select"), function (s) {
      materials[s.dataset.name] = s.value;
    });
    var body = {
      item: parseInt($("item").value, 10) || 0,
      applicant: { name: $("name").value.trim(), phone: $("phone").value.trim(), id_number: $("id_number").value.trim() },
      materials: materials,
      accept_with_missing: $("accept").checked,
    };
    $("submit").disabled = true;
    request("POST", "/api/v1/stations/" + HALL + "/cases", body).then(function (made) {
      $("message").hidden = true;
      $("done").hidden = false;
      $("done-number").textContent = made.number;
      $("done-text").textContent = "已转报" + made.town.name + "，承诺办结日 " + made.deadline +
        (made.deadline_provisional ? "（暂定）" : "") + " · Forwarded to the town; promised by " + made.deadline;
      ["name", "phone", "id_number"].forEach(function (id) { $(id).value = ""; });
      $("done").scrollIntoView({ block: "center" });
      $("accept").checked = false;
      load();
    }, failed).then(function () { $("submit").disabled = false; });
  });

  // -- the list ----------------------------------------------------------------------------
  function caseRow(c) {
    var li = el("li");
    li.appendChild(el("p", "number", c.number));
    li.appendChild(el("p", "", (c.item ? c.item.name : "") + " · " + c.applicant.name));
    li.appendChild(both("p", "state", c.state_name, c.state_name_en));
    if (c.deadline && !["approved", "refused", "delivered"].includes(c.state)) {
      var light = LIGHTS[c.light] || ["", ""];
      li.appendChild(both("p", "light-" + c.light, "承诺办结日 " + c.deadline + " · " + light[0],
        "Promised by " + c.deadline + " · " + light[1]));
    }
    if (c.state === "correction" && c.missing.length) {
      li.appendChild(both("p", "light-yellow", "需补交：" + c.missing.join("、"), "Materials needed"));
    }
    if (c.ready_here) {
      li.appendChild(both("p", "ready", "结果已送到本站，请通知群众来领取", "The result is here: call the applicant"));
      var button = both("button", "button", "已交给群众（站点出件）", "Handed over at the station");
      button.type = "button";
      button.addEventListener("click", function () {
        button.disabled = true;
        request("POST", "/api/v1/cases/" + c.id + "/deliver", { how: "station" }).then(function () {
          say("已出件：" + c.number, "Handed over: " + c.number, true);
          load();
        }, function (error) { button.disabled = false; failed(error); });
      });
      li.appendChild(button);
    }
    return li;
  }

  function load() {
    return request("GET", "/api/v1/stations/" + HALL + "/cases").then(function (data) {
      var select = $("item");
      if (select.options.length === 1) {
        data.items.forEach(function (item) {
          items[item.id] = item;
          var option = el("option", "", item.name);
          option.value = item.id;
          select.appendChild(option);
        });
      }
      var list = $("cases");
      list.textContent = "";
      data.cases.forEach(function (c) { list.appendChild(caseRow(c)); });
      $("empty").hidden = data.cases.length > 0;
    }, failed);
  }
  load();
})();
