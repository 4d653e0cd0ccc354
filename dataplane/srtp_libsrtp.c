/* SPDX-License-Identifier: MIT */
/*
 * The libsrtp2 SRTP engine: the reference the faster engines are checked against.
 *
 * One libsrtp session per context, holding a single policy whose SSRC is the wildcard
 * ssrc_any_outbound (protect) or ssrc_any_inbound (unprotect). libsrtp clones that template
 * into a stream the first time it sees an SSRC and keeps the rollover counter and replay
 * window per stream, which is what a bundled WebRTC transport needs: every SSRC of the
 * transport (RFC 8843) shares the DTLS-SRTP keys while each has its own packet index.
 *
 * Allocation: a new SSRC costs libsrtp one stream clone on its first authenticated packet;
 * nothing in this file allocates per packet. But Debian builds libsrtp2 against NSS, whose
 * AES-CM and AES-GCM wrappers create an NSS context for every packet inside libsrtp: about 14
 * heap allocations per AES-CM/HMAC-SHA1 packet and 5 per AES-GCM packet (valgrind), likely
 * most of the distance to the crypto bound in docs/performance.md. The fast engine removes both.
 */
#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <srtp2/srtp.h>

#include "srtp.h"

struct lsrtp {
	struct dp_srtp base;
	srtp_t session;
	/* dp_srtp_overhead() for RTP [0] and RTCP [1], cached off the packet path. */
	size_t overhead[2];
	/* Where the SRTCP E flag sits, counted back from the end of the packet. */
	size_t rtcp_e_from_end;
};

static bool is_initialized;

static int lsrtp_init(void)
{
	/* srtp_init() registers the cipher and hash types in a global table; it is not
	 * thread-safe, hence "once, from one thread" in the interface. A second srtp_init()
	 * fails in libsrtp 2.5, so this engine must be the process's only caller of it. */
	if (is_initialized)
		return 0;
	if (srtp_init() != srtp_err_status_ok)
		return -EIO;
	is_initialized = true;
	return 0;
}

static int errno_of(srtp_err_status_t st)
{
	switch (st) {
	case srtp_err_status_ok:
		return 0;
	case srtp_err_status_auth_fail:
		return -EBADMSG;
	case srtp_err_status_replay_fail:
	case srtp_err_status_replay_old:
		return -EALREADY;
	case srtp_err_status_bad_param:
	case srtp_err_status_parse_err:
		return -EINVAL;
	case srtp_err_status_alloc_fail:
		return -ENOMEM;
	case srtp_err_status_key_expired:
		return -EKEYEXPIRED;
	default:
		return -EIO;
	}
}

/* The libsrtp crypto policies of a profile; false when libsrtp has no match for it. */
static bool set_policy(srtp_policy_t *policy, uint16_t profile)
{
	switch (profile) {
	case PONTE_SRTP_AES128_CM_SHA1_80:
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy->rtp);
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy->rtcp);
		return true;
	case PONTE_SRTP_AES128_CM_SHA1_32:
		/* RFC 5764 §4.1.2: SRTCP keeps the 80-bit tag in the _32 profile. */
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&policy->rtp);
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy->rtcp);
		return true;
	case PONTE_SRTP_AEAD_AES_128_GCM:
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy->rtp);
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy->rtcp);
		return true;
	case PONTE_SRTP_AEAD_AES_256_GCM:
		srtp_crypto_policy_set_aes_gcm_256_16_auth(&policy->rtp);
		srtp_crypto_policy_set_aes_gcm_256_16_auth(&policy->rtcp);
		return true;
	default:
		return false;
	}
}

static int lsrtp_create(const struct ponte_srtp_key *key, enum dp_srtp_dir dir,
			struct dp_srtp **out)
{
	/* libsrtp takes the master key and salt as one concatenated buffer. */
	uint8_t material[PONTE_SRTP_MAX_KEY_LEN + PONTE_SRTP_MAX_SALT_LEN];
	uint8_t key_len, salt_len;
	srtp_policy_t policy;
	struct lsrtp *c = NULL;
	srtp_err_status_t st;
	int rc;

	assert(is_initialized);
	*out = NULL;
	if (dir != DP_SRTP_PROTECT && dir != DP_SRTP_UNPROTECT)
		return -EINVAL;
	memset(&policy, 0, sizeof(policy));
	if (!set_policy(&policy, key->profile))
		return -ENOTSUP;
	if (ponte_srtp_profile_sizes(key->profile, &key_len, &salt_len, NULL) < 0 ||
	    key->key_len != key_len || key->salt_len != salt_len)
		return -EINVAL;

	memcpy(material, key->key, key_len);
	memcpy(material + key_len, key->salt, salt_len);
	policy.key = material;
	policy.ssrc.type = dir == DP_SRTP_PROTECT ? ssrc_any_outbound : ssrc_any_inbound;
	policy.window_size = DP_SRTP_REPLAY_WINDOW;
	/* Protecting one index twice reuses keystream (RFC 3711 §9.1): refuse it. */
	policy.allow_repeat_tx = 0;

	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		rc = -ENOMEM;
		goto cleanup;
	}
	/* srtp_create() derives the session keys (RFC 3711 §4.3) and keeps no master key. */
	st = srtp_create(&c->session, &policy);
	if (st != srtp_err_status_ok) {
		rc = st == srtp_err_status_alloc_fail ? -ENOMEM : -EIO;
		goto cleanup;
	}
	c->base.engine = &dp_srtp_engine_libsrtp;
	c->base.profile = key->profile;
	c->base.dir = (uint8_t)dir;
	c->overhead[0] = dp_srtp_overhead(key->profile, false);
	c->overhead[1] = dp_srtp_overhead(key->profile, true);
	c->rtcp_e_from_end = dp_srtp_srtcp_e_from_end(key->profile);
	*out = &c->base;
	c = NULL;
	rc = 0;
cleanup:
	free(c);
	explicit_bzero(material, sizeof(material));
	return rc;
}

static void lsrtp_destroy(struct dp_srtp *base)
{
	struct lsrtp *c = (struct lsrtp *)base;

	if (c == NULL)
		return;
	/* srtp_dealloc() zeroes the derived keys and salts of every stream it frees. */
	srtp_dealloc(c->session);
	explicit_bzero(c, sizeof(*c));
	free(c);
}

static int process(struct dp_srtp *base, uint8_t *pkt, size_t *len, size_t cap, bool is_rtcp)
{
	struct lsrtp *c = (struct lsrtp *)base;
	bool is_protect = c->base.dir == DP_SRTP_PROTECT;
	size_t overhead = c->overhead[is_rtcp];
	srtp_err_status_t st;
	int n, rc;

	/* libsrtp counts in int; a datagram is never near INT_MAX, so refuse rather than wrap. */
	if (*len > cap || *len > INT_MAX - DP_SRTP_MAX_OVERHEAD)
		return -EINVAL;
	/* Our own checks first: libsrtp answers bad_param for a malformed packet and for a
	 * misuse alike, and every engine must classify malformed packets the same way. */
	rc = dp_srtp_check(pkt, *len, is_rtcp, is_protect ? 0 : overhead);
	if (rc < 0)
		return rc;
	/* srtp_protect() has no capacity argument: it writes the trailer after *len. */
	if (is_protect && cap - *len < overhead)
		return -ENOSPC;
	/* libsrtp itself refuses E=0 under AES-CM but takes it under AEAD; the interface
	 * refuses it under every profile, before any state is touched. */
	if (!is_protect && is_rtcp && (pkt[*len - c->rtcp_e_from_end] & 0x80) == 0)
		return -EBADMSG;

	n = (int)*len;
	if (is_protect)
		st = is_rtcp ? srtp_protect_rtcp(c->session, pkt, &n)
			     : srtp_protect(c->session, pkt, &n);
	else
		st = is_rtcp ? srtp_unprotect_rtcp(c->session, pkt, &n)
			     : srtp_unprotect(c->session, pkt, &n);
	if (st != srtp_err_status_ok)
		return errno_of(st);
	*len = (size_t)n;
	return 0;
}

static int lsrtp_rtp(struct dp_srtp *base, uint8_t *pkt, size_t *len, size_t cap)
{
	return process(base, pkt, len, cap, false);
}

static int lsrtp_rtcp(struct dp_srtp *base, uint8_t *pkt, size_t *len, size_t cap)
{
	return process(base, pkt, len, cap, true);
}

const struct dp_srtp_engine dp_srtp_engine_libsrtp = {
    .name = "libsrtp2",
    .init = lsrtp_init,
    .create = lsrtp_create,
    .destroy = lsrtp_destroy,
    .rtp = lsrtp_rtp,
    .rtcp = lsrtp_rtcp,
};
