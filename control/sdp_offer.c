/* SPDX-License-Identifier: MIT */
/*
 * The gateway's own offer (RFC 8829 §5.2.1): BUNDLE with max-bundle, the first section
 * carrying the transport and the others bundle-only (RFC 8843 §7.2).
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

static int check_codec_table(const struct sdp_local *local, char *err, size_t errlen)
{
	for (unsigned kind = SDP_KIND_AUDIO; kind <= SDP_KIND_VIDEO; kind++) {
		uint8_t used[MAX_PT] = {0};

		for (unsigned i = 0; i < local->nb_codecs; i++) {
			const struct sdp_codec *c = &local->codecs[i];

			if (c->kind != kind)
				continue;
			if (c->pt >= MAX_PT || used[c->pt] ||
			    (c->has_rtx &&
			     (c->rtx_pt >= MAX_PT || used[c->rtx_pt] || c->rtx_pt == c->pt)))
				return sdp_neg_err(err, errlen, -EINVAL,
						   "codec table: %s payload type %u or its rtx is "
						   "out of range or used twice",
						   c->name, c->pt);
			used[c->pt] = 1;
			if (c->has_rtx)
				used[c->rtx_pt] = 1;
		}
	}
	for (unsigned i = 0; i < local->nb_extmaps; i++) {
		uint16_t id = local->extmaps[i].id;

		for (unsigned j = 0; j < i; j++) {
			if (local->extmaps[j].id == id &&
			    (local->extmaps[j].kinds & local->extmaps[i].kinds))
				goto bad_extmap;
		}
		if (id == 0 || id == 15 || id > 255)
			goto bad_extmap;
	}
	return 0;
bad_extmap:
	return sdp_neg_err(err, errlen, -EINVAL,
			   "header extension table: an id is out of 1-14, 16-255 or used twice");
}

static int offer_rtp_section(struct sdp *sdp, const struct sdp_local *local, enum sdp_kind kind,
			     const char *mid, bool is_first, const struct sdp_local_stream *st)
{
	struct sdp_media *m =
	    sdp_local_section(sdp, local, kind == SDP_KIND_AUDIO ? "audio" : "video",
			      "UDP/TLS/RTP/SAVPF", !is_first, is_first, SDP_SETUP_ACTPASS, mid);
	enum sdp_direction want = kind == SDP_KIND_AUDIO ? local->audio_dir : local->video_dir;
	bool has_rtx = false;

	if (m == NULL)
		return -ENOMEM;
	for (unsigned i = 0; i < local->nb_codecs; i++) {
		const struct sdp_codec *c = &local->codecs[i];

		if (c->kind != kind)
			continue;
		if (sdp_add_fmt_pt(sdp, m, c->pt) != 0)
			return -ENOMEM;
		if (c->has_rtx) {
			has_rtx = true;
			if (sdp_add_fmt_pt(sdp, m, c->rtx_pt) != 0)
				return -ENOMEM;
		}
	}
	if (!is_first && sdp_add_flag(sdp, m, SDP_ATTR_BUNDLE_ONLY) != 0)
		return -ENOMEM;
	for (unsigned i = 0; i < local->nb_extmaps; i++) {
		const struct sdp_local_extmap *e = &local->extmaps[i];

		if ((e->kinds & kind) && sdp_add_extmap(sdp, m, e->id, false, 0, e->uri) != 0)
			return -ENOMEM;
	}
	if (sdp_add_dir(sdp, m,
			sdp_dir_of(sdp_dir_sends(want) && st != NULL, sdp_dir_recvs(want))) != 0)
		return -ENOMEM;
	if (st != NULL && sdp_dir_sends(want) && sdp_add_msid(sdp, m, st) != 0)
		return -ENOMEM;
	if (sdp_add_flag(sdp, m, SDP_ATTR_RTCP_MUX) != 0 ||
	    sdp_add_flag(sdp, m, SDP_ATTR_RTCP_RSIZE) != 0)
		return -ENOMEM;
	for (unsigned i = 0; i < local->nb_codecs; i++) {
		const struct sdp_codec *c = &local->codecs[i];
		char apt[16];

		if (c->kind != kind)
			continue;
		if (sdp_add_rtpmap(sdp, m, c->pt, c->name, c->clock, c->channels) != 0)
			return -ENOMEM;
		for (unsigned f = 0; f < sdp_nb_fb_defs; f++) {
			if ((c->rtcp_fb & sdp_fb_defs[f].bit) &&
			    sdp_add_rtcp_fb(sdp, m, c->pt, &sdp_fb_defs[f]) != 0)
				return -ENOMEM;
		}
		if (sdp_add_fmtp(sdp, m, c->pt, c->fmtp) != 0)
			return -ENOMEM;
		if (!c->has_rtx)
			continue;
		snprintf(apt, sizeof(apt), "apt=%u", c->pt);
		if (sdp_add_rtpmap(sdp, m, c->rtx_pt, "rtx", c->clock, 0) != 0 ||
		    sdp_add_fmtp(sdp, m, c->rtx_pt, apt) != 0)
			return -ENOMEM;
	}
	if (st != NULL && sdp_dir_sends(want) &&
	    sdp_add_stream_ssrcs(sdp, m, st, local->cname, has_rtx) != 0)
		return -ENOMEM;
	return 0;
}

static const struct sdp_local_stream *first_stream(const struct sdp_local *local,
						   enum sdp_kind kind)
{
	for (unsigned i = 0; i < local->nb_streams; i++) {
		if (local->streams[i].kind == kind)
			return &local->streams[i];
	}
	return NULL;
}

int sdp_offer_create(const struct sdp_local *local, struct sdp **offer, char *err, size_t errlen)
{
	static const char *const mid_names[] = {"0", "1", "2"};
	bool has_kind[3] = {false};
	const char *mids[3];
	unsigned nb_mids = 0;
	struct sdp *sdp;
	int rc;

	*offer = NULL;
	if ((rc = sdp_local_check(local, err, errlen)) != 0 ||
	    (rc = check_codec_table(local, err, errlen)) != 0)
		return rc;
	for (unsigned i = 0; i < local->nb_codecs; i++) {
		if (local->codecs[i].kind == SDP_KIND_AUDIO ||
		    local->codecs[i].kind == SDP_KIND_VIDEO)
			has_kind[local->codecs[i].kind] = true;
	}
	/* Audio, video, data, numbered in that order. */
	for (unsigned i = 0; i < 3; i++) {
		if (i < 2 ? has_kind[SDP_KIND_AUDIO + i] : local->has_datachannel) {
			mids[nb_mids] = mid_names[nb_mids];
			nb_mids++;
		}
	}
	if (nb_mids == 0)
		return sdp_neg_err(err, errlen, -EINVAL,
				   "nothing to offer: no codec, no data channel");
	if ((sdp = sdp_local_description(local)) == NULL)
		goto nomem;
	rc = -ENOMEM;
	if (local->is_ice_lite && sdp_add_flag(sdp, NULL, SDP_ATTR_ICE_LITE) != 0)
		goto nomem;
	if (local->has_trickle && sdp_add_str(sdp, NULL, SDP_ATTR_ICE_OPTIONS, "trickle") != 0)
		goto nomem;
	if (sdp_add_bundle(sdp, mids, nb_mids) != 0)
		goto nomem;
	if (local->is_extmap_allow_mixed &&
	    sdp_add_flag(sdp, NULL, SDP_ATTR_EXTMAP_ALLOW_MIXED) != 0)
		goto nomem;
	unsigned n = 0;

	for (enum sdp_kind kind = SDP_KIND_AUDIO; kind <= SDP_KIND_VIDEO; kind++) {
		if (!has_kind[kind])
			continue;
		if (offer_rtp_section(sdp, local, kind, mids[n], n == 0,
				      first_stream(local, kind)) != 0)
			goto nomem;
		n++;
	}
	if (local->has_datachannel) {
		struct sdp_media *m = sdp_local_section(sdp, local, "application", "UDP/DTLS/SCTP",
							n != 0, n == 0, SDP_SETUP_ACTPASS, mids[n]);

		if (m == NULL || sdp_media_add_fmt(sdp, m, "webrtc-datachannel") != 0 ||
		    (n != 0 && sdp_add_flag(sdp, m, SDP_ATTR_BUNDLE_ONLY) != 0) ||
		    sdp_add_num(sdp, m, SDP_ATTR_SCTP_PORT,
				local->sctp_port != 0 ? local->sctp_port : SDP_DEFAULT_SCTP_PORT) !=
			0 ||
		    sdp_add_num(sdp, m, SDP_ATTR_MAX_MESSAGE_SIZE,
				local->max_message_size != 0 ? local->max_message_size
							     : SDP_DEFAULT_MAX_MESSAGE_SIZE) != 0)
			goto nomem;
	}
	*offer = sdp;
	return 0;
nomem:
	sdp_free(sdp);
	return sdp_neg_err(err, errlen, -ENOMEM, "out of memory");
}
