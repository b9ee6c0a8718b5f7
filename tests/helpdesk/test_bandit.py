"""bandit finds nothing of medium or high severity in the product code (`make lint` runs
the same), and does catch such a finding when someone writes one."""

import shutil
import subprocess
import sys
from pathlib import Path

from tests.support.celery_harness import BASE_DIR

BANDIT = Path(sys.executable).with_name("bandit")


def bandit(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BANDIT), "-c", "pyproject.toml", "-r", ".", "--quiet", "--severity-level", "medium"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_product_code_has_no_unjustified_finding():
    result = bandit(BASE_DIR)

    assert result.returncode == 0, result.stdout


def test_a_new_finding_fails_and_tests_are_left_out(tmp_path):
    shutil.copy(BASE_DIR / "pyproject.toml", tmp_path / "pyproject.toml")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_x.py").write_text("def f(x):\n    return eval(x)\n")
    assert bandit(tmp_path).returncode == 0

    (tmp_path / "common").mkdir()
    (tmp_path / "common" / "x.py").write_text("def f(x):\n    return eval(x)\n")
    result = bandit(tmp_path)

    assert result.returncode == 1
    assert "B307" in result.stdout and "common/x.py" in result.stdout
