/* Call announcements on a screen: one at a time, each call played twice, a recall announced
   again. Mirrors queue_server/domain/announce.py's AnnouncementQueue. Audio comes from the
   server (espeak-ng WAV); without it, the browser's own Chinese voice if it has a local one;
   else a chime. Every playback is recorded in window.__played, in order. */
(function () {
  "use strict";

  var PLAYS = 2;
  var MAX_WAITING = 20;
  var REMEMBERED = 500;
  var DIGITS = "零一二三四五六七八九";
  var PLAY_TIMEOUT_MS = 15000;

  function numeral(n) {
    if (n < 10) return DIGITS[n];
    var h = Math.floor(n / 100), t = Math.floor((n % 100) / 10), u = n % 10;
    var rest = n % 100;
    if (!h) return (t === 1 ? "" : DIGITS[t]) + "十" + (u ? DIGITS[u] : "");
    var text = DIGITS[h] + "百";
    if (!rest) return text;
    if (!t) return text + "零" + DIGITS[u];
    return text + DIGITS[t] + "十" + (u ? DIGITS[u] : "");
  }

  /* 请 A零零一 号，到 三 号窗口 办理 — digits one by one, as the server speaks it. */
  function callPhrase(number, windowNumber) {
    var letters = number.replace(/[0-9]+$/, "");
    var digits = number.slice(letters.length).split("").map(function (d) { return DIGITS[+d]; }).join("");
    return "请 " + letters + digits + " 号，到 " + numeral(windowNumber) + " 号窗口 办理";
  }

  function callText(number, windowNumber) {
    return "请 " + number + " 号到 " + windowNumber + " 号窗口办理";
  }

  function Queue() {
    this.items = [];
    this.seen = [];
    this.dropped = 0;
  }
  Queue.prototype.enqueue = function (callId, number, windowNumber, isRecall) {
    if (!/^[A-Z]{1,2}[0-9]{3,4}$/.test(number) || !(windowNumber >= 1 && windowNumber <= 999)) return false;
    if (this.seen.indexOf(callId) >= 0) return false;
    this.seen.push(callId);
    if (this.seen.length > REMEMBERED) this.seen.shift();
    this.items.push({ callId: callId, number: number, window: windowNumber, recall: Boolean(isRecall), done: 0, playing: false });
    var waiting = this.items.filter(function (i) { return !i.playing && !i.done; });
    while (waiting.length > MAX_WAITING) {
      this.items.splice(this.items.indexOf(waiting.shift()), 1);
      this.dropped += 1;
    }
    return true;
  };
  Queue.prototype.nextToPlay = function () {
    var head = this.items[0];
    if (!head || head.playing) return null;
    head.playing = true;
    return {
      callId: head.callId, number: head.number, window: head.window, recall: head.recall,
      repeat: head.done + 1, text: callText(head.number, head.window),
      phrase: callPhrase(head.number, head.window),
    };
  };
  Queue.prototype.markPlayed = function (callId) {
    var head = this.items[0];
    if (!head || !head.playing || head.callId !== callId) return false;
    head.playing = false;
    head.done += 1;
    if (head.done >= PLAYS) this.items.shift();
    return true;
  };
  Queue.prototype.waitingNumbers = function () {
    return this.items.map(function (i) { return i.number; });
  };

  /* The player: pumps the queue, one playback at a time. */
  function Announcer(options) {
    this.queue = new Queue();
    this.enabled = options.enabled !== false;
    this.unlockButton = options.unlockButton ? document.querySelector(options.unlockButton) : null;
    this.onPlay = options.onPlay || function () {};
    this.audio = new Audio();
    this.audio.preload = "auto";
    this.blocked = false;
    this.pending = null;
    this.serverVoice = true;
    this.played = window.__played = window.__played || [];
    var self = this;
    if (this.unlockButton) {
      this.unlockButton.addEventListener("click", function () { self.unlock(); });
    }
  }

  Announcer.prototype.announce = function (payload, isRecall) {
    if (!this.enabled) return;
    if (this.queue.enqueue(payload.call_id, payload.number, payload.window_number, isRecall)) this.pump();
  };

  Announcer.prototype.pump = function () {
    if (this.blocked || this.pending) return;
    var play = this.queue.nextToPlay();
    if (!play) return;
    this.start(play);
  };

  Announcer.prototype.start = function (play) {
    var self = this;
    this.pending = play;
    var record = {
      call_id: play.callId, number: play.number, window: play.window, recall: play.recall,
      repeat: play.repeat, text: play.text, via: "", started: performance.now(), ended: null,
    };
    this.playOnce(play, record).then(function (outcome) {
      if (outcome === "blocked") return; // the same playback starts again after the tap
      record.ended = performance.now();
      self.played.push(record);
      self.pending = null;
      self.queue.markPlayed(play.callId);
      self.pump();
    });
  };

  Announcer.prototype.playOnce = function (play, record) {
    var self = this;
    var first = this.serverVoice
      ? this.playUrl("/display/voice/" + play.number + "/" + play.window + ".wav", record, "server")
      : Promise.resolve("failed");
    return first.then(function (outcome) {
      if (outcome !== "failed") return outcome;
      self.serverVoice = false;
      if (self.localChineseVoice()) return self.speak(play, record);
      return self.playUrl("/display/voice/chime.wav", record, "chime");
    });
  };

  Announcer.prototype.playUrl = function (url, record, via) {
    var self = this;
    var audio = this.audio;
    return new Promise(function (resolve) {
      var settled = false;
      function done(outcome) {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        audio.onended = audio.onerror = null;
        resolve(outcome);
      }
      var timer = setTimeout(function () { done("played"); }, PLAY_TIMEOUT_MS);
      audio.onended = function () { done("played"); };
      audio.onerror = function () { done("failed"); };
      audio.src = url;
      record.via = via;
      self.onPlay(record);
      var started = audio.play();
      if (started && started.catch) {
        started.catch(function (error) {
          if (error && error.name === "NotAllowedError") {
            self.block();
            done("blocked");
          } else {
            done("failed");
          }
        });
      }
    });
  };

  Announcer.prototype.localChineseVoice = function () {
    if (!("speechSynthesis" in window)) return null;
    var voices = window.speechSynthesis.getVoices() || [];
    return voices.filter(function (v) { return /^zh|^cmn/i.test(v.lang) && v.localService; })[0] || null;
  };

  Announcer.prototype.speak = function (play, record) {
    var self = this;
    return new Promise(function (resolve) {
      var utterance = new SpeechSynthesisUtterance(play.phrase.replace(/ /g, ""));
      utterance.voice = self.localChineseVoice();
      utterance.lang = "zh-CN";
      utterance.rate = 0.9;
      var timer = setTimeout(function () { resolve("played"); }, PLAY_TIMEOUT_MS);
      utterance.onend = utterance.onerror = function () { clearTimeout(timer); resolve("played"); };
      record.via = "speech";
      self.onPlay(record);
      window.speechSynthesis.speak(utterance);
    });
  };

  Announcer.prototype.block = function () {
    this.blocked = true;
    if (this.unlockButton) this.unlockButton.hidden = false;
  };

  /* The one-time tap that lets the page play sound where the browser blocks autoplay. */
  Announcer.prototype.unlock = function () {
    this.blocked = false;
    if (this.unlockButton) this.unlockButton.hidden = true;
    var play = this.pending;
    if (play) {
      this.pending = null;
      this.start(play);
    } else {
      this.pump();
    }
  };

  window.HallqAnnounce = { Announcer: Announcer, Queue: Queue, callPhrase: callPhrase, callText: callText };
})();
