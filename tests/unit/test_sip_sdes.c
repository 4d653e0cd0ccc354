/* SPDX-License-Identifier: MIT */
/*
 * SDES-SRTP on the SIP side (control/sip_sdes.c, control/sip_sdp.c, the sip.srtp keys).
 * Proves:
 * - a=crypto key parameters round-trip (format, parse) for every suite, with the sizes RFC 4568
 *   §6.2 and RFC 7714 §12 give, and agree with OpenSSL's base64 (an independent encoder) on the
 *   RFC 3711 Appendix B.3 master key and salt and on RFC 4568's example keys;
 * - every refusal: a suite we do not do (RFC 4568's F8, RFC 6188's AES-256-CM), MKI, lifetimes
 *   under 2^31 or over 2^48 (2^31 and 2^48 accepted, decimal too), several inline keys, KDR,
 *   UNENCRYPTED_SRTP/SRTCP, UNAUTHENTICATED_SRTP, FEC_ORDER, FEC_KEY, an unknown parameter (and
 *   "-"-prefixed ones and WSH accepted), another key method, bad base64, keys of the wrong
 *   length; no reason ever quotes the key; RFC 4568 §8.1 and §9.x example lines, through the
 *   SDP parser;
 * - fresh keys: random, of the suite's sizes, different per suite and per call;
 * - offers in the three modes: RTP/AVP plain, RTP/AVP with a line per suite (tags 1..n), RTP/SAVP
 *   with them, keys in the SDP equal to the state's;
 * - answers: a line with our tag takes the phone's key for rx and ours of that tag for tx; no
 *   a=crypto is plain under sdes-optional and an error under sdes-mandatory; unusable lines
 *   (MKI) likewise, the error naming why; RTP/SAVP under off is refused;
 * - lines that break RFC 4568's grammar (another key method, bad base64, a bad tag, no key) are
 *   skipped like unusable ones: a usable line before or after them is taken; with none the SDP is
 *   refused naming each ("a=crypto:?" for a tag that does not parse), no key quoted; under
 *   sdes-optional in RTP/AVP, plain RTP; a session-level a=crypto is ignored;
 * - calls from phones: sip_sdp_check_offer() refuses (for the 488's Warning) RTP/SAVP under off,
 *   sdes-mandatory without crypto or with none usable, and accepts RTP/AVP with crypto under off
 *   (answered plain); the answer takes the phone's first usable line (its tag and suite, our key
 *   of that suite), keeps RTP/SAVP or RTP/AVP as offered, and printing it again (a re-INVITE)
 *   gives the same key;
 * - the configuration keys: defaults, values, and FILE:LINE:COL errors for unknown names.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <openssl/evp.h>

#include "config.h"
#include "sdp.h"
#include "sip_sdes.h"
#include "sip_sdp.h"
#include "tap.h"

#define ERR_LEN 256

/* ---- helpers ---- */

static struct ponte_config *config(const char *yaml)
{
	GPtrArray *errors = g_ptr_array_new_with_free_func(g_free);
	struct ponte_config *cfg = NULL;

	if (ponte_config_parse("test", yaml, strlen(yaml), errors, &cfg) != 0) {
		for (unsigned i = 0; i < errors->len; i++)
			printf("# config error: %s\n", (char *)errors->pdata[i]);
	}
	g_ptr_array_free(errors, TRUE);
	return cfg;
}

static bool is_key_equal(const struct ponte_srtp_key *a, const struct ponte_srtp_key *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

/* The base64 of key||salt by OpenSSL, an encoder independent of ours. */
static void openssl_b64(const struct ponte_srtp_key *k, char *out)
{
	unsigned char in[64];

	memcpy(in, k->key, k->key_len);
	memcpy(in + k->key_len, k->salt, k->salt_len);
	EVP_EncodeBlock((unsigned char *)out, in, k->key_len + k->salt_len);
}

static int hex_to_bytes(const char *hex, uint8_t *out)
{
	int n = 0;

	for (; hex[0] && hex[1]; hex += 2)
		out[n++] = (uint8_t)strtoul((char[]){hex[0], hex[1], 0}, NULL, 16);
	return n;
}

/* The a=crypto lines of the first audio section of text, parsed; returns how many. */
static unsigned crypto_lines(const char *text, struct sip_sdes_crypto *out, unsigned max,
			     const char **proto)
{
	struct sdp *sdp = NULL;
	char err[ERR_LEN];
	unsigned n = 0, pos = 0;
	const struct sdp_attr *a;
	static char proto_buf[32];

	if (sdp_parse(text, strlen(text), &sdp, err, sizeof(err)) != 0) {
		printf("# unparsable SDP: %s\n", err);
		return 0;
	}
	g_strlcpy(proto_buf, sdp->media[0].proto, sizeof(proto_buf));
	if (proto != NULL)
		*proto = proto_buf;
	while (n < max && (a = sdp_attr_next(sdp->media[0].attrs, sdp->media[0].nb_attrs, &pos,
					     SDP_ATTR_CRYPTO)) != NULL) {
		char why[128];

		if (sip_sdes_parse(&a->u.crypto, &out[n], why, sizeof(why)) != 0)
			printf("# our own line does not parse: %s\n", why);
		n++;
	}
	sdp_free(sdp);
	return n;
}

/* ---- sip_sdes.c ---- */

static void test_suites(void)
{
	static const struct {
		const char *name;
		uint16_t profile;
		unsigned b64_len;
	} want[] = {
	    {"AES_CM_128_HMAC_SHA1_80", PONTE_SRTP_AES128_CM_SHA1_80, 40},
	    {"AES_CM_128_HMAC_SHA1_32", PONTE_SRTP_AES128_CM_SHA1_32, 40},
	    {"AEAD_AES_128_GCM", PONTE_SRTP_AEAD_AES_128_GCM, 40},
	    {"AEAD_AES_256_GCM", PONTE_SRTP_AEAD_AES_256_GCM, 60},
	};

	for (size_t i = 0; i < G_N_ELEMENTS(want); i++) {
		struct ponte_srtp_key k, k2;
		struct sip_sdes_crypto back;
		char params[SIP_SDES_KEY_PARAMS_LEN], ref[128], line[256], why[128] = "";
		uint8_t key_len, salt_len;

		ponte_srtp_profile_sizes(want[i].profile, &key_len, &salt_len, NULL);
		CHECK(sip_sdes_suite_profile(want[i].name) == want[i].profile &&
			  strcmp(sip_sdes_suite_name(want[i].profile), want[i].name) == 0,
		      "%s is profile %#x and back", want[i].name, want[i].profile);
		CHECK(sip_sdes_key_new(want[i].profile, &k) == 0 && k.profile == want[i].profile &&
			  k.key_len == key_len && k.salt_len == salt_len,
		      "%s: a new key of %u + %u bytes", want[i].name, key_len, salt_len);
		CHECK(sip_sdes_key_new(want[i].profile, &k2) == 0 && !is_key_equal(&k, &k2) &&
			  memcmp(k.key, k2.key, key_len) != 0 &&
			  memcmp(k.salt, k2.salt, salt_len) != 0,
		      "%s: two new keys differ (key and salt)", want[i].name);
		CHECK(sip_sdes_key_params(&k, params, sizeof(params)) == 0 &&
			  strncmp(params, "inline:", 7) == 0 &&
			  strlen(params + 7) == want[i].b64_len,
		      "%s: inline: and %u base64 characters", want[i].name, want[i].b64_len);
		openssl_b64(&k, ref);
		CHECK_STR(params + 7, ref, "and they are OpenSSL's base64 of key||salt");
		snprintf(line, sizeof(line), "42 %s %s", want[i].name, params);
		CHECK(sip_sdes_parse_value(line, &back, why, sizeof(why)) == 0 && back.tag == 42 &&
			  is_key_equal(&back.key, &k),
		      "%s: the line parses back to the same tag and key %s", want[i].name, why);
	}
	CHECK(sip_sdes_suite_profile("F8_128_HMAC_SHA1_80") == PONTE_SRTP_NULL &&
		  sip_sdes_suite_profile("AES_256_CM_HMAC_SHA1_80") == PONTE_SRTP_NULL &&
		  sip_sdes_suite_profile("aes_cm_128_hmac_sha1_80") == PONTE_SRTP_NULL &&
		  sip_sdes_suite_name(PONTE_SRTP_NULL) == NULL,
	      "F8, AES-256-CM and a lower-case name are not suites of ours");
	{
		struct ponte_srtp_key k;
		char small[20];

		CHECK(sip_sdes_key_new(PONTE_SRTP_NULL, &k) == -EINVAL &&
			  sip_sdes_key_new(0x1234, &k) == -EINVAL,
		      "no key for NULL or an unknown profile");
		sip_sdes_key_new(PONTE_SRTP_AES128_CM_SHA1_80, &k);
		CHECK(sip_sdes_key_params(&k, small, sizeof(small)) == -ENOSPC,
		      "a short buffer is -ENOSPC");
		k.key_len = 32;
		CHECK(sip_sdes_key_params(&k, small, sizeof(small)) == -EINVAL,
		      "a key of the wrong size is -EINVAL");
	}
}

/* RFC 3711 Appendix B.3's master key and salt: the base64 we print is OpenSSL's. */
static void test_rfc3711_key(void)
{
	struct ponte_srtp_key k = {
	    .profile = PONTE_SRTP_AES128_CM_SHA1_80, .key_len = 16, .salt_len = 14};
	struct sip_sdes_crypto back;
	char params[SIP_SDES_KEY_PARAMS_LEN], ref[64], line[128], why[128];

	hex_to_bytes("E1F97A0D3E018BE0D64FA32C06DE4139", k.key);
	hex_to_bytes("0EC675AD498AFEEBB6960B3AABE6", k.salt);
	openssl_b64(&k, ref);
	CHECK(sip_sdes_key_params(&k, params, sizeof(params)) == 0 && strcmp(params + 7, ref) == 0,
	      "RFC 3711 B.3 key||salt: inline:%s", ref);
	CHECK_STR(ref, "4fl6DT4Bi+DWT6MsBt5BOQ7Gda1Jiv7rtpYLOqvm", "(the base64 written out)");
	snprintf(line, sizeof(line), "1 AES_CM_128_HMAC_SHA1_80 inline:%s", ref);
	CHECK(sip_sdes_parse_value(line, &back, why, sizeof(why)) == 0 &&
		  is_key_equal(&back.key, &k),
	      "and it parses back to the RFC's key and salt");
}

struct refusal {
	const char *value;
	int rc;
	const char *why; /* a substring of the reason */
};

/* RFC 4568's example keys (§8.1, §9.x). */
#define KEY1 "PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR"
#define KEY2 "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz"
#define KEY3 "d0RmdmcmVCspeEc3QGZiNWpVLFJhQX1cfHAwJSoj"

static const struct refusal refusals[] = {
    /* RFC 4568 §9.2 and §8.1, as written: MKI (and a 2^20 lifetime). */
    {"1 AES_CM_128_HMAC_SHA1_80 inline:" KEY1 "|2^20|1:32", -ENOTSUP, "lifetime under 2^31"},
    {"1 AES_CM_128_HMAC_SHA1_80 inline:" KEY1 "|1:32", -ENOTSUP, "MKI"},
    {"1 AES_CM_128_HMAC_SHA1_80 inline:" KEY1 "|2^31|1:4", -ENOTSUP, "MKI"},
    {"1 AES_CM_128_HMAC_SHA1_80 inline:" KEY1 "|1:x", -EINVAL, "MKI does not parse"},
    {"1 AES_CM_128_HMAC_SHA1_80 inline:" KEY1 "|1048576", -ENOTSUP, "under 2^31"},
    {"1 AES_CM_128_HMAC_SHA1_80 inline:" KEY1 "|2^49", -ENOTSUP, "maximum of 2^48"},
    {"1 AES_CM_128_HMAC_SHA1_80 inline:" KEY1 "|2^99999999999999999999", -ENOTSUP, "2^48"},
    {"1 AES_CM_128_HMAC_SHA1_80 inline:" KEY1 "|281474976710657", -ENOTSUP, "2^48"},
    {"1 AES_CM_128_HMAC_SHA1_80 inline:" KEY1 "|2^x", -EINVAL, "not a number"},
    {"1 AES_CM_128_HMAC_SHA1_80 inline:" KEY1 "|2^31|2^31", -EINVAL, "two lifetimes"},
    {"1 AES_CM_128_HMAC_SHA1_80 inline:" KEY1 "|", -EINVAL, "empty field"},
    /* RFC 4568 §9.x: two keys on one line, and FEC. */
    {"1 AES_CM_128_HMAC_SHA1_80 inline:" KEY1 ";inline:" KEY2, -ENOTSUP, "several keys"},
    {"1 AES_CM_128_HMAC_SHA1_80 inline:" KEY2 " FEC_ORDER=FEC_SRTP", -ENOTSUP, "FEC_ORDER"},
    {"1 AES_CM_128_HMAC_SHA1_80 inline:" KEY2 " FEC_KEY=inline:" KEY3, -ENOTSUP, "FEC_KEY"},
    {"1 AES_CM_128_HMAC_SHA1_80 inline:" KEY1 " KDR=23", -ENOTSUP, "KDR"},
    {"1 AES_CM_128_HMAC_SHA1_80 inline:" KEY1 " UNENCRYPTED_SRTP", -ENOTSUP, "UNENCRYPTED_SRTP"},
    {"1 AES_CM_128_HMAC_SHA1_80 inline:" KEY1 " UNENCRYPTED_SRTCP", -ENOTSUP, "UNENCRYPTED_SRTCP"},
    {"1 AES_CM_128_HMAC_SHA1_80 inline:" KEY1 " UNAUTHENTICATED_SRTP", -ENOTSUP,
     "UNAUTHENTICATED_SRTP"},
    {"1 AES_CM_128_HMAC_SHA1_80 inline:" KEY1 " WSH=64 NEW_THING=1", -ENOTSUP,
     "unknown session parameter NEW_THING"},
    {"1 AES_CM_128_HMAC_SHA1_80 inline:" KEY1 " WSH=x", -EINVAL, "WSH"},
    /* Suites we do not do. */
    {"1 F8_128_HMAC_SHA1_80 inline:" KEY1, -ENOTSUP, "F8_128_HMAC_SHA1_80 is not supported"},
    {"1 AES_256_CM_HMAC_SHA1_80 inline:" KEY1 KEY2, -ENOTSUP, "AES_256_CM_HMAC_SHA1_80"},
    /* Malformed keys. */
    {"1 AES_CM_128_HMAC_SHA1_80 inline:" KEY1 "AAAA", -EINVAL, "33 bytes"},
    {"1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtx", -EINVAL, "27 bytes"},
    {"1 AEAD_AES_128_GCM inline:" KEY1, -EINVAL, "30 bytes, the suite's key and salt are 28"},
    {"1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVm!jkpPywjNWhcYD0mXXtxaVBR", -EINVAL,
     "not base64"},
    /* 39 characters: unpadded base64 of 29 bytes. */
    {"1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVB", -EINVAL,
     "29 bytes"},
    {"1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBRA", -EINVAL,
     "not base64"},
    {"1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVB===", -EINVAL,
     "not base64"},
    {"1 AES_CM_128_HMAC_SHA1_80 inline:PS1u=CVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR", -EINVAL,
     "not base64"},
    {"1 AES_CM_128_HMAC_SHA1_80 inline:", -EINVAL, "0 bytes"},
    {"1 AES_CM_128_HMAC_SHA1_80 uri:https://example.com/key", -EINVAL, "not inline"},
    {"1 AES_CM_128_HMAC_SHA1_80", -EINVAL, "TAG SUITE KEY-PARAMS"},
    {"x AES_CM_128_HMAC_SHA1_80 inline:" KEY1, -EINVAL, "tag"},
};

static const struct {
	const char *value;
	uint32_t tag;
} accepted[] = {
    {"1 AES_CM_128_HMAC_SHA1_80 inline:" KEY1, 1},
    {"2 AES_CM_128_HMAC_SHA1_32 inline:" KEY1 "|2^31", 2},
    {"3 AES_CM_128_HMAC_SHA1_80 inline:" KEY1 "|2^48", 3},
    {"4 AES_CM_128_HMAC_SHA1_80 inline:" KEY1 "|2147483648", 4},
    {"5 AES_CM_128_HMAC_SHA1_80 inline:" KEY1 "|281474976710656 WSH=128", 5},
    {"999999999 AES_CM_128_HMAC_SHA1_80 inline:" KEY1 " -OPTIONAL_THING=1 WSH=64", 999999999},
    /* Without padding where the RFC's base64 has it (28 bytes: 37 characters, then "=="). */
    {"7 AEAD_AES_128_GCM inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaQ==", 7},
    {"8 AEAD_AES_128_GCM inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaQ", 8},
};

static void test_parse(void)
{
	uint8_t rfc_key[30];
	EVP_DecodeBlock(rfc_key, (const unsigned char *)KEY1, 40);

	for (size_t i = 0; i < G_N_ELEMENTS(accepted); i++) {
		struct sip_sdes_crypto c;
		char why[128] = "";
		int rc = sip_sdes_parse_value(accepted[i].value, &c, why, sizeof(why));

		CHECK(rc == 0 && c.tag == accepted[i].tag, "accepted: %.60s... %s",
		      accepted[i].value, why);
		if (rc == 0 && c.key.profile != PONTE_SRTP_AEAD_AES_128_GCM)
			CHECK(memcmp(c.key.key, rfc_key, 16) == 0 &&
				  memcmp(c.key.salt, rfc_key + 16, 14) == 0,
			      "  its key and salt are the RFC key's bytes (OpenSSL's decoding)");
		else if (rc == 0)
			CHECK(c.key.key_len == 16 && c.key.salt_len == 12 &&
				  memcmp(c.key.key, rfc_key, 16) == 0 &&
				  memcmp(c.key.salt, rfc_key + 16, 12) == 0,
			      "  a GCM key of 16 + 12 bytes, padded or not");
	}
	for (size_t i = 0; i < G_N_ELEMENTS(refusals); i++) {
		struct sip_sdes_crypto c;
		char why[128] = "";
		int rc;

		memset(&c, 0xaa, sizeof(c));
		rc = sip_sdes_parse_value(refusals[i].value, &c, why, sizeof(why));
		CHECK(rc == refusals[i].rc && strstr(why, refusals[i].why) != NULL &&
			  c.key.profile == 0 && c.key.key[0] == 0,
		      "refused (%s, \"%s\"): %.70s", rc == -ENOTSUP ? "ENOTSUP" : "EINVAL", why,
		      refusals[i].value);
		CHECK(strstr(why, "PS1u") == NULL && strstr(why, "WVNf") == NULL &&
			  strstr(why, "d0Rm") == NULL,
		      "  and the reason quotes no key");
	}
}

/* RFC 4568's example lines inside whole SDPs, through sdp_parse() as the gateway reads them. */
static void test_rfc_examples(void)
{
	static const char sdp_text[] =
	    "v=0\r\n"
	    "o=sam 2890844526 2890842807 IN IP4 10.47.16.5\r\n"
	    "s=SRTP Discussion\r\n"
	    "c=IN IP4 168.2.17.12\r\n"
	    "t=2873397496 2873404696\r\n"
	    "m=audio 49170 RTP/SAVP 0\r\n"
	    "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY3 "|2^20|1:4 FEC_ORDER=FEC_SRTP\r\n"
	    "a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:" KEY1 "|2^20|1:4;inline:" KEY2
	    "|2^20|2:4 FEC_ORDER=FEC_SRTP\r\n"
	    "a=crypto:3 AES_CM_128_HMAC_SHA1_32 inline:" KEY3 "\r\n";
	struct sdp *sdp = NULL;
	char err[ERR_LEN];
	const struct sdp_attr *a;
	unsigned pos = 0;
	int rcs[3], n = 0;

	CHECK(sdp_parse(sdp_text, strlen(sdp_text), &sdp, err, sizeof(err)) == 0,
	      "RFC 4568 §9.2-style SDP parses %s", err);
	if (sdp == NULL)
		return;
	while (n < 3 && (a = sdp_attr_next(sdp->media[0].attrs, sdp->media[0].nb_attrs, &pos,
					   SDP_ATTR_CRYPTO)) != NULL) {
		struct sip_sdes_crypto c;
		char why[128];

		rcs[n++] = sip_sdes_parse(&a->u.crypto, &c, why, sizeof(why));
	}
	CHECK(n == 3 && rcs[0] == -ENOTSUP && rcs[1] == -ENOTSUP && rcs[2] == 0,
	      "its MKI/FEC and two-key lines are refused, the plain third line taken");
	sdp_free(sdp);
}

/* ---- offers and answers ---- */

static const char browser_offer[] = "v=0\r\n"
				    "o=- 1 2 IN IP4 127.0.0.1\r\n"
				    "s=-\r\n"
				    "t=0 0\r\n"
				    "m=audio 9 UDP/TLS/RTP/SAVPF 111 0 101\r\n"
				    "c=IN IP4 0.0.0.0\r\n"
				    "a=mid:0\r\n"
				    "a=rtpmap:111 opus/48000/2\r\n"
				    "a=rtpmap:0 PCMU/8000\r\n"
				    "a=rtpmap:101 telephone-event/8000\r\n";

static char *make_offer(const struct ponte_config *cfg, struct sip_sdp_offer *st)
{
	struct sdp *b = NULL;
	char err[ERR_LEN] = "";
	char *text = NULL;

	sdp_parse(browser_offer, strlen(browser_offer), &b, err, sizeof(err));
	if (sip_sdp_make_offer(cfg, b, "127.0.0.1", 40000, 7, &text, st, err, sizeof(err)) != 0)
		printf("# make_offer: %s\n", err);
	sdp_free(b);
	return text;
}

/* A phone's SDP: audio over proto with PCMU and telephone-event, then extra lines. */
static char *phone_sdp(const char *proto, const char *extra)
{
	return g_strdup_printf("v=0\r\n"
			       "o=phone 1 1 IN IP4 127.0.0.1\r\n"
			       "s=-\r\n"
			       "c=IN IP4 127.0.0.1\r\n"
			       "t=0 0\r\n"
			       "m=audio 6000 %s 0 101\r\n"
			       "a=rtpmap:0 PCMU/8000\r\n"
			       "a=rtpmap:101 telephone-event/8000\r\n"
			       "%s",
			       proto, extra);
}

static void test_offers(void)
{
	struct ponte_config *off = config("sip: {srtp: off}\n");
	struct ponte_config *opt = config("sip: {srtp: sdes-optional}\n");
	struct ponte_config *mand = config("sip:\n  srtp: sdes-mandatory\n"
					   "  srtp_profiles: [AEAD_AES_256_GCM, "
					   "AES_CM_128_HMAC_SHA1_32, AES_CM_128_HMAC_SHA1_80, "
					   "AEAD_AES_128_GCM]\n");
	struct sip_sdp_offer st, st2;
	struct sip_sdes_crypto lines[8];
	const char *proto = "";
	char *text;
	unsigned n;

	CHECK(off != NULL && opt != NULL && mand != NULL, "the three configurations parse");
	if (off == NULL || opt == NULL || mand == NULL)
		return;
	text = make_offer(off, &st);
	n = crypto_lines(text, lines, 8, &proto);
	CHECK(text != NULL && n == 0 && strcmp(proto, "RTP/AVP") == 0 && st.nb_crypto == 0,
	      "off: RTP/AVP, no a=crypto (%s, %u lines)", proto, n);
	g_free(text);

	text = make_offer(opt, &st);
	n = crypto_lines(text, lines, 8, &proto);
	CHECK(text != NULL && strcmp(proto, "RTP/AVP") == 0 && n == 2 && st.nb_crypto == 2,
	      "sdes-optional: RTP/AVP with %u a=crypto lines (best effort)", n);
	CHECK(n == 2 && lines[0].tag == 1 && lines[1].tag == 2 &&
		  lines[0].key.profile == PONTE_SRTP_AES128_CM_SHA1_80 &&
		  lines[1].key.profile == PONTE_SRTP_AES128_CM_SHA1_32,
	      "  tags 1 and 2: AES_CM_128_HMAC_SHA1_80 then _32 (the default sip.srtp_profiles)");
	CHECK(n == 2 && is_key_equal(&lines[0].key, &st.crypto[0].key) &&
		  is_key_equal(&lines[1].key, &st.crypto[1].key) &&
		  !is_key_equal(&lines[0].key, &lines[1].key),
	      "  their keys are the state's, one per suite");
	CHECK(text != NULL && strstr(text, "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:") != NULL,
	      "  as RFC 4568 §9.1 writes them");
	g_free(text);
	text = make_offer(opt, &st2);
	CHECK(!is_key_equal(&st.crypto[0].key, &st2.crypto[0].key), "another call gets other keys");
	g_free(text);

	text = make_offer(mand, &st);
	n = crypto_lines(text, lines, 8, &proto);
	CHECK(text != NULL && strcmp(proto, "RTP/SAVP") == 0 && n == 4 &&
		  lines[0].key.profile == PONTE_SRTP_AEAD_AES_256_GCM &&
		  lines[1].key.profile == PONTE_SRTP_AES128_CM_SHA1_32 &&
		  lines[2].key.profile == PONTE_SRTP_AES128_CM_SHA1_80 &&
		  lines[3].key.profile == PONTE_SRTP_AEAD_AES_128_GCM &&
		  lines[0].key.key_len == 32 && lines[3].key.salt_len == 12,
	      "sdes-mandatory: RTP/SAVP, a line per configured suite in its order (%s, %u)", proto,
	      n);
	g_free(text);
	ponte_config_free(off);
	ponte_config_free(opt);
	ponte_config_free(mand);
}

/* The phone's answer to an offer of ours. */
static void test_answers(void)
{
	struct ponte_config *opt = config("sip: {srtp: sdes-optional}\n");
	struct ponte_config *mand = config("sip: {srtp: sdes-mandatory}\n");
	struct ponte_config *off = config("sip: {}\n");
	struct sip_sdp_offer st;
	struct sip_sdp_answer ans;
	struct sip_sdes_crypto phone;
	char err[ERR_LEN], *ans_text;
	int rc;

	if (opt == NULL || mand == NULL || off == NULL)
		return;
	sip_sdes_parse_value("2 AES_CM_128_HMAC_SHA1_32 inline:" KEY1, &phone, err, sizeof(err));

	g_free(make_offer(opt, &st));
	ans_text = phone_sdp("RTP/AVP", "a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:" KEY1 "\r\n");
	rc = sip_sdp_read_answer(ans_text, &st, &ans, err, sizeof(err));
	CHECK(rc == 0 && is_key_equal(&ans.rx, &phone.key) &&
		  is_key_equal(&ans.tx, &st.crypto[1].key) && ans.crypto_tag == 2 && !ans.is_savp,
	      "optional: the phone takes our tag 2 (_32): rx is its key, tx ours of tag 2");
	g_free(ans_text);

	ans_text = phone_sdp("RTP/AVP", "");
	rc = sip_sdp_read_answer(ans_text, &st, &ans, err, sizeof(err));
	CHECK(rc == 0 && ans.rx.profile == PONTE_SRTP_NULL && ans.tx.profile == PONTE_SRTP_NULL &&
		  ans.codec >= 0,
	      "optional: an answer without a=crypto is plain RTP");
	g_free(ans_text);

	ans_text =
	    phone_sdp("RTP/AVP", "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY1 "|1:4\r\n");
	rc = sip_sdp_read_answer(ans_text, &st, &ans, err, sizeof(err));
	CHECK(rc == 0 && ans.rx.profile == PONTE_SRTP_NULL,
	      "optional: RTP/AVP whose only a=crypto is unusable (MKI) is plain RTP");
	g_free(ans_text);

	ans_text =
	    phone_sdp("RTP/SAVP", "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY1 "|1:4\r\n");
	rc = sip_sdp_read_answer(ans_text, &st, &ans, err, sizeof(err));
	CHECK(rc == -EINVAL && strstr(err, "MKI") != NULL && strstr(err, "PS1u") == NULL,
	      "optional: RTP/SAVP with only that line is an error (\"%s\")", err);
	g_free(ans_text);

	g_free(make_offer(mand, &st));
	ans_text = phone_sdp("RTP/SAVP", "");
	rc = sip_sdp_read_answer(ans_text, &st, &ans, err, sizeof(err));
	CHECK(rc == -EINVAL && strstr(err, "sdes-mandatory") != NULL,
	      "mandatory: an answer without a=crypto is an error (\"%s\")", err);
	g_free(ans_text);
	ans_text = phone_sdp("RTP/AVP", "");
	rc = sip_sdp_read_answer(ans_text, &st, &ans, err, sizeof(err));
	CHECK(rc == -EINVAL && strstr(err, "sdes-mandatory") != NULL,
	      "mandatory: an RTP/AVP answer without a=crypto too");
	g_free(ans_text);
	ans_text =
	    phone_sdp("RTP/SAVP", "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY1 " KDR=1\r\n");
	rc = sip_sdp_read_answer(ans_text, &st, &ans, err, sizeof(err));
	CHECK(rc == -EINVAL && strstr(err, "a=crypto:1: session parameter KDR") != NULL,
	      "mandatory: an answer whose line is refused names why (\"%s\")", err);
	g_free(ans_text);
	ans_text = phone_sdp("RTP/SAVP", "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY1 "\r\n");
	rc = sip_sdp_read_answer(ans_text, &st, &ans, err, sizeof(err));
	CHECK(rc == 0 && ans.is_savp && ans.crypto_tag == 1 &&
		  ans.rx.profile == PONTE_SRTP_AES128_CM_SHA1_80 &&
		  is_key_equal(&ans.tx, &st.crypto[0].key),
	      "mandatory: RTP/SAVP with our tag 1: SRTP both ways");
	g_free(ans_text);
	{
		/* A refused stream (port 0) needs no keys. */
		char *sdp = phone_sdp("RTP/SAVP", "");
		gchar **parts = g_strsplit(sdp, "m=audio 6000 ", 2);
		char *refused = g_strjoinv("m=audio 0 ", parts);

		rc = sip_sdp_read_answer(refused, &st, &ans, err, sizeof(err));
		CHECK(rc == 0 && ans.rtp.port == 0, "mandatory: a refused audio stream (port 0) "
						    "is no SRTP error");
		g_free(refused);
		g_strfreev(parts);
		g_free(sdp);
	}

	g_free(make_offer(off, &st));
	ans_text = phone_sdp("RTP/SAVP", "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY1 "\r\n");
	rc = sip_sdp_read_answer(ans_text, &st, &ans, err, sizeof(err));
	CHECK(rc == -EINVAL && strstr(err, "sip.srtp is off") != NULL,
	      "off: an RTP/SAVP answer is an error (\"%s\")", err);
	g_free(ans_text);
	ans_text = phone_sdp("RTP/AVP", "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY1 "\r\n");
	rc = sip_sdp_read_answer(ans_text, &st, &ans, err, sizeof(err));
	CHECK(rc == 0 && ans.rx.profile == PONTE_SRTP_NULL,
	      "off: a=crypto in RTP/AVP is ignored, plain RTP");
	g_free(ans_text);
	sip_sdp_answer_wipe(&ans);
	sip_sdp_offer_wipe(&st);
	CHECK(ans.rx.key[0] == 0 && ans.tx.profile == 0 && st.nb_crypto == 0 &&
		  st.crypto[0].key.profile == 0,
	      "the wipe functions clear the keys");
	ponte_config_free(opt);
	ponte_config_free(mand);
	ponte_config_free(off);
}

/* Calls from phones: check_offer, then read the offer and answer it. */
static void test_incoming(void)
{
	struct ponte_config *opt = config("sip: {srtp: sdes-optional}\n");
	struct ponte_config *mand = config("sip: {srtp: sdes-mandatory}\n");
	struct ponte_config *off = config("sip: {srtp: \"off\"}\n");
	struct ponte_config *gcm =
	    config("sip: {srtp: sdes-mandatory, srtp_profiles: [AEAD_AES_128_GCM]}\n");
	static const char savp_lines[] =
	    "a=crypto:1 AES_256_CM_HMAC_SHA1_80 inline:" KEY1 KEY2 "\r\n"
	    "a=crypto:5 AES_CM_128_HMAC_SHA1_32 inline:" KEY1 "\r\n"
	    "a=crypto:6 AES_CM_128_HMAC_SHA1_80 inline:" KEY2 "\r\n";
	struct sip_sdp_offer st;
	struct sip_sdp_answer ans;
	struct sip_sdes_crypto lines[4], phone5;
	const char *proto = "";
	char err[ERR_LEN], *offer, *answer, *again;
	unsigned n;
	int rc;

	if (opt == NULL || mand == NULL || off == NULL || gcm == NULL)
		return;
	sip_sdes_parse_value("5 AES_CM_128_HMAC_SHA1_32 inline:" KEY1, &phone5, err, sizeof(err));

	offer = phone_sdp("RTP/SAVP", savp_lines);
	err[0] = '\0';
	CHECK(sip_sdp_check_offer(off, offer, err, sizeof(err)) == -EINVAL &&
		  strstr(err, "sip.srtp is off") != NULL,
	      "off: an RTP/SAVP offer is refused before ringing (\"%s\")", err);
	CHECK(sip_sdp_check_offer(mand, offer, err, sizeof(err)) == 0 &&
		  sip_sdp_check_offer(opt, offer, err, sizeof(err)) == 0,
	      "mandatory and optional: it can be answered");
	CHECK(sip_sdp_check_offer(gcm, offer, err, sizeof(err)) == -EINVAL &&
		  strstr(err, "not in sip.srtp_profiles") != NULL &&
		  strstr(err, "AES_256_CM_HMAC_SHA1_80 is not supported") != NULL &&
		  strstr(err, "PS1u") == NULL && strstr(err, "WVNf") == NULL,
	      "GCM only: refused, each line's reason named, no key quoted (\"%s\")", err);

	/* The bridge reads the phone's offer with read_answer against the offer it would make
	 * from the browser's, then answers. */
	g_free(make_offer(mand, &st));
	rc = sip_sdp_read_answer(offer, &st, &ans, err, sizeof(err));
	CHECK(rc == 0 && ans.crypto_tag == 5 && is_key_equal(&ans.rx, &phone5.key) &&
		  is_key_equal(&ans.tx, &st.crypto[1].key) && ans.is_savp,
	      "mandatory: the phone's first usable line (5, _32) is taken: rx its key, tx ours "
	      "of that suite");
	rc = sip_sdp_make_answer(&st, &ans, "127.0.0.1", 40000, 9, &answer);
	n = crypto_lines(answer, lines, 4, &proto);
	CHECK(rc == 0 && n == 1 && strcmp(proto, "RTP/SAVP") == 0 && lines[0].tag == 5 &&
		  lines[0].key.profile == PONTE_SRTP_AES128_CM_SHA1_32 &&
		  is_key_equal(&lines[0].key, &st.crypto[1].key) &&
		  !is_key_equal(&lines[0].key, &phone5.key),
	      "  the answer: RTP/SAVP, one a=crypto with its tag and suite, and our own key");
	/* A re-INVITE reads the phone's SDP again and answers again: same keys. */
	rc = sip_sdp_read_answer(offer, &st, &ans, err, sizeof(err));
	rc |= sip_sdp_make_answer(&st, &ans, "127.0.0.1", 40000, 9, &again);
	CHECK(rc == 0 && strcmp(answer, again) == 0, "  answering again gives the same SDP, keys "
						     "included (re-INVITE)");
	g_free(answer);
	g_free(again);
	g_free(offer);

	/* RTP/AVP with a=crypto: SRTP under optional and mandatory, plain under off. */
	offer = phone_sdp("RTP/AVP", "a=crypto:3 AES_CM_128_HMAC_SHA1_80 inline:" KEY2 "\r\n");
	CHECK(sip_sdp_check_offer(off, offer, err, sizeof(err)) == 0,
	      "off: RTP/AVP with a=crypto can be answered (plain)");
	g_free(make_offer(off, &st));
	sip_sdp_read_answer(offer, &st, &ans, err, sizeof(err));
	rc = sip_sdp_make_answer(&st, &ans, "127.0.0.1", 40000, 9, &answer);
	n = crypto_lines(answer, lines, 4, &proto);
	CHECK(rc == 0 && n == 0 && strcmp(proto, "RTP/AVP") == 0 &&
		  ans.rx.profile == PONTE_SRTP_NULL,
	      "  answered RTP/AVP without a=crypto");
	g_free(answer);
	g_free(make_offer(opt, &st));
	rc = sip_sdp_read_answer(offer, &st, &ans, err, sizeof(err));
	rc |= sip_sdp_make_answer(&st, &ans, "127.0.0.1", 40000, 9, &answer);
	n = crypto_lines(answer, lines, 4, &proto);
	CHECK(rc == 0 && n == 1 && strcmp(proto, "RTP/AVP") == 0 && lines[0].tag == 3 &&
		  is_key_equal(&lines[0].key, &st.crypto[0].key) && !ans.is_savp,
	      "optional: answered RTP/AVP with a=crypto:3 and our key: SRTP");
	g_free(answer);
	g_free(offer);

	/* sdes-mandatory and nothing usable. */
	offer = phone_sdp("RTP/AVP", "");
	err[0] = '\0';
	CHECK(sip_sdp_check_offer(mand, offer, err, sizeof(err)) == -EINVAL &&
		  strstr(err, "no a=crypto") != NULL && strstr(err, "sdes-mandatory") != NULL,
	      "mandatory: a plain offer is refused (\"%s\")", err);
	CHECK(sip_sdp_check_offer(opt, offer, err, sizeof(err)) == 0,
	      "optional: it is answered plain");
	g_free(offer);
	offer = phone_sdp("RTP/SAVP", "");
	CHECK(sip_sdp_check_offer(opt, offer, err, sizeof(err)) == -EINVAL &&
		  strstr(err, "without a=crypto") != NULL,
	      "optional: RTP/SAVP without a=crypto is refused (\"%s\")", err);
	g_free(offer);
	offer = phone_sdp(
	    "RTP/SAVP", "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY1 "|2^20|1:4\r\n"
			"a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:" KEY1 " UNENCRYPTED_SRTP\r\n");
	CHECK(sip_sdp_check_offer(mand, offer, err, sizeof(err)) == -EINVAL &&
		  strstr(err, "a=crypto:1: a key lifetime under 2^31") != NULL &&
		  strstr(err, "a=crypto:2: session parameter UNENCRYPTED_SRTP") != NULL,
	      "mandatory: lines we do not do are refused, each named (\"%s\")", err);
	g_free(offer);
	offer = phone_sdp("RTP/SAVPF", "a=crypto:1 AEAD_AES_128_GCM inline:" KEY3 "\r\n");
	CHECK(sip_sdp_check_offer(gcm, offer, err, sizeof(err)) == -EINVAL &&
		  strstr(err, "30 bytes") != NULL,
	      "a GCM line with an AES-CM-sized key is refused (\"%s\")", err);
	g_free(offer);
	offer = phone_sdp("UDP/TLS/RTP/SAVP", "");
	CHECK(sip_sdp_check_offer(mand, offer, err, sizeof(err)) == -EINVAL &&
		  strstr(err, "RTP/AVP or RTP/SAVP") != NULL,
	      "DTLS-SRTP offers are refused (\"%s\")", err);
	g_free(offer);
	ponte_config_free(opt);
	ponte_config_free(mand);
	ponte_config_free(off);
	ponte_config_free(gcm);
}

/*
 * RFC 4568 §7.1.2: a line the answerer cannot parse is skipped like one it cannot use; the SDP
 * is refused (488) only when no line is usable. (The SDP parser, sdp_parse(), stays strict about
 * a=crypto's grammar: sip_sdp.c reads the phone's lines itself.)
 */
static void test_malformed_lines(void)
{
	struct ponte_config *mand = config("sip: {srtp: sdes-mandatory}\n");
	struct ponte_config *opt = config("sip: {srtp: sdes-optional}\n");
	/* Each breaks RFC 4568 §9.1 in its own way; none can be used. */
	static const char bad_lines[] =
	    "a=crypto:1 AES_CM_128_HMAC_SHA1_80 uri:sip:keys@example.com\r\n"
	    "a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:" KEY1 "$$\r\n"
	    "a=crypto:x AES_CM_128_HMAC_SHA1_80 inline:" KEY1 "\r\n"
	    "a=crypto:4\r\n"
	    "a=crypto:1234567890 AES_CM_128_HMAC_SHA1_80 inline:" KEY1 "\r\n";
	static const char good_line[] = "a=crypto:7 AES_CM_128_HMAC_SHA1_32 inline:" KEY2 "\r\n";
	struct sip_sdp_offer st;
	struct sip_sdp_answer ans;
	struct sip_sdes_crypto phone7, lines[4];
	const char *proto = "";
	char err[ERR_LEN], *sdp, *answer, *extra;
	int rc;

	if (mand == NULL || opt == NULL)
		return;
	sip_sdes_parse_value("7 AES_CM_128_HMAC_SHA1_32 inline:" KEY2, &phone7, err, sizeof(err));

	/* Malformed lines first, a good one last: the good one is taken. */
	extra = g_strconcat(bad_lines, good_line, NULL);
	sdp = phone_sdp("RTP/SAVP", extra);
	err[0] = '\0';
	rc = sip_sdp_check_offer(mand, sdp, err, sizeof(err));
	CHECK(rc == 0,
	      "malformed a=crypto lines before a good one: the offer can be answered "
	      "(rc %d, \"%s\")",
	      rc, err);
	g_free(make_offer(mand, &st));
	rc = sip_sdp_read_answer(sdp, &st, &ans, err, sizeof(err));
	CHECK(rc == 0 && ans.crypto_tag == 7 && is_key_equal(&ans.rx, &phone7.key) &&
		  is_key_equal(&ans.tx, &st.crypto[1].key) && ans.is_savp,
	      "  the good line (7, _32) is taken: rx its key, tx ours of that suite");
	rc = sip_sdp_make_answer(&st, &ans, "127.0.0.1", 40000, 9, &answer);
	CHECK(rc == 0 && crypto_lines(answer, lines, 4, &proto) == 1 && lines[0].tag == 7 &&
		  strcmp(proto, "RTP/SAVP") == 0,
	      "  and answered with a=crypto:7 alone");
	g_free(answer);
	g_free(sdp);
	g_free(extra);

	/* The good line first: the same, whatever follows. */
	extra = g_strconcat(good_line, bad_lines, NULL);
	sdp = phone_sdp("RTP/SAVP", extra);
	g_free(make_offer(mand, &st));
	rc = sip_sdp_read_answer(sdp, &st, &ans, err, sizeof(err));
	CHECK(rc == 0 && ans.crypto_tag == 7 &&
		  sip_sdp_check_offer(mand, sdp, err, sizeof(err)) == 0,
	      "malformed lines after the good one change nothing");
	g_free(sdp);
	g_free(extra);

	/* Only malformed lines: 488, each line's reason named, no key material quoted. */
	sdp = phone_sdp("RTP/SAVP", bad_lines);
	err[0] = '\0';
	rc = sip_sdp_check_offer(mand, sdp, err, sizeof(err));
	printf("# %s\n", err);
	CHECK(rc == -EINVAL && strstr(err, "no usable a=crypto") != NULL &&
		  strstr(err, "a=crypto:1: the key method is not inline") != NULL &&
		  strstr(err, "a=crypto:2: the key is not base64") != NULL &&
		  strstr(err, "a=crypto:?: the tag is not 1-9 digits") != NULL &&
		  strstr(err, "a=crypto:4: not TAG SUITE KEY-PARAMS") != NULL,
	      "only malformed lines: refused, each named (\"%s\")", err);
	CHECK(strstr(err, "PS1u") == NULL && strstr(err, "keys@example") == NULL,
	      "  no key parameter is quoted");
	g_free(make_offer(mand, &st));
	rc = sip_sdp_read_answer(sdp, &st, &ans, err, sizeof(err));
	CHECK(rc == -EINVAL && strstr(err, "no usable a=crypto") != NULL &&
		  ans.rx.profile == PONTE_SRTP_NULL,
	      "  as an answer: an error too (the call ends, bad-sdp), no key taken");
	g_free(sdp);

	/* The trailing blank of a=crypto:6 is no session parameter: that line alone is fine. */
	sdp = phone_sdp("RTP/SAVP", "a=crypto:6 AES_CM_128_HMAC_SHA1_80 inline:" KEY1 " \r\n");
	CHECK(sip_sdp_check_offer(mand, sdp, err, sizeof(err)) == 0,
	      "a line with a trailing blank is usable (\"%s\")", err);
	g_free(sdp);

	/* sdes-optional, RTP/AVP, only malformed lines: best-effort SRTP declined, plain RTP. */
	sdp = phone_sdp("RTP/AVP", "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY1 "$$\r\n");
	g_free(make_offer(opt, &st));
	rc = sip_sdp_read_answer(sdp, &st, &ans, err, sizeof(err));
	CHECK(rc == 0 && ans.rx.profile == PONTE_SRTP_NULL && ans.tx.profile == PONTE_SRTP_NULL &&
		  sip_sdp_check_offer(opt, sdp, err, sizeof(err)) == 0,
	      "optional: RTP/AVP whose only a=crypto is malformed is plain RTP");
	g_free(sdp);

	/* a=crypto at session level (RFC 4568 §9.1 puts it in media sections): ignored, where the
	 * SDP parser refuses the whole SDP. */
	sdp = g_strdup("v=0\r\n"
		       "o=phone 1 1 IN IP4 127.0.0.1\r\n"
		       "s=-\r\n"
		       "c=IN IP4 127.0.0.1\r\n"
		       "t=0 0\r\n"
		       "a=crypto:9 AES_CM_128_HMAC_SHA1_80 inline:" KEY3 "\r\n"
		       "m=audio 6000 RTP/SAVP 0\r\n"
		       "a=crypto:7 AES_CM_128_HMAC_SHA1_32 inline:" KEY2 "\r\n");
	g_free(make_offer(mand, &st));
	rc = sip_sdp_read_answer(sdp, &st, &ans, err, sizeof(err));
	CHECK(rc == 0 && ans.crypto_tag == 7, "a session-level a=crypto is ignored (rc %d, \"%s\")",
	      rc, err);
	g_free(sdp);
	sip_sdp_offer_wipe(&st);
	sip_sdp_answer_wipe(&ans);
	ponte_config_free(mand);
	ponte_config_free(opt);
}

/* ---- configuration ---- */

static void test_config(void)
{
	struct ponte_config *cfg = ponte_config_defaults();
	GPtrArray *errors;
	struct ponte_config *bad = NULL;
	static const char bad_yaml[] =
	    "sip:\n"
	    "  srtp: sdes-always\n"
	    "  srtp_profiles: [AES_CM_128_HMAC_SHA1_80, F8_128_HMAC_SHA1_80]\n";
	bool has_mode = false, has_suite = false;

	CHECK(cfg->sip.srtp == PONTE_SIP_SRTP_OFF && cfg->sip.srtp_profiles[0] != NULL &&
		  strcmp(cfg->sip.srtp_profiles[0], "AES_CM_128_HMAC_SHA1_80") == 0 &&
		  strcmp(cfg->sip.srtp_profiles[1], "AES_CM_128_HMAC_SHA1_32") == 0 &&
		  cfg->sip.srtp_profiles[2] == NULL,
	      "defaults: sip.srtp off, profiles [AES_CM_128_HMAC_SHA1_80, _32]");
	ponte_config_free(cfg);
	cfg = config("sip:\n  srtp: sdes-optional\n  srtp_profiles: [AEAD_AES_256_GCM]\n");
	CHECK(cfg != NULL && cfg->sip.srtp == PONTE_SIP_SRTP_OPTIONAL &&
		  strcmp(cfg->sip.srtp_profiles[0], "AEAD_AES_256_GCM") == 0 &&
		  cfg->sip.srtp_profiles[1] == NULL,
	      "sdes-optional with one GCM suite");
	ponte_config_free(cfg);
	cfg = config("sip: {srtp: off}\n");
	CHECK(cfg != NULL && cfg->sip.srtp == PONTE_SIP_SRTP_OFF, "off, unquoted, is off");
	ponte_config_free(cfg);

	errors = g_ptr_array_new_with_free_func(g_free);
	CHECK(ponte_config_parse("srtp.yaml", bad_yaml, strlen(bad_yaml), errors, &bad) ==
		      -EINVAL &&
		  bad == NULL,
	      "an unknown mode and an unknown suite are errors");
	for (unsigned i = 0; i < errors->len; i++) {
		const char *e = errors->pdata[i];

		printf("# %s\n", e);
		has_mode |= g_str_has_prefix(e, "srtp.yaml:2:9: sip.srtp: ") &&
			    strstr(e, "sdes-mandatory") != NULL;
		has_suite |= g_str_has_prefix(e, "srtp.yaml:3:44: sip.srtp_profiles[1]: ") &&
			     strstr(e, "F8_128_HMAC_SHA1_80") != NULL;
	}
	CHECK(has_mode, "  sip.srtp's error has FILE:LINE:COL and lists the modes");
	CHECK(has_suite, "  sip.srtp_profiles[1]'s error has FILE:LINE:COL and names the suite");
	g_ptr_array_free(errors, TRUE);
}

int main(void)
{
	test_suites();
	test_rfc3711_key();
	test_parse();
	test_rfc_examples();
	test_offers();
	test_answers();
	test_incoming();
	test_malformed_lines();
	test_config();
	return tap_done();
}
