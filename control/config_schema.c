/* SPDX-License-Identifier: MIT */
/*
 * The configuration schema: one row per key, in the order docs/config.md and configs/ponte.yaml
 * present them. Parsing, defaults and the reference documentation are all driven by this table,
 * so adding a key means adding a field to struct ponte_config, a row here and a line to
 * configs/ponte.yaml; nothing else.
 */
#include <stddef.h>

#include "config.h"

/* Both the offset and the size of a field, so the unit test can check the row's type. */
#define MEMBER(type, f) .offset = offsetof(type, f), .size = sizeof(((type *)0)->f)
#define FIELD(f) MEMBER(struct ponte_config, f)

/* A list of mappings: the array field f, of elements of type elem, counted by the field nb. */
#define LIST_OF(elem, f, nb)                                                                       \
	FIELD(f), .elem_size = sizeof(elem), .count_offset = offsetof(struct ponte_config, nb)

/* Indexed by enum ponte_log_level. */
static const char *const log_levels[] = {"error", "warn", "info", "debug", NULL};

/* Indexed by enum ponte_dp_backend. */
static const char *const dp_backends[] = {"socket", "dpdk", NULL};

/* Indexed by enum ponte_dtls_setup. */
static const char *const dtls_setups[] = {"passive", "active", NULL};

/* Indexed by enum ponte_turn_transport. */
static const char *const turn_transports[] = {"udp", "tcp", "tls", NULL};

/* Indexed by enum ponte_srtp_engine. */
static const char *const srtp_engines[] = {"libsrtp2", "ipsec-mb", "auto", NULL};

/* Indexed by enum ponte_dpdk_idle. */
static const char *const dpdk_idle_modes[] = {"sleep", "poll", "interrupt", NULL};

/* Indexed by enum ponte_room_media. */
static const char *const room_media[] = {"p2p", "relay", NULL};

/* Elements of sip.transports. */
static const char *const sip_transports[] = {"udp", "tcp", "tls", NULL};

/* Elements of sip.codecs: what the SIP side may negotiate, all passed through unchanged. */
static const char *const sip_codecs[] = {"PCMU", "PCMA", "G722", "opus", NULL};

/* Indexed by enum ponte_sip_srtp. */
static const char *const sip_srtp_modes[] = {"off", "sdes-optional", "sdes-mandatory", NULL};

/* Indexed by enum ponte_sip_dtmf. */
static const char *const sip_dtmf_modes[] = {"rfc4733", "info", "auto", NULL};

/* Elements of sip.srtp_profiles: the SDES crypto-suites the dataplane's SRTP engines all do
 * (RFC 4568 §6.2, RFC 7714 §12); control/sip_sdes.c maps them to profiles. */
static const char *const sip_srtp_suites[] = {"AES_CM_128_HMAC_SHA1_80",
					      "AES_CM_128_HMAC_SHA1_32", "AEAD_AES_128_GCM",
					      "AEAD_AES_256_GCM", NULL};

/* Elements of webrtc.srtp_profiles: DTLS-SRTP protection profiles (RFC 5764, RFC 7714). */
static const char *const srtp_profiles[] = {"AEAD_AES_128_GCM", "AES128_CM_SHA1_80", NULL};

const struct cfg_key ponte_cfg_schema[] = {
	{
		.path = "log",
		.type = CFG_SECTION,
		.doc = "Where the daemon logs and how much.",
	},
	{
		.path = "log.level",
		.type = CFG_ENUM,
		FIELD(log.level),
		.names = log_levels,
		.def = "info",
		.doc = "Least severe messages written. `info` logs one line per connection, room "
		       "and call event; `debug` adds protocol detail and is meant for chasing a "
		       "problem, not for production.",
	},
	{
		.path = "log.file",
		.type = CFG_STR,
		FIELD(log.file),
		.def = "",
		.flags = CFG_F_PATH,
		.doc = "File the log is appended to. Empty writes to standard error, which is what "
		       "systemd and container runtimes collect.",
	},
	{
		.path = "http",
		.type = CFG_SECTION,
		.doc = "The HTTP listener: it serves the web client and the signaling WebSocket.",
	},
	{
		.path = "http.listen",
		.type = CFG_ADDR,
		FIELD(http.listen),
		.def = "127.0.0.1",
		.doc = "Local address to listen on, an IPv4 or IPv6 literal (no host names). The "
		       "default accepts local connections only; use `0.0.0.0` or `::` to accept "
		       "others, and enable TLS then, since browsers grant camera and microphone "
		       "only to secure origins.",
	},
	{
		.path = "http.port",
		.type = CFG_INT,
		FIELD(http.port),
		.min = 1,
		.max = 65535,
		.def = "8080",
		.doc = "TCP port of the listener (HTTPS when `tls.enabled` is true). Ports below "
		       "1024 need privileges.",
	},
	{
		.path = "http.web_root",
		.type = CFG_STR,
		FIELD(http.web_root),
		.def = "",
		.flags = CFG_F_PATH,
		.doc = "Directory whose files are served instead of the web client built into the "
		       "binary. Empty serves the built-in client; set it while developing the "
		       "client, to reload it without rebuilding the daemon.",
	},
	{
		.path = "tls",
		.type = CFG_SECTION,
		.doc = "HTTPS for the web client and the signaling WebSocket (`wss://`).",
	},
	{
		.path = "tls.enabled",
		.type = CFG_BOOL,
		FIELD(tls.enabled),
		.def = "false",
		.doc = "Serve HTTPS instead of plain HTTP. Browsers allow camera and microphone on "
		       "plain HTTP only for `localhost`, so enable this whenever `http.listen` is "
		       "not a loopback address.",
	},
	{
		.path = "tls.cert",
		.type = CFG_STR,
		FIELD(tls.cert),
		.def = "",
		.flags = CFG_F_PATH,
		.doc = "PEM file holding the certificate chain, leaf first. Empty (with "
		       "`tls.enabled`) uses a self-signed certificate kept in "
		       "`tls.self_signed_dir`, which browsers warn about.",
	},
	{
		.path = "tls.key",
		.type = CFG_STR,
		FIELD(tls.key),
		.def = "",
		.flags = CFG_F_PATH | CFG_F_SECRET,
		.doc = "PEM file holding the private key of `tls.cert`.",
	},
	{
		.path = "tls.self_signed_dir",
		.type = CFG_STR,
		FIELD(tls.self_signed_dir),
		.def = "ponte-tls",
		.flags = CFG_F_PATH,
		.doc = "Directory where a generated self-signed certificate and its key are stored "
		       "when `tls.enabled` is true and `tls.cert` is empty. Keeping them across "
		       "restarts means a browser exception for the certificate stays valid.",
	},
	{
		.path = "signaling",
		.type = CFG_SECTION,
		.doc = "The signaling WebSocket, described in [signaling.md](signaling.md). The "
		       "limits bound the memory and CPU time that clients can take.",
	},
	{
		.path = "signaling.path",
		.type = CFG_STR,
		FIELD(signaling.path),
		.def = "/ws",
		.flags = CFG_F_URL_PATH,
		.doc = "URL path of the signaling WebSocket on the HTTP listener. Change it to put "
		       "Ponte behind a reverse proxy that routes by path.",
	},
	{
		.path = "signaling.max_connections",
		.type = CFG_INT,
		FIELD(signaling.max_connections),
		.min = 1,
		.max = 1000000,
		.def = "10000",
		.doc = "Signaling connections open at once; a connection beyond it is closed with "
		       "code 1013. Each costs a file descriptor, so keep it below the process's "
		       "descriptor limit.",
	},
	{
		.path = "signaling.max_rooms",
		.type = CFG_INT,
		FIELD(signaling.max_rooms),
		.min = 1,
		.max = 1000000,
		.def = "1000",
		.doc = "Rooms that may exist at once, over all connections.",
	},
	{
		.path = "signaling.max_members",
		.type = CFG_INT,
		FIELD(signaling.max_members),
		.min = 2,
		.max = 1000,
		.def = "16",
		.doc = "Members one room may hold. A message to the whole room is copied to each "
		       "member, so the work per message grows with it.",
	},
	{
		.path = "signaling.max_rooms_per_connection",
		.type = CFG_INT,
		FIELD(signaling.max_rooms_per_connection),
		.min = 1,
		.max = 64,
		.def = "4",
		.doc = "Rooms one connection may be a member of at once.",
	},
	{
		.path = "signaling.max_frame_bytes",
		.type = CFG_INT,
		FIELD(signaling.max_frame_bytes),
		.min = 128,
		.max = 1048576,
		.def = "65536",
		.doc = "Largest signaling message accepted, in bytes; a larger one is dropped with "
		       "a `too_large` error. An SDP offer with many candidates takes a few "
		       "kilobytes.",
	},
	{
		.path = "signaling.rate",
		.type = CFG_INT,
		FIELD(signaling.rate),
		.min = 1,
		.max = 100000,
		.def = "50",
		.doc = "Messages per second one connection may send, sustained; more are dropped "
		       "with a `rate_limited` error. Trickled ICE candidates arrive in bursts, "
		       "which `signaling.burst` absorbs.",
	},
	{
		.path = "signaling.burst",
		.type = CFG_INT,
		FIELD(signaling.burst),
		.min = 1,
		.max = 100000,
		.def = "100",
		.doc = "Messages one connection may send at once before `signaling.rate` applies "
		       "(the size of its token bucket).",
	},
	{
		.path = "signaling.ping_interval",
		.type = CFG_INT,
		FIELD(signaling.ping_interval),
		.min = 1,
		.max = 3600,
		.def = "15",
		.doc = "Seconds between the WebSocket pings sent on each connection. They keep "
		       "NAT and proxy idle timers from closing a quiet connection.",
	},
	{
		.path = "signaling.dead_peer_timeout",
		.type = CFG_INT,
		FIELD(signaling.dead_peer_timeout),
		.min = 1,
		.max = 3600,
		.def = "30",
		.doc = "Seconds that sent data may stay unacknowledged before the connection is "
		       "declared dead and its peers are told (`peer-left` with reason `dead`).",
	},
	{
		.path = "signaling.join_timeout",
		.type = CFG_INT,
		FIELD(signaling.join_timeout),
		.min = 1,
		.max = 86400,
		.def = "60",
		.doc = "Seconds a connection may stay open without being in any room; it is then "
		       "closed with code 1008, so idle sockets do not pile up.",
	},
	{
		.path = "webrtc",
		.type = CFG_SECTION,
		.doc = "The WebRTC side of a call: ICE (RFC 8445), DTLS-SRTP (RFC 5764) and the "
		       "limits on sessions.",
	},
	{
		.path = "webrtc.addresses",
		.type = CFG_STRLIST,
		.elem = CFG_ADDR,
		FIELD(webrtc.addresses),
		.min = 0,
		.max = 64,
		.def = "[127.0.0.1]",
		.flags = CFG_F_UNIQUE,
		.doc = "Local addresses ICE gathers host candidates on; each must be assigned "
		       "to an interface of this host. Empty gathers on every interface. The "
		       "default reaches browsers on this host only.",
	},
	{
		.path = "webrtc.public_address",
		.type = CFG_ADDR,
		FIELD(webrtc.public_address),
		.def = "",
		.flags = CFG_F_EMPTY_OK,
		.doc = "Behind a 1:1 NAT (a cloud instance's public IP, say), the public address "
		       "announced in candidates instead of the private one it maps to. Empty "
		       "announces the addresses of `webrtc.addresses` as they are.",
	},
	{
		.path = "webrtc.announce_private",
		.type = CFG_BOOL,
		FIELD(webrtc.announce_private),
		.def = "false",
		.doc = "With `webrtc.public_address`, announce the private address as well, for "
		       "browsers on the same private network. No effect without it.",
	},
	{
		.path = "webrtc.port_min",
		.type = CFG_INT,
		FIELD(webrtc.port_min),
		.min = 0,
		.max = 65535,
		.def = "20000",
		.doc = "Lowest local UDP port ICE binds. Open the range up to `webrtc.port_max` "
		       "in the firewall. `port_min` and `port_max` both 0 let the system choose "
		       "any port.",
	},
	{
		.path = "webrtc.port_max",
		.type = CFG_INT,
		FIELD(webrtc.port_max),
		.min = 0,
		.max = 65535,
		.def = "39999",
		.doc = "Highest local UDP port ICE binds. Each session takes a port on each of "
		       "`webrtc.addresses`, so the range bounds the sessions that can run at once. "
		       "With `dataplane.backend: dpdk` the range must stay clear of "
		       "`dpdk.owned_ports` (by default `sip.rtp_port_min..max`).",
	},
	{
		.path = "webrtc.stun_server",
		.type = CFG_STR,
		FIELD(webrtc.stun_server),
		.def = "",
		.flags = CFG_F_HOST_PORT | CFG_F_EMPTY_OK,
		.doc = "STUN server, as `HOST:PORT`, asked for a server-reflexive candidate: the "
		       "address the NAT maps Ponte to. Empty asks none; set "
		       "`webrtc.public_address` instead when the NAT is 1:1 and its address known.",
	},
	{
		.path = "webrtc.turn_server",
		.type = CFG_STR,
		FIELD(webrtc.turn_server),
		.def = "",
		.flags = CFG_F_HOST_PORT | CFG_F_EMPTY_OK,
		.doc = "TURN server (RFC 8656), as `HOST:PORT` with HOST an IP address, where "
		       "Ponte allocates a relayed candidate for each session: for a gateway that "
		       "browsers cannot reach directly (behind a firewall that only the TURN "
		       "server may cross). Media of a session whose selected pair is relayed "
		       "goes through the ICE agent rather than straight from the dataplane. Empty "
		       "allocates none.",
	},
	{
		.path = "webrtc.turn_transport",
		.type = CFG_ENUM,
		FIELD(webrtc.turn_transport),
		.names = turn_transports,
		.def = "udp",
		.doc = "How Ponte talks to `webrtc.turn_server`: `udp`, `tcp` (RFC 6062 framing "
		       "of TURN over TCP) or `tls`.",
	},
	{
		.path = "webrtc.turn_username",
		.type = CFG_STR,
		FIELD(webrtc.turn_username),
		.def = "",
		.doc = "Long-term credential user name for `webrtc.turn_server`.",
	},
	{
		.path = "webrtc.turn_password",
		.type = CFG_STR,
		FIELD(webrtc.turn_password),
		.def = "",
		.flags = CFG_F_SECRET,
		.doc = "Password for `webrtc.turn_username`; write `${VAR}` to take it from the "
		       "environment rather than the file.",
	},
	{
		.path = "webrtc.relay_only",
		.type = CFG_BOOL,
		FIELD(webrtc.relay_only),
		.def = "false",
		.doc = "Announce and use only the relayed candidate from `webrtc.turn_server` (no "
		       "host or server-reflexive ones), so the gateway's own addresses never "
		       "appear in SDP. Needs `webrtc.turn_server`.",
	},
	{
		.path = "webrtc.consent_timeout",
		.type = CFG_INT,
		FIELD(webrtc.consent_timeout),
		.min = 5,
		.max = 300,
		.def = "30",
		.doc = "Seconds a session may go without the peer answering consent checks (RFC "
		       "7675) or without receiving media before it is torn down, so a vanished "
		       "browser does not hold a session and its call.",
	},
	{
		.path = "webrtc.srtp_profiles",
		.type = CFG_STRLIST,
		.elem = CFG_ENUM,
		FIELD(webrtc.srtp_profiles),
		.names = srtp_profiles,
		.min = 1,
		.max = 2,
		.def = "[AEAD_AES_128_GCM, AES128_CM_SHA1_80]",
		.flags = CFG_F_UNIQUE,
		.doc = "SRTP protection profiles offered in the DTLS handshake, most preferred "
		       "first: AES-GCM (RFC 7714) or AES-CM with an 80-bit HMAC-SHA1 tag (RFC "
		       "5764). A browser that supports none of them cannot connect.",
	},
	{
		.path = "webrtc.dtls_setup",
		.type = CFG_ENUM,
		FIELD(webrtc.dtls_setup),
		.names = dtls_setups,
		.def = "passive",
		.doc = "Our `a=setup` when answering an offer with `a=setup:actpass` (RFC 8842): "
		       "`passive` waits for the browser's DTLS handshake, `active` starts it.",
	},
	{
		.path = "webrtc.dtls_cert",
		.type = CFG_STR,
		FIELD(webrtc.dtls_cert),
		.def = "",
		.flags = CFG_F_PATH,
		.doc = "PEM file whose first certificate is used for DTLS. Browsers check only its "
		       "fingerprint, signaled in SDP, so it may be self-signed. Empty generates an "
		       "ECDSA P-256 certificate at start.",
	},
	{
		.path = "webrtc.dtls_key",
		.type = CFG_STR,
		FIELD(webrtc.dtls_key),
		.def = "",
		.flags = CFG_F_PATH | CFG_F_SECRET,
		.doc = "PEM file holding the private key of `webrtc.dtls_cert`. Empty reads it "
		       "from the `webrtc.dtls_cert` file.",
	},
	{
		.path = "webrtc.max_sessions",
		.type = CFG_INT,
		FIELD(webrtc.max_sessions),
		.min = 1,
		.max = 100000,
		.def = "1000",
		.doc = "WebRTC sessions (one per browser peer connection) that may exist at once; "
		       "one beyond it is refused.",
	},
	{
		.path = "dataplane",
		.type = CFG_SECTION,
		.doc = "The packet path that carries the media.",
	},
	{
		.path = "dataplane.backend",
		.type = CFG_ENUM,
		FIELD(dataplane.backend),
		.names = dp_backends,
		.def = "socket",
		.doc = "`socket` uses kernel UDP sockets and runs anywhere. `dpdk` uses the DPDK "
		       "fast path (docs/dpdk.md), set up in the `dpdk` section: a NIC for DPDK "
		       "(or a veth through `net_af_packet`), hugepages unless `dpdk.no_huge`.",
	},
	{
		.path = "dataplane.srtp_engine",
		.type = CFG_ENUM,
		FIELD(dataplane.srtp_engine),
		.names = srtp_engines,
		.def = "auto",
		.doc = "Implementation that protects and unprotects SRTP and SRTCP packets. "
		       "`libsrtp2` is Debian's libsrtp2, the reference. `ipsec-mb` is Ponte's own "
		       "engine on intel-ipsec-mb (docs/performance.md): several times faster, the "
		       "same bytes on the wire and the same packets accepted and refused; built "
		       "when libipsec-mb-dev is installed (amd64). `auto` takes `ipsec-mb` when the "
		       "build has it and the CPU runs it, else `libsrtp2`; the log's `srtp=` says "
		       "which.",
	},
	{
		.path = "dataplane.max_flows",
		.type = CFG_INT,
		FIELD(dataplane.max_flows),
		.min = 16,
		.max = 4000000,
		.def = "65536",
		.doc = "Flows the dataplane may hold at once. A flow says what to do with the "
		       "packets arriving on one local port from one remote address; adding one "
		       "beyond the limit fails.",
	},
	{
		.path = "dataplane.input_queue",
		.type = CFG_INT,
		FIELD(dataplane.input_queue),
		.min = 64,
		.max = 1048576,
		.def = "4096",
		.doc = "Packets that may wait between the media I/O thread and the dataplane; one "
		       "arriving when the queue is full is dropped. A longer queue absorbs longer "
		       "bursts at the cost of latency and memory.",
	},
	{
		.path = "dpdk",
		.type = CFG_SECTION,
		.doc = "The DPDK fast path, used with `dataplane.backend: dpdk` (docs/dpdk.md): the "
		       "EAL's cores and memory, the NIC, and the exception interface through which "
		       "the kernel, and so the control plane's sockets, see everything that is not "
		       "media of an installed flow.",
	},
	{
		.path = "dpdk.lcores",
		.type = CFG_STR,
		FIELD(dpdk.lcores),
		.def = "",
		.doc = "CPUs the forwarding lcores run on, one lcore each, as a list like `1` or "
		       "`2-3,6`; each must be one this process may run on. Several lcores share the "
		       "NIC's traffic by RSS. Empty: one lcore, on the last CPU. The control plane "
		       "keeps every CPU it had.",
	},
	{
		.path = "dpdk.memory",
		.type = CFG_INT,
		FIELD(dpdk.memory),
		.min = 64,
		.max = 1048576,
		.def = "512",
		.doc = "Megabytes the EAL reserves (its `-m`): hugepages, or ordinary memory with "
		       "`no_huge`. Ponte refuses to start, naming this key, when it is less than "
		       "the mbufs and tables need, or than the free hugepages.",
	},
	{
		.path = "dpdk.no_huge",
		.type = CFG_BOOL,
		FIELD(dpdk.no_huge),
		.def = "false",
		.doc = "Run the EAL without hugepages (`--no-huge`): slower, but needs no set-up; "
		       "for tests, labs and small machines.",
	},
	{
		.path = "dpdk.file_prefix",
		.type = CFG_STR,
		FIELD(dpdk.file_prefix),
		.def = "ponte",
		.doc = "The EAL's `--file-prefix`, 1 to 64 of `[A-Za-z0-9_-]`: its runtime "
		       "directory is `/var/run/dpdk/PREFIX`. Two DPDK processes on one machine need "
		       "two.",
	},
	{
		.path = "dpdk.mempool_size",
		.type = CFG_INT,
		FIELD(dpdk.mempool_size),
		.min = 1024,
		.max = 16777216,
		.def = "32767",
		.doc = "Packet buffers (mbufs) per NUMA socket. They must fill every receive and "
		       "transmit descriptor of the NIC and of the exception port, with room for the "
		       "packets in flight: Ponte refuses fewer than that at start.",
	},
	{
		.path = "dpdk.ports",
		.type = CFG_MAPLIST,
		LIST_OF(struct ponte_dpdk_port, dpdk.ports, dpdk.nb_ports),
		.min = 0,
		.max = 8,
		.def = "[]",
		.doc = "The NICs the fast path drives, each with its own exception "
		       "interface: a public side (browsers) and a private one (SIP trunk, PBX), "
		       "say. A flow's media leaves through the NIC whose exception interface holds "
		       "the flow's local address; what the kernel sends on exception interface k "
		       "leaves through NIC k. An entry is a logical NIC: several entries with the "
		       "same `device` are VLANs of one trunk port (each its own `vlan`, at most one "
		       "untagged, the same queue settings, each its own `exception_tap` and "
		       "`exception_addresses`), sharing the device. Up to 8 entries on up to 4 "
		       "devices. Required with `dataplane.backend: dpdk`.",
	},
	{
		.path = "dpdk.ports[].device",
		.type = CFG_STR,
		MEMBER(struct ponte_dpdk_port, device),
		.flags = CFG_F_REQUIRED,
		.doc = "A PCI address bound to a DPDK driver (`0000:01:00.0`), or a vdev string "
		       "such as `net_af_packet0,iface=eth1,qpairs=2` or "
		       "`net_af_xdp0,iface=eth1,start_queue=0,queue_count=1`.",
	},
	{
		.path = "dpdk.ports[].rx_queues",
		.type = CFG_INT,
		MEMBER(struct ponte_dpdk_port, rx_queues),
		.min = 0,
		.max = 64,
		.def = "0",
		.doc = "Receive queues, spread over the lcores; 0: one per lcore. The device must "
		       "have them (`net_af_packet`: its `qpairs`).",
	},
	{
		.path = "dpdk.ports[].rx_descriptors",
		.type = CFG_INT,
		MEMBER(struct ponte_dpdk_port, rx_descriptors),
		.min = 0,
		.max = 16384,
		.def = "1024",
		.doc = "Descriptors of each receive queue; 0: the driver's choice. More absorb "
		       "longer bursts, and take mbufs.",
	},
	{
		.path = "dpdk.ports[].tx_descriptors",
		.type = CFG_INT,
		MEMBER(struct ponte_dpdk_port, tx_descriptors),
		.min = 0,
		.max = 16384,
		.def = "1024",
		.doc = "Descriptors of each transmit queue; 0: the driver's choice.",
	},
	{
		.path = "dpdk.ports[].vlan",
		.type = CFG_INT,
		MEMBER(struct ponte_dpdk_port, vlan),
		.min = 0,
		.max = 4094,
		.def = "0",
		.doc = "802.1Q VLAN id (1 to 4094) of the port's media and exception traffic, for "
		       "a NIC on a trunk; 0: untagged. Only frames tagged with it are taken (the "
		       "others, untagged ones too, are dropped and counted as `wrong_vlan`); what "
		       "the port sends is tagged with it. The exception interface sees the frames "
		       "untagged: its addresses are those of the VLAN, with no VLAN device. Several "
		       "VLANs of one trunk: one entry per VLAN with the same `device` (at most one of "
		       "them untagged, which then takes the untagged frames); a frame of a VLAN no "
		       "entry names is dropped (`wrong_vlan`).",
	},
	{
		.path = "dpdk.ports[].mtu",
		.type = CFG_INT,
		MEMBER(struct ponte_dpdk_port, mtu),
		.min = 1280,
		.max = 9600,
		.def = "1500",
		.doc = "The NIC's MTU, and its exception TAP's kernel interface's: above 1500 for "
		       "jumbo frames. At most what the device takes (its `max_mtu` and largest "
		       "frame): Ponte refuses more at start, naming this key (`net_af_packet` and "
		       "`net_tap` take 1500). Packet buffers are made to hold a whole frame of the "
		       "largest MTU (or a `net_af_packet` device's `framesz`), which costs memory: "
		       "each of `dpdk.mempool_size` mbufs takes the MTU plus about 400 bytes (9000: "
		       "32767 mbufs need about 310 MB; raise `dpdk.memory`). The fast path takes "
		       "media up to 1984 bytes of RTP (the pipeline's largest packet, as on the "
		       "socket backend); larger UDP goes to the kernel, through the TAP in IP "
		       "fragments. Entries of one device (its VLANs) give the same value.",
	},
	{
		.path = "dpdk.ports[].exception_tap",
		.type = CFG_STR,
		MEMBER(struct ponte_dpdk_port, exception_tap),
		.def = "",
		.doc = "This NIC's TAP interface (1 to 15 characters), as `dpdk.exception_tap` is "
		       "the first NIC's: its addresses are the ones whose media leaves through this "
		       "NIC. Required (or `exception_device`) for every port but the first, which "
		       "takes the top-level keys when it has none of its own. Each NIC needs a TAP "
		       "name of its own.",
	},
	{
		.path = "dpdk.ports[].exception_addresses",
		.type = CFG_STRLIST,
		.elem = CFG_STR,
		MEMBER(struct ponte_dpdk_port, exception_addresses),
		.min = 0,
		.max = 8,
		.def = "[]",
		.flags = CFG_F_UNIQUE,
		.doc = "The addresses (`ADDRESS/PREFIX`) given to this NIC's TAP at start, as "
		       "`dpdk.exception_addresses` for the first NIC. With an `exception_device` "
		       "(no TAP) they are not given to anything, and only say which local addresses "
		       "are this NIC's.",
	},
	{
		.path = "dpdk.ports[].exception_device",
		.type = CFG_STR,
		MEMBER(struct ponte_dpdk_port, exception_device),
		.def = "",
		.doc = "Another device than a TAP for this NIC's exception path, as "
		       "`dpdk.exception_device` for the first NIC.",
	},
	{
		.path = "dpdk.exception_tap",
		.type = CFG_STR,
		FIELD(dpdk.exception_tap),
		.def = "ponte0",
		.doc = "Name of the TAP interface (1 to 15 characters) that Ponte creates for the "
		       "kernel: what the NIC receives that is not media of an installed flow (ARP, "
		       "ICMP, STUN, DTLS, SIP, HTTP) goes there, and what the kernel sends there "
		       "goes out of the NIC. Bind the control plane (`http.listen`, "
		       "`webrtc.addresses`, `sip.listen`, `sip.rtp_address`) to its address.",
	},
	{
		.path = "dpdk.exception_addresses",
		.type = CFG_STRLIST,
		.elem = CFG_STR,
		FIELD(dpdk.exception_addresses),
		.min = 0,
		.max = 8,
		.def = "[]",
		.flags = CFG_F_UNIQUE,
		.doc = "The gateway's addresses, `ADDRESS/PREFIX` (one IPv4, any IPv6), given to "
		       "the TAP at start, e.g. `[192.0.2.10/24, \"2001:db8::10/64\"]`. Empty: the "
		       "interface keeps the addresses it has (a persistent TAP set up by the "
		       "system).",
	},
	{
		.path = "dpdk.exception_device",
		.type = CFG_STR,
		FIELD(dpdk.exception_device),
		.def = "",
		.doc = "Another device than a TAP for the exception path, as a vdev string (e.g. "
		       "`net_virtio_user0,path=/dev/vhost-net,iface=ponte0`); Ponte then gives it "
		       "no address. Empty: the TAP `exception_tap`.",
	},
	{
		.path = "dpdk.idle",
		.type = CFG_ENUM,
		FIELD(dpdk.idle),
		.names = dpdk_idle_modes,
		.def = "sleep",
		.doc = "What an lcore does when no packet comes: `sleep`, longer and longer up to "
		       "`idle_sleep_us`, so that an idle gateway does not burn its cores; `poll`, "
		       "keep polling for the lowest latency at the cost of a whole core each; "
		       "`interrupt`, wait for the NIC's receive interrupt (or work from another "
		       "thread): no CPU at all when idle, a few microseconds more for the first "
		       "packet. The NIC and the exception port must have receive interrupts "
		       "(`net_tap`, `net_memif`, most PCI NICs; not `net_af_packet` nor "
		       "`net_af_xdp`): refused at start otherwise.",
	},
	{
		.path = "dpdk.idle_sleep_us",
		.type = CFG_INT,
		FIELD(dpdk.idle_sleep_us),
		.min = 10,
		.max = 100000,
		.def = "500",
		.doc = "Longest sleep of an idle lcore, in microseconds: the most latency the first "
		       "packet after a silence may get.",
	},
	{
		.path = "dpdk.owned_ports",
		.type = CFG_STR,
		FIELD(dpdk.owned_ports),
		.def = "auto",
		.doc = "UDP ports the fast path owns on the NICs' addresses, with no kernel socket "
		       "per port (docs/dpdk.md, \"Ports\"): `auto`, the SIP media range "
		       "`sip.rtp_port_min..max` (none with SIP off); a range `MIN-MAX` (1024 to "
		       "65535); or `off`, a kernel socket reserving each SIP RTP and RTCP port (3 "
		       "open files per bridged call). While the gateway runs the range is in the "
		       "network namespace's `ip_local_reserved_ports` (Ponte adds it at start and "
		       "takes it out at stop; it must be allowed to, else it refuses to start "
		       "naming this key), and UDP to a port of it that no call holds is dropped and "
		       "counted (`owned_port_drops`), never given to the kernel. Nothing else may "
		       "bind UDP ports of the range on those addresses: `webrtc.port_min..max` and "
		       "SIP's UDP port overlapping it are refused.",
	},
	{
		.path = "rooms",
		.type = CFG_SECTION,
		.doc = "How the members of a room exchange media.",
	},
	{
		.path = "rooms.media",
		.type = CFG_ENUM,
		FIELD(rooms.media),
		.names = room_media,
		.def = "p2p",
		.doc = "`p2p`: browsers send media to each other and Ponte carries only "
		       "signaling. `relay`: each member sends its media to Ponte, which forwards "
		       "it to the others, for members that cannot reach each other. A member's "
		       "join may ask for the other mode.",
	},
	{
		.path = "rooms.relay_max_members",
		.type = CFG_INT,
		FIELD(rooms.relay_max_members),
		.min = 2,
		.max = 64,
		.def = "8",
		.doc = "Members a room relayed by Ponte may hold. Each member's media is forwarded "
		       "to every other, so the work grows with the square of it.",
	},
	{
		.path = "sip",
		.type = CFG_SECTION,
		.doc = "The SIP side: one SIP stack for the whole gateway, through which browsers "
		       "call SIP phones (docs/sip.md).",
	},
	{
		.path = "sip.enabled",
		.type = CFG_BOOL,
		FIELD(sip.enabled),
		.def = "true",
		.doc = "Run the SIP stack. Without it the gateway serves browsers only.",
	},
	{
		.path = "sip.listen",
		.type = CFG_ADDR,
		FIELD(sip.listen),
		.def = "127.0.0.1",
		.doc = "Address the SIP stack listens on and sends from. 0.0.0.0 or :: for every "
		       "interface.",
	},
	{
		.path = "sip.port",
		.type = CFG_INT,
		FIELD(sip.port),
		.min = 1,
		.max = 65535,
		.def = "5060",
		.doc = "SIP port (RFC 3261 §18), for every transport.",
	},
	{
		.path = "sip.transports",
		.type = CFG_STRLIST,
		.elem = CFG_ENUM,
		.names = sip_transports,
		FIELD(sip.transports),
		.min = 1,
		.max = 3,
		.def = "[udp, tcp]",
		.flags = CFG_F_UNIQUE,
		.doc = "Transports the SIP stack listens on: `udp` and `tcp` on `sip.port`, `tls` "
		       "(SIP over TLS, `sips:` URIs, RFC 3261 §26.2) on `sip.tls_port` with "
		       "`sip.tls_certificate`.",
	},
	{
		.path = "sip.tls_port",
		.type = CFG_INT,
		FIELD(sip.tls_port),
		.min = 1,
		.max = 65535,
		.def = "5061",
		.doc = "TCP port of SIP over TLS, when `sip.transports` has `tls` (RFC 3261 §26.2). "
		       "It must differ from `sip.port` when `tcp` is on too.",
	},
	{
		.path = "sip.tls_certificate",
		.type = CFG_STR,
		FIELD(sip.tls_certificate),
		.def = "",
		.flags = CFG_F_PATH,
		.doc = "PEM file holding the certificate chain of SIP over TLS, leaf first; "
		       "required with `tls` in `sip.transports`. Peers that check it expect the "
		       "gateway's host name (or IP address) in it (docs/sip.md).",
	},
	{
		.path = "sip.tls_key",
		.type = CFG_STR,
		FIELD(sip.tls_key),
		.def = "",
		.flags = CFG_F_PATH | CFG_F_SECRET,
		.doc = "PEM file holding the private key of `sip.tls_certificate`, unencrypted. "
		       "Empty reads it from the `sip.tls_certificate` file.",
	},
	{
		.path = "sip.tls_ca",
		.type = CFG_STR,
		FIELD(sip.tls_ca),
		.def = "",
		.flags = CFG_F_PATH,
		.doc = "PEM bundle of the certificate authorities SIP peers are checked against: "
		       "a server the gateway connects to must present a certificate from one of "
		       "them naming the host it was called at, e.g. "
		       "`/etc/ssl/certs/ca-certificates.crt`. Empty: peers are not checked at all "
		       "(encryption without authentication), which the log says at start.",
	},
	{
		.path = "sip.tls_verify_clients",
		.type = CFG_BOOL,
		FIELD(sip.tls_verify_clients),
		.def = "false",
		.doc = "Require a certificate from `sip.tls_ca` of every phone or server that "
		       "connects to the TLS port (mutual TLS); needs `sip.tls_ca`. false: clients "
		       "connect without one, as most phones do.",
	},
	{
		.path = "sip.public_address",
		.type = CFG_ADDR,
		FIELD(sip.public_address),
		.def = "",
		.flags = CFG_F_EMPTY_OK,
		.doc = "Behind a 1:1 NAT, the public address written in Via, Contact and the "
		       "SIP-side SDP instead of the local one. Separate from "
		       "`webrtc.public_address`: the two sides may face different networks.",
	},
	{
		.path = "sip.rtp_address",
		.type = CFG_ADDR,
		FIELD(sip.rtp_address),
		.def = "127.0.0.1",
		.doc = "Local address of the RTP ports of SIP calls (the phone side).",
	},
	{
		.path = "sip.rtp_port_min",
		.type = CFG_INT,
		FIELD(sip.rtp_port_min),
		.min = 1024,
		.max = 65534,
		.def = "40000",
		.doc = "Lowest RTP port of SIP calls; each call takes an even port for RTP and the "
		       "next one for RTCP (RFC 3550 §11).",
	},
	{
		.path = "sip.rtp_port_max",
		.type = CFG_INT,
		FIELD(sip.rtp_port_max),
		.min = 1025,
		.max = 65535,
		.def = "49999",
		.doc = "Highest RTP port of SIP calls.",
	},
	{
		.path = "sip.codecs",
		.type = CFG_STRLIST,
		.elem = CFG_ENUM,
		.names = sip_codecs,
		FIELD(sip.codecs),
		.min = 1,
		.max = 4,
		.def = "[PCMU, PCMA, G722, opus]",
		.flags = CFG_F_UNIQUE,
		.doc = "Audio codecs offered to phones, most preferred first. Media is passed "
		       "through, not transcoded, so a call uses a codec both the browser and the "
		       "phone have; telephone-event is always added for DTMF (RFC 4733).",
	},
	{
		.path = "sip.srtp",
		.type = CFG_ENUM,
		FIELD(sip.srtp),
		.names = sip_srtp_modes,
		.def = "off",
		.doc = "SRTP toward phones with keys in the SDP (SDES, RFC 4568; docs/sip.md). "
		       "`off`: plain RTP, and offers of RTP/SAVP are refused (488). "
		       "`sdes-optional`: offer RTP/AVP with `a=crypto` lines and use SRTP when the "
		       "phone takes them, plain RTP otherwise. `sdes-mandatory`: offer RTP/SAVP "
		       "and refuse calls without usable `a=crypto`.",
	},
	{
		.path = "sip.srtp_profiles",
		.type = CFG_STRLIST,
		.elem = CFG_ENUM,
		.names = sip_srtp_suites,
		FIELD(sip.srtp_profiles),
		.min = 1,
		.max = 4,
		.def = "[AES_CM_128_HMAC_SHA1_80, AES_CM_128_HMAC_SHA1_32]",
		.flags = CFG_F_UNIQUE,
		.doc = "SDES crypto-suites (RFC 4568 §6.2, RFC 7714 §12) offered to phones and "
		       "accepted from them when `sip.srtp` is not `off`, most preferred first; "
		       "each offered suite gets its own `a=crypto` line and key.",
	},
	{
		.path = "sip.dtmf",
		.type = CFG_ENUM,
		FIELD(sip.dtmf),
		.names = sip_dtmf_modes,
		.def = "rfc4733",
		.doc = "How the browser's DTMF digits reach phones (Asterisk's `dtmf_mode`, "
		       "FreeSWITCH's `dtmf-type`; docs/sip.md, \"DTMF\"). `rfc4733`: "
		       "telephone-event in the SDP, the digits as RFC 4733 events in RTP. `info`: "
		       "no telephone-event toward the phone; each digit is a SIP INFO with "
		       "`application/dtmf-relay` (`Signal=`, `Duration=`) in the call's dialog. "
		       "`auto`: telephone-event offered, and INFO when the phone's SDP leaves it "
		       "out. Digits a phone sends in INFO (`application/dtmf-relay`, "
		       "`application/dtmf`) are taken in every mode.",
	},
	{
		.path = "sip.ring_timeout",
		.type = CFG_INT,
		FIELD(sip.ring_timeout),
		.min = 5,
		.max = 600,
		.def = "60",
		.doc = "Seconds an outgoing call may go unanswered before it is cancelled "
		       "(the browser is told 408).",
	},
	{
		.path = "sip.media_timeout",
		.type = CFG_INT,
		FIELD(sip.media_timeout),
		.min = 5,
		.max = 3600,
		.def = "60",
		.doc = "Seconds without RTP from the phone after which an answered call is ended "
		       "with BYE: a phone that vanished frees its ports.",
	},
	{
		.path = "sip.session_timers",
		.type = CFG_BOOL,
		FIELD(sip.session_timers),
		.def = "true",
		.doc = "Session timers (RFC 4028) when the phone asks for them: the gateway says "
		       "it supports them (Supported: timer), lets the phone refresh (re-INVITE) "
		       "unless the phone asks the gateway to (then UPDATE), refuses intervals "
		       "under 90 s with 422, and ends a call whose refresh does not come with BYE. "
		       "The gateway does not impose timers on a phone that did not ask. false: "
		       "no timer support (a phone's re-INVITEs are still answered).",
	},
	{
		.path = "sip.user_agent",
		.type = CFG_STR,
		FIELD(sip.user_agent),
		.def = "Ponte",
		.doc = "User-Agent header of the gateway's requests and responses.",
	},
	{
		.path = "sip.accounts",
		.type = CFG_MAPLIST,
		LIST_OF(struct ponte_sip_account, sip.accounts, sip.nb_accounts),
		.min = 0,
		.max = 256,
		.def = "[]",
		.doc = "SIP accounts: for each, Ponte registers at a registrar as a user (RFC 3261 "
		       "§10), so that calls to that user reach the gateway, and calls out through "
		       "it with the account's credentials.",
	},
	{
		.path = "sip.accounts[].name",
		.type = CFG_STR,
		MEMBER(struct ponte_sip_account, name),
		.flags = CFG_F_REQUIRED | CFG_F_NAME,
		.doc = "Name of the account in logs, in the status page and in "
		       "`sip.number_route`, e.g. `office` or `pbx-1001`.",
	},
	{
		.path = "sip.accounts[].registrar",
		.type = CFG_STR,
		MEMBER(struct ponte_sip_account, registrar),
		.flags = CFG_F_REQUIRED | CFG_F_SIP_URI,
		.doc = "Registrar that REGISTER requests go to, a `sip:` or `sips:` URI with a "
		       "host and an optional port, e.g. `sip:pbx.example.com` or "
		       "`sip:192.0.2.10:5060`. Incoming calls from its address are accepted even "
		       "when `sip.trunks` restricts the others; given by name, the account's calls "
		       "from the address its answers to REGISTER come from.",
	},
	{
		.path = "sip.accounts[].aor",
		.type = CFG_STR,
		MEMBER(struct ponte_sip_account, aor),
		.def = "",
		.flags = CFG_F_SIP_URI | CFG_F_EMPTY_OK,
		.doc = "Address of record registered, with a user part, e.g. "
		       "`sip:1001@example.com`. Empty registers `sip:USERNAME@HOST`, HOST being the "
		       "registrar's.",
	},
	{
		.path = "sip.accounts[].username",
		.type = CFG_STR,
		MEMBER(struct ponte_sip_account, username),
		.def = "",
		.doc = "User name for digest authentication (RFC 3261 §22) when the registrar or "
		       "the far end challenges, e.g. `1001`; also the user of the address of record "
		       "when `aor` is empty.",
	},
	{
		.path = "sip.accounts[].password",
		.type = CFG_STR,
		MEMBER(struct ponte_sip_account, password),
		.def = "",
		.flags = CFG_F_SECRET,
		.doc = "Password for digest authentication, e.g. `${PONTE_SIP_1001_PASSWORD}`.",
	},
	{
		.path = "sip.accounts[].outbound_proxy",
		.type = CFG_STR,
		MEMBER(struct ponte_sip_account, outbound_proxy),
		.def = "",
		.flags = CFG_F_SIP_URI | CFG_F_EMPTY_OK,
		.doc = "Proxy every request of the account is sent through whatever its "
		       "destination, e.g. `sip:sbc.example.com:5060` for a provider whose session "
		       "border controller is not the registrar. Empty sends requests where their "
		       "URI leads. Calls for the account from this address are accepted even when "
		       "`sip.trunks` restricts the others.",
	},
	{
		.path = "sip.accounts[].expires",
		.type = CFG_INT,
		MEMBER(struct ponte_sip_account, expires),
		.min = 60,
		.max = 86400,
		.def = "600",
		.doc = "Seconds a registration is asked to last; Ponte renews it before it runs "
		       "out. The registrar may grant less. A short time notices a lost registration "
		       "sooner, at the cost of more REGISTER traffic.",
	},
	{
		.path = "sip.accounts[].register",
		.type = CFG_BOOL,
		MEMBER(struct ponte_sip_account, do_register),
		.def = "true",
		.doc = "Register the account. `false` keeps the credentials for outgoing calls "
		       "only, for a provider that takes calls from unregistered users.",
	},
	{
		.path = "sip.accounts[].incoming",
		.type = CFG_STR,
		MEMBER(struct ponte_sip_account, incoming),
		.def = "",
		.doc = "Who a call to the account rings (a call to the Contact it registered, "
		       "`sip:NAME@GATEWAY`, or to its address of record from its registrar): the "
		       "browser that registered that name, e.g. `alice`, or every member of a room, "
		       "`room-KEY`. Empty: the browser that registered the account's `name`. When "
		       "nobody is there the caller gets 480 with a Warning. A browser name is 1 to "
		       "32 of `[A-Za-z0-9._-]`; a room key 1 to 128 bytes without `:` or control "
		       "characters; anything else is refused with its file, line and column, by "
		       "`--check-config` as at start.",
	},
	{
		.path = "sip.trunks",
		.type = CFG_MAPLIST,
		LIST_OF(struct ponte_sip_trunk, sip.trunks, sip.nb_trunks),
		.min = 0,
		.max = 256,
		.def = "[]",
		.doc = "SIP trunks: peers such as a carrier or a PBX that Ponte sends calls to "
		       "without registering, and takes calls from. With any trunk set, incoming "
		       "calls are accepted only from trunks' addresses (and accounts' registrars, and "
		       "an account's outbound proxy for that account's calls); others get 403.",
	},
	{
		.path = "sip.trunks[].name",
		.type = CFG_STR,
		MEMBER(struct ponte_sip_trunk, name),
		.flags = CFG_F_REQUIRED | CFG_F_NAME,
		.doc = "Name of the trunk in logs, in the status page and in `sip.number_route`, "
		       "e.g. `carrier` or `pbx_main`.",
	},
	{
		.path = "sip.trunks[].address",
		.type = CFG_STR,
		MEMBER(struct ponte_sip_trunk, address),
		.flags = CFG_F_REQUIRED | CFG_F_SIP_URI,
		.doc = "The peer, as a `sip:` or `sips:` URI that calls to the trunk are sent to, "
		       "e.g. `sip:203.0.113.5:5060` or `sip:pbx.example.com`.",
	},
	{
		.path = "sip.trunks[].username",
		.type = CFG_STR,
		MEMBER(struct ponte_sip_trunk, username),
		.def = "",
		.doc = "User name for digest authentication (RFC 3261 §22) when the trunk "
		       "challenges a call, e.g. `ponte`. Leave it empty for a trunk that "
		       "recognises Ponte by its address.",
	},
	{
		.path = "sip.trunks[].password",
		.type = CFG_STR,
		MEMBER(struct ponte_sip_trunk, password),
		.def = "",
		.flags = CFG_F_SECRET,
		.doc = "Password for digest authentication with the trunk, e.g. "
		       "`${PONTE_TRUNK_PASSWORD}`.",
	},
	{
		.path = "sip.trunks[].allow",
		.type = CFG_STRLIST,
		.elem = CFG_ADDR,
		MEMBER(struct ponte_sip_trunk, allow),
		.min = 0,
		.max = 64,
		.def = "[]",
		.flags = CFG_F_UNIQUE,
		.doc = "Source addresses incoming calls from the trunk may come from, e.g. "
		       "`[203.0.113.5, \"2001:db8::5\"]` for a carrier with several signaling "
		       "hosts. Empty allows the host of `address`, which must then be an IP "
		       "address.",
	},
	{
		.path = "sip.number_route",
		.type = CFG_STR,
		FIELD(sip.number_route),
		.def = "",
		.flags = CFG_F_NAME_REF | CFG_F_EMPTY_OK,
		.doc = "The `name` of the account or trunk that calls from browsers to a bare "
		       "number (`+33123456789` or `1001`, rather than a SIP URI) are sent through, "
		       "e.g. `carrier`. Empty: no route for numbers.",
	},
};

const size_t ponte_cfg_schema_len = sizeof(ponte_cfg_schema) / sizeof(ponte_cfg_schema[0]);
