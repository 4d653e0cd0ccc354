/* SPDX-License-Identifier: MIT */
/*
 * Ponte configuration: one schema table (config_schema.c) drives YAML parsing, defaults,
 * validation and the generated reference (docs/config.md).
 */
#ifndef PONTE_CONTROL_CONFIG_H
#define PONTE_CONTROL_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <glib.h>

enum ponte_log_level {
	PONTE_LOG_ERROR,
	PONTE_LOG_WARN,
	PONTE_LOG_INFO,
	PONTE_LOG_DEBUG,
};

enum ponte_dp_backend {
	PONTE_DP_SOCKET,
	PONTE_DP_DPDK,
};

/* How Ponte reaches its TURN server. */
enum ponte_turn_transport {
	PONTE_TURN_UDP,
	PONTE_TURN_TCP,
	PONTE_TURN_TLS,
};

/*
 * A SIP account: Ponte registers as this user at a registrar (RFC 3261 §10) and calls out
 * through it with its credentials. One element of sip.accounts.
 */
struct ponte_sip_account {
	char *name; /* unique among accounts and trunks; names it in routes, logs, /status */
	char *registrar; /* sip: URI of the registrar, e.g. "sip:pbx.example.com:5060" */
	char *aor; /* address of record, e.g. "sip:1001@example.com"; empty: user@registrar host */
	char *username; /* digest user name (and the AOR user when aor is empty) */
	char *password; /* digest password (${VAR} recommended) */
	char *outbound_proxy; /* sip: URI every request goes through; empty: none */
	int expires; /* seconds asked for in REGISTER; refreshed before they run out */
	bool do_register; /* false: credentials for calls only, no REGISTER */
	/* who calls to the registered Contact ring: a browser name or "room-KEY"; empty: name */
	char *incoming;
};

/*
 * A SIP trunk: a peer (carrier, PBX) Ponte sends calls to without registering, with optional
 * digest credentials, and accepts calls from only at the listed addresses (others get 403).
 */
struct ponte_sip_trunk {
	char *name; /* unique among accounts and trunks */
	char *address; /* sip: URI of the peer, e.g. "sip:203.0.113.5:5060" */
	char *username, *password; /* digest credentials when the peer challenges; may be empty */
	char **allow; /* IP literals inbound INVITEs may come from; empty: the address's host */
};

/* Our a=setup when answering an a=setup:actpass offer (RFC 8842 §5). */
enum ponte_dtls_setup {
	PONTE_DTLS_SETUP_PASSIVE,
	PONTE_DTLS_SETUP_ACTIVE,
};

/* The SRTP implementation of the dataplane; the name is what dp_srtp_engine_find() takes. */
enum ponte_srtp_engine {
	PONTE_SRTP_ENGINE_LIBSRTP2,
	PONTE_SRTP_ENGINE_IPSEC_MB,
	PONTE_SRTP_ENGINE_AUTO, /* ipsec-mb where built and usable, else libsrtp2 */
};

/* sip.srtp: SDES-SRTP (RFC 4568) on the SIP side. */
enum ponte_sip_srtp {
	PONTE_SIP_SRTP_OFF,
	PONTE_SIP_SRTP_OPTIONAL, /* RTP/AVP with a=crypto: SRTP when the phone takes it */
	PONTE_SIP_SRTP_MANDATORY, /* RTP/SAVP: no call without SRTP */
};

/* sip.dtmf: how DTMF digits go to phones (docs/sip.md, "DTMF"). Phones' INFO digits are
 * taken in every mode. */
enum ponte_sip_dtmf {
	PONTE_SIP_DTMF_RFC4733, /* telephone-event in the SDP, RFC 4733 events in RTP */
	PONTE_SIP_DTMF_INFO, /* no telephone-event toward phones; SIP INFO application/dtmf-relay */
	PONTE_SIP_DTMF_AUTO, /* RFC 4733 when the phone takes telephone-event, else INFO */
};

/* One NIC of the DPDK backend: one element of dpdk.ports. */
struct ponte_dpdk_port {
	char *device; /* PCI address, vdev string, or an ethdev's name */
	int rx_queues; /* 0: one per lcore */
	int rx_descriptors, tx_descriptors; /* 0: the driver's choice */
	int vlan; /* 802.1Q VLAN id of media and exception traffic; 0: untagged */
	int mtu; /* the device's and its TAP's MTU (dpdk.ports[].mtu) */
	/* Its own exception port; "" / empty: the top-level dpdk.exception_* (first port). */
	char *exception_device;
	char *exception_tap;
	char **exception_addresses;
};

/* dpdk.idle: what a forwarding lcore does when no packet comes. */
enum ponte_dpdk_idle {
	PONTE_DPDK_IDLE_SLEEP, /* sleep, longer and longer up to dpdk.idle_sleep_us */
	PONTE_DPDK_IDLE_POLL, /* keep polling: lowest latency, a whole core per lcore */
	PONTE_DPDK_IDLE_INTERRUPT, /* wait for a receive interrupt (the NIC must have them) */
};

/* How the members of a room exchange media. */
enum ponte_room_media {
	PONTE_ROOM_MEDIA_P2P, /* browser to browser; Ponte only relays signaling */
	PONTE_ROOM_MEDIA_RELAY, /* each member sends to Ponte, which forwards to the others */
};

/*
 * The whole configuration. Strings and string lists are owned by the struct (freed by
 * ponte_config_free); a list is a NULL-terminated array, never NULL itself, empty or not.
 */
struct ponte_config {
	char *source; /* file name the config came from, or "<embedded>" */
	struct {
		int level; /* enum ponte_log_level */
		char *file; /* empty: stderr */
	} log;
	struct {
		char *listen; /* IPv4 or IPv6 literal address */
		int port;
		char *web_root; /* empty: the client embedded in the binary */
	} http;
	struct {
		bool enabled;
		char *cert; /* PEM certificate chain; empty with enabled: self-signed */
		char *key; /* PEM private key */
		char *self_signed_dir; /* where a generated certificate is stored */
	} tls;
	struct {
		char *path; /* WebSocket path, e.g. "/ws" */
		int max_connections;
		int max_rooms;
		int max_members;
		int max_rooms_per_connection;
		int max_frame_bytes;
		int rate; /* messages per second, sustained */
		int burst; /* messages allowed in a burst */
		int ping_interval; /* seconds between WebSocket pings */
		int dead_peer_timeout; /* seconds of unacknowledged data before a peer is dead */
		int join_timeout; /* seconds a connection may stay without any room */
	} signaling;
	struct {
		char **addresses; /* IPv4 or IPv6 literals ICE gathers on; empty: every interface */
		char *public_address; /* 1:1 NAT address announced instead; empty: none */
		bool announce_private; /* with public_address, announce the private one too */
		int port_min, port_max; /* local UDP port range; 0 and 0: any port */
		char *stun_server; /* "HOST:PORT" ("[IPv6]:PORT"), or empty: none */
		char *turn_server; /* "HOST:PORT" of a TURN server (RFC 8656), or empty: none */
		int turn_transport; /* enum ponte_turn_transport */
		char *turn_username, *turn_password;
		bool relay_only; /* gather and use only relayed candidates */
		int consent_timeout; /* seconds without consent or media before teardown */
		char **srtp_profiles; /* profile names, most preferred first, no duplicates */
		int dtls_setup; /* enum ponte_dtls_setup */
		char *dtls_cert; /* PEM certificate; empty: generate one at start */
		char *dtls_key; /* PEM private key; empty with dtls_cert: in dtls_cert's file */
		int max_sessions;
	} webrtc;
	struct {
		int backend; /* enum ponte_dp_backend */
		int srtp_engine; /* enum ponte_srtp_engine */
		int max_flows;
		int input_queue; /* packets queued from the media I/O thread to the dataplane */
	} dataplane;
	struct {
		char *lcores; /* CPU list of the forwarding lcores ("1", "2-3"); "": the last CPU */
		int memory; /* MB for the EAL */
		bool no_huge; /* anonymous memory instead of hugepages */
		char *file_prefix; /* the EAL's --file-prefix */
		struct ponte_dpdk_port *ports; /* dpdk.ports, nb_ports of them */
		size_t nb_ports;
		int mempool_size; /* mbufs per NUMA socket */
		char *exception_tap; /* the TAP the kernel's traffic goes through */
		char **exception_addresses; /* "ADDR/PREFIX" given to it; empty: its own */
		char *exception_device; /* another exception port than a TAP; "": the TAP */
		int idle; /* enum ponte_dpdk_idle */
		int idle_sleep_us; /* longest sleep of an idle lcore */
		char *owned_ports; /* "auto", "off" or "MIN-MAX": see ponte_config_owned_ports() */
	} dpdk;
	struct {
		int media; /* enum ponte_room_media: unless a member's join asks otherwise */
		int relay_max_members;
	} rooms;
	struct {
		bool enabled;
		char *listen; /* address the SIP stack binds */
		int port;
		char **transports; /* "udp", "tcp", "tls" */
		int tls_port; /* SIP over TLS */
		char *tls_certificate; /* PEM chain, leaf first; required with "tls" */
		char *tls_key; /* PEM private key; empty: in tls_certificate's file */
		char *tls_ca; /* PEM bundle peers are verified against; empty: no verification */
		bool tls_verify_clients; /* incoming TLS connections need a tls_ca certificate */
		char *public_address; /* put in Contact/Via/SDP behind 1:1 NAT; empty: none */
		char *rtp_address; /* local address of SIP-side RTP */
		int rtp_port_min, rtp_port_max;
		char **codecs; /* audio codec names, preference order */
		int srtp; /* enum ponte_sip_srtp */
		char **srtp_profiles; /* SDES crypto-suite names, most preferred first */
		int dtmf; /* enum ponte_sip_dtmf */
		int ring_timeout; /* seconds an outgoing call may ring before CANCEL */
		int media_timeout; /* seconds without RTP from the phone before BYE */
		bool session_timers; /* RFC 4028, when the phone asks */
		char *user_agent;
		struct ponte_sip_account *accounts; /* sip.accounts, nb_accounts of them */
		size_t nb_accounts;
		struct ponte_sip_trunk *trunks; /* sip.trunks, nb_trunks of them */
		size_t nb_trunks;
		char *number_route; /* account or trunk name for dialled numbers; empty: none */
	} sip;
};

enum cfg_type {
	CFG_SECTION, /* a mapping; its keys are the entries whose path starts with "path." */
	CFG_STR,
	CFG_INT,
	CFG_BOOL,
	CFG_ENUM,
	CFG_ADDR, /* a string that must be an IPv4 or IPv6 literal */
	/*
	 * A YAML sequence of scalars, each checked as a row of type elem (CFG_STR, CFG_ADDR or
	 * CFG_ENUM, with the row's flags and names) would be; stored as a NULL-terminated
	 * char ** (g_strfreev) of the values as written, after ${VAR} expansion. min and max
	 * bound the number of elements.
	 */
	CFG_STRLIST,
	/*
	 * A YAML sequence of mappings, stored as an array of elem_size-byte structs (g_free)
	 * at offset, NULL when empty, and its length, a size_t at count_offset. The keys of an
	 * element are the rows whose path is "PATH[].KEY", with offsets inside the element
	 * struct; a key an element leaves out takes its row's default. min and max bound the
	 * number of elements; the default is always "[]".
	 */
	CFG_MAPLIST,
};

/* Flags of a schema entry. */
#define CFG_F_PATH 0x1 /* a file system path (documented as such) */
#define CFG_F_SECRET 0x2 /* never logged; documented as taking ${ENV} */
#define CFG_F_URL_PATH 0x4 /* CFG_STR: an HTTP path, "/" then no whitespace, '?' or '#' */
#define CFG_F_HOST_PORT 0x8 /* CFG_STR: "HOST:PORT", HOST a name, IPv4 or [IPv6] literal */
#define CFG_F_EMPTY_OK 0x10 /* CFG_ADDR, or CFG_STR with a format flag: "" means "not set" */
#define CFG_F_UNIQUE 0x20 /* CFG_STRLIST: no element twice (addresses compared as binary) */
#define CFG_F_REQUIRED 0x40 /* a key of a CFG_MAPLIST element that each must set; no default */
/*
 * CFG_STR: a name, 1 to 32 of [A-Za-z0-9_-]. As a key of CFG_MAPLIST elements it names the
 * element: no two elements of all such lists together may have the same name.
 */
#define CFG_F_NAME 0x80
#define CFG_F_NAME_REF 0x100 /* CFG_STR: the CFG_F_NAME of an element of some CFG_MAPLIST */
#define CFG_F_SIP_URI 0x200 /* CFG_STR: a sip: or sips: URI with a host (RFC 3261 §19.1) */

/* One row of the schema: nginx-style directive table. */
struct cfg_key {
	const char *path; /* dotted key path, e.g. "http.port" */
	enum cfg_type type;
	size_t offset; /* offsetof(struct ponte_config, ...), of the element's struct for a
			  "LIST[].KEY" row; unused for sections */
	long long min, max; /* CFG_INT range, number of elements of a list; inclusive */
	const char *const *names; /* CFG_ENUM (also as elem): NULL-terminated; value: index */
	const char *def; /* default as YAML ("[a, b]" for a list); NULL with CFG_F_REQUIRED */
	unsigned flags;
	const char *doc; /* one or two sentences for docs/config.md */
	size_t size; /* sizeof the field at offset, so a test can check it against the type */
	enum cfg_type elem; /* CFG_STRLIST: the type each element is checked as */
	size_t elem_size; /* CFG_MAPLIST: sizeof one element */
	size_t count_offset; /* CFG_MAPLIST: offsetof(struct ponte_config, ...) of the size_t count */
};

extern const struct cfg_key ponte_cfg_schema[];
extern const size_t ponte_cfg_schema_len;

/* Whether row k is a direct child of section parent ("" for the top level); for config_doc.c. */
bool cfg_is_child(const struct cfg_key *k, const char *parent);

/*
 * Parse YAML text into a new configuration. Every problem found is appended to errors
 * (a GPtrArray of g_malloc'd strings "NAME:LINE:COL: key.path: what is wrong"), and
 * parsing goes on to find the others. Returns 0 and sets *out, or -EINVAL with *out NULL
 * when any error was found. Values of the form ${VAR} inside strings are replaced by the
 * environment variable VAR; an unset VAR is an error.
 */
int ponte_config_parse(const char *name, const char *text, size_t len, GPtrArray *errors,
		       struct ponte_config **out);

/* Read FILE and parse it; an unreadable file gives one error "FILE: cannot read: REASON". */
int ponte_config_load(const char *file, GPtrArray *errors, struct ponte_config **out);

/* A configuration holding only the schema defaults (never fails). */
struct ponte_config *ponte_config_defaults(void);

void ponte_config_free(struct ponte_config *cfg);

/* Write the Markdown reference of every key (docs/config.md is this output). */
void ponte_config_write_doc(FILE *out);

/* Name of an enum value, for logs; NULL if path is not an enum key or value is out of range. */
const char *ponte_config_enum_name(const char *path, int value);

/* The UDP ports the DPDK fast path owns (dpdk.owned_ports, docs/dpdk.md): with
 * dataplane.backend dpdk, "auto" is sip.rtp_port_min..max when SIP is enabled; "MIN-MAX" that
 * range. true and *min, *max set, or false when it owns none (another backend, "off", "auto"
 * without SIP). */
bool ponte_config_owned_ports(const struct ponte_config *cfg, int *min, int *max);

#endif
