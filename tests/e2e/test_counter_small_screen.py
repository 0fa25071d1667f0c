"""The counter panel on a small clerk PC (1024×768): button labels stay whole words and a
toast never covers a button."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .conftest import Server, axe_audit, screenshot, sign_in_counter

pytestmark = pytest.mark.browser
ENV = {"HALLQ_CLOCK_START": "2026-11-26T09:30:00+08:00", "HALLQ_DEVICE_WORKERS": "0"}

# For every visible button: each run of text (the Chinese label, the English line, the hint
# below) as the lines the browser laid it out in. A label broken mid-word has two lines.
LINES_OF_LABELS = """
() => {
  const out = [];
  for (const button of document.querySelectorAll('button')) {
    if (!button.offsetParent) continue;
    const walker = document.createTreeWalker(button, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = node.textContent.trim();
      if (!text) continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
      out.push({button: button.id || button.textContent.trim().slice(0, 12), text, lines: tops.size});
    }
  }
  return out;
}
"""


@pytest.fixture(scope="module")
def hall(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = Server(tmp_path_factory.mktemp("counter-small"), env=ENV)
    srv.seed()
    srv.start()
    yield srv
    srv.stop()


def overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


def test_counter_at_1024_by_768_keeps_labels_whole_and_toasts_off_the_buttons(hall, new_page):
    clerk = next(c for c in hall.demo["clerks"] if c["window_number"] == 1)
    hall.issue("A")
    hall.issue("A")
    page = sign_in_counter(new_page(1024, 768), hall, clerk, clerk["window"])
    page.wait_for_function("document.documentElement.dataset.live === 'up'")
    page.wait_for_selector("#banner-action:not([hidden])")
    page.click("#banner-action")
    page.wait_for_selector("#state-banner", state="hidden")
    page.keyboard.press("1")  # 叫下一位: a toast says so
    page.wait_for_selector("#toast:not([hidden])")
    screenshot(page, "counter-1024x768")

    broken = [label for label in page.evaluate(LINES_OF_LABELS) if label["lines"] > 1]
    assert not broken, f"button labels broken over lines at 1024×768: {broken}"
    toast = page.locator("#toast").bounding_box()
    covered = [
        button.get_attribute("id") or button.inner_text()[:10]
        for button in page.locator("button:visible").all()
        if overlap(toast, button.bounding_box())
    ]
    assert not covered, f"the toast covers {covered}"
    assert page.evaluate("document.documentElement.scrollWidth") <= 1024, "no sideways scroll"
    axe_audit(page, "counter panel at 1024×768")
