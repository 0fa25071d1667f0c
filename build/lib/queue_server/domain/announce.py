"""Voice announcements of calls (叫号播报) for the lobby and window screens.

Pure rules: what the screen shows for a call, what is spoken, how the spoken phrase is
transcribed for espeak-ng, and the order in which announcements play.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass

from pypinyin import Style, lazy_pinyin

# fullmatch with explicit ASCII classes: `\d` would also accept other scripts' digits and `$`
# would let a trailing newline through; these strings end up on a synthesiser's stdin.
_TICKET_NUMBER = re.compile(r"[A-Z]{1,2}[0-9]{3,4}")
_WINDOW_NUMBER = re.compile(r"[0-9]{1,3}")

_DIGITS = "零一二三四五六七八九"

PLAYS_PER_ANNOUNCEMENT = 2
DEFAULT_MAX_WAITING = 20
# No call is heard more than this many seconds after it appeared on the screen.
DELAY_BOUND_S = 15.0
_REMEMBERED_CALL_IDS = 500


def check_ticket_number(number: str) -> str:
    """Return `number` if it is a ticket number like A001 or AB1234, else raise ValueError."""
    if not isinstance(number, str) or not _TICKET_NUMBER.fullmatch(number):
        raise ValueError(
            f"票号格式无效（应为1–2个大写字母加3–4位数字，如 A001）/ "
            f"invalid ticket number (expected 1–2 capital letters and 3–4 digits, e.g. A001): "
            f"{number!r:.40}"
        )
    return number


def check_window_number(window: str | int) -> int:
    """Return the window number as an int in 1–999, else raise ValueError."""
    value: int | None = None
    if isinstance(window, bool):
        value = None
    elif isinstance(window, int):
        value = window
    elif isinstance(window, str) and _WINDOW_NUMBER.fullmatch(window):
        value = int(window)
    if value is None or not 1 <= value <= 999:
        raise ValueError(
            f"窗口号无效（应为1–999）/ invalid window number (expected 1–999): {window!r:.40}"
        )
    return value


def chinese_numeral(value: int) -> str:
    """Read 0–999 as a Chinese number the way it is spoken: 12 → 十二, 105 → 一百零五."""
    if not 0 <= value <= 999:
        raise ValueError(f"数字超出范围 / number out of range 0–999: {value}")
    if value < 10:
        return _DIGITS[value]
    hundreds, rest = divmod(value, 100)
    tens, units = divmod(rest, 10)
    if hundreds == 0:
        # 十二, not 一十二: a leading 一 before 十 is dropped in speech.
        head = "" if tens == 1 else _DIGITS[tens]
        return head + "十" + (_DIGITS[units] if units else "")
    text = _DIGITS[hundreds] + "百"
    if rest == 0:
        return text
    if tens == 0:
        return text + "零" + _DIGITS[units]
    # Inside a larger number 十 keeps its 一: 110 → 一百一十.
    return text + _DIGITS[tens] + "十" + (_DIGITS[units] if units else "")


def spell_digits(digits: str) -> str:
    """Spell ASCII digits one by one in Chinese characters: "012" → "零一二" (1 is 一, not 幺)."""
    return "".join(_DIGITS[int(d)] for d in digits)


def call_text(number: str, window: str | int) -> str:
    """What the screen shows for a call: "请 A001 号到 3 号窗口办理"."""
    number = check_ticket_number(number)
    return f"请 {number} 号到 {check_window_number(window)} 号窗口办理"


def call_phrase(number: str, window: str | int) -> str:
    """What is spoken for a call: "请 A零零一 号，到 三 号窗口 办理"."""
    number = check_ticket_number(number)
    window_words = chinese_numeral(check_window_number(window))
    letters = number.rstrip("0123456789")
    digits = number[len(letters) :]
    return f"请 {letters}{spell_digits(digits)} 号，到 {window_words} 号窗口 办理"


def _is_hanzi(char: str) -> bool:
    return "\u4e00" <= char <= "\u9fff"


def spoken_pinyin(phrase: str) -> str:
    """Transcribe a spoken phrase into tone-numbered pinyin for espeak-ng's cmn-latn-pinyin voice.

    Raises ValueError on characters other than Chinese, capital letters, digits, spaces and
    commas, so that nothing else can reach the synthesiser.
    """
    tokens: list[str] = []
    hanzi_run: list[str] = []

    def flush_hanzi() -> None:
        if hanzi_run:
            # Whole runs go to pypinyin so its phrase dictionary picks the right reading
            # (一百 → yi4 bai3). Neutral tone comes out as 5, which espeak-ng reads as a
            # short, unstressed syllable; a toneless syllable would be read as tone 1.
            tokens.extend(
                lazy_pinyin("".join(hanzi_run), style=Style.TONE3, neutral_tone_with_five=True)
            )
            hanzi_run.clear()

    for char in phrase:
        if _is_hanzi(char):
            hanzi_run.append(char)
            continue
        flush_hanzi()
        if "A" <= char <= "Z":
            # A capital letter on its own is read by espeak-ng's Mandarin voices with the
            # letter names Chinese speakers use (A ei, B bi, Q kiu, W da-bu-liu). That beats
            # any pinyin spelling: names like kiu or vi have no pinyin syllable. Each letter
            # stays a separate word so "AN" is never taken for the syllable an.
            tokens.append(char)
        elif "0" <= char <= "9":
            tokens.append(lazy_pinyin(_DIGITS[int(char)], style=Style.TONE3)[0])
        elif char in "，,、":
            tokens.append(",")
        elif char.isspace():
            continue
        else:
            raise ValueError(f"播报文本含不支持的字符 / unsupported character in phrase: {char!r}")
    flush_hanzi()
    return " ".join(tokens).replace(" ,", ",")


@dataclass(frozen=True, slots=True)
class Play:
    """One playback of a call announcement (a call is played once or twice, see below)."""

    call_id: str
    number: str
    window: int
    is_recall: bool
    repeat: int  # 1 for the first playback, 2 for the second
    text: str
    phrase: str


@dataclass(slots=True)
class _Announcement:
    call_id: str
    number: str
    window: int
    is_recall: bool
    at: float  # when the call appeared on the screen, in seconds
    order: int  # arrival order, breaking ties between calls that appeared at the same moment
    plays_done: int = 0


class AnnouncementQueue:
    """Announcements waiting to be played on one screen, kept within a delay bound.

    One playback at a time. A call is played twice when nothing else waits, once when other
    calls wait. While one call waits it is next; once a backlog forms the newest call is
    spoken first (the people just called are the ones looking up). A call that could no
    longer start within `bound_s` seconds of appearing is not spoken at all (it stays on the
    screen), except a recall, which is never dropped and goes before other calls. So no call
    is heard more than `bound_s` seconds after it appeared, whatever the rate of calls.

    The display page mirrors this model in JavaScript (static/display/announce.js): on a call
    event it calls `enqueue` with the time, asks `next_to_play` for something to play, and
    calls `mark_played` when the audio ends (or fails), then asks again.
    """

    def __init__(
        self,
        max_waiting: int = DEFAULT_MAX_WAITING,
        plays_per_announcement: int = PLAYS_PER_ANNOUNCEMENT,
        bound_s: float = DELAY_BOUND_S,
    ) -> None:
        if max_waiting < 1 or plays_per_announcement < 1 or bound_s <= 0:
            raise ValueError("max_waiting, plays_per_announcement and bound_s must be positive")
        self.max_waiting = max_waiting
        self.plays_per_announcement = plays_per_announcement
        self.bound_s = bound_s
        self.dropped = 0
        self.skipped: list[str] = []  # call_ids never spoken, oldest first (bounded)
        self._waiting: list[_Announcement] = []
        self._current: _Announcement | None = None  # played at least once, may be repeated
        self._playing = False
        self._arrivals = 0
        # Remembered (bounded) so a replayed socket event for an old call is still ignored.
        self._seen: OrderedDict[str, None] = OrderedDict()

    def enqueue(
        self,
        call_id: str,
        number: str,
        window: str | int,
        is_recall: bool = False,
        at: float = 0.0,
    ) -> bool:
        """Queue the announcement of a call event that appeared at time `at` (seconds);
        False if this call_id was already queued."""
        number = check_ticket_number(number)
        window_number = check_window_number(window)
        if call_id in self._seen:
            return False
        self._seen[call_id] = None
        while len(self._seen) > _REMEMBERED_CALL_IDS:
            self._seen.popitem(last=False)
        self._arrivals += 1
        self._waiting.append(
            _Announcement(call_id, number, window_number, is_recall, at, self._arrivals)
        )
        # Memory bound: beyond it the oldest waiting calls go (never a recall).
        droppable = sorted((i for i in self._waiting if not i.is_recall), key=_age_key)
        for item in droppable[: max(len(self._waiting) - self.max_waiting, 0)]:
            self._drop(item)
        return True

    def _drop(self, item: _Announcement) -> None:
        self._waiting.remove(item)
        self.dropped += 1
        self.skipped.append(item.call_id)
        del self.skipped[:-_REMEMBERED_CALL_IDS]

    def next_to_play(self, now: float = 0.0) -> Play | None:
        """Start and return the next playback at time `now`, or None if one is still playing
        or nothing waits."""
        if self._playing:
            return None
        for item in [i for i in self._waiting if not i.is_recall and now - i.at > self.bound_s]:
            self._drop(item)
        current = self._current
        if self._waiting:
            self._current = None  # others wait: the current call is not repeated
            recalls = sorted((i for i in self._waiting if i.is_recall), key=_age_key)
            # A recall first (oldest recall first), else the newest call.
            chosen = recalls[0] if recalls else max(self._waiting, key=_age_key)
            self._waiting.remove(chosen)
            self._current = chosen
        elif current is not None and current.plays_done < self.plays_per_announcement:
            chosen = current
        else:
            self._current = None
            return None
        self._playing = True
        return Play(
            call_id=chosen.call_id,
            number=chosen.number,
            window=chosen.window,
            is_recall=chosen.is_recall,
            repeat=chosen.plays_done + 1,
            text=call_text(chosen.number, chosen.window),
            phrase=call_phrase(chosen.number, chosen.window),
        )

    def mark_played(self, call_id: str) -> bool:
        """Finish the current playback of `call_id`; False (and no change) if it is not playing."""
        current = self._current
        if not self._playing or current is None or current.call_id != call_id:
            return False
        self._playing = False
        current.plays_done += 1
        if current.plays_done >= self.plays_per_announcement:
            self._current = None
        return True

    @property
    def is_playing(self) -> bool:
        """True while a playback has started and not been marked played."""
        return self._playing

    def waiting_numbers(self) -> list[str]:
        """Ticket numbers still waiting to be announced, oldest first (the one playing or
        still to be repeated first)."""
        items = sorted(self._waiting, key=_age_key)
        if self._current is not None:
            items.insert(0, self._current)
        return [item.number for item in items]

    def __len__(self) -> int:
        return len(self._waiting) + (self._current is not None)


def _age_key(item: _Announcement) -> tuple[float, int]:
    return (item.at, item.order)
