/* SPDX-License-Identifier: MIT */
/*
 * The gateway's SIP stack: one sofia-sip nua instance on the control plane's GLib main loop
 * (su_glib), listening on sip.listen:sip.port. It carries calls (INVITE dialogs) whose SDP the
 * caller makes and reads itself: the stack's own offer/answer engine is off
 * (NUTAG_MEDIA_ENABLE(0)), bodies pass through as text.
 *
 * Everything here runs on the main loop. No callback runs after the call or stack it concerns
 * is destroyed or hung up.
 */
#ifndef PONTE_CONTROL_SIP_H
#define PONTE_CONTROL_SIP_H

#include <stdbool.h>

#include "config.h"

struct ponte_sip;
struct ponte_sip_call;

/* What happens to an outgoing call. Strings are borrowed for the duration of the callback. */
struct ponte_sip_call_ops {
	/* A provisional response (101..199). sdp is the body of a 18x with SDP (early media),
	 * else NULL. */
	void (*progress)(void *ctx, int status, const char *reason, const char *sdp);
	/* A 2xx: the call is up; sdp is the answer's body (may be NULL if the peer sent none). */
	void (*answered)(void *ctx, const char *sdp);
	/* The call is over: a final failure (3xx-6xx, with its code and reason; 408 for a ring
	 * timeout, 487 after a cancel), a BYE from the peer (status 0, reason "bye"), or a
	 * transport or session-timer failure. No callback follows. */
	void (*ended)(void *ctx, int status, const char *reason);
};

/* cfg is borrowed and outlives the stack. Returns 0, or a negative errno with why set. */
int ponte_sip_create(const struct ponte_config *cfg, struct ponte_sip **out, char **why);
void ponte_sip_destroy(struct ponte_sip *sip);

/* "sip:ADDR:PORT" the stack listens on (for logs and tests); owned by sip. */
const char *ponte_sip_contact(const struct ponte_sip *sip);

/*
 * Call `to` (a SIP URI) with an INVITE carrying sdp (application/sdp; NULL: an offerless
 * INVITE, RFC 3261 §13.2.1). from_user is the user part of our From (e.g. the browser's peer
 * id), NULL for "ponte". ops and ctx are borrowed until the call ends. Returns 0, or -EINVAL
 * for a URI that does not parse (then no callback runs).
 */
int ponte_sip_call(struct ponte_sip *sip, const char *to, const char *from_user, const char *sdp,
		   const struct ponte_sip_call_ops *ops, void *ctx, struct ponte_sip_call **out);

/* Send the ACK's SDP for an offerless INVITE answered with an offer; NULL for a plain ACK. */
int ponte_sip_call_ack(struct ponte_sip_call *call, const char *sdp);

/*
 * End the call from our side: CANCEL before a final response, BYE after 2xx. No callback runs
 * afterwards; the stack finishes the transaction and frees the call by itself.
 */
void ponte_sip_hangup(struct ponte_sip_call *call);

/* The Call-ID of the call (for logs and tests); owned by the call. */
const char *ponte_sip_call_id(const struct ponte_sip_call *call);

#endif
