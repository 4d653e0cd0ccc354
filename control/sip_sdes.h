/* SPDX-License-Identifier: MIT */
/*
 * SDES (RFC 4568): SRTP master keys carried in the SDP's a=crypto lines, for the SIP side.
 * Each direction of a call has its own master key: the one we send the phone protects what the
 * gateway sends, the phone's unprotects what it sends (RFC 4568 §6.1: a key is for the media
 * its sender sends).
 *
 * What we do (RFC 4568 §9.1 grammar): one "inline:" key per line, no MKI, the default key
 * lifetime (or an explicit one of 2^31 or more, which the call never reaches and so is
 * ignored), the suites of the dataplane's profiles (AES_CM_128_HMAC_SHA1_80/32, RFC 7714's
 * AEAD_AES_128_GCM and AEAD_AES_256_GCM), session parameter WSH (a hint: our replay window is
 * fixed) and optional ("-"-prefixed) extensions. Everything else is refused with a reason, so
 * that the caller skips that line (RFC 4568 §7.1.2: the answerer picks a line it supports).
 *
 * Key material: never logged, never put in an error message; every buffer here that held it
 * is wiped (explicit_bzero) before it is released. Main loop only; no state.
 */
#ifndef PONTE_CONTROL_SIP_SDES_H
#define PONTE_CONTROL_SIP_SDES_H

#include <stddef.h>
#include <stdint.h>

#include <ponte/srtp.h>

#include "sdp.h"

/* The most crypto-suites we offer (one a=crypto line each): every one sip.srtp_profiles has. */
#define SIP_SDES_MAX_SUITES 4
/* Room for "inline:" and the base64 of the longest key||salt (32 + 12 bytes), with its NUL. */
#define SIP_SDES_KEY_PARAMS_LEN 72

/* One a=crypto line as we use it: its tag and the master key (suite = key.profile). */
struct sip_sdes_crypto {
	uint32_t tag; /* 1..999999999 (RFC 4568 §9.1: 1*9DIGIT) */
	struct ponte_srtp_key key;
};

/* The profile of an RFC 4568 / RFC 7714 crypto-suite name (case-sensitive, as the grammar
 * says), or PONTE_SRTP_NULL for a suite we do not do. */
uint16_t sip_sdes_suite_profile(const char *suite);

/* The crypto-suite name of a profile, or NULL for PONTE_SRTP_NULL and unknown ones. */
const char *sip_sdes_suite_name(uint16_t profile);

/* A fresh random master key and salt for profile (OpenSSL RAND_bytes, CSPRNG). 0, -EINVAL
 * for a profile without an SDES suite, -EIO when the generator fails (key then wiped). */
int sip_sdes_key_new(uint16_t profile, struct ponte_srtp_key *key);

/* "inline:" and the base64 (RFC 4648 §4, padded) of key||salt into buf, which the caller
 * wipes after use. 0, or -EINVAL (bad key) / -ENOSPC (len < SIP_SDES_KEY_PARAMS_LEN). */
int sip_sdes_key_params(const struct ponte_srtp_key *key, char *buf, size_t len);

/*
 * Read one a=crypto line, as sdp_parse() split it (tag, suite, key parameters, session
 * parameters). 0 and the line in *out; otherwise *out is wiped and why (never quoting key
 * material) says why:
 *   -ENOTSUP  well formed, but something we do not do: a suite we have no profile for, MKI,
 *             a lifetime under 2^31, several keys, KDR, UNENCRYPTED_SRTP/SRTCP,
 *             UNAUTHENTICATED_SRTP, FEC_ORDER/FEC_KEY, an unknown mandatory parameter;
 *   -EINVAL   malformed: a key method other than inline, bad base64, a key of the wrong length
 *             for the suite, a lifetime or MKI that does not parse.
 */
int sip_sdes_parse(const struct sdp_crypto *c, struct sip_sdes_crypto *out, char *why,
		   size_t whylen);

/* The same from the text after "a=crypto:" ("1 AES_CM_128_HMAC_SHA1_80 inline:... WSH=64"),
 * fields separated by blanks; -EINVAL as well for a value that does not split in 3 or more. */
int sip_sdes_parse_value(const char *value, struct sip_sdes_crypto *out, char *why, size_t whylen);

#endif
