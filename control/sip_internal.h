/* SPDX-License-Identifier: MIT */
/*
 * What the files of the SIP stack (sip.c, sip_reg.c, sip_digest.c, ...) share: the nua types
 * and the way nua's events reach whoever owns a handle. Not for the rest of the gateway,
 * which uses sip.h.
 */
#ifndef PONTE_CONTROL_SIP_INTERNAL_H
#define PONTE_CONTROL_SIP_INTERNAL_H

#include <stdbool.h>

/* The context pointers nua hands back: typed instead of void. */
#define SU_ROOT_MAGIC_T struct ponte_sip
#define NUA_MAGIC_T struct ponte_sip
#define NUA_HMAGIC_T struct sip_owner

#include <sofia-sip/nua.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/su_tag.h>

#include "sip.h"

/*
 * The first member of whatever owns a nua handle (a call, a registration): nua hands it back
 * with every event of the handle, and sip.c passes the event on to on_event. Events of
 * handles nobody owns (requests from outside a dialog of ours) sip.c handles itself.
 */
struct sip_owner {
	void (*on_event)(struct sip_owner *owner, nua_event_t event, int status,
			 const char *phrase, nua_handle_t *nh, sip_t const *msg,
			 tagi_t const *tags);
};

/* The stack's nua and configuration, for the other files of the stack. */
nua_t *sip_nua(const struct ponte_sip *sip);
const struct ponte_config *sip_config(const struct ponte_sip *sip);
/* The host of our From and of addresses of record without one: public, else listen address. */
const char *sip_from_host(const struct ponte_sip *sip);

/* sofia's strings may be NULL: "" instead, for logs. */
static inline const char *sip_str(const char *s)
{
	return s != NULL ? s : "";
}

#endif
