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

struct ponte_sip;

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
 *    "registrations": 2xx responses received, "attempts": REGISTER attempts started}
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
 * For tests only: the back-off after the n-th consecutive failure is a random time between half
 * and all of min(max_ms, base_ms * 2^(n-1)) (RFC 5626 §4.5); a Retry-After is capped at max_ms.
 * Defaults: 30 s and 30 min. Takes effect from the next failure on, for every stack.
 */
void sip_reg_set_backoff_ms(unsigned int base_ms, unsigned int max_ms);

#endif
