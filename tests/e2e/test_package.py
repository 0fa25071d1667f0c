"""An installed hallq (a wheel, as `pip install .` builds it) serves its pages and every
browser asset they load, socket.io's client included: nothing comes from the source tree."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

CHECK = textwrap.dedent(
    """
    import json, re, sys
    from pathlib import Path
    import queue_server
    from queue_server import create_app

    site = Path(sys.argv[1]).resolve()
    assert Path(queue_server.__file__).resolve().is_relative_to(site), queue_server.__file__
    app = create_app({"ASYNC_MODE": "threading"})
    client = app.test_client()
    pages = ["/display/hall/1?voice=off", "/display/window/1", "/kiosk/1", "/counter/1",
             "/admin/login"]
    found = {}
    for page in pages:
        answer = client.get(page)
        html = answer.get_data(as_text=True)
        assets = re.findall(r'(?:src|href)="(/static/[^"?]+)', html)
        found[page] = {"status": answer.status_code, "assets": {}}
        for asset in assets:
            found[page]["assets"][asset] = client.get(asset).status_code
    print(json.dumps(found))
    """
)


def test_an_installed_package_serves_its_pages_and_their_scripts(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if built.returncode != 0 and "Could not find a version" in built.stderr:
        pytest.skip(f"no package index to build with: {built.stderr[-300:]}")
    assert built.returncode == 0, built.stderr[-3000:]
    (wheel,) = wheels.glob("hallq-*.whl")
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    instance = tmp_path / "instance"
    env = {
        **os.environ,
        "PYTHONPATH": str(site),  # before the source tree's editable install
        "HALLQ_INSTANCE": str(instance),
        "HALLQ_SECRET_KEY": "package-test",
    }
    env.pop("HALLQ_DATABASE_URL", None)

    def run(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, *args], env=env, cwd=tmp_path, capture_output=True, text=True,
            timeout=300,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    cli = "import sys; from queue_server.cli import cli; sys.exit(cli())"
    run("-c", cli, "db", "upgrade")
    run("-c", cli, "demo")
    found = json.loads(run("-c", CHECK, str(site)).strip().splitlines()[-1])
    for page, result in found.items():
        assert result["status"] == 200, (page, result)
        assert result["assets"], f"{page} loads no script or stylesheet?"
        missing = [asset for asset, status in result["assets"].items() if status != 200]
        assert not missing, (page, missing)
    assert "/static/vendor/socket.io.min.js" in found["/display/hall/1?voice=off"]["assets"]
