"""Where phones are sent (ticket and booking QR codes) when HALLQ_PUBLIC_URL is not set."""

from __future__ import annotations

import pytest

from queue_server import config


def test_the_public_url_follows_the_address_and_port_served_on():
    assert config.public_url_for("192.168.1.20", 5710) == "http://192.168.1.20:5710"
    assert config.public_url_for("127.0.0.1", 5710) == "http://127.0.0.1:5710"
    assert config.public_url_for("fe80::1", 80) == "http://[fe80::1]:80"


def test_a_wildcard_address_becomes_the_machines_network_address(monkeypatch):
    monkeypatch.setattr(config, "_network_address", lambda: "10.1.2.3")
    assert config.public_url_for("0.0.0.0", 5000) == "http://10.1.2.3:5000"
    monkeypatch.setattr(config, "_network_address", lambda: None)
    assert config.public_url_for("0.0.0.0", 5000) == "http://127.0.0.1:5000"


@pytest.mark.parametrize(
    ("address", "loopback"),
    [
        ("http://127.0.0.1:5000", True),
        ("http://127.9.9.9", True),
        ("http://localhost:5710/", True),
        ("http://[::1]:5000", True),
        ("::1", True),
        ("http://192.168.1.20:5000", False),
        ("https://hall.example.gov.cn", False),
        ("10.0.0.5", False),
    ],
)
def test_loopback_addresses_are_recognised(address, loopback):
    assert config.is_loopback(address) is loopback
