#!/usr/bin/env bash
# Reads Swift Testing's output on stdin and prints one line: how many tests were skipped and why.
# Swift Testing reports a skip as `➜ Test "name" skipped: "reason"` (or `skipped.` without one).
set -euo pipefail
export LC_ALL=C  # byte-wise sorting, the same on every machine
skips="$(grep -E '^[^ ]* Test .* skipped(: ".*"|\.)$' || true)"
if [ -z "$skips" ]; then
  echo "swift-op2 tests: none skipped"
  exit 0
fi
count="$(printf '%s\n' "$skips" | wc -l | tr -d ' ')"
reasons="$(printf '%s\n' "$skips" \
  | sed -E 's/.* skipped: "(.*)"$/\1/; s/.* skipped\.$/no reason given/' | sort | uniq -c | sort -k1,1nr -k2 \
  | awk '{ n = $1; $1 = ""; sub(/^ /, ""); printf "%s%d because %s", (NR > 1 ? ", " : ""), n, $0 }')"
echo "swift-op2 tests: $count skipped: $reasons"
