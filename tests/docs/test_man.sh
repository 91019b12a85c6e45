#!/usr/bin/env bash
# The man pages render without a warning, and every configuration key the
# parser knows (core/config.c's key tables, a KEY(...) a line) is in
# modserv.conf(5) and in docs/configuration.md.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
passed=0 failed=0
check() { # what, command...
	local what=$1
	shift
	if "$@"; then
		echo "ok: $what"; passed=$((passed + 1))
	else
		echo "FAIL: $what"; failed=$((failed + 1))
	fi
}
for page in "$root"/man/*.[0-9]; do
	warnings=$(groff -ww -man -Tutf8 "$page" 2>&1 >/dev/null)
	check "$(basename "$page") renders without warnings" test -z "$warnings"
	[ -z "$warnings" ] || echo "$warnings"
done
keys=$(grep -o 'KEY("[a-z_]*"' "$root/core/config.c" | cut -d'"' -f2 | sort -u)
check "the parser's key tables were found" test -n "$keys"
for key in $keys; do
	check "$key in modserv.conf(5)" \
		grep -qE "^\.BR? (.*[ \"])?$key( |\"|$)" "$root/man/modserv.conf.5"
	check "$key in docs/configuration.md" \
		grep -q "\`$key\`" "$root/docs/configuration.md"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
