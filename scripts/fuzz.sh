#!/usr/bin/env bash
# Builds the fuzz targets of tests/fuzz/ with clang and libFuzzer (plus
# AddressSanitizer and UBSan) in build-fuzz/, outside Meson, and fuzzes
# each for a while.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]   fuzz each TARGET (default: all)
#                                           for SECONDS (default 60)
#   scripts/fuzz.sh --build                 only build
#   scripts/fuzz.sh --merge [TARGET...]     the seeds, plus the fewest
#                                           inputs fuzzing found that add
#                                           coverage (edges), copied into
#                                           build-fuzz/merged/TARGET/
#
# Targets: probe (probe output: framing and records), plan (plan files),
# rawlog (raw.jsonl and the reports made from it), peer (what an instance
# sends to the net peer), cleanup (state.jsonl through cleanup's dry run;
# its oracles: nothing outside what the run id derives), qmp (a VMM's QMP
# messages), docker_api (the Docker engine's log stream and replies),
# moddep (a kernel's modules.dep), app_image (application manifests, ELF
# headers, a loader's listing), argv_file (an application server's
# command-line file, read by the probe), wrk (wrk's output with its
# done() hook's line), sysbench (sysbench's output: the wrapper's line
# and its latency histogram), thresholds (compare's thresholds file).
#
# Fuzzing reads the seeds in tests/fuzz/corpus/TARGET/ (never written)
# and keeps what it finds in build-fuzz/corpus/TARGET/ (kept across runs).
# Crashes, leaks and timeouts go to tests/fuzz/findings/TARGET/ (ignored
# by git); reproduce one with the sanitizer build's replay binary:
#   build-asan/tests/fuzz/fuzz_TARGET tests/fuzz/findings/TARGET/crash-...
# or with build-fuzz/fuzz_TARGET FILE. To grow the seeds: --merge, then
# copy the new (small) files of build-fuzz/merged/TARGET/ to the seeds;
# keep each corpus under about 100 files.
#
# Environment: CC (default clang), FUZZ_FLAGS (more libFuzzer flags, e.g.
# "-jobs=2 -workers=2"). Exit status: 0 when no target failed, 1 when
# one crashed (see the findings), 2 on bad usage or a failed build.
set -euo pipefail
cd "$(dirname "$0")/.."

ALL_TARGETS=(probe plan rawlog peer cleanup qmp docker_api moddep app_image argv_file wrk sysbench thresholds)
OUT=build-fuzz
CC=${CC:-clang}

nfiles() { find "$1" -maxdepth 1 -type f | wc -l; }

usage() { # EXIT-STATUS
	if [[ $1 == 0 ]]; then
		sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
	else
		sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
	fi
	exit "$1"
}

mode=fuzz
seconds=60
targets=()
case "${1:-}" in
--build) mode=build; shift ;;
--merge) mode=merge; shift ;;
-h|--help) usage 0 ;;
[0-9]*) seconds=$1; shift ;;
esac
for t in "$@"; do
	[[ " ${ALL_TARGETS[*]} " == *" $t "* ]] || {
		echo "fuzz: unknown target '$t' (known: ${ALL_TARGETS[*]})" >&2
		exit 2
	}
	targets+=("$t")
done
((${#targets[@]})) || targets=("${ALL_TARGETS[@]}")
[[ "$seconds" =~ ^[0-9]+$ ]] || usage 2

command -v "$CC" >/dev/null || {
	echo "fuzz: $CC not found (apt-get install clang libclang-rt-14-dev)" >&2
	exit 2
}

# --- build -------------------------------------------------------------------
# The library: every source of the host tool's static library (src/host
# but for cli/ and validate/, which only the executable has) and the
# common code, as Meson builds it, but instrumented for libFuzzer.
mkdir -p "$OUT/obj" "$OUT/include"
version=$(sed -n "s/^ *version *: *'\([^']*\)'.*/\1/p" meson.build | head -1)
printf '#pragma once\n#define ISOBENCH_VERSION "%s"\n' "$version" \
	>"$OUT/include/version.h.new"
cmp -s "$OUT/include/version.h.new" "$OUT/include/version.h" 2>/dev/null ||
	mv "$OUT/include/version.h.new" "$OUT/include/version.h"
rm -f "$OUT/include/version.h.new"

# shellcheck disable=SC2054 # the commas are in -fsanitize=
cflags=(-g -O1 -fno-omit-frame-pointer -std=gnu11 -D_GNU_SOURCE
	-fsanitize=address,undefined -fno-sanitize-recover=undefined
	-Wall -Wextra -Wno-unused-parameter
	-I"$OUT/include" -Isrc/host -Isrc -I. -I/usr/include/cjson)
# (the cleanup target reaches every runtime driver, docker_api.o needs
# libcurl and threads, vm_image.o libarchive and libcrypto)
libs=(-lcjson -linih -lm -lcurl -larchive -lcrypto -lpthread)

build_obj() { # SRC OBJ EXTRA-FLAGS...
	local src=$1 obj=$2
	shift 2
	if [[ ! "$obj" -nt "$src" || "$0" -nt "$obj" ]] ||
		find src/host src/common tests/fuzz -name '*.h' -newer "$obj" | grep -q .; then
		"$CC" "${cflags[@]}" "$@" -c -o "$obj" "$src"
	fi
}

lib_objs=()
while read -r src; do
	case "$src" in src/host/cli/*|src/host/validate/*) continue ;; esac
	obj=${src%.c}.o
	obj="$OUT/obj/${obj//\//_}"
	build_obj "$src" "$obj" -fsanitize=fuzzer-no-link || exit 2
	lib_objs+=("$obj")
done < <(find src/host src/common -name '*.c' | sort)
# a new archive under another name, then renamed: two runs at once (one
# per target) never see a half-written library
rm -f "$OUT/libisobench-fuzz.a.$$"
ar rcs "$OUT/libisobench-fuzz.a.$$" "${lib_objs[@]}"
mv -f "$OUT/libisobench-fuzz.a.$$" "$OUT/libisobench-fuzz.a"
build_obj tests/fuzz/fuzz_util.c "$OUT/obj/fuzz_util.o" -Itests/fuzz || exit 2
for t in "${targets[@]}"; do
	build_obj "tests/fuzz/fuzz_$t.c" "$OUT/obj/fuzz_$t.o" \
		-fsanitize=fuzzer-no-link -Itests/fuzz || exit 2
	"$CC" "${cflags[@]}" -fsanitize=fuzzer -o "$OUT/fuzz_$t" \
		"$OUT/obj/fuzz_$t.o" "$OUT/obj/fuzz_util.o" \
		"$OUT/libisobench-fuzz.a" "${libs[@]}" || exit 2
done
echo "fuzz: built ${targets[*]} in $OUT/" >&2
[[ $mode == build ]] && exit 0

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# --- merge -------------------------------------------------------------------
if [[ $mode == merge ]]; then
	for t in "${targets[@]}"; do
		rm -rf "$OUT/merged/$t"
		mkdir -p "$OUT/merged/$t" "$OUT/corpus/$t"
		# the seeds stay; of the rest only what reaches new edges
		# (-use_counters=0: hit counts would keep far more files)
		cp "tests/fuzz/corpus/$t"/* "$OUT/merged/$t/"
		"$OUT/fuzz_$t" -merge=1 -use_counters=0 "$OUT/merged/$t" \
			"$OUT/corpus/$t" 2>"$OUT/merge-$t.log" || {
			echo "fuzz: merging $t failed, see $OUT/merge-$t.log" >&2
			exit 1
		}
		echo "fuzz: $t: $(nfiles "$OUT/merged/$t") inputs in" \
			"$OUT/merged/$t/ (seeds: $(nfiles "tests/fuzz/corpus/$t"))" >&2
	done
	exit 0
fi

# --- fuzz --------------------------------------------------------------------
failed=()
for t in "${targets[@]}"; do
	dict=()
	[[ -f "tests/fuzz/$t.dict" ]] && dict=(-dict="tests/fuzz/$t.dict")
	mkdir -p "$OUT/corpus/$t" "tests/fuzz/findings/$t"
	log="$OUT/fuzz-$t.log"
	echo "fuzz: $t for ${seconds}s (log: $log)" >&2
	# shellcheck disable=SC2086 # FUZZ_FLAGS is a list of flags
	if "$OUT/fuzz_$t" -max_total_time="$seconds" -timeout=10 \
		-rss_limit_mb=2048 -print_final_stats=1 "${dict[@]}" \
		-artifact_prefix="tests/fuzz/findings/$t/" ${FUZZ_FLAGS:-} \
		"$OUT/corpus/$t" "tests/fuzz/corpus/$t" >"$log" 2>&1; then
		echo "fuzz: $t: no crash; $(grep -E '^stat::number_of_executed_units' "$log" |
			awk '{print $2}') runs, corpus $(nfiles "$OUT/corpus/$t") files" >&2
	else
		echo "fuzz: $t FAILED: see $log and tests/fuzz/findings/$t/" >&2
		grep -E '^(==[0-9]+==ERROR|SUMMARY|fuzz:)' "$log" | head -5 >&2 || true
		failed+=("$t")
	fi
done
if ((${#failed[@]})); then
	echo "fuzz: failed: ${failed[*]}" >&2
	exit 1
fi
exit 0
