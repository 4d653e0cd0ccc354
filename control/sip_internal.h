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
	char *contact;	 /* "sip:ADDR:PORT" we listen on (sip.h, ponte_sip_contact()) */
	char *from_host; /* host part of our From: the public address, else the listen one */
	GList *calls;	 /* struct ponte_sip_call *: every call whose handle is not destroyed yet */
	bool is_closing; /* ponte_sip_destroy() runs: no callback any more */
	const struct ponte_sip_server_ops *server; /* incoming calls; NULL: refused */
	void *server_ctx;
	int shutdown_status; /* last nua_r_shutdown status; >= 200 when done */
	struct sip_tls *tls; /* SIP over TLS (sip_tls.c); NULL without tls in sip.transports */
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
	int nb_auth; /* challenges answered, as sip_answer_challenge() counts them */
	char *contact; /* our Contact when the call runs over TLS (sip_tls.c); NULL: nua's */
	/* Requests inside the established call (sip_dialog.c). */
	bool is_reinviting;	/* our re-INVITE is out */
	bool is_reoffer_acking; /* we offered in the 200 to an offerless re-INVITE: the ACK answers */
	bool has_glared;	/* our re-INVITE met 491 once */
	char *reinvite_sdp;	/* the offer of our re-INVITE, for its retry after 491 */
	guint glare_timer;
	sip_event_t *refer_event; /* the last REFER's Event (in the handle's home) */
	bool is_referred; /* a REFER waits for ponte_sip_call_transfer() or _refer_refuse() */
	/* Session timer (RFC 4028), which nua runs: whether the phone is the refresher, as its
	 * latest word on it says (sip_dialog_note_timer), so that a BYE nua sends by itself
	 * reaches the owner as an expired session; and whether our 200 must add Require: timer
	 * (§9: the phone supports timers and asked us to refresh). */
	bool is_phone_refresher;
	bool wants_timer_require;
	/* Our refreshes when the phone takes no UPDATE (sip_dialog.c, RFC 4028 §7.4): the
	 * phone's latest word on UPDATE (its Allow) and on the interval (Session-Expires, s),
	 * our timer, whether the re-INVITE out is such a refresh (not the owner's), whether one
	 * fell due while another exchange was out, and the owner's re-INVITE held back meanwhile.
	 * The SDP each side last sent in a completed offer/answer (sip_dialog_note_sdp): ours
	 * is what a refresh offers again, the phone's tells whether its answer changes anything.
	 */
	bool is_update_allowed;
	unsigned session_interval;
	guint refresh_timer;
	bool is_refreshing;
	bool is_refresh_due;
	char *held_sdp;
	char *our_sdp, *phone_sdp;
	struct sip_info_queue *info; /* our DTMF INFOs (sip_info.c); NULL until the first */
	/* Our MESSAGEs in the dialog waiting for their answers, oldest (the one nua sent) first:
	 * struct ponte_sip_msg * (sip_message.c). */
	GQueue messages;
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
/* Answer a 401/407 to a request of the call with its credentials; false when it has none or
 * they were refused already. */
bool sip_call_answer_challenge(struct ponte_sip_call *call, sip_t const *msg);
/* CANCEL or BYE, once (no callback: see sip_call_silence). */
void sip_call_hangup_internal(struct ponte_sip_call *call);

/* ponte_sip_call() with more tags for the INVITE (a transfer's NUTAG_NOTIFY_REFER, ...);
 * extra may be NULL. */
int sip_call_place(struct ponte_sip *sip, const char *to, const char *from_user, const char *sdp,
		   const struct ponte_sip_call_ops *ops, void *ctx, struct ponte_sip_call **out,
		   const tagi_t *extra);

/* sip_dialog.c: requests inside an established call. sip_dialog_event() takes the events of a
 * call's handle before its owner does; true when it handled the event. */
bool sip_dialog_event(struct ponte_sip_call *call, nua_event_t event, int status,
		      const char *phrase, nua_handle_t *nh, sip_t const *msg, tagi_t const *tags);
void sip_dialog_free(struct ponte_sip_call *call);
/* Who refreshes the session, from a message of the phone's (a request: its INVITE or
 * re-INVITE; a response: its 2xx to our INVITE, re-INVITE or UPDATE). */
void sip_dialog_note_timer(struct ponte_sip_call *call, sip_t const *msg);
/* The SDP we (ours) and the phone (phone) sent in an offer/answer exchange now complete
 * (copied; NULL leaves that side as it was), and a 2xx that ended an INVITE or UPDATE
 * exchange: nua restarted the session timer, so does sip_dialog.c. */
void sip_dialog_note_sdp(struct ponte_sip_call *call, const char *ours, const char *phone);
void sip_dialog_session_refreshed(struct ponte_sip_call *call);
/* The body of msg when it is application/sdp (g_free), else NULL. */
char *sip_body_sdp(sip_t const *msg);
/* A response with the standard phrase and, when warning is not NULL, a Warning (399). */
void sip_respond(nua_handle_t *nh, int status, const char *warning);

/* sip_incoming.c: an INVITE outside our dialogs (nh referenced for us by nua). */
void sip_incoming_invite(struct ponte_sip *sip, nua_handle_t *nh, sip_t const *msg);
/* sip_incoming.c, for every request from outside our dialogs: the IP literal the request being
 * delivered came from ("" when nua does not say); a display name without its quotes and
 * escapes (g_free). */
void sip_source_of(struct ponte_sip *sip, char *buf, size_t size);
char *sip_unquote(const char *s);
/*
 * The admission of a request from outside our dialogs (INVITE, MESSAGE) for user (the
 * Request-URI's user part) from ip, one rule for every method: without sip.trunks every source
 * is admitted; with them, a trunk's allowed sources (*trunk: which trunk, else NULL), an
 * account's registrar given as an IP literal, or, for a request for an account, that account's
 * registrar or outbound proxy (the literals configured, or where its REGISTERs were answered
 * from). false: refuse with 403. *acct is the account the request is for, whether admitted or
 * not (sip_reg_account_for(): its Contact user, or its AOR user from its own peers), else NULL;
 * owned by the configuration.
 */
bool sip_admit(struct ponte_sip *sip, const char *user, const char *ip, const char **trunk,
	       const struct ponte_sip_account **acct);

/* sip.c, for every request we send: whether `to` is a SIP URI we send to; our From's user
 * part, escaped (g_free); the digest credentials for target (its trunk's or account's, else
 * left NULL; g_free); and the answer to a 401/407 with them (false: none, or refused already;
 * kind and id name the request in logs). */
bool sip_is_valid_target(const char *to);
char *sip_escape_user(const char *user);
void sip_creds_for(struct ponte_sip *sip, const char *target, char **user, char **pass);
/* The account (sip.accounts element) a call to target goes through, or NULL. */
const struct ponte_sip_account *sip_account_for(struct ponte_sip *sip, const char *target);
/* Our From for a request through acct (may be NULL) by from_user (may be NULL): through an
 * account its address of record, with from_user as the display name when given ("alice"
 * <sip:1001@example.com>); else <sip:FROM_USER@HOST>, "ponte" without one. g_free it. */
char *sip_from_header(struct ponte_sip *sip, const struct ponte_sip_account *acct,
		      const char *from_user);
bool sip_answer_challenge(nua_handle_t *nh, const char *kind, const char *id, const char *user,
			  const char *pass, int *nb_auth, sip_t const *msg);
/* *nb_auth of sip_answer_challenge(), 0 at first: which kinds of challenge were answered, and
 * how many answers in all (above SIP_AUTH_COUNT_SHIFT). */
#define SIP_AUTH_ANSWERED_401 0x1
#define SIP_AUTH_ANSWERED_407 0x2
#define SIP_AUTH_COUNT_SHIFT 4

/* sip_message.c: a MESSAGE outside our dialogs (nh: nua's, the caller drops it), or one in a
 * call; each is answered before the function returns. */
void sip_message_incoming(struct ponte_sip *sip, nua_handle_t *nh, sip_t const *msg);
void sip_message_in_call(struct ponte_sip_call *call, nua_handle_t *nh, sip_t const *msg);
/* sip_message.c, for the call's event dispatch (sip_dialog_event): the answer to our MESSAGE
 * in the call (nua_r_message), or nua's word on the stand-in credentials given for a challenge
 * we could not answer (nua_r_authenticate); false when not ours. And the call's messages
 * still waiting, told 481 from the main loop (sip_call_release). */
bool sip_message_response(struct ponte_sip_call *call, nua_event_t event, int status,
			  const char *phrase, nua_handle_t *nh, sip_t const *msg);
void sip_message_call_free(struct ponte_sip_call *call);

/* sip_info.c: an INFO in a call's dialog, or outside ours (481; nh: nua's, the caller drops
 * it), answered before the function returns; the response to one of ours (false: not ours);
 * the call's queue freed (sip_call_release). */
void sip_info_in_call(struct ponte_sip_call *call, nua_handle_t *nh, sip_t const *msg);
void sip_info_outside(struct ponte_sip *sip, nua_handle_t *nh, sip_t const *msg);
bool sip_info_response(struct ponte_sip_call *call, int status, const char *phrase,
		       sip_t const *msg);
void sip_info_free(struct ponte_sip_call *call);

/* sofia's strings may be NULL: "" instead, for logs. */
static inline const char *sip_str(const char *s)
{
	return s != NULL ? s : "";
}

#endif
