"""Sign-in across real `hallq serve` processes on one PostgreSQL database: the lock on wrong
passwords holds however many arrive at once on however many processes, and a session cookie
ended on one process is refused by the other."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import requests

from .conftest import Server
from .test_scale import deployment, redis_url  # noqa: F401

ATTEMPTS = 60


def test_sixty_wrong_passwords_at_once_over_two_processes_make_at_most_five_checks(
    deployment: Callable[[int], list[Server]],  # noqa: F811
):
    first, second = deployment(2)
    first.seed()
    second.demo = first.demo
    first.start()
    second.start()
    manager = first.demo["manager"]["staff_no"]

    def guess(n: int) -> int:
        server = (first, second)[n % 2]
        return requests.post(
            f"{server.url}/api/v1/auth/login",
            json={"staff_no": manager, "password": f"guess-number-{n}"},
            timeout=60,
        ).status_code

    with ThreadPoolExecutor(ATTEMPTS) as pool:
        statuses = Counter(pool.map(guess, range(ATTEMPTS)))
    # 401: the password was checked and was wrong; 429: refused by the lock, no check made.
    print(f"\n{ATTEMPTS} wrong passwords at once over 2 processes: {dict(statuses)}")
    assert statuses[401] <= 5
    assert statuses[401] + statuses[429] == ATTEMPTS
    assert statuses[401] >= 1  # the lock is not a blanket refusal

    # Wrong booking codes likewise: 20 in 10 minutes per client, whatever the process.
    def look_up(n: int) -> int:
        server = (first, second)[n % 2]
        return requests.get(f"{server.url}/api/v1/bookings/WXYZ{n + 2300}", timeout=60).status_code

    with ThreadPoolExecutor(40) as pool:
        lookups = Counter(pool.map(look_up, range(40)))
    print(f"40 wrong booking codes at once over 2 processes: {dict(lookups)}")
    assert lookups[429] >= 20 and sum(lookups.values()) == 40


def test_a_cookie_signed_out_on_one_process_is_refused_by_the_other(
    deployment: Callable[[int], list[Server]],  # noqa: F811
):
    first, second = deployment(2)
    first.seed()
    second.demo = first.demo
    first.start()
    second.start()
    clerk = first.demo["clerks"][0]
    browser = requests.Session()
    signed_in = browser.post(
        f"{first.url}/api/v1/auth/login",
        json={"staff_no": clerk["staff_no"], "password": clerk["password"]},
        timeout=10,
    )
    assert signed_in.status_code == 200
    cookie = browser.cookies.get("session")
    assert cookie
    # Both processes know the cookie (one secret key), and ask each time.
    for server in (first, second):
        reply = requests.get(
            f"{server.url}/api/v1/auth/me", cookies={"session": cookie}, timeout=10
        )
        assert reply.status_code == 200
    out = browser.post(
        f"{first.url}/api/v1/auth/logout",
        headers={"X-CSRF-Token": signed_in.json()["csrf_token"]},
        timeout=10,
    )
    assert out.status_code == 200
    for server in (second, first):
        reply = requests.get(
            f"{server.url}/api/v1/auth/me", cookies={"session": cookie}, timeout=10
        )
        assert reply.status_code == 401, server.url
