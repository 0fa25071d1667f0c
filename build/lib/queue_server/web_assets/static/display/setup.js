/* The screen set-up page: plays the test announcement as soon as the page opens, the way a
   lobby screen must speak a call with nobody at it, and says what it found. The outcome is
   also kept in #verdict's data-state: ok, tap-only, blocked or failed. */
(function () {
  "use strict";

  var $ = function (id) { return document.getElementById(id); };
  var audio = new Audio();
  var tapped = false;
  var serverVoice = null;

  function verdict(state, zh, en) {
    $("verdict").dataset.state = state;
    $("verdict-zh").textContent = zh;
    $("verdict-en").textContent = en;
  }

  function voiceUrl() {
    if (serverVoice !== null) return Promise.resolve(serverVoice ? "/display/voice/test.wav" : "/display/voice/chime.wav");
    return fetch("/display/voice/test.wav", { cache: "no-store" }).then(function (response) {
      serverVoice = response.ok;
      return null;
    }, function () {
      serverVoice = false;
      return null;
    }).then(function () {
      $("check-voice").textContent = serverVoice
        ? "可用（espeak-ng 普通话） Available"
        : "不可用，叫号时只播放提示音 Not available: calls get a chime";
      return serverVoice ? "/display/voice/test.wav" : "/display/voice/chime.wav";
    });
  }

  function run() {
    verdict("testing", "正在播放测试语音…", "Playing the test announcement…");
    voiceUrl().then(function (url) {
      var started = performance.now();
      audio.onended = function () {
        var seconds = ((performance.now() - started) / 1000).toFixed(1);
        $("check-played").textContent = "已播放 " + seconds + " 秒 Played for " + seconds + " s";
        if (!tapped) {
          $("check-autoplay").textContent = "允许 Allowed";
          verdict("ok", "声音正常：本屏幕无需点击即可播报叫号。",
            "Sound works: this screen announces calls with nobody touching it.");
        } else {
          verdict("tap-only", "点击后可以出声，但浏览器禁止自动播放：无人值守时叫号不会出声。请用 --autoplay-policy=no-user-gesture-required 启动 Chromium。",
            "Sound plays after a tap only: unattended, calls would be silent. Start Chromium with --autoplay-policy=no-user-gesture-required.");
        }
      };
      audio.onerror = function () {
        $("check-played").textContent = "播放失败 Could not play";
        verdict("failed", "无法播放测试语音：请检查网络和服务器。", "The test announcement could not be played: check the network and the server.");
      };
      audio.src = url;
      var playing = audio.play();
      if (playing && playing.catch) {
        playing.catch(function (error) {
          if (error && error.name === "NotAllowedError") {
            $("check-autoplay").textContent = "被浏览器阻止 Blocked by the browser";
            verdict("blocked", "浏览器禁止自动播放：无人值守时叫号不会出声。请用 --autoplay-policy=no-user-gesture-required 启动 Chromium，或点击下面的按钮试听。",
              "The browser blocks autoplay: unattended, calls would be silent. Start Chromium with --autoplay-policy=no-user-gesture-required, or tap the button below to listen.");
          } else if (audio.onerror) {
            audio.onerror();
          }
        });
      }
    });
  }

  $("play-test").addEventListener("click", function () {
    tapped = true;
    run();
  });
  run();
})();
