#!/usr/bin/env bash
# Builds Release and runs the benchmark (tests/bench/run.py): modserv's
# models against C baselines, Python's socketserver and inetd's built-in
# echo, and its TLS service against a hand-written OpenSSL server, stunnel4
# and nginx's stream module; interleaved in pairs, median of 5; writes
# docs/benchmarks.md and docs/benchmarks.png.  Arguments go to run.py
# (--quick for a short run, --seconds, --repeat, --only; --only tls for the
# TLS rows alone).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh >/dev/null
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
if ! command -v gnuplot >/dev/null; then
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq gnuplot-nox >/dev/null
fi

# install_quietly PACKAGE...: packages that would start a system service
# (inetd, stunnel4, nginx): policy-rc.d says no, and the benchmark runs its
# own instances with its own configs
install_quietly() {
	local added=""
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
		$sudo chmod +x /usr/sbin/policy-rc.d
		added=1
	fi
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null || true
	[ -z "$added" ] || $sudo rm -f /usr/sbin/policy-rc.d
}
command -v inetd >/dev/null || install_quietly openbsd-inetd
command -v stunnel4 >/dev/null || install_quietly stunnel4
[ -e /usr/lib/nginx/modules/ngx_stream_module.so ] ||
	install_quietly nginx libnginx-mod-stream
exec python3 tests/bench/run.py "$@"
