/* SPDX-License-Identifier: MIT */
/*
 * SDP model: the arena every description lives in, the builder, lookups and small helpers.
 * Parsing is in sdp_parse.c, printing in sdp_print.c, the attribute table in sdp_attr.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sdp_internal.h"

/*
 * The arena: a list of chunks, bump-allocated. A description is small (64 KiB of text at
 * most), so the simplicity of freeing everything at once beats per-field ownership, and it
 * lets sdp_free() wipe ICE passwords and SDES keys wherever they were copied.
 */
struct sdp_arena {
	struct sdp_arena *next;
	size_t size, used;
	_Alignas(max_align_t) unsigned char data[];
};

#define ARENA_CHUNK 8192
#define ARENA_ALIGN _Alignof(max_align_t)

void *sdp_alloc(struct sdp *sdp, size_t size)
{
	struct sdp_arena *a = sdp->arena;
	size_t need = (size + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1);

	if (need < size)
		return NULL;
	if (a == NULL || a->size - a->used < need) {
		size_t chunk = need > ARENA_CHUNK ? need : ARENA_CHUNK;

		a = calloc(1, sizeof(*a) + chunk);
		if (a == NULL)
			return NULL;
		a->size = chunk;
		a->next = sdp->arena;
		sdp->arena = a;
	}
	void *p = a->data + a->used;

	a->used += need;
	memset(p, 0, size);
	return p;
}

struct sdp *sdp_new(void)
{
	return calloc(1, sizeof(struct sdp));
}

void sdp_free(struct sdp *sdp)
{
	if (sdp == NULL)
		return;
	for (struct sdp_arena *a = sdp->arena, *next; a != NULL; a = next) {
		next = a->next;
		explicit_bzero(a, sizeof(*a) + a->size);
		free(a);
	}
	explicit_bzero(sdp, sizeof(*sdp));
	free(sdp);
}

const char *sdp_strdup(struct sdp *sdp, const char *s)
{
	if (s == NULL)
		return NULL;
	size_t len = strlen(s);
	char *p = sdp_alloc(sdp, len + 1);

	if (p != NULL)
		memcpy(p, s, len + 1);
	return p;
}

const char *sdp_printf(struct sdp *sdp, const char *fmt, ...)
{
	va_list ap;
	char small[256];
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	char *p = sdp_alloc(sdp, (size_t)n + 1);

	if (p == NULL)
		return NULL;
	if ((size_t)n < sizeof(small)) {
		memcpy(p, small, (size_t)n + 1);
	} else {
		va_start(ap, fmt);
		vsnprintf(p, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	explicit_bzero(small, sizeof(small));
	return p;
}

void *sdp_grow(struct sdp *sdp, void *array, unsigned nb, size_t elem_size)
{
	if (nb != 0 && (nb < 4 || (nb & (nb - 1)) != 0))
		return array;
	size_t cap = nb == 0 ? 4 : (size_t)nb * 2;
	void *p = sdp_alloc(sdp, cap * elem_size);

	if (p != NULL && nb != 0)
		memcpy(p, array, nb * elem_size);
	return p;
}

int sdp_push_str(struct sdp *sdp, const char ***array, unsigned *nb, const char *s)
{
	const char **p = sdp_grow(sdp, *array, *nb, sizeof(*p));

	if (p == NULL)
		return -ENOMEM;
	p[(*nb)++] = s;
	*array = p;
	return 0;
}

struct sdp_media *sdp_add_media(struct sdp *sdp, const char *type, uint16_t port, const char *proto)
{
	struct sdp_media *media = sdp_grow(sdp, sdp->media, sdp->nb_media, sizeof(*media));

	if (media == NULL)
		return NULL;
	sdp->media = media;
	struct sdp_media *m = &media[sdp->nb_media];

	memset(m, 0, sizeof(*m));
	m->type = sdp_strdup(sdp, type);
	m->proto = sdp_strdup(sdp, proto);
	m->port = port;
	if (m->type == NULL || m->proto == NULL)
		return NULL;
	sdp->nb_media++;
	return m;
}

int sdp_media_add_fmt(struct sdp *sdp, struct sdp_media *m, const char *fmt)
{
	const char *s = sdp_strdup(sdp, fmt);

	if (s == NULL)
		return -ENOMEM;
	return sdp_push_str(sdp, &m->fmts, &m->nb_fmts, s);
}

int sdp_media_add_conn(struct sdp *sdp, struct sdp_media *m, const char *addrtype,
		       const char *address)
{
	struct sdp_conn *c = sdp_grow(sdp, m->conns, m->nb_conns, sizeof(*c));

	if (c == NULL)
		return -ENOMEM;
	m->conns = c;
	c[m->nb_conns].nettype = "IN";
	c[m->nb_conns].addrtype = sdp_strdup(sdp, addrtype);
	c[m->nb_conns].address = sdp_strdup(sdp, address);
	if (c[m->nb_conns].addrtype == NULL || c[m->nb_conns].address == NULL)
		return -ENOMEM;
	m->nb_conns++;
	return 0;
}

struct sdp_attr *sdp_add_attr(struct sdp *sdp, struct sdp_media *m, enum sdp_attr_type type)
{
	struct sdp_attr **attrs = m != NULL ? &m->attrs : &sdp->attrs;
	unsigned *nb = m != NULL ? &m->nb_attrs : &sdp->nb_attrs;
	struct sdp_attr *p = sdp_grow(sdp, *attrs, *nb, sizeof(*p));

	if (p == NULL)
		return NULL;
	*attrs = p;
	struct sdp_attr *a = &p[(*nb)++];

	memset(a, 0, sizeof(*a));
	a->type = type;
	return a;
}

int sdp_copy_attr(struct sdp *sdp, struct sdp_media *m, const struct sdp_attr *from)
{
	const struct sdp_attr_def *def = sdp_attr_def_of(from);
	struct sdp_attr *to = sdp_add_attr(sdp, m, from->type);

	if (to == NULL)
		return -ENOMEM;
	*to = *from;
	if (def != NULL && def->copy != NULL)
		return def->copy(sdp, to, from);
	return 0;
}

/* --- Lookups --- */

const struct sdp_attr *sdp_attr_next(const struct sdp_attr *attrs, unsigned nb, unsigned *pos,
				     enum sdp_attr_type type)
{
	for (unsigned i = *pos; i < nb; i++) {
		if (attrs[i].type == type) {
			*pos = i + 1;
			return &attrs[i];
		}
	}
	*pos = nb;
	return NULL;
}

const struct sdp_attr *sdp_attr_find(const struct sdp_attr *attrs, unsigned nb,
				     enum sdp_attr_type type)
{
	unsigned pos = 0;

	return sdp_attr_next(attrs, nb, &pos, type);
}

const struct sdp_attr *sdp_attr_next_generic(const struct sdp_attr *attrs, unsigned nb,
					     unsigned *pos, const char *name)
{
	const struct sdp_attr *a;

	while ((a = sdp_attr_next(attrs, nb, pos, SDP_ATTR_GENERIC)) != NULL) {
		if (strcmp(a->u.generic.name, name) == 0)
			return a;
	}
	return NULL;
}

const struct sdp_attr *sdp_media_attr(const struct sdp *sdp, const struct sdp_media *m,
				      enum sdp_attr_type type)
{
	const struct sdp_attr *a = sdp_attr_find(m->attrs, m->nb_attrs, type);

	return a != NULL ? a : sdp_attr_find(sdp->attrs, sdp->nb_attrs, type);
}

enum sdp_direction sdp_media_direction(const struct sdp *sdp, const struct sdp_media *m)
{
	const struct sdp_attr *a = sdp_media_attr(sdp, m, SDP_ATTR_DIRECTION);

	return a != NULL ? a->u.dir : SDP_DIR_SENDRECV;
}

const char *sdp_media_mid(const struct sdp_media *m)
{
	const struct sdp_attr *a = sdp_attr_find(m->attrs, m->nb_attrs, SDP_ATTR_MID);

	return a != NULL ? a->u.str : NULL;
}

const struct sdp_rtpmap *sdp_media_rtpmap(const struct sdp_media *m, int pt)
{
	const struct sdp_attr *a;
	unsigned pos = 0;

	while ((a = sdp_attr_next(m->attrs, m->nb_attrs, &pos, SDP_ATTR_RTPMAP)) != NULL) {
		if (a->u.rtpmap.pt == pt)
			return &a->u.rtpmap;
	}
	return NULL;
}

const char *sdp_media_fmtp(const struct sdp_media *m, int pt)
{
	const struct sdp_attr *a;
	unsigned pos = 0;

	while ((a = sdp_attr_next(m->attrs, m->nb_attrs, &pos, SDP_ATTR_FMTP)) != NULL) {
		if (a->u.fmtp.pt == pt && pt >= 0)
			return a->u.fmtp.params;
	}
	return NULL;
}

bool sdp_proto_is_rtp(const char *proto)
{
	for (const char *p = proto; *p != '\0';) {
		size_t n = strcspn(p, "/");

		if (n == 3 && strncmp(p, "RTP", 3) == 0)
			return true;
		p += n;
		if (*p == '/')
			p++;
	}
	return false;
}

bool sdp_fmtp_param(const char *params, const char *name, char *buf, size_t buflen)
{
	size_t name_len = strlen(name);

	if (params == NULL)
		return false;
	for (const char *p = params; *p != '\0';) {
		size_t n = strcspn(p, ";");
		const char *item = p;

		while (n > 0 && (*item == ' ' || *item == '\t')) {
			item++;
			n--;
		}
		const char *eq = memchr(item, '=', n);

		if (eq != NULL && (size_t)(eq - item) == name_len &&
		    strncasecmp(item, name, name_len) == 0) {
			size_t vlen = n - name_len - 1;

			if (vlen >= buflen)
				return false;
			memcpy(buf, eq + 1, vlen);
			buf[vlen] = '\0';
			return true;
		}
		p = item + n;
		if (*p == ';')
			p++;
	}
	return false;
}

static const char *const direction_names[] = {
    [SDP_DIR_SENDRECV] = "sendrecv",
    [SDP_DIR_SENDONLY] = "sendonly",
    [SDP_DIR_RECVONLY] = "recvonly",
    [SDP_DIR_INACTIVE] = "inactive",
};

const char *sdp_direction_name(enum sdp_direction dir)
{
	return (unsigned)dir < 4 ? direction_names[dir] : "?";
}

static const char *const setup_names[] = {
    [SDP_SETUP_NONE] = "",
    [SDP_SETUP_ACTPASS] = "actpass",
    [SDP_SETUP_ACTIVE] = "active",
    [SDP_SETUP_PASSIVE] = "passive",
    [SDP_SETUP_HOLDCONN] = "holdconn",
};

const char *sdp_setup_name(enum sdp_setup setup)
{
	return (unsigned)setup <= SDP_SETUP_HOLDCONN ? setup_names[setup] : "?";
}

/* --- Scanning helpers shared by the parsers --- */

static bool is_token_char(unsigned char c)
{
	/* RFC 8866 §9: %x21 / %x23-27 / %x2A-2B / %x2D-2E / %x30-39 / %x41-5A / %x5E-7E */
	return c == 0x21 || (c >= 0x23 && c <= 0x27) || c == 0x2a || c == 0x2b || c == 0x2d ||
	       c == 0x2e || (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) ||
	       (c >= 0x5e && c <= 0x7e);
}

bool sdp_is_token(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		if (!is_token_char((unsigned char)*s))
			return false;
	}
	return true;
}

bool sdp_parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return false;
		unsigned d = (unsigned)(*s - '0');

		if (d > max || v > (max - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

char *sdp_next_field(char **cur)
{
	char *field = *cur;
	char *sp = strchr(field, ' ');

	if (sp != NULL) {
		*sp = '\0';
		*cur = sp + 1;
	} else {
		*cur = NULL;
	}
	return field;
}

void sdp_rtrim(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
}
