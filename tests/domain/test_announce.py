import pytest

from queue_server.domain.announce import (
    AnnouncementQueue,
    call_phrase,
    call_text,
    chinese_numeral,
    spoken_pinyin,
)


@pytest.mark.parametrize(
    ("number", "window", "text", "phrase"),
    [
        ("A001", 3, "请 A001 号到 3 号窗口办理", "请 A零零一 号，到 三 号窗口 办理"),
        ("B012", 12, "请 B012 号到 12 号窗口办理", "请 B零一二 号，到 十二 号窗口 办理"),
        ("C100", "1", "请 C100 号到 1 号窗口办理", "请 C一零零 号，到 一 号窗口 办理"),
        ("AB1234", "07", "请 AB1234 号到 7 号窗口办理", "请 AB一二三四 号，到 七 号窗口 办理"),
    ],
)
def test_screen_text_and_spoken_phrase(number, window, text, phrase):
    assert call_text(number, window) == text
    assert call_phrase(number, window) == phrase


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (1, "一"),
        (10, "十"),
        (12, "十二"),
        (20, "二十"),
        (99, "九十九"),
        (100, "一百"),
        (105, "一百零五"),
        (110, "一百一十"),
        (312, "三百一十二"),
        (999, "九百九十九"),
    ],
)
def test_window_numbers_read_as_chinese_numbers(value, words):
    assert chinese_numeral(value) == words


@pytest.mark.parametrize(
    ("number", "window", "syllables"),
    [
        (
            "A001",
            3,
            "qing3 A ling2 ling2 yi1 hao4 dao4 san1 hao4 chuang1 kou3 ban4 li3",
        ),
        (
            "B012",
            12,
            "qing3 B ling2 yi1 er4 hao4 dao4 shi2 er4 hao4 chuang1 kou3 ban4 li3",
        ),
        (
            "C100",
            1,
            "qing3 C yi1 ling2 ling2 hao4 dao4 yi1 hao4 chuang1 kou3 ban4 li3",
        ),
    ],
)
def test_pinyin_has_the_syllables_in_order(number, window, syllables):
    transcription = spoken_pinyin(call_phrase(number, window))
    assert transcription.replace(",", "").split() == syllables.split()


def test_pinyin_pauses_after_the_number_and_spells_two_letter_prefixes():
    transcription = spoken_pinyin(call_phrase("AN001", 2))
    # Separate letters, so espeak-ng names them instead of reading the syllable "an".
    assert transcription.startswith("qing3 A N ling2 ling2 yi1 hao4, dao4 er4 hao4")


def test_pinyin_neutral_tone_is_five():
    assert spoken_pinyin("好的") == "hao3 de5"


@pytest.mark.parametrize(
    "phrase", ["请 a001 号", "hello; rm -rf", "请<speak>", "A;B", "A\x00B", "[[a]]"]
)
def test_pinyin_rejects_text_that_is_not_an_announcement(phrase):
    with pytest.raises(ValueError, match="unsupported character"):
        spoken_pinyin(phrase)


@pytest.mark.parametrize(
    "number", ["A01", "a001", "ABC001", "A12345", "001", "A001\n", "A００1", "A١٢٣", "", " A001"]
)
def test_bad_ticket_numbers_are_rejected_in_both_languages(number):
    with pytest.raises(ValueError, match="票号格式无效.*invalid ticket number"):
        call_text(number, 1)
    with pytest.raises(ValueError, match="invalid ticket number"):
        call_phrase(number, 1)


@pytest.mark.parametrize("window", [0, "0", 1000, "1000", "", "3a", "-1", -1, True, "3\n", 2.0])
def test_bad_window_numbers_are_rejected_in_both_languages(window):
    with pytest.raises(ValueError, match="窗口号无效.*invalid window number"):
        call_phrase("A001", window)


def play_all(queue, now=0.0):
    """Play everything queued, as the display page does, and return (call_id, repeat) pairs."""
    played = []
    while (play := queue.next_to_play(now)) is not None:
        assert queue.next_to_play(now) is None, "a second playback started while one was playing"
        played.append((play.call_id, play.repeat))
        assert queue.mark_played(play.call_id)
    return played


def test_a_lone_call_is_played_twice():
    queue = AnnouncementQueue()
    assert queue.enqueue("c1", "A001", 3, is_recall=False)
    assert play_all(queue) == [("c1", 1), ("c1", 2)]
    assert len(queue) == 0
    assert queue.next_to_play() is None


def test_a_call_is_played_once_when_another_waits():
    queue = AnnouncementQueue()
    queue.enqueue("c1", "A001", 3)
    first = queue.next_to_play()
    assert first is not None and first.call_id == "c1"
    queue.enqueue("c2", "B012", 12)
    queue.mark_played("c1")
    assert play_all(queue) == [("c2", 1), ("c2", 2)]
    assert len(queue) == 0


def test_play_carries_what_to_show_and_say():
    queue = AnnouncementQueue()
    queue.enqueue("c1", "B012", "12", is_recall=True)
    play = queue.next_to_play()
    assert play is not None
    assert (play.number, play.window, play.is_recall, play.repeat) == ("B012", 12, True, 1)
    assert play.text == "请 B012 号到 12 号窗口办理"
    assert play.phrase == "请 B零一二 号，到 十二 号窗口 办理"


def test_nothing_overlaps_while_a_play_is_running():
    queue = AnnouncementQueue()
    queue.enqueue("c1", "A001", 3)
    first = queue.next_to_play()
    assert first is not None and queue.is_playing
    queue.enqueue("c2", "A002", 4)
    assert queue.next_to_play() is None
    # A late "ended" event for another call does not end the current playback.
    assert not queue.mark_played("c2")
    assert queue.next_to_play() is None
    assert queue.mark_played("c1")
    second = queue.next_to_play()
    assert second is not None and (second.call_id, second.repeat) == ("c2", 1)


def test_a_recall_is_announced_again():
    queue = AnnouncementQueue()
    queue.enqueue("c1", "A001", 3)
    play_all(queue)
    assert queue.enqueue("c2", "A001", 3, is_recall=True)
    assert play_all(queue) == [("c2", 1), ("c2", 2)]


def test_the_same_call_event_twice_is_announced_once():
    queue = AnnouncementQueue()
    assert queue.enqueue("c1", "A001", 3)
    assert not queue.enqueue("c1", "A001", 3)
    assert play_all(queue) == [("c1", 1), ("c1", 2)]
    # Also after it was played, e.g. when a reconnecting screen replays recent events.
    assert not queue.enqueue("c1", "A001", 3)
    assert play_all(queue) == []


def simulate(calls, seconds_per_play=4.75):
    """Play `calls` [(at, call_id, is_recall)] as a screen would, each playback lasting
    `seconds_per_play`; return [(call_id, repeat, started_at)] and the queue."""
    queue = AnnouncementQueue()
    pending = sorted(calls, key=lambda call: call[0])
    now, plays = 0.0, []
    while pending or len(queue):
        while pending and pending[0][0] <= now:
            at, call_id, recall = pending.pop(0)
            queue.enqueue(call_id, f"A{int(call_id[1:]):03d}", 1, is_recall=recall, at=at)
        play = queue.next_to_play(now)
        if play is None:
            if not pending:
                break
            now = pending[0][0]
            continue
        plays.append((play.call_id, play.repeat, now))
        # Calls that appear while this one plays are queued when it ends.
        now += seconds_per_play
        while pending and pending[0][0] <= now:
            at, call_id, recall = pending.pop(0)
            queue.enqueue(call_id, f"A{int(call_id[1:]):03d}", 1, is_recall=recall, at=at)
        queue.mark_played(play.call_id)
    return plays, queue


@pytest.mark.parametrize("gap", [0.0, 0.5, 1.0, 2.0, 3.0, 5.0])
def test_no_call_is_heard_more_than_fifteen_seconds_after_it_appeared(gap):
    calls = [(i * gap, f"c{i}", False) for i in range(12)]
    appeared = {call_id: at for at, call_id, _ in calls}
    plays, queue = simulate(calls)
    for call_id, repeat, started in plays:
        if repeat == 1:
            assert started - appeared[call_id] <= 15.0, (call_id, started)
    heard = {call_id for call_id, _, _ in plays}
    assert "c11" in heard  # the newest call is always spoken
    assert heard | set(queue.skipped) == set(appeared)  # every call is spoken or counted


def test_six_calls_in_six_seconds_newest_first_each_once():
    plays, queue = simulate([(float(i), f"c{i}", False) for i in range(6)])
    # c0 plays alone; at 4.75 s c1–c4 wait, the newest (c4) goes first; then c5 (arrived at
    # 5 s), then c3; by 19 s c1 and c2 are past the bound and are not spoken, so c3, now
    # alone, is repeated.
    assert [(c, r) for c, r, _ in plays] == [
        ("c0", 1),
        ("c4", 1),
        ("c5", 1),
        ("c3", 1),
        ("c3", 2),
    ]
    assert sorted(queue.skipped) == ["c1", "c2"]


def test_a_recall_is_never_dropped_and_goes_first():
    calls = [(i * 0.5, f"c{i}", False) for i in range(10)] + [(1.2, "c90", True)]
    plays, queue = simulate(calls)
    assert ("c90", 1) in [(c, r) for c, r, _ in plays]
    assert plays[1][0] == "c90"  # straight after the call that was playing
    assert "c90" not in queue.skipped


def test_a_late_recall_is_still_spoken():
    queue = AnnouncementQueue()
    queue.enqueue("c1", "A001", 3, is_recall=True, at=0.0)
    queue.enqueue("c2", "A002", 3, at=0.0)
    play = queue.next_to_play(now=60.0)
    assert play is not None and play.call_id == "c1"
    assert queue.skipped == ["c2"]  # 60 s late: not spoken
    queue.mark_played("c1")
    again = queue.next_to_play(now=65.0)
    assert again is not None and (again.call_id, again.repeat) == ("c1", 2)


def test_beyond_the_memory_bound_the_oldest_waiting_calls_go_not_the_playing_one():
    queue = AnnouncementQueue(max_waiting=3)
    queue.enqueue("c0", "A000", 1)
    playing = queue.next_to_play()
    assert playing is not None and playing.call_id == "c0"
    for i in range(1, 6):
        queue.enqueue(f"c{i}", f"A00{i}", 1)
    assert queue.dropped == 2
    assert queue.waiting_numbers() == ["A000", "A003", "A004", "A005"]
    queue.mark_played("c0")
    assert play_all(queue) == [("c5", 1), ("c4", 1), ("c3", 1), ("c3", 2)]


def test_default_memory_bound_is_twenty_waiting():
    queue = AnnouncementQueue()
    for i in range(25):
        queue.enqueue(f"c{i}", f"A{i:03d}", 1)
    assert len(queue) == 20
    assert queue.dropped == 5
    assert queue.waiting_numbers()[0] == "A005"


def test_invalid_call_is_not_queued():
    queue = AnnouncementQueue()
    with pytest.raises(ValueError):
        queue.enqueue("c1", "A001; reboot", 3)
    assert len(queue) == 0
    assert queue.enqueue("c1", "A001", 3)
