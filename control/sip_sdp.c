/* SPDX-License-Identifier: MIT */
#include "sip_sdp.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <glib.h>

#include "sdp_internal.h"

/* The browser's rtpmap for pt in m, or the static one (RFC 3551 §6). */
static const struct sdp_rtpmap *rtpmap_of(const struct sdp_media *m, int pt)
{
	const struct sdp_rtpmap *r = sdp_media_rtpmap(m, pt);

	return r != NULL ? r : sdp_static_rtpmap(pt);
}

static const struct sdp_media *first_audio(const struct sdp *sdp)
{
	for (unsigned i = 0; i < sdp->nb_media; i++)
		if (strcmp(sdp->media[i].type, "audio") == 0 && sdp->media[i].port != 0)
			return &sdp->media[i];
	return NULL;
}

static void add_codec(struct sip_sdp_offer *st, const struct sdp_media *m, int pt,
		      const struct sdp_rtpmap *r)
{
	struct sip_sdp_codec *c = &st->codecs[st->nb_codecs++];
	const char *fmtp = sdp_media_fmtp(m, pt);

	g_strlcpy(c->name, r->encoding, sizeof(c->name));
	c->clock = r->clock;
	c->channels = r->channels;
	g_strlcpy(c->fmtp, fmtp != NULL ? fmtp : "", sizeof(c->fmtp));
	c->browser_pt = pt;
	c->phone_pt = -1;
}

/* Every codec of an offer; in an answer (ans) only the chosen one and telephone-event. */
static bool is_used(const struct sip_sdp_answer *ans, unsigned i)
{
	return ans == NULL || (int)i == ans->codec || (int)i == ans->te;
}

/* Offers number codecs as the browser did; answers as the phone's offer did. */
static int pt_of(const struct sip_sdp_offer *st, const struct sip_sdp_answer *ans, unsigned i)
{
	return ans == NULL ? st->codecs[i].browser_pt : st->codecs[i].phone_pt;
}

/* An SDP with one RTP/AVP audio section at addr:port carrying st's codecs (see is_used). */
static int print_audio(const char *addr, uint16_t port, uint64_t sess_id,
		       const struct sip_sdp_offer *st, const struct sip_sdp_answer *ans, char **text)
{
	const char *ip4 = strchr(addr, ':') == NULL ? "IP4" : "IP6";
	struct sdp *sdp;
	struct sdp_media *m;
	char *printed = NULL;
	int rc = -ENOMEM;

	sdp = sdp_new();
	if (sdp == NULL)
		return -ENOMEM;
	sdp->origin.username = "ponte";
	sdp->origin.sess_id = sdp_printf(sdp, "%" PRIu64, sess_id);
	sdp->origin.sess_version = "1";
	sdp->origin.nettype = "IN";
	sdp->origin.addrtype = ip4;
	sdp->origin.address = sdp_strdup(sdp, addr);
	sdp->name = "ponte";
	sdp->times = sdp_alloc(sdp, sizeof(*sdp->times));
	if (sdp->times == NULL || sdp->origin.address == NULL)
		goto out;
	sdp->nb_times = 1;
	m = sdp_add_media(sdp, "audio", port, "RTP/AVP");
	if (m == NULL || sdp_media_add_conn(sdp, m, ip4, addr) != 0)
		goto out;
	for (unsigned i = 0; i < st->nb_codecs; i++)
		if (is_used(ans, i) && sdp_add_fmt_pt(sdp, m, pt_of(st, ans, i)) != 0)
			goto out;
	for (unsigned i = 0; i < st->nb_codecs; i++) {
		const struct sip_sdp_codec *c = &st->codecs[i];

		if (!is_used(ans, i))
			continue;
		if (sdp_add_rtpmap(sdp, m, pt_of(st, ans, i), c->name, c->clock, c->channels) != 0 ||
		    sdp_add_fmtp(sdp, m, pt_of(st, ans, i), c->fmtp[0] ? c->fmtp : NULL) != 0)
			goto out;
	}
	{
		/* RFC 4566 §6: 20 ms packets, what phones and browsers send by default. */
		struct sdp_attr *a = sdp_add_attr(sdp, m, SDP_ATTR_GENERIC);

		if (a == NULL)
			goto out;
		a->u.generic.name = "ptime";
		a->u.generic.value = "20";
	}
	if (sdp_add_dir(sdp, m, SDP_DIR_SENDRECV) != 0)
		goto out;
	rc = sdp_print(sdp, 0, &printed, NULL);
	if (rc == 0) {
		*text = g_strdup(printed);
		free(printed);
	}
out:
	sdp_free(sdp);
	return rc;
}

int sip_sdp_make_offer(const struct ponte_config *cfg, const struct sdp *browser_offer,
		       const char *addr, uint16_t port, uint64_t sess_id, char **text,
		       struct sip_sdp_offer *st, char *err, size_t errlen)
{
	const struct sdp_media *bm = first_audio(browser_offer);

	memset(st, 0, sizeof(*st));
	st->te = -1;
	if (bm == NULL)
		return sdp_neg_err(err, errlen, -EINVAL, "the offer has no audio section");
	/* sip.codecs order decides; the browser's payload types are kept. */
	for (char **want = cfg->sip.codecs; *want != NULL; want++) {
		for (unsigned i = 0; i < bm->nb_fmts && st->nb_codecs < SIP_SDP_MAX_CODECS - 1;
		     i++) {
			int pt = atoi(bm->fmts[i]);
			const struct sdp_rtpmap *r = rtpmap_of(bm, pt);

			if (r == NULL || strcasecmp(r->encoding, *want) != 0)
				continue;
			/* G722's RTP clock is 8000 (RFC 3551 §4.5.2); opus is 48000/2. */
			add_codec(st, bm, pt, r);
			break;
		}
	}
	if (st->nb_codecs == 0)
		return sdp_neg_err(err, errlen, -EINVAL,
				   "no audio codec of the offer is allowed on the SIP side "
				   "(sip.codecs)");
	for (unsigned i = 0; i < bm->nb_fmts; i++) {
		int pt = atoi(bm->fmts[i]);
		const struct sdp_rtpmap *r = rtpmap_of(bm, pt);

		if (r != NULL && strcasecmp(r->encoding, "telephone-event") == 0 &&
		    r->clock == 8000) {
			st->te = (int)st->nb_codecs;
			add_codec(st, bm, pt, r);
			break;
		}
	}

	return print_audio(addr, port, sess_id, st, NULL, text);
}

int sip_sdp_read_answer(const char *text, struct sip_sdp_offer *st, struct sip_sdp_answer *ans,
			char *err, size_t errlen)
{
	struct sdp *sdp = NULL;
	const struct sdp_media *m;
	const struct sdp_conn *c;
	const struct sdp_attr *rtcp;
	int rc = sdp_parse(text, strlen(text), &sdp, err, errlen);

	memset(ans, 0, sizeof(*ans));
	ans->codec = ans->te = -1;
	if (rc != 0)
		return -EINVAL;
	rc = -EINVAL;
	m = NULL;
	for (unsigned i = 0; i < sdp->nb_media && m == NULL; i++)
		if (strcmp(sdp->media[i].type, "audio") == 0)
			m = &sdp->media[i];
	if (m == NULL) {
		sdp_neg_err(err, errlen, -EINVAL, "the answer has no audio section");
		goto out;
	}
	c = m->nb_conns ? &m->conns[0] : sdp->conn;
	if (c == NULL || ponte_addr_parse(&ans->rtp, c->address, m->port) != 0) {
		sdp_neg_err(err, errlen, -EINVAL, "line %u: no usable c= address for audio", m->line);
		goto out;
	}
	ans->rtcp = ans->rtp;
	ans->rtcp.port = (uint16_t)(m->port + 1);
	rtcp = sdp_attr_find(m->attrs, m->nb_attrs, SDP_ATTR_RTCP);
	if (rtcp != NULL) {
		ans->rtcp.port = rtcp->u.rtcp.port;
		if (rtcp->u.rtcp.address != NULL)
			ponte_addr_parse(&ans->rtcp, rtcp->u.rtcp.address, rtcp->u.rtcp.port);
	}
	switch (sdp_media_direction(sdp, m)) {
	case SDP_DIR_SENDONLY:
		ans->is_sendonly = true;
		break;
	case SDP_DIR_RECVONLY:
		ans->is_recvonly = true;
		break;
	case SDP_DIR_INACTIVE:
		ans->is_inactive = true;
		break;
	default:
		break;
	}
	/* The phone's payload types, matched to what we offered by name and clock. */
	for (unsigned i = 0; i < m->nb_fmts; i++) {
		int pt = atoi(m->fmts[i]);
		const struct sdp_rtpmap *r = rtpmap_of(m, pt);

		for (unsigned k = 0; r != NULL && k < st->nb_codecs; k++) {
			struct sip_sdp_codec *cd = &st->codecs[k];

			if (strcasecmp(cd->name, r->encoding) != 0 || cd->clock != r->clock)
				continue;
			cd->phone_pt = pt;
			if ((int)k == st->te)
				ans->te = (int)k;
			else if (ans->codec < 0)
				ans->codec = (int)k;
		}
	}
	if (m->port != 0 && ans->codec < 0) {
		sdp_neg_err(err, errlen, -EINVAL,
			    "line %u: the answer picks no codec we offered", m->line);
		goto out;
	}
	rc = 0;
out:
	sdp_free(sdp);
	return rc;
}

unsigned sip_sdp_browser_codecs(const struct sip_sdp_offer *st, const struct sip_sdp_answer *ans,
				struct sdp_codec *table)
{
	unsigned n = 0;
	int idx[2] = {ans->codec, ans->te};

	for (unsigned i = 0; i < 2; i++) {
		const struct sip_sdp_codec *c;

		if (idx[i] < 0)
			continue;
		c = &st->codecs[idx[i]];
		table[n++] = (struct sdp_codec){
			.kind = SDP_KIND_AUDIO,
			.name = c->name,
			.clock = c->clock,
			.channels = c->channels,
			.fmtp = c->fmtp[0] ? c->fmtp : NULL,
			.pt = (uint8_t)c->browser_pt,
		};
	}
	return n;
}

int sip_sdp_make_answer(const struct sip_sdp_offer *st, const struct sip_sdp_answer *ans,
			const char *addr, uint16_t port, uint64_t sess_id, char **text)
{
	if (ans->codec < 0)
		return -EINVAL;
	return print_audio(addr, port, sess_id, st, ans, text);
}

int sip_sdp_check_offer(const struct ponte_config *cfg, const char *text, char *err,
			size_t errlen)
{
	struct sdp *sdp = NULL;
	const struct sdp_media *m;
	int rc = sdp_parse(text, strlen(text), &sdp, err, errlen);

	if (rc != 0)
		return -EINVAL;
	rc = -EINVAL;
	m = first_audio(sdp);
	if (m == NULL) {
		sdp_neg_err(err, errlen, -EINVAL, "no audio section with a port");
		goto out;
	}
	if (strcmp(m->proto, "RTP/AVP") != 0 && strcmp(m->proto, "RTP/AVPF") != 0) {
		sdp_neg_err(err, errlen, -EINVAL, "line %u: audio over %s: plain RTP/AVP only",
			    m->line, m->proto);
		goto out;
	}
	for (unsigned i = 0; i < m->nb_fmts; i++) {
		const struct sdp_rtpmap *r = rtpmap_of(m, atoi(m->fmts[i]));

		for (char **want = cfg->sip.codecs; r != NULL && *want != NULL; want++)
			if (strcasecmp(r->encoding, *want) == 0) {
				rc = 0;
				goto out;
			}
	}
	sdp_neg_err(err, errlen, -EINVAL, "line %u: no audio codec allowed by sip.codecs",
		    m->line);
out:
	sdp_free(sdp);
	return rc;
}
