#!/usr/bin/env bash
# The test suite: installs what is missing, builds, and runs every test (unit, differential,
# error, lazy, app tests including airfoil on OP2's standard grid when ../shared/data has it).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
swift build --build-tests
swift test --skip-build "$@"
