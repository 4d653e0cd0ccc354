/* SPDX-License-Identifier: MIT */
#include "sip_sdes.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

/* RFC 4568 §6.2 and RFC 7714 §12: the suites whose SRTP the dataplane's profiles implement
 * (include/ponte/srtp.h, dataplane/srtp_profile.c has their key and salt sizes). The _32 suite
 * keeps an 80-bit SRTCP tag (RFC 4568 §6.2.2), as PONTE_SRTP_AES128_CM_SHA1_32 does. */
static const struct {
	const char *name;
	uint16_t profile;
} suites[] = {
    {"AES_CM_128_HMAC_SHA1_80", PONTE_SRTP_AES128_CM_SHA1_80},
    {"AES_CM_128_HMAC_SHA1_32", PONTE_SRTP_AES128_CM_SHA1_32},
    {"AEAD_AES_128_GCM", PONTE_SRTP_AEAD_AES_128_GCM},
    {"AEAD_AES_256_GCM", PONTE_SRTP_AEAD_AES_256_GCM},
};

#define NB_SUITES (sizeof(suites) / sizeof(suites[0]))
#define MAX_KEY_SALT (PONTE_SRTP_MAX_KEY_LEN + PONTE_SRTP_MAX_SALT_LEN)

/* The longest lifetime of every suite we do: 2^48 SRTP packets (RFC 4568 §6.2.1, RFC 7714
 * §12); and the shortest we accept, 2^31, beyond which no call of ours goes (the SRTCP index
 * is 31 bits). Shorter lifetimes would need a rekey we do not do. */
#define LIFETIME_MAX (1ull << 48)
#define LIFETIME_MIN (1ull << 31)

uint16_t sip_sdes_suite_profile(const char *suite)
{
	for (size_t i = 0; suite != NULL && i < NB_SUITES; i++)
		if (strcmp(suites[i].name, suite) == 0)
			return suites[i].profile;
	return PONTE_SRTP_NULL;
}

const char *sip_sdes_suite_name(uint16_t profile)
{
	for (size_t i = 0; i < NB_SUITES; i++)
		if (suites[i].profile == profile)
			return suites[i].name;
	return NULL;
}

int sip_sdes_key_new(uint16_t profile, struct ponte_srtp_key *key)
{
	memset(key, 0, sizeof(*key));
	if (sip_sdes_suite_name(profile) == NULL ||
	    ponte_srtp_profile_sizes(profile, &key->key_len, &key->salt_len, NULL) != 0)
		return -EINVAL;
	key->profile = profile;
	if (RAND_bytes(key->key, key->key_len) != 1 || RAND_bytes(key->salt, key->salt_len) != 1) {
		explicit_bzero(key, sizeof(*key));
		return -EIO;
	}
	return 0;
}

/* ---- base64 (RFC 4648 §4), by hand: key material stays in our own, wiped, buffers ---- */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void b64_encode(const uint8_t *in, size_t len, char *out)
{
	size_t o = 0;
	uint32_t v = 0;

	for (size_t i = 0; i < len; i += 3) {
		v = (uint32_t)in[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < len)
			v |= in[i + 2];
		out[o++] = b64[v >> 18 & 0x3f];
		out[o++] = b64[v >> 12 & 0x3f];
		out[o++] = i + 1 < len ? b64[v >> 6 & 0x3f] : '=';
		out[o++] = i + 2 < len ? b64[v & 0x3f] : '=';
	}
	out[o] = '\0';
	explicit_bzero(&v, sizeof(v));
}

static int b64_value(char c)
{
	const char *p = c != '\0' ? strchr(b64, c) : NULL;

	return p != NULL ? (int)(p - b64) : -1;
}

/*
 * Decode len characters of text into out (at most cap bytes); returns the byte count or -1.
 * Padding is optional (RFC 4568 §6.1 cites RFC 3548 base64, whose padding some senders drop),
 * but when present it must end the text and complete its quantum.
 */
static long b64_decode(const char *text, size_t len, uint8_t *out, size_t cap)
{
	size_t nb_pad = 0, o = 0;
	uint32_t acc = 0;
	unsigned bits = 0;
	bool is_ok = true;

	while (nb_pad < 2 && len > 0 && text[len - 1] == '=') {
		len--;
		nb_pad++;
	}
	if (len % 4 == 1 || (nb_pad > 0 && (len + nb_pad) % 4 != 0))
		return -1;
	for (size_t i = 0; i < len && is_ok; i++) {
		int v = b64_value(text[i]);

		is_ok = v >= 0;
		acc = acc << 6 | (uint32_t)(v & 0x3f);
		bits += 6;
		if (is_ok && bits >= 8) {
			bits -= 8;
			is_ok = o < cap;
			if (is_ok)
				out[o++] = (uint8_t)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	/* The register held key bits. */
	explicit_bzero(&acc, sizeof(acc));
	return is_ok ? (long)o : -1;
}

int sip_sdes_key_params(const struct ponte_srtp_key *key, char *buf, size_t len)
{
	uint8_t material[MAX_KEY_SALT];
	uint8_t key_len, salt_len;

	if (ponte_srtp_profile_sizes(key->profile, &key_len, &salt_len, NULL) != 0 ||
	    key->profile == PONTE_SRTP_NULL || key->key_len != key_len || key->salt_len != salt_len)
		return -EINVAL;
	if (len < SIP_SDES_KEY_PARAMS_LEN)
		return -ENOSPC;
	/* RFC 4568 §6.1: the concatenated master key and salt, base64 encoded. */
	memcpy(material, key->key, key_len);
	memcpy(material + key_len, key->salt, salt_len);
	memcpy(buf, "inline:", 7);
	b64_encode(material, (size_t)key_len + salt_len, buf + 7);
	explicit_bzero(material, sizeof(material));
	return 0;
}

/* ---- parsing ---- */

static int refuse(char *why, size_t whylen, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int refuse(char *why, size_t whylen, int rc, const char *fmt, ...)
{
	va_list ap;

	if (why != NULL && whylen > 0) {
		va_start(ap, fmt);
		vsnprintf(why, whylen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

static bool is_digits(const char *s, size_t len)
{
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* Decimal digits into a value, saturating at UINT64_MAX. */
static uint64_t digits_value(const char *s, size_t len)
{
	uint64_t v = 0;

	for (size_t i = 0; i < len; i++) {
		if (v > (UINT64_MAX - 9) / 10)
			return UINT64_MAX;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	return v;
}

/* RFC 4568 §6.1: lifetime = ["2^"] 1*(DIGIT). */
static int check_lifetime(const char *s, size_t len, char *why, size_t whylen)
{
	uint64_t v;

	if (len > 2 && s[0] == '2' && s[1] == '^') {
		if (!is_digits(s + 2, len - 2))
			return refuse(why, whylen, -EINVAL, "the key lifetime is not a number");
		v = digits_value(s + 2, len - 2);
		v = v >= 64 ? UINT64_MAX : 1ull << v;
	} else if (is_digits(s, len)) {
		v = digits_value(s, len);
	} else {
		return refuse(why, whylen, -EINVAL, "the key lifetime is not a number");
	}
	if (v > LIFETIME_MAX)
		return refuse(why, whylen, -ENOTSUP,
			      "a key lifetime over the suite's maximum of 2^48 packets");
	if (v < LIFETIME_MIN)
		return refuse(why, whylen, -ENOTSUP,
			      "a key lifetime under 2^31 packets (no re-keying here)");
	return 0;
}

/* RFC 4568 §6.3 and §9.1: the session parameters, blank-separated. */
static int check_session_params(const char *params, char *why, size_t whylen)
{
	/* What each refused parameter asks for, which we do not do. A name ending in "=" takes a
	 * value. */
	static const struct {
		const char *name;
		const char *reason;
	} refused[] = {
	    {"UNENCRYPTED_SRTP", "UNENCRYPTED_SRTP (unencrypted media)"},
	    {"UNENCRYPTED_SRTCP", "UNENCRYPTED_SRTCP (unencrypted RTCP)"},
	    {"UNAUTHENTICATED_SRTP", "UNAUTHENTICATED_SRTP (unauthenticated media)"},
	    {"KDR=", "KDR (a key derivation rate)"},
	    {"FEC_ORDER=", "FEC_ORDER (forward error correction)"},
	    {"FEC_KEY=", "FEC_KEY (forward error correction)"},
	};
	const char *p = params;

	while (p != NULL && *p != '\0') {
		size_t n = strcspn(p, " \t");

		if (n == 0) {
			p++;
			continue;
		}
		for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
			size_t rl = strlen(refused[i].name);
			bool is_prefix = refused[i].name[rl - 1] == '=';

			if ((is_prefix ? n >= rl : n == rl) && strncmp(p, refused[i].name, rl) == 0)
				return refuse(why, whylen, -ENOTSUP, "session parameter %s",
					      refused[i].reason);
		}
		if (n > 4 && strncmp(p, "WSH=", 4) == 0) {
			/* A window size hint (§6.3.6): ours is fixed at 64, the minimum. */
			if (!is_digits(p + 4, n - 4))
				return refuse(why, whylen, -EINVAL, "WSH is not a number");
		} else if (p[0] != '-') {
			/* §6.3.7: an unknown parameter without "-" makes the line unusable. The
			 * name is quoted up to its "=" only: a value might carry key material. */
			size_t name_len = strcspn(p, "= \t");

			return refuse(why, whylen, -ENOTSUP, "unknown session parameter %.*s",
				      (int)(name_len < 24 ? name_len : 24), p);
		}
		p += n;
	}
	return 0;
}

/* RFC 4568 §9.1: key-info = key-salt ["|" lifetime] ["|" mki]. */
static int read_key_info(const char *info, uint16_t profile, struct ponte_srtp_key *key, char *why,
			 size_t whylen)
{
	uint8_t material[MAX_KEY_SALT + 3];
	size_t key_len = strcspn(info, "|");
	const char *rest = info + key_len;
	uint8_t want_key, want_salt;
	long n;
	int rc;

	while (*rest == '|') {
		size_t fl = strcspn(rest + 1, "|");
		const char *colon = memchr(rest + 1, ':', fl);

		if (fl == 0)
			return refuse(why, whylen, -EINVAL, "an empty field after '|'");
		if (colon != NULL) {
			/* mki = mki-value ":" mki-length */
			if (!is_digits(rest + 1, (size_t)(colon - rest - 1)) ||
			    !is_digits(colon + 1, fl - (size_t)(colon - rest)))
				return refuse(why, whylen, -EINVAL, "the MKI does not parse");
			return refuse(why, whylen, -ENOTSUP,
				      "an MKI (master key identifier): not supported");
		}
		if (rest != info + key_len)
			return refuse(why, whylen, -EINVAL, "two lifetimes");
		rc = check_lifetime(rest + 1, fl, why, whylen);
		if (rc != 0)
			return rc;
		rest += 1 + fl;
	}
	ponte_srtp_profile_sizes(profile, &want_key, &want_salt, NULL);
	n = b64_decode(info, key_len, material, sizeof(material));
	if (n < 0) {
		explicit_bzero(material, sizeof(material));
		return refuse(why, whylen, -EINVAL, "the key is not base64");
	}
	if (n != want_key + want_salt) {
		explicit_bzero(material, sizeof(material));
		return refuse(why, whylen, -EINVAL,
			      "the key is %ld bytes, the suite's key and salt are %u", n,
			      want_key + want_salt);
	}
	key->profile = profile;
	key->key_len = want_key;
	key->salt_len = want_salt;
	memcpy(key->key, material, want_key);
	memcpy(key->salt, material + want_key, want_salt);
	explicit_bzero(material, sizeof(material));
	return 0;
}

int sip_sdes_parse(const struct sdp_crypto *c, struct sip_sdes_crypto *out, char *why,
		   size_t whylen)
{
	uint16_t profile = sip_sdes_suite_profile(c->suite);
	int rc;

	memset(out, 0, sizeof(*out));
	if (why != NULL && whylen > 0)
		why[0] = '\0';
	if (c->suite == NULL || c->key_params == NULL)
		return refuse(why, whylen, -EINVAL, "no crypto-suite or key");
	if (profile == PONTE_SRTP_NULL)
		return refuse(why, whylen, -ENOTSUP, "crypto-suite %.40s is not supported",
			      c->suite);
	if (strncmp(c->key_params, "inline:", 7) != 0)
		return refuse(why, whylen, -EINVAL, "the key method is not inline");
	/* Several keys (§6.1) are for MKI-switched rekeying, which we do not do. */
	if (strchr(c->key_params, ';') != NULL)
		return refuse(why, whylen, -ENOTSUP, "several keys on one line");
	rc = check_session_params(c->session_params, why, whylen);
	if (rc == 0)
		rc = read_key_info(c->key_params + 7, profile, &out->key, why, whylen);
	if (rc != 0) {
		explicit_bzero(out, sizeof(*out));
		return rc;
	}
	out->tag = c->tag;
	return 0;
}

int sip_sdes_parse_value(const char *value, struct sip_sdes_crypto *out, char *why, size_t whylen)
{
	char buf[512];
	char *fields[3];
	char *p = buf;
	size_t len = strlen(value);
	struct sdp_crypto c;
	int rc;

	memset(out, 0, sizeof(*out));
	if (len >= sizeof(buf))
		return refuse(why, whylen, -EINVAL, "the line is too long");
	memcpy(buf, value, len + 1);
	for (int i = 0; i < 3; i++) {
		p += strspn(p, " \t");
		fields[i] = p;
		p += strcspn(p, " \t");
		if (p == fields[i]) {
			explicit_bzero(buf, sizeof(buf));
			return refuse(why, whylen, -EINVAL, "not TAG SUITE KEY-PARAMS");
		}
		if (*p != '\0')
			*p++ = '\0';
	}
	p += strspn(p, " \t");
	if (!is_digits(fields[0], strlen(fields[0])) || strlen(fields[0]) > 9) {
		explicit_bzero(buf, sizeof(buf));
		return refuse(why, whylen, -EINVAL, "the tag is not 1-9 digits");
	}
	c = (struct sdp_crypto){
	    .tag = (uint32_t)digits_value(fields[0], strlen(fields[0])),
	    .suite = fields[1],
	    .key_params = fields[2],
	    .session_params = *p != '\0' ? p : NULL,
	};
	rc = sip_sdes_parse(&c, out, why, whylen);
	explicit_bzero(buf, sizeof(buf));
	return rc;
}
