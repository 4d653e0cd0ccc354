/* SPDX-License-Identifier: MIT */
/*
 * Instant messages over SIP (RFC 3428, MESSAGE), the page-mode kind: each message is one
 * request, outside any dialog (or inside a call's, when the phone sends it there), answered
 * with a final status and nothing more. Only text/plain is taken and sent; the text is UTF-8.
 *
 * Incoming: the stack checks a MESSAGE (its source by INVITE's rule, sip_admit(); the content
 * type, the size, the charset) and hands what passed to the server's message op (sip.h), or to
 * the call's message op for one inside a call, whose return value is the status the sender
 * gets. Outgoing: ponte_sip_message() sends one outside any dialog, ponte_sip_call_message()
 * one inside a call's (RFC 3428 §4, §7), and each reports its final status once.
 *
 * Everything runs on the main loop. Part of the SIP stack (sip.c, sip_incoming.c call in).
 */
#ifndef PONTE_CONTROL_SIP_MESSAGE_H
#define PONTE_CONTROL_SIP_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>

struct ponte_sip;
struct ponte_sip_account;
struct ponte_sip_call;

/*
 * Body of an incoming MESSAGE, in bytes as received: larger ones get 413 (RFC 3261 §21.4.11).
 * Over TCP a MESSAGE may be as large as the peer likes (RFC 3428 §3 limits only requests on
 * paths without congestion control to 1300 bytes); 4 KiB of text is plenty for a chat line
 * and fits in a signaling frame.
 */
#define PONTE_SIP_MESSAGE_MAX_IN 4096

/*
 * Text of an outgoing MESSAGE, in bytes of UTF-8. RFC 3428 §3: a MESSAGE must stay under 1300
 * bytes unless the path is congestion controlled, and we cannot know that: 1000 bytes of text
 * leave about 300 for the headers of a request without credentials. Digest credentials and
 * long URIs can still push it over; sofia then sends it over TCP when sip.transports has TCP.
 */
#define PONTE_SIP_MESSAGE_MAX_OUT 1000

/* An incoming MESSAGE that passed the stack's checks. Strings are borrowed for the callback. */
struct ponte_sip_message_in {
	const char *from_uri;	     /* "sip:bob@example.com" */
	const char *from_display;    /* display name, "" when none */
	const char *to_user;	     /* user part of the Request-URI (in a call: of To) */
	const char *content_type;    /* "text/plain" */
	const char *text;	     /* UTF-8, NUL-terminated, not empty, without NUL bytes */
	size_t len;		     /* bytes of text */
	const char *source_ip;	     /* where it came from ("" when unknown) */
	const char *trunk;	     /* name of the trunk it came through, NULL if none */
	/* The account it is for, NULL if none: to_user is a registering account's Contact user
	 * (its name), or its address of record's user and the MESSAGE came from the account's
	 * registrar or outbound proxy (sip_reg_account_for). Owned by the configuration. */
	const struct ponte_sip_account *account;
	struct ponte_sip_call *call; /* the call it was sent in, NULL outside a dialog */
};

/*
 * The final status of an outgoing MESSAGE: 2xx means the far end took it (200 delivered, 202
 * accepted for delivery, RFC 3428 §7), anything else that it was not delivered (a failure
 * response's status and reason phrase; 408 when nothing answered, 503 for a transport error or
 * a failure inside the stack). reason is borrowed for the callback.
 */
typedef void (*ponte_sip_message_cb)(void *ctx, int status, const char *reason);

struct ponte_sip_msg;

/*
 * Send text (UTF-8, 1..PONTE_SIP_MESSAGE_MAX_OUT bytes) as text/plain to `to`, a SIP URI (a
 * dialled number goes through ponte_sip_route_number() first). from_user is the user part of
 * our From (escaped), NULL for "ponte"; to a target at an account's registrar, as for calls,
 * From is the account's address of record with from_user as its display name, and the request
 * goes through the account's outbound proxy when it has one. A 401/407 from the host of a
 * trunk or account (or from that proxy) is answered with its credentials as for calls. cb runs
 * once with the final status, unless ponte_sip_message_forget() or ponte_sip_destroy() came
 * first; ctx is borrowed until then. *out (may be NULL) identifies the message for _forget().
 * Returns 0, -EINVAL for a target that is not a usable SIP URI, -EMSGSIZE or -EILSEQ for text
 * that ponte_sip_message_check_text() refuses, -ENOMEM; then cb never runs.
 */
int ponte_sip_message(struct ponte_sip *sip, const char *to, const char *from_user,
		      const char *text, ponte_sip_message_cb cb, void *ctx,
		      struct ponte_sip_msg **out);

/*
 * Send text (as ponte_sip_message() checks it) inside the dialog of an established call:
 * Call-ID, tags, route set and remote target are the call's, From and To its own (RFC 3428 §4).
 * An incoming call is established once the caller's ACK came, an outgoing one once its 2xx
 * did. A 401/407 is answered with the call's credentials (its trunk's or account's) if it has
 * any; a challenge it cannot answer is the message's final status. cb runs once with the final
 * status, unless ponte_sip_message_forget() or ponte_sip_destroy() came first; if the call goes
 * before the phone answers (released, not merely ended: a MESSAGE sent just before our BYE is
 * still answered), cb gets 481 from the main loop. ctx is borrowed until then; the call is
 * borrowed for this call only. *out (may be NULL) identifies the message for _forget().
 * Returns 0, -ENOTCONN when the call is not established or has ended, -EMSGSIZE or -EILSEQ
 * for text ponte_sip_message_check_text() refuses, -ENOMEM; then cb never runs.
 */
int ponte_sip_call_message(struct ponte_sip_call *call, const char *text, ponte_sip_message_cb cb,
			   void *ctx, struct ponte_sip_msg **out);

/*
 * No callback for m any more (its requester is gone); the request itself carries on. For
 * messages of either function; m must not be used after its callback ran or after this.
 */
void ponte_sip_message_forget(struct ponte_sip_msg *m);

/*
 * Whether text of len bytes is something we send as a message: not empty (-ENODATA), at most
 * max bytes (-EMSGSIZE), valid UTF-8 without NUL or control characters other than tab, line
 * feed and carriage return (-EILSEQ). 0 when it is; *why (may be NULL) says what is wrong.
 */
int ponte_sip_message_check_text(const char *text, size_t len, size_t max, const char **why);

#endif
