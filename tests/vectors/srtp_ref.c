/* SPDX-License-Identifier: MIT */
/* The reference SRTP implementation of srtp_ref.h; see there for what it is for. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "srtp_ref.h"

#define RTP_HEADER_LEN 12
#define RTCP_HEADER_LEN 8

size_t ref_unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;

	for (; *hex != '\0'; hex++) {
		int v;

		if (*hex == ' ' || *hex == '\n')
			continue;
		if (*hex >= '0' && *hex <= '9')
			v = *hex - '0';
		else if (*hex >= 'a' && *hex <= 'f')
			v = *hex - 'a' + 10;
		else if (*hex >= 'A' && *hex <= 'F')
			v = *hex - 'A' + 10;
		else
			return 0;
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n == cap)
			return 0;
		out[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	return hi < 0 ? n : 0;
}

static const EVP_CIPHER *aes_ctr(size_t key_len)
{
	return key_len == 32 ? EVP_aes_256_ctr() : EVP_aes_128_ctr();
}

int ref_aes_ctr(const uint8_t *key, size_t key_len, const uint8_t iv[16], uint8_t *buf, size_t len)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int outl, rc = -EIO;

	/* EVP's CTR mode increments the whole 128-bit block; SRTP's counter only ever needs the
	 * low 16 bits (RFC 3711 §4.1.1 caps a packet at 2^16 blocks), so the two agree. */
	if (ctx == NULL)
		return -ENOMEM;
	if (EVP_EncryptInit_ex(ctx, aes_ctr(key_len), NULL, key, iv) == 1 &&
	    (len == 0 || EVP_EncryptUpdate(ctx, buf, &outl, buf, (int)len) == 1))
		rc = 0;
	EVP_CIPHER_CTX_free(ctx);
	return rc;
}

int ref_kdf(const uint8_t *master_key, size_t key_len, const uint8_t *master_salt, size_t salt_len,
	    uint8_t label, uint8_t *out, size_t len)
{
	uint8_t x[16] = {0};

	/* RFC 3711 §4.3.1: x = key_id XOR master_salt with key_id = label || (index DIV kdr),
	 * right-aligned in the 112-bit salt, so the label lands on octet 7; the PRF input is
	 * x * 2^16 (§4.3.3). A 96-bit AEAD master salt is the 112-bit one's first 12 octets. */
	memcpy(x, master_salt, salt_len);
	x[7] ^= label;
	memset(out, 0, len);
	return ref_aes_ctr(master_key, key_len, x, out, len);
}

static const struct {
	uint16_t profile;
	uint8_t key_len, salt_len, tag_len, rtcp_tag_len;
} ref_profiles[] = {
    {PONTE_SRTP_AES128_CM_SHA1_80, 16, 14, 10, 10}, /* RFC 5764 §4.1.2 */
    {PONTE_SRTP_AES128_CM_SHA1_32, 16, 14, 4, 10},
    {PONTE_SRTP_AEAD_AES_128_GCM, 16, 12, 16, 16}, /* RFC 7714 §14.2 */
    {PONTE_SRTP_AEAD_AES_256_GCM, 32, 12, 16, 16},
};

static bool is_aead(uint16_t profile)
{
	return profile == PONTE_SRTP_AEAD_AES_128_GCM || profile == PONTE_SRTP_AEAD_AES_256_GCM;
}

int ref_derive(const struct ponte_srtp_key *m, struct ref_keys *k)
{
	size_t i;
	int rc = 0;

	memset(k, 0, sizeof(*k));
	for (i = 0; i < sizeof(ref_profiles) / sizeof(ref_profiles[0]); i++)
		if (ref_profiles[i].profile == m->profile)
			break;
	if (i == sizeof(ref_profiles) / sizeof(ref_profiles[0]) ||
	    m->key_len != ref_profiles[i].key_len || m->salt_len != ref_profiles[i].salt_len)
		return -EINVAL;
	k->profile = m->profile;
	k->key_len = m->key_len;
	k->salt_len = m->salt_len;
	k->tag_len = ref_profiles[i].tag_len;
	k->rtcp_tag_len = ref_profiles[i].rtcp_tag_len;
	/* RFC 3711 §4.3.2 labels: 0/1/2 SRTP cipher, auth, salt; 3/4/5 the same for SRTCP. */
	rc |= ref_kdf(m->key, m->key_len, m->salt, m->salt_len, 0, k->rtp_key, k->key_len);
	rc |= ref_kdf(m->key, m->key_len, m->salt, m->salt_len, 1, k->rtp_auth, 20);
	rc |= ref_kdf(m->key, m->key_len, m->salt, m->salt_len, 2, k->rtp_salt, k->salt_len);
	rc |= ref_kdf(m->key, m->key_len, m->salt, m->salt_len, 3, k->rtcp_key, k->key_len);
	rc |= ref_kdf(m->key, m->key_len, m->salt, m->salt_len, 4, k->rtcp_auth, 20);
	rc |= ref_kdf(m->key, m->key_len, m->salt, m->salt_len, 5, k->rtcp_salt, k->salt_len);
	return rc == 0 ? 0 : -EIO;
}

void ref_keys_from_session(struct ref_keys *k, uint16_t profile, const uint8_t *key, size_t key_len,
			   const uint8_t *salt)
{
	memset(k, 0, sizeof(*k));
	k->profile = profile;
	k->key_len = key_len;
	k->salt_len = 12;
	k->tag_len = 16;
	k->rtcp_tag_len = 16;
	memcpy(k->rtp_key, key, key_len);
	memcpy(k->rtcp_key, key, key_len);
	memcpy(k->rtp_salt, salt, 12);
	memcpy(k->rtcp_salt, salt, 12);
}

static long rtp_header_len(const uint8_t *pkt, size_t len)
{
	size_t hlen;

	if (len < RTP_HEADER_LEN || (pkt[0] & 0xc0) != 0x80)
		return -EINVAL;
	hlen = RTP_HEADER_LEN + 4 * (size_t)(pkt[0] & 0x0f);
	if (pkt[0] & 0x10) {
		if (hlen + 4 > len)
			return -EINVAL;
		hlen += 4 + 4 * (size_t)(pkt[hlen + 2] << 8 | pkt[hlen + 3]);
	}
	return hlen <= len ? (long)hlen : -EINVAL;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* HMAC-SHA1 over a || b, truncated to tag_len (RFC 3711 §4.2.1). */
static int hmac_sha1(const uint8_t key[20], const uint8_t *a, size_t a_len, const uint8_t *b,
		     size_t b_len, uint8_t *tag, size_t tag_len)
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	uint8_t *msg = malloc(a_len + b_len + 1);

	if (msg == NULL)
		return -ENOMEM;
	memcpy(msg, a, a_len);
	if (b_len > 0)
		memcpy(msg + a_len, b, b_len);
	if (HMAC(EVP_sha1(), key, 20, msg, a_len + b_len, md, &md_len) == NULL) {
		free(msg);
		return -EIO;
	}
	free(msg);
	memcpy(tag, md, tag_len);
	return 0;
}

/* AES-GCM with a 12-byte IV over aad, then text (in place); the tag goes to or is checked
 * against tag[16]. */
static int gcm(size_t key_len, const uint8_t *key, const uint8_t iv[12], const uint8_t *aad,
	       size_t aad_len, uint8_t *text, size_t text_len, uint8_t tag[16], bool is_encrypt)
{
	const EVP_CIPHER *cipher = key_len == 32 ? EVP_aes_256_gcm() : EVP_aes_128_gcm();
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	uint8_t none[16];
	int outl, rc = -EIO;

	if (ctx == NULL)
		return -ENOMEM;
	if (EVP_CipherInit_ex(ctx, cipher, NULL, key, iv, is_encrypt) != 1)
		goto cleanup;
	if (aad_len > 0 && EVP_CipherUpdate(ctx, NULL, &outl, aad, (int)aad_len) != 1)
		goto cleanup;
	if (text_len > 0 && EVP_CipherUpdate(ctx, text, &outl, text, (int)text_len) != 1)
		goto cleanup;
	if (!is_encrypt && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, tag) != 1)
		goto cleanup;
	if (EVP_CipherFinal_ex(ctx, text_len > 0 ? text + text_len : none, &outl) != 1) {
		rc = is_encrypt ? -EIO : -EBADMSG;
		goto cleanup;
	}
	if (is_encrypt && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, tag) != 1)
		goto cleanup;
	rc = 0;
cleanup:
	EVP_CIPHER_CTX_free(ctx);
	return rc;
}

/* RFC 3711 §4.1.1: IV = (k_s * 2^16) XOR (SSRC * 2^64) XOR (i * 2^16). */
static void cm_iv(uint8_t iv[16], const uint8_t salt[14], const uint8_t ssrc[4], uint64_t index)
{
	memset(iv, 0, 16);
	memcpy(iv, salt, 14);
	for (int i = 0; i < 4; i++)
		iv[4 + i] ^= ssrc[i];
	for (int i = 0; i < 6; i++)
		iv[8 + i] ^= (uint8_t)(index >> (40 - 8 * i));
}

/* RFC 7714 §8.1 (SRTP) and §9.1 (SRTCP): 00 00 || SSRC || ROC || SEQ, or
 * 00 00 || SSRC || 00 00 || 0 || SRTCP index, XOR the 96-bit session salt. */
static void gcm_iv(uint8_t iv[12], const uint8_t salt[12], const uint8_t ssrc[4], uint32_t mid,
		   uint32_t low, bool is_rtcp)
{
	memset(iv, 0, 12);
	memcpy(iv + 2, ssrc, 4);
	if (is_rtcp) {
		put32(iv + 8, low);
	} else {
		put32(iv + 6, mid);
		iv[10] = (uint8_t)(low >> 8);
		iv[11] = (uint8_t)low;
	}
	for (int i = 0; i < 12; i++)
		iv[i] ^= salt[i];
}

long ref_protect_rtp(const struct ref_keys *k, uint8_t *pkt, size_t len, uint32_t roc)
{
	long hlen = rtp_header_len(pkt, len);
	uint16_t seq;
	uint8_t roc_be[4];
	int rc;

	if (hlen < 0)
		return hlen;
	seq = (uint16_t)(pkt[2] << 8 | pkt[3]);
	if (is_aead(k->profile)) {
		uint8_t iv[12];

		/* RFC 7714 §8.2: the header is the AAD, the payload the plaintext. */
		gcm_iv(iv, k->rtp_salt, pkt + 8, roc, seq, false);
		rc = gcm(k->key_len, k->rtp_key, iv, pkt, (size_t)hlen, pkt + hlen,
			 len - (size_t)hlen, pkt + len, true);
		return rc < 0 ? rc : (long)(len + 16);
	}
	uint8_t iv[16];

	cm_iv(iv, k->rtp_salt, pkt + 8, (uint64_t)roc << 16 | seq);
	rc = ref_aes_ctr(k->rtp_key, k->key_len, iv, pkt + hlen, len - (size_t)hlen);
	if (rc < 0)
		return rc;
	/* RFC 3711 §4.2: the tag covers the authenticated portion, then the ROC. */
	put32(roc_be, roc);
	rc = hmac_sha1(k->rtp_auth, pkt, len, roc_be, 4, pkt + len, k->tag_len);
	return rc < 0 ? rc : (long)(len + k->tag_len);
}

long ref_unprotect_rtp(const struct ref_keys *k, uint8_t *pkt, size_t len, uint32_t roc)
{
	long hlen = rtp_header_len(pkt, len);
	uint16_t seq;
	int rc;

	if (hlen < 0 || len - (size_t)hlen < k->tag_len)
		return -EINVAL;
	seq = (uint16_t)(pkt[2] << 8 | pkt[3]);
	len -= k->tag_len;
	if (is_aead(k->profile)) {
		uint8_t iv[12];

		gcm_iv(iv, k->rtp_salt, pkt + 8, roc, seq, false);
		rc = gcm(k->key_len, k->rtp_key, iv, pkt, (size_t)hlen, pkt + hlen,
			 len - (size_t)hlen, pkt + len, false);
		return rc < 0 ? rc : (long)len;
	}
	uint8_t iv[16], tag[10], roc_be[4];

	put32(roc_be, roc);
	rc = hmac_sha1(k->rtp_auth, pkt, len, roc_be, 4, tag, k->tag_len);
	if (rc < 0)
		return rc;
	if (memcmp(tag, pkt + len, k->tag_len) != 0)
		return -EBADMSG;
	cm_iv(iv, k->rtp_salt, pkt + 8, (uint64_t)roc << 16 | seq);
	rc = ref_aes_ctr(k->rtp_key, k->key_len, iv, pkt + hlen, len - (size_t)hlen);
	return rc < 0 ? rc : (long)len;
}

long ref_protect_rtcp(const struct ref_keys *k, uint8_t *pkt, size_t len, uint32_t index,
		      bool is_encrypted)
{
	uint8_t trailer[4];
	int rc;

	if (len < RTCP_HEADER_LEN || index >= 1u << 31)
		return -EINVAL;
	/* RFC 3711 §3.4: the E flag, then the 31-bit SRTCP index. */
	put32(trailer, (is_encrypted ? 1u << 31 : 0) | index);
	if (is_aead(k->profile)) {
		uint8_t iv[12], aad[RTCP_HEADER_LEN + 4];

		gcm_iv(iv, k->rtcp_salt, pkt + 4, 0, index, true);
		if (is_encrypted) {
			/* RFC 7714 §9.2: AAD is the 8-octet header and the trailer word. */
			memcpy(aad, pkt, RTCP_HEADER_LEN);
			memcpy(aad + RTCP_HEADER_LEN, trailer, 4);
			rc = gcm(k->key_len, k->rtcp_key, iv, aad, sizeof(aad),
				 pkt + RTCP_HEADER_LEN, len - RTCP_HEADER_LEN, pkt + len, true);
		} else {
			/* RFC 7714 §9.3: unencrypted, the whole packet and trailer are AAD. */
			memcpy(pkt + len, trailer, 4);
			rc = gcm(k->key_len, k->rtcp_key, iv, pkt, len + 4, NULL, 0, pkt + len,
				 true);
		}
		if (rc < 0)
			return rc;
		memcpy(pkt + len + 16, trailer, 4);
		return (long)(len + 16 + 4);
	}
	if (is_encrypted) {
		uint8_t iv[16];

		cm_iv(iv, k->rtcp_salt, pkt + 4, index);
		rc = ref_aes_ctr(k->rtcp_key, k->key_len, iv, pkt + RTCP_HEADER_LEN,
				 len - RTCP_HEADER_LEN);
		if (rc < 0)
			return rc;
	}
	/* RFC 3711 §3.4: the tag follows the index and covers everything before it. */
	memcpy(pkt + len, trailer, 4);
	rc = hmac_sha1(k->rtcp_auth, pkt, len + 4, NULL, 0, pkt + len + 4, k->rtcp_tag_len);
	return rc < 0 ? rc : (long)(len + 4 + k->rtcp_tag_len);
}
