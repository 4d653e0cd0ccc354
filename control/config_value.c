/* SPDX-License-Identifier: MIT */
/*
 * What the value of each schema row type and format flag accepts, and how messages describe
 * it: the checks config.c applies to every scalar, to list elements and to the defaults.
 * Kept apart from the parser because they depend on the text alone, never on YAML events.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "config_value.h"

int cfg_parse_int(const char *text, long long *out)
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

bool cfg_parse_addr(const char *text, struct cfg_addr *out)
{
	G_STATIC_ASSERT(sizeof(out->bytes) == sizeof(struct in6_addr));

	memset(out, 0, sizeof(*out));
	out->family = AF_INET;
	if (inet_pton(AF_INET, text, out->bytes) == 1)
		return true;
	out->family = AF_INET6;
	return inet_pton(AF_INET6, text, out->bytes) == 1;
}

/* RFC 1123 host name: dot-separated labels of letters, digits and inner hyphens. */
static bool is_host_name(const char *s, size_t len)
{
	size_t i, label = 0;

	if (len == 0 || len > 253)
		return false;
	for (i = 0; i <= len; i++) {
		if (i == len || s[i] == '.') {
			if (label == 0 || label > 63 || s[i - 1] == '-')
				return false;
			label = 0;
		} else if (g_ascii_isalnum(s[i]) || (s[i] == '-' && label > 0)) {
			label++;
		} else {
			return false;
		}
	}
	return true;
}

/* An IPv6 literal of len bytes at s, without its brackets. */
static bool is_v6_literal(const char *s, size_t len)
{
	struct in6_addr addr;
	char *v6 = g_strndup(s, len);
	bool is_ok = inet_pton(AF_INET6, v6, &addr) == 1;

	g_free(v6);
	return is_ok;
}

/* A port number of len decimal digits at s (leading zeros allowed), 1..65535. */
static bool is_port(const char *s, size_t len)
{
	unsigned long port = 0;
	size_t i;

	if (len == 0)
		return false;
	for (i = 0; i < len; i++) {
		if (!g_ascii_isdigit(s[i]))
			return false;
		port = MIN(port * 10 + (unsigned long)(s[i] - '0'), 65536UL);
	}
	return port >= 1 && port <= 65535;
}

/* "HOST:PORT": HOST a name or an IPv4 literal, or an IPv6 literal in brackets; PORT 1..65535. */
static bool is_host_port(const char *s)
{
	const char *colon = strrchr(s, ':');

	if (!colon || !is_port(colon + 1, strlen(colon + 1)))
		return false;
	if (s[0] != '[')
		return is_host_name(s, (size_t)(colon - s));
	if (colon - s < 3 || colon[-1] != ']')
		return false;
	return is_v6_literal(s + 1, (size_t)(colon - s - 2));
}

/*
 * A sip: or sips: URI (RFC 3261 §19.1.1), checked loosely: the scheme, an optional userinfo
 * ending in "@", a host (a name, an IPv4 literal or an IPv6 one in brackets) and an optional
 * port. Parameters and headers, after ";" or "?", are left to the SIP stack, which parses the
 * whole URI when it uses it; the check is there to catch "pbx.example.com" without a scheme or
 * "sip:1001@" without a host when the file is read, not at the first call.
 */
static bool is_sip_uri(const char *s)
{
	const char *host, *end, *p, *at = NULL;

	for (p = s; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return false;
	if (g_ascii_strncasecmp(s, "sip:", 4) == 0)
		host = s + 4;
	else if (g_ascii_strncasecmp(s, "sips:", 5) == 0)
		host = s + 5;
	else
		return false;
	end = host + strcspn(host, ";?");
	for (p = host; p < end; p++)
		if (*p == '@')
			at = p;
	if (at == host)
		return false;
	if (at)
		host = at + 1;
	if (*host == '[') {
		p = memchr(host, ']', (size_t)(end - host));
		if (!p || !is_v6_literal(host + 1, (size_t)(p - host - 1)))
			return false;
		p++;
	} else {
		for (p = host; p < end && *p != ':'; p++)
			;
		if (!is_host_name(host, (size_t)(p - host)))
			return false;
	}
	return p == end || (*p == ':' && is_port(p + 1, (size_t)(end - p - 1)));
}

/* A CFG_F_NAME: 1 to CFG_MAX_NAME letters, digits, "_" and "-". */
static bool is_name(const char *s)
{
	size_t n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-");

	return n >= 1 && n <= CFG_MAX_NAME && !s[n];
}

int cfg_enum_index(const struct cfg_key *k, const char *text)
{
	int i;

	for (i = 0; k->names[i]; i++)
		if (strcmp(k->names[i], text) == 0)
			return i;
	return -1;
}

bool cfg_is_valid_text(const struct cfg_key *k, const char *text)
{
	struct cfg_addr addr;

	if (!*text && (k->flags & CFG_F_EMPTY_OK))
		return true;
	switch (k->type) {
	case CFG_STR:
		if ((k->flags & CFG_F_URL_PATH) && !is_url_path(text))
			return false;
		if ((k->flags & CFG_F_SIP_URI) && !is_sip_uri(text))
			return false;
		if ((k->flags & (CFG_F_NAME | CFG_F_NAME_REF)) && !is_name(text))
			return false;
		return !(k->flags & CFG_F_HOST_PORT) || is_host_port(text);
	case CFG_ADDR:
		return cfg_parse_addr(text, &addr);
	case CFG_ENUM:
		return cfg_enum_index(k, text) >= 0;
	default:
		return false;
	}
}

char *cfg_expected_of(const struct cfg_key *k)
{
	const char *or_empty = k->flags & CFG_F_EMPTY_OK ? " or \"\"" : "";
	GString *s;
	size_t i;

	switch (k->type) {
	case CFG_SECTION:
		return g_strdup("a mapping");
	case CFG_STRLIST:
		return g_strdup("a list");
	case CFG_MAPLIST:
		return g_strdup("a list of mappings");
	case CFG_STR:
		if (k->flags & CFG_F_URL_PATH)
			return g_strdup_printf("a URL path: \"/\" then no spaces, \"?\" or \"#\"%s",
					       or_empty);
		if (k->flags & CFG_F_HOST_PORT)
			return g_strdup_printf("HOST:PORT (as in stun.example.org:3478 or "
					       "[2001:db8::1]:3478)%s",
					       or_empty);
		if (k->flags & CFG_F_SIP_URI)
			return g_strdup_printf("a sip: or sips: URI with a host (as in "
					       "sip:pbx.example.com:5060)%s",
					       or_empty);
		if (k->flags & (CFG_F_NAME | CFG_F_NAME_REF))
			return g_strdup_printf("a name of 1 to %d letters, digits, \"_\" or \"-\"%s",
					       CFG_MAX_NAME, or_empty);
		return g_strdup("a string");
	case CFG_INT:
		return g_strdup("an integer");
	case CFG_BOOL:
		return g_strdup("true or false");
	case CFG_ADDR:
		return g_strdup_printf("an IPv4 or IPv6 address%s", or_empty);
	case CFG_ENUM:
		s = g_string_new("one of: ");
		for (i = 0; k->names[i]; i++)
			g_string_append_printf(s, "%s%s", i ? ", " : "", k->names[i]);
		return g_string_free(s, FALSE);
	}
	return g_strdup("?");
}

bool cfg_is_cpu_list(const char *text)
{
	const char *p = text;

	/* RANGE[,RANGE]..., a RANGE being N or N-M with N <= M, as taskset and the EAL's -l. */
	while (*p) {
		char *end;
		unsigned long a, b;

		if (*p < '0' || *p > '9')
			return false;
		a = strtoul(p, &end, 10);
		b = a;
		if (*end == '-') {
			if (end[1] < '0' || end[1] > '9')
				return false;
			b = strtoul(end + 1, &end, 10);
		}
		if (b < a || b > 4095 || (*end != ',' && *end != '\0') || (*end == ',' && !end[1]))
			return false;
		p = *end == ',' ? end + 1 : end;
	}
	return true;
}

bool cfg_is_file_prefix(const char *text)
{
	size_t n = strlen(text);

	if (n > 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!g_ascii_isalnum(text[i]) && text[i] != '_' && text[i] != '-')
			return false;
	return true;
}

bool cfg_is_ifname(const char *text)
{
	return strlen(text) < 16 && strpbrk(text, "/: \t") == NULL;
}

bool cfg_parse_port_range(const char *text, int *min, int *max)
{
	char *end;
	unsigned long a, b;

	if (*text < '0' || *text > '9')
		return false;
	a = strtoul(text, &end, 10);
	if (*end != '-' || end[1] < '0' || end[1] > '9')
		return false;
	b = strtoul(end + 1, &end, 10);
	/* Below 1024 are the system's well-known services: no media range belongs there. */
	if (*end != '\0' || a < 1024 || b < a || b > 65535)
		return false;
	*min = (int)a;
	*max = (int)b;
	return true;
}

bool cfg_is_owned_ports(const char *text)
{
	int a, b;

	return !strcmp(text, "auto") || !strcmp(text, "off") || cfg_parse_port_range(text, &a, &b);
}
