/* SPDX-License-Identifier: MIT */
/*
 * SIP over TLS: the files of sip.tls_certificate, sip.tls_key and sip.tls_ca checked with
 * OpenSSL and written as the directory sofia-sip's tport reads (sip_tls.h), and the Contact of
 * dialogs over TLS.
 *
 * What sofia-sip 1.12.11 (Debian) does with the directory, and why it is written this way:
 *   - it loads the first certificate of agent.pem (SSL_CTX_use_certificate_file) and its first
 *     private key. It does not read a chain: the intermediate certificates of
 *     sip.tls_certificate go into cafile.pem, from which OpenSSL completes the chain it sends
 *     (it builds the server's chain from the trust store when none is set);
 *   - it loads cafile.pem as trusted certificates when the file exists, and reads nothing
 *     else (tls_seed.dat is optional). A key it cannot load only gets a debug line from it,
 *     and the port then fails every handshake, hence the checks here first;
 *   - it checks a server's name (the host of the URI it was called at) against the DNS and
 *     URI subjectAltNames of its certificate ("sip:HOST", RFC 5922 §7.1), and against its
 *     common name only when it has none of those; never against IP address subjectAltNames
 *     (its code looks for "IP" where OpenSSL writes "IP Address"). A peer called at an IP
 *     address passes with URI:sip:ADDR in its subjectAltName, or with CN=ADDR and no DNS or
 *     URI names.
 */
#include "sip_tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <sofia-sip/su_alloc.h>
#include <sofia-sip/tport_tag.h>
#include <sofia-sip/url.h>

#include "log.h"

#define MOD "sip"

/* A CA bundle is a few hundred kilobytes (Debian's: 220 kB); the cap keeps a mistaken
 * /dev/zero from eating memory. */
#define SIP_TLS_MAX_FILE (4 * 1024 * 1024)

struct sip_tls {
	const struct ponte_config *cfg;
	char *dir; /* sofia's directory; NULL once removed */
	char *contact_host; /* host of our Contact over TLS (a URI host); NULL: leave it to nua */
	unsigned policy; /* TPTAG_TLS_VERIFY_POLICY */
	char *summary;
};

/* ---- files ---- */

static void wipe_free(char *data, size_t len)
{
	if (data == NULL)
		return;
	explicit_bzero(data, len);
	g_free(data);
}

/* A whole file, NUL-terminated (wipe_free it: it may hold a key); -errno on failure. */
static int read_file(const char *path, char **data, size_t *len)
{
	GString *buf = NULL;
	char chunk[8192];
	struct stat st;
	ssize_t n;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		rc = -EISDIR;
		goto out;
	}
	/* Preallocated, so that growing never leaves copies of a key behind. */
	buf = g_string_sized_new(S_ISREG(st.st_mode) && st.st_size < SIP_TLS_MAX_FILE
					 ? (gsize)st.st_size + 1
					 : SIP_TLS_MAX_FILE + 1);
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			goto out;
		}
		if (n == 0)
			break;
		if (buf->len + (size_t)n > SIP_TLS_MAX_FILE) {
			rc = -EFBIG;
			goto out;
		}
		if (buf->len + (size_t)n >= buf->allocated_len) {
			/* Grow by hand, wiping the old buffer. */
			GString *bigger = g_string_sized_new(2 * (buf->len + (size_t)n));

			g_string_append_len(bigger, buf->str, (gssize)buf->len);
			explicit_bzero(buf->str, buf->len);
			g_string_free(buf, TRUE);
			buf = bigger;
		}
		g_string_append_len(buf, chunk, n);
	}
	*len = buf->len;
	*data = g_string_free(buf, FALSE);
	buf = NULL;
	rc = 0;
out:
	explicit_bzero(chunk, sizeof(chunk));
	if (buf != NULL) {
		explicit_bzero(buf->str, buf->len);
		g_string_free(buf, TRUE);
	}
	close(fd);
	return rc;
}

/* Create path (it must not exist) with mode 0600 and data in it. */
static int write_private(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	int rc = 0;

	if (fd < 0)
		return -errno;
	while (len > 0) {
		ssize_t n = write(fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			break;
		}
		data += n;
		len -= (size_t)n;
	}
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	return rc;
}

/* Overwrite a file of ours with zeros, then unlink it; a file that is not there is fine. */
static void wipe_file(const char *path)
{
	static const char zeros[4096];
	int fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;

	if (fd >= 0) {
		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
			off_t left = st.st_size;

			while (left > 0) {
				ssize_t n = write(fd, zeros,
						  left < (off_t)sizeof(zeros) ? (size_t)left
									      : sizeof(zeros));

				if (n <= 0 && errno != EINTR)
					break;
				if (n > 0)
					left -= n;
			}
			fsync(fd);
		}
		close(fd);
	}
	if (unlink(path) < 0 && errno != ENOENT)
		log_warn(MOD, "cannot remove %s: %s", path, g_strerror(errno));
}

/* A private directory: under $XDG_RUNTIME_DIR (a tmpfs of the user's) when there is one. */
static int make_dir(char **out, char **why)
{
	const char *runtime = g_getenv("XDG_RUNTIME_DIR");
	GError *err = NULL;
	int rc;

	if (runtime != NULL && runtime[0] == '/' && g_file_test(runtime, G_FILE_TEST_IS_DIR)) {
		char *tmpl = g_build_filename(runtime, "ponte-sip-tls-XXXXXX", NULL);

		if (g_mkdtemp_full(tmpl, 0700) != NULL) {
			*out = tmpl;
			return 0;
		}
		log_warn(MOD, "cannot create a directory in XDG_RUNTIME_DIR %s (%s): using %s",
			 runtime, g_strerror(errno), g_get_tmp_dir());
		g_free(tmpl);
	}
	*out = g_dir_make_tmp("ponte-sip-tls-XXXXXX", &err);
	if (*out != NULL)
		return 0;
	rc = -EIO;
	*why = g_strdup_printf("SIP over TLS: cannot create a private directory: %s",
			       err->message);
	g_error_free(err);
	return rc;
}

/* ---- OpenSSL ---- */

/* The reason of the last OpenSSL error ("" when none), and the queue emptied. */
static const char *ssl_reason(char *buf, size_t size)
{
	unsigned long e = ERR_peek_last_error();
	const char *reason = e != 0 ? ERR_reason_error_string(e) : NULL;

	snprintf(buf, size, "%s", reason != NULL ? reason : e != 0 ? "unknown error" : "");
	ERR_clear_error();
	return buf;
}

/* Whether the last OpenSSL error only says that no more PEM block was found. */
static bool is_pem_end(void)
{
	unsigned long e = ERR_peek_last_error();

	return e == 0 ||
	       (ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE);
}

/*
 * Every PEM certificate in text, in order (other PEM blocks, such as a key, are skipped).
 * Returns the stack, possibly empty, or NULL with the reason in why when a block is damaged.
 */
static STACK_OF(X509) *read_certs(const char *text, size_t len, const char *key,
				  const char *path, char **why)
{
	BIO *bio = BIO_new_mem_buf(text, (int)len);
	STACK_OF(X509) *certs = sk_X509_new_null();
	char reason[256];
	X509 *x;

	if (bio == NULL || certs == NULL) {
		BIO_free(bio);
		sk_X509_free(certs);
		*why = g_strdup("SIP over TLS: out of memory");
		return NULL;
	}
	ERR_clear_error();
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL)
		sk_X509_push(certs, x);
	BIO_free(bio);
	if (!is_pem_end()) {
		*why = g_strdup_printf("%s: %s: a certificate does not parse (%s)", key, path,
				       ssl_reason(reason, sizeof(reason)));
		sk_X509_pop_free(certs, X509_free);
		return NULL;
	}
	ERR_clear_error();
	return certs;
}

/* The passphrase callback: none is given (sofia-sip could not ask for one either). */
static int no_passphrase(char *buf, int size, int rwflag, void *is_asked)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	*(bool *)is_asked = true;
	return -1;
}

static EVP_PKEY *read_key(const char *text, size_t len, const char *key, const char *path,
			  char **why)
{
	BIO *bio = BIO_new_mem_buf(text, (int)len);
	bool is_encrypted = false;
	char reason[256];
	EVP_PKEY *pkey;

	if (bio == NULL) {
		*why = g_strdup("SIP over TLS: out of memory");
		return NULL;
	}
	/* OpenSSL 3's decoders report a missing key as "unsupported": look for one first. */
	if (g_strstr_len(text, (gssize)len, "PRIVATE KEY-----") == NULL) {
		BIO_free(bio);
		*why = g_strdup_printf("%s: %s holds no PEM private key%s", key, path,
				       strcmp(key, "sip.tls_certificate") == 0
					   ? " (put it there, or name its file in sip.tls_key)"
					   : "");
		return NULL;
	}
	ERR_clear_error();
	pkey = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, &is_encrypted);
	BIO_free(bio);
	if (pkey != NULL) {
		ERR_clear_error();
		return pkey;
	}
	if (is_encrypted)
		*why = g_strdup_printf("%s: %s: the private key is encrypted; give it without a "
				       "passphrase (e.g. openssl pkey -in KEY -out PLAIN)",
				       key, path);
	else
		*why = g_strdup_printf("%s: %s: the private key does not parse (%s)", key, path,
				       ssl_reason(reason, sizeof(reason)));
	ERR_clear_error();
	return NULL;
}

/* Append PEM blocks of certs[from..] to out. */
static bool append_certs(BIO *out, STACK_OF(X509) *certs, int from)
{
	for (int i = from; i < sk_X509_num(certs); i++)
		if (!PEM_write_bio_X509(out, sk_X509_value(certs, i)))
			return false;
	return true;
}

/* What a memory BIO holds, written to dir/name (mode 0600). */
static int write_bio(const char *dir, const char *name, BIO *bio, char **why)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);
	char *data = NULL;
	long len = BIO_get_mem_data(bio, &data);
	int rc = write_private(path, data, len > 0 ? (size_t)len : 0);

	if (rc < 0)
		*why = g_strdup_printf("SIP over TLS: cannot write %s: %s", path, g_strerror(-rc));
	return rc;
}

/* "2031-05-01" from an ASN1_TIME, or "?" */
static void day_of(const ASN1_TIME *t, char *buf, size_t size)
{
	struct tm tm;

	if (t == NULL || !ASN1_TIME_to_tm(t, &tm) || strftime(buf, size, "%Y-%m-%d", &tm) == 0)
		snprintf(buf, size, "?");
}

/* The leaf's subject, its DNS and IP subjectAltNames and its expiry, for the start log. */
static char *describe(X509 *leaf)
{
	GString *s = g_string_new("certificate \"");
	GENERAL_NAMES *names = X509_get_ext_d2i(leaf, NID_subject_alt_name, NULL, NULL);
	BIO *bio = BIO_new(BIO_s_mem());
	char day[32];

	if (bio != NULL) {
		char *data = NULL;
		long len;

		X509_NAME_print_ex(bio, X509_get_subject_name(leaf), 0, XN_FLAG_RFC2253);
		len = BIO_get_mem_data(bio, &data);
		g_string_append_len(s, data, len > 0 ? len : 0);
		BIO_free(bio);
	}
	g_string_append_c(s, '"');
	for (int i = 0, nb = 0; names != NULL && i < sk_GENERAL_NAME_num(names); i++) {
		const GENERAL_NAME *n = sk_GENERAL_NAME_value(names, i);
		const unsigned char *d;
		int len;
		char ip[INET6_ADDRSTRLEN] = "?";

		if (n->type == GEN_DNS) {
			d = ASN1_STRING_get0_data(n->d.dNSName);
			len = ASN1_STRING_length(n->d.dNSName);
			g_string_append_printf(s, "%sDNS:%.*s", nb++ ? ", " : " (", len,
					       (const char *)d);
		} else if (n->type == GEN_URI) {
			d = ASN1_STRING_get0_data(n->d.uniformResourceIdentifier);
			len = ASN1_STRING_length(n->d.uniformResourceIdentifier);
			g_string_append_printf(s, "%sURI:%.*s", nb++ ? ", " : " (", len,
					       (const char *)d);
		} else if (n->type == GEN_IPADD) {
			d = ASN1_STRING_get0_data(n->d.iPAddress);
			len = ASN1_STRING_length(n->d.iPAddress);
			if (len == 4 || len == 16)
				inet_ntop(len == 4 ? AF_INET : AF_INET6, d, ip, sizeof(ip));
			g_string_append_printf(s, "%sIP:%s", nb++ ? ", " : " (", ip);
		}
		if (i + 1 == sk_GENERAL_NAME_num(names) && nb > 0)
			g_string_append_c(s, ')');
	}
	GENERAL_NAMES_free(names);
	day_of(X509_get0_notAfter(leaf), day, sizeof(day));
	g_string_append_printf(s, " valid until %s", day);
	return g_string_free(s, FALSE);
}

/* A certificate about to be used outside its validity: peers will refuse it, so say so. */
static void warn_dates(X509 *leaf, const char *path)
{
	char day[32];

	if (X509_cmp_current_time(X509_get0_notAfter(leaf)) < 0) {
		day_of(X509_get0_notAfter(leaf), day, sizeof(day));
		log_warn(MOD, "sip.tls_certificate %s expired on %s: peers that check it will "
			      "refuse the connection", path, day);
	} else if (X509_cmp_current_time(X509_get0_notBefore(leaf)) > 0) {
		day_of(X509_get0_notBefore(leaf), day, sizeof(day));
		log_warn(MOD, "sip.tls_certificate %s is valid only from %s (is the clock right?)",
			 path, day);
	}
}

/*
 * Read, check and write the material: agent.pem (key, then leaf) and, when there is
 * something to put in it, cafile.pem (the intermediates of our chain, then sip.tls_ca).
 */
static int prepare(struct sip_tls *tls, char **why)
{
	const struct ponte_config *cfg = tls->cfg;
	const char *cert_path = cfg->sip.tls_certificate;
	const char *key_path = cfg->sip.tls_key[0] != '\0' ? cfg->sip.tls_key : cert_path;
	const char *key_name = cfg->sip.tls_key[0] != '\0' ? "sip.tls_key" : "sip.tls_certificate";
	char *cert_text = NULL, *key_text = NULL, *ca_text = NULL;
	size_t cert_len = 0, key_len = 0, ca_len = 0;
	STACK_OF(X509) *chain = NULL, *cas = NULL;
	EVP_PKEY *pkey = NULL;
	BIO *agent = NULL, *cafile = NULL;
	X509 *leaf;
	char reason[256];
	int rc;

	rc = read_file(cert_path, &cert_text, &cert_len);
	if (rc < 0) {
		*why = g_strdup_printf("sip.tls_certificate: cannot read %s: %s", cert_path,
				       g_strerror(-rc));
		goto out;
	}
	rc = -EINVAL;
	chain = read_certs(cert_text, cert_len, "sip.tls_certificate", cert_path, why);
	if (chain == NULL)
		goto out;
	if (sk_X509_num(chain) == 0) {
		*why = g_strdup_printf("sip.tls_certificate: %s holds no PEM certificate",
				       cert_path);
		goto out;
	}
	leaf = sk_X509_value(chain, 0);

	if (key_path == cert_path) {
		key_text = cert_text;
		key_len = cert_len;
	} else {
		rc = read_file(key_path, &key_text, &key_len);
		if (rc < 0) {
			*why = g_strdup_printf("sip.tls_key: cannot read %s: %s", key_path,
					       g_strerror(-rc));
			goto out;
		}
		rc = -EINVAL;
	}
	pkey = read_key(key_text, key_len, key_name, key_path, why);
	if (pkey == NULL)
		goto out;
	if (X509_check_private_key(leaf, pkey) != 1) {
		ERR_clear_error();
		*why = g_strdup_printf("%s: the private key in %s is not the key of the first "
				       "certificate of sip.tls_certificate %s",
				       key_name, key_path, cert_path);
		goto out;
	}

	if (cfg->sip.tls_ca[0] != '\0') {
		rc = read_file(cfg->sip.tls_ca, &ca_text, &ca_len);
		if (rc < 0) {
			*why = g_strdup_printf("sip.tls_ca: cannot read %s: %s", cfg->sip.tls_ca,
					       g_strerror(-rc));
			goto out;
		}
		rc = -EINVAL;
		cas = read_certs(ca_text, ca_len, "sip.tls_ca", cfg->sip.tls_ca, why);
		if (cas == NULL)
			goto out;
		if (sk_X509_num(cas) == 0) {
			*why = g_strdup_printf("sip.tls_ca: %s holds no PEM certificate",
					       cfg->sip.tls_ca);
			goto out;
		}
	}
	warn_dates(leaf, cert_path);

	rc = -ENOMEM;
	agent = BIO_new(BIO_s_secmem());
	if (agent == NULL)
		agent = BIO_new(BIO_s_mem());
	cafile = BIO_new(BIO_s_mem());
	if (agent == NULL || cafile == NULL ||
	    !PEM_write_bio_PrivateKey(agent, pkey, NULL, NULL, 0, NULL, NULL) ||
	    !PEM_write_bio_X509(agent, leaf) || !append_certs(cafile, chain, 1) ||
	    (cas != NULL && !append_certs(cafile, cas, 0))) {
		*why = g_strdup_printf("SIP over TLS: cannot encode the certificate (%s)",
				       ssl_reason(reason, sizeof(reason)));
		goto out;
	}
	rc = make_dir(&tls->dir, why);
	if (rc < 0)
		goto out;
	rc = write_bio(tls->dir, "agent.pem", agent, why);
	if (rc == 0 && BIO_pending(cafile) > 0)
		rc = write_bio(tls->dir, "cafile.pem", cafile, why);
	if (rc < 0)
		goto out;
	tls->summary = describe(leaf);
	rc = 0;
out:
	/* The BIO holding the key is freed with OPENSSL_clear_free (BUF_MEM_free). */
	BIO_free(agent);
	BIO_free(cafile);
	EVP_PKEY_free(pkey);
	sk_X509_pop_free(chain, X509_free);
	sk_X509_pop_free(cas, X509_free);
	if (key_text != cert_text)
		wipe_free(key_text, key_len);
	wipe_free(cert_text, cert_len);
	wipe_free(ca_text, ca_len);
	ERR_clear_error();
	return rc;
}

/* ---- the object ---- */

/* An IPv6 literal in brackets, as a URI host (RFC 3261 §25.1). */
static char *uri_host(const char *addr)
{
	return strchr(addr, ':') != NULL ? g_strdup_printf("[%s]", addr) : g_strdup(addr);
}

int sip_tls_create(const struct ponte_config *cfg, struct sip_tls **out, char **why)
{
	struct sip_tls *tls;
	const char *listen = cfg->sip.listen;
	int rc;

	*out = NULL;
	*why = NULL;
	if (cfg->sip.tls_certificate[0] == '\0') {
		*why = g_strdup("sip.transports has tls but sip.tls_certificate is empty");
		return -EINVAL;
	}
	tls = g_new0(struct sip_tls, 1);
	tls->cfg = cfg;
	rc = prepare(tls, why);
	if (rc < 0) {
		sip_tls_destroy(tls);
		return rc;
	}
	if (cfg->sip.public_address[0] != '\0')
		tls->contact_host = uri_host(cfg->sip.public_address);
	else if (strcmp(listen, "0.0.0.0") != 0 && strcmp(listen, "::") != 0)
		tls->contact_host = uri_host(listen);
	if (cfg->sip.tls_ca[0] != '\0')
		tls->policy = TPTLS_VERIFY_SUBJECTS_OUT |
			      (cfg->sip.tls_verify_clients ? TPTLS_VERIFY_INCOMING : 0);
	else
		tls->policy = TPTLS_VERIFY_NONE;
	*out = tls;
	return 0;
}

void sip_tls_remove(struct sip_tls *tls)
{
	static const char *const files[] = {"agent.pem", "cafile.pem", "tls_seed.dat"};

	if (tls == NULL || tls->dir == NULL)
		return;
	for (size_t i = 0; i < G_N_ELEMENTS(files); i++) {
		g_autofree char *path = g_build_filename(tls->dir, files[i], NULL);

		wipe_file(path);
	}
	if (rmdir(tls->dir) < 0)
		log_warn(MOD, "cannot remove %s: %s", tls->dir, g_strerror(errno));
	g_free(tls->dir);
	tls->dir = NULL;
}

void sip_tls_destroy(struct sip_tls *tls)
{
	if (tls == NULL)
		return;
	sip_tls_remove(tls);
	g_free(tls->contact_host);
	g_free(tls->summary);
	g_free(tls);
}

const char *sip_tls_dir(const struct sip_tls *tls)
{
	return tls->dir;
}

unsigned sip_tls_verify_policy(const struct sip_tls *tls)
{
	return tls->policy;
}

bool sip_tls_is_verifying(const struct sip_tls *tls)
{
	return tls->policy != TPTLS_VERIFY_NONE;
}

const char *sip_tls_summary(const struct sip_tls *tls)
{
	return tls->summary;
}

/* ---- Contact ---- */

static char *tls_contact(const struct sip_tls *tls, bool is_sips)
{
	int port = tls->cfg->sip.tls_port;

	/* RFC 5630 §3.1.2 prefers sips:; ;transport=tls keeps a sip: dialog a sip: one. */
	return is_sips ? g_strdup_printf("<sips:%s:%d>", tls->contact_host, port)
		       : g_strdup_printf("<sip:%s:%d;transport=tls>", tls->contact_host, port);
}

static bool has_transport_tls(const url_t *url)
{
	char tp[16];

	return url->url_params != NULL &&
	       url_param(url->url_params, "transport", tp, sizeof(tp)) > 0 &&
	       g_ascii_strcasecmp(tp, "tls") == 0;
}

char *sip_tls_contact_for_target(const struct sip_tls *tls, const char *target)
{
	su_home_t home[1] = {SU_HOME_INIT(home)};
	char *contact = NULL;
	url_t *url;

	if (tls == NULL || tls->contact_host == NULL || target == NULL)
		return NULL;
	url = url_make(home, target);
	if (url != NULL && (url->url_type == url_sips || has_transport_tls(url)))
		contact = tls_contact(tls, url->url_type == url_sips);
	su_home_deinit(home);
	return contact;
}

char *sip_tls_contact_for_request(const struct sip_tls *tls, sip_t const *request)
{
	const url_t *uri;
	bool is_over_tls;

	if (tls == NULL || tls->contact_host == NULL || request == NULL ||
	    request->sip_request == NULL)
		return NULL;
	uri = request->sip_request->rq_url;
	/* The top Via names the transport of the hop the request came over (RFC 3261 §18.2.1). */
	is_over_tls = request->sip_via != NULL && request->sip_via->v_protocol != NULL &&
		      g_ascii_strcasecmp(request->sip_via->v_protocol, "SIP/2.0/TLS") == 0;
	if (uri->url_type != url_sips && !is_over_tls)
		return NULL;
	return tls_contact(tls, uri->url_type == url_sips);
}
