/* SPDX-License-Identifier: MIT */
/*
 * The dataplane's SRTP engine interface (RFC 3711 SRTP/SRTCP, RFC 7714 AEAD).
 *
 * An engine is a const ops table. The libsrtp2 engine is the reference; the "ipsec-mb" engine
 * (intel-ipsec-mb, batched per burst) sits beside it; the configuration names one
 * (dataplane.srtp_engine). Every engine must produce byte-identical packets and the same return
 * codes for the same input, so the rules that are not cryptography (which packets are malformed,
 * how much room protect needs, the replay window size) are defined here, once.
 *
 * Ownership: create() copies what it needs from the key, which stays the caller's (the caller
 * wipes its own copy). The context it returns belongs to the caller until destroy(), which
 * wipes the session keys the engine derived. destroy(NULL) does nothing.
 *
 * Threading: init() is called once, from one thread, before any other call. create() and
 * destroy() allocate and free, so they belong on a control or set-up thread, never in the
 * per-packet path. One context is used by one thread at a time; distinct contexts may be used
 * by distinct threads at once. rtp() and rtcp() must not allocate, except once for the first
 * packet of each new SSRC (its replay and rollover state) and once per thread for an engine's
 * per-thread state, which thread_init() lets a packet thread allocate before its first packet;
 * the libsrtp2 engine cannot keep even that, because of the crypto backend Debian builds
 * libsrtp2 with (see its file).
 * Per-SSRC state lives until destroy(): a context meets only the SSRCs of one authenticated
 * peer, and a forged packet never creates any.
 */
#ifndef PONTE_DP_SRTP_H
#define PONTE_DP_SRTP_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ponte/srtp.h>

/* RFC 3711 §3.3.2: "a minimum window size of 64 MUST be supported"; every engine uses exactly
 * this for SRTP, so an engine swap never changes which late packets are accepted. SRTCP uses
 * libsrtp's fixed srtp_rdb_t window instead: 128 indexes starting at the oldest, moved only
 * by an index beyond its end (DP_SRTP_SRTCP_WINDOW); every engine reproduces it. */
#define DP_SRTP_REPLAY_WINDOW 64
#define DP_SRTP_SRTCP_WINDOW 128

/* RFC 3550 §5.1 fixed header; RFC 3550 §6.4.1 header up to the sender's SSRC. */
#define DP_SRTP_RTP_HEADER_LEN 12
#define DP_SRTP_RTCP_HEADER_LEN 8
/* RFC 3711 §3.4: the E flag and the 31-bit SRTCP index. */
#define DP_SRTP_SRTCP_INDEX_LEN 4
/* The most protect() ever appends: an AEAD tag of 16 and the SRTCP index. */
#define DP_SRTP_MAX_OVERHEAD 20

enum dp_srtp_dir {
	DP_SRTP_PROTECT = 1,   /* RTP/RTCP in, SRTP/SRTCP out: a sending context */
	DP_SRTP_UNPROTECT = 2, /* SRTP/SRTCP in, RTP/RTCP out: a receiving context */
};

/*
 * The part of a context every engine shares; an engine's own context embeds it as its first
 * member, so the dp_srtp_rtp() / dp_srtp_rtcp() helpers below can dispatch on any context.
 */
struct dp_srtp {
	const struct dp_srtp_engine *engine;
	uint16_t profile; /* enum ponte_srtp_profile */
	uint8_t dir;	  /* enum dp_srtp_dir */
};

/*
 * One SRTP implementation. Return codes of rtp() and rtcp(), both for protect and unprotect:
 *   0            done; *len is the new length (protect: grown by dp_srtp_overhead(); unprotect:
 *                shrunk by it)
 *   -EINVAL      malformed: shorter than a header plus the tag, not version 2, CSRC list or
 *                header extension overrunning the packet (dp_srtp_check()), *len > cap
 *   -ENOSPC      protect: cap - *len is smaller than dp_srtp_overhead()
 *   -EBADMSG     unprotect: authentication failed (forged or corrupted), or an SRTCP packet
 *                whose E flag says "unencrypted": Ponte never negotiates unencrypted SRTCP
 *                (RFC 4568 §6.3.2 UNENCRYPTED_SRTCP; DTLS-SRTP has no such option), so such a
 *                packet breaks the session's policy. Nothing changed state.
 *   -EALREADY    replayed, or older than the replay window (RFC 3711 §3.3.2). On protect this
 *                means the index was already used: sending it again would reuse keystream
 *                (RFC 3711 §9.1), so the packet must be dropped.
 *   -ENOMEM      the first packet of a new SSRC could not get its per-SSRC state
 *   -EKEYEXPIRED the master key reached its packet limit (RFC 3711 §9.2); rekey
 *   -EIO         any other engine failure
 * On an error the packet bytes are unspecified (the caller drops the packet) and *len is
 * unchanged.
 *
 * What makes output byte-identical across engines, beyond the RFCs:
 *   - a new SSRC starts with rollover counter 0 whatever its first sequence number, and
 *     protect estimates the ROC from the sequence number exactly as unprotect does
 *     (RFC 3711 §3.3.1), so a sender may jump (after a hold) by less than 2^15;
 *   - the first SRTCP packet of an SSRC carries index 1, then 2, 3, ...; the E flag is set;
 *   - no MKI, key derivation rate 0, no encrypted header extensions (RFC 6904).
 *
 * Bursts: rtp_burst(ctx, pkt, len, cap, nb, rc) handles nb RTP packets, packet i through
 * ctx[i] (contexts may repeat, differ in profile and direction, and belong to different
 * sessions, but all to this engine and all used by the calling thread only); pkt[i] are
 * distinct buffers, each with its own len[i] and cap[i] as rtp() takes them. rc[i] receives
 * exactly what rtp() would have returned for packet i had the packets been given to rtp()
 * one after the other in array order (so two packets of one SSRC in one burst see each
 * other's replay and rollover state), and len[i] changes only where rc[i] is 0. Every packet
 * is handled: the return value is the number of rc[i] that are 0; the failed ones stay where
 * they are for the caller to drop. An engine may leave rtp_burst NULL: dp_srtp_rtp_burst()
 * then loops over rtp(). SRTCP has no burst op: a few packets a second per stream.
 */
struct dp_srtp_engine {
	const char *name;
	/* Once, before any create(); 0 or a negative errno. Calling it again is harmless. */
	int (*init)(void);
	/* Optional: on a packet thread before its first packet, so the per-thread state is
	 * allocated there rather than in the packet path; 0 or -ENOMEM. Harmless to repeat. */
	int (*thread_init)(void);
	/* A context for one direction of one SRTP session, accepting any SSRC and keeping replay
	 * and rollover state per SSRC. -EINVAL on a key whose lengths do not match its profile,
	 * -ENOTSUP on PONTE_SRTP_NULL (plain RTP needs no context) or a profile the engine lacks,
	 * -ENOMEM. */
	int (*create)(const struct ponte_srtp_key *key, enum dp_srtp_dir dir, struct dp_srtp **out);
	void (*destroy)(struct dp_srtp *ctx);
	/* In place on pkt[0 .. *len), which may grow up to cap bytes. */
	int (*rtp)(struct dp_srtp *ctx, uint8_t *pkt, size_t *len, size_t cap);
	int (*rtcp)(struct dp_srtp *ctx, uint8_t *pkt, size_t *len, size_t cap);
	/* Optional: see "Bursts" above. */
	unsigned int (*rtp_burst)(struct dp_srtp *const ctx[], uint8_t *const pkt[], size_t len[],
				  const size_t cap[], unsigned int nb, int rc[]);
};

extern const struct dp_srtp_engine dp_srtp_engine_libsrtp;
extern const struct dp_srtp_engine dp_srtp_engine_ipsec_mb; /* with PONTE_HAVE_IPSEC_MB */

/* The engine called name ("libsrtp2", "ipsec-mb"), or NULL when this build lacks it. */
const struct dp_srtp_engine *dp_srtp_engine_find(const char *name);
/* The engine used when the configuration names none ("auto"): ipsec-mb when built in, else
 * libsrtp2. */
const struct dp_srtp_engine *dp_srtp_engine_default(void);

/* What protect appends and unprotect removes: for RTP the tag; for RTCP the SRTCP index and
 * the tag. SRTP_AES128_CM_SHA1_32 keeps an 80-bit tag on SRTCP (RFC 5764 §4.1.2). 0 for
 * PONTE_SRTP_NULL and for unknown profiles. */
size_t dp_srtp_overhead(uint16_t profile, bool is_rtcp);
/* The tag alone (RTP: as ponte_srtp_profile_sizes(); RTCP: 10 for both AES-CM profiles). */
size_t dp_srtp_tag_len(uint16_t profile, bool is_rtcp);
/* Where the SRTCP E flag and index word start, counted back from the end of an SRTCP packet:
 * RFC 3711 §3.4 puts the tag after the index, RFC 7714 §17 puts the index last. */
size_t dp_srtp_srtcp_e_from_end(uint16_t profile);

/*
 * The length of an RTP header with its CSRC list and header extension (RFC 3550 §5.1, §5.3.1),
 * or -EINVAL when the packet is not version 2 or the header overruns the first len bytes.
 */
static inline int dp_srtp_rtp_header_len(const uint8_t *pkt, size_t len)
{
	size_t hlen;

	if (len < DP_SRTP_RTP_HEADER_LEN || (pkt[0] >> 6) != 2)
		return -EINVAL;
	hlen = DP_SRTP_RTP_HEADER_LEN + 4u * (pkt[0] & 0x0fu);
	if (pkt[0] & 0x10u) {
		if (len < hlen + 4)
			return -EINVAL;
		hlen += 4 + 4u * ((size_t)pkt[hlen + 2] << 8 | pkt[hlen + 3]);
	}
	return hlen <= len ? (int)hlen : -EINVAL;
}

/*
 * Whether an RTP (is_rtcp false) or RTCP packet of len bytes is well-formed enough to go
 * through a context: 0 or -EINVAL. trailer is what must follow the header: 0 for protect,
 * dp_srtp_overhead() for unprotect, because the CSRCs and the header extension are
 * authenticated data and can never overlap the tag (engines cache it per context).
 */
static inline int dp_srtp_check(const uint8_t *pkt, size_t len, bool is_rtcp, size_t trailer)
{
	int hlen;

	if (is_rtcp) {
		if (len < DP_SRTP_RTCP_HEADER_LEN || (pkt[0] >> 6) != 2)
			return -EINVAL;
		return len - DP_SRTP_RTCP_HEADER_LEN >= trailer ? 0 : -EINVAL;
	}
	hlen = dp_srtp_rtp_header_len(pkt, len);
	if (hlen < 0)
		return hlen;
	return len - (size_t)hlen >= trailer ? 0 : -EINVAL;
}

static inline int dp_srtp_rtp(struct dp_srtp *ctx, uint8_t *pkt, size_t *len, size_t cap)
{
	return ctx->engine->rtp(ctx, pkt, len, cap);
}

static inline int dp_srtp_rtcp(struct dp_srtp *ctx, uint8_t *pkt, size_t *len, size_t cap)
{
	return ctx->engine->rtcp(ctx, pkt, len, cap);
}

/* The burst op of ctx[0]'s engine, or dp_srtp_rtp_burst_each() for an engine without one. */
unsigned int dp_srtp_rtp_burst(struct dp_srtp *const ctx[], uint8_t *const pkt[], size_t len[],
			       const size_t cap[], unsigned int nb, int rc[]);
/* The burst contract met by calling rtp() on each packet in turn. */
unsigned int dp_srtp_rtp_burst_each(struct dp_srtp *const ctx[], uint8_t *const pkt[], size_t len[],
				    const size_t cap[], unsigned int nb, int rc[]);
/* The engine's thread_init(), or 0 for an engine without one. */
int dp_srtp_thread_init(const struct dp_srtp_engine *engine);

static inline void dp_srtp_destroy(struct dp_srtp *ctx)
{
	if (ctx != NULL)
		ctx->engine->destroy(ctx);
}

#endif
