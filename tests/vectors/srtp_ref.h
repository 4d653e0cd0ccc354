/* SPDX-License-Identifier: MIT */
/*
 * An independent reference implementation of SRTP/SRTCP for the known-answer tests, written from
 * RFC 3711 (AES-CM, HMAC-SHA1, key derivation), RFC 6188 (AES-256 key derivation) and RFC 7714
 * (AEAD AES-GCM) on top of libcrypto's raw AES, AES-GCM and HMAC-SHA1. It shares no code with
 * libsrtp, so an engine that agrees with it byte for byte agrees with the RFCs, not with itself.
 * Slow and allocation-happy on purpose: clarity over speed.
 */
#ifndef PONTE_TESTS_SRTP_REF_H
#define PONTE_TESTS_SRTP_REF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ponte/srtp.h>

/* The session keys of one direction (RFC 3711 §4.3), for RTP and for RTCP. */
struct ref_keys {
	uint16_t profile;
	size_t key_len;	 /* cipher key: 16 or 32 */
	size_t salt_len; /* session salt: 14 (AES-CM) or 12 (AEAD) */
	size_t tag_len;	 /* RTP tag; RTCP uses rtcp_tag_len */
	size_t rtcp_tag_len;
	uint8_t rtp_key[32], rtp_salt[14], rtp_auth[20];
	uint8_t rtcp_key[32], rtcp_salt[14], rtcp_auth[20];
};

/* Hex digits (spaces ignored) into out; returns the byte count, or 0 on bad input. */
size_t ref_unhex(const char *hex, uint8_t *out, size_t cap);

/* RFC 3711 §4.3.1/§4.3.3 with key_derivation_rate 0: len bytes of PRF output for a label.
 * master_key is 16 (AES-128, RFC 3711) or 32 bytes (AES-256, RFC 6188 §3); master_salt is 14
 * bytes, or 12 for AEAD profiles, which are used with 16 zero bits appended. */
int ref_kdf(const uint8_t *master_key, size_t key_len, const uint8_t *master_salt, size_t salt_len,
	    uint8_t label, uint8_t *out, size_t len);

/* AES in counter mode over buf from a 16-byte initial counter (RFC 3711 §4.1.1). */
int ref_aes_ctr(const uint8_t *key, size_t key_len, const uint8_t iv[16], uint8_t *buf, size_t len);

/* All session keys of a master key, as an engine derives them at create time. */
int ref_derive(const struct ponte_srtp_key *master, struct ref_keys *keys);

/* Session keys given directly, as RFC 7714 §16/§17 state their vectors (AEAD only). */
void ref_keys_from_session(struct ref_keys *keys, uint16_t profile, const uint8_t *key,
			   size_t key_len, const uint8_t *salt);

/* Protect an RTP packet in place under the given rollover counter; returns the new length or
 * a negative errno. buf must have room for the tag. */
long ref_protect_rtp(const struct ref_keys *keys, uint8_t *pkt, size_t len, uint32_t roc);

/* Unprotect an SRTP packet in place under the given rollover counter; returns the new length,
 * -EBADMSG on a tag mismatch, or another negative errno. */
long ref_unprotect_rtp(const struct ref_keys *keys, uint8_t *pkt, size_t len, uint32_t roc);

/* Protect an RTCP packet with SRTCP index `index`, encrypted unless is_encrypted is false (the
 * E flag of RFC 3711 §3.4); returns the new length or a negative errno. */
long ref_protect_rtcp(const struct ref_keys *keys, uint8_t *pkt, size_t len, uint32_t index,
		      bool is_encrypted);

#endif
