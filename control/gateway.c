/* SPDX-License-Identifier: MIT */
/*
 * Gateway services over signaling: WebRTC sessions with the gateway (attach, offer,
 * candidate, hangup of docs/signaling.md) and what their media does: echo, or relay in a
 * room. Sessions belong to the connection that attached them and end with it.
 */
#include "gateway.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bridge.h"
#include "gw_calls.h"
#include "log.h"
#include "offload.h"
#include "room.h"
#include "sdp_ptmap.h"
#include "sdp_reoffer.h"
#include "session.h"

#define MAX_FWDS 16

enum service {
	SVC_ECHO,
	SVC_RELAY,
	SVC_SIP,
};

static const char *const service_names[] = {"echo", "relay", "sip"};

struct gw_session {
	struct ponte_gateway *gw;
	struct ponte_signal_conn *conn;
	struct ponte_session *s;
	char id[24];
	enum service service;
	char room[ROOM_NAME_MAX + 1];
	uint64_t flow_id;
	bool has_flow;
	bool is_media_ready;
	int dc_stream; /* first data channel the browser opened, -1: none */
	bool is_dead; /* ended: waiting for the idle that frees it */
	guint free_idle;
	/* Relay: the other members' streams announced to this one, in section order. */
	struct fwd {
		struct gw_session *sender; /* NULL: the member left, its sections are disabled */
		char peer[ROOM_PEER_MAX + 1];
		uint32_t ssrc[PONTE_LEG_NB_SLOTS]; /* as announced to this member */
		char mid[2][24]; /* audio, video */
		bool is_offered; /* in the offer waiting for an answer */
		bool is_negotiated; /* the member answered an offer with it */
	} fwds[MAX_FWDS];
	unsigned nb_fwds;
	bool is_offer_pending;
	bool needs_reoffer;
	uint64_t nb_keyframe_requests; /* PLIs the gateway sent this member */
	struct ponte_bridge *bridge; /* SVC_SIP */
};

struct ponte_gateway {
	struct ponte_session_env env;
	struct ponte_signal *sig;
	struct ponte_sip *sip;
	struct gw_calls *calls; /* phones calling browsers; NULL without SIP */
	GHashTable *sessions; /* id -> struct gw_session *, owned */
	guint watchdog;
	uint64_t nb_ended;
};

static void send_to(struct gw_session *g, json_t *obj)
{
	if (g->conn != NULL)
		ponte_signal_send(g->conn, obj, NULL);
	else
		json_decref(obj);
}

/* ---- flows ---- */

/* Legs of the room's relay sessions that have media, g's first when present. */
static unsigned room_legs(struct ponte_gateway *gw, const char *room, struct gw_session **out,
			  unsigned max)
{
	GHashTableIter it;
	gpointer v;
	unsigned n = 0;

	g_hash_table_iter_init(&it, gw->sessions);
	while (g_hash_table_iter_next(&it, NULL, &v) && n < max) {
		struct gw_session *o = v;

		if (o->service == SVC_RELAY && o->is_media_ready && !o->is_dead &&
		    strcmp(o->room, room) == 0)
			out[n++] = o;
	}
	return n;
}

static void install(struct gw_session *g, const struct ponte_offload_out *outs, unsigned nb)
{
	int rc;

	if (!g->has_flow)
		g->flow_id = ponte_offload_new_id();
	rc = ponte_offload_forward(g->gw->env.dp, g->flow_id, ponte_session_leg(g->s), outs, nb,
				   g->has_flow);
	if (rc != 0) {
		log_warn("gateway", "session=%s flow: %s", g->id, g_strerror(-rc));
		return;
	}
	g->has_flow = true;
}

static struct fwd *fwd_of(struct gw_session *receiver, const struct gw_session *sender)
{
	for (unsigned i = 0; i < receiver->nb_fwds; i++)
		if (receiver->fwds[i].sender == sender)
			return &receiver->fwds[i];
	return NULL;
}

static uint32_t new_ssrc(void)
{
	uint32_t v;

	do
		v = g_random_int();
	while (v == 0);
	return v;
}

/* Announce sender's streams to receiver; false when the table is full. */
static bool fwd_add(struct gw_session *receiver, struct gw_session *sender)
{
	struct fwd *f;

	if (receiver->nb_fwds == MAX_FWDS)
		return false;
	f = &receiver->fwds[receiver->nb_fwds];
	memset(f, 0, sizeof(*f));
	f->sender = sender;
	g_strlcpy(f->peer, sender->conn != NULL ? ponte_signal_peer_id(sender->conn, sender->room)
							: sender->id,
		  sizeof(f->peer));
	for (unsigned k = 0; k < PONTE_LEG_NB_SLOTS; k++)
		f->ssrc[k] = new_ssrc();
	snprintf(f->mid[0], sizeof(f->mid[0]), "a%u", receiver->nb_fwds);
	snprintf(f->mid[1], sizeof(f->mid[1]), "v%u", receiver->nb_fwds);
	receiver->nb_fwds++;
	return true;
}

/* Offer the receiver its current set of forwarded sections, unless an offer is out. */
static void maybe_reoffer(struct gw_session *r)
{
	struct sdp_extra_stream extra[2 * MAX_FWDS];
	char err[SDP_ERR_LEN] = "";
	char *offer = NULL;
	unsigned n = 0;
	int rc;

	if (!r->needs_reoffer || r->is_offer_pending || r->is_dead)
		return;
	for (unsigned i = 0; i < r->nb_fwds; i++) {
		struct fwd *f = &r->fwds[i];
		bool is_active = f->sender != NULL;

		extra[n++] = (struct sdp_extra_stream){
			.kind = SDP_KIND_AUDIO,
			.mid = f->mid[0],
			.stream = {SDP_KIND_AUDIO, f->peer, "audio", f->ssrc[PONTE_SLOT_AUDIO], 0},
			.is_active = is_active,
		};
		extra[n++] = (struct sdp_extra_stream){
			.kind = SDP_KIND_VIDEO,
			.mid = f->mid[1],
			.stream = {SDP_KIND_VIDEO, f->peer, "video", f->ssrc[PONTE_SLOT_VIDEO],
				   f->ssrc[PONTE_SLOT_VIDEO_RTX]},
			.is_active = is_active,
		};
	}
	rc = ponte_session_reoffer(r->s, extra, n, &offer, err, sizeof(err));
	if (rc != 0) {
		log_warn("gateway", "session=%s re-offer: %s", r->id, err[0] ? err : g_strerror(-rc));
		return;
	}
	for (unsigned i = 0; i < r->nb_fwds; i++)
		r->fwds[i].is_offered = r->fwds[i].sender != NULL;
	r->is_offer_pending = true;
	r->needs_reoffer = false;
	log_info("gateway", "session=%s offering %u forwarded streams", r->id, r->nb_fwds);
	send_to(r, json_pack("{s:s, s:s, s:s}", "type", "offer", "session", r->id, "sdp", offer));
	g_free(offer);
}

/* The flow of a relay member: to every member whose session negotiated its streams. */
static void relay_flow(struct gw_session *sender, struct gw_session **members, unsigned n)
{
	struct ponte_offload_out outs[PONTE_OFFLOAD_MAX_OUTS];
	const struct ponte_media_leg *from = ponte_session_leg(sender->s);
	unsigned nb = 0;

	for (unsigned i = 0; i < n && nb < PONTE_OFFLOAD_MAX_OUTS; i++) {
		struct gw_session *r = members[i];
		struct fwd *to_r = fwd_of(r, sender); /* sender's streams as r knows them */
		struct fwd *from_r = fwd_of(sender, r); /* r's streams as sender knows them */
		const struct ponte_media_leg *leg = ponte_session_leg(r->s);
		struct ponte_offload_out *o;

		if (r == sender || to_r == NULL || !to_r->is_negotiated)
			continue;
		o = &outs[nb++];
		memset(o, 0, sizeof(*o));
		o->to = leg;
		/* Each browser numbers its codecs its own way: the receiver's numbers go out, and
		 * what it did not negotiate is not sent. */
		if (ponte_session_description(sender->s) != NULL &&
		    ponte_session_description(r->s) != NULL) {
			o->has_pt_map = true;
			memset(o->pt_map, PONTE_PT_DROP, sizeof(o->pt_map));
			sdp_pt_map(ponte_session_description(sender->s),
				   ponte_session_description(r->s), SDP_KIND_AUDIO, o->pt_map);
			sdp_pt_map(ponte_session_description(sender->s),
				   ponte_session_description(r->s), SDP_KIND_VIDEO, o->pt_map);
		}
		for (unsigned k = 0; k < PONTE_LEG_NB_SLOTS; k++) {
			if (from->ssrcs[k].peer != 0)
				o->maps[o->nb_maps++] = (struct ponte_ssrc_map){
					.from = from->ssrcs[k].peer, .to = to_r->ssrc[k]};
			/* The sender's feedback about r's stream goes to r under r's own SSRC. */
			if (from_r != NULL && leg->ssrcs[k].peer != 0)
				o->maps[o->nb_maps++] = (struct ponte_ssrc_map){
					.from = from_r->ssrc[k], .to = leg->ssrcs[k].peer};
		}
	}
	install(sender, outs, nb);
}

/* Relay: bring every member's announced streams and flows up to date with who has media. */
static void relay_update(struct ponte_gateway *gw, const char *room)
{
	struct gw_session *members[PONTE_OFFLOAD_MAX_OUTS + 1];
	unsigned n = room_legs(gw, room, members, G_N_ELEMENTS(members));

	for (unsigned i = 0; i < n; i++) {
		struct gw_session *r = members[i];

		/* Members gone: their sections stay, disabled. */
		for (unsigned f = 0; f < r->nb_fwds; f++) {
			bool is_here = false;

			for (unsigned j = 0; j < n; j++)
				is_here |= r->fwds[f].sender == members[j];
			if (!is_here && r->fwds[f].sender != NULL) {
				r->fwds[f].sender = NULL;
				r->fwds[f].is_negotiated = false;
				r->needs_reoffer = true;
			}
		}
		for (unsigned j = 0; j < n; j++) {
			if (j != i && fwd_of(r, members[j]) == NULL && fwd_add(r, members[j]))
				r->needs_reoffer = true;
		}
	}
	for (unsigned i = 0; i < n; i++) {
		relay_flow(members[i], members, n);
		maybe_reoffer(members[i]);
	}
}

static void request_keyframe(struct gw_session *sender)
{
	if (!sender->has_flow || sender->is_dead)
		return;
	if (ponte_offload_request_keyframe(sender->gw->env.dp, sender->flow_id,
					   ponte_session_leg(sender->s)) == 0) {
		sender->nb_keyframe_requests++;
		log_debug("gateway", "session=%s asked for a keyframe (PLI)", sender->id);
	}
}

static void media_ready(void *ctx, const struct ponte_media_leg *leg)
{
	struct gw_session *g = ctx;

	g->is_media_ready = true;
	if (g->service == SVC_SIP) {
		ponte_bridge_media_ready(g->bridge, leg);
	} else if (g->service == SVC_ECHO) {
		if (!g->has_flow)
			g->flow_id = ponte_offload_new_id();
		if (ponte_offload_echo(g->gw->env.dp, g->flow_id, leg, g->has_flow) == 0)
			g->has_flow = true;
	} else {
		relay_update(g->gw, g->room);
	}
}

/* ---- session callbacks ---- */

static void on_candidate(void *ctx, const char *candidate)
{
	struct gw_session *g = ctx;

	send_to(g, json_pack("{s:s, s:s, s:s, s:s}", "type", "candidate", "session", g->id,
			     "candidate", candidate != NULL ? candidate : "", "mid", "0"));
}

static gboolean free_later(gpointer data)
{
	struct gw_session *g = data;

	g->free_idle = 0;
	g_hash_table_remove(g->gw->sessions, g->id);
	return G_SOURCE_REMOVE;
}

/* End a session: tell its client, stop its media, free it once the current callback chain
 * has unwound (it may be inside one of the session's own callbacks). A SIP status and its
 * text go along when the end came from the phone's side. */
static void finish_status(struct gw_session *g, const char *reason, int status, const char *text,
			  json_t *tx)
{
	json_t *ev;

	if (g->is_dead)
		return;
	g->is_dead = true;
	g->gw->nb_ended++;
	if (g->has_flow) {
		ponte_offload_remove(g->gw->env.dp, g->flow_id);
		g->has_flow = false;
	}
	if (g->bridge != NULL)
		ponte_bridge_hangup(g->bridge);
	ev = json_pack("{s:s, s:s, s:s}", "type", "hungup", "session", g->id, "reason", reason);
	if (status != 0)
		json_object_set_new(ev, "status", json_integer(status));
	if (text != NULL)
		json_object_set_new(ev, "text", json_string(text));
	if (g->conn != NULL)
		ponte_signal_send(g->conn, ev, tx);
	else
		json_decref(ev);
	log_info("gateway", "session=%s hung up: %s", g->id, reason);
	if (g->service == SVC_RELAY)
		relay_update(g->gw, g->room);
	g->free_idle = g_idle_add(free_later, g);
}

static void finish(struct gw_session *g, const char *reason)
{
	finish_status(g, reason, 0, NULL, NULL);
}

static void on_ended(void *ctx, const char *reason)
{
	finish(ctx, reason);
}

/* ---- SIP bridge callbacks ---- */

/* obj as a text message on the session's first data channel (the chat's); obj is borrowed. */
static int dc_send_json(struct gw_session *g, json_t *obj)
{
	char *text = obj != NULL && g->dc_stream >= 0 && !g->is_dead
			     ? json_dumps(obj, JSON_COMPACT)
			     : NULL;
	int rc = -ENOTCONN;

	if (text != NULL)
		rc = ponte_session_dc_send(g->s, (uint16_t)g->dc_stream, false,
					   (const uint8_t *)text, strlen(text));
	free(text);
	return rc;
}

static void bridge_event(void *ctx, json_t *obj)
{
	struct gw_session *g = ctx;
	const char *type = json_string_value(json_object_get(obj, "type"));

	/* A phone's MESSAGE goes on the chat's data channel when one is open, else (or when it
	 * cannot go there) over signaling: docs/signaling.md, "Instant messages". */
	if (type != NULL && strcmp(type, "sip_message") == 0 && dc_send_json(g, obj) == 0) {
		json_decref(obj);
		return;
	}
	send_to(g, obj);
}

/* The status of a message that came on the data channel goes back there. */
static void chat_reply(void *ctx, json_t *obj)
{
	struct gw_session *g = ctx;
	int rc = dc_send_json(g, obj);

	if (rc != 0)
		log_info("gateway", "session=%s chat reply lost: %s", g->id, g_strerror(-rc));
	json_decref(obj);
}

static void bridge_answer(void *ctx, const char *sdp)
{
	struct gw_session *g = ctx;

	send_to(g, json_pack("{s:s, s:s, s:s}", "type", "answer", "session", g->id, "sdp", sdp));
}

static void bridge_ended(void *ctx, const char *reason, int status, const char *text)
{
	finish_status(ctx, reason, status, text, NULL);
}

static const struct ponte_bridge_ops bridge_ops = {
	.event = bridge_event,
	.answer = bridge_answer,
	.ended = bridge_ended,
};

static void on_dc_open(void *ctx, uint16_t stream, const char *label)
{
	struct gw_session *g = ctx;

	/* The first channel the browser opens is where messages from the others go. */
	if (g->dc_stream < 0)
		g->dc_stream = stream;
}

static void on_dc_message(void *ctx, uint16_t stream, bool is_binary, const uint8_t *data,
			  size_t len)
{
	struct gw_session *g = ctx;

	if (g->dc_stream < 0)
		g->dc_stream = stream;
	if (g->service == SVC_ECHO) {
		ponte_session_dc_send(g->s, stream, is_binary, data, len);
		return;
	}
	if (g->service == SVC_SIP) {
		/* A phone call's chat: sip_message frames go to the phone (gw_calls.c). */
		if (g->gw->calls != NULL && !g->is_dead)
			gw_calls_dc_message(g->gw->calls, g->conn, ponte_bridge_sip_call(g->bridge),
					    g->id, is_binary, data, len, chat_reply, g);
		return;
	}
	struct gw_session *members[PONTE_OFFLOAD_MAX_OUTS + 1];
	unsigned n = room_legs(g->gw, g->room, members, G_N_ELEMENTS(members));

	for (unsigned i = 0; i < n; i++)
		if (members[i] != g && members[i]->dc_stream >= 0)
			ponte_session_dc_send(members[i]->s, (uint16_t)members[i]->dc_stream,
					      is_binary, data, len);
}

static const struct ponte_session_ops session_ops = {
	.candidate = on_candidate,
	.media_ready = media_ready,
	.ended = on_ended,
	.dc_open = on_dc_open,
	.dc_message = on_dc_message,
};

static void gw_session_free(gpointer data)
{
	struct gw_session *g = data;

	if (g->free_idle != 0)
		g_source_remove(g->free_idle);
	if (g->gw->calls != NULL)
		gw_calls_forget_replies(g->gw->calls, g);
	ponte_bridge_destroy(g->bridge);
	if (g->has_flow)
		ponte_offload_remove(g->gw->env.dp, g->flow_id);
	ponte_session_destroy(g->s);
	g_free(g);
}

/* ---- requests ---- */

static struct gw_session *find(struct ponte_gateway *gw, struct ponte_signal_conn *conn,
			       json_t *msg, json_t *tx)
{
	const char *id = json_string_value(json_object_get(msg, "session"));
	struct gw_session *g = id != NULL ? g_hash_table_lookup(gw->sessions, id) : NULL;

	if (g == NULL || g->conn != conn || g->is_dead) {
		ponte_signal_error(conn, tx, "no_such_session", "no session '%.32s' here",
				   id != NULL ? id : "(missing)");
		return NULL;
	}
	return g;
}

static void req_attach(struct ponte_gateway *gw, struct ponte_signal_conn *conn, json_t *msg,
		       json_t *tx)
{
	const char *service = json_string_value(json_object_get(msg, "service"));
	const char *room = json_string_value(json_object_get(msg, "room"));
	const char *to = json_string_value(json_object_get(msg, "to"));
	const char *call_id = json_string_value(json_object_get(msg, "call"));
	g_autofree char *routed = NULL;
	struct gw_session *g;
	unsigned svc;
	static const char alphabet[] = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
	int rc;

	for (svc = 0; svc < G_N_ELEMENTS(service_names); svc++)
		if (service != NULL && strcmp(service, service_names[svc]) == 0)
			break;
	if (svc == G_N_ELEMENTS(service_names)) {
		ponte_signal_error(conn, tx, "unknown_service", "service must be echo, relay or sip");
		return;
	}
	if (svc == SVC_SIP && gw->sip == NULL) {
		ponte_signal_error(conn, tx, "sip_disabled", "the SIP side is off (sip.enabled)");
		return;
	}
	if (svc == SVC_SIP && call_id == NULL && to != NULL && strncmp(to, "sip:", 4) != 0 &&
	    g_regex_match_simple("^\\+?[0-9*#]+$", to, 0, 0)) {
		/* A dialled number: through the account or trunk of sip.number_route. */
		routed = ponte_sip_route_number(gw->sip, to);
		if (routed == NULL) {
			ponte_signal_error(conn, tx, "no_route",
					   "%.32s is a number, and sip.number_route names no account "
					   "or trunk to call numbers through",
					   to);
			return;
		}
		to = routed;
	}
	/* sips: goes over TLS (sip.transports has tls, docs/sip.md). */
	if (svc == SVC_SIP && call_id == NULL &&
	    (to == NULL || (strncmp(to, "sip:", 4) != 0 && strncmp(to, "sips:", 5) != 0))) {
		ponte_signal_error(conn, tx, "bad_request",
				   "to: expected a sip: or sips: URI, a number (digits, + * #) or "
				   "call: an incoming call's id");
		return;
	}
	if (svc == SVC_RELAY &&
	    (room == NULL || ponte_signal_room_media(conn, room) != PONTE_ROOM_MEDIA_RELAY)) {
		ponte_signal_error(conn, tx, "not_relay_room",
				   "join a room in relay mode first (\"media\": \"relay\")");
		return;
	}
	if (svc == SVC_RELAY) {
		/* A member's flow has one output per other member. */
		int max = MIN(gw->env.cfg->rooms.relay_max_members, PONTE_OFFLOAD_MAX_OUTS + 1);
		GHashTableIter it;
		gpointer v;
		int n = 0;

		g_hash_table_iter_init(&it, gw->sessions);
		while (g_hash_table_iter_next(&it, NULL, &v))
			n += ((struct gw_session *)v)->service == SVC_RELAY &&
			     !((struct gw_session *)v)->is_dead &&
			     strcmp(((struct gw_session *)v)->room, room) == 0;
		if (n >= max) {
			ponte_signal_error(conn, tx, "room_full",
					   "relayed room '%.32s' has %d media members, the limit", room,
					   n);
			return;
		}
	}
	if ((int)g_hash_table_size(gw->sessions) >= gw->env.cfg->webrtc.max_sessions) {
		ponte_signal_error(conn, tx, "too_many_sessions", "the gateway has %d sessions",
				   gw->env.cfg->webrtc.max_sessions);
		return;
	}
	g = g_new0(struct gw_session, 1);
	g->gw = gw;
	g->conn = conn;
	g->service = svc;
	g->dc_stream = -1;
	if (room != NULL)
		g_strlcpy(g->room, room, sizeof(g->room));
	g->id[0] = 'g';
	g->id[1] = '-';
	for (int i = 2; i < 14; i++)
		g->id[i] = alphabet[g_random_int_range(0, sizeof(alphabet) - 1)];
	rc = ponte_session_create(&gw->env, g->id, svc == SVC_RELAY, &session_ops, g, &g->s);
	if (rc == 0 && svc == SVC_SIP && call_id != NULL) {
		struct ponte_bridge_env be = {gw->env.cfg, gw->env.dp, gw->sip};
		g_autofree char *caller = NULL, *offer = NULL;
		const char *why = NULL;
		struct ponte_sip_call *call =
			gw_calls_take(gw->calls, conn, call_id, &caller, &offer, &why);

		if (call == NULL) {
			ponte_signal_error(conn, tx, "no_such_call", "%s", why);
			ponte_session_destroy(g->s);
			g_free(g);
			return;
		}
		rc = ponte_bridge_create_incoming(&be, g->s, call, caller, offer, &bridge_ops, g,
						  &g->bridge);
		if (rc != 0)
			ponte_sip_call_reject(call, 500, "cannot bridge the call");
	} else if (rc == 0 && svc == SVC_SIP) {
		struct ponte_bridge_env be = {gw->env.cfg, gw->env.dp, gw->sip};
		/* The caller's name on the SIP side (From user, or display name through an
		 * account): the name the browser registered, which phones can call back, else its
		 * peer id in the room it attached from, else none ("ponte"). */
		const char *from = gw->calls != NULL ? gw_calls_name_of(gw->calls, conn) : NULL;

		if (from == NULL && room != NULL)
			from = ponte_signal_peer_id(conn, room);

		rc = ponte_bridge_create(&be, g->s, to, from, &bridge_ops, g, &g->bridge);
	}
	if (rc != 0) {
		ponte_signal_error(conn, tx, "internal", "session: %s", g_strerror(-rc));
		ponte_session_destroy(g->s);
		g_free(g);
		return;
	}
	g_hash_table_insert(gw->sessions, g->id, g);
	log_info("gateway", "session=%s attached service=%s%s%s", g->id, service,
		 to != NULL ? " to=" : "", to != NULL ? to : "");
	ponte_signal_send(conn, json_pack("{s:s, s:s, s:s}", "type", "attached", "session", g->id,
					  "service", service),
			  tx);
}

static void req_offer(struct ponte_gateway *gw, struct ponte_signal_conn *conn, json_t *msg,
		      json_t *tx)
{
	struct gw_session *g = find(gw, conn, msg, tx);
	const char *sdp = json_string_value(json_object_get(msg, "sdp"));
	char err[256] = "";
	char *answer = NULL;
	int rc;

	if (g == NULL)
		return;
	if (sdp == NULL) {
		ponte_signal_error(conn, tx, "bad_request", "sdp: missing");
		return;
	}
	if (g->service == SVC_SIP) {
		/* The answer comes when the phone answers (bridge_answer). */
		rc = ponte_bridge_offer(g->bridge, sdp, err, sizeof(err));
		if (rc != 0)
			ponte_signal_error(conn, tx, rc == -EALREADY ? "bad_request" : "bad_sdp",
					   "%s", rc == -EALREADY ? "a call takes one offer" : err);
		return;
	}
	if (g->service == SVC_RELAY && g->is_offer_pending) {
		/* Glare (RFC 8829 §4.1.8.2): our offer is out; the browser, the polite side,
		 * rolls its own back and answers ours. */
		ponte_signal_error(conn, tx, "conflict", "an offer from the gateway is pending");
		return;
	}
	if (g->service == SVC_RELAY) {
		/* What the browser already receives stays in the sections we added for it. */
		struct sdp_local_stream pinned[2 * MAX_FWDS];
		unsigned nb = 0;

		for (unsigned i = 0; i < g->nb_fwds; i++) {
			const struct fwd *f = &g->fwds[i];

			if (!f->is_negotiated || f->sender == NULL)
				continue;
			pinned[nb++] = (struct sdp_local_stream){
				SDP_KIND_AUDIO, f->peer, "audio", f->ssrc[PONTE_SLOT_AUDIO], 0,
				f->mid[0]};
			pinned[nb++] = (struct sdp_local_stream){
				SDP_KIND_VIDEO, f->peer, "video", f->ssrc[PONTE_SLOT_VIDEO],
				f->ssrc[PONTE_SLOT_VIDEO_RTX], f->mid[1]};
		}
		rc = ponte_session_offer_with(g->s, sdp, pinned, nb, &answer, err, sizeof(err));
	} else {
		rc = ponte_session_offer(g->s, sdp, &answer, err, sizeof(err));
	}
	if (rc != 0) {
		log_info("gateway", "session=%s offer refused: %s", g->id, err);
		ponte_signal_error(conn, tx, "bad_sdp", "%s", err[0] ? err : g_strerror(-rc));
		return;
	}
	ponte_signal_send(conn, json_pack("{s:s, s:s, s:s}", "type", "answer", "session", g->id,
					  "sdp", answer),
			  tx);
	g_free(answer);
	/* A re-offer may bring new SSRCs or codecs: the room's flows follow. */
	if (g->service == SVC_RELAY && g->is_media_ready)
		relay_update(gw, g->room);
}

static void req_answer(struct ponte_gateway *gw, struct ponte_signal_conn *conn, json_t *msg,
		       json_t *tx)
{
	struct gw_session *g = find(gw, conn, msg, tx);
	const char *sdp = json_string_value(json_object_get(msg, "sdp"));
	char err[256] = "";

	if (g == NULL)
		return;
	if (sdp == NULL) {
		ponte_signal_error(conn, tx, "bad_request", "sdp: missing");
		return;
	}
	if (ponte_session_answer(g->s, sdp, err, sizeof(err)) != 0) {
		ponte_signal_error(conn, tx, "bad_sdp", "%s", err);
		return;
	}
	struct gw_session *fresh[MAX_FWDS];
	unsigned nb_fresh = 0;

	g->is_offer_pending = false;
	for (unsigned i = 0; i < g->nb_fwds; i++) {
		if (g->fwds[i].is_offered && !g->fwds[i].is_negotiated && g->fwds[i].sender != NULL)
			fresh[nb_fresh++] = g->fwds[i].sender;
		if (g->fwds[i].is_offered)
			g->fwds[i].is_negotiated = true;
		g->fwds[i].is_offered = false;
	}
	if (g->service != SVC_RELAY)
		return;
	/* Now its new sections can carry media; and what changed meanwhile gets offered. */
	relay_update(gw, g->room);
	/* A new receiver decodes nothing before a keyframe: ask each sender it now receives for
	 * one, after the flow that forwards to it is in place (commands keep their order). */
	for (unsigned i = 0; i < nb_fresh; i++)
		request_keyframe(fresh[i]);
}

static void req_candidate(struct ponte_gateway *gw, struct ponte_signal_conn *conn, json_t *msg,
			  json_t *tx)
{
	struct gw_session *g = find(gw, conn, msg, tx);
	json_t *c = json_object_get(msg, "candidate");
	int rc;

	if (g == NULL)
		return;
	if (c != NULL && !json_is_null(c) && !json_is_string(c)) {
		ponte_signal_error(conn, tx, "bad_request", "candidate: expected a string");
		return;
	}
	rc = ponte_session_candidate(g->s, json_string_value(c));
	/* mDNS names are expected (-ENOTSUP): the browser's checks reveal the address. */
	if (rc == -EINVAL)
		ponte_signal_error(conn, tx, "bad_request", "candidate: cannot parse it");
}

static void req_hangup(struct ponte_gateway *gw, struct ponte_signal_conn *conn, json_t *msg,
		       json_t *tx)
{
	struct gw_session *g = find(gw, conn, msg, tx);

	if (g != NULL)
		finish_status(g, "hangup", 0, NULL, tx);
}

static const struct {
	const char *type;
	void (*fn)(struct ponte_gateway *gw, struct ponte_signal_conn *conn, json_t *msg,
		   json_t *tx);
} requests[] = {
	{"attach", req_attach},
	{"offer", req_offer},
	{"answer", req_answer},
	{"candidate", req_candidate},
	{"hangup", req_hangup},
};

static bool on_request(void *ctx, struct ponte_signal_conn *conn, const char *type, json_t *msg,
		       json_t *tx)
{
	struct ponte_gateway *gw = ctx;

	/* A message to the phone of one of this connection's calls, in its dialog. */
	if (gw->calls != NULL && strcmp(type, "sip_message") == 0 &&
	    json_object_get(msg, "session") != NULL) {
		struct gw_session *g = find(gw, conn, msg, tx);

		if (g != NULL)
			gw_calls_call_message(gw->calls, conn, ponte_bridge_sip_call(g->bridge),
					      g->id, msg, tx);
		return true;
	}
	if (gw->calls != NULL && gw_calls_request(gw->calls, conn, type, msg, tx))
		return true;
	for (size_t i = 0; i < G_N_ELEMENTS(requests); i++) {
		if (strcmp(requests[i].type, type) == 0) {
			requests[i].fn(ctx, conn, msg, tx);
			return true;
		}
	}
	return false;
}

static void on_conn_gone(void *ctx, struct ponte_signal_conn *conn)
{
	struct ponte_gateway *gw = ctx;
	GHashTableIter it;
	gpointer v;

	if (gw->calls != NULL)
		gw_calls_conn_gone(gw->calls, conn);
	g_hash_table_iter_init(&it, gw->sessions);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		struct gw_session *g = v;

		if (g->conn == conn) {
			g->conn = NULL;
			finish(g, "closed");
		}
	}
}

static bool on_conn_busy(void *ctx, struct ponte_signal_conn *conn)
{
	struct ponte_gateway *gw = ctx;
	GHashTableIter it;
	gpointer v;

	g_hash_table_iter_init(&it, gw->sessions);
	while (g_hash_table_iter_next(&it, NULL, &v))
		if (((struct gw_session *)v)->conn == conn && !((struct gw_session *)v)->is_dead)
			return true;
	return false;
}

static const struct ponte_signal_services services = {
	.request = on_request,
	.conn_gone = on_conn_gone,
	.conn_busy = on_conn_busy,
};

/* Media timeout: a session whose flow saw nothing for webrtc.consent_timeout seconds (the
 * browser vanished, or stopped sending while consent still holds) is ended. */
static gboolean watchdog(gpointer data)
{
	struct ponte_gateway *gw = data;
	uint64_t limit = (uint64_t)gw->env.cfg->webrtc.consent_timeout * 1000000000ull;
	uint64_t now = (uint64_t)g_get_monotonic_time() * 1000ull;
	GHashTableIter it;
	gpointer v;

	g_hash_table_iter_init(&it, gw->sessions);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		struct gw_session *g = v;
		struct ponte_flow_stats st;

		struct ponte_flow_stats unused;

		if (g->is_dead)
			continue;
		/* A SIP call: the browser's side is the flow toward the phone. */
		if (g->bridge != NULL ? ponte_bridge_stats(g->bridge, &st, &unused) != 0
				      : !g->has_flow ||
						ponte_offload_stats(gw->env.dp, g->flow_id, &st) != 0)
			continue;
		if (st.last_in_ns == 0)
			continue;
		if (now > st.last_in_ns && now - st.last_in_ns > limit)
			finish(g, "media-timeout");
	}
	return G_SOURCE_CONTINUE;
}

int ponte_gateway_create(const struct ponte_session_env *env, struct ponte_signal *sig,
			 struct ponte_sip *sip, struct ponte_gateway **out)
{
	struct ponte_gateway *gw = g_new0(struct ponte_gateway, 1);

	gw->env = *env;
	gw->sig = sig;
	gw->sip = sip;
	gw->sessions = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, gw_session_free);
	gw->watchdog = g_timeout_add_seconds(1, watchdog, gw);
	if (sip != NULL)
		gw->calls = gw_calls_new(env->cfg, sig, sip);
	ponte_signal_set_services(sig, &services, gw);
	*out = gw;
	return 0;
}

void ponte_gateway_destroy(struct ponte_gateway *gw)
{
	if (gw == NULL)
		return;
	ponte_signal_set_services(gw->sig, NULL, NULL);
	g_source_remove(gw->watchdog);
	g_hash_table_destroy(gw->sessions);
	gw_calls_free(gw->calls);
	g_free(gw);
}

unsigned ponte_gateway_nb_sessions(const struct ponte_gateway *gw)
{
	return g_hash_table_size(gw->sessions);
}

void ponte_gateway_status(struct ponte_gateway *gw, json_t *obj)
{
	json_t *list = json_array();
	GHashTableIter it;
	gpointer v;

	g_hash_table_iter_init(&it, gw->sessions);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		struct gw_session *g = v;
		struct ponte_flow_stats st;
		json_t *e = json_pack("{s:s, s:s, s:b}", "session", g->id, "service",
				      service_names[g->service], "media", g->is_media_ready);
		struct ponte_flow_stats to_phone, from_phone;

		if (g->service == SVC_RELAY)
			json_object_set_new(e, "keyframe_requests",
					    json_integer((json_int_t)g->nb_keyframe_requests));
		if (g->bridge != NULL && ponte_bridge_stats(g->bridge, &to_phone, &from_phone) == 0)
			json_object_set_new(e, "sip",
					    json_pack("{s:I, s:I, s:I, s:I, s:I}", "to_phone",
						      (json_int_t)(to_phone.pkts_out -
								   to_phone.reports_out),
						      "from_phone", (json_int_t)from_phone.rtp_in,
						      "to_browser",
						      (json_int_t)(from_phone.pkts_out -
								   from_phone.reports_out),
						      /* the phone's new streams joined into one
						       * for the browser, and the browser's */
						      "phone_ssrc_switches",
						      (json_int_t)from_phone.ssrc_switches,
						      "browser_ssrc_switches",
						      (json_int_t)to_phone.ssrc_switches));

		if (g->has_flow && ponte_offload_stats(gw->env.dp, g->flow_id, &st) == 0)
			json_object_set_new(
				e, "flow",
				json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
					  "reports_out", (json_int_t)st.reports_out, "srs_out",
					  (json_int_t)st.srs_out, "rtp_in",
					  (json_int_t)st.rtp_in, "rtcp_in", (json_int_t)st.rtcp_in,
					  "pkts_out", (json_int_t)st.pkts_out, "drop_auth",
					  (json_int_t)st.drops[PONTE_DROP_AUTH], "drop_replay",
					  (json_int_t)st.drops[PONTE_DROP_REPLAY], "drop_malformed",
					  (json_int_t)st.drops[PONTE_DROP_MALFORMED], "drop_pt",
					  (json_int_t)st.drops[PONTE_DROP_PT], "drop_tx",
					  (json_int_t)st.drops[PONTE_DROP_TX]));
		json_array_append_new(list, e);
	}
	if (gw->calls != NULL)
		gw_calls_status(gw->calls, obj);
	if (gw->sip != NULL)
		ponte_sip_status(gw->sip, obj);
	json_object_set_new(obj, "gateway",
			    json_pack("{s:i, s:I, s:o}", "sessions",
				      (int)g_hash_table_size(gw->sessions), "ended",
				      (json_int_t)gw->nb_ended, "list", list));
}
