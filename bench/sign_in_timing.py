"""How long a wrong sign-in takes to be refused for a staff number that exists and for one that
does not: the same, or staff numbers could be found out by timing the refusals.

POST /api/v1/auth/login through the app (Flask's test client, a fresh SQLite demo hall), each
attempt from its own address so that no lock steps in; then `auth.login` alone, the use case
without the sign-in limits (which also runs on releases whose limits lock a staff number from
every address after 5 tries). Known and unknown staff numbers are taken in turns, so that a
busy spell of the machine hits both alike.

Run from the repository root: .venv/bin/python bench/sign_in_timing.py [ROUNDS]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _bench import machine  # noqa: E402

from queue_server import create_app  # noqa: E402
from queue_server.domain.errors import Unauthorized  # noqa: E402
from queue_server.services import auth  # noqa: E402
from queue_server.services.demo import seed_demo  # noqa: E402
from queue_server.store import migrate  # noqa: E402


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 40
    print(machine())
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/hallq.db"
        migrate.upgrade(url)
        app = create_app(
            {
                "DATABASE_URL": url,
                "ASYNC_MODE": "threading",
                "SECRET_KEY": "bench",
                "INSTANCE": folder,
                "PRINTING": False,
            }
        )
        deps = app.extensions["hallq"]
        known = seed_demo(deps)[0]["manager"]["staff_no"]
        client = app.test_client()

        def through_the_app(staff_no: str, n: int, kind: str) -> None:
            reply = client.post(
                "/api/v1/auth/login",
                json={"staff_no": staff_no, "password": "a-wrong-password"},
                environ_base={"REMOTE_ADDR": f"10.{n // 250}.{n % 250}.{len(kind)}"},
            )
            assert reply.status_code == 401, reply.get_json()

        def use_case(staff_no: str, n: int, kind: str) -> None:
            try:
                auth.login(deps, staff_no, "a-wrong-password")
            except Unauthorized:
                return
            raise AssertionError("a wrong password was taken")

        for name, attempt in (
            ("POST /api/v1/auth/login", through_the_app),
            ("auth.login", use_case),
        ):
            times: dict[str, list[float]] = {"known": [], "unknown": []}
            for n in range(rounds + 2):
                for kind, staff_no in (("known", known), ("unknown", f"nobody{n}")):
                    started = time.perf_counter()
                    attempt(staff_no, n, kind)
                    if n >= 2:  # the first rounds warm up (the stand-in hash is made once)
                        times[kind].append((time.perf_counter() - started) * 1000)
            known_ms, unknown_ms = (statistics.median(times[k]) for k in ("known", "unknown"))
            print(f"{name}, wrong password, {rounds} attempts each, median:")
            print(f"  known staff number:   {known_ms:6.1f} ms")
            print(f"  unknown staff number: {unknown_ms:6.1f} ms")
            print(f"  difference:           {unknown_ms - known_ms:+6.1f} ms")
        deps.db.dispose()


if __name__ == "__main__":
    main()
