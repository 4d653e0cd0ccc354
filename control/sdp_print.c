/* SPDX-License-Identifier: MIT */
/*
 * SDP printing: the lines in RFC 8866 §5 order, attributes in their stored order, CRLF after
 * each line. Attribute values print through the table in sdp_attr.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sdp_internal.h"

static bool buf_reserve(struct sdp_buf *b, size_t more)
{
	if (b->is_failed)
		return false;
	if (b->cap - b->len > more)
		return true;
	size_t cap = b->cap != 0 ? b->cap : 4096;

	while (cap - b->len <= more) {
		if (cap > SIZE_MAX / 2)
			goto fail;
		cap *= 2;
	}
	char *data = malloc(cap);

	if (data == NULL)
		goto fail;
	/* Copy rather than realloc, so that no stray copy of a key stays behind unwiped. */
	if (b->data != NULL) {
		memcpy(data, b->data, b->len);
		explicit_bzero(b->data, b->cap);
		free(b->data);
	}
	b->data = data;
	b->cap = cap;
	return true;
fail:
	b->is_failed = true;
	return false;
}

void sdp_buf_put(struct sdp_buf *b, const char *s, size_t len)
{
	if (!buf_reserve(b, len))
		return;
	memcpy(b->data + b->len, s, len);
	b->len += len;
	b->data[b->len] = '\0';
}

void sdp_buf_puts(struct sdp_buf *b, const char *s)
{
	sdp_buf_put(b, s, strlen(s));
}

void sdp_buf_printf(struct sdp_buf *b, const char *fmt, ...)
{
	char small[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->is_failed = true;
		return;
	}
	if ((size_t)n < sizeof(small)) {
		sdp_buf_put(b, small, (size_t)n);
		explicit_bzero(small, sizeof(small));
		return;
	}
	if (!buf_reserve(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

static void print_line(struct sdp_buf *b, char type, const char *value)
{
	char head[2] = {type, '='};

	sdp_buf_put(b, head, 2);
	sdp_buf_puts(b, value);
	sdp_buf_puts(b, "\r\n");
}

static void print_conn(struct sdp_buf *b, const struct sdp_conn *c)
{
	sdp_buf_printf(b, "c=%s %s %s\r\n", c->nettype, c->addrtype, c->address);
}

static void print_bws(struct sdp_buf *b, const struct sdp_bw *bws, unsigned nb)
{
	for (unsigned i = 0; i < nb; i++)
		sdp_buf_printf(b, "b=%s:%" PRIu64 "\r\n", bws[i].type, bws[i].value);
}

static void print_key(struct sdp_buf *b, const char *key, unsigned flags)
{
	if (key != NULL)
		print_line(b, 'k', flags & SDP_PRINT_REDACT ? "<redacted>" : key);
}

static void print_attrs(struct sdp_buf *b, const struct sdp_attr *attrs, unsigned nb,
			unsigned flags)
{
	for (unsigned i = 0; i < nb; i++)
		sdp_attr_print_line(b, &attrs[i], flags);
}

static void print_media(struct sdp_buf *b, const struct sdp_media *m, unsigned flags)
{
	sdp_buf_printf(b, "m=%s %u", m->type, m->port);
	if (m->nb_ports != 0)
		sdp_buf_printf(b, "/%u", m->nb_ports);
	sdp_buf_printf(b, " %s", m->proto);
	for (unsigned i = 0; i < m->nb_fmts; i++)
		sdp_buf_printf(b, " %s", m->fmts[i]);
	sdp_buf_puts(b, "\r\n");
	if (m->info != NULL)
		print_line(b, 'i', m->info);
	for (unsigned i = 0; i < m->nb_conns; i++)
		print_conn(b, &m->conns[i]);
	print_bws(b, m->bws, m->nb_bws);
	print_key(b, m->key, flags);
	print_attrs(b, m->attrs, m->nb_attrs, flags);
}

int sdp_print(const struct sdp *sdp, unsigned flags, char **out, size_t *len)
{
	const struct sdp_origin *o = &sdp->origin;
	struct sdp_buf b = {0};

	*out = NULL;
	if (o->username == NULL || o->sess_id == NULL || o->sess_version == NULL ||
	    o->nettype == NULL || o->addrtype == NULL || o->address == NULL)
		return -EINVAL;
	sdp_buf_puts(&b, "v=0\r\n");
	sdp_buf_printf(&b, "o=%s %s %s %s %s %s\r\n", o->username, o->sess_id, o->sess_version,
		       o->nettype, o->addrtype, o->address);
	print_line(&b, 's', sdp->name != NULL ? sdp->name : "-");
	if (sdp->info != NULL)
		print_line(&b, 'i', sdp->info);
	if (sdp->uri != NULL)
		print_line(&b, 'u', sdp->uri);
	for (unsigned i = 0; i < sdp->nb_emails; i++)
		print_line(&b, 'e', sdp->emails[i]);
	for (unsigned i = 0; i < sdp->nb_phones; i++)
		print_line(&b, 'p', sdp->phones[i]);
	if (sdp->conn != NULL)
		print_conn(&b, sdp->conn);
	print_bws(&b, sdp->bws, sdp->nb_bws);
	for (unsigned i = 0; i < sdp->nb_times; i++) {
		sdp_buf_printf(&b, "t=%" PRIu64 " %" PRIu64 "\r\n", sdp->times[i].start,
			       sdp->times[i].stop);
		for (unsigned r = 0; r < sdp->times[i].nb_repeats; r++)
			print_line(&b, 'r', sdp->times[i].repeats[r]);
	}
	if (sdp->nb_times == 0)
		sdp_buf_puts(&b, "t=0 0\r\n");
	if (sdp->zone != NULL)
		print_line(&b, 'z', sdp->zone);
	print_key(&b, sdp->key, flags);
	print_attrs(&b, sdp->attrs, sdp->nb_attrs, flags);
	for (unsigned i = 0; i < sdp->nb_media; i++)
		print_media(&b, &sdp->media[i], flags);
	if (b.is_failed || b.data == NULL) {
		if (b.data != NULL)
			explicit_bzero(b.data, b.cap);
		free(b.data);
		return -ENOMEM;
	}
	*out = b.data;
	if (len != NULL)
		*len = b.len;
	return 0;
}
