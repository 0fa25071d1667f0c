"""好差评 in a real browser: the pad at the window asks after each finished service and stores
one rating; the two lowest levels ask for a reason; the phone widget rates once."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from .conftest import Server, axe_audit, screenshot

pytestmark = pytest.mark.browser
ENV = {"HALLQ_CLOCK_START": "2026-11-26T09:30:00+08:00", "HALLQ_DEVICE_WORKERS": "0"}


@pytest.fixture(scope="module")
def hall(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = Server(tmp_path_factory.mktemp("evaluate"), env=ENV)
    srv.seed()
    srv.start()
    yield srv
    srv.stop()


def evaluation_of(srv: Server, token: str) -> dict[str, Any]:
    return requests.get(f"{srv.url}/api/v1/tickets/{token}/evaluation", timeout=5).json()  # type: ignore[no-any-return]


def serve_one(srv: Server, window_number: int, category: str = "A") -> dict[str, Any]:
    ticket = srv.issue(category)
    srv.window(window_number, "call-next")
    srv.window(window_number, "finish", {"outcome": "completed"})
    return ticket


LEVELS = ("very_satisfied", "satisfied", "basic", "dissatisfied", "very_dissatisfied")


def face_ink(page: Any, level: str) -> set[tuple[int, int]]:
    """The dark pixels of a level's face as drawn on screen."""
    from PIL import Image

    png = page.locator(f".rating-level[data-level={level}] svg.face").screenshot()
    image = Image.open(io.BytesIO(png)).convert("L").resize((48, 48))
    background = image.getpixel((0, 0))
    return {
        (x, y)
        for x in range(48)
        for y in range(48)
        if abs(image.getpixel((x, y)) - background) > 80  # type: ignore[operator]
    }


def assert_five_distinct_faces(page: Any) -> None:
    """Each level has its own face: any two differ in at least a tenth of their ink."""
    ink = {level: face_ink(page, level) for level in LEVELS}
    for i, a in enumerate(LEVELS):
        for b in LEVELS[i + 1 :]:
            differing = len(ink[a] ^ ink[b]) / len(ink[a] | ink[b])
            assert differing > 0.1, f"{a} and {b} look alike ({differing:.0%} of the ink differs)"


def test_the_pad_asks_after_each_service_and_stores_one_rating(hall, new_page):
    clerk = next(c for c in hall.demo["clerks"] if c["window_number"] == 3)
    hall.window(3, "open")
    pad = new_page(1280, 800, has_touch=True)
    pad.goto(f"{hall.url}/evaluate/{clerk['window']}?token={hall.pad_token(clerk['window'])}")
    pad.wait_for_function("document.documentElement.dataset.live === 'up'")
    assert "token=" not in pad.url, "the device token leaves the address at once"
    assert pad.is_visible("text=办理结束后请对我们的服务进行评价")
    axe_audit(pad, "evaluation pad idle")

    ticket = serve_one(hall, 3)
    pad.wait_for_selector("#pad-ask:not([hidden])", timeout=1000)
    assert ticket["number"] in pad.inner_text("#pad-question")
    screenshot(pad, "evaluate-pad-asking")
    axe_audit(pad, "evaluation pad asking")
    assert_five_distinct_faces(pad)
    pad.click(".rating-level[data-level=satisfied]")
    pad.wait_for_selector("#pad-thanks:not([hidden])")
    assert "满意" in pad.inner_text("#pad-thanks-level")
    stored = evaluation_of(hall, ticket["token"])
    assert stored["evaluation"]["level"] == "satisfied"
    assert stored["evaluation"]["source"] == "pad"

    # the next visit: a low rating asks what went wrong
    second = serve_one(hall, 3)
    pad.wait_for_function(
        "n => !document.querySelector('#pad-ask').hidden &&"
        " document.querySelector('#pad-number').textContent === n",
        arg=second["number"],
    )
    pad.click(".rating-level[data-level=dissatisfied]")
    pad.wait_for_selector(".rating-more:not([hidden])")
    assert pad.is_disabled(".rating-send")
    pad.click(".rating-reason[data-reason=efficiency]")
    pad.fill("#pad-comment", "等候时间太长")
    screenshot(pad, "evaluate-pad-reason")
    axe_audit(pad, "evaluation pad reason")
    pad.click(".rating-send")
    pad.wait_for_selector("#pad-thanks:not([hidden])")
    stored = evaluation_of(hall, second["token"])["evaluation"]
    assert (stored["level"], stored["reason"], stored["comment"]) == (
        "dissatisfied",
        "efficiency",
        "等候时间太长",
    )


def test_the_phone_widget_rates_once_and_the_pad_stops_asking(hall, new_page):
    clerk = next(c for c in hall.demo["clerks"] if c["window_number"] == 4)
    hall.window(4, "open")
    pad = new_page(1280, 800)
    pad.goto(f"{hall.url}/evaluate/{clerk['window']}")
    pad.wait_for_function("document.documentElement.dataset.live === 'up'")
    ticket = serve_one(hall, 4, "B")
    pad.wait_for_selector("#pad-ask:not([hidden])")

    phone = new_page(390, 844, is_mobile=True, has_touch=True)
    phone.goto(f"{hall.url}/evaluate/ticket/{ticket['token']}")
    phone.wait_for_selector(".hallq-evaluation:not([hidden])")
    axe_audit(phone, "phone evaluation widget")
    screenshot(phone, "evaluate-phone-widget")
    phone.click(".rating-level[data-level=very_satisfied]")
    phone.wait_for_selector(".hallq-evaluation-done:not([hidden])")
    assert "非常满意" in phone.inner_text(".hallq-evaluation-done")
    # 一次一评: the pad facing the citizen closes its question
    pad.wait_for_selector("#pad-thanks:not([hidden])", timeout=1000)
    phone.reload()
    phone.wait_for_selector(".hallq-evaluation-done:not([hidden])")
    assert phone.locator(".rating-level").count() == 0 or phone.is_hidden(".hallq-evaluation-form")


def test_a_pad_without_its_device_token_cannot_rate(hall, new_page):
    clerk = next(c for c in hall.demo["clerks"] if c["window_number"] == 2)
    hall.window(2, "open")
    pad = new_page(1280, 800)
    pad.goto(f"{hall.url}/evaluate/{clerk['window']}")
    pad.wait_for_function("document.documentElement.dataset.live === 'up'")
    ticket = serve_one(hall, 2)
    pad.wait_for_selector("#pad-ask:not([hidden])")
    pad.click(".rating-level[data-level=satisfied]")
    pad.wait_for_selector("text=评价器未授权")
    assert pad.is_hidden("#pad-thanks")
    assert evaluation_of(hall, ticket["token"])["evaluation"] is None
