/* SPDX-License-Identifier: MIT */
/*
 * YAML configuration: parsing, defaults and the generated reference, all driven by
 * ponte_cfg_schema[] (config_schema.c). Nothing here knows a key by name.
 *
 * The parser walks libyaml's event stream rather than a loaded document: events carry the
 * position of every node, and they show an alias as an alias, where the document API would
 * silently resolve it (and expand an alias bomb while doing so).
 */
#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

#include "config.h"

/* A configuration is a few kilobytes; the cap keeps a mistaken /dev/zero from eating memory. */
#define CFG_MAX_FILE_BYTES (1024 * 1024)
/* Values quoted in messages are cut to this many bytes, so one huge value stays one line. */
#define CFG_MAX_QUOTE 60
/* Keys longer than this get no did-you-mean; no real key is near this long. */
#define CFG_MAX_SUGGEST 40

/* A node position, 1-based as editors show it; line 0 means "not set". */
struct cfg_pos {
	int line, col;
};

struct cfg_parser {
	const char *name; /* file name used in messages */
	const char *text; /* the input, to place reader errors, which carry only an offset */
	size_t len;
	yaml_parser_t yp;
	GPtrArray *errors; /* may be NULL: then problems are only counted */
	size_t nb_errors;
	struct ponte_config *cfg;
	struct cfg_pos *seen; /* per schema row: where the key was first set, for duplicates */
};

/* The top-level mapping, handled like a section so one code path checks every mapping. */
static const struct cfg_key root_key = {
	.path = "top level",
	.type = CFG_SECTION,
};

static struct cfg_pos pos_of(yaml_mark_t mark)
{
	return (struct cfg_pos){(int)mark.line + 1, (int)mark.column + 1};
}

static void add_error(struct cfg_parser *p, struct cfg_pos pos, const char *path, const char *fmt,
		      ...) G_GNUC_PRINTF(4, 5);

static void add_error(struct cfg_parser *p, struct cfg_pos pos, const char *path, const char *fmt,
		      ...)
{
	va_list ap;
	char *what;

	p->nb_errors++;
	if (!p->errors)
		return;
	va_start(ap, fmt);
	what = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_ptr_array_add(p->errors, g_strdup_printf("%s:%d:%d: %s: %s", p->name, pos.line, pos.col,
						   path, what));
	g_free(what);
}

/*
 * Append s to out with control characters escaped, cut after max bytes (at a UTF-8 character
 * boundary). Values come from the user and may hold anything; a message must stay one line.
 */
static void append_escaped(GString *out, const char *s, size_t max)
{
	size_t i;

	for (i = 0; s[i]; i++) {
		unsigned char c = (unsigned char)s[i];

		if (i >= max && (c & 0xc0) != 0x80) {
			g_string_append(out, "...");
			return;
		}
		if (c == '\n')
			g_string_append(out, "\\n");
		else if (c == '\t')
			g_string_append(out, "\\t");
		else if (c == '"' || c == '\\')
			g_string_append_printf(out, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			g_string_append_printf(out, "\\x%02x", c);
		else
			g_string_append_c(out, (char)c);
	}
}

static char *quote(const char *s)
{
	GString *out = g_string_new("\"");

	append_escaped(out, s, CFG_MAX_QUOTE);
	g_string_append_c(out, '"');
	return g_string_free(out, FALSE);
}

static const char *leaf_of(const char *path)
{
	const char *dot = strrchr(path, '.');

	return dot ? dot + 1 : path;
}

/* Whether row k is a direct child of the section named parent ("" for the top level). */
static bool is_child(const struct cfg_key *k, const char *parent)
{
	size_t n = strlen(parent);

	if (n == 0)
		return !strchr(k->path, '.');
	return strncmp(k->path, parent, n) == 0 && k->path[n] == '.' &&
	       !strchr(k->path + n + 1, '.');
}

static const struct cfg_key *find_key(const char *path)
{
	size_t i;

	for (i = 0; i < ponte_cfg_schema_len; i++)
		if (strcmp(ponte_cfg_schema[i].path, path) == 0)
			return &ponte_cfg_schema[i];
	return NULL;
}

/* Optimal string alignment distance: Levenshtein plus adjacent transpositions ("prot"). */
static size_t edit_distance(const char *a, const char *b)
{
	size_t d[CFG_MAX_SUGGEST + 1][CFG_MAX_SUGGEST + 1];
	size_t n = strlen(a), m = strlen(b), i, j;

	if (n > CFG_MAX_SUGGEST || m > CFG_MAX_SUGGEST)
		return SIZE_MAX;
	for (i = 0; i <= n; i++)
		d[i][0] = i;
	for (j = 0; j <= m; j++)
		d[0][j] = j;
	for (i = 1; i <= n; i++) {
		for (j = 1; j <= m; j++) {
			size_t cost = g_ascii_tolower(a[i - 1]) != g_ascii_tolower(b[j - 1]);
			size_t best = MIN(d[i - 1][j] + 1, d[i][j - 1] + 1);

			best = MIN(best, d[i - 1][j - 1] + cost);
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
				best = MIN(best, d[i - 2][j - 2] + 1);
			d[i][j] = best;
		}
	}
	return d[n][m];
}

/*
 * Report an unknown key with a hint: the closest key of the same section when one is near
 * enough, else the key of that name in another section (a key put in the wrong section), and
 * the nested form of a dotted key ("http.port:" at the top level).
 */
static void report_unknown(struct cfg_parser *p, struct cfg_pos pos, const char *parent,
			   const char *name, const char *path)
{
	const struct cfg_key *best = NULL, *moved = NULL;
	const struct cfg_key *dotted = strchr(name, '.') ? find_key(path) : NULL;
	size_t best_dist = SIZE_MAX, i;
	GString *shown = g_string_new(NULL);

	append_escaped(shown, path, CFG_MAX_QUOTE);
	for (i = 0; i < ponte_cfg_schema_len; i++) {
		const struct cfg_key *k = &ponte_cfg_schema[i];
		size_t dist;

		if (!is_child(k, parent)) {
			if (!moved && k->type != CFG_SECTION && strcmp(leaf_of(k->path), name) == 0)
				moved = k;
			continue;
		}
		dist = edit_distance(name, leaf_of(k->path));
		if (dist < best_dist) {
			best_dist = dist;
			best = k;
		}
	}
	/* A third of the length allows two typos in "max_romes" but not "cert" for "key". */
	if (best && best_dist > MAX((size_t)1, MAX(strlen(name), strlen(leaf_of(best->path))) / 3))
		best = NULL;

	if (dotted)
		add_error(p, pos, shown->str,
			  "unknown key (dotted keys are not supported: write %s inside %.*s)",
			  leaf_of(dotted->path), (int)(leaf_of(dotted->path) - dotted->path - 1),
			  dotted->path);
	else if (best)
		add_error(p, pos, shown->str, "unknown key (did you mean %s?)",
			  leaf_of(best->path));
	else if (moved)
		add_error(p, pos, shown->str, "unknown key (did you mean %s?)", moved->path);
	else
		add_error(p, pos, shown->str, "unknown key");
	g_string_free(shown, TRUE);
}

static void *field_of(struct ponte_config *cfg, const struct cfg_key *k)
{
	return (char *)cfg + k->offset;
}

static void set_string(struct ponte_config *cfg, const struct cfg_key *k, const char *value)
{
	char **field = field_of(cfg, k);

	g_free(*field);
	*field = g_strdup(value);
}

/* YAML 1.2 core schema integers, decimal only: [-+]?[0-9]+. */
static int parse_int(const char *text, long long *out)
{
	const char *s = text;
	char *end;

	if (*s == '-' || *s == '+')
		s++;
	if (!g_ascii_isdigit(*s))
		return -EINVAL;
	while (g_ascii_isdigit(*s))
		s++;
	if (*s)
		return -EINVAL;
	errno = 0;
	*out = strtoll(text, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	return 0;
}

static bool is_url_path(const char *s)
{
	if (s[0] != '/')
		return false;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f || *s == '?' || *s == '#')
			return false;
	return true;
}

/*
 * Store text, the scalar as written (after ${VAR} expansion), into the field of row k.
 * Returns 0, -EINVAL when text is not of the row's type or -ERANGE when it is outside the
 * row's range. The same function applies the defaults, so a default is checked like a value.
 */
static int cfg_set(struct ponte_config *cfg, const struct cfg_key *k, const char *text)
{
	unsigned char addr[sizeof(struct in6_addr)];
	long long v;
	size_t i;
	int rc;

	switch (k->type) {
	case CFG_STR:
		if ((k->flags & CFG_F_URL_PATH) && !is_url_path(text))
			return -EINVAL;
		set_string(cfg, k, text);
		return 0;
	case CFG_ADDR:
		if (inet_pton(AF_INET, text, addr) != 1 && inet_pton(AF_INET6, text, addr) != 1)
			return -EINVAL;
		set_string(cfg, k, text);
		return 0;
	case CFG_INT:
		rc = parse_int(text, &v);
		if (rc < 0)
			return rc;
		if (v < k->min || v > k->max)
			return -ERANGE;
		*(int *)field_of(cfg, k) = (int)v;
		return 0;
	case CFG_BOOL:
		/* YAML 1.2 core schema: 1.1's yes/no/on/off are too easy to write by accident. */
		if (!strcmp(text, "true") || !strcmp(text, "True") || !strcmp(text, "TRUE"))
			*(bool *)field_of(cfg, k) = true;
		else if (!strcmp(text, "false") || !strcmp(text, "False") || !strcmp(text, "FALSE"))
			*(bool *)field_of(cfg, k) = false;
		else
			return -EINVAL;
		return 0;
	case CFG_ENUM:
		for (i = 0; k->names[i]; i++) {
			if (strcmp(k->names[i], text) == 0) {
				*(int *)field_of(cfg, k) = (int)i;
				return 0;
			}
		}
		return -EINVAL;
	case CFG_SECTION:
		break;
	}
	return -EINVAL;
}

/* What a row expects, as it follows "expected" in messages and in the reference. */
static char *expected_of(const struct cfg_key *k)
{
	GString *s;
	size_t i;

	switch (k->type) {
	case CFG_SECTION:
		return g_strdup("a mapping");
	case CFG_STR:
		if (k->flags & CFG_F_URL_PATH)
			return g_strdup("a URL path: \"/\" then no spaces, \"?\" or \"#\"");
		return g_strdup("a string");
	case CFG_INT:
		return g_strdup("an integer");
	case CFG_BOOL:
		return g_strdup("true or false");
	case CFG_ADDR:
		return g_strdup("an IPv4 or IPv6 address");
	case CFG_ENUM:
		s = g_string_new("one of: ");
		for (i = 0; k->names[i]; i++)
			g_string_append_printf(s, "%s%s", i ? ", " : "", k->names[i]);
		return g_string_free(s, FALSE);
	}
	return g_strdup("?");
}

/*
 * Report that the node ev is not what row k takes. text is the scalar's value after
 * expansion (NULL for collections); a secret's value is never shown.
 */
static void type_error(struct cfg_parser *p, const struct cfg_key *k, const yaml_event_t *ev,
		       const char *text)
{
	char *expected = expected_of(k);
	char *got = NULL;

	if (ev->type == YAML_MAPPING_START_EVENT) {
		got = g_strdup("a mapping");
	} else if (ev->type == YAML_SEQUENCE_START_EVENT) {
		got = g_strdup("a sequence");
	} else if (text && !(k->flags & CFG_F_SECRET)) {
		char *q = quote(text);

		/* "8080" is a string in YAML; say why it is refused where 8080 would not be. */
		if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE &&
		    (k->type == CFG_INT || k->type == CFG_BOOL))
			got = g_strdup_printf("a quoted string %s", q);
		else
			got = g_strdup(q);
		g_free(q);
	}
	if (!got)
		add_error(p, pos_of(ev->start_mark), k->path, "expected %s", expected);
	else if (strchr(expected, ',')) /* a list: one more comma would blur where it ends */
		add_error(p, pos_of(ev->start_mark), k->path, "expected %s (got %s)", expected,
			  got);
	else
		add_error(p, pos_of(ev->start_mark), k->path, "expected %s, got %s", expected, got);
	g_free(got);
	g_free(expected);
}

/*
 * Replace each ${NAME} in raw by the environment variable NAME. Returns the new string, or
 * NULL when a reference is malformed or names an unset variable (each one reported).
 */
static char *expand_env(struct cfg_parser *p, const struct cfg_key *k, struct cfg_pos pos,
			const char *raw)
{
	GString *out = g_string_sized_new(strlen(raw));
	bool is_ok = true;
	const char *s = raw;

	while (*s) {
		const char *name = s + 2, *end = name, *value;
		char *var;

		if (s[0] != '$' || s[1] != '{') {
			g_string_append_c(out, *s++);
			continue;
		}
		if (g_ascii_isalpha(*end) || *end == '_')
			while (g_ascii_isalnum(*end) || *end == '_')
				end++;
		if (end == name || *end != '}') {
			add_error(p, pos, k->path,
				  "malformed variable reference (expected ${NAME}, "
				  "NAME matching [A-Za-z_][A-Za-z0-9_]*)");
			is_ok = false;
			break;
		}
		var = g_strndup(name, (size_t)(end - name));
		value = getenv(var);
		if (value) {
			g_string_append(out, value);
		} else {
			add_error(p, pos, k->path, "environment variable %s is not set", var);
			is_ok = false;
		}
		g_free(var);
		s = end + 1;
	}
	if (!is_ok) {
		g_string_free(out, TRUE);
		return NULL;
	}
	return g_string_free(out, FALSE);
}

/* The YAML 1.2 core schema's null: nothing, ~ or null, unquoted. */
static bool is_null(const yaml_event_t *ev)
{
	const char *v = (const char *)ev->data.scalar.value;

	return ev->type == YAML_SCALAR_EVENT && ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	       (!*v || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") ||
		!strcmp(v, "NULL"));
}

static void set_scalar(struct cfg_parser *p, const struct cfg_key *k, const yaml_event_t *ev)
{
	const char *raw = (const char *)ev->data.scalar.value;
	struct cfg_pos pos = pos_of(ev->start_mark);
	char *text;
	int rc;

	if (is_null(ev)) {
		if (k->type == CFG_STR)
			set_string(p->cfg, k, "");
		else
			add_error(p, pos, k->path, "missing value");
		return;
	}
	/* A "\0" escape would silently cut the C string that the rest of Ponte sees. */
	if (strlen(raw) != ev->data.scalar.length) {
		add_error(p, pos, k->path, "contains a NUL character");
		return;
	}
	if (k->type == CFG_INT || k->type == CFG_BOOL) {
		if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) {
			type_error(p, k, ev, raw);
			return;
		}
		text = g_strdup(raw);
	} else {
		text = expand_env(p, k, pos, raw);
		if (!text)
			return;
	}
	rc = cfg_set(p->cfg, k, text);
	if (rc == -ERANGE) {
		GString *shown = g_string_new(NULL);

		if (k->flags & CFG_F_SECRET)
			g_string_append(shown, "the value");
		else
			append_escaped(shown, text, CFG_MAX_QUOTE);
		add_error(p, pos, k->path, "%s is out of range (%lld..%lld)", shown->str, k->min,
			  k->max);
		g_string_free(shown, TRUE);
	} else if (rc < 0) {
		type_error(p, k, ev, text);
	}
	g_free(text);
}

static void syntax_error(struct cfg_parser *p)
{
	const yaml_parser_t *yp = &p->yp;
	struct cfg_pos pos = pos_of(yp->problem_mark);
	const char *problem = yp->problem ? yp->problem : "unknown error";
	size_t i;

	if (yp->error == YAML_MEMORY_ERROR)
		problem = "out of memory";
	if (yp->error == YAML_READER_ERROR) {
		/* The reader knows only the byte offset; count lines and characters to it. */
		pos = (struct cfg_pos){1, 1};
		for (i = 0; i < yp->problem_offset && i < p->len; i++) {
			if (p->text[i] == '\n')
				pos = (struct cfg_pos){pos.line + 1, 1};
			else if (((unsigned char)p->text[i] & 0xc0) != 0x80)
				pos.col++;
		}
	}
	if (yp->context)
		add_error(p, pos, "syntax", "%s (%s at %d:%d)", problem, yp->context,
			  (int)yp->context_mark.line + 1, (int)yp->context_mark.column + 1);
	else
		add_error(p, pos, "syntax", "%s", problem);
}

/* Returns 0, or -EINVAL after reporting a syntax error, past which libyaml cannot go on. */
static int next_event(struct cfg_parser *p, yaml_event_t *ev)
{
	if (yaml_parser_parse(&p->yp, ev))
		return 0;
	syntax_error(p);
	return -EINVAL;
}

/* Consume the rest of the node that ev starts; ev itself stays the caller's. */
static int skip_node(struct cfg_parser *p, const yaml_event_t *ev)
{
	int depth = 0;
	yaml_event_t e;

	if (ev->type != YAML_MAPPING_START_EVENT && ev->type != YAML_SEQUENCE_START_EVENT)
		return 0;
	do {
		if (next_event(p, &e) < 0)
			return -EINVAL;
		if (e.type == YAML_MAPPING_START_EVENT || e.type == YAML_SEQUENCE_START_EVENT)
			depth++;
		else if (e.type == YAML_MAPPING_END_EVENT || e.type == YAML_SEQUENCE_END_EVENT)
			depth--;
		yaml_event_delete(&e);
	} while (depth >= 0);
	return 0;
}

static bool has_tag(const yaml_event_t *ev)
{
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		return ev->data.scalar.tag;
	case YAML_MAPPING_START_EVENT:
		return ev->data.mapping_start.tag;
	case YAML_SEQUENCE_START_EVENT:
		return ev->data.sequence_start.tag;
	default:
		return false;
	}
}

static int parse_value(struct cfg_parser *p, const struct cfg_key *k, const yaml_event_t *ev);

/*
 * The key event kev of a mapping in section parent ("" for the top level): find its row, or
 * report it unknown or duplicate. Returns the row, or NULL when the value is to be skipped.
 */
static const struct cfg_key *lookup_key(struct cfg_parser *p, const char *parent,
					const yaml_event_t *kev)
{
	const char *name = (const char *)kev->data.scalar.value;
	struct cfg_pos pos = pos_of(kev->start_mark);
	const struct cfg_key *k;
	char *path;
	size_t i;

	path = *parent ? g_strconcat(parent, ".", name, NULL) : g_strdup(name);
	if (has_tag(kev)) {
		add_error(p, pos, path, "tags are not supported");
		k = NULL;
	} else if (strchr(name, '.') || strlen(name) != kev->data.scalar.length ||
		   !(k = find_key(path))) {
		report_unknown(p, pos, parent, name, path);
		k = NULL;
	} else {
		i = (size_t)(k - ponte_cfg_schema);
		if (p->seen[i].line) {
			add_error(p, pos, k->path, "duplicate key (first set at %d:%d)",
				  p->seen[i].line, p->seen[i].col);
			k = NULL;
		} else {
			p->seen[i] = pos;
		}
	}
	g_free(path);
	return k;
}

/* The entries of the mapping of section, up to and including its end event. */
static int parse_mapping(struct cfg_parser *p, const struct cfg_key *section)
{
	const char *parent = section == &root_key ? "" : section->path;
	const struct cfg_key *k;
	yaml_event_t key, value;
	int rc;

	for (;;) {
		if (next_event(p, &key) < 0)
			return -EINVAL;
		if (key.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&key);
			return 0;
		}
		k = NULL;
		rc = 0;
		if (key.type == YAML_SCALAR_EVENT) {
			k = lookup_key(p, parent, &key);
		} else {
			/* A collection or alias as a key: "? [a, b]: 1" or "*x: 1". */
			if (key.type == YAML_ALIAS_EVENT)
				add_error(p, pos_of(key.start_mark), section->path,
					  "aliases are not supported");
			else
				add_error(p, pos_of(key.start_mark), section->path,
					  "expected a key name, got a %s",
					  key.type == YAML_MAPPING_START_EVENT ? "mapping"
									       : "sequence");
			rc = skip_node(p, &key);
		}
		yaml_event_delete(&key);
		if (rc < 0 || next_event(p, &value) < 0)
			return -EINVAL;
		rc = k ? parse_value(p, k, &value) : skip_node(p, &value);
		yaml_event_delete(&value);
		if (rc < 0)
			return rc;
	}
}

/* The node that ev starts, as the value of row k. */
static int parse_value(struct cfg_parser *p, const struct cfg_key *k, const yaml_event_t *ev)
{
	if (ev->type == YAML_ALIAS_EVENT) {
		add_error(p, pos_of(ev->start_mark), k->path, "aliases are not supported");
		return 0;
	}
	if (has_tag(ev)) {
		add_error(p, pos_of(ev->start_mark), k->path, "tags are not supported");
		return skip_node(p, ev);
	}
	if (k->type == CFG_SECTION) {
		if (ev->type == YAML_MAPPING_START_EVENT)
			return parse_mapping(p, k);
		/* "tls:" with every key commented out is an empty section, not an error. */
		if (is_null(ev))
			return 0;
		type_error(p, k, ev,
			   ev->type == YAML_SCALAR_EVENT ? (const char *)ev->data.scalar.value
							 : NULL);
		return skip_node(p, ev);
	}
	if (ev->type != YAML_SCALAR_EVENT) {
		type_error(p, k, ev, NULL);
		return skip_node(p, ev);
	}
	set_scalar(p, k, ev);
	return 0;
}

/* The whole stream: at most one document, whose root is the top-level mapping. */
static int parse_stream(struct cfg_parser *p)
{
	yaml_event_t ev, root;
	int nb_docs = 0, rc = 0;

	for (;;) {
		if (next_event(p, &ev) < 0)
			return -EINVAL;
		if (ev.type == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			return 0;
		}
		if (ev.type == YAML_DOCUMENT_START_EVENT) {
			if (++nb_docs > 1)
				add_error(p, pos_of(ev.start_mark), root_key.path,
					  "only one YAML document is allowed");
			rc = next_event(p, &root);
			if (rc == 0) {
				rc = nb_docs > 1 ? skip_node(p, &root)
						 : parse_value(p, &root_key, &root);
				yaml_event_delete(&root);
			}
		}
		yaml_event_delete(&ev);
		if (rc < 0)
			return rc;
	}
}

int ponte_config_parse(const char *name, const char *text, size_t len, GPtrArray *errors,
		       struct ponte_config **out)
{
	struct cfg_parser p = {
		.name = name,
		.text = text ? text : "",
		.len = text ? len : 0,
		.errors = errors,
	};

	*out = NULL;
	if (!yaml_parser_initialize(&p.yp)) {
		add_error(&p, (struct cfg_pos){1, 1}, "syntax", "out of memory");
		return -ENOMEM;
	}
	yaml_parser_set_input_string(&p.yp, (const unsigned char *)p.text, p.len);
	p.cfg = ponte_config_defaults();
	g_free(p.cfg->source);
	p.cfg->source = g_strdup(name);
	p.seen = g_new0(struct cfg_pos, ponte_cfg_schema_len);

	/* Errors are collected in p, and a syntax error is one of them: the result is unused. */
	(void)parse_stream(&p);

	yaml_parser_delete(&p.yp);
	g_free(p.seen);
	if (p.nb_errors) {
		ponte_config_free(p.cfg);
		return -EINVAL;
	}
	*out = p.cfg;
	return 0;
}

/* Read a whole file; -errno on failure. Not g_file_get_contents: its GError hides errno. */
static int read_file(const char *file, char **text, size_t *len)
{
	GString *buf = NULL;
	char chunk[8192];
	struct stat st;
	ssize_t n;
	int fd, rc;

	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		goto cleanup;
	}
	if (S_ISDIR(st.st_mode)) {
		rc = -EISDIR;
		goto cleanup;
	}
	buf = g_string_new(NULL);
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			goto cleanup;
		}
		if (n == 0)
			break;
		if (buf->len + (size_t)n > CFG_MAX_FILE_BYTES) {
			rc = -EFBIG;
			goto cleanup;
		}
		g_string_append_len(buf, chunk, n);
	}
	*len = buf->len;
	*text = g_string_free(buf, FALSE);
	buf = NULL;
	rc = 0;
cleanup:
	if (buf)
		g_string_free(buf, TRUE);
	close(fd);
	return rc;
}

int ponte_config_load(const char *file, GPtrArray *errors, struct ponte_config **out)
{
	char *text = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	rc = read_file(file, &text, &len);
	if (rc < 0) {
		if (errors)
			g_ptr_array_add(errors, g_strdup_printf("%s: cannot read: %s", file,
								g_strerror(-rc)));
		return rc;
	}
	rc = ponte_config_parse(file, text, len, errors, out);
	g_free(text);
	return rc;
}

struct ponte_config *ponte_config_defaults(void)
{
	struct ponte_config *cfg = g_new0(struct ponte_config, 1);
	size_t i;

	cfg->source = g_strdup("<defaults>");
	for (i = 0; i < ponte_cfg_schema_len; i++) {
		const struct cfg_key *k = &ponte_cfg_schema[i];
		int rc;

		if (k->type == CFG_SECTION)
			continue;
		rc = cfg_set(cfg, k, k->def);
		/* A default that does not parse is a bug in config_schema.c; a test checks. */
		assert(rc == 0);
		(void)rc;
	}
	return cfg;
}

void ponte_config_free(struct ponte_config *cfg)
{
	size_t i;

	if (!cfg)
		return;
	for (i = 0; i < ponte_cfg_schema_len; i++) {
		const struct cfg_key *k = &ponte_cfg_schema[i];

		if (k->type == CFG_STR || k->type == CFG_ADDR)
			g_free(*(char **)field_of(cfg, k));
	}
	g_free(cfg->source);
	g_free(cfg);
}

const char *ponte_config_enum_name(const char *path, int value)
{
	const struct cfg_key *k = find_key(path);
	int i;

	if (!k || k->type != CFG_ENUM || value < 0)
		return NULL;
	for (i = 0; k->names[i]; i++)
		if (i == value)
			return k->names[i];
	return NULL;
}

/* A table cell: the only character Markdown tables cannot hold as is is the pipe. */
static void write_cell(FILE *out, const char *s)
{
	fputs(" ", out);
	for (; *s; s++) {
		if (*s == '|')
			fputs("\\|", out);
		else
			fputc(*s, out);
	}
	fputs(" |", out);
}

static void write_row(FILE *out, const struct cfg_key *k)
{
	GString *s = g_string_new(NULL);
	size_t i;

	fputs("|", out);
	g_string_printf(s, "`%s`", k->path);
	write_cell(out, s->str);

	switch (k->type) {
	case CFG_STR:
		g_string_assign(s, k->flags & CFG_F_PATH ? "path" : "string");
		break;
	case CFG_INT:
		g_string_assign(s, "integer");
		break;
	case CFG_BOOL:
		g_string_assign(s, "boolean");
		break;
	case CFG_ENUM:
		g_string_assign(s, "enum");
		break;
	case CFG_ADDR:
		g_string_assign(s, "address");
		break;
	case CFG_SECTION:
		g_string_assign(s, "section");
		break;
	}
	if (k->flags & CFG_F_SECRET)
		g_string_append(s, ", secret");
	write_cell(out, s->str);

	g_string_printf(s, *k->def ? "`%s`" : "`\"\"`", k->def);
	write_cell(out, s->str);

	g_string_truncate(s, 0);
	if (k->type == CFG_INT) {
		g_string_printf(s, "%lld..%lld", k->min, k->max);
	} else if (k->type == CFG_ENUM) {
		for (i = 0; k->names[i]; i++)
			g_string_append_printf(s, "%s`%s`", i ? ", " : "", k->names[i]);
	} else if (k->type == CFG_BOOL) {
		g_string_assign(s, "`true`, `false`");
	} else if (k->type == CFG_ADDR) {
		g_string_assign(s, "IPv4 or IPv6 literal");
	} else if (k->flags & CFG_F_URL_PATH) {
		g_string_assign(s, "starts with `/`; no spaces, `?` or `#`");
	}
	write_cell(out, s->str);

	g_string_assign(s, k->doc);
	if (k->flags & CFG_F_SECRET)
		g_string_append(s, " Secret: its value never appears in messages; write it as "
				   "`${VAR}` to keep it out of the file.");
	write_cell(out, s->str);
	fputs("\n", out);
	g_string_free(s, TRUE);
}

/* One C line per output line, so the Markdown can be read (and rewrapped) here. */
static const char doc_intro[] =
	"# Configuration reference\n"
	"\n"
	"<!-- Generated by `ponte --config-doc` from control/config_schema.c. Do not edit. -->\n"
	"\n"
	"Ponte reads its configuration from one YAML file, given with `ponte -c FILE`.\n"
	"Without `-c` it runs the default configuration built into the binary,\n"
	"[`configs/ponte.yaml`](../configs/ponte.yaml), which sets every key to its default\n"
	"and says what it is for: copy it and change what you need. A key or a whole section\n"
	"left out keeps its default, so an empty file is a valid configuration.\n"
	"\n"
	"## File format\n"
	"\n"
	"- One YAML document whose top level is a mapping of the sections below, each a\n"
	"  mapping of keys. Anchors may be written, but aliases (`*name`) and tags (`!!str`)\n"
	"  are refused.\n"
	"- Values follow the YAML 1.2 core schema. Integers are decimal and unquoted: `8080`,\n"
	"  not `\"8080\"`, `0x1f90`, `8_080` or `8080.0`. Booleans are `true` and `false` (or\n"
	"  `True`, `TRUE`, `False`, `FALSE`); YAML 1.1's `yes`, `no`, `on` and `off` are\n"
	"  refused rather than read as booleans.\n"
	"- Strings may be quoted or not. A string key with no value (`file:` or `file: ~`) is\n"
	"  the empty string; any other key with no value is an error. A section with no value\n"
	"  (`tls:` with all its keys commented out) keeps its defaults.\n"
	"- Unknown keys are errors, so a misspelt key is never silently ignored.\n"
	"\n"
	"## Environment variables\n"
	"\n"
	"`${NAME}` inside a string, path, address or enum value is replaced by the\n"
	"environment variable NAME (letters, digits and `_`, not starting with a digit). An\n"
	"unset variable is an error; a variable set to the empty string gives the empty\n"
	"string. A `$` not followed by `{` stays as it is. Use it to keep secrets (marked\n"
	"*secret* below) and per-host values out of the file:\n"
	"\n"
	"```yaml\n"
	"tls:\n"
	"    enabled: true\n"
	"    cert: /etc/ponte/cert.pem\n"
	"    key: ${PONTE_TLS_KEY}\n"
	"```\n"
	"\n"
	"## Errors\n"
	"\n"
	"Ponte reports every problem in the file, not just the first, and does not start.\n"
	"Each problem is one line, `FILE:LINE:COLUMN: key.path: what is wrong`, with lines\n"
	"and columns counted from 1 and pointing at the offending key or value:\n"
	"\n"
	"```\n"
	"ponte.yaml:4:11: http.port: 70000 is out of range (1..65535)\n"
	"ponte.yaml:11:5: signaling.max_romes: unknown key (did you mean max_rooms?)\n"
	"ponte.yaml:14:14: tls.enabled: expected true or false, got \"yes\"\n"
	"```\n"
	"\n"
	"To check a file before deploying it, run `ponte --check-config FILE`: it prints the\n"
	"same lines and exits with status 2 if there are any, 0 if the file is valid.\n";

void ponte_config_write_doc(FILE *out)
{
	size_t i, j;

	fputs(doc_intro, out);
	for (i = 0; i < ponte_cfg_schema_len; i++) {
		const struct cfg_key *sec = &ponte_cfg_schema[i];

		if (sec->type != CFG_SECTION)
			continue;
		fprintf(out, "\n## `%s`\n\n%s\n\n", sec->path, sec->doc);
		fputs("| key | type | default | range / values | description |\n", out);
		fputs("| --- | --- | --- | --- | --- |\n", out);
		for (j = 0; j < ponte_cfg_schema_len; j++)
			if (is_child(&ponte_cfg_schema[j], sec->path))
				write_row(out, &ponte_cfg_schema[j]);
	}
}
