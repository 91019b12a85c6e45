#!/usr/bin/env bash
# Sets everything up, then runs the whole test suite with ctest: once as
# built, once under ASan+UBSan, and the thread and select tests under TSan;
# then each libFuzzer target for FUZZ_SECONDS (60).  A sanitizer report from
# any process (master, worker, request, test) fails the run.  SANITIZERS=0
# runs only the plain suite.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
jobs=$(nproc)

(cd "${BUILD_DIR:-build}" && ctest --output-on-failure -j "$jobs" --timeout 600)

[ "${SANITIZERS:-1}" = 0 ] && exit 0

# Runs ctest in build dir $1 (configured with sanitizer $2) on tests
# matching $3, and fails on any report the sanitizers wrote.
sanitized() {
	local dir=$1 sanitize=$2 tests=$3 reports
	reports=$(mktemp -d /tmp/modserv-sanitizer.XXXXXX)
	chmod 1777 "$reports" # workers that became another user write here too
	BUILD_DIR=$dir CMAKE_ARGS="-DMODSERV_SANITIZE=$sanitize -DMODSERV_SOAK_SECONDS=30" \
		bash scripts/setup.sh
	local common="log_path=$reports/report:exitcode=66"
	# crashes on purpose must die by their signal, not a report;
	# the preloaded spawn-failure shim comes before the ASan runtime
	export ASAN_OPTIONS="$common:handle_segv=0:handle_abort=0:detect_leaks=1:verify_asan_link_order=0"
	export UBSAN_OPTIONS="$common:print_stacktrace=1:halt_on_error=1"
	export TSAN_OPTIONS="$common:second_deadlock_stack=1"
	local rc=0
	(cd "$dir" && ctest --output-on-failure -j "$jobs" --timeout 900 \
		-R "$tests") || rc=$?
	if compgen -G "$reports/report*" >/dev/null; then
		echo "sanitizer reports ($sanitize):"
		head -n 60 "$reports"/report*
		rc=1
	fi
	rm -rf "$reports"
	unset ASAN_OPTIONS UBSAN_OPTIONS TSAN_OPTIONS
	return $rc
}

echo "== ASan + UBSan: the whole suite"
sanitized build-asan address,undefined '.'
echo "== TSan: the thread and select tests, reload and daemon"
sanitized build-tsan thread '(thread|select|unit/|reload|daemon|haproxy)'
echo "== libFuzzer: every parser that sees outside bytes"
bash scripts/fuzz.sh
