/* SPDX-License-Identifier: MIT */
#include "sdp_reoffer.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sdp_internal.h"

/* Attributes of a template section that belong to its own stream, not to a copy. */
static bool is_stream_attr(enum sdp_attr_type t)
{
	switch (t) {
	case SDP_ATTR_MID:
	case SDP_ATTR_DIRECTION:
	case SDP_ATTR_MSID:
	case SDP_ATTR_SSRC:
	case SDP_ATTR_SSRC_GROUP:
	case SDP_ATTR_CANDIDATE:
	case SDP_ATTR_END_OF_CANDIDATES:
	case SDP_ATTR_BUNDLE_ONLY:
		return true;
	default:
		return false;
	}
}

/* Copy M's m= and c= lines and, unless skip(type), its attributes; a=setup becomes actpass. */
static struct sdp_media *copy_section(struct sdp *sdp, const struct sdp_media *m, uint16_t port,
				      bool (*skip)(enum sdp_attr_type))
{
	struct sdp_media *n = sdp_add_media(sdp, m->type, port, m->proto);

	if (n == NULL)
		return NULL;
	for (unsigned i = 0; i < m->nb_fmts; i++)
		if (sdp_media_add_fmt(sdp, n, m->fmts[i]) != 0)
			return NULL;
	for (unsigned i = 0; i < m->nb_conns; i++)
		if (sdp_media_add_conn(sdp, n, m->conns[i].addrtype, m->conns[i].address) != 0)
			return NULL;
	for (unsigned i = 0; i < m->nb_attrs; i++) {
		const struct sdp_attr *a = &m->attrs[i];

		if (skip != NULL && skip(a->type))
			continue;
		if (a->type == SDP_ATTR_SETUP) {
			struct sdp_attr *s = sdp_add_attr(sdp, n, SDP_ATTR_SETUP);

			if (s == NULL)
				return NULL;
			s->u.setup = SDP_SETUP_ACTPASS;
			continue;
		}
		if (sdp_copy_attr(sdp, n, a) != 0)
			return NULL;
	}
	return n;
}

static const struct sdp_media *template_of(const struct sdp *base, enum sdp_kind kind)
{
	const char *type = kind == SDP_KIND_AUDIO ? "audio" : "video";

	for (unsigned i = 0; i < base->nb_media; i++)
		if (base->media[i].port != 0 && strcmp(base->media[i].type, type) == 0)
			return &base->media[i];
	return NULL;
}

/* EXTRA's section, modelled on the first accepted base section of its kind. */
static int add_extra(struct sdp *sdp, const struct sdp *base, const struct sdp_extra_stream *x,
		     uint16_t port, const char *cname, const char **mids, unsigned *nb_mids,
		     char *err, size_t errlen)
{
	const struct sdp_media *t = template_of(base, x->kind);
	struct sdp_media *n;
	bool has_rtx = false;

	if (t == NULL)
		return sdp_neg_err(err, errlen, -EINVAL, "no accepted %s section to model mid %s on",
				   x->kind == SDP_KIND_AUDIO ? "audio" : "video", x->mid);
	n = copy_section(sdp, t, x->is_active ? port : 0, is_stream_attr);
	if (n == NULL || sdp_add_str(sdp, n, SDP_ATTR_MID, x->mid) != 0 ||
	    sdp_add_dir(sdp, n, x->is_active ? SDP_DIR_SENDONLY : SDP_DIR_INACTIVE) != 0)
		return sdp_neg_err(err, errlen, -ENOMEM, "out of memory");
	if (!x->is_active)
		return 0;
	for (unsigned k = 0; k < t->nb_attrs; k++)
		if (t->attrs[k].type == SDP_ATTR_RTPMAP &&
		    strcasecmp(t->attrs[k].u.rtpmap.encoding, "rtx") == 0)
			has_rtx = true;
	if (sdp_add_msid(sdp, n, &x->stream) != 0 ||
	    sdp_add_stream_ssrcs(sdp, n, &x->stream, cname, has_rtx) != 0)
		return sdp_neg_err(err, errlen, -ENOMEM, "out of memory");
	mids[(*nb_mids)++] = x->mid;
	return 0;
}

static const struct sdp_extra_stream *extra_of(const struct sdp_extra_stream *extra, unsigned nb,
					       const char *mid)
{
	for (unsigned i = 0; mid != NULL && i < nb; i++)
		if (strcmp(extra[i].mid, mid) == 0)
			return &extra[i];
	return NULL;
}

int sdp_reoffer_create(const struct sdp *base, uint64_t version,
		       const struct sdp_extra_stream *extra, unsigned nb_extra, const char *cname,
		       struct sdp **offer, char *err, size_t errlen)
{
	struct sdp *sdp = sdp_new();
	const char **mids = NULL;
	unsigned nb_mids = 0;
	uint16_t port = 9;
	int rc;

	if (sdp == NULL)
		return -ENOMEM;
	/* RFC 8866 §5.2: same session id, a higher version. */
	sdp->origin = base->origin;
	sdp->origin.username = sdp_strdup(sdp, base->origin.username);
	sdp->origin.sess_id = sdp_strdup(sdp, base->origin.sess_id);
	sdp->origin.sess_version = sdp_printf(sdp, "%" PRIu64, version);
	sdp->origin.nettype = sdp_strdup(sdp, base->origin.nettype);
	sdp->origin.addrtype = sdp_strdup(sdp, base->origin.addrtype);
	sdp->origin.address = sdp_strdup(sdp, base->origin.address);
	sdp->name = sdp_strdup(sdp, base->name != NULL ? base->name : "-");
	sdp->times = sdp_alloc(sdp, sizeof(*sdp->times));
	if (sdp->times == NULL)
		goto nomem;
	sdp->nb_times = 1;
	mids = sdp_alloc(sdp, (base->nb_media + nb_extra) * sizeof(*mids) + 1);
	if (mids == NULL)
		goto nomem;
	for (unsigned i = 0; i < base->nb_attrs; i++)
		if (base->attrs[i].type != SDP_ATTR_GROUP &&
		    sdp_copy_attr(sdp, NULL, &base->attrs[i]) != 0)
			goto nomem;
	for (unsigned i = 0; i < base->nb_media && port == 9; i++)
		if (base->media[i].port != 0 && sdp_media_mid(&base->media[i]) != NULL)
			port = base->media[i].port;
	/* Sections are never removed or reordered: a stream whose section the base already has
	 * (the peer's own re-offer carried it back) is written in its place. */
	for (unsigned i = 0; i < base->nb_media; i++) {
		const struct sdp_media *m = &base->media[i];
		const char *mid = sdp_media_mid(m);
		const struct sdp_extra_stream *x = extra_of(extra, nb_extra, mid);

		if (x != NULL) {
			rc = add_extra(sdp, base, x, port, cname, mids, &nb_mids, err, errlen);
			if (rc != 0)
				goto fail;
			continue;
		}
		if (copy_section(sdp, m, m->port, NULL) == NULL)
			goto nomem;
		if (m->port != 0 && mid != NULL)
			mids[nb_mids++] = mid;
	}
	for (unsigned i = 0; i < nb_extra; i++) {
		bool is_in_base = false;

		for (unsigned j = 0; j < base->nb_media && !is_in_base; j++) {
			const char *mid = sdp_media_mid(&base->media[j]);

			is_in_base = mid != NULL && strcmp(mid, extra[i].mid) == 0;
		}
		if (is_in_base)
			continue;
		rc = add_extra(sdp, base, &extra[i], port, cname, mids, &nb_mids, err, errlen);
		if (rc != 0)
			goto fail;
	}
	if (sdp_add_bundle(sdp, mids, nb_mids) != 0)
		goto nomem;
	/* BUNDLE goes first among the session attributes, as in every browser's SDP. */
	if (sdp->nb_attrs > 1) {
		struct sdp_attr group = sdp->attrs[sdp->nb_attrs - 1];

		memmove(&sdp->attrs[1], &sdp->attrs[0], (sdp->nb_attrs - 1) * sizeof(group));
		sdp->attrs[0] = group;
	}
	*offer = sdp;
	return 0;
nomem:
	rc = sdp_neg_err(err, errlen, -ENOMEM, "out of memory");
fail:
	sdp_free(sdp);
	return rc;
}
