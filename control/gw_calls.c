/* SPDX-License-Identifier: MIT */
#include "gw_calls.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "room.h"
#include "sip_message.h"
#include "sip_reg.h"
#include "sip_sdp.h"

#define MOD "calls"
#define MAX_RING 16 /* browsers one call rings at once */
#define NAME_MAX_LEN 32
#define ROOM_PREFIX "room-"
#define MAX_SENDING 8 /* MESSAGEs one browser may have waiting for their final status */

struct ringing {
	struct gw_calls *gc;
	char id[16]; /* "c-" + 12 random characters */
	struct ponte_sip_call *call;
	char *from, *display, *to, *offer;
	struct ponte_signal_conn *conns[MAX_RING];
	unsigned nb_conns;
	guint timer;
	char *by; /* who took it, for the others' incoming-ended (gw_calls_take), or NULL */
};

struct gw_calls {
	const struct ponte_config *cfg;
	struct ponte_signal *sig;
	struct ponte_sip *sip;
	GHashTable *users; /* name -> struct ponte_signal_conn *; names owned */
	GHashTable *ringing; /* id -> struct ringing *, owned */
	GList *sending; /* struct sending *, owned: browsers' MESSAGEs waiting for a status */
};

/* A MESSAGE a browser sent (sip_message), until its final status comes back. */
struct sending {
	struct gw_calls *gc;
	struct ponte_signal_conn *conn;
	json_t *tx; /* the request's tx (a reference), or NULL */
	char *to; /* the SIP URI it went to; NULL in a call */
	char *session; /* in a call: the gateway session whose call it went in */
	/* From the session's data channel: where its status goes, with its id (a reference). */
	gw_calls_reply_fn reply;
	void *reply_ctx;
	json_t *id;
	struct ponte_sip_msg *m;
};

/*
 * Who asked for a message and where its errors and status go: over signaling (conn, tx), or
 * on a session's data channel (reply, with the message's id).
 */
struct asker {
	struct ponte_signal_conn *conn;
	json_t *tx;
	json_t *id;
	gw_calls_reply_fn reply;
	void *reply_ctx;
};

/* A data channel frame of a phone call's chat, at most: 1000 bytes of text, each escaped as
 * \uXXXX at worst, and room for the rest. */
#define CHAT_FRAME_MAX 8192

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";

/* Names browsers register: what a SIP URI's user part can carry unescaped, kept simple. */
static bool name_is_valid(const char *s)
{
	size_t n = s != NULL ? strlen(s) : 0;

	if (n == 0 || n > NAME_MAX_LEN || g_str_has_prefix(s, ROOM_PREFIX))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!g_ascii_isalnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
			return false;
	return true;
}

static void tell(struct ponte_signal_conn *conn, const char *id, const char *reason, const char *by)
{
	json_t *ev =
	    json_pack("{s:s, s:s, s:s}", "type", "incoming-ended", "call", id, "reason", reason);

	if (ev != NULL && by != NULL)
		json_object_set_new(ev, "by", json_string(by));
	ponte_signal_send(conn, ev, NULL);
}

/* Tell every browser it rang at but skip (may be NULL), and free it. */
static void ringing_free(struct ringing *r, const char *reason, struct ponte_signal_conn *skip)
{
	for (unsigned i = 0; i < r->nb_conns; i++)
		if (r->conns[i] != skip)
			tell(r->conns[i], r->id, reason, r->by);
	if (r->timer != 0)
		g_source_remove(r->timer);
	g_free(r->by);
	g_free(r->from);
	g_free(r->display);
	g_free(r->to);
	g_free(r->offer);
	g_free(r);
}

static void ringing_remove(struct gw_calls *gc, struct ringing *r, const char *reason,
			   struct ponte_signal_conn *skip)
{
	g_hash_table_steal(gc->ringing, r->id);
	ringing_free(r, reason, skip);
}

/* Unanswered for sip.ring_timeout seconds: 480 (RFC 3261 §21.4.18), "try later". */
static gboolean on_ring_timeout(gpointer data)
{
	struct ringing *r = data;

	r->timer = 0;
	log_info(MOD, "call %s from %s to %s unanswered: 480", r->id, r->from, r->to);
	ponte_sip_call_reject(r->call, 480, "no answer");
	ringing_remove(r->gc, r, "timeout", NULL);
	return G_SOURCE_REMOVE;
}

/* Who sip:USER@gateway reaches: a registered browser, or the JSON members of room-KEY. */
static unsigned targets_of(struct gw_calls *gc, const char *user, struct ponte_signal_conn **out)
{
	struct ponte_signal_conn *conn;

	if (g_str_has_prefix(user, ROOM_PREFIX))
		return ponte_signal_room_conns(gc->sig, user + strlen(ROOM_PREFIX), out, MAX_RING);
	conn = g_hash_table_lookup(gc->users, user);
	if (conn == NULL)
		return 0;
	out[0] = conn;
	return 1;
}

static int on_invite(void *ctx, const struct ponte_sip_incoming *in, struct ponte_sip_call *call,
		     const char **warning)
{
	struct gw_calls *gc = ctx;
	static char why[160]; /* read by the caller as soon as we return (main loop only) */
	struct ringing *r;

	/* An offer nobody could answer gets 488 at once (RFC 3261 §13.3.1.3), with the reason
	 * in a Warning (§20.43), before any browser rings. */
	if (in->sdp != NULL && sip_sdp_check_offer(gc->cfg, in->sdp, why, sizeof(why)) != 0) {
		*warning = why;
		return 488;
	}
	r = g_new0(struct ringing, 1);
	r->nb_conns = targets_of(gc, in->to_user, r->conns);
	if (r->nb_conns == 0 && in->account != NULL) {
		g_free(r);
		/* The account exists and is registered here: its user is only away (480, RFC 3261
		 * §21.4.18), whether its target is a name or a room. */
		snprintf(why, sizeof(why), "account %.32s: %s %.64s", in->account,
			 g_str_has_prefix(in->to_user, ROOM_PREFIX) ? "nobody in"
								   : "no browser has the name",
			 in->to_user);
		*warning = why;
		return 480;
	}
	if (r->nb_conns == 0) {
		g_free(r);
		/* A name nobody holds now: 404 (RFC 3261 §21.4.5); an empty room: 480. */
		*warning = g_str_has_prefix(in->to_user, ROOM_PREFIX) ? "nobody in that room"
								       : "no browser has that name";
		return g_str_has_prefix(in->to_user, ROOM_PREFIX) ? 480 : 404;
	}
	r->gc = gc;
	r->call = call;
	r->id[0] = 'c';
	r->id[1] = '-';
	for (int i = 2; i < 14; i++)
		r->id[i] = alphabet[g_random_int_range(0, sizeof(alphabet) - 1)];
	r->from = g_strdup(in->from_uri);
	r->display = g_strdup(in->from_display);
	r->to = g_strdup(in->to_user);
	r->offer = g_strdup(in->sdp);
	g_hash_table_insert(gc->ringing, r->id, r);
	for (unsigned i = 0; i < r->nb_conns; i++) {
		json_t *ev = json_pack("{s:s, s:s, s:s, s:s, s:s, s:b}", "type", "incoming", "call",
				       r->id, "from", r->from, "display", r->display, "to", r->to,
				       "offerless", in->sdp == NULL);

		/* Through which account, when it came through one (sip.accounts[].incoming). */
		if (ev != NULL && in->account != NULL)
			json_object_set_new(ev, "account", json_string(in->account));
		ponte_signal_send(r->conns[i], ev, NULL);
	}
	ponte_sip_call_ringing(call);
	if (gc->cfg->sip.ring_timeout > 0)
		r->timer = g_timeout_add_seconds((guint)gc->cfg->sip.ring_timeout, on_ring_timeout,
						 r);
	log_info(MOD, "call %s from %s rings %u browser(s) as %s%s%s", r->id, r->from, r->nb_conns,
		 r->to, in->account != NULL ? " for account " : "",
		 in->account != NULL ? in->account : "");
	return 0;
}

static struct ringing *ringing_of_call(struct gw_calls *gc, struct ponte_sip_call *call)
{
	GHashTableIter it;
	gpointer v;

	g_hash_table_iter_init(&it, gc->ringing);
	while (g_hash_table_iter_next(&it, NULL, &v))
		if (((struct ringing *)v)->call == call)
			return v;
	return NULL;
}

static void on_cancelled(void *ctx, struct ponte_sip_call *call)
{
	struct gw_calls *gc = ctx;
	struct ringing *r = ringing_of_call(gc, call);

	if (r != NULL) {
		log_info(MOD, "call %s from %s cancelled by the caller", r->id, r->from);
		ringing_remove(gc, r, "cancelled", NULL);
	}
}

/*
 * A MESSAGE from a phone (RFC 3428), checked by the SIP stack: to the browser that holds the
 * name, or to every JSON member of room-KEY, as a sip_message frame. 200 once the frame is
 * on its way: the gateway is the SIP user agent here, the browser its screen. One for an
 * account (the stack found it: to its Contact user, or to its address of record's user from
 * its registrar or proxy) goes where the account's calls ring (sip.accounts[].incoming, as
 * sip_incoming.c routes INVITEs), in a call or not: a call for the account has the account's
 * user in To.
 */
static int on_message(void *ctx, const struct ponte_sip_message_in *in, const char **warning)
{
	struct gw_calls *gc = ctx;
	static char why[160]; /* read by the caller as soon as we return (main loop only) */
	struct ponte_signal_conn *conns[MAX_RING];
	const struct ponte_sip_account *acct = in->account;
	const char *to = acct != NULL ? sip_reg_incoming_target(acct) : in->to_user;
	unsigned n = targets_of(gc, to, conns);
	/* Header values are bytes: JSON strings must be UTF-8. */
	g_autofree char *from = g_utf8_make_valid(in->from_uri, -1);
	g_autofree char *display = g_utf8_make_valid(in->from_display, -1);

	if (n == 0 && acct != NULL) {
		/* The account exists: its user is only away (480), as for its calls. */
		snprintf(why, sizeof(why), "account %.32s: %s %.64s", acct->name,
			 g_str_has_prefix(to, ROOM_PREFIX) ? "nobody in"
							   : "no browser has the name",
			 to);
		*warning = why;
		return 480;
	}
	if (n == 0) {
		bool is_room = g_str_has_prefix(to, ROOM_PREFIX);

		*warning = is_room ? "nobody in that room" : "no browser has that name";
		return is_room ? 480 : 404;
	}
	for (unsigned i = 0; i < n; i++) {
		json_t *ev =
		    json_pack("{s:s, s:s, s:s, s:s, s:s%}", "type", "sip_message", "from", from,
			      "display", display, "to", to, "text", in->text, in->len);

		if (ev == NULL)
			return 500;
		if (in->call != NULL)
			json_object_set_new(ev, "in_call", json_true());
		if (acct != NULL)
			json_object_set_new(ev, "account", json_string(acct->name));
		ponte_signal_send(conns[i], ev, NULL);
	}
	log_info(MOD, "message from %s to %s%s%s shown at %u browser(s)", from, to,
		 acct != NULL ? " for account " : "", acct != NULL ? acct->name : "", n);
	return 200;
}

static const struct ponte_sip_server_ops server_ops = {
	.invite = on_invite,
	.cancelled = on_cancelled,
	.message = on_message,
};

static bool rings_at(const struct ringing *r, const struct ponte_signal_conn *conn)
{
	for (unsigned i = 0; i < r->nb_conns; i++)
		if (r->conns[i] == conn)
			return true;
	return false;
}

/* Forget conn in a ringing call; the call is refused when nobody is left to answer it. */
static void drop_conn(struct gw_calls *gc, struct ringing *r, struct ponte_signal_conn *conn,
		      int status, const char *reason)
{
	unsigned j = 0;

	for (unsigned i = 0; i < r->nb_conns; i++)
		if (r->conns[i] != conn)
			r->conns[j++] = r->conns[i];
	r->nb_conns = j;
	if (r->nb_conns > 0)
		return;
	log_info(MOD, "call %s from %s: %s, %d", r->id, r->from, reason, status);
	ponte_sip_call_reject(r->call, status, reason);
	ringing_remove(gc, r, reason, NULL);
}

static void req_register(struct gw_calls *gc, struct ponte_signal_conn *conn, json_t *msg,
			 json_t *tx)
{
	const char *name = json_string_value(json_object_get(msg, "name"));
	struct ponte_signal_conn *holder;
	GHashTableIter it;
	gpointer k, v;

	if (!name_is_valid(name)) {
		ponte_signal_error(conn, tx, "bad_request",
				   "name: 1..%d of [A-Za-z0-9._-], not starting with \"" ROOM_PREFIX
				   "\"",
				   NAME_MAX_LEN);
		return;
	}
	holder = g_hash_table_lookup(gc->users, name);
	if (holder != NULL && holder != conn) {
		ponte_signal_error(conn, tx, "name_taken", "'%s' is registered by another browser",
				   name);
		return;
	}
	/* One name per connection: a new one replaces the old. */
	g_hash_table_iter_init(&it, gc->users);
	while (g_hash_table_iter_next(&it, &k, &v))
		if (v == conn && strcmp(k, name) != 0)
			g_hash_table_iter_remove(&it);
	g_hash_table_insert(gc->users, g_strdup(name), conn);
	log_info(MOD, "'%s' registered (connection %" G_GUINT64_FORMAT ")", name,
		 ponte_signal_conn_id(conn));
	{
		g_autofree char *uri =
			g_strdup_printf("%s@%s", name, ponte_sip_contact(gc->sip) + strlen("sip:"));

		ponte_signal_send(conn,
				  json_pack("{s:s, s:s, s:s+}", "type", "registered", "name", name,
					    "uri", "sip:", uri),
				  tx);
	}
}

static void remove_names_of(struct gw_calls *gc, struct ponte_signal_conn *conn)
{
	GHashTableIter it;
	gpointer v;

	g_hash_table_iter_init(&it, gc->users);
	while (g_hash_table_iter_next(&it, NULL, &v))
		if (v == conn)
			g_hash_table_iter_remove(&it);
}

static void req_unregister(struct gw_calls *gc, struct ponte_signal_conn *conn, json_t *msg,
			   json_t *tx)
{
	(void)msg;
	remove_names_of(gc, conn);
	ponte_signal_send(conn, json_pack("{s:s}", "type", "unregistered"), tx);
}

static void req_decline(struct gw_calls *gc, struct ponte_signal_conn *conn, json_t *msg,
			json_t *tx)
{
	const char *id = json_string_value(json_object_get(msg, "call"));
	json_t *st = json_object_get(msg, "status");
	int status = st != NULL ? (int)json_integer_value(st) : 603;
	struct ringing *r = id != NULL ? g_hash_table_lookup(gc->ringing, id) : NULL;

	if (st != NULL && (!json_is_integer(st) || status < 400 || status > 699)) {
		ponte_signal_error(conn, tx, "bad_request", "status: a SIP status 400..699");
		return;
	}
	if (r == NULL || !rings_at(r, conn)) {
		ponte_signal_error(conn, tx, "no_such_call", "no call '%.20s' rings here",
				   id != NULL ? id : "");
		return;
	}
	ponte_signal_send(conn, json_pack("{s:s, s:s}", "type", "declined", "call", r->id), tx);
	/* Declined by everyone it rang at: the status goes to the caller (486 busy, 603
	 * decline...); while others ring, it rings on. */
	drop_conn(gc, r, conn, status, "declined");
}

static void sending_free(struct sending *o)
{
	ponte_sip_message_forget(o->m);
	json_decref(o->tx);
	json_decref(o->id);
	g_free(o->to);
	g_free(o->session);
	g_free(o);
}

/* The final status of a browser's MESSAGE: 2xx delivered, anything else not. */
static void on_message_status(void *ctx, int status, const char *reason)
{
	struct sending *o = ctx;
	/* The phone's reason phrase is bytes: JSON strings must be UTF-8. */
	g_autofree char *why = g_utf8_make_valid(reason, -1);
	json_t *st = json_pack("{s:s, s:i, s:s}", "type", "sip_message_status", "status", status,
			       "reason", why);

	o->gc->sending = g_list_remove(o->gc->sending, o);
	o->m = NULL; /* the stack frees it after this callback */
	if (st != NULL && o->to != NULL)
		json_object_set_new(st, "to", json_string(o->to));
	if (st != NULL && o->session != NULL)
		json_object_set_new(st, "session", json_string(o->session));
	if (st != NULL && o->id != NULL)
		json_object_set(st, "id", o->id);
	if (o->reply != NULL)
		o->reply(o->reply_ctx, st);
	else
		ponte_signal_send(o->conn, st, o->tx);
	sending_free(o);
}

/* Refuse an asker's message: an error frame over signaling, or on its data channel. */
G_GNUC_PRINTF(3, 4)
static void refuse(const struct asker *a, const char *code, const char *fmt, ...)
{
	g_autofree char *text = NULL;
	json_t *err;
	va_list ap;

	va_start(ap, fmt);
	text = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	if (a->reply == NULL) {
		ponte_signal_error(a->conn, a->tx, code, "%s", text);
		return;
	}
	err = json_pack("{s:s, s:s, s:s}", "type", "error", "code", code, "text", text);
	if (err != NULL && a->id != NULL)
		json_object_set(err, "id", a->id);
	a->reply(a->reply_ctx, err);
}

/* The checks every browser's text passes: 0, or refused with an error. */
static int check_text(const struct asker *a, json_t *jtext)
{
	const char *why = NULL;
	int rc;

	if (!json_is_string(jtext)) {
		refuse(a, "bad_request", "text: expected a string");
		return -EINVAL;
	}
	rc = ponte_sip_message_check_text(json_string_value(jtext), json_string_length(jtext),
					  PONTE_SIP_MESSAGE_MAX_OUT, &why);
	if (rc == -EMSGSIZE)
		refuse(a, "too_long", "text: %zu bytes, the limit is %d", json_string_length(jtext),
		       PONTE_SIP_MESSAGE_MAX_OUT);
	else if (rc < 0)
		refuse(a, "bad_text", "text: %s", why);
	return rc;
}

/* Whether conn may send one more MESSAGE (refused with an error when not). */
static bool may_send(struct gw_calls *gc, const struct asker *a)
{
	unsigned nb_sending = 0;

	for (GList *l = gc->sending; l != NULL; l = l->next)
		nb_sending += ((struct sending *)l->data)->conn == a->conn;
	if (nb_sending < MAX_SENDING)
		return true;
	refuse(a, "too_many_messages", "%u messages wait for their status already", nb_sending);
	return false;
}

/*
 * A browser's text to the phone of its call, in the call's dialog (RFC 3428 §4): its status
 * comes back as for messages outside calls, with the session instead of "to".
 */
static void send_in_call(struct gw_calls *gc, const struct asker *a, struct ponte_sip_call *call,
			 const char *session, json_t *jtext)
{
	struct sending *o;
	int rc;

	if (check_text(a, jtext) < 0)
		return;
	if (call == NULL || a->conn == NULL) {
		refuse(a, "not_in_call", "session %.32s has no answered call with a phone",
		       session);
		return;
	}
	if (!may_send(gc, a))
		return;
	o = g_new0(struct sending, 1);
	o->gc = gc;
	o->conn = a->conn;
	o->tx = json_incref(a->tx);
	o->id = json_incref(a->id);
	o->reply = a->reply;
	o->reply_ctx = a->reply_ctx;
	o->session = g_strdup(session);
	rc = ponte_sip_call_message(call, json_string_value(jtext), on_message_status, o, &o->m);
	if (rc < 0) {
		if (rc == -ENOTCONN)
			refuse(a, "not_in_call",
			       "session %.32s: the call is not established yet, or over", session);
		else
			refuse(a, "internal", "cannot send: %s", g_strerror(-rc));
		sending_free(o);
		return;
	}
	gc->sending = g_list_prepend(gc->sending, o);
}

void gw_calls_call_message(struct gw_calls *gc, struct ponte_signal_conn *conn,
			   struct ponte_sip_call *call, const char *session, json_t *msg,
			   json_t *tx)
{
	const struct asker a = {.conn = conn, .tx = tx};

	if (json_object_get(msg, "to") != NULL) {
		refuse(&a, "bad_request", "to or session: a message goes to one or the other");
		return;
	}
	send_in_call(gc, &a, call, session, json_object_get(msg, "text"));
}

void gw_calls_dc_message(struct gw_calls *gc, struct ponte_signal_conn *conn,
			 struct ponte_sip_call *call, const char *session, bool is_binary,
			 const uint8_t *data, size_t len, gw_calls_reply_fn reply, void *reply_ctx)
{
	struct asker a = {.conn = conn, .reply = reply, .reply_ctx = reply_ctx};
	json_t *msg = NULL, *id;
	const char *type;

	if (is_binary) {
		refuse(&a, "bad_json", "a phone call's chat takes JSON text, not binary messages");
		return;
	}
	if (len > CHAT_FRAME_MAX) {
		refuse(&a, "too_large", "a chat frame is at most %d bytes", CHAT_FRAME_MAX);
		return;
	}
	msg = json_loadb((const char *)data, len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(msg)) {
		refuse(&a, "bad_json", "a chat frame is one JSON object");
		goto out;
	}
	/* Its id comes back with the status: a string or an integer, as short as a tx. */
	id = json_object_get(msg, "id");
	if (id != NULL &&
	    !(json_is_integer(id) || (json_is_string(id) && json_string_length(id) <= 64))) {
		refuse(&a, "bad_request", "id: a string of at most 64 bytes, or an integer");
		goto out;
	}
	a.id = id;
	type = json_string_value(json_object_get(msg, "type"));
	if (type == NULL || strcmp(type, "sip_message") != 0) {
		refuse(&a, "unknown_type", "a phone call's chat takes sip_message frames");
		goto out;
	}
	send_in_call(gc, &a, call, session, json_object_get(msg, "text"));
out:
	json_decref(msg);
}

void gw_calls_forget_replies(struct gw_calls *gc, void *reply_ctx)
{
	for (GList *l = gc->sending, *next; l != NULL; l = next) {
		next = l->next;
		if (((struct sending *)l->data)->reply == NULL ||
		    ((struct sending *)l->data)->reply_ctx != reply_ctx)
			continue;
		sending_free(l->data);
		gc->sending = g_list_delete_link(gc->sending, l);
	}
}

/* Digits, * and #, with an optional leading +: what ponte_sip_route_number() dials. */
static bool is_number(const char *s)
{
	if (*s == '+')
		s++;
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (!g_ascii_isdigit(*s) && *s != '*' && *s != '#')
			return false;
	return true;
}

const char *gw_calls_name_of(struct gw_calls *gc, struct ponte_signal_conn *conn)
{
	GHashTableIter it;
	gpointer k, v;

	g_hash_table_iter_init(&it, gc->users);
	while (g_hash_table_iter_next(&it, &k, &v))
		if (v == conn)
			return k;
	return NULL;
}

/*
 * {"type":"sip_message","to":URI or number,"text":...}: a MESSAGE from this browser, From its
 * registered name (else "ponte"), answered with sip_message_status once the far end answers.
 */
static void req_sip_message(struct gw_calls *gc, struct ponte_signal_conn *conn, json_t *msg,
			    json_t *tx)
{
	const struct asker a = {.conn = conn, .tx = tx};
	json_t *jtext = json_object_get(msg, "text");
	const char *to = json_string_value(json_object_get(msg, "to"));
	const char *text = json_string_value(jtext);
	g_autofree char *routed = NULL;
	struct sending *o;
	int rc;

	if (to == NULL) {
		ponte_signal_error(conn, tx, "bad_request",
				   "to: expected a string (or session: the call's)");
		return;
	}
	if (check_text(&a, jtext) < 0)
		return;
	if (is_number(to)) {
		routed = ponte_sip_route_number(gc->sip, to);
		if (routed == NULL) {
			ponte_signal_error(conn, tx, "no_route",
					   "%.32s is a number, and sip.number_route names no account "
					   "or trunk to send to numbers through",
					   to);
			return;
		}
	}
	if (!may_send(gc, &a))
		return;
	o = g_new0(struct sending, 1);
	o->gc = gc;
	o->conn = conn;
	o->tx = json_incref(tx);
	o->to = g_strdup(routed != NULL ? routed : to);
	rc = ponte_sip_message(gc->sip, routed != NULL ? routed : to, gw_calls_name_of(gc, conn),
			       text, on_message_status, o, &o->m);
	if (rc < 0) {
		if (rc == -EINVAL)
			ponte_signal_error(conn, tx, "bad_target",
					   "to: expected a sip: URI (sip:user@host[:port], no "
					   "headers) or a number (digits, + * #)");
		else
			ponte_signal_error(conn, tx, "internal", "cannot send: %s",
					   g_strerror(-rc));
		sending_free(o);
		return;
	}
	gc->sending = g_list_prepend(gc->sending, o);
}

bool gw_calls_request(struct gw_calls *gc, struct ponte_signal_conn *conn, const char *type,
		      json_t *msg, json_t *tx)
{
	if (strcmp(type, "register") == 0)
		req_register(gc, conn, msg, tx);
	else if (strcmp(type, "sip_message") == 0)
		req_sip_message(gc, conn, msg, tx);
	else if (strcmp(type, "unregister") == 0)
		req_unregister(gc, conn, msg, tx);
	else if (strcmp(type, "decline") == 0)
		req_decline(gc, conn, msg, tx);
	else
		return false;
	return true;
}

void gw_calls_conn_gone(struct gw_calls *gc, struct ponte_signal_conn *conn)
{
	GHashTableIter it;
	gpointer v;
	GPtrArray *left = g_ptr_array_new();

	remove_names_of(gc, conn);
	/* Its MESSAGEs carry on; their statuses have nobody to go to. */
	for (GList *l = gc->sending, *next; l != NULL; l = next) {
		next = l->next;
		if (((struct sending *)l->data)->conn == conn) {
			sending_free(l->data);
			gc->sending = g_list_delete_link(gc->sending, l);
		}
	}
	g_hash_table_iter_init(&it, gc->ringing);
	while (g_hash_table_iter_next(&it, NULL, &v))
		if (rings_at(v, conn))
			g_ptr_array_add(left, v);
	for (unsigned i = 0; i < left->len; i++)
		drop_conn(gc, left->pdata[i], conn, 480, "the browser went away");
	g_ptr_array_free(left, TRUE);
}

struct ponte_sip_call *gw_calls_take(struct gw_calls *gc, struct ponte_signal_conn *conn,
				     const char *id, char **from, char **offer, const char **why)
{
	struct ringing *r = id != NULL ? g_hash_table_lookup(gc->ringing, id) : NULL;
	struct ponte_sip_call *call;

	if (r == NULL || !rings_at(r, conn)) {
		*why = "no such call rings here (answered elsewhere, cancelled or timed out)";
		return NULL;
	}
	call = r->call;
	*from = g_strdup(r->from);
	*offer = g_strdup(r->offer);
	log_info(MOD, "call %s from %s taken by connection %" G_GUINT64_FORMAT, r->id, r->from,
		 ponte_signal_conn_id(conn));
	/* The others of a room are told who took it: the name it registered, else its peer id
	 * in the room (names and peer ids are printable ASCII by their rules). */
	r->by = g_strdup(gw_calls_name_of(gc, conn));
	if (r->by == NULL && g_str_has_prefix(r->to, ROOM_PREFIX))
		r->by = g_strdup(ponte_signal_peer_id(conn, r->to + strlen(ROOM_PREFIX)));
	ringing_remove(gc, r, "answered-elsewhere", conn);
	return call;
}

void gw_calls_status(struct gw_calls *gc, json_t *obj)
{
	json_t *users = json_array();
	GHashTableIter it;
	gpointer k;

	g_hash_table_iter_init(&it, gc->users);
	while (g_hash_table_iter_next(&it, &k, NULL))
		json_array_append_new(users, json_string(k));
	json_object_set_new(obj, "calls",
			    json_pack("{s:o, s:i}", "users", users, "ringing",
				      (int)g_hash_table_size(gc->ringing)));
}

struct gw_calls *gw_calls_new(const struct ponte_config *cfg, struct ponte_signal *sig,
			      struct ponte_sip *sip)
{
	struct gw_calls *gc = g_new0(struct gw_calls, 1);

	gc->cfg = cfg;
	gc->sig = sig;
	gc->sip = sip;
	gc->users = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	gc->ringing = g_hash_table_new(g_str_hash, g_str_equal);
	ponte_sip_set_server(sip, &server_ops, gc);
	return gc;
}

void gw_calls_free(struct gw_calls *gc)
{
	GHashTableIter it;
	gpointer v;

	if (gc == NULL)
		return;
	g_hash_table_iter_init(&it, gc->ringing);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		ponte_sip_call_reject(((struct ringing *)v)->call, 480, "the gateway stops");
		ringing_free(v, "cancelled", NULL);
	}
	g_list_free_full(gc->sending, (GDestroyNotify)sending_free);
	g_hash_table_destroy(gc->ringing);
	g_hash_table_destroy(gc->users);
	ponte_sip_set_server(gc->sip, NULL, NULL);
	g_free(gc);
}
