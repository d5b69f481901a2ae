#!/usr/bin/env bash
# Put the JavaScript the HTML book loads (ipywidgets' embedding manager, RequireJS, MathJax)
# into book/static/vendor/ (served as _static/vendor/), so the book renders widgets and math without a CDN. The packages come
# from the npm registry, pinned here.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=book/static/vendor
if [ -f "$dest/html-manager/embed-amd.js" ] && [ -f "$dest/require.js" ] \
  && [ -f "$dest/mathjax/tex-chtml.js" ]; then
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent @jupyter-widgets/html-manager@1.0.15 requirejs@2.3.8 \
  mathjax@3.2.2 >/dev/null)
mkdir -p "$dest/html-manager"
tar xzf "$work"/jupyter-widgets-html-manager-1.0.15.tgz -C "$work"
tar xzf "$work"/requirejs-2.3.8.tgz -C "$work" package/require.js
cp "$work"/package/dist/embed-amd.js "$dest/html-manager/"
find "$work/package/dist" -maxdepth 1 \( -name '*.woff*' -o -name '*.ttf' -o -name '*.eot' -o -name '*.svg' \) \
  -exec cp {} "$dest/html-manager/" \;
cp "$work"/package/require.js "$dest/require.js"
mkdir -p "$work/mathjax" "$dest/mathjax"
tar xzf "$work"/mathjax-3.2.2.tgz -C "$work/mathjax"
cp -r "$work"/mathjax/package/es5/. "$dest/mathjax/"
echo "vendored html-manager 1.0.15, requirejs 2.3.8 and mathjax 3.2.2 into $dest"
