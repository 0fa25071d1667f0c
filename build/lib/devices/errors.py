"""The one error family of hall devices: printers, LED boards, keypads, voice.

Every device error carries a Chinese (`message`) and an English (`message_en`) message, as
python-escpos's `exceptions.py` gives every printer fault one base class. A caller that only
wants to know "the device could not do it" catches `DeviceError`.
"""

from __future__ import annotations


class DeviceError(Exception):
    """A device problem, told in Chinese (`message`) and in English (`message_en`)."""

    def __init__(self, message: str, message_en: str) -> None:
        super().__init__(f"{message} / {message_en}")
        self.message = message
        self.message_en = message_en


class DeviceConfigError(DeviceError):
    """A device setting (its URL and options) hallq cannot use."""


class DeviceNotAllowed(DeviceConfigError):
    """A device URL that is well formed but outside what the administrator allows."""
