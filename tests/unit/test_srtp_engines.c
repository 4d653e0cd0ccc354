/* SPDX-License-Identifier: MIT */
/*
 * The ipsec-mb SRTP engine against the libsrtp2 engine, packet for packet, on random traffic.
 *
 * For every profile, one protecting and one unprotecting context per engine share a random
 * master key. Thousands of random RTP packets (0..15 CSRCs, header extensions, 0..1400-byte
 * payloads, several SSRCs, sequence numbers crossing 0xffff, jumps, a sender repeating an old
 * index) and RTCP compound packets go through both protecting contexts: the return codes,
 * lengths and bytes must be identical. Each engine's output then goes to the other engine's
 * unprotecting context, genuine or damaged (a flipped bit in the tag, payload or header, a
 * truncation, a cleared SRTCP E flag), on time, late or twice: again the two must agree, and
 * where the outcome is known (a replay, a packet older than the window, a forgery of a fresh
 * packet) it must be that outcome. Malformed packets and short buffers get -EINVAL and -ENOSPC
 * from both.
 *
 * Then bursts: random bursts over several contexts of both directions, mixing new packets,
 * replays, duplicates inside one burst, forgeries far ahead followed by genuine packets of the
 * same SSRC, malformed and short-buffer packets, must give through the ipsec-mb burst op
 * exactly what rtp() one packet at a time gives through ipsec-mb and through libsrtp2 (whose
 * engine has no burst op, so dp_srtp_rtp_burst() takes the generic loop for it).
 *
 * Usage: test-srtp_engines [SEED]   (PONTE_TEST_SEED also works; the seed is printed)
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "srtp.h"
#include "tap.h"

#define BUF_LEN 1600
#define MAX_PAYLOAD 1400
#define NB_SSRC 6
#define HISTORY 256
#define NB_STEPS 6000
#define NB_BURSTS 400
#define MAX_BURST 100

static const struct dp_srtp_engine *ref_engine, *fast_engine;
static uint64_t rng_state;

static const struct {
	uint16_t profile;
	const char *name;
} profiles[] = {
    {PONTE_SRTP_AES128_CM_SHA1_80, "AES128_CM_SHA1_80"},
    {PONTE_SRTP_AES128_CM_SHA1_32, "AES128_CM_SHA1_32"},
    {PONTE_SRTP_AEAD_AES_128_GCM, "AEAD_AES_128_GCM"},
    {PONTE_SRTP_AEAD_AES_256_GCM, "AEAD_AES_256_GCM"},
};

/* xorshift64*: reproducible from the printed seed. */
static uint32_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545f4914f6cdd1dull) >> 32);
}

static uint32_t below(uint32_t n)
{
	return rnd() % n;
}

static struct ponte_srtp_key random_key(uint16_t profile)
{
	struct ponte_srtp_key k = {.profile = profile};

	ponte_srtp_profile_sizes(profile, &k.key_len, &k.salt_len, NULL);
	for (int i = 0; i < k.key_len; i++)
		k.key[i] = (uint8_t)rnd();
	for (int i = 0; i < k.salt_len; i++)
		k.salt[i] = (uint8_t)rnd();
	return k;
}

/* A random RTP packet of the given SSRC and SEQ: CSRCs, an extension, any payload size. */
static size_t random_rtp(uint8_t *pkt, uint32_t ssrc, uint16_t seq)
{
	unsigned int nb_csrc = below(4) == 0 ? below(16) : 0;
	bool has_ext = below(3) == 0;
	size_t len = 12, payload;

	switch (below(6)) {
	case 0:
		payload = 0;
		break;
	case 1:
		payload = 1 + below(31);
		break;
	case 2:
	case 3:
		payload = 160;
		break;
	default:
		payload = below(MAX_PAYLOAD + 1);
	}
	pkt[0] = (uint8_t)(0x80 | (below(8) == 0 ? 0x20 : 0) | (has_ext ? 0x10 : 0) | nb_csrc);
	pkt[1] = (uint8_t)((below(10) == 0 ? 0x80 : 0) | below(128));
	pkt[2] = (uint8_t)(seq >> 8);
	pkt[3] = (uint8_t)seq;
	for (int b = 0; b < 4; b++) {
		pkt[4 + b] = (uint8_t)rnd();
		pkt[8 + b] = (uint8_t)(ssrc >> (24 - 8 * b));
	}
	for (unsigned int c = 0; c < nb_csrc * 4; c++)
		pkt[len++] = (uint8_t)rnd();
	if (has_ext) {
		unsigned int words = below(4) == 0 ? below(20) : below(3);

		pkt[len++] = below(2) ? 0xbe : (uint8_t)rnd();
		pkt[len++] = below(2) ? 0xde : (uint8_t)rnd();
		pkt[len++] = (uint8_t)(words >> 8);
		pkt[len++] = (uint8_t)words;
		for (unsigned int w = 0; w < words * 4; w++)
			pkt[len++] = (uint8_t)rnd();
	}
	for (size_t b = 0; b < payload; b++)
		pkt[len++] = (uint8_t)rnd();
	return len;
}

/* A random RTCP compound packet from ssrc: an SR or RR, then SDES, sometimes APP or BYE. */
static size_t random_rtcp(uint8_t *pkt, uint32_t ssrc)
{
	size_t len = 0;
	unsigned int nb_parts = 1 + below(3);

	for (unsigned int p = 0; p < nb_parts; p++) {
		static const uint8_t types[] = {200, 201, 202, 203, 204, 205, 206};
		unsigned int words = p == 0 ? 6 + 6 * below(3) : 1 + below(40);
		size_t start = len;

		if (len + 4 * (words + 1) > MAX_PAYLOAD)
			break;
		pkt[len++] = (uint8_t)(0x80 | below(32));
		pkt[len++] = p == 0 ? (uint8_t)(200 + below(2)) : types[below(sizeof(types))];
		pkt[len++] = (uint8_t)(words >> 8);
		pkt[len++] = (uint8_t)words;
		for (unsigned int b = 0; b < 4 * words; b++)
			pkt[len++] = (uint8_t)rnd();
		if (p == 0)
			for (int b = 0; b < 4; b++)
				pkt[start + 4 + b] = (uint8_t)(ssrc >> (24 - 8 * b));
	}
	return len;
}

/* A result of one engine: its return code and the bytes it left. */
struct result {
	int rc;
	size_t len;
	uint8_t buf[BUF_LEN];
};

static unsigned int nb_mismatch;
static char mismatch_what[160];

static bool same(const char *what, const struct result *a, const struct result *b)
{
	if (a->rc == b->rc &&
	    (a->rc != 0 || (a->len == b->len && memcmp(a->buf, b->buf, a->len) == 0)))
		return true;
	if (nb_mismatch++ < 5)
		printf("# %s: libsrtp2 rc %d len %zu, ipsec-mb rc %d len %zu%s\n", what, a->rc,
		       a->len, b->rc, b->len,
		       a->rc == b->rc && a->len == b->len ? " (bytes differ)" : "");
	snprintf(mismatch_what, sizeof(mismatch_what), "%s", what);
	return false;
}

/* Run one packet through a context of each engine, from the same bytes. */
static void run_both(struct dp_srtp *ref, struct dp_srtp *fast, bool is_rtcp, const uint8_t *in,
		     size_t len, size_t cap, struct result *a, struct result *b)
{
	a->len = b->len = len;
	memcpy(a->buf, in, len);
	memcpy(b->buf, in, len);
	a->rc = is_rtcp ? dp_srtp_rtcp(ref, a->buf, &a->len, cap)
			: dp_srtp_rtp(ref, a->buf, &a->len, cap);
	b->rc = is_rtcp ? dp_srtp_rtcp(fast, b->buf, &b->len, cap)
			: dp_srtp_rtp(fast, b->buf, &b->len, cap);
}

/* Unprotect: each engine gets the other engine's output (identical when protect agreed). */
static void unprotect_cross(struct dp_srtp *ref_rx, struct dp_srtp *fast_rx, bool is_rtcp,
			    const struct result *ref_out, const struct result *fast_out,
			    struct result *a, struct result *b)
{
	a->len = fast_out->len;
	memcpy(a->buf, fast_out->buf, a->len);
	b->len = ref_out->len;
	memcpy(b->buf, ref_out->buf, b->len);
	a->rc = is_rtcp ? dp_srtp_rtcp(ref_rx, a->buf, &a->len, BUF_LEN)
			: dp_srtp_rtp(ref_rx, a->buf, &a->len, BUF_LEN);
	b->rc = is_rtcp ? dp_srtp_rtcp(fast_rx, b->buf, &b->len, BUF_LEN)
			: dp_srtp_rtp(fast_rx, b->buf, &b->len, BUF_LEN);
}

/* The indexes one side has used: the highest, +1 (0: none), and a bit per index mod 4096. */
struct window_model {
	uint64_t max;
	uint8_t seen[4096 / 8];
};

/* What the test knows of one SSRC: the sender's next index, both sides' windows. */
struct ssrc_model {
	uint32_t ssrc;
	uint64_t next; /* ROC << 16 | SEQ the sender protects next */
	struct window_model sent, recv;
	uint32_t rtcp_next; /* SRTCP index the sender uses next */
};

/* A protected packet kept for late delivery. */
struct kept {
	bool is_used;
	bool is_rtcp;
	unsigned int m; /* ssrc_model index */
	uint64_t index; /* RTP: the packet index */
	size_t plain_len;
	struct result out; /* the protected packet (both engines' output, identical) */
	uint8_t plain[BUF_LEN];
};

struct counts {
	unsigned int rtp_protect, rtp_unprotect, rtcp_protect, rtcp_unprotect;
	unsigned int replay, old, forged, truncated, malformed, nospc, late, e_flag;
	unsigned int wrong; /* outcomes both engines agreed on but that contradict the model */
};

static bool seen_get(const struct window_model *w, uint64_t index)
{
	return (w->seen[(index & 4095) >> 3] >> (index & 7)) & 1;
}

static void seen_set(struct window_model *w, uint64_t index)
{
	/* Only the 64 indexes below max ever matter: clear what a move forward uncovers, so
	 * the 4096-index ring can be reused. */
	if (index + 1 > w->max) {
		for (uint64_t i = w->max; i < index + 1 && i < w->max + 4096; i++)
			w->seen[(i & 4095) >> 3] &= (uint8_t) ~(1u << (i & 7));
		w->max = index + 1;
	}
	w->seen[(index & 4095) >> 3] |= (uint8_t)(1u << (index & 7));
}

/* RFC 3711 §3.3.2 on a side's window: 0 for an index it may take, -EALREADY for one it must
 * refuse (used, or 64 or more behind the highest), or 1 when the test cannot tell (2^15 or
 * more from the highest, where the ROC estimate itself goes elsewhere). */
static int expect_rtp(const struct window_model *w, uint64_t index)
{
	uint64_t top;

	if (w->max == 0)
		return 0;
	top = w->max - 1;
	if (index > top)
		return index - top < 32768 ? 0 : 1;
	if (top - index >= 32768)
		return 1;
	if (top - index >= DP_SRTP_REPLAY_WINDOW)
		return -EALREADY;
	return seen_get(w, index) ? -EALREADY : 0;
}

static void keep(struct kept *ring, unsigned int *pos, bool is_rtcp, unsigned int m, uint64_t index,
		 const uint8_t *plain, size_t plain_len, const struct result *out)
{
	struct kept *k = &ring[(*pos)++ % HISTORY];

	k->is_used = true;
	k->is_rtcp = is_rtcp;
	k->m = m;
	k->index = index;
	k->plain_len = plain_len;
	memcpy(k->plain, plain, plain_len);
	k->out = *out;
}

/* Check a genuine delivery against the plaintext and the model; update the model. */
static void judge_rtp(struct ssrc_model *s, uint64_t index, const struct result *a,
		      const uint8_t *plain, size_t plain_len, struct counts *n)
{
	int want = expect_rtp(&s->recv, index);

	if (want != 1 && a->rc != want)
		n->wrong++;
	if (a->rc == 0 && (a->len != plain_len || memcmp(a->buf, plain, plain_len) != 0))
		n->wrong++;
	if (a->rc == 0)
		seen_set(&s->recv, index);
	if (a->rc == -EALREADY)
		n->replay++;
}

static void damage(uint8_t *buf, size_t len, size_t tag_off, unsigned int how)
{
	size_t at;

	switch (how) {
	case 0: /* the tag */
		at = tag_off + below((uint32_t)(len - tag_off));
		break;
	case 1: /* the payload, or whatever follows the fixed header */
		at = 12 + below((uint32_t)(len - 12));
		break;
	default: /* anywhere */
		at = below((uint32_t)len);
	}
	buf[at] ^= (uint8_t)(1u << below(8));
}

static void test_random_traffic(uint16_t profile, const char *name)
{
	struct ponte_srtp_key key = random_key(profile);
	struct dp_srtp *ref_tx = NULL, *ref_rx = NULL, *fast_tx = NULL, *fast_rx = NULL;
	struct ssrc_model ssrcs[NB_SSRC];
	struct kept *ring = calloc(HISTORY, sizeof(*ring));
	struct result *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
	struct result *ta = malloc(sizeof(*ta)), *tb = malloc(sizeof(*tb));
	size_t rtp_over = dp_srtp_overhead(profile, false);
	size_t rtcp_over = dp_srtp_overhead(profile, true);
	size_t e_at = dp_srtp_srtcp_e_from_end(profile);
	uint8_t plain[BUF_LEN];
	struct counts n = {0};
	unsigned int pos = 0;
	int rc;

	nb_mismatch = 0;
	rc = ring && a && b && ta && tb ? 0 : -ENOMEM;
	rc = rc ? rc : ref_engine->create(&key, DP_SRTP_PROTECT, &ref_tx);
	rc = rc ? rc : ref_engine->create(&key, DP_SRTP_UNPROTECT, &ref_rx);
	rc = rc ? rc : fast_engine->create(&key, DP_SRTP_PROTECT, &fast_tx);
	rc = rc ? rc : fast_engine->create(&key, DP_SRTP_UNPROTECT, &fast_rx);
	CHECK(rc == 0, "%s: a protecting and an unprotecting context in each engine", name);
	if (rc != 0)
		goto cleanup;
	for (int i = 0; i < NB_SSRC; i++) {
		ssrcs[i] = (struct ssrc_model){.ssrc = rnd(), .rtcp_next = 1};
		/* Two start just below the wrap, one where libsrtp's young-stream rule ends. */
		ssrcs[i].next = i < 2	 ? 65400 + below(130)
				: i == 2 ? 32700 + below(100)
					 : below(60000);
	}

	for (unsigned int step = 0; step < NB_STEPS; step++) {
		unsigned int m =
		    below(step < NB_STEPS / 2 ? NB_SSRC - 1 : NB_SSRC); /* a late one */
		struct ssrc_model *s = &ssrcs[m];
		unsigned int what = below(100);

		if (what < 8) {
			/* A late delivery of something protected earlier. */
			struct kept *k = &ring[below(HISTORY)];

			if (!k->is_used)
				continue;
			unprotect_cross(ref_rx, fast_rx, k->is_rtcp, &k->out, &k->out, a, b);
			same("late packet", a, b);
			if (!k->is_rtcp)
				judge_rtp(&ssrcs[k->m], k->index, a, k->plain, k->plain_len, &n);
			n.late++;
			continue;
		}
		if (what < 20) {
			/* RTCP compound, protected by both, then delivered (maybe damaged). */
			size_t len = random_rtcp(plain, s->ssrc);
			size_t cap = below(20) == 0 ? len + below((uint32_t)rtcp_over) : BUF_LEN;

			run_both(ref_tx, fast_tx, true, plain, len, cap, a, b);
			n.rtcp_protect++;
			if (!same("SRTCP protect", a, b) || a->rc != 0) {
				n.nospc += a->rc == -ENOSPC;
				n.wrong += a->rc != (cap < len + rtcp_over ? -ENOSPC : 0);
				continue;
			}
			n.wrong += a->len != len + rtcp_over;
			/* The E flag and the index, 1, 2, 3, ... per SSRC (the contract). */
			{
				const uint8_t *e = a->buf + a->len - e_at;
				uint32_t word = (uint32_t)e[0] << 24 | (uint32_t)e[1] << 16 |
						(uint32_t)e[2] << 8 | e[3];

				n.wrong += word != (0x80000000u | s->rtcp_next);
				s->rtcp_next++;
			}
			keep(ring, &pos, true, m, 0, plain, len, a);
			switch (below(6)) {
			case 0:
				*ta = *a;
				damage(ta->buf, ta->len, ta->len - rtcp_over, below(3));
				unprotect_cross(ref_rx, fast_rx, true, ta, ta, ta, tb);
				same("damaged SRTCP", ta, tb);
				n.wrong += tb->rc == 0;
				n.forged++;
				break;
			case 1:
				*ta = *a;
				ta->buf[ta->len - e_at] &= 0x7f;
				unprotect_cross(ref_rx, fast_rx, true, ta, ta, ta, tb);
				same("SRTCP with E cleared", ta, tb);
				n.wrong += tb->rc != -EBADMSG;
				n.e_flag++;
				break;
			case 2:
				*ta = *a;
				ta->len = below((uint32_t)ta->len);
				unprotect_cross(ref_rx, fast_rx, true, ta, ta, ta, tb);
				same("truncated SRTCP", ta, tb);
				n.wrong += tb->rc == 0;
				n.truncated++;
				break;
			default:
				break;
			}
			unprotect_cross(ref_rx, fast_rx, true, a, b, ta, tb);
			n.rtcp_unprotect++;
			same("SRTCP unprotect", ta, tb);
			n.wrong +=
			    ta->rc == 0 && (ta->len != len || memcmp(ta->buf, plain, len) != 0);
			if (below(5) == 0) {
				unprotect_cross(ref_rx, fast_rx, true, a, b, ta, tb);
				same("SRTCP replayed", ta, tb);
				n.wrong += tb->rc != -EALREADY;
				n.replay++;
			}
			continue;
		}

		/* RTP. */
		{
			uint64_t index = s->next;
			size_t len, cap = BUF_LEN;
			unsigned int kind = below(100);
			bool is_back = false;
			int want;

			if (kind < 3 && s->sent.max > 0) {
				is_back = true;
				/* The sender goes back: an index it used is refused (never
				 * encrypted twice), one it skipped within the window is not. */
				uint64_t back = s->sent.max < 100 ? s->sent.max : 100;

				index = s->sent.max - 1 - below((uint32_t)back);
			}
			len = random_rtp(plain, s->ssrc, (uint16_t)index);
			if (kind >= 3 && kind < 6) {
				/* Malformed: a bad version, a header overrunning the packet. */
				static const uint8_t versions[] = {0x00, 0x40, 0xc0};

				switch (below(4)) {
				case 0:
					plain[0] =
					    (uint8_t)((plain[0] & 0x3f) | versions[below(3)]);
					break;
				case 1:
					len = below(12);
					break;
				case 2: /* 15 CSRCs are 72 header bytes */
					plain[0] |= 0x0f;
					len = 12 + below(60);
					break;
				default: /* an extension of 65535 words */
					plain[0] = (uint8_t)((plain[0] & 0xe0) | 0x10);
					plain[14] = plain[15] = 0xff;
				}
				run_both(ref_tx, fast_tx, false, plain, len, cap, a, b);
				same("malformed RTP protect", a, b);
				n.wrong += a->rc != -EINVAL;
				n.malformed++;
				/* The same bytes with a tag's room, to the receivers. */
				run_both(ref_rx, fast_rx, false, plain,
					 len + (len > 12 ? 0 : rtp_over), BUF_LEN, a, b);
				same("malformed SRTP unprotect", a, b);
				continue;
			}
			if (kind >= 6 && kind < 9) {
				cap = len + below((uint32_t)rtp_over);
				if (below(4) == 0)
					cap = len - 1 - below(len > 1 ? 8 : 1);
			}
			run_both(ref_tx, fast_tx, false, plain, len, cap, a, b);
			n.rtp_protect++;
			same("SRTP protect", a, b);
			if (cap < len)
				want = -EINVAL;
			else if (cap < len + rtp_over)
				want = -ENOSPC;
			else
				want = expect_rtp(&s->sent, index);
			n.wrong += want != 1 && a->rc != want;
			n.nospc += want == -ENOSPC;
			n.replay += want == -EALREADY;
			if (a->rc == 0)
				seen_set(&s->sent, index);
			/* Mostly +1; sometimes a gap, a hold (a jump below 2^15), or a step back
			 * (into a gap, or onto a used index), soon back to the highest. */
			if (!is_back && (a->rc == 0 || a->rc == -EALREADY)) {
				if (below(50) == 0)
					s->next = index + 1 + below(below(4) == 0 ? 32000 : 300);
				else if (below(40) == 0 && index > 5)
					s->next = index - below(5);
				else
					s->next = index + 1;
				if (s->next < s->sent.max && below(2))
					s->next = s->sent.max;
			}
			if (a->rc != 0)
				continue;
			n.wrong += a->len != len + rtp_over;
			keep(ring, &pos, false, m, index, plain, len, a);
			switch (below(10)) {
			case 0: /* held back: delivered late, or never */
				continue;
			case 1:
				*ta = *a;
				damage(ta->buf, ta->len, ta->len - rtp_over, below(3));
				unprotect_cross(ref_rx, fast_rx, false, ta, ta, ta, tb);
				same("damaged SRTP", ta, tb);
				/* A damaged packet may have become malformed or another index, but
				 * it is never accepted. */
				n.wrong += tb->rc == 0;
				n.forged++;
				break;
			case 2:
				*ta = *a;
				ta->len = below((uint32_t)ta->len);
				unprotect_cross(ref_rx, fast_rx, false, ta, ta, ta, tb);
				same("truncated SRTP", ta, tb);
				n.wrong += tb->rc == 0;
				n.truncated++;
				break;
			default:
				break;
			}
			unprotect_cross(ref_rx, fast_rx, false, a, b, ta, tb);
			n.rtp_unprotect++;
			same("SRTP unprotect", ta, tb);
			judge_rtp(s, index, ta, plain, len, &n);
			if (below(8) == 0) {
				unprotect_cross(ref_rx, fast_rx, false, a, b, ta, tb);
				same("SRTP replayed", ta, tb);
				n.wrong += tb->rc != -EALREADY;
				n.replay++;
			}
		}
	}
	/* Every kept RTP packet far behind its stream's highest index: too old for both. */
	for (unsigned int i = 0; i < HISTORY; i++) {
		struct kept *k = &ring[i];
		const struct ssrc_model *s = &ssrcs[k->m];

		if (!k->is_used || k->is_rtcp || k->index + 1 >= s->recv.max ||
		    s->recv.max - 1 - k->index < DP_SRTP_REPLAY_WINDOW ||
		    s->recv.max - 1 - k->index >= 32768)
			continue;
		unprotect_cross(ref_rx, fast_rx, false, &k->out, &k->out, a, b);
		same("packet older than the window", a, b);
		n.wrong += a->rc != -EALREADY;
		n.old++;
	}

	CHECK(nb_mismatch == 0,
	      "%s: %u SRTP and %u SRTCP packets protected, %u and %u unprotected crosswise, "
	      "%u late, %u replayed, %u too old, %u damaged, %u truncated, %u with E cleared, "
	      "%u malformed, %u short buffers: both engines give the same codes and bytes%s%s",
	      name, n.rtp_protect, n.rtcp_protect, n.rtp_unprotect, n.rtcp_unprotect, n.late,
	      n.replay, n.old, n.forged, n.truncated, n.e_flag, n.malformed, n.nospc,
	      nb_mismatch ? "; first mismatch: " : "", nb_mismatch ? mismatch_what : "");
	CHECK(n.wrong == 0,
	      "%s: every outcome is the one RFC 3711 asks for: replays and packets 64 or more "
	      "behind refused, damaged and truncated packets never accepted, E=0 refused, "
	      "plaintext restored, SRTCP indexes 1, 2, 3... (%u contradictions)",
	      name, n.wrong);
	CHECK(n.replay > 100 && n.old > 0 && n.forged > 100 && n.malformed > 50 && n.nospc > 50 &&
		  n.late > 100,
	      "%s: every kind of packet occurred", name);
cleanup:
	dp_srtp_destroy(ref_tx);
	dp_srtp_destroy(ref_rx);
	dp_srtp_destroy(fast_tx);
	dp_srtp_destroy(fast_rx);
	free(ring);
	free(a);
	free(b);
	free(ta);
	free(tb);
}

/*
 * The SRTCP replay window is libsrtp's srtp_rdb_t: 128 indexes from window_start, which only
 * an index beyond the window's end moves (to index - 127). After index 200 arrives first,
 * 73..199 are each accepted once, in any order, and everything below 73 is refused.
 */
static void test_srtcp_window(uint16_t profile, const char *name)
{
	enum { NB = 200 };
	struct ponte_srtp_key key = random_key(profile);
	struct dp_srtp *ref_tx = NULL, *ref_rx = NULL, *fast_tx = NULL, *fast_rx = NULL;
	struct result *out = calloc(NB + 1, sizeof(*out));
	struct result *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
	uint8_t plain[BUF_LEN];
	unsigned int order[NB], nb_bad = 0, nb_wrong = 0, nb_ok = 0;
	int rc;

	nb_mismatch = 0;
	rc = out && a && b ? 0 : -ENOMEM;
	rc = rc ? rc : ref_engine->create(&key, DP_SRTP_PROTECT, &ref_tx);
	rc = rc ? rc : ref_engine->create(&key, DP_SRTP_UNPROTECT, &ref_rx);
	rc = rc ? rc : fast_engine->create(&key, DP_SRTP_PROTECT, &fast_tx);
	rc = rc ? rc : fast_engine->create(&key, DP_SRTP_UNPROTECT, &fast_rx);
	for (unsigned int i = 1; rc == 0 && i <= NB; i++) {
		size_t len = random_rtcp(plain, 0x0badcafe);

		run_both(ref_tx, fast_tx, true, plain, len, BUF_LEN, &out[i], b);
		nb_bad += !same("SRTCP protect", &out[i], b) || out[i].rc != 0;
	}
	CHECK(rc == 0 && nb_bad == 0, "%s: SRTCP indexes 1..%d protected alike", name, NB);
	if (rc != 0)
		goto cleanup;
	/* 200 first, then 1..199 shuffled, some twice. */
	for (unsigned int i = 0; i < NB; i++)
		order[i] = i == 0 ? NB : i;
	for (unsigned int i = NB - 1; i > 1; i--) {
		unsigned int j = 1 + below(i), t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
	for (unsigned int i = 0; i < NB + 40; i++) {
		unsigned int index = i < NB ? order[i] : 1 + below(NB);
		bool is_first = i < NB;
		int want = index >= NB - (DP_SRTP_SRTCP_WINDOW - 1) && is_first ? 0 : -EALREADY;

		unprotect_cross(ref_rx, fast_rx, true, &out[index], &out[index], a, b);
		nb_bad += !same("late SRTCP", a, b);
		nb_wrong += b->rc != want;
		nb_ok += b->rc == 0;
	}
	CHECK(nb_bad == 0 && nb_wrong == 0 && nb_ok == DP_SRTP_SRTCP_WINDOW,
	      "%s: SRTCP index 200 first, then 1..199 late and some again: both engines accept "
	      "exactly 73..199 once (%u accepted, %u unexpected)",
	      name, nb_ok, nb_wrong);
cleanup:
	dp_srtp_destroy(ref_tx);
	dp_srtp_destroy(ref_rx);
	dp_srtp_destroy(fast_tx);
	dp_srtp_destroy(fast_rx);
	free(out);
	free(a);
	free(b);
}

/* ---- bursts ---- */

#define NB_BURST_CTX 3

/* One set of contexts: a protecting and an unprotecting one per key. */
struct ctx_set {
	struct dp_srtp *tx[NB_BURST_CTX], *rx[NB_BURST_CTX];
};

struct burst_item {
	bool is_rx;
	unsigned int k; /* which key */
	size_t len, cap;
	uint8_t in[BUF_LEN];
};

static int make_set(const struct dp_srtp_engine *e, const struct ponte_srtp_key *keys,
		    struct ctx_set *set)
{
	int rc = 0;

	for (int i = 0; i < NB_BURST_CTX; i++) {
		rc = rc ? rc : e->create(&keys[i], DP_SRTP_PROTECT, &set->tx[i]);
		rc = rc ? rc : e->create(&keys[i], DP_SRTP_UNPROTECT, &set->rx[i]);
	}
	return rc;
}

static void free_set(struct ctx_set *set)
{
	for (int i = 0; i < NB_BURST_CTX; i++) {
		dp_srtp_destroy(set->tx[i]);
		dp_srtp_destroy(set->rx[i]);
	}
}

/* Run items through a set: as one burst (is_burst) or through rtp() one by one. */
static unsigned int run_items(struct ctx_set *set, const struct burst_item *items, unsigned int nb,
			      bool is_burst, uint8_t (*bufs)[BUF_LEN], size_t *lens, int *rcs)
{
	struct dp_srtp *ctx[MAX_BURST];
	uint8_t *pkt[MAX_BURST];
	size_t caps[MAX_BURST];
	unsigned int nb_ok = 0;

	for (unsigned int i = 0; i < nb; i++) {
		ctx[i] = items[i].is_rx ? set->rx[items[i].k] : set->tx[items[i].k];
		memcpy(bufs[i], items[i].in, items[i].len);
		lens[i] = items[i].len;
		caps[i] = items[i].cap;
		pkt[i] = bufs[i];
	}
	if (is_burst)
		return dp_srtp_rtp_burst(ctx, pkt, lens, caps, nb, rcs);
	for (unsigned int i = 0; i < nb; i++) {
		rcs[i] = dp_srtp_rtp(ctx[i], pkt[i], &lens[i], caps[i]);
		nb_ok += rcs[i] == 0;
	}
	return nb_ok;
}

struct burst_state {
	uint32_t ssrc[NB_BURST_CTX][3];
	uint64_t next[NB_BURST_CTX][3];
	/* protected packets, for the receivers */
	struct burst_item pool[HISTORY];
	unsigned int nb_pool;
};

/* A random burst: new packets to protect, and protected ones (genuine, duplicated, forged far
 * ahead, damaged, malformed) to unprotect, several of one SSRC. */
static unsigned int random_burst(struct burst_state *st, struct burst_item *items, size_t rtp_over)
{
	unsigned int nb = below(8) == 0 ? 1 + below(MAX_BURST) : 1 + below(40);

	for (unsigned int i = 0; i < nb; i++) {
		struct burst_item *it = &items[i];
		unsigned int what = below(100);

		if (what < 45 || st->nb_pool == 0) {
			unsigned int k = below(NB_BURST_CTX), j = below(3);
			uint64_t index = st->next[k][j];

			it->is_rx = false;
			it->k = k;
			if (below(20) == 0 && index > 10)
				index -= 1 + below(10); /* refused: already sent */
			else if (below(30) == 0)
				st->next[k][j] += below(40000); /* a hold, some beyond 2^15 */
			else
				st->next[k][j]++;
			it->len = random_rtp(it->in, st->ssrc[k][j], (uint16_t)index);
			it->cap = BUF_LEN;
			if (below(25) == 0)
				it->cap = it->len + below((uint32_t)rtp_over);
			if (below(30) == 0)
				it->in[0] &= 0x3f;
			continue;
		}
		*it = st->pool[below(st->nb_pool < HISTORY ? st->nb_pool : HISTORY)];
		it->cap = BUF_LEN;
		if (what < 55) {
			/* A copy of an earlier item of this burst: a duplicate within it. */
			if (i > 0 && items[i - 1].is_rx)
				*it = items[i - 1];
		} else if (what < 65) {
			/* Forged far ahead: SEQ + 2^15-ish, so a tentative window would move. */
			uint16_t seq = (uint16_t)(it->in[2] << 8 | it->in[3]);

			seq = (uint16_t)(seq + 20000 + below(25000));
			it->in[2] = (uint8_t)(seq >> 8);
			it->in[3] = (uint8_t)seq;
		} else if (what < 72) {
			it->in[12 + below((uint32_t)(it->len - 12))] ^= 0x01;
		} else if (what < 75) {
			it->len = below((uint32_t)it->len);
		}
	}
	return nb;
}

static void test_bursts(uint16_t profile, const char *name)
{
	struct ponte_srtp_key keys[NB_BURST_CTX];
	struct ctx_set burst = {0}, single = {0}, ref = {0};
	struct burst_state *st = calloc(1, sizeof(*st));
	struct burst_item *items = calloc(MAX_BURST, sizeof(*items));
	uint8_t(*b0)[BUF_LEN] = calloc(MAX_BURST, BUF_LEN);
	uint8_t(*b1)[BUF_LEN] = calloc(MAX_BURST, BUF_LEN);
	uint8_t(*b2)[BUF_LEN] = calloc(MAX_BURST, BUF_LEN);
	size_t lens[3][MAX_BURST], rtp_over = dp_srtp_overhead(profile, false);
	int rcs[3][MAX_BURST];
	unsigned int nb_pkts = 0, nb_bad = 0, nb_count_bad = 0, nb_ok = 0, nb_fail = 0;
	unsigned int nb_largest = 0;
	int rc;

	for (int i = 0; i < NB_BURST_CTX; i++)
		keys[i] = random_key(profile);
	rc = st && items && b0 && b1 && b2 ? 0 : -ENOMEM;
	rc = rc ? rc : make_set(fast_engine, keys, &burst);
	rc = rc ? rc : make_set(fast_engine, keys, &single);
	rc = rc ? rc : make_set(ref_engine, keys, &ref);
	CHECK(rc == 0,
	      "%s: three sets of %d key pairs: ipsec-mb for bursts, ipsec-mb and libsrtp2 "
	      "one packet at a time",
	      name, NB_BURST_CTX);
	if (rc != 0)
		goto cleanup;
	for (int k = 0; k < NB_BURST_CTX; k++)
		for (int j = 0; j < 3; j++) {
			st->ssrc[k][j] = rnd();
			st->next[k][j] = j == 0 ? 65500 + below(30) : below(65536);
		}

	for (unsigned int round = 0; round < NB_BURSTS; round++) {
		unsigned int nb = random_burst(st, items, rtp_over);
		unsigned int got[3];

		got[0] = run_items(&burst, items, nb, true, b0, lens[0], rcs[0]);
		got[1] = run_items(&single, items, nb, false, b1, lens[1], rcs[1]);
		/* libsrtp2 has no burst op: this is the generic loop. */
		got[2] = run_items(&ref, items, nb, true, b2, lens[2], rcs[2]);
		nb_pkts += nb;
		nb_largest = nb > nb_largest ? nb : nb_largest;
		for (unsigned int i = 0; i < nb; i++) {
			bool is_same = rcs[0][i] == rcs[1][i] && rcs[1][i] == rcs[2][i];

			if (is_same && rcs[0][i] == 0)
				is_same = lens[0][i] == lens[1][i] && lens[1][i] == lens[2][i] &&
					  memcmp(b0[i], b1[i], lens[0][i]) == 0 &&
					  memcmp(b1[i], b2[i], lens[0][i]) == 0;
			if (!is_same && nb_bad++ < 5)
				printf("# burst %u item %u (%s ctx %u): burst rc %d len %zu, "
				       "single %d "
				       "%zu, libsrtp2 %d %zu\n",
				       round, i, items[i].is_rx ? "rx" : "tx", items[i].k,
				       rcs[0][i], lens[0][i], rcs[1][i], lens[1][i], rcs[2][i],
				       lens[2][i]);
			nb_ok += rcs[0][i] == 0;
			nb_fail += rcs[0][i] != 0;
			/* Protected packets feed later bursts' receivers. */
			if (!items[i].is_rx && rcs[2][i] == 0) {
				struct burst_item *p = &st->pool[st->nb_pool++ % HISTORY];

				p->is_rx = true;
				p->k = items[i].k;
				p->len = lens[2][i];
				memcpy(p->in, b2[i], lens[2][i]);
			}
		}
		{
			unsigned int zeros = 0;

			for (unsigned int i = 0; i < nb; i++)
				zeros += rcs[0][i] == 0;
			nb_count_bad += got[0] != zeros || got[1] != zeros || got[2] != zeros;
		}
	}
	CHECK(nb_bad == 0,
	      "%s: %u packets in %d bursts of 1..%u (%u accepted, %u refused: replays, "
	      "duplicates within a burst, forgeries far ahead, damage, truncation, malformed, "
	      "short buffers): the burst op equals rtp() in turn, and libsrtp2",
	      name, nb_pkts, NB_BURSTS, nb_largest, nb_ok, nb_fail);
	CHECK(nb_count_bad == 0, "%s: every burst returns the number of packets with rc 0", name);
cleanup:
	free_set(&burst);
	free_set(&single);
	free_set(&ref);
	free(st);
	free(items);
	free(b0);
	free(b1);
	free(b2);
}

/*
 * The case the completion pass exists for: a young stream (highest index 100), then in one
 * burst a forgery (packet 101 with its SEQ changed to 40100), which a tentative window would
 * take as the new highest, and the genuine SEQ 101, 102, which against that tentative window
 * estimate ROC 1. The forgery fails, so rtp() one by one gives ROC 0: the burst must too.
 */
static void test_burst_forgery_moves_estimate(uint16_t profile, const char *name)
{
	struct ponte_srtp_key key = random_key(profile);
	struct dp_srtp *tx = NULL, *rx = NULL;
	uint8_t pkts[4][BUF_LEN], plain[4][BUF_LEN];
	size_t lens[4], caps[4] = {BUF_LEN, BUF_LEN, BUF_LEN, BUF_LEN}, plain_len[4];
	struct dp_srtp *ctx[4];
	uint8_t *ptr[4];
	int rcs[4], rc;

	rc = fast_engine->create(&key, DP_SRTP_PROTECT, &tx);
	rc = rc ? rc : fast_engine->create(&key, DP_SRTP_UNPROTECT, &rx);
	for (int i = 0; rc == 0 && i < 4; i++) {
		static const uint16_t seqs[4] = {100, 101, 101, 102};

		plain_len[i] = lens[i] = random_rtp(pkts[i], 0xfeedf00d, seqs[i]);
		memcpy(plain[i], pkts[i], lens[i]);
		if (i != 1)
			rc = dp_srtp_rtp(tx, pkts[i], &lens[i], BUF_LEN);
		ctx[i] = rx;
		ptr[i] = pkts[i];
	}
	if (rc == 0) {
		memcpy(pkts[1], pkts[2], lens[2]);
		lens[1] = lens[2];
		pkts[1][2] = 40100 >> 8;
		pkts[1][3] = 40100 & 0xff;
	}
	rc = rc ? rc : dp_srtp_rtp(rx, pkts[0], &lens[0], BUF_LEN);
	CHECK(rc == 0, "%s: SEQ 100 protected and accepted", name);
	if (rc != 0)
		goto cleanup;
	rc = (int)dp_srtp_rtp_burst(ctx + 1, ptr + 1, lens + 1, caps + 1, 3, rcs + 1);
	CHECK(rc == 2 && rcs[1] == -EBADMSG && rcs[2] == 0 && rcs[3] == 0 &&
		  lens[2] == plain_len[2] && memcmp(pkts[2], plain[2], lens[2]) == 0 &&
		  lens[3] == plain_len[3] && memcmp(pkts[3], plain[3], lens[3]) == 0,
	      "%s: a burst of a forgery far ahead and two genuine packets: the forgery refused "
	      "(%d), the genuine ones decrypted under ROC 0 (%d, %d)",
	      name, rcs[1], rcs[2], rcs[3]);
cleanup:
	dp_srtp_destroy(tx);
	dp_srtp_destroy(rx);
}

/* Many SSRCs through one pair of contexts: the per-SSRC table grows several times, and
 * every SSRC keeps its own window and SRTCP index through it. */
static void test_many_ssrcs(uint16_t profile, const char *name)
{
	enum { NB = 300 };
	struct ponte_srtp_key key = random_key(profile);
	struct dp_srtp *ref_tx = NULL, *ref_rx = NULL, *fast_tx = NULL, *fast_rx = NULL;
	struct result *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
	struct result *pa = malloc(sizeof(*pa)), *pb = malloc(sizeof(*pb));
	uint8_t plain[BUF_LEN];
	unsigned int nb_bad = 0, nb_wrong = 0;
	int rc;

	nb_mismatch = 0;
	rc = a && b && pa && pb ? 0 : -ENOMEM;
	rc = rc ? rc : ref_engine->create(&key, DP_SRTP_PROTECT, &ref_tx);
	rc = rc ? rc : ref_engine->create(&key, DP_SRTP_UNPROTECT, &ref_rx);
	rc = rc ? rc : fast_engine->create(&key, DP_SRTP_PROTECT, &fast_tx);
	rc = rc ? rc : fast_engine->create(&key, DP_SRTP_UNPROTECT, &fast_rx);
	for (unsigned int round = 0; rc == 0 && round < 3; round++) {
		for (unsigned int i = 0; i < NB; i++) {
			uint32_t ssrc = 0x51000000u + i * 7919u;
			bool is_rtcp = round == 1;
			size_t len = is_rtcp ? random_rtcp(plain, ssrc)
					     : random_rtp(plain, ssrc, (uint16_t)(i + round));

			run_both(ref_tx, fast_tx, is_rtcp, plain, len, BUF_LEN, pa, pb);
			nb_bad += !same("protect, many SSRCs", pa, pb);
			nb_wrong += pb->rc != 0;
			unprotect_cross(ref_rx, fast_rx, is_rtcp, pa, pb, a, b);
			nb_bad += !same("unprotect, many SSRCs", a, b);
			nb_wrong += b->rc != 0 || b->len != len || memcmp(b->buf, plain, len) != 0;
			unprotect_cross(ref_rx, fast_rx, is_rtcp, pa, pb, a, b);
			nb_bad += !same("replay, many SSRCs", a, b);
			nb_wrong += b->rc != -EALREADY;
		}
	}
	CHECK(rc == 0 && nb_bad == 0 && nb_wrong == 0,
	      "%s: %d SSRCs in one context, SRTP, SRTCP, SRTP again: each accepted once, a "
	      "replay refused, both engines alike (%u differences, %u unexpected)",
	      name, NB, nb_bad, nb_wrong);
	dp_srtp_destroy(ref_tx);
	dp_srtp_destroy(ref_rx);
	dp_srtp_destroy(fast_tx);
	dp_srtp_destroy(fast_rx);
	free(a);
	free(b);
	free(pa);
	free(pb);
}

/* Contexts made on one thread, used on another: the engine's per-thread state follows. */
struct thread_arg {
	struct dp_srtp *tx, *rx;
	int rc;
};

static void *other_thread(void *p)
{
	struct thread_arg *t = p;
	uint8_t buf[BUF_LEN], plain[BUF_LEN];
	size_t len, plain_len;

	t->rc = dp_srtp_thread_init(fast_engine);
	for (unsigned int i = 0; t->rc == 0 && i < 100; i++) {
		plain_len = len = random_rtp(buf, 0x01020304, (uint16_t)(i + 7));
		memcpy(plain, buf, len);
		t->rc = dp_srtp_rtp(t->tx, buf, &len, sizeof(buf));
		t->rc = t->rc ? t->rc : dp_srtp_rtp(t->rx, buf, &len, sizeof(buf));
		if (t->rc == 0 && (len != plain_len || memcmp(buf, plain, len) != 0))
			t->rc = -EPROTO;
	}
	return NULL;
}

static void test_threads(void)
{
	struct ponte_srtp_key key = random_key(PONTE_SRTP_AES128_CM_SHA1_80);
	struct thread_arg t = {0};
	pthread_t th;
	int rc;

	rc = fast_engine->create(&key, DP_SRTP_PROTECT, &t.tx);
	rc = rc ? rc : fast_engine->create(&key, DP_SRTP_UNPROTECT, &t.rx);
	rc = rc ? rc : pthread_create(&th, NULL, other_thread, &t);
	if (rc == 0)
		pthread_join(th, NULL);
	CHECK(rc == 0 && t.rc == 0,
	      "contexts created on one thread protect and unprotect 100 packets on another (%d)",
	      rc ? rc : t.rc);
	CHECK(dp_srtp_thread_init(fast_engine) == 0 && dp_srtp_thread_init(ref_engine) == 0,
	      "thread_init: 0 for ipsec-mb, and for libsrtp2 that has none");
	dp_srtp_destroy(t.tx);
	dp_srtp_destroy(t.rx);
}

static void test_names(void)
{
	CHECK(dp_srtp_engine_find("ipsec-mb") == &dp_srtp_engine_ipsec_mb &&
		  dp_srtp_engine_find("libsrtp2") == &dp_srtp_engine_libsrtp &&
		  dp_srtp_engine_default() == &dp_srtp_engine_ipsec_mb,
	      "engines \"ipsec-mb\" and \"libsrtp2\" found by name; ipsec-mb is the default");
	CHECK(dp_srtp_engine_ipsec_mb.rtp_burst != NULL && dp_srtp_engine_libsrtp.rtp_burst == NULL,
	      "ipsec-mb has a burst op; libsrtp2 goes through the generic loop");
}

int main(int argc, char **argv)
{
	const char *env = getenv("PONTE_TEST_SEED");
	uint64_t seed = argc > 1 ? strtoull(argv[1], NULL, 0)
			: env	 ? strtoull(env, NULL, 0)
				 : 0x5eed5a17c0ffeeull;

	printf("# seed %#llx\n", (unsigned long long)seed);
	rng_state = seed ? seed : 1;
	ref_engine = dp_srtp_engine_find("libsrtp2");
	fast_engine = dp_srtp_engine_find("ipsec-mb");
	CHECK(ref_engine && fast_engine && ref_engine->init() == 0 && fast_engine->init() == 0,
	      "both engines initialised");
	if (ref_engine == NULL || fast_engine == NULL)
		return tap_done();
	test_names();
	for (size_t i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++) {
		test_random_traffic(profiles[i].profile, profiles[i].name);
		test_srtcp_window(profiles[i].profile, profiles[i].name);
		test_many_ssrcs(profiles[i].profile, profiles[i].name);
		test_bursts(profiles[i].profile, profiles[i].name);
		test_burst_forgery_moves_estimate(profiles[i].profile, profiles[i].name);
	}
	test_threads();
	return tap_done();
}
