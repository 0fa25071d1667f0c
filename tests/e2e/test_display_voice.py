"""Call announcements on the lobby screen in a real browser: each call twice, one at a time,
a recall announced again; the server's espeak-ng voice, the fallbacks, and the 启用语音 tap."""

from __future__ import annotations

import io
import math
import struct
import wave
from collections.abc import Iterator
from typing import Any

import pytest

from .conftest import Server, axe_audit, screenshot

pytestmark = pytest.mark.browser
ENV = {"HALLQ_CLOCK_START": "2026-11-26T09:30:00+08:00", "HALLQ_DEVICE_WORKERS": "0"}
VOICE_URLS = "**/display/voice/*/*.wav"


@pytest.fixture(scope="module")
def hall(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = Server(tmp_path_factory.mktemp("voice"), env=ENV)
    srv.seed()
    srv.start()
    yield srv
    srv.stop()


def short_wav(seconds: float = 0.25) -> bytes:
    """A short beep standing in for the spoken phrase, so the test hears six of them fast."""
    rate = 8000
    frames = b"".join(
        struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / rate)))
        for i in range(int(rate * seconds))
    )
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(frames)
    return buffer.getvalue()


def lobby(new_page: Any, srv: Server, voice_route: Any = None, init_script: str = "") -> Any:
    page = new_page(1920, 1080)
    if init_script:
        page.add_init_script(init_script)
    if voice_route is not None:
        page.route(VOICE_URLS, voice_route)
    page.goto(f"{srv.url}/display/hall/{srv.demo['hall']}")
    page.wait_for_function("document.documentElement.dataset.live === 'up'")
    return page


def played(page: Any, count: int, timeout: float = 15) -> list[dict[str, Any]]:
    page.wait_for_function(
        "n => (window.__played || []).length >= n", arg=count, timeout=timeout * 1000
    )
    return page.evaluate("window.__played")  # type: ignore[no-any-return]


def test_each_call_plays_twice_in_order_without_overlap_and_a_recall_again(hall, new_page):
    beep = short_wav()
    page = lobby(
        new_page,
        hall,
        lambda route: route.fulfill(status=200, content_type="audio/wav", body=beep),
    )
    first, second = hall.issue("A"), hall.issue("A")
    hall.window(1, "open")
    hall.window(2, "open")
    hall.window(1, "call-next")
    hall.window(2, "call-next")
    hall.window(1, "recall")

    plays = played(page, 6)
    order = [(p["number"], p["window"], p["repeat"], p["recall"]) for p in plays]
    assert order == [
        (first["number"], 1, 1, False),
        (first["number"], 1, 2, False),
        (second["number"], 2, 1, False),
        (second["number"], 2, 2, False),
        (first["number"], 1, 1, True),
        (first["number"], 1, 2, True),
    ]
    for before, after in zip(plays, plays[1:], strict=False):
        assert after["started"] >= before["ended"], "two announcements overlapped"
    assert {p["via"] for p in plays} == {"server"}
    assert plays[0]["text"] == f"请 {first['number']} 号到 1 号窗口办理"
    page.wait_for_timeout(300)
    assert len(page.evaluate("window.__played")) == 6  # nothing is announced twice more


def test_the_server_voice_is_a_real_spoken_phrase(hall, new_page):
    page = lobby(new_page, hall)
    hall.issue("B")
    hall.window(4, "open")
    hall.window(4, "call-next")
    (first,) = played(page, 1, timeout=20)[:1]
    assert first["via"] == "server"
    assert first["ended"] - first["started"] > 1000  # the whole 请…号到…号窗口办理, not a click


def test_without_the_server_voice_the_screen_falls_back_and_still_shows_the_call(hall, new_page):
    page = lobby(
        new_page,
        hall,
        lambda route: route.fulfill(
            status=503, content_type="application/json", body='{"error":"voice_unavailable"}'
        ),
    )
    ticket = hall.issue("C")
    hall.window(5, "open")
    hall.window(5, "call-next")
    page.wait_for_function(
        "t => document.querySelector('#latest-number').textContent === t", arg=ticket["number"]
    )
    plays = played(page, 2)
    assert {p["via"] for p in plays} <= {"chime", "speech"}
    assert [p["repeat"] for p in plays[:2]] == [1, 2]


BLOCK_AUTOPLAY = """
(() => {
  const realPlay = HTMLMediaElement.prototype.play;
  window.__tapped = false;
  document.addEventListener('click', () => { window.__tapped = true; }, true);
  HTMLMediaElement.prototype.play = function () {
    if (!window.__tapped) {
      return Promise.reject(new DOMException('autoplay blocked', 'NotAllowedError'));
    }
    return realPlay.call(this);
  };
})();
"""


def test_where_autoplay_is_blocked_one_tap_enables_the_voice(hall, new_page):
    beep = short_wav()
    page = lobby(
        new_page,
        hall,
        lambda route: route.fulfill(status=200, content_type="audio/wav", body=beep),
        init_script=BLOCK_AUTOPLAY,
    )
    ticket = hall.issue("D")
    hall.window(6, "open")
    hall.window(6, "call-next")
    page.wait_for_selector("#unlock-voice:not([hidden])")
    assert page.evaluate("window.__played.length") == 0
    screenshot(page, "lobby-enable-voice")
    axe_audit(page, "lobby with the voice button")
    page.click("#unlock-voice")
    plays = played(page, 2)
    assert [(p["number"], p["repeat"]) for p in plays] == [
        (ticket["number"], 1),
        (ticket["number"], 2),
    ]
    assert page.is_hidden("#unlock-voice")
