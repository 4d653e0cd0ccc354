/* SPDX-License-Identifier: MIT */
/**
 * @file srtp.h
 * SRTP key material as plain data, as the control plane hands it to the dataplane
 * (RFC 3711, RFC 5764 §4.1.2 protection profiles, RFC 7714 AEAD).
 *
 * Plain data, copied on every call; whoever holds a copy wipes it (explicit_bzero) when done.
 */
#ifndef PONTE_SRTP_H
#define PONTE_SRTP_H

#include <stdint.h>

/** SRTP protection profiles; the values are the RFC 5764 / RFC 7714 profile identifiers. */
enum ponte_srtp_profile {
	PONTE_SRTP_NULL = 0x0000, /**< no protection: plain RTP/RTCP */
	PONTE_SRTP_AES128_CM_SHA1_80 = 0x0001, /**< RFC 5764: AES-128-CM, HMAC-SHA1 80-bit tag */
	PONTE_SRTP_AES128_CM_SHA1_32 = 0x0002, /**< RFC 5764: AES-128-CM, HMAC-SHA1 32-bit tag */
	PONTE_SRTP_AEAD_AES_128_GCM = 0x0007, /**< RFC 7714: AES-128-GCM, 16-byte tag */
	PONTE_SRTP_AEAD_AES_256_GCM = 0x0008, /**< RFC 7714: AES-256-GCM, 16-byte tag */
};

#define PONTE_SRTP_MAX_KEY_LEN 32
#define PONTE_SRTP_MAX_SALT_LEN 14

/** The master key and salt of one direction of one SRTP session. */
struct ponte_srtp_key {
	uint16_t profile; /**< enum ponte_srtp_profile */
	uint8_t key_len; /**< 16 or 32 */
	uint8_t salt_len; /**< 14 for AES-CM, 12 for AEAD */
	uint8_t key[PONTE_SRTP_MAX_KEY_LEN];
	uint8_t salt[PONTE_SRTP_MAX_SALT_LEN];
};

/** Sizes of a profile's master key and salt, and the RTP tag it appends: 0, or -EINVAL (all
 * sizes 0) for an unknown profile. */
int ponte_srtp_profile_sizes(uint16_t profile, uint8_t *key_len, uint8_t *salt_len,
			     uint8_t *tag_len);

/** The RFC 5764 / RFC 4568 name ("SRTP_AES128_CM_SHA1_80", ...) or NULL. */
const char *ponte_srtp_profile_name(uint16_t profile);

#endif
