/* SPDX-License-Identifier: MIT */
/*
 * SIP over TLS for the SIP stack (RFC 3261 §26.2, RFC 5630): the certificate, key and trusted
 * authorities checked with OpenSSL and handed to sofia-sip, and the Contact of dialogs that
 * run over TLS. Internal to the stack (sip.c, sip_incoming.c); the rest of the gateway only
 * sees the configuration keys sip.tls_*.
 *
 * sofia-sip's transport layer reads its TLS material from a directory (TPTAG_CERTIFICATE):
 * "agent.pem" with the private key and the certificate, and an optional "cafile.pem" of
 * trusted certificates. sip_tls_create() writes that directory from the configured files, in a
 * private temporary directory (mode 0700, files 0600), after checking them, so a bad file
 * gives a message naming the key and the file instead of a TLS port that fails every
 * handshake. The stack removes it, key wiped, as soon as sofia has loaded it.
 */
#ifndef PONTE_CONTROL_SIP_TLS_H
#define PONTE_CONTROL_SIP_TLS_H

#include <stdbool.h>

#include <sofia-sip/sip.h>

#include "config.h"

struct sip_tls;

/*
 * Check sip.tls_certificate, sip.tls_key and sip.tls_ca with OpenSSL and write sofia's
 * directory. cfg is borrowed and outlives the object. Returns 0 and *out, or a negative errno
 * with *why (g_free it) naming the key, the file and what is wrong with it.
 */
int sip_tls_create(const struct ponte_config *cfg, struct sip_tls **out, char **why);

/* Wipe and remove the directory (idempotent), then free. NULL is fine. */
void sip_tls_destroy(struct sip_tls *tls);

/*
 * Wipe the key and remove the directory: once sofia has bound its TLS port it has loaded
 * everything it needs. Idempotent; sip_tls_dir() is NULL afterwards.
 */
void sip_tls_remove(struct sip_tls *tls);

/* The directory for TPTAG_CERTIFICATE; NULL once removed. */
const char *sip_tls_dir(const struct sip_tls *tls);

/*
 * The TPTAG_TLS_VERIFY_POLICY value: with sip.tls_ca, the servers we connect to are checked
 * (chain and name, TPTLS_VERIFY_SUBJECTS_OUT), and with sip.tls_verify_clients the clients
 * too (chain); without sip.tls_ca nobody is (TPTLS_VERIFY_NONE).
 */
unsigned sip_tls_verify_policy(const struct sip_tls *tls);

/* Whether peers' certificates are checked at all (sip.tls_ca is set). */
bool sip_tls_is_verifying(const struct sip_tls *tls);

/* One line for the start log: our certificate's subject, names and expiry, and who is checked. */
const char *sip_tls_summary(const struct sip_tls *tls);

/*
 * The Contact (a header value, g_free it) of a dialog over TLS, or NULL to leave it to nua:
 * when tls is NULL, when the dialog does not run over TLS, and when the stack listens on a
 * wildcard address without sip.public_address (no single address to give).
 *
 * For our INVITE to target: over TLS when target is a sips: URI or has ;transport=tls.
 * For a peer's INVITE (request): over TLS when it came over TLS (its top Via) or its
 * Request-URI is sips:. The Contact is a sips: URI when the target or the Request-URI is one
 * (RFC 3261 §8.1.1.8, §12.1.1), else sip:HOST:TLS-PORT;transport=tls, so that the peer's
 * requests inside the dialog come back over TLS too.
 */
char *sip_tls_contact_for_target(const struct sip_tls *tls, const char *target);
char *sip_tls_contact_for_request(const struct sip_tls *tls, sip_t const *request);

#endif
