"""Spoken call announcements for the lobby screen, synthesised by espeak-ng and cached as WAV.

When espeak-ng (or its Mandarin voice) is missing, `VoiceSynth.available()` is False and the
page falls back to the browser's speech synthesis or to the chime written by `chime_wav`.
"""

from __future__ import annotations

import array
import contextlib
import hashlib
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import wave
from pathlib import Path

from devices.errors import DeviceError
from queue_server.domain.announce import call_phrase, spoken_pinyin

# espeak-ng voices, best first. `cmn-latn-pinyin` reads tone-numbered pinyin, which lets the
# domain (pypinyin) pick readings instead of espeak's dictionary. `cmn` reads Latin as English,
# so it is given the Chinese text. (In espeak-ng 1.51 `cmn` reads Chinese characters poorly,
# which is why it is only the fallback.)
PINYIN_VOICE = "cmn-latn-pinyin"
HANZI_VOICE = "cmn"

SPEED_WPM = 160  # a little slower than espeak's 175: the hall is noisy and numbers must be heard
DEFAULT_TIMEOUT_S = 10.0
# Part of every cache key: bump it when the way audio is made changes, so old files are not served.
_CACHE_FORMAT = "1"


class VoiceError(DeviceError):
    """Speech synthesis failed; carries a Chinese and an English message."""

    @property
    def message_zh(self) -> str:
        """The Chinese message (`message`), under the name the display code reads."""
        return self.message


class VoiceUnavailable(VoiceError):
    """espeak-ng or its Mandarin voice is not installed."""


class VoiceSynth:
    """Makes and caches the WAV announcement of a call with espeak-ng."""

    def __init__(
        self,
        cache_dir: Path,
        espeak: str = "espeak-ng",
        timeout: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        self.cache_dir = Path(cache_dir)
        self.espeak = espeak
        self.timeout = timeout
        self._voice: str | None = None
        self._voice_checked = False
        self._lock = threading.Lock()

    def available(self) -> bool:
        """True if espeak-ng and one of its Mandarin voices are installed."""
        return self.voice() is not None

    def voice(self) -> str | None:
        """The espeak-ng voice used (cmn-latn-pinyin, else cmn), or None if neither is usable."""
        with self._lock:
            if not self._voice_checked:
                self._voice = self._detect_voice()
                self._voice_checked = True
            return self._voice

    def _detect_voice(self) -> str | None:
        executable = shutil.which(self.espeak)
        if executable is None:
            return None
        try:
            listing = _run([executable, f"--voices={HANZI_VOICE}"], b"", self.timeout)
        except VoiceError:
            return None
        # Columns: Pty Language Age/Gender VoiceName File Other-languages
        languages = {
            line.split()[1] for line in listing.decode(errors="replace").splitlines()[1:] if line
        }
        for voice in (PINYIN_VOICE, HANZI_VOICE):
            if voice in languages:
                return voice
        return None

    def audio_for(self, number: str, window: str | int) -> Path:
        """Return the cached WAV announcing ticket `number` at `window`, synthesising it once."""
        # Validates both arguments first (ValueError): only a fixed phrase reaches espeak-ng.
        phrase = call_phrase(number, window)
        voice = self.voice()
        if voice is None:
            raise VoiceUnavailable(
                "未安装 espeak-ng 或其普通话语音，无法生成叫号语音",
                f"espeak-ng or its Mandarin voice is not installed ({self.espeak})",
            )
        text = spoken_pinyin(phrase) if voice == PINYIN_VOICE else phrase
        key = "\n".join((_CACHE_FORMAT, voice, str(SPEED_WPM), text))
        digest = hashlib.sha256(key.encode()).hexdigest()[:32]
        target = self.cache_dir / f"call-{digest}.wav"
        if target.is_file():
            return target
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        self._synthesise(voice, text, target)
        return target

    def _synthesise(self, voice: str, text: str, target: Path) -> None:
        executable = shutil.which(self.espeak) or self.espeak
        # Written next to the target and renamed into place: a reader sees either no file or a
        # whole one, even when two requests synthesise the same phrase at once.
        fd, tmp_name = tempfile.mkstemp(dir=self.cache_dir, prefix=".call-", suffix=".wav.tmp")
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            # Text goes through stdin, never argv, so it can never be read as an option.
            _run(
                [executable, "-v", voice, "-s", str(SPEED_WPM), "-w", str(tmp), "--stdin"],
                text.encode(),
                self.timeout,
            )
            _check_wav(tmp)
            tmp.chmod(0o644)  # mkstemp makes it private; the cache is plain public audio
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)


def _run(argv: list[str], stdin: bytes, timeout: float) -> bytes:
    """Run a command to completion within `timeout` seconds and return its stdout."""
    try:
        # Own process group, so a timeout kills anything the command started as well.
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    except OSError as exc:
        raise VoiceUnavailable(
            f"无法启动语音合成程序 {argv[0]}", f"cannot start the speech synthesiser: {exc}"
        ) from exc
    try:
        out, err = proc.communicate(stdin, timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise VoiceError(
            f"语音合成超时（{timeout:g} 秒）", f"speech synthesis timed out after {timeout:g} s"
        ) from None
    if proc.returncode != 0:
        detail = err.decode(errors="replace").strip()[:200] or f"exit status {proc.returncode}"
        raise VoiceError(f"语音合成失败：{detail}", f"speech synthesis failed: {detail}")
    return out


def _check_wav(path: Path) -> None:
    try:
        with wave.open(str(path), "rb") as wav:
            frames = wav.getnframes()
    except (wave.Error, EOFError, OSError) as exc:
        raise VoiceError(
            "语音合成程序没有生成有效的 WAV 文件", f"the synthesiser wrote no valid WAV file: {exc}"
        ) from exc
    if frames == 0:
        raise VoiceError("语音合成结果为空", "the synthesiser wrote an empty WAV file")


def chime_wav(path: Path, rate: int = 22050) -> Path:
    """Write a short two-tone chime (叮咚) as a 16-bit mono WAV file and return its path."""
    path = Path(path)
    samples = array.array("h")
    # E5 then C5, each a struck tone fading out: the familiar "ding-dong" before an announcement.
    for frequency, seconds in ((659.25, 0.45), (523.25, 0.65)):
        count = int(rate * seconds)
        for i in range(count):
            t = i / rate
            envelope = math.exp(-4.0 * t) * min(1.0, i / (0.005 * rate))  # 5 ms attack, no click
            tone = math.sin(2 * math.pi * frequency * t) + 0.3 * math.sin(
                4 * math.pi * frequency * t
            )
            samples.append(int(0.5 * 32767 / 1.3 * envelope * tone))
    if sys.byteorder == "big":  # WAV samples are little-endian
        samples.byteswap()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=".chime-", suffix=".wav.tmp")
    os.close(fd)
    try:
        with wave.open(tmp_name, "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(rate)
            wav.writeframes(samples.tobytes())
        os.replace(tmp_name, path)
    finally:
        Path(tmp_name).unlink(missing_ok=True)
    return path
