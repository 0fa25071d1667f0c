"""Device URLs: the one parser of every printer, LED board and keypad address, and the
administrator's allow-list that decides which of them a web user may set.

A device URL names where a device is and how to talk to it, in one string an administrator
can type. Ticket printers (kind "printer"):

    usb://04b8:0e15?out_ep=0x02               (vendor and product id, hex)
    serial:///dev/ttyUSB0?baudrate=9600&rtscts=1
    tcp://192.168.1.50:9100                   (a network printer's raw port)
    file:///dev/usb/lp0, dummy://             (tests and demos only)

LED boards and evaluator keypads (kind "serial"):

    serial:///dev/serial/by-id/usb-FTDI_xxx-if00-port0?address=1&write_timeout=0.5
    serial://COM3?baudrate=19200              (Windows)
    socket://192.168.1.20:4001?address=5      (a serial device server, 串口服务器)
    rfc2217://192.168.1.20:4001
    /dev/pts/7, loop://?address=2             (tests only: a bare path, pyserial's loopback)

`parse_device_url` only reads a URL. `DevicePolicy.check` also decides whether the URL may be
set through the API or the console: a web user must never make the server append to a file or
connect to a port the administrator did not name (docs/reliability.md, "Device settings").
The operator's own command line (`hallq demo --printer file://...`) parses without the policy.
"""

from __future__ import annotations

import functools
import ipaddress
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

from devices.errors import DeviceConfigError, DeviceNotAllowed

DeviceKind = Literal["printer", "serial"]

# --- option values ----------------------------------------------------------------------------


def _integer(low: int, high: int, base: int = 10) -> Callable[[str], int]:
    def convert(text: str) -> int:
        number = int(text, base)
        if not low <= number <= high:
            raise ValueError(text)
        return number

    return convert


def _seconds(text: str) -> float:
    # a zero or missing timeout would let a hung device block its owner forever
    seconds = float(text)
    if not 0 < seconds <= 60:
        raise ValueError(text)
    return seconds


def _flag(text: str) -> bool:
    if text.lower() in ("1", "true", "yes", "on"):
        return True
    if text.lower() in ("0", "false", "no", "off"):
        return False
    raise ValueError(text)


def _parity(text: str) -> str:
    if text.upper() not in ("N", "E", "O", "M", "S"):
        raise ValueError(text)
    return text.upper()


_STOPBITS = {"1": 1.0, "1.5": 1.5, "2": 2.0}


def _stopbits(text: str) -> float:
    return _STOPBITS[text]


# (kind, scheme) -> option name -> (converter, what the value must be, 中文, English)
_Option = tuple[Callable[[str], Any], str, str]
_LINE: dict[str, _Option] = {
    "baudrate": (_integer(50, 4_000_000), "50 到 4000000 之间的整数", "an integer 50..4000000"),
    "bytesize": (_integer(5, 8), "5 到 8 之间的整数", "an integer 5..8"),
    "parity": (_parity, "N/E/O/M/S 之一", "one of N/E/O/M/S"),
    "stopbits": (_stopbits, "1、1.5 或 2", "1, 1.5 or 2"),
}
_SECONDS: _Option = (_seconds, "大于 0、不超过 60 的秒数", "seconds in (0, 60]")
_ADDRESS: _Option = (_integer(0, 255), "0 到 255 之间的整数", "an integer 0..255")
_FLAG: _Option = (_flag, "1 或 0", "1 or 0")
_ENDPOINT: _Option = (_integer(0, 0xFF, 0), "端点号，如 0x01", "an endpoint number such as 0x01")
_BOARD_OPTIONS = {**_LINE, "address": _ADDRESS, "read_timeout": _SECONDS, "write_timeout": _SECONDS}
_OPTIONS: dict[DeviceKind, dict[str, dict[str, _Option]]] = {
    "printer": {
        "usb": {"in_ep": _ENDPOINT, "out_ep": _ENDPOINT},
        "serial": {**_LINE, "rtscts": _FLAG, "xonxoff": _FLAG},
        "tcp": {"connect_timeout": _SECONDS},
        "file": {},
        "dummy": {},
    },
    "serial": {scheme: _BOARD_OPTIONS for scheme in ("serial", "", "loop", "socket", "rfc2217")},
}
for _scheme in ("usb", "serial", "tcp"):
    _OPTIONS["printer"][_scheme].update(write_timeout=_SECONDS, status_timeout=_SECONDS)

_SCHEMES_TEXT = {
    "printer": ("usb、serial、tcp、file 或 dummy", "usb, serial, tcp, file or dummy"),
    "serial": (
        "serial://、socket:// 或 rfc2217://",
        "serial://, socket:// or rfc2217://",
    ),
}


@dataclass(frozen=True)
class DeviceUrl:
    """A parsed device URL: where the device is and its options (already converted)."""

    url: str
    kind: DeviceKind
    scheme: str  # usb, serial, tcp, file, dummy, loop, socket, rfc2217 ("serial" for a bare path)
    port: str = ""  # serial: an OS path or a pyserial URL such as socket://host:4001; file: path
    host: str = ""  # tcp, socket, rfc2217
    tcp_port: int = 0
    usb_id: tuple[int, int] = (0, 0)
    options: Mapping[str, Any] = field(default_factory=dict)


class _Problem(Exception):
    def __init__(self, zh: str, en: str) -> None:
        super().__init__(en)
        self.zh, self.en = zh, en


def _bad_url(url: str, kind: DeviceKind, zh: str, en: str) -> DeviceConfigError:
    if kind == "printer":
        return DeviceConfigError(
            f"打印机地址无效：{url}（{zh}）", f"invalid printer URL {url!r}: {en}"
        )
    return DeviceConfigError(
        f"串口设备地址无效（{url}）：{zh}", f"invalid serial URL {url!r}: {en}"
    )


def _options(query: str, known: Mapping[str, _Option]) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for pair in query.split("&"):
        if not pair:
            continue
        name, sep, value = pair.partition("=")
        name, value = unquote(name).strip().lower(), unquote(value).strip()
        if name not in known:
            names = "、".join(known) or "无"
            raise _Problem(
                f"不认识的参数“{name}”，可用：{names}",
                f"unknown parameter {name!r}; known: {', '.join(known) or 'none'}",
            )
        if not sep or not value:
            raise _Problem(f"参数“{name}”缺少取值", f"parameter {name!r} has no value")
        if name in options:
            raise _Problem(f"参数“{name}”重复", f"parameter {name!r} given twice")
        convert, zh, en = known[name]
        try:
            options[name] = convert(value)
        except (ValueError, KeyError):
            raise _Problem(
                f"参数 {name} 应为{zh}，实际为“{value}”", f"{name} must be {en}, got {value!r}"
            ) from None
    return options


def _host_port(parts: Any, default: int | None) -> tuple[str, int]:
    try:
        port = parts.port or default
    except ValueError:
        raise _Problem("端口无效", "bad port") from None
    if not parts.hostname or port is None:
        raise _Problem("缺少“主机:端口”", "missing host:port")
    return parts.hostname, port


def _parse(url: str, kind: DeviceKind) -> DeviceUrl:
    parts = urlsplit(url)
    if parts.fragment:
        raise _Problem("不应包含“#”片段", "a fragment ('#...') is not allowed")
    scheme = parts.scheme.lower()
    if scheme not in _OPTIONS[kind]:
        zh, en = _SCHEMES_TEXT[kind]
        raise _Problem(f"不支持的类型，应为 {zh}", f"unsupported scheme; expected {en}")
    options = _options(parts.query, _OPTIONS[kind][scheme])
    path = unquote(parts.path)
    found = functools.partial(DeviceUrl, url, kind, scheme, options=options)
    if scheme in ("serial", ""):
        if scheme == "serial" and parts.netloc and parts.path:
            raise _Problem(
                "设备路径前应有三个斜杠，如 serial:///dev/ttyUSB0",
                "a device path needs three slashes, e.g. serial:///dev/ttyUSB0",
            )
        port = path or unquote(parts.netloc)
        if not port.strip():
            raise _Problem("缺少设备路径", "missing device path")
        return DeviceUrl(url, kind, "serial", port=port, options=options)
    if scheme in ("dummy", "loop"):
        return found(port="loop://" if scheme == "loop" else "")
    if scheme == "file":
        if parts.netloc not in ("", "localhost") or not path:
            raise _Problem("应为 file:///绝对路径", "expected file:///absolute/path")
        return found(port=path)
    if scheme in ("socket", "rfc2217"):
        host, port_number = _host_port(parts, None)
        return found(port=f"{scheme}://{parts.netloc}", host=host, tcp_port=port_number)
    if scheme == "tcp":
        host, port_number = _host_port(parts, 9100)
        if path not in ("", "/"):
            raise _Problem("应为 tcp://主机:9100", "expected tcp://host:9100")
        return found(host=host, tcp_port=port_number)
    ids = re.fullmatch(r"([0-9a-fA-F]{1,4}):([0-9a-fA-F]{1,4})", parts.netloc)
    if ids is None or path not in ("", "/"):
        raise _Problem("应为 usb://厂商ID:产品ID（十六进制）", "expected usb://VID:PID in hex")
    vendor_id, product_id = (int(value, 16) for value in ids.groups())
    return found(usb_id=(vendor_id, product_id))


def parse_device_url(url: str, kind: DeviceKind) -> DeviceUrl:
    """Read a device URL of a printer or a serial board/keypad; DeviceConfigError if unusable.

    Only the form is checked here: whether a web user may set it is `DevicePolicy.check`.
    """
    if not isinstance(url, str) or not url.strip():
        if kind == "printer":
            raise _bad_url(str(url), kind, "地址为空", "the URL is empty")
        raise DeviceConfigError("串口设备地址为空", "the serial URL is empty")
    url = url.strip()
    try:
        return _parse(url, kind)
    except _Problem as problem:
        raise _bad_url(url, kind, problem.zh, problem.en) from None


# --- what a web user may set ---------------------------------------------------------------------

_SERIAL_PATH = re.compile(r"/dev/serial/by-id/[^/]+|/dev/tty[A-Za-z0-9_.-]+")


def present_usb_devices() -> set[tuple[int, int]]:
    """(vendor id, product id) of every USB device plugged in now; empty without pyusb."""
    try:
        import usb.core
    except ImportError:  # pragma: no cover - depends on the installation
        return set()
    try:
        return {(d.idVendor, d.idProduct) for d in usb.core.find(find_all=True)}
    except Exception:  # no libusb backend, no permission: nothing can be used then
        return set()


def _words(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = re.split(r"[\s,;]+", value)
    return tuple(str(word).strip() for word in value if str(word).strip())


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class DevicePolicy:
    """Which device URLs a web user may set: the administrator's lists, from the settings.

    - usb://VID:PID of a device plugged into the server now;
    - serial:// a port under /dev/serial/by-id/ or /dev/tty* that `serial_ports` lists;
    - tcp:// (printers) and socket:// / rfc2217:// (serial device servers for boards) a host
      given as an IP address inside `networks`; none by default, so none is allowed;
    - file://, dummy://, loop:// and any other port only with `test_devices`
      (HALLQ_TEST_DEVICES=1: the test suite and demos).
    """

    test_devices: bool = False
    serial_ports: tuple[str, ...] = ()
    networks: tuple[Network, ...] = ()
    usb_devices: Callable[[], Iterable[tuple[int, int]]] = present_usb_devices

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> DevicePolicy:
        """From TEST_DEVICES, SERIAL_PORTS and PRINTER_NETWORKS (HALLQ_* in the environment)."""
        test = settings.get("TEST_DEVICES")
        networks = []
        for word in _words(settings.get("PRINTER_NETWORKS")):
            try:
                networks.append(ipaddress.ip_network(word, strict=False))
            except ValueError:
                raise DeviceConfigError(
                    f"HALLQ_PRINTER_NETWORKS 中的网段无效：{word}",
                    f"HALLQ_PRINTER_NETWORKS: not a network: {word!r}",
                ) from None
        return cls(
            test_devices=test is True or str(test).strip() == "1",
            serial_ports=tuple(
                os.path.normpath(port) for port in _words(settings.get("SERIAL_PORTS"))
            ),
            networks=tuple(networks),
        )

    def check(self, url: str, kind: DeviceKind) -> DeviceUrl:
        """The parsed URL if a web user may set it; DeviceConfigError or DeviceNotAllowed."""
        address = parse_device_url(url, kind)
        if self.test_devices or self._allows(address):
            return address
        zh, en = self.allowed(kind)
        raise DeviceNotAllowed(
            f"不允许使用该设备地址：{address.url}。{zh}",
            f"device URL not allowed: {address.url!r}. {en}",
        )

    def _allows(self, address: DeviceUrl) -> bool:
        if address.scheme == "usb":
            return address.usb_id in set(self.usb_devices())
        if address.scheme == "serial":
            port = os.path.normpath(address.port)
            return port in self.serial_ports and _SERIAL_PATH.fullmatch(port) is not None
        if address.scheme in ("tcp", "socket", "rfc2217"):
            try:
                host = ipaddress.ip_address(address.host)
            except ValueError:
                return False  # a name could resolve anywhere later: only addresses are checked
            return any(host in network for network in self.networks)
        return False  # file, dummy, loop: tests and demos only

    def serial_ports_allowed(self) -> list[str]:
        return [port for port in self.serial_ports if _SERIAL_PATH.fullmatch(port)]

    def allowed(self, kind: DeviceKind) -> tuple[str, str]:
        """What may be set, in Chinese and English, for a refusal's message."""
        ports = self.serial_ports_allowed()
        ports_zh = "、".join(ports) if ports else "管理员未列出任何串口"
        ports_en = ", ".join(ports) if ports else "the administrator listed none"
        nets = [str(network) for network in self.networks]
        nets_zh = "、".join(nets) if nets else "管理员未设置，网络设备不可用"
        nets_en = ", ".join(nets) if nets else "none set by the administrator"
        serial_zh = f"serial://串口（/dev/serial/by-id/ 或 /dev/tty* 中管理员列出的：{ports_zh}）"
        serial_en = f"serial:// a port under /dev/serial/by-id/ or /dev/tty* listed ({ports_en})"
        if kind == "printer":
            usb = sorted(set(self.usb_devices()))
            usb_text = ", ".join(f"{v:04x}:{p:04x}" for v, p in usb)
            return (
                f"可用：usb://厂商ID:产品ID（已接入的设备：{usb_text or '无'}）；{serial_zh}；"
                f"tcp://IP地址:9100（打印机网段：{nets_zh}）",
                f"Allowed: usb://VID:PID of a device present ({usb_text or 'none'}); {serial_en}; "
                f"tcp://IP:9100 inside the printer networks ({nets_en})",
            )
        return (
            f"可用：{serial_zh}；socket://IP地址:端口（串口服务器，打印机网段：{nets_zh}）",
            f"Allowed: {serial_en}; socket://IP:port of a serial device server inside the "
            f"printer networks ({nets_en})",
        )
