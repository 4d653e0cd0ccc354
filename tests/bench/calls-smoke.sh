#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Smoke test of the calls benchmark tools (tools/dpbench, tools/loadgen; docs/performance.md,
# "Calls through the dataplane"), so that CI keeps them working: 100 bridged calls for 2 s
# through the socket backend with nothing lost and every packet decrypted and checked, 100
# relayed calls likewise, and a load generator with the wrong keys must see everything lost
# (the checks can fail). With `memif`: loadgen's DPDK memif transport against its reflector.
# With `dpdk`: the same calls through the DPDK backend (a net_memif NIC, loadgen at its other
# end, a TAP exception port, --no-huge), checked as the socket backend's are, and from the
# backend's per-lcore counters: every packet loadgen sent went through the fast path and
# nothing but loadgen's ARP reached the kernel.
#
#   calls-smoke.sh DPBENCH LOADGEN [memif|dpdk]
#
# Runs in a network namespace of its own (unshare -n: loopback only, no port clashes with
# other tests); skipped (77) where one cannot be made.
set -uo pipefail

dpbench=$1
loadgen=$2
what=${3:-socket}

if [ -z "${CALLS_SMOKE_IN_NS:-}" ]; then
	if ! unshare -n true 2>/dev/null; then
		echo "SKIP: cannot make a network namespace (needs root)"
		exit 77
	fi
	exec unshare -n env CALLS_SMOKE_IN_NS=1 "$0" "$@"
fi
ip link set lo up

work=$(mktemp -d "${TMPDIR:-/tmp}/calls-smoke.XXXXXX")
pids=()
trap 'for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done; rm -rf "$work"' EXIT

passed=0
failed=0
n=0
check() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n - $2"
		passed=$((passed + 1))
	else
		echo "not ok $n - $2"
		failed=$((failed + 1))
	fi
}
field() { grep -o "[[:space:]]$2=[^ ]*" "$1" | head -n1 | cut -d= -f2; }
# A number for arithmetic: a missing field reads as -1, which no check takes for a good value.
num() { local v; v=$(field "$1" "$2"); echo "${v:--1}"; }
is() { [ "$(field "$1" "$2")" = "$3" ]; }

# What run() adds to dpbench's and loadgen's arguments (the DPDK backend's).
harness_extra=()
loadgen_extra=()

# Start dpbench with ARGS; waits until it is ready (an EAL and a TAP take a few seconds on a
# busy machine). Sets harness_pid.
start_harness() {
	local out=$1
	shift
	rm -f "$work/ready"
	"$dpbench" -q -r "$work/ready" "$@" >"$out" 2>&1 &
	harness_pid=$!
	pids+=("$harness_pid")
	for _ in $(seq 400); do
		[ -f "$work/ready" ] && return 0
		kill -0 "$harness_pid" 2>/dev/null || break
		sleep 0.05
	done
	echo "# dpbench did not start:"
	sed 's/^/# /' "$out"
	return 1
}

stop_harness() {
	kill -TERM "$harness_pid"
	wait "$harness_pid"
}

# One run: MODE, loadgen's extra ARGS. Outputs in $work/MODE.{lg,dpb}; loadgen's exit in lg_rc.
run() {
	local name=$1 mode=$2
	shift 2
	lg_rc=99
	start_harness "$work/$name.dpb" -m "$mode" -n 100 "${harness_extra[@]}" || return 1
	"$loadgen" -q -m "$mode" -n 100 --rtcp-interval 1 --harness-pid "$harness_pid" \
		"${loadgen_extra[@]}" "$@" >"$work/$name.lg" 2>&1
	lg_rc=$?
	stop_harness
	sed 's/^/# /' "$work/$name.lg" "$work/$name.dpb"
}

# What a clean run must show: each call's two streams at 50 packets/s for the whole time
# (within one packet time per stream of the schedule's edges), every one back and checked,
# the gateway's RTCP decrypted, and the harness's counters agreeing.
clean_run() {
	local name=$1 mode=$2 secs=$3 sent recv
	run "$name" "$mode" -d "$secs"
	sent=$(num "$work/$name.lg" sent_rtp)
	recv=$(num "$work/$name.lg" recv_rtp)
	# 3: the generator fell behind its schedule (a busy machine): a measurement would be
	# worthless, but every packet is still checked below.
	check $((lg_rc != 0 && lg_rc != 3)) \
		"$mode: loadgen exits 0 or 3 (result $(field "$work/$name.lg" result))"
	check $((sent < 100 * 2 * 50 * secs - 200 || sent > 100 * 2 * 50 * secs)) \
		"$mode: 100 calls x 2 legs x 50 packets/s x ${secs} s sent ($sent)"
	check $((recv != sent)) "$mode: every packet came back, decrypted and checked ($recv)"
	is "$work/$name.lg" lost 0 && is "$work/$name.lg" dups 0 &&
		is "$work/$name.lg" auth_fail 0 && is "$work/$name.lg" bad_payload 0 &&
		is "$work/$name.lg" bad_header 0 && is "$work/$name.lg" misrouted 0
	check $? "$mode: no loss, duplicate, forgery, wrong header or payload"
	check $(($(num "$work/$name.lg" recv_rtcp) <= 0 ||
		$(num "$work/$name.lg" rtcp_bad) != 0)) \
		"$mode: the gateway's RTCP reports arrive and authenticate ($(field "$work/$name.lg" recv_rtcp))"
	check $(($(num "$work/$name.dpb" rtp_in) != sent)) \
		"$mode: the harness counted every packet in ($(field "$work/$name.dpb" rtp_in))"
	is "$work/$name.dpb" drop_auth 0 && is "$work/$name.dpb" drop_malformed 0 &&
		is "$work/$name.dpb" drop_replay 0 && is "$work/$name.dpb" drop_tx 0 &&
		is "$work/$name.dpb" no_flow 0
	check $? "$mode: the harness dropped nothing"
}

# The DPDK backend's own counters (dpbench's lc_ line, taken while loadgen was connected).
fast_path() {
	local name=$1 mode=$2 sent arps
	sent=$(($(num "$work/$name.lg" sent_rtp) + $(num "$work/$name.lg" sent_rtcp) -
		$(num "$work/$name.lg" peer_full)))
	arps=$(($(num "$work/$name.lg" memif_arp_sent) + $(num "$work/$name.lg" memif_arp_answered)))
	check $(($(num "$work/$name.dpb" lc_fast_pkts) != sent)) \
		"$mode: the fast path took every packet loadgen sent ($(field "$work/$name.dpb" lc_fast_pkts) of $sent)"
	check $(($(num "$work/$name.dpb" lc_to_kernel) != arps ||
		$(num "$work/$name.dpb" lc_input_pkts) != 0 ||
		$(num "$work/$name.dpb" lc_no_flow) != 0 || $(num "$work/$name.dpb" lc_punted) != 0)) \
		"$mode: nothing but ARP went to the kernel or the slow path (to_kernel $(field "$work/$name.dpb" lc_to_kernel), ARP $arps)"
	check $(($(num "$work/$name.dpb" lc_drops_all) != 0)) \
		"$mode: the lcores dropped no frame ($(field "$work/$name.dpb" lc_drops_all))"
}

if [ "$what" = dpdk ]; then
	# The lcore and loadgen busy-poll: each on a core of its own where there are two.
	lcore=0
	[ "$(nproc)" -ge 2 ] && lcore=1
	harness_extra=(-b dpdk --gw 10.99.0.1 --peer 10.99.0.2 --dpdk-lcores "$lcore"
		--dpdk-tap cst$$ --dpdk-prefix "calls-smoke-$$"
		--dpdk-port "net_memif0,role=server,socket=$work/memif.sock,id=0"
		--stop-on-usr1)
	# --stop-on-usr1: the lcores stop polling the memif before loadgen leaves (DPDK 22.11's
	# memif PMD unmaps a departed peer's rings under a polling lcore: a crash at teardown).
	loadgen_extra=(-t memif --memif-socket "$work/memif.sock" --gw 10.99.0.1 --peer 10.99.0.2
		--cpu 0)
	clean_run bridge bridge 2
	fast_path bridge bridge
	clean_run relay relay 1
	fast_path relay relay
elif [ "$what" = memif ]; then
	sock=$work/memif.sock
	# Each busy-polling side on a core of its own where there are two.
	pin_r=() pin_l=()
	if [ "$(nproc)" -ge 2 ]; then
		pin_r=(--cpu 1)
		pin_l=(--cpu 0)
	fi
	"$loadgen" -q -t memif --reflect --memif-socket "$sock" "${pin_r[@]}" \
		>"$work/reflect.out" 2>&1 &
	reflector=$!
	pids+=("$reflector")
	for _ in $(seq 100); do
		grep -q listening "$work/reflect.out" && break
		sleep 0.05
	done
	"$loadgen" -q -t memif --memif-socket "$sock" --echo -n 100 -d 1 --rtcp-interval 0.5 \
		--gw 10.99.0.1 --peer 10.99.0.2 "${pin_l[@]}" >"$work/memif.lg" 2>&1
	rc=$?
	# The reflector stops when its peer leaves.
	for _ in $(seq 50); do
		kill -0 "$reflector" 2>/dev/null || break
		sleep 0.1
	done
	kill -INT "$reflector" 2>/dev/null
	wait "$reflector"
	sed 's/^/# /' "$work/memif.lg" "$work/reflect.out"
	check $((rc != 0 && rc != 3)) \
		"memif: loadgen's frames go through memif and come back (result $(field "$work/memif.lg" result))"
	is "$work/memif.lg" lost 0 && is "$work/memif.lg" auth_fail 0 &&
		is "$work/memif.lg" bad_payload 0 && is "$work/memif.lg" bad_header 0 &&
		is "$work/memif.lg" send_errors 0 && is "$work/memif.lg" peer_full 0
	check $? "memif: no loss, full ring, forgery, wrong header or payload"
	sent=$(num "$work/memif.lg" sent_rtp)
	recv=$(num "$work/memif.lg" recv_rtp)
	check $((sent < 9800 || recv != sent)) \
		"memif: 100 calls x 2 legs x 50/s x 1 s sent and all checked on return ($sent)"
	check $(($(num "$work/memif.lg" recv_rtcp) <= 0)) "memif: RTCP too"
	refl=$(num "$work/reflect.out" reflected_udp)
	check $((refl < sent)) "memif: the reflector saw them ($refl)"
else
	clean_run bridge bridge 2
	clean_run relay relay 1

	# The keys of another seed: the harness refuses the browser leg's packets, and what it
	# forwards of the (plain) phone leg does not authenticate at loadgen.
	run wrongkeys bridge -d 0.3 --seed 2 --drain 0.5
	check $((lg_rc != 1)) "wrong keys: loadgen exits 1 (result $(field "$work/wrongkeys.lg" result))"
	is "$work/wrongkeys.lg" recv_rtp 0 && ! is "$work/wrongkeys.lg" lost 0 &&
		! is "$work/wrongkeys.lg" auth_fail 0
	check $? "wrong keys: nothing accepted, losses and forgeries reported"
	check $(($(num "$work/wrongkeys.dpb" drop_auth) <= 0)) \
		"wrong keys: the harness counts authentication failures ($(field "$work/wrongkeys.dpb" drop_auth))"
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
