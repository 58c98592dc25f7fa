#!/usr/bin/env bash
# The main job: installs what is missing, builds in release mode and runs OP2's airfoil benchmark
# on the built-in NACA0012 grid. Extra arguments go to the airfoil command (see --help).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
swift build -c release --product airfoil
exec .build/release/airfoil "$@"
