"""The layer contracts of pyproject.toml (import-linter) hold, and catch a break.

`make lint` runs lint-imports on the repository; here it runs on a copy of the code with
one forbidden import added, to show that the contract really fails when someone writes it.
"""

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.support.celery_harness import BASE_DIR

LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
# The packages the contracts name, as pyproject.toml lists them.
PACKAGES = tuple(
    tomllib.loads((BASE_DIR / "pyproject.toml").read_text())["tool"]["importlinter"][
        "root_packages"
    ]
)


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def code_copy(tmp_path) -> Path:
    for package in PACKAGES:
        shutil.copytree(
            BASE_DIR / package,
            tmp_path / package,
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "templates", "static"),
        )
    shutil.copy(BASE_DIR / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def add_import(root: Path, module: str, statement: str) -> None:
    path = root / (module.replace(".", "/") + ".py")
    path.write_text(path.read_text() + f"\n\ndef _sneaky():\n    {statement}\n")


def test_the_code_keeps_every_contract():
    result = lint_imports(BASE_DIR)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "statement", "broken"),
    [
        # The domain never reaches up into an interface, not even inside a function.
        ("tickets.models.ticket", "from desk import views  # noqa", "Apps: wiring"),
        # The domain knows nothing of the mail channel, which calls it.
        ("tickets.services.intake", "from mail import parsing  # noqa", "Apps: wiring"),
        # The mail channel is below the pages that show it.
        ("mail.processing", "from desk import views  # noqa", "Apps: wiring"),
        # The two interfaces never import each other.
        ("portal.views", "from desk import forms  # noqa", "Apps: wiring"),
        # Below tasks.py nothing imports it: tasks are queued by name.
        ("tickets.outbox.queue", "from tickets import tasks  # noqa", "Inside tickets"),
        # Services and selectors are siblings that do not know each other.
        ("tickets.services.intake", "from tickets import selectors  # noqa", "Inside tickets"),
    ],
)
def test_a_forbidden_import_breaks_the_contract(code_copy, module, statement, broken):
    add_import(code_copy, module, statement)

    result = lint_imports(code_copy)

    assert result.returncode != 0
    assert "0 broken" not in result.stdout
    assert broken in result.stdout.split("Broken contracts", 1)[1]
