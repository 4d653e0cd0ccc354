/* SPDX-License-Identifier: MIT */
#include "tls.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "log.h"

#define VALID_DAYS 365

static int add_san(X509 *crt, const char *const *dns, const char *const *ips)
{
	GString *san = g_string_new(NULL);
	X509_EXTENSION *ext;
	X509V3_CTX v3;
	int rc = 0;

	for (size_t i = 0; dns != NULL && dns[i] != NULL; i++)
		g_string_append_printf(san, "%sDNS:%s", san->len ? "," : "", dns[i]);
	for (size_t i = 0; ips != NULL && ips[i] != NULL; i++)
		g_string_append_printf(san, "%sIP:%s", san->len ? "," : "", ips[i]);
	X509V3_set_ctx(&v3, crt, crt, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, san->str);
	if (ext == NULL || !X509_add_ext(crt, ext, -1))
		rc = -EINVAL;
	X509_EXTENSION_free(ext);
	g_string_free(san, TRUE);
	return rc;
}

static int write_pem(const char *file, mode_t mode, EVP_PKEY *key, X509 *crt, char **why)
{
	int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	FILE *f;
	int ok;

	if (fd < 0) {
		*why = g_strdup_printf("%s: %s", file, g_strerror(errno));
		return -errno;
	}
	f = fdopen(fd, "w");
	if (f == NULL) {
		close(fd);
		return -ENOMEM;
	}
	ok = key != NULL ? PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL)
			 : PEM_write_X509(f, crt);
	if (fclose(f) != 0 || !ok) {
		*why = g_strdup_printf("%s: write failed", file);
		return -EIO;
	}
	return 0;
}

int ponte_tls_generate(const char *cert_file, const char *key_file, const char *const *dns_names,
		       const char *const *ip_names, char **why)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *crt = X509_new();
	X509_NAME *name;
	unsigned char serial[16];
	BIGNUM *bn = NULL;
	int rc = -EINVAL;

	if (key == NULL || crt == NULL)
		goto out;
	/* RFC 5280 §4.1.2.2: a positive serial of up to 20 octets, unpredictable. */
	if (RAND_bytes(serial, sizeof(serial)) != 1)
		goto out;
	serial[0] &= 0x7f;
	bn = BN_bin2bn(serial, sizeof(serial), NULL);
	if (bn == NULL || !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(crt)))
		goto out;
	X509_set_version(crt, 2);
	X509_gmtime_adj(X509_getm_notBefore(crt), -3600);
	X509_gmtime_adj(X509_getm_notAfter(crt), (long)VALID_DAYS * 24 * 3600);
	X509_set_pubkey(crt, key);
	name = X509_get_subject_name(crt);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"Ponte gateway",
				   -1, -1, 0);
	X509_set_issuer_name(crt, name);
	if (add_san(crt, dns_names, ip_names) != 0)
		goto out;
	if (!X509_sign(crt, key, EVP_sha256()))
		goto out;
	rc = write_pem(key_file, 0600, key, NULL, why);
	if (rc == 0)
		rc = write_pem(cert_file, 0644, NULL, crt, why);
	BN_free(bn);
	X509_free(crt);
	EVP_PKEY_free(key);
	return rc;
out:
	if (*why == NULL)
		*why = g_strdup("certificate generation failed in OpenSSL");
	BN_free(bn);
	X509_free(crt);
	EVP_PKEY_free(key);
	return rc;
}

static void log_fingerprint(GTlsCertificate *cert, const char *origin)
{
	GByteArray *der = NULL;
	GChecksum *sum;
	guint8 digest[32];
	gsize len = sizeof(digest);
	GString *hex;

	g_object_get(cert, "certificate", &der, NULL);
	if (der == NULL)
		return;
	sum = g_checksum_new(G_CHECKSUM_SHA256);
	g_checksum_update(sum, der->data, der->len);
	g_checksum_get_digest(sum, digest, &len);
	hex = g_string_new(NULL);
	for (gsize i = 0; i < len; i++)
		g_string_append_printf(hex, "%s%02X", i ? ":" : "", digest[i]);
	log_info("tls", "certificate %s sha-256=%s", origin, hex->str);
	g_string_free(hex, TRUE);
	g_checksum_free(sum);
	g_byte_array_unref(der);
}

int ponte_tls_certificate(const struct ponte_config *cfg, GTlsCertificate **out, char **why)
{
	g_autofree char *cert_file = NULL;
	g_autofree char *key_file = NULL;
	GError *err = NULL;
	GTlsCertificate *cert;

	*why = NULL;
	if (cfg->tls.cert[0] != '\0') {
		cert_file = g_strdup(cfg->tls.cert);
		key_file = g_strdup(cfg->tls.key[0] ? cfg->tls.key : cfg->tls.cert);
	} else {
		cert_file = g_build_filename(cfg->tls.self_signed_dir, "cert.pem", NULL);
		key_file = g_build_filename(cfg->tls.self_signed_dir, "key.pem", NULL);
		if (!g_file_test(cert_file, G_FILE_TEST_EXISTS)) {
			/* Name the listen address too, so a browser shown the exception page
			 * sees the address it asked for. */
			const char *dns[] = {"localhost", NULL};
			const char *ips[] = {"127.0.0.1", "::1", NULL, NULL};
			int rc;

			if (strcmp(cfg->http.listen, "0.0.0.0") != 0 &&
			    strcmp(cfg->http.listen, "::") != 0 &&
			    strcmp(cfg->http.listen, "127.0.0.1") != 0 &&
			    strcmp(cfg->http.listen, "::1") != 0)
				ips[2] = cfg->http.listen;
			if (g_mkdir_with_parents(cfg->tls.self_signed_dir, 0700) != 0) {
				*why = g_strdup_printf("tls.self_signed_dir: %s: %s",
						       cfg->tls.self_signed_dir, g_strerror(errno));
				return -errno;
			}
			rc = ponte_tls_generate(cert_file, key_file, dns, ips, why);
			if (rc != 0)
				return rc;
			log_info("tls", "generated self-signed certificate %s", cert_file);
		}
	}
	cert = g_tls_certificate_new_from_files(cert_file, key_file, &err);
	if (cert == NULL) {
		*why = g_strdup_printf("%s: %s", cert_file, err->message);
		g_error_free(err);
		return -EINVAL;
	}
	log_fingerprint(cert, cert_file);
	*out = cert;
	return 0;
}
