#!/usr/bin/env bash
# Builds Release and runs the benchmark (tests/bench/run.py): modserv's
# models against C baselines and Python's socketserver, interleaved, median
# of 3; writes docs/benchmarks.md and docs/benchmarks.png.  Arguments go to
# run.py (--quick for a short run, --seconds, --repeat).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh >/dev/null
if ! command -v gnuplot >/dev/null; then
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq gnuplot-nox >/dev/null
fi
exec python3 tests/bench/run.py "$@"
