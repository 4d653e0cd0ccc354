/* SPDX-License-Identifier: MIT */
/*
 * Unit test of SIP over TLS (control/sip_tls.c and the stack's TLS transport): certificates,
 * keys and authorities made here with OpenSSL (a root, an intermediate, a leaf for 127.0.0.1),
 * then
 *   - each way the configured files can be wrong gives its exact message, and no directory;
 *   - good files give sofia's directory: private (0700, files 0600), agent.pem with the key
 *     and the leaf only, cafile.pem with the intermediate and the authorities; the verify
 *     policy and the Contact of dialogs over TLS follow the configuration; removing it wipes
 *     it;
 *   - a stack on 127.0.0.1 with udp, tcp and tls: nothing of the key stays on disk once it
 *     listens; an OpenSSL client that trusts only the root verifies the chain for 127.0.0.1
 *     (so the intermediate is sent) and gets 200 to OPTIONS; cleartext garbage on the TLS
 *     port is dropped and the port keeps serving; a bad certificate fails the start with its
 *     message.
 * Output is TAP-like; the exit status is nonzero when any check failed. Under valgrind, add
 * --suppressions=tests/unit/sofia-tls.supp: sofia-sip leaks each TLS connection's SSL.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "sip_internal.h"
#include "sip_tls.h"

#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_parser.h>
#include <sofia-sip/tport_tag.h>

#include "log.h"
#include "loop.h"
#include "tap.h"

static char *tmpdir; /* the test's files */
static char *rundir; /* XDG_RUNTIME_DIR for the code under test */

static char *path_of(const char *name)
{
	return g_build_filename(tmpdir, name, NULL);
}

/* ---- material ---- */

static EVP_PKEY *new_key(void)
{
	return EVP_EC_gen("P-256");
}

static void add_ext(X509 *crt, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	X509V3_set_ctx(&ctx, issuer, crt, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	X509_add_ext(crt, ext, -1);
	X509_EXTENSION_free(ext);
}

/* A certificate for cn with key, signed by issuer (NULL: self-signed), valid a day. */
static X509 *new_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key,
		      bool is_ca, const char *san)
{
	X509 *crt = X509_new();
	X509_NAME *name = X509_NAME_new();
	static long serial = 1;

	X509_set_version(crt, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(crt), serial++);
	X509_gmtime_adj(X509_getm_notBefore(crt), -60);
	X509_gmtime_adj(X509_getm_notAfter(crt), 86400);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(crt, name);
	X509_set_issuer_name(crt, issuer != NULL ? X509_get_subject_name(issuer) : name);
	X509_set_pubkey(crt, key);
	add_ext(crt, issuer != NULL ? issuer : crt, NID_basic_constraints,
		is_ca ? "critical,CA:TRUE" : "CA:FALSE");
	if (is_ca)
		add_ext(crt, issuer != NULL ? issuer : crt, NID_key_usage,
			"critical,keyCertSign,cRLSign");
	if (san != NULL)
		add_ext(crt, issuer != NULL ? issuer : crt, NID_subject_alt_name, san);
	X509_sign(crt, issuer_key != NULL ? issuer_key : key, EVP_sha256());
	X509_NAME_free(name);
	return crt;
}

/* Write PEM blocks to tmpdir/name: keys first, then certificates; cipher encrypts keys. */
static void write_pem(const char *name, EVP_PKEY *key, const EVP_CIPHER *cipher, X509 *a,
		      X509 *b)
{
	g_autofree char *path = path_of(name);
	FILE *f = fopen(path, "w");

	if (key != NULL)
		PEM_write_PrivateKey(f, key, cipher, cipher ? (unsigned char *)"secret" : NULL,
				     cipher ? 6 : 0, NULL, NULL);
	if (a != NULL)
		PEM_write_X509(f, a);
	if (b != NULL)
		PEM_write_X509(f, b);
	fclose(f);
}

static void write_text(const char *name, const char *text)
{
	g_autofree char *path = path_of(name);

	g_file_set_contents(path, text, -1, NULL);
}

/* The test's files: root, intermediate and leaf (CN 127.0.0.1), keys, and broken files. */
static void make_material(void)
{
	EVP_PKEY *root_key = new_key(), *int_key = new_key(), *leaf_key = new_key();
	EVP_PKEY *other_key = new_key();
	X509 *root = new_cert("Test root", root_key, NULL, NULL, true, NULL);
	X509 *inter = new_cert("Test intermediate", int_key, root, root_key, true, NULL);
	X509 *leaf = new_cert("127.0.0.1", leaf_key, inter, int_key, false,
			      "IP:127.0.0.1,URI:sip:127.0.0.1,DNS:localhost");
	g_autofree char *dir = path_of("a-directory");

	write_pem("root.pem", NULL, NULL, root, NULL);
	write_pem("chain.pem", NULL, NULL, leaf, inter);
	write_pem("leaf.pem", NULL, NULL, leaf, NULL);
	write_pem("key.pem", leaf_key, NULL, NULL, NULL);
	write_pem("combined.pem", leaf_key, NULL, leaf, inter);
	write_pem("other-key.pem", other_key, NULL, NULL, NULL);
	write_pem("encrypted-key.pem", leaf_key, EVP_aes_256_cbc(), NULL, NULL);
	write_text("garbage.pem", "this is not PEM at all\n");
	write_text("empty.pem", "");
	write_text("broken.pem", "-----BEGIN CERTIFICATE-----\nMIIB!!!!notbase64@@@\n"
				 "-----END CERTIFICATE-----\n");
	g_mkdir(dir, 0700);
	X509_free(root);
	X509_free(inter);
	X509_free(leaf);
	EVP_PKEY_free(root_key);
	EVP_PKEY_free(int_key);
	EVP_PKEY_free(leaf_key);
	EVP_PKEY_free(other_key);
}

/* Replace a string field of cfg; NULL names a file of tmpdir by name. */
static void set_str(char **field, const char *value)
{
	g_free(*field);
	*field = g_strdup(value);
}

static void set_file(char **field, const char *name)
{
	g_free(*field);
	*field = name[0] != '\0' ? path_of(name) : g_strdup("");
}

static struct ponte_config *tls_config(const char *cert, const char *key, const char *ca)
{
	struct ponte_config *cfg = ponte_config_defaults();

	g_strfreev(cfg->sip.transports);
	cfg->sip.transports = g_strsplit("udp,tcp,tls", ",", -1);
	set_file(&cfg->sip.tls_certificate, cert);
	set_file(&cfg->sip.tls_key, key);
	set_file(&cfg->sip.tls_ca, ca);
	return cfg;
}

/* Entries of a directory (0 when it is gone). */
static int nb_entries(const char *dir)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	int nb = 0;

	if (d == NULL)
		return 0;
	while (g_dir_read_name(d) != NULL)
		nb++;
	g_dir_close(d);
	return nb;
}

static int count_of(const char *text, const char *what)
{
	int nb = 0;

	for (const char *p = text; (p = strstr(p, what)) != NULL; p += strlen(what))
		nb++;
	return nb;
}

/* ---- the material checks ---- */

/* Expect sip_tls_create() to refuse cfg with want (%s: tmpdir), leaving no directory. */
static void expect_refused(const char *what, struct ponte_config *cfg, int want_rc,
			   const char *want_fmt)
{
	struct sip_tls *tls = NULL;
	char *why = NULL;
	g_autofree char *want = NULL;
	int rc = sip_tls_create(cfg, &tls, &why);

	/* A message ending with "(" goes on with OpenSSL's words: only its start is compared. */
	want = g_strdup_printf(want_fmt, tmpdir, tmpdir, tmpdir);
	CHECK(rc == want_rc && tls == NULL, "%s: refused with %d (got %d)", what, want_rc, rc);
	if (g_str_has_suffix(want_fmt, "("))
		CHECK(why != NULL && g_str_has_prefix(why, want), "%s: %s... (%s)", what, want,
		      why ? why : "no message");
	else
		CHECK_STR(why, want, want);
	CHECK(nb_entries(rundir) == 0, "%s: no directory left behind", what);
	sip_tls_destroy(tls);
	g_free(why);
	ponte_config_free(cfg);
}

static void test_refused(void)
{
	expect_refused("missing certificate", tls_config("nope.pem", "", ""), -ENOENT,
		       "sip.tls_certificate: cannot read %s/nope.pem: No such file or directory");
	expect_refused("certificate is a directory", tls_config("a-directory", "", ""), -EISDIR,
		       "sip.tls_certificate: cannot read %s/a-directory: Is a directory");
	expect_refused("no certificate", tls_config("garbage.pem", "key.pem", ""), -EINVAL,
		       "sip.tls_certificate: %s/garbage.pem holds no PEM certificate");
	expect_refused("empty certificate file", tls_config("empty.pem", "key.pem", ""), -EINVAL,
		       "sip.tls_certificate: %s/empty.pem holds no PEM certificate");
	expect_refused("damaged certificate", tls_config("broken.pem", "key.pem", ""), -EINVAL,
		       "sip.tls_certificate: %s/broken.pem: a certificate does not parse (");
	expect_refused("no key in the certificate's file", tls_config("chain.pem", "", ""),
		       -EINVAL,
		       "sip.tls_certificate: %s/chain.pem holds no PEM private key (put it there, "
		       "or name its file in sip.tls_key)");
	expect_refused("missing key", tls_config("chain.pem", "nokey.pem", ""), -ENOENT,
		       "sip.tls_key: cannot read %s/nokey.pem: No such file or directory");
	expect_refused("no key in sip.tls_key", tls_config("chain.pem", "root.pem", ""), -EINVAL,
		       "sip.tls_key: %s/root.pem holds no PEM private key");
	expect_refused("another certificate's key", tls_config("chain.pem", "other-key.pem", ""),
		       -EINVAL,
		       "sip.tls_key: the private key in %s/other-key.pem is not the key of the "
		       "first certificate of sip.tls_certificate %s/chain.pem");
	expect_refused("encrypted key", tls_config("chain.pem", "encrypted-key.pem", ""),
		       -EINVAL,
		       "sip.tls_key: %s/encrypted-key.pem: the private key is encrypted; give it "
		       "without a passphrase (e.g. openssl pkey -in KEY -out PLAIN)");
	expect_refused("missing authorities", tls_config("chain.pem", "key.pem", "noca.pem"),
		       -ENOENT, "sip.tls_ca: cannot read %s/noca.pem: No such file or directory");
	expect_refused("no authority", tls_config("chain.pem", "key.pem", "garbage.pem"), -EINVAL,
		       "sip.tls_ca: %s/garbage.pem holds no PEM certificate");
	expect_refused("no certificate named", tls_config("", "", ""), -EINVAL,
		       "sip.transports has tls but sip.tls_certificate is empty");
}

/* A message as the stack would get it, for sip_tls_contact_for_request(). */
static char *contact_for(struct sip_tls *tls, const char *ruri, const char *via_proto)
{
	g_autofree char *text = g_strdup_printf(
		"INVITE %s SIP/2.0\r\nVia: SIP/2.0/%s 192.0.2.1:5070;branch=z9hG4bK-1\r\n"
		"From: <sip:a@192.0.2.1>;tag=1\r\nTo: <sip:b@127.0.0.1>\r\nCall-ID: c1\r\n"
		"CSeq: 1 INVITE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
		ruri, via_proto);
	msg_t *msg = msg_make(sip_default_mclass(), 0, text, (isize_t)strlen(text));
	char *contact = sip_tls_contact_for_request(tls, sip_object(msg));

	msg_destroy(msg);
	return contact;
}

static void test_material(void)
{
	struct ponte_config *cfg = tls_config("chain.pem", "key.pem", "root.pem");
	struct sip_tls *tls = NULL;
	char *why = NULL;
	g_autofree char *agent_path = NULL, *cafile_path = NULL, *agent = NULL, *cafile = NULL;
	g_autofree char *dir = NULL;
	struct stat st;
	char *c;
	int rc;

	rc = sip_tls_create(cfg, &tls, &why);
	CHECK(rc == 0 && tls != NULL, "good files are taken (%s)", why ? why : "ok");
	if (tls == NULL) {
		ponte_config_free(cfg);
		g_free(why);
		return;
	}
	dir = g_strdup(sip_tls_dir(tls));
	CHECK(g_str_has_prefix(dir, rundir), "the directory is under XDG_RUNTIME_DIR (%s)", dir);
	CHECK(stat(dir, &st) == 0 && (st.st_mode & 07777) == 0700, "it is private (mode %o)",
	      st.st_mode & 07777);
	agent_path = g_build_filename(dir, "agent.pem", NULL);
	cafile_path = g_build_filename(dir, "cafile.pem", NULL);
	CHECK(stat(agent_path, &st) == 0 && (st.st_mode & 07777) == 0600,
	      "agent.pem is mode 0600 (%o)", st.st_mode & 07777);
	g_file_get_contents(agent_path, &agent, NULL, NULL);
	g_file_get_contents(cafile_path, &cafile, NULL, NULL);
	CHECK(agent != NULL && count_of(agent, "-----BEGIN PRIVATE KEY-----") == 1 &&
		      count_of(agent, "-----BEGIN CERTIFICATE-----") == 1 &&
		      strstr(agent, "PRIVATE KEY") < strstr(agent, "CERTIFICATE"),
	      "agent.pem: the key, then the leaf (sofia loads one certificate)");
	CHECK(cafile != NULL && count_of(cafile, "-----BEGIN CERTIFICATE-----") == 2,
	      "cafile.pem: the intermediate (to complete the chain sent) and the root");
	CHECK(sip_tls_verify_policy(tls) == TPTLS_VERIFY_SUBJECTS_OUT && sip_tls_is_verifying(tls),
	      "with sip.tls_ca: servers checked (chain and name), clients not asked");
	CHECK(strstr(sip_tls_summary(tls), "\"CN=127.0.0.1\" (IP:127.0.0.1, URI:sip:127.0.0.1, "
					   "DNS:localhost)") != NULL,
	      "the summary names the certificate (%s)", sip_tls_summary(tls));

	c = sip_tls_contact_for_target(tls, "sips:bob@pbx.example.org");
	CHECK_STR(c, "<sips:127.0.0.1:5061>", "to a sips: target: a sips: Contact");
	g_free(c);
	c = sip_tls_contact_for_target(tls, "sip:bob@pbx.example.org:5061;transport=TLS");
	CHECK_STR(c, "<sip:127.0.0.1:5061;transport=tls>", "to ;transport=tls: the TLS port");
	g_free(c);
	c = sip_tls_contact_for_target(tls, "sip:bob@pbx.example.org;transport=tcp");
	CHECK(c == NULL, "to a TCP target: nua's Contact");
	g_free(c);
	c = sip_tls_contact_for_target(tls, "sip:bob@pbx.example.org");
	CHECK(c == NULL, "to a plain target: nua's Contact");
	g_free(c);
	c = contact_for(tls, "sip:alice@127.0.0.1:5061;transport=tls", "TLS");
	CHECK_STR(c, "<sip:127.0.0.1:5061;transport=tls>", "an INVITE over TLS: the TLS port");
	g_free(c);
	c = contact_for(tls, "sips:alice@127.0.0.1", "TLS");
	CHECK_STR(c, "<sips:127.0.0.1:5061>", "a sips: INVITE: a sips: Contact (RFC 3261 12.1.1)");
	g_free(c);
	c = contact_for(tls, "sip:alice@127.0.0.1", "UDP");
	CHECK(c == NULL, "an INVITE over UDP: nua's Contact");
	g_free(c);

	sip_tls_remove(tls);
	CHECK(sip_tls_dir(tls) == NULL && !g_file_test(dir, G_FILE_TEST_EXISTS) &&
		      nb_entries(rundir) == 0,
	      "removed: nothing left");
	sip_tls_remove(tls);
	sip_tls_destroy(tls);
	sip_tls_destroy(NULL);
	ponte_config_free(cfg);

	/* The key in the certificate's file; a leaf alone and no authorities: no cafile.pem. */
	cfg = tls_config("combined.pem", "", "");
	rc = sip_tls_create(cfg, &tls, &why);
	CHECK(rc == 0 && sip_tls_verify_policy(tls) == TPTLS_VERIFY_NONE &&
		      !sip_tls_is_verifying(tls),
	      "key and chain in one file, no sip.tls_ca: taken, nobody checked");
	sip_tls_destroy(tls);
	ponte_config_free(cfg);
	cfg = tls_config("leaf.pem", "key.pem", "");
	rc = sip_tls_create(cfg, &tls, &why);
	g_free(cafile_path);
	cafile_path = g_build_filename(sip_tls_dir(tls), "cafile.pem", NULL);
	CHECK(rc == 0 && !g_file_test(cafile_path, G_FILE_TEST_EXISTS),
	      "a lone leaf without authorities: no cafile.pem");
	sip_tls_destroy(tls);
	CHECK(nb_entries(rundir) == 0, "destroyed: nothing left");
	ponte_config_free(cfg);

	/* Clients checked too; the Contact host follows sip.public_address and sip.listen. */
	cfg = tls_config("chain.pem", "key.pem", "root.pem");
	cfg->sip.tls_verify_clients = true;
	set_str(&cfg->sip.public_address, "2001:db8::7");
	cfg->sip.tls_port = 5071;
	rc = sip_tls_create(cfg, &tls, &why);
	CHECK(rc == 0 && sip_tls_verify_policy(tls) ==
				 (TPTLS_VERIFY_SUBJECTS_OUT | TPTLS_VERIFY_INCOMING),
	      "sip.tls_verify_clients: clients checked too");
	c = sip_tls_contact_for_target(tls, "sips:bob@pbx.example.org");
	CHECK_STR(c, "<sips:[2001:db8::7]:5071>", "behind NAT: the public address and tls_port");
	g_free(c);
	sip_tls_destroy(tls);
	set_str(&cfg->sip.public_address, "");
	set_str(&cfg->sip.listen, "0.0.0.0");
	rc = sip_tls_create(cfg, &tls, &why);
	c = sip_tls_contact_for_target(tls, "sips:bob@pbx.example.org");
	CHECK(rc == 0 && c == NULL, "on a wildcard address: nua's Contact (no one address)");
	g_free(c);
	sip_tls_destroy(tls);
	ponte_config_free(cfg);
	CHECK(sip_tls_contact_for_target(NULL, "sips:bob@x") == NULL &&
		      sip_tls_contact_for_request(NULL, NULL) == NULL,
	      "without TLS: nua's Contact");
}

/* ---- the stack ---- */

static int free_tcp_port(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	int s = socket(AF_INET, SOCK_STREAM, 0), port;

	bind(s, (struct sockaddr *)&sa, sizeof(sa));
	getsockname(s, (struct sockaddr *)&sa, &len);
	port = ntohs(sa.sin_port);
	close(s);
	return port;
}

/* A port free for both UDP and TCP. */
static int free_port(void)
{
	for (int tries = 0; tries < 100; tries++) {
		int port = free_tcp_port();
		struct sockaddr_in sa = {.sin_family = AF_INET,
					 .sin_port = htons((uint16_t)port),
					 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
		int u = socket(AF_INET, SOCK_DGRAM, 0);
		int rc = bind(u, (struct sockaddr *)&sa, sizeof(sa));

		close(u);
		if (rc == 0)
			return port;
	}
	return -1;
}

static int connect_lo(int port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct timeval tv = {.tv_sec = 5};
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(s);
		return -1;
	}
	return s;
}

/* What a client thread found; the main thread runs the stack's loop meanwhile. */
struct client {
	int port;
	atomic_bool is_done;
	bool is_verified; /* handshake done, chain verified against the root for 127.0.0.1 */
	char protocol[32];
	char reply[512]; /* the first line of the answer to OPTIONS */
	bool is_closed; /* garbage: the gateway closed the connection */
	bool has_answered; /* garbage: something other than a TLS alert came back */
};

static gpointer tls_client(gpointer data)
{
	struct client *cl = data;
	g_autofree char *root = path_of("root.pem");
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL *ssl = NULL;
	char buf[2048];
	int s, n;

	SSL_CTX_load_verify_locations(ctx, root, NULL);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	s = connect_lo(cl->port);
	if (s < 0)
		goto out;
	ssl = SSL_new(ctx);
	X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), "127.0.0.1");
	SSL_set_fd(ssl, s);
	if (SSL_connect(ssl) == 1 && SSL_get_verify_result(ssl) == X509_V_OK) {
		g_autofree char *req = g_strdup_printf(
			"OPTIONS sip:127.0.0.1:%d SIP/2.0\r\n"
			"Via: SIP/2.0/TLS 127.0.0.1:5999;branch=z9hG4bK-unit\r\n"
			"Max-Forwards: 70\r\nFrom: <sip:t@127.0.0.1>;tag=1\r\n"
			"To: <sip:127.0.0.1>\r\nCall-ID: unit-tls\r\nCSeq: 1 OPTIONS\r\n"
			"Content-Length: 0\r\n\r\n",
			cl->port);

		cl->is_verified = true;
		snprintf(cl->protocol, sizeof(cl->protocol), "%s", SSL_get_version(ssl));
		SSL_write(ssl, req, (int)strlen(req));
		n = SSL_read(ssl, buf, sizeof(buf) - 1);
		if (n > 0) {
			buf[n] = '\0';
			buf[strcspn(buf, "\r\n")] = '\0';
			snprintf(cl->reply, sizeof(cl->reply), "%.500s", buf);
		}
	}
	SSL_shutdown(ssl);
	close(s);
out:
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	atomic_store(&cl->is_done, true);
	return NULL;
}

static gpointer garbage_client(gpointer data)
{
	struct client *cl = data;
	unsigned char junk[8192];
	char buf[512];
	int s = connect_lo(cl->port);
	ssize_t n;

	if (s >= 0) {
		RAND_bytes(junk, sizeof(junk));
		send(s, junk, sizeof(junk), MSG_NOSIGNAL);
		send(s, "OPTIONS sip:x SIP/2.0\r\n\r\n", 25, MSG_NOSIGNAL);
		/* Random bytes may look like a TLS record header (1 in 256 start with a content
		 * type): OpenSSL may then answer a TLS alert before it closes, which is fine. Only
		 * anything else is an answer. */
		while ((n = recv(s, buf, sizeof(buf), 0)) > 0)
			if (buf[0] != 0x15 /* TLS alert record */)
				cl->has_answered = true;
		cl->is_closed = n == 0 || (n < 0 && errno == ECONNRESET);
		close(s);
	}
	atomic_store(&cl->is_done, true);
	return NULL;
}

static struct client *current;

static bool is_client_done(void)
{
	return atomic_load(&current->is_done);
}

static void run_client(struct client *cl, GThreadFunc fn)
{
	GThread *t = g_thread_new("client", fn, cl);

	current = cl;
	test_loop_run(is_client_done, 10000, 20);
	g_thread_join(t);
}

static void test_stack(void)
{
	struct ponte_config *cfg = tls_config("chain.pem", "key.pem", "root.pem");
	struct client ok1 = {0}, junk = {0}, ok2 = {0};
	struct ponte_sip *sip = NULL;
	char *why = NULL;
	int rc;

	cfg->sip.port = free_port();
	cfg->sip.tls_port = free_tcp_port();
	rc = ponte_sip_create(cfg, &sip, &why);
	CHECK(rc == 0 && sip != NULL, "a stack with udp, tcp and tls on 127.0.0.1:%d and :%d (%s)",
	      cfg->sip.port, cfg->sip.tls_port, why ? why : "ok");
	g_clear_pointer(&why, g_free);
	if (sip == NULL) {
		ponte_config_free(cfg);
		return;
	}
	CHECK(nb_entries(rundir) == 0, "once it listens, the key and certificates are off disk");

	ok1.port = cfg->sip.tls_port;
	run_client(&ok1, tls_client);
	CHECK(ok1.is_verified, "a client trusting only the root verifies the chain for 127.0.0.1 "
			       "(%s): the intermediate is sent", ok1.protocol);
	CHECK_STR(ok1.reply, "SIP/2.0 200 OK", "OPTIONS over TLS gets 200");

	junk.port = cfg->sip.tls_port;
	run_client(&junk, garbage_client);
	CHECK(junk.is_closed && !junk.has_answered,
	      "cleartext garbage on the TLS port: closed, no answer");
	ok2.port = cfg->sip.tls_port;
	run_client(&ok2, tls_client);
	CHECK(ok2.is_verified && strcmp(ok2.reply, "SIP/2.0 200 OK") == 0,
	      "and the port still serves (%s)", ok2.reply);

	ponte_sip_destroy(sip);
	ponte_config_free(cfg);

	/* A bad file: the stack does not start, and says why. */
	cfg = tls_config("chain.pem", "other-key.pem", "");
	cfg->sip.port = free_port();
	rc = ponte_sip_create(cfg, &sip, &why);
	CHECK(rc == -EINVAL && sip == NULL && why != NULL &&
		      g_str_has_prefix(why, "sip.tls_key: the private key in "),
	      "a key that does not match: no stack, and the reason (%s)", why ? why : "none");
	CHECK(nb_entries(rundir) == 0, "and no directory left behind");
	g_free(why);
	ponte_config_free(cfg);
}

int main(void)
{
	GError *err = NULL;

	ponte_log_set_level(getenv("PONTE_TEST_DEBUG") != NULL ? PONTE_LOG_DEBUG : PONTE_LOG_WARN);
	tmpdir = g_dir_make_tmp("ponte-test-sip-tls-XXXXXX", &err);
	rundir = g_build_filename(tmpdir, "run", NULL);
	g_mkdir(rundir, 0700);
	/* The code under test puts its directory there: the test can see what it leaves. */
	g_setenv("XDG_RUNTIME_DIR", rundir, TRUE);
	test_loop = g_main_loop_new(NULL, FALSE);
	make_material();

	test_refused();
	test_material();
	test_stack();

	g_main_loop_unref(test_loop);
	{
		g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", tmpdir);

		if (system(cmd) != 0)
			printf("# could not remove %s\n", tmpdir);
	}
	g_free(rundir);
	g_free(tmpdir);
	return tap_done();
}
