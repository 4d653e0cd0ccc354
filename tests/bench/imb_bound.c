/* SPDX-License-Identifier: MIT */
/* The crypto bound of the SRTP benchmarks (imb_bound.h). */
#include "imb_bound.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <intel-ipsec-mb.h>
#include <openssl/crypto.h>

/* intel-ipsec-mb's keys for one context: RTP session keys only. */
struct imb_keys {
	union {
		struct {
			uint8_t enc[11 * 16] __attribute__((aligned(16)));
			uint8_t ipad[20] __attribute__((aligned(16)));
			uint8_t opad[20] __attribute__((aligned(16)));
		} cm;
		struct gcm_key_data gcm;
	};
	uint8_t salt[14];
};

static void default_key(uint16_t profile, unsigned int k, struct ponte_srtp_key *key)
{
	memset(key, 0, sizeof(*key));
	key->profile = profile;
	key->key_len = 16;
	key->salt_len = profile == PONTE_SRTP_AEAD_AES_128_GCM ? 12 : 14;
	for (size_t i = 0; i < key->key_len; i++)
		key->key[i] = (uint8_t)(k * 131 + i * 13 + 1);
	for (size_t i = 0; i < key->salt_len; i++)
		key->salt[i] = (uint8_t)(k * 31 + i * 7 + 2);
}

int imb_bound_init(struct imb_bound *b, uint16_t profile, unsigned int nb_ctx,
		   imb_bound_key_fn key_of, void *arg)
{
	IMB_MGR *mgr;

	memset(b, 0, sizeof(*b));
	if (profile != PONTE_SRTP_AES128_CM_SHA1_80 && profile != PONTE_SRTP_AEAD_AES_128_GCM)
		return -ENOTSUP;
	b->is_gcm = profile == PONTE_SRTP_AEAD_AES_128_GCM;
	b->tag_len = b->is_gcm ? 16 : 10;
	b->nb_ctx = nb_ctx;
	b->mgr = mgr = alloc_mb_mgr(0);
	b->ik = aligned_alloc(64, 2 * (size_t)nb_ctx * sizeof(*b->ik));
	if (b->mgr == NULL || b->ik == NULL) {
		imb_bound_fini(b);
		return -ENOMEM;
	}
	b->ik_rx = b->ik + nb_ctx;
	init_mb_mgr_auto(mgr, NULL);
	for (unsigned int k = 0; k < 2 * nb_ctx; k++) {
		/* The receiving copy is a copy, in its own memory, as an engine's contexts are. */
		struct ponte_srtp_key key;
		struct imb_keys *ik = &b->ik[k];
		uint8_t dk[11 * 16] __attribute__((aligned(16))), block[64];

		if (key_of != NULL)
			key_of(arg, k % nb_ctx, &key);
		else
			default_key(profile, k % nb_ctx, &key);
		memcpy(ik->salt, key.salt, key.salt_len);
		if (b->is_gcm) {
			IMB_AES128_GCM_PRE(mgr, key.key, &ik->gcm);
		} else {
			IMB_AES_KEYEXP_128(mgr, key.key, ik->cm.enc, dk);
			memset(block, 0x36, sizeof(block));
			memcpy(block, key.key, 16);
			IMB_SHA1_ONE_BLOCK(mgr, block, ik->cm.ipad);
			memset(block, 0x5c, sizeof(block));
			memcpy(block, key.key, 16);
			IMB_SHA1_ONE_BLOCK(mgr, block, ik->cm.opad);
		}
		explicit_bzero(&key, sizeof(key));
	}
	return 0;
}

size_t imb_bound_tag_len(const struct imb_bound *b)
{
	return b->tag_len;
}

/* The IVs of RFC 3711 §4.1.1 and RFC 7714 §8.1 with ROC 0. */
void imb_bound_make_iv(bool is_gcm, const uint8_t *salt, const uint8_t *pkt, uint8_t iv[16])
{
	memset(iv, 0, 16);
	if (is_gcm) {
		memcpy(iv, salt, 12);
		for (int i = 0; i < 4; i++)
			iv[2 + i] ^= pkt[8 + i];
		iv[10] ^= pkt[2];
		iv[11] ^= pkt[3];
	} else {
		memcpy(iv, salt, 14);
		for (int i = 0; i < 4; i++)
			iv[4 + i] ^= pkt[8 + i];
		iv[12] ^= pkt[2];
		iv[13] ^= pkt[3];
	}
}

int imb_bound_run(struct imb_bound *b, uint8_t *const pkt_of[], size_t len[],
		  const uint32_t ctx_of[], unsigned int n, bool is_protect)
{
	IMB_MGR *mgr = b->mgr;
	bool is_gcm = b->is_gcm;
	uint8_t iv[IMB_BOUND_BURST][16] __attribute__((aligned(16)));
	uint8_t tag[IMB_BOUND_BURST][16], saved[IMB_BOUND_BURST][16], *tag_at[IMB_BOUND_BURST];
	struct imb_keys *keys = is_protect ? b->ik : b->ik_rx;
	IMB_JOB *job;
	int rc = 0;

	if (n > IMB_BOUND_BURST)
		return -EINVAL;
	/* Any user of the library would fetch a burst's keys ahead, as the engine does. */
	for (unsigned int j = 0; j < n; j++) {
		const uint8_t *k = (const uint8_t *)&keys[ctx_of[j]];

		if (is_gcm) {
			for (size_t off = 0; off < 3 * 64; off += 64)
				__builtin_prefetch(k + off);
			for (size_t off = sizeof(struct gcm_key_data) - 5 * 64;
			     off < sizeof(struct imb_keys); off += 64)
				__builtin_prefetch(k + off);
		} else {
			for (size_t off = 0; off < 4 * 64; off += 64)
				__builtin_prefetch(k + off);
		}
	}
	for (unsigned int j = 0; j < n; j++) {
		const struct imb_keys *ik = &keys[ctx_of[j]];
		uint8_t *pkt = pkt_of[j];
		size_t body = is_protect ? len[j] : len[j] - b->tag_len;

		imb_bound_make_iv(is_gcm, ik->salt, pkt, iv[j]);
		job = IMB_GET_NEXT_JOB(mgr);
		job->cipher_direction = is_protect ? IMB_DIR_ENCRYPT : IMB_DIR_DECRYPT;
		job->chain_order = is_protect ? IMB_ORDER_CIPHER_HASH : IMB_ORDER_HASH_CIPHER;
		job->src = pkt;
		job->dst = pkt + 12;
		job->cipher_start_src_offset_in_bytes = 12;
		job->msg_len_to_cipher_in_bytes = body - 12;
		job->iv = iv[j];
		job->user_data = NULL;
		tag_at[j] = pkt + body;
		if (is_gcm) {
			job->cipher_mode = IMB_CIPHER_GCM;
			job->enc_keys = job->dec_keys = &ik->gcm;
			job->key_len_in_bytes = 16;
			job->iv_len_in_bytes = 12;
			job->hash_alg = IMB_AUTH_AES_GMAC;
			job->hash_start_src_offset_in_bytes = 12;
			job->msg_len_to_hash_in_bytes = body - 12;
			job->u.GCM.aad = pkt;
			job->u.GCM.aad_len_in_bytes = 12;
			job->auth_tag_output = is_protect ? pkt + body : tag[j];
			job->auth_tag_output_len_in_bytes = 16;
		} else {
			/* The ROC (0) after the packet, hashed in place (RFC 3711 §4.2), over the
			 * first bytes of the tag a receiver keeps aside. */
			if (!is_protect)
				memcpy(saved[j], pkt + body, b->tag_len);
			memset(pkt + body, 0, 4);
			job->cipher_mode = IMB_CIPHER_CNTR;
			job->enc_keys = job->dec_keys = ik->cm.enc;
			job->key_len_in_bytes = 16;
			job->iv_len_in_bytes = 16;
			job->hash_alg = IMB_AUTH_HMAC_SHA_1;
			job->hash_start_src_offset_in_bytes = 0;
			job->msg_len_to_hash_in_bytes = body + 4;
			job->auth_tag_output = tag[j];
			job->auth_tag_output_len_in_bytes = 12;
			job->u.HMAC._hashed_auth_key_xor_ipad = ik->cm.ipad;
			job->u.HMAC._hashed_auth_key_xor_opad = ik->cm.opad;
		}
		for (job = IMB_SUBMIT_JOB(mgr); job != NULL; job = IMB_GET_COMPLETED_JOB(mgr))
			rc |= job->status != IMB_STATUS_COMPLETED;
	}
	while ((job = IMB_FLUSH_JOB(mgr)) != NULL)
		rc |= job->status != IMB_STATUS_COMPLETED;
	for (unsigned int j = 0; j < n; j++) {
		if (is_protect) {
			if (!is_gcm)
				memcpy(tag_at[j], tag[j], b->tag_len);
			len[j] += b->tag_len;
		} else {
			rc |= CRYPTO_memcmp(tag[j], is_gcm ? tag_at[j] : saved[j], b->tag_len) != 0;
			len[j] -= b->tag_len;
		}
	}
	return rc ? -EIO : 0;
}

void imb_bound_fini(struct imb_bound *b)
{
	if (b->ik != NULL)
		explicit_bzero(b->ik, 2 * (size_t)b->nb_ctx * sizeof(*b->ik));
	free(b->ik);
	if (b->mgr != NULL)
		free_mb_mgr(b->mgr);
	b->ik = b->ik_rx = NULL;
	b->mgr = NULL;
}
