"""Call announcements on the lobby screen in a real browser: one at a time, a lone call twice,
a recall announced again, six calls in six seconds each heard within 15 s; the server's espeak-ng voice, the fallbacks, and the 启用语音 tap."""

from __future__ import annotations

import io
import math
import struct
import time
import wave
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from queue_server.domain.announce import AnnouncementQueue

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


def test_a_lone_call_plays_twice_and_a_recall_again_without_overlap(hall, new_page):
    beep = short_wav()
    page = lobby(
        new_page,
        hall,
        lambda route: route.fulfill(status=200, content_type="audio/wav", body=beep),
    )
    first = hall.issue("A")
    hall.window(1, "open")
    hall.window(1, "call-next")
    played(page, 2)
    hall.window(1, "recall")

    plays = played(page, 4)
    order = [(p["number"], p["window"], p["repeat"], p["recall"]) for p in plays]
    assert order == [
        (first["number"], 1, 1, False),
        (first["number"], 1, 2, False),
        (first["number"], 1, 1, True),
        (first["number"], 1, 2, True),
    ]
    for before, after in zip(plays, plays[1:], strict=False):
        assert after["started"] >= before["ended"], "two announcements overlapped"
    assert {p["via"] for p in plays} == {"server"}
    assert plays[0]["text"] == f"请 {first['number']} 号到 1 号窗口办理"
    page.wait_for_timeout(300)
    assert len(page.evaluate("window.__played")) == 4  # nothing is announced twice more


SPOKEN_S = 4.75  # one playback of the real phrase 请 A零零一 号，到 一 号窗口 办理
BOUND_S = 15.0


def test_six_calls_in_six_seconds_are_each_heard_within_fifteen_seconds(tmp_path, new_page):
    """Six windows call within six seconds and one recalls: from the audio the page asks
    for, no call starts being spoken more than 15 s after it was made, the newest call and
    the recall are heard, and a call is said twice only when nothing else waits."""
    srv = Server(tmp_path, env=ENV)
    srv.seed()
    srv.start()
    try:
        phrase = short_wav(SPOKEN_S)
        requested: list[tuple[float, str]] = []

        def voice(route: Any) -> None:
            number = route.request.url.split("/display/voice/")[1].split("/")[0]
            requested.append((time.monotonic(), number))
            route.fulfill(status=200, content_type="audio/wav", body=phrase)

        page = lobby(new_page, srv, voice)
        windows = [(1, "A"), (2, "A"), (3, "A"), (4, "B"), (6, "D"), (7, "E")]
        actions = []
        for number, category in windows:
            srv.issue(category)
            srv.window(number, "open")
            token, window_id = srv.clerk_token(number)
            actions.append((number, token, window_id))

        def act(window_id: int, token: str, action: str) -> dict[str, Any]:
            response = requests.post(
                f"{srv.url}/api/v1/windows/{window_id}/{action}",
                json={},
                headers={"Authorization": f"Bearer {token}"},
                timeout=10,
            )
            assert response.status_code == 200, response.text
            return response.json()  # type: ignore[no-any-return]

        called: dict[str, float] = {}
        start = time.monotonic()
        for k, (_number, token, window_id) in enumerate(actions):
            # Waiting through Playwright lets it answer the page's audio requests meanwhile.
            page.wait_for_timeout(max(0.0, start + k - time.monotonic()) * 1000)
            ticket = act(window_id, token, "call-next")["ticket"]
            called[ticket["number"]] = time.monotonic()
        first_number = next(iter(called))
        _number, token, window_id = actions[0]
        act(window_id, token, "recall")
        recalled_at = time.monotonic()
        assert recalled_at - start < 7

        # Everything that will be said is said within the bound plus two playbacks.
        page.wait_for_timeout(int((BOUND_S + 2 * SPOKEN_S + 1) * 1000))
        plays = page.evaluate("window.__played")
    finally:
        srv.stop()

    heard_first: dict[str, float] = {}
    for at, number in requested:
        heard_first.setdefault(number, at)
    late = {n: round(heard_first[n] - called[n], 1) for n in heard_first if n in called}
    assert all(delay <= BOUND_S for delay in late.values()), late
    newest = list(called)[-1]
    assert newest in heard_first, f"the newest call {newest} was never spoken: {late}"
    recalls = [p for p in plays if p["recall"]]
    assert recalls and recalls[0]["number"] == first_number, "the recall was not spoken"
    # A recall goes first: it is heard within one playback of being made.
    recall_request = next(
        at for at, number in requested if number == first_number and at > recalled_at
    )
    assert recall_request - recalled_at <= SPOKEN_S + 1
    # Said twice only when nothing else waited: the repeats are of the last calls played.
    repeats = [p["number"] for p in plays if p["repeat"] == 2]
    assert len(repeats) <= 1 and (not repeats or repeats[0] == plays[-1]["number"])
    for before, after in zip(plays, plays[1:], strict=False):
        assert after["started"] >= before["ended"], "two announcements overlapped"
    print("voice delays (s) from call to first audio request:", late)


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


def boxes_overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


def test_the_enable_voice_button_covers_neither_the_call_nor_the_header_text(hall, new_page):
    page = lobby(new_page, hall, init_script=BLOCK_AUTOPLAY)
    ticket = hall.issue("E")
    hall.window(7, "open")
    hall.window(7, "call-next")
    page.wait_for_selector("#unlock-voice:not([hidden])")
    button = page.locator("#unlock-voice").bounding_box()
    for shown in ("#latest", ".hall-name", ".clock", "#recent-body"):
        assert not boxes_overlap(button, page.locator(shown).bounding_box()), shown
    assert page.text_content("#latest-number") == ticket["number"]

    window_page = new_page(1280, 720)
    window_page.add_init_script(BLOCK_AUTOPLAY)
    window_id = next(c["window"] for c in hall.demo["clerks"] if c["window_number"] == 7)
    window_page.goto(f"{hall.url}/display/window/{window_id}?voice=on")
    window_page.wait_for_function("document.documentElement.dataset.live === 'up'")
    hall.window(7, "recall")
    window_page.wait_for_selector("#unlock-voice:not([hidden])")
    button = window_page.locator("#unlock-voice").bounding_box()
    for shown in ("#wd-now", ".wd-number", ".wd-name", "#wd-clerk"):
        assert not boxes_overlap(button, window_page.locator(shown).bounding_box()), shown
    screenshot(window_page, "window-display-enable-voice")


def test_the_setup_page_plays_a_test_announcement_and_says_sound_works(hall, new_page):
    page = new_page(1280, 800)
    requests_seen: list[str] = []
    page.on("request", lambda request: requests_seen.append(request.url))
    page.goto(f"{hall.url}/display/setup")
    page.wait_for_function(
        "document.getElementById('verdict').dataset.state === 'ok'", timeout=20_000
    )
    assert "无需点击即可播报" in page.text_content("#verdict")
    assert "可用" in page.text_content("#check-voice")
    assert any(url.endswith("/display/voice/test.wav") for url in requests_seen)
    assert page.locator(f"a[href='/display/hall/{hall.demo['hall']}']").count() == 1
    screenshot(page, "display-setup-ok")
    axe_audit(page, "screen set-up page")


def test_the_setup_page_says_when_the_browser_blocks_autoplay(hall, new_page):
    page = new_page(1280, 800)
    page.add_init_script(BLOCK_AUTOPLAY)
    page.goto(f"{hall.url}/display/setup")
    page.wait_for_function("document.getElementById('verdict').dataset.state === 'blocked'")
    assert "--autoplay-policy=no-user-gesture-required" in page.text_content("#verdict")
    screenshot(page, "display-setup-blocked")
    page.click("#play-test")
    page.wait_for_function(
        "document.getElementById('verdict').dataset.state === 'tap-only'", timeout=20_000
    )
    assert "无人值守时叫号不会出声" in page.text_content("#verdict")


SIMULATE_IN_PAGE = """
([calls, seconds]) => {
  const queue = new window.HallqAnnounce.Queue();
  const pending = calls.slice().sort((a, b) => a[0] - b[0]);
  const plays = [];
  let now = 0;
  const arrive = () => {
    while (pending.length && pending[0][0] <= now) {
      const [at, id, recall] = pending.shift();
      queue.enqueue(id, "A" + String(Number(id.slice(1))).padStart(3, "0"), 1, recall, at);
    }
  };
  for (;;) {
    arrive();
    const play = queue.nextToPlay(now);
    if (!play) {
      if (!pending.length) break;
      now = pending[0][0];
      continue;
    }
    plays.push([play.callId, play.repeat, now]);
    now += seconds;
    arrive();
    queue.markPlayed(play.callId);
  }
  return {plays, skipped: queue.skipped.slice().sort()};
}
"""


def domain_plays(calls: list[tuple[float, str, bool]], seconds: float) -> tuple[list[Any], Any]:
    """The same schedule through the domain's AnnouncementQueue."""
    queue = AnnouncementQueue()
    pending = sorted(calls, key=lambda call: call[0])
    plays: list[Any] = []
    now = 0.0

    def arrive() -> None:
        while pending and pending[0][0] <= now:
            at, call_id, recall = pending.pop(0)
            queue.enqueue(call_id, f"A{int(call_id[1:]):03d}", 1, is_recall=recall, at=at)

    while True:
        arrive()
        play = queue.next_to_play(now)
        if play is None:
            if not pending:
                break
            now = pending[0][0]
            continue
        plays.append((play.call_id, play.repeat, now))
        now += seconds
        arrive()
        queue.mark_played(play.call_id)
    return plays, queue


@pytest.mark.parametrize(
    "calls",
    [
        [(float(i), f"c{i}", False) for i in range(6)],
        [(i * 0.5, f"c{i}", False) for i in range(10)] + [(1.2, "c90", True)],
        [(0.0, "c0", False), (20.0, "c1", False), (21.0, "c2", True), (40.0, "c3", False)],
        [(i * 2.5, f"c{i}", i % 4 == 3) for i in range(16)],
    ],
)
def test_the_page_plays_calls_in_the_order_the_domain_queue_does(hall, new_page, calls):
    """static/display/announce.js mirrors queue_server/domain/announce.py."""
    page = new_page(800, 600)
    page.goto(f"{hall.url}/display/hall/{hall.demo['hall']}?voice=off")
    in_page = page.evaluate(SIMULATE_IN_PAGE, [[list(c) for c in calls], SPOKEN_S])
    plays, queue = domain_plays(calls, SPOKEN_S)
    assert [tuple(p) for p in in_page["plays"]] == [(c, r, pytest.approx(t)) for c, r, t in plays]
    assert in_page["skipped"] == sorted(queue.skipped)
