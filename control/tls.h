/* SPDX-License-Identifier: MIT */
/* The HTTPS/WSS certificate: loaded from tls.cert/tls.key, or self-signed and kept. */
#ifndef PONTE_CONTROL_TLS_H
#define PONTE_CONTROL_TLS_H

#include <gio/gio.h>

#include "config.h"

/*
 * Load the configured certificate, or the self-signed one in tls.self_signed_dir, generating
 * it (ECDSA P-256, one year) on first start. Returns 0 and a new reference in *out, or a
 * negative errno with a message in *why (g_free it).
 */
int ponte_tls_certificate(const struct ponte_config *cfg, GTlsCertificate **out, char **why);

/* Generate a self-signed certificate for the given names into CERT and KEY (mode 0600). */
int ponte_tls_generate(const char *cert_file, const char *key_file, const char *const *dns_names,
		       const char *const *ip_names, char **why);

#endif
