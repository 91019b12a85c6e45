#!/bin/sh
# debian_hosts.sh HOSTS COMMAND... - runs COMMAND in a mount and network
# namespace of its own, whose /etc/hosts is HOSTS (Debian's: localhost is
# 127.0.0.1 and ::1) and whose loopback is fresh, so that neither this
# machine's /etc/hosts nor its ports matter.  Exits 77 (skipped) when no
# such namespace can be made.
hosts=$1
shift
if ! unshare -mn true 2>/dev/null; then
	echo "skipped: no mount and network namespace of our own (root?)"
	exit 77
fi
# private: the bind mount never reaches the machine's namespace
exec unshare -mn --propagation private sh -c '
	mount --bind "$0" /etc/hosts && ip link set lo up || exit 1
	if ! ip -6 addr show dev lo | grep -q "::1/"; then
		echo "skipped: no IPv6 loopback address"
		exit 77
	fi
	exec "$@"' "$hosts" "$@"
