#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Run a node end-to-end test in a private network namespace (only lo, nothing leaves it), and
# always clean up: every process left in the namespace is killed, then the namespace goes.
#   netns-node.sh SCRIPT.mjs PONTE_BINARY
# The script gets PONTE_BINARY as its argument and the namespace's name in PONTE_NETNS.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
script=$(realpath "$1")
ponte=$(realpath "$2")
[[ -d $here/browser/node_modules/playwright-core ]] ||
	{ echo "netns-node.sh: run 'npm ci --prefix tests/e2e/browser' first" >&2; exit 1; }
ns="ponte-e2e-$(basename "$script" .mjs)-$$-$RANDOM"
cleanup() {
	for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
	ip netns delete "$ns" 2>/dev/null || true
}
trap cleanup EXIT
ip netns add "$ns"
ip -n "$ns" link set lo up
PONTE_NETNS=$ns ip netns exec "$ns" node "$script" "$ponte"
