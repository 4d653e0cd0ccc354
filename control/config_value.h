/* SPDX-License-Identifier: MIT */
/*
 * Internal to the configuration module (config*.c): what the value of each schema row type
 * and format flag accepts, and how messages describe it. Pure functions of the row and the
 * text, with no parser state.
 */
#ifndef PONTE_CONTROL_CONFIG_VALUE_H
#define PONTE_CONTROL_CONFIG_VALUE_H

#include <stdbool.h>

#include "config.h"

/* The longest CFG_F_NAME: names show up in logs and the status page, one word each. */
#define CFG_MAX_NAME 32

/* An IPv4 or IPv6 literal as bytes, so that "::1" and "0::1" compare equal. */
struct cfg_addr {
	int family;
	unsigned char bytes[16];
};

/* YAML 1.2 core schema integers, decimal only: [-+]?[0-9]+. Returns 0, -EINVAL or -ERANGE. */
int cfg_parse_int(const char *text, long long *out);

bool cfg_parse_addr(const char *text, struct cfg_addr *out);

/* The index of text in the names of enum row k, or -1. */
int cfg_enum_index(const struct cfg_key *k, const char *text);

/* Whether text is a value of row k, of a type stored as a string (CFG_STR, CFG_ADDR, CFG_ENUM). */
bool cfg_is_valid_text(const struct cfg_key *k, const char *text);

/* dpdk.lcores: a CPU list such as "1" or "2-3,6". */
bool cfg_is_cpu_list(const char *text);
/* dpdk.file_prefix: up to 64 of [A-Za-z0-9_-]. */
bool cfg_is_file_prefix(const char *text);
/* dpdk.exception_tap: a network interface name (at most 15 bytes, no '/', ':' or blanks). */
bool cfg_is_ifname(const char *text);
/* dpdk.owned_ports: "auto", "off", or MIN-MAX with 1024 <= MIN <= MAX <= 65535. */
bool cfg_is_owned_ports(const char *text);
/* "MIN-MAX" as cfg_is_owned_ports() takes it into *min, *max. */
bool cfg_parse_port_range(const char *text, int *min, int *max);

/* What a row expects, as it follows "expected" in messages (g_free it). */
char *cfg_expected_of(const struct cfg_key *k);

#endif
