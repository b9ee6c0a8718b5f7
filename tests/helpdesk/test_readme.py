"""README.md's table of environment variables lists every one that settings.py reads."""

import ast
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]


def _variables_read_by_settings() -> set[str]:
    tree = ast.parse((BASE_DIR / "helpdesk" / "settings.py").read_text())
    names = set()
    for node in ast.walk(tree):
        # env("NAME", ...), env.bool("NAME", ...), env.db("NAME", ...)
        if isinstance(node, ast.Call):
            func = node.func
            target = func.value if isinstance(func, ast.Attribute) else func
            if isinstance(target, ast.Name) and target.id == "env" and node.args:
                first = node.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    names.add(first.value)
        # "NAME" in env
        if (
            isinstance(node, ast.Compare)
            and isinstance(node.left, ast.Constant)
            and any(isinstance(c, ast.Name) and c.id == "env" for c in node.comparators)
        ):
            names.add(node.left.value)
    return names


def test_settings_reads_the_variables_this_test_expects_to_find():
    assert {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "ALLOWED_HOSTS", "EMAIL_URL"} <= (
        _variables_read_by_settings()
    )


def test_readme_lists_every_environment_variable_settings_reads():
    readme = (BASE_DIR / "README.md").read_text()

    missing = sorted(n for n in _variables_read_by_settings() if f"| `{n}` |" not in readme)

    assert not missing, f"add these to README.md's table of environment variables: {missing}"
