/* SPDX-License-Identifier: MIT */
/*
 * SDP (RFC 8866) as plain C data: parse, print, and a small builder for the offer/answer code
 * (sdp_negotiate.h). The module has no GLib dependency, so the fuzz target links it alone.
 *
 * Model. A description is the session-level lines, the session-level attributes and the media
 * sections. Attributes are kept as one ordered array per level; each element is typed (a union
 * per known attribute, parsed and validated) or generic (name and value kept verbatim), so
 * printing gives the lines back in their order. Printing is canonical: browsers' descriptions
 * print back byte for byte; the normalizations are listed at sdp_print().
 *
 * Memory. Everything a description points to lives in its own arena, freed (and wiped: it holds
 * ICE passwords and SDES keys) by sdp_free(). Strings in the structs are borrowed from that
 * arena; the builder copies what it is given.
 *
 * Never log a=crypto or k= lines: sdp_print(..., SDP_PRINT_REDACT) replaces their keys, and no
 * error message quotes them.
 */
#ifndef PONTE_CONTROL_SDP_H
#define PONTE_CONTROL_SDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Limits on what sdp_parse() accepts; past them it fails with -E2BIG and says which. */
#define SDP_MAX_LEN (64 * 1024) /* bytes of text */
#define SDP_MAX_MEDIA 64	/* m= sections */
#define SDP_MAX_ATTRS 1024	/* a= lines at one level (the session, or one media section) */
#define SDP_MAX_LIST 64	 /* ids in a=group, a=ssrc-group, a=msid-semantic; candidate extensions */
#define SDP_MAX_FMTS 128 /* formats on one m= line */
#define SDP_MAX_LINES 16 /* each of e=, p=, b=, t=, r= per t=, c= per media section */

/* Enough for any error message of this module, line number included. */
#define SDP_ERR_LEN 256

enum sdp_setup {
	SDP_SETUP_NONE = 0, /* no a=setup */
	SDP_SETUP_ACTPASS,
	SDP_SETUP_ACTIVE,
	SDP_SETUP_PASSIVE,
	SDP_SETUP_HOLDCONN,
};

/* RFC 8866 §6.7; zero is the default that applies when no direction attribute is given. */
enum sdp_direction {
	SDP_DIR_SENDRECV = 0,
	SDP_DIR_SENDONLY,
	SDP_DIR_RECVONLY,
	SDP_DIR_INACTIVE,
};

enum sdp_attr_type {
	SDP_ATTR_GENERIC = 0,	     /* not known here: name and value kept verbatim */
	SDP_ATTR_GROUP,		     /* RFC 5888 */
	SDP_ATTR_MSID_SEMANTIC,	     /* draft-ietf-mmusic-msid, still sent by browsers */
	SDP_ATTR_EXTMAP_ALLOW_MIXED, /* RFC 8285 §6 */
	SDP_ATTR_ICE_LITE,	     /* RFC 8839 §5.3 */
	SDP_ATTR_ICE_UFRAG,	     /* RFC 8839 §5.4 */
	SDP_ATTR_ICE_PWD,
	SDP_ATTR_ICE_OPTIONS,	    /* RFC 8839 §5.6 */
	SDP_ATTR_FINGERPRINT,	    /* RFC 8122 §5 */
	SDP_ATTR_SETUP,		    /* RFC 4145 §4, RFC 8842 */
	SDP_ATTR_MID,		    /* RFC 5888 §4 */
	SDP_ATTR_DIRECTION,	    /* sendrecv, sendonly, recvonly, inactive */
	SDP_ATTR_RTCP,		    /* RFC 3605 */
	SDP_ATTR_RTCP_MUX,	    /* RFC 5761 */
	SDP_ATTR_RTCP_MUX_ONLY,	    /* RFC 8858 */
	SDP_ATTR_RTCP_RSIZE,	    /* RFC 5506 */
	SDP_ATTR_CANDIDATE,	    /* RFC 8839 §5.1 */
	SDP_ATTR_END_OF_CANDIDATES, /* RFC 8840 */
	SDP_ATTR_MSID,		    /* RFC 8830 */
	SDP_ATTR_SSRC,		    /* RFC 5576 */
	SDP_ATTR_SSRC_GROUP,
	SDP_ATTR_RTPMAP,	   /* RFC 8866 §6.6 */
	SDP_ATTR_FMTP,		   /* RFC 8866 §6.15 */
	SDP_ATTR_RTCP_FB,	   /* RFC 4585 §4.2 */
	SDP_ATTR_EXTMAP,	   /* RFC 8285 §7 */
	SDP_ATTR_SCTP_PORT,	   /* RFC 8841 §5 */
	SDP_ATTR_MAX_MESSAGE_SIZE, /* RFC 8841 §6 */
	SDP_ATTR_CRYPTO,	   /* RFC 4568 §9.1 */
	SDP_ATTR_BUNDLE_ONLY,	   /* RFC 8843 §6 */
	SDP_ATTR_NB_TYPES
};

/* An attribute this module does not interpret: "a=name" (value NULL) or "a=name:value". */
struct sdp_generic {
	const char *name;
	const char *value;
};

struct sdp_group {
	const char *semantics; /* "BUNDLE", "LS", ... */
	const char **ids;
	unsigned nb_ids;
};

struct sdp_msid_semantic {
	const char *semantic; /* "WMS" */
	const char **ids;     /* stream ids, or "*" */
	unsigned nb_ids;
	/* Chrome writes the draft-era "a=msid-semantic: WMS" with a space; kept to print it back.
	 */
	bool has_space;
};

struct sdp_fingerprint {
	const char *hash;  /* "sha-256" */
	const char *value; /* "1A:19:...", as written */
};

struct sdp_rtcp {
	uint16_t port;
	const char *nettype; /* NULL when only the port is given */
	const char *addrtype;
	const char *address;
};

/* Name/value pair after "typ" in a candidate that has no field of its own here. */
struct sdp_kv {
	const char *name;
	const char *value;
};

/* Builders set the optional fields to their "absent" values (NULL, -1) explicitly. */
struct sdp_candidate {
	const char *foundation;
	uint16_t component;    /* 1..256 */
	const char *transport; /* as written: "udp", "UDP", "tcp" */
	uint32_t priority;
	const char *address; /* IP literal or FQDN (mDNS .local names) */
	uint16_t port;
	const char *type;    /* "host", "srflx", "prflx", "relay" */
	const char *raddr;   /* NULL: absent */
	int32_t rport;	     /* -1: absent */
	const char *tcptype; /* RFC 6544: "active", "passive", "so"; NULL: absent */
	int64_t generation;  /* -1: absent */
	const char *ufrag;   /* NULL: absent */
	struct sdp_kv *exts; /* other extensions ("network-id 1"), in their order */
	unsigned nb_exts;
};

struct sdp_msid {
	const char *id;	     /* stream id, "-" for none */
	const char *appdata; /* track id; NULL: absent */
};

struct sdp_ssrc {
	uint32_t id;
	const char *attr;  /* "cname", "msid", ... */
	const char *value; /* NULL: "a=ssrc:N attr" without a value */
};

struct sdp_ssrc_group {
	const char *semantics; /* "FID", "SIM", "FEC-FR" */
	uint32_t *ids;
	unsigned nb_ids;
};

struct sdp_rtpmap {
	uint8_t pt;
	const char *encoding; /* "opus", as written */
	uint32_t clock;
	uint16_t channels; /* 0: not written */
};

struct sdp_fmtp {
	const char *fmt;    /* the format as written ("111", "webrtc-datachannel") */
	int pt;		    /* 0..127 in RTP sections; -1 otherwise */
	const char *params; /* NULL: no parameters at all */
};

struct sdp_rtcp_fb {
	int pt;		    /* -1: "*" (every format) */
	const char *type;   /* "nack", "ccm", "goog-remb", "transport-cc" */
	const char *params; /* "pli", "fir"; NULL: none */
};

struct sdp_extmap {
	uint16_t id; /* 1-14, 16-255, or 4096-4351 (RFC 8285 §7) */
	bool has_dir;
	enum sdp_direction dir;
	const char *uri;
	const char *attrs; /* extension attributes; NULL: none */
};

/* RFC 4568 §9.1. key_params holds the keys: it never goes to a log. */
struct sdp_crypto {
	uint32_t tag;
	const char *suite;
	const char *key_params;	    /* "inline:<key||salt>[|lifetime][|MKI:len]" *(";" ...) */
	const char *session_params; /* NULL: none */
};

struct sdp_attr {
	enum sdp_attr_type type;
	union {
		struct sdp_generic generic;
		struct sdp_group group;
		struct sdp_msid_semantic msid_semantic;
		const char *str; /* ICE_UFRAG, ICE_PWD, ICE_OPTIONS, MID */
		struct sdp_fingerprint fingerprint;
		enum sdp_setup setup;
		enum sdp_direction dir;
		struct sdp_rtcp rtcp;
		struct sdp_candidate candidate;
		struct sdp_msid msid;
		struct sdp_ssrc ssrc;
		struct sdp_ssrc_group ssrc_group;
		struct sdp_rtpmap rtpmap;
		struct sdp_fmtp fmtp;
		struct sdp_rtcp_fb rtcp_fb;
		struct sdp_extmap extmap;
		uint64_t num; /* SCTP_PORT, MAX_MESSAGE_SIZE */
		struct sdp_crypto crypto;
	} u;
};

/* c= */
struct sdp_conn {
	const char *nettype;  /* "IN" */
	const char *addrtype; /* "IP4", "IP6" */
	const char *address;  /* may carry "/ttl/n" for multicast, as written */
};

/* b= */
struct sdp_bw {
	const char *type; /* "AS", "TIAS", "CT" */
	uint64_t value;
};

/* t= and its r= lines */
struct sdp_time {
	uint64_t start, stop;
	const char **repeats; /* r= values, as written */
	unsigned nb_repeats;
};

struct sdp_media {
	const char *type; /* "audio", "video", "application", ... */
	uint16_t port;
	uint16_t nb_ports; /* 0: no "/<number of ports>" */
	const char *proto; /* "UDP/TLS/RTP/SAVPF" */
	const char **fmts;
	unsigned nb_fmts;
	const char *info; /* i=; NULL: absent */
	struct sdp_conn *conns;
	unsigned nb_conns;
	struct sdp_bw *bws;
	unsigned nb_bws;
	const char *key; /* k= (obsolete; may hold a key: never logged) */
	struct sdp_attr *attrs;
	unsigned nb_attrs;
	unsigned line; /* line number of the m= line; 0 if built */
};

struct sdp_origin {
	const char *username; /* "-" */
	const char *sess_id;  /* digits, as written */
	const char *sess_version;
	const char *nettype, *addrtype, *address;
};

struct sdp_arena;

struct sdp {
	struct sdp_origin origin;
	const char *name;    /* s= */
	const char *info;    /* i= */
	const char *uri;     /* u= */
	const char **emails; /* e= */
	unsigned nb_emails;
	const char **phones; /* p= */
	unsigned nb_phones;
	struct sdp_conn *conn; /* c=; NULL: absent */
	struct sdp_bw *bws;
	unsigned nb_bws;
	struct sdp_time *times;
	unsigned nb_times;
	const char *zone; /* z= */
	const char *key;  /* k= (never logged) */
	struct sdp_attr *attrs;
	unsigned nb_attrs;
	struct sdp_media *media;
	unsigned nb_media;
	struct sdp_arena *arena;
};

/*
 * Parse LEN bytes of TEXT (lines end in CRLF or LF, RFC 8866 §5). Returns 0 and a new
 * description in *out (free with sdp_free), or a negative errno with a message in ERR
 * ("line 12: a=rtpmap: payload type 300 out of range (0-127)"):
 *   -EINVAL   malformed, out of order (RFC 8866 §5), or an attribute that fails its grammar;
 *   -E2BIG    past a limit above;
 *   -ENOMEM.
 * Lines must follow RFC 8866's order; attributes are checked for their level and repetition.
 * Values are parsed strictly, except that trailing blanks of known attributes are dropped.
 */
int sdp_parse(const char *text, size_t len, struct sdp **out, char *err, size_t errlen);

/* Free the description and everything it points to; the memory is wiped first. NULL is fine. */
void sdp_free(struct sdp *sdp);

#define SDP_PRINT_REDACT 0x1 /* for logs: a=crypto and k= keys become "<redacted>" */

/*
 * Print SDP as text, every line ended by CRLF. Returns 0 and a NUL-terminated malloc'd string
 * in *out (its length in *len if LEN is not NULL; the caller frees it, and wipes it first when
 * it holds keys), -EINVAL when the o= fields are not all set (a builder bug), or -ENOMEM.
 * A parsed description prints back as it came, except for these
 * normalizations: LF line ends become CRLF, a missing final line end is added, trailing blanks
 * of known attributes go, and candidate extensions print as raddr, rport, tcptype,
 * generation, ufrag, then the others in their order. Typed values keep their spelling
 * ("UDP", "opus"), so browser descriptions print back byte for byte.
 */
int sdp_print(const struct sdp *sdp, unsigned flags, char **out, size_t *len);

/* --- Lookups --- */

/* The first attribute of TYPE at index >= *pos in ATTRS (then *pos is past it), or NULL. */
const struct sdp_attr *sdp_attr_next(const struct sdp_attr *attrs, unsigned nb, unsigned *pos,
				     enum sdp_attr_type type);
const struct sdp_attr *sdp_attr_find(const struct sdp_attr *attrs, unsigned nb,
				     enum sdp_attr_type type);
/* The generic attribute called NAME at index >= *pos, or NULL. */
const struct sdp_attr *sdp_attr_next_generic(const struct sdp_attr *attrs, unsigned nb,
					     unsigned *pos, const char *name);

/* The media attribute of TYPE, else the session one (for attributes valid at both levels). */
const struct sdp_attr *sdp_media_attr(const struct sdp *sdp, const struct sdp_media *m,
				      enum sdp_attr_type type);
/* The direction in force for M (RFC 8866 §6.7: media, else session, else sendrecv). */
enum sdp_direction sdp_media_direction(const struct sdp *sdp, const struct sdp_media *m);
/* The a=mid of M, or NULL. */
const char *sdp_media_mid(const struct sdp_media *m);
/* The rtpmap of PT in M, or NULL. */
const struct sdp_rtpmap *sdp_media_rtpmap(const struct sdp_media *m, int pt);
/* The fmtp parameters of PT in M, or NULL. */
const char *sdp_media_fmtp(const struct sdp_media *m, int pt);
/* Whether PROTO is RTP-based (has an "RTP" component: "RTP/AVP", "UDP/TLS/RTP/SAVPF"). */
bool sdp_proto_is_rtp(const char *proto);

/*
 * Find NAME in an fmtp parameter list "a=1;b=2" (names case-insensitive, RFC 8866 §6.15 leaves
 * the syntax to the format; this is the common "name=value;..." one). Copies the value into
 * BUF and returns true, or returns false when absent or longer than BUFLEN - 1.
 */
bool sdp_fmtp_param(const char *params, const char *name, char *buf, size_t buflen);

const char *sdp_direction_name(enum sdp_direction dir);
const char *sdp_setup_name(enum sdp_setup setup);

/* --- Building (the answer/offer code) --- */

/* A new empty description (no lines at all), or NULL on allocation failure. */
struct sdp *sdp_new(void);
/* Copy S into SDP's arena; NULL on allocation failure (S NULL gives NULL too). */
const char *sdp_strdup(struct sdp *sdp, const char *s);
/* printf into SDP's arena; NULL on allocation failure. */
const char *sdp_printf(struct sdp *sdp, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Zeroed memory in SDP's arena, freed with it; NULL on allocation failure. */
void *sdp_alloc(struct sdp *sdp, size_t size);

/* Append a media section (strings copied); NULL on allocation failure. */
struct sdp_media *sdp_add_media(struct sdp *sdp, const char *type, uint16_t port,
				const char *proto);
int sdp_media_add_fmt(struct sdp *sdp, struct sdp_media *m, const char *fmt);
int sdp_media_add_conn(struct sdp *sdp, struct sdp_media *m, const char *addrtype,
		       const char *address);
/*
 * Append an attribute of TYPE to M (NULL: session level). Returns it zeroed but for the type,
 * or NULL on allocation failure. The caller fills the union; strings must live in SDP's arena
 * (sdp_strdup) or be string literals.
 */
struct sdp_attr *sdp_add_attr(struct sdp *sdp, struct sdp_media *m, enum sdp_attr_type type);
/* Append a copy of A (deep: strings and lists copied into SDP's arena); -ENOMEM on failure. */
int sdp_copy_attr(struct sdp *sdp, struct sdp_media *m, const struct sdp_attr *a);

#endif
