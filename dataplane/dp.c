/* SPDX-License-Identifier: MIT */
/* The dataplane front end: picks a backend by name and forwards to its ops. */
#include "backend.h"

#include <errno.h>
#include <string.h>

#include "srtp.h"

static const struct dp_backend_ops *const backends[] = {
	&dp_sock_backend,
#ifdef PONTE_HAVE_DPDK
	&dp_dpdk_backend,
#endif
};

bool ponte_dp_has_backend(const char *name)
{
	for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++)
		if (strcmp(backends[i]->name, name) == 0)
			return true;
	return false;
}

int ponte_dp_create(const struct ponte_dp_config *cfg, struct ponte_dp **out)
{
	struct ponte_dp_config c = *cfg;
	const struct dp_srtp_engine *srtp;
	int rc;

	if (c.backend == NULL)
		c.backend = "socket";
	if (c.max_flows == 0)
		c.max_flows = 65536;
	if (c.max_ports == 0)
		c.max_ports = 65536;
	if (c.input_queue == 0)
		c.input_queue = 4096;
	if (c.srtp_engine == NULL || strcmp(c.srtp_engine, "auto") == 0) {
		srtp = dp_srtp_engine_default();
		rc = srtp->init();
		if (rc != 0 && srtp != &dp_srtp_engine_libsrtp) {
			/* A CPU the fast engine's library refuses: the reference does it all. */
			if (c.log != NULL)
				c.log(c.log_ctx, 1,
				      "dataplane.srtp_engine auto: ipsec-mb cannot start here, "
				      "using libsrtp2");
			srtp = &dp_srtp_engine_libsrtp;
			rc = srtp->init();
		}
	} else {
		srtp = dp_srtp_engine_find(c.srtp_engine);
		if (srtp == NULL)
			return -ENOENT;
		rc = srtp->init();
	}
	if (rc != 0)
		return rc;
	for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++) {
		if (strcmp(backends[i]->name, c.backend) == 0) {
			rc = backends[i]->create(&c, srtp, out);
			if (rc == 0) {
				(*out)->ops = backends[i];
				(*out)->srtp = srtp;
			}
			return rc;
		}
	}
	return -ENOENT;
}

void ponte_dp_destroy(struct ponte_dp *dp)
{
	if (dp != NULL)
		dp->ops->destroy(dp);
}

const char *ponte_dp_backend_name(const struct ponte_dp *dp)
{
	return dp->ops->name;
}

bool ponte_dp_has_srtp_engine(const char *name)
{
	return strcmp(name, "auto") == 0 || dp_srtp_engine_find(name) != NULL;
}

const char *ponte_dp_srtp_engine_name(const struct ponte_dp *dp)
{
	return dp->srtp->name;
}

int ponte_dp_port_attach(struct ponte_dp *dp, int fd, uint32_t *port_id)
{
	return dp->ops->port_attach(dp, fd, port_id);
}

int ponte_dp_port_attach_fn(struct ponte_dp *dp, ponte_dp_tx_fn fn, void *ctx,
			    uint32_t *port_id)
{
	if (fn == NULL)
		return -EINVAL;
	return dp->ops->port_attach_fn(dp, fn, ctx, port_id);
}

int ponte_dp_port_open(struct ponte_dp *dp, struct ponte_addr *local, uint16_t port_min,
		       uint16_t port_max, uint32_t *port_id)
{
	return dp->ops->port_open(dp, local, port_min, port_max, port_id);
}

int ponte_dp_port_close(struct ponte_dp *dp, uint32_t port_id)
{
	return dp->ops->port_close(dp, port_id);
}

int ponte_dp_flow_add(struct ponte_dp *dp, const struct ponte_flow_spec *spec)
{
	return dp->ops->flow_add(dp, spec);
}

int ponte_dp_flow_modify(struct ponte_dp *dp, const struct ponte_flow_spec *spec)
{
	return dp->ops->flow_modify(dp, spec);
}

int ponte_dp_flow_delete(struct ponte_dp *dp, uint64_t id)
{
	return dp->ops->flow_delete(dp, id);
}

int ponte_dp_flow_stats(struct ponte_dp *dp, uint64_t id, struct ponte_flow_stats *out)
{
	return dp->ops->flow_stats(dp, id, out);
}

int ponte_dp_flow_inject(struct ponte_dp *dp, uint64_t id, unsigned output, const uint8_t *pkt,
			 size_t len)
{
	return dp->ops->flow_inject(dp, id, output, pkt, len);
}

int ponte_dp_input(struct ponte_dp *dp, uint32_t port_id, const struct ponte_addr *src,
		   const uint8_t *pkt, size_t len)
{
	return dp->ops->input(dp, port_id, src, pkt, len);
}

int ponte_dp_send(struct ponte_dp *dp, uint32_t port_id, const struct ponte_addr *dst,
		  const uint8_t *pkt, size_t len)
{
	return dp->ops->send(dp, port_id, dst, pkt, len);
}

int ponte_dp_punt_fd(const struct ponte_dp *dp)
{
	return dp->ops->punt_fd(dp);
}

int ponte_dp_punt_read(struct ponte_dp *dp, struct ponte_dp_punt *out)
{
	return dp->ops->punt_read(dp, out);
}

int ponte_dp_sync(struct ponte_dp *dp)
{
	return dp->ops->sync(dp);
}

void ponte_dp_get_stats(struct ponte_dp *dp, struct ponte_dp_stats *out)
{
	dp->ops->get_stats(dp, out);
}

int ponte_dp_lcore_stats(struct ponte_dp *dp, unsigned i, struct ponte_dp_lcore_stats *out)
{
	if (dp->ops->lcore_stats == NULL)
		return -ENOENT;
	return dp->ops->lcore_stats(dp, i, out);
}

int ponte_dp_nic_stats(struct ponte_dp *dp, unsigned i, struct ponte_dp_nic_stats *out)
{
	if (dp->ops->nic_stats == NULL)
		return -ENOENT;
	return dp->ops->nic_stats(dp, i, out);
}
