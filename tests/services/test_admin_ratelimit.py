"""Sign-in attempts are rate-limited per staff number and address, and per address, in the
database."""

from __future__ import annotations

import pytest

from queue_server.domain.errors import Unauthorized
from queue_server.services import ratelimit


def test_five_wrong_passwords_lock_the_staff_number_for_fifteen_minutes(deps, demo, clock):
    manager = demo["manager"]
    for _ in range(5):
        with pytest.raises(Unauthorized):
            ratelimit.guarded_login(deps, manager["staff_no"], "wrong", "10.0.0.1")
        clock.advance(seconds=10)
    # Locked now from that address, even with the right password.
    with pytest.raises(ratelimit.TooManyAttempts) as locked:
        ratelimit.guarded_login(deps, manager["staff_no"], manager["password"], "10.0.0.1")
    assert locked.value.code == "too_many" and locked.value.minutes == 15
    assert "15 分钟后再试" in locked.value.message
    clock.advance(minutes=14)
    with pytest.raises(ratelimit.TooManyAttempts) as still:
        ratelimit.guarded_login(deps, manager["staff_no"], manager["password"], "10.0.0.1")
    assert still.value.minutes == 1
    clock.advance(minutes=1)
    assert ratelimit.guarded_login(deps, manager["staff_no"], manager["password"], "10.0.0.1")
    # Another staff number was never affected.
    clerk = demo["clerks"][0]
    assert ratelimit.guarded_login(deps, clerk["staff_no"], clerk["password"], "10.0.0.1")


def test_a_success_clears_the_count(deps, demo, clock):
    manager = demo["manager"]
    for _ in range(4):
        with pytest.raises(Unauthorized):
            ratelimit.guarded_login(deps, manager["staff_no"], "wrong", "10.0.0.1")
    ratelimit.guarded_login(deps, manager["staff_no"], manager["password"], "10.0.0.1")
    clock.advance(seconds=1)
    for _ in range(4):
        with pytest.raises(Unauthorized):
            ratelimit.guarded_login(deps, manager["staff_no"], "wrong", "10.0.0.1")
    assert ratelimit.guarded_login(deps, manager["staff_no"], manager["password"], "10.0.0.1")


def test_one_address_trying_many_staff_numbers_is_locked_too(deps, demo):
    for n in range(ratelimit.MAX_FAILURES_PER_ADDRESS):
        with pytest.raises(Unauthorized):
            ratelimit.guarded_login(deps, f"guess{n}", "wrong", "192.0.2.9")
    clerk = demo["clerks"][0]
    with pytest.raises(ratelimit.TooManyAttempts):
        ratelimit.guarded_login(deps, clerk["staff_no"], clerk["password"], "192.0.2.9")
    assert ratelimit.guarded_login(deps, clerk["staff_no"], clerk["password"], "192.0.2.10")


def test_one_address_guessing_cannot_lock_a_staff_member_out_of_their_own_counter(deps, demo):
    manager = demo["manager"]
    for _ in range(ratelimit.MAX_FAILURES_PER_ACCOUNT):
        with pytest.raises(Unauthorized):
            ratelimit.guarded_login(deps, manager["staff_no"], "wrong", "192.0.2.66")
    with pytest.raises(ratelimit.TooManyAttempts):
        ratelimit.guarded_login(deps, manager["staff_no"], manager["password"], "192.0.2.66")
    # The manager at their own desk signs in as usual.
    assert ratelimit.guarded_login(deps, manager["staff_no"], manager["password"], "10.0.0.7")


def test_many_addresses_guessing_one_staff_number_lock_it_everywhere(deps, demo):
    manager = demo["manager"]
    per = ratelimit.MAX_FAILURES_PER_ACCOUNT
    for n in range(ratelimit.MAX_FAILURES_PER_ACCOUNT_EVERYWHERE // per):
        for _ in range(per):
            with pytest.raises(Unauthorized):
                ratelimit.guarded_login(deps, manager["staff_no"], "wrong", f"198.51.100.{n}")
    with pytest.raises(ratelimit.TooManyAttempts):
        ratelimit.guarded_login(deps, manager["staff_no"], manager["password"], "10.0.0.7")


def test_an_unknown_staff_number_is_refused_only_after_a_password_check(deps, monkeypatch):
    """Refusing an unknown staff number costs as much as refusing a known one: one hash check
    (bench/sign_in_timing.py measures the two)."""
    from queue_server.services import auth

    checked: list[str] = []
    real = auth.password_matches

    def counting(password_hash: str, password: str) -> bool:
        checked.append(password)
        return real(password_hash, password)

    monkeypatch.setattr(auth, "password_matches", counting)
    with pytest.raises(Unauthorized):
        auth.login(deps, "nobody-here", "a-guess-12345")
    assert checked == ["a-guess-12345"]
