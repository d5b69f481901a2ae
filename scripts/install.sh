#!/usr/bin/env bash
# Install everything the book and its tests need, from this repository's own files.
# torch is installed first, pinned to the CPU build in constraints.txt: an unpinned torch
# pulls a multi-GB CUDA build.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null && ! command -v chromium >/dev/null; then
  apt-get update -qq && apt-get install -y -qq chromium >/dev/null
fi
python -m pip install -q -c constraints.txt "torch==2.13.0"
python -m pip install -q -c constraints.txt -e ".[book,test,grade,bench]"
bash scripts/vendor_widgets.sh
