/* SPDX-License-Identifier: MIT */
#include "offload.h"

#include <errno.h>
#include <string.h>

#include "log.h"

static uint64_t next_id = 1;

uint64_t ponte_offload_new_id(void)
{
	return next_id++;
}

static int install(struct ponte_dp *dp, struct ponte_flow_spec *spec, bool is_update)
{
	int rc = is_update ? ponte_dp_flow_modify(dp, spec) : ponte_dp_flow_add(dp, spec);

	/* The spec carried keys by value; this copy is ours to wipe. */
	explicit_bzero(spec, sizeof(*spec));
	return rc;
}

int ponte_offload_forward(struct ponte_dp *dp, uint64_t id, const struct ponte_media_leg *from,
			  const struct ponte_media_leg *const *to, unsigned nb_to, bool is_update)
{
	struct ponte_flow_spec spec;

	if (nb_to > PONTE_FLOW_MAX_OUTPUTS)
		return -E2BIG;
	/* Everything arriving on the port: a WebRTC port serves one transport, and its remote
	 * may change with the selected pair, so the flow does not pin the source. */
	ponte_flow_spec_init(&spec, id, from->port_id);
	spec.srtp = from->rx;
	for (unsigned i = 0; i < nb_to; i++) {
		struct ponte_flow_output *o = ponte_flow_add_output(&spec, to[i]->port_id,
								    &to[i]->remote);

		o->srtp = to[i]->tx;
		for (unsigned k = 0; k < PONTE_LEG_NB_SLOTS; k++) {
			/* Media: the sender's SSRC becomes the one the receiver was told of. */
			if (from->ssrcs[k].peer != 0 && to[i]->ssrcs[k].gw != 0)
				o->ssrc_maps[o->nb_ssrc_maps++] = (struct ponte_ssrc_map){
					.from = from->ssrcs[k].peer, .to = to[i]->ssrcs[k].gw};
			/* Feedback: what this leg says about the SSRC it was told of concerns
			 * the stream of the receiving leg. */
			if (from->ssrcs[k].gw != 0 && to[i]->ssrcs[k].peer != 0)
				o->ssrc_maps[o->nb_ssrc_maps++] = (struct ponte_ssrc_map){
					.from = from->ssrcs[k].gw, .to = to[i]->ssrcs[k].peer};
		}
	}
	return install(dp, &spec, is_update);
}

int ponte_offload_remove(struct ponte_dp *dp, uint64_t id)
{
	return ponte_dp_flow_delete(dp, id);
}

int ponte_offload_stats(struct ponte_dp *dp, uint64_t id, struct ponte_flow_stats *st)
{
	return ponte_dp_flow_stats(dp, id, st);
}
