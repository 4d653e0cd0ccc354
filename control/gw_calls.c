/* SPDX-License-Identifier: MIT */
#include "gw_calls.h"

#include <errno.h>
#include <string.h>

#include "log.h"
#include "room.h"
#include "sip_sdp.h"

#define MOD "calls"
#define MAX_RING 16 /* browsers one call rings at once */
#define NAME_MAX_LEN 32
#define ROOM_PREFIX "room-"

struct ringing {
	struct gw_calls *gc;
	char id[16]; /* "c-" + 12 random characters */
	struct ponte_sip_call *call;
	char *from, *display, *to, *offer;
	struct ponte_signal_conn *conns[MAX_RING];
	unsigned nb_conns;
	guint timer;
};

struct gw_calls {
	const struct ponte_config *cfg;
	struct ponte_signal *sig;
	struct ponte_sip *sip;
	GHashTable *users; /* name -> struct ponte_signal_conn *; names owned */
	GHashTable *ringing; /* id -> struct ringing *, owned */
};

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

static void tell(struct ponte_signal_conn *conn, const char *id, const char *reason)
{
	ponte_signal_send(conn,
			  json_pack("{s:s, s:s, s:s}", "type", "incoming-ended", "call", id,
				    "reason", reason),
			  NULL);
}

/* Tell every browser it rang at but skip (may be NULL), and free it. */
static void ringing_free(struct ringing *r, const char *reason, struct ponte_signal_conn *skip)
{
	for (unsigned i = 0; i < r->nb_conns; i++)
		if (r->conns[i] != skip)
			tell(r->conns[i], r->id, reason);
	if (r->timer != 0)
		g_source_remove(r->timer);
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
	for (unsigned i = 0; i < r->nb_conns; i++)
		ponte_signal_send(r->conns[i],
				  json_pack("{s:s, s:s, s:s, s:s, s:s, s:b}", "type", "incoming",
					    "call", r->id, "from", r->from, "display", r->display,
					    "to", r->to, "offerless", in->sdp == NULL),
				  NULL);
	ponte_sip_call_ringing(call);
	if (gc->cfg->sip.ring_timeout > 0)
		r->timer = g_timeout_add_seconds((guint)gc->cfg->sip.ring_timeout, on_ring_timeout,
						 r);
	log_info(MOD, "call %s from %s rings %u browser(s) as %s", r->id, r->from, r->nb_conns,
		 r->to);
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

static const struct ponte_sip_server_ops server_ops = {
	.invite = on_invite,
	.cancelled = on_cancelled,
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

bool gw_calls_request(struct gw_calls *gc, struct ponte_signal_conn *conn, const char *type,
		      json_t *msg, json_t *tx)
{
	if (strcmp(type, "register") == 0)
		req_register(gc, conn, msg, tx);
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
	g_hash_table_destroy(gc->ringing);
	g_hash_table_destroy(gc->users);
	ponte_sip_set_server(gc->sip, NULL, NULL);
	g_free(gc);
}
