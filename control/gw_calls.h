/* SPDX-License-Identifier: MIT */
/*
 * Calls from phones to browsers, before a browser takes them: the names browsers register
 * through signaling (reachable as sip:NAME@gateway), rooms reachable as sip:room-KEY@gateway,
 * and the calls ringing there. A browser takes a call by attaching the sip service with the
 * call's id (gateway.c then builds the bridge), or declines it. Main loop only.
 *
 * Requests handled here (docs/signaling.md "Incoming calls"):
 *   {"type":"register","name":"alice"}   -> {"type":"registered","name":"alice","uri":...}
 *   {"type":"unregister"}                -> {"type":"unregistered"}
 *   {"type":"decline","call":"c-..","status":486}
 *   {"type":"sip_message","to":URI|NUMBER,"text":..} -> {"type":"sip_message_status",
 *                                           "status":200,"reason":"OK","to":URI} later
 * Frames sent: {"type":"incoming","call":"c-..","from":URI,"display":...,"to":NAME},
 * {"type":"incoming-ended","call":"c-..","reason":"cancelled"|"timeout"|"answered-elsewhere"|
 * "declined"}, and {"type":"sip_message","from":URI,"display":..,"to":NAME,"text":..} for a
 * MESSAGE from a phone (RFC 3428, sip_message.h).
 *
 * Messages to the phone of a browser's call, in the call's dialog (the gateway finds the
 * session and its call, then hands them here):
 *   {"type":"sip_message","session":"g-..","text":..} over signaling, and
 *   {"type":"sip_message","id":..,"text":..} on the session's data channel
 *   -> {"type":"sip_message_status","status":200,"reason":"OK","session":"g-.."} later (with
 *   the request's tx, or the frame's id on the data channel; errors likewise).
 */
#ifndef PONTE_CONTROL_GW_CALLS_H
#define PONTE_CONTROL_GW_CALLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "signaling.h"
#include "sip.h"

struct gw_calls;

/* Sets itself as sip's server (incoming INVITEs). Everything is borrowed and outlives it. */
struct gw_calls *gw_calls_new(const struct ponte_config *cfg, struct ponte_signal *sig,
			      struct ponte_sip *sip);
/* Refuses the calls still ringing (480) and stops serving sip. */
void gw_calls_free(struct gw_calls *gc);

/* A request of this module: handled (true) or not ours (false). */
bool gw_calls_request(struct gw_calls *gc, struct ponte_signal_conn *conn, const char *type,
		      json_t *msg, json_t *tx);
void gw_calls_conn_gone(struct gw_calls *gc, struct ponte_signal_conn *conn);

/* Where what a data channel asked for is answered: obj (stolen) goes on the channel. */
typedef void (*gw_calls_reply_fn)(void *ctx, json_t *obj);

/*
 * The signaling form of a message to the phone of session's call: msg is the request (its
 * "text"; "to" is refused), answered on conn with tx. call: the session's answered SIP call
 * (ponte_bridge_sip_call), NULL when it has none (not_in_call). Strings are borrowed.
 */
void gw_calls_call_message(struct gw_calls *gc, struct ponte_signal_conn *conn,
			   struct ponte_sip_call *call, const char *session, json_t *msg,
			   json_t *tx);
/*
 * A message on the data channel of session, whose signaling connection is conn (NULL: gone):
 * a sip_message frame becomes a MESSAGE in the call's dialog; its status, and any error
 * (bad_json, too_large, unknown_type, bad_request, bad_text, too_long, not_in_call,
 * too_many_messages), go to reply(reply_ctx) with the frame's id. data is borrowed.
 */
void gw_calls_dc_message(struct gw_calls *gc, struct ponte_signal_conn *conn,
			 struct ponte_sip_call *call, const char *session, bool is_binary,
			 const uint8_t *data, size_t len, gw_calls_reply_fn reply, void *reply_ctx);
/* reply_ctx goes (its session ends): the statuses still due to it are dropped. */
void gw_calls_forget_replies(struct gw_calls *gc, void *reply_ctx);

/*
 * conn takes call id (it must be ringing there): the SIP call, the caller's URI and its SDP
 * offer (NULL: offerless) are handed over (g_free the strings) and the other browsers told.
 * NULL with *why set when there is no such call for conn.
 */
struct ponte_sip_call *gw_calls_take(struct gw_calls *gc, struct ponte_signal_conn *conn,
				     const char *id, char **from, char **offer, const char **why);

/*
 * The name conn registered ({"type":"register"}), or NULL: the browser's name on the SIP side,
 * the From user of its MESSAGEs and direct calls and the display name of those through an
 * account. Owned by gc, valid until conn registers another name or goes.
 */
const char *gw_calls_name_of(struct gw_calls *gc, struct ponte_signal_conn *conn);

/* {"users": [...names], "ringing": n} for /status. */
void gw_calls_status(struct gw_calls *gc, json_t *obj);

#endif
