#!/usr/bin/env bash
# Builds Release and runs the benchmark (tests/bench/run.py): modserv's
# models against C baselines, Python's socketserver and inetd's built-in
# echo, interleaved in pairs, median of 5; writes docs/benchmarks.md and
# docs/benchmarks.png.  Arguments go to run.py (--quick for a short run,
# --seconds, --repeat, --only).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh >/dev/null
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
if ! command -v gnuplot >/dev/null; then
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq gnuplot-nox >/dev/null
fi
if ! command -v inetd >/dev/null; then
	# the package would start the system's inetd: policy-rc.d says no, and
	# the benchmark runs its own with its own config
	added=""
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
		$sudo chmod +x /usr/sbin/policy-rc.d
		added=1
	fi
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq openbsd-inetd >/dev/null || true
	[ -z "$added" ] || $sudo rm -f /usr/sbin/policy-rc.d
fi
exec python3 tests/bench/run.py "$@"
