/* SPDX-License-Identifier: MIT */
/*
 * A browser-to-phone call: a WebRTC session (the browser's leg) bridged to a SIP call (the
 * phone's leg). The browser's offer becomes an INVITE; the phone's answer decides the codec
 * the browser is answered with, so media passes through the dataplane untranscoded:
 * SRTP <-> RTP, payload types and SSRCs translated. Main loop only.
 */
#ifndef PONTE_CONTROL_BRIDGE_H
#define PONTE_CONTROL_BRIDGE_H

#include <jansson.h>

#include "session.h"
#include "sip.h"

struct ponte_bridge;

/* Callbacks on the main loop; none runs after ponte_bridge_destroy(). */
struct ponte_bridge_ops {
	/* A call event for the browser ({"type":"call", ...}); obj is stolen. */
	void (*event)(void *ctx, json_t *obj);
	/* The answer to the browser's offer, once the phone answered (or sent early media). */
	void (*answer)(void *ctx, const char *sdp);
	/* The call is over: reason ("sip-status", "remote-bye", "media-timeout", "bad-sdp"),
	 * SIP status (0 when none) and its text. The owner destroys the bridge. */
	void (*ended)(void *ctx, const char *reason, int status, const char *text);
};

struct ponte_bridge_env {
	const struct ponte_config *cfg;
	struct ponte_dp *dp;
	struct ponte_sip *sip;
};

/* to: the SIP URI to call; from_user: the caller's name on the SIP side. Copied. */
int ponte_bridge_create(const struct ponte_bridge_env *env, struct ponte_session *s,
			const char *to, const char *from_user, const struct ponte_bridge_ops *ops,
			void *ctx, struct ponte_bridge **out);
/*
 * A phone's call the browser took: call is an incoming call not yet accepted (the bridge
 * accepts it), from the caller's URI, phone_offer the INVITE's SDP or NULL (offerless). The
 * browser's offer (ponte_bridge_offer) then answers the phone.
 */
int ponte_bridge_create_incoming(const struct ponte_bridge_env *env, struct ponte_session *s,
				 struct ponte_sip_call *call, const char *from,
				 const char *phone_offer, const struct ponte_bridge_ops *ops,
				 void *ctx, struct ponte_bridge **out);
void ponte_bridge_destroy(struct ponte_bridge *b);

/* The browser's offer: sends the INVITE. -EINVAL with err for an offer the SIP side cannot
 * use (no common audio codec), -EALREADY for a second offer (re-offers: not yet). */
int ponte_bridge_offer(struct ponte_bridge *b, const char *sdp, char *err, size_t errlen);

/* The browser's WebRTC leg is up (ICE + DTLS): media can be bridged once the phone answered. */
void ponte_bridge_media_ready(struct ponte_bridge *b, const struct ponte_media_leg *leg);

/* The browser hangs up: CANCEL or BYE toward the phone. */
void ponte_bridge_hangup(struct ponte_bridge *b);

/* The SIP call of an answered call (the transfer target once a transfer succeeded), for
 * messages in its dialog (ponte_sip_call_message); NULL before the answer and after the end. */
struct ponte_sip_call *ponte_bridge_sip_call(const struct ponte_bridge *b);

/* Counters for /status: the phone leg's flow. */
int ponte_bridge_stats(struct ponte_bridge *b, struct ponte_flow_stats *to_phone,
		       struct ponte_flow_stats *from_phone);

#endif
