/* The citizen's ticket on a phone: live over Socket.IO (/live, room ticket:<token>), with a
 * poll as a fallback. When the ticket is called the page shows 请到 N 号窗口办理, rings and
 * vibrates; with three people or fewer ahead it says so, so the citizen can walk back in time.
 */
(function () {
  "use strict";

  var page = document.getElementById("phone");
  var TOKEN = page.dataset.token;
  var SOON = 3;
  var STATES = window.HallqLabels.states;
  var OVER = ["done", "no_show", "cancelled"];
  var ticket = {};
  var alerted = { call: null, soon: false };
  var audio = null;

  function $(id) { return document.getElementById(id); }
  function setText(id, text) { $(id).textContent = text; }

  function render() {
    var info = STATES[ticket.state] || [ticket.state, ticket.state];
    var stateNode = $("state");
    stateNode.className = "state state-" + ticket.state;
    stateNode.textContent = info[0] + " ";
    var en = document.createElement("span");
    en.className = "en";
    en.lang = "en";
    en.textContent = info[1];
    stateNode.appendChild(en);
    page.dataset.state = ticket.state;

    var waiting = ticket.state === "waiting";
    $("figures").hidden = !waiting;
    if (waiting && typeof ticket.position === "number") {
      setText("ahead", String(ticket.position));
      var minutes = ticket.estimated_wait_minutes;
      setText("wait", minutes == null ? "—" : minutes < 1 ? "即将叫号" : "约 " + minutes + " 分钟");
    }
    // Once the ticket is over: no more alerts to turn on; a finished one can be rated.
    $("alerts").hidden = OVER.indexOf(ticket.state) >= 0;
    $("finished").hidden = ticket.state !== "done";
    $("missed").hidden = ticket.state !== "no_show";

    var soon = waiting && typeof ticket.position === "number" && ticket.position <= SOON;
    $("soon").hidden = !soon;
    if (soon) {
      if (ticket.position === 0) {
        setText("soon-text", "下一位就是您！请到大厅留意叫号");
        setText("soon-text-en", "You are next. Please be in the hall.");
      } else {
        setText("soon-text", "快到您了！前面还有 " + ticket.position + " 人，请回到大厅留意叫号");
        setText("soon-text-en", "Almost your turn: " + ticket.position + " ahead. Please come back to the hall.");
      }
      if (!alerted.soon) {
        alerted.soon = true;
        buzz([200, 100, 200]);
      }
    }

    var called = ticket.state === "called" && ticket.window_number != null;
    $("call").hidden = !called;
    if (called) {
      setText("call-window", String(ticket.window_number));
      setText("call-window-name", ticket.window_name || "");
      setText("call-text-en", "Please go to window " + ticket.window_number);
    }
  }

  // Chrome refuses a vibration, and logs an error, until the page has been touched once
  var touched = false;
  ["pointerdown", "keydown", "touchstart"].forEach(function (kind) {
    document.addEventListener(kind, function () { touched = true; }, { capture: true, passive: true });
  });
  function buzz(pattern) {
    if (navigator.vibrate && touched) {
      try { navigator.vibrate(pattern); } catch (e) { /* not allowed here */ }
    }
  }
  function ring() {
    try {
      var Context = window.AudioContext || window.webkitAudioContext;
      if (!Context) return;
      audio = audio || new Context();
      if (audio.state === "suspended") audio.resume();
      [0, 0.45, 0.9].forEach(function (offset) {
        var tone = audio.createOscillator();
        var gain = audio.createGain();
        tone.frequency.value = 880;
        gain.gain.setValueAtTime(0.0001, audio.currentTime + offset);
        gain.gain.exponentialRampToValueAtTime(0.5, audio.currentTime + offset + 0.03);
        gain.gain.exponentialRampToValueAtTime(0.0001, audio.currentTime + offset + 0.35);
        tone.connect(gain).connect(audio.destination);
        tone.start(audio.currentTime + offset);
        tone.stop(audio.currentTime + offset + 0.4);
      });
    } catch (e) { /* no sound: the vibration and the big text remain */ }
  }
  // One alert per call or recall, however it arrives (event, snapshot after a reconnect, poll):
  // the key is the number and the time of the latest call.
  function announceCall(callId) {
    if (alerted.call === callId) return;
    alerted.call = callId;
    buzz([500, 200, 500, 200, 500]);
    ring();
    var box = $("call");
    box.classList.remove("flash");
    void box.offsetWidth; // restart the animation
    box.classList.add("flash");
    page.dataset.alerts = String(Number(page.dataset.alerts || 0) + 1);
  }

  function fromView(view) {
    ticket.state = view.state;
    ticket.number = view.number;
    ticket.position = view.position;
    ticket.estimated_wait_minutes = view.estimated_wait_minutes;
    if (view.window) {
      ticket.window_number = view.window.number;
      ticket.window_name = view.window.name;
    }
    render();
    if (view.state === "called" && view.last_called_at) {
      announceCall(view.number + "@" + view.last_called_at);
    }
  }

  function stamp(text) {
    var now = new Date();
    var time = ("0" + now.getHours()).slice(-2) + ":" + ("0" + now.getMinutes()).slice(-2);
    setText("connection", text + " · " + time);
  }

  function poll() {
    window.HallqHttp.get("/tickets/" + encodeURIComponent(TOKEN)).then(function (view) {
      fromView(view);
      stamp("已更新 Updated");
    }, function (error) {
      if (error.status === 0) stamp("网络中断，稍后自动重试 Offline, retrying");
    });
  }

  function connect() {
    var online = false;
    function called(call) {
      ticket.state = call.state || "called";
      ticket.window_number = call.window_number;
      ticket.window_name = call.window_name;
      render();
      announceCall(call.number + "@" + call.called_at);
      stamp("实时更新中 Live");
    }
    // static/common/live.js: joins the ticket's room, rejoins after every reconnect.
    window.HallqLive.connect({
      rooms: [{ ticket: TOKEN }],
      backoff: [1000, 15000],
      events: ["ticket_changed"],
      onMissing: function () {
        // the live-connection script did not load: the page will not update by itself
        stamp("实时更新无法加载，请下拉刷新页面 Live updates failed to load; refresh the page");
      },
      onStatus: function (up) {
        if (online && !up) stamp("连接中断，正在重连 Reconnecting");
        online = up;
      },
      onSnapshot: function (snapshot) {
        if (snapshot.ticket) fromView(snapshot.ticket);
        stamp("实时更新中 Live");
      },
      onEvent: function (name, change) {
        if (name === "ticket_called" || name === "ticket_recalled") {
          called(change);
        } else if (name === "ticket_finished") {
          ticket.state = change.state;
          render();
        } else if (name === "ticket_changed") {
          ticket.state = change.state;
          if ("position" in change) {
            ticket.position = change.position;
            ticket.estimated_wait_minutes = change.estimated_wait_minutes;
          }
          render();
          stamp("实时更新中 Live");
        }
      },
    });
  }

  $("enable-alerts").addEventListener("click", function (event) {
    var button = event.currentTarget;
    button.setAttribute("aria-pressed", "true");
    ring();
    buzz([100]);
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") poll();
  });

  fromView(JSON.parse($("ticket-data").textContent));
  connect();
  setInterval(poll, 30000);
})();
