#!/usr/bin/env bash
# Install, then build the HTML book into _build/html (zero warnings allowed).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
rm -rf _build
jupyter-book build . -W -n --keep-going
echo "open _build/html/index.html"
