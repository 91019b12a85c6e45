#!/usr/bin/env bash
# Installs the build into a temporary prefix, checks what landed there, and
# serves the installed default configuration with the installed modules.
set -u
build=$1
prefix=$(mktemp -d /tmp/modserv-install.XXXXXX)
trap 'rm -rf "$prefix"' EXIT
passed=0 failed=0
check() { # what, command...
	local what=$1
	shift
	if "$@" >/dev/null 2>&1; then
		echo "ok: $what"; passed=$((passed + 1))
	else
		echo "FAIL: $what"; failed=$((failed + 1))
	fi
}

cmake --install "$build" --prefix "$prefix" >/dev/null
check "binary installed" test -x "$prefix/sbin/modserv"
check "header installed" test -f "$prefix/include/modserv.h"
check "echo module installed" test -f "$prefix/lib/modserv/modules/echo.so"
check "upper module installed" test -f "$prefix/lib/modserv/modules/upper.so"
conf="$prefix/etc/modserv/modserv.conf"
check "default config installed" test -f "$conf"
check "modserv(8) installed" test -f "$prefix/share/man/man8/modserv.8"
check "modserv.conf(5) installed" test -f "$prefix/share/man/man5/modserv.conf.5"
check "installed config names the installed modules" \
	grep -q "\"$prefix/lib/modserv/modules\"" "$conf"
units="$prefix/lib/systemd/system"
check "modserv.service installed" test -f "$units/modserv.service"
check "modserv.socket installed" test -f "$units/modserv.socket"
check "modserv.service runs the installed binary on the installed config" \
	grep -q "^ExecStart=$prefix/sbin/modserv -f -c $conf\$" "$units/modserv.service"
if command -v systemd-analyze >/dev/null; then
	check "systemd-analyze verify accepts the units" \
		systemd-analyze verify --man=no "$units/modserv.service" "$units/modserv.socket"
fi
check "installed config passes -t" "$prefix/sbin/modserv" -t -c "$conf"
check "-t plan names the installed upper.so" \
	bash -c "'$prefix/sbin/modserv' -t -c '$conf' | grep -q '$prefix/lib/modserv/modules/upper.so'"
# The tutorial of docs/writing-modules.md, as written there: its module
# built out of tree with nothing but pkg-config's flags, then served.
docs=$(dirname "$0")/../../docs/writing-modules.md
block() { # the first indented block after the line starting with $1
	awk -v start="$1" 'index($0, start) == 1 { on = 1; next }
		on && /^    / { print substr($0, 5); seen = 1; next }
		on && seen && !/^$/ { exit }
		on && seen { print }' "$docs"
}
block '`shout.c`' >"$prefix/shout.c"
block 'Serve it' >"$prefix/shout.conf"
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
check "pkg-config knows modserv" pkg-config --exists modserv
check "pkg-config names the installed module folder" \
	test "$(pkg-config --variable=moduledir modserv)" = \
	"$prefix/lib/modserv/modules"
check "the tutorial's module builds with pkg-config's flags alone" \
	bash -c "cd '$prefix' && cc -shared -fPIC -Wall -Werror \
	\$(pkg-config --cflags modserv) shout.c -o shout.so"
check "modserv -M describes it" \
	bash -c "'$prefix/sbin/modserv' -M '$prefix/shout.so' | grep -q 'lines back, shouted'"
# the tutorial's config on a free port, as the running user
sed -i 's/127.0.0.1:9000/127.0.0.1:0/; s/options = /user = "'"$(id -un)"'"; options = /' \
	"$prefix/shout.conf"
check "the tutorial's config passes -t" \
	"$prefix/sbin/modserv" -t -c "$prefix/shout.conf"
(cd "$prefix" && exec "$prefix/sbin/modserv" -c shout.conf 2>"$prefix/log") &
server=$!
port=""
for _ in $(seq 100); do
	port=$(sed -n 's/.*listening on tcp 127.0.0.1:\([0-9]*\).*/\1/p' "$prefix/log")
	[ -n "$port" ] && break
	sleep 0.05
done
check "the tutorial's service answers as the page says" \
	python3 -c "
import socket, sys
s = socket.create_connection(('127.0.0.1', int('${port:-0}')), timeout=5)
s.sendall(b'hello\\n')
got = b''
while not got.endswith(b'\\n'):
    got += s.recv(100)
sys.exit(got != b'HELLO!!\\n')"
kill "$server"
wait "$server"
check "it stops cleanly" test $? -eq 0
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
