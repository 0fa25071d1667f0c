"""Sign-in attempts are rate-limited per staff number and per address, in the database."""

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
    # Locked now, even with the right password and from another address.
    with pytest.raises(ratelimit.TooManyAttempts) as locked:
        ratelimit.guarded_login(deps, manager["staff_no"], manager["password"], "10.0.0.2")
    assert locked.value.code == "too_many" and locked.value.minutes == 15
    assert "15 分钟后再试" in locked.value.message
    clock.advance(minutes=14)
    with pytest.raises(ratelimit.TooManyAttempts) as still:
        ratelimit.guarded_login(deps, manager["staff_no"], manager["password"], "10.0.0.2")
    assert still.value.minutes == 1
    clock.advance(minutes=1)
    assert ratelimit.guarded_login(deps, manager["staff_no"], manager["password"], "10.0.0.2")
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
