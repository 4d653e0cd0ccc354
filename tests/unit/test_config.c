/* SPDX-License-Identifier: MIT */
/*
 * Unit test of the configuration module: the schema table, defaults, the embedded default file,
 * a good file, lists in every YAML style, one bad file per kind of problem (every message
 * compared in full), ${VAR} expansion and unreadable files. Run from tests/unit: messages name
 * "configs/...". Output is TAP-like; the exit status is nonzero when any check failed.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "config.h"
#include "tap.h"

#ifndef PONTE_SRC_DIR
#error "PONTE_SRC_DIR must name the source tree (meson defines it)"
#endif

static void dump_errors(const GPtrArray *errors)
{
	guint i;

	for (i = 0; i < errors->len; i++)
		printf("#   got: %s\n", (const char *)g_ptr_array_index(errors, i));
}

/*
 * The first field in which a and b differ, or NULL. Written out field by field rather than
 * through the schema, so that a wrong offset in the schema shows up here.
 */
#define SAME_INT(f)                                                                                \
	do {                                                                                       \
		if (a->f != b->f)                                                                  \
			return #f;                                                                 \
	} while (0)
#define SAME_STR(f)                                                                                \
	do {                                                                                       \
		if (!a->f || !b->f || strcmp(a->f, b->f) != 0)                                     \
			return #f;                                                                 \
	} while (0)
#define SAME_LIST(f)                                                                               \
	do {                                                                                       \
		if (!a->f || !b->f ||                                                              \
		    !g_strv_equal((const char *const *)a->f, (const char *const *)b->f))           \
			return #f;                                                                 \
	} while (0)

static const char *account_diff(const struct ponte_sip_account *a,
				const struct ponte_sip_account *b)
{
	SAME_STR(name);
	SAME_STR(registrar);
	SAME_STR(aor);
	SAME_STR(username);
	SAME_STR(password);
	SAME_STR(outbound_proxy);
	SAME_INT(expires);
	SAME_INT(do_register);
	SAME_STR(incoming);
	return NULL;
}

static const char *trunk_diff(const struct ponte_sip_trunk *a, const struct ponte_sip_trunk *b)
{
	SAME_STR(name);
	SAME_STR(address);
	SAME_STR(username);
	SAME_STR(password);
	SAME_LIST(allow);
	return NULL;
}

static const char *config_diff(const struct ponte_config *a, const struct ponte_config *b)
{
	const char *diff = NULL;
	size_t i;

	SAME_INT(log.level);
	SAME_STR(log.file);
	SAME_STR(http.listen);
	SAME_INT(http.port);
	SAME_STR(http.web_root);
	SAME_INT(tls.enabled);
	SAME_STR(tls.cert);
	SAME_STR(tls.key);
	SAME_STR(tls.self_signed_dir);
	SAME_STR(signaling.path);
	SAME_INT(signaling.max_connections);
	SAME_INT(signaling.max_rooms);
	SAME_INT(signaling.max_members);
	SAME_INT(signaling.max_rooms_per_connection);
	SAME_INT(signaling.max_frame_bytes);
	SAME_INT(signaling.rate);
	SAME_INT(signaling.burst);
	SAME_INT(signaling.ping_interval);
	SAME_INT(signaling.dead_peer_timeout);
	SAME_INT(signaling.join_timeout);
	SAME_LIST(webrtc.addresses);
	SAME_STR(webrtc.public_address);
	SAME_INT(webrtc.announce_private);
	SAME_INT(webrtc.port_min);
	SAME_INT(webrtc.port_max);
	SAME_STR(webrtc.stun_server);
	SAME_INT(webrtc.consent_timeout);
	SAME_LIST(webrtc.srtp_profiles);
	SAME_INT(webrtc.dtls_setup);
	SAME_STR(webrtc.dtls_cert);
	SAME_STR(webrtc.dtls_key);
	SAME_INT(webrtc.max_sessions);
	SAME_INT(dataplane.backend);
	SAME_INT(dataplane.srtp_engine);
	SAME_INT(dataplane.max_flows);
	SAME_INT(dataplane.input_queue);
	SAME_INT(rooms.media);
	SAME_INT(rooms.relay_max_members);
	SAME_INT(sip.nb_accounts);
	SAME_INT(sip.nb_trunks);
	/* An empty list is NULL, not an allocation of nothing. */
	if (!a->sip.accounts != !a->sip.nb_accounts || !a->sip.trunks != !a->sip.nb_trunks)
		return "sip.accounts or sip.trunks: NULL when empty";
	for (i = 0; !diff && i < a->sip.nb_accounts; i++)
		diff = account_diff(&a->sip.accounts[i], &b->sip.accounts[i]);
	for (i = 0; !diff && i < a->sip.nb_trunks; i++)
		diff = trunk_diff(&a->sip.trunks[i], &b->sip.trunks[i]);
	if (diff)
		return diff;
	SAME_STR(sip.number_route);
	SAME_LIST(sip.transports);
	SAME_INT(sip.tls_port);
	SAME_STR(sip.tls_certificate);
	SAME_STR(sip.tls_key);
	SAME_STR(sip.tls_ca);
	SAME_INT(sip.tls_verify_clients);
	return NULL;
}
#undef SAME_INT
#undef SAME_STR
#undef SAME_LIST

/* Lists for the expected configurations (NULL-terminated, as the parser stores them). */
#define LIST(...) ((char *[]){__VA_ARGS__, NULL})
#define EMPTY_LIST ((char *[]){NULL})

/* The defaults as the task states them, independent of config_schema.c. */
static const struct ponte_config want_defaults = {
	.log = {.level = PONTE_LOG_INFO, .file = ""},
	.http = {.listen = "127.0.0.1", .port = 8080, .web_root = ""},
	.tls = {.enabled = false, .cert = "", .key = "", .self_signed_dir = "ponte-tls"},
	.signaling =
		{
			.path = "/ws",
			.max_connections = 10000,
			.max_rooms = 1000,
			.max_members = 16,
			.max_rooms_per_connection = 4,
			.max_frame_bytes = 65536,
			.rate = 50,
			.burst = 100,
			.ping_interval = 15,
			.dead_peer_timeout = 30,
			.join_timeout = 60,
		},
	.webrtc =
		{
			.addresses = LIST("127.0.0.1"),
			.public_address = "",
			.announce_private = false,
			.port_min = 20000,
			.port_max = 39999,
			.stun_server = "",
			.consent_timeout = 30,
			.srtp_profiles = LIST("AEAD_AES_128_GCM", "AES128_CM_SHA1_80"),
			.dtls_setup = PONTE_DTLS_SETUP_PASSIVE,
			.dtls_cert = "",
			.dtls_key = "",
			.max_sessions = 1000,
		},
	.dataplane =
		{
			.backend = PONTE_DP_SOCKET,
			.srtp_engine = PONTE_SRTP_ENGINE_AUTO,
			.max_flows = 65536,
			.input_queue = 4096,
		},
	.rooms = {.media = PONTE_ROOM_MEDIA_P2P, .relay_max_members = 8},
	.sip = {.accounts = NULL, .nb_accounts = 0, .trunks = NULL, .nb_trunks = 0,
		.number_route = "", .transports = LIST("udp", "tcp"), .tls_port = 5061,
		.tls_certificate = "", .tls_key = "", .tls_ca = "", .tls_verify_clients = false},
};

/* What configs/good.yaml sets: every key away from its default. */
static const struct ponte_config want_good = {
	.log = {.level = PONTE_LOG_DEBUG, .file = "/var/log/ponte.log"},
	.http = {.listen = "::1", .port = 8443, .web_root = "/srv/ponte/web"},
	.tls =
		{
			.enabled = true,
			.cert = "/etc/ponte/cert.pem",
			.key = "/etc/ponte/key.pem",
			.self_signed_dir = "/var/lib/ponte/tls",
		},
	.signaling =
		{
			.path = "/signal",
			.max_connections = 500,
			.max_rooms = 200,
			.max_members = 2,
			.max_rooms_per_connection = 64,
			.max_frame_bytes = 128,
			.rate = 10,
			.burst = 20,
			.ping_interval = 5,
			.dead_peer_timeout = 3600,
			.join_timeout = 86400,
		},
	.webrtc =
		{
			/* Written as in the file: "::1" is not rewritten to a canonical form. */
			.addresses = LIST("10.0.0.5", "::1", "2001:db8::5"),
			.public_address = "203.0.113.7",
			.announce_private = true,
			.port_min = 0,
			.port_max = 0,
			.stun_server = "stun.example.org:3478",
			.consent_timeout = 300,
			.srtp_profiles = LIST("AES128_CM_SHA1_80", "AEAD_AES_128_GCM"),
			.dtls_setup = PONTE_DTLS_SETUP_ACTIVE,
			.dtls_cert = "/etc/ponte/dtls.pem",
			.dtls_key = "/etc/ponte/dtls.key",
			.max_sessions = 100000,
		},
	.dataplane =
		{
			.backend = PONTE_DP_DPDK,
			.srtp_engine = PONTE_SRTP_ENGINE_LIBSRTP2,
			.max_flows = 4000000,
			.input_queue = 64,
		},
	.rooms = {.media = PONTE_ROOM_MEDIA_RELAY, .relay_max_members = 2},
	.sip = {.number_route = "", .transports = LIST("udp", "tcp"), .tls_port = 5061,
		.tls_certificate = "", .tls_key = "", .tls_ca = "", .tls_verify_clients = false},
};

/* Load file (or parse text under that name) and expect success with the configuration want. */
static void expect_config(const char *name, const char *text, const struct ponte_config *want)
{
	GPtrArray *errors = g_ptr_array_new_with_free_func(g_free);
	struct ponte_config *cfg = NULL;
	const char *diff = NULL;
	int rc;

	if (text)
		rc = ponte_config_parse(name, text, strlen(text), errors, &cfg);
	else
		rc = ponte_config_load(name, errors, &cfg);
	CHECK(rc == 0 && cfg && errors->len == 0, "%s: accepted", name);
	if (errors->len)
		dump_errors(errors);
	if (cfg) {
		diff = config_diff(cfg, want);
		CHECK(!diff, "%s: every field as expected%s%s", name, diff ? "; differs: " : "",
		      diff ? diff : "");
		CHECK(strcmp(cfg->source, name) == 0, "%s: source names it", name);
	}
	ponte_config_free(cfg);
	g_ptr_array_free(errors, TRUE);
}

/*
 * Load file (or parse text under that name) and expect it refused with exactly the messages
 * of want (NULL-terminated), in order. Each message is one check, named by the message.
 */
static void expect_errors(const char *name, const char *text, const char *const *want)
{
	GPtrArray *errors = g_ptr_array_new_with_free_func(g_free);
	struct ponte_config *cfg = NULL;
	size_t nb_want = 0, i;
	int rc;

	while (want[nb_want])
		nb_want++;
	if (text)
		rc = ponte_config_parse(name, text, strlen(text), errors, &cfg);
	else
		rc = ponte_config_load(name, errors, &cfg);
	CHECK(rc == -EINVAL && !cfg, "%s: refused with -EINVAL and no configuration", name);
	CHECK(errors->len == nb_want, "%s: %zu message(s)", name, nb_want);
	if (errors->len != nb_want)
		dump_errors(errors);
	for (i = 0; i < nb_want; i++)
		CHECK_STR(i < errors->len ? g_ptr_array_index(errors, i) : NULL, want[i], want[i]);
	ponte_config_free(cfg);
	g_ptr_array_free(errors, TRUE);
}

#define ERRORS(...) ((const char *const[]){__VA_ARGS__, NULL})

static size_t field_size(enum cfg_type type)
{
	switch (type) {
	case CFG_INT:
	case CFG_ENUM:
		return sizeof(int);
	case CFG_BOOL:
		return sizeof(bool);
	case CFG_STR:
	case CFG_ADDR:
		return sizeof(char *);
	case CFG_STRLIST:
		return sizeof(char **);
	case CFG_MAPLIST:
		return sizeof(void *);
	case CFG_SECTION:
		break;
	}
	return 0;
}

/* The row of path, or NULL. */
static const struct cfg_key *row_of(const char *path, size_t nb_rows)
{
	size_t i;

	for (i = 0; i < nb_rows; i++)
		if (!strcmp(ponte_cfg_schema[i].path, path))
			return &ponte_cfg_schema[i];
	return NULL;
}

/*
 * Row k, a key of the elements of a list of mappings ("sip.accounts[].name"), is well formed:
 * its list comes before it, its field lies inside the element, and it is of a type an element
 * key may have. A required key has no default, and every other key has one.
 */
static bool is_good_element_key(const struct cfg_key *k, size_t index)
{
	const char *brackets = strstr(k->path, "[].");
	char *list_path = g_strndup(k->path, (size_t)(brackets - k->path));
	const struct cfg_key *list = row_of(list_path, index);
	bool is_ok = list && list->type == CFG_MAPLIST && !strchr(brackets + 3, '.') &&
		     k->size == field_size(k->type) && k->offset + k->size <= list->elem_size &&
		     k->type != CFG_SECTION && k->type != CFG_MAPLIST &&
		     !(k->flags & CFG_F_REQUIRED) == (k->def != NULL);

	g_free(list_path);
	return is_ok;
}

/* Every row is well formed: the parser and the reference trust the table blindly. */
static void test_schema(void)
{
	size_t i, j;

	for (i = 0; i < ponte_cfg_schema_len; i++) {
		const struct cfg_key *k = &ponte_cfg_schema[i];
		const char *dot = strrchr(k->path, '.');
		bool is_ok = k->doc && *k->doc;

		for (j = 0; j < i; j++)
			is_ok = is_ok && strcmp(ponte_cfg_schema[j].path, k->path) != 0;
		/* Formats apply to strings; a name names an element; only element keys are required. */
		if (k->flags & (CFG_F_SIP_URI | CFG_F_NAME | CFG_F_NAME_REF))
			is_ok = is_ok && k->type == CFG_STR;
		if (k->flags & (CFG_F_NAME | CFG_F_REQUIRED))
			is_ok = is_ok && strstr(k->path, "[].");
		if (k->type == CFG_SECTION) {
			is_ok = is_ok && !dot;
		} else if (strstr(k->path, "[].")) {
			is_ok = is_ok && is_good_element_key(k, i);
		} else {
			char *parent = dot ? g_strndup(k->path, (size_t)(dot - k->path)) : NULL;
			bool has_parent = false;

			/* The section row must come first: the reference lists keys under it. */
			for (j = 0; parent && j < i; j++) {
				const struct cfg_key *sec = &ponte_cfg_schema[j];

				if (sec->type == CFG_SECTION && !strcmp(sec->path, parent))
					has_parent = true;
			}
			g_free(parent);
			is_ok = is_ok && has_parent && k->def && k->size == field_size(k->type) &&
				k->offset + k->size <= sizeof(struct ponte_config);
			/* A list of mappings is empty by default; its count is a size_t. */
			if (k->type == CFG_MAPLIST)
				is_ok = is_ok && !strcmp(k->def, "[]") && k->elem_size > 0 &&
					0 <= k->min && k->min <= k->max &&
					k->count_offset + sizeof(size_t) <=
						sizeof(struct ponte_config);
		}
		/* The rest holds for the keys of sections and of list elements alike. */
		if (k->type == CFG_INT)
			is_ok = is_ok && k->min <= k->max;
		if (k->type == CFG_ENUM || (k->type == CFG_STRLIST && k->elem == CFG_ENUM))
			is_ok = is_ok && k->names && k->names[0];
		/* A list holds strings; its count is never negative. */
		if (k->type == CFG_STRLIST)
			is_ok = is_ok && 0 <= k->min && k->min <= k->max &&
				(k->elem == CFG_STR || k->elem == CFG_ADDR || k->elem == CFG_ENUM);
		if (k->flags & CFG_F_UNIQUE)
			is_ok = is_ok && k->type == CFG_STRLIST;
		/* "" means "not set" only where it is otherwise refused. */
		if ((k->flags & CFG_F_EMPTY_OK) && k->type != CFG_ADDR)
			is_ok = is_ok && k->type == CFG_STR &&
				(k->flags & (CFG_F_URL_PATH | CFG_F_HOST_PORT | CFG_F_SIP_URI |
					     CFG_F_NAME_REF));
		CHECK(is_ok, "schema row %s is well formed", k->path);
	}
}

static void test_defaults(void)
{
	struct ponte_config *cfg = ponte_config_defaults();
	const char *diff = config_diff(cfg, &want_defaults);

	CHECK(!diff, "defaults are the documented ones%s%s", diff ? "; differs: " : "",
	      diff ? diff : "");
	ponte_config_free(cfg);
	ponte_config_free(NULL);
	CHECK(true, "ponte_config_free(NULL) is harmless");

	CHECK(!strcmp(ponte_config_enum_name("log.level", PONTE_LOG_ERROR), "error") &&
		      !strcmp(ponte_config_enum_name("log.level", PONTE_LOG_WARN), "warn") &&
		      !strcmp(ponte_config_enum_name("log.level", PONTE_LOG_INFO), "info") &&
		      !strcmp(ponte_config_enum_name("log.level", PONTE_LOG_DEBUG), "debug"),
	      "enum names follow enum ponte_log_level");
	CHECK(!strcmp(ponte_config_enum_name("dataplane.backend", PONTE_DP_SOCKET), "socket") &&
		      !strcmp(ponte_config_enum_name("dataplane.backend", PONTE_DP_DPDK), "dpdk"),
	      "enum names follow enum ponte_dp_backend");
	CHECK(!strcmp(ponte_config_enum_name("webrtc.dtls_setup", PONTE_DTLS_SETUP_PASSIVE),
		      "passive") &&
		      !strcmp(ponte_config_enum_name("webrtc.dtls_setup", PONTE_DTLS_SETUP_ACTIVE),
			      "active"),
	      "enum names follow enum ponte_dtls_setup");
	CHECK(!strcmp(ponte_config_enum_name("dataplane.srtp_engine", PONTE_SRTP_ENGINE_LIBSRTP2),
		      "libsrtp2"),
	      "enum names follow enum ponte_srtp_engine");
	CHECK(!strcmp(ponte_config_enum_name("rooms.media", PONTE_ROOM_MEDIA_P2P), "p2p") &&
		      !strcmp(ponte_config_enum_name("rooms.media", PONTE_ROOM_MEDIA_RELAY),
			      "relay"),
	      "enum names follow enum ponte_room_media");
	/* A list of names stores the names: it is no enum with an index. */
	CHECK(!ponte_config_enum_name("webrtc.srtp_profiles", 0), "a list has no enum name");
	CHECK(!ponte_config_enum_name("log.level", 4) && !ponte_config_enum_name("log.level", -1) &&
		      !ponte_config_enum_name("http.port", 0) && !ponte_config_enum_name("nope", 0),
	      "enum name of a bad value or key is NULL");
}

static const char *scalar_of(yaml_document_t *doc, int id)
{
	yaml_node_t *node = yaml_document_get_node(doc, id);

	return node && node->type == YAML_SCALAR_NODE ? (const char *)node->data.scalar.value
						      : "";
}

/* The key paths ("section.key") of a two-level YAML file, read with libyaml directly. */
static GPtrArray *yaml_key_paths(const char *file)
{
	GPtrArray *paths = g_ptr_array_new_with_free_func(g_free);
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root, *sec;
	yaml_node_pair_t *p, *q;
	FILE *f = fopen(file, "r");

	if (!f)
		return paths;
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &doc))
		goto cleanup;
	root = yaml_document_get_root_node(&doc);
	if (root && root->type == YAML_MAPPING_NODE) {
		for (p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
			sec = yaml_document_get_node(&doc, p->value);
			if (sec->type != YAML_MAPPING_NODE)
				continue;
			for (q = sec->data.mapping.pairs.start; q < sec->data.mapping.pairs.top;
			     q++)
				g_ptr_array_add(paths, g_strdup_printf("%s.%s",
								       scalar_of(&doc, p->key),
								       scalar_of(&doc, q->key)));
		}
	}
	yaml_document_delete(&doc);
cleanup:
	yaml_parser_delete(&parser);
	fclose(f);
	return paths;
}

/* configs/ponte.yaml is what `ponte` runs without -c: it must be the defaults, all spelt out. */
static void test_default_file(void)
{
	const char *file = PONTE_SRC_DIR "/configs/ponte.yaml";
	GPtrArray *paths = yaml_key_paths(file);
	size_t i;
	guint j;

	expect_config(file, NULL, &want_defaults);
	for (i = 0; i < ponte_cfg_schema_len; i++) {
		const char *path = ponte_cfg_schema[i].path;
		bool is_found = false;

		/* The lists of mappings are empty: their elements' keys are in comments. */
		if (ponte_cfg_schema[i].type == CFG_SECTION || strstr(path, "[]."))
			continue;
		for (j = 0; j < paths->len; j++)
			is_found = is_found || !strcmp(g_ptr_array_index(paths, j), path);
		CHECK(is_found, "configs/ponte.yaml sets %s", path);
	}
	g_ptr_array_free(paths, TRUE);
}

/* docs/config.md is generated: it must be exactly what ponte_config_write_doc() writes now. */
static void test_doc(void)
{
	char *have = NULL, *want = NULL;
	size_t len = 0, i;
	FILE *mem = open_memstream(&want, &len);
	bool is_current;

	ponte_config_write_doc(mem);
	fclose(mem);
	for (i = 0; i < ponte_cfg_schema_len; i++) {
		char *cell = g_strdup_printf(ponte_cfg_schema[i].type == CFG_SECTION ? "## `%s`"
										     : "| `%s` |",
					     ponte_cfg_schema[i].path);

		CHECK(strstr(want, cell) != NULL, "reference documents %s",
		      ponte_cfg_schema[i].path);
		g_free(cell);
	}
	is_current = g_file_get_contents(PONTE_SRC_DIR "/docs/config.md", &have, NULL, NULL) &&
		     !strcmp(have, want);
	CHECK(is_current, "docs/config.md is current");
	if (!is_current)
		printf("#   regenerate it: build/ponte --config-doc > docs/config.md\n");
	g_free(have);
	free(want);
}

static void test_good(void)
{
	static const char *const empty[] = {"configs/empty.yaml", "configs/comments.yaml",
					    "configs/empty-sections.yaml"};
	struct ponte_config want_tls = want_defaults, want_stun = want_defaults;
	size_t i;

	want_tls.tls.enabled = true;
	expect_config("configs/good.yaml", NULL, &want_good);
	for (i = 0; i < G_N_ELEMENTS(empty); i++)
		expect_config(empty[i], NULL, &want_defaults);
	expect_config("no-text", "", &want_defaults);
	expect_config("document-marker", "---\n", &want_defaults);
	expect_config("core-booleans", "tls:\n    enabled: TRUE\n", &want_tls);
	expect_config("core-booleans-off", "tls: {enabled: False}\n", &want_defaults);
	expect_config("signed-zero-padded", "http:\n    port: +08080\n", &want_defaults);
	expect_config("quoted-strings", "http: {listen: '127.0.0.1'}\nlog: {level: \"info\"}\n",
		      &want_defaults);
	expect_config("quoted-key", "\"http\":\n    \"port\": 8080\n", &want_defaults);
	expect_config("anchor-without-alias", "http:\n    port: &p 8080\n", &want_defaults);
	/* An address key that takes "" takes no value as "" too, like a string key. */
	expect_config("empty-address", "webrtc:\n    public_address:\n", &want_defaults);
	expect_config("default-lists",
		      "webrtc:\n    addresses: ['127.0.0.1']\n    srtp_profiles:\n"
		      "      - AEAD_AES_128_GCM\n      - AES128_CM_SHA1_80\n",
		      &want_defaults);
	/* HOST:PORT with an IPv6 host and with an IPv4 one (good.yaml has a name). */
	want_stun.webrtc.stun_server = "[2001:db8::1]:3478";
	expect_config("stun-v6", "webrtc:\n    stun_server: \"[2001:db8::1]:3478\"\n",
		      &want_stun);
	want_stun.webrtc.stun_server = "192.0.2.1:65535";
	expect_config("stun-v4", "webrtc:\n    stun_server: 192.0.2.1:65535\n", &want_stun);
}

/* Lists in each style: empty, one line (over several lines too), one element per line. */
static void test_lists(void)
{
	struct ponte_config want = want_defaults;

	want.webrtc.addresses = EMPTY_LIST;
	want.webrtc.srtp_profiles = LIST("AES128_CM_SHA1_80");
	expect_config("configs/lists.yaml", NULL, &want);
	expect_config("empty-in-flow-mapping",
		      "webrtc: {addresses: [], srtp_profiles: [AES128_CM_SHA1_80]}\n", &want);

	want.webrtc.addresses = LIST("10.0.0.1", "::1", "fe80::1");
	want.webrtc.srtp_profiles = LIST("AEAD_AES_128_GCM");
	expect_config("configs/lists-flow.yaml", NULL, &want);
}

/* What configs/sip-lists.yaml sets: one account with every key set, one with the defaults. */
static struct ponte_sip_account want_accounts[] = {
	{
		.name = "office",
		.registrar = "sip:pbx.example.com",
		.aor = "sip:1001@example.com",
		.username = "1001",
		.password = "s3cret",
		.outbound_proxy = "sips:sbc.example.com:5061;transport=tcp",
		.expires = 3600,
		.do_register = false,
		.incoming = "room-front_desk",
	},
	{
		.name = "home_2",
		.registrar = "sip:[2001:db8::10]:5070",
		.aor = "",
		.username = "",
		.password = "",
		.outbound_proxy = "",
		.expires = 600,
		.do_register = true,
		.incoming = "",
	},
};

static struct ponte_sip_trunk want_trunks[] = {
	{
		.name = "carrier",
		.address = "sip:203.0.113.5:5060",
		.username = "ponte",
		.password = "p@ss:word",
		.allow = LIST("203.0.113.5", "2001:db8::5"),
	},
};

/* Lists of mappings: elements in block and flow style, defaults, names referred to. */
static void test_sip_lists(void)
{
	struct ponte_sip_trunk bare_trunk = {
		.name = "t-1",
		.address = "sip:10.0.0.1",
		.username = "",
		.password = "",
		.allow = EMPTY_LIST,
	};
	struct ponte_sip_account env_account = want_accounts[1];
	struct ponte_config want = want_defaults;

	want.sip.accounts = want_accounts;
	want.sip.nb_accounts = G_N_ELEMENTS(want_accounts);
	want.sip.trunks = want_trunks;
	want.sip.nb_trunks = G_N_ELEMENTS(want_trunks);
	want.sip.number_route = "carrier";
	expect_config("configs/sip-lists.yaml", NULL, &want);

	/* A trunk with only its required keys: empty credentials, an empty (not NULL) list. */
	want = want_defaults;
	want.sip.trunks = &bare_trunk;
	want.sip.nb_trunks = 1;
	expect_config("trunk-defaults", "sip:\n    trunks: [{name: t-1, address: \"sip:10.0.0.1\"}]\n",
		      &want);
	want.sip.number_route = "t-1";
	expect_config("route-to-trunk",
		      "sip:\n    trunks:\n        - name: t-1\n          address: sip:10.0.0.1\n"
		      "    number_route: t-1\n",
		      &want);
	expect_config("empty-lists", "sip: {accounts: [], trunks: [], number_route: \"\"}\n",
		      &want_defaults);

	/* A password is expanded like any string, and never shown when it is missing. */
	setenv("PONTE_TEST_SIP_PASSWORD", "hunter2:${X}", 1);
	env_account.password = "hunter2:${X}";
	want = want_defaults;
	want.sip.accounts = &env_account;
	want.sip.nb_accounts = 1;
	expect_config("env-password",
		      "sip:\n    accounts:\n        - name: home_2\n"
		      "          registrar: \"sip:[2001:db8::10]:5070\"\n"
		      "          password: ${PONTE_TEST_SIP_PASSWORD}\n",
		      &want);
	unsetenv("PONTE_TEST_SIP_PASSWORD");
	expect_errors("env-password-unset",
		      "sip:\n    accounts:\n        - name: home_2\n"
		      "          registrar: \"sip:[2001:db8::10]:5070\"\n"
		      "          password: ${PONTE_TEST_SIP_PASSWORD}\n",
		      ERRORS("env-password-unset:5:21: sip.accounts[0].password: environment "
			     "variable PONTE_TEST_SIP_PASSWORD is not set"));
}

/*
 * sip.accounts[].incoming: a browser name or room-KEY, as the SIP stack rings them (sip_reg.c
 * judges both here and at start); anything else is refused where the file sets it, so that
 * --check-config finds it, not only the start of the stack.
 */
static void test_account_incoming(void)
{
	struct ponte_sip_account accts[3] = {
		{.name = "a", .registrar = "sip:10.0.0.1", .incoming = "alice.b-1_2"},
		{.name = "b", .registrar = "sip:10.0.0.1", .incoming = "room-Zk3x_q0-J5"},
		{.name = "c", .registrar = "sip:10.0.0.1", .incoming = ""},
	};
	struct ponte_config want = want_defaults;

	for (size_t i = 0; i < G_N_ELEMENTS(accts); i++) {
		accts[i].aor = accts[i].username = accts[i].password = "";
		accts[i].outbound_proxy = "";
		accts[i].expires = 600;
		accts[i].do_register = true;
	}
	want.sip.accounts = accts;
	want.sip.nb_accounts = G_N_ELEMENTS(accts);
	expect_config("incoming-good",
		      "sip:\n    accounts:\n"
		      "        - {name: a, registrar: \"sip:10.0.0.1\", incoming: alice.b-1_2}\n"
		      "        - {name: b, registrar: \"sip:10.0.0.1\", incoming: room-Zk3x_q0-J5}\n"
		      "        - {name: c, registrar: \"sip:10.0.0.1\", incoming: \"\"}\n",
		      &want);
#define INCOMING_EXPECTED                                                                          \
	"expected a browser name (1 to 32 of [A-Za-z0-9._-]) or room-KEY (a room name of 1 to "    \
	"128 bytes without ':' or control characters), got "
	expect_errors(
	    "incoming-bad",
	    "sip:\n    accounts:\n"
	    "        - {name: a, registrar: \"sip:10.0.0.1\", incoming: \"bad name\"}\n"
	    "        - name: b\n"
	    "          registrar: \"sip:10.0.0.1\"\n"
	    "          incoming: \"room-a:b\"\n"
	    "        - {name: c, registrar: \"sip:10.0.0.1\", incoming: room-}\n"
	    "        - {name: d, registrar: \"sip:10.0.0.1\", incoming: "
	    "abcdefghijklmnopqrstuvwxyz0123456}\n"
	    "        - {name: e, registrar: \"sip:10.0.0.1\", incoming: \"room-\\ta\"}\n"
	    "        - {name: f, registrar: \"sip:10.0.0.1\", incoming: \"al/ice\"}\n",
	    ERRORS("incoming-bad:3:58: sip.accounts[0].incoming: " INCOMING_EXPECTED "\"bad name\"",
		   "incoming-bad:6:21: sip.accounts[1].incoming: " INCOMING_EXPECTED "\"room-a:b\"",
		   "incoming-bad:7:58: sip.accounts[2].incoming: " INCOMING_EXPECTED "\"room-\"",
		   "incoming-bad:8:58: sip.accounts[3].incoming: " INCOMING_EXPECTED
		   "\"abcdefghijklmnopqrstuvwxyz0123456\"",
		   "incoming-bad:9:58: sip.accounts[4].incoming: " INCOMING_EXPECTED
		   "\"room-\\ta\"",
		   "incoming-bad:10:58: sip.accounts[5].incoming: " INCOMING_EXPECTED "\"al/ice\""));
#undef INCOMING_EXPECTED
}

/*
 * SIP over TLS: the keys, and the rules between them (checked once the whole file is read,
 * each reported where the file set the key to change).
 */
static void test_sip_tls(void)
{
	struct ponte_config want = want_defaults;

	want.sip.transports = LIST("tls", "udp", "tcp");
	want.sip.port = 5070;
	want.sip.tls_port = 5071;
	want.sip.tls_certificate = "/etc/ponte/sip-chain.pem";
	want.sip.tls_key = "/etc/ponte/sip-key.pem";
	want.sip.tls_ca = "/etc/ssl/certs/ca-certificates.crt";
	want.sip.tls_verify_clients = true;
	expect_config("configs/sip-tls.yaml", NULL, &want);

	/* TLS alone, the key in the certificate's file, nobody checked. */
	want = want_defaults;
	want.sip.transports = LIST("tls");
	want.sip.tls_certificate = "/etc/ponte/sip.pem";
	expect_config("tls-only", "sip: {transports: [tls], tls_certificate: /etc/ponte/sip.pem}\n",
		      &want);
	/* UDP and TLS may share a number: a UDP port is not a TCP port. */
	want.sip.transports = LIST("udp", "tls");
	want.sip.tls_port = 5060;
	expect_config("udp-tls-one-port",
		      "sip:\n    transports: [udp, tls]\n    tls_port: 5060\n"
		      "    tls_certificate: /etc/ponte/sip.pem\n",
		      &want);
	/* TLS keys without tls in sip.transports are kept, and unused. */
	want = want_defaults;
	want.sip.tls_certificate = "/etc/ponte/sip.pem";
	want.sip.tls_port = 5060;
	expect_config("tls-keys-unused",
		      "sip: {tls_certificate: /etc/ponte/sip.pem, tls_port: 5060}\n", &want);

	expect_errors("tls-no-certificate", "sip:\n    transports: [udp, tls]\n",
		      ERRORS("tls-no-certificate:2:5: sip.transports: tls needs "
			     "sip.tls_certificate (a PEM certificate chain)"));
	/* The rule reads the value: an empty string is no certificate. */
	expect_errors("tls-empty-certificate", "sip: {tls_certificate: \"\", transports: [tls]}\n",
		      ERRORS("tls-empty-certificate:1:28: sip.transports: tls needs "
			     "sip.tls_certificate (a PEM certificate chain)"));
	expect_errors("verify-clients-no-ca", "sip:\n    tls_verify_clients: true\n",
		      ERRORS("verify-clients-no-ca:2:5: sip.tls_verify_clients: needs sip.tls_ca "
			     "(the authorities client certificates must come from)"));
	/* Placed at sip.port when sip.tls_port keeps its default. */
	expect_errors("tcp-tls-one-port",
		      "sip:\n    transports: [tcp, tls]\n    port: 5061\n"
		      "    tls_certificate: /etc/ponte/sip.pem\n",
		      ERRORS("tcp-tls-one-port:3:5: sip.port: tcp and tls cannot share port 5061 "
			     "(sip.port and sip.tls_port)"));
	expect_errors("tls-not-a-transport", "sip:\n    transports: [udp, sctp]\n",
		      ERRORS("tls-not-a-transport:2:23: sip.transports[1]: expected one of: udp, "
			     "tcp, tls (got \"sctp\")"));
	/* After a syntax error the values past it are unknown: no rule is checked. */
	expect_errors("tls-rules-syntax", "sip:\n    transports: [udp, tls]\nhttp: {port: 80\n",
		      ERRORS("tls-rules-syntax:4:1: syntax: did not find expected ',' or '}' "
			     "(while parsing a flow mapping at 3:7)"));
}

/* sip: or sips:, an optional user part, a host, an optional port; parameters unchecked. */
static void test_sip_uris(void)
{
	static const char *const good[] = {
		"sip:pbx",
		"SIP:pbx.example.com",
		"sips:1001@pbx.example.com:5061",
		"sip:1001:secret@192.0.2.1",
		"sip:[2001:db8::1]",
		"sip:[::1]:5060;transport=tcp",
		"sip:pbx.example.com;lr?subject=x",
	};
	static const char *const bad[] = {
		"pbx.example.com", "sip:", "sip:1001@", "sip:@pbx", "sip:pbx:0", "sip:pbx:65536",
		"sip:pbx:", "sip:pbx:50x", "sip:[::1", "sip:[zz]", "sip:2001:db8::1", "sip:pb x",
		"sip:-pbx", "tel:+33123456789", "http://pbx.example.com",
	};
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(good); i++) {
		char *text = g_strdup_printf("sip:\n    trunks: [{name: t, address: \"%s\"}]\n",
					     good[i]);
		struct ponte_config *cfg = NULL;
		int rc = ponte_config_parse("uri", text, strlen(text), NULL, &cfg);

		CHECK(rc == 0 && cfg && !strcmp(cfg->sip.trunks[0].address, good[i]),
		      "%s is a SIP URI", good[i]);
		ponte_config_free(cfg);
		g_free(text);
	}
	for (i = 0; i < G_N_ELEMENTS(bad); i++) {
		char *text = g_strdup_printf("sip:\n    trunks: [{name: t, address: \"%s\"}]\n",
					     bad[i]);
		char *want = g_strdup_printf("uri:2:33: sip.trunks[0].address: expected a sip: or "
					     "sips: URI with a host (as in "
					     "sip:pbx.example.com:5060), got \"%s\"",
					     bad[i]);

		expect_errors("uri", text, ERRORS(want));
		g_free(want);
		g_free(text);
	}
}

/* configs/env.yaml with none of its variables set. */
static const char *const want_env_unset[] = {
	"configs/env.yaml:2:12: log.level: environment variable PONTE_TEST_LEVEL is not set",
	"configs/env.yaml:3:11: log.file: environment variable PONTE_TEST_DIR is not set",
	"configs/env.yaml:5:13: http.listen: environment variable PONTE_TEST_ADDR is not set",
	"configs/env.yaml:6:15: http.web_root: environment variable PONTE_TEST_EMPTY is not set",
	"configs/env.yaml:9:10: tls.key: environment variable PONTE_TEST_DIR is not set",
	"configs/env.yaml:9:10: tls.key: environment variable PONTE_TEST_KEY is not set",
	"configs/env.yaml:13:11: webrtc.addresses[0]: environment variable PONTE_TEST_ADDR is not "
	"set",
	"configs/env.yaml:15:21: webrtc.srtp_profiles[0]: environment variable PONTE_TEST_PROFILE "
	"is not set",
	"configs/env.yaml:16:21: webrtc.public_address: environment variable PONTE_TEST_EMPTY is "
	"not set",
	NULL,
};

static void test_env(void)
{
	struct ponte_config want = want_defaults;

	setenv("PONTE_TEST_LEVEL", "warn", 1);
	setenv("PONTE_TEST_DIR", "/tmp/ponte-test", 1);
	setenv("PONTE_TEST_ADDR", "0.0.0.0", 1);
	setenv("PONTE_TEST_EMPTY", "", 1);
	setenv("PONTE_TEST_KEY", "key.pem", 1);
	setenv("PONTE_TEST_PROFILE", "AES128_CM_SHA1_80", 1);
	want.log.level = PONTE_LOG_WARN;
	want.log.file = "/tmp/ponte-test/ponte.log";
	want.http.listen = "0.0.0.0";
	want.tls.cert = "$HOME/cert.pem$";
	want.tls.key = "/tmp/ponte-test/key.pem";
	want.tls.self_signed_dir = "a$b{c}$";
	want.webrtc.addresses = LIST("0.0.0.0", "::1");
	want.webrtc.srtp_profiles = LIST("AES128_CM_SHA1_80");
	expect_config("configs/env.yaml", NULL, &want);

	/* A value is taken as it is: no second round of expansion, no type change. */
	setenv("PONTE_TEST_DIR", "${PONTE_TEST_KEY}", 1);
	want.log.file = "${PONTE_TEST_KEY}/ponte.log";
	want.tls.key = "${PONTE_TEST_KEY}/key.pem";
	expect_config("configs/env.yaml", NULL, &want);
	setenv("PONTE_TEST_ADDR", "localhost", 1);
	expect_errors("env-bad-value", "http:\n    listen: ${PONTE_TEST_ADDR}\n",
		      ERRORS("env-bad-value:2:13: http.listen: expected an IPv4 or IPv6 address, "
			     "got \"localhost\""));
	/* An element is checked after expansion, and named by its index. */
	expect_errors("env-bad-element",
		      "webrtc:\n    addresses: [10.0.0.1, \"${PONTE_TEST_ADDR}\"]\n",
		      ERRORS("env-bad-element:2:27: webrtc.addresses[1]: expected an IPv4 or IPv6 "
			     "address, got \"localhost\""));

	unsetenv("PONTE_TEST_LEVEL");
	unsetenv("PONTE_TEST_DIR");
	unsetenv("PONTE_TEST_ADDR");
	unsetenv("PONTE_TEST_EMPTY");
	unsetenv("PONTE_TEST_KEY");
	unsetenv("PONTE_TEST_PROFILE");
	expect_errors("configs/env.yaml", NULL, want_env_unset);
}

static const char *const want_bad_syntax[] = {
	"configs/bad-syntax.yaml:3:4: syntax: did not find expected key (while parsing a block "
	"mapping at 1:1)",
	NULL,
};

static const char *const want_bad_toplevel[] = {
	"configs/bad-toplevel.yaml:1:1: top level: expected a mapping, got a sequence",
	NULL,
};

static const char *const want_bad_range[] = {
	"configs/bad-range.yaml:2:11: http.port: 70000 is out of range (1..65535)",
	"configs/bad-range.yaml:4:18: signaling.max_members: 1 is out of range (2..1000)",
	"configs/bad-range.yaml:5:22: signaling.max_frame_bytes: 99999999999999999999 is out of "
	"range (128..1048576)",
	"configs/bad-range.yaml:6:19: signaling.join_timeout: -5 is out of range (1..86400)",
	"configs/bad-range.yaml:7:31: signaling.max_rooms_per_connection: 65 is out of range "
	"(1..64)",
	"configs/bad-range.yaml:9:15: webrtc.port_max: 65536 is out of range (0..65535)",
	"configs/bad-range.yaml:10:22: webrtc.consent_timeout: 4 is out of range (5..300)",
	"configs/bad-range.yaml:11:19: webrtc.max_sessions: 100001 is out of range (1..100000)",
	"configs/bad-range.yaml:13:16: dataplane.max_flows: 15 is out of range (16..4000000)",
	"configs/bad-range.yaml:14:18: dataplane.input_queue: 1048577 is out of range "
	"(64..1048576)",
	"configs/bad-range.yaml:16:24: rooms.relay_max_members: 65 is out of range (2..64)",
	NULL,
};

static const char *const want_bad_int[] = {
	"configs/bad-int.yaml:2:11: http.port: expected an integer, got \"abc\"",
	"configs/bad-int.yaml:4:11: signaling.rate: expected an integer, got \"1.5\"",
	"configs/bad-int.yaml:5:12: signaling.burst: expected an integer, got \"0x10\"",
	"configs/bad-int.yaml:6:16: signaling.max_rooms: expected an integer, got a quoted string "
	"\"100\"",
	"configs/bad-int.yaml:7:20: signaling.ping_interval: expected an integer, got \"1_000\"",
	"configs/bad-int.yaml:8:22: signaling.max_connections: expected an integer, got \"1e3\"",
	"configs/bad-int.yaml:9:18: signaling.max_members: expected an integer, got \"16 members\"",
	NULL,
};

static const char *const want_bad_bool[] = {
	"configs/bad-bool.yaml:2:14: tls.enabled: expected true or false, got \"yes\"",
	NULL,
};

static const char *const want_bad_enum[] = {
	"configs/bad-enum.yaml:2:12: log.level: expected one of: error, warn, info, debug (got "
	"\"verbose\")",
	"configs/bad-enum.yaml:4:14: dataplane.backend: expected one of: socket, dpdk (got "
	"\"DPDK\")",
	"configs/bad-enum.yaml:5:18: dataplane.srtp_engine: expected one of: libsrtp2, ipsec-mb, "
	"auto (got \"openssl\")",
	"configs/bad-enum.yaml:7:17: webrtc.dtls_setup: expected one of: passive, active (got "
	"\"actpass\")",
	"configs/bad-enum.yaml:9:12: rooms.media: expected one of: p2p, relay (got \"sfu\")",
	NULL,
};

static const char *const want_bad_address[] = {
	"configs/bad-address.yaml:2:13: http.listen: expected an IPv4 or IPv6 address, got "
	"\"localhost\"",
	"configs/bad-address.yaml:4:21: webrtc.public_address: expected an IPv4 or IPv6 address "
	"or \"\", got \"nat.example.org\"",
	NULL,
};

static const char *const want_bad_host_port[] = {
	"configs/bad-host-port.yaml:2:18: webrtc.stun_server: expected HOST:PORT (as in "
	"stun.example.org:3478 or [2001:db8::1]:3478) or \"\", got \"stun.example.org\"",
	NULL,
};

static const char *const want_bad_list[] = {
	"configs/bad-list.yaml:5:11: webrtc.addresses[1]: expected an IPv4 or IPv6 address, got "
	"\"1.2.3.x\"",
	"configs/bad-list.yaml:6:11: webrtc.addresses[2]: expected an IPv4 or IPv6 address, got a "
	"mapping",
	"configs/bad-list.yaml:7:11: webrtc.addresses[3]: expected an IPv4 or IPv6 address, got a "
	"sequence",
	"configs/bad-list.yaml:8:10: webrtc.addresses[4]: missing value",
	/* Addresses are compared as addresses, not as they are written. */
	"configs/bad-list.yaml:10:11: webrtc.addresses[6]: duplicate element (first set at 9:11)",
	"configs/bad-list.yaml:11:11: webrtc.addresses[7]: aliases are not supported",
	"configs/bad-list.yaml:12:11: webrtc.addresses[8]: tags are not supported",
	"configs/bad-list.yaml:13:11: webrtc.addresses[9]: duplicate element (first set at 4:11)",
	"configs/bad-list.yaml:14:58: webrtc.srtp_profiles[2]: too many elements (at most 2)",
	"configs/bad-list.yaml:14:58: webrtc.srtp_profiles[2]: duplicate element (first set at "
	"14:21)",
	"configs/bad-list.yaml:14:77: webrtc.srtp_profiles[3]: expected one of: AEAD_AES_128_GCM, "
	"AES128_CM_SHA1_80 (got \"AES256_CM_SHA1_80\")",
	NULL,
};

static const char *const want_bad_list_type[] = {
	"configs/bad-list-type.yaml:3:16: webrtc.addresses: expected a list, got \"10.0.0.1\"",
	"configs/bad-list-type.yaml:4:20: webrtc.srtp_profiles: too few elements (at least 1)",
	"configs/bad-list-type.yaml:6:12: rooms.media: expected one of: p2p, relay (got a "
	"sequence)",
	NULL,
};

static const char *const want_bad_path[] = {
	"configs/bad-path.yaml:2:11: signaling.path: expected a URL path: \"/\" then no spaces, "
	"\"?\" or \"#\" (got \"ws\")",
	NULL,
};

static const char *const want_bad_unknown[] = {
	"configs/bad-unknown.yaml:2:5: signaling.max_romes: unknown key (did you mean max_rooms?)",
	"configs/bad-unknown.yaml:3:5: signaling.maxmembers: unknown key (did you mean "
	"max_members?)",
	"configs/bad-unknown.yaml:4:1: htpp: unknown key (did you mean http?)",
	"configs/bad-unknown.yaml:6:1: port: unknown key (did you mean http.port?)",
	"configs/bad-unknown.yaml:7:1: http.listen: unknown key (dotted keys are not supported: "
	"write listen inside http)",
	"configs/bad-unknown.yaml:9:5: tls.certificate: unknown key",
	"configs/bad-unknown.yaml:10:1: extra: unknown key",
	NULL,
};

static const char *const want_bad_duplicate[] = {
	"configs/bad-duplicate.yaml:3:5: http.port: duplicate key (first set at 2:5)",
	"configs/bad-duplicate.yaml:6:1: log: duplicate key (first set at 4:1)",
	NULL,
};

static const char *const want_bad_type[] = {
	"configs/bad-type.yaml:1:7: http: expected a mapping, got \"8080\"",
	"configs/bad-type.yaml:3:12: log.level: expected one of: error, warn, info, debug (got a "
	"mapping)",
	"configs/bad-type.yaml:4:11: log.file: expected a string, got a sequence",
	"configs/bad-type.yaml:7:9: signaling.rate: expected an integer, got a sequence",
	"configs/bad-type.yaml:9:5: signaling: expected a key name, got a sequence",
	"configs/bad-type.yaml:10:12: dataplane: expected a mapping, got \"socket\"",
	NULL,
};

static const char *const want_bad_null[] = {
	"configs/bad-null.yaml:2:12: log.level: missing value",
	"configs/bad-null.yaml:5:10: http.port: missing value",
	"configs/bad-null.yaml:8:14: tls.enabled: missing value",
	"configs/bad-null.yaml:11:15: webrtc.addresses: missing value (write [] for an empty "
	"list)",
	"configs/bad-null.yaml:12:20: webrtc.srtp_profiles: missing value",
	"configs/bad-null.yaml:13:14: webrtc.port_min: missing value",
	NULL,
};

static const char *const want_bad_alias[] = {
	"configs/bad-alias.yaml:3:12: signaling.burst: aliases are not supported",
	"configs/bad-alias.yaml:4:7: http: tags are not supported",
	"configs/bad-alias.yaml:7:12: log.level: tags are not supported",
	NULL,
};

static const char *const want_bad_multidoc[] = {
	"configs/bad-multidoc.yaml:3:1: top level: only one YAML document is allowed",
	NULL,
};

static const char *const want_bad_env[] = {
	"configs/bad-env.yaml:2:15: http.web_root: environment variable PONTE_TEST_UNSET is not "
	"set",
	"configs/bad-env.yaml:4:10: tls.key: environment variable PONTE_TEST_UNSET_KEY is not set",
	"configs/bad-env.yaml:5:11: tls.cert: malformed variable reference (expected ${NAME}, "
	"NAME matching [A-Za-z_][A-Za-z0-9_]*)",
	"configs/bad-env.yaml:6:22: tls.self_signed_dir: environment variable PONTE_TEST_UNSET_A "
	"is not set",
	"configs/bad-env.yaml:6:22: tls.self_signed_dir: environment variable PONTE_TEST_UNSET_B "
	"is not set",
	"configs/bad-env.yaml:8:11: log.file: malformed variable reference (expected ${NAME}, "
	"NAME matching [A-Za-z_][A-Za-z0-9_]*)",
	NULL,
};

static const char *const want_bad_sip_lists[] = {
	"configs/bad-sip-lists.yaml:6:22: sip.accounts[0].registrar: expected a sip: or sips: URI "
	"with a host (as in sip:pbx.example.com:5060), got \"pbx.example.com\"",
	"configs/bad-sip-lists.yaml:7:20: sip.accounts[0].expires: 30 is out of range (60..86400)",
	"configs/bad-sip-lists.yaml:8:11: sip.accounts[0].pasword: unknown key (did you mean "
	"password?)",
	"configs/bad-sip-lists.yaml:10:16: sip.accounts[1].aor: expected a sip: or sips: URI with "
	"a host (as in sip:pbx.example.com:5060) or \"\", got \"sip:1001@\"",
	/* A missing key is reported at its element, once the element has been read. */
	"configs/bad-sip-lists.yaml:9:11: sip.accounts[1]: missing required key name",
	"configs/bad-sip-lists.yaml:11:17: sip.accounts[2].name: expected a name of 1 to 32 "
	"letters, digits, \"_\" or \"-\" (got \"bad name\")",
	"configs/bad-sip-lists.yaml:13:27: sip.accounts[2].outbound_proxy: expected a sip: or "
	"sips: URI with a host (as in sip:pbx.example.com:5060) or \"\", got "
	"\"http://proxy.example.com\"",
	"configs/bad-sip-lists.yaml:14:21: sip.accounts[2].register: expected true or false, got "
	"\"yes\"",
	"configs/bad-sip-lists.yaml:15:11: sip.accounts[2].name: duplicate key (first set at "
	"11:11)",
	"configs/bad-sip-lists.yaml:16:11: sip.accounts[3]: expected a mapping, got \"office\"",
	"configs/bad-sip-lists.yaml:17:11: sip.accounts[4]: expected a mapping, got a sequence",
	"configs/bad-sip-lists.yaml:18:10: sip.accounts[5]: missing value",
	"configs/bad-sip-lists.yaml:19:17: sip.accounts[6].name: \"office\" is already the name of "
	"sip.accounts[0] (at 5:17)",
	"configs/bad-sip-lists.yaml:21:21: sip.accounts[6].username: expected a string, got a "
	"sequence",
	/* No hint from another section: "port" in an element belongs in a URI. */
	"configs/bad-sip-lists.yaml:22:11: sip.accounts[6].port: unknown key",
	"configs/bad-sip-lists.yaml:26:18: sip.trunks[0].allow: expected a list, got "
	"\"203.0.113.5\"",
	/* Names are unique across accounts and trunks together. */
	"configs/bad-sip-lists.yaml:27:17: sip.trunks[1].name: \"office\" is already the name of "
	"sip.accounts[0] (at 5:17)",
	"configs/bad-sip-lists.yaml:29:29: sip.trunks[1].allow[1]: expected an IPv4 or IPv6 "
	"address, got \"10.0.0.x\"",
	"configs/bad-sip-lists.yaml:29:39: sip.trunks[1].allow[2]: duplicate element (first set "
	"at 29:19)",
	/* A key of the other list's elements is a hint. */
	"configs/bad-sip-lists.yaml:31:11: sip.trunks[2].expires: unknown key (did you mean "
	"sip.accounts[].expires?)",
	"configs/bad-sip-lists.yaml:30:11: sip.trunks[2]: missing required key name",
	/* References are checked once the whole file is read. */
	"configs/bad-sip-lists.yaml:3:19: sip.number_route: no element of sip.accounts or "
	"sip.trunks is named \"nowhere\"",
	NULL,
};

static const char *const want_bad_many[] = {
	"configs/bad-many.yaml:3:12: log.level: expected one of: error, warn, info, debug (got "
	"\"loud\")",
	"configs/bad-many.yaml:5:11: http.port: 0 is out of range (1..65535)",
	"configs/bad-many.yaml:6:13: http.listen: expected an IPv4 or IPv6 address, got "
	"\"10.0.0.256\"",
	"configs/bad-many.yaml:8:14: tls.enabled: expected true or false, got \"maybe\"",
	"configs/bad-many.yaml:9:5: tls.enabled: duplicate key (first set at 8:5)",
	"configs/bad-many.yaml:11:5: signaling.max_romes: unknown key (did you mean max_rooms?)",
	"configs/bad-many.yaml:12:11: signaling.path: expected a URL path: \"/\" then no spaces, "
	"\"?\" or \"#\" (got \"/ws?x=1\")",
	"configs/bad-many.yaml:15:1: unknown: unknown key",
	"configs/bad-many.yaml:16:1: http: duplicate key (first set at 4:1)",
	"configs/bad-many.yaml:17:1: syntax: did not find expected ',' or ']' (while parsing a "
	"flow sequence at 16:7)",
	NULL,
};

/* Each SIP over TLS key wrong alone: its own message, and no rule message on top. */
static const char *const want_bad_sip_tls[] = {
	"configs/bad-sip-tls.yaml:4:33: sip.transports[3]: too many elements (at most 3)",
	"configs/bad-sip-tls.yaml:4:33: sip.transports[3]: duplicate element (first set at 4:28)",
	"configs/bad-sip-tls.yaml:5:15: sip.tls_port: 0 is out of range (1..65535)",
	"configs/bad-sip-tls.yaml:6:14: sip.tls_key: expected a string, got a sequence",
	"configs/bad-sip-tls.yaml:7:25: sip.tls_verify_clients: expected true or false, got "
	"\"yes\"",
	"configs/bad-sip-tls.yaml:8:22: sip.tls_certificate: expected a string, got a mapping",
	NULL,
};

/* Keys right alone and wrong together: each message at the key to change, in rule order. */
static const char *const want_bad_sip_tls_rules[] = {
	"configs/bad-sip-tls-rules.yaml:5:5: sip.transports: tls needs sip.tls_certificate (a "
	"PEM certificate chain)",
	"configs/bad-sip-tls-rules.yaml:8:5: sip.tls_verify_clients: needs sip.tls_ca (the "
	"authorities client certificates must come from)",
	"configs/bad-sip-tls-rules.yaml:4:5: sip.tls_port: tcp and tls cannot share port 5060 "
	"(sip.port and sip.tls_port)",
	NULL,
};

/* One file per kind of problem (bad-many.yaml: several), with all its messages in order. */
static const struct {
	const char *file;
	const char *const *want;
} bad_files[] = {
	{"configs/bad-syntax.yaml", want_bad_syntax},
	{"configs/bad-toplevel.yaml", want_bad_toplevel},
	{"configs/bad-range.yaml", want_bad_range},
	{"configs/bad-int.yaml", want_bad_int},
	{"configs/bad-bool.yaml", want_bad_bool},
	{"configs/bad-enum.yaml", want_bad_enum},
	{"configs/bad-address.yaml", want_bad_address},
	{"configs/bad-host-port.yaml", want_bad_host_port},
	{"configs/bad-list.yaml", want_bad_list},
	{"configs/bad-list-type.yaml", want_bad_list_type},
	{"configs/bad-path.yaml", want_bad_path},
	{"configs/bad-unknown.yaml", want_bad_unknown},
	{"configs/bad-duplicate.yaml", want_bad_duplicate},
	{"configs/bad-type.yaml", want_bad_type},
	{"configs/bad-null.yaml", want_bad_null},
	{"configs/bad-alias.yaml", want_bad_alias},
	{"configs/bad-multidoc.yaml", want_bad_multidoc},
	{"configs/bad-env.yaml", want_bad_env},
	{"configs/bad-many.yaml", want_bad_many},
	{"configs/bad-sip-lists.yaml", want_bad_sip_lists},
	{"configs/bad-sip-tls.yaml", want_bad_sip_tls},
	{"configs/bad-sip-tls-rules.yaml", want_bad_sip_tls_rules},
};

/* Every bad file gives exactly its messages; a secret's value is in none of them. */
static void test_bad_files(void)
{
	GPtrArray *errors = g_ptr_array_new_with_free_func(g_free);
	struct ponte_config *cfg;
	bool has_secret = false;
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(bad_files); i++)
		expect_errors(bad_files[i].file, NULL, bad_files[i].want);

	ponte_config_load("configs/bad-env.yaml", errors, &cfg);
	for (i = 0; i < errors->len; i++)
		has_secret = has_secret || strstr(g_ptr_array_index(errors, i), "hunter2");
	CHECK(!has_secret && !cfg, "no message shows a secret's value");
	g_ptr_array_free(errors, TRUE);
}

/* Problems that need no file of their own: name, text, messages. */
static const struct {
	const char *name, *text;
	const char *want[4]; /* NULL-terminated */
} bad_texts[] = {
	{"scalar", "hello\n", {"scalar:1:1: top level: expected a mapping, got \"hello\""}},
	{"quoted-bool",
	 "tls:\n    enabled: \"true\"\n",
	 {"quoted-bool:2:14: tls.enabled: expected true or false, got a quoted string \"true\""}},
	{"yaml11-bool",
	 "tls:\n    enabled: on\n",
	 {"yaml11-bool:2:14: tls.enabled: expected true or false, got \"on\""}},
	{"bracketed-v6",
	 "http:\n    listen: \"[::1]\"\n",
	 {"bracketed-v6:2:13: http.listen: expected an IPv4 or IPv6 address, got \"[::1]\""}},
	{"space-in-path",
	 "signaling: {path: \"/w s\"}\n",
	 {"space-in-path:1:19: signaling.path: expected a URL path: \"/\" then no spaces, \"?\" "
	  "or \"#\" (got \"/w s\")"}},
	/* Control characters and quotes in a value are escaped: a message stays one line. */
	{"escaped",
	 "log:\n    level: \"in\\tfo\\n\\\"x\\\"\"\n",
	 {"escaped:2:12: log.level: expected one of: error, warn, info, debug "
	  "(got \"in\\tfo\\n\\\"x\\\"\")"}},
	/* A "\0" escape would cut the string where C code reads it. */
	{"nul", "log:\n    file: \"a\\0b\"\n", {"nul:2:11: log.file: contains a NUL character"}},
	{"bad-utf8",
	 "log:\n    file: \"\xc3\xa9\xff\"\n",
	 {"bad-utf8:2:13: syntax: invalid leading UTF-8 octet"}},
	{"alias-key",
	 "a: &k x\nhttp:\n    *k : 1\n",
	 {"alias-key:1:1: a: unknown key", "alias-key:3:5: http: aliases are not supported"}},
	/* A string key with a format takes no value as "", which the format refuses. */
	{"empty-url-path",
	 "signaling:\n    path:\n",
	 {"empty-url-path:2:10: signaling.path: expected a URL path: \"/\" then no spaces, \"?\" "
	  "or \"#\" (got \"\")"}},
	{"list-as-mapping",
	 "webrtc:\n    addresses: {a: 1}\n",
	 {"list-as-mapping:2:16: webrtc.addresses: expected a list, got a mapping"}},
	{"list-alias",
	 "webrtc:\n    addresses: &a [10.0.0.1]\n    srtp_profiles: *a\n",
	 {"list-alias:3:20: webrtc.srtp_profiles: aliases are not supported"}},
	{"list-tag",
	 "webrtc:\n    addresses: !!seq [10.0.0.1]\n",
	 {"list-tag:2:16: webrtc.addresses: tags are not supported"}},
	{"null-element",
	 "webrtc:\n    srtp_profiles: [AES128_CM_SHA1_80, ~]\n",
	 {"null-element:2:40: webrtc.srtp_profiles[1]: missing value"}},
	/* The ':' that starts "::1" ends a key in a one-line list: YAML needs it quoted. */
	{"unquoted-v6",
	 "webrtc:\n    addresses: [::1]\n",
	 {"unquoted-v6:2:17: syntax: did not find expected node content (while parsing a flow "
	  "node at 2:17)"}},
	{"stun-no-port",
	 "webrtc:\n    stun_server: \"[::1]\"\n",
	 {"stun-no-port:2:18: webrtc.stun_server: expected HOST:PORT (as in "
	  "stun.example.org:3478 or [2001:db8::1]:3478) or \"\", got \"[::1]\""}},
	{"stun-bare-v6",
	 "webrtc:\n    stun_server: \"::1:3478\"\n",
	 {"stun-bare-v6:2:18: webrtc.stun_server: expected HOST:PORT (as in "
	  "stun.example.org:3478 or [2001:db8::1]:3478) or \"\", got \"::1:3478\""}},
	{"stun-port-0",
	 "webrtc:\n    stun_server: stun.example.org:0\n",
	 {"stun-port-0:2:18: webrtc.stun_server: expected HOST:PORT (as in "
	  "stun.example.org:3478 or [2001:db8::1]:3478) or \"\", got \"stun.example.org:0\""}},
	{"stun-bad-name",
	 "webrtc:\n    stun_server: stun-.example.org:3478\n",
	 {"stun-bad-name:2:18: webrtc.stun_server: expected HOST:PORT (as in "
	  "stun.example.org:3478 or [2001:db8::1]:3478) or \"\", got "
	  "\"stun-.example.org:3478\""}},
	/* Lists of mappings: the list itself, then its elements. */
	{"accounts-as-mapping",
	 "sip:\n    accounts: {name: office, registrar: \"sip:pbx\"}\n",
	 {"accounts-as-mapping:2:15: sip.accounts: expected a list of mappings, got a mapping"}},
	{"accounts-as-scalar",
	 "sip:\n    accounts: office\n",
	 {"accounts-as-scalar:2:15: sip.accounts: expected a list of mappings, got \"office\""}},
	{"accounts-null",
	 "sip:\n    accounts:\n    trunks: []\n",
	 {"accounts-null:2:14: sip.accounts: missing value (write [] for an empty list)"}},
	{"accounts-alias",
	 "sip:\n    trunks: &t []\n    accounts: *t\n",
	 {"accounts-alias:3:15: sip.accounts: aliases are not supported"}},
	{"element-alias-tag",
	 "sip:\n    trunks: [&t {name: a, address: \"sip:a\"}, *t, !!map {name: b}]\n",
	 {"element-alias-tag:2:46: sip.trunks[1]: aliases are not supported",
	  "element-alias-tag:2:50: sip.trunks[2]: tags are not supported"}},
	{"empty-element",
	 "sip: {accounts: [{}]}\n",
	 {"empty-element:1:18: sip.accounts[0]: missing required key name",
	  "empty-element:1:18: sip.accounts[0]: missing required key registrar"}},
	{"name-too-long",
	 "sip:\n    trunks: [{name: abcdefghijklmnopqrstuvwxyz-0123456, address: \"sip:a\"}]\n",
	 {"name-too-long:2:21: sip.trunks[0].name: expected a name of 1 to 32 letters, digits, "
	  "\"_\" or \"-\" (got \"abcdefghijklmnopqrstuvwxyz-0123456\")"}},
	{"route-bad-name",
	 "sip:\n    number_route: \"pstn trunk\"\n",
	 {"route-bad-name:2:19: sip.number_route: expected a name of 1 to 32 letters, digits, "
	  "\"_\" or \"-\" or \"\" (got \"pstn trunk\")"}},
	/* Names are case-sensitive: "Carrier" is not "carrier". */
	{"route-case",
	 "sip:\n    number_route: Carrier\n    trunks: [{name: carrier, address: \"sip:a\"}]\n",
	 {"route-case:2:19: sip.number_route: no element of sip.accounts or sip.trunks is named "
	  "\"Carrier\""}},
	/* After a syntax error, names past it are unknown: the route is not checked. */
	{"route-syntax",
	 "sip:\n    number_route: carrier\n    trunks: [{name: carrier, address: \"sip:a\"}\n",
	 {"route-syntax:4:1: syntax: did not find expected ',' or ']' (while parsing a flow "
	  "sequence at 3:13)"}},
	{"element-key-not-scalar",
	 "sip:\n    trunks:\n        - ? [a]\n          : 1\n",
	 {"element-key-not-scalar:3:13: sip.trunks[0]: expected a key name, got a sequence",
	  "element-key-not-scalar:3:11: sip.trunks[0]: missing required key name",
	  "element-key-not-scalar:3:11: sip.trunks[0]: missing required key address"}},
	{"element-dotted-key",
	 "sip:\n    trunks: [{name: t, address: \"sip:a\", allow.x: 1}]\n",
	 {"element-dotted-key:2:42: sip.trunks[0].allow.x: unknown key (did you mean allow?)"}},
	/* A key of a list's elements is the hint for one put in the section itself. */
	{"element-key-in-section",
	 "sip:\n    registrar: \"sip:pbx\"\n",
	 {"element-key-in-section:2:5: sip.registrar: unknown key (did you mean "
	  "sip.accounts[].registrar?)"}},
};

static void test_bad_texts(void)
{
	char *long_value = g_strdup_printf("log:\n    level: %0100d\n", 7);
	char *long_error = g_strdup_printf("long-value:2:12: log.level: expected one of: error, "
					   "warn, info, debug (got \"%060d...\")",
					   0);
	struct ponte_config *cfg = NULL;
	size_t i;
	int rc;

	for (i = 0; i < G_N_ELEMENTS(bad_texts); i++)
		expect_errors(bad_texts[i].name, bad_texts[i].text, bad_texts[i].want);
	/* A long value is cut in messages. */
	expect_errors("long-value", long_value, ERRORS(long_error));

	/* One element more than a list takes is reported once, at that element. */
	{
		GString *many = g_string_new("webrtc:\n    addresses:\n");
		int j;

		for (j = 0; j < 66; j++)
			g_string_append_printf(many, "        - 10.0.%d.%d\n", j / 256, j % 256);
		expect_errors("too-many", many->str,
			      ERRORS("too-many:67:11: webrtc.addresses[64]: too many elements (at "
				     "most 64)"));
		g_string_free(many, TRUE);

		many = g_string_new("sip:\n    trunks:\n");
		for (j = 0; j < 257; j++)
			g_string_append_printf(many, "        - {name: t%d, address: \"sip:a\"}\n", j);
		expect_errors("too-many-trunks", many->str,
			      ERRORS("too-many-trunks:259:11: sip.trunks[256]: too many elements (at "
				     "most 256)"));
		g_string_free(many, TRUE);
	}

	/* Without an error array the result is the same; the problems are only not listed. */
	rc = ponte_config_parse("x", "http: {port: 0}\n", 16, NULL, &cfg);
	CHECK(rc == -EINVAL && !cfg, "a NULL error array is allowed");
	rc = ponte_config_parse("x", "webrtc: {addresses: [x]}\n", 25, NULL, &cfg);
	CHECK(rc == -EINVAL && !cfg, "a NULL error array is allowed with a bad element");
	/* Only len bytes are parsed: the text need not end with a NUL. */
	rc = ponte_config_parse("x", "http: {port: 81}junk", 16, NULL, &cfg);
	CHECK(rc == 0 && cfg && cfg->http.port == 81, "only len bytes are parsed");
	ponte_config_free(cfg);
	g_free(long_error);
	g_free(long_value);
}

static void test_unreadable(void)
{
	static const char *const enoent =
		"configs/does-not-exist.yaml: cannot read: No such file or directory";
	GPtrArray *errors = g_ptr_array_new_with_free_func(g_free);
	struct ponte_config *cfg = NULL;
	int rc;

	rc = ponte_config_load("configs/does-not-exist.yaml", errors, &cfg);
	CHECK(rc == -ENOENT && !cfg && errors->len == 1, "missing file: -ENOENT, one message");
	CHECK_STR(errors->len ? g_ptr_array_index(errors, 0) : NULL, enoent, enoent);

	g_ptr_array_set_size(errors, 0);
	rc = ponte_config_load("configs", errors, &cfg);
	CHECK(rc == -EISDIR && !cfg && errors->len == 1, "directory: -EISDIR, one message");
	CHECK_STR(errors->len ? g_ptr_array_index(errors, 0) : NULL,
		  "configs: cannot read: Is a directory", "configs: cannot read: Is a directory");
	g_ptr_array_free(errors, TRUE);
}

int main(void)
{
	test_schema();
	test_defaults();
	test_default_file();
	test_doc();
	test_good();
	test_lists();
	test_env();
	test_sip_lists();
	test_account_incoming();
	test_sip_tls();
	test_sip_uris();
	test_bad_files();
	test_bad_texts();
	test_unreadable();
	return tap_done();
}
