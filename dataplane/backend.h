/* SPDX-License-Identifier: MIT */
/* What a dataplane backend implements: the functions of include/ponte/dataplane.h. */
#ifndef PONTE_DP_BACKEND_H
#define PONTE_DP_BACKEND_H

#include <ponte/dataplane.h>

struct dp_srtp_engine;

struct dp_backend_ops {
	const char *name;
	int (*create)(const struct ponte_dp_config *cfg, const struct dp_srtp_engine *srtp,
		      struct ponte_dp **out);
	void (*destroy)(struct ponte_dp *dp);
	int (*port_attach)(struct ponte_dp *dp, int fd, uint32_t *port_id);
	int (*port_attach_fn)(struct ponte_dp *dp, ponte_dp_tx_fn fn, void *ctx,
			      uint32_t *port_id);
	int (*port_open)(struct ponte_dp *dp, struct ponte_addr *local, uint16_t port_min,
			 uint16_t port_max, uint32_t *port_id);
	int (*port_close)(struct ponte_dp *dp, uint32_t port_id);
	int (*flow_add)(struct ponte_dp *dp, const struct ponte_flow_spec *spec);
	int (*flow_modify)(struct ponte_dp *dp, const struct ponte_flow_spec *spec);
	int (*flow_delete)(struct ponte_dp *dp, uint64_t id);
	int (*flow_stats)(struct ponte_dp *dp, uint64_t id, struct ponte_flow_stats *out);
	int (*flow_inject)(struct ponte_dp *dp, uint64_t id, unsigned output, const uint8_t *pkt,
			   size_t len);
	int (*input)(struct ponte_dp *dp, uint32_t port_id, const struct ponte_addr *src,
		     const uint8_t *pkt, size_t len);
	int (*send)(struct ponte_dp *dp, uint32_t port_id, const struct ponte_addr *dst,
		    const uint8_t *pkt, size_t len);
	int (*punt_fd)(const struct ponte_dp *dp);
	int (*punt_read)(struct ponte_dp *dp, struct ponte_dp_punt *out);
	int (*sync)(struct ponte_dp *dp);
	void (*get_stats)(struct ponte_dp *dp, struct ponte_dp_stats *out);
	/* NULL for a backend without forwarding lcores. */
	int (*lcore_stats)(struct ponte_dp *dp, unsigned i, struct ponte_dp_lcore_stats *out);
	/* NULL for a backend without NICs of its own. */
	int (*nic_stats)(struct ponte_dp *dp, unsigned i, struct ponte_dp_nic_stats *out);
};

/* Every backend's instance starts with this, so the front end can find its ops. */
struct ponte_dp {
	const struct dp_backend_ops *ops;
	const struct dp_srtp_engine *srtp; /* set by ponte_dp_create() */
};

extern const struct dp_backend_ops dp_sock_backend;
#ifdef PONTE_HAVE_DPDK
extern const struct dp_backend_ops dp_dpdk_backend; /* dataplane/dpdk/ */
#endif

#endif
