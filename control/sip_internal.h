/* SPDX-License-Identifier: MIT */
/*
 * What the files of the SIP stack (sip.c, sip_reg.c, sip_digest.c, ...) share: the nua types
 * and the way nua's events reach whoever owns a handle. Not for the rest of the gateway,
 * which uses sip.h.
 */
#ifndef PONTE_CONTROL_SIP_INTERNAL_H
#define PONTE_CONTROL_SIP_INTERNAL_H

#include <stdbool.h>

#include <glib.h>

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

/* The stack. Its members are sip.c's; the other files use the accessors below. */
struct ponte_sip {
	const struct ponte_config *cfg;
	su_root_t *root;
	GSource *source; /* the root's GSource, attached to the default main context */
	nua_t *nua;
	char *contact;	 /* "sip:ADDR:PORT" we listen on */
	char *from_host; /* host part of our From: the public address, else the listen one */
	GList *calls;	 /* struct ponte_sip_call *: every call whose handle is not destroyed yet */
	bool is_closing; /* ponte_sip_destroy() runs: no callback any more */
	const struct ponte_sip_server_ops *server; /* incoming calls; NULL: refused */
	void *server_ctx;
	int shutdown_status; /* last nua_r_shutdown status; >= 200 when done */
};

struct ponte_sip_call {
	struct sip_owner owner; /* first: nua's handle magic */
	bool is_incoming; /* the peer called us (sip_incoming.c) */
	bool is_answered_by_us; /* incoming: we sent 2xx */
	struct ponte_sip *sip;
	nua_handle_t *nh;
	const struct ponte_sip_call_ops *ops;
	void *ctx;
	char *call_id;
	guint ring_timer;
	guint reap_timer;
	bool is_offerless; /* INVITE without SDP: the ACK carries our answer (RFC 3264 §5) */
	bool is_answered;  /* a 2xx arrived */
	bool is_acked;	   /* offerless only: ponte_sip_call_ack() sent the ACK */
	bool is_ended;	   /* ended() ran or the caller hung up: no callback any more */
	bool is_hung_up;   /* we sent (or asked nua for) CANCEL or BYE */
	char *auth_user, *auth_pass; /* the account's or trunk's digest credentials, or NULL */
	int nb_auth; /* challenges answered: one per realm and nonce is enough, two is a refusal */
};

/* The stack's nua and configuration, for the other files of the stack. */
nua_t *sip_nua(const struct ponte_sip *sip);
const struct ponte_config *sip_config(const struct ponte_sip *sip);
/* The host of our From and of addresses of record without one: public, else listen address. */
const char *sip_from_host(const struct ponte_sip *sip);

/* sip.c's call life cycle, for sip_incoming.c. */
void sip_call_end(struct ponte_sip_call *call, int status, const char *reason);
void sip_call_release(struct ponte_sip_call *call);
void sip_call_silence(struct ponte_sip_call *call);
/* sip_incoming.c: an INVITE outside our dialogs (nh referenced for us by nua). */
void sip_incoming_invite(struct ponte_sip *sip, nua_handle_t *nh, sip_t const *msg);

/* sofia's strings may be NULL: "" instead, for logs. */
static inline const char *sip_str(const char *s)
{
	return s != NULL ? s : "";
}

#endif
