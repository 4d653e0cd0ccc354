/* SPDX-License-Identifier: MIT */
/*
 * SIP digest authentication with MD5, SHA-256 and SHA-512-256 (RFC 7616, required of SIP by
 * RFC 8760), as a sofia-sip auth client plugin that replaces sofia's MD5-only "Digest" scheme
 * for every nua in the process.
 */
#ifndef PONTE_CONTROL_SIP_DIGEST_H
#define PONTE_CONTROL_SIP_DIGEST_H

#include <stddef.h>

/* Room for the longest response in hex (SHA-256 and SHA-512-256: 64 digits) and its NUL. */
#define PONTE_SIP_DIGEST_HEX_MAX 65

/*
 * Register the plugin with sofia-sip's auth client, so that every nua in the process answers
 * 401/407 challenges with it from then on (nua_authenticate() with
 * NUTAG_AUTH("Digest:\"realm\":user:password") works as before). Call it before nua_create(),
 * on the thread that runs sofia: sofia's plugin table has no lock. Later calls return the first
 * call's result. Returns 0 or a negative errno (-EPROTO: sofia did not take the plugin).
 */
int ponte_sip_digest_init(void);

/*
 * The request-digest of RFC 7616 §3.4.1 (RFC 2617 §3.2.2, and RFC 2069 without qop) in
 * lowercase hex into out (outlen >= PONTE_SIP_DIGEST_HEX_MAX is always enough).
 * algorithm: "MD5", "MD5-sess", "SHA-256", "SHA-256-sess", "SHA-512-256" or
 * "SHA-512-256-sess" (any case), NULL for MD5. qop: "auth", "auth-int", or NULL for none; with
 * a qop, cnonce and nc are required, and so is cnonce with a -sess algorithm. body: the entity
 * body that "auth-int" hashes (NULL with body_len 0 if none). All strings are the unquoted
 * values. Returns 0, -EINVAL (unknown algorithm or qop, missing argument), -ENOSPC (out too
 * small) or -EIO (the hash failed, e.g. MD5 in FIPS mode).
 */
int ponte_sip_digest_response(const char *algorithm, const char *user, const char *realm,
			      const char *password, const char *method, const char *uri,
			      const char *nonce, const char *cnonce, const char *nc,
			      const char *qop, const char *body, size_t body_len, char *out,
			      size_t outlen);

#endif
