/* SPDX-License-Identifier: MIT */
/*
 * Internals of the SDP module: sdp.c (model, arena, builder), sdp_attr.c (the attribute
 * table), sdp_parse.c, sdp_print.c, and for offer/answer sdp_local.c, sdp_negotiate.c,
 * sdp_offer.c and sdp_codec.c. Other modules use sdp.h and sdp_negotiate.h.
 */
#ifndef PONTE_CONTROL_SDP_INTERNAL_H
#define PONTE_CONTROL_SDP_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sdp.h"
#include "sdp_negotiate.h"

/* A growable output buffer; after an allocation failure it stays failed and drops writes. */
struct sdp_buf {
	char *data;
	size_t len, cap;
	bool is_failed;
};

void sdp_buf_put(struct sdp_buf *b, const char *s, size_t len);
void sdp_buf_puts(struct sdp_buf *b, const char *s);
void sdp_buf_printf(struct sdp_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* What the attribute parsers get: the description, the level and where to report errors. */
struct sdp_parse_ctx {
	struct sdp *sdp;
	struct sdp_media *m; /* NULL at session level */
	bool is_rtp;	     /* m is an RTP-based section */
	unsigned line;
	const char *attr_name; /* for messages */
	char *err;
	size_t errlen;
};

/*
 * Write "line N: a=NAME: <message>" into ctx->err and return RC (a negative errno). Messages
 * never quote key material: the a=crypto parser only reports what is wrong, never the value.
 */
int sdp_attr_err(struct sdp_parse_ctx *ctx, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Where an attribute may appear and how often (RFC 8866 §6 and each attribute's RFC). */
#define SDP_AT_SESSION 0x1
#define SDP_AT_MEDIA 0x2
#define SDP_AT_FLAG 0x4	  /* property attribute: takes no value */
#define SDP_AT_SINGLE 0x8 /* at most once per level */

struct sdp_attr_def {
	const char *name;
	enum sdp_attr_type type;
	unsigned flags;
	int arg; /* SDP_ATTR_DIRECTION: the direction this name stands for */
	/* Parse VALUE (a NUL-terminated copy in the arena, free to split in place) into A. */
	int (*parse)(struct sdp_parse_ctx *ctx, char *value, struct sdp_attr *a);
	/* Print the value, the part after "name:". NULL for property attributes. */
	void (*print)(struct sdp_buf *b, const struct sdp_attr *a, unsigned flags);
	/* Deep copy of the union into DST's arena (NULL: a flat copy is enough). */
	int (*copy)(struct sdp *dst, struct sdp_attr *to, const struct sdp_attr *from);
};

/* The table entry for NAME (LEN bytes), or NULL when the attribute is not known here. */
const struct sdp_attr_def *sdp_attr_def_by_name(const char *name, size_t len);
/* The table entry that prints A (the direction entries by value). */
const struct sdp_attr_def *sdp_attr_def_of(const struct sdp_attr *a);
/* Print A as a whole line, "a=...\r\n". */
void sdp_attr_print_line(struct sdp_buf *b, const struct sdp_attr *a, unsigned flags);

/* Token characters of RFC 8866 §9 (token-char). */
bool sdp_is_token(const char *s);
/* A non-empty run of decimal digits no greater than MAX; false on anything else or overflow. */
bool sdp_parse_uint(const char *s, uint64_t max, uint64_t *out);
/* Split *CUR at the next space: returns the field (possibly empty) and advances *CUR past the
 * space, or to NULL when the field was the last one. */
char *sdp_next_field(char **cur);
/* Drop trailing spaces and tabs in place. */
void sdp_rtrim(char *s);

/*
 * Make room for one more element in ARRAY (NB elements of ELEM_SIZE, in the arena). Capacity is
 * implicit: 4, then doubled whenever NB reaches a power of two, so no count of it is kept.
 * Returns the array to use (maybe moved), or NULL on allocation failure.
 */
void *sdp_grow(struct sdp *sdp, void *array, unsigned nb, size_t elem_size);
/* Append S (not copied) to a string array in the arena; -ENOMEM on failure. */
int sdp_push_str(struct sdp *sdp, const char ***array, unsigned *nb, const char *s);

/* --- Building from the gateway's parameters (sdp_local.c), for answers and offers --- */

#define SDP_DEFAULT_SCTP_PORT 5000
#define SDP_DEFAULT_MAX_MESSAGE_SIZE 262144

/* Write the message into ERR (if any) and return RC. */
int sdp_neg_err(char *err, size_t errlen, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
bool sdp_dir_sends(enum sdp_direction d);
bool sdp_dir_recvs(enum sdp_direction d);
enum sdp_direction sdp_dir_of(bool send, bool recv);
/* -EINVAL with ERR when LOCAL lacks ICE credentials or a fingerprint, or has a bad role. */
int sdp_local_check(const struct sdp_local *local, char *err, size_t errlen);
/* A description with o=, s= and t= filled (RFC 8829 §5.2.1), or NULL. */
struct sdp *sdp_local_description(const struct sdp_local *local);
/*
 * Append a section: m= and c= lines, ICE and DTLS attributes with role SETUP, candidates when
 * IS_TAGGED, port 0 when IS_BUNDLE_ONLY, and a=mid. NULL on allocation failure.
 */
struct sdp_media *sdp_local_section(struct sdp *sdp, const struct sdp_local *local,
				    const char *type, const char *proto, bool is_bundle_only,
				    bool is_tagged, enum sdp_setup setup, const char *mid);
/* Attribute builders: each appends one attribute to M (NULL: session); 0 or -ENOMEM. */
int sdp_add_flag(struct sdp *sdp, struct sdp_media *m, enum sdp_attr_type type);
int sdp_add_str(struct sdp *sdp, struct sdp_media *m, enum sdp_attr_type type, const char *s);
int sdp_add_num(struct sdp *sdp, struct sdp_media *m, enum sdp_attr_type type, uint64_t n);
int sdp_add_dir(struct sdp *sdp, struct sdp_media *m, enum sdp_direction dir);
int sdp_add_bundle(struct sdp *sdp, const char *const *mids, unsigned nb);
int sdp_add_extmap(struct sdp *sdp, struct sdp_media *m, uint16_t id, bool has_dir,
		   enum sdp_direction dir, const char *uri);
int sdp_add_msid(struct sdp *sdp, struct sdp_media *m, const struct sdp_local_stream *st);
int sdp_add_fmt_pt(struct sdp *sdp, struct sdp_media *m, int pt);
int sdp_add_rtpmap(struct sdp *sdp, struct sdp_media *m, int pt, const char *encoding,
		   uint32_t clock, uint16_t channels);
/* PARAMS NULL adds nothing. */
int sdp_add_fmtp(struct sdp *sdp, struct sdp_media *m, int pt, const char *params);
int sdp_add_rtcp_fb(struct sdp *sdp, struct sdp_media *m, int pt, const struct sdp_fb_def *d);
/* The stream's a=ssrc lines, and its RTX SSRC with a=ssrc-group:FID when HAS_RTX. */
int sdp_add_stream_ssrcs(struct sdp *sdp, struct sdp_media *m, const struct sdp_local_stream *st,
			 const char *cname, bool has_rtx);

#endif
