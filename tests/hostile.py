"""The shared hostile-input corpus (../shared/data/xss-payloads.txt), one payload a line."""

from pathlib import Path

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "data" / "xss-payloads.txt"

PAYLOADS: list[str] = [line for line in CORPUS.read_text().splitlines() if line.strip()]
