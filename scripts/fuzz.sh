#!/usr/bin/env bash
# Builds the libFuzzer targets with clang and runs each for FUZZ_SECONDS
# (default 60) from its corpus in tests/fuzz/corpus/.  Any crash, leak or
# sanitizer report fails.  What a run finds is left in build-fuzz/found/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
seconds=${FUZZ_SECONDS:-60}
CC=clang BUILD_DIR=build-fuzz CMAKE_ARGS="-DMODSERV_FUZZ=ON" \
	bash scripts/setup.sh
export LSAN_OPTIONS="suppressions=$PWD/tests/fuzz/lsan.supp"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
rc=0
for target in config addr buffer proxy framed cmd; do
	work=build-fuzz/found/$target
	rm -rf "$work" && mkdir -p "$work/corpus"
	cp tests/fuzz/corpus/$target/* "$work/corpus/"
	echo "== fuzz_$target for ${seconds}s"
	if ! build-fuzz/tests/fuzz/fuzz_$target -max_total_time="$seconds" \
		-artifact_prefix="$work/" -print_final_stats=1 \
		"$work/corpus" >"$work/log" 2>&1; then
		echo "fuzz_$target FAILED:"
		grep -E -A20 "ERROR|SUMMARY" "$work/log" | head -40
		rc=1
	else
		grep -E "^stat::number_of_executed_units|^Done" "$work/log"
	fi
done
exit $rc
