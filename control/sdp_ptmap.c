/* SPDX-License-Identifier: MIT */
#include "sdp_ptmap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ponte/flow.h>

static const struct sdp_media *section_of(const struct sdp *sdp, enum sdp_kind kind)
{
	const char *type = kind == SDP_KIND_AUDIO ? "audio" : "video";

	for (unsigned i = 0; i < sdp->nb_media; i++)
		if (sdp->media[i].port != 0 && strcmp(sdp->media[i].type, type) == 0)
			return &sdp->media[i];
	return NULL;
}

static void param(const struct sdp_media *m, int pt, const char *name, char *buf, size_t len)
{
	const char *fmtp = sdp_media_fmtp(m, pt);

	buf[0] = '\0';
	if (fmtp == NULL || !sdp_fmtp_param(fmtp, name, buf, len))
		buf[0] = '\0';
}

/* The same codec for forwarding: what the receiver decodes is what the sender encodes. */
static bool same_codec(const struct sdp_media *a, const struct sdp_rtpmap *ra,
		       const struct sdp_media *b, const struct sdp_rtpmap *rb)
{
	char x[32], y[32];

	if (strcasecmp(ra->encoding, rb->encoding) != 0 || ra->clock != rb->clock ||
	    (ra->channels ? ra->channels : 1) != (rb->channels ? rb->channels : 1))
		return false;
	if (strcasecmp(ra->encoding, "H264") == 0) {
		int pa, la, pb, lb;

		/* RFC 6184 §8.1: packetization-mode absent means 0. */
		param(a, ra->pt, "packetization-mode", x, sizeof(x));
		param(b, rb->pt, "packetization-mode", y, sizeof(y));
		if (atoi(x) != atoi(y))
			return false;
		param(a, ra->pt, "profile-level-id", x, sizeof(x));
		param(b, rb->pt, "profile-level-id", y, sizeof(y));
		if (sdp_h264_profile_level(x[0] ? x : "42001f", &pa, &la) != 0 ||
		    sdp_h264_profile_level(y[0] ? y : "42001f", &pb, &lb) != 0 || pa != pb)
			return false;
	} else if (strcasecmp(ra->encoding, "VP9") == 0) {
		param(a, ra->pt, "profile-id", x, sizeof(x));
		param(b, rb->pt, "profile-id", y, sizeof(y));
		if (atoi(x) != atoi(y))
			return false;
	}
	return true;
}

static int apt_of(const struct sdp_media *m, int pt)
{
	char buf[8];

	param(m, pt, "apt", buf, sizeof(buf));
	return buf[0] ? atoi(buf) : -1;
}

unsigned sdp_pt_map(const struct sdp *from, const struct sdp *to, enum sdp_kind kind,
		    uint8_t map[128])
{
	const struct sdp_media *a = section_of(from, kind), *b = section_of(to, kind);
	unsigned n = 0;

	if (a == NULL)
		return 0;
	/* Codecs first, then the RTX types that follow them. */
	for (int pass = 0; pass < 2; pass++) {
		for (unsigned i = 0; i < a->nb_fmts; i++) {
			int pt = atoi(a->fmts[i]);
			const struct sdp_rtpmap *ra = sdp_media_rtpmap(a, pt);
			bool is_rtx;

			if (ra == NULL)
				ra = sdp_static_rtpmap(pt);
			if (ra == NULL || pt < 0 || pt > 127)
				continue;
			is_rtx = strcasecmp(ra->encoding, "rtx") == 0;
			if (is_rtx != (pass == 1))
				continue;
			map[pt] = PONTE_PT_DROP;
			for (unsigned j = 0; b != NULL && j < b->nb_fmts; j++) {
				int qt = atoi(b->fmts[j]);
				const struct sdp_rtpmap *rb = sdp_media_rtpmap(b, qt);

				if (rb == NULL)
					rb = sdp_static_rtpmap(qt);
				if (rb == NULL || qt < 0 || qt > 127)
					continue;
				if (is_rtx ? strcasecmp(rb->encoding, "rtx") == 0 &&
						     apt_of(a, pt) >= 0 &&
						     map[apt_of(a, pt) & 0x7f] == apt_of(b, qt)
					   : same_codec(a, ra, b, rb)) {
					map[pt] = (uint8_t)qt;
					n++;
					break;
				}
			}
		}
	}
	return n;
}
