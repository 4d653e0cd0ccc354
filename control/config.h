/* SPDX-License-Identifier: MIT */
/*
 * Ponte configuration: one schema table (config_schema.c) drives YAML parsing, defaults,
 * validation and the generated reference (docs/config.md).
 */
#ifndef PONTE_CONTROL_CONFIG_H
#define PONTE_CONTROL_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <glib.h>

enum ponte_log_level {
	PONTE_LOG_ERROR,
	PONTE_LOG_WARN,
	PONTE_LOG_INFO,
	PONTE_LOG_DEBUG,
};

enum ponte_dp_backend {
	PONTE_DP_SOCKET,
	PONTE_DP_DPDK,
};

/* The whole configuration. Strings are owned by the struct (g_free'd by ponte_config_free). */
struct ponte_config {
	char *source; /* file name the config came from, or "<embedded>" */
	struct {
		int level; /* enum ponte_log_level */
		char *file; /* empty: stderr */
	} log;
	struct {
		char *listen; /* IPv4 or IPv6 literal address */
		int port;
		char *web_root; /* empty: the client embedded in the binary */
	} http;
	struct {
		bool enabled;
		char *cert; /* PEM certificate chain; empty with enabled: self-signed */
		char *key; /* PEM private key */
		char *self_signed_dir; /* where a generated certificate is stored */
	} tls;
	struct {
		char *path; /* WebSocket path, e.g. "/ws" */
		int max_connections;
		int max_rooms;
		int max_members;
		int max_rooms_per_connection;
		int max_frame_bytes;
		int rate; /* messages per second, sustained */
		int burst; /* messages allowed in a burst */
		int ping_interval; /* seconds between WebSocket pings */
		int dead_peer_timeout; /* seconds of unacknowledged data before a peer is dead */
		int join_timeout; /* seconds a connection may stay without any room */
	} signaling;
	struct {
		int backend; /* enum ponte_dp_backend */
	} dataplane;
};

enum cfg_type {
	CFG_SECTION, /* a mapping; its keys are the entries whose path starts with "path." */
	CFG_STR,
	CFG_INT,
	CFG_BOOL,
	CFG_ENUM,
	CFG_ADDR, /* a string that must be an IPv4 or IPv6 literal */
};

/* Flags of a schema entry. */
#define CFG_F_PATH 0x1 /* a file system path (documented as such) */
#define CFG_F_SECRET 0x2 /* never logged; documented as taking ${ENV} */
#define CFG_F_URL_PATH 0x4 /* CFG_STR: an HTTP path, "/" then no whitespace, '?' or '#' */

/* One row of the schema: nginx-style directive table. */
struct cfg_key {
	const char *path; /* dotted key path, e.g. "http.port" */
	enum cfg_type type;
	size_t offset; /* offsetof(struct ponte_config, ...); unused for sections */
	long long min, max; /* CFG_INT range, inclusive */
	const char *const *names; /* CFG_ENUM: NULL-terminated names; value is the index */
	const char *def; /* default, written as the YAML scalar would be */
	unsigned flags;
	const char *doc; /* one or two sentences for docs/config.md */
	size_t size; /* sizeof the field at offset, so a test can check it against the type */
};

extern const struct cfg_key ponte_cfg_schema[];
extern const size_t ponte_cfg_schema_len;

/*
 * Parse YAML text into a new configuration. Every problem found is appended to errors
 * (a GPtrArray of g_malloc'd strings "NAME:LINE:COL: key.path: what is wrong"), and
 * parsing goes on to find the others. Returns 0 and sets *out, or -EINVAL with *out NULL
 * when any error was found. Values of the form ${VAR} inside strings are replaced by the
 * environment variable VAR; an unset VAR is an error.
 */
int ponte_config_parse(const char *name, const char *text, size_t len, GPtrArray *errors,
		       struct ponte_config **out);

/* Read FILE and parse it; an unreadable file gives one error "FILE: cannot read: REASON". */
int ponte_config_load(const char *file, GPtrArray *errors, struct ponte_config **out);

/* A configuration holding only the schema defaults (never fails). */
struct ponte_config *ponte_config_defaults(void);

void ponte_config_free(struct ponte_config *cfg);

/* Write the Markdown reference of every key (docs/config.md is this output). */
void ponte_config_write_doc(FILE *out);

/* Name of an enum value, for logs; NULL if path is not an enum key or value is out of range. */
const char *ponte_config_enum_name(const char *path, int value);

#endif
