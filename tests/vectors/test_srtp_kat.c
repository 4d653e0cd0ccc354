/* SPDX-License-Identifier: MIT */
/*
 * SRTP known answers. First the RFC's own primitive vectors (RFC 3711 B.2 keystream, B.3 key
 * derivation, RFC 7714 §16/§17 AEAD packets) are checked against the reference implementation
 * in srtp_ref.c, which is built on libcrypto alone: that proves the test data and the reference.
 * Then the engine under test must reproduce published full-packet vectors and, packet for
 * packet, everything the reference produces across sequence wraps, SSRCs, CSRCs and header
 * extensions, for every profile.
 *
 * Usage: test-srtp-kat [ENGINE]   (default "libsrtp2")
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "srtp.h"
#include "srtp_ref.h"
#include "tap.h"

#define BUF_LEN 1600

static const struct dp_srtp_engine *engine;

static struct ponte_srtp_key make_key(uint16_t profile, const char *key_hex, const char *salt_hex)
{
	struct ponte_srtp_key k = {.profile = profile};

	k.key_len = (uint8_t)ref_unhex(key_hex, k.key, sizeof(k.key));
	k.salt_len = (uint8_t)ref_unhex(salt_hex, k.salt, sizeof(k.salt));
	return k;
}

static bool hex_equal(const uint8_t *have, size_t have_len, const char *want_hex)
{
	uint8_t want[BUF_LEN];
	size_t want_len = ref_unhex(want_hex, want, sizeof(want));

	if (want_len == have_len && memcmp(have, want, want_len) == 0)
		return true;
	printf("#   have: ");
	for (size_t i = 0; i < have_len; i++)
		printf("%02x", have[i]);
	printf("\n#   want: %s\n", want_hex);
	return false;
}

/* RFC 3711 Appendix B.2: AES-CM keystream, SSRC, ROC and SEQ all zero. */
static void test_rfc3711_b2(void)
{
	static const char *const want[][2] = {
	    {"0000", "E03EAD0935C95E80E166B16DD92B4EB4"},
	    {"0001", "D23513162B02D0F72A43A2FE4A5F97AB"},
	    {"0002", "41E95B3BB0A2E8DD477901E4FCA894C0"},
	    {"FEFF", "EC8CDF7398607CB0F2D21675EA9EA1E4"},
	    {"FF00", "362B7C3C6773516318A077D7FC5073AE"},
	    {"FF01", "6A2CC3787889374FBEB4C81B17BA6C44"},
	};
	const size_t nb_blocks = 65282; /* the RFC's segment: 1044512 octets */
	uint8_t key[16], iv[16];
	uint8_t *stream = calloc(nb_blocks, 16);

	ref_unhex("2B7E151628AED2A6ABF7158809CF4F3C", key, sizeof(key));
	ref_unhex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000", iv, sizeof(iv));
	CHECK(stream != NULL && ref_aes_ctr(key, 16, iv, stream, nb_blocks * 16) == 0,
	      "RFC 3711 B.2: AES-128-CTR keystream over the whole 65282-block segment");
	for (size_t i = 0; stream != NULL && i < sizeof(want) / sizeof(want[0]); i++) {
		unsigned long block = strtoul(want[i][0], NULL, 16);

		CHECK(hex_equal(stream + block * 16, 16, want[i][1]),
		      "RFC 3711 B.2: keystream block for counter ...FCFD%s", want[i][0]);
	}
	free(stream);
}

/* RFC 3711 Appendix B.3: the key derivation, label by label. */
static void test_rfc3711_b3(void)
{
	uint8_t mk[16], ms[14], out[94];

	ref_unhex("E1F97A0D3E018BE0D64FA32C06DE4139", mk, sizeof(mk));
	ref_unhex("0EC675AD498AFEEBB6960B3AABE6", ms, sizeof(ms));
	CHECK(ref_kdf(mk, 16, ms, 14, 0, out, 16) == 0 &&
		  hex_equal(out, 16, "C61E7A93744F39EE10734AFE3FF7A087"),
	      "RFC 3711 B.3: cipher key (label 0)");
	CHECK(ref_kdf(mk, 16, ms, 14, 2, out, 14) == 0 &&
		  hex_equal(out, 14, "30CBBC08863D8C85D49DB34A9AE1"),
	      "RFC 3711 B.3: cipher salt (label 2)");
	CHECK(ref_kdf(mk, 16, ms, 14, 1, out, 94) == 0 &&
		  hex_equal(out, 94,
			    "CEBE321F6FF7716B6FD4AB49AF256A15 6D38BAA48F0A0ACF3C34E2359E6CDBCE"
			    "E049646C43D9327AD175578EF7227098 6371C10C9A369AC2F94A8C5FBCDDDC25"
			    "6D6E919A48B610EF17C2041E47403576 6B68642C59BBFC2F34DB60DBDFB2"),
	      "RFC 3711 B.3: authentication key (label 1), all 94 octets");
}

/*
 * RFC 7714 §16 (SRTP) and §17 (SRTCP). The RFC states these with the session key and salt,
 * below the key derivation, so no master key reaches them and they cannot go through an
 * engine's create(); they pin the reference's AEAD IV, AAD and tag layout instead, and the
 * reference then checks the engine below.
 */
#define RFC7714_KEY128 "000102030405060708090a0b0c0d0e0f"
#define RFC7714_KEY256 "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define RFC7714_SALT "517569642070726f2071756f" /* "Quid pro quo" */
/* Header 8040f17b 8041f8d3 5501a0b2 (SEQ f17b, SSRC 5501a0b2), "Gallia est omnis..." */
#define RFC7714_RTP                                                                                \
	"8040f17b8041f8d35501a0b247616c6c696120657374206f6d6e69732064697669736120696e20"           \
	"7061727465732074726573"
/* The packet §17.1-§17.4 operate on: an SR from SSRC 4d617273 ("Mars"). */
#define RFC7714_RTCP                                                                               \
	"81c8000d4d6172734e5450314e545032525450200000042a0000e9304c756e61deadbeefdeadbeef"         \
	"deadbeefdeadbeefdeadbeef"

static void test_rfc7714(void)
{
	static const struct {
		const char *what, *key;
		uint16_t profile;
		bool is_rtcp, is_encrypted;
		const char *protected;
	} vectors[] = {
	    {"RFC 7714 16.1.1: SRTP AEAD_AES_128_GCM", RFC7714_KEY128, PONTE_SRTP_AEAD_AES_128_GCM,
	     false, true,
	     "8040f17b8041f8d35501a0b2f24de3a3fb34de6cacba861c9d7e4bcabe633bd50d294e6f42a5f47a"
	     "51c7d19b36de3adf8833899d7f27beb16a9152cf765ee4390cce"},
	    {"RFC 7714 16.2.1: SRTP AEAD_AES_256_GCM", RFC7714_KEY256, PONTE_SRTP_AEAD_AES_256_GCM,
	     false, true,
	     "8040f17b8041f8d35501a0b232b1de78a822fe12ef9f78fa332e33aab18012389a58e2f3b50b2a02"
	     "76ffae0f1ba63799b87b7aa3db36dfffd6b0f9bb7878d7a76c13"},
	    {"RFC 7714 17.1: SRTCP AEAD_AES_128_GCM", RFC7714_KEY128, PONTE_SRTP_AEAD_AES_128_GCM,
	     true, true,
	     "81c8000d4d61727363e94885dcdab67ca727d7662f6b7e997ff5c0f76c06f32dc676a5f1730d6fda"
	     "4ce09b4686303ded0bb9275bc84aa45896cf4d2fc5abf87245d9eade800005d4"},
	    {"RFC 7714 17.2: SRTCP AEAD_AES_256_GCM", RFC7714_KEY256, PONTE_SRTP_AEAD_AES_256_GCM,
	     true, true,
	     "81c8000d4d617273d50ae4d1f5ce5d304ba297e47d470c282c3ece5dbffe0a50a2eaa5c1110555be"
	     "8415f658c61de0476f1b6fad1d1eb30c4446839f57ff6f6cb26ac3be800005d4"},
	    {"RFC 7714 17.3: SRTCP AEAD_AES_128_GCM authenticated, not encrypted", RFC7714_KEY128,
	     PONTE_SRTP_AEAD_AES_128_GCM, true, false,
	     "81c8000d4d6172734e5450314e545032525450200000042a0000e9304c756e61deadbeefdeadbeef"
	     "deadbeefdeadbeefdeadbeef841dd9683dd78ec92ae58790125f62b3000005d4"},
	};
	uint8_t key[32], salt[12], buf[BUF_LEN], plain[BUF_LEN];
	struct ref_keys keys;

	ref_unhex(RFC7714_SALT, salt, sizeof(salt));
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		size_t key_len = ref_unhex(vectors[i].key, key, sizeof(key));
		size_t len =
		    ref_unhex(vectors[i].is_rtcp ? RFC7714_RTCP : RFC7714_RTP, buf, sizeof(buf));
		long n;

		ref_keys_from_session(&keys, vectors[i].profile, key, key_len, salt);
		memcpy(plain, buf, len);
		if (vectors[i].is_rtcp)
			n = ref_protect_rtcp(&keys, buf, len, 0x5d4, vectors[i].is_encrypted);
		else
			n = ref_protect_rtp(&keys, buf, len, 0);
		CHECK(n > 0 && hex_equal(buf, (size_t)n, vectors[i].protected),
		      "%s: encryption and tagging, byte for byte", vectors[i].what);
		if (vectors[i].is_rtcp)
			continue;
		/* §16.1.2 / §16.2.2: decryption and tag verification. */
		n = ref_unprotect_rtp(&keys, buf, (size_t)n, 0);
		CHECK(n == (long)len && memcmp(buf, plain, len) == 0,
		      "%s: decryption and verification give the plaintext back", vectors[i].what);
		n = (long)ref_unhex(vectors[i].protected, buf, sizeof(buf));
		buf[n - 1] ^= 0x01;
		CHECK(ref_unprotect_rtp(&keys, buf, (size_t)n, 0) == -EBADMSG,
		      "%s: a flipped tag bit fails verification", vectors[i].what);
	}
}

/* Protect with a fresh context and compare; then unprotect the expected bytes with another. */
static void check_engine_vector(const char *what, const struct ponte_srtp_key *key, bool is_rtcp,
				const char *plain_hex, const char *protected_hex)
{
	struct dp_srtp *tx = NULL, *rx = NULL;
	uint8_t buf[BUF_LEN], plain[BUF_LEN];
	size_t plain_len = ref_unhex(plain_hex, plain, sizeof(plain));
	size_t len = plain_len;
	int rc;

	rc = engine->create(key, DP_SRTP_PROTECT, &tx);
	rc = rc ? rc : engine->create(key, DP_SRTP_UNPROTECT, &rx);
	CHECK(rc == 0, "%s: %s creates a protect and an unprotect context", what, engine->name);
	if (rc != 0)
		goto cleanup;
	memcpy(buf, plain, len);
	rc = is_rtcp ? dp_srtp_rtcp(tx, buf, &len, sizeof(buf))
		     : dp_srtp_rtp(tx, buf, &len, sizeof(buf));
	CHECK(rc == 0 && hex_equal(buf, len, protected_hex), "%s: %s protect, byte for byte", what,
	      engine->name);
	len = ref_unhex(protected_hex, buf, sizeof(buf));
	rc = is_rtcp ? dp_srtp_rtcp(rx, buf, &len, sizeof(buf))
		     : dp_srtp_rtp(rx, buf, &len, sizeof(buf));
	CHECK(rc == 0 && len == plain_len && memcmp(buf, plain, len) == 0,
	      "%s: %s unprotect gives the plaintext back", what, engine->name);
cleanup:
	dp_srtp_destroy(tx);
	dp_srtp_destroy(rx);
}

/*
 * Published full-packet vectors under a master key: libsrtp's own test driver,
 * test/srtp_driver.c, srtp_validate() (AES_CM_128_HMAC_SHA1_80, the RFC 3711 B.3 master key,
 * SSRC cafebabe, SEQ 1234) and srtp_validate_gcm() (AEAD_AES_128_GCM). Their SRTCP packets
 * carry index 1: the first SRTCP index libsrtp sends, which every engine must match.
 */
#define LIBSRTP_RTP "800f1234decafbadcafebabe abababababababababababababababab"
#define LIBSRTP_RTCP "81c8000bcafebabe abababababababababababababababab"
#define CM_KEY "e1f97a0d3e018be0d64fa32c06de4139"
#define CM_SALT "0ec675ad498afeebb6960b3aabe6"
#define CM80_RTP "800f1234decafbadcafebabe 4e55dc4ce79978d88ca4d215949d2402 b78d6acc99ea179b8dbb"
#define CM80_RTCP "81c8000bcafebabe 7128035be487b9bdbef89041f977a5a8 80000001 993e08cd54d6c1230798"
#define GCM_KEY "000102030405060708090a0b0c0d0e0f"
#define GCM_SALT "a0a1a2a3a4a5a6a7a8a9aaab"
#define GCM_RTP                                                                                    \
	"800f1234decafbadcafebabe c5002ede04cfdd2eb91159e0880aa06e "                               \
	"d2976826f796b201df3131a127e8a392"
#define GCM_RTCP                                                                                   \
	"81c8000bcafebabe c98b8b5df0392a55852b6c21ac8e7025 c52c6fbea2b3b446ea31123ba88ce61e "      \
	"80000001"

static void test_published_vectors(void)
{
	struct ponte_srtp_key cm80 = make_key(PONTE_SRTP_AES128_CM_SHA1_80, CM_KEY, CM_SALT);
	struct ponte_srtp_key cm32 = make_key(PONTE_SRTP_AES128_CM_SHA1_32, CM_KEY, CM_SALT);
	struct ponte_srtp_key gcm = make_key(PONTE_SRTP_AEAD_AES_128_GCM, GCM_KEY, GCM_SALT);
	uint8_t buf[BUF_LEN];
	struct ref_keys keys;
	long n;

	/* The reference must agree with the published packets before it may judge an engine. */
	n = ref_derive(&cm80, &keys)
		? -1
		: ref_protect_rtp(&keys, buf, ref_unhex(LIBSRTP_RTP, buf, sizeof(buf)), 0);
	CHECK(n > 0 && hex_equal(buf, (size_t)n, CM80_RTP),
	      "reference: libsrtp srtp_validate() SRTP packet (AES_CM_128_HMAC_SHA1_80)");
	n = ref_protect_rtcp(&keys, buf, ref_unhex(LIBSRTP_RTCP, buf, sizeof(buf)), 1, true);
	CHECK(n > 0 && hex_equal(buf, (size_t)n, CM80_RTCP),
	      "reference: libsrtp srtp_validate() SRTCP packet (AES_CM_128_HMAC_SHA1_80)");
	n = ref_derive(&gcm, &keys)
		? -1
		: ref_protect_rtp(&keys, buf, ref_unhex(LIBSRTP_RTP, buf, sizeof(buf)), 0);
	CHECK(n > 0 && hex_equal(buf, (size_t)n, GCM_RTP),
	      "reference: libsrtp srtp_validate_gcm() SRTP packet (AEAD_AES_128_GCM; pins the "
	      "96-bit master salt in the KDF)");
	n = ref_protect_rtcp(&keys, buf, ref_unhex(LIBSRTP_RTCP, buf, sizeof(buf)), 1, true);
	CHECK(n > 0 && hex_equal(buf, (size_t)n, GCM_RTCP),
	      "reference: libsrtp srtp_validate_gcm() SRTCP packet (AEAD_AES_128_GCM)");

	check_engine_vector("AES_CM_128_HMAC_SHA1_80 SRTP", &cm80, false, LIBSRTP_RTP, CM80_RTP);
	check_engine_vector("AES_CM_128_HMAC_SHA1_80 SRTCP", &cm80, true, LIBSRTP_RTCP, CM80_RTCP);
	/* HMAC truncation: the 32-bit tag is the first 4 octets of the 80-bit one (RFC 3711
	 * §4.2); SRTCP keeps the 80-bit tag (RFC 5764 §4.1.2), so its packet is unchanged. */
	check_engine_vector("AES_CM_128_HMAC_SHA1_32 SRTP", &cm32, false, LIBSRTP_RTP,
			    "800f1234decafbadcafebabe 4e55dc4ce79978d88ca4d215949d2402 b78d6acc");
	check_engine_vector("AES_CM_128_HMAC_SHA1_32 SRTCP", &cm32, true, LIBSRTP_RTCP, CM80_RTCP);
	check_engine_vector("AEAD_AES_128_GCM SRTP", &gcm, false, LIBSRTP_RTP, GCM_RTP);
	check_engine_vector("AEAD_AES_128_GCM SRTCP", &gcm, true, LIBSRTP_RTCP, GCM_RTCP);
}

/* A test RTP packet: CSRCs and a one-byte-header extension (RFC 8285) on some, varied sizes. */
static size_t make_rtp(uint8_t *pkt, uint32_t ssrc, uint16_t seq, unsigned int i)
{
	static const size_t sizes[] = {0, 1, 15, 16, 17, 160, 1200, 33};
	size_t len = 12, payload = sizes[i % (sizeof(sizes) / sizeof(sizes[0]))];
	unsigned int nb_csrc = i % 3 == 1 ? 2 : 0;
	bool has_ext = i % 4 == 2;

	pkt[0] = (uint8_t)(0x80 | (has_ext ? 0x10 : 0) | nb_csrc);
	pkt[1] = (uint8_t)(i % 5 == 0 ? 0x80 | 111 : 96);
	pkt[2] = (uint8_t)(seq >> 8);
	pkt[3] = (uint8_t)seq;
	for (int b = 0; b < 4; b++) {
		pkt[4 + b] = (uint8_t)((i * 960u) >> (24 - 8 * b));
		pkt[8 + b] = (uint8_t)(ssrc >> (24 - 8 * b));
	}
	for (unsigned int c = 0; c < nb_csrc; c++, len += 4)
		memcpy(pkt + len, "\x11\x22\x33\x44", 4);
	if (has_ext) {
		/* 0xBEDE profile, one word: id 1 with one data byte (an audio level), padding. */
		memcpy(pkt + len, "\xbe\xde\x00\x01\x10\x7f\x00\x00", 8);
		len += 8;
	}
	for (size_t b = 0; b < payload; b++)
		pkt[len + b] = (uint8_t)(b * 31 + i);
	return len + payload;
}

/* Per-SSRC sequence plans: start, count, then an optional jump (after a "hold"). */
static const struct {
	uint32_t ssrc;
	uint16_t start;
	unsigned int count;
	uint16_t jump;
} plans[] = {
    {0x11111111, 65500, 120, 0}, /* wraps at packet 36: ROC 0 -> 1 (RFC 3711 §3.3.1) */
    {0x22222222, 100, 60, 0},
    {0x33333333, 60000, 30, 10000}, /* a hold, then +10000: crosses the wrap in one step */
};

static void test_against_reference(uint16_t profile, const char *name)
{
	uint8_t mk[32], ms[14];
	struct ponte_srtp_key key = {.profile = profile};
	struct dp_srtp *tx = NULL, *rx = NULL;
	uint8_t pkt[BUF_LEN], want[BUF_LEN], plain[BUF_LEN];
	struct ref_keys keys;
	unsigned int nb_rtp = 0, nb_bad = 0, nb_rtcp = 0, nb_rtcp_bad = 0;
	int rc;

	for (int i = 0; i < 32; i++)
		mk[i] = (uint8_t)(i * 7 + 3);
	for (int i = 0; i < 14; i++)
		ms[i] = (uint8_t)(0xa0 + i * 3);
	ponte_srtp_profile_sizes(profile, &key.key_len, &key.salt_len, NULL);
	memcpy(key.key, mk, key.key_len);
	memcpy(key.salt, ms, key.salt_len);
	rc = ref_derive(&key, &keys);
	rc = rc ? rc : engine->create(&key, DP_SRTP_PROTECT, &tx);
	rc = rc ? rc : engine->create(&key, DP_SRTP_UNPROTECT, &rx);
	CHECK(rc == 0, "%s: reference keys and %s contexts", name, engine->name);
	if (rc != 0)
		goto cleanup;

	/* Interleave the SSRCs so one context juggles all of them at once. */
	for (unsigned int step = 0; step < 120; step++) {
		for (size_t p = 0; p < sizeof(plans) / sizeof(plans[0]); p++) {
			unsigned int seq_off;
			uint32_t ext_seq;
			size_t len;
			long n;

			if (step >= plans[p].count)
				continue;
			seq_off = step + (step >= plans[p].count / 2 ? plans[p].jump : 0);
			ext_seq = plans[p].start + seq_off;
			len = make_rtp(pkt, plans[p].ssrc, (uint16_t)ext_seq, step);
			memcpy(plain, pkt, len);
			memcpy(want, pkt, len);
			n = ref_protect_rtp(&keys, want, len, ext_seq >> 16);
			rc = dp_srtp_rtp(tx, pkt, &len, sizeof(pkt));
			nb_rtp++;
			if (rc != 0 || n != (long)len || memcmp(pkt, want, len) != 0) {
				if (nb_bad++ < 3)
					printf("# %s: SSRC %08x SEQ %u: rc %d, %zu vs %ld bytes\n",
					       name, plans[p].ssrc, ext_seq & 0xffff, rc, len, n);
				continue;
			}
			rc = dp_srtp_rtp(rx, pkt, &len, sizeof(pkt));
			if (rc != 0 || memcmp(pkt, plain, len) != 0)
				nb_bad++;
		}
	}
	CHECK(nb_bad == 0,
	      "%s: %u SRTP packets of 3 SSRCs (a wrap, a +10000 jump across a wrap, CSRCs, "
	      "header extensions, 0..1200-byte payloads) equal the reference byte for byte and "
	      "unprotect to the original",
	      name, nb_rtp);

	for (unsigned int index = 1; index <= 5; index++) {
		for (size_t p = 0; p < 2; p++) {
			size_t len = 8 + 20 + 4 * index;
			long n;

			memset(pkt, 0, len);
			pkt[0] = 0x80;
			pkt[1] = 200;
			pkt[3] = (uint8_t)(len / 4 - 1);
			for (int b = 0; b < 4; b++)
				pkt[4 + b] = (uint8_t)(plans[p].ssrc >> (24 - 8 * b));
			for (size_t b = 8; b < len; b++)
				pkt[b] = (uint8_t)(b ^ index);
			memcpy(plain, pkt, len);
			memcpy(want, pkt, len);
			/* libsrtp numbers a sender's first SRTCP packet 1; so must every engine. */
			n = ref_protect_rtcp(&keys, want, len, index, true);
			rc = dp_srtp_rtcp(tx, pkt, &len, sizeof(pkt));
			nb_rtcp++;
			if (rc != 0 || n != (long)len || memcmp(pkt, want, len) != 0) {
				nb_rtcp_bad++;
				continue;
			}
			rc = dp_srtp_rtcp(rx, pkt, &len, sizeof(pkt));
			if (rc != 0 || memcmp(pkt, plain, len) != 0)
				nb_rtcp_bad++;
		}
	}
	CHECK(nb_rtcp_bad == 0,
	      "%s: %u SRTCP packets of 2 SSRCs (indexes 1..5) equal the reference byte for byte "
	      "and unprotect to the original",
	      name, nb_rtcp);

	/* An authentic E=0 (unencrypted) SRTCP packet breaks the session's policy: refused,
	 * and refusing it leaves the index free for the genuine encrypted packet. */
	{
		static const uint8_t rr[16] = {0x81, 0xc9, 0x00, 0x03, 0x11, 0x11, 0x11, 0x11,
					       0x22, 0x22, 0x22, 0x22, 0x00, 0x01, 0x02, 0x03};
		size_t len = sizeof(rr);
		long n;

		memcpy(pkt, rr, len);
		n = ref_protect_rtcp(&keys, pkt, len, 77, false);
		len = (size_t)n;
		rc = n > 0 ? dp_srtp_rtcp(rx, pkt, &len, sizeof(pkt)) : (int)n;
		CHECK(rc == -EBADMSG, "%s: an authentic SRTCP packet with E=0 is refused (%d)",
		      name, rc);
		memcpy(pkt, rr, sizeof(rr));
		n = ref_protect_rtcp(&keys, pkt, sizeof(rr), 77, true);
		len = (size_t)n;
		rc = n > 0 ? dp_srtp_rtcp(rx, pkt, &len, sizeof(pkt)) : (int)n;
		CHECK(rc == 0 && len == sizeof(rr) && memcmp(pkt, rr, len) == 0,
		      "%s: the same index encrypted (E=1) is then accepted", name);
	}
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

	test_rfc3711_b2();
	test_rfc3711_b3();
	test_rfc7714();
	test_published_vectors();
	test_against_reference(PONTE_SRTP_AES128_CM_SHA1_80, "AES128_CM_SHA1_80");
	test_against_reference(PONTE_SRTP_AES128_CM_SHA1_32, "AES128_CM_SHA1_32");
	test_against_reference(PONTE_SRTP_AEAD_AES_128_GCM, "AEAD_AES_128_GCM");
	test_against_reference(PONTE_SRTP_AEAD_AES_256_GCM, "AEAD_AES_256_GCM");
	return tap_done();
}
