/* SPDX-License-Identifier: MIT */
/*
 * The SIP side's SDP (RFC 3264 offer/answer over RTP/AVP, or RTP/SAVP with SDES keys, RFC
 * 4568): no ICE, no BUNDLE, no rtcp-mux, no DTLS. The gateway offers the phone the audio codecs
 * the browser offered that sip.codecs allows, with the browser's payload type numbers, so
 * media passes through untranscoded.
 *
 * SRTP (sip.srtp): sip_sdp_make_offer() makes one key per sip.srtp_profiles suite, each on its
 * own a=crypto line (tags 1..n), once per call; everything printed from that state later (the
 * answer to a phone's offer, re-offers) reuses them, so a re-INVITE keeps the call's keys. The
 * structs hold keys: sip_sdp_offer_wipe() / sip_sdp_answer_wipe() before freeing them.
 */
#ifndef PONTE_CONTROL_SIP_SDP_H
#define PONTE_CONTROL_SIP_SDP_H

#include <stdbool.h>
#include <stdint.h>

#include <ponte/flow.h>

#include "config.h"
#include "sdp.h"
#include "sdp_negotiate.h"
#include "sip_sdes.h"

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
	/* Ours for every SDP we print from this state (offer, answer, re-offer): the o= version,
	 * bumped before each new one (RFC 3264 §8), and the direction (hold, RFC 3264 §8.4). */
	unsigned version; /* 0 prints as 1 */
	enum sdp_direction dir;
	/* SDES-SRTP (RFC 4568): sip.srtp when the state was made, and our a=crypto lines, one
	 * per sip.srtp_profiles suite, each with its own fresh key for what we send the phone
	 * (none when sip.srtp is off). */
	int srtp; /* enum ponte_sip_srtp */
	struct sip_sdes_crypto crypto[SIP_SDES_MAX_SUITES];
	unsigned nb_crypto;
	/* sip.dtmf when the state was made. With info, telephone-event (te) is the browser's
	 * only: never offered to the phone nor taken from its SDP, so the browser's digits go
	 * out as INFO; with auto, the browser keeps it when the phone does not take it. */
	int dtmf; /* enum ponte_sip_dtmf */
};

/* What the phone's answer says. */
struct sip_sdp_answer {
	struct ponte_addr rtp; /* where to send RTP; port 0: audio refused */
	struct ponte_addr rtcp; /* where to send RTCP (a=rtcp, RFC 3605; else RTP port + 1) */
	int codec; /* index into the offer's codecs of the chosen one (the first listed) */
	int te; /* index of telephone-event, -1: none */
	bool is_sendonly, is_recvonly, is_inactive; /* the phone's direction (hold) */
	/*
	 * SDES-SRTP, when the phone's SDP has an a=crypto line we take (profile PONTE_SRTP_NULL
	 * in both: plain RTP). rx is the phone's key: it unprotects what the phone sends (RTP
	 * and RTCP). tx is ours of the same suite (from sip_sdp_offer.crypto): it protects what
	 * we send the phone. crypto_tag is the tag of the line both sides use.
	 */
	struct ponte_srtp_key rx, tx;
	uint32_t crypto_tag;
	bool is_savp; /* the phone's audio is RTP/SAVP (or SAVPF): our answer says RTP/SAVP */
};

/*
 * The offer to the phone from the browser's offer: RTP/AVP audio at addr:port with the common
 * codecs, in sip.codecs order, plus telephone-event/8000 when the browser has it. -EINVAL with
 * err when the browser offers no audio codec the SIP side allows.
 * With sip.srtp sdes-optional, the same RTP/AVP section with an a=crypto line per
 * sip.srtp_profiles suite (best-effort SRTP, as Asterisk and FreeSWITCH offer it); with
 * sdes-mandatory, RTP/SAVP with those lines. The keys are made here, fresh (-EIO when the
 * random generator fails), and kept in st for the rest of the call. *text holds them: wipe it
 * before freeing it.
 */
int sip_sdp_make_offer(const struct ponte_config *cfg, const struct sdp *browser_offer,
		       const char *addr, uint16_t port, uint64_t sess_id, char **text,
		       struct sip_sdp_offer *st, char *err, size_t errlen);

/*
 * Read the phone's answer to our offer (or, for a call from the phone, its offer: see
 * sip_sdp_make_answer); -EINVAL with err when it is unusable.
 * SRTP (RFC 4568 §7.1.2-3): among the phone's a=crypto lines, those whose suite we offered and
 * that sip_sdes_parse() accepts, the first with one of our tags and that tag's suite (an
 * answer), else the first (the phone's preferred line of an offer; an answer naming a tag of
 * ours with another suite is read this way too). Its key becomes ans->rx, ours of that suite
 * ans->tx. Errors: RTP/SAVP audio with sip.srtp off; no usable a=crypto when the audio is
 * RTP/SAVP or sip.srtp is sdes-mandatory (err says why each line was skipped). Under
 * sdes-optional, RTP/AVP without a usable line is plain RTP.
 */
int sip_sdp_read_answer(const char *text, struct sip_sdp_offer *st, struct sip_sdp_answer *ans,
			char *err, size_t errlen);

/*
 * Whether a phone's offer can be answered at all, before anyone rings: an RTP/AVP(F) audio
 * section (or RTP/SAVP(F) with a usable a=crypto line, unless sip.srtp is off) with a codec
 * sip.codecs allows, and a usable a=crypto line if sip.srtp is sdes-mandatory. -EINVAL with the
 * reason (and line) in err, for the 488's Warning: it never quotes key material.
 */
int sip_sdp_check_offer(const struct ponte_config *cfg, const char *text, char *err,
			size_t errlen);

/*
 * A phone called us with an offer: read it with sip_sdp_read_answer() against the offer we
 * would make from the browser's (it picks the phone's most preferred codec we have), then
 * answer the phone with this: the chosen codec and telephone-event, numbered as the phone's
 * offer numbers them, at addr:port. With SRTP (ans->tx set), one a=crypto line: the phone's
 * tag and suite with our key of that suite, made by sip_sdp_make_offer() and never made again
 * here; RTP/SAVP when the phone offered it. *text holds the key: wipe it before freeing it.
 */
int sip_sdp_make_answer(const struct sip_sdp_offer *st, const struct sip_sdp_answer *ans,
			const char *addr, uint16_t port, uint64_t sess_id, char **text);

/*
 * The codec table to answer the browser with: the chosen codec (and telephone-event), so the
 * browser sends what the phone expects. telephone-event is there when the phone took it, and
 * with sip.dtmf info or auto also when it did not (the browser's digits then go out as INFO).
 * table must hold 2 entries; returns how many were set. Strings point into st.
 */
unsigned sip_sdp_browser_codecs(const struct sip_sdp_offer *st, const struct sip_sdp_answer *ans,
				struct sdp_codec *table);

/* Wipe the keys these hold (explicit_bzero), before their memory is freed or reused. */
void sip_sdp_offer_wipe(struct sip_sdp_offer *st);
void sip_sdp_answer_wipe(struct sip_sdp_answer *ans);
/* Wipe and g_free() an SDP text of the SIP side: ours and the phone's carry SDES keys
 * (a=crypto) when SRTP is on. NULL is fine. */
void sip_sdp_text_free(char *text);

#endif
