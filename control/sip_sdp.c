/* SPDX-License-Identifier: MIT */
#include "sip_sdp.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <glib.h>

#include "log.h"
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

/* Every codec of an offer but telephone-event under sip.dtmf info; in an answer (ans) only
 * the chosen one and telephone-event (when the phone's SDP has it and we take it). */
static bool is_used(const struct sip_sdp_offer *st, const struct sip_sdp_answer *ans, unsigned i)
{
	if (ans == NULL)
		return (int)i != st->te || st->dtmf != PONTE_SIP_DTMF_INFO;
	return (int)i == ans->codec || (int)i == ans->te;
}

/* Offers number codecs as the browser did; answers as the phone's offer did. */
static int pt_of(const struct sip_sdp_offer *st, const struct sip_sdp_answer *ans, unsigned i)
{
	return ans == NULL ? st->codecs[i].browser_pt : st->codecs[i].phone_pt;
}

/* ---- SDES-SRTP (RFC 4568) ---- */

static bool is_savp(const char *proto)
{
	return strcmp(proto, "RTP/SAVP") == 0 || strcmp(proto, "RTP/SAVPF") == 0;
}

/* The suites sip.srtp_profiles allows, in its order, as crypto lines with tags 1..n and no
 * key yet. The schema admits only names sip_sdes.c knows. */
static unsigned allowed_suites(const struct ponte_config *cfg, struct sip_sdes_crypto *out)
{
	unsigned n = 0;

	if (cfg->sip.srtp == PONTE_SIP_SRTP_OFF)
		return 0;
	for (char **name = cfg->sip.srtp_profiles; *name != NULL && n < SIP_SDES_MAX_SUITES;
	     name++) {
		uint16_t profile = sip_sdes_suite_profile(*name);

		if (profile == PONTE_SRTP_NULL)
			continue;
		memset(&out[n], 0, sizeof(out[n]));
		out[n].tag = n + 1;
		out[n].key.profile = profile;
		n++;
	}
	return n;
}

/* What the a=crypto lines of a phone's audio section give against our suites. */
struct sdes_pick {
	struct sip_sdes_crypto phone; /* the line taken (its tag and key) */
	int ours; /* index of our line of the same suite; -1: no line taken */
	unsigned nb_lines; /* a=crypto lines seen */
	char why[SDP_ERR_LEN]; /* why each line was skipped, "a=crypto:TAG: reason; ..." */
};

/* tag: the line's tag as written, "?" when it has none that parses. */
static void add_reason(struct sdes_pick *pk, const char *tag, const char *reason)
{
	size_t len = strlen(pk->why);

	if (len < sizeof(pk->why) - 1)
		snprintf(pk->why + len, sizeof(pk->why) - len, "%sa=crypto:%s: %s",
			 len > 0 ? "; " : "", tag, reason);
}

/*
 * The phone's a=crypto lines reach pick_crypto() as generic attributes of this name: the SDP
 * parser checks a=crypto's grammar and refuses the whole SDP for one line that breaks it, where
 * RFC 4568 §7.1.2 wants a line the answerer cannot use skipped, and the SDP refused only when
 * no line is usable. sip_sdes_parse_value() reads each one instead, grammar included.
 */
#define HIDDEN_CRYPTO "x-ponte-sdes-crypto"

/*
 * A copy of text (sip_sdp_text_free() it: it holds keys) with every "a=crypto:" line renamed
 * "a=" HIDDEN_CRYPTO ":", one line for one line, so that errors keep their line numbers.
 */
static char *hide_crypto(const char *text)
{
	static const char from[] = "a=crypto:", to[] = "a=" HIDDEN_CRYPTO ":";
	size_t from_len = sizeof(from) - 1, to_len = sizeof(to) - 1;
	size_t nb = 0, o = 0;
	char *out;

	/* Sized once: a growing buffer would leave copies of the keys in freed memory. */
	for (const char *p = text; p != NULL && *p != '\0'; p = strchr(p, '\n'), p = p ? p + 1 : p)
		nb += strncmp(p, from, from_len) == 0;
	out = g_malloc(strlen(text) + nb * (to_len - from_len) + 1);
	for (const char *p = text; *p != '\0';) {
		const char *eol = strchr(p, '\n');
		size_t n = eol != NULL ? (size_t)(eol - p) + 1 : strlen(p);

		if (strncmp(p, from, from_len) == 0) {
			memcpy(out + o, to, to_len);
			o += to_len;
			p += from_len;
			n -= from_len;
		}
		memcpy(out + o, p, n);
		o += n;
		p += n;
	}
	out[o] = '\0';
	return out;
}

/* The tag a=crypto value starts with, as written, when it is 1-9 digits; else "?". */
static void tag_of(const char *value, char *tag, size_t len)
{
	size_t n = value != NULL ? strspn(value, "0123456789") : 0;

	if (n == 0 || n > 9 || n >= len ||
	    (value[n] != ' ' && value[n] != '\t' && value[n] != '\0'))
		n = 0;
	if (n == 0)
		snprintf(tag, len, "?");
	else
		snprintf(tag, len, "%.*s", (int)n, value);
}

/*
 * RFC 4568 §7.1.2-3. An answer to our offer names one of our tags with its suite; an offer
 * lists the phone's lines, most preferred first. We cannot tell them apart here (the bridge
 * reads a phone's offer as it reads an answer), so: a line with one of our (tag, suite) pairs
 * first, else the first line of a suite we have. Skipped lines, malformed ones included, get
 * their reason in pk->why. m comes from hide_crypto()'s text.
 */
static void pick_crypto(const struct sdp_media *m, const struct sip_sdes_crypto *ours,
			unsigned nb_ours, struct sdes_pick *pk)
{
	struct sip_sdes_crypto line;
	const struct sdp_attr *a;
	unsigned pos = 0;
	char why[128], tag[12];

	memset(pk, 0, sizeof(*pk));
	pk->ours = -1;
	while ((a = sdp_attr_next(m->attrs, m->nb_attrs, &pos, SDP_ATTR_GENERIC)) != NULL) {
		unsigned k;

		if (a->u.generic.name == NULL || strcmp(a->u.generic.name, HIDDEN_CRYPTO) != 0)
			continue;
		pk->nb_lines++;
		tag_of(a->u.generic.value, tag, sizeof(tag));
		if (a->u.generic.value == NULL) {
			add_reason(pk, tag, "no value");
			continue;
		}
		if (sip_sdes_parse_value(a->u.generic.value, &line, why, sizeof(why)) != 0) {
			add_reason(pk, tag, why);
			continue;
		}
		for (k = 0; k < nb_ours && ours[k].key.profile != line.key.profile; k++)
			;
		if (k == nb_ours) {
			snprintf(why, sizeof(why), "crypto-suite %s is not in sip.srtp_profiles",
				 sip_sdes_suite_name(line.key.profile));
			add_reason(pk, tag, why);
		} else if (ours[k].tag == line.tag || pk->ours < 0) {
			explicit_bzero(&pk->phone, sizeof(pk->phone));
			pk->phone = line;
			pk->ours = (int)k;
			if (ours[k].tag == line.tag)
				break;
		}
		explicit_bzero(&line, sizeof(line));
	}
	explicit_bzero(&line, sizeof(line));
}

/*
 * The SRTP verdict on a phone's audio section m (at line m->line) against our suites: 0 with
 * pk->ours >= 0 (SRTP) or < 0 (plain RTP), or -EINVAL with err. mode is sip.srtp.
 */
static int judge_srtp(int mode, const struct sdp_media *m, const struct sip_sdes_crypto *ours,
		      unsigned nb_ours, struct sdes_pick *pk, char *err, size_t errlen)
{
	bool is_secure = is_savp(m->proto);

	memset(pk, 0, sizeof(*pk));
	pk->ours = -1;
	if (mode == PONTE_SIP_SRTP_OFF) {
		/* Lines in an RTP/AVP section are best-effort SRTP (what we would do under
		 * sdes-optional): declining them is plain RTP. */
		if (is_secure)
			return sdp_neg_err(err, errlen, -EINVAL,
					   "line %u: audio over %s (SRTP), but sip.srtp is off",
					   m->line, m->proto);
		return 0;
	}
	pick_crypto(m, ours, nb_ours, pk);
	if (pk->ours >= 0) {
		if (pk->why[0] != '\0')
			log_debug("sip", "sdes: took a=crypto:%" PRIu32 " %s; skipped %s",
				  pk->phone.tag, sip_sdes_suite_name(pk->phone.key.profile),
				  pk->why);
		return 0;
	}
	if (pk->nb_lines == 0 && mode == PONTE_SIP_SRTP_MANDATORY)
		return sdp_neg_err(err, errlen, -EINVAL,
				   "line %u: no a=crypto: the phone offers no SRTP keys, and "
				   "sip.srtp is sdes-mandatory",
				   m->line);
	if (pk->nb_lines == 0 && is_secure)
		return sdp_neg_err(err, errlen, -EINVAL, "line %u: %s audio without a=crypto keys",
				   m->line, m->proto);
	if (pk->nb_lines > 0 && (is_secure || mode == PONTE_SIP_SRTP_MANDATORY))
		return sdp_neg_err(err, errlen, -EINVAL, "line %u: no usable a=crypto: %s", m->line,
				   pk->why);
	if (pk->nb_lines > 0)
		log_info("sip", "sdes: no usable a=crypto in RTP/AVP audio, plain RTP: %s",
			 pk->why);
	return 0;
}

static int add_crypto(struct sdp *sdp, struct sdp_media *m, uint32_t tag,
		      const struct ponte_srtp_key *key)
{
	char params[SIP_SDES_KEY_PARAMS_LEN];
	struct sdp_attr *a;
	int rc = sip_sdes_key_params(key, params, sizeof(params));

	if (rc == 0) {
		a = sdp_add_attr(sdp, m, SDP_ATTR_CRYPTO);
		rc = -ENOMEM;
		if (a != NULL) {
			a->u.crypto.tag = tag;
			a->u.crypto.suite = sip_sdes_suite_name(key->profile);
			/* The arena is wiped by sdp_free(). */
			a->u.crypto.key_params = sdp_strdup(sdp, params);
			rc = a->u.crypto.key_params != NULL ? 0 : -ENOMEM;
		}
	}
	explicit_bzero(params, sizeof(params));
	return rc;
}

void sip_sdp_offer_wipe(struct sip_sdp_offer *st)
{
	explicit_bzero(st->crypto, sizeof(st->crypto));
	st->nb_crypto = 0;
}

void sip_sdp_answer_wipe(struct sip_sdp_answer *ans)
{
	explicit_bzero(&ans->rx, sizeof(ans->rx));
	explicit_bzero(&ans->tx, sizeof(ans->tx));
}

void sip_sdp_text_free(char *text)
{
	if (text != NULL)
		explicit_bzero(text, strlen(text));
	g_free(text);
}

/* ---- printing ---- */

/*
 * An SDP with one audio section at addr:port carrying st's codecs (see is_used): RTP/AVP, or
 * RTP/SAVP for an sdes-mandatory offer or the answer to an RTP/SAVP offer; an offer carries all
 * our a=crypto lines, an answer the one line taken (ans->tx).
 */
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
	sdp->origin.sess_version = sdp_printf(sdp, "%u", st->version > 0 ? st->version : 1);
	sdp->origin.nettype = "IN";
	sdp->origin.addrtype = ip4;
	sdp->origin.address = sdp_strdup(sdp, addr);
	sdp->name = "ponte";
	if (sdp->origin.sess_version == NULL)
		goto out;
	sdp->times = sdp_alloc(sdp, sizeof(*sdp->times));
	if (sdp->times == NULL || sdp->origin.address == NULL)
		goto out;
	sdp->nb_times = 1;
	m = sdp_add_media(sdp, "audio", port,
			  (ans != NULL ? ans->is_savp && ans->tx.profile != PONTE_SRTP_NULL
				       : st->srtp == PONTE_SIP_SRTP_MANDATORY && st->nb_crypto > 0)
				  ? "RTP/SAVP"
				  : "RTP/AVP");
	if (m == NULL || sdp_media_add_conn(sdp, m, ip4, addr) != 0)
		goto out;
	for (unsigned i = 0; i < st->nb_codecs; i++)
		if (is_used(st, ans, i) && sdp_add_fmt_pt(sdp, m, pt_of(st, ans, i)) != 0)
			goto out;
	for (unsigned i = 0; i < st->nb_codecs; i++) {
		const struct sip_sdp_codec *c = &st->codecs[i];

		if (!is_used(st, ans, i))
			continue;
		if (sdp_add_rtpmap(sdp, m, pt_of(st, ans, i), c->name, c->clock, c->channels) != 0 ||
		    sdp_add_fmtp(sdp, m, pt_of(st, ans, i), c->fmtp[0] ? c->fmtp : NULL) != 0)
			goto out;
	}
	if (ans == NULL) {
		for (unsigned i = 0; i < st->nb_crypto; i++)
			if (add_crypto(sdp, m, st->crypto[i].tag, &st->crypto[i].key) != 0)
				goto out;
	} else if (ans->tx.profile != PONTE_SRTP_NULL &&
		   add_crypto(sdp, m, ans->crypto_tag, &ans->tx) != 0) {
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
	if (sdp_add_dir(sdp, m, st->dir) != 0)
		goto out;
	rc = sdp_print(sdp, 0, &printed, NULL);
	if (rc == 0) {
		*text = g_strdup(printed);
		/* It may hold our keys. */
		explicit_bzero(printed, strlen(printed));
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

	/* Wiped, not just cleared: a state made again may hold an earlier call's keys. */
	explicit_bzero(st, sizeof(*st));
	st->te = -1;
	st->srtp = cfg->sip.srtp;
	st->dtmf = cfg->sip.dtmf;
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
	/* One fresh key per suite we offer (RFC 4568 §6.1: ours protects what we send). */
	st->nb_crypto = allowed_suites(cfg, st->crypto);
	for (unsigned i = 0; i < st->nb_crypto; i++) {
		if (sip_sdes_key_new(st->crypto[i].key.profile, &st->crypto[i].key) != 0) {
			sip_sdp_offer_wipe(st);
			return sdp_neg_err(err, errlen, -EIO, "cannot make SRTP keys");
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
	char *hidden = hide_crypto(text);
	int rc = sdp_parse(hidden, strlen(hidden), &sdp, err, errlen);

	sip_sdp_text_free(hidden);
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
			/* DTMF by INFO: the phone's telephone-event is not used (nor answered). */
			if ((int)k == st->te && st->dtmf == PONTE_SIP_DTMF_INFO)
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
	if (m->port != 0) {
		struct sdes_pick pk;

		rc = judge_srtp(st->srtp, m, st->crypto, st->nb_crypto, &pk, err, errlen);
		if (rc == 0 && pk.ours >= 0) {
			ans->rx = pk.phone.key;
			ans->tx = st->crypto[pk.ours].key;
			ans->crypto_tag = pk.phone.tag;
			ans->is_savp = is_savp(m->proto);
		}
		explicit_bzero(&pk, sizeof(pk));
		if (rc != 0)
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
	int te = ans->te >= 0 || st->dtmf == PONTE_SIP_DTMF_RFC4733 ? ans->te : st->te;
	int idx[2] = {ans->codec, te};

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
	char *hidden = hide_crypto(text);
	int rc = sdp_parse(hidden, strlen(hidden), &sdp, err, errlen);

	sip_sdp_text_free(hidden);
	if (rc != 0)
		return -EINVAL;
	rc = -EINVAL;
	m = first_audio(sdp);
	if (m == NULL) {
		sdp_neg_err(err, errlen, -EINVAL, "no audio section with a port");
		goto out;
	}
	if (strcmp(m->proto, "RTP/AVP") != 0 && strcmp(m->proto, "RTP/AVPF") != 0 &&
	    !is_savp(m->proto)) {
		sdp_neg_err(err, errlen, -EINVAL,
			    "line %u: audio over %s: RTP/AVP or RTP/SAVP (SDES) only", m->line,
			    m->proto);
		goto out;
	}
	{
		struct sip_sdes_crypto ours[SIP_SDES_MAX_SUITES];
		unsigned nb_ours = allowed_suites(cfg, ours);
		struct sdes_pick pk;

		rc = judge_srtp(cfg->sip.srtp, m, ours, nb_ours, &pk, err, errlen);
		explicit_bzero(&pk, sizeof(pk));
		if (rc != 0)
			goto out;
		rc = -EINVAL;
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
