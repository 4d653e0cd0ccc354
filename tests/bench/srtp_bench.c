/* SPDX-License-Identifier: MIT */
/*
 * SRTP cost per packet, single thread: through the dataplane's engine interface, directly
 * through libsrtp2 (the baseline: the difference is the engine's own overhead), and the
 * "crypto bound": the same cipher and MAC work done straight with libcrypto EVP on pre-keyed
 * contexts, with no SRTP bookkeeping at all.
 *
 * Packets go in batches: protect BATCH packets (timed), then unprotect them (timed), so every
 * unprotect sees a fresh, genuine packet and the replay window never rejects one.
 *
 * Usage: srtp_bench [-n PACKETS] [-m]
 *   -n  packets per case (default 1000000)
 *   -m  print Markdown table rows instead of key=value lines
 * Not a test: run by hand, on an idle machine (docs/performance.md).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <srtp2/srtp.h>

#include "srtp.h"

#define BATCH 256
#define BUF_LEN 1300
#define SSRC 0x1234abcdu

struct bench {
	uint16_t profile;
	size_t key_len, salt_len;
	uint8_t key[32], salt[14];
	/* engine */
	struct dp_srtp *tx, *rx;
	/* libsrtp2 direct */
	srtp_t stx, srx;
	/* crypto bound */
	EVP_CIPHER_CTX *enc, *dec;
	EVP_MD_CTX *inner, *outer, *work; /* HMAC-SHA1 with its pads hashed once */
};

struct impl {
	const char *name;
	int (*setup)(struct bench *b);
	int (*protect)(struct bench *b, uint8_t *pkt, size_t *len, size_t cap);
	int (*unprotect)(struct bench *b, uint8_t *pkt, size_t *len, size_t cap);
	void (*teardown)(struct bench *b);
};

static struct ponte_srtp_key bench_key(const struct bench *b)
{
	struct ponte_srtp_key k = {.profile = b->profile};

	k.key_len = (uint8_t)b->key_len;
	k.salt_len = (uint8_t)b->salt_len;
	memcpy(k.key, b->key, b->key_len);
	memcpy(k.salt, b->salt, b->salt_len);
	return k;
}

/* ---- through the engine interface ---- */

static int engine_setup(struct bench *b)
{
	const struct dp_srtp_engine *e = dp_srtp_engine_default();
	struct ponte_srtp_key k = bench_key(b);
	int rc = e->create(&k, DP_SRTP_PROTECT, &b->tx);

	rc = rc ? rc : e->create(&k, DP_SRTP_UNPROTECT, &b->rx);
	explicit_bzero(&k, sizeof(k));
	return rc;
}

static int engine_protect(struct bench *b, uint8_t *pkt, size_t *len, size_t cap)
{
	return dp_srtp_rtp(b->tx, pkt, len, cap);
}

static int engine_unprotect(struct bench *b, uint8_t *pkt, size_t *len, size_t cap)
{
	return dp_srtp_rtp(b->rx, pkt, len, cap);
}

static void engine_teardown(struct bench *b)
{
	dp_srtp_destroy(b->tx);
	dp_srtp_destroy(b->rx);
	b->tx = b->rx = NULL;
}

/* ---- libsrtp2 directly, set up the way the engine does ---- */

static int direct_create(struct bench *b, srtp_ssrc_type_t type, srtp_t *out)
{
	uint8_t material[46];
	srtp_policy_t p;
	srtp_err_status_t st;

	memset(&p, 0, sizeof(p));
	if (b->profile == PONTE_SRTP_AEAD_AES_128_GCM) {
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtp);
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtcp);
	} else {
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtp);
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtcp);
	}
	memcpy(material, b->key, b->key_len);
	memcpy(material + b->key_len, b->salt, b->salt_len);
	p.key = material;
	p.ssrc.type = type;
	p.window_size = DP_SRTP_REPLAY_WINDOW;
	st = srtp_create(out, &p);
	explicit_bzero(material, sizeof(material));
	return st == srtp_err_status_ok ? 0 : -EIO;
}

static int direct_setup(struct bench *b)
{
	/* srtp_init() already ran, once, in main(): a second call fails in libsrtp 2.5. */
	int rc = direct_create(b, ssrc_any_outbound, &b->stx);

	rc = rc ? rc : direct_create(b, ssrc_any_inbound, &b->srx);
	return rc;
}

static int direct_protect(struct bench *b, uint8_t *pkt, size_t *len, size_t cap)
{
	int n = (int)*len;

	if (srtp_protect(b->stx, pkt, &n) != srtp_err_status_ok)
		return -EIO;
	*len = (size_t)n;
	return 0;
}

static int direct_unprotect(struct bench *b, uint8_t *pkt, size_t *len, size_t cap)
{
	int n = (int)*len;

	if (srtp_unprotect(b->srx, pkt, &n) != srtp_err_status_ok)
		return -EIO;
	*len = (size_t)n;
	return 0;
}

static void direct_teardown(struct bench *b)
{
	if (b->stx != NULL)
		srtp_dealloc(b->stx);
	if (b->srx != NULL)
		srtp_dealloc(b->srx);
	b->stx = b->srx = NULL;
}

/* ---- the crypto bound: libcrypto EVP, pre-keyed, only a new IV per packet ---- */

/* The state of SHA-1 after one 64-byte block of key XOR pad (RFC 2104 §2). */
static EVP_MD_CTX *hmac_pad_state(const uint8_t *key, size_t key_len, uint8_t pad)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t block[64];

	memset(block, pad, sizeof(block));
	for (size_t i = 0; i < key_len; i++)
		block[i] ^= key[i];
	if (ctx != NULL && (EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) != 1 ||
			    EVP_DigestUpdate(ctx, block, sizeof(block)) != 1)) {
		EVP_MD_CTX_free(ctx);
		ctx = NULL;
	}
	explicit_bzero(block, sizeof(block));
	return ctx;
}

static int evp_setup(struct bench *b)
{
	int is_gcm = b->profile == PONTE_SRTP_AEAD_AES_128_GCM;
	const EVP_CIPHER *c = is_gcm ? EVP_aes_128_gcm() : EVP_aes_128_ctr();

	b->enc = EVP_CIPHER_CTX_new();
	b->dec = EVP_CIPHER_CTX_new();
	if (b->enc == NULL || b->dec == NULL ||
	    EVP_EncryptInit_ex(b->enc, c, NULL, b->key, NULL) != 1 ||
	    EVP_DecryptInit_ex(b->dec, c, NULL, b->key, NULL) != 1)
		return -EIO;
	if (is_gcm)
		return 0;
	/* A 20-byte authentication key, as RFC 3711 §4.3 derives; its value changes no cost.
	 * The pads are hashed once here, the shortcut any fast HMAC takes. */
	b->inner = hmac_pad_state(b->key, 20, 0x36);
	b->outer = hmac_pad_state(b->key, 20, 0x5c);
	b->work = EVP_MD_CTX_new();
	return b->inner && b->outer && b->work ? 0 : -EIO;
}

/* RFC 3711 §4.1.1 / RFC 7714 §8.1 IVs: enough of them to make the work per packet honest. */
static void make_iv(const struct bench *b, const uint8_t *pkt, uint8_t iv[16])
{
	memset(iv, 0, 16);
	memcpy(iv, b->salt, b->salt_len);
	if (b->profile == PONTE_SRTP_AEAD_AES_128_GCM) {
		for (int i = 0; i < 4; i++)
			iv[2 + i] ^= pkt[8 + i];
		iv[10] ^= pkt[2];
		iv[11] ^= pkt[3];
	} else {
		for (int i = 0; i < 4; i++)
			iv[4 + i] ^= pkt[8 + i];
		iv[12] ^= pkt[2];
		iv[13] ^= pkt[3];
	}
}

static int evp_cm_tag(struct bench *b, const uint8_t *pkt, size_t len, uint8_t tag[20])
{
	static const uint8_t roc[4];
	uint8_t md[20];
	unsigned int md_len;

	if (EVP_MD_CTX_copy_ex(b->work, b->inner) != 1 ||
	    EVP_DigestUpdate(b->work, pkt, len) != 1 || EVP_DigestUpdate(b->work, roc, 4) != 1 ||
	    EVP_DigestFinal_ex(b->work, md, &md_len) != 1 ||
	    EVP_MD_CTX_copy_ex(b->work, b->outer) != 1 ||
	    EVP_DigestUpdate(b->work, md, md_len) != 1 ||
	    EVP_DigestFinal_ex(b->work, tag, &md_len) != 1)
		return -EIO;
	return 0;
}

static int evp_protect(struct bench *b, uint8_t *pkt, size_t *len, size_t cap)
{
	uint8_t iv[16], tag[20];
	size_t payload = *len - 12;
	int outl;

	make_iv(b, pkt, iv);
	if (EVP_EncryptInit_ex(b->enc, NULL, NULL, NULL, iv) != 1)
		return -EIO;
	if (b->profile == PONTE_SRTP_AEAD_AES_128_GCM) {
		if (EVP_EncryptUpdate(b->enc, NULL, &outl, pkt, 12) != 1 ||
		    EVP_EncryptUpdate(b->enc, pkt + 12, &outl, pkt + 12, (int)payload) != 1 ||
		    EVP_EncryptFinal_ex(b->enc, tag, &outl) != 1 ||
		    EVP_CIPHER_CTX_ctrl(b->enc, EVP_CTRL_GCM_GET_TAG, 16, pkt + *len) != 1)
			return -EIO;
		*len += 16;
		return 0;
	}
	if (EVP_EncryptUpdate(b->enc, pkt + 12, &outl, pkt + 12, (int)payload) != 1 ||
	    evp_cm_tag(b, pkt, *len, tag) != 0)
		return -EIO;
	memcpy(pkt + *len, tag, 10);
	*len += 10;
	return 0;
}

static int evp_unprotect(struct bench *b, uint8_t *pkt, size_t *len, size_t cap)
{
	uint8_t iv[16], tag[20];
	int outl;

	make_iv(b, pkt, iv);
	if (b->profile == PONTE_SRTP_AEAD_AES_128_GCM) {
		size_t payload = *len - 12 - 16;

		if (EVP_DecryptInit_ex(b->dec, NULL, NULL, NULL, iv) != 1 ||
		    EVP_DecryptUpdate(b->dec, NULL, &outl, pkt, 12) != 1 ||
		    EVP_DecryptUpdate(b->dec, pkt + 12, &outl, pkt + 12, (int)payload) != 1 ||
		    EVP_CIPHER_CTX_ctrl(b->dec, EVP_CTRL_GCM_SET_TAG, 16, pkt + 12 + payload) !=
			1 ||
		    EVP_DecryptFinal_ex(b->dec, tag, &outl) != 1)
			return -EBADMSG;
		*len -= 16;
		return 0;
	}
	*len -= 10;
	if (evp_cm_tag(b, pkt, *len, tag) != 0 || CRYPTO_memcmp(tag, pkt + *len, 10) != 0)
		return -EBADMSG;
	if (EVP_DecryptInit_ex(b->dec, NULL, NULL, NULL, iv) != 1 ||
	    EVP_DecryptUpdate(b->dec, pkt + 12, &outl, pkt + 12, (int)(*len - 12)) != 1)
		return -EIO;
	return 0;
}

static void evp_teardown(struct bench *b)
{
	EVP_CIPHER_CTX_free(b->enc);
	EVP_CIPHER_CTX_free(b->dec);
	EVP_MD_CTX_free(b->inner);
	EVP_MD_CTX_free(b->outer);
	EVP_MD_CTX_free(b->work);
	b->enc = b->dec = NULL;
	b->inner = b->outer = b->work = NULL;
}

static const struct impl impls[] = {
    {"engine:libsrtp2", engine_setup, engine_protect, engine_unprotect, engine_teardown},
    {"libsrtp2-direct", direct_setup, direct_protect, direct_unprotect, direct_teardown},
    {"crypto-bound:evp", evp_setup, evp_protect, evp_unprotect, evp_teardown},
};

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Protect then unprotect nb_pkts packets in batches; the time of each direction. */
static int run(const struct impl *im, struct bench *b, uint8_t (*bufs)[BUF_LEN], size_t payload,
	       unsigned long nb_pkts, uint16_t *seq, double *protect_ns, double *unprotect_ns)
{
	size_t lens[BATCH];

	*protect_ns = *unprotect_ns = 0;
	for (unsigned long done = 0; done < nb_pkts; done += BATCH) {
		double t0, t1, t2;

		for (int i = 0; i < BATCH; i++, (*seq)++) {
			bufs[i][2] = (uint8_t)(*seq >> 8);
			bufs[i][3] = (uint8_t)*seq;
			lens[i] = 12 + payload;
		}
		t0 = now_ns();
		for (int i = 0; i < BATCH; i++)
			if (im->protect(b, bufs[i], &lens[i], BUF_LEN) != 0)
				return -EIO;
		t1 = now_ns();
		for (int i = 0; i < BATCH; i++)
			if (im->unprotect(b, bufs[i], &lens[i], BUF_LEN) != 0)
				return -EBADMSG;
		t2 = now_ns();
		*protect_ns += t1 - t0;
		*unprotect_ns += t2 - t1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const uint16_t profiles[] = {PONTE_SRTP_AES128_CM_SHA1_80,
					    PONTE_SRTP_AEAD_AES_128_GCM};
	static const size_t payloads[] = {160, 1200};
	unsigned long nb_pkts = 1000000;
	int is_markdown = 0, opt;
	uint8_t(*bufs)[BUF_LEN];

	while ((opt = getopt(argc, argv, "n:m")) != -1) {
		if (opt == 'n')
			nb_pkts = strtoul(optarg, NULL, 10);
		else if (opt == 'm')
			is_markdown = 1;
		else {
			fprintf(stderr, "usage: %s [-n PACKETS] [-m]\n", argv[0]);
			return 2;
		}
	}
	nb_pkts = (nb_pkts + BATCH - 1) / BATCH * BATCH;
	/* The engine's init() is the process's one srtp_init(); the direct baseline shares it. */
	if (dp_srtp_engine_default()->init() != 0) {
		fprintf(stderr, "engine init failed\n");
		return 1;
	}
	bufs = calloc(BATCH, BUF_LEN);
	if (bufs == NULL)
		return 1;
	for (int i = 0; i < BATCH; i++) {
		bufs[i][0] = 0x80;
		bufs[i][1] = 111;
		for (int j = 0; j < 4; j++)
			bufs[i][8 + j] = (uint8_t)(SSRC >> (24 - 8 * j));
		for (int j = 12; j < BUF_LEN; j++)
			bufs[i][j] = (uint8_t)(i + j);
	}
	printf("# srtp_bench: %lu packets per case, batches of %d, one thread; %s; %s\n", nb_pkts,
	       BATCH, srtp_get_version_string(), OpenSSL_version(OPENSSL_VERSION));
	if (is_markdown) {
		printf("| implementation | profile | payload (+12 hdr) | protect ns/pkt | protect "
		       "Mpps "
		       "| unprotect ns/pkt | unprotect Mpps |\n");
		printf("| --- | --- | ---: | ---: | ---: | ---: | ---: |\n");
	}
	for (size_t p = 0; p < sizeof(profiles) / sizeof(profiles[0]); p++) {
		for (size_t s = 0; s < sizeof(payloads) / sizeof(payloads[0]); s++) {
			for (size_t i = 0; i < sizeof(impls) / sizeof(impls[0]); i++) {
				struct bench b = {.profile = profiles[p]};
				const char *pname = ponte_srtp_profile_name(profiles[p]);
				double pns, uns;
				uint16_t seq = 1;
				uint8_t key_len, salt_len;
				int rc;

				ponte_srtp_profile_sizes(profiles[p], &key_len, &salt_len, NULL);
				b.key_len = key_len;
				b.salt_len = salt_len;
				for (size_t k = 0; k < sizeof(b.key); k++)
					b.key[k] = (uint8_t)(k * 13 + 1);
				for (size_t k = 0; k < sizeof(b.salt); k++)
					b.salt[k] = (uint8_t)(k * 7 + 2);
				rc = impls[i].setup(&b);
				/* Warm up: caches, branch predictors, the first-SSRC clone. */
				rc = rc ? rc
					: run(&impls[i], &b, bufs, payloads[s], 8 * BATCH, &seq,
					      &pns, &uns);
				rc = rc ? rc
					: run(&impls[i], &b, bufs, payloads[s], nb_pkts, &seq, &pns,
					      &uns);
				impls[i].teardown(&b);
				explicit_bzero(b.key, sizeof(b.key));
				if (rc != 0) {
					fprintf(stderr, "%s %s %zu: failed (%d)\n", impls[i].name,
						pname, payloads[s], rc);
					return 1;
				}
				pns /= (double)nb_pkts;
				uns /= (double)nb_pkts;
				if (is_markdown)
					printf("| %s | %s | %zu | %.0f | %.2f | %.0f | %.2f |\n",
					       impls[i].name, pname, payloads[s], pns, 1e3 / pns,
					       uns, 1e3 / uns);
				else
					printf(
					    "srtp_bench impl=%s profile=%s payload=%zu pkts=%lu "
					    "protect_ns=%.1f protect_mpps=%.3f unprotect_ns=%.1f "
					    "unprotect_mpps=%.3f\n",
					    impls[i].name, pname, payloads[s], nb_pkts, pns,
					    1e3 / pns, uns, 1e3 / uns);
				fflush(stdout);
			}
		}
	}
	free(bufs);
	return 0;
}
