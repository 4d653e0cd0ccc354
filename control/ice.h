/* SPDX-License-Identifier: MIT */
/*
 * ICE for one WebRTC transport (RFC 8445, trickle RFC 8838, consent RFC 7675) with libnice:
 * one stream, one component (BUNDLE and rtcp-mux are required on the WebRTC side).
 *
 * The agent's signals run on the main loop; its sockets are read on the media I/O thread
 * (mediaio.h), where media packets go to the dataplane and DTLS packets are passed back to the
 * main loop. Everything here is called on the main loop.
 */
#ifndef PONTE_CONTROL_ICE_H
#define PONTE_CONTROL_ICE_H

#include <stdbool.h>
#include <stdint.h>

#include <ponte/dataplane.h>

struct ponte_ice;

enum ponte_ice_state {
	PONTE_ICE_CONNECTED, /* a pair is selected: media can flow (may repeat on a new pair) */
	PONTE_ICE_FAILED, /* checks failed, or consent was lost (RFC 7675) */
};

struct ponte_ice_params {
	bool is_controlling;
	const char *const *addresses; /* local IPs to gather on, NULL-terminated */
	const char *public_ip; /* 1:1 NAT: announced in candidates instead of the local IP */
	bool announce_private; /* with public_ip: announce the local IP too (beside it) */
	uint16_t port_min, port_max; /* 0, 0: any port */
	const char *stun_server; /* NULL: none */
	uint16_t stun_port;
	const char *turn_server; /* an IP literal; NULL: none */
	uint16_t turn_port;
	int turn_transport; /* enum ponte_turn_transport (config.h) */
	const char *turn_username, *turn_password;
	bool relay_only; /* only the relayed candidate is gathered and used */
	const char *log_name; /* e.g. "session=12", borrowed for the agent's lifetime */
};

/* Callbacks, all on the main loop; ctx is the caller's. None runs after ponte_ice_destroy(). */
struct ponte_ice_ops {
	/* A local candidate ("candidate:..." without "a="), or NULL at the end of gathering. */
	void (*candidate)(void *ctx, const char *candidate);
	void (*state)(void *ctx, enum ponte_ice_state state);
	/* A DTLS datagram from the peer (first byte 20..63, RFC 7983). */
	void (*dtls)(void *ctx, const uint8_t *pkt, size_t len);
};

/* Create the agent (controlled unless is_controlling). Strings in p are copied. */
int ponte_ice_create(const struct ponte_ice_params *p, const struct ponte_ice_ops *ops, void *ctx,
		     struct ponte_ice **out);
/* Stop everything; no callback runs afterwards. NULL is fine. */
void ponte_ice_destroy(struct ponte_ice *ice);

/* Our ufrag and password (owned by ice). */
const char *ponte_ice_ufrag(const struct ponte_ice *ice);
const char *ponte_ice_pwd(const struct ponte_ice *ice);

/* Start gathering; candidates arrive through ops->candidate. */
int ponte_ice_gather(struct ponte_ice *ice);
int ponte_ice_set_remote_credentials(struct ponte_ice *ice, const char *ufrag, const char *pwd);
/* A remote candidate line ("candidate:..." with or without "a="). -EINVAL if unparsable,
 * -ENOTSUP for names we do not resolve (mDNS .local): the peer's checks reveal it anyway. */
int ponte_ice_add_remote_candidate(struct ponte_ice *ice, const char *candidate);
void ponte_ice_remote_gathering_done(struct ponte_ice *ice);
/* ICE restart (RFC 8445 §9): new local credentials; the caller sets the remote ones. */
int ponte_ice_restart(struct ponte_ice *ice);

/* Send one datagram on the selected pair (DTLS from the main loop). */
int ponte_ice_send(struct ponte_ice *ice, const uint8_t *pkt, size_t len);
/* The same, as a ponte_dp_tx_fn (ctx is the ice): safe on a dataplane thread, since libnice
 * locks its agent. The dataplane port using it must be closed and synced before destroy. */
int ponte_ice_relay_send(void *ice, const uint8_t *pkt, size_t len);

/*
 * The selected pair: a duplicate of its local socket's fd (the caller closes it), the remote
 * address and the local one. -ENOTCONN before PONTE_ICE_CONNECTED. For a pair relayed through
 * our TURN server, *fd is -1: its datagrams must go through ponte_ice_relay_send(), which
 * frames them for the server; local is then the relayed address.
 */
int ponte_ice_selected(struct ponte_ice *ice, int *fd, struct ponte_addr *remote,
		       struct ponte_addr *local);

/* Hand media (RTP/RTCP) received from now on to dp as coming from port_id; port 0 stops. */
void ponte_ice_set_media_sink(struct ponte_ice *ice, struct ponte_dp *dp, uint32_t port_id);

/* Packets received by the media I/O thread, by class: for counters and tests. */
struct ponte_ice_stats {
	uint64_t media, dtls, other, media_dropped;
};
void ponte_ice_get_stats(const struct ponte_ice *ice, struct ponte_ice_stats *st);

#endif
