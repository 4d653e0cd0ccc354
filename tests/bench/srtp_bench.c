/* SPDX-License-Identifier: MIT */
/*
 * SRTP cost per packet, single thread, for each SRTP engine and against two crypto bounds.
 *
 * Rows (implementations):
 *   engine:libsrtp2        the libsrtp2 engine through dataplane/srtp.h, one packet per call
 *   libsrtp2-direct        Debian's libsrtp2 called directly (1 context only): the engine
 *                          interface's own cost is the difference from the row above
 *   engine:ipsec-mb        the ipsec-mb engine, one packet per rtp() call
 *   engine:ipsec-mb/burst32  the same through dp_srtp_rtp_burst(), 32 packets per call
 *   crypto-bound:ipsec-mb  intel-ipsec-mb alone: the same cipher and MAC jobs on pre-expanded
 *                          keys, a new IV per packet, 32 jobs submitted then flushed, no SRTP
 *                          bookkeeping (no header checks, stream lookup, replay window)
 *   crypto-bound:evp       libcrypto EVP on pre-keyed contexts, one packet at a time, HMAC
 *                          pads hashed once (1 context only)
 *
 * Columns: the profile, the RTP packet size (12-byte header + payload), and the number of
 * contexts the packets are spread over: with 10,000 or 200,000, every packet goes to a context
 * drawn at random (each context its own key, SSRC and sequence), so keys and per-SSRC state
 * come from memory the way they do for that many flows. Every context first carries one
 * packet each way, untimed, so the rows show the steady state, not a new SSRC's first packet.
 *
 * Packets go in batches: protect BATCH packets (timed), then unprotect the same packets
 * through the matching receiving contexts (timed), so every unprotect sees a fresh, genuine
 * packet and the replay window never refuses one.
 *
 * Usage: srtp_bench [-n PACKETS] [-r RUNS] [-c N,N,...] [-l N] [-i NAME] [-m]
 *   -n  packets per case (default 1000000)
 *   -r  runs per case, the fastest reported, each direction on its own (default 1): on a
 *       shared machine the fastest run is the one least disturbed
 *   -c  context counts (default 1,10000,200000)
 *   -l  libsrtp2 rows only up to this many contexts (default 10000): Debian's libsrtp2 (NSS
 *       backend) creates and frees AES-CM sessions in quadratic time (2,000 pairs take 7 s to
 *       set up, 10,000 take a minute and ten to free; 200,000 did not finish in 15 minutes)
 *   -i  only the implementations whose name contains NAME
 *   -m  print Markdown table rows instead of key=value lines
 * Not a test: run by hand, on an idle machine (docs/performance.md).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <intel-ipsec-mb.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <srtp2/srtp.h>

#include "imb_bound.h"
#include "srtp.h"

#define BATCH 256
#define BURST 32
#define BUF_LEN 1300
#define MAX_CTX_COUNTS 8

/* One context's identity: its keys derive from its number, its packets carry its SSRC. */
struct flow {
	uint32_t ssrc;
	uint16_t seq;
};

struct bench {
	uint16_t profile;
	size_t key_len, salt_len, tag_len;
	unsigned int nb_ctx;
	struct flow *flows;
	/* engines */
	const struct dp_srtp_engine *engine;
	struct dp_srtp **tx, **rx;
	/* libsrtp2 direct */
	srtp_t stx, srx;
	/* crypto bound: intel-ipsec-mb; keys per context and direction, as the engine has */
	struct imb_bound ib;
	/* crypto bound: EVP */
	uint8_t salt0[14];
	EVP_CIPHER_CTX *enc, *dec;
	EVP_MD_CTX *inner, *outer, *work;
};

/* One batch: pkt[i] of len[i] bytes belongs to context ctx_of[i]. */
struct batch {
	unsigned int n;
	uint32_t ctx_of[BATCH];
	uint8_t *pkt[BATCH];
	size_t len[BATCH];
};

struct impl {
	const char *name;
	bool is_one_ctx_only;
	bool is_libsrtp;
	int (*setup)(struct bench *b);
	int (*protect)(struct bench *b, struct batch *bt);
	int (*unprotect)(struct bench *b, struct batch *bt);
	void (*teardown)(struct bench *b);
};

static struct ponte_srtp_key ctx_key(const struct bench *b, unsigned int k)
{
	struct ponte_srtp_key key = {.profile = b->profile};

	key.key_len = (uint8_t)b->key_len;
	key.salt_len = (uint8_t)b->salt_len;
	for (size_t i = 0; i < b->key_len; i++)
		key.key[i] = (uint8_t)(k * 131 + i * 13 + 1);
	for (size_t i = 0; i < b->salt_len; i++)
		key.salt[i] = (uint8_t)(k * 31 + i * 7 + 2);
	return key;
}

/* ---- through an engine ---- */

static int engine_setup(struct bench *b)
{
	int rc = 0;

	b->tx = calloc(b->nb_ctx, sizeof(*b->tx));
	b->rx = calloc(b->nb_ctx, sizeof(*b->rx));
	if (b->tx == NULL || b->rx == NULL)
		return -ENOMEM;
	/* All sending contexts, then all receiving ones: a flow's two contexts side by side
	 * would warm each other's cache lines, which two legs of a call do not do. */
	for (unsigned int k = 0; rc == 0 && k < 2 * b->nb_ctx; k++) {
		struct ponte_srtp_key key = ctx_key(b, k % b->nb_ctx);

		if (k < b->nb_ctx)
			rc = b->engine->create(&key, DP_SRTP_PROTECT, &b->tx[k]);
		else
			rc = b->engine->create(&key, DP_SRTP_UNPROTECT, &b->rx[k - b->nb_ctx]);
		explicit_bzero(&key, sizeof(key));
	}
	return rc;
}

static int libsrtp_setup(struct bench *b)
{
	b->engine = &dp_srtp_engine_libsrtp;
	return engine_setup(b);
}

static int ipsecmb_setup(struct bench *b)
{
	b->engine = &dp_srtp_engine_ipsec_mb;
	return engine_setup(b);
}

static int engine_each(struct dp_srtp **ctx, struct batch *bt)
{
	for (unsigned int i = 0; i < bt->n; i++)
		if (dp_srtp_rtp(ctx[bt->ctx_of[i]], bt->pkt[i], &bt->len[i], BUF_LEN) != 0)
			return -EIO;
	return 0;
}

static int engine_protect(struct bench *b, struct batch *bt)
{
	return engine_each(b->tx, bt);
}

static int engine_unprotect(struct bench *b, struct batch *bt)
{
	return engine_each(b->rx, bt);
}

static int engine_burst(struct dp_srtp **ctxs, struct batch *bt)
{
	static const size_t caps[BURST] = {[0 ... BURST - 1] = BUF_LEN};
	struct dp_srtp *ctx[BURST];
	int rc[BURST];

	for (unsigned int i = 0; i < bt->n; i += BURST) {
		unsigned int n = bt->n - i < BURST ? bt->n - i : BURST;

		for (unsigned int j = 0; j < n; j++)
			ctx[j] = ctxs[bt->ctx_of[i + j]];
		if (dp_srtp_rtp_burst(ctx, bt->pkt + i, bt->len + i, caps, n, rc) != n)
			return -EIO;
	}
	return 0;
}

static int engine_burst_protect(struct bench *b, struct batch *bt)
{
	return engine_burst(b->tx, bt);
}

static int engine_burst_unprotect(struct bench *b, struct batch *bt)
{
	return engine_burst(b->rx, bt);
}

static void engine_teardown(struct bench *b)
{
	for (unsigned int k = 0; k < b->nb_ctx; k++) {
		if (b->tx != NULL)
			dp_srtp_destroy(b->tx[k]);
		if (b->rx != NULL)
			dp_srtp_destroy(b->rx[k]);
	}
	free(b->tx);
	free(b->rx);
	b->tx = b->rx = NULL;
}

/* ---- libsrtp2 directly, set up the way the engine does (1 context) ---- */

static int direct_create(struct bench *b, srtp_ssrc_type_t type, srtp_t *out)
{
	struct ponte_srtp_key key = ctx_key(b, 0);
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
	memcpy(material, key.key, b->key_len);
	memcpy(material + b->key_len, key.salt, b->salt_len);
	p.key = material;
	p.ssrc.type = type;
	p.window_size = DP_SRTP_REPLAY_WINDOW;
	st = srtp_create(out, &p);
	explicit_bzero(material, sizeof(material));
	explicit_bzero(&key, sizeof(key));
	return st == srtp_err_status_ok ? 0 : -EIO;
}

static int direct_setup(struct bench *b)
{
	/* srtp_init() already ran, once, in main(): a second call fails in libsrtp 2.5. */
	int rc = direct_create(b, ssrc_any_outbound, &b->stx);

	return rc ? rc : direct_create(b, ssrc_any_inbound, &b->srx);
}

static int direct_each(srtp_t s, struct batch *bt, bool is_protect)
{
	for (unsigned int i = 0; i < bt->n; i++) {
		int n = (int)bt->len[i];
		srtp_err_status_t st = is_protect ? srtp_protect(s, bt->pkt[i], &n)
						  : srtp_unprotect(s, bt->pkt[i], &n);

		if (st != srtp_err_status_ok)
			return -EIO;
		bt->len[i] = (size_t)n;
	}
	return 0;
}

static int direct_protect(struct bench *b, struct batch *bt)
{
	return direct_each(b->stx, bt, true);
}

static int direct_unprotect(struct bench *b, struct batch *bt)
{
	return direct_each(b->srx, bt, false);
}

static void direct_teardown(struct bench *b)
{
	if (b->stx != NULL)
		srtp_dealloc(b->stx);
	if (b->srx != NULL)
		srtp_dealloc(b->srx);
	b->stx = b->srx = NULL;
}

/* ---- the crypto bound through intel-ipsec-mb (imb_bound.c, shared) ---- */

static void bound_key(void *arg, unsigned int k, struct ponte_srtp_key *out)
{
	*out = ctx_key(arg, k);
}

static int imb_bound_setup(struct bench *b)
{
	return imb_bound_init(&b->ib, b->profile, b->nb_ctx, bound_key, b);
}

static int imb_bound_each(struct bench *b, struct batch *bt, bool is_protect)
{
	for (unsigned int i = 0; i < bt->n; i += IMB_BOUND_BURST) {
		unsigned int n = bt->n - i < IMB_BOUND_BURST ? bt->n - i : IMB_BOUND_BURST;

		if (imb_bound_run(&b->ib, bt->pkt + i, bt->len + i, bt->ctx_of + i, n,
				  is_protect) != 0)
			return -EIO;
	}
	return 0;
}

static int imb_bound_protect(struct bench *b, struct batch *bt)
{
	return imb_bound_each(b, bt, true);
}

static int imb_bound_unprotect(struct bench *b, struct batch *bt)
{
	return imb_bound_each(b, bt, false);
}

static void imb_bound_teardown(struct bench *b)
{
	imb_bound_fini(&b->ib);
}

/* ---- the crypto bound through libcrypto EVP (1 context) ---- */

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
	bool is_gcm = b->profile == PONTE_SRTP_AEAD_AES_128_GCM;
	const EVP_CIPHER *c = is_gcm ? EVP_aes_128_gcm() : EVP_aes_128_ctr();
	struct ponte_srtp_key key = ctx_key(b, 0);
	int rc = 0;

	memcpy(b->salt0, key.salt, b->salt_len);
	b->enc = EVP_CIPHER_CTX_new();
	b->dec = EVP_CIPHER_CTX_new();
	if (b->enc == NULL || b->dec == NULL ||
	    EVP_EncryptInit_ex(b->enc, c, NULL, key.key, NULL) != 1 ||
	    EVP_DecryptInit_ex(b->dec, c, NULL, key.key, NULL) != 1)
		rc = -EIO;
	if (rc == 0 && !is_gcm) {
		/* A 20-byte authentication key, as RFC 3711 §4.3 derives; its value changes no
		 * cost. The pads are hashed once here, the shortcut any fast HMAC takes. */
		uint8_t auth[20] = {0};

		memcpy(auth, key.key, 16);
		b->inner = hmac_pad_state(auth, 20, 0x36);
		b->outer = hmac_pad_state(auth, 20, 0x5c);
		b->work = EVP_MD_CTX_new();
		rc = b->inner && b->outer && b->work ? 0 : -EIO;
	}
	explicit_bzero(&key, sizeof(key));
	return rc;
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

static int evp_protect_one(struct bench *b, uint8_t *pkt, size_t *len)
{
	bool is_gcm = b->profile == PONTE_SRTP_AEAD_AES_128_GCM;
	uint8_t iv[16], tag[20];
	size_t payload = *len - 12;
	int outl;

	imb_bound_make_iv(is_gcm, b->salt0, pkt, iv);
	if (EVP_EncryptInit_ex(b->enc, NULL, NULL, NULL, iv) != 1)
		return -EIO;
	if (is_gcm) {
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

static int evp_unprotect_one(struct bench *b, uint8_t *pkt, size_t *len)
{
	bool is_gcm = b->profile == PONTE_SRTP_AEAD_AES_128_GCM;
	uint8_t iv[16], tag[20];
	int outl;

	imb_bound_make_iv(is_gcm, b->salt0, pkt, iv);
	if (is_gcm) {
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

static int evp_protect(struct bench *b, struct batch *bt)
{
	for (unsigned int i = 0; i < bt->n; i++)
		if (evp_protect_one(b, bt->pkt[i], &bt->len[i]) != 0)
			return -EIO;
	return 0;
}

static int evp_unprotect(struct bench *b, struct batch *bt)
{
	for (unsigned int i = 0; i < bt->n; i++)
		if (evp_unprotect_one(b, bt->pkt[i], &bt->len[i]) != 0)
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
    {"engine:libsrtp2", false, true, libsrtp_setup, engine_protect, engine_unprotect,
     engine_teardown},
    {"libsrtp2-direct", true, true, direct_setup, direct_protect, direct_unprotect,
     direct_teardown},
    {"engine:ipsec-mb", false, false, ipsecmb_setup, engine_protect, engine_unprotect,
     engine_teardown},
    {"engine:ipsec-mb/burst32", false, false, ipsecmb_setup, engine_burst_protect,
     engine_burst_unprotect, engine_teardown},
    {"crypto-bound:ipsec-mb", false, false, imb_bound_setup, imb_bound_protect, imb_bound_unprotect,
     imb_bound_teardown},
    {"crypto-bound:evp", true, false, evp_setup, evp_protect, evp_unprotect, evp_teardown},
};

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

/* The next batch: each packet to a random context (or the only one), or to contexts first,
 * first + 1, ... when first is not NO_CTX; each with its context's next SEQ. */
#define NO_CTX 0xffffffffu

static void fill_batch(struct bench *b, struct batch *bt, uint8_t (*bufs)[BUF_LEN], size_t size,
		       unsigned int n, unsigned int first)
{
	bt->n = n;
	for (unsigned int i = 0; i < n; i++) {
		unsigned int k = first != NO_CTX  ? first + i
				 : b->nb_ctx == 1 ? 0
						  : rnd() % b->nb_ctx;
		struct flow *f = &b->flows[k];
		uint8_t *pkt = bufs[i];

		bt->ctx_of[i] = k;
		pkt[0] = 0x80;
		pkt[1] = 0;
		pkt[2] = (uint8_t)(f->seq >> 8);
		pkt[3] = (uint8_t)f->seq;
		for (int j = 0; j < 4; j++)
			pkt[8 + j] = (uint8_t)(f->ssrc >> (24 - 8 * j));
		f->seq++;
		bt->pkt[i] = pkt;
		bt->len[i] = size;
	}
}

/* Protect then unprotect nb_pkts packets in batches; the time of each direction. */
static int run(const struct impl *im, struct bench *b, uint8_t (*bufs)[BUF_LEN], size_t size,
	       unsigned long nb_pkts, double *protect_ns, double *unprotect_ns)
{
	struct batch bt;

	*protect_ns = *unprotect_ns = 0;
	for (unsigned long done = 0; done < nb_pkts; done += BATCH) {
		double t0, t1, t2;

		fill_batch(b, &bt, bufs, size, BATCH, NO_CTX);
		t0 = now_ns();
		if (im->protect(b, &bt) != 0)
			return -EIO;
		t1 = now_ns();
		if (im->unprotect(b, &bt) != 0)
			return -EBADMSG;
		t2 = now_ns();
		*protect_ns += t1 - t0;
		*unprotect_ns += t2 - t1;
	}
	return 0;
}

/* One packet through every context each way, untimed: the steady state (a first packet
 * makes libsrtp clone a stream, and brings every context into use once). */
static int prime(const struct impl *im, struct bench *b, uint8_t (*bufs)[BUF_LEN])
{
	struct batch bt;

	for (unsigned int k = 0; k < b->nb_ctx; k += BATCH) {
		unsigned int n = b->nb_ctx - k < BATCH ? b->nb_ctx - k : BATCH;

		fill_batch(b, &bt, bufs, 172, n, k);
		if (im->protect(b, &bt) != 0 || im->unprotect(b, &bt) != 0)
			return -EIO;
	}
	return 0;
}

static bool wanted(const char *filter, const char *name)
{
	return filter == NULL || strstr(name, filter) != NULL;
}

int main(int argc, char **argv)
{
	static const uint16_t profiles[] = {PONTE_SRTP_AES128_CM_SHA1_80,
					    PONTE_SRTP_AEAD_AES_128_GCM};
	static const size_t sizes[] = {172, 1200};
	unsigned int ctx_counts[MAX_CTX_COUNTS] = {1, 10000, 200000}, nb_counts = 3;
	unsigned long nb_pkts = 1000000, nb_runs = 1, libsrtp_max = 10000;
	const char *filter = NULL;
	int is_markdown = 0, opt;
	uint8_t(*bufs)[BUF_LEN];

	while ((opt = getopt(argc, argv, "n:r:c:l:i:m")) != -1) {
		if (opt == 'n') {
			nb_pkts = strtoul(optarg, NULL, 10);
		} else if (opt == 'r') {
			nb_runs = strtoul(optarg, NULL, 10);
			nb_runs = nb_runs > 0 ? nb_runs : 1;
		} else if (opt == 'c') {
			char *s = optarg, *end;

			for (nb_counts = 0; *s != '\0' && nb_counts < MAX_CTX_COUNTS; s = end) {
				ctx_counts[nb_counts] = (unsigned int)strtoul(s, &end, 10);
				if (end == s || ctx_counts[nb_counts] == 0)
					break;
				nb_counts++;
				end += *end == ',';
			}
		} else if (opt == 'l') {
			libsrtp_max = strtoul(optarg, NULL, 10);
		} else if (opt == 'i') {
			filter = optarg;
		} else if (opt == 'm') {
			is_markdown = 1;
		} else {
			fprintf(stderr,
				"usage: %s [-n PACKETS] [-r RUNS] [-c N,N,...] [-l N] [-i NAME] "
				"[-m]\n",
				argv[0]);
			return 2;
		}
	}
	if (nb_counts == 0) {
		fprintf(stderr, "-c: a comma-separated list of context counts\n");
		return 2;
	}
	nb_pkts = (nb_pkts + BATCH - 1) / BATCH * BATCH;
	/* The libsrtp2 engine's init() is the process's one srtp_init(); the direct baseline
	 * shares it. */
	if (dp_srtp_engine_libsrtp.init() != 0 || dp_srtp_engine_ipsec_mb.init() != 0) {
		fprintf(stderr, "engine init failed\n");
		return 1;
	}
	bufs = calloc(BATCH, BUF_LEN);
	if (bufs == NULL)
		return 1;
	for (int i = 0; i < BATCH; i++)
		for (int j = 12; j < BUF_LEN; j++)
			bufs[i][j] = (uint8_t)(i + j);
	printf("# srtp_bench: %lu packets per case, best of %lu, batches of %d, one thread; %s; "
	       "%s; intel-ipsec-mb %s\n",
	       nb_pkts, nb_runs, BATCH, srtp_get_version_string(), OpenSSL_version(OPENSSL_VERSION),
	       imb_get_version_str());
	if (is_markdown) {
		printf("| implementation | profile | packet bytes | contexts | protect ns/pkt | "
		       "protect Mpps | unprotect ns/pkt | unprotect Mpps |\n");
		printf("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n");
	}
	for (size_t p = 0; p < sizeof(profiles) / sizeof(profiles[0]); p++) {
		const char *pname = ponte_srtp_profile_name(profiles[p]);

		for (unsigned int c = 0; c < nb_counts; c++) {
			for (size_t i = 0; i < sizeof(impls) / sizeof(impls[0]); i++) {
				struct bench b = {.profile = profiles[p], .nb_ctx = ctx_counts[c]};
				uint8_t key_len, salt_len, tag_len;
				double t0 = now_ns(), setup_s;
				int rc;

				if (!wanted(filter, impls[i].name) ||
				    (impls[i].is_one_ctx_only && b.nb_ctx != 1) ||
				    (impls[i].is_libsrtp && b.nb_ctx > libsrtp_max))
					continue;
				ponte_srtp_profile_sizes(profiles[p], &key_len, &salt_len,
							 &tag_len);
				b.key_len = key_len;
				b.salt_len = salt_len;
				b.tag_len = tag_len;
				b.flows = calloc(b.nb_ctx, sizeof(*b.flows));
				if (b.flows == NULL)
					return 1;
				for (unsigned int k = 0; k < b.nb_ctx; k++) {
					b.flows[k].ssrc = 0x1234abcdu ^ (k * 0x9e3779b1u);
					b.flows[k].seq = (uint16_t)(k * 7919);
				}
				rc = impls[i].setup(&b);
				rc = rc ? rc : prime(&impls[i], &b, bufs);
				setup_s = (now_ns() - t0) / 1e9;
				for (size_t s = 0; rc == 0 && s < sizeof(sizes) / sizeof(sizes[0]);
				     s++) {
					double pns = 0, uns = 0;

					/* Warm up: caches, branch predictors. */
					rc = run(&impls[i], &b, bufs, sizes[s], 8 * BATCH, &pns,
						 &uns);
					for (unsigned long r = 0; rc == 0 && r < nb_runs; r++) {
						double p1, u1;

						rc = run(&impls[i], &b, bufs, sizes[s], nb_pkts,
							 &p1, &u1);
						pns = r == 0 || p1 < pns ? p1 : pns;
						uns = r == 0 || u1 < uns ? u1 : uns;
					}
					if (rc != 0)
						break;
					pns /= (double)nb_pkts;
					uns /= (double)nb_pkts;
					if (is_markdown)
						printf(
						    "| %s | %s | %zu | %u | %.0f | %.2f | %.0f | "
						    "%.2f |\n",
						    impls[i].name, pname, sizes[s], b.nb_ctx, pns,
						    1e3 / pns, uns, 1e3 / uns);
					else
						printf("srtp_bench impl=%s profile=%s size=%zu "
						       "contexts=%u pkts=%lu protect_ns=%.1f "
						       "protect_mpps=%.3f unprotect_ns=%.1f "
						       "unprotect_mpps=%.3f setup_s=%.1f\n",
						       impls[i].name, pname, sizes[s], b.nb_ctx,
						       nb_pkts, pns, 1e3 / pns, uns, 1e3 / uns,
						       setup_s);
					fflush(stdout);
				}
				impls[i].teardown(&b);
				free(b.flows);
				if (rc != 0) {
					fprintf(stderr, "%s %s %u contexts: failed (%d)\n",
						impls[i].name, pname, b.nb_ctx, rc);
					return 1;
				}
			}
		}
	}
	free(bufs);
	return 0;
}
