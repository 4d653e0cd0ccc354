#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Relay rate of the daemon's socket dataplane, end to end: starts `ponte` in a private network
# namespace (only its own loopback, so nothing leaves the machine and no port can clash), runs
# tools/ponte-load against its echo service, first --find-max, then a fixed-rate run, and
# prints the figures (docs/performance.md, "Relay through the daemon").
#
#   tools/bench-relay.sh                  # after: meson setup build && ninja -C build
#   BUILD=build-load SESSIONS=100 tools/bench-relay.sh
#
# Environment (defaults in brackets):
#   BUILD [build]         build directory holding ponte and tools/ponte-load
#   PONTE [$BUILD/ponte]  the daemon binary, to compare another build with the same load
#   SESSIONS [50]         sessions
#   PPS [50]              packets per second per session in the fixed run (20 ms audio)
#   SIZE [172]            RTP packet bytes before SRTP (12-byte header + 160: 20 ms of G.711)
#   SECONDS_FIXED [20]    length of the fixed run
#   STEP_SECONDS [5]      length of each --find-max step
#   SRTP [any]            gcm, cm or any (the daemon's preference, AEAD_AES_128_GCM)
#   PIN []                "D:L" pins the daemon to CPU list D and ponte-load to L (taskset);
#                         empty: both float over every CPU
#   LOG_LEVEL [info]      the daemon's log.level; debug for a failing run
#   INPUT_QUEUE [4096]    the daemon's dataplane.input_queue
#   KEEP [0]              1: keep the work directory (config, daemon log) and say where
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-build}
case $build in /*) ;; *) build=$here/$build ;; esac
sessions=${SESSIONS:-50}
pps=${PPS:-50}
size=${SIZE:-172}
seconds_fixed=${SECONDS_FIXED:-20}
step_seconds=${STEP_SECONDS:-5}
srtp=${SRTP:-any}
log_level=${LOG_LEVEL:-info}
port=8080

ponte=${PONTE:-$build/ponte}
load=$build/tools/ponte-load
for f in "$ponte" "$load"; do
	[ -x "$f" ] || { echo "bench-relay: $f not built (ninja -C $build)" >&2; exit 2; }
done
[ "$(id -u)" = 0 ] || { echo "bench-relay: needs root (ip netns)" >&2; exit 2; }

daemon_cpus=''
load_cpus=''
if [ -n "${PIN:-}" ]; then
	daemon_cpus=${PIN%%:*}
	load_cpus=${PIN#*:}
fi

ns=ponte-bench-$$
work=$(mktemp -d "${TMPDIR:-/tmp}/ponte-bench.XXXXXX")
daemon_pid=

cleanup() {
	local rc=$?

	if [ -n "$daemon_pid" ] && kill -0 "$daemon_pid" 2>/dev/null; then
		kill -TERM "$daemon_pid" 2>/dev/null || true
		for _ in $(seq 30); do
			kill -0 "$daemon_pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$daemon_pid" 2>/dev/null || true
		wait "$daemon_pid" 2>/dev/null || true
	fi
	ip netns del "$ns" 2>/dev/null || true
	if [ "$rc" != 0 ] && [ -f "$work/daemon.log" ]; then
		echo "bench-relay: failed; the daemon's last log lines:" >&2
		tail -n 30 "$work/daemon.log" >&2
	fi
	if [ "${KEEP:-0}" = 1 ]; then
		echo "bench-relay: kept $work" >&2
	else
		rm -rf "$work"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Loopback only; ports wide enough for thousands of sessions; signaling limits out of the way
# (one WebSocket per session, a handful of messages each).
cat >"$work/ponte.yaml" <<EOF
log:
    level: $log_level
    file: $work/daemon.log
http:
    listen: 127.0.0.1
    port: $port
signaling:
    max_connections: 100000
    max_rooms: 100000
    rate: 1000
    burst: 1000
webrtc:
    addresses: [127.0.0.1]
    port_min: 10000
    port_max: 60000
    max_sessions: 100000
dataplane:
    backend: socket
    input_queue: ${INPUT_QUEUE:-4096}
EOF
"$ponte" --check-config "$work/ponte.yaml" >/dev/null

ip netns add "$ns"
ip -n "$ns" link set lo up

run_in_ns() {
	local cpus=$1
	shift
	if [ -n "$cpus" ]; then
		ip netns exec "$ns" taskset -c "$cpus" "$@"
	else
		ip netns exec "$ns" "$@"
	fi
}

# `ip netns exec` and taskset exec the command: $! is the daemon itself.
if [ -n "$daemon_cpus" ]; then
	ip netns exec "$ns" taskset -c "$daemon_cpus" "$ponte" -c "$work/ponte.yaml" &
else
	ip netns exec "$ns" "$ponte" -c "$work/ponte.yaml" &
fi
daemon_pid=$!
for _ in $(seq 50); do
	if ip netns exec "$ns" bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" 2>/dev/null; then
		break
	fi
	kill -0 "$daemon_pid" 2>/dev/null || { echo "bench-relay: the daemon exited" >&2; exit 1; }
	sleep 0.1
done
[ "$(cat /proc/$daemon_pid/comm)" = ponte ] || { echo "bench-relay: pid $daemon_pid is not ponte" >&2; exit 1; }

echo "== machine"
echo "cpus=$(nproc) model=\"$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)\"" \
	"kernel=$(uname -r) loadavg=\"$(cut -d' ' -f1-3 /proc/loadavg)\""
echo "pin=${PIN:-none} sessions=$sessions size=$size srtp=$srtp"
# Whatever else runs here takes CPU from both processes; ponte-load prints host_cpu per step
# so that it shows.
busy=$(ps -eo pcpu=,comm= --sort=-pcpu | awk '$1 > 10 { printf "%s(%s%%) ", $2, $1 }')
[ -z "$busy" ] || echo "warning: other busy processes: $busy"

common=(--url "ws://127.0.0.1:$port/ws" --daemon-pid "$daemon_pid" --sessions "$sessions"
	--size "$size" --srtp "$srtp")

echo "== find-max (steps of ${step_seconds}s; per-step lines on stderr)"
max_line=$(run_in_ns "$load_cpus" "$load" "${common[@]}" --pps "$pps" --find-max \
	--step-seconds "$step_seconds")
echo "$max_line"

echo "== fixed: $sessions sessions x $pps pps for ${seconds_fixed}s"
fixed_line=$(run_in_ns "$load_cpus" "$load" "${common[@]}" --pps "$pps" \
	--seconds "$seconds_fixed")
echo "$fixed_line"

field() { # field NAME LINE
	tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p"
}
echo "== figures"
echo "max lossless relay rate: $(field max_lossless_pps "$max_line") packets/s" \
	"(each one in and one out at the daemon), daemon CPU $(field daemon_cpu "$max_line") cores," \
	"$(field pps_per_core "$max_line") packets/s per daemon core," \
	"RTT p50 $(field rtt_p50_us "$max_line") us p99 $(field rtt_p99_us "$max_line") us," \
	"stopped by $(field limited_by "$max_line")"
echo "fixed $((sessions * pps)) packets/s: loss $(field loss "$fixed_line")," \
	"daemon CPU $(field daemon_cpu "$fixed_line") cores," \
	"$(field pps_per_core "$fixed_line") packets/s per daemon core," \
	"RTT p50 $(field rtt_p50_us "$fixed_line") us p99 $(field rtt_p99_us "$fixed_line") us"
