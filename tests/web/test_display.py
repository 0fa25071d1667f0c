"""The display pages and the call voice route: what a screen is served, and refusals that are
clear JSON instead of errors."""

from __future__ import annotations

import wave

import pytest

from display.voice import VoiceSynth
from tests.conftest import tool_missing


def test_the_lobby_page_shows_the_hall_and_its_public_notice(client, demo):
    page = client.get(f"/display/hall/{demo['hall']}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "兴隆镇便民服务中心" in html
    assert "政务公开" in html and "服务事项：" in html and "最低生活保障申请" in html
    assert "/static/vendor/socket.io.min.js" in html and "连接中断" in html
    assert "启用语音" in html


def test_the_window_page_shows_number_type_and_services(client, demo):
    window = next(c for c in demo["clerks"] if c["window_number"] == 4)["window"]
    html = client.get(f"/display/window/{window}").get_data(as_text=True)
    assert "号窗口" in html and "固定窗口" in html and "社会保险、医疗保险" in html


@pytest.mark.parametrize("url", ["/display/window/999", "/display/hall/999", "/evaluate/999"])
def test_unknown_screens_say_so_in_chinese_first(client, url):
    page = client.get(url)
    assert page.status_code == 404
    html = page.get_data(as_text=True)
    assert "找不到该" in html and 'lang="en"' in html


@pytest.mark.parametrize(
    "path",
    [
        "/display/voice/a001/1.wav",
        "/display/voice/A01/1.wav",
        "/display/voice/A001/0.wav",
        "/display/voice/A001/1000.wav",
        "/display/voice/A001/-1.wav",
        "/display/voice/Z001/1.wav",  # no such category
        "/display/voice/A001/42.wav",  # no such window
        "/display/voice/A001%0A/1.wav",
    ],
)
def test_the_voice_route_refuses_what_no_hall_could_call(client, demo, path):
    reply = client.get(path)
    assert reply.status_code == 404
    assert set(reply.get_json()) == {"error", "message", "message_en"}


def test_the_voice_route_serves_a_cached_wav(client, demo, tmp_path):
    if not VoiceSynth(tmp_path / "probe").available():
        tool_missing("espeak-ng with a Mandarin voice", "apt-get install espeak-ng")
    first = client.get("/display/voice/A001/3.wav")
    audio = first.get_data()
    first.close()  # send_file streams the cached file; closing the response closes it
    assert first.status_code == 200 and first.mimetype == "audio/wav"
    assert audio[:4] == b"RIFF"
    path = tmp_path / "a.wav"
    path.write_bytes(audio)
    with wave.open(str(path)) as wav:
        assert wav.getnframes() / wav.getframerate() > 1.0  # a whole phrase, not a click
    cached = list((tmp_path / "voice").glob("call-*.wav"))
    assert len(cached) == 1
    again = client.get("/display/voice/A001/3.wav")
    assert again.get_data() == audio
    again.close()
    assert len(list((tmp_path / "voice").glob("call-*.wav"))) == 1


def test_the_chime_is_served(client, demo):
    reply = client.get("/display/voice/chime.wav")
    audio = reply.get_data()
    reply.close()
    assert reply.status_code == 200 and audio[:4] == b"RIFF"


def test_a_window_screen_joins_its_room_and_gets_the_snapshot(live_client, api, demo):
    window = api.clerk(3)["window"]
    screen = live_client()
    ack = screen.emit("join", {"window": window}, namespace="/live", callback=True)
    assert ack["ok"] is True
    (snapshot,) = [m["args"][0] for m in screen.get_received("/live") if m["name"] == "snapshot"]
    assert snapshot["window"]["number"] == 3 and snapshot["server_time"]
    api.window(3, "open")
    api.issue("A")
    api.window(3, "call-next")
    names = [m["name"] for m in screen.get_received("/live")]
    assert "ticket_called" in names and "window_changed" in names
