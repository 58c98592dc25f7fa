#!/usr/bin/env bash
# The test suite: installs what is missing, builds, and runs every test (unit, differential,
# error, lazy, app tests including airfoil on OP2's standard grid when ../shared/data has it),
# then says in one line how many tests were skipped and why.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
# Every test uses Swift Testing; without --disable-xctest SwiftPM also runs the (empty) XCTest
# bundle, which prints "Executed 0 tests, with 0 failures" twice.
swift build --build-tests --disable-xctest
log="$(mktemp "${TMPDIR:-/tmp}/swift-op2-test.XXXXXX")"
trap 'rm -f "$log"' EXIT
status=0
swift test --skip-build --disable-xctest "$@" 2>&1 | tee "$log" || status=$?
scripts/skip-summary.sh < "$log"
exit "$status"
