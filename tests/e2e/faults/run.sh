#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Gateway fault tests (faults.mjs) in a private network namespace; argv: PONTE_BINARY.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ponte=$(realpath "$1")
[[ -d $here/../browser/node_modules/playwright-core ]] ||
	{ echo "run.sh: run 'npm ci --prefix tests/e2e/browser' first" >&2; exit 1; }
ns="ponte-faults-$$-$RANDOM"
cleanup() {
	for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
	ip netns delete "$ns" 2>/dev/null || true
}
trap cleanup EXIT
ip netns add "$ns"
ip -n "$ns" link set lo up
PONTE_NETNS=$ns ip netns exec "$ns" node "$here/faults.mjs" "$ponte"
