import os
import shutil
import textwrap
import threading
import time
import wave

import pytest

from display.voice import VoiceError, VoiceSynth, VoiceUnavailable, chime_wav
from tests.conftest import tool_missing

REAL_ESPEAK = shutil.which("espeak-ng")


@pytest.fixture
def espeak_installed() -> None:
    """The real espeak-ng: skipped without it, a failure in CI (which installs it)."""
    if REAL_ESPEAK is None:
        tool_missing("espeak-ng", "apt-get install espeak-ng")


needs_espeak = pytest.mark.usefixtures("espeak_installed")


def wav_duration(path):
    """Duration in seconds of a WAV file, read with the stdlib (fails on a broken file)."""
    with wave.open(str(path), "rb") as wav:
        assert wav.getnframes() > 0
        return wav.getnframes() / wav.getframerate()


def fake_espeak(tmp_path, body):
    """Put an executable `espeak-ng` shell script in a fresh directory and return its path."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    script = bin_dir / "espeak-ng"
    script.write_text("#!/bin/sh\n" + textwrap.dedent(body))
    script.chmod(0o755)
    return script


@pytest.fixture
def counting_espeak(tmp_path, monkeypatch):
    """A wrapper first on PATH that logs each run of the real espeak-ng; returns the log path."""
    log = tmp_path / "espeak-runs.log"
    fake_espeak(
        tmp_path,
        f"""\
        echo "$*" >> '{log}'
        exec '{REAL_ESPEAK}' "$@"
        """,
    )
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}")
    return log


def synth_runs(log):
    """Number of logged espeak-ng runs that wrote a WAV file."""
    if not log.exists():
        return 0
    return sum(" -w " in f" {line} " for line in log.read_text().splitlines())


@needs_espeak
def test_announcement_is_a_wav_of_speech_length(tmp_path):
    synth = VoiceSynth(tmp_path / "cache")
    assert synth.available()
    assert synth.voice() in ("cmn-latn-pinyin", "cmn")

    path = synth.audio_for("A001", 3)

    assert path.read_bytes()[:4] == b"RIFF" and path.read_bytes()[8:12] == b"WAVE"
    # 请 A 零零一 号 到 三 号窗口 办理: 13 syllables, well over 1.5 s when really spoken.
    assert 1.5 < wav_duration(path) < 15
    assert path.parent == tmp_path / "cache"


@needs_espeak
def test_pinyin_voice_is_used_when_installed(tmp_path):
    import subprocess

    listing = subprocess.run([REAL_ESPEAK, "--voices=cmn"], capture_output=True, text=True)
    if "cmn-latn-pinyin" not in listing.stdout:
        tool_missing("espeak-ng's cmn-latn-pinyin voice", "Debian's espeak-ng has it")
    assert VoiceSynth(tmp_path).voice() == "cmn-latn-pinyin"


@needs_espeak
def test_second_request_is_served_from_cache_without_running_espeak(tmp_path, counting_espeak):
    synth = VoiceSynth(tmp_path / "cache")
    first = synth.audio_for("B012", 12)
    assert synth_runs(counting_espeak) == 1
    mtime = first.stat().st_mtime_ns

    again = synth.audio_for("B012", "12")
    # A fresh instance (another worker process, a restart) finds the same file too.
    other = VoiceSynth(tmp_path / "cache").audio_for("B012", 12)

    assert again == first == other
    assert first.stat().st_mtime_ns == mtime
    assert synth_runs(counting_espeak) == 1

    different = synth.audio_for("B012", 13)
    assert different != first
    assert synth_runs(counting_espeak) == 2


@needs_espeak
def test_concurrent_requests_get_whole_files(tmp_path):
    synth = VoiceSynth(tmp_path / "cache")
    results, errors = [], []

    def request():
        try:
            results.append(synth.audio_for("C100", 1))
        except Exception as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=request) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len(set(results)) == 1
    assert wav_duration(results[0]) > 1.5
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [results[0].name]


@needs_espeak
def test_falls_back_to_cmn_voice_on_chinese_text(tmp_path, monkeypatch):
    stdin_log = tmp_path / "stdin.log"
    fake_espeak(
        tmp_path,
        f"""\
        case "$1" in
          --voices=*) '{REAL_ESPEAK}' "$@" | grep -v latn-pinyin; exit 0 ;;
        esac
        tee '{stdin_log}' | exec '{REAL_ESPEAK}' "$@"
        """,
    )
    synth = VoiceSynth(tmp_path / "cache", espeak=str(tmp_path / "bin" / "espeak-ng"))
    assert synth.voice() == "cmn"
    path = synth.audio_for("A001", 3)
    assert wav_duration(path) > 1.5
    assert stdin_log.read_text(encoding="utf-8") == "请 A零零一 号，到 三 号窗口 办理"


@pytest.mark.parametrize(
    ("number", "window"),
    [
        ("A001 -w /etc/passwd", 3),
        ("[[h@'l@U]]", 3),
        ("a001", 3),
        ("A001\n", 3),
        ("A001", "3; rm -rf /"),
        ("A001", "1000"),
        ("A001", 0),
    ],
)
def test_bad_input_never_reaches_espeak(tmp_path, number, window):
    ran = tmp_path / "ran"
    script = fake_espeak(tmp_path, f"touch '{ran}'\n")
    synth = VoiceSynth(tmp_path / "cache", espeak=str(script))
    with pytest.raises(ValueError, match=r"无效.*invalid"):
        synth.audio_for(number, window)
    assert not ran.exists()
    assert not (tmp_path / "cache").exists()


def test_missing_espeak_is_reported_unavailable(tmp_path):
    synth = VoiceSynth(tmp_path / "cache", espeak=str(tmp_path / "no-such-espeak"))
    assert not synth.available()
    with pytest.raises(VoiceUnavailable, match="未安装 espeak-ng.*not installed"):
        synth.audio_for("A001", 3)


VOICES_LISTING = """\
echo 'Pty Language       Age/Gender VoiceName          File                 Other Languages'
echo ' 5  cmn-latn-pinyin --/M      Chinese_(Mandarin,_latin_as_Pinyin) sit/cmn-Latn-pinyin (zh 5)'
"""


def test_espeak_failure_raises_a_bilingual_error(tmp_path):
    script = fake_espeak(
        tmp_path,
        f"""\
        case "$1" in --voices=*) {VOICES_LISTING.replace(chr(10), "; ")} exit 0 ;; esac
        echo 'Error: something broke' >&2
        exit 1
        """,
    )
    synth = VoiceSynth(tmp_path / "cache", espeak=str(script))
    with pytest.raises(VoiceError, match="语音合成失败.*speech synthesis failed.*something broke"):
        synth.audio_for("A001", 3)
    assert list((tmp_path / "cache").iterdir()) == []


def test_espeak_that_writes_no_audio_raises(tmp_path):
    script = fake_espeak(
        tmp_path,
        f"""\
        case "$1" in --voices=*) {VOICES_LISTING.replace(chr(10), "; ")} exit 0 ;; esac
        exit 0
        """,
    )
    synth = VoiceSynth(tmp_path / "cache", espeak=str(script))
    with pytest.raises(VoiceError, match="WAV"):
        synth.audio_for("A001", 3)
    assert list((tmp_path / "cache").iterdir()) == []


def test_hanging_espeak_times_out_instead_of_hanging(tmp_path):
    # The child of the shell keeps the pipes open too: the whole process group must be killed.
    script = fake_espeak(
        tmp_path,
        f"""\
        case "$1" in --voices=*) {VOICES_LISTING.replace(chr(10), "; ")} exit 0 ;; esac
        sleep 30
        """,
    )
    synth = VoiceSynth(tmp_path / "cache", espeak=str(script), timeout=0.5)
    started = time.monotonic()
    with pytest.raises(VoiceError, match="超时.*timed out"):
        synth.audio_for("A001", 3)
    assert time.monotonic() - started < 5
    assert list((tmp_path / "cache").iterdir()) == []


def test_chime_is_a_short_valid_wav(tmp_path):
    path = chime_wav(tmp_path / "sub" / "chime.wav")
    assert path.read_bytes()[:4] == b"RIFF"
    with wave.open(str(path), "rb") as wav:
        assert (wav.getnchannels(), wav.getsampwidth()) == (1, 2)
        duration = wav.getnframes() / wav.getframerate()
        frames = wav.readframes(wav.getnframes())
    assert 0.5 < duration < 3
    assert max(frames) > 0  # not silence
    assert [p.name for p in path.parent.iterdir()] == ["chime.wav"]
