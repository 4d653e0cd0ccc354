/* SPDX-License-Identifier: MIT */
/*
 * Building descriptions from the gateway's own parameters (struct sdp_local): the pieces
 * answers (sdp_negotiate.c) and offers (sdp_offer.c) share, from the o= line to a section's
 * transport attributes and the gateway's SSRCs.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sdp_internal.h"

const struct sdp_fb_def sdp_fb_defs[] = {
    {"nack", NULL, SDP_FB_NACK},
    {"nack", "pli", SDP_FB_NACK_PLI},
    {"ccm", "fir", SDP_FB_CCM_FIR},
    {"goog-remb", NULL, SDP_FB_GOOG_REMB},
    {"transport-cc", NULL, SDP_FB_TRANSPORT_CC},
};
const unsigned sdp_nb_fb_defs = sizeof(sdp_fb_defs) / sizeof(sdp_fb_defs[0]);

int sdp_neg_err(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

bool sdp_dir_sends(enum sdp_direction d)
{
	return d == SDP_DIR_SENDRECV || d == SDP_DIR_SENDONLY;
}

bool sdp_dir_recvs(enum sdp_direction d)
{
	return d == SDP_DIR_SENDRECV || d == SDP_DIR_RECVONLY;
}

enum sdp_direction sdp_dir_of(bool send, bool recv)
{
	if (send)
		return recv ? SDP_DIR_SENDRECV : SDP_DIR_SENDONLY;
	return recv ? SDP_DIR_RECVONLY : SDP_DIR_INACTIVE;
}

/* The candidate that goes on the m= and c= lines: the first UDP one of component 1. */
static const struct sdp_candidate *default_candidate(const struct sdp_local *local)
{
	for (unsigned i = 0; i < local->nb_candidates; i++) {
		const struct sdp_candidate *c = &local->candidates[i];

		if (c->component == 1 && strcasecmp(c->transport, "udp") == 0)
			return c;
	}
	return NULL;
}

int sdp_local_check(const struct sdp_local *local, char *err, size_t errlen)
{
	if (local->ice_ufrag == NULL || local->ice_pwd == NULL || local->fingerprint == NULL ||
	    local->fingerprint_hash == NULL)
		return sdp_neg_err(err, errlen, -EINVAL,
				   "local parameters lack ICE credentials or the DTLS fingerprint");
	if (local->setup != SDP_SETUP_NONE && local->setup != SDP_SETUP_PASSIVE &&
	    local->setup != SDP_SETUP_ACTIVE)
		return sdp_neg_err(err, errlen, -EINVAL,
				   "local DTLS role must be active or passive");
	return 0;
}

struct sdp *sdp_local_description(const struct sdp_local *local)
{
	struct sdp *sdp = sdp_new();

	if (sdp == NULL)
		return NULL;
	/* RFC 8829 §5.2.1: "-", a random id, and a meaningless address not to leak ours. */
	sdp->origin.username = "-";
	sdp->origin.sess_id = sdp_printf(sdp, "%" PRIu64, local->session_id);
	sdp->origin.sess_version = sdp_printf(sdp, "%" PRIu64, local->session_version);
	sdp->origin.nettype = "IN";
	sdp->origin.addrtype = "IP4";
	sdp->origin.address = "0.0.0.0";
	sdp->name = "-";
	sdp->times = sdp_alloc(sdp, sizeof(*sdp->times));
	sdp->nb_times = 1;
	if (sdp->origin.sess_id == NULL || sdp->origin.sess_version == NULL || sdp->times == NULL) {
		sdp_free(sdp);
		return NULL;
	}
	return sdp;
}

int sdp_add_flag(struct sdp *sdp, struct sdp_media *m, enum sdp_attr_type type)
{
	return sdp_add_attr(sdp, m, type) != NULL ? 0 : -ENOMEM;
}

int sdp_add_str(struct sdp *sdp, struct sdp_media *m, enum sdp_attr_type type, const char *s)
{
	struct sdp_attr *a = sdp_add_attr(sdp, m, type);

	if (a == NULL || (a->u.str = sdp_strdup(sdp, s)) == NULL)
		return -ENOMEM;
	return 0;
}

int sdp_add_num(struct sdp *sdp, struct sdp_media *m, enum sdp_attr_type type, uint64_t n)
{
	struct sdp_attr *a = sdp_add_attr(sdp, m, type);

	if (a == NULL)
		return -ENOMEM;
	a->u.num = n;
	return 0;
}

int sdp_add_dir(struct sdp *sdp, struct sdp_media *m, enum sdp_direction dir)
{
	struct sdp_attr *a = sdp_add_attr(sdp, m, SDP_ATTR_DIRECTION);

	if (a == NULL)
		return -ENOMEM;
	a->u.dir = dir;
	return 0;
}

int sdp_add_bundle(struct sdp *sdp, const char *const *mids, unsigned nb)
{
	struct sdp_attr a = {.type = SDP_ATTR_GROUP};

	a.u.group.semantics = "BUNDLE";
	a.u.group.ids = (const char **)mids;
	a.u.group.nb_ids = nb;
	return sdp_copy_attr(sdp, NULL, &a);
}

/* The m= and c= lines, the transport attributes (ICE, DTLS; candidates in the tagged
 * section) and the mid. A bundle-only section gets port 0 (RFC 8843 §6). */
struct sdp_media *sdp_local_section(struct sdp *sdp, const struct sdp_local *local,
				    const char *type, const char *proto, bool is_bundle_only,
				    bool is_tagged, enum sdp_setup setup, const char *mid)
{
	const struct sdp_candidate *dc = default_candidate(local);
	uint16_t port = is_bundle_only ? 0 : dc != NULL ? dc->port : 9;
	const char *addr = dc != NULL && !is_bundle_only ? dc->address : "0.0.0.0";
	struct sdp_media *m = sdp_add_media(sdp, type, port, proto);
	struct sdp_attr *a;

	/* The default candidate's port and address (RFC 8829 §5.3.2); 9 and 0.0.0.0 when there
	 * is none (RFC 8838 §5.1). */
	if (m == NULL || sdp_media_add_conn(sdp, m, strchr(addr, ':') ? "IP6" : "IP4", addr) != 0)
		return NULL;
	if (is_tagged) {
		/* Candidates go in the tagged section only (RFC 8829 §5.3.2, bundled sections
		 * carry none). */
		for (unsigned i = 0; i < local->nb_candidates; i++) {
			struct sdp_attr c = {.type = SDP_ATTR_CANDIDATE};

			c.u.candidate = local->candidates[i];
			if (sdp_copy_attr(sdp, m, &c) != 0)
				return NULL;
		}
		if (local->is_gathering_complete &&
		    sdp_add_flag(sdp, m, SDP_ATTR_END_OF_CANDIDATES) != 0)
			return NULL;
	}
	/*
	 * ICE and DTLS attributes are repeated, with the same values, in every section: RFC
	 * 8843 §7.1.3 would have them in the tagged section only, but browsers check them per
	 * section (Chrome refuses a section without a=rtcp-mux when rtcpMuxPolicy is require)
	 * and send them everywhere themselves. Identical values keep the meaning unchanged.
	 */
	if (sdp_add_str(sdp, m, SDP_ATTR_ICE_UFRAG, local->ice_ufrag) != 0 ||
	    sdp_add_str(sdp, m, SDP_ATTR_ICE_PWD, local->ice_pwd) != 0)
		return NULL;
	if ((a = sdp_add_attr(sdp, m, SDP_ATTR_FINGERPRINT)) == NULL ||
	    (a->u.fingerprint.hash = sdp_strdup(sdp, local->fingerprint_hash)) == NULL ||
	    (a->u.fingerprint.value = sdp_strdup(sdp, local->fingerprint)) == NULL)
		return NULL;
	if ((a = sdp_add_attr(sdp, m, SDP_ATTR_SETUP)) == NULL)
		return NULL;
	a->u.setup = setup;
	if (mid != NULL && sdp_add_str(sdp, m, SDP_ATTR_MID, mid) != 0)
		return NULL;
	return m;
}

int sdp_add_extmap(struct sdp *sdp, struct sdp_media *m, uint16_t id, bool has_dir,
		   enum sdp_direction dir, const char *uri)
{
	struct sdp_attr *a = sdp_add_attr(sdp, m, SDP_ATTR_EXTMAP);

	if (a == NULL || (a->u.extmap.uri = sdp_strdup(sdp, uri)) == NULL)
		return -ENOMEM;
	a->u.extmap.id = id;
	a->u.extmap.has_dir = has_dir;
	a->u.extmap.dir = dir;
	return 0;
}

int sdp_add_msid(struct sdp *sdp, struct sdp_media *m, const struct sdp_local_stream *st)
{
	struct sdp_attr *a = sdp_add_attr(sdp, m, SDP_ATTR_MSID);

	if (a == NULL || (a->u.msid.id = sdp_strdup(sdp, st->stream_id)) == NULL)
		return -ENOMEM;
	if (st->track_id != NULL && (a->u.msid.appdata = sdp_strdup(sdp, st->track_id)) == NULL)
		return -ENOMEM;
	return 0;
}

int sdp_add_fmt_pt(struct sdp *sdp, struct sdp_media *m, int pt)
{
	const char *fmt = sdp_printf(sdp, "%d", pt);

	return fmt != NULL ? sdp_push_str(sdp, &m->fmts, &m->nb_fmts, fmt) : -ENOMEM;
}

int sdp_add_rtpmap(struct sdp *sdp, struct sdp_media *m, int pt, const char *encoding,
		   uint32_t clock, uint16_t channels)
{
	struct sdp_attr *a = sdp_add_attr(sdp, m, SDP_ATTR_RTPMAP);

	if (a == NULL || (a->u.rtpmap.encoding = sdp_strdup(sdp, encoding)) == NULL)
		return -ENOMEM;
	a->u.rtpmap.pt = (uint8_t)pt;
	a->u.rtpmap.clock = clock;
	a->u.rtpmap.channels = channels;
	return 0;
}

int sdp_add_fmtp(struct sdp *sdp, struct sdp_media *m, int pt, const char *params)
{
	struct sdp_attr *a;

	if (params == NULL)
		return 0;
	if ((a = sdp_add_attr(sdp, m, SDP_ATTR_FMTP)) == NULL ||
	    (a->u.fmtp.fmt = sdp_printf(sdp, "%d", pt)) == NULL ||
	    (a->u.fmtp.params = sdp_strdup(sdp, params)) == NULL)
		return -ENOMEM;
	a->u.fmtp.pt = pt;
	return 0;
}

int sdp_add_rtcp_fb(struct sdp *sdp, struct sdp_media *m, int pt, const struct sdp_fb_def *d)
{
	struct sdp_attr *a = sdp_add_attr(sdp, m, SDP_ATTR_RTCP_FB);

	if (a == NULL)
		return -ENOMEM;
	a->u.rtcp_fb.pt = pt;
	a->u.rtcp_fb.type = d->type;
	a->u.rtcp_fb.params = d->params;
	return 0;
}

static int sdp_add_ssrc(struct sdp *sdp, struct sdp_media *m, uint32_t ssrc, const char *cname)
{
	struct sdp_attr *a = sdp_add_attr(sdp, m, SDP_ATTR_SSRC);

	if (a == NULL || (a->u.ssrc.value = sdp_strdup(sdp, cname)) == NULL)
		return -ENOMEM;
	a->u.ssrc.id = ssrc;
	a->u.ssrc.attr = "cname";
	return 0;
}

/* RFC 5576 §4: the gateway's SSRCs, with the RTX one paired by ssrc-group:FID (RFC 4588 §8). */
int sdp_add_stream_ssrcs(struct sdp *sdp, struct sdp_media *m, const struct sdp_local_stream *st,
			 const char *cname, bool has_rtx)
{
	const char *name = cname != NULL ? cname : "ponte";
	bool is_fid = has_rtx && st->rtx_ssrc != 0;

	if (is_fid) {
		struct sdp_attr *a = sdp_add_attr(sdp, m, SDP_ATTR_SSRC_GROUP);

		if (a == NULL ||
		    (a->u.ssrc_group.ids = sdp_alloc(sdp, 2 * sizeof(uint32_t))) == NULL)
			return -ENOMEM;
		a->u.ssrc_group.semantics = "FID";
		a->u.ssrc_group.ids[0] = st->ssrc;
		a->u.ssrc_group.ids[1] = st->rtx_ssrc;
		a->u.ssrc_group.nb_ids = 2;
	}
	if (sdp_add_ssrc(sdp, m, st->ssrc, name) != 0)
		return -ENOMEM;
	if (is_fid && sdp_add_ssrc(sdp, m, st->rtx_ssrc, name) != 0)
		return -ENOMEM;
	return 0;
}
