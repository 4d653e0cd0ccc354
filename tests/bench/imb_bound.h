/* SPDX-License-Identifier: MIT */
/*
 * The crypto bound of the SRTP benchmarks (srtp_bench, fastpath_bench): intel-ipsec-mb alone
 * doing the cipher and MAC jobs of SRTP (AES-CM + HMAC-SHA1-80, or AES-GCM) on pre-expanded
 * keys, one key set per context and direction, a new IV per packet (RFC 3711 §4.1.1, RFC 7714
 * §8.1, ROC 0), the keys of each burst prefetched, the burst's jobs submitted then flushed; no
 * header checks, no per-SSRC state, no replay window. Session keys come straight from the
 * master key's bytes: their values change no cost.
 */
#ifndef PONTE_TESTS_BENCH_IMB_BOUND_H
#define PONTE_TESTS_BENCH_IMB_BOUND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ponte/srtp.h>

#define IMB_BOUND_BURST 32

struct imb_keys;

struct imb_bound {
	void *mgr; /* IMB_MGR */
	struct imb_keys *ik, *ik_rx; /* per context: sending, receiving */
	unsigned int nb_ctx;
	bool is_gcm;
	size_t tag_len;
};

/* The master key of context k; NULL: one derived from k. */
typedef void (*imb_bound_key_fn)(void *arg, unsigned int k, struct ponte_srtp_key *out);

/* 0, -ENOMEM, -ENOTSUP (a profile other than AES128_CM_SHA1_80 and AEAD_AES_128_GCM). */
int imb_bound_init(struct imb_bound *b, uint16_t profile, unsigned int nb_ctx,
		   imb_bound_key_fn key_of, void *arg);
size_t imb_bound_tag_len(const struct imb_bound *b);
/* Protect (append the tag) or unprotect (check and remove it) n <= IMB_BOUND_BURST RTP
 * packets, packet i with context ctx_of[i]: 0, or -EIO when a job failed or a tag did not
 * match. */
int imb_bound_run(struct imb_bound *b, uint8_t *const pkt[], size_t len[],
		  const uint32_t ctx_of[], unsigned int n, bool is_protect);
void imb_bound_fini(struct imb_bound *b);
/* The IV of an RTP packet with ROC 0 from a session salt (RFC 3711 §4.1.1; RFC 7714 §8.1 in
 * its first 12 bytes when is_gcm). */
void imb_bound_make_iv(bool is_gcm, const uint8_t *salt, const uint8_t *pkt, uint8_t iv[16]);

#endif
