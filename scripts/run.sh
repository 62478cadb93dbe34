#!/usr/bin/env bash
# The main job: set up, build, and run `isobench run` (the quick suite on
# every runtime usable here). Arguments are passed to `isobench run`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec build/src/host/isobench run "$@"
