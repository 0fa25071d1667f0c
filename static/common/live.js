/* hallq live connection, shared by every page (screens, counter, pad, kiosk, phone, console):
   joins rooms on namespace /live, renders from each snapshot, applies events, shows 连接中断
   while down and rejoins after every reconnect (socket.io backs off).

   HallqLive.connect({rooms, mark, onSnapshot, onEvent, onStatus, onError, onMissing,
   events, backoff}): `events` adds event names to the common ones, `backoff` is socket.io's
   [first, longest] reconnection delay in ms (screens: [300, 2000]), `onMissing` replaces the
   notice written into `mark` when the socket.io script did not load.
   A screen heals itself: every `checkSeconds` (about 30 s) it asks the hall's version (`check`);
   when it differs from the version its snapshot and events brought, it missed something (a
   Redis blip, a network drop without a disconnect) and joins again for a fresh snapshot. A
   check left unanswered for 10 s means a dead connection: it reconnects. */
(function () {
  "use strict";

  var script = document.currentScript;
  var CHECK_SECONDS = Number((script && script.dataset.checkSeconds) || 30) || 30;

  var EVENTS = [
    "ticket_called", "ticket_recalled", "ticket_finished", "window_changed",
    "queue_changed", "ticket_issued", "ticket_evaluated", "alarm", "alarm_cleared",
  ];
  var SCREEN_BACKOFF = [300, 2000];

  function connect(options) {
    var rooms = options.rooms || [];
    var mark = options.mark ? document.querySelector(options.mark) : null;
    var state = { online: false, serverOffset: 0, snapshots: 0, version: null, healed: 0 };
    var checked = rooms.filter(function (room) { return room.hall || room.window; })[0] || null;
    if (typeof window.io !== "function") {
      // The live-connection script did not load (not served, or blocked): this screen would
      // never change. Say so where the connection's state is shown.
      document.documentElement.dataset.live = "missing";
      if (options.onMissing) {
        options.onMissing();
      } else if (mark) {
        mark.innerHTML = '实时连接无法加载，本屏幕不会更新，请联系管理员 ' +
          '<small lang="en">Live updates failed to load; this screen will not update</small>';
        mark.hidden = false;
      }
      if (options.onStatus) options.onStatus(false);
      return { socket: null, state: state, now: function () { return new Date(); } };
    }
    var backoff = options.backoff || SCREEN_BACKOFF;
    var socket = window.io("/live", {
      reconnection: true,
      reconnectionDelay: backoff[0],
      reconnectionDelayMax: backoff[1],
      randomizationFactor: 0.3,
      timeout: 4000,
    });

    function setOnline(online) {
      state.online = online;
      document.documentElement.dataset.live = online ? "up" : "down";
      if (mark) mark.hidden = online;
      if (options.onStatus) options.onStatus(online);
    }

    socket.on("connect", function () {
      rooms.forEach(function (room) { socket.emit("join", room); });
    });
    socket.on("disconnect", function () { setOnline(false); });
    socket.on("connect_error", function () { setOnline(false); });
    socket.on("snapshot", function (data) {
      if (data && data.server_time) {
        state.serverOffset = Date.parse(data.server_time) - Date.now();
      }
      state.snapshots += 1;
      if (data && typeof data.version === "number") state.version = data.version;
      setOnline(true);
      if (options.onSnapshot) options.onSnapshot(data);
    });
    EVENTS.concat(options.events || []).forEach(function (name) {
      socket.on(name, function (payload) {
        if (payload && typeof payload.hall_version === "number") state.version = payload.hall_version;
        if (options.onEvent) options.onEvent(name, payload || {});
      });
    });

    function check() {
      if (!checked || !socket.connected || state.version === null) return;
      socket.timeout(10000).emit("check", checked, function (err, reply) {
        if (err) { socket.disconnect().connect(); return; } // no answer: the line is dead
        if (reply && reply.ok && reply.version !== state.version) {
          state.healed += 1;
          document.documentElement.dataset.healed = String(state.healed);
          socket.emit("join", checked);
        }
      });
    }
    // Spread over the period, so screens switched on together do not all ask at once.
    setTimeout(function () {
      check();
      setInterval(check, CHECK_SECONDS * 1000);
    }, Math.random() * CHECK_SECONDS * 1000);
    socket.on("error", function (reply) {
      if (options.onError) options.onError(reply);
    });
    setOnline(false);
    return {
      socket: socket,
      state: state,
      now: function () { return new Date(Date.now() + state.serverOffset); },
    };
  }

  function pad2(n) { return (n < 10 ? "0" : "") + n; }

  /* "12:05" for seconds, "1:02:03" past an hour. */
  function duration(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    var h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    return (h ? h + ":" + pad2(m) : m) + ":" + pad2(s);
  }

  /* Date and time in the hall's zone (the server's clock, the hall's time zone). */
  function hallTime(date, timeZone) {
    var zone = timeZone || "Asia/Shanghai";
    var day = new Intl.DateTimeFormat("zh-CN", {
      timeZone: zone, year: "numeric", month: "long", day: "numeric", weekday: "long",
    }).format(date);
    var time = new Intl.DateTimeFormat("zh-CN", {
      timeZone: zone, hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false,
    }).format(date);
    return { day: day, time: time };
  }

  function text(el, value) {
    if (el && el.textContent !== String(value)) el.textContent = value;
  }

  window.HallqLive = { connect: connect, duration: duration, hallTime: hallTime, text: text };
})();
