#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Browser end-to-end test: starts the ponte daemon in a private network namespace (nothing
# leaves it: only lo exists there), then runs one test script there, which starts headless
# Chromium browsers:
#
#   run.sh [PONTE [TEST]]   PONTE: the built daemon (default: $PONTE)
#                           TEST: p2p (default), echo, relay, phone, incoming or turn: runs TEST.mjs
#                           (phone also needs sipp, Debian sip-tester: it calls SIPp phones;
#                           turn needs coturn: the daemon allocates its candidates there)
#
# Environment: PONTE_WEB_ROOT=DIR serves the client from DIR instead of the one built into the
# daemon (to try client changes without rebuilding); E2E_OUT=DIR is where the screenshots of
# the pages, their console and signaling logs and the daemon's log go (default
# /tmp/ponte-e2e-browser-out for p2p, /tmp/ponte-e2e-TEST-out for the others, emptied at each
# run; a given E2E_OUT is never emptied). PONTE_E2E_SRTP_ENGINE=NAME puts
# dataplane.srtp_engine: NAME in the daemon's configuration (libsrtp2, ipsec-mb; without it,
# auto: ipsec-mb where built) and checks the daemon started with it.
# PONTE_E2E_DPDK=1 runs the daemon on the DPDK backend instead, in a lab of tools/lab-dpdk
# (docs/dpdk.md): its NIC a veth through net_af_packet, its address 10.77.0.1 on the TAP
# exception interface; the browsers run in the lab's peer namespace and open the page through a
# TCP relay on its 127.0.0.1:8080 (a secure origin). Afterwards the DPDK lcores' counters must
# show that the media went through the fast path. Every test but turn runs so (turn's TURN
# server is on the daemon's 127.0.0.1); the SIP tests' phones (SIPp, baresip) run in the peer
# namespace on 10.77.0.2 (trunks and registrars there too), the gateway's SIP side and SIP-side
# RTP on 10.77.0.1, so that the phones' media crosses the DPDK port. The tests get the
# addresses in PONTE_E2E_GW (the gateway's), PONTE_E2E_PEER (the phones') and PONTE_E2E_PEER_IF
# (the interface the phones' frames pass: lo, or the peer's veth), all 127.0.0.1 and lo without
# PONTE_E2E_DPDK.
# PONTE_E2E_DPDK=N (2..8) forwards on N lcores (CPUs 0..N-1, a queue pair each, frames of a
# flow handed to its owner when they land on another lcore).
# PONTE_LAB_VLANS=A,B is PONTE_E2E_DPDK_NICS=2 with the two NICs on VLANs A and B of one veth,
# the lab's --vlans (the same namespaces and addresses; dpdk.ports[0..1] the same device).
# PONTE_E2E_DPDK_NICS=2 (with PONTE_E2E_DPDK; phone only) gives the daemon a second NIC, the
# lab's --nics 2: the browsers stay behind the first (the peer namespace, 10.77.0.1), the
# gateway's SIP side and SIP-side RTP move to the second NIC's TAP (10.78.0.1) and the phones
# run in the lab's phone namespace behind it (10.78.0.2): PONTE_E2E_GW, PONTE_E2E_PEER and
# PONTE_E2E_PEER_IF name those, and PONTE_E2E_PHONE_NS the namespace the test starts its phones
# (and their sniffers) in, through `ip netns exec` (lib.mjs's phoneSpawn()).
# With PONTE_E2E_DPDK the tests also get PONTE_E2E_GW_NS, the lab's gateway namespace, and
# PONTE_E2E_EXC_IF, the TAP there that holds PONTE_E2E_GW: what crosses it took the exception
# path (message.mjs watches its SIP there).
# Needs root (ip netns), /usr/bin/chromium and `npm ci --prefix tests/e2e/browser`.
# Exit status: the test's.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ponte=${1:-${PONTE:-}}
name=${2:-p2p}

fail() {
	echo "run.sh: $*" >&2
	exit 1
}

[[ -n $ponte ]] || fail "usage: run.sh PATH-TO-PONTE [p2p|echo|relay|phone] (or set PONTE)"
[[ $name =~ ^[a-z0-9_-]+$ && -f $here/$name.mjs ]] || fail "no test '$name' ($here/$name.mjs)"
[[ -x $ponte ]] || fail "$ponte is not an executable"
ponte=$(realpath "$ponte")
[[ $(id -u) -eq 0 ]] || fail "needs root for 'ip netns'"
command -v node >/dev/null || fail "node is not installed (apt-get install -y nodejs npm)"
[[ -x /usr/bin/chromium ]] || fail "/usr/bin/chromium is missing (apt-get install -y chromium)"
[[ -d $here/node_modules/playwright-core ]] ||
	fail "playwright-core is missing: run 'npm ci --prefix tests/e2e/browser'"

ns="ponte-e2e-$$-$RANDOM"
tmp=$(mktemp -d /tmp/ponte-e2e-browser.XXXXXX)
out=${E2E_OUT:-}
if [[ -z $out ]]; then
	out=/tmp/ponte-e2e-browser-out
	[[ $name == p2p ]] || out=/tmp/ponte-e2e-$name-out
	rm -rf "$out"
fi
mkdir -p "$out"
ponte_pid=
test_pid=
status=1
dpdk=${PONTE_E2E_DPDK:-}
nics=${PONTE_E2E_DPDK_NICS:-1}
# PONTE_LAB_VLANS=A,B (lab-dpdk --vlans): the two NICs are VLANs A and B of one.
vlans=${PONTE_LAB_VLANS:-}
[[ -z $vlans ]] || nics=2
lab=$here/../../../tools/lab-dpdk
lab_id=
if [[ -n $dpdk ]] && ! command -v ethtool >/dev/null; then
	echo "1..0 # SKIP PONTE_E2E_DPDK: the DPDK lab needs ethtool (apt-get install -y ethtool)"
	exit 77
fi

cleanup() {
	trap - EXIT INT TERM
	if [[ -n $test_pid ]]; then
		kill "$test_pid" 2>/dev/null || true
		wait "$test_pid" 2>/dev/null || true
	fi
	if [[ -n $ponte_pid ]] && kill -0 "$ponte_pid" 2>/dev/null; then
		kill "$ponte_pid" 2>/dev/null || true
		for _ in $(seq 50); do
			kill -0 "$ponte_pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$ponte_pid" 2>/dev/null || true
	fi
	if [[ -n $lab_id ]]; then
		"$lab" down -i "$lab_id" || true
	fi
	# Whatever the test started and left behind (a browser of a killed node) is still in
	# the namespace: end those processes, by PID, before the namespace goes.
	if ip netns list | grep -qw "^$ns"; then
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -9 "$pid" 2>/dev/null || true
		done
		ip netns delete "$ns" 2>/dev/null || true
	fi
	if [[ $status -ne 0 ]]; then
		echo "run.sh: daemon log ($out/ponte.log):" >&2
		tail -n 40 "$out/ponte.log" >&2 || true
	fi
	echo "run.sh: screenshots and logs in $out" >&2
	rm -rf "$tmp"
	exit "$status"
}
trap cleanup EXIT
trap 'status=130; exit' INT
trap 'status=143; exit' TERM

if [[ -n $dpdk ]]; then
	# The lab makes its namespaces when it starts the daemon (below); the browsers run in
	# its peer namespace, the daemon answers on 8080 there as the lab wants.
	lab_id=$(printf 'e%07x' $(((RANDOM << 15 | RANDOM) & 0xfffffff)))
	ns=ponte-$lab_id-peer
	port=8080
	# tools/lab-dpdk's addresses: the gateway's on the TAP, the peer's on its veth.
	gw_addr=10.77.0.1
	peer_addr=10.77.0.2
	peer_if=$lab_id-p
	# The gateway's namespace and the exception interface (TAP) of its SIP side there.
	export PONTE_E2E_GW_NS=ponte-$lab_id-gw PONTE_E2E_EXC_IF=$lab_id-t
	if [[ $nics == 2 ]]; then
		# The phones' side, behind the second NIC (lab-dpdk --nics 2).
		gw_addr=10.78.0.1
		peer_addr=10.78.0.2
		peer_if=$lab_id-q
		PONTE_E2E_EXC_IF=$lab_id-u
		export PONTE_E2E_PHONE_NS=ponte-$lab_id-phone
	fi
else
	ip netns add "$ns"
	ip -n "$ns" link set lo up

	# The namespace is new, so any port is free in it; ask the kernel for one all the same.
	port=$(ip netns exec "$ns" node -e '
		const s = require("net").createServer().listen(0, "127.0.0.1", () => {
			console.log(s.address().port);
			s.close();
		});')
	gw_addr=127.0.0.1
	peer_addr=127.0.0.1
	peer_if=lo
fi
export PONTE_E2E_GW=$gw_addr PONTE_E2E_PEER=$peer_addr PONTE_E2E_PEER_IF=$peer_if

cat >"$tmp/ponte.yaml" <<EOF
log:
  level: debug
http:
  listen: 127.0.0.1
  port: $port
  web_root: "${PONTE_WEB_ROOT:+$(realpath "$PONTE_WEB_ROOT")}"
webrtc:
  addresses: [127.0.0.1]
  # Short, so that echo.mjs sees a vanished browser dropped within its time limit; a
  # healthy call must outlast it.
  consent_timeout: 10
EOF
srtp_engine=${PONTE_E2E_SRTP_ENGINE:-}
if [[ -n $srtp_engine ]]; then
	[[ $srtp_engine =~ ^[a-z0-9-]+$ ]] || fail "PONTE_E2E_SRTP_ENGINE: bad name '$srtp_engine'"
	[[ -n $dpdk ]] || printf 'dataplane:\n  srtp_engine: %s\n' "$srtp_engine" >>"$tmp/ponte.yaml"
fi
# The tests whose gateway has its SIP side on (and whose phones are SIPp or baresip).
sip_tests=" phone incoming baresip midcall message sdes tls timers dtmfinfo "
if [[ $sip_tests == *" $name "* ]]; then
	command -v sipp >/dev/null || fail "sipp is not installed (apt-get install -y sip-tester)"
	# phone.mjs starts its SIPp phones on 127.0.0.1:5070; the gateway's SIP side is here (the
	# namespace is private, so 5060 is free).
	cat >>"$tmp/ponte.yaml" <<EOF
sip:
  enabled: true
  listen: 127.0.0.1
  port: 5060
  rtp_address: 127.0.0.1
EOF
fi
if [[ $name == tls ]]; then
	# tls.mjs: SIP over TLS on 5061 beside UDP and TCP, with certificates made for this run
	# (tls-certs.sh: a root, an intermediate, the gateway's chain, the phones'); peers are
	# checked against the root. tls.mjs finds the files in E2E_TLS_DIR.
	command -v openssl >/dev/null || fail "openssl is not installed"
	# The gateway's certificate names its address, the phones' theirs (the lab's two).
	bash "$here/tls-certs.sh" "$tmp/tls" "$gw_addr" "$peer_addr" || fail "tls-certs.sh failed"
	export E2E_TLS_DIR=$tmp/tls
	cat >>"$tmp/ponte.yaml" <<EOF
  transports: [udp, tcp, tls]
  tls_port: 5061
  tls_certificate: $tmp/tls/gateway.pem
  tls_key: $tmp/tls/gateway.key
  tls_ca: $tmp/tls/ca.pem
EOF
fi
if [[ $name == midcall ]]; then
	# midcall.mjs holds calls for longer than this: the media timeout must wait.
	echo "  media_timeout: 5" >>"$tmp/ponte.yaml"
fi
if [[ $name == dtmfinfo ]]; then
	# dtmfinfo.mjs: DTMF toward phones by SIP INFO, no telephone-event in their SDP.
	echo "  dtmf: info" >>"$tmp/ponte.yaml"
fi
if [[ $name == sdes ]]; then
	# sdes.mjs: SRTP toward phones with SDES keys (RFC 4568), no plain calls.
	echo "  srtp: sdes-mandatory" >>"$tmp/ponte.yaml"
fi
if [[ $name == incoming ]]; then
	# incoming.mjs: calls for two accounts (their registrars never answer here, but a call to
	# the Contact user an account registers, its name, is routed all the same), a call out
	# through a third account's outbound proxy, and a trunk
	# whose phone refuses the gateway's password. The trunk's address is the phones' own,
	# $peer_addr, so the trunks' source check lets the test's phones in.
	cat >>"$tmp/ponte.yaml" <<EOF
  accounts:
    - {name: office, registrar: "sip:$peer_addr:5090", username: "1001", password: x, incoming: alice}
    - {name: hall, registrar: "sip:$peer_addr:5091", username: "1002", password: x, incoming: room-hall}
    # Calls through it go to its outbound proxy (SIPp on 5093), never to 5094 (nobody there).
    - name: provider
      registrar: "sip:$peer_addr:5094"
      aor: "sip:1003@example.net"
      username: "1003"
      password: prov-secret
      outbound_proxy: "sip:$peer_addr:5093"
      register: false
  trunks:
    - {name: carrier, address: "sip:$peer_addr:5072", username: ponte, password: not-the-password}
  number_route: carrier
EOF
fi

if [[ $name == turn ]]; then
	command -v turnserver >/dev/null || fail "turnserver is not installed (apt-get install -y coturn)"
	# coturn on the namespace's loopback, long-term credentials; loopback peers allowed,
	# since the browser's address is 127.0.0.1 too.
	ip netns exec "$ns" turnserver -n --listening-ip=127.0.0.1 --listening-port=3478 \
		--relay-ip=127.0.0.1 --min-port=49152 --max-port=49407 --allow-loopback-peers \
		--lt-cred-mech --user=ponte:turn-secret --realm=ponte.test --fingerprint \
		--no-cli --no-tls --no-dtls --log-file=stdout --simple-log \
		>"$out/turnserver.log" 2>&1 &
	disown # killed with the namespace, without a word from bash
	cat >>"$tmp/ponte.yaml" <<EOF
  turn_server: 127.0.0.1:3478
  turn_username: ponte
  turn_password: turn-secret
  relay_only: true
EOF
fi

if [[ -n $dpdk ]]; then
	[[ $name != turn ]] ||
		fail "PONTE_E2E_DPDK: not for $name yet (its peers are on the daemon's 127.0.0.1)"
	[[ $dpdk =~ ^[1-8]$ ]] || fail "PONTE_E2E_DPDK: 1 to 8 (lcores), got '$dpdk'"
	[[ $nics == 1 || $nics == 2 ]] || fail "PONTE_E2E_DPDK_NICS: 1 or 2, got '$nics'"
	[[ $nics == 1 || $name == phone ]] ||
		fail "PONTE_E2E_DPDK_NICS=2: for phone only (the others start their phones themselves)"
	# The gateway's addresses are the TAP's: @GW@ and the others are the lab's (lab-dpdk).
	sed -i 's/127\.0\.0\.1/@GW@/g' "$tmp/ponte.yaml"
	# Two NICs: the SIP side (its listen and rtp_address) on the second one's TAP.
	[[ $nics == 1 ]] || sed -i '/^sip:/,/^[^ ]/ s/@GW@/@GW2@/' "$tmp/ponte.yaml"
	# Ring frames that hold a whole datagram net_af_packet reassembled from IP fragments
	# (message's 5 kB MESSAGE over UDP), as tools/lab-dpdk's (docs/dpdk.md, "Large datagrams").
	afp_frames=,framesz=8192,blocksz=8192
	cat >>"$tmp/ponte.yaml" <<EOF
dataplane:
  backend: dpdk
  srtp_engine: ${srtp_engine:-auto}
dpdk:
  lcores: "$([[ $dpdk -gt 1 ]] && echo "0-$((dpdk - 1))")"
  no_huge: true
  memory: 256
  mempool_size: 16383
  file_prefix: ponte-lab-@ID@
  ports:
    - device: "net_af_packet0,iface=@NIC@,qpairs=$dpdk,qdisc_bypass=1$afp_frames"
EOF
	# With PONTE_LAB_VLANS, the same device: lab-dpdk adds each one's VLAN.
	dev2=net_af_packet1,iface=@NIC2@
	[[ -z $vlans ]] || dev2=net_af_packet0,iface=@NIC@
	[[ $nics == 1 ]] || cat >>"$tmp/ponte.yaml" <<EOF
    - device: "$dev2,qpairs=$dpdk,qdisc_bypass=1$afp_frames"
      exception_tap: "@TAP2@"
      exception_addresses: [@GW2@/24]
EOF
	cat >>"$tmp/ponte.yaml" <<EOF
  exception_tap: "@TAP@"
  exception_addresses: [@GW@/24]
EOF
	"$lab" up -p "$ponte" -i "$lab_id" -c "$tmp/ponte.yaml" -o "$out/ponte.log" \
		--nics "$nics" >&2 || fail "the DPDK lab did not start"
	ponte_pid=$(cat "/run/ponte-lab-dpdk-$lab_id/ponte.pid")
	# The page through the peer's loopback: http://127.0.0.1 is a secure context, so the
	# browsers get their fake camera and microphone. Media goes to 10.77.0.1 directly.
	ip netns exec "$ns" node -e '
		const net = require("net");
		net.createServer((c) => {
			const s = net.connect(8080, "10.77.0.1");
			c.pipe(s);
			s.pipe(c);
			c.on("error", () => s.destroy());
			s.on("error", () => c.destroy());
		}).listen(8080, "127.0.0.1");
	' &
	disown
else
	ip netns exec "$ns" "$ponte" -c "$tmp/ponte.yaml" >"$out/ponte.log" 2>&1 &
	ponte_pid=$!
fi

url="http://127.0.0.1:$port"
is_up() {
	ip netns exec "$ns" node -e '
		fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1));
	' "$url/"
}
for _ in $(seq 50); do
	is_up && break
	kill -0 "$ponte_pid" 2>/dev/null || fail "ponte exited at start"
	sleep 0.2
done
is_up || fail "ponte does not answer on $url"
if [[ -n $srtp_engine ]]; then
	grep -q "srtp=$srtp_engine\b" "$out/ponte.log" ||
		fail "the daemon did not start with SRTP engine $srtp_engine"
fi

# Each script stops itself after at most 120 s; timeout(1) is the last resort should node
# itself hang. In the background, so that a signal runs the cleanup at once (bash runs traps
# only between foreground commands, but interrupts `wait`).
ip netns exec "$ns" timeout -k 5 170 node "$here/$name.mjs" --url "$url" --out "$out" &
test_pid=$!
set +e
wait "$test_pid"
status=$?
set -e
test_pid=
if [[ -n $dpdk && $name != p2p ]]; then
	# The media went through the fast path: the lcores ran it through the pipeline, and
	# hardly any came the slow way (a socket, then ponte_dp_input()). (p2p's media goes from
	# browser to browser, not through the gateway.) The phone tests' calls are a few seconds
	# of audio (phone.mjs checks its call's legs itself): fewer packets.
	min_fast=1000
	[[ $sip_tests != *" $name "* ]] || min_fast=200
	ip netns exec "$ns" node -e '
		fetch(process.argv[1]).then((r) => r.json()).then((st) => {
			const ls = st.dataplane.lcores || [];
			const sum = (k) => ls.reduce((a, l) => a + l[k], 0);
			const fast = sum("fast_pkts"), slow = sum("input_pkts");
			const min = Number(process.argv[2]);
			const ok = st.dataplane.backend === "dpdk" && fast >= min && slow * 20 < fast;
			console.log(`${ok ? "ok" : "not ok"} - DPDK fast path: ${fast} media packets ` +
				`through the lcores, ${slow} through the kernel, ${sum("to_kernel")} ` +
				`frames to and ${sum("from_kernel")} from the exception path`);
			process.exit(ok ? 0 : 1);
		}, (e) => { console.log(`not ok - DPDK counters: ${e}`); process.exit(1); });
	' "$url/status" "$min_fast" || status=1
fi
