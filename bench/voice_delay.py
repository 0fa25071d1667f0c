"""How late the lobby's voice speaks a call, at different call rates: hallq's announcement queue
(once when others wait, newest first, nothing later than 15 s, recalls always) against playing
every call twice in order, as the screens did before.

Each playback of 请 A零零一 号，到 三 号窗口 办理 lasts 4.75 s (espeak-ng at 160 wpm, with the
gap). Pure simulation of the domain's queue, no server. Run from the repository root:
.venv/bin/python bench/voice_delay.py
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._bench import machine  # noqa: E402
from queue_server.domain.announce import (  # noqa: E402
    AnnouncementQueue,
    Play,
    call_phrase,
    call_text,
)

SPOKEN_S = 4.75


def run(calls: list[tuple[float, str, bool]], queue: AnnouncementQueue) -> list[tuple[str, float]]:
    """(call_id, delay until its first playback) for every call spoken."""
    pending = sorted(calls, key=lambda call: call[0])
    appeared = {call_id: at for at, call_id, _ in calls}
    heard: list[tuple[str, float]] = []
    now = 0.0

    def arrive() -> None:
        while pending and pending[0][0] <= now:
            at, call_id, recall = pending.pop(0)
            queue.enqueue(call_id, "A001", 1, is_recall=recall, at=at)

    while True:
        arrive()
        play = queue.next_to_play(now)
        if play is None:
            if not pending:
                return heard
            now = pending[0][0]
            continue
        if play.repeat == 1:
            heard.append((play.call_id, now - appeared[play.call_id]))
        now += SPOKEN_S
        arrive()
        queue.mark_played(play.call_id)


class _Fifo(AnnouncementQueue):
    """The queue before: oldest first and each call played twice whatever waits."""

    def next_to_play(self, now: float = 0.0) -> Play | None:
        if self._playing:
            return None
        current = self._current
        if current is not None and current.plays_done < self.plays_per_announcement:
            self._waiting.insert(0, current)
        self._current = None
        if not self._waiting:
            return None
        chosen = self._waiting.pop(0)
        self._current = chosen
        self._playing = True
        return Play(
            chosen.call_id,
            chosen.number,
            chosen.window,
            chosen.is_recall,
            chosen.plays_done + 1,
            call_text(chosen.number, chosen.window),
            call_phrase(chosen.number, chosen.window),
        )


def scenario(name: str, calls: list[tuple[float, str, bool]]) -> None:
    now = run(calls, AnnouncementQueue())
    before = run(calls, _Fifo())  # as before, at most 20 calls waiting
    worst_now = max(delay for _, delay in now)
    worst_before = max(delay for _, delay in before)
    recalls = {c for _, c, recall in calls if recall}
    heard_recalls = recalls & {c for c, _ in now}
    print(
        f"{name:<38} calls {len(calls):>3}  "
        f"now: heard {len(now):>3}, latest {worst_now:5.1f} s, recalls {len(heard_recalls)}/"
        f"{len(recalls)}   before: heard {len(before):>3}, latest {worst_before:6.1f} s"
    )


def main() -> None:
    print(machine())
    print(f"one playback {SPOKEN_S} s; bound {AnnouncementQueue().bound_s:g} s")
    scenario("6 calls in 6 s", [(float(i), f"c{i}", False) for i in range(6)])
    scenario("6 calls at once", [(0.0, f"c{i}", False) for i in range(6)])
    scenario("a call every 10 s for 10 min", [(i * 10.0, f"c{i}", False) for i in range(60)])
    scenario("a call every 4 s for 10 min", [(i * 4.0, f"c{i}", False) for i in range(150)])
    rng = random.Random(14)
    busy, t = [], 0.0
    for i in range(300):  # a busy morning: 8 windows, a call every ~3 s, one in ten a recall
        t += rng.expovariate(1 / 3.0)
        busy.append((t, f"c{i}", rng.random() < 0.1))
    scenario("busy morning (~3 s apart, 10% recalls)", busy)


if __name__ == "__main__":
    main()
