/* SPDX-License-Identifier: MIT */
/*
 * YAML configuration: parsing and defaults, driven by ponte_cfg_schema[] (config_schema.c);
 * config_doc.c writes the reference from the same table. Nothing here knows a key by name.
 *
 * The parser walks libyaml's event stream rather than a loaded document: events carry the
 * position of every node, and they show an alias as an alias, where the document API would
 * silently resolve it (and expand an alias bomb while doing so).
 */
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
#include "config_value.h"
#include "room.h"
#include "sip_reg.h"

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
	GArray *names; /* struct cfg_name: each CFG_F_NAME value set, to keep them unique */
	GArray *refs; /* struct cfg_name: each CFG_F_NAME_REF value set, checked at the end */
};

/*
 * A mapping being parsed: which rows its keys are and where their values go. A section's
 * rows are named as they are in the schema ("http.port"); the rows of an element of a list
 * of mappings ("sip.accounts[].name") are named with its index in messages.
 */
struct cfg_scope {
	const char *rows; /* the rows' parent path: "" (top level), "http", "sip.accounts[]" */
	const char *shown; /* the same as messages name it: "sip.accounts[2]" */
	void *base; /* the struct the rows' offsets are in: the configuration, or the element */
	struct cfg_pos *seen; /* per schema row: where the key was first set in this mapping */
};

/* A name set by a row with CFG_F_NAME or CFG_F_NAME_REF, and where. */
struct cfg_name {
	char *value;
	char *path; /* the row as messages name it: "sip.accounts[1].name" */
	struct cfg_pos pos;
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

bool cfg_is_child(const struct cfg_key *k, const char *parent)
{
	size_t n = strlen(parent);

	if (n == 0)
		return !strchr(k->path, '.');
	return strncmp(k->path, parent, n) == 0 && k->path[n] == '.' &&
	       !strchr(k->path + n + 1, '.');
}

/* Whether row k is a key of the elements of a list of mappings (its offset is in those). */
static bool is_element_key(const struct cfg_key *k)
{
	return strstr(k->path, "[].") != NULL;
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
 * the nested form of a dotted key ("http.port:" at the top level). In an element of a list
 * of mappings (parent "sip.trunks[]"), a key from another section is no hint: "port" there
 * belongs in a URI, not in http.port; one from another list's elements is.
 */
static void report_unknown(struct cfg_parser *p, struct cfg_pos pos, const char *parent,
			   const char *name, const char *path)
{
	const struct cfg_key *best = NULL, *moved = NULL;
	const struct cfg_key *dotted = strchr(name, '.') ? find_key(path) : NULL;
	bool is_in_element = strstr(parent, "[]") != NULL;
	size_t best_dist = SIZE_MAX, i;
	GString *shown = g_string_new(NULL);

	append_escaped(shown, path, CFG_MAX_QUOTE);
	for (i = 0; i < ponte_cfg_schema_len; i++) {
		const struct cfg_key *k = &ponte_cfg_schema[i];
		size_t dist;

		if (!cfg_is_child(k, parent)) {
			if (!moved && k->type != CFG_SECTION && strcmp(leaf_of(k->path), name) == 0 &&
			    (!is_in_element || is_element_key(k)))
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

/* The field of row k in base: the configuration, or for an element key, the element. */
static void *field_of(void *base, const struct cfg_key *k)
{
	return (char *)base + k->offset;
}

/* The element count of list of mappings k in base. */
static size_t *count_of(void *base, const struct cfg_key *k)
{
	return (size_t *)((char *)base + k->count_offset);
}

/* Free a string that is, or may hold part of, the value of row k: wiped first if secret. */
static void free_text(const struct cfg_key *k, char *text)
{
	if (text && (k->flags & CFG_F_SECRET))
		explicit_bzero(text, strlen(text));
	g_free(text);
}

static void set_string(void *base, const struct cfg_key *k, const char *value)
{
	char **field = field_of(base, k);

	free_text(k, *field);
	*field = g_strdup(value);
}

static int set_list_text(void *base, const struct cfg_key *k, const char *text);
static void free_elements(const struct cfg_key *k, void *elems, size_t nb);

/*
 * Store text, the scalar as written (after ${VAR} expansion), into the field of row k in base
 * (see field_of); for a list, text is a YAML flow sequence, as defaults are written, and a
 * list of mappings takes only "[]". Returns 0, -EINVAL when text is not of the row's type or
 * -ERANGE when it is outside the row's range. The same function applies the defaults, so a
 * default is checked like a value.
 */
static int cfg_set(void *base, const struct cfg_key *k, const char *text)
{
	long long v;
	int rc;

	switch (k->type) {
	case CFG_STR:
	case CFG_ADDR:
		if (!cfg_is_valid_text(k, text))
			return -EINVAL;
		set_string(base, k, text);
		return 0;
	case CFG_STRLIST:
		return set_list_text(base, k, text);
	case CFG_MAPLIST:
		if (strcmp(text, "[]") != 0)
			return -EINVAL;
		free_elements(k, *(void **)field_of(base, k), *count_of(base, k));
		*(void **)field_of(base, k) = NULL;
		*count_of(base, k) = 0;
		return 0;
	case CFG_INT:
		rc = cfg_parse_int(text, &v);
		if (rc < 0)
			return rc;
		if (v < k->min || v > k->max)
			return -ERANGE;
		*(int *)field_of(base, k) = (int)v;
		return 0;
	case CFG_BOOL:
		/* YAML 1.2 core schema: 1.1's yes/no/on/off are too easy to write by accident. */
		if (!strcmp(text, "true") || !strcmp(text, "True") || !strcmp(text, "TRUE"))
			*(bool *)field_of(base, k) = true;
		else if (!strcmp(text, "false") || !strcmp(text, "False") || !strcmp(text, "FALSE"))
			*(bool *)field_of(base, k) = false;
		else
			return -EINVAL;
		return 0;
	case CFG_ENUM:
		rc = cfg_enum_index(k, text);
		if (rc < 0)
			return -EINVAL;
		*(int *)field_of(base, k) = rc;
		return 0;
	case CFG_SECTION:
		break;
	}
	return -EINVAL;
}

/*
 * Report that the node ev is not what row k takes. text is the scalar's value after
 * expansion (NULL for collections); a secret's value is never shown.
 */
static void type_error(struct cfg_parser *p, const struct cfg_key *k, const yaml_event_t *ev,
		       const char *text)
{
	char *expected = cfg_expected_of(k);
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
	/* After a list of names ("one of: a, b"), a comma would blur where the list ends. */
	if (!got)
		add_error(p, pos_of(ev->start_mark), k->path, "expected %s", expected);
	else if (k->type == CFG_ENUM || strchr(expected, ','))
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
		free_text(k, g_string_free(out, FALSE));
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

/*
 * The text of the scalar ev as a value of row k: ${VAR} expanded except in integers and
 * booleans; a null is "" where k takes the empty string. Returns it (g_free it), or NULL
 * after reporting why there is none.
 */
static char *scalar_text(struct cfg_parser *p, const struct cfg_key *k, const yaml_event_t *ev)
{
	const char *raw = (const char *)ev->data.scalar.value;
	struct cfg_pos pos = pos_of(ev->start_mark);

	if (is_null(ev)) {
		/* An empty string that the row refuses ("path:") is then reported as such. */
		if (k->type == CFG_STR || (k->flags & CFG_F_EMPTY_OK))
			return g_strdup("");
		add_error(p, pos, k->path, "missing value");
		return NULL;
	}
	/* A "\0" escape would silently cut the C string that the rest of Ponte sees. */
	if (strlen(raw) != ev->data.scalar.length) {
		add_error(p, pos, k->path, "contains a NUL character");
		return NULL;
	}
	if (k->type == CFG_INT || k->type == CFG_BOOL) {
		if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) {
			type_error(p, k, ev, raw);
			return NULL;
		}
		return g_strdup(raw);
	}
	return expand_env(p, k, pos, raw);
}

/*
 * Remember text, the value of row k (as messages name it) set at pos. A CFG_F_NAME must differ
 * from every one set before it, in any list; a CFG_F_NAME_REF is checked by check_refs() once
 * every name is known, since it may come first in the file.
 */
static void note_name(struct cfg_parser *p, const struct cfg_key *k, struct cfg_pos pos,
		      const char *text)
{
	struct cfg_name name = {g_strdup(text), g_strdup(k->path), pos};
	guint i;

	if (k->flags & CFG_F_NAME_REF) {
		g_array_append_val(p->refs, name);
		return;
	}
	for (i = 0; i < p->names->len; i++) {
		const struct cfg_name *first = &g_array_index(p->names, struct cfg_name, i);
		char *q;

		if (strcmp(first->value, text) != 0)
			continue;
		q = quote(text);
		add_error(p, pos, k->path, "%s is already the name of %.*s (at %d:%d)", q,
			  (int)(leaf_of(first->path) - first->path - 1), first->path,
			  first->pos.line, first->pos.col);
		g_free(q);
		g_free(name.value);
		g_free(name.path);
		return;
	}
	g_array_append_val(p->names, name);
}

/* The node ev, a scalar, as the value of row k, stored in base (see field_of). */
static void set_scalar(struct cfg_parser *p, const struct cfg_key *k, void *base,
		       const yaml_event_t *ev)
{
	struct cfg_pos pos = pos_of(ev->start_mark);
	char *text;
	int rc;

	text = scalar_text(p, k, ev);
	if (!text)
		return;
	rc = cfg_set(base, k, text);
	if (rc == 0 && *text && (k->flags & (CFG_F_NAME | CFG_F_NAME_REF)) && p->names)
		note_name(p, k, pos, text);
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
	free_text(k, text);
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

/* Whether a and b, values of elements of list row k, are the same. */
static bool is_same_element(const struct cfg_key *k, const char *a, const char *b)
{
	struct cfg_addr x, y;

	if (k->elem == CFG_ADDR && cfg_parse_addr(a, &x) && cfg_parse_addr(b, &y))
		return memcmp(&x, &y, sizeof(x)) == 0;
	return strcmp(a, b) == 0;
}

/*
 * The elements of the sequence that start began, as the value of list row k, up to and
 * including its end event. Each element is checked as a row of type k->elem would be, under
 * the path "k.path[INDEX]", INDEX counted from 0. The field in base is set only when all are
 * good.
 */
static int parse_list(struct cfg_parser *p, const struct cfg_key *k, void *base,
		      const yaml_event_t *start)
{
	GPtrArray *values = g_ptr_array_new_with_free_func(g_free);
	GArray *where = g_array_new(FALSE, FALSE, sizeof(struct cfg_pos));
	size_t nb_errors = p->nb_errors, nb = 0, i;
	struct cfg_key elem = *k;
	yaml_event_t ev;
	int rc = 0;

	elem.type = k->elem;
	for (;;) {
		struct cfg_pos pos;
		char *path, *text = NULL;

		if (next_event(p, &ev) < 0) {
			rc = -EINVAL;
			break;
		}
		if (ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		pos = pos_of(ev.start_mark);
		path = g_strdup_printf("%s[%zu]", k->path, nb);
		elem.path = path;
		if (nb++ == (size_t)k->max)
			add_error(p, pos, path, "too many elements (at most %lld)", k->max);
		if (ev.type == YAML_ALIAS_EVENT) {
			add_error(p, pos, path, "aliases are not supported");
		} else if (has_tag(&ev)) {
			add_error(p, pos, path, "tags are not supported");
			rc = skip_node(p, &ev);
		} else if (ev.type != YAML_SCALAR_EVENT) {
			type_error(p, &elem, &ev, NULL);
			rc = skip_node(p, &ev);
		} else {
			text = scalar_text(p, &elem, &ev);
		}
		if (text && !cfg_is_valid_text(&elem, text)) {
			type_error(p, &elem, &ev, text);
			g_clear_pointer(&text, g_free);
		}
		for (i = 0; text && (k->flags & CFG_F_UNIQUE) && i < values->len; i++) {
			if (is_same_element(k, g_ptr_array_index(values, i), text)) {
				struct cfg_pos first = g_array_index(where, struct cfg_pos, i);

				add_error(p, pos, path, "duplicate element (first set at %d:%d)",
					  first.line, first.col);
				g_clear_pointer(&text, g_free);
			}
		}
		if (text) {
			g_ptr_array_add(values, text);
			g_array_append_val(where, pos);
		}
		g_free(path);
		yaml_event_delete(&ev);
		if (rc < 0)
			break;
	}
	if (rc == 0 && nb < (size_t)k->min)
		add_error(p, pos_of(start->start_mark), k->path, "too few elements (at least %lld)",
			  k->min);
	if (rc == 0 && p->nb_errors == nb_errors) {
		char ***field = field_of(base, k);

		g_strfreev(*field);
		g_ptr_array_add(values, NULL);
		*field = (char **)g_ptr_array_free(values, FALSE);
		values = NULL;
	}
	if (values)
		g_ptr_array_free(values, TRUE);
	g_array_free(where, TRUE);
	return rc;
}

/*
 * Set list row k in base from text, a YAML sequence as a default is written ("[a, b]"), with
 * the code that parses one in a file. Returns 0 or -EINVAL; problems are not described.
 */
static int set_list_text(void *base, const struct cfg_key *k, const char *text)
{
	struct cfg_parser p = {.name = k->path, .text = text, .len = strlen(text)};
	yaml_event_t ev;
	size_t nb_lists = 0;
	int rc = 0;

	if (!yaml_parser_initialize(&p.yp))
		return -ENOMEM;
	yaml_parser_set_input_string(&p.yp, (const unsigned char *)text, p.len);
	while (rc == 0 && next_event(&p, &ev) == 0) {
		yaml_event_type_t type = ev.type;

		/* The stream must hold one node, a sequence: nothing else may begin. */
		if (type == YAML_SEQUENCE_START_EVENT && nb_lists++ == 0)
			rc = parse_list(&p, k, base, &ev);
		else if (type != YAML_STREAM_START_EVENT && type != YAML_DOCUMENT_START_EVENT &&
			 type != YAML_DOCUMENT_END_EVENT && type != YAML_STREAM_END_EVENT)
			p.nb_errors++;
		yaml_event_delete(&ev);
		if (type == YAML_STREAM_END_EVENT)
			break;
	}
	yaml_parser_delete(&p.yp);
	return p.nb_errors || nb_lists != 1 ? -EINVAL : 0;
}

/*
 * Whether row k is a field of the elements of the list of mappings whose rows are "rows"
 * ("sip.accounts[]"), or with rows NULL, of struct ponte_config.
 */
static bool is_field_of(const struct cfg_key *k, const char *rows)
{
	if (k->type == CFG_SECTION)
		return false;
	return rows ? cfg_is_child(k, rows) : !is_element_key(k);
}

/* Set each field of base, as is_field_of() picks them, to its row's default. */
static void set_defaults(void *base, const char *rows)
{
	size_t i;

	for (i = 0; i < ponte_cfg_schema_len; i++) {
		const struct cfg_key *k = &ponte_cfg_schema[i];
		int rc;

		if (!is_field_of(k, rows) || !k->def)
			continue;
		rc = cfg_set(base, k, k->def);
		/* A default that does not parse is a bug in config_schema.c; a test checks. */
		assert(rc == 0);
		(void)rc;
	}
}

/* Free what the fields of base, as is_field_of() picks them, own. */
static void free_fields(void *base, const char *rows)
{
	size_t i;

	for (i = 0; i < ponte_cfg_schema_len; i++) {
		const struct cfg_key *k = &ponte_cfg_schema[i];

		if (!is_field_of(k, rows))
			continue;
		if (k->type == CFG_STR || k->type == CFG_ADDR)
			free_text(k, *(char **)field_of(base, k));
		else if (k->type == CFG_STRLIST)
			g_strfreev(*(char ***)field_of(base, k));
		else if (k->type == CFG_MAPLIST)
			free_elements(k, *(void **)field_of(base, k), *count_of(base, k));
	}
}

/* Free the array of nb elements of list of mappings k, and what each element owns. */
static void free_elements(const struct cfg_key *k, void *elems, size_t nb)
{
	char *rows = g_strconcat(k->path, "[]", NULL);
	size_t i;

	for (i = 0; i < nb; i++)
		free_fields((char *)elems + i * k->elem_size, rows);
	g_free(rows);
	g_free(elems);
}

static int parse_value(struct cfg_parser *p, const struct cfg_key *k, void *base,
		       const yaml_event_t *ev);

/*
 * The key event kev of the mapping of scope: find its row, or report it unknown or duplicate.
 * Returns the row, or NULL when the value is to be skipped; *shown is the key's path as
 * messages name it either way (g_free it).
 */
static const struct cfg_key *lookup_key(struct cfg_parser *p, const struct cfg_scope *scope,
					const yaml_event_t *kev, char **shown)
{
	const char *name = (const char *)kev->data.scalar.value;
	struct cfg_pos pos = pos_of(kev->start_mark);
	const struct cfg_key *k;
	char *path;
	size_t i;

	path = *scope->rows ? g_strconcat(scope->rows, ".", name, NULL) : g_strdup(name);
	*shown = *scope->shown ? g_strconcat(scope->shown, ".", name, NULL) : g_strdup(name);
	if (has_tag(kev)) {
		add_error(p, pos, *shown, "tags are not supported");
		k = NULL;
	} else if (strchr(name, '.') || strlen(name) != kev->data.scalar.length ||
		   !(k = find_key(path))) {
		report_unknown(p, pos, scope->rows, name, *shown);
		k = NULL;
	} else {
		i = (size_t)(k - ponte_cfg_schema);
		if (scope->seen[i].line) {
			add_error(p, pos, *shown, "duplicate key (first set at %d:%d)",
				  scope->seen[i].line, scope->seen[i].col);
			k = NULL;
		} else {
			scope->seen[i] = pos;
		}
	}
	g_free(path);
	return k;
}

/*
 * Values whose rules belong to the module that reads them, checked once set, at their place
 * in the file: the same function then judges them at start and here (--check-config).
 */
static const struct {
	const char *path;
	bool (*is_valid)(const char *text);
	const char *expected;
} value_checks[] = {
	/* What a call for the account rings (sip_reg.c, gw_calls.c). */
	{"sip.accounts[].incoming", sip_reg_is_incoming_target,
	 "a browser name (1 to 32 of [A-Za-z0-9._-]) or room-KEY (a room name of 1 to 128 bytes "
	 "without ':' or control characters)"},
	/* The DPDK backend's (dataplane/dpdk/eal.c checks them again, with the machine). */
	{"dpdk.lcores", cfg_is_cpu_list, "a CPU list such as \"1\" or \"2-3,6\""},
	{"dpdk.file_prefix", cfg_is_file_prefix, "1 to 64 of [A-Za-z0-9_-]"},
	{"dpdk.exception_tap", cfg_is_ifname,
	 "an interface name of 1 to 15 bytes without '/', ':' or blanks"},
	{"dpdk.ports[].exception_tap", cfg_is_ifname,
	 "an interface name of 1 to 15 bytes without '/', ':' or blanks"},
	{"dpdk.owned_ports", cfg_is_owned_ports,
	 "auto, off, or a port range MIN-MAX with 1024 <= MIN <= MAX <= 65535"},
};

/* The message above spells the limits out. */
G_STATIC_ASSERT(SIP_REG_NAME_MAX == 32 && ROOM_NAME_MAX == 128);

/* Row k (of the schema), set in base from ev, named shown in messages. */
static void check_value(struct cfg_parser *p, const struct cfg_key *k, const char *shown,
			void *base, const yaml_event_t *ev)
{
	for (size_t i = 0; i < G_N_ELEMENTS(value_checks); i++) {
		const char *text;
		char *q;

		if (strcmp(k->path, value_checks[i].path) != 0 || k->type != CFG_STR)
			continue;
		text = *(char **)field_of(base, k);
		/* Empty is "not set": the row's default says what that means. */
		if (text == NULL || *text == '\0' || value_checks[i].is_valid(text))
			continue;
		q = quote(text);
		add_error(p, pos_of(ev->start_mark), shown, "expected %s, got %s",
			  value_checks[i].expected, q);
		g_free(q);
	}
}

/* The entries of the mapping of scope, up to and including its end event. */
static int parse_mapping(struct cfg_parser *p, const struct cfg_scope *scope)
{
	const struct cfg_key *k;
	yaml_event_t key, value;
	char *shown;
	int rc;

	for (;;) {
		struct cfg_key row;

		if (next_event(p, &key) < 0)
			return -EINVAL;
		if (key.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&key);
			return 0;
		}
		k = NULL;
		shown = NULL;
		rc = 0;
		if (key.type == YAML_SCALAR_EVENT) {
			k = lookup_key(p, scope, &key, &shown);
		} else {
			const char *where = *scope->shown ? scope->shown : root_key.path;

			/* A collection or alias as a key: "? [a, b]: 1" or "*x: 1". */
			if (key.type == YAML_ALIAS_EVENT)
				add_error(p, pos_of(key.start_mark), where,
					  "aliases are not supported");
			else
				add_error(p, pos_of(key.start_mark), where,
					  "expected a key name, got a %s",
					  key.type == YAML_MAPPING_START_EVENT ? "mapping"
									       : "sequence");
			rc = skip_node(p, &key);
		}
		yaml_event_delete(&key);
		if (rc < 0 || next_event(p, &value) < 0) {
			g_free(shown);
			return -EINVAL;
		}
		/* The row as messages name it: with its index inside an element of a list. */
		if (k) {
			row = *k;
			row.path = shown;
			rc = parse_value(p, &row, scope->base, &value);
			if (rc == 0 && value.type == YAML_SCALAR_EVENT)
				check_value(p, k, shown, scope->base, &value);
		} else {
			rc = skip_node(p, &value);
		}
		g_free(shown);
		yaml_event_delete(&value);
		if (rc < 0)
			return rc;
	}
}

/*
 * One element of a list of mappings, whose rows are "rows" ("sip.accounts[]"), named shown
 * ("sip.accounts[2]") in messages and starting at pos, into elem (zeroed): the defaults of its
 * rows, then its keys up to and including the end of the mapping, then a message for each
 * required key it lacks.
 */
static int parse_element(struct cfg_parser *p, const char *rows, const char *shown,
			 struct cfg_pos pos, void *elem)
{
	struct cfg_scope scope = {rows, shown, elem, g_new0(struct cfg_pos, ponte_cfg_schema_len)};
	size_t i;
	int rc;

	set_defaults(elem, rows);
	rc = parse_mapping(p, &scope);
	for (i = 0; rc == 0 && i < ponte_cfg_schema_len; i++) {
		const struct cfg_key *k = &ponte_cfg_schema[i];

		if ((k->flags & CFG_F_REQUIRED) && cfg_is_child(k, rows) && !scope.seen[i].line)
			add_error(p, pos, shown, "missing required key %s", leaf_of(k->path));
	}
	g_free(scope.seen);
	return rc;
}

/*
 * The elements of the sequence that start began, as the value of list of mappings k, up to
 * and including its end event: each a mapping of the rows "k.path[].KEY", parsed like a
 * section into a struct of its own, named "k.path[INDEX]" in messages. The array is stored in
 * base even after errors: the configuration is then freed, and the elements with it.
 */
static int parse_maplist(struct cfg_parser *p, const struct cfg_key *k, void *base,
			 const yaml_event_t *start)
{
	GArray *elems = g_array_new(FALSE, TRUE, (guint)k->elem_size);
	char *rows = g_strconcat(k->path, "[]", NULL);
	void **field = field_of(base, k);
	yaml_event_t ev;
	size_t nb = 0;
	int rc = 0;

	for (;;) {
		struct cfg_key elem = {.type = CFG_SECTION};
		struct cfg_pos pos;
		char *shown;

		if (next_event(p, &ev) < 0) {
			rc = -EINVAL;
			break;
		}
		if (ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		pos = pos_of(ev.start_mark);
		shown = g_strdup_printf("%s[%zu]", k->path, nb);
		if (nb++ == (size_t)k->max)
			add_error(p, pos, shown, "too many elements (at most %lld)", k->max);
		if (ev.type == YAML_ALIAS_EVENT) {
			add_error(p, pos, shown, "aliases are not supported");
		} else if (has_tag(&ev)) {
			add_error(p, pos, shown, "tags are not supported");
			rc = skip_node(p, &ev);
		} else if (ev.type == YAML_MAPPING_START_EVENT) {
			g_array_set_size(elems, elems->len + 1);
			rc = parse_element(p, rows, shown, pos,
					   elems->data + (elems->len - 1) * k->elem_size);
		} else if (is_null(&ev)) {
			add_error(p, pos, shown, "missing value");
		} else {
			elem.path = shown;
			type_error(p, &elem, &ev,
				   ev.type == YAML_SCALAR_EVENT ? (const char *)ev.data.scalar.value
								: NULL);
			rc = skip_node(p, &ev);
		}
		g_free(shown);
		yaml_event_delete(&ev);
		if (rc < 0)
			break;
	}
	if (rc == 0 && nb < (size_t)k->min)
		add_error(p, pos_of(start->start_mark), k->path, "too few elements (at least %lld)",
			  k->min);
	free_elements(k, *field, *count_of(base, k));
	*count_of(base, k) = elems->len;
	if (elems->len) {
		*field = g_array_free(elems, FALSE);
	} else {
		*field = NULL;
		g_array_free(elems, TRUE);
	}
	g_free(rows);
	return rc;
}

/* The node that ev starts, as the value of row k, stored in base (see field_of). */
static int parse_value(struct cfg_parser *p, const struct cfg_key *k, void *base,
		       const yaml_event_t *ev)
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
		const char *rows = k == &root_key ? "" : k->path;

		if (ev->type == YAML_MAPPING_START_EVENT)
			return parse_mapping(p, &(struct cfg_scope){rows, rows, base, p->seen});
		/* "tls:" with every key commented out is an empty section, not an error. */
		if (is_null(ev))
			return 0;
		type_error(p, k, ev,
			   ev->type == YAML_SCALAR_EVENT ? (const char *)ev->data.scalar.value
							 : NULL);
		return skip_node(p, ev);
	}
	if (k->type == CFG_STRLIST || k->type == CFG_MAPLIST) {
		if (ev->type == YAML_SEQUENCE_START_EVENT)
			return k->type == CFG_STRLIST ? parse_list(p, k, base, ev)
						      : parse_maplist(p, k, base, ev);
		/*
		 * "addresses:" with its elements commented out could mean the default as well
		 * as none, so unlike a section it is refused: an empty list is written [].
		 */
		if (is_null(ev)) {
			add_error(p, pos_of(ev->start_mark), k->path, "missing value%s",
				  k->min == 0 ? " (write [] for an empty list)" : "");
			return 0;
		}
		type_error(p, k, ev,
			   ev->type == YAML_SCALAR_EVENT ? (const char *)ev->data.scalar.value
							 : NULL);
		return skip_node(p, ev);
	}
	if (ev->type != YAML_SCALAR_EVENT) {
		type_error(p, k, ev, NULL);
		return skip_node(p, ev);
	}
	set_scalar(p, k, base, ev);
	return 0;
}

/*
 * The lists of mappings whose elements have a CFG_F_NAME, as messages name them
 * ("sip.accounts or sip.trunks").
 */
static char *named_lists(void)
{
	GPtrArray *lists = g_ptr_array_new();
	GString *s = g_string_new(NULL);
	size_t i;
	guint j;

	for (i = 0; i < ponte_cfg_schema_len; i++) {
		const struct cfg_key *k = &ponte_cfg_schema[i];

		if ((k->flags & CFG_F_NAME) && is_element_key(k))
			g_ptr_array_add(lists, (gpointer)k->path);
	}
	for (j = 0; j < lists->len; j++) {
		const char *path = g_ptr_array_index(lists, j);

		if (j)
			g_string_append(s, j + 1 == lists->len ? " or " : ", ");
		/* "sip.accounts[].name" -> "sip.accounts" */
		g_string_append_len(s, path, (gssize)(strstr(path, "[].") - path));
	}
	g_ptr_array_free(lists, TRUE);
	return g_string_free(s, FALSE);
}

/* Each CFG_F_NAME_REF noted must be the name of an element (see note_name). */
static void check_refs(struct cfg_parser *p)
{
	guint i, j;

	for (i = 0; i < p->refs->len; i++) {
		const struct cfg_name *ref = &g_array_index(p->refs, struct cfg_name, i);
		bool is_found = false;
		char *lists, *q;

		for (j = 0; j < p->names->len && !is_found; j++)
			is_found = !strcmp(g_array_index(p->names, struct cfg_name, j).value,
					   ref->value);
		if (is_found)
			continue;
		lists = named_lists();
		q = quote(ref->value);
		add_error(p, ref->pos, ref->path, "no element of %s is named %s", lists, q);
		g_free(q);
		g_free(lists);
	}
}

/* Where row path was set in the file; line 0 when it was not (it has its default). */
static struct cfg_pos key_pos(const struct cfg_parser *p, const char *path)
{
	const struct cfg_key *k = find_key(path);

	return k ? p->seen[k - ponte_cfg_schema] : (struct cfg_pos){0, 0};
}

static bool list_has(char *const *list, const char *s)
{
	for (; *list; list++)
		if (!strcmp(*list, s))
			return true;
	return false;
}

/* The first of paths the file set, else the last one. */
static const char *first_set(const struct cfg_parser *p, const char *const *paths, size_t nb)
{
	for (size_t i = 0; i + 1 < nb; i++)
		if (key_pos(p, paths[i]).line)
			return paths[i];
	return paths[nb - 1];
}

/*
 * The UDP ports the DPDK fast path owns (docs/dpdk.md, "Ports") are its alone: it drops what
 * reaches one of them without a port open, and the kernel hands none of them to an ephemeral
 * bind, but ICE binds its range explicitly, and SIP over UDP listens on its port: either in
 * the owned range would lose its datagrams, or share numbers with SIP calls.
 */
static void check_owned_ports(struct cfg_parser *p)
{
	static const char *const webrtc_keys[] = {"webrtc.port_max", "webrtc.port_min",
						  "sip.rtp_port_min", "sip.rtp_port_max",
						  "dpdk.owned_ports"};
	static const char *const sip_keys[] = {"sip.port", "sip.rtp_port_min", "sip.rtp_port_max",
					       "dpdk.owned_ports"};
	const struct ponte_config *cfg = p->cfg;
	char owned[96];
	const char *path;
	int lo, hi;

	if (!ponte_config_owned_ports(cfg, &lo, &hi))
		return;
	if (!strcmp(cfg->dpdk.owned_ports, "auto"))
		snprintf(owned, sizeof(owned), "%d-%d (dpdk.owned_ports: auto, sip.rtp_port_min..max)",
			 lo, hi);
	else
		snprintf(owned, sizeof(owned), "%d-%d (dpdk.owned_ports)", lo, hi);
	/* webrtc.port_min 0: libnice picks ephemeral ports, which the kernel keeps out. */
	if (cfg->webrtc.port_min != 0 && cfg->webrtc.port_min <= hi &&
	    cfg->webrtc.port_max >= lo) {
		path = first_set(p, webrtc_keys, G_N_ELEMENTS(webrtc_keys));
		add_error(p, key_pos(p, path), path,
			  "webrtc.port_min..max (%d-%d) overlaps the UDP ports the DPDK fast path "
			  "owns, %s: ICE sockets must stay outside them; move one range, or set "
			  "dpdk.owned_ports: off",
			  cfg->webrtc.port_min, cfg->webrtc.port_max, owned);
	}
	if (cfg->sip.enabled && list_has(cfg->sip.transports, "udp") && cfg->sip.port >= lo &&
	    cfg->sip.port <= hi) {
		path = first_set(p, sip_keys, G_N_ELEMENTS(sip_keys));
		add_error(p, key_pos(p, path), path,
			  "SIP over UDP on port %d, inside the UDP ports the DPDK fast path owns, "
			  "%s: its datagrams would be dropped; move one",
			  cfg->sip.port, owned);
	}
}

/*
 * Rules that tie keys together, checked once the whole file is read since the keys may come
 * in any order. Each message names the key to change, at the place the file set it: a rule
 * only breaks when the file set at least one of its keys, as the defaults obey them all.
 */
static void check_rules(struct cfg_parser *p)
{
	const struct ponte_config *cfg = p->cfg;
	bool has_tls = list_has(cfg->sip.transports, "tls");

	if (has_tls && !*cfg->sip.tls_certificate)
		add_error(p, key_pos(p, "sip.transports"), "sip.transports",
			  "tls needs sip.tls_certificate (a PEM certificate chain)");
	if (cfg->sip.tls_verify_clients && !*cfg->sip.tls_ca)
		add_error(p, key_pos(p, "sip.tls_verify_clients"), "sip.tls_verify_clients",
			  "needs sip.tls_ca (the authorities client certificates must come from)");
	if (has_tls && list_has(cfg->sip.transports, "tcp") &&
	    cfg->sip.tls_port == cfg->sip.port) {
		const char *path = key_pos(p, "sip.tls_port").line ? "sip.tls_port" : "sip.port";

		add_error(p, key_pos(p, path), path,
			  "tcp and tls cannot share port %d (sip.port and sip.tls_port)",
			  cfg->sip.port);
	}
	check_owned_ports(p);
}

static void clear_name(void *data)
{
	struct cfg_name *name = data;

	g_free(name->value);
	g_free(name->path);
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
						 : parse_value(p, &root_key, p->cfg, &root);
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
	p.names = g_array_new(FALSE, FALSE, sizeof(struct cfg_name));
	p.refs = g_array_new(FALSE, FALSE, sizeof(struct cfg_name));
	g_array_set_clear_func(p.names, clear_name);
	g_array_set_clear_func(p.refs, clear_name);

	/*
	 * Errors are collected in p, and a syntax error is one of them. After one, the names
	 * and values past it are unknown, so references and rules are not checked.
	 */
	if (parse_stream(&p) == 0) {
		check_refs(&p);
		check_rules(&p);
	}

	yaml_parser_delete(&p.yp);
	g_array_free(p.refs, TRUE);
	g_array_free(p.names, TRUE);
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

	cfg->source = g_strdup("<defaults>");
	set_defaults(cfg, NULL);
	return cfg;
}

void ponte_config_free(struct ponte_config *cfg)
{
	if (!cfg)
		return;
	free_fields(cfg, NULL);
	g_free(cfg->source);
	g_free(cfg);
}

bool ponte_config_owned_ports(const struct ponte_config *cfg, int *min, int *max)
{
	const char *v = cfg->dpdk.owned_ports;

	if (cfg->dataplane.backend != PONTE_DP_DPDK || v == NULL || !strcmp(v, "off"))
		return false;
	if (*v == '\0' || !strcmp(v, "auto")) {
		if (!cfg->sip.enabled)
			return false;
		*min = cfg->sip.rtp_port_min;
		*max = cfg->sip.rtp_port_max;
		return *max >= *min;
	}
	return cfg_parse_port_range(v, min, max);
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
