/* SPDX-License-Identifier: MIT */
/*
 * SDP parsing (RFC 8866 §5, §9): lines, their order, their limits; attributes go through the
 * table in sdp_attr.c. The input is hostile: every index is bounded by the text's length, and
 * every count by the limits of sdp.h, before anything is stored.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sdp_internal.h"

struct parser {
	struct sdp_parse_ctx ctx;
	int rank;	/* order rank of the last line at this level; -1 before the first */
	char last_type; /* the type letter of the last line */
	bool seen[SDP_ATTR_NB_TYPES];	    /* SINGLE attributes given at this level */
	uint8_t pt_rtpmap[16], pt_fmtp[16]; /* payload types with an a=rtpmap / a=fmtp here */
	uint8_t extmap_ids[4352 / 8];	    /* extmap ids given at this level */
};

static int vset_err(struct sdp_parse_ctx *ctx, const char *prefix, const char *fmt, va_list ap)
{
	int n;

	if (ctx->err == NULL || ctx->errlen == 0)
		return 0;
	n = snprintf(ctx->err, ctx->errlen, "line %u: %s", ctx->line, prefix);
	if (n >= 0 && (size_t)n < ctx->errlen)
		vsnprintf(ctx->err + n, ctx->errlen - (size_t)n, fmt, ap);
	return 0;
}

int sdp_attr_err(struct sdp_parse_ctx *ctx, int rc, const char *fmt, ...)
{
	char prefix[48];
	va_list ap;

	snprintf(prefix, sizeof(prefix), "a=%.32s: ", ctx->attr_name);
	va_start(ap, fmt);
	vset_err(ctx, prefix, fmt, ap);
	va_end(ap);
	return rc;
}

static int perr(struct parser *p, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int perr(struct parser *p, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vset_err(&p->ctx, "", fmt, ap);
	va_end(ap);
	return rc;
}

static bool bit_test_set(uint8_t *bits, unsigned i)
{
	bool was = bits[i / 8] & (1u << (i % 8));

	bits[i / 8] |= (uint8_t)(1u << (i % 8));
	return was;
}

/* proto = token *("/" token) (RFC 8866 §9) */
static bool is_proto(const char *s)
{
	char part[64];

	for (;;) {
		size_t n = strcspn(s, "/");

		if (n == 0 || n >= sizeof(part))
			return false;
		memcpy(part, s, n);
		part[n] = '\0';
		if (!sdp_is_token(part))
			return false;
		if (s[n] == '\0')
			return true;
		s += n + 1;
	}
}

/* A field with no spaces and at least one character. */
static bool is_word(const char *s)
{
	return s != NULL && *s != '\0' && strchr(s, ' ') == NULL;
}

/* --- Lines other than a= and m= --- */

static int parse_v(struct parser *p, char *value)
{
	if (strcmp(value, "0") != 0)
		return perr(p, -EINVAL, "v=: version must be 0");
	return 0;
}

static int parse_o(struct parser *p, char *value)
{
	struct sdp_origin *o = &p->ctx.sdp->origin;
	char *cur = value;
	char *f[6];

	for (unsigned i = 0; i < 6; i++)
		f[i] = cur != NULL ? sdp_next_field(&cur) : NULL;
	if (!is_word(f[0]) || f[5] == NULL || !is_word(f[5]) || cur != NULL)
		return perr(p, -EINVAL,
			    "o=: expected '<username> <sess-id> <sess-version> <nettype> "
			    "<addrtype> <address>'");
	/* The ids are numeric strings (RFC 8866 §5.2), kept as text: any number of digits. */
	for (unsigned i = 1; i <= 2; i++) {
		if (*f[i] == '\0' || strlen(f[i]) > 64 ||
		    strspn(f[i], "0123456789") != strlen(f[i]))
			return perr(p, -EINVAL, "o=: sess-id and sess-version must be 1-64 digits");
	}
	if (!sdp_is_token(f[3]) || !sdp_is_token(f[4]))
		return perr(p, -EINVAL, "o=: nettype and addrtype must be tokens");
	o->username = f[0];
	o->sess_id = f[1];
	o->sess_version = f[2];
	o->nettype = f[3];
	o->addrtype = f[4];
	o->address = f[5];
	return 0;
}

static int parse_s(struct parser *p, char *value)
{
	p->ctx.sdp->name = value;
	return 0;
}

static int parse_i(struct parser *p, char *value)
{
	if (p->ctx.m != NULL)
		p->ctx.m->info = value;
	else
		p->ctx.sdp->info = value;
	return 0;
}

static int parse_u(struct parser *p, char *value)
{
	p->ctx.sdp->uri = value;
	return 0;
}

static int parse_e_p(struct parser *p, char *value)
{
	struct sdp *sdp = p->ctx.sdp;
	bool is_e = p->last_type == 'e';
	const char ***list = is_e ? &sdp->emails : &sdp->phones;
	unsigned *nb = is_e ? &sdp->nb_emails : &sdp->nb_phones;

	if (*value == '\0')
		return perr(p, -EINVAL, "%c=: empty", p->last_type);
	if (*nb == SDP_MAX_LINES)
		return perr(p, -E2BIG, "more than %d %c= lines", SDP_MAX_LINES, p->last_type);
	return sdp_push_str(sdp, list, nb, value);
}

static int parse_conn(struct parser *p, char *value, struct sdp_conn *c)
{
	char *cur = value;

	c->nettype = sdp_next_field(&cur);
	c->addrtype = cur != NULL ? sdp_next_field(&cur) : NULL;
	c->address = cur;
	if (!sdp_is_token(c->nettype) || c->addrtype == NULL || !sdp_is_token(c->addrtype) ||
	    !is_word(c->address))
		return perr(p, -EINVAL, "c=: expected '<nettype> <addrtype> <connection-address>'");
	return 0;
}

static int parse_c(struct parser *p, char *value)
{
	struct sdp *sdp = p->ctx.sdp;
	struct sdp_media *m = p->ctx.m;

	if (m == NULL) {
		sdp->conn = sdp_alloc(sdp, sizeof(*sdp->conn));
		return sdp->conn != NULL ? parse_conn(p, value, sdp->conn) : -ENOMEM;
	}
	if (m->nb_conns == SDP_MAX_LINES)
		return perr(p, -E2BIG, "more than %d c= lines in a media section", SDP_MAX_LINES);
	struct sdp_conn *c = sdp_grow(sdp, m->conns, m->nb_conns, sizeof(*c));

	if (c == NULL)
		return -ENOMEM;
	m->conns = c;
	return parse_conn(p, value, &c[m->nb_conns++]);
}

static int parse_b(struct parser *p, char *value)
{
	struct sdp *sdp = p->ctx.sdp;
	struct sdp_bw **bws = p->ctx.m != NULL ? &p->ctx.m->bws : &sdp->bws;
	unsigned *nb = p->ctx.m != NULL ? &p->ctx.m->nb_bws : &sdp->nb_bws;
	char *colon = strchr(value, ':');
	uint64_t n;

	if (*nb == SDP_MAX_LINES)
		return perr(p, -E2BIG, "more than %d b= lines", SDP_MAX_LINES);
	if (colon == NULL)
		return perr(p, -EINVAL, "b=: expected '<bwtype>:<bandwidth>'");
	*colon = '\0';
	if (!sdp_is_token(value))
		return perr(p, -EINVAL, "b=: bwtype is not a token");
	if (!sdp_parse_uint(colon + 1, UINT64_MAX, &n))
		return perr(p, -EINVAL, "b=: bandwidth is not a number");
	struct sdp_bw *bw = sdp_grow(sdp, *bws, *nb, sizeof(*bw));

	if (bw == NULL)
		return -ENOMEM;
	bw[*nb].type = value;
	bw[*nb].value = n;
	(*nb)++;
	*bws = bw;
	return 0;
}

static int parse_t(struct parser *p, char *value)
{
	struct sdp *sdp = p->ctx.sdp;
	char *cur = value;
	char *start = sdp_next_field(&cur);
	uint64_t t0, t1;

	if (sdp->nb_times == SDP_MAX_LINES)
		return perr(p, -E2BIG, "more than %d t= lines", SDP_MAX_LINES);
	if (cur == NULL || !sdp_parse_uint(start, UINT64_MAX, &t0) ||
	    !sdp_parse_uint(cur, UINT64_MAX, &t1))
		return perr(p, -EINVAL, "t=: expected '<start-time> <stop-time>' in decimal");
	struct sdp_time *t = sdp_grow(sdp, sdp->times, sdp->nb_times, sizeof(*t));

	if (t == NULL)
		return -ENOMEM;
	memset(&t[sdp->nb_times], 0, sizeof(*t));
	t[sdp->nb_times].start = t0;
	t[sdp->nb_times].stop = t1;
	sdp->nb_times++;
	sdp->times = t;
	return 0;
}

static int parse_r(struct parser *p, char *value)
{
	struct sdp *sdp = p->ctx.sdp;
	struct sdp_time *t = &sdp->times[sdp->nb_times - 1];

	if (*value == '\0')
		return perr(p, -EINVAL, "r=: empty");
	if (t->nb_repeats == SDP_MAX_LINES)
		return perr(p, -E2BIG, "more than %d r= lines after one t=", SDP_MAX_LINES);
	return sdp_push_str(sdp, &t->repeats, &t->nb_repeats, value);
}

static int parse_z(struct parser *p, char *value)
{
	if (*value == '\0')
		return perr(p, -EINVAL, "z=: empty");
	p->ctx.sdp->zone = value;
	return 0;
}

static int parse_k(struct parser *p, char *value)
{
	/* k= is obsolete (RFC 8866 §5.12) and may carry a key: kept, never quoted. */
	if (p->ctx.m != NULL)
		p->ctx.m->key = value;
	else
		p->ctx.sdp->key = value;
	return 0;
}

/* --- m= (RFC 8866 §5.14) --- */

static int parse_m(struct parser *p, char *value)
{
	struct sdp *sdp = p->ctx.sdp;
	char *cur = value;
	char *type = sdp_next_field(&cur);
	char *port = cur != NULL ? sdp_next_field(&cur) : NULL;
	char *proto = cur != NULL ? sdp_next_field(&cur) : NULL;
	uint64_t n;

	if (sdp->nb_media == SDP_MAX_MEDIA)
		return perr(p, -E2BIG, "more than %d m= sections", SDP_MAX_MEDIA);
	if (!sdp_is_token(type) || port == NULL || proto == NULL || cur == NULL)
		return perr(p, -EINVAL, "m=: expected '<media> <port> <proto> <fmt> ...'");
	char *nb_ports = strchr(port, '/');

	if (nb_ports != NULL)
		*nb_ports++ = '\0';
	if (!sdp_parse_uint(port, 65535, &n))
		return perr(p, -EINVAL, "m=: port is not a number in 0-65535");
	if (!is_proto(proto))
		return perr(p, -EINVAL, "m=: proto is not token/token...");
	struct sdp_media *m = sdp_add_media(sdp, type, (uint16_t)n, proto);

	if (m == NULL)
		return -ENOMEM;
	m->line = p->ctx.line;
	if (nb_ports != NULL) {
		if (!sdp_parse_uint(nb_ports, 65535, &n) || n == 0)
			return perr(p, -EINVAL, "m=: number of ports is not in 1-65535");
		m->nb_ports = (uint16_t)n;
	}
	p->ctx.m = m;
	p->ctx.is_rtp = sdp_proto_is_rtp(proto);

	uint8_t pts[16] = {0};

	while (cur != NULL) {
		char *fmt = sdp_next_field(&cur);

		if (m->nb_fmts == SDP_MAX_FMTS)
			return perr(p, -E2BIG, "m=: more than %d formats", SDP_MAX_FMTS);
		if (!sdp_is_token(fmt))
			return perr(p, -EINVAL, "m=: format %u is not a token", m->nb_fmts + 1);
		if (p->ctx.is_rtp) {
			if (strlen(fmt) > 10 || !sdp_parse_uint(fmt, UINT64_MAX, &n))
				return perr(p, -EINVAL, "m=: payload type '%.16s' is not a number",
					    fmt);
			if (n > 127)
				return perr(p, -EINVAL,
					    "m=: payload type %" PRIu64 " out of range (0-127)", n);
			if (bit_test_set(pts, (unsigned)n))
				return perr(p, -EINVAL, "m=: payload type %" PRIu64 " listed twice",
					    n);
		}
		if (sdp_push_str(sdp, &m->fmts, &m->nb_fmts, fmt) != 0)
			return -ENOMEM;
	}
	return 0;
}

/* --- a= (RFC 8866 §5.13) --- */

static const char *level_name(const struct parser *p)
{
	return p->ctx.m != NULL ? "a media section" : "the session";
}

static int parse_a(struct parser *p, char *value)
{
	struct sdp *sdp = p->ctx.sdp;
	struct sdp_media *m = p->ctx.m;
	unsigned nb = m != NULL ? m->nb_attrs : sdp->nb_attrs;
	char *colon = strchr(value, ':');
	size_t name_len = colon != NULL ? (size_t)(colon - value) : strlen(value);
	char name[64];

	if (nb == SDP_MAX_ATTRS)
		return perr(p, -E2BIG, "more than %d attributes in %s", SDP_MAX_ATTRS,
			    level_name(p));
	if (name_len == 0 || name_len >= sizeof(name))
		return perr(p, -EINVAL, "a=: attribute name is empty or longer than %zu",
			    sizeof(name) - 1);
	memcpy(name, value, name_len);
	name[name_len] = '\0';
	if (!sdp_is_token(name))
		return perr(p, -EINVAL, "a=: attribute name '%s' is not a token", name);

	const struct sdp_attr_def *def = sdp_attr_def_by_name(name, name_len);
	struct sdp_attr *a = sdp_add_attr(sdp, m, def != NULL ? def->type : SDP_ATTR_GENERIC);

	if (a == NULL)
		return -ENOMEM;
	if (def == NULL) {
		/* Unknown: kept verbatim, trailing blanks included, to print back as it came. */
		value[name_len] = '\0';
		a->u.generic.name = value;
		a->u.generic.value = colon != NULL ? colon + 1 : NULL;
		return 0;
	}
	p->ctx.attr_name = def->name;
	if (!(def->flags & (m != NULL ? SDP_AT_MEDIA : SDP_AT_SESSION)))
		return sdp_attr_err(&p->ctx, -EINVAL, "not allowed in %s", level_name(p));
	if (def->flags & SDP_AT_SINGLE || def->type == SDP_ATTR_DIRECTION) {
		if (p->seen[def->type])
			return sdp_attr_err(&p->ctx, -EINVAL,
					    def->type == SDP_ATTR_DIRECTION
						? "a second direction attribute in %s"
						: "given twice in %s",
					    level_name(p));
		p->seen[def->type] = true;
	}
	if (def->flags & SDP_AT_FLAG) {
		if (colon != NULL)
			return sdp_attr_err(&p->ctx, -EINVAL, "takes no value");
		a->u.dir = (enum sdp_direction)def->arg;
		return 0;
	}
	if (colon == NULL)
		return sdp_attr_err(&p->ctx, -EINVAL, "needs a value");
	sdp_rtrim(colon + 1);

	int rc = def->parse(&p->ctx, colon + 1, a);

	if (rc != 0)
		return rc;
	/* Uniqueness within one level: one rtpmap and one fmtp per format, one URI per id. */
	if (a->type == SDP_ATTR_RTPMAP && bit_test_set(p->pt_rtpmap, a->u.rtpmap.pt))
		return sdp_attr_err(&p->ctx, -EINVAL, "payload type %u mapped twice",
				    a->u.rtpmap.pt);
	if (a->type == SDP_ATTR_FMTP && a->u.fmtp.pt >= 0 &&
	    bit_test_set(p->pt_fmtp, (unsigned)a->u.fmtp.pt))
		return sdp_attr_err(&p->ctx, -EINVAL, "payload type %d given twice", a->u.fmtp.pt);
	if (a->type == SDP_ATTR_EXTMAP && bit_test_set(p->extmap_ids, a->u.extmap.id))
		return sdp_attr_err(&p->ctx, -EINVAL, "id %u given twice", a->u.extmap.id);
	return 0;
}

/*
 * The line types, their place in the order of RFC 8866 §5 (rank at session and at media
 * level; -1: not allowed there) and whether they may repeat there. Ranks only grow within a
 * level; t= and r= share one rank, an r= belonging to the t= before it.
 */
static const struct line_def {
	char type;
	int session_rank, media_rank;
	bool is_session_multi, is_media_multi;
	int (*parse)(struct parser *p, char *value);
} line_defs[] = {
    {'v', 0, -1, false, false, parse_v},  {'o', 1, -1, false, false, parse_o},
    {'s', 2, -1, false, false, parse_s},  {'i', 3, 1, false, false, parse_i},
    {'u', 4, -1, false, false, parse_u},  {'e', 5, -1, true, false, parse_e_p},
    {'p', 6, -1, true, false, parse_e_p}, {'c', 7, 2, false, true, parse_c},
    {'b', 8, 3, true, true, parse_b},	  {'t', 9, -1, true, false, parse_t},
    {'r', 9, -1, true, false, parse_r},	  {'z', 10, -1, false, false, parse_z},
    {'k', 11, 4, false, false, parse_k},  {'a', 12, 5, true, true, parse_a},
    {'m', -1, 0, true, true, parse_m},
};

#define RANK_S 2
#define RANK_T 9

static const struct line_def *line_def_of(char type)
{
	for (size_t i = 0; i < sizeof(line_defs) / sizeof(line_defs[0]); i++) {
		if (line_defs[i].type == type)
			return &line_defs[i];
	}
	return NULL;
}

static void reset_level(struct parser *p)
{
	p->rank = 0;
	memset(p->seen, 0, sizeof(p->seen));
	memset(p->pt_rtpmap, 0, sizeof(p->pt_rtpmap));
	memset(p->pt_fmtp, 0, sizeof(p->pt_fmtp));
	memset(p->extmap_ids, 0, sizeof(p->extmap_ids));
}

/* Check the line's place in the order, then parse it. */
static int parse_line(struct parser *p, char type, char *value)
{
	const struct line_def *def = line_def_of(type);
	bool is_media = p->ctx.m != NULL;

	if (def == NULL)
		return perr(p, -EINVAL,
			    "unknown line type '%c=' (RFC 8866 §5: such a description is rejected)",
			    type);
	if (type == 'm') {
		if (p->ctx.sdp->nb_times == 0)
			return perr(p, -EINVAL, "m= before any t= line");
		reset_level(p);
		p->last_type = type;
		return def->parse(p, value);
	}
	int rank = is_media ? def->media_rank : def->session_rank;
	bool is_multi = is_media ? def->is_media_multi : def->is_session_multi;

	if (!is_media && p->rank < RANK_S) {
		/* v=, o= and s= open the description, in that order. */
		if (rank != p->rank + 1)
			return perr(p, -EINVAL, "expected %s",
				    p->rank < 0	   ? "v=0 as the first line"
				    : p->rank == 0 ? "o= after v="
						   : "s= after o=");
	} else if (rank < 0) {
		return perr(p, -EINVAL, "%c= is not allowed in %s", type, level_name(p));
	} else if (type == 'r') {
		if (p->last_type != 't' && p->last_type != 'r')
			return perr(p, -EINVAL, "r= must follow a t= line");
	} else if (rank < p->rank) {
		return perr(p, -EINVAL, "%c= after %c= in %s (RFC 8866 §5 fixes the order)", type,
			    p->last_type, level_name(p));
	} else if (rank == p->rank && !is_multi) {
		return perr(p, -EINVAL, "a second %c= line in %s", type, level_name(p));
	}
	if (!is_media && rank > RANK_T && p->ctx.sdp->nb_times == 0)
		return perr(p, -EINVAL, "%c= before any t= line", type);
	p->rank = rank;
	p->last_type = type;
	return def->parse(p, value);
}

/* Whether the N bytes at S are only line ends (S is not NUL-terminated). */
static bool is_blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '\r' && s[i] != '\n')
			return false;
	}
	return true;
}

int sdp_parse(const char *text, size_t len, struct sdp **out, char *err, size_t errlen)
{
	struct parser *p = NULL;
	struct sdp *sdp = NULL;
	int rc = -ENOMEM;

	*out = NULL;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (len > SDP_MAX_LEN) {
		if (err != NULL)
			snprintf(err, errlen,
				 "description is %zu bytes, more than the %d-byte limit", len,
				 SDP_MAX_LEN);
		return -E2BIG;
	}
	sdp = sdp_new();
	p = calloc(1, sizeof(*p));
	if (sdp == NULL || p == NULL)
		goto fail;
	p->ctx.sdp = sdp;
	p->ctx.err = err;
	p->ctx.errlen = errlen;
	p->rank = -1;

	for (size_t pos = 0; pos < len;) {
		const char *start = text + pos;
		const char *nl = memchr(start, '\n', len - pos);
		size_t n = nl != NULL ? (size_t)(nl - start) : len - pos;

		pos += n + (nl != NULL);
		p->ctx.line++;
		if (n > 0 && start[n - 1] == '\r')
			n--;
		if (n == 0) {
			/* Blank lines are tolerated only at the very end. */
			if (is_blank(text + pos, len - pos))
				break;
			rc = perr(p, -EINVAL, "empty line");
			goto fail;
		}
		if (memchr(start, '\0', n) != NULL || memchr(start, '\r', n) != NULL) {
			rc = perr(p, -EINVAL, "NUL or CR inside the line");
			goto fail;
		}
		if (n < 2 || start[1] != '=' || start[0] < 'a' || start[0] > 'z') {
			rc = perr(p, -EINVAL, "expected '<type>=<value>' (RFC 8866 §5)");
			goto fail;
		}
		char *value = sdp_alloc(sdp, n - 1);

		if (value == NULL)
			goto fail;
		memcpy(value, start + 2, n - 2);
		rc = parse_line(p, start[0], value);
		if (rc != 0)
			goto fail;
	}
	if (p->rank < 0) {
		rc = -EINVAL;
		if (err != NULL)
			snprintf(err, errlen, "empty description");
		goto fail;
	}
	if (sdp->nb_times == 0) {
		rc = perr(p, -EINVAL, "no t= line (RFC 8866 §5 requires one)");
		goto fail;
	}
	free(p);
	*out = sdp;
	return 0;
fail:
	if (rc == -ENOMEM && err != NULL)
		snprintf(err, errlen, "out of memory");
	free(p);
	sdp_free(sdp);
	return rc;
}
