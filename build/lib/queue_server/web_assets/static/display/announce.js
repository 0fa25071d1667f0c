/* Call announcements on a screen: one at a time, kept within 15 s of each call (see Queue), a
   recall announced again. Mirrors queue_server/domain/announce.py's AnnouncementQueue. Audio comes from the
   server (espeak-ng WAV); without it, the browser's own Chinese voice if it has a local one;
   else a chime. Every playback is recorded in window.__played, in order. */
(function () {
  "use strict";

  var PLAYS = 2;
  var MAX_WAITING = 20;
  var REMEMBERED = 500;
  var DIGITS = "零一二三四五六七八九";
  var PLAY_TIMEOUT_MS = 15000;
  var BOUND_S = 15; // no call is heard more than this long after it appeared (DELAY_BOUND_S)

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

  function seconds() { return performance.now() / 1000; }

  function callText(number, windowNumber) {
    return "请 " + number + " 号到 " + windowNumber + " 号窗口办理";
  }

  /* One playback at a time. A call is played twice when nothing else waits, once when other
     calls wait; once a backlog forms the newest call goes first; a call that could no longer
     start within BOUND_S seconds of appearing is not spoken (it stays on the screen), except
     a recall, which is never dropped and goes before other calls. Times are in seconds. */
  function Queue() {
    this.waiting = [];
    this.current = null;
    this.playing = false;
    this.seen = [];
    this.arrivals = 0;
    this.dropped = 0;
    this.skipped = [];
  }
  function byAge(a, b) { return a.at - b.at || a.order - b.order; }
  Queue.prototype.drop = function (item) {
    this.waiting.splice(this.waiting.indexOf(item), 1);
    this.dropped += 1;
    this.skipped.push(item.callId);
    if (this.skipped.length > REMEMBERED) this.skipped.shift();
  };
  Queue.prototype.enqueue = function (callId, number, windowNumber, isRecall, at) {
    if (!/^[A-Z]{1,2}[0-9]{3,4}$/.test(number) || !(windowNumber >= 1 && windowNumber <= 999)) return false;
    if (this.seen.indexOf(callId) >= 0) return false;
    this.seen.push(callId);
    if (this.seen.length > REMEMBERED) this.seen.shift();
    this.arrivals += 1;
    this.waiting.push({
      callId: callId, number: number, window: windowNumber, recall: Boolean(isRecall),
      at: at || 0, order: this.arrivals, done: 0,
    });
    var droppable = this.waiting.filter(function (i) { return !i.recall; }).sort(byAge);
    var excess = this.waiting.length - MAX_WAITING;
    for (var k = 0; k < excess && k < droppable.length; k++) this.drop(droppable[k]);
    return true;
  };
  Queue.prototype.nextToPlay = function (now) {
    if (this.playing) return null;
    var self = this;
    now = now || 0;
    this.waiting.filter(function (i) { return !i.recall && now - i.at > BOUND_S; })
      .forEach(function (i) { self.drop(i); });
    var chosen = null;
    if (this.waiting.length) {
      var recalls = this.waiting.filter(function (i) { return i.recall; }).sort(byAge);
      chosen = recalls.length ? recalls[0] : this.waiting.slice().sort(byAge)[this.waiting.length - 1];
      this.waiting.splice(this.waiting.indexOf(chosen), 1);
      this.current = chosen; // the one before is not repeated: others wait
    } else if (this.current && this.current.done < PLAYS) {
      chosen = this.current;
    } else {
      this.current = null;
      return null;
    }
    this.playing = true;
    return {
      callId: chosen.callId, number: chosen.number, window: chosen.window, recall: chosen.recall,
      repeat: chosen.done + 1, text: callText(chosen.number, chosen.window),
      phrase: callPhrase(chosen.number, chosen.window), at: chosen.at,
    };
  };
  Queue.prototype.markPlayed = function (callId) {
    var current = this.current;
    if (!this.playing || !current || current.callId !== callId) return false;
    this.playing = false;
    current.done += 1;
    if (current.done >= PLAYS) this.current = null;
    return true;
  };
  Queue.prototype.waitingNumbers = function () {
    var items = this.waiting.slice().sort(byAge);
    if (this.current) items.unshift(this.current);
    return items.map(function (i) { return i.number; });
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
    if (this.queue.enqueue(payload.call_id, payload.number, payload.window_number, isRecall, seconds())) this.pump();
  };

  Announcer.prototype.pump = function () {
    if (this.blocked || this.pending) return;
    var play = this.queue.nextToPlay(seconds());
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
      if (play.repeat === 1 && !play.recall && seconds() - play.at > BOUND_S) {
        this.queue.markPlayed(play.callId); // too late to be heard now: the screen shows it
        this.queue.current = null;
        this.queue.skipped.push(play.callId);
        this.pump();
        return;
      }
      this.start(play);
    } else {
      this.pump();
    }
  };

  window.HallqAnnounce = { Announcer: Announcer, Queue: Queue, callPhrase: callPhrase, callText: callText };
})();
