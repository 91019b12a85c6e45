#!/usr/bin/env bash
# Sets everything up, then serves the default configuration in the
# foreground (Ctrl-C stops it).  Extra arguments go to modserv.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
exec ./build/modserv -f -c conf/modserv.conf "$@"
