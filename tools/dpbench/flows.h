/* SPDX-License-Identifier: MIT */
/*
 * The flows of one simulated call, built the way the control plane builds them for a real
 * one: control/bridge.c's bridge_install_flows() for a browser <-> phone call, and
 * control/gateway.c's relay_flow() (through control/offload.c) for two browsers in a relayed
 * room. The shapes are copied, not shared, because the harness links the dataplane alone; keep
 * them in step when those functions change.
 */
#ifndef PONTE_TOOLS_DPB_FLOWS_H
#define PONTE_TOOLS_DPB_FLOWS_H

#include <ponte/dataplane.h>

#include "plan.h"

/* Flows per call: 3 for a bridge (to the phone, from the phone, the phone's RTCP), 2 for a
 * relay (one per browser). Flow ids of call c are c * dpb_nb_flows() + 1 onwards. */
unsigned dpb_nb_flows(const struct dpb_plan *p);
uint64_t dpb_flow_id(const struct dpb_plan *p, uint32_t call, unsigned k);

/*
 * Install the flows of call, whose gateway ports are port_ids[enum dpb_port] (opened on the
 * addresses dpb_gw_addr() gives). Returns 0 or the negative errno of the first add that failed
 * (flows added before it stay). The specs' keys are wiped before returning.
 */
int dpb_install_call(struct ponte_dp *dp, const struct dpb_plan *p, uint32_t call,
		     const uint32_t port_ids[DPB_NB_PORTS]);
/* The same flows again, through ponte_dp_flow_modify() (a re-INVITE or an ICE restart that
 * changed nothing): the dataplane replaces each entry, contexts and state carried over. */
int dpb_refresh_call(struct ponte_dp *dp, const struct dpb_plan *p, uint32_t call,
		     const uint32_t port_ids[DPB_NB_PORTS]);

#endif
