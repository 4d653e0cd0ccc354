/* SPDX-License-Identifier: MIT */
/*
 * The gateway's SIP stack: one sofia-sip nua instance on the control plane's GLib main loop
 * (su_glib), listening on sip.listen:sip.port. It carries calls (INVITE dialogs) whose SDP the
 * caller makes and reads itself: the stack's own offer/answer engine is off
 * (NUTAG_MEDIA_ENABLE(0)), bodies pass through as text.
 *
 * Everything here runs on the main loop. No callback runs after the call or stack it concerns
 * is destroyed or hung up.
 */
#ifndef PONTE_CONTROL_SIP_H
#define PONTE_CONTROL_SIP_H

#include <stdbool.h>

#include <jansson.h>

#include "config.h"

struct ponte_sip;
struct ponte_sip_call;
struct ponte_sip_message_in; /* sip_message.h */

/* What happens to an outgoing call. Strings are borrowed for the duration of the callback. */
struct ponte_sip_call_ops {
	/* A provisional response (101..199). sdp is the body of a 18x with SDP (early media),
	 * else NULL. */
	void (*progress)(void *ctx, int status, const char *reason, const char *sdp);
	/* A 2xx: the call is up; sdp is the answer's body (may be NULL if the peer sent none). */
	void (*answered)(void *ctx, const char *sdp);
	/* The call is over: a final failure (3xx-6xx, with its code and reason; 408 for a ring
	 * timeout, 487 after a cancel), a BYE from the peer (status 0, reason "bye"), or a
	 * transport or session-timer failure. No callback follows. */
	void (*ended)(void *ctx, int status, const char *reason);
	/*
	 * A re-INVITE from the peer in the established call (RFC 3261 §14.2): hold, resume, a
	 * new media address, a session refresh. sdp is its offer, NULL for an offerless one
	 * (then *answer is our offer, and the peer's answer comes in its ACK: reoffer_acked).
	 * Return 200 with *answer set (g_malloc'd SDP) to accept, or a failure status (488, 500)
	 * with *warning (static, may stay NULL): the session stays as it was. NULL: 488.
	 */
	int (*reoffer)(void *ctx, const char *sdp, char **answer, const char **warning);
	/* The ACK to our 200 for an offerless re-INVITE, with its body (NULL: none); also the
	 * phone's changed answer to a session refresh of ours (an unchanged one is not told). */
	void (*reoffer_acked)(void *ctx, const char *sdp);
	/*
	 * The outcome of our re-INVITE (ponte_sip_call_reinvite): 200 with the answer's SDP, or
	 * the failure status and reason; after a failure the session stays as it was, except
	 * that 408 and 481 end the call (ended follows, RFC 3261 §14.1).
	 */
	void (*reinvite_done)(void *ctx, int status, const char *reason, const char *sdp);
	/* A MESSAGE within the call (RFC 3428), checked by the stack (sip_message.h): return
	 * the status to answer (200 when delivered); *warning (may stay NULL) becomes its
	 * Warning. NULL: the stack hands it to the server's message op, for the To user. */
	int (*message)(void *ctx, const struct ponte_sip_message_in *in, const char **warning);
	/*
	 * A REFER from the peer (RFC 3515, a blind transfer), accepted with 202: target is the
	 * Refer-To URI, referred_by who asks ("" when unknown). The owner follows it with
	 * ponte_sip_call_transfer() or refuses it with ponte_sip_call_refer_refuse(). NULL:
	 * REFERs are refused (a NOTIFY with 603).
	 */
	void (*refer)(void *ctx, const char *target, const char *referred_by);
	/* A DTMF digit ('0'-'9', '*', '#', 'A'-'D') the peer sent in an INFO (sip_info.h),
	 * answered 200 by the stack; duration_ms 0 when the INFO did not say. NULL: the INFO
	 * is answered all the same and the digit dropped. */
	void (*dtmf)(void *ctx, char digit, unsigned duration_ms);
	/* An INFO of ours (ponte_sip_call_send_dtmf) failed: its status (503 when nothing
	 * could be sent, 408 when nothing answered) and reason. The call goes on, except after
	 * a 481 (ended follows). */
	void (*dtmf_failed)(void *ctx, int status, const char *reason);
};

/*
 * ops->ended's reason, with status 408, when the session timer ran out (RFC 4028 §10): the
 * phone was to refresh the session and did not, so the stack sent BYE before it expired.
 */
#define PONTE_SIP_SESSION_EXPIRED "session expired: the phone did not refresh it"

/* cfg is borrowed and outlives the stack. Returns 0, or a negative errno with why set. */
int ponte_sip_create(const struct ponte_config *cfg, struct ponte_sip **out, char **why);
void ponte_sip_destroy(struct ponte_sip *sip);

/* {"sip": {"contact": ..., "accounts": [registration states, sip_reg.c]}} into obj. */
void ponte_sip_status(struct ponte_sip *sip, json_t *obj);

/* "sip:ADDR:PORT" the stack listens on, "sip:ADDR:TLS-PORT;transport=tls" when TLS is its only
 * transport (for logs, tests and the addresses of registered browsers); owned by sip. */
const char *ponte_sip_contact(const struct ponte_sip *sip);

/*
 * Call `to` (a SIP URI) with an INVITE carrying sdp (application/sdp; NULL: an offerless
 * INVITE, RFC 3261 §13.2.1). from_user is the user part of our From (e.g. the browser's peer
 * id), NULL for "ponte". ops and ctx are borrowed until the call ends. Returns 0, or -EINVAL
 * for a URI that does not parse (then no callback runs).
 */
int ponte_sip_call(struct ponte_sip *sip, const char *to, const char *from_user, const char *sdp,
		   const struct ponte_sip_call_ops *ops, void *ctx, struct ponte_sip_call **out);

/*
 * A dialled number (digits, an optional leading +, * and #) as a SIP URI through
 * sip.number_route: "sip:NUMBER@HOST[:PORT]" of that trunk's address or account's registrar.
 * NULL when it is not a number or there is no route. g_free it. Calls to a trunk's or an
 * account's host answer 401/407 challenges with its credentials.
 */
char *ponte_sip_route_number(struct ponte_sip *sip, const char *number);

/*
 * Change the session of an established call: a re-INVITE offering sdp. The outcome comes
 * through ops->reinvite_done. A 491 (both sides re-INVITEd at once) is retried once, after
 * the wait of RFC 3261 §14.1. -EINVAL before the call is established or after it ended,
 * -EBUSY while a re-INVITE (ours, or the peer's offerless one) is in progress.
 */
int ponte_sip_call_reinvite(struct ponte_sip_call *call, const char *sdp);

/*
 * Follow the REFER the peer of `referred` sent (ops->refer): call target as ponte_sip_call()
 * does; the stack tells the referrer the new call's progress in NOTIFYs (RFC 3515 §2.4.4).
 * The old call stays as it is: its owner ends it when it likes. -EINVAL for a target that
 * does not parse (the referrer is told 400).
 */
int ponte_sip_call_transfer(struct ponte_sip_call *referred, const char *target,
			    const char *from_user, const char *sdp,
			    const struct ponte_sip_call_ops *ops, void *ctx,
			    struct ponte_sip_call **out);
/*
 * Let go of a call whose peer is expected to end it (the phone that transferred us, RFC 5589
 * §6.1): no callback runs any more; a BYE from the peer is answered; if none comes, the stack
 * ends the call itself (BYE) after the time any transaction may take.
 */
void ponte_sip_call_detach(struct ponte_sip_call *call);
/* Refuse the pending REFER of the call: the referrer gets a NOTIFY with status. */
void ponte_sip_call_refer_refuse(struct ponte_sip_call *referred, int status);

/* Send the ACK's SDP for an offerless INVITE answered with an offer; NULL for a plain ACK. */
int ponte_sip_call_ack(struct ponte_sip_call *call, const char *sdp);

/*
 * End the call from our side: CANCEL before a final response, BYE after 2xx. No callback runs
 * afterwards; the stack finishes the transaction and frees the call by itself.
 */
void ponte_sip_hangup(struct ponte_sip_call *call);

/* ---- incoming calls (sip_incoming.c) ---- */

/* An INVITE from outside any dialog of ours. Strings are borrowed for the callback. */
struct ponte_sip_incoming {
	const char *call_id;
	const char *from_uri; /* "sip:bob@example.com" */
	const char *from_display; /* display name, "" when none */
	/* Who is called: the user part of the Request-URI (a browser name, "room-KEY"), or, for
	 * a call to an account, the account's incoming target (sip.accounts[].incoming). */
	const char *to_user;
	const char *sdp; /* the offer, NULL for an offerless INVITE (we offer in the 200) */
	const char *source_ip; /* where the INVITE came from */
	const char *trunk; /* name of the trunk it came through, NULL if none */
	/* The account it came through (a call to the Contact it registered, sip_reg.c), NULL if
	 * none: then nobody at to_user is "temporarily unavailable" (480), not "not found". */
	const char *account;
};

struct ponte_sip_server_ops {
	/*
	 * Take or refuse an incoming call. Return 0 to take it: the stack has sent 100 Trying,
	 * and the call stays pending until ponte_sip_call_accept(), _answer() or _reject(). Return
	 * a SIP status (404, 480, 486, ...) to refuse it; *warning (may stay NULL) becomes the
	 * response's Warning text. Until accepted, a CANCEL from the caller ends the call through
	 * ops->ended of ponte_sip_call_accept(), or, before that, through cancelled().
	 */
	int (*invite)(void *ctx, const struct ponte_sip_incoming *in, struct ponte_sip_call *call,
		      const char **warning);
	/* A pending call (taken, not yet accepted) was cancelled by the caller, or the stack
	 * gave it up: the call is gone. */
	void (*cancelled)(void *ctx, struct ponte_sip_call *call);
	/*
	 * A MESSAGE (RFC 3428) from outside our dialogs, already admitted and checked by the
	 * stack (sip_message.h), or one within a call whose ops have no message op. Return the
	 * status to answer: 200 when delivered, 404 for an unknown user, 480 for one that cannot
	 * take it now, ...; *warning (may stay NULL) becomes its Warning text. NULL: 480.
	 */
	int (*message)(void *ctx, const struct ponte_sip_message_in *in, const char **warning);
};

/* Whom incoming INVITEs go to; without it they get 480. ops and ctx outlive the stack. */
void ponte_sip_set_server(struct ponte_sip *sip, const struct ponte_sip_server_ops *ops,
			  void *ctx);

/*
 * An incoming call's owner from now on: ops->ended when the caller cancels or hangs up,
 * ops->answered when the ACK to our 2xx arrives (sdp: its body, the caller's answer after an
 * offerless INVITE, else NULL). progress is not used.
 */
void ponte_sip_call_accept(struct ponte_sip_call *call, const struct ponte_sip_call_ops *ops,
			   void *ctx);
/* 180 Ringing. */
int ponte_sip_call_ringing(struct ponte_sip_call *call);
/* 200 OK with our SDP (the answer, or our offer after an offerless INVITE). */
int ponte_sip_call_answer(struct ponte_sip_call *call, const char *sdp);
/* A final failure (>= 300) with an optional Warning text; the call goes. No callback runs
 * afterwards. */
int ponte_sip_call_reject(struct ponte_sip_call *call, int status, const char *warning);

/* The Call-ID of the call (for logs and tests); owned by the call. */
const char *ponte_sip_call_id(const struct ponte_sip_call *call);

#endif
