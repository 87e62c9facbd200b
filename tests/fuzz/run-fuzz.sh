#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Builds the libFuzzer targets of a -Dfuzz=true build and fuzzes each for SECONDS (make fuzz,
# and with --no-build the suite 'fuzz' that make check runs).
#
#   tests/fuzz/run-fuzz.sh [--no-build] FUZZ_BUILD_DIR [SECONDS [TARGET...]]
#
# SECONDS defaults to 60 per target; TARGET to all four (fuzz_config fuzz_packet
# fuzz_relay fuzz_http), fuzzed one after the other. Each run starts from the seed
# corpus tests/fuzz/corpus/TARGET (only read) plus what earlier runs found, kept in
# FUZZ_BUILD_DIR/fuzz-corpus/TARGET. A crash leaves its input in
# FUZZ_BUILD_DIR/fuzz-artifacts/ (replay it with the target, or copy it into the seed
# corpus once fixed). Prints one line per target; exits 1 when any target crashed.
set -euo pipefail

FUZZ_DIR=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")

build_first=true
if [[ ${1:-} == --no-build ]]; then
	build_first=false
	shift
fi
if (($# < 1)); then
	sed -n '6,13s/^# \{0,1\}//p' "$0" >&2
	exit 2
fi
build=$1
seconds=${2:-60}
shift $(($# < 2 ? $# : 2))
targets=("$@")
((${#targets[@]})) || targets=(fuzz_config fuzz_packet fuzz_relay fuzz_http)
[[ $seconds =~ ^[1-9][0-9]*$ ]] || {
	echo "run-fuzz: SECONDS must be a positive number, not '$seconds'" >&2
	exit 2
}

# Only the targets: the rest of the project is not what this build is for.
if $build_first; then
	meson compile -C "$build" "${targets[@]}"
fi

mkdir -p "$build/fuzz-artifacts"
status=0
for target in "${targets[@]}"; do
	corpus=$build/fuzz-corpus/$target
	log=$build/fuzz-$target.log
	mkdir -p "$corpus"
	# A relay program's cost grows with its length; its steps are a few bytes each.
	max_len=4096
	[[ $target != fuzz_relay ]] || max_len=1024
	# -timeout: an input that runs this long is a hang, reported like a crash.
	options=(-max_total_time="$seconds" -max_len="$max_len" -timeout=20 -print_final_stats=1
		-artifact_prefix="$build/fuzz-artifacts/$target-")
	[[ ! -f $FUZZ_DIR/$target.dict ]] || options+=(-dict="$FUZZ_DIR/$target.dict")
	echo "== $target: fuzzing for $seconds s (log: $log)"
	if "$build/tests/fuzz/$target" "${options[@]}" "$corpus" "$FUZZ_DIR/corpus/$target" >"$log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
		cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
		echo "$target: no crash in $seconds s: ${runs:-?} inputs (${rate:-?}/s), $cov, corpus $(find "$corpus" -type f | wc -l) new inputs"
	else
		status=1
		echo "$target: FAILED; the end of its log:"
		tail -n 40 "$log" | sed 's/^/    /'
		echo "$target: crash inputs: $(find "$build/fuzz-artifacts" -name "$target-*" | tr '\n' ' ')"
	fi
done
exit "$status"
