#!/bin/sh
# The pages' front-end files, copied from node_modules (as package-lock.json pins them) into a git-ignored folder:
# the NL Design System CSS, the voorbeeld tokens (EUPL), the Noto Sans font, htmx and uPlot. Used by the Makefile and
# the Dockerfile. Usage: sh web/vendor.sh [node_modules] [web/static/vendor]
set -eu
from=${1:-node_modules}
to=${2:-web/static/vendor}
mkdir -p "$to/fonts"
cp "$from/@utrecht/component-library-css/dist/index.css" "$to/utrecht.css"
cp "$from/@nl-design-system-unstable/voorbeeld-design-tokens/dist/theme.css" "$to/voorbeeld-theme.css"
cp "$from/@fontsource/noto-sans/files/noto-sans-latin-400-normal.woff2" \
   "$from/@fontsource/noto-sans/files/noto-sans-latin-700-normal.woff2" "$to/fonts/"
cp "$from/htmx.org/dist/htmx.min.js" "$to/htmx.min.js"
# uPlot: the household page's small charts (ZRM scores over time, time at each intensity), read by web/static/charts.js.
cp "$from/uplot/dist/uPlot.iife.min.js" "$to/uplot.min.js"
cp "$from/uplot/dist/uPlot.min.css" "$to/uplot.min.css"
# Pre-compressed copies of the text files, sent by web/common.py Static when the browser accepts gzip.
for f in "$to"/*.css "$to"/*.js; do gzip -9 -k -f -n "$f"; done
