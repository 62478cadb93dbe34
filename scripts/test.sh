#!/usr/bin/env bash
# Sets up, builds (with AddressSanitizer and UBSan), and runs every test:
# unit tests, fuzz-corpus replays, and integration tests on the real probe
# and tool. Arguments are passed to `meson test` (e.g. --suite unit).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --tests
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
exec meson test -C build-asan --print-errorlogs "$@"
