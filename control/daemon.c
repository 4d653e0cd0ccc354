/* SPDX-License-Identifier: MIT */
#include "daemon.h"

#include <errno.h>
#include <signal.h>

#include <gio/gio.h>
#include <glib-unix.h>

#include "dtls.h"
#include "gateway.h"
#include "http.h"
#include "mediaio.h"
#include "punts.h"
#include "sctp.h"
#include "sip.h"
#include "ponte-configs.h"
#include "log.h"
#include "signaling.h"
#include "ponte_build.h"

struct daemon {
	GMainLoop *loop;
	struct ponte_signal *sig;
	struct ponte_http *http;
	struct ponte_dp *dp;
	struct ponte_dtls_cert *cert;
	struct ponte_gateway *gw;
	struct ponte_sip *sip;
	int nb_stops;
};

/* The media side: dataplane, media I/O thread, DTLS certificate, gateway services. */
/* "1.2.3.4:5" or "[::1]:5": the host part is an IP literal. */
static bool is_ip_host(const char *host_port)
{
	const char *colon = strrchr(host_port, ':');
	g_autofree char *host = NULL;

	if (colon == NULL)
		return false;
	if (host_port[0] == '[')
		host = g_strndup(host_port + 1, (size_t)(colon - host_port) - 2);
	else
		host = g_strndup(host_port, (size_t)(colon - host_port));
	return g_hostname_is_ip_address(host);
}

/* What the dataplane has to say (a DPDK configuration error naming its key, DPDK's log). */
static void dp_log(void *ctx, int level, const char *msg)
{
	(void)ctx;
	ponte_log(level, "dataplane", "%s", msg);
}

static int start_media(struct daemon *d, const struct ponte_config *cfg)
{
	struct ponte_dp_dpdk_port dpdk_ports[8];
	struct ponte_dp_dpdk_config dpdk = {
		.lcores = cfg->dpdk.lcores,
		.memory_mb = (uint32_t)cfg->dpdk.memory,
		.is_no_huge = cfg->dpdk.no_huge,
		.file_prefix = cfg->dpdk.file_prefix,
		.ports = dpdk_ports,
		.nb_ports = (unsigned)MIN(cfg->dpdk.nb_ports, G_N_ELEMENTS(dpdk_ports)),
		.mempool_size = (uint32_t)cfg->dpdk.mempool_size,
		.exception_device = cfg->dpdk.exception_device,
		.exception_tap = cfg->dpdk.exception_tap,
		.exception_addresses = (const char *const *)cfg->dpdk.exception_addresses,
		.is_idle_poll = cfg->dpdk.idle == PONTE_DPDK_IDLE_POLL,
		.is_idle_interrupt = cfg->dpdk.idle == PONTE_DPDK_IDLE_INTERRUPT,
		.idle_sleep_us = (uint32_t)cfg->dpdk.idle_sleep_us,
	};
	struct ponte_dp_config dc = {
		.backend = ponte_config_enum_name("dataplane.backend", cfg->dataplane.backend),
		.srtp_engine = ponte_config_enum_name("dataplane.srtp_engine",
						      cfg->dataplane.srtp_engine),
		.max_flows = (uint32_t)cfg->dataplane.max_flows,
		.input_queue = (uint32_t)cfg->dataplane.input_queue,
		.dpdk = &dpdk,
		.log = dp_log,
	};
	struct ponte_session_env env;
	int owned_min, owned_max, rc;

	if (ponte_config_owned_ports(cfg, &owned_min, &owned_max)) {
		dpdk.owned_port_min = (uint16_t)owned_min;
		dpdk.owned_port_max = (uint16_t)owned_max;
	}
	for (unsigned i = 0; i < dpdk.nb_ports; i++)
		dpdk_ports[i] = (struct ponte_dp_dpdk_port){
			.device = cfg->dpdk.ports[i].device,
			.rx_queues = (uint16_t)cfg->dpdk.ports[i].rx_queues,
			.rx_desc = (uint16_t)cfg->dpdk.ports[i].rx_descriptors,
			.tx_desc = (uint16_t)cfg->dpdk.ports[i].tx_descriptors,
			.vlan = (uint16_t)cfg->dpdk.ports[i].vlan,
			.mtu = (uint16_t)cfg->dpdk.ports[i].mtu,
			.exception_device = cfg->dpdk.ports[i].exception_device,
			.exception_tap = cfg->dpdk.ports[i].exception_tap,
			.exception_addresses =
			    (const char *const *)cfg->dpdk.ports[i].exception_addresses,
		};
	if (!ponte_dp_has_backend(dc.backend)) {
		log_error("daemon", "dataplane.backend: %s is not built in this version%s",
			  dc.backend,
			  cfg->dataplane.backend == PONTE_DP_DPDK
				  ? " (build with libdpdk-dev installed, meson -Ddpdk=enabled)"
				  : "");
		return -ENOTSUP;
	}
	if (!ponte_dp_has_srtp_engine(dc.srtp_engine)) {
		log_error("daemon", "dataplane.srtp_engine: %s is not built in this version (build "
			  "with libipsec-mb-dev installed, meson -Dipsec_mb=enabled)", dc.srtp_engine);
		return -ENOTSUP;
	}
	if (cfg->webrtc.turn_server[0] != '\0' && !is_ip_host(cfg->webrtc.turn_server)) {
		log_error("daemon", "webrtc.turn_server: '%s' must be an IP address and port "
			  "(libnice does not resolve TURN server names)", cfg->webrtc.turn_server);
		return -EINVAL;
	}
	if (cfg->webrtc.relay_only && cfg->webrtc.turn_server[0] == '\0') {
		log_error("daemon", "webrtc.relay_only: needs webrtc.turn_server");
		return -EINVAL;
	}
	rc = ponte_dp_create(&dc, &d->dp);
	if (rc != 0) {
		log_error("daemon", "dataplane: %s", g_strerror(-rc));
		return rc;
	}
	log_info("daemon", "dataplane: %s backend, SRTP engine %s", ponte_dp_backend_name(d->dp),
		 ponte_dp_srtp_engine_name(d->dp));
	ponte_punts_start(d->dp);
	rc = ponte_mediaio_start();
	if (rc != 0)
		return rc;
	if (cfg->webrtc.dtls_cert[0] != '\0') {
		char *why = NULL;

		rc = ponte_dtls_cert_load(cfg->webrtc.dtls_cert,
					  cfg->webrtc.dtls_key[0] ? cfg->webrtc.dtls_key : NULL,
					  &d->cert, &why);
		if (rc != 0)
			log_error("daemon", "webrtc.dtls_cert: %s", why ? why : g_strerror(-rc));
		g_free(why);
	} else {
		rc = ponte_dtls_cert_generate(&d->cert);
		if (rc != 0)
			log_error("daemon", "DTLS certificate: %s", g_strerror(-rc));
	}
	if (rc != 0)
		return rc;
	if (cfg->sip.enabled) {
		char *why = NULL;

		rc = ponte_sip_create(cfg, &d->sip, &why);
		if (rc != 0) {
			log_error("daemon", "sip: %s", why != NULL ? why : g_strerror(-rc));
			g_free(why);
			return rc;
		}
		log_info("daemon", "SIP at %s", ponte_sip_contact(d->sip));
	}
	env = (struct ponte_session_env){.cfg = cfg, .dp = d->dp, .cert = d->cert};
	return ponte_gateway_create(&env, d->sig, d->sip, &d->gw);
}

static gboolean quit_loop(gpointer loop)
{
	g_main_loop_quit(loop);
	return G_SOURCE_REMOVE;
}

static gboolean on_stop(gpointer user)
{
	struct daemon *d = user;

	/* The first signal closes connections politely; a second one stops at once. */
	if (d->nb_stops++ == 0) {
		log_info("daemon", "shutting down");
		ponte_signal_close_all(d->sig);
		g_timeout_add(300, quit_loop, d->loop);
	} else {
		g_main_loop_quit(d->loop);
	}
	return G_SOURCE_CONTINUE;
}

/* The forwarding lcores' counters (DPDK backend), under dataplane.lcores. */
static void media_lcores_status(struct daemon *d, json_t *dp)
{
	static const char *const drop_names[PONTE_DP_DROP_NB] = {
		[PONTE_DP_DROP_TRUNCATED] = "truncated",
		[PONTE_DP_DROP_BAD_VERSION] = "bad_version",
		[PONTE_DP_DROP_BAD_LENGTH] = "bad_length",
		[PONTE_DP_DROP_BAD_CHECKSUM] = "bad_checksum",
		[PONTE_DP_DROP_NO_MBUF] = "no_mbuf",
		[PONTE_DP_DROP_TX_FULL] = "tx_full",
		[PONTE_DP_DROP_EXC_FULL] = "exception_full",
		[PONTE_DP_DROP_HANDOFF_FULL] = "handoff_full",
		[PONTE_DP_DROP_WRONG_VLAN] = "wrong_vlan",
		[PONTE_DP_DROP_BAD_UDP_CHECKSUM] = "bad_udp_checksum",
	};
	struct ponte_dp_lcore_stats st;
	json_t *arr = json_array();

	for (unsigned i = 0; ponte_dp_lcore_stats(d->dp, i, &st) == 0; i++) {
		json_t *drops = json_object();
		const struct {
			const char *name;
			uint64_t value;
		} fields[] = {
			{"rx_pkts", st.rx_pkts},
			{"rx_bytes", st.rx_bytes},
			{"tx_pkts", st.tx_pkts},
			{"tx_bytes", st.tx_bytes},
			{"fast_pkts", st.fast_pkts},
			{"no_flow", st.no_flow},
			{"input_pkts", st.input_pkts},
			{"to_kernel", st.to_kernel},
			{"from_kernel", st.from_kernel},
			{"ip_options", st.ip_options},
			{"fragments", st.fragments},
			{"punted", st.punted},
			{"punt_drops", st.punt_drops},
			{"srtp_auth_fail", st.srtp_auth_fail},
			{"srtp_replay", st.srtp_replay},
			{"handoffs", st.handoffs},
			{"tx_via_kernel", st.tx_via_kernel},
			{"idle_sleeps", st.idle_sleeps},
			{"owned_port_drops", st.owned_port_drops},
			{"udp_cksum_partial", st.udp_cksum_partial},
		};
		json_t *o = json_pack("{s:i, s:i}", "lcore", (int)st.lcore_id, "flows",
				      (int)st.nb_flows);

		for (size_t k = 0; k < G_N_ELEMENTS(fields); k++)
			json_object_set_new(o, fields[k].name,
					    json_integer((json_int_t)fields[k].value));
		for (size_t k = 0; k < PONTE_DP_DROP_NB; k++)
			json_object_set_new(drops, drop_names[k],
					    json_integer((json_int_t)st.drops[k]));
		json_object_set_new(o, "drops", drops);
		json_array_append_new(arr, o);
	}
	if (dp != NULL && json_array_size(arr) > 0)
		json_object_set_new(dp, "lcores", arr);
	else
		json_decref(arr);
}

/* Each NIC's counters as its driver keeps them (DPDK backend), under dataplane.nics: which NIC
 * a call's legs crossed, and how much of it went to the kernel. A logical NIC (a VLAN of a
 * device that has several) has the device's driver counters and its own lcore_* ones. */
static void media_nics_status(struct daemon *d, json_t *dp)
{
	struct ponte_dp_nic_stats st;
	json_t *arr = json_array();

	for (unsigned i = 0; ponte_dp_nic_stats(d->dp, i, &st) == 0; i++) {
		json_t *o = json_pack("{s:i, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
				      "nic", (int)i, "device", st.device, "rx_pkts",
				      (json_int_t)st.rx_pkts, "rx_bytes", (json_int_t)st.rx_bytes,
				      "tx_pkts", (json_int_t)st.tx_pkts, "tx_bytes",
				      (json_int_t)st.tx_bytes, "rx_missed", (json_int_t)st.rx_missed,
				      "rx_errors", (json_int_t)st.rx_errors, "tx_errors",
				      (json_int_t)st.tx_errors, "to_kernel", (json_int_t)st.to_kernel,
				      "from_kernel", (json_int_t)st.from_kernel);

		/* A VLAN of a device that has several: its own counts beside the device's. */
		json_object_set_new(o, "vlan", json_integer(st.vlan));
		json_object_set_new(o, "eth_nic", json_integer(st.eth_nic));
		json_object_set_new(o, "lcore_rx_pkts", json_integer((json_int_t)st.lcore_rx_pkts));
		json_object_set_new(o, "lcore_rx_bytes",
				    json_integer((json_int_t)st.lcore_rx_bytes));
		json_object_set_new(o, "lcore_tx_pkts", json_integer((json_int_t)st.lcore_tx_pkts));
		json_object_set_new(o, "lcore_tx_bytes",
				    json_integer((json_int_t)st.lcore_tx_bytes));
		json_array_append_new(arr, o);
	}
	if (dp != NULL && json_array_size(arr) > 0)
		json_object_set_new(dp, "nics", arr);
	else
		json_decref(arr);
}

static void media_status(void *ctx, json_t *obj)
{
	struct daemon *d = ctx;
	struct ponte_dp_stats st;

	ponte_dp_get_stats(d->dp, &st);
	json_object_set_new(obj, "dataplane",
			    json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:i, s:i, s:I, s:I, "
				      "s:I}",
				      "backend",
				      ponte_dp_backend_name(d->dp), "rx_pkts", (json_int_t)st.rx_pkts,
				      "tx_pkts", (json_int_t)st.tx_pkts, "tx_errors",
				      (json_int_t)st.tx_errors, "no_flow", (json_int_t)st.no_flow,
				      "punted", (json_int_t)st.punted, "punt_drops",
				      (json_int_t)st.punt_drops, "input_drops",
				      (json_int_t)st.input_drops, "flows", (int)st.nb_flows, "ports",
				      (int)st.nb_ports, "steer_rules", (json_int_t)st.steer_rules,
				      "steer_failed", (json_int_t)st.steer_failed, "flow_moves",
				      (json_int_t)st.flow_moves));
	media_lcores_status(d, json_object_get(obj, "dataplane"));
	media_nics_status(d, json_object_get(obj, "dataplane"));
	ponte_gateway_status(d->gw, obj);
}

static gboolean on_tick(gpointer user)
{
	struct daemon *d = user;

	ponte_signal_tick(d->sig);
	return G_SOURCE_CONTINUE;
}

int ponte_daemon_run(const struct ponte_config *cfg)
{
	struct daemon d = {0};
	char *why = NULL;
	guint src[3];
	int rc;

	/* A peer closing mid-write must be an error return, not a dead process. */
	signal(SIGPIPE, SIG_IGN);
	d.loop = g_main_loop_new(NULL, FALSE);
	rc = ponte_signal_create(cfg, &d.sig);
	if (rc != 0)
		goto out;
	rc = start_media(&d, cfg);
	if (rc != 0)
		goto out;
	rc = ponte_http_create(cfg, d.sig, &d.http, &why);
	if (rc != 0) {
		log_error("daemon", "%s", why);
		g_free(why);
		goto out;
	}
	ponte_http_add_status(d.http, media_status, &d);
	log_info("daemon", "ponte %s config=%s dataplane=%s srtp=%s", PONTE_VERSION, cfg->source,
		 ponte_config_enum_name("dataplane.backend", cfg->dataplane.backend),
		 ponte_dp_srtp_engine_name(d.dp));
	log_info("daemon", "listening: open %s", ponte_http_url(d.http));
	src[0] = g_unix_signal_add(SIGINT, on_stop, &d);
	src[1] = g_unix_signal_add(SIGTERM, on_stop, &d);
	src[2] = g_timeout_add_seconds(1, on_tick, &d);
	g_main_loop_run(d.loop);
	for (size_t i = 0; i < G_N_ELEMENTS(src); i++)
		g_source_remove(src[i]);
	log_info("daemon", "stopped");
out:
	ponte_http_destroy(d.http);
	ponte_gateway_destroy(d.gw);
	ponte_sip_destroy(d.sip);
	/* usrsctp cannot start again once stopped: only at the very end. */
	ponte_sctp_shutdown();
	ponte_signal_destroy(d.sig);
	ponte_mediaio_stop();
	ponte_punts_stop();
	ponte_dp_destroy(d.dp);
	if (d.cert != NULL)
		ponte_dtls_cert_unref(d.cert);
	g_main_loop_unref(d.loop);
	return rc;
}

const char *ponte_daemon_default_config(size_t *len)
{
	/* Looked up through the resource's own getter, which also keeps its object file in the
	 * link: a static library drops unreferenced members, constructors and all. */
	GBytes *b = g_resource_lookup_data(ponte_configs_get_resource(), "/ponte/configs/ponte.yaml",
					   G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
	gsize size;
	const char *text;

	/* The resource lives in the binary's data section: the bytes outlive the GBytes. */
	g_assert(b != NULL);
	text = g_bytes_get_data(b, &size);
	g_bytes_unref(b);
	*len = size;
	return text;
}
