/* SPDX-License-Identifier: MIT */
/*
 * The SIP side's SDP (RFC 3264 offer/answer over RTP/AVP): no ICE, no BUNDLE, no rtcp-mux, no
 * DTLS. The gateway offers the phone the audio codecs the browser offered that sip.codecs
 * allows, with the browser's payload type numbers, so media passes through untranscoded.
 */
#ifndef PONTE_CONTROL_SIP_SDP_H
#define PONTE_CONTROL_SIP_SDP_H

#include <stdbool.h>
#include <stdint.h>

#include <ponte/flow.h>

#include "config.h"
#include "sdp.h"
#include "sdp_negotiate.h"

#define SIP_SDP_MAX_CODECS 8

/* One audio codec as both legs know it. */
struct sip_sdp_codec {
	char name[32];
	uint32_t clock;
	uint16_t channels;
	char fmtp[128];
	int browser_pt; /* in the browser's offer */
	int phone_pt; /* in the phone's answer; -1 until it answered */
};

struct sip_sdp_offer {
	struct sip_sdp_codec codecs[SIP_SDP_MAX_CODECS]; /* what we offered, in order */
	unsigned nb_codecs;
	int te; /* index of telephone-event/8000 in codecs, -1: none */
};

/* What the phone's answer says. */
struct sip_sdp_answer {
	struct ponte_addr rtp; /* where to send RTP; port 0: audio refused */
	struct ponte_addr rtcp; /* where to send RTCP (a=rtcp, RFC 3605; else RTP port + 1) */
	int codec; /* index into the offer's codecs of the chosen one (the first listed) */
	int te; /* index of telephone-event, -1: none */
	bool is_sendonly, is_recvonly, is_inactive; /* the phone's direction (hold) */
};

/*
 * The offer to the phone from the browser's offer: RTP/AVP audio at addr:port with the common
 * codecs, in sip.codecs order, plus telephone-event/8000 when the browser has it. -EINVAL with
 * err when the browser offers no audio codec the SIP side allows.
 */
int sip_sdp_make_offer(const struct ponte_config *cfg, const struct sdp *browser_offer,
		       const char *addr, uint16_t port, uint64_t sess_id, char **text,
		       struct sip_sdp_offer *st, char *err, size_t errlen);

/* Read the phone's answer to our offer; -EINVAL with err when it is unusable. */
int sip_sdp_read_answer(const char *text, struct sip_sdp_offer *st, struct sip_sdp_answer *ans,
			char *err, size_t errlen);

/*
 * Whether a phone's offer can be answered at all, before anyone rings: an RTP/AVP audio
 * section with a codec sip.codecs allows. -EINVAL with the reason (and line) in err.
 */
int sip_sdp_check_offer(const struct ponte_config *cfg, const char *text, char *err,
			size_t errlen);

/*
 * A phone called us with an offer: read it with sip_sdp_read_answer() against the offer we
 * would make from the browser's (it picks the phone's most preferred codec we have), then
 * answer the phone with this: the chosen codec and telephone-event, numbered as the phone's
 * offer numbers them, at addr:port.
 */
int sip_sdp_make_answer(const struct sip_sdp_offer *st, const struct sip_sdp_answer *ans,
			const char *addr, uint16_t port, uint64_t sess_id, char **text);

/*
 * The codec table to answer the browser with: the chosen codec (and telephone-event), so the
 * browser sends what the phone expects. table must hold 2 entries; returns how many were set.
 * Strings point into st.
 */
unsigned sip_sdp_browser_codecs(const struct sip_sdp_offer *st, const struct sip_sdp_answer *ans,
				struct sdp_codec *table);

#endif
