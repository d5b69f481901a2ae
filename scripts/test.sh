#!/usr/bin/env bash
# Install, then run every test: unit, learning and determinism tests, nbval over the book's
# notebooks, the book build with its browser check, and the graded exercises.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
python -m ruff check .
python -m mypy chapter_code
python -m pytest tests notebooks --nbval --nbval-sanitize-with nbval_sanitize.cfg --nbval-cell-timeout=900 -q "$@"
