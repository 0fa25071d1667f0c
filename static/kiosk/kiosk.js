/* The self-service kiosk: touch only, Chinese first, a ticket in at most three taps.
 *
 * The device token arrives once as ?token=…, is kept in localStorage and removed from the
 * address bar. Live figures come over Socket.IO (/live, room hall:<id>): a snapshot, then
 * queue_changed; printer faults come as alarm / print_status events for this device.
 */
(function () {
  "use strict";

  var root = document.getElementById("kiosk");
  var HALL = Number(root.dataset.hall);
  var IDLE_MS = Number(root.dataset.idle) * 1000;
  var TICKET_MS = Number(root.dataset.ticket) * 1000;
  var PHOTO_MS = Math.max(TICKET_MS, 30000); // time to take a photo when nothing was printed
  var PRINT_WAIT_MS = 8000; // no word from the printer by then: ask for a photo too
  var TIMEZONE = root.dataset.timezone || "Asia/Shanghai";
  var TOKEN_KEY = "hallq.kiosk.token";
  var PRINTER_ALARMS = ["printer_offline", "paper_out", "print_failed", "printer_no_reply"];
  var ARMING_MS = 350;
  // booking codes: 8 characters without the look-alikes 0, 1, I and O
  var CODE_KEYS = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ".split("");
  var CODE_LENGTH = 8;
  // A ticket or check-in request that meets a busy server (503) or no answer is tried again
  // after these waits, with the same Idempotency-Key: the server gives back the ticket if the
  // first try made one whose reply was lost, so one tap never takes two tickets.
  var TAKE_RETRY_MS = [1000, 2000, 4000];
  var TAKE_TIMEOUT_MS = 10000; // no reply by then: count it as lost and try again

  // The 绿色通道 kinds by their one name (static/common/labels.js, from domain/model.py).
  var GREEN_KINDS = ["elderly", "disabled", "pregnant", "military"].map(function (kind) {
    return window.HallqLabels.priorities[kind];
  });

  var TEXT = {
    kiosk_title: ["自助取号机", "Self-service kiosk"],
    clock: ["当前时间", "Current time"],
    loading: ["正在连接，请稍候…", "Connecting, please wait…"],
    offline: ["网络连接中断，正在重新连接…", "Connection lost; reconnecting…"],
    live_missing: ["实时连接无法加载，等候人数不会更新，请告知工作人员", "Live updates failed to load; waiting figures will not change. Please tell staff"],
    choose: ["请选择要办理的业务", "Choose a service"],
    waiting: ["等候 {n} 人 · 约 {m} 分钟", "{n} waiting · about {m} min"],
    no_wait: ["无需等候", "No wait"],
    paused: ["暂停取号", "No tickets now"],
    green: ["绿色通道", "Priority lane"],
    green_sub: [
      GREEN_KINDS.map(function (names) { return names[0]; }).join(" · "),
      GREEN_KINDS.map(function (names) { return names[1]; }).join(", "),
    ],
    checkin: ["预约签到", "Appointment check-in"],
    checkin_sub: ["输入或扫描预约码", "Type or scan your code"],
    guide: ["办事指南", "Service guide"],
    guide_sub: ["查看需要带的材料", "What to bring"],
    back: ["返回", "Back"],
    home: ["回到首页", "Home"],
    items_title: ["{cat}：请选择要办的事", "{cat}: what do you need?"],
    not_sure: ["不清楚办哪一项？", "Not sure which one?"],
    not_sure_detail: ["点这里直接取号，到窗口再咨询", "Tap here to take a ticket and ask at the window"],
    on_spot: ["当场办结", "Done on the spot"],
    notice_kicker: ["一次性告知 · 请看清再取号", "Everything you need, in one go"],
    materials: ["请带齐以下材料", "Bring these documents"],
    no_materials: ["请携带本人居民身份证，窗口工作人员会告诉您需要的材料", "Bring your ID card; the clerk will tell you what else is needed"],
    conditions: ["办理条件", "Who can apply"],
    fee: ["收费", "Fee"],
    time_limit: ["办理时限", "Time limit"],
    department: ["承办部门", "Department"],
    take: ["取号", "Take a ticket"],
    taking: ["正在取号，请稍候…", "Taking your ticket…"],
    ticket_ok: ["取号成功", "Here is your ticket"],
    your_number: ["您的号码", "Your number"],
    ahead: ["前面还有 <strong>{n}</strong> 人", "<strong>{n}</strong> people ahead of you"],
    ahead_none: ["前面没有人，请留意叫号", "You are next; watch for your number"],
    wait: ["预计等待约 <strong>{m}</strong> 分钟", "About <strong>{m}</strong> minutes"],
    scan_phone: ["手机扫码，随时查看排队进度", "Scan with your phone to follow your place"],
    qr_alt: ["手机查看排队进度的二维码", "QR code of your ticket's phone page"],
    printing: ["正在打印小票…", "Printing your ticket…"],
    printed: ["请取走下方出票口的小票", "Please take your printed ticket below"],
    photo: ["打印机暂时无法出票，请用手机拍照保存本页面", "The printer is not working: please take a photo of this screen"],
    no_printer: ["本机不打印小票，请用手机拍照保存本页面或扫码", "This kiosk prints no tickets: take a photo or scan the code"],
    countdown: ["{s} 秒后自动返回首页", "Back to the start in {s} s"],
    done: ["完成", "Done"],
    closed_title: ["现在不是办公时间", "The hall is closed now"],
    appointments_title: ["预约服务时段：已预约的群众请签到", "Appointments only now: if you booked, check in below"],
    book_title: ["想换个时间来？用手机扫码预约", "Scan to book a visit on your phone"],
    book_sub: ["预约后到时直接签到，优先叫号", "With a booking you check in here and are called first"],
    closed_take: ["现在不能取号：{notice}", "No tickets now: {notice}"],
    green_title: ["绿色通道：请选择您的情况", "Priority lane: who needs service?"],
    green_note: ["到窗口时请出示相关证件（如老年证、残疾人证、军人证）", "Show your document at the window (senior, disability or military card)"],
    green_cat_title: ["绿色通道·{kind}：请选择业务，点一下即取号", "Priority ({kind}): tap a service to take a ticket"],
    green_take: ["点此取号", "Tap to take a ticket"],
    checkin_prompt: ["请输入 8 位预约码（如 K7WQ-3MPA），或把预约二维码对准扫描口", "Type your 8-character booking code (like K7WQ-3MPA), or hold its QR code to the scanner"],
    checkin_refused_help: ["如有疑问，请到服务台咨询", "Any questions? Please ask at the service desk"],
    checkin_unavailable: ["自助签到暂未开通，请到服务台签到", "Self check-in is not available yet; please check in at the service desk"],
    ok: ["确认", "OK"],
    delete: ["删除", "Delete"],
    clear: ["清空", "Clear"],
    search_hint: ["按事项名称的拼音首字母查找，如“社保”按 S、B", "Search by pinyin initials, e.g. S B for 社保 (social insurance)"],
    all: ["全部", "All"],
    found: ["找到 {n} 项，点一下查看需要的材料", "{n} found; tap one to see what to bring"],
    none_found: ["没有找到相关事项，请到服务台咨询", "Nothing found; please ask at the service desk"],
    unauthorized: ["设备未授权", "Device not authorised"],
    unauthorized_help: [
      "请工作人员在管理后台为本取号机生成设备令牌，然后打开 /kiosk/{hall}?token=设备令牌。",
      "Staff: create a device token for this kiosk in the admin pages, then open /kiosk/{hall}?token=TOKEN."
    ],
    error_help: ["请稍后再试，或到服务台请工作人员帮助取号", "Please try again, or ask at the service desk"],
    retrying: ["系统繁忙，请稍候，正在为您重新取号…", "The system is busy. Please wait, trying again…"],
    retrying_checkin: ["系统繁忙，请稍候，正在为您重新签到…", "The system is busy. Please wait, checking you in again…"],
    pickup: ["办件取件", "Pick up a case"],
    pickup_sub: ["扫描受理回执二维码", "Scan your receipt"],
    pickup_prompt: ["请把受理回执上的二维码对准扫描口，或输入回执上的办件编号", "Hold the receipt's QR code to the scanner, or type the case number on it"],
    pickup_refused_help: ["如有疑问，请到服务台咨询", "Any questions? Please ask at the service desk"]
  };

  var state = {
    lang: "zh",
    token: null,
    device: null,
    printer: null,
    printerDown: false,
    home: null,
    items: [],
    stack: [],
    screen: "loading",
    shownAt: 0,
    notice: null, // {category, item} on the notice screen
    greenKind: null,
    ticket: null,
    printState: null,
    busy: false,
    lastActivity: Date.now(),
    serverOffset: 0,
    connected: true,
    checkinCode: "",
    pickupCode: "",
    query: "",
    guideCategory: null,
    searchSeq: 0,
    timers: {}
  };

  // -- small helpers ---------------------------------------------------------------------------
  function t(key, vars) {
    var pair = TEXT[key];
    var text = pair ? pair[state.lang === "en" ? 1 : 0] : key;
    Object.keys(vars || {}).forEach(function (name) {
      text = text.split("{" + name + "}").join(String(vars[name]));
    });
    return text;
  }
  function $(id) { return document.getElementById(id); }
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === "text") node.textContent = attrs[name];
      else if (name === "className") node.className = attrs[name];
      else if (name.indexOf("data-") === 0 || name.indexOf("aria-") === 0 || name === "type" || name === "lang") node.setAttribute(name, attrs[name]);
      else node[name] = attrs[name];
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }
  function name(thing) {
    if (!thing) return "";
    return state.lang === "en" && thing.name_en ? thing.name_en : thing.name;
  }
  function escapeHtml(value) {
    return String(value).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function markup(node, key, vars) {
    // only our own texts carry markup; every value put in them is escaped
    var safe = {};
    Object.keys(vars || {}).forEach(function (k) { safe[k] = escapeHtml(vars[k]); });
    node.innerHTML = t(key, safe);
  }
  function clearTimer(name) {
    if (state.timers[name]) { clearTimeout(state.timers[name]); clearInterval(state.timers[name]); }
    state.timers[name] = null;
  }

  // -- the device token ------------------------------------------------------------------------
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

  // -- the API ---------------------------------------------------------------------------------
  // static/common/http.js: a refusal is the API's bilingual error (status, message, message_en).
  function api(method, path, body, extra) {
    return window.HallqHttp.request(method, path, body, {
      token: state.token,
      headers: extra && extra.headers,
      timeout: extra && extra.timeout,
    });
  }
  function requestKey() {
    // random per tap; sent again unchanged with each retry of that tap
    var bytes = new Uint8Array(16);
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    return "k" + Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }

  // -- screens ---------------------------------------------------------------------------------
  var SUB_SCREENS = ["items", "notice", "green", "green-categories", "checkin", "pickup", "guide", "message"];

  function show(screen) {
    var sections = document.querySelectorAll(".screen");
    for (var i = 0; i < sections.length; i++) sections[i].hidden = sections[i].id !== "screen-" + screen;
    var current = $("screen-" + screen);
    current.classList.add("arming");
    clearTimer("arming");
    state.timers.arming = setTimeout(function () { current.classList.remove("arming"); }, ARMING_MS);
    current.scrollTop = 0;
    state.screen = screen;
    state.shownAt = Date.now();
    $("nav").hidden = SUB_SCREENS.indexOf(screen) < 0 || (screen === "message" && !state.device);
    root.dataset.screen = screen;
  }
  function go(screen) {
    if (state.screen !== screen) state.stack.push(state.screen);
    show(screen);
  }
  function back() {
    var previous = state.stack.pop();
    if (!previous || previous === "ticket" || previous === "message") goHome(false);
    else show(previous);
  }
  function goHome(reset) {
    state.stack = [];
    state.notice = null;
    state.ticket = null;
    state.busy = false;
    clearTimer("countdown");
    clearTimer("printWait");
    if (reset && state.lang !== "zh") setLang("zh");
    renderHome();
    show("home");
  }
  function showMessage(error, help) {
    $("message-title").textContent = error.message || t("error_help");
    $("message-en").textContent = error.message_en || "";
    $("message-help").textContent = help || t("error_help");
    go("message");
  }

  // -- language --------------------------------------------------------------------------------
  function setLang(lang) {
    state.lang = lang;
    document.documentElement.lang = lang === "en" ? "en" : "zh-CN";
    var switcher = $("lang-switch");
    switcher.textContent = lang === "en" ? "中文" : "English";
    switcher.setAttribute("lang", lang === "en" ? "zh-CN" : "en");
    var nodes = document.querySelectorAll("[data-t]");
    for (var i = 0; i < nodes.length; i++) nodes[i].textContent = t(nodes[i].dataset.t);
    drawClock();
    rerender();
  }
  function rerender() {
    if (state.screen === "home") renderHome();
    else if (state.screen === "items" && state.notice) renderItems(state.notice.category);
    else if (state.screen === "notice" && state.notice) renderNotice(state.notice.category, state.notice.item);
    else if (state.screen === "green") renderGreenKinds();
    else if (state.screen === "green-categories") renderGreenCategories(state.greenKind);
    else if (state.screen === "guide") renderGuide();
    else if (state.screen === "ticket" && state.ticket) renderTicket(state.ticket);
    if (state.screen !== "home") renderHome();
  }

  // -- home ------------------------------------------------------------------------------------
  function categories() { return (state.home && state.home.categories) || []; }
  function isOpen() { return !!(state.home && state.home.open && state.home.open.open); }
  function figuresText(category) {
    if (!isOpen()) return t("paused");
    if (!category.waiting) return t("no_wait");
    return t("waiting", { n: category.waiting, m: category.estimated_wait_minutes });
  }
  function renderHome() {
    if (!state.home) return;
    var open = isOpen();
    var closedCard = $("closed-card");
    closedCard.hidden = open;
    if (!open) {
      $("closed-notice").textContent = state.home.open.notice || "";
      $("closed-notice-en").textContent = state.home.open.notice_en || "";
      var booking = $("closed-booking");
      booking.hidden = !state.home.booking_url;
      if (state.home.booking_url && !$("booking-qr").getAttribute("src")) {
        $("booking-qr").src = "/kiosk/" + HALL + "/booking-qr.svg";
      }
    }
    var container = $("category-tiles");
    var ids = categories().map(function (c) { return String(c.id); }).join(",");
    if (container.dataset.ids !== ids) {
      // new or changed categories: build the tiles (otherwise they are updated in place, so a
      // finger on a tile never meets a tile being replaced)
      container.textContent = "";
      categories().forEach(function (category) {
        container.appendChild(el("button", {
          type: "button", className: "tile tile-category", "data-action": "category",
          "data-category": category.id
        }, [
          el("span", { className: "tile-prefix", text: category.prefix, "aria-hidden": "true" }),
          el("span", { className: "tile-name" }),
          el("span", { className: "tile-figures" })
        ]));
      });
      container.dataset.ids = ids;
    }
    var tiles = container.querySelectorAll(".tile-category");
    categories().forEach(function (category, index) {
      tiles[index].disabled = !open;
      tiles[index].querySelector(".tile-name").textContent = name(category);
      tiles[index].querySelector(".tile-figures").textContent = figuresText(category);
    });
    container.hidden = !open;
    $("tile-green").hidden = !open;
    // closed: check-in only in an appointment session of a hall that takes appointments
    $("tile-checkin").hidden = !open && !(state.home.appointments && state.home.open.appointment_only);
    $("hall-name").textContent = name(state.home.hall);
    // in an appointment-only session say what is open, not only that walk-ins are not
    var appointments = state.home.appointments && state.home.open.appointment_only;
    $("home-title").textContent = open ? t("choose") : appointments ? t("appointments_title") : t("closed_title");
  }
  function updateCategories(list) {
    if (!state.home || !Array.isArray(list)) return;
    var byId = {};
    list.forEach(function (c) { byId[c.id] = c; });
    state.home.categories = categories().map(function (c) {
      return byId[c.id] ? Object.assign({}, c, byId[c.id]) : c;
    });
    var tiles = document.querySelectorAll(".tile-category");
    for (var i = 0; i < tiles.length; i++) {
      var category = byId[tiles[i].dataset.category];
      if (category) tiles[i].querySelector(".tile-figures").textContent = figuresText(category);
    }
  }
  function loadHome() {
    return api("GET", "/halls/" + HALL + "/kiosk").then(function (home) {
      var wasOpen = isOpen();
      state.home = home;
      syncClock(home.server_time);
      if (state.screen === "home" || wasOpen !== isOpen()) renderHome();
      scheduleHomeRefresh();
      return home;
    });
  }
  function scheduleHomeRefresh() {
    clearTimer("home");
    var wait = 60000;
    var next = state.home && state.home.open && state.home.open.next_opening;
    if (next) {
      var until = Date.parse(next) - (Date.now() + state.serverOffset) + 1000;
      if (until > 0 && until < wait) wait = until;
    }
    state.timers.home = setTimeout(function () { loadHome().catch(function () { scheduleHomeRefresh(); }); }, wait);
  }
  function loadItems() {
    return api("GET", "/halls/" + HALL + "/service-items?limit=200").then(function (data) {
      state.items = data.items;
    });
  }

  // -- a category's items and the one-time notice ----------------------------------------------
  function findCategory(id) {
    return categories().filter(function (c) { return String(c.id) === String(id); })[0];
  }
  function itemsOf(category) {
    return state.items.filter(function (item) { return item.category && item.category.id === category.id; });
  }
  function limitText(item) {
    return state.lang === "en" ? item.time_limit_en : item.time_limit;
  }
  function feeText(item) {
    return local(item, "fee") || "—";
  }
  // A field in the kiosk's language: in English mode the item's English field where the hall
  // gave one, else its Chinese one (a list counts as given when it has any entry).
  function local(item, key) {
    var english = item[key + "_en"];
    var given = Array.isArray(english) ? english.length > 0 : Boolean(english);
    return state.lang === "en" && given ? english : item[key];
  }
  function renderItems(category) {
    $("items-title").textContent = t("items_title", { cat: name(category) });
    var list = $("item-list");
    list.textContent = "";
    itemsOf(category).forEach(function (item) {
      list.appendChild(el("button", { type: "button", className: "choice", "data-action": "item", "data-item": item.id }, [
        el("span", { className: "choice-name", text: name(item) }),
        el("span", { className: "choice-detail", text: limitText(item) + " · " + feeText(item) })
      ]));
    });
    list.appendChild(el("button", { type: "button", className: "choice choice-strong", "data-action": "take-category", "data-category": category.id }, [
      el("span", { className: "choice-name", text: t("not_sure") }),
      el("span", { className: "choice-detail", text: t("not_sure_detail") })
    ]));
  }
  function openCategory(category) {
    state.notice = { category: category, item: null };
    if (!itemsOf(category).length) {
      renderNotice(category, null);
      go("notice");
      return;
    }
    renderItems(category);
    go("items");
  }
  function section(title, content) {
    return el("section", { className: "notice-section" }, [el("h2", { text: title }), content]);
  }
  function renderNotice(category, item) {
    state.notice = { category: category, item: item };
    $("notice-title").textContent = item ? name(item) : name(category);
    var body = $("notice-body");
    body.textContent = "";
    if (item && item.materials.length) {
      body.appendChild(section(t("materials"), el("ol", {}, local(item, "materials").map(function (m) {
        return el("li", { text: m });
      }))));
    } else {
      body.appendChild(section(t("materials"), el("p", { text: t("no_materials") })));
    }
    if (item) {
      var facts = el("dl", { className: "notice-facts" }, [
        [t("time_limit"), limitText(item)],
        [t("fee"), feeText(item)],
        [t("department"), local(item, "department") || "—"]
      ].map(function (pair) {
        return el("div", {}, [el("dt", { text: pair[0] }), el("dd", { text: pair[1] })]);
      }));
      body.appendChild(facts);
      if (item.conditions) body.appendChild(section(t("conditions"), el("p", { text: local(item, "conditions") })));
    }
    var open = isOpen();
    var take = $("take");
    take.disabled = !open;
    $("take-closed").hidden = open;
    if (!open) $("take-closed").textContent = t("closed_take", { notice: state.lang === "en" ? state.home.open.notice_en : state.home.open.notice });
    take.dataset.category = category ? category.id : "";
    take.dataset.item = item ? item.id : "";
  }
  function openItem(item) {
    var category = findCategory(item.category && item.category.id) || item.category;
    renderNotice(category, item);
    go("notice");
  }

  // -- 绿色通道 ---------------------------------------------------------------------------------
  function renderGreenKinds() {
    var list = $("green-kinds");
    list.textContent = "";
    ((state.home && state.home.green_channel) || []).forEach(function (kind) {
      list.appendChild(el("button", { type: "button", className: "choice choice-green", "data-action": "green-kind", "data-kind": kind.kind }, [
        el("span", { className: "choice-name", text: state.lang === "en" ? kind.name_en : kind.name })
      ]));
    });
  }
  function renderGreenCategories(kind) {
    var label = state.lang === "en" ? kind.name_en : kind.name;
    $("green-cat-title").textContent = t("green_cat_title", { kind: label });
    var list = $("green-categories");
    list.textContent = "";
    categories().forEach(function (category) {
      list.appendChild(el("button", { type: "button", className: "choice choice-strong", "data-action": "green-take", "data-category": category.id }, [
        el("span", { className: "choice-name", text: name(category) }),
        el("span", { className: "choice-detail", text: t("green_take") })
      ]));
    });
  }

  // -- taking a ticket ------------------------------------------------------------------------
  function takeTicket(body) {
    if (state.busy) return; // a double tap never takes two tickets
    state.busy = true;
    var take = $("take");
    take.disabled = true;
    take.textContent = t("taking");
    postRetrying("/halls/" + HALL + "/tickets", body, "retrying", function (ticket) {
      take.textContent = t("take");
      state.stack = [];
      renderTicket(ticket);
      show("ticket");
      startTicketTimers();
      loadHome().catch(function () {});
    }, function (error) {
      take.textContent = t("take");
      take.disabled = false;
      state.busy = false;
      if (error.status === 401 || error.status === 403) return unauthorized();
      showMessage(error);
    });
  }
  function postRetrying(path, body, bannerText, done, failed) {
    // one tap, one Idempotency-Key: a busy server or a lost reply is asked again with it
    var request = { headers: { "Idempotency-Key": requestKey() }, timeout: TAKE_TIMEOUT_MS };
    var banner = $("retry-banner");
    var retries = 0;
    function attempt() {
      api("POST", path, body, request).then(function (data) {
        banner.hidden = true;
        done(data);
      }, function (error) {
        var passing = error.status === 0 || error.status === 502 || error.status === 503 || error.status === 504;
        if (passing && retries < TAKE_RETRY_MS.length) {
          banner.dataset.t = bannerText;
          banner.textContent = t(bannerText);
          banner.hidden = false; // 请稍候: the same tap is tried again shortly
          clearTimer("takeRetry");
          state.timers.takeRetry = setTimeout(attempt, TAKE_RETRY_MS[retries++]);
          return;
        }
        banner.hidden = true;
        failed(error);
      });
    }
    attempt();
  }
  function renderTicket(ticket) {
    state.ticket = ticket;
    $("ticket-number").textContent = ticket.number;
    var category = ticket.category ? name(ticket.category) : "";
    var item = state.notice && state.notice.item;
    $("ticket-category").textContent = item ? category + " · " + name(item) : category;
    var priority = $("ticket-priority");
    priority.hidden = ticket.priority === "none";
    if (ticket.priority !== "none") {
      var kind = ((state.home && state.home.green_channel) || []).filter(function (k) { return k.kind === ticket.priority; })[0];
      priority.textContent = t("green") + " · " + (kind ? (state.lang === "en" ? kind.name_en : kind.name) : ticket.priority_name);
    }
    if (ticket.position) markup($("ticket-ahead"), "ahead", { n: ticket.position });
    else $("ticket-ahead").textContent = t("ahead_none");
    var wait = $("ticket-wait");
    wait.hidden = !ticket.estimated_wait_minutes;
    if (ticket.estimated_wait_minutes) markup(wait, "wait", { m: ticket.estimated_wait_minutes });
    showTicketNote(ticket.message, ticket.message_en); // a check-in says how it went
    var qr = $("ticket-qr");
    qr.src = "/t/" + encodeURIComponent(ticket.token) + "/qr.svg";
    qr.alt = t("qr_alt");
    renderPrintState();
  }
  function showTicketNote(message, messageEn) {
    var note = $("ticket-note");
    note.hidden = !message;
    note.textContent = message || "";
    if (messageEn) note.appendChild(el("span", { className: "en", lang: "en", text: messageEn }));
  }
  function renderPrintState() {
    var status = $("print-status");
    var photo = $("photo-notice");
    var printState = state.printState;
    var needPhoto = printState === "failed" || printState === "none" || printState === "unknown";
    status.hidden = needPhoto;
    status.textContent = printState === "printed" ? t("printed") : t("printing");
    photo.hidden = !needPhoto;
    if (needPhoto) {
      var key = printState === "none" ? "no_printer" : "photo";
      photo.textContent = "";
      photo.appendChild(document.createTextNode(TEXT[key][0]));
      photo.appendChild(el("span", { className: "en", lang: "en", text: TEXT[key][1] }));
    }
    root.dataset.print = printState || "";
  }
  function setPrintState(value) {
    var before = state.printState;
    state.printState = value;
    if (state.screen === "ticket") {
      renderPrintState();
      if ((value === "failed" || value === "unknown") && before !== value) extendTicket(PHOTO_MS);
    }
  }
  function startTicketTimers() {
    clearTimer("printWait");
    if (!state.printer || !state.printer.configured) setPrintState("none");
    else if (state.printerDown) setPrintState("failed");
    else {
      setPrintState("printing");
      state.timers.printWait = setTimeout(function () {
        if (state.printState === "printing") setPrintState("unknown");
      }, PRINT_WAIT_MS);
    }
    applyPrintStatus();
    var photo = state.printState === "failed" || state.printState === "none";
    state.ticketEndsAt = Date.now() + (photo ? PHOTO_MS : TICKET_MS);
    tickCountdown();
    clearTimer("countdown");
    state.timers.countdown = setInterval(tickCountdown, 1000);
  }
  function extendTicket(ms) {
    state.ticketEndsAt = Math.max(state.ticketEndsAt || 0, Date.now() + ms);
    tickCountdown();
  }
  function tickCountdown() {
    var left = Math.max(0, Math.ceil((state.ticketEndsAt - Date.now()) / 1000));
    $("countdown").textContent = t("countdown", { s: left });
    if (left <= 0 && state.screen === "ticket") goHome(true);
  }

  // -- printer state -----------------------------------------------------------------------------
  function onAlarm(alarm) {
    if (!state.device || alarm.device_id !== state.device.id || PRINTER_ALARMS.indexOf(alarm.kind) < 0) return;
    state.printerDown = true;
    if (state.screen === "ticket" && state.printState !== "printed") setPrintState("failed");
  }
  function onAlarmCleared(alarm) {
    if (!state.device || alarm.device_id !== state.device.id) return;
    loadDevice().catch(function () {});
  }
  function onPrintStatus(status) {
    if (!state.device || status.device_id !== state.device.id) return;
    state.printerDown = status.state !== "printed";
    // A fast printer can report before the ticket's own reply arrives: keep the report.
    state.lastPrint = status;
    applyPrintStatus();
  }
  function applyPrintStatus() {
    var status = state.lastPrint;
    if (!status || !state.ticket || status.number !== state.ticket.number) return;
    if (state.screen !== "ticket") return;
    clearTimer("printWait");
    setPrintState(status.state === "printed" ? "printed" : "failed");
  }
  function loadDevice() {
    return api("GET", "/kiosk/me").then(function (me) {
      if (me.device.hall_id !== HALL) throw { status: 403 };
      state.device = me.device;
      state.printer = me.printer;
      state.printerDown = !!(me.printer && me.printer.alarms && me.printer.alarms.length);
      return me;
    });
  }

  // -- appointment check-in ----------------------------------------------------------------------
  function renderCheckin() {
    var available = !!(state.home && state.home.appointments);
    $("checkin-ready").hidden = !available;
    $("checkin-unavailable").hidden = available;
    showCheckinCode();
    var pad = $("checkin-keypad");
    if (!pad.childElementCount) {
      CODE_KEYS.concat(["delete", "clear"]).forEach(function (key) {
        var label = key === "clear" || key === "delete" ? t(key) : key;
        pad.appendChild(el("button", {
          type: "button", className: "key" + (key.length > 1 ? " key-wide" : ""),
          "data-action": "checkin-key", "data-key": key, text: label
        }, []));
        if (key.length > 1) pad.lastChild.setAttribute("data-t", key);
      });
      pad.appendChild(el("button", { type: "button", className: "key key-ok", "data-action": "checkin-ok", "data-t": "ok", text: t("ok") }));
    }
  }
  function showCheckinCode() {
    // shown as printed on the booking: two groups of four, K7WQ-3MPA
    var code = state.checkinCode;
    $("checkin-code").textContent = code.length > 4 ? code.slice(0, 4) + "-" + code.slice(4) : code;
  }
  function submitCheckin(code) {
    if (state.busy || !code) return;
    if (!(state.home && state.home.appointments)) {
      renderCheckin();
      go("checkin");
      return;
    }
    state.busy = true;
    postRetrying("/halls/" + HALL + "/checkin", { code: code }, "retrying_checkin", function (ticket) {
      state.checkinCode = "";
      state.notice = null;
      state.stack = [];
      renderTicket(ticket);
      show("ticket");
      startTicketTimers();
    }, function (error) {
      state.busy = false;
      state.checkinCode = "";
      if (error.status === 401 || error.status === 403) return unauthorized();
      // a refusal (unknown code, already checked in, another day…) says itself what to do:
      // "try again later" would only send the citizen round in circles
      var refused = error.status === 404 || error.status === 409 || error.status === 422;
      showMessage(error, refused ? t("checkin_refused_help") : undefined);
    });
  }

  // -- 统一出件: a pickup ticket for a decided case, by the receipt's QR or its number -------------
  var PICKUP_KEYS = "0123456789".split("").concat(["-"]).concat("ABCDEFGHIJKLMNOPQRSTUVWXYZ".split(""));
  function renderPickup() {
    $("pickup-code").textContent = state.pickupCode;
    var pad = $("pickup-keypad");
    if (pad.childElementCount) return;
    PICKUP_KEYS.concat(["delete", "clear"]).forEach(function (key) {
      var wide = key.length > 1;
      pad.appendChild(el("button", {
        type: "button", className: "key" + (wide ? " key-wide" : ""),
        "data-action": "pickup-key", "data-key": key, text: wide ? t(key) : key
      }, []));
      if (wide) pad.lastChild.setAttribute("data-t", key);
    });
    pad.appendChild(el("button", { type: "button", className: "key key-ok", "data-action": "pickup-ok", "data-t": "ok", text: t("ok") }));
  }
  function submitPickup(code) {
    if (state.busy || !code) return;
    state.busy = true;
    postRetrying("/halls/" + HALL + "/pickup-tickets", { case: code }, "retrying", function (ticket) {
      state.pickupCode = "";
      state.notice = null;
      state.stack = [];
      renderTicket(ticket);
      show("ticket");
      startTicketTimers();
    }, function (error) {
      state.busy = false;
      state.pickupCode = "";
      if (error.status === 401 || error.status === 403) return unauthorized();
      var refused = error.status === 404 || error.status === 409 || error.status === 422;
      showMessage(error, refused ? t("pickup_refused_help") : undefined);
    });
  }

  // -- 办事指南 -----------------------------------------------------------------------------------
  var LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ".split("");
  function renderGuide() {
    var keyboard = $("guide-keyboard");
    if (!keyboard.childElementCount) {
      LETTERS.forEach(function (letter) {
        keyboard.appendChild(el("button", { type: "button", className: "key", "data-action": "letter", "data-key": letter, text: letter }));
      });
      keyboard.appendChild(el("button", { type: "button", className: "key key-wide", "data-action": "letter", "data-key": "delete", "data-t": "delete", text: t("delete") }));
      keyboard.appendChild(el("button", { type: "button", className: "key key-wide", "data-action": "letter", "data-key": "clear", "data-t": "clear", text: t("clear") }));
    }
    $("guide-query").textContent = state.query;
    var chips = $("guide-chips");
    chips.textContent = "";
    [{ id: null, name: TEXT.all[0], name_en: TEXT.all[1] }].concat(categories()).forEach(function (category) {
      chips.appendChild(el("button", {
        type: "button", className: "chip", "data-action": "guide-category",
        "data-category": category.id === null ? "" : category.id,
        "aria-pressed": String(state.guideCategory === category.id), text: name(category)
      }));
    });
    search();
  }
  function search() {
    var seq = ++state.searchSeq;
    var params = new URLSearchParams({ q: state.query, limit: "50" });
    if (state.guideCategory !== null) params.set("category", state.guideCategory);
    api("GET", "/halls/" + HALL + "/service-items?" + params.toString()).then(function (data) {
      if (seq !== state.searchSeq) return;
      var list = $("guide-results");
      list.textContent = "";
      $("guide-count").textContent = data.total ? t("found", { n: data.total }) : t("none_found");
      data.items.forEach(function (item) {
        list.appendChild(el("button", { type: "button", className: "choice", "data-action": "guide-item", "data-item": item.id }, [
          el("span", { className: "choice-name", text: name(item) }),
          el("span", { className: "choice-detail", text: (item.category ? name(item.category) + " · " : "") + limitText(item) })
        ]));
        state.guideResults = state.guideResults || {};
        state.guideResults[item.id] = item;
      });
    }, function (error) {
      if (seq === state.searchSeq) $("guide-count").textContent = error.message;
    });
  }

  // -- touch handling ----------------------------------------------------------------------------
  function onAction(action, button) {
    switch (action) {
      case "lang": return setLang(state.lang === "en" ? "zh" : "en");
      case "back": return back();
      case "home": return goHome(false);
      case "done": return goHome(true); // the ticket is taken: the next citizen need not wait
      case "category": return openCategory(findCategory(button.dataset.category));
      case "item": return openItem(state.items.filter(function (i) { return String(i.id) === button.dataset.item; })[0]);
      case "take-category":
        return takeTicket({ category: Number(button.dataset.category) });
      case "take": {
        var body = { category: Number(button.dataset.category) };
        if (button.dataset.item) body.service_item = Number(button.dataset.item);
        return takeTicket(body);
      }
      case "green":
        renderGreenKinds();
        return go("green");
      case "green-kind":
        state.greenKind = state.home.green_channel.filter(function (k) { return k.kind === button.dataset.kind; })[0];
        renderGreenCategories(state.greenKind);
        return go("green-categories");
      case "green-take":
        state.notice = null;
        return takeTicket({ category: Number(button.dataset.category), priority: state.greenKind.kind });
      case "checkin":
        state.checkinCode = "";
        renderCheckin();
        return go("checkin");
      case "checkin-key": {
        var key = button.dataset.key;
        if (key === "clear") state.checkinCode = "";
        else if (key === "delete") state.checkinCode = state.checkinCode.slice(0, -1);
        else if (state.checkinCode.length < CODE_LENGTH) state.checkinCode += key;
        showCheckinCode();
        return;
      }
      case "checkin-ok": return submitCheckin(state.checkinCode);
      case "pickup":
        state.pickupCode = "";
        renderPickup();
        return go("pickup");
      case "pickup-key": {
        var pkey = button.dataset.key;
        if (pkey === "clear") state.pickupCode = "";
        else if (pkey === "delete") state.pickupCode = state.pickupCode.slice(0, -1);
        else if (state.pickupCode.length < 24) state.pickupCode += pkey;
        $("pickup-code").textContent = state.pickupCode;
        return;
      }
      case "pickup-ok": return submitPickup(state.pickupCode);
      case "guide":
        state.query = "";
        state.guideCategory = null;
        renderGuide();
        return go("guide");
      case "letter": {
        var letter = button.dataset.key;
        if (letter === "clear") state.query = "";
        else if (letter === "delete") state.query = state.query.slice(0, -1);
        else if (state.query.length < 20) state.query += letter;
        $("guide-query").textContent = state.query;
        return search();
      }
      case "guide-category":
        state.guideCategory = button.dataset.category ? Number(button.dataset.category) : null;
        return renderGuide();
      case "guide-item": {
        var found = (state.guideResults || {})[button.dataset.item];
        if (found) openItem(found);
        return;
      }
    }
  }
  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target : null;
    if (target && target.closest("a")) event.preventDefault(); // nothing leaves the kiosk
    var button = target && target.closest("[data-action]");
    if (!button || button.disabled) return;
    onAction(button.dataset.action, button);
  });

  // -- kiosk lock and idle --------------------------------------------------------------------
  function lockKiosk() {
    history.pushState({ kiosk: true }, "", location.href);
    window.addEventListener("popstate", function () {
      history.pushState({ kiosk: true }, "", location.href);
      if (state.device && state.screen !== "ticket") goHome(false);
    });
    ["contextmenu", "dragstart", "selectstart", "gesturestart"].forEach(function (name) {
      document.addEventListener(name, function (event) { event.preventDefault(); }, { passive: false });
    });
    document.addEventListener("touchmove", function (event) {
      if (event.touches && event.touches.length > 1) event.preventDefault(); // no pinch zoom
    }, { passive: false });
  }
  function touched() { state.lastActivity = Date.now(); }
  ["pointerdown", "touchstart", "keydown"].forEach(function (name) {
    document.addEventListener(name, touched, { passive: true, capture: true });
  });
  function checkIdle() {
    var idleFor = Date.now() - state.lastActivity;
    if (SUB_SCREENS.indexOf(state.screen) >= 0 && state.device && idleFor >= IDLE_MS) goHome(true);
    else if (state.screen === "home" && state.lang !== "zh" && idleFor >= IDLE_MS) setLang("zh");
  }

  // -- keyboard-wedge QR scanner: characters arrive fast and end with Enter ----------------------
  var scan = { text: "", last: 0, slow: 0 };
  document.addEventListener("keydown", function (event) {
    var blocked = event.key === "BrowserBack" || event.key === "BrowserForward" || event.key === "F5" ||
      (event.altKey && (event.key === "ArrowLeft" || event.key === "ArrowRight")) ||
      ((event.ctrlKey || event.metaKey) && ["r", "l", "w", "t", "n", "p", "s", "o"].indexOf(event.key.toLowerCase()) >= 0) ||
      event.key === "Backspace";
    if (blocked) event.preventDefault();
    var now = Date.now();
    if (now - scan.last > 300) { scan.text = ""; scan.slow = 0; }
    scan.last = now;
    if (event.key === "Enter") {
      var code = scan.text.trim();
      scan.text = "";
      if (code.length >= 4 && state.device && (state.screen === "pickup" || code.indexOf("/c/") >= 0)) {
        event.preventDefault();  // a receipt's QR (its case page's address) or a typed number
        state.pickupCode = code.slice(0, 300);
        submitPickup(state.pickupCode);
      } else if (code.length >= 4 && state.device) {
        event.preventDefault();
        state.checkinCode = code.slice(0, 40);
        submitCheckin(state.checkinCode);
      }
      return;
    }
    if (event.key.length === 1 && !event.ctrlKey && !event.altKey && !event.metaKey) scan.text += event.key;
  });

  // -- the clock ------------------------------------------------------------------------------
  function syncClock(serverTime) {
    var at = Date.parse(serverTime || "");
    if (!isNaN(at)) state.serverOffset = at - Date.now();
    drawClock();
  }
  var clockFormats = {};
  function drawClock() {
    try {
      var lang = state.lang;
      clockFormats[lang] = clockFormats[lang] || new Intl.DateTimeFormat(lang === "en" ? "en-GB" : "zh-CN", {
        timeZone: TIMEZONE, month: "long", day: "numeric", weekday: "short", hour: "2-digit", minute: "2-digit", hour12: false
      });
      $("clock").textContent = clockFormats[lang].format(new Date(Date.now() + state.serverOffset));
      $("clock").setAttribute("aria-label", t("clock"));
    } catch (e) {
      $("clock").textContent = "";
    }
  }

  // -- live updates ------------------------------------------------------------------------------
  function connectLive() {
    var lostTimer = null;
    // static/common/live.js: joins the hall's room, rejoins after every reconnect.
    window.HallqLive.connect({
      rooms: [{ hall: HALL }],
      backoff: [1000, 10000],
      events: ["print_status"],
      onMissing: function () {
        // the live-connection script did not load: say so, rather than show figures that never move
        var banner = $("offline-banner");
        banner.dataset.t = "live_missing";
        banner.textContent = t("live_missing");
        banner.hidden = false;
      },
      onStatus: function (online) {
        clearTimeout(lostTimer);
        if (online) $("offline-banner").hidden = true;
        else lostTimer = setTimeout(function () { $("offline-banner").hidden = false; }, 3000);
      },
      onSnapshot: function (snapshot) {
        if (snapshot.categories) updateCategories(snapshot.categories);
        if (snapshot.server_time) syncClock(snapshot.server_time);
        if (state.device) loadHome().catch(function () {}); // resync opening state after a gap
      },
      onEvent: function (name, payload) {
        if (name === "queue_changed") updateCategories(payload.categories);
        else if (name === "alarm") onAlarm(payload);
        else if (name === "alarm_cleared") onAlarmCleared(payload);
        else if (name === "print_status") onPrintStatus(payload);
      },
    });
  }

  // -- start ---------------------------------------------------------------------------------------
  function unauthorized() {
    state.device = null;
    $("message-title").textContent = TEXT.unauthorized[0] + " / " + TEXT.unauthorized[1];
    $("message-en").textContent = "";
    $("message-help").textContent = t("unauthorized_help", { hall: HALL });
    show("message");
    root.dataset.screen = "unauthorized";
    $("lang-switch").hidden = true;
    // the hall's own time for the clock, even on a kiosk that may not take tickets
    api("GET", "/halls/" + HALL + "/kiosk").then(function (home) { syncClock(home.server_time); }, function () {});
  }
  function start(attempt) {
    loadDevice().then(function () {
      return Promise.all([loadHome(), loadItems()]);
    }).then(function () {
      goHome(false);
      connectLive();
    }, function (error) {
      if (error.status === 401 || error.status === 403) return unauthorized();
      // the server is not reachable yet: try again, a little later each time
      setTimeout(function () { start(attempt + 1); }, Math.min(30000, 1000 * Math.pow(2, attempt)));
    });
  }

  state.token = takeTokenFromUrl();
  lockKiosk();
  setInterval(checkIdle, 1000);
  setInterval(drawClock, 15000);
  drawClock();
  if (!state.token) unauthorized();
  else start(0);
})();
