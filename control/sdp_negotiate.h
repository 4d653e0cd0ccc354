/* SPDX-License-Identifier: MIT */
/*
 * Offer/answer for the WebRTC side (RFC 3264, JSEP RFC 8829/9429, BUNDLE RFC 8843/9143):
 * answer a browser's offer with what the gateway supports, or make the gateway's own offer.
 * What the gateway supports comes in struct sdp_local, filled from the configuration; the
 * functions keep no state, so each call stands alone (no subsequent-offer rules).
 */
#ifndef PONTE_CONTROL_SDP_NEGOTIATE_H
#define PONTE_CONTROL_SDP_NEGOTIATE_H

#include <stdbool.h>
#include <stdint.h>

#include "sdp.h"

enum sdp_kind {
	SDP_KIND_AUDIO = 1,
	SDP_KIND_VIDEO = 2,
};

/* RTCP feedback the gateway implements (RFC 4585, RFC 5104, draft-alvestrand-rmcat-remb,
 * draft-holmer-rmcat-transport-wide-cc-extensions). */
#define SDP_FB_NACK 0x1
#define SDP_FB_NACK_PLI 0x2
#define SDP_FB_CCM_FIR 0x4
#define SDP_FB_GOOG_REMB 0x8
#define SDP_FB_TRANSPORT_CC 0x10

/* One codec of the gateway, a row of the configured codec table. */
struct sdp_codec {
	enum sdp_kind kind;
	const char *name; /* encoding name, compared without case: "opus", "H264" */
	uint32_t clock;
	uint16_t channels; /* 0: not written (one channel) */
	/*
	 * The parameters the gateway puts in its own a=fmtp, NULL for none. For H264 they also
	 * say what it decodes: packetization-mode and profile-level-id (RFC 6184 §8.1); for VP9
	 * profile-id. Answers to AV1 echo the offer's parameters instead.
	 */
	const char *fmtp;
	uint8_t pt;	  /* payload type in the gateway's offers */
	bool has_rtx;	  /* RFC 4588 retransmission for this codec */
	uint8_t rtx_pt;	  /* its payload type in the gateway's offers */
	unsigned rtcp_fb; /* SDP_FB_* kept with this codec */
};

/* An RTP header extension the gateway accepts (RFC 8285). */
struct sdp_local_extmap {
	const char *uri;
	uint16_t id;	/* id in the gateway's offers; answers keep the offer's */
	unsigned kinds; /* SDP_KIND_* it applies to */
};

/* A stream the gateway sends: its a=msid and a=ssrc lines. */
struct sdp_local_stream {
	enum sdp_kind kind;
	const char *stream_id; /* msid id */
	const char *track_id;  /* msid appdata; NULL: none */
	uint32_t ssrc;
	uint32_t rtx_ssrc; /* 0: none (no a=ssrc-group:FID) */
	/* Set: the stream belongs to the offer's section of this mid (one the gateway added by
	 * a re-offer), sent there whatever the kind's direction wish. NULL: the first free
	 * section of its kind. */
	const char *mid;
};

struct sdp_local {
	uint64_t session_id; /* o= sess-id; JSEP §5.2.1 wants it below 2^62 */
	uint64_t session_version;
	const char *ice_ufrag, *ice_pwd;
	bool is_ice_lite;
	bool has_trickle; /* takes trickled candidates: answers a=ice-options:trickle if offered */
	const char *fingerprint_hash; /* "sha-256" */
	const char *fingerprint;      /* "AB:CD:...", the DTLS certificate's digest */
	/* The role answered to a=setup:actpass: SDP_SETUP_PASSIVE (the default, NONE) or ACTIVE.
	 * JSEP §5.3.1 suggests active; passive lets the browser start DTLS as soon as ICE is up. */
	enum sdp_setup setup;
	const struct sdp_candidate *candidates; /* host candidates; strings borrowed */
	unsigned nb_candidates;
	bool is_gathering_complete;	/* adds a=end-of-candidates */
	const struct sdp_codec *codecs; /* in preference order */
	unsigned nb_codecs;
	const struct sdp_local_extmap *extmaps;
	unsigned nb_extmaps;
	bool is_extmap_allow_mixed; /* RFC 8285 §6 two-byte headers mixed with one-byte */
	bool has_datachannel;	    /* m=application UDP/DTLS/SCTP webrtc-datachannel */
	uint16_t sctp_port;	    /* 0: 5000 */
	uint64_t max_message_size;  /* 0: 262144 */
	enum sdp_direction audio_dir, video_dir; /* what the gateway wants per kind */
	const struct sdp_local_stream *streams;	 /* used in order, one per sending section */
	unsigned nb_streams;
	const char *cname; /* RTCP CNAME of the gateway's streams */
};

/* The RTCP feedback table: name, parameter, SDP_FB_* bit (RFC 4585 §4.2). */
struct sdp_fb_def {
	const char *type;
	const char *params; /* NULL: none */
	unsigned bit;
};
extern const struct sdp_fb_def sdp_fb_defs[];
extern const unsigned sdp_nb_fb_defs;

/*
 * Answer OFFER (a browser's, Unified Plan) with LOCAL's capabilities (RFC 8829 §5.3.1).
 * Returns 0 and the answer in *answer (sdp_free it), or a negative errno with the reason in
 * ERR: -EINVAL when the offer lacks BUNDLE, rtcp-mux, ICE credentials or a fingerprint, has a
 * DTLS role other than actpass/active/passive, or when no media section can be accepted
 * (each section's reason is given); -ENOMEM. A section that cannot be accepted alone (no
 * common codec, a protocol or media the gateway does not do, outside the BUNDLE group) is
 * rejected with port 0 (RFC 3264 §6) and the rest of the session goes on.
 */
int sdp_answer_create(const struct sdp *offer, const struct sdp_local *local, struct sdp **answer,
		      char *err, size_t errlen);

/*
 * The gateway's own offer: BUNDLE with max-bundle (JSEP §4.1.1; RFC 8843 §7.2: the first
 * section carries the transport, the others are bundle-only with port 0), rtcp-mux,
 * a=setup:actpass, one audio and one video section with LOCAL's codecs and payload types, and
 * a data channel section when LOCAL has one. Returns 0 and *offer, or -ENOMEM / -EINVAL.
 */
int sdp_offer_create(const struct sdp_local *local, struct sdp **offer, char *err, size_t errlen);

/* --- Codec matching, in sdp_codec.c --- */

/*
 * Whether the offered codec (RTPMAP with fmtp PARAMS, possibly NULL) is LOCAL's. On a match,
 * *fmtp is the a=fmtp value to answer with (in ANSWER's arena) or NULL for none. Returns 1 on
 * a match, 0 when not, -ENOMEM. H264 matches on packetization-mode and profile and answers the
 * lower level (RFC 6184 §8.2.2); VP9 on profile-id; telephone-event on clock rate.
 */
int sdp_codec_match(const struct sdp_codec *local, const struct sdp_rtpmap *rtpmap,
		    const char *params, struct sdp *answer, const char **fmtp);

/* The rtpmap of a static payload type (RFC 3551 §6) when an offer gives none, or NULL. */
const struct sdp_rtpmap *sdp_static_rtpmap(int pt);

/*
 * H264 profile-level-id (RFC 6184 §8.1): the profile it names (a small integer, equal for
 * equal profiles) and its level ordered so that 1b sorts between 1 and 1.1. Returns 0, or
 * -EINVAL when the string is not 6 hex digits or names no known profile.
 */
int sdp_h264_profile_level(const char *profile_level_id, int *profile, int *level);

#endif
