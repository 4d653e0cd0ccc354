/* SPDX-License-Identifier: MIT */
/*
 * SIP accounts that register (RFC 3261 §10): for each sip.accounts entry with do_register, the
 * stack keeps a binding of the account's address of record to a Contact on this gateway at the
 * account's registrar, answering digest challenges (RFC 3261 §22.2) with the account's
 * credentials, and retrying with exponential back-off when the registrar refuses or cannot be
 * reached.
 *
 * Part of the SIP stack (sip.c calls sip_reg_start() once nua exists and sip_reg_stop() before
 * nua_shutdown()). Everything runs on the main loop. Status is pulled (sip_reg_status()); no
 * callback leaves this module.
 */
#ifndef PONTE_CONTROL_SIP_REG_H
#define PONTE_CONTROL_SIP_REG_H

#include <stdbool.h>

#include <jansson.h>

struct ponte_config;
struct ponte_sip;
struct ponte_sip_account;

/*
 * Start registering every account of sip's configuration that has do_register. Accounts that
 * cannot register (a registrar or address of record that does not parse, credentials sofia
 * cannot carry) are reported "failed" with the reason and logged; they do not fail the call.
 * Returns 0, -EALREADY when already started for this stack, or -ENOMEM.
 */
int sip_reg_start(struct ponte_sip *sip);

/*
 * Stop: un-REGISTER the accounts that are registered (nua carries the request on after the
 * handle is gone, while ponte_sip_destroy() pumps the loop for nua_shutdown()), destroy every
 * handle, free everything. No timer or event of a registration runs afterwards. Does nothing if
 * sip_reg_start() did not run or sip_reg_stop() already did.
 */
void sip_reg_stop(struct ponte_sip *sip);

/*
 * Append one object per configured account to array (a JSON array, borrowed):
 *   {"name", "aor", "state": "registering"|"registered"|"failed"|"unregistered"|"disabled",
 *    "status": last final SIP status or null, "reason": its phrase or why, or null,
 *    "expires_in": seconds left of the granted binding (registered only, else null),
 *    "next_retry_in": seconds to the next attempt after a failure (else null),
 *    "registrations": 2xx responses received, "attempts": REGISTER attempts started,
 *    "peer": the address the last 2xx came from (registrar or outbound proxy), or null}
 * Nothing is appended for a stack without sip_reg_start().
 */
void sip_reg_status(struct ponte_sip *sip, json_t *array);

/*
 * Whether user (the user part of an incoming Request-URI, escaped or not) is the Contact user
 * of one of the stack's registering accounts, i.e. a request the registrar routed to us for that
 * account; *account_name (if not NULL) is then set to the account's name, owned by the
 * configuration.
 */
bool sip_reg_is_local_user(struct ponte_sip *sip, const char *user, const char **account_name);

/*
 * The account an incoming request for user (the Request-URI's user part, escaped or not) from
 * source ip belongs to: the registering account whose Contact user user is (its name), else
 * the registering account whose address-of-record user it is when ip is that account's
 * registrar or outbound proxy (registrars that retarget to the AOR's user). NULL: none.
 * *is_from_account tells whether ip is that account's registrar or outbound proxy: the IP
 * literal configured, or the address its last 2xx to REGISTER came from. The account is owned
 * by the configuration.
 */
const struct ponte_sip_account *sip_reg_account_for(struct ponte_sip *sip, const char *user,
						    const char *ip, bool *is_from_account);

/* The user part of account a's Contact, in registrations and in calls through it: its name
 * (else its user name), escaped as a URI user part (RFC 3261 §25.1); NULL if it has neither.
 * g_free it. */
char *sip_reg_contact_user(const struct ponte_sip_account *a);

/* Who calls for account a ring (sip.accounts[].incoming): a browser name or "room-KEY"; its
 * name when incoming is empty. Owned by the configuration. */
const char *sip_reg_incoming_target(const struct ponte_sip_account *a);

/* Whether s is what sip.accounts[].incoming may name: a browser name as gw_calls.c takes it
 * (1 to SIP_REG_NAME_MAX of [A-Za-z0-9._-]), or room-KEY with a room name room.c takes. The
 * configuration's check (config.c) and the stack's start use it. */
#define SIP_REG_NAME_MAX 32
bool sip_reg_is_incoming_target(const char *s);

/* The address of record of account a, as REGISTER writes it in To and From and calls through
 * the account in From: its aor, else sip:USERNAME@REGISTRAR-HOST (sips: for a sips:
 * registrar), the user name escaped; NULL when that makes no SIP URI with a user part.
 * g_free it. */
char *sip_reg_aor(const struct ponte_sip_account *a);

/* Whether every account's incoming target is a browser name or room-KEY: 0, or -EINVAL with
 * *why saying which is not (g_free). */
int sip_reg_check_config(const struct ponte_config *cfg, char **why);

/*
 * For tests only: the back-off after the n-th consecutive failure is a random time between half
 * and all of min(max_ms, base_ms * 2^(n-1)) (RFC 5626 §4.5); a Retry-After is capped at max_ms.
 * Defaults: 30 s and 30 min. Takes effect from the next failure on, for every stack.
 */
void sip_reg_set_backoff_ms(unsigned int base_ms, unsigned int max_ms);

#endif
