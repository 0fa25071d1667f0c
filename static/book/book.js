/* The booking page (/book/<hall>): service → day and time → details → booking code.
   The same page, in "manage" mode, looks a booking up by its code to move or cancel it.
   Plain JavaScript; every request goes to /api/v1 and every refusal is shown in Chinese and
   English as the server wrote it. */
(function () {
  "use strict";

  var root = document.getElementById("book");
  var HALL = Number(root.dataset.hall);
  var CSRF = root.dataset.csrf || "";
  var AGENT = !!root.dataset.agent;

  var state = { item: null, kind: "appointment", day: null, slot: null, booking: null, moving: false };

  function $(id) { return document.getElementById(id); }

  function el(tag, props, children) {
    var node = document.createElement(tag);
    Object.keys(props || {}).forEach(function (key) {
      if (key === "text") node.textContent = props[key];
      else if (key === "className") node.className = props[key];
      else if (key.indexOf("data-") === 0 || key.indexOf("aria-") === 0 || key === "lang" || key === "type") node.setAttribute(key, props[key]);
      else node[key] = props[key];
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }

  function bilingual(tag, zh, en, className) {
    return el(tag, { className: className || "" }, [
      document.createTextNode(zh),
      en ? el("span", { className: "en", lang: "en", text: en }) : null,
    ]);
  }

  // static/common/http.js: a refusal is the API's bilingual error (status, message, message_en).
  function api(method, path, body) {
    return window.HallqHttp.request(method, path, body, { csrf: CSRF });
  }

  function say(error, ok) {
    var box = $("message");
    $("message-zh").textContent = error.message;
    $("message-en").textContent = error.message_en;
    box.classList.toggle("ok", !!ok);
    box.hidden = false;
    box.scrollIntoView({ block: "center" });
  }

  function quiet() { $("message").hidden = true; }

  var STEPS = ["step-item", "step-when", "step-details", "step-done", "step-find"];
  function show(id) {
    STEPS.forEach(function (step) { $(step).hidden = step !== id; });
    var heading = $(id).querySelector("h2");
    window.scrollTo(0, 0);
    if (heading) { heading.setAttribute("tabindex", "-1"); heading.focus({ preventScroll: true }); }
  }

  // -- 1. the service ------------------------------------------------------------------------
  var searchTimer = null;
  function loadItems() {
    var q = $("q").value.trim();
    api("GET", "/halls/" + HALL + "/booking/items?q=" + encodeURIComponent(q)).then(renderItems, say);
  }
  function renderItems(result) {
    var list = $("items");
    list.textContent = "";
    if (!result.items.length) {
      list.appendChild(bilingual("li", "没有找到可预约的事项，请换个说法", "No bookable service found; try other words", "empty"));
      return;
    }
    result.items.forEach(function (item) {
      var meta = (item.category ? item.category.name + " · " : "") + "可提前 " + item.booking.days_ahead + " 天预约";
      var button = el("button", { type: "button", "data-item": String(item.id) }, [
        document.createTextNode(item.name),
        item.name_en ? el("span", { className: "en", lang: "en", text: item.name_en }) : null,
        el("span", { className: "item-meta", text: meta }),
      ]);
      button.addEventListener("click", function () { chooseItem(item); });
      list.appendChild(el("li", {}, [button]));
    });
  }

  // -- 2. the day and the time ---------------------------------------------------------------
  function renderItemCard(item) {
    $("item-name").textContent = item.name;
    $("item-name-en").textContent = item.name_en || "";
    fillMaterials($("materials"), item.materials);
    $("item-limit").textContent = "办理时限：" + item.time_limit + "　" + (item.time_limit_en || "");
  }
  function fillMaterials(list, materials) {
    list.textContent = "";
    (materials || []).forEach(function (m) { list.appendChild(el("li", { text: m })); });
    if (!materials || !materials.length) list.appendChild(el("li", { text: "无需材料 No documents needed" }));
  }

  function chooseItem(item) {
    quiet();
    state.item = item;
    state.day = null;
    state.slot = null;
    renderItemCard(item);
    $("kind-choice").hidden = state.moving;
    $("change-item").hidden = state.moving;
    show("step-when");
    loadDays();
  }

  function loadDays() {
    $("slots-box").hidden = true;
    $("days").textContent = "";
    api("GET", "/halls/" + HALL + "/booking/items/" + state.item.id + "/days").then(renderDays, say);
  }
  function renderDays(result) {
    var box = $("days");
    box.textContent = "";
    var visit = state.kind === "home_visit";
    result.days.forEach(function (day) {
      var usable = visit ? day.open : day.bookable;
      var sub = visit ? (day.open ? "可申请" : day.reason_text) : day.reason_text;
      var subEn = visit ? (day.open ? "Open" : day.reason_text_en) : day.reason_text_en;
      var button = el("button", { type: "button", "data-date": day.date, "aria-pressed": "false" }, [
        document.createTextNode(day.label + (day.today ? "（今天）" : "")),
        el("span", { className: "sub", text: sub }),
        el("span", { className: "en", lang: "en", text: day.label_en + " · " + subEn }),
      ]);
      button.disabled = !usable;
      button.addEventListener("click", function () { chooseDay(day, button); });
      box.appendChild(button);
    });
  }

  function press(container, button) {
    Array.prototype.forEach.call(container.querySelectorAll("button"), function (b) {
      b.setAttribute("aria-pressed", b === button ? "true" : "false");
    });
  }

  function chooseDay(day, button) {
    quiet();
    state.day = day;
    press($("days"), button);
    if (state.kind === "home_visit") {
      toDetails();
      return;
    }
    api("GET", "/halls/" + HALL + "/booking/items/" + state.item.id + "/slots?date=" + day.date).then(renderSlots, say);
  }
  function renderSlots(result) {
    var box = $("slots");
    box.textContent = "";
    $("day-text").textContent = result.text;
    result.slots.forEach(function (slot) {
      var free = slot.free > 0;
      var special = slot.session_kind !== "regular";
      var button = el("button", { type: "button", "data-start": slot.start, "aria-pressed": "false" }, [
        document.createTextNode(slot.label),
        el("span", { className: "sub", text: free ? "余 " + slot.free + " 个名额" : "已约满" }),
        el("span", { className: "en", lang: "en", text: free ? slot.free + " left" : "Full" }),
        special || slot.appointment_only ? el("span", {
          className: "tag-appt",
          text: slot.session_name + (slot.appointment_only && slot.session_name.indexOf("预约") < 0 ? "·仅限预约" : ""),
        }) : null,
      ]);
      button.disabled = !free;
      button.addEventListener("click", function () { chooseSlot(slot, button); });
      box.appendChild(button);
    });
    if (!result.slots.length) box.appendChild(bilingual("p", "当天没有可预约的时段", "No slots that day", "empty"));
    $("slots-box").hidden = false;
    $("slots-box").scrollIntoView({ block: "start" });
  }

  function chooseSlot(slot, button) {
    quiet();
    state.slot = slot;
    press($("slots"), button);
    if (state.moving) {
      api("POST", "/bookings/" + state.booking.code + "/move", { start: slot.start }).then(function (view) {
        state.moving = false;
        showBooking(view, "改约成功", "Booking moved");
      }, say);
      return;
    }
    toDetails();
  }

  // -- 3. details ------------------------------------------------------------------------------
  function toDetails() {
    var visit = state.kind === "home_visit";
    $("visit-fields").hidden = !visit;
    var when = visit ? state.day.label + "（上门服务）" : state.day.label + " " + state.slot.label;
    var chosen = $("chosen");
    chosen.textContent = "";
    chosen.appendChild(document.createTextNode(state.item.name + "　" + when));
    chosen.appendChild(el("span", { className: "en", lang: "en", text: (state.item.name_en || state.item.name) + " · " + state.day.label_en + (visit ? " (home visit)" : " " + state.slot.label) }));
    show("step-details");
  }

  function submitDetails(event) {
    event.preventDefault();
    quiet();
    var visit = state.kind === "home_visit";
    var body = {
      item: state.item.id,
      kind: state.kind,
      name: $("name").value,
      phone: $("phone").value,
      id_number: $("id_number").value.trim().toUpperCase(),
    };
    if (visit) {
      body.day = state.day.date;
      body.address = $("address").value;
      if ($("note").value.trim()) body.note = $("note").value.trim();
    } else {
      body.start = state.slot.start;
    }
    if (AGENT && $("proxy_reason")) body.proxy_reason = $("proxy_reason").value;
    var submit = $("submit");
    submit.disabled = true;
    api("POST", "/halls/" + HALL + "/bookings", body).then(function (view) {
      submit.disabled = false;
      $("details-form").reset();
      showBooking(view, visit ? "上门服务申请已提交" : "预约成功", visit ? "Home visit requested" : "Booked");
    }, function (error) {
      submit.disabled = false;
      say(error);
      if (error.status === 409 && !visit) loadDays();
    });
  }

  // -- 4. the booking --------------------------------------------------------------------------
  function showBooking(view, title, titleEn) {
    state.booking = view;
    var heading = $("done-title");
    heading.textContent = "";
    heading.appendChild(document.createTextNode(title + " "));
    heading.appendChild(el("span", { className: "en", lang: "en", text: titleEn }));
    $("code").textContent = view.code;
    var qr = $("qr");
    qr.hidden = view.kind !== "appointment"; // only an appointment is checked in at the kiosk
    if (!qr.hidden) {
      qr.src = view.urls.qr;
      qr.alt = "预约码二维码，可在自助机扫描签到 QR code of the booking, to scan at the kiosk";
    }
    var stateLine = $("state");
    stateLine.textContent = view.state_name + " · " + view.state_name_en;
    stateLine.classList.toggle("ended", ["cancelled", "no_show", "closed"].indexOf(view.state) >= 0);
    var item = view.item || { name: "", materials: [] };
    setPair($("done-item"), item.name, item.name_en);
    setPair($("done-when"), view.when, view.when_en);
    var who = view.citizen.name + "　" + view.citizen.phone + "　" + view.citizen.id_number;
    $("done-who").textContent = who;
    $("done-ticket-row").hidden = !view.ticket;
    if (view.ticket) $("done-ticket").textContent = view.ticket.number;
    $("done-deadline-row").hidden = !(view.deadline && view.deadline.text);
    if (view.deadline) setPair($("done-deadline"), view.deadline.text, view.deadline.text_en);
    var changeable = view.state === "booked" || view.state === "assigned";
    $("done-provisional").hidden = !(view.provisional && changeable);
    var checkin = $("checkin-text");
    checkin.textContent = "";
    checkin.appendChild(document.createTextNode(view.check_in_text));
    checkin.appendChild(el("span", { className: "en", lang: "en", text: view.check_in_text_en }));
    fillMaterials($("done-materials"), item.materials);
    $("ics").href = view.urls.ics;
    $("cancel").hidden = !changeable;
    $("move").hidden = !(changeable && view.kind === "appointment");
    show("step-done");
  }
  function setPair(node, zh, en) {
    node.textContent = "";
    node.appendChild(document.createTextNode(zh || ""));
    if (en) node.appendChild(el("span", { className: "en", lang: "en", text: en }));
  }

  function cancelBooking() {
    if (!window.confirm("确定要取消这个预约吗？\nCancel this booking?")) return;
    api("POST", "/bookings/" + state.booking.code + "/cancel", {}).then(function (view) {
      showBooking(view, "预约已取消", "Booking cancelled");
    }, say);
  }

  function moveBooking() {
    state.moving = true;
    state.kind = "appointment";
    chooseItem(state.booking.item);
  }

  function findBooking(event) {
    event.preventDefault();
    quiet();
    var code = $("find-code").value.replace(/[\s-]/g, "").toUpperCase();
    if (!code) return;
    api("GET", "/bookings/" + encodeURIComponent(code)).then(function (view) {
      showBooking(view, "您的预约", "Your booking");
    }, say);
  }

  // -- wiring ----------------------------------------------------------------------------------
  $("q").addEventListener("input", function () {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(loadItems, 250);
  });
  $("change-item").addEventListener("click", function () { show("step-item"); });
  Array.prototype.forEach.call(document.querySelectorAll("input[name=kind]"), function (radio) {
    radio.addEventListener("change", function () {
      state.kind = radio.value;
      if (state.item) loadDays();
    });
  });
  $("details-form").addEventListener("submit", submitDetails);
  $("back-to-when").addEventListener("click", function () { show("step-when"); });
  $("cancel").addEventListener("click", cancelBooking);
  $("move").addEventListener("click", moveBooking);
  $("print").addEventListener("click", function () { window.print(); });
  $("find-form").addEventListener("submit", findBooking);

  if (root.dataset.mode === "manage") {
    show("step-find");
  } else {
    loadItems();
  }
})();
