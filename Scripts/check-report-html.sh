#!/usr/bin/env bash
# Checks report.html in a real browser: headless Chromium (Debian package `chromium`) loads
# OUT/report.html from disk with every host name unresolvable, dumps the DOM it built and takes a
# screenshot; Scripts/check_report_html.py then checks that every chart is in the DOM (the four
# fixed charts and one histogram per layer of OUT/report.json) and that the screenshot is a real,
# non-blank picture of the page.
#   usage: Scripts/check-report-html.sh OUT [SCREENSHOT.png]   (default screenshot: OUT/report.png)
set -euo pipefail
out=${1:?usage: check-report-html.sh OUT [SCREENSHOT.png]}
png=${2:-$out/report.png}
command -v chromium >/dev/null || { echo "FAIL: chromium is not installed (apt-get install chromium)" >&2; exit 1; }
page="file://$(cd "$out" && pwd)/report.html"
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
# --no-sandbox: CI runs as root. The window is 1200 px wide; 3400 px tall shows the summary, the
# SQNR charts, per-class accuracy, the confusion, the thumbnails and the first histograms.
flags=(--headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$profile"
       --host-resolver-rules="MAP * ~NOTFOUND" --disable-background-networking --window-size=1200,3400)
timeout 120 chromium "${flags[@]}" --dump-dom "$page" > "$out/report.dom.html" 2> "$out/chromium.log"
timeout 120 chromium "${flags[@]}" --screenshot="$png" "$page" >> "$out/chromium.log" 2>&1
python3 "$(dirname "$0")/check_report_html.py" "$out/report.html" "$out/report.dom.html" "$out/report.json" "$png" 1200 3400
