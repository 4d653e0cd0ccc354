/* SPDX-License-Identifier: MIT */
/*
 * The attribute table: for each attribute known here, where it may appear, how it parses,
 * prints and copies. The line parser (sdp_parse.c) and the printer (sdp_print.c) dispatch
 * through it; anything not in it is kept as a generic name/value pair.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sdp_internal.h"

#define DUP(field)                                                                                 \
	do {                                                                                       \
		if (from->field != NULL && (to->field = sdp_strdup(dst, from->field)) == NULL)     \
			return -ENOMEM;                                                            \
	} while (0)

static int dup_list(struct sdp *dst, const char ***to, const char *const *from, unsigned nb)
{
	const char **p = nb != 0 ? sdp_alloc(dst, nb * sizeof(*p)) : NULL;

	if (nb != 0 && p == NULL)
		return -ENOMEM;
	for (unsigned i = 0; i < nb; i++) {
		if ((p[i] = sdp_strdup(dst, from[i])) == NULL)
			return -ENOMEM;
	}
	*to = p;
	return 0;
}

/* ICE characters (RFC 8839 §5.1: ALPHA / DIGIT / "+" / "/"). */
static bool is_ice_chars(const char *s)
{
	for (; *s != '\0'; s++) {
		char c = *s;

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '+' || c == '/'))
			return false;
	}
	return true;
}

/* Space-separated tokens into a list of at most SDP_MAX_LIST; an empty VALUE is no tokens. */
static int parse_token_list(struct sdp_parse_ctx *ctx, char *value, const char ***list,
			    unsigned *nb, const char *what)
{
	char *cur = value;

	while (cur != NULL && *cur != '\0') {
		char *tok = sdp_next_field(&cur);

		if (!sdp_is_token(tok))
			return sdp_attr_err(ctx, -EINVAL, "%s %u is not a token", what, *nb + 1);
		if (*nb == SDP_MAX_LIST)
			return sdp_attr_err(ctx, -E2BIG, "more than %d %ss", SDP_MAX_LIST, what);
		if (sdp_push_str(ctx->sdp, list, nb, tok) != 0)
			return -ENOMEM;
	}
	return 0;
}

static void print_list(struct sdp_buf *b, const char *const *list, unsigned nb)
{
	for (unsigned i = 0; i < nb; i++) {
		sdp_buf_puts(b, " ");
		sdp_buf_puts(b, list[i]);
	}
}

/* --- Strings: ice-ufrag, ice-pwd, ice-options, mid --- */

static int parse_ice_ufrag(struct sdp_parse_ctx *ctx, char *value, struct sdp_attr *a)
{
	size_t n = strlen(value);

	/* RFC 8839 §5.4: 4 to 256 ice-chars. */
	if (n < 4 || n > 256)
		return sdp_attr_err(ctx, -EINVAL, "%zu characters, expected 4-256", n);
	if (!is_ice_chars(value))
		return sdp_attr_err(ctx, -EINVAL, "characters other than ALPHA, DIGIT, '+', '/'");
	a->u.str = value;
	return 0;
}

static int parse_ice_pwd(struct sdp_parse_ctx *ctx, char *value, struct sdp_attr *a)
{
	size_t n = strlen(value);

	/* RFC 8839 §5.4: 22 to 256 ice-chars. */
	if (n < 22 || n > 256)
		return sdp_attr_err(ctx, -EINVAL, "%zu characters, expected 22-256", n);
	if (!is_ice_chars(value))
		return sdp_attr_err(ctx, -EINVAL, "characters other than ALPHA, DIGIT, '+', '/'");
	a->u.str = value;
	return 0;
}

static int parse_ice_options(struct sdp_parse_ctx *ctx, char *value, struct sdp_attr *a)
{
	/* RFC 8839 §5.6: one or more ice-option-tags, separated by single spaces. */
	char *cur = value;

	if (*value == '\0')
		return sdp_attr_err(ctx, -EINVAL, "no option");
	while (cur != NULL) {
		char *tok = sdp_next_field(&cur);

		if (!sdp_is_token(tok))
			return sdp_attr_err(ctx, -EINVAL, "an option is not a token");
		if (cur != NULL)
			cur[-1] = ' ';
	}
	a->u.str = value;
	return 0;
}

static int parse_mid(struct sdp_parse_ctx *ctx, char *value, struct sdp_attr *a)
{
	/* RFC 5888 §4: identification-tag = token; RFC 8843 §5 bounds it for RTP at 16 bytes
	 * only on the wire, so the text form is checked as a token alone. */
	if (!sdp_is_token(value))
		return sdp_attr_err(ctx, -EINVAL, "identification tag is not a token");
	/* RFC 5888 §4: unique within the description. The section being parsed is the last. */
	for (unsigned i = 0; i + 1 < ctx->sdp->nb_media; i++) {
		const char *mid = sdp_media_mid(&ctx->sdp->media[i]);

		if (mid != NULL && strcmp(mid, value) == 0)
			return sdp_attr_err(
			    ctx, -EINVAL,
			    "'%.32s' is already the mid of the m= section at line %u "
			    "(RFC 5888 §4)",
			    value, ctx->sdp->media[i].line);
	}
	a->u.str = value;
	return 0;
}

static void print_str(struct sdp_buf *b, const struct sdp_attr *a, unsigned flags)
{
	sdp_buf_puts(b, a->u.str);
}

static int copy_str(struct sdp *dst, struct sdp_attr *to_attr, const struct sdp_attr *from_attr)
{
	return (to_attr->u.str = sdp_strdup(dst, from_attr->u.str)) != NULL ? 0 : -ENOMEM;
}

/* --- group (RFC 5888 §5), msid-semantic --- */

static int parse_group(struct sdp_parse_ctx *ctx, char *value, struct sdp_attr *a)
{
	struct sdp_group *g = &a->u.group;
	char *cur = value;

	int rc;

	g->semantics = sdp_next_field(&cur);
	if (!sdp_is_token(g->semantics))
		return sdp_attr_err(ctx, -EINVAL, "semantics is not a token");
	if ((rc = parse_token_list(ctx, cur, &g->ids, &g->nb_ids, "identification tag")) != 0)
		return rc;
	/* RFC 5888 §5: a group lists each media section once. */
	for (unsigned i = 1; i < g->nb_ids; i++) {
		for (unsigned j = 0; j < i; j++) {
			if (strcmp(g->ids[i], g->ids[j]) == 0)
				return sdp_attr_err(ctx, -EINVAL,
						    "identification tag '%.32s' listed twice",
						    g->ids[i]);
		}
	}
	return 0;
}

static void print_group(struct sdp_buf *b, const struct sdp_attr *a, unsigned flags)
{
	sdp_buf_puts(b, a->u.group.semantics);
	print_list(b, a->u.group.ids, a->u.group.nb_ids);
}

static int copy_group(struct sdp *dst, struct sdp_attr *to_attr, const struct sdp_attr *from_attr)
{
	struct sdp_group *to = &to_attr->u.group;
	const struct sdp_group *from = &from_attr->u.group;

	DUP(semantics);
	return dup_list(dst, &to->ids, from->ids, from->nb_ids);
}

static int parse_msid_semantic(struct sdp_parse_ctx *ctx, char *value, struct sdp_attr *a)
{
	struct sdp_msid_semantic *ms = &a->u.msid_semantic;
	char *cur = value;

	if (*cur == ' ') {
		ms->has_space = true;
		cur++;
	}
	ms->semantic = sdp_next_field(&cur);
	if (!sdp_is_token(ms->semantic))
		return sdp_attr_err(ctx, -EINVAL, "semantic is not a token");
	return parse_token_list(ctx, cur, &ms->ids, &ms->nb_ids, "stream id");
}

static void print_msid_semantic(struct sdp_buf *b, const struct sdp_attr *a, unsigned flags)
{
	if (a->u.msid_semantic.has_space)
		sdp_buf_puts(b, " ");
	sdp_buf_puts(b, a->u.msid_semantic.semantic);
	print_list(b, a->u.msid_semantic.ids, a->u.msid_semantic.nb_ids);
}

static int copy_msid_semantic(struct sdp *dst, struct sdp_attr *to_attr,
			      const struct sdp_attr *from_attr)
{
	struct sdp_msid_semantic *to = &to_attr->u.msid_semantic;
	const struct sdp_msid_semantic *from = &from_attr->u.msid_semantic;

	DUP(semantic);
	return dup_list(dst, &to->ids, from->ids, from->nb_ids);
}

/* --- fingerprint (RFC 8122 §5) --- */

static const struct {
	const char *name;
	unsigned nb_bytes;
} hash_sizes[] = {
    {"sha-1", 20},   {"sha-224", 28}, {"sha-256", 32}, {"sha-384", 48},
    {"sha-512", 64}, {"md5", 16},     {"md2", 16},
};

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int parse_fingerprint(struct sdp_parse_ctx *ctx, char *value, struct sdp_attr *a)
{
	struct sdp_fingerprint *fp = &a->u.fingerprint;
	char *cur = value;
	unsigned nb_bytes = 0;

	fp->hash = sdp_next_field(&cur);
	if (!sdp_is_token(fp->hash) || cur == NULL)
		return sdp_attr_err(ctx, -EINVAL, "expected '<hash function> <fingerprint>'");
	fp->value = cur;
	/* fingerprint = 2UHEX *(":" 2UHEX); lower case is accepted, as some stacks send it. */
	for (const char *p = cur;; p += 3) {
		if (hex_value(p[0]) < 0 || hex_value(p[1]) < 0)
			return sdp_attr_err(ctx, -EINVAL, "byte %u is not two hex digits",
					    nb_bytes + 1);
		nb_bytes++;
		if (p[2] == '\0')
			break;
		if (p[2] != ':')
			return sdp_attr_err(ctx, -EINVAL, "bytes must be separated by ':'");
	}
	for (size_t i = 0; i < sizeof(hash_sizes) / sizeof(hash_sizes[0]); i++) {
		if (strcasecmp(fp->hash, hash_sizes[i].name) == 0 &&
		    nb_bytes != hash_sizes[i].nb_bytes)
			return sdp_attr_err(ctx, -EINVAL, "%s digest has %u bytes, expected %u",
					    hash_sizes[i].name, nb_bytes, hash_sizes[i].nb_bytes);
	}
	return 0;
}

static void print_fingerprint(struct sdp_buf *b, const struct sdp_attr *a, unsigned flags)
{
	sdp_buf_printf(b, "%s %s", a->u.fingerprint.hash, a->u.fingerprint.value);
}

static int copy_fingerprint(struct sdp *dst, struct sdp_attr *to_attr,
			    const struct sdp_attr *from_attr)
{
	struct sdp_fingerprint *to = &to_attr->u.fingerprint;
	const struct sdp_fingerprint *from = &from_attr->u.fingerprint;

	DUP(hash);
	DUP(value);
	return 0;
}

/* --- setup (RFC 4145 §4) --- */

static int parse_setup(struct sdp_parse_ctx *ctx, char *value, struct sdp_attr *a)
{
	for (enum sdp_setup s = SDP_SETUP_ACTPASS; s <= SDP_SETUP_HOLDCONN; s++) {
		if (strcmp(value, sdp_setup_name(s)) == 0) {
			a->u.setup = s;
			return 0;
		}
	}
	return sdp_attr_err(ctx, -EINVAL,
			    "role '%.32s' is not actpass, active, passive or holdconn", value);
}

static void print_setup(struct sdp_buf *b, const struct sdp_attr *a, unsigned flags)
{
	sdp_buf_puts(b, sdp_setup_name(a->u.setup));
}

/* --- rtcp (RFC 3605 §2.1) --- */

static int parse_rtcp(struct sdp_parse_ctx *ctx, char *value, struct sdp_attr *a)
{
	struct sdp_rtcp *r = &a->u.rtcp;
	char *cur = value;
	uint64_t port;

	if (!sdp_parse_uint(sdp_next_field(&cur), 65535, &port))
		return sdp_attr_err(ctx, -EINVAL, "port is not a number in 0-65535");
	r->port = (uint16_t)port;
	if (cur == NULL)
		return 0;
	r->nettype = sdp_next_field(&cur);
	r->addrtype = cur != NULL ? sdp_next_field(&cur) : NULL;
	r->address = cur;
	if (!sdp_is_token(r->nettype) || r->addrtype == NULL || !sdp_is_token(r->addrtype) ||
	    r->address == NULL || *r->address == '\0' || strchr(r->address, ' ') != NULL)
		return sdp_attr_err(ctx, -EINVAL,
				    "expected '<port> <nettype> <addrtype> <address>'");
	return 0;
}

static void print_rtcp(struct sdp_buf *b, const struct sdp_attr *a, unsigned flags)
{
	const struct sdp_rtcp *r = &a->u.rtcp;

	sdp_buf_printf(b, "%u", r->port);
	if (r->nettype != NULL)
		sdp_buf_printf(b, " %s %s %s", r->nettype, r->addrtype, r->address);
}

static int copy_rtcp(struct sdp *dst, struct sdp_attr *to_attr, const struct sdp_attr *from_attr)
{
	struct sdp_rtcp *to = &to_attr->u.rtcp;
	const struct sdp_rtcp *from = &from_attr->u.rtcp;

	DUP(nettype);
	DUP(addrtype);
	DUP(address);
	return 0;
}

/* --- candidate (RFC 8839 §5.1, RFC 6544 §4.5 for tcptype) --- */

static bool is_field(const char *s)
{
	return s != NULL && *s != '\0';
}

/*
 * The pairs after "typ" that have a field of their own: rel-addr and rel-port of RFC 8839
 * §5.1, tcptype of RFC 6544 §4.5, and generation and ufrag that browsers send. Each setter
 * returns NULL, or why the value is refused.
 */
static const char *set_raddr(struct sdp_candidate *c, char *val)
{
	if (c->raddr != NULL)
		return "raddr given twice";
	c->raddr = val;
	return NULL;
}

static const char *set_rport(struct sdp_candidate *c, char *val)
{
	uint64_t n;

	if (c->rport >= 0 || !sdp_parse_uint(val, 65535, &n))
		return "rport twice or not in 0-65535";
	c->rport = (int32_t)n;
	return NULL;
}

static const char *set_tcptype(struct sdp_candidate *c, char *val)
{
	if (c->tcptype != NULL)
		return "tcptype given twice";
	if (strcmp(val, "active") != 0 && strcmp(val, "passive") != 0 && strcmp(val, "so") != 0)
		return "tcptype is not active, passive or so";
	c->tcptype = val;
	return NULL;
}

static const char *set_generation(struct sdp_candidate *c, char *val)
{
	uint64_t n;

	if (c->generation >= 0 || !sdp_parse_uint(val, UINT32_MAX, &n))
		return "generation twice or not in 0-4294967295";
	c->generation = (int64_t)n;
	return NULL;
}

static const char *set_ufrag(struct sdp_candidate *c, char *val)
{
	if (c->ufrag != NULL)
		return "ufrag given twice";
	c->ufrag = val;
	return NULL;
}

static const struct cand_field {
	const char *name;
	const char *(*set)(struct sdp_candidate *c, char *val);
} cand_fields[] = {
    {"raddr", set_raddr},	    {"rport", set_rport}, {"tcptype", set_tcptype},
    {"generation", set_generation}, {"ufrag", set_ufrag},
};

static int parse_candidate(struct sdp_parse_ctx *ctx, char *value, struct sdp_attr *a)
{
	struct sdp_candidate *c = &a->u.candidate;
	char *cur = value;
	char *f[8];
	uint64_t n;

	for (unsigned i = 0; i < 8; i++) {
		f[i] = cur != NULL ? sdp_next_field(&cur) : NULL;
		if (!is_field(f[i]))
			return sdp_attr_err(ctx, -EINVAL,
					    "expected '<foundation> <component> <transport> "
					    "<priority> <address> <port> typ <type>'");
	}
	size_t flen = strlen(f[0]);

	if (flen > 32 || !is_ice_chars(f[0]))
		return sdp_attr_err(ctx, -EINVAL, "foundation is not 1-32 ice-chars");
	c->foundation = f[0];
	if (!sdp_parse_uint(f[1], 256, &n) || n == 0 || strlen(f[1]) > 3)
		return sdp_attr_err(ctx, -EINVAL, "component id is not a number in 1-256");
	c->component = (uint16_t)n;
	if (!sdp_is_token(f[2]))
		return sdp_attr_err(ctx, -EINVAL, "transport is not a token");
	c->transport = f[2];
	if (!sdp_parse_uint(f[3], UINT32_MAX, &n) || strlen(f[3]) > 10)
		return sdp_attr_err(ctx, -EINVAL, "priority is not a number in 0-4294967295");
	c->priority = (uint32_t)n;
	c->address = f[4];
	if (!sdp_parse_uint(f[5], 65535, &n))
		return sdp_attr_err(ctx, -EINVAL, "port is not a number in 0-65535");
	c->port = (uint16_t)n;
	if (strcmp(f[6], "typ") != 0)
		return sdp_attr_err(ctx, -EINVAL, "expected 'typ' after the port");
	if (!sdp_is_token(f[7]))
		return sdp_attr_err(ctx, -EINVAL, "candidate type is not a token");
	c->type = f[7];
	c->rport = -1;
	c->generation = -1;
	/* Then name/value pairs: rel-addr and rel-port of the grammar, and extensions. */
	while (cur != NULL) {
		char *name = sdp_next_field(&cur);
		char *val = cur != NULL ? sdp_next_field(&cur) : NULL;

		if (!is_field(name) || !is_field(val))
			return sdp_attr_err(ctx, -EINVAL, "extension %.32s without a value",
					    is_field(name) ? name : "(empty)");
		const struct cand_field *field = NULL;

		for (size_t i = 0; i < sizeof(cand_fields) / sizeof(cand_fields[0]); i++) {
			if (strcmp(name, cand_fields[i].name) == 0)
				field = &cand_fields[i];
		}
		if (field != NULL) {
			const char *why = field->set(c, val);

			if (why != NULL)
				return sdp_attr_err(ctx, -EINVAL, "%s", why);
			continue;
		}
		struct sdp_kv *exts = sdp_grow(ctx->sdp, c->exts, c->nb_exts, sizeof(*exts));

		if (c->nb_exts == SDP_MAX_LIST)
			return sdp_attr_err(ctx, -E2BIG, "more than %d extensions", SDP_MAX_LIST);
		if (exts == NULL)
			return -ENOMEM;
		exts[c->nb_exts].name = name;
		exts[c->nb_exts].value = val;
		c->exts = exts;
		c->nb_exts++;
	}
	if ((c->raddr == NULL) != (c->rport < 0))
		return sdp_attr_err(ctx, -EINVAL, "raddr and rport go together");
	return 0;
}

static void print_candidate(struct sdp_buf *b, const struct sdp_attr *a, unsigned flags)
{
	const struct sdp_candidate *c = &a->u.candidate;

	sdp_buf_printf(b, "%s %u %s %" PRIu32 " %s %u typ %s", c->foundation, c->component,
		       c->transport, c->priority, c->address, c->port, c->type);
	if (c->raddr != NULL)
		sdp_buf_printf(b, " raddr %s rport %" PRId32, c->raddr, c->rport);
	if (c->tcptype != NULL)
		sdp_buf_printf(b, " tcptype %s", c->tcptype);
	if (c->generation >= 0)
		sdp_buf_printf(b, " generation %" PRId64, c->generation);
	if (c->ufrag != NULL)
		sdp_buf_printf(b, " ufrag %s", c->ufrag);
	for (unsigned i = 0; i < c->nb_exts; i++)
		sdp_buf_printf(b, " %s %s", c->exts[i].name, c->exts[i].value);
}

static int copy_candidate(struct sdp *dst, struct sdp_attr *to_attr,
			  const struct sdp_attr *from_attr)
{
	struct sdp_candidate *to = &to_attr->u.candidate;
	const struct sdp_candidate *from = &from_attr->u.candidate;

	DUP(foundation);
	DUP(transport);
	DUP(address);
	DUP(type);
	DUP(raddr);
	DUP(tcptype);
	DUP(ufrag);
	if (from->nb_exts != 0) {
		to->exts = sdp_alloc(dst, from->nb_exts * sizeof(*to->exts));
		if (to->exts == NULL)
			return -ENOMEM;
		for (unsigned i = 0; i < from->nb_exts; i++) {
			to->exts[i].name = sdp_strdup(dst, from->exts[i].name);
			to->exts[i].value = sdp_strdup(dst, from->exts[i].value);
			if (to->exts[i].name == NULL || to->exts[i].value == NULL)
				return -ENOMEM;
		}
	}
	return 0;
}

/* --- msid (RFC 8830 §2) --- */

static int parse_msid(struct sdp_parse_ctx *ctx, char *value, struct sdp_attr *a)
{
	char *cur = value;

	a->u.msid.id = sdp_next_field(&cur);
	a->u.msid.appdata = cur;
	if (!sdp_is_token(a->u.msid.id) || strlen(a->u.msid.id) > 64)
		return sdp_attr_err(ctx, -EINVAL, "id is not 1-64 token characters");
	if (cur != NULL && (!sdp_is_token(cur) || strlen(cur) > 64))
		return sdp_attr_err(ctx, -EINVAL, "appdata is not 1-64 token characters");
	return 0;
}

static void print_msid(struct sdp_buf *b, const struct sdp_attr *a, unsigned flags)
{
	sdp_buf_puts(b, a->u.msid.id);
	if (a->u.msid.appdata != NULL)
		sdp_buf_printf(b, " %s", a->u.msid.appdata);
}

static int copy_msid(struct sdp *dst, struct sdp_attr *to_attr, const struct sdp_attr *from_attr)
{
	struct sdp_msid *to = &to_attr->u.msid;
	const struct sdp_msid *from = &from_attr->u.msid;

	DUP(id);
	DUP(appdata);
	return 0;
}

/* --- ssrc, ssrc-group (RFC 5576 §4) --- */

static int parse_ssrc(struct sdp_parse_ctx *ctx, char *value, struct sdp_attr *a)
{
	struct sdp_ssrc *s = &a->u.ssrc;
	char *cur = value;
	uint64_t n;

	if (!sdp_parse_uint(sdp_next_field(&cur), UINT32_MAX, &n))
		return sdp_attr_err(ctx, -EINVAL, "ssrc-id is not a number in 0-4294967295");
	s->id = (uint32_t)n;
	if (cur == NULL)
		return sdp_attr_err(ctx, -EINVAL, "no attribute after the ssrc-id");
	char *colon = strchr(cur, ':');

	if (colon != NULL) {
		*colon = '\0';
		s->value = colon + 1;
	}
	s->attr = cur;
	if (!sdp_is_token(s->attr))
		return sdp_attr_err(ctx, -EINVAL, "source attribute name is not a token");
	return 0;
}

static void print_ssrc(struct sdp_buf *b, const struct sdp_attr *a, unsigned flags)
{
	sdp_buf_printf(b, "%" PRIu32 " %s", a->u.ssrc.id, a->u.ssrc.attr);
	if (a->u.ssrc.value != NULL)
		sdp_buf_printf(b, ":%s", a->u.ssrc.value);
}

static int copy_ssrc(struct sdp *dst, struct sdp_attr *to_attr, const struct sdp_attr *from_attr)
{
	struct sdp_ssrc *to = &to_attr->u.ssrc;
	const struct sdp_ssrc *from = &from_attr->u.ssrc;

	DUP(attr);
	DUP(value);
	return 0;
}

static int parse_ssrc_group(struct sdp_parse_ctx *ctx, char *value, struct sdp_attr *a)
{
	struct sdp_ssrc_group *g = &a->u.ssrc_group;
	char *cur = value;
	uint64_t n;

	g->semantics = sdp_next_field(&cur);
	if (!sdp_is_token(g->semantics))
		return sdp_attr_err(ctx, -EINVAL, "semantics is not a token");
	while (cur != NULL) {
		uint32_t *ids = sdp_grow(ctx->sdp, g->ids, g->nb_ids, sizeof(*ids));

		if (g->nb_ids == SDP_MAX_LIST)
			return sdp_attr_err(ctx, -E2BIG, "more than %d ssrc-ids", SDP_MAX_LIST);
		if (ids == NULL)
			return -ENOMEM;
		if (!sdp_parse_uint(sdp_next_field(&cur), UINT32_MAX, &n))
			return sdp_attr_err(ctx, -EINVAL,
					    "ssrc-id %u is not a number in 0-4294967295",
					    g->nb_ids + 1);
		ids[g->nb_ids++] = (uint32_t)n;
		g->ids = ids;
	}
	return 0;
}

static void print_ssrc_group(struct sdp_buf *b, const struct sdp_attr *a, unsigned flags)
{
	sdp_buf_puts(b, a->u.ssrc_group.semantics);
	for (unsigned i = 0; i < a->u.ssrc_group.nb_ids; i++)
		sdp_buf_printf(b, " %" PRIu32, a->u.ssrc_group.ids[i]);
}

static int copy_ssrc_group(struct sdp *dst, struct sdp_attr *to_attr,
			   const struct sdp_attr *from_attr)
{
	struct sdp_ssrc_group *to = &to_attr->u.ssrc_group;
	const struct sdp_ssrc_group *from = &from_attr->u.ssrc_group;

	DUP(semantics);
	if (from->nb_ids != 0) {
		to->ids = sdp_alloc(dst, from->nb_ids * sizeof(*to->ids));
		if (to->ids == NULL)
			return -ENOMEM;
		memcpy(to->ids, from->ids, from->nb_ids * sizeof(*to->ids));
	}
	return 0;
}

/* --- rtpmap, fmtp, rtcp-fb --- */

/* A payload type 0-127 (RFC 3551 §3; the 7-bit PT field of RFC 3550 §5.1). */
static int parse_pt(struct sdp_parse_ctx *ctx, const char *s, int *pt)
{
	uint64_t n;

	if (!sdp_parse_uint(s, UINT64_MAX, &n) || strlen(s) > 10)
		return sdp_attr_err(ctx, -EINVAL, "payload type '%.16s' is not a number", s);
	if (n > 127)
		return sdp_attr_err(ctx, -EINVAL, "payload type %" PRIu64 " out of range (0-127)",
				    n);
	*pt = (int)n;
	return 0;
}

static int parse_rtpmap(struct sdp_parse_ctx *ctx, char *value, struct sdp_attr *a)
{
	struct sdp_rtpmap *r = &a->u.rtpmap;
	char *cur = value;
	uint64_t n;
	int pt, rc;

	if ((rc = parse_pt(ctx, sdp_next_field(&cur), &pt)) != 0)
		return rc;
	r->pt = (uint8_t)pt;
	if (cur == NULL || strchr(cur, ' ') != NULL)
		return sdp_attr_err(
		    ctx, -EINVAL, "expected '<payload type> <encoding>/<clock rate>[/<channels>]'");
	char *clock = strchr(cur, '/');

	if (clock == NULL)
		return sdp_attr_err(ctx, -EINVAL, "no clock rate after the encoding name");
	*clock++ = '\0';
	r->encoding = cur;
	if (!sdp_is_token(r->encoding))
		return sdp_attr_err(ctx, -EINVAL, "encoding name is not a token");
	char *channels = strchr(clock, '/');

	if (channels != NULL)
		*channels++ = '\0';
	if (!sdp_parse_uint(clock, UINT32_MAX, &n) || n == 0)
		return sdp_attr_err(ctx, -EINVAL, "clock rate is not a number in 1-4294967295");
	r->clock = (uint32_t)n;
	if (channels != NULL) {
		if (!sdp_parse_uint(channels, 65535, &n) || n == 0)
			return sdp_attr_err(ctx, -EINVAL,
					    "channel count is not a number in 1-65535");
		r->channels = (uint16_t)n;
	}
	return 0;
}

static void print_rtpmap(struct sdp_buf *b, const struct sdp_attr *a, unsigned flags)
{
	const struct sdp_rtpmap *r = &a->u.rtpmap;

	sdp_buf_printf(b, "%u %s/%" PRIu32, r->pt, r->encoding, r->clock);
	if (r->channels != 0)
		sdp_buf_printf(b, "/%u", r->channels);
}

static int copy_rtpmap(struct sdp *dst, struct sdp_attr *to_attr, const struct sdp_attr *from_attr)
{
	struct sdp_rtpmap *to = &to_attr->u.rtpmap;
	const struct sdp_rtpmap *from = &from_attr->u.rtpmap;

	DUP(encoding);
	return 0;
}

static int parse_fmtp(struct sdp_parse_ctx *ctx, char *value, struct sdp_attr *a)
{
	struct sdp_fmtp *f = &a->u.fmtp;
	char *cur = value;
	int rc;

	f->fmt = sdp_next_field(&cur);
	f->params = cur;
	f->pt = -1;
	if (!sdp_is_token(f->fmt))
		return sdp_attr_err(ctx, -EINVAL, "format is not a token");
	if (ctx->is_rtp && (rc = parse_pt(ctx, f->fmt, &f->pt)) != 0)
		return rc;
	return 0;
}

static void print_fmtp(struct sdp_buf *b, const struct sdp_attr *a, unsigned flags)
{
	sdp_buf_puts(b, a->u.fmtp.fmt);
	if (a->u.fmtp.params != NULL)
		sdp_buf_printf(b, " %s", a->u.fmtp.params);
}

static int copy_fmtp(struct sdp *dst, struct sdp_attr *to_attr, const struct sdp_attr *from_attr)
{
	struct sdp_fmtp *to = &to_attr->u.fmtp;
	const struct sdp_fmtp *from = &from_attr->u.fmtp;

	DUP(fmt);
	DUP(params);
	return 0;
}

static int parse_rtcp_fb(struct sdp_parse_ctx *ctx, char *value, struct sdp_attr *a)
{
	struct sdp_rtcp_fb *fb = &a->u.rtcp_fb;
	char *cur = value;
	char *pt = sdp_next_field(&cur);
	int rc;

	if (strcmp(pt, "*") == 0)
		fb->pt = -1;
	else if ((rc = parse_pt(ctx, pt, &fb->pt)) != 0)
		return rc;
	fb->type = cur != NULL ? sdp_next_field(&cur) : NULL;
	fb->params = cur;
	if (fb->type == NULL || !sdp_is_token(fb->type))
		return sdp_attr_err(ctx, -EINVAL, "expected '<payload type> <feedback type>'");
	if (fb->params != NULL && *fb->params == '\0')
		return sdp_attr_err(ctx, -EINVAL, "empty feedback parameter");
	return 0;
}

static void print_rtcp_fb(struct sdp_buf *b, const struct sdp_attr *a, unsigned flags)
{
	const struct sdp_rtcp_fb *fb = &a->u.rtcp_fb;

	if (fb->pt < 0)
		sdp_buf_puts(b, "*");
	else
		sdp_buf_printf(b, "%d", fb->pt);
	sdp_buf_printf(b, " %s", fb->type);
	if (fb->params != NULL)
		sdp_buf_printf(b, " %s", fb->params);
}

static int copy_rtcp_fb(struct sdp *dst, struct sdp_attr *to_attr, const struct sdp_attr *from_attr)
{
	struct sdp_rtcp_fb *to = &to_attr->u.rtcp_fb;
	const struct sdp_rtcp_fb *from = &from_attr->u.rtcp_fb;

	DUP(type);
	DUP(params);
	return 0;
}

/* --- extmap (RFC 8285 §7) --- */

static int parse_extmap(struct sdp_parse_ctx *ctx, char *value, struct sdp_attr *a)
{
	struct sdp_extmap *e = &a->u.extmap;
	char *cur = value;
	char *id = sdp_next_field(&cur);
	char *slash = strchr(id, '/');
	uint64_t n;

	if (slash != NULL) {
		*slash++ = '\0';
		for (enum sdp_direction d = SDP_DIR_SENDRECV; d <= SDP_DIR_INACTIVE; d++) {
			if (strcmp(slash, sdp_direction_name(d)) == 0) {
				e->has_dir = true;
				e->dir = d;
			}
		}
		if (!e->has_dir)
			return sdp_attr_err(ctx, -EINVAL, "direction '%.16s' is not known", slash);
	}
	if (!sdp_parse_uint(id, 65535, &n))
		return sdp_attr_err(ctx, -EINVAL, "id is not a number");
	/* 1-14 one-byte, 16-255 two-byte headers; 4096-4351 only in offers (RFC 8285 §7). */
	if (n == 15)
		return sdp_attr_err(ctx, -EINVAL, "id 15 is reserved (RFC 8285 §4.2)");
	if (n == 0 || (n > 255 && n < 4096) || n > 4351)
		return sdp_attr_err(ctx, -EINVAL, "id %" PRIu64 " out of range (1-255, 4096-4351)",
				    n);
	e->id = (uint16_t)n;
	e->uri = cur != NULL ? sdp_next_field(&cur) : NULL;
	e->attrs = cur;
	if (!is_field(e->uri))
		return sdp_attr_err(ctx, -EINVAL, "no URI after the id");
	if (e->attrs != NULL && *e->attrs == '\0')
		return sdp_attr_err(ctx, -EINVAL, "empty extension attributes");
	return 0;
}

static void print_extmap(struct sdp_buf *b, const struct sdp_attr *a, unsigned flags)
{
	const struct sdp_extmap *e = &a->u.extmap;

	sdp_buf_printf(b, "%u", e->id);
	if (e->has_dir)
		sdp_buf_printf(b, "/%s", sdp_direction_name(e->dir));
	sdp_buf_printf(b, " %s", e->uri);
	if (e->attrs != NULL)
		sdp_buf_printf(b, " %s", e->attrs);
}

static int copy_extmap(struct sdp *dst, struct sdp_attr *to_attr, const struct sdp_attr *from_attr)
{
	struct sdp_extmap *to = &to_attr->u.extmap;
	const struct sdp_extmap *from = &from_attr->u.extmap;

	DUP(uri);
	DUP(attrs);
	return 0;
}

/* --- sctp-port, max-message-size (RFC 8841 §5, §6) --- */

static int parse_sctp_port(struct sdp_parse_ctx *ctx, char *value, struct sdp_attr *a)
{
	if (!sdp_parse_uint(value, 65535, &a->u.num))
		return sdp_attr_err(ctx, -EINVAL, "port is not a number in 0-65535");
	return 0;
}

static int parse_max_message_size(struct sdp_parse_ctx *ctx, char *value, struct sdp_attr *a)
{
	if (!sdp_parse_uint(value, UINT64_MAX, &a->u.num))
		return sdp_attr_err(ctx, -EINVAL, "size is not a number in 0-%" PRIu64, UINT64_MAX);
	return 0;
}

static void print_num(struct sdp_buf *b, const struct sdp_attr *a, unsigned flags)
{
	sdp_buf_printf(b, "%" PRIu64, a->u.num);
}

/* --- crypto (RFC 4568 §9.1): the value carries keys, so errors never quote it --- */

static bool is_key_info_char(char c)
{
	/* key-info of the inline method: base64 key||salt, then "|" lifetime and MKI. */
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '/' || c == '=' || c == '|' || c == ':' || c == '^';
}

static int parse_crypto(struct sdp_parse_ctx *ctx, char *value, struct sdp_attr *a)
{
	struct sdp_crypto *c = &a->u.crypto;
	char *cur = value;
	char *tag = sdp_next_field(&cur);
	uint64_t n;

	if (strlen(tag) > 9 || !sdp_parse_uint(tag, 999999999, &n))
		return sdp_attr_err(ctx, -EINVAL, "tag is not 1-9 digits");
	c->tag = (uint32_t)n;
	c->suite = cur != NULL ? sdp_next_field(&cur) : NULL;
	c->key_params = cur != NULL ? sdp_next_field(&cur) : NULL;
	c->session_params = cur;
	if (c->suite == NULL || !sdp_is_token(c->suite))
		return sdp_attr_err(ctx, -EINVAL, "crypto-suite is not a token");
	if (c->key_params == NULL || *c->key_params == '\0')
		return sdp_attr_err(ctx, -EINVAL, "no key parameters");
	if (c->session_params != NULL && *c->session_params == '\0')
		return sdp_attr_err(ctx, -EINVAL, "empty session parameters");
	/* key-params = key-param *(";" key-param); key-param = "inline:" key-info. */
	unsigned i = 1;

	for (const char *p = c->key_params;; i++) {
		size_t n_item = strcspn(p, ";");

		if (n_item <= 7 || strncmp(p, "inline:", 7) != 0)
			return sdp_attr_err(ctx, -EINVAL, "key parameter %u is not inline:<key>",
					    i);
		for (size_t k = 7; k < n_item; k++) {
			if (!is_key_info_char(p[k]))
				return sdp_attr_err(ctx, -EINVAL,
						    "key parameter %u has a character outside "
						    "base64 and '|:^'",
						    i);
		}
		if (p[n_item] == '\0')
			break;
		p += n_item + 1;
	}
	return 0;
}

static void print_crypto(struct sdp_buf *b, const struct sdp_attr *a, unsigned flags)
{
	const struct sdp_crypto *c = &a->u.crypto;

	sdp_buf_printf(b, "%" PRIu32 " %s %s", c->tag, c->suite,
		       flags & SDP_PRINT_REDACT ? "inline:<redacted>" : c->key_params);
	if (c->session_params != NULL)
		sdp_buf_printf(b, " %s", c->session_params);
}

static int copy_crypto(struct sdp *dst, struct sdp_attr *to_attr, const struct sdp_attr *from_attr)
{
	struct sdp_crypto *to = &to_attr->u.crypto;
	const struct sdp_crypto *from = &from_attr->u.crypto;

	DUP(suite);
	DUP(key_params);
	DUP(session_params);
	return 0;
}

/* --- generic --- */

static void print_generic(struct sdp_buf *b, const struct sdp_attr *a, unsigned flags)
{
	sdp_buf_puts(b, a->u.generic.value);
}

static int copy_generic(struct sdp *dst, struct sdp_attr *to_attr, const struct sdp_attr *from_attr)
{
	struct sdp_generic *to = &to_attr->u.generic;
	const struct sdp_generic *from = &from_attr->u.generic;

	DUP(name);
	DUP(value);
	return 0;
}

static const struct sdp_attr_def generic_def = {
    "", SDP_ATTR_GENERIC, SDP_AT_SESSION | SDP_AT_MEDIA, 0, NULL, print_generic, copy_generic,
};

#define BOTH (SDP_AT_SESSION | SDP_AT_MEDIA)
#define SESSION SDP_AT_SESSION
#define MEDIA SDP_AT_MEDIA
#define FLAG SDP_AT_FLAG
#define SINGLE SDP_AT_SINGLE

/* Levels follow each attribute's RFC; extmap-allow-mixed is both (Firefox puts it in media). */
static const struct sdp_attr_def attr_defs[] = {
    {"group", SDP_ATTR_GROUP, SESSION, 0, parse_group, print_group, copy_group},
    {"msid-semantic", SDP_ATTR_MSID_SEMANTIC, SESSION, 0, parse_msid_semantic, print_msid_semantic,
     copy_msid_semantic},
    {"extmap-allow-mixed", SDP_ATTR_EXTMAP_ALLOW_MIXED, BOTH | FLAG | SINGLE, 0, NULL, NULL, NULL},
    {"ice-lite", SDP_ATTR_ICE_LITE, SESSION | FLAG | SINGLE, 0, NULL, NULL, NULL},
    {"ice-ufrag", SDP_ATTR_ICE_UFRAG, BOTH | SINGLE, 0, parse_ice_ufrag, print_str, copy_str},
    {"ice-pwd", SDP_ATTR_ICE_PWD, BOTH | SINGLE, 0, parse_ice_pwd, print_str, copy_str},
    {"ice-options", SDP_ATTR_ICE_OPTIONS, BOTH | SINGLE, 0, parse_ice_options, print_str, copy_str},
    {"fingerprint", SDP_ATTR_FINGERPRINT, BOTH, 0, parse_fingerprint, print_fingerprint,
     copy_fingerprint},
    {"setup", SDP_ATTR_SETUP, BOTH | SINGLE, 0, parse_setup, print_setup, NULL},
    {"mid", SDP_ATTR_MID, MEDIA | SINGLE, 0, parse_mid, print_str, copy_str},
    {"sendrecv", SDP_ATTR_DIRECTION, BOTH | FLAG, SDP_DIR_SENDRECV, NULL, NULL, NULL},
    {"sendonly", SDP_ATTR_DIRECTION, BOTH | FLAG, SDP_DIR_SENDONLY, NULL, NULL, NULL},
    {"recvonly", SDP_ATTR_DIRECTION, BOTH | FLAG, SDP_DIR_RECVONLY, NULL, NULL, NULL},
    {"inactive", SDP_ATTR_DIRECTION, BOTH | FLAG, SDP_DIR_INACTIVE, NULL, NULL, NULL},
    {"rtcp", SDP_ATTR_RTCP, MEDIA | SINGLE, 0, parse_rtcp, print_rtcp, copy_rtcp},
    {"rtcp-mux", SDP_ATTR_RTCP_MUX, MEDIA | FLAG | SINGLE, 0, NULL, NULL, NULL},
    {"rtcp-mux-only", SDP_ATTR_RTCP_MUX_ONLY, MEDIA | FLAG | SINGLE, 0, NULL, NULL, NULL},
    {"rtcp-rsize", SDP_ATTR_RTCP_RSIZE, MEDIA | FLAG | SINGLE, 0, NULL, NULL, NULL},
    {"candidate", SDP_ATTR_CANDIDATE, MEDIA, 0, parse_candidate, print_candidate, copy_candidate},
    {"end-of-candidates", SDP_ATTR_END_OF_CANDIDATES, BOTH | FLAG | SINGLE, 0, NULL, NULL, NULL},
    {"msid", SDP_ATTR_MSID, MEDIA, 0, parse_msid, print_msid, copy_msid},
    {"ssrc", SDP_ATTR_SSRC, MEDIA, 0, parse_ssrc, print_ssrc, copy_ssrc},
    {"ssrc-group", SDP_ATTR_SSRC_GROUP, MEDIA, 0, parse_ssrc_group, print_ssrc_group,
     copy_ssrc_group},
    {"rtpmap", SDP_ATTR_RTPMAP, MEDIA, 0, parse_rtpmap, print_rtpmap, copy_rtpmap},
    {"fmtp", SDP_ATTR_FMTP, MEDIA, 0, parse_fmtp, print_fmtp, copy_fmtp},
    {"rtcp-fb", SDP_ATTR_RTCP_FB, MEDIA, 0, parse_rtcp_fb, print_rtcp_fb, copy_rtcp_fb},
    {"extmap", SDP_ATTR_EXTMAP, BOTH, 0, parse_extmap, print_extmap, copy_extmap},
    {"sctp-port", SDP_ATTR_SCTP_PORT, MEDIA | SINGLE, 0, parse_sctp_port, print_num, NULL},
    {"max-message-size", SDP_ATTR_MAX_MESSAGE_SIZE, MEDIA | SINGLE, 0, parse_max_message_size,
     print_num, NULL},
    {"crypto", SDP_ATTR_CRYPTO, MEDIA, 0, parse_crypto, print_crypto, copy_crypto},
    {"bundle-only", SDP_ATTR_BUNDLE_ONLY, MEDIA | FLAG | SINGLE, 0, NULL, NULL, NULL},
};

#define NB_DEFS (sizeof(attr_defs) / sizeof(attr_defs[0]))

const struct sdp_attr_def *sdp_attr_def_by_name(const char *name, size_t len)
{
	for (size_t i = 0; i < NB_DEFS; i++) {
		if (strlen(attr_defs[i].name) == len && memcmp(attr_defs[i].name, name, len) == 0)
			return &attr_defs[i];
	}
	return NULL;
}

const struct sdp_attr_def *sdp_attr_def_of(const struct sdp_attr *a)
{
	if (a->type == SDP_ATTR_GENERIC)
		return &generic_def;
	for (size_t i = 0; i < NB_DEFS; i++) {
		if (attr_defs[i].type == a->type &&
		    (a->type != SDP_ATTR_DIRECTION || attr_defs[i].arg == (int)a->u.dir))
			return &attr_defs[i];
	}
	return NULL;
}

void sdp_attr_print_line(struct sdp_buf *b, const struct sdp_attr *a, unsigned flags)
{
	const struct sdp_attr_def *def = sdp_attr_def_of(a);

	if (def == NULL) {
		/* Only a builder bug gets here: an unknown type or direction value. */
		b->is_failed = true;
		return;
	}
	sdp_buf_puts(b, "a=");
	if (a->type == SDP_ATTR_GENERIC) {
		sdp_buf_puts(b, a->u.generic.name);
		if (a->u.generic.value != NULL) {
			sdp_buf_puts(b, ":");
			sdp_buf_puts(b, a->u.generic.value);
		}
	} else {
		sdp_buf_puts(b, def->name);
		if (def->print != NULL) {
			sdp_buf_puts(b, ":");
			def->print(b, a, flags);
		}
	}
	sdp_buf_puts(b, "\r\n");
}
