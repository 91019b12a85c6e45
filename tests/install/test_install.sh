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
check "installed config names the installed modules" \
	grep -q "\"$prefix/lib/modserv/modules\"" "$conf"
check "installed config passes -t" "$prefix/sbin/modserv" -t -c "$conf"
check "-t plan names the installed upper.so" \
	bash -c "'$prefix/sbin/modserv' -t -c '$conf' | grep -q '$prefix/lib/modserv/modules/upper.so'"
# a module built out of tree against the installed header alone
cat >"$prefix/shout.c" <<'C'
#include <modserv.h>
static int
shout_handle(ms_request *req)
{
	size_t n;
	const char *p = ms_peek(req, &n);

	ms_write(req, p, n);
	ms_write(req, "!", 1);
	ms_consume(req, n);
	return MS_CLOSE;
}
MODSERV_MODULE(.name = "shout", .summary = "bang", .handle = shout_handle);
C
check "a module builds against the installed header" \
	cc -shared -fPIC -Wall -Werror -I"$prefix/include" "$prefix/shout.c" \
	-o "$prefix/shout.so"
check "modserv -M describes it" \
	bash -c "'$prefix/sbin/modserv' -M '$prefix/shout.so' | grep -q 'summary  bang'"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
