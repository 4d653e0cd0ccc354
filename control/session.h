/* SPDX-License-Identifier: MIT */
/*
 * A WebRTC session terminated at the gateway: the browser's offer answered (SDP), ICE
 * (libnice), DTLS-SRTP (OpenSSL) and, once both are up, a media leg the services route in the
 * dataplane. Reference-counted; everything on the main loop.
 */
#ifndef PONTE_CONTROL_SESSION_H
#define PONTE_CONTROL_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include <ponte/dataplane.h>

#include "config.h"
#include "dtls.h"
#include "offload.h"

struct ponte_session;

/* What every session shares: borrowed, outliving every session. */
struct ponte_session_env {
	const struct ponte_config *cfg;
	struct ponte_dp *dp;
	struct ponte_dtls_cert *cert;
};

/* Callbacks on the main loop; none runs after ponte_session_destroy(). */
struct ponte_session_ops {
	/* A local ICE candidate ("candidate:..."), or NULL when gathering is done. */
	void (*candidate)(void *ctx, const char *candidate);
	/* ICE and DTLS are up (or the selected pair changed): leg is ready for flows. */
	void (*media_ready)(void *ctx, const struct ponte_media_leg *leg);
	/* The session is over (reason as in docs/signaling.md: ice-failed, consent-lost,
	 * dtls-failed); the owner destroys it. */
	void (*ended)(void *ctx, const char *reason);
	/* The browser opened a data channel on stream; may be NULL. */
	void (*dc_open)(void *ctx, uint16_t stream, const char *label);
	/* A data channel message (string or binary); may be NULL. */
	void (*dc_message)(void *ctx, uint16_t stream, bool is_binary, const uint8_t *data,
			   size_t len);
};

/* id names the session in logs and signaling ("g-..."); copied. A relay session answers its
 * browser's media sections receive-only: what it receives comes in sections the gateway adds
 * with ponte_session_reoffer(). */
int ponte_session_create(const struct ponte_session_env *env, const char *id, bool is_relay,
			 const struct ponte_session_ops *ops, void *ctx, struct ponte_session **out);
void ponte_session_destroy(struct ponte_session *s);

const char *ponte_session_id(const struct ponte_session *s);

/*
 * Answer a browser's offer: *answer is the SDP text (g_free it). On an error, a message for
 * the client in err ("line 3: ..."), and -EINVAL (bad or unacceptable SDP) or another errno.
 * A later offer renegotiates; new ICE credentials in it restart ICE.
 */
int ponte_session_offer(struct ponte_session *s, const char *sdp, char **answer, char *err,
			size_t errlen);
struct sdp_local_stream;
/*
 * The same, for a session whose later offers include sections the gateway added by its own
 * re-offers (a relayed room's forwarded streams): each of PINNED is answered, sendonly, in the
 * section of its mid, so a browser's re-offer keeps what it receives.
 */
int ponte_session_offer_with(struct ponte_session *s, const char *sdp,
			     const struct sdp_local_stream *pinned, unsigned nb_pinned,
			     char **answer, char *err, size_t errlen);

/*
 * A new offer from the gateway: the negotiated sections followed by EXTRA (the complete list
 * of sections the gateway adds, in a stable order). *offer is the SDP text (g_free it).
 * -EINPROGRESS when no answer has been made yet.
 */
struct sdp_extra_stream;
int ponte_session_reoffer(struct ponte_session *s, const struct sdp_extra_stream *extra,
			  unsigned nb_extra, char **offer, char *err, size_t errlen);

/* The browser's answer to our last offer; -EINVAL (with err) when it does not fit it. */
int ponte_session_answer(struct ponte_session *s, const char *sdp, char *err, size_t errlen);

/* Answer with these codecs instead of the gateway's full table (a SIP bridge: what the phone
 * chose). The table is borrowed until the next offer is answered. */
struct sdp_codec;
void ponte_session_set_codecs(struct ponte_session *s, const struct sdp_codec *codecs,
			      unsigned nb);

/* A trickled remote candidate; NULL or "" for end of candidates. */
int ponte_session_candidate(struct ponte_session *s, const char *candidate);

/* The SSRCs the browser announced and the gateway's own, paired by media section (echo). */
const struct ponte_media_leg *ponte_session_leg(const struct ponte_session *s);

/* Our last answer (what was negotiated), or NULL before the first offer; owned by s. */
struct sdp;
const struct sdp *ponte_session_description(const struct ponte_session *s);

/* Send a data channel message on stream; -ENOTCONN before the association is up. */
int ponte_session_dc_send(struct ponte_session *s, uint16_t stream, bool is_binary,
			  const uint8_t *data, size_t len);

#endif
