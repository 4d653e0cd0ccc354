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
#define FIELD(f)                                                                                   \
	.offset = offsetof(struct ponte_config, f), .size = sizeof(((struct ponte_config *)0)->f)

/* Indexed by enum ponte_log_level. */
static const char *const log_levels[] = {"error", "warn", "info", "debug", NULL};

/* Indexed by enum ponte_dp_backend. */
static const char *const dp_backends[] = {"socket", "dpdk", NULL};

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
		       "fast path, which needs hugepages and a NIC bound to a DPDK driver.",
	},
};

const size_t ponte_cfg_schema_len = sizeof(ponte_cfg_schema) / sizeof(ponte_cfg_schema[0]);
