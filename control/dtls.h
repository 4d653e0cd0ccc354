/* SPDX-License-Identifier: MIT */
/*
 * DTLS-SRTP for the WebRTC endpoint (RFC 5763, RFC 5764, RFC 8842), DTLS 1.2 on OpenSSL 3.0.
 *
 * No sockets here: the caller feeds received datagrams in (ponte_dtls_input) and puts what the
 * send op hands out on the wire through ICE. Timers run on the GLib default main context, so
 * every function must be called from the thread that runs it.
 *
 * A session ends up either connected (SRTP keys handed to the connected op) or failed; the
 * peer is authenticated only by the certificate fingerprint signaled in SDP (RFC 8122 §5),
 * never by a certificate chain.
 */
#ifndef PONTE_CONTROL_DTLS_H
#define PONTE_CONTROL_DTLS_H

#include <stddef.h>
#include <stdint.h>

#include <ponte/srtp.h>

/* "sha-512" and 64 bytes as "AB:" makes 192 characters, plus the terminating NUL. */
#define PONTE_DTLS_FINGERPRINT_MAX 193

#define PONTE_DTLS_DEFAULT_MTU 1200
#define PONTE_DTLS_DEFAULT_RETRANSMIT_MS 1000 /* RFC 6347 §4.2.4.1 */
#define PONTE_DTLS_DEFAULT_HANDSHAKE_TIMEOUT_MS 30000
#define PONTE_DTLS_CERT_VALID_DAYS 30

/*
 * A certificate and its private key, with the OpenSSL context every session made from it
 * shares. Reference-counted; a session keeps what it needs on its own, so the certificate
 * may be released (or replaced by a fresh one for new sessions) while sessions live on.
 */
struct ponte_dtls_cert;

/* A self-signed ECDSA P-256 certificate, random serial and CN, valid for
 * PONTE_DTLS_CERT_VALID_DAYS. Returns 0 and a new reference in *out, or a negative errno. */
int ponte_dtls_cert_generate(struct ponte_dtls_cert **out);

/*
 * Load a PEM certificate (the first one in cert_file) and its PEM private key (key_file, or
 * cert_file when NULL). Returns 0 and a new reference in *out, or a negative errno (-ENOENT,
 * -EACCES, -EINVAL for unreadable PEM or a key that does not match) with a message in *why
 * when why is not NULL (g_free it). The message names files, never key material.
 */
int ponte_dtls_cert_load(const char *cert_file, const char *key_file, struct ponte_dtls_cert **out,
			 char **why);

struct ponte_dtls_cert *ponte_dtls_cert_ref(struct ponte_dtls_cert *cert);
void ponte_dtls_cert_unref(struct ponte_dtls_cert *cert);

/*
 * The certificate's SHA-256 fingerprint as a=fingerprint carries it (RFC 8122 §5): upper-case
 * hex bytes joined by ':'. *alg (when alg is not NULL) is set to "sha-256". The string belongs
 * to the certificate and lives as long as the caller's reference.
 */
const char *ponte_dtls_cert_fingerprint(const struct ponte_dtls_cert *cert, const char **alg);

/* The fingerprint with another hash ("sha-1", "sha-224", "sha-256", "sha-384", "sha-512",
 * case-insensitive) into out. Returns 0, -EINVAL for an unknown hash or -ENOSPC. */
int ponte_dtls_cert_digest(const struct ponte_dtls_cert *cert, const char *alg, char *out,
			   size_t size);

/* The end of the validity period, in seconds since the epoch: the owner replaces the
 * certificate before that (sessions keep the one they started with). */
int64_t ponte_dtls_cert_not_after(const struct ponte_dtls_cert *cert);

/* RFC 8842 §5: an a=setup:active endpoint is the DTLS client, a=setup:passive the server. */
enum ponte_dtls_role {
	PONTE_DTLS_CLIENT, /* active: sends the ClientHello */
	PONTE_DTLS_SERVER, /* passive: waits for it */
};

struct ponte_dtls_params {
	enum ponte_dtls_role role;
	/* The remote a=fingerprint: hash name (sha-256 required by RFC 8827 §6.5; sha-1,
	 * sha-224, sha-384 and sha-512 accepted) and "AB:CD:..." (either case). Copied. */
	const char *fingerprint_alg;
	const char *fingerprint;
	/* SRTP protection profiles in preference order (enum ponte_srtp_profile, not NULL);
	 * NULL/0 means AEAD_AES_128_GCM then AES128_CM_SHA1_80. As the server, the first of
	 * ours the client also offered is chosen (RFC 5764 §4.1.1). Copied. */
	const uint16_t *profiles;
	size_t nb_profiles;
	unsigned int mtu; /* largest datagram to send, 256..16384; 0: PONTE_DTLS_DEFAULT_MTU */
	/* First retransmission timeout, doubled on each retransmission up to 60 s
	 * (RFC 6347 §4.2.4.1); 0: PONTE_DTLS_DEFAULT_RETRANSMIT_MS. */
	unsigned int retransmit_ms;
	/* The handshake fails with -ETIMEDOUT when not done this long after ponte_dtls_start;
	 * 0: PONTE_DTLS_DEFAULT_HANDSHAKE_TIMEOUT_MS. */
	unsigned int handshake_timeout_ms;
	const char *log_name; /* names the session in logs, e.g. "session=12"; copied */
};

/*
 * What a session reports. All ops run on the main loop's thread, never from inside OpenSSL,
 * and never after ponte_dtls_destroy() returns; any of them may call ponte_dtls_destroy().
 * Pointer arguments are borrowed for the duration of the call.
 */
struct ponte_dtls_ops {
	/* One datagram to put on the wire. May run from inside any ponte_dtls_* call that
	 * makes progress (input, start, send_app, close) and from the retransmission timer. */
	void (*send)(void *ctx, const uint8_t *pkt, size_t len);
	/* The handshake is done and the peer's certificate matched the fingerprint. tx is what
	 * we protect with, rx what the peer protects with; both are wiped when this returns,
	 * so copy them (and wipe the copies when done). profile is enum ponte_srtp_profile. */
	void (*connected)(void *ctx, const struct ponte_srtp_key *tx,
			  const struct ponte_srtp_key *rx, uint16_t profile);
	/* The session is dead; no op runs after this one. May follow connected (a fatal alert
	 * later). err: -EPERM fingerprint mismatch, -ETIMEDOUT no handshake in time or the
	 * retransmissions ran out, -ECONNRESET the peer sent a fatal alert (or close_notify
	 * before the handshake ended), -EPROTO a protocol error here (we sent the alert) or no
	 * common SRTP profile, -EIO anything else. why is one line for logs. */
	void (*failed)(void *ctx, int err, const char *why);
	/* Application data (SCTP, later) received after the handshake. May be NULL. */
	void (*app_data)(void *ctx, const uint8_t *data, size_t len);
	/* The peer sent close_notify; ours was sent in answer. No op runs after this one.
	 * May be NULL. */
	void (*closed)(void *ctx);
};

struct ponte_dtls;

/*
 * A session using cert (borrowed: the session keeps its own OpenSSL references). ops must
 * outlive the session; ctx is passed to each op. Nothing is sent before ponte_dtls_start().
 * Returns 0 and the session in *out, or -EINVAL (bad parameters), -ENOMEM, -EIO.
 */
int ponte_dtls_create(const struct ponte_dtls_cert *cert, const struct ponte_dtls_params *p,
		      const struct ponte_dtls_ops *ops, void *ctx, struct ponte_dtls **out);

/*
 * Start the handshake and its deadline: a client sends its ClientHello (the send op runs
 * before this returns), a server waits for one. A server also starts on its own when a
 * datagram arrives first; start then returns 0 and changes nothing. Returns 0, -EALREADY
 * when called twice or after the session ended (failed, closed), or -EPROTO when OpenSSL
 * refuses to begin (then no op runs for this failure and the session is dead).
 */
int ponte_dtls_start(struct ponte_dtls *dtls);

/*
 * One received datagram (the caller has classified it as DTLS: first byte 20..63,
 * RFC 7983 §7). Anything may be fed in: datagrams that cannot hold a DTLS record are counted
 * and dropped here, records OpenSSL cannot authenticate or parse are discarded by it
 * (RFC 6347 §4.1.2.7). pkt is borrowed.
 */
void ponte_dtls_input(struct ponte_dtls *dtls, const uint8_t *pkt, size_t len);

/*
 * Send application data as one DTLS record in one datagram. Returns 0, -ENOTCONN before the
 * handshake is done or after close/failure, -EMSGSIZE when it does not fit the MTU
 * (ponte_dtls_max_app), -EINVAL for len 0, -EIO.
 */
int ponte_dtls_send_app(struct ponte_dtls *dtls, const uint8_t *data, size_t len);

/* The largest application datagram payload for the negotiated cipher; 0 before connected. */
size_t ponte_dtls_max_app(const struct ponte_dtls *dtls);

/*
 * RFC 5705 keying material exporter (no context) on a connected session, e.g. the
 * "EXTRACTOR-dtls_srtp" block of RFC 5764 §4.2. Returns 0 or -ENOTCONN, -EINVAL. The caller
 * wipes out.
 */
int ponte_dtls_export(const struct ponte_dtls *dtls, const char *label, uint8_t *out, size_t len);

/* Send close_notify when connected; afterwards no op runs and input is ignored. */
void ponte_dtls_close(struct ponte_dtls *dtls);

/* Free the session. No op runs after this returns; safe from inside any op (the memory goes
 * when the op returns). NULL is ignored. */
void ponte_dtls_destroy(struct ponte_dtls *dtls);

struct ponte_dtls_stats {
	uint64_t nb_rx;		 /* datagrams fed in */
	uint64_t nb_rx_dropped;	 /* of those, dropped before OpenSSL: too short, too long, not DTLS,
				    or arriving when the session is not running */
	uint64_t nb_tx;		 /* datagrams handed to the send op */
	uint64_t nb_retransmits; /* flights resent because the timer expired */
};

void ponte_dtls_get_stats(const struct ponte_dtls *dtls, struct ponte_dtls_stats *out);

#endif
