#!/usr/bin/env bash
# Installs the build into a temporary prefix, checks what landed there, and
# serves the installed default configuration with the installed modules.
set -u
build=$1
prefix=$(mktemp -d /tmp/modserv-install.XXXXXX)
prefix2=$(mktemp -d /tmp/modserv-install.XXXXXX)
staged=$(mktemp -d /tmp/modserv-install.XXXXXX)
trap 'rm -rf "$prefix" "$prefix2" "$staged"' EXIT
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
sed -i 's/127.0.0.1:9000/127.0.0.1:0/' \
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

# The installed binary's defaults follow the prefix it is in: without -c it
# reads the prefix's configuration, and a bare module name is looked for in
# pkg-config's moduledir after module_path.
check "-t without -c reads the prefix's configuration" \
	bash -c "'$prefix/sbin/modserv' -t | grep -qxF '$conf: configuration ok, 1 service'"
check "-h names the prefix's configuration as the default" \
	bash -c "'$prefix/sbin/modserv' -h | grep -qF '(default $conf)'"
moduledir=$(pkg-config --variable=moduledir modserv)
cp "$prefix/shout.so" "$moduledir/loud.so"
mkdir "$prefix/elsewhere"
cat >"$prefix/elsewhere/loud.conf" <<EOF
user = "$(id -un)";
services = (
  { name = "loud"; transport = "tcp"; listen = "127.0.0.1:0";
    model = "select"; module = "loud"; options = { mark = "!!"; }; } );
EOF
check "a module copied into moduledir is found by its name without module_path" \
	bash -c "'$prefix/sbin/modserv' -t -c '$prefix/elsewhere/loud.conf' |
	grep -qF 'module loud ($moduledir/loud.so)'"
check "-M finds it by its name too" \
	bash -c "'$prefix/sbin/modserv' -M loud | grep -q 'lines back, shouted'"
# a second prefix: each installed binary reads its own
cmake --install "$build" --prefix "$prefix2" >/dev/null
check "a second prefix's -t reads its own configuration" \
	bash -c "'$prefix2/sbin/modserv' -t | grep -qxF \
	'$prefix2/etc/modserv/modserv.conf: configuration ok, 1 service'"
check "a second prefix's -t serves its own modules" \
	bash -c "'$prefix2/sbin/modserv' -t |
	grep -qF '($prefix2/lib/modserv/modules/upper.so)'"
check "the first prefix's -t still reads its own configuration" \
	bash -c "'$prefix/sbin/modserv' -t | grep -qxF '$conf: configuration ok, 1 service'"
check "a second prefix looks for modules in its own moduledir, and says so" \
	bash -c "'$prefix2/sbin/modserv' -t -c '$prefix/elsewhere/loud.conf' 2>&1 |
	grep -q 'no loud.so in $prefix2/lib/modserv/modules\$'"
# GNUInstallDirs' special prefixes, staged: the configuration, the units and
# pkg-config name the places the installed binary looks in
DESTDIR="$staged" cmake --install "$build" --prefix /usr >/dev/null
check "prefix /usr: the configuration goes to /etc" \
	test -f "$staged/etc/modserv/modserv.conf"
check "prefix /usr: its module_path names /usr/lib/modserv/modules" \
	grep -qF '"/usr/lib/modserv/modules"' "$staged/etc/modserv/modserv.conf"
check "prefix /usr: pkg-config's moduledir is /usr/lib/modserv/modules" \
	test "$(PKG_CONFIG_PATH="$staged/usr/lib/pkgconfig" \
	pkg-config --variable=moduledir modserv)" = /usr/lib/modserv/modules
DESTDIR="$staged" cmake --install "$build" --prefix /opt/x >/dev/null
check "prefix /opt/x: the configuration goes to /etc/opt/x" \
	test -f "$staged/etc/opt/x/modserv/modserv.conf"
check "prefix /opt/x: modserv.service reads /etc/opt/x's configuration" \
	grep -q "^ExecStart=/opt/x/sbin/modserv -f -c /etc/opt/x/modserv/modserv.conf\$" \
	"$staged/opt/x/lib/systemd/system/modserv.service"
check "prefix /opt/x: pkg-config's moduledir is /opt/x/lib/modserv/modules" \
	test "$(PKG_CONFIG_PATH="$staged/opt/x/lib/pkgconfig" \
	pkg-config --variable=moduledir modserv)" = /opt/x/lib/modserv/modules
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
