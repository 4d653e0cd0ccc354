/* SPDX-License-Identifier: MIT */
/*
 * The "ipsec-mb" SRTP engine: SRTP and SRTCP (RFC 3711, RFC 7714) on intel-ipsec-mb's job API,
 * byte-identical to the libsrtp2 engine (the reference) and with the same return codes.
 *
 * Keys: create() derives the session keys (RFC 3711 §4.3 with key_derivation_rate 0, RFC 6188
 * §3 for AES-256, RFC 7714 §11 for the AEAD salts) and keeps them in the form the library
 * consumes: AES round keys, the HMAC-SHA1 inner and outer states after one block of key XOR
 * pad (RFC 2104 §2, so a packet never rehashes the key), and the GHASH tables of AES-GCM.
 * destroy() wipes them. The master key is never kept.
 *
 * Per-SSRC state: the context's first SSRC lives in the context's first cache line, later
 * ones in an open-addressing table allocated with the second SSRC and grown as needed
 * (interface rule: allocation only for the first packet of a new SSRC). SRTCP state, a few
 * packets a second, lives apart from the SRTP state every packet reads and writes. The
 * rollover counter and replay window are libsrtp's own algorithms, reproduced exactly
 * (srtp_rdbx_t for SRTP, srtp_rdb_t with its 128-index window for SRTCP): byte identity needs
 * the same packet index for the same sequence number, and equal return codes need the same
 * window, even in the corners (a stream that starts above SEQ 32768, a jump of 2^15).
 * Where the two engines may differ, beyond any real traffic: a context refuses a 65,537th
 * SSRC (-ENOMEM; libsrtp has no limit), and libsrtp's count of 2^48 packets per master key
 * (RFC 3711 §9.2, -EKEYEXPIRED; 89 years at 100,000 packets a second) is not kept, while the
 * last SRTCP index (2^31 - 1) is refused as libsrtp refuses it.
 *
 * Memory layout: with many contexts, each packet's context comes from DRAM, and the cost is
 * the number of cache lines a packet touches. An AES-CM/HMAC-SHA1 packet of the first SSRC
 * reads five contiguous lines: the context and that SSRC's state (line 0), the AES round keys
 * and the salt (1-3), the HMAC states (4). An AES-GCM packet reads line 0, the round keys
 * (3 lines) and one line of GHASH powers per 4 blocks (intel-ipsec-mb keeps the lowest powers
 * at the end of struct gcm_key_data, with the salt after them). The RTCP keys follow.
 * Contexts come from 2 MiB chunks the kernel is asked to back with huge pages: with 4 KiB
 * pages, 200,000 contexts would also cost a TLB miss (a two-level walk in a VM) per packet.
 *
 * Job managers: intel-ipsec-mb keeps its lanes in an IMB_MGR, which one thread may use at a
 * time, so each thread gets its own, allocated on its first call (dp_srtp_thread_init() lets a
 * packet thread do it beforehand). Two per thread: the widest multi-buffer code the CPU has
 * (AVX-512: 16 SHA-1 lanes, VAES GCM) for bursts and for AES-GCM, and the SSE code with the
 * SHA extensions for a single AES-CM/HMAC-SHA1 packet, which the 16-lane code would have to
 * flush with one lane in use (measured here: 740 ns against 230 ns for a 172-byte packet).
 *
 * Bursts (rtp_burst): every packet's job is submitted before any is waited for, so the SHA-1
 * lanes fill, then the manager is flushed. The result must equal rtp() called on each packet
 * in turn, although a receiver's replay and rollover decisions depend on whether earlier
 * packets of the same SSRC authenticate, which is known only after the flush. So the submit
 * pass decides each packet's index against a tentative copy of its stream that assumes every
 * earlier packet authenticates, and the completion pass, in order, decides again against the
 * real state: when both agree (always, unless an earlier packet of the same stream in the
 * same burst was forged or replayed) the job's result stands; when they differ, the packet's
 * decryption is undone (counter mode: the same keystream XORed again) and the packet goes
 * through the single-packet path against the real state.
 */
#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <intel-ipsec-mb.h>

#include "srtp.h"

#define AES_BLOCK 16
#define HMAC_SHA1_KEY_LEN 20
#define SHA1_BLOCK 64
#define SHA1_STATE_LEN 20
/* intel-ipsec-mb computes HMAC-SHA1 tags of 12 or 20 bytes only; SRTP uses the first 10 or 4. */
#define IMB_SHA1_TAG_LEN 12
#define GCM_TAG_LEN 16
#define GCM_IV_LEN 12
/* The limit of SSRCs per context: far more than any one peer sends, low enough that a
 * context can never grow without bound. */
#define MAX_STREAMS 65536
#define LINE 64
/* Packets handled per submit-and-flush round; more are taken in further rounds. */
#define BURST_CHUNK 64
/* RFC 3711 §3.4: SRTCP indexes are 31 bits; libsrtp refuses to send past the last one. */
#define SRTCP_INDEX_MASK 0x7fffffffu
#define SRTCP_E_FLAG 0x80000000u
/* libsrtp's srtp_rdb_t window for SRTCP (a v128_t bitmask). */
#define SRTCP_WINDOW 128

/*
 * The SRTP rollover and replay state of one SSRC: libsrtp's srtp_rdbx_t, the packet index
 * (ROC << 16 | SEQ) of the highest packet and a bit for each of the 64 below it. All zeros is
 * exactly the state libsrtp gives a stream it has just cloned from its template.
 */
struct stream {
	uint64_t rtp_index;
	uint64_t rtp_window; /* bit j: rtp_index - j seen */
	uint32_t ssrc;
	uint32_t is_used;
};

/* The SRTCP state of the same SSRC: libsrtp's srtp_rdb_t, or a sender's last index. */
struct rtcp_stream {
	/* protect: the last SRTCP index sent; unprotect: srtp_rdb_t window_start */
	uint32_t index;
	uint64_t window[2]; /* unprotect: bit k (of 128) for index + k */
};

/* The second and later SSRCs of a context. */
struct more_slot {
	struct stream rtp;
	struct rtcp_stream rtcp;
};

struct more_table {
	uint32_t mask; /* slots - 1 */
	uint32_t nb;
	struct more_slot slot[];
};

/* AES-128-CM with HMAC-SHA1, in four lines: round keys and salt, then the HMAC states. */
struct cm_keys {
	uint8_t enc[11 * AES_BLOCK] __attribute__((aligned(LINE)));
	uint8_t salt[14];
	uint8_t ipad[SHA1_STATE_LEN] __attribute__((aligned(16)));
	uint8_t opad[SHA1_STATE_LEN] __attribute__((aligned(16)));
};

/* AES-GCM: the library's expanded key and GHASH tables, the salt in their last line. */
struct gcm_keys {
	struct gcm_key_data gcm __attribute__((aligned(LINE)));
	uint8_t salt[GCM_IV_LEN];
};

/* One line; the RTP keys follow it, then the RTCP keys, then the first SSRC's SRTCP state. */
struct ictx {
	struct dp_srtp base;
	bool is_gcm;
	bool is_protect;
	uint8_t key_len;     /* cipher key: 16 or 32 */
	uint8_t e_from_end;  /* dp_srtp_srtcp_e_from_end() */
	uint8_t tag_len[2];  /* RTP [0], RTCP [1] */
	uint8_t overhead[2]; /* dp_srtp_overhead(): RTP [0], RTCP [1] */
	struct more_table *more;
	void *rtcp_keys;
	struct stream first; /* is_used once the context has seen an SSRC */
} __attribute__((aligned(LINE)));

_Static_assert(sizeof(struct ictx) == LINE, "a context's hot part is one cache line");
_Static_assert(sizeof(struct cm_keys) == 4 * LINE, "AES-CM keys are four cache lines");

/* ---- context memory: huge-page chunks, cut into contexts of one size per profile kind ---- */

#define CHUNK_LEN (2u << 20)

/* The first line of every chunk: what kind of context the chunk holds, so a burst can learn
 * which lines to prefetch from a line that stays cached (a few hundred chunks hold 200,000
 * contexts) rather than wait for the context's own first line. */
struct chunk_head {
	bool is_gcm;
};

static bool chunk_is_gcm(const void *ctx)
{
	return ((const struct chunk_head *)((uintptr_t)ctx & ~(uintptr_t)(CHUNK_LEN - 1)))->is_gcm;
}

/* Freed contexts of one size, and the rest of the chunk being cut. The mutex guards the pool;
 * only create() and destroy() take it, never a packet. Chunks stay with the process. */
struct ctx_pool {
	pthread_mutex_t lock;
	void *free_list; /* a freed context's first word points to the next */
	uint8_t *cut;	 /* the next unused byte of the current chunk */
	size_t left;	 /* bytes left there */
};

static struct ctx_pool pools[2] = {
    {.lock = PTHREAD_MUTEX_INITIALIZER},
    {.lock = PTHREAD_MUTEX_INITIALIZER},
};

/* 2 MiB of anonymous memory on a 2 MiB boundary, which a transparent huge page can back. */
static uint8_t *map_chunk(void)
{
	uint8_t *p =
	    mmap(NULL, 2 * CHUNK_LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	size_t head;

	if (p == MAP_FAILED)
		return NULL;
	head = (CHUNK_LEN - ((uintptr_t)p & (CHUNK_LEN - 1))) & (CHUNK_LEN - 1);
	if (head > 0)
		munmap(p, head);
	munmap(p + head + CHUNK_LEN, CHUNK_LEN - head);
	p += head;
	/* Only a hint: without huge pages the contexts work the same, with more TLB misses. */
	(void)madvise(p, CHUNK_LEN, MADV_HUGEPAGE);
	return p;
}

static void *pool_get(bool is_gcm, size_t len)
{
	struct ctx_pool *pool = &pools[is_gcm];
	void *obj = NULL;

	pthread_mutex_lock(&pool->lock);
	if (pool->free_list != NULL) {
		obj = pool->free_list;
		pool->free_list = *(void **)obj;
	} else {
		if (pool->left < len) {
			pool->cut = map_chunk();
			pool->left = 0;
			if (pool->cut != NULL) {
				((struct chunk_head *)pool->cut)->is_gcm = is_gcm;
				pool->cut += LINE;
				pool->left = CHUNK_LEN - LINE;
			}
		}
		if (pool->left >= len) {
			obj = pool->cut;
			pool->cut += len;
			pool->left -= len;
		}
	}
	pthread_mutex_unlock(&pool->lock);
	return obj;
}

static void pool_put(bool is_gcm, void *obj)
{
	struct ctx_pool *pool = &pools[is_gcm];

	pthread_mutex_lock(&pool->lock);
	*(void **)obj = pool->free_list;
	pool->free_list = obj;
	pthread_mutex_unlock(&pool->lock);
}

static size_t keys_len(bool is_gcm)
{
	return is_gcm ? sizeof(struct gcm_keys) : sizeof(struct cm_keys);
}

/* A context's bytes, whole lines. */
static size_t ctx_len(bool is_gcm)
{
	size_t len = sizeof(struct ictx) + 2 * keys_len(is_gcm) + sizeof(struct rtcp_stream);

	return (len + LINE - 1) / LINE * LINE;
}

static void *rtp_keys(const struct ictx *c)
{
	return (uint8_t *)c + sizeof(*c);
}

static struct rtcp_stream *first_rtcp(const struct ictx *c)
{
	return (struct rtcp_stream *)((uint8_t *)c + sizeof(*c) + 2 * keys_len(c->is_gcm));
}

struct mgrs {
	IMB_MGR *wide;	 /* bursts, AES-GCM, key derivation */
	IMB_MGR *single; /* one AES-CM/HMAC-SHA1 packet at a time */
};

static pthread_key_t mgrs_key;
static pthread_once_t mgrs_once = PTHREAD_ONCE_INIT;
static int mgrs_key_rc;
static __thread struct mgrs *tls_mgrs;

static void free_mgr(IMB_MGR *m)
{
	if (m == NULL)
		return;
	/* The lanes hold HMAC states and counter blocks of the last packets. */
	explicit_bzero(m, imb_get_mb_mgr_size());
	free_mb_mgr(m);
}

static void free_mgrs(void *arg)
{
	struct mgrs *g = arg;

	if (g == NULL)
		return;
	if (g->single != g->wide)
		free_mgr(g->single);
	free_mgr(g->wide);
	free(g);
}

static void make_key(void)
{
	mgrs_key_rc = -pthread_key_create(&mgrs_key, free_mgrs);
}

/* This thread's job managers, allocated on its first call; NULL when out of memory. */
static struct mgrs *get_mgrs(void)
{
	struct mgrs *g;

	if (tls_mgrs != NULL)
		return tls_mgrs;
	pthread_once(&mgrs_once, make_key);
	g = calloc(1, sizeof(*g));
	if (g == NULL)
		return NULL;
	g->wide = alloc_mb_mgr(0);
	if (g->wide == NULL)
		goto fail;
	init_mb_mgr_auto(g->wide, NULL);
	if ((g->wide->features & IMB_FEATURE_SHANI) && g->wide->used_arch != IMB_ARCH_SSE) {
		g->single = alloc_mb_mgr(0);
		if (g->single == NULL)
			goto fail;
		init_mb_mgr_sse(g->single);
	} else {
		g->single = g->wide;
	}
	if (mgrs_key_rc == 0 && pthread_setspecific(mgrs_key, g) != 0)
		goto fail;
	tls_mgrs = g;
	return g;
fail:
	free_mgrs(g);
	return NULL;
}

static int imb_init(void)
{
	pthread_once(&mgrs_once, make_key);
	if (mgrs_key_rc < 0)
		return mgrs_key_rc;
	return get_mgrs() != NULL ? 0 : -ENOMEM;
}

static int imb_thread_init(void)
{
	return get_mgrs() != NULL ? 0 : -ENOMEM;
}

/* ---- the replay and rollover state: libsrtp's algorithms (crypto/replay/rdbx.c, rdb.c) ---- */

/*
 * RFC 3711 §3.3.1 index estimate as srtp_rdbx_estimate_index() makes it: the packet index for
 * seq, and its distance from the highest index seen. Until the highest index passes 2^15 the
 * ROC is taken as 0 (libsrtp's guard against guessing ROC -1 for a young stream).
 */
static int32_t rtp_estimate(const struct stream *st, uint16_t seq, uint64_t *est)
{
	uint32_t local_roc, roc;
	uint16_t local_seq;
	int32_t diff;

	if (st->rtp_index <= 32768) {
		*est = seq;
		return (int32_t)(uint32_t)((uint64_t)seq - st->rtp_index);
	}
	local_roc = (uint32_t)(st->rtp_index >> 16);
	local_seq = (uint16_t)st->rtp_index;
	if (local_seq < 32768) {
		if ((int32_t)seq - local_seq > 32768) {
			roc = local_roc - 1;
			diff = (int32_t)seq - local_seq - 65536;
		} else {
			roc = local_roc;
			diff = (int32_t)seq - local_seq;
		}
	} else {
		if ((int32_t)local_seq - 32768 > (int32_t)seq) {
			roc = local_roc + 1;
			diff = (int32_t)seq - local_seq + 65536;
		} else {
			roc = local_roc;
			diff = (int32_t)seq - local_seq;
		}
	}
	*est = (uint64_t)roc << 16 | seq;
	return diff;
}

/* srtp_rdbx_check(): 0, or -EALREADY for a replay or an index older than the window. */
static int rtp_check(const struct stream *st, int32_t delta)
{
	if (delta > 0)
		return 0;
	if (delta <= -DP_SRTP_REPLAY_WINDOW)
		return -EALREADY;
	return (st->rtp_window >> -delta) & 1 ? -EALREADY : 0;
}

/* srtp_rdbx_add_index(), after a successful check. */
static void rtp_add(struct stream *st, int32_t delta)
{
	if (delta > 0) {
		st->rtp_index += (uint16_t)delta;
		st->rtp_window = delta >= DP_SRTP_REPLAY_WINDOW ? 0 : st->rtp_window << delta;
		st->rtp_window |= 1;
	} else {
		st->rtp_window |= (uint64_t)1 << -delta;
	}
}

static bool rtcp_bit(const struct rtcp_stream *st, uint32_t k)
{
	return (st->window[k >> 6] >> (k & 63)) & 1;
}

/* srtp_rdb_check(): the 128-index SRTCP window starting at st->index. */
static int rtcp_check(const struct rtcp_stream *st, uint32_t index)
{
	if (index >= st->index + SRTCP_WINDOW)
		return 0;
	if (index < st->index)
		return -EALREADY;
	return rtcp_bit(st, index - st->index) ? -EALREADY : 0;
}

/* srtp_rdb_add_index(), after a successful check. */
static void rtcp_add(struct rtcp_stream *st, uint32_t index)
{
	uint32_t delta = index - st->index;
	uint64_t *w = st->window;

	if (delta >= SRTCP_WINDOW) {
		uint32_t shift = delta - (SRTCP_WINDOW - 1);

		if (shift >= 128) {
			w[0] = w[1] = 0;
		} else if (shift >= 64) {
			w[0] = w[1] >> (shift - 64);
			w[1] = 0;
		} else {
			w[0] = w[0] >> shift | w[1] << (64 - shift);
			w[1] >>= shift;
		}
		st->index += shift;
		delta = SRTCP_WINDOW - 1;
	}
	w[delta >> 6] |= (uint64_t)1 << (delta & 63);
}

/* ---- the per-context SSRC table ---- */

static uint32_t ssrc_hash(uint32_t ssrc)
{
	uint32_t h = ssrc * 0x9e3779b1u;

	return h ^ h >> 16;
}

static struct stream *find_stream(const struct ictx *c, uint32_t ssrc)
{
	const struct more_table *t = c->more;

	if (c->first.ssrc == ssrc && c->first.is_used)
		return (struct stream *)&c->first;
	if (t == NULL)
		return NULL;
	for (uint32_t i = ssrc_hash(ssrc) & t->mask;; i = (i + 1) & t->mask) {
		struct stream *st = (struct stream *)&t->slot[i].rtp;

		if (!st->is_used)
			return NULL;
		if (st->ssrc == ssrc)
			return st;
	}
}

static struct rtcp_stream *rtcp_of(const struct ictx *c, const struct stream *st)
{
	if (st == &c->first)
		return first_rtcp(c);
	return &((struct more_slot *)((uint8_t *)st - offsetof(struct more_slot, rtp)))->rtcp;
}

static struct more_slot *place(struct more_table *t, uint32_t ssrc)
{
	uint32_t i = ssrc_hash(ssrc) & t->mask;

	while (t->slot[i].rtp.is_used)
		i = (i + 1) & t->mask;
	return &t->slot[i];
}

/* A fresh stream for an SSRC the context lacks; NULL when no memory or at MAX_STREAMS. The
 * table of later SSRCs stays at most three quarters full, so a probe meets an empty slot. */
static struct stream *add_stream(struct ictx *c, uint32_t ssrc)
{
	struct more_table *t = c->more;
	struct more_slot *slot;

	if (!c->first.is_used) {
		memset(&c->first, 0, sizeof(c->first));
		memset(first_rtcp(c), 0, sizeof(struct rtcp_stream));
		c->first.ssrc = ssrc;
		c->first.is_used = 1;
		return &c->first;
	}
	/* The first SSRC and t->nb others: MAX_STREAMS in all. */
	if (t != NULL && t->nb + 1 >= MAX_STREAMS)
		return NULL;
	if (t == NULL || (t->nb + 1) * 4 > (t->mask + 1) * 3) {
		uint32_t nb_slots = t == NULL ? 4 : (t->mask + 1) * 2;
		struct more_table *grown;

		grown = calloc(1, sizeof(*grown) + nb_slots * sizeof(grown->slot[0]));
		if (grown == NULL)
			return NULL;
		grown->mask = nb_slots - 1;
		for (uint32_t i = 0; t != NULL && i <= t->mask; i++)
			if (t->slot[i].rtp.is_used)
				*place(grown, t->slot[i].rtp.ssrc) = t->slot[i];
		if (t != NULL) {
			grown->nb = t->nb;
			free(t);
		}
		c->more = t = grown;
	}
	slot = place(t, ssrc);
	memset(slot, 0, sizeof(*slot));
	slot->rtp.ssrc = ssrc;
	slot->rtp.is_used = 1;
	t->nb++;
	return &slot->rtp;
}

/* ---- key derivation (RFC 3711 §4.3.1, RFC 6188 §3, RFC 7714 §11) ---- */

/* Submit the job just filled in and wait for it, on a manager with no other jobs in it; 0 or
 * -EIO. */
static int run_job(IMB_MGR *m)
{
	IMB_JOB *done = IMB_SUBMIT_JOB(m);
	int rc = 0;

	for (; done != NULL; done = IMB_GET_COMPLETED_JOB(m))
		rc = done->status == IMB_STATUS_COMPLETED ? rc : -EIO;
	while ((done = IMB_FLUSH_JOB(m)) != NULL)
		rc = done->status == IMB_STATUS_COMPLETED ? rc : -EIO;
	return rc;
}

/* AES-CTR keystream over out (len bytes), with expanded keys and a 16-byte counter block. */
static int ctr_keystream(IMB_MGR *m, const void *enc, size_t key_len, const uint8_t iv[16],
			 uint8_t *out, size_t len)
{
	IMB_JOB *job = IMB_GET_NEXT_JOB(m);

	memset(out, 0, len);
	job->cipher_mode = IMB_CIPHER_CNTR;
	job->cipher_direction = IMB_DIR_ENCRYPT;
	job->chain_order = IMB_ORDER_CIPHER_HASH;
	job->hash_alg = IMB_AUTH_NULL;
	job->enc_keys = enc;
	job->dec_keys = enc;
	job->key_len_in_bytes = key_len;
	job->src = out;
	job->dst = out;
	job->cipher_start_src_offset_in_bytes = 0;
	job->msg_len_to_cipher_in_bytes = len;
	job->iv = iv;
	job->iv_len_in_bytes = 16;
	job->user_data = NULL;
	return run_job(m);
}

/* PRF output for one label: the master salt (14 bytes, or 12 with 16 zero bits appended)
 * XOR the label at octet 7 (key_id = label || r, r = 0), as an AES-CM IV with the master key. */
static int kdf(IMB_MGR *m, const void *master_enc, size_t key_len, const uint8_t *salt,
	       size_t salt_len, uint8_t label, uint8_t *out, size_t len)
{
	uint8_t iv[16] = {0};

	memcpy(iv, salt, salt_len);
	iv[7] ^= label;
	return ctr_keystream(m, master_enc, key_len, iv, out, len);
}

/* The HMAC-SHA1 inner or outer state after one block of key XOR pad (RFC 2104 §2). */
static void hmac_pad_state(IMB_MGR *m, const uint8_t *key, uint8_t pad, uint8_t *state)
{
	uint8_t block[SHA1_BLOCK];

	memset(block, pad, sizeof(block));
	for (size_t i = 0; i < HMAC_SHA1_KEY_LEN; i++)
		block[i] ^= key[i];
	IMB_SHA1_ONE_BLOCK(m, block, state);
	explicit_bzero(block, sizeof(block));
}

/* The session keys of RTP (labels 0, 1, 2) or RTCP (3, 4, 5) into keys. */
static int derive(IMB_MGR *m, const struct ictx *c, const void *master_enc,
		  const struct ponte_srtp_key *key, uint8_t first_label, void *keys)
{
	uint8_t ek[15 * AES_BLOCK] __attribute__((aligned(16)));
	uint8_t dk[15 * AES_BLOCK] __attribute__((aligned(16)));
	uint8_t session_key[32], auth_key[HMAC_SHA1_KEY_LEN];
	int rc;

	rc = kdf(m, master_enc, key->key_len, key->salt, key->salt_len, first_label, session_key,
		 c->key_len);
	if (rc == 0 && c->is_gcm) {
		struct gcm_keys *k = keys;

		if (c->key_len == 16)
			IMB_AES128_GCM_PRE(m, session_key, &k->gcm);
		else
			IMB_AES256_GCM_PRE(m, session_key, &k->gcm);
		rc = kdf(m, master_enc, key->key_len, key->salt, key->salt_len, first_label + 2,
			 k->salt, sizeof(k->salt));
	} else if (rc == 0) {
		struct cm_keys *k = keys;

		IMB_AES_KEYEXP_128(m, session_key, ek, dk);
		memcpy(k->enc, ek, sizeof(k->enc));
		rc = kdf(m, master_enc, key->key_len, key->salt, key->salt_len, first_label + 1,
			 auth_key, sizeof(auth_key));
		if (rc == 0) {
			hmac_pad_state(m, auth_key, 0x36, k->ipad);
			hmac_pad_state(m, auth_key, 0x5c, k->opad);
		}
		rc = rc ? rc
			: kdf(m, master_enc, key->key_len, key->salt, key->salt_len,
			      first_label + 2, k->salt, sizeof(k->salt));
	}
	explicit_bzero(ek, sizeof(ek));
	explicit_bzero(dk, sizeof(dk));
	explicit_bzero(session_key, sizeof(session_key));
	explicit_bzero(auth_key, sizeof(auth_key));
	return rc;
}

static int imb_create(const struct ponte_srtp_key *key, enum dp_srtp_dir dir, struct dp_srtp **out)
{
	uint8_t master_enc[15 * AES_BLOCK] __attribute__((aligned(16)));
	uint8_t master_dec[15 * AES_BLOCK] __attribute__((aligned(16)));
	uint8_t key_len, salt_len;
	size_t len;
	struct ictx *c = NULL;
	struct mgrs *g;
	bool is_gcm;
	int rc;

	*out = NULL;
	if (dir != DP_SRTP_PROTECT && dir != DP_SRTP_UNPROTECT)
		return -EINVAL;
	switch (key->profile) {
	case PONTE_SRTP_AES128_CM_SHA1_80:
	case PONTE_SRTP_AES128_CM_SHA1_32:
		is_gcm = false;
		break;
	case PONTE_SRTP_AEAD_AES_128_GCM:
	case PONTE_SRTP_AEAD_AES_256_GCM:
		is_gcm = true;
		break;
	default:
		return -ENOTSUP;
	}
	if (ponte_srtp_profile_sizes(key->profile, &key_len, &salt_len, NULL) < 0 ||
	    key->key_len != key_len || key->salt_len != salt_len)
		return -EINVAL;
	g = get_mgrs();
	if (g == NULL)
		return -ENOMEM;

	/* One piece of a pool's chunk, in the layout described at the top of this file. */
	len = ctx_len(is_gcm);
	c = pool_get(is_gcm, len);
	if (c == NULL)
		return -ENOMEM;
	memset(c, 0, len);
	c->base.engine = &dp_srtp_engine_ipsec_mb;
	c->base.profile = key->profile;
	c->base.dir = (uint8_t)dir;
	c->is_gcm = is_gcm;
	c->is_protect = dir == DP_SRTP_PROTECT;
	c->key_len = key_len;
	c->rtcp_keys = (uint8_t *)rtp_keys(c) + keys_len(is_gcm);
	c->tag_len[0] = (uint8_t)dp_srtp_tag_len(key->profile, false);
	c->tag_len[1] = (uint8_t)dp_srtp_tag_len(key->profile, true);
	c->overhead[0] = (uint8_t)dp_srtp_overhead(key->profile, false);
	c->overhead[1] = (uint8_t)dp_srtp_overhead(key->profile, true);
	c->e_from_end = (uint8_t)dp_srtp_srtcp_e_from_end(key->profile);

	if (key_len == 16)
		IMB_AES_KEYEXP_128(g->wide, key->key, master_enc, master_dec);
	else
		IMB_AES_KEYEXP_256(g->wide, key->key, master_enc, master_dec);
	rc = derive(g->wide, c, master_enc, key, 0, rtp_keys(c));
	rc = rc ? rc : derive(g->wide, c, master_enc, key, 3, c->rtcp_keys);
	explicit_bzero(master_enc, sizeof(master_enc));
	explicit_bzero(master_dec, sizeof(master_dec));
	if (rc != 0) {
		explicit_bzero(c, len);
		pool_put(is_gcm, c);
		return rc;
	}
	*out = &c->base;
	return 0;
}

static void imb_destroy(struct dp_srtp *base)
{
	struct ictx *c = (struct ictx *)base;
	bool is_gcm;

	if (c == NULL)
		return;
	if (c->more != NULL) {
		explicit_bzero(c->more, sizeof(*c->more) +
					    ((size_t)c->more->mask + 1) * sizeof(c->more->slot[0]));
		free(c->more);
	}
	is_gcm = c->is_gcm;
	explicit_bzero(c, ctx_len(is_gcm));
	pool_put(is_gcm, c);
}

/* ---- packets ---- */

/* One packet between submit and completion. */
struct slot {
	struct ictx *c;
	uint8_t *pkt;
	size_t len;   /* the length given */
	uint64_t est; /* the packet index the job used (ROC << 16 | SEQ) */
	uint32_t ssrc;
	uint32_t hlen; /* RTP header with CSRCs and extension */
	int rc;	       /* protect: the result before the job; unprotect: unused */
	bool is_submitted;
	bool is_job_ok;
	uint8_t iv[16] __attribute__((aligned(16)));
	uint8_t tag[GCM_TAG_LEN];   /* the tag the job computed */
	uint8_t saved[GCM_TAG_LEN]; /* unprotect AES-CM: the tag received, before the ROC
				     * overwrote its first four bytes */
};

/* A receiver's tentative copy of a stream within one burst round. */
struct shadow {
	const struct ictx *c;
	struct stream st;
};

static uint32_t load32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void store32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Whether n bytes differ, in time that depends on n only. */
/* n bytes of a tag (AES-CM's 10 or 4, GCM's 16) as moves of fixed sizes: a memcpy() of a length
 * known only at run time became `rep movs`, whose start-up was most of a burst round's own
 * work per packet in a profile (the save of each received AES-CM tag). */
static inline void copy_tag(uint8_t *dst, const uint8_t *src, size_t n)
{
	switch (n) {
	case 10:
		memcpy(dst, src, 8);
		memcpy(dst + 8, src + 8, 2);
		break;
	case 16:
		memcpy(dst, src, 16);
		break;
	case 4:
		memcpy(dst, src, 4);
		break;
	default:
		memcpy(dst, src, n);
	}
}

static bool tags_differ(const uint8_t *a, const uint8_t *b, size_t n)
{
	volatile uint8_t d = 0;

	for (size_t i = 0; i < n; i++)
		d |= a[i] ^ b[i];
	return d != 0;
}

/* RFC 3711 §4.1.1 (AES-CM: salt, SSRC at octet 4, index at 8) and RFC 7714 §8.1 (GCM: SSRC
 * at octet 2, ROC at 6, SEQ at 10) counter blocks for an SRTP packet. */
static void rtp_iv(const struct ictx *c, const uint8_t *pkt, uint64_t est, uint8_t *iv)
{
	uint32_t roc = (uint32_t)(est >> 16);

	if (c->is_gcm) {
		const struct gcm_keys *k = rtp_keys(c);

		memcpy(iv, k->salt, GCM_IV_LEN);
		for (int i = 0; i < 4; i++) {
			iv[2 + i] ^= pkt[8 + i];
			iv[6 + i] ^= (uint8_t)(roc >> (24 - 8 * i));
		}
		iv[10] ^= pkt[2];
		iv[11] ^= pkt[3];
	} else {
		const struct cm_keys *k = rtp_keys(c);

		memcpy(iv, k->salt, 14);
		iv[14] = iv[15] = 0;
		for (int i = 0; i < 4; i++) {
			iv[4 + i] ^= pkt[8 + i];
			iv[8 + i] ^= (uint8_t)(roc >> (24 - 8 * i));
		}
		iv[12] ^= pkt[2];
		iv[13] ^= pkt[3];
	}
}

/* The fields of a job every SRTP job sets; the rest depends on the profile. */
static void job_common(IMB_JOB *job, struct slot *s, bool is_encrypt, size_t cipher_off,
		       size_t cipher_len)
{
	job->cipher_direction = is_encrypt ? IMB_DIR_ENCRYPT : IMB_DIR_DECRYPT;
	/* Encrypt then authenticate the ciphertext; on receipt hash the ciphertext first. */
	job->chain_order = is_encrypt ? IMB_ORDER_CIPHER_HASH : IMB_ORDER_HASH_CIPHER;
	job->src = s->pkt;
	job->dst = s->pkt + cipher_off;
	job->cipher_start_src_offset_in_bytes = cipher_off;
	job->msg_len_to_cipher_in_bytes = cipher_len;
	job->iv = s->iv;
	job->user_data = s;
}

/* AES-CM (a NULL cipher when there is nothing to encrypt: the library refuses empty CTR) and
 * HMAC-SHA1 over pkt[0 .. hash_len), the tag into s->tag. */
static void job_cm(IMB_JOB *job, struct slot *s, const struct cm_keys *k, bool is_encrypt,
		   size_t cipher_off, size_t cipher_len, size_t hash_len)
{
	job_common(job, s, is_encrypt, cipher_off, cipher_len);
	job->cipher_mode = cipher_len > 0 ? IMB_CIPHER_CNTR : IMB_CIPHER_NULL;
	job->enc_keys = k->enc;
	job->dec_keys = k->enc;
	job->key_len_in_bytes = 16;
	job->iv_len_in_bytes = 16;
	job->hash_alg = IMB_AUTH_HMAC_SHA_1;
	job->hash_start_src_offset_in_bytes = 0;
	job->msg_len_to_hash_in_bytes = hash_len;
	job->auth_tag_output = s->tag;
	job->auth_tag_output_len_in_bytes = IMB_SHA1_TAG_LEN;
	job->u.HMAC._hashed_auth_key_xor_ipad = k->ipad;
	job->u.HMAC._hashed_auth_key_xor_opad = k->opad;
}

/* AES-GCM over pkt[cipher_off .. + cipher_len) with aad, the tag into tag. */
static void job_gcm(IMB_JOB *job, struct slot *s, const struct ictx *c, const struct gcm_keys *k,
		    bool is_encrypt, size_t cipher_off, size_t cipher_len, const uint8_t *aad,
		    size_t aad_len, uint8_t *tag)
{
	job_common(job, s, is_encrypt, cipher_off, cipher_len);
	job->cipher_mode = IMB_CIPHER_GCM;
	job->enc_keys = &k->gcm;
	job->dec_keys = &k->gcm;
	job->key_len_in_bytes = c->key_len;
	job->iv_len_in_bytes = GCM_IV_LEN;
	job->hash_alg = IMB_AUTH_AES_GMAC;
	job->hash_start_src_offset_in_bytes = cipher_off;
	job->msg_len_to_hash_in_bytes = cipher_len;
	job->u.GCM.aad = aad;
	job->u.GCM.aad_len_in_bytes = aad_len;
	job->u.GCM.ctx = NULL;
	job->auth_tag_output = tag;
	job->auth_tag_output_len_in_bytes = GCM_TAG_LEN;
}

static void reap(IMB_JOB *job)
{
	struct slot *s = job->user_data;

	if (s != NULL)
		s->is_job_ok = job->status == IMB_STATUS_COMPLETED;
}

static void submit(IMB_MGR *m)
{
	for (IMB_JOB *done = IMB_SUBMIT_JOB(m); done != NULL; done = IMB_GET_COMPLETED_JOB(m))
		reap(done);
}

static void flush(IMB_MGR *m)
{
	IMB_JOB *done;

	while ((done = IMB_FLUSH_JOB(m)) != NULL)
		reap(done);
}

/* Submit the job that protects or unprotects s->pkt under index s->est. */
static void submit_rtp(IMB_MGR *m, struct slot *s)
{
	const struct ictx *c = s->c;
	IMB_JOB *job = IMB_GET_NEXT_JOB(m);
	uint8_t *pkt = s->pkt;

	rtp_iv(c, pkt, s->est, s->iv);
	if (c->is_gcm) {
		size_t body = c->is_protect ? s->len : s->len - GCM_TAG_LEN;

		/* RFC 7714 §8.2: the whole header is the AAD; the tag follows the payload. */
		job_gcm(job, s, c, rtp_keys(c), c->is_protect, s->hlen, body - s->hlen, pkt,
			s->hlen, c->is_protect ? pkt + body : s->tag);
	} else {
		size_t body = c->is_protect ? s->len : s->len - c->tag_len[0];

		/* RFC 3711 §4.2: the tag covers the packet and then the ROC, which goes where the
		 * tag will be (protect) or was (unprotect), for the hash to read it in place. */
		if (!c->is_protect)
			copy_tag(s->saved, pkt + body, c->tag_len[0]);
		store32(pkt + body, (uint32_t)(s->est >> 16));
		job_cm(job, s, rtp_keys(c), c->is_protect, s->hlen, body - s->hlen, body + 4);
	}
	s->is_submitted = true;
	s->is_job_ok = false;
	submit(m);
}

/* Put back the ciphertext an unprotect job decrypted in place: counter mode, so XOR the same
 * keystream again (the GCM encryption of the plaintext under the same IV). */
static int undo_unprotect(IMB_MGR *m, struct slot *s)
{
	const struct ictx *c = s->c;
	IMB_JOB *job = IMB_GET_NEXT_JOB(m);
	uint8_t scratch[GCM_TAG_LEN];
	int rc;

	if (c->is_gcm) {
		size_t body = s->len - GCM_TAG_LEN;

		job_gcm(job, s, c, rtp_keys(c), true, s->hlen, body - s->hlen, s->pkt, s->hlen,
			scratch);
	} else {
		size_t body = s->len - c->tag_len[0];

		if (body == s->hlen) {
			copy_tag(s->pkt + body, s->saved, c->tag_len[0]);
			return 0;
		}
		job_common(job, s, true, s->hlen, body - s->hlen);
		job->cipher_mode = IMB_CIPHER_CNTR;
		job->enc_keys = job->dec_keys = ((const struct cm_keys *)rtp_keys(c))->enc;
		job->key_len_in_bytes = 16;
		job->iv_len_in_bytes = 16;
		job->hash_alg = IMB_AUTH_NULL;
		copy_tag(s->pkt + body, s->saved, c->tag_len[0]);
	}
	job->user_data = NULL;
	rc = run_job(m);
	explicit_bzero(scratch, sizeof(scratch));
	return rc;
}

static struct shadow *find_shadow(struct shadow *sh, unsigned int *nb, const struct ictx *c,
				  uint32_t ssrc)
{
	const struct stream *real;

	for (unsigned int i = 0; i < *nb; i++)
		if (sh[i].c == c && sh[i].st.ssrc == ssrc)
			return &sh[i];
	real = find_stream(c, ssrc);
	if (real != NULL) {
		sh[*nb].st = *real;
	} else {
		memset(&sh[*nb].st, 0, sizeof(sh[*nb].st));
		sh[*nb].st.ssrc = ssrc;
	}
	sh[*nb].c = c;
	return &sh[(*nb)++];
}

/* The checks every engine makes before any cryptography (dataplane/srtp.h); the header length. */
static int check_rtp(const struct ictx *c, const uint8_t *pkt, size_t len, size_t cap)
{
	size_t overhead = c->overhead[0];
	int hlen;

	/* The libsrtp2 engine refuses what libsrtp could not count in an int; so must this one. */
	if (len > cap || len > INT_MAX - DP_SRTP_MAX_OVERHEAD)
		return -EINVAL;
	hlen = dp_srtp_rtp_header_len(pkt, len);
	if (hlen < 0 || len - (size_t)hlen < (c->is_protect ? 0 : overhead))
		return -EINVAL;
	if (c->is_protect && cap - len < overhead)
		return -ENOSPC;
	return hlen;
}

static unsigned int rtp_round(IMB_MGR *m, struct dp_srtp *const ctx[], uint8_t *const pkt[],
			      size_t len[], const size_t cap[], unsigned int nb, int rc[]);

/* Submit pass for one packet: checks, index and replay decision, the job. */
static void prepare_rtp(IMB_MGR *m, struct slot *s, struct shadow *sh, unsigned int *nb_sh)
{
	struct ictx *c = s->c;
	uint16_t seq = (uint16_t)(s->pkt[2] << 8 | s->pkt[3]);
	struct stream *st;
	int32_t delta;

	s->ssrc = load32(s->pkt + 8);
	if (c->is_protect) {
		/* A sender's state moves now: nothing after this point can fail but the library,
		 * and libsrtp too keeps the index of a packet it then fails to encrypt. */
		st = find_stream(c, s->ssrc);
		if (st == NULL)
			st = add_stream(c, s->ssrc);
		if (st == NULL) {
			s->rc = -ENOMEM;
			return;
		}
		delta = rtp_estimate(st, seq, &s->est);
		/* Protecting one index twice reuses keystream (RFC 3711 §9.1): refuse it. */
		s->rc = rtp_check(st, delta);
		if (s->rc != 0)
			return;
		rtp_add(st, delta);
	} else {
		struct shadow *t = find_shadow(sh, nb_sh, c, s->ssrc);

		delta = rtp_estimate(&t->st, seq, &s->est);
		/* Left for the completion pass to refuse, against the real state. */
		if (rtp_check(&t->st, delta) != 0)
			return;
		rtp_add(&t->st, delta);
	}
	submit_rtp(m, s);
}

/* Completion pass for one packet, in order: its return code. */
static int complete_rtp(IMB_MGR *m, struct slot *s, size_t *len, size_t cap)
{
	struct ictx *c = s->c;
	uint16_t seq = (uint16_t)(s->pkt[2] << 8 | s->pkt[3]);
	struct stream *st, fresh;
	uint64_t est;
	int32_t delta;
	int rc;

	if (c->is_protect) {
		if (!s->is_submitted)
			return s->rc;
		if (!s->is_job_ok)
			return -EIO;
		if (!c->is_gcm)
			copy_tag(s->pkt + s->len, s->tag, c->tag_len[0]);
		*len = s->len + c->overhead[0];
		return 0;
	}

	/* Decide again, against the state every earlier packet left: exactly what rtp() on this
	 * packet alone would see. A new SSRC is checked against a fresh stream, as libsrtp checks
	 * it against its template's. */
	st = find_stream(c, s->ssrc);
	if (st == NULL) {
		memset(&fresh, 0, sizeof(fresh));
		delta = rtp_estimate(&fresh, seq, &est);
	} else {
		delta = rtp_estimate(st, seq, &est);
		rc = rtp_check(st, delta);
		if (rc != 0)
			return rc;
	}
	if (!s->is_submitted || est != s->est) {
		/* An earlier packet of this stream in the burst failed and moved the estimate:
		 * take this one again on its own, from its original bytes. */
		struct dp_srtp *one = &c->base;

		if (s->is_submitted && undo_unprotect(m, s) != 0)
			return -EIO;
		rtp_round(m, &one, &s->pkt, len, &cap, 1, &rc);
		return rc;
	}
	if (!s->is_job_ok)
		return -EIO;
	if (c->is_gcm ? tags_differ(s->tag, s->pkt + s->len - GCM_TAG_LEN, GCM_TAG_LEN)
		      : tags_differ(s->tag, s->saved, c->tag_len[0]))
		return -EBADMSG;
	/* Authentic: only now may the packet create its stream and move the window. */
	if (st == NULL) {
		st = add_stream(c, s->ssrc);
		if (st == NULL)
			return -ENOMEM;
	}
	rtp_add(st, delta);
	*len = s->len - c->overhead[0];
	return 0;
}

/*
 * With many contexts, each packet's context comes from memory, and taking the misses one
 * packet at a time costs more than the cryptography. So a burst first asks for exactly the
 * lines each packet will read (the layout at the top of this file): for AES-CM the first five
 * lines of its context; for AES-GCM the first four (the context, the round keys) and the
 * GHASH powers, one line per four blocks, from the end of the table. The misses then overlap
 * instead of adding up, and nothing waits for a context's line to learn its kind.
 */
static void prefetch_contexts(struct dp_srtp *const ctx[], uint8_t *const pkt[], const size_t len[],
			      unsigned int nb)
{
	for (unsigned int i = 0; i < nb; i++) {
		const uint8_t *c = (const uint8_t *)ctx[i];
		const uint8_t *end;
		size_t nb_lines;

		__builtin_prefetch(pkt[i]);
		if (!chunk_is_gcm(c)) {
			for (size_t off = 0; off < sizeof(struct ictx) + sizeof(struct cm_keys);
			     off += LINE)
				__builtin_prefetch(c + off);
			continue;
		}
		for (size_t off = 0; off < sizeof(struct ictx) + 3 * LINE; off += LINE)
			__builtin_prefetch(c + off);
		end = c + sizeof(struct ictx) + sizeof(struct gcm_keys);
		nb_lines = (len[i] / AES_BLOCK + 4) / 4;
		if (nb_lines > sizeof(struct gcm_key_data) / LINE - 3)
			nb_lines = sizeof(struct gcm_key_data) / LINE - 3;
		for (size_t l = 1; l <= nb_lines; l++)
			__builtin_prefetch(end - l * LINE);
	}
}

/* Up to BURST_CHUNK packets: submit them all, flush, complete them in order. */
static unsigned int rtp_round(IMB_MGR *m, struct dp_srtp *const ctx[], uint8_t *const pkt[],
			      size_t len[], const size_t cap[], unsigned int nb, int rc[])
{
	struct slot slots[BURST_CHUNK];
	struct shadow sh[BURST_CHUNK];
	unsigned int nb_sh = 0, nb_ok = 0;

	assert(nb <= BURST_CHUNK);
	if (nb > 1)
		prefetch_contexts(ctx, pkt, len, nb);
	for (unsigned int i = 0; i < nb; i++) {
		struct slot *s = &slots[i];
		int hlen;

		assert(ctx[i]->engine == &dp_srtp_engine_ipsec_mb);
		s->c = (struct ictx *)ctx[i];
		s->pkt = pkt[i];
		s->len = len[i];
		s->is_submitted = false;
		hlen = check_rtp(s->c, pkt[i], len[i], cap[i]);
		if (hlen < 0) {
			/* Never reaches the completion pass: no state, no job. */
			s->rc = hlen;
			s->c = NULL;
			continue;
		}
		s->hlen = (uint32_t)hlen;
		s->rc = 0;
		prepare_rtp(m, s, sh, &nb_sh);
	}
	flush(m);
	for (unsigned int i = 0; i < nb; i++) {
		struct slot *s = &slots[i];

		rc[i] = s->c == NULL ? s->rc : complete_rtp(m, s, &len[i], cap[i]);
		nb_ok += rc[i] == 0;
	}
	return nb_ok;
}

static int imb_rtp(struct dp_srtp *base, uint8_t *pkt, size_t *len, size_t cap)
{
	struct ictx *c = (struct ictx *)base;
	struct mgrs *g = get_mgrs();
	int rc;

	if (g == NULL)
		return -ENOMEM;
	/* One AES-CM/HMAC-SHA1 packet: the one-lane SHA extensions code; AES-GCM never waits
	 * for other lanes, so it takes the widest code. */
	rtp_round(c->is_gcm ? g->wide : g->single, &base, &pkt, len, &cap, 1, &rc);
	return rc;
}

static unsigned int imb_rtp_burst(struct dp_srtp *const ctx[], uint8_t *const pkt[], size_t len[],
				  const size_t cap[], unsigned int nb, int rc[])
{
	struct mgrs *g = get_mgrs();
	unsigned int nb_ok = 0;

	if (g == NULL) {
		for (unsigned int i = 0; i < nb; i++)
			rc[i] = -ENOMEM;
		return 0;
	}
	for (unsigned int i = 0; i < nb; i += BURST_CHUNK) {
		unsigned int n = nb - i < BURST_CHUNK ? nb - i : BURST_CHUNK;

		nb_ok += rtp_round(g->wide, ctx + i, pkt + i, len + i, cap + i, n, rc + i);
	}
	return nb_ok;
}

/* ---- SRTCP: one packet at a time (a few per second per stream) ---- */

/* RFC 3711 §4.1.1 with the SRTCP index in place of the packet index; RFC 7714 §9.1. */
static void rtcp_iv(const struct ictx *c, const uint8_t *pkt, uint32_t index, uint8_t *iv)
{
	if (c->is_gcm) {
		const struct gcm_keys *k = c->rtcp_keys;

		memcpy(iv, k->salt, GCM_IV_LEN);
		for (int i = 0; i < 4; i++) {
			iv[2 + i] ^= pkt[4 + i];
			iv[8 + i] ^= (uint8_t)(index >> (24 - 8 * i));
		}
	} else {
		const struct cm_keys *k = c->rtcp_keys;

		memcpy(iv, k->salt, 14);
		iv[14] = iv[15] = 0;
		for (int i = 0; i < 4; i++) {
			iv[4 + i] ^= pkt[4 + i];
			iv[10 + i] ^= (uint8_t)(index >> (24 - 8 * i));
		}
	}
}

static int rtcp_protect(IMB_MGR *m, struct ictx *c, uint8_t *pkt, size_t *len)
{
	uint8_t aad[DP_SRTP_RTCP_HEADER_LEN + DP_SRTP_SRTCP_INDEX_LEN];
	struct slot s = {.c = c, .pkt = pkt, .len = *len};
	uint32_t ssrc = load32(pkt + 4);
	struct stream *st = find_stream(c, ssrc);
	struct rtcp_stream *r;
	IMB_JOB *job;

	if (st == NULL)
		st = add_stream(c, ssrc);
	if (st == NULL)
		return -ENOMEM;
	r = rtcp_of(c, st);
	if (r->index >= SRTCP_INDEX_MASK)
		return -EKEYEXPIRED;
	r->index++;
	rtcp_iv(c, pkt, r->index, s.iv);
	job = IMB_GET_NEXT_JOB(m);
	if (c->is_gcm) {
		/* RFC 7714 §17: header, ciphertext, tag, then E and index, which the AAD covers
		 * after the header. */
		memcpy(aad, pkt, DP_SRTP_RTCP_HEADER_LEN);
		store32(aad + DP_SRTP_RTCP_HEADER_LEN, SRTCP_E_FLAG | r->index);
		store32(pkt + *len + GCM_TAG_LEN, SRTCP_E_FLAG | r->index);
		job_gcm(job, &s, c, c->rtcp_keys, true, DP_SRTP_RTCP_HEADER_LEN,
			*len - DP_SRTP_RTCP_HEADER_LEN, aad, sizeof(aad), pkt + *len);
	} else {
		/* RFC 3711 §3.4: E and index after the ciphertext, authenticated, then the tag. */
		store32(pkt + *len, SRTCP_E_FLAG | r->index);
		job_cm(job, &s, c->rtcp_keys, true, DP_SRTP_RTCP_HEADER_LEN,
		       *len - DP_SRTP_RTCP_HEADER_LEN, *len + DP_SRTP_SRTCP_INDEX_LEN);
	}
	job->user_data = NULL;
	if (run_job(m) != 0)
		return -EIO;
	if (!c->is_gcm)
		memcpy(pkt + *len + DP_SRTP_SRTCP_INDEX_LEN, s.tag, c->tag_len[1]);
	*len += c->overhead[1];
	return 0;
}

static int rtcp_unprotect(IMB_MGR *m, struct ictx *c, uint8_t *pkt, size_t *len)
{
	uint8_t aad[DP_SRTP_RTCP_HEADER_LEN + DP_SRTP_SRTCP_INDEX_LEN];
	struct slot s = {.c = c, .pkt = pkt, .len = *len};
	uint32_t ssrc = load32(pkt + 4);
	const uint8_t *trailer = pkt + *len - c->e_from_end;
	uint32_t index = load32(trailer) & SRTCP_INDEX_MASK;
	size_t tag_len = c->tag_len[1];
	size_t body = *len - c->overhead[1];
	struct stream *st = find_stream(c, ssrc);
	struct rtcp_stream fresh = {0};
	IMB_JOB *job;
	int rc;

	/* A new SSRC is checked against a fresh window, as libsrtp checks its template's. */
	rc = rtcp_check(st != NULL ? rtcp_of(c, st) : &fresh, index);
	if (rc != 0)
		return rc;
	rtcp_iv(c, pkt, index, s.iv);
	job = IMB_GET_NEXT_JOB(m);
	if (c->is_gcm) {
		memcpy(aad, pkt, DP_SRTP_RTCP_HEADER_LEN);
		memcpy(aad + DP_SRTP_RTCP_HEADER_LEN, trailer, DP_SRTP_SRTCP_INDEX_LEN);
		job_gcm(job, &s, c, c->rtcp_keys, false, DP_SRTP_RTCP_HEADER_LEN,
			body - DP_SRTP_RTCP_HEADER_LEN, aad, sizeof(aad), s.tag);
	} else {
		job_cm(job, &s, c->rtcp_keys, false, DP_SRTP_RTCP_HEADER_LEN,
		       body - DP_SRTP_RTCP_HEADER_LEN, *len - tag_len);
	}
	job->user_data = NULL;
	if (run_job(m) != 0)
		return -EIO;
	if (tags_differ(s.tag, c->is_gcm ? pkt + body : pkt + *len - tag_len, tag_len))
		return -EBADMSG;
	if (st == NULL) {
		st = add_stream(c, ssrc);
		if (st == NULL)
			return -ENOMEM;
	}
	rtcp_add(rtcp_of(c, st), index);
	*len = body;
	return 0;
}

static int imb_rtcp(struct dp_srtp *base, uint8_t *pkt, size_t *len, size_t cap)
{
	struct ictx *c = (struct ictx *)base;
	size_t overhead = c->overhead[1];
	struct mgrs *g;
	int rc;

	if (*len > cap || *len > INT_MAX - DP_SRTP_MAX_OVERHEAD)
		return -EINVAL;
	rc = dp_srtp_check(pkt, *len, true, c->is_protect ? 0 : overhead);
	if (rc < 0)
		return rc;
	if (c->is_protect && cap - *len < overhead)
		return -ENOSPC;
	/* Ponte never negotiates unencrypted SRTCP (dataplane/srtp.h). */
	if (!c->is_protect && (pkt[*len - c->e_from_end] & 0x80) == 0)
		return -EBADMSG;
	g = get_mgrs();
	if (g == NULL)
		return -ENOMEM;
	return c->is_protect ? rtcp_protect(c->is_gcm ? g->wide : g->single, c, pkt, len)
			     : rtcp_unprotect(c->is_gcm ? g->wide : g->single, c, pkt, len);
}

const struct dp_srtp_engine dp_srtp_engine_ipsec_mb = {
    .name = "ipsec-mb",
    .init = imb_init,
    .thread_init = imb_thread_init,
    .create = imb_create,
    .destroy = imb_destroy,
    .rtp = imb_rtp,
    .rtcp = imb_rtcp,
    .rtp_burst = imb_rtp_burst,
};
