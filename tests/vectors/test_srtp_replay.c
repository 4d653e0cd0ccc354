/* SPDX-License-Identifier: MIT */
/*
 * The SRTP engine contract beyond the cipher: the profile table, engine lookup, create's
 * checks, the replay window (RFC 3711 §3.3.2, exactly 64 packets), the rollover counter
 * (§3.3.1: wraps, holds, jumps), per-SSRC state in one context, forged and truncated packets,
 * malformed headers, buffer room, and SRTCP. Every profile goes through the same checks.
 *
 * Usage: test-srtp-replay [ENGINE]   (default "libsrtp2")
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "srtp.h"
#include "tap.h"

#define BUF_LEN 1600
#define PAYLOAD_LEN 160

static const struct dp_srtp_engine *engine;

static const struct {
	uint16_t profile;
	const char *name;
} profiles[] = {
    {PONTE_SRTP_AES128_CM_SHA1_80, "AES128_CM_SHA1_80"},
    {PONTE_SRTP_AES128_CM_SHA1_32, "AES128_CM_SHA1_32"},
    {PONTE_SRTP_AEAD_AES_128_GCM, "AEAD_AES_128_GCM"},
    {PONTE_SRTP_AEAD_AES_256_GCM, "AEAD_AES_256_GCM"},
};

/* One protected packet kept for later delivery, with its plaintext to compare against. */
struct saved {
	size_t len, plain_len;
	uint8_t pkt[PAYLOAD_LEN + 64];
	uint8_t plain[PAYLOAD_LEN + 64];
};

static struct ponte_srtp_key make_key(uint16_t profile)
{
	struct ponte_srtp_key k = {.profile = profile};

	ponte_srtp_profile_sizes(profile, &k.key_len, &k.salt_len, NULL);
	for (int i = 0; i < k.key_len; i++)
		k.key[i] = (uint8_t)(0x5a ^ i);
	for (int i = 0; i < k.salt_len; i++)
		k.salt[i] = (uint8_t)(0xc3 + i);
	return k;
}

static size_t make_rtp(uint8_t *pkt, uint32_t ssrc, uint16_t seq, size_t payload)
{
	pkt[0] = 0x80;
	pkt[1] = 0;
	pkt[2] = (uint8_t)(seq >> 8);
	pkt[3] = (uint8_t)seq;
	memset(pkt + 4, 0, 4);
	for (int b = 0; b < 4; b++)
		pkt[8 + b] = (uint8_t)(ssrc >> (24 - 8 * b));
	for (size_t i = 0; i < payload; i++)
		pkt[12 + i] = (uint8_t)(seq + i);
	return 12 + payload;
}

/* Protect one packet into s; the engine's return code. */
static int protect(struct dp_srtp *tx, struct saved *s, uint32_t ssrc, uint16_t seq)
{
	s->plain_len = make_rtp(s->plain, ssrc, seq, PAYLOAD_LEN);
	memcpy(s->pkt, s->plain, s->plain_len);
	s->len = s->plain_len;
	return dp_srtp_rtp(tx, s->pkt, &s->len, sizeof(s->pkt));
}

/* Deliver a copy of s; 0 only when the engine accepted it and gave the plaintext back. */
static int deliver(struct dp_srtp *rx, const struct saved *s)
{
	uint8_t buf[BUF_LEN];
	size_t len = s->len;
	int rc;

	memcpy(buf, s->pkt, len);
	rc = dp_srtp_rtp(rx, buf, &len, sizeof(buf));
	if (rc == 0 && (len != s->plain_len || memcmp(buf, s->plain, len) != 0))
		return -EPROTO;
	return rc;
}

static void test_profiles_and_engines(void)
{
	static const struct {
		uint16_t profile;
		int rc;
		uint8_t key, salt, tag;
		size_t rtp_overhead, rtcp_overhead;
		const char *name;
	} want[] = {
	    {PONTE_SRTP_NULL, 0, 0, 0, 0, 0, 0, "NULL"},
	    {PONTE_SRTP_AES128_CM_SHA1_80, 0, 16, 14, 10, 10, 14, "SRTP_AES128_CM_SHA1_80"},
	    {PONTE_SRTP_AES128_CM_SHA1_32, 0, 16, 14, 4, 4, 14, "SRTP_AES128_CM_SHA1_32"},
	    {PONTE_SRTP_AEAD_AES_128_GCM, 0, 16, 12, 16, 16, 20, "SRTP_AEAD_AES_128_GCM"},
	    {PONTE_SRTP_AEAD_AES_256_GCM, 0, 32, 12, 16, 16, 20, "SRTP_AEAD_AES_256_GCM"},
	    {0x0003, -EINVAL, 0, 0, 0, 0, 0, NULL},
	};

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		uint8_t key = 99, salt = 99, tag = 99;
		int rc = ponte_srtp_profile_sizes(want[i].profile, &key, &salt, &tag);
		const char *name = ponte_srtp_profile_name(want[i].profile);

		CHECK(rc == want[i].rc && key == want[i].key && salt == want[i].salt &&
			  tag == want[i].tag &&
			  dp_srtp_overhead(want[i].profile, false) == want[i].rtp_overhead &&
			  dp_srtp_overhead(want[i].profile, true) == want[i].rtcp_overhead &&
			  (name == want[i].name ||
			   (name && want[i].name && strcmp(name, want[i].name) == 0)),
		      "profile 0x%04x: sizes %u/%u/%u, overhead %zu/%zu, name %s", want[i].profile,
		      want[i].key, want[i].salt, want[i].tag, want[i].rtp_overhead,
		      want[i].rtcp_overhead, want[i].name ? want[i].name : "(none)");
	}
#ifdef PONTE_HAVE_IPSEC_MB
	CHECK(dp_srtp_engine_find("libsrtp2") == &dp_srtp_engine_libsrtp &&
		  dp_srtp_engine_default() == &dp_srtp_engine_ipsec_mb,
	      "\"libsrtp2\" is found by name; ipsec-mb, built in, is the default engine");
#else
	CHECK(dp_srtp_engine_find("libsrtp2") == &dp_srtp_engine_libsrtp &&
		  dp_srtp_engine_default() == &dp_srtp_engine_libsrtp &&
		  dp_srtp_engine_find("ipsec-mb") == NULL,
	      "\"libsrtp2\" is found by name and, without ipsec-mb, is the default engine");
#endif
	CHECK(dp_srtp_engine_find("openssl") == NULL && dp_srtp_engine_find(NULL) == NULL,
	      "an unknown engine name finds nothing");
}

static void test_create(void)
{
	struct ponte_srtp_key k = make_key(PONTE_SRTP_AES128_CM_SHA1_80);
	struct dp_srtp *ctx = (struct dp_srtp *)&k;
	int rc;

	k.key_len = 32;
	rc = engine->create(&k, DP_SRTP_PROTECT, &ctx);
	CHECK(rc == -EINVAL && ctx == NULL,
	      "create: a key length that is not the profile's: "
	      "-EINVAL and no context (%d)",
	      rc);
	k = make_key(PONTE_SRTP_AEAD_AES_128_GCM);
	k.salt_len = 14;
	CHECK(engine->create(&k, DP_SRTP_UNPROTECT, &ctx) == -EINVAL,
	      "create: an AEAD key with a 14-byte salt: -EINVAL");
	k = make_key(PONTE_SRTP_NULL);
	CHECK(engine->create(&k, DP_SRTP_PROTECT, &ctx) == -ENOTSUP,
	      "create: PONTE_SRTP_NULL needs no context: -ENOTSUP");
	k = make_key(PONTE_SRTP_AES128_CM_SHA1_80);
	k.profile = 0x0005;
	CHECK(engine->create(&k, DP_SRTP_PROTECT, &ctx) == -ENOTSUP,
	      "create: an unknown profile: -ENOTSUP");
	k = make_key(PONTE_SRTP_AES128_CM_SHA1_80);
	CHECK(engine->create(&k, (enum dp_srtp_dir)0, &ctx) == -EINVAL,
	      "create: a direction that is neither protect nor unprotect: -EINVAL");
	dp_srtp_destroy(NULL);
	engine->destroy(NULL);
	CHECK(1, "destroy(NULL) does nothing");
}

#define BASE 1000
#define NB_SAVED 120

static void test_replay_and_roc(uint16_t profile, const char *name)
{
	struct ponte_srtp_key key = make_key(profile);
	struct dp_srtp *tx = NULL, *rx = NULL;
	struct saved *s = calloc(NB_SAVED, sizeof(*s));
	struct saved one, hold[2];
	size_t tag = dp_srtp_overhead(profile, false);
	unsigned int nb_bad = 0;
	int rc;

	rc = s == NULL ? -ENOMEM : engine->create(&key, DP_SRTP_PROTECT, &tx);
	rc = rc ? rc : engine->create(&key, DP_SRTP_UNPROTECT, &rx);
	CHECK(rc == 0, "%s: protect and unprotect contexts", name);
	if (rc != 0)
		goto cleanup;
	for (unsigned int i = 0; i < NB_SAVED; i++)
		nb_bad += protect(tx, &s[i], 0xabcdef01, (uint16_t)(BASE + i)) != 0 ||
			  s[i].len != s[i].plain_len + tag;
	CHECK(nb_bad == 0, "%s: %d packets protected, each grown by exactly the %zu-byte tag", name,
	      NB_SAVED, tag);

	/* RFC 3711 §3.3.2: replay and the 64-packet sliding window. */
	nb_bad = 0;
	for (unsigned int i = 0; i < 10; i++)
		nb_bad += deliver(rx, &s[i]) != 0;
	CHECK(nb_bad == 0, "%s: packets in order are accepted", name);
	CHECK(deliver(rx, &s[9]) == -EALREADY && deliver(rx, &s[5]) == -EALREADY,
	      "%s: a replayed packet: -EALREADY", name);
	nb_bad = 0;
	for (unsigned int i = 20; i < 100; i++)
		if (i != 35 && i != 36 && i != 50)
			nb_bad += deliver(rx, &s[i]) != 0;
	CHECK(nb_bad == 0, "%s: a forward gap of 10 is accepted", name);
	rc = deliver(rx, &s[50]);
	CHECK(rc == 0, "%s: a packet 49 behind the highest, not yet seen: accepted (%d)", name, rc);
	CHECK(deliver(rx, &s[50]) == -EALREADY, "%s: ... but only once", name);
	rc = deliver(rx, &s[36]);
	CHECK(rc == 0, "%s: 63 behind the highest, the window's oldest slot: accepted (%d)", name,
	      rc);
	rc = deliver(rx, &s[35]);
	CHECK(rc == -EALREADY, "%s: 64 behind, just outside the 64-packet window: -EALREADY (%d)",
	      name, rc);
	CHECK(deliver(rx, &s[15]) == -EALREADY, "%s: far older than the window: -EALREADY", name);

	/* Forgeries fail authentication and move nothing. */
	one = s[100];
	one.pkt[one.len - 1] ^= 0x01;
	rc = deliver(rx, &one);
	CHECK(rc == -EBADMSG, "%s: one tag bit flipped: -EBADMSG (%d)", name, rc);
	one = s[100];
	one.pkt[12 + PAYLOAD_LEN / 2] ^= 0x80;
	CHECK(deliver(rx, &one) == -EBADMSG, "%s: one payload bit flipped: -EBADMSG", name);
	one = s[100];
	one.pkt[1] ^= 0x80;
	CHECK(deliver(rx, &one) == -EBADMSG, "%s: the marker bit flipped: -EBADMSG", name);
	one = s[100];
	one.pkt[2] = 0x7f; /* SEQ 1000+100 becomes 0x7f4c: a forged jump far ahead */
	CHECK(deliver(rx, &one) == -EBADMSG, "%s: a forged far-ahead SEQ: -EBADMSG", name);
	one = s[100];
	one.pkt[8] ^= 0xff;
	CHECK(deliver(rx, &one) == -EBADMSG, "%s: a forged unknown SSRC: -EBADMSG", name);
	rc = deliver(rx, &s[100]);
	CHECK(rc == 0,
	      "%s: the genuine packet is still accepted after the forgeries: they "
	      "advanced neither the window nor the ROC (%d)",
	      name, rc);
	rc = deliver(rx, &s[99]);
	CHECK(rc == -EALREADY, "%s: the window still stands where genuine packets put it (%d)",
	      name, rc);

	/* Truncated: every length below the real one, in a buffer of exactly that size. */
	nb_bad = 0;
	for (size_t n = 0; n < s[101].len; n++) {
		uint8_t *buf = malloc(n > 0 ? n : 1);
		size_t len = n;
		int want = n < 12 + tag ? -EINVAL : -EBADMSG;

		memcpy(buf, s[101].pkt, n);
		rc = dp_srtp_rtp(rx, buf, &len, n);
		if (rc != want || len != n) {
			if (nb_bad++ < 3)
				printf("# length %zu: %d, want %d\n", n, rc, want);
		}
		free(buf);
	}
	CHECK(nb_bad == 0,
	      "%s: every truncation of a packet (0..%zu bytes): -EINVAL below "
	      "header + tag, -EBADMSG above, never accepted",
	      name, s[101].len - 1);
	CHECK(deliver(rx, &s[101]) == 0, "%s: the whole packet is then accepted", name);

	/* Malformed headers: the receiver refuses them before any cryptography. */
	one = s[102];
	one.pkt[0] = 0x40;
	CHECK(deliver(rx, &one) == -EINVAL, "%s: RTP version 1: -EINVAL", name);
	one.pkt[0] = 0x8f; /* 15 CSRCs: 72 header bytes in a shorter packet */
	one.len = 12 + 15 * 4 + tag - 1;
	CHECK(deliver(rx, &one) == -EINVAL, "%s: a CSRC list overrunning the packet: -EINVAL",
	      name);
	one = s[102];
	one.pkt[0] = 0x90;
	one.pkt[14] = 0xff;
	one.pkt[15] = 0xff;
	CHECK(deliver(rx, &one) == -EINVAL, "%s: a header extension of 65535 words: -EINVAL", name);
	one.pkt[14] = 0;
	one.pkt[15] = (uint8_t)(PAYLOAD_LEN / 4); /* fits the packet, but runs into the tag */
	CHECK(deliver(rx, &one) == -EINVAL,
	      "%s: a header extension that would overlap the tag: -EINVAL", name);
	one.len = 14;
	CHECK(deliver(rx, &one) == -EINVAL,
	      "%s: X set with no room for the extension header: "
	      "-EINVAL",
	      name);
	CHECK(deliver(rx, &s[102]) == 0, "%s: none of them disturbed the stream", name);

	/* The sending side: its own window refuses to reuse an index (RFC 3711 §9.1). */
	CHECK(protect(tx, &one, 0xabcdef01, BASE + 50) == -EALREADY,
	      "%s: protecting a SEQ already sent: -EALREADY (no keystream reuse)", name);
	{
		uint8_t buf[BUF_LEN];
		size_t len = make_rtp(buf, 0xabcdef01, BASE + NB_SAVED, PAYLOAD_LEN);
		size_t plain_len = len;

		CHECK(dp_srtp_rtp(tx, buf, &len, len + tag - 1) == -ENOSPC && len == plain_len,
		      "%s: protect with room for all but one tag byte: -ENOSPC", name);
		CHECK(dp_srtp_rtp(tx, buf, &len, len - 1) == -EINVAL,
		      "%s: a length beyond the buffer's capacity: -EINVAL", name);
		len = 11;
		CHECK(dp_srtp_rtp(tx, buf, &len, sizeof(buf)) == -EINVAL,
		      "%s: protect of an 11-byte packet: -EINVAL", name);
		len = plain_len;
		buf[0] = 0x00;
		CHECK(dp_srtp_rtp(tx, buf, &len, sizeof(buf)) == -EINVAL,
		      "%s: protect of RTP version 0: -EINVAL", name);
		buf[0] = 0x80;
		CHECK(dp_srtp_rtp(tx, buf, &len, plain_len + tag) == 0 && len == plain_len + tag,
		      "%s: protect with exactly the room for the tag works", name);
		len = 12; /* header only */
		make_rtp(buf, 0xabcdef01, BASE + NB_SAVED + 1, 0);
		rc = dp_srtp_rtp(tx, buf, &len, sizeof(buf));
		rc = rc ? rc : dp_srtp_rtp(rx, buf, &len, sizeof(buf));
		CHECK(rc == 0 && len == 12, "%s: an RTP packet with no payload goes both ways",
		      name);
	}

	/* RFC 3711 §3.3.1: the ROC across 65535 -> 0, with 0 arriving before 65535. */
	nb_bad = 0;
	for (unsigned int i = 0; i < 16; i++)
		nb_bad += protect(tx, &s[i], 0x0000beef, (uint16_t)(65530 + i)) != 0;
	for (unsigned int i = 0; i < 16; i++)
		nb_bad += deliver(rx, &s[i == 5 ? 6 : i == 6 ? 5 : i]) != 0;
	CHECK(nb_bad == 0,
	      "%s: SEQ 65530..65535, 0..9 with 0 before 65535: all protected and "
	      "accepted, the ROC moving to 1 on both sides",
	      name);

	/* A long hold: nothing from SSRC c0ffee00 while another SSRC sends 2000 packets. */
	nb_bad = 0;
	for (unsigned int i = 0; i < 50; i++) {
		nb_bad += protect(tx, &one, 0xc0ffee00, (uint16_t)(300 + i)) != 0;
		nb_bad += deliver(rx, &one) != 0;
	}
	nb_bad += protect(tx, &hold[0], 0xc0ffee00, 350) != 0; /* lost in the network */
	for (unsigned int i = 0; i < 2000; i++) {
		nb_bad += protect(tx, &one, 0x0000beef, (uint16_t)(10 + i)) != 0;
		nb_bad += deliver(rx, &one) != 0;
	}
	for (unsigned int i = 1; i < 10; i++) {
		nb_bad += protect(tx, &one, 0xc0ffee00, (uint16_t)(350 + i)) != 0;
		nb_bad += deliver(rx, &one) != 0;
	}
	CHECK(nb_bad == 0,
	      "%s: after a hold (other SSRCs busy meanwhile) the stream resumes with "
	      "the next SEQ, no errors",
	      name);
	nb_bad = 0;
	for (unsigned int i = 0; i < 10; i++) {
		nb_bad += protect(tx, &one, 0xc0ffee00, (uint16_t)(10359 + i)) != 0;
		nb_bad += deliver(rx, &one) != 0;
	}
	CHECK(nb_bad == 0, "%s: a sender resuming with SEQ +10000 is accepted (ROC estimate)",
	      name);
	CHECK(deliver(rx, &hold[0]) == -EALREADY,
	      "%s: a packet from before the jump, arriving late: -EALREADY (too old)", name);
	nb_bad = 0;
	for (unsigned int i = 0; i < 10; i++) {
		/* 60000 + 10000 crosses the wrap in one step: ROC 0 -> 1 at once. */
		nb_bad +=
		    protect(tx, &one, 0x0dd0f00d, (uint16_t)(i < 5 ? 60000 + i : 70000 + i)) != 0;
		nb_bad += deliver(rx, &one) != 0;
	}
	CHECK(nb_bad == 0,
	      "%s: a +10000 jump from SEQ 60004 to 4469 (across the wrap) is "
	      "accepted",
	      name);

	/* Several SSRCs in one context, each with its own window. */
	nb_bad = 0;
	for (unsigned int i = 0; i < 10; i++) {
		nb_bad += protect(tx, &s[i], 0xeeee0001, (uint16_t)(7000 + i)) != 0;
		nb_bad += protect(tx, &s[10 + i], 0xffff0002, (uint16_t)(7000 + i)) != 0;
		nb_bad += deliver(rx, &s[i]) != 0;
		nb_bad += deliver(rx, &s[10 + i]) != 0;
	}
	CHECK(nb_bad == 0,
	      "%s: two SSRCs sending the same SEQs through one context: all "
	      "accepted",
	      name);
	CHECK(deliver(rx, &s[3]) == -EALREADY && deliver(rx, &s[13]) == -EALREADY,
	      "%s: a replay is caught per SSRC", name);
	nb_bad = protect(tx, &s[30], 0xeeee0001, 9000) != 0 || deliver(rx, &s[30]) != 0;
	nb_bad += protect(tx, &s[31], 0xffff0002, 7010) != 0 || deliver(rx, &s[31]) != 0;
	CHECK(nb_bad == 0, "%s: one SSRC running 2000 ahead does not age the other's packets",
	      name);
cleanup:
	dp_srtp_destroy(tx);
	dp_srtp_destroy(rx);
	free(s);
}

static size_t make_rtcp(uint8_t *pkt, uint32_t ssrc, unsigned int n)
{
	/* A sender report: header, sender info (20 bytes), no report blocks. */
	memset(pkt, 0, 28);
	pkt[0] = 0x80;
	pkt[1] = 200;
	pkt[3] = 6;
	for (int b = 0; b < 4; b++)
		pkt[4 + b] = (uint8_t)(ssrc >> (24 - 8 * b));
	for (int b = 8; b < 28; b++)
		pkt[b] = (uint8_t)(b * n);
	return 28;
}

static void test_srtcp(uint16_t profile, const char *name)
{
	struct ponte_srtp_key key = make_key(profile);
	struct dp_srtp *tx = NULL, *rx = NULL;
	size_t overhead = dp_srtp_overhead(profile, true);
	size_t e_at = dp_srtp_srtcp_e_from_end(profile);
	uint8_t pkt[8][64], plain[64], buf[64];
	size_t len[8];
	unsigned int nb_bad = 0;
	int rc;

	rc = engine->create(&key, DP_SRTP_PROTECT, &tx);
	rc = rc ? rc : engine->create(&key, DP_SRTP_UNPROTECT, &rx);
	CHECK(rc == 0, "%s: SRTCP contexts", name);
	if (rc != 0)
		goto cleanup;
	for (unsigned int i = 0; i < 8; i++) {
		uint8_t *e;

		len[i] = make_rtcp(pkt[i], 0x5555aaaa, i);
		rc = dp_srtp_rtcp(tx, pkt[i], &len[i], sizeof(pkt[i]));
		e = pkt[i] + len[i] - e_at;
		nb_bad += rc != 0 || len[i] != 28 + overhead || e[0] != 0x80 || e[1] != 0 ||
			  e[2] != 0 || e[3] != i + 1;
	}
	CHECK(nb_bad == 0,
	      "%s: 8 SRTCP packets grow by %zu bytes and carry E=1 and indexes "
	      "1..8 (RFC 3711 §3.4)",
	      name, overhead);
	nb_bad = 0;
	for (unsigned int i = 0; i < 3; i++) {
		memcpy(buf, pkt[i], len[i]);
		size_t n = len[i];

		make_rtcp(plain, 0x5555aaaa, i);
		nb_bad += dp_srtp_rtcp(rx, buf, &n, sizeof(buf)) != 0 || n != 28 ||
			  memcmp(buf, plain, 28) != 0;
	}
	CHECK(nb_bad == 0, "%s: SRTCP round trip gives the RTCP back", name);
	memcpy(buf, pkt[1], len[1]);
	size_t n = len[1];
	CHECK(dp_srtp_rtcp(rx, buf, &n, sizeof(buf)) == -EALREADY,
	      "%s: a replayed SRTCP packet: -EALREADY", name);
	memcpy(buf, pkt[3], len[3]);
	n = len[3];
	buf[n - (e_at == 4 ? 5 : 1)] ^= 0x01; /* a tag bit, wherever the layout puts the tag */
	CHECK(dp_srtp_rtcp(rx, buf, &n, sizeof(buf)) == -EBADMSG,
	      "%s: SRTCP with a flipped tag bit: -EBADMSG", name);
	memcpy(buf, pkt[3], len[3]);
	n = len[3];
	buf[n - e_at + 3] ^= 0x10; /* index 4 -> 20, not covered by a matching tag */
	CHECK(dp_srtp_rtcp(rx, buf, &n, sizeof(buf)) == -EBADMSG,
	      "%s: SRTCP with a forged index: -EBADMSG", name);
	memcpy(buf, pkt[5], len[5]);
	n = len[5];
	rc = dp_srtp_rtcp(rx, buf, &n, sizeof(buf));
	memcpy(buf, pkt[3], len[3]);
	n = len[3];
	rc = rc ? rc : dp_srtp_rtcp(rx, buf, &n, sizeof(buf));
	memcpy(buf, pkt[4], len[4]);
	n = len[4];
	rc = rc ? rc : dp_srtp_rtcp(rx, buf, &n, sizeof(buf));
	CHECK(rc == 0, "%s: SRTCP 6, then 4 and 5 late: accepted, the forgeries moved nothing",
	      name);
	nb_bad = 0;
	for (size_t t = 0; t < len[6]; t++) {
		uint8_t *cut = malloc(t > 0 ? t : 1);
		size_t m = t;

		memcpy(cut, pkt[6], t);
		rc = dp_srtp_rtcp(rx, cut, &m, t);
		nb_bad += rc != (t < 8 + overhead ? -EINVAL : -EBADMSG);
		free(cut);
	}
	CHECK(nb_bad == 0,
	      "%s: every truncation of an SRTCP packet: -EINVAL below header + "
	      "index + tag, -EBADMSG above",
	      name);
	n = make_rtcp(buf, 0x5555aaaa, 9);
	CHECK(dp_srtp_rtcp(tx, buf, &n, n + overhead - 1) == -ENOSPC,
	      "%s: SRTCP protect without room for index and tag: -ENOSPC", name);
	n = 7;
	CHECK(dp_srtp_rtcp(tx, buf, &n, sizeof(buf)) == -EINVAL,
	      "%s: SRTCP protect of 7 bytes: -EINVAL", name);
cleanup:
	dp_srtp_destroy(tx);
	dp_srtp_destroy(rx);
}

int main(int argc, char **argv)
{
	const char *name = argc > 1 ? argv[1] : "libsrtp2";

	engine = dp_srtp_engine_find(name);
	CHECK(engine != NULL && engine->init() == 0, "engine %s found and initialised", name);
	if (engine == NULL)
		return tap_done();
	test_profiles_and_engines();
	test_create();
	for (size_t i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++) {
		test_replay_and_roc(profiles[i].profile, profiles[i].name);
		test_srtcp(profiles[i].profile, profiles[i].name);
	}
	return tap_done();
}
