/* SPDX-License-Identifier: MIT */
#include "ice.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <agent.h>
#include <ponte/demux.h>

#include "config.h"
#include "log.h"
#include "mediaio.h"

#define COMPONENT 1 /* rtcp-mux: RTP and RTCP share component 1 */

struct ponte_ice {
	gint refs; /* the creator's, one per queued DTLS packet, one while recv is attached */
	NiceAgent *agent;
	guint stream;
	const struct ponte_ice_ops *ops;
	void *ctx;
	char *log_name;
	char *public_ip;
	bool announce_private;
	char *ufrag, *pwd;
	bool is_closed; /* main loop: destroy() was called */
	bool is_connected;
	NiceCandidate *selected_local, *selected_remote; /* copies, for change detection */

	/* Read by the media I/O thread. */
	GMutex sink_lock; /* protects dp, port_id and remote against a change of sink */
	struct ponte_dp *dp;
	uint32_t port_id;
	struct ponte_addr remote;
	uint64_t nb_media, nb_dtls, nb_other, nb_media_dropped; /* relaxed atomics */
};

static void ice_unref(struct ponte_ice *ice)
{
	if (!g_atomic_int_dec_and_test(&ice->refs))
		return;
	if (ice->agent != NULL)
		g_object_unref(ice->agent);
	if (ice->selected_local != NULL)
		nice_candidate_free(ice->selected_local);
	if (ice->selected_remote != NULL)
		nice_candidate_free(ice->selected_remote);
	g_mutex_clear(&ice->sink_lock);
	g_free(ice->log_name);
	g_free(ice->public_ip);
	g_free(ice->ufrag);
	g_free(ice->pwd);
	g_free(ice);
}

/* ---- media I/O thread ---- */

struct dtls_pkt {
	struct ponte_ice *ice;
	size_t len;
	uint8_t data[];
};

static gboolean dtls_on_main(gpointer data)
{
	struct dtls_pkt *d = data;

	if (!d->ice->is_closed && d->ice->ops->dtls != NULL)
		d->ice->ops->dtls(d->ice->ctx, d->data, d->len);
	ice_unref(d->ice);
	g_free(d);
	return G_SOURCE_REMOVE;
}

static void on_recv(NiceAgent *agent, guint stream, guint component, guint len, gchar *buf,
		    gpointer data)
{
	struct ponte_ice *ice = data;
	const uint8_t *pkt = (const uint8_t *)buf;

	/* Seen once under load, while sessions were torn down: no buffer behind a length. */
	if (pkt == NULL || len == 0)
		return;
	switch (ponte_demux_classify(pkt, len)) {
	case PONTE_PKT_RTP:
	case PONTE_PKT_RTCP: {
		int rc = -ENOTCONN;

		g_mutex_lock(&ice->sink_lock);
		if (ice->port_id != 0)
			rc = ponte_dp_input(ice->dp, ice->port_id, &ice->remote, pkt, len);
		g_mutex_unlock(&ice->sink_lock);
		__atomic_fetch_add(rc == 0 ? &ice->nb_media : &ice->nb_media_dropped, 1,
				   __ATOMIC_RELAXED);
		break;
	}
	case PONTE_PKT_DTLS: {
		struct dtls_pkt *d = g_malloc(sizeof(*d) + len);

		__atomic_fetch_add(&ice->nb_dtls, 1, __ATOMIC_RELAXED);
		g_atomic_int_inc(&ice->refs);
		d->ice = ice;
		d->len = len;
		memcpy(d->data, pkt, len);
		g_main_context_invoke(NULL, dtls_on_main, d);
		break;
	}
	default:
		/* STUN never gets here (libnice answers it); the rest is noise. */
		__atomic_fetch_add(&ice->nb_other, 1, __ATOMIC_RELAXED);
		break;
	}
}

/* ---- main loop: libnice signals ---- */

/*
 * libnice emits its signals on whichever thread handled what caused them. With the receive
 * callback attached to the media I/O thread's context, the sockets' sources live there, so the
 * peer's checks and nomination (USE-CANDIDATE), and STUN/TURN servers' replies, are processed
 * there too: "connected", the selected pair and server-reflexive candidates used to reach the
 * owner on that thread, racing the main loop (a session then made two DTLS objects, and one,
 * orphaned, outlived its session). Every signal is therefore handed to the main loop; on the
 * main loop it runs at once, as before. Events keep their order (one queue, FIFO).
 */
enum ev_kind {
	EV_CANDIDATE, /* line */
	EV_GATHERED,
	EV_STATE, /* state: a NiceComponentState */
	EV_PAIR,
};

struct ice_ev {
	struct ponte_ice *ice; /* a reference */
	enum ev_kind kind;
	guint state;
	char *line;
};

static gchar *candidate_line(struct ponte_ice *ice, NiceCandidate *c)
{
	gchar *sdp = nice_agent_generate_local_candidate_sdp(ice->agent, c);
	gchar *line;

	if (sdp == NULL)
		return NULL;
	line = g_strdup(g_str_has_prefix(sdp, "a=") ? sdp + 2 : sdp);
	g_free(sdp);
	return line;
}

static bool same_candidate(const NiceCandidate *a, const NiceCandidate *b)
{
	return a != NULL && b != NULL && nice_address_equal(&a->addr, &b->addr) &&
	       a->type == b->type;
}

/* Tell the owner about a (new) selected pair. */
static void check_selected(struct ponte_ice *ice)
{
	NiceCandidate *local = NULL, *remote = NULL;

	if (!nice_agent_get_selected_pair(ice->agent, ice->stream, COMPONENT, &local, &remote))
		return;
	if (ice->is_connected && same_candidate(local, ice->selected_local) &&
	    same_candidate(remote, ice->selected_remote))
		return;
	if (ice->selected_local != NULL)
		nice_candidate_free(ice->selected_local);
	if (ice->selected_remote != NULL)
		nice_candidate_free(ice->selected_remote);
	ice->selected_local = nice_candidate_copy(local);
	ice->selected_remote = nice_candidate_copy(remote);
	ice->is_connected = true;
	{
		gchar l[NICE_ADDRESS_STRING_LEN], r[NICE_ADDRESS_STRING_LEN];

		nice_address_to_string(&local->addr, l);
		nice_address_to_string(&remote->addr, r);
		log_info("ice", "%s selected pair %s:%u <-> %s:%u", ice->log_name, l,
			 nice_address_get_port(&local->addr), r, nice_address_get_port(&remote->addr));
	}
	ice->ops->state(ice->ctx, PONTE_ICE_CONNECTED);
}

static gboolean ev_on_main(gpointer data)
{
	struct ice_ev *ev = data;
	struct ponte_ice *ice = ev->ice;

	if (ice->is_closed)
		goto out;
	switch (ev->kind) {
	case EV_CANDIDATE:
		ice->ops->candidate(ice->ctx, ev->line);
		break;
	case EV_GATHERED:
		ice->ops->candidate(ice->ctx, NULL);
		break;
	case EV_STATE:
		log_debug("ice", "%s state %s", ice->log_name,
			  nice_component_state_to_string(ev->state));
		if (ev->state == NICE_COMPONENT_STATE_CONNECTED ||
		    ev->state == NICE_COMPONENT_STATE_READY) {
			check_selected(ice);
		} else if (ev->state == NICE_COMPONENT_STATE_FAILED) {
			log_info("ice", "%s failed (checks or consent)", ice->log_name);
			ice->is_connected = false;
			ice->ops->state(ice->ctx, PONTE_ICE_FAILED);
		}
		break;
	case EV_PAIR:
		/* A pair change after connection (renomination, network change) moves the
		 * media. */
		if (ice->is_connected)
			check_selected(ice);
		break;
	}
out:
	ice_unref(ice);
	g_free(ev->line);
	g_free(ev);
	return G_SOURCE_REMOVE;
}

/* Any thread: run the event on the main loop (at once when this is the main loop). Takes
 * line. */
static void to_main(struct ponte_ice *ice, enum ev_kind kind, guint state, char *line)
{
	struct ice_ev *ev = g_new(struct ice_ev, 1);

	g_atomic_int_inc(&ice->refs);
	ev->ice = ice;
	ev->kind = kind;
	ev->state = state;
	ev->line = line;
	g_main_context_invoke(NULL, ev_on_main, ev);
}

static void on_new_candidate(NiceAgent *agent, NiceCandidate *c, gpointer data)
{
	struct ponte_ice *ice = data;
	gchar *line;

	if (c->stream_id != ice->stream)
		return;
	if (ice->public_ip != NULL && c->type == NICE_CANDIDATE_TYPE_HOST) {
		/* 1:1 NAT: announce the public address with our port; packets to it reach this
		 * socket through the NAT, and libnice matches them by socket. */
		NiceCandidate *pub = nice_candidate_copy(c);
		guint port = nice_address_get_port(&c->addr);

		if (nice_address_set_from_string(&pub->addr, ice->public_ip)) {
			nice_address_set_port(&pub->addr, port);
			/* A host candidate has no related address: with base = addr libnice writes
			 * no raddr, which would give the private address away. */
			pub->base_addr = pub->addr;
			line = candidate_line(ice, pub);
			if (line != NULL)
				to_main(ice, EV_CANDIDATE, 0, line);
		}
		nice_candidate_free(pub);
		if (!ice->announce_private)
			return;
	}
	line = candidate_line(ice, c);
	if (line != NULL) {
		log_debug("ice", "%s local %s", ice->log_name, line);
		to_main(ice, EV_CANDIDATE, 0, line);
	}
}

static void on_gathering_done(NiceAgent *agent, guint stream, gpointer data)
{
	struct ponte_ice *ice = data;

	if (stream == ice->stream)
		to_main(ice, EV_GATHERED, 0, NULL);
}

static void on_state(NiceAgent *agent, guint stream, guint component, guint state, gpointer data)
{
	struct ponte_ice *ice = data;

	if (stream == ice->stream)
		to_main(ice, EV_STATE, state, NULL);
}

static void on_selected_pair(NiceAgent *agent, guint stream, guint component,
			     NiceCandidate *local, NiceCandidate *remote, gpointer data)
{
	struct ponte_ice *ice = data;

	if (stream == ice->stream)
		to_main(ice, EV_PAIR, 0, NULL);
}

/* ---- API ---- */

static NiceRelayType relay_type(int transport)
{
	switch (transport) {
	case PONTE_TURN_TCP:
		return NICE_RELAY_TYPE_TURN_TCP;
	case PONTE_TURN_TLS:
		return NICE_RELAY_TYPE_TURN_TLS;
	default:
		return NICE_RELAY_TYPE_TURN_UDP;
	}
}

int ponte_ice_create(const struct ponte_ice_params *p, const struct ponte_ice_ops *ops, void *ctx,
		     struct ponte_ice **out)
{
	struct ponte_ice *ice = g_new0(struct ponte_ice, 1);
	GMainContext *io = ponte_mediaio_context();
	int rc = -EINVAL;

	ice->refs = 1;
	ice->ops = ops;
	ice->ctx = ctx;
	ice->log_name = g_strdup(p->log_name ? p->log_name : "ice");
	ice->public_ip = p->public_ip && p->public_ip[0] ? g_strdup(p->public_ip) : NULL;
	ice->announce_private = p->announce_private;
	g_mutex_init(&ice->sink_lock);
	/* RFC 8445 full ICE with trickle (RFC 8838) and consent freshness (RFC 7675). Regular
	 * nomination when we control (RFC 8445 §8.1.1); as controlled we follow the peer. */
	ice->agent = nice_agent_new_full(g_main_context_default(), NICE_COMPATIBILITY_RFC5245,
					 NICE_AGENT_OPTION_ICE_TRICKLE |
						 NICE_AGENT_OPTION_CONSENT_FRESHNESS |
						 (p->is_controlling
							  ? NICE_AGENT_OPTION_REGULAR_NOMINATION
							  : 0));
	g_object_set(ice->agent, "controlling-mode", p->is_controlling, "ice-tcp", FALSE,
		     "upnp", FALSE, NULL);
	if (p->stun_server != NULL && p->stun_server[0])
		g_object_set(ice->agent, "stun-server", p->stun_server, "stun-server-port",
			     (guint)p->stun_port, NULL);
	if (p->relay_only)
		g_object_set(ice->agent, "force-relay", TRUE, NULL);
	for (size_t i = 0; p->addresses != NULL && p->addresses[i] != NULL; i++) {
		NiceAddress a;

		if (!nice_address_set_from_string(&a, p->addresses[i])) {
			log_error("ice", "%s: '%s' is not an address", ice->log_name,
				  p->addresses[i]);
			goto fail;
		}
		nice_agent_add_local_address(ice->agent, &a);
	}
	ice->stream = nice_agent_add_stream(ice->agent, 1);
	if (ice->stream == 0)
		goto fail;
	if (p->port_min != 0)
		nice_agent_set_port_range(ice->agent, ice->stream, COMPONENT, p->port_min,
					  p->port_max);
	if (p->turn_server != NULL && p->turn_server[0] &&
	    !nice_agent_set_relay_info(ice->agent, ice->stream, COMPONENT, p->turn_server,
				       p->turn_port, p->turn_username ? p->turn_username : "",
				       p->turn_password ? p->turn_password : "",
				       relay_type(p->turn_transport))) {
		log_error("ice", "%s: TURN server '%s' refused by libnice", ice->log_name,
			  p->turn_server);
		goto fail;
	}
	if (!nice_agent_get_local_credentials(ice->agent, ice->stream, &ice->ufrag, &ice->pwd))
		goto fail;
	g_signal_connect(ice->agent, "new-candidate-full", G_CALLBACK(on_new_candidate), ice);
	g_signal_connect(ice->agent, "candidate-gathering-done", G_CALLBACK(on_gathering_done),
			 ice);
	g_signal_connect(ice->agent, "component-state-changed", G_CALLBACK(on_state), ice);
	g_signal_connect(ice->agent, "new-selected-pair-full", G_CALLBACK(on_selected_pair), ice);
	g_atomic_int_inc(&ice->refs); /* held by the recv attachment */
	nice_agent_attach_recv(ice->agent, ice->stream, COMPONENT, io, on_recv, ice);
	*out = ice;
	return 0;
fail:
	ice_unref(ice);
	return rc;
}

static gboolean release_on_main(gpointer data)
{
	ice_unref(data);
	return G_SOURCE_REMOVE;
}

/* On the I/O thread: once this runs, no on_recv for this agent is running or will run. */
static gboolean io_barrier(gpointer data)
{
	g_main_context_invoke(NULL, release_on_main, data);
	return G_SOURCE_REMOVE;
}

void ponte_ice_destroy(struct ponte_ice *ice)
{
	GMainContext *io = ponte_mediaio_context();

	if (ice == NULL)
		return;
	ice->is_closed = true;
	g_signal_handlers_disconnect_by_data(ice->agent, ice);
	nice_agent_attach_recv(ice->agent, ice->stream, COMPONENT, io, NULL, NULL);
	nice_agent_remove_stream(ice->agent, ice->stream);
	/* The recv attachment's reference is dropped only after the I/O thread has passed a
	 * point where no callback of ours can still be running there. */
	if (io != NULL)
		g_main_context_invoke(io, io_barrier, ice);
	else
		g_idle_add(release_on_main, ice);
	ice_unref(ice);
}

const char *ponte_ice_ufrag(const struct ponte_ice *ice)
{
	return ice->ufrag;
}

const char *ponte_ice_pwd(const struct ponte_ice *ice)
{
	return ice->pwd;
}

int ponte_ice_gather(struct ponte_ice *ice)
{
	return nice_agent_gather_candidates(ice->agent, ice->stream) ? 0 : -EIO;
}

int ponte_ice_set_remote_credentials(struct ponte_ice *ice, const char *ufrag, const char *pwd)
{
	return nice_agent_set_remote_credentials(ice->agent, ice->stream, ufrag, pwd) ? 0
										       : -EINVAL;
}

int ponte_ice_add_remote_candidate(struct ponte_ice *ice, const char *candidate)
{
	gchar *line = g_str_has_prefix(candidate, "a=") ? g_strdup(candidate)
							 : g_strconcat("a=", candidate, NULL);
	NiceCandidate *c = nice_agent_parse_remote_candidate_sdp(ice->agent, ice->stream, line);
	GSList *list;
	int rc = 0;

	if (c == NULL) {
		/* Browsers hide host addresses behind mDNS names; we do not resolve them, and
		 * the peer's connectivity checks teach us its address (peer reflexive). */
		rc = strstr(line, ".local ") != NULL ? -ENOTSUP : -EINVAL;
		g_free(line);
		return rc;
	}
	g_free(line);
	if (c->transport != NICE_CANDIDATE_TRANSPORT_UDP) {
		nice_candidate_free(c);
		return -ENOTSUP;
	}
	c->component_id = COMPONENT;
	list = g_slist_append(NULL, c);
	if (nice_agent_set_remote_candidates(ice->agent, ice->stream, COMPONENT, list) < 0)
		rc = -EINVAL;
	g_slist_free_full(list, (GDestroyNotify)nice_candidate_free);
	return rc;
}

void ponte_ice_remote_gathering_done(struct ponte_ice *ice)
{
	nice_agent_peer_candidate_gathering_done(ice->agent, ice->stream);
}

int ponte_ice_restart(struct ponte_ice *ice)
{
	if (!nice_agent_restart_stream(ice->agent, ice->stream))
		return -EIO;
	g_free(ice->ufrag);
	g_free(ice->pwd);
	ice->ufrag = ice->pwd = NULL;
	if (!nice_agent_get_local_credentials(ice->agent, ice->stream, &ice->ufrag, &ice->pwd))
		return -EIO;
	return 0;
}

int ponte_ice_send(struct ponte_ice *ice, const uint8_t *pkt, size_t len)
{
	gint n = nice_agent_send(ice->agent, ice->stream, COMPONENT, (guint)len,
				 (const gchar *)pkt);

	return n == (gint)len ? 0 : -EAGAIN;
}

int ponte_ice_relay_send(void *ice, const uint8_t *pkt, size_t len)
{
	return ponte_ice_send(ice, pkt, len);
}

static void nice_to_addr(const NiceAddress *n, struct ponte_addr *a)
{
	gchar s[NICE_ADDRESS_STRING_LEN];

	nice_address_to_string(n, s);
	ponte_addr_parse(a, s, (uint16_t)nice_address_get_port(n));
}

int ponte_ice_selected(struct ponte_ice *ice, int *fd, struct ponte_addr *remote,
		       struct ponte_addr *local)
{
	NiceCandidate *l = NULL, *r = NULL;
	GSocket *sock;

	if (!nice_agent_get_selected_pair(ice->agent, ice->stream, COMPONENT, &l, &r))
		return -ENOTCONN;
	if (l->type == NICE_CANDIDATE_TYPE_RELAYED) {
		/* libnice wraps what we send in TURN framing: the dataplane cannot send raw. */
		*fd = -1;
		nice_to_addr(&r->addr, remote);
		nice_to_addr(&l->addr, local);
		return 0;
	}
	sock = nice_agent_get_selected_socket(ice->agent, ice->stream, COMPONENT);
	if (sock == NULL)
		return -ENOTSUP;
	*fd = fcntl(g_socket_get_fd(sock), F_DUPFD_CLOEXEC, 3);
	g_object_unref(sock);
	if (*fd < 0)
		return -errno;
	nice_to_addr(&r->addr, remote);
	nice_to_addr(&l->base_addr, local);
	return 0;
}

void ponte_ice_set_media_sink(struct ponte_ice *ice, struct ponte_dp *dp, uint32_t port_id)
{
	struct ponte_addr remote = {0};

	if (ice->selected_remote != NULL)
		nice_to_addr(&ice->selected_remote->addr, &remote);
	g_mutex_lock(&ice->sink_lock);
	ice->dp = dp;
	ice->port_id = port_id;
	ice->remote = remote;
	g_mutex_unlock(&ice->sink_lock);
}

void ponte_ice_get_stats(const struct ponte_ice *ice, struct ponte_ice_stats *st)
{
	st->media = __atomic_load_n(&ice->nb_media, __ATOMIC_RELAXED);
	st->dtls = __atomic_load_n(&ice->nb_dtls, __ATOMIC_RELAXED);
	st->other = __atomic_load_n(&ice->nb_other, __ATOMIC_RELAXED);
	st->media_dropped = __atomic_load_n(&ice->nb_media_dropped, __ATOMIC_RELAXED);
}
