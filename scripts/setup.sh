#!/usr/bin/env bash
# Installs what building and testing modserv needs (Debian 12), then builds
# it into build/.  Sourced by run.sh and test.sh; safe to run again.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

packages=(build-essential cmake pkg-config libconfig-dev libcmocka-dev libjson-c-dev
	libssl-dev openssl # TLS in the host; openssl makes the tests' certificates
	python3 binutils procps clang libclang-rt-14-dev groff-base
	netcat-openbsd # nc, the client of the docs' examples (docs/examples)
	systemd # systemd-socket-activate, for the socket activation test
	haproxy # in front of two instances, started by its test
	curl) # asks health over https in the TLS tests
missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "setup: installing ${missing[*]}"
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	$sudo apt-get update -qq
	# packages that ship a daemon (haproxy) must not start the system's
	# copy: tests start their own, on loopback, and stop it
	added=""
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
		$sudo chmod +x /usr/sbin/policy-rc.d
		added=1
	fi
	rc=0
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
		"${missing[@]}" >/dev/null || rc=$?
	[ -z "$added" ] || $sudo rm -f /usr/sbin/policy-rc.d
	[ "$rc" -eq 0 ] || exit "$rc"
fi

build_dir=${BUILD_DIR:-build}
cmake -S . -B "$build_dir" ${CMAKE_ARGS:-} >/dev/null
cmake --build "$build_dir" -j "$(nproc)"
