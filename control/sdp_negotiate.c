/* SPDX-License-Identifier: MIT */
/*
 * Answering a browser's offer (RFC 8829 §5.3.1 with RFC 3264 §6). Codec matching is in
 * sdp_codec.c, the pieces shared with offers in sdp_local.c.
 *
 * The gateway runs one transport per session, so BUNDLE and rtcp-mux are required of the
 * offer (JSEP's max-bundle policy, RFC 8829 §4.1.1) and every accepted section shares one
 * port, one c= address and one set of ICE and DTLS parameters.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sdp_internal.h"

#define MAX_PT 128

/* A codec kept in an answered section: the offer's payload type and what goes with it. */
struct kept {
	int pt;
	const struct sdp_rtpmap *rtpmap; /* the offer's (or the static one) */
	const struct sdp_codec *local;
	const char *fmtp; /* in the answer's arena; NULL: no a=fmtp */
	int rtx_pt;	  /* -1: no RTX */
	const struct sdp_rtpmap *rtx_rtpmap;
	const char *rtx_fmtp;
};

/* What the answer does with one offered section. */
struct section {
	const struct sdp_media *om;
	const char *mid;
	enum sdp_kind kind; /* 0: the data channel section */
	bool is_accepted;
	bool is_listed;	    /* in the answer's BUNDLE group already */
	const char *reason; /* why not accepted */
	struct kept kept[MAX_PT];
	unsigned nb_kept;
	enum sdp_direction dir;
	const struct sdp_local_stream *stream; /* the gateway's stream sent here, if any */
	/* The pre-RFC 8841 data channel form still offered by some stacks (aiortc 1.4):
	 * "m=application 9 DTLS/SCTP 5000" with a=sctpmap (draft-ietf-mmusic-sctp-sdp-05). */
	bool is_legacy_sctp;
};

/* The legacy form: proto DTLS/SCTP, the format is the SCTP port, a=sctpmap names the use. */
static bool is_legacy_sctp(const struct sdp_media *om)
{
	unsigned pos = 0;
	const struct sdp_attr *a;

	if (strcmp(om->proto, "DTLS/SCTP") != 0 || om->nb_fmts != 1)
		return false;
	for (const char *c = om->fmts[0]; *c != '\0'; c++)
		if (*c < '0' || *c > '9')
			return false;
	while ((a = sdp_attr_next_generic(om->attrs, om->nb_attrs, &pos, "sctpmap")) != NULL)
		if (a->u.generic.value != NULL &&
		    strstr(a->u.generic.value, " webrtc-datachannel") != NULL)
			return true;
	return false;
}

static unsigned fb_bit(const struct sdp_rtcp_fb *fb)
{
	for (unsigned i = 0; i < sdp_nb_fb_defs; i++) {
		const struct sdp_fb_def *d = &sdp_fb_defs[i];

		if (strcmp(fb->type, d->type) == 0 &&
		    (d->params == NULL ? fb->params == NULL
				       : fb->params != NULL && strcmp(fb->params, d->params) == 0))
			return d->bit;
	}
	return 0;
}

/* Whether an a=ice-options value lists OPTION. */
static bool has_ice_option(const struct sdp_attr *a, const char *option)
{
	size_t n = strlen(option);

	for (const char *p = a != NULL ? a->u.str : ""; *p != '\0';) {
		size_t len = strcspn(p, " ");

		if (len == n && strncmp(p, option, n) == 0)
			return true;
		p += len + (p[len] == ' ');
	}
	return false;
}

static bool offer_has_attr(const struct sdp *offer, enum sdp_attr_type type)
{
	if (sdp_attr_find(offer->attrs, offer->nb_attrs, type) != NULL)
		return true;
	for (unsigned i = 0; i < offer->nb_media; i++) {
		if (sdp_attr_find(offer->media[i].attrs, offer->media[i].nb_attrs, type) != NULL)
			return true;
	}
	return false;
}

static bool offer_has_trickle(const struct sdp *offer)
{
	if (has_ice_option(sdp_attr_find(offer->attrs, offer->nb_attrs, SDP_ATTR_ICE_OPTIONS),
			   "trickle"))
		return true;
	for (unsigned i = 0; i < offer->nb_media; i++) {
		const struct sdp_media *m = &offer->media[i];

		if (has_ice_option(sdp_attr_find(m->attrs, m->nb_attrs, SDP_ATTR_ICE_OPTIONS),
				   "trickle"))
			return true;
	}
	return false;
}

static bool is_in_group(const struct sdp_group *g, const char *mid)
{
	for (unsigned i = 0; i < g->nb_ids; i++) {
		if (strcmp(g->ids[i], mid) == 0)
			return true;
	}
	return false;
}

static bool is_rtx(const struct sdp_rtpmap *r)
{
	return strcasecmp(r->encoding, "rtx") == 0;
}

static int kept_index(const struct section *s, int pt)
{
	for (unsigned i = 0; i < s->nb_kept; i++) {
		if (s->kept[i].pt == pt || s->kept[i].rtx_pt == pt)
			return (int)i;
	}
	return -1;
}

/*
 * Intersect the offered formats with the gateway's codecs, in the gateway's order (RFC 8829
 * §5.3.1 with codec preferences), keeping the offer's payload types; then pair each kept
 * codec the gateway retransmits with the offer's rtx format for it (RFC 4588 §8.1).
 */
static int negotiate_codecs(struct section *s, const struct sdp_local *local, struct sdp *ans)
{
	const struct sdp_media *om = s->om;

	for (unsigned c = 0; c < local->nb_codecs; c++) {
		const struct sdp_codec *lc = &local->codecs[c];

		if (lc->kind != s->kind)
			continue;
		for (unsigned f = 0; f < om->nb_fmts; f++) {
			int pt = atoi(om->fmts[f]);
			const struct sdp_rtpmap *r = sdp_media_rtpmap(om, pt);
			const char *fmtp;

			if (r == NULL)
				r = sdp_static_rtpmap(pt);
			if (r == NULL || is_rtx(r) || kept_index(s, pt) >= 0)
				continue;
			int rc = sdp_codec_match(lc, r, sdp_media_fmtp(om, pt), ans, &fmtp);

			if (rc < 0)
				return rc;
			if (rc == 0)
				continue;
			s->kept[s->nb_kept++] = (struct kept){
			    .pt = pt, .rtpmap = r, .local = lc, .fmtp = fmtp, .rtx_pt = -1};
		}
	}
	for (unsigned k = 0; k < s->nb_kept; k++) {
		struct kept *kp = &s->kept[k];
		char apt[8];

		if (!kp->local->has_rtx)
			continue;
		for (unsigned f = 0; f < om->nb_fmts; f++) {
			int pt = atoi(om->fmts[f]);
			const struct sdp_rtpmap *r = sdp_media_rtpmap(om, pt);
			const char *params = sdp_media_fmtp(om, pt);

			if (r == NULL || !is_rtx(r) || r->clock != kp->rtpmap->clock ||
			    !sdp_fmtp_param(params, "apt", apt, sizeof(apt)) ||
			    atoi(apt) != kp->pt || strspn(apt, "0123456789") != strlen(apt) ||
			    kept_index(s, pt) >= 0)
				continue;
			kp->rtx_pt = pt;
			kp->rtx_rtpmap = r;
			if ((kp->rtx_fmtp = sdp_strdup(ans, params)) == NULL)
				return -ENOMEM;
			break;
		}
	}
	return 0;
}

static const struct {
	const char *type;
	enum sdp_kind kind;
} rtp_kinds[] = {{"audio", SDP_KIND_AUDIO}, {"video", SDP_KIND_VIDEO}};

static const char *const rtp_protos[] = {"UDP/TLS/RTP/SAVPF", "TCP/DTLS/RTP/SAVPF"};
static const char *const data_protos[] = {"UDP/DTLS/SCTP", "TCP/DTLS/SCTP"};

static bool is_one_of(const char *s, const char *const *list, size_t nb)
{
	for (size_t i = 0; i < nb; i++) {
		if (strcmp(s, list[i]) == 0)
			return true;
	}
	return false;
}

/* Decide whether the answer accepts section S; fills the reason when not. Returns 0, or a
 * negative errno (with ERR) when the offer as a whole is unacceptable. */
static int classify(struct section *s, const struct sdp *offer, const struct sdp_group *bundle,
		    const struct sdp_local *local, struct sdp *ans, char *err, size_t errlen)
{
	const struct sdp_media *om = s->om;
	bool is_bundle_only = sdp_attr_find(om->attrs, om->nb_attrs, SDP_ATTR_BUNDLE_ONLY) != NULL;

	s->mid = sdp_media_mid(om);
	for (size_t i = 0; i < sizeof(rtp_kinds) / sizeof(rtp_kinds[0]); i++) {
		if (strcmp(om->type, rtp_kinds[i].type) == 0)
			s->kind = rtp_kinds[i].kind;
	}
	if (om->port == 0 && !is_bundle_only) {
		s->reason = "disabled by the offerer (port 0)";
		return 0;
	}
	if (s->mid == NULL || !is_in_group(bundle, s->mid)) {
		s->reason = "not in the BUNDLE group";
		return 0;
	}
	if (s->kind == 0) {
		s->is_legacy_sctp = strcmp(om->type, "application") == 0 && is_legacy_sctp(om);
		if (strcmp(om->type, "application") != 0)
			s->reason = "media type not supported";
		else if (!s->is_legacy_sctp &&
			 (!is_one_of(om->proto, data_protos, 2) || om->nb_fmts != 1 ||
			  strcmp(om->fmts[0], "webrtc-datachannel") != 0))
			s->reason = "not UDP/DTLS/SCTP webrtc-datachannel (RFC 8841)";
		else if (!local->has_datachannel)
			s->reason = "data channels are disabled";
		else
			s->is_accepted = true;
		return 0;
	}
	if (!is_one_of(om->proto, rtp_protos, 2)) {
		s->reason = "protocol is not UDP/TLS/RTP/SAVPF";
		return 0;
	}
	/* RFC 8843 §9.3.1.1 puts rtcp-mux in each bundled section but the bundle-only ones. */
	if (!is_bundle_only && sdp_attr_find(om->attrs, om->nb_attrs, SDP_ATTR_RTCP_MUX) == NULL)
		return sdp_neg_err(err, errlen, -EINVAL,
				   "mid %s: offer has no a=rtcp-mux; the WebRTC side requires "
				   "RTP/RTCP multiplexing (RFC 5761, RFC 8843 §9.3)",
				   s->mid);
	int rc = negotiate_codecs(s, local, ans);

	if (rc != 0)
		return sdp_neg_err(err, errlen, rc, "out of memory");
	if (s->nb_kept == 0) {
		s->reason = "no common codec";
		return 0;
	}
	s->is_accepted = true;
	return 0;
}

/*
 * The DTLS role (RFC 8842 §5.2, §5.3; RFC 5763 §5): actpass leaves it to the answerer, active and
 * passive get the other one; holdconn or no a=setup at all is refused.
 */
static int answer_setup(const struct sdp *offer, const struct section *tag,
			const struct sdp_local *local, enum sdp_setup *setup, char *err,
			size_t errlen)
{
	const struct sdp_attr *a = sdp_media_attr(offer, tag->om, SDP_ATTR_SETUP);

	if (a == NULL)
		return sdp_neg_err(err, errlen, -EINVAL, "mid %s: no a=setup (RFC 8842 §5.2)",
				   tag->mid);
	switch (a->u.setup) {
	case SDP_SETUP_ACTPASS:
		*setup = local->setup == SDP_SETUP_ACTIVE ? SDP_SETUP_ACTIVE : SDP_SETUP_PASSIVE;
		return 0;
	case SDP_SETUP_ACTIVE:
		*setup = SDP_SETUP_PASSIVE;
		return 0;
	case SDP_SETUP_PASSIVE:
		*setup = SDP_SETUP_ACTIVE;
		return 0;
	default:
		return sdp_neg_err(err, errlen, -EINVAL,
				   "mid %s: a=setup:%s; the DTLS role must be actpass, active or "
				   "passive (RFC 8842 §5.2)",
				   tag->mid, sdp_setup_name(a->u.setup));
	}
}

/* The offer's transport parameters, those of the tagged section (RFC 8843 §7.3.1). */
static int check_transport(const struct sdp *offer, const struct section *tag, char *err,
			   size_t errlen)
{
	const struct sdp_attr *a;
	unsigned pos = 0;

	if (sdp_media_attr(offer, tag->om, SDP_ATTR_ICE_UFRAG) == NULL ||
	    sdp_media_attr(offer, tag->om, SDP_ATTR_ICE_PWD) == NULL)
		return sdp_neg_err(err, errlen, -EINVAL,
				   "mid %s: no a=ice-ufrag or a=ice-pwd (RFC 8839 §5.4)", tag->mid);
	if (sdp_media_attr(offer, tag->om, SDP_ATTR_FINGERPRINT) == NULL)
		return sdp_neg_err(err, errlen, -EINVAL,
				   "mid %s: no a=fingerprint; DTLS-SRTP needs one (RFC 8122 §5, "
				   "RFC 5763 §5)",
				   tag->mid);
	/* A role other than the three is refused wherever it appears. */
	while ((a = sdp_attr_next(offer->attrs, offer->nb_attrs, &pos, SDP_ATTR_SETUP)) != NULL) {
		if (a->u.setup == SDP_SETUP_HOLDCONN)
			return sdp_neg_err(
			    err, errlen, -EINVAL,
			    "a=setup:holdconn; the DTLS role must be actpass, active or "
			    "passive (RFC 8842 §5.2)");
	}
	for (unsigned i = 0; i < offer->nb_media; i++) {
		const struct sdp_media *m = &offer->media[i];

		a = sdp_attr_find(m->attrs, m->nb_attrs, SDP_ATTR_SETUP);
		if (a != NULL && a->u.setup == SDP_SETUP_HOLDCONN)
			return sdp_neg_err(err, errlen, -EINVAL,
					   "m= section %u: a=setup:holdconn; the DTLS role must be "
					   "actpass, active or passive (RFC 8842 §5.2)",
					   i + 1);
	}
	return 0;
}

/*
 * Offered extensions (media level, then session level) the gateway accepts, each URI once,
 * with the offer's id (RFC 8285 §7) and the direction seen from this side. Ids past 255 are
 * the offerer's invitation to pick one (RFC 8285 §7); the gateway does not, it leaves them.
 */
static int answer_extmaps(struct sdp *ans, struct sdp_media *m, const struct sdp *offer,
			  const struct section *s, const struct sdp_local *local)
{
	const struct sdp_attr *lists[2] = {s->om->attrs, offer->attrs};
	unsigned nbs[2] = {s->om->nb_attrs, offer->nb_attrs};
	uint8_t id_used[256 / 8] = {0};
	uint64_t uri_used = 0;
	static const enum sdp_direction reverse[] = {
	    [SDP_DIR_SENDRECV] = SDP_DIR_SENDRECV,
	    [SDP_DIR_SENDONLY] = SDP_DIR_RECVONLY,
	    [SDP_DIR_RECVONLY] = SDP_DIR_SENDONLY,
	    [SDP_DIR_INACTIVE] = SDP_DIR_INACTIVE,
	};

	for (unsigned l = 0; l < 2; l++) {
		const struct sdp_attr *a;
		unsigned pos = 0;

		while ((a = sdp_attr_next(lists[l], nbs[l], &pos, SDP_ATTR_EXTMAP)) != NULL) {
			const struct sdp_extmap *e = &a->u.extmap;
			unsigned i;

			for (i = 0; i < local->nb_extmaps && i < 64; i++) {
				if ((local->extmaps[i].kinds & s->kind) &&
				    strcmp(local->extmaps[i].uri, e->uri) == 0)
					break;
			}
			if (i == local->nb_extmaps || i == 64 || (uri_used & (1ull << i)) ||
			    e->id > 255 || (id_used[e->id / 8] & (1u << (e->id % 8))))
				continue;
			uri_used |= 1ull << i;
			id_used[e->id / 8] |= (uint8_t)(1u << (e->id % 8));
			if (sdp_add_extmap(ans, m, e->id, e->has_dir, reverse[e->dir], e->uri) != 0)
				return -ENOMEM;
		}
	}
	return 0;
}

/* RFC 4585 §4.2: the offered feedback the gateway implements for this codec, in offer order;
 * "*" lines are written out for the payload type. */
static int answer_rtcp_fb(struct sdp *ans, struct sdp_media *m, const struct section *s,
			  const struct kept *kp)
{
	const struct sdp_attr *a;
	unsigned pos = 0, done = 0;

	while ((a = sdp_attr_next(s->om->attrs, s->om->nb_attrs, &pos, SDP_ATTR_RTCP_FB)) != NULL) {
		unsigned bit = fb_bit(&a->u.rtcp_fb);

		if ((a->u.rtcp_fb.pt != kp->pt && a->u.rtcp_fb.pt != -1) || bit == 0 ||
		    !(kp->local->rtcp_fb & bit) || (done & bit))
			continue;
		done |= bit;
		for (unsigned i = 0; i < sdp_nb_fb_defs; i++) {
			if (sdp_fb_defs[i].bit == bit &&
			    sdp_add_rtcp_fb(ans, m, kp->pt, &sdp_fb_defs[i]))
				return -ENOMEM;
		}
	}
	return 0;
}

static int answer_rtp_section(struct sdp *ans, const struct sdp *offer, const struct section *s,
			      const struct sdp_local *local, bool is_tagged, enum sdp_setup setup)
{
	const struct sdp_media *om = s->om;
	struct sdp_media *m =
	    sdp_local_section(ans, local, om->type, om->proto, false, is_tagged, setup, s->mid);
	bool has_rtx = false;

	if (m == NULL)
		return -ENOMEM;
	/* Each kept codec, then its rtx format. */
	for (unsigned k = 0; k < s->nb_kept; k++) {
		if (sdp_add_fmt_pt(ans, m, s->kept[k].pt) != 0)
			return -ENOMEM;
		if (s->kept[k].rtx_pt >= 0) {
			has_rtx = true;
			if (sdp_add_fmt_pt(ans, m, s->kept[k].rtx_pt) != 0)
				return -ENOMEM;
		}
	}
	if (answer_extmaps(ans, m, offer, s, local) != 0 || sdp_add_dir(ans, m, s->dir) != 0)
		return -ENOMEM;
	if (s->stream != NULL && sdp_add_msid(ans, m, s->stream) != 0)
		return -ENOMEM;
	/* RFC 8843 §9.3.1.2: rtcp-mux, and rtcp-mux-only when the offer insists on it. */
	if (sdp_add_flag(ans, m, SDP_ATTR_RTCP_MUX) != 0)
		return -ENOMEM;
	if (sdp_attr_find(om->attrs, om->nb_attrs, SDP_ATTR_RTCP_MUX_ONLY) != NULL &&
	    sdp_add_flag(ans, m, SDP_ATTR_RTCP_MUX_ONLY) != 0)
		return -ENOMEM;
	if (sdp_attr_find(om->attrs, om->nb_attrs, SDP_ATTR_RTCP_RSIZE) != NULL &&
	    sdp_add_flag(ans, m, SDP_ATTR_RTCP_RSIZE) != 0)
		return -ENOMEM;
	for (unsigned k = 0; k < s->nb_kept; k++) {
		const struct kept *kp = &s->kept[k];

		if (sdp_add_rtpmap(ans, m, kp->pt, kp->rtpmap->encoding, kp->rtpmap->clock,
				   kp->rtpmap->channels) != 0 ||
		    answer_rtcp_fb(ans, m, s, kp) != 0 ||
		    sdp_add_fmtp(ans, m, kp->pt, kp->fmtp) != 0)
			return -ENOMEM;
		if (kp->rtx_pt >= 0 &&
		    (sdp_add_rtpmap(ans, m, kp->rtx_pt, kp->rtx_rtpmap->encoding,
				    kp->rtx_rtpmap->clock, kp->rtx_rtpmap->channels) != 0 ||
		     sdp_add_fmtp(ans, m, kp->rtx_pt, kp->rtx_fmtp) != 0))
			return -ENOMEM;
	}
	if (s->stream != NULL &&
	    sdp_add_stream_ssrcs(ans, m, s->stream, local->cname, has_rtx) != 0)
		return -ENOMEM;
	return 0;
}

static int answer_data_section(struct sdp *ans, const struct section *s,
			       const struct sdp_local *local, bool is_tagged, enum sdp_setup setup)
{
	const struct sdp_media *om = s->om;
	struct sdp_media *m =
	    sdp_local_section(ans, local, om->type, om->proto, false, is_tagged, setup, s->mid);
	uint16_t port = local->sctp_port != 0 ? local->sctp_port : SDP_DEFAULT_SCTP_PORT;

	if (m != NULL && s->is_legacy_sctp) {
		/* Answered in the form it was offered: our port as the format, and its sctpmap. */
		struct sdp_attr *a;

		if (sdp_media_add_fmt(ans, m, sdp_printf(ans, "%u", port)) != 0 ||
		    (a = sdp_add_attr(ans, m, SDP_ATTR_GENERIC)) == NULL)
			return -ENOMEM;
		a->u.generic.name = "sctpmap";
		a->u.generic.value = sdp_printf(ans, "%u webrtc-datachannel 1024", port);
		return a->u.generic.value != NULL ? 0 : -ENOMEM;
	}
	/* RFC 8841 §5.1, §6.1: the answerer's SCTP port and its message size limit. */
	if (m == NULL || sdp_media_add_fmt(ans, m, om->fmts[0]) != 0 ||
	    sdp_add_num(ans, m, SDP_ATTR_SCTP_PORT,
			local->sctp_port != 0 ? local->sctp_port : SDP_DEFAULT_SCTP_PORT) != 0 ||
	    sdp_add_num(ans, m, SDP_ATTR_MAX_MESSAGE_SIZE,
			local->max_message_size != 0 ? local->max_message_size
						     : SDP_DEFAULT_MAX_MESSAGE_SIZE) != 0)
		return -ENOMEM;
	return 0;
}

/* RFC 3264 §6: a rejected stream keeps its m= line with port 0 and the offered formats. */
static int answer_rejected(struct sdp *ans, const struct section *s)
{
	const struct sdp_media *om = s->om;
	struct sdp_media *m = sdp_add_media(ans, om->type, 0, om->proto);

	if (m == NULL || sdp_media_add_conn(ans, m, "IP4", "0.0.0.0") != 0)
		return -ENOMEM;
	for (unsigned i = 0; i < om->nb_fmts; i++) {
		if (sdp_media_add_fmt(ans, m, om->fmts[i]) != 0)
			return -ENOMEM;
	}
	if (s->mid != NULL && sdp_add_str(ans, m, SDP_ATTR_MID, s->mid) != 0)
		return -ENOMEM;
	return 0;
}

/* RFC 3264 §6.1 direction, intersected with the gateway's wish and its streams. */
static void answer_directions(struct section *secs, unsigned nb, const struct sdp *offer,
			      const struct sdp_local *local)
{
	bool is_used[256] = {false};

	for (unsigned i = 0; i < nb; i++) {
		struct section *s = &secs[i];

		if (!s->is_accepted || s->kind == 0)
			continue;
		enum sdp_direction off = sdp_media_direction(offer, s->om);
		enum sdp_direction want =
		    s->kind == SDP_KIND_AUDIO ? local->audio_dir : local->video_dir;
		const struct sdp_local_stream *pinned = NULL;

		for (unsigned k = 0; k < local->nb_streams && s->mid != NULL; k++) {
			if (local->streams[k].mid != NULL && local->streams[k].kind == s->kind &&
			    strcmp(local->streams[k].mid, s->mid) == 0)
				pinned = &local->streams[k];
		}
		if (pinned != NULL) {
			/* A section the gateway added for a stream it sends: only that. */
			s->stream = sdp_dir_recvs(off) ? pinned : NULL;
			s->dir = sdp_dir_of(s->stream != NULL, false);
			continue;
		}
		bool send = sdp_dir_recvs(off) && sdp_dir_sends(want);
		bool recv = sdp_dir_sends(off) && sdp_dir_recvs(want);

		if (send) {
			send = false;
			for (unsigned k = 0; k < local->nb_streams && k < 256; k++) {
				if (!is_used[k] && local->streams[k].mid == NULL &&
				    local->streams[k].kind == s->kind) {
					is_used[k] = true;
					s->stream = &local->streams[k];
					send = true;
					break;
				}
			}
		}
		s->dir = sdp_dir_of(send, recv);
	}
}

static int no_section_error(const struct section *secs, unsigned nb, char *err, size_t errlen)
{
	size_t used;

	sdp_neg_err(err, errlen, -EINVAL, "no media section can be accepted:");
	for (unsigned i = 0; err != NULL && i < nb; i++) {
		used = strlen(err);
		if (used + 1 >= errlen)
			break;
		snprintf(err + used, errlen - used, "%s m= section %u (mid %.16s): %s",
			 i == 0 ? "" : ";", i + 1, secs[i].mid != NULL ? secs[i].mid : "none",
			 secs[i].reason);
	}
	return -EINVAL;
}

int sdp_answer_create(const struct sdp *offer, const struct sdp_local *local, struct sdp **answer,
		      char *err, size_t errlen)
{
	const struct sdp_attr *bundle_attr = NULL, *a;
	struct section *secs = NULL, *tag = NULL;
	const char **mids = NULL;
	unsigned nb_mids = 0, pos = 0;
	enum sdp_setup setup = SDP_SETUP_PASSIVE;
	struct sdp *ans = NULL;
	int rc;

	*answer = NULL;
	if ((rc = sdp_local_check(local, err, errlen)) != 0)
		return rc;
	while ((a = sdp_attr_next(offer->attrs, offer->nb_attrs, &pos, SDP_ATTR_GROUP)) != NULL) {
		if (strcmp(a->u.group.semantics, "BUNDLE") == 0) {
			bundle_attr = a;
			break;
		}
	}
	if (bundle_attr == NULL)
		return sdp_neg_err(err, errlen, -EINVAL,
				   "offer has no a=group:BUNDLE; the WebRTC side requires BUNDLE "
				   "(RFC 8843, RFC 8829 §4.1.1 max-bundle)");
	rc = -ENOMEM;
	ans = sdp_local_description(local);
	secs = calloc(offer->nb_media ? offer->nb_media : 1, sizeof(*secs));
	mids = calloc(offer->nb_media ? offer->nb_media : 1, sizeof(*mids));
	if (ans == NULL || secs == NULL || mids == NULL) {
		sdp_neg_err(err, errlen, rc, "out of memory");
		goto fail;
	}
	for (unsigned i = 0; i < offer->nb_media; i++) {
		secs[i].om = &offer->media[i];
		if ((rc = classify(&secs[i], offer, &bundle_attr->u.group, local, ans, err,
				   errlen)) != 0)
			goto fail;
	}
	/* RFC 8843 §7.3.1: the offerer-tagged section is the first accepted one of the group. */
	for (unsigned g = 0; g < bundle_attr->u.group.nb_ids && tag == NULL; g++) {
		for (unsigned i = 0; i < offer->nb_media && tag == NULL; i++) {
			if (secs[i].is_accepted &&
			    strcmp(secs[i].mid, bundle_attr->u.group.ids[g]) == 0)
				tag = &secs[i];
		}
	}
	if (tag == NULL) {
		rc = no_section_error(secs, offer->nb_media, err, errlen);
		goto fail;
	}
	if ((rc = check_transport(offer, tag, err, errlen)) != 0 ||
	    (rc = answer_setup(offer, tag, local, &setup, err, errlen)) != 0)
		goto fail;
	answer_directions(secs, offer->nb_media, offer, local);

	rc = -ENOMEM;
	if (local->is_ice_lite && sdp_add_flag(ans, NULL, SDP_ATTR_ICE_LITE) != 0)
		goto nomem;
	/* RFC 8829 §5.3.1: ice-options only with what the offer had. */
	if (local->has_trickle && offer_has_trickle(offer) &&
	    sdp_add_str(ans, NULL, SDP_ATTR_ICE_OPTIONS, "trickle") != 0)
		goto nomem;
	/* RFC 8843 §7.3: accepted mids in the offer's group order, the tagged one first; each
	 * section once, whatever the offer's group repeats. */
	mids[nb_mids++] = tag->mid;
	tag->is_listed = true;
	for (unsigned g = 0; g < bundle_attr->u.group.nb_ids; g++) {
		for (unsigned i = 0; i < offer->nb_media; i++) {
			if (secs[i].is_accepted && !secs[i].is_listed &&
			    strcmp(secs[i].mid, bundle_attr->u.group.ids[g]) == 0) {
				secs[i].is_listed = true;
				mids[nb_mids++] = secs[i].mid;
			}
		}
	}
	if (sdp_add_bundle(ans, mids, nb_mids) != 0)
		goto nomem;
	if (local->is_extmap_allow_mixed && offer_has_attr(offer, SDP_ATTR_EXTMAP_ALLOW_MIXED) &&
	    sdp_add_flag(ans, NULL, SDP_ATTR_EXTMAP_ALLOW_MIXED) != 0)
		goto nomem;
	for (unsigned i = 0; i < offer->nb_media; i++) {
		const struct section *s = &secs[i];

		if (!s->is_accepted)
			rc = answer_rejected(ans, s);
		else if (s->kind == 0)
			rc = answer_data_section(ans, s, local, s == tag, setup);
		else
			rc = answer_rtp_section(ans, offer, s, local, s == tag, setup);
		if (rc != 0)
			goto nomem;
	}
	free(secs);
	free(mids);
	*answer = ans;
	return 0;
nomem:
	sdp_neg_err(err, errlen, rc, "out of memory");
fail:
	free(secs);
	free(mids);
	sdp_free(ans);
	return rc;
}
