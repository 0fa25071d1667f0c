"""Packaging beyond pyproject.toml: the pages' templates and browser assets go into the package.

templates/ and static/ sit at the repository's root, beside the Python packages. A wheel (or a
plain `pip install .`) would leave them out, and an installed hallq would serve no page and no
script: building the package copies them into queue_server/web_assets/, where
`queue_server.config.WEB_ROOT` finds them when there is no source tree.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
WEB_DIRECTORIES = ("templates", "static")


class BuildWithWebAssets(build_py):
    """build_py, then the templates and static files into queue_server/web_assets."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install serves them from the source tree
            return
        target = Path(self.build_lib) / "queue_server" / "web_assets"
        for name in WEB_DIRECTORIES:
            shutil.copytree(
                HERE / name,
                target / name,
                dirs_exist_ok=True,
                ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".*"),
            )


setup(cmdclass={"build_py": BuildWithWebAssets})
