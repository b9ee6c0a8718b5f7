"""The hostile-input corpus (tests/data/xss-payloads.txt), one payload a line.

A copy of the project's shared corpus, kept in the repository so that a fresh clone tests
with nothing outside it.
"""

from pathlib import Path

CORPUS = Path(__file__).resolve().parents[1] / "data" / "xss-payloads.txt"

PAYLOADS: list[str] = [line for line in CORPUS.read_text().splitlines() if line.strip()]
