/* SPDX-License-Identifier: MIT */
/* The engine-independent part of SRTP: the protection profiles as tabulated by RFC 5764 §4.1.2
 * and RFC 7714 §14.2, and the list of engines. */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <ponte/srtp.h>

#include "srtp.h"

static const struct {
	uint16_t profile;
	uint8_t key_len;
	uint8_t salt_len;
	uint8_t rtp_tag_len;
	uint8_t rtcp_tag_len;
	const char *name;
} profiles[] = {
    {PONTE_SRTP_NULL, 0, 0, 0, 0, "NULL"},
    /* RFC 5764 §4.1.2: the _32 profile shortens only the SRTP tag; SRTCP keeps 80 bits. */
    {PONTE_SRTP_AES128_CM_SHA1_80, 16, 14, 10, 10, "SRTP_AES128_CM_SHA1_80"},
    {PONTE_SRTP_AES128_CM_SHA1_32, 16, 14, 4, 10, "SRTP_AES128_CM_SHA1_32"},
    /* RFC 7714 §14.2: 96-bit salt, 16-octet tag on both SRTP and SRTCP. */
    {PONTE_SRTP_AEAD_AES_128_GCM, 16, 12, 16, 16, "SRTP_AEAD_AES_128_GCM"},
    {PONTE_SRTP_AEAD_AES_256_GCM, 32, 12, 16, 16, "SRTP_AEAD_AES_256_GCM"},
};

static int find(uint16_t profile)
{
	for (size_t i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++)
		if (profiles[i].profile == profile)
			return (int)i;
	return -1;
}

int ponte_srtp_profile_sizes(uint16_t profile, uint8_t *key_len, uint8_t *salt_len,
			     uint8_t *tag_len)
{
	int i = find(profile);

	/* An unknown profile reports sizes of 0, so a caller that ignores the return value
	 * still never copies key bytes for it. */
	if (key_len != NULL)
		*key_len = i < 0 ? 0 : profiles[i].key_len;
	if (salt_len != NULL)
		*salt_len = i < 0 ? 0 : profiles[i].salt_len;
	if (tag_len != NULL)
		*tag_len = i < 0 ? 0 : profiles[i].rtp_tag_len;
	return i < 0 ? -EINVAL : 0;
}

const char *ponte_srtp_profile_name(uint16_t profile)
{
	int i = find(profile);

	return i < 0 ? NULL : profiles[i].name;
}

size_t dp_srtp_tag_len(uint16_t profile, bool is_rtcp)
{
	int i = find(profile);

	if (i < 0)
		return 0;
	return is_rtcp ? profiles[i].rtcp_tag_len : profiles[i].rtp_tag_len;
}

size_t dp_srtp_srtcp_e_from_end(uint16_t profile)
{
	if (profile == PONTE_SRTP_AEAD_AES_128_GCM || profile == PONTE_SRTP_AEAD_AES_256_GCM)
		return DP_SRTP_SRTCP_INDEX_LEN;
	return DP_SRTP_SRTCP_INDEX_LEN + dp_srtp_tag_len(profile, true);
}

size_t dp_srtp_overhead(uint16_t profile, bool is_rtcp)
{
	size_t tag = dp_srtp_tag_len(profile, is_rtcp);

	if (tag == 0)
		return 0;
	return is_rtcp ? tag + DP_SRTP_SRTCP_INDEX_LEN : tag;
}

/* The first is the default ("auto"): the fast engine when this build has it. libsrtp2 stays
 * the reference the others are tested against. */
static const struct dp_srtp_engine *const engines[] = {
#ifdef PONTE_HAVE_IPSEC_MB
    &dp_srtp_engine_ipsec_mb,
#endif
    &dp_srtp_engine_libsrtp,
};

const struct dp_srtp_engine *dp_srtp_engine_find(const char *name)
{
	for (size_t i = 0; i < sizeof(engines) / sizeof(engines[0]); i++)
		if (name != NULL && strcmp(engines[i]->name, name) == 0)
			return engines[i];
	return NULL;
}

const struct dp_srtp_engine *dp_srtp_engine_default(void)
{
	return engines[0];
}

unsigned int dp_srtp_rtp_burst_each(struct dp_srtp *const ctx[], uint8_t *const pkt[], size_t len[],
				    const size_t cap[], unsigned int nb, int rc[])
{
	unsigned int nb_ok = 0;

	for (unsigned int i = 0; i < nb; i++) {
		rc[i] = dp_srtp_rtp(ctx[i], pkt[i], &len[i], cap[i]);
		nb_ok += rc[i] == 0;
	}
	return nb_ok;
}

unsigned int dp_srtp_rtp_burst(struct dp_srtp *const ctx[], uint8_t *const pkt[], size_t len[],
			       const size_t cap[], unsigned int nb, int rc[])
{
	if (nb == 0)
		return 0;
	if (ctx[0]->engine->rtp_burst == NULL)
		return dp_srtp_rtp_burst_each(ctx, pkt, len, cap, nb, rc);
	return ctx[0]->engine->rtp_burst(ctx, pkt, len, cap, nb, rc);
}

int dp_srtp_thread_init(const struct dp_srtp_engine *engine)
{
	return engine->thread_init != NULL ? engine->thread_init() : 0;
}
