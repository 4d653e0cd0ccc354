/* SPDX-License-Identifier: MIT */
/* A call's flows, shaped as the control plane shapes them (flows.h). */
#include "flows.h"

#include <stdio.h>
#include <string.h>

/* The telephone-event payload types of the bridge's negotiation: the browser's (Chrome) and
 * the phone's. Never sent by the load, but mapped, clocked and mirrored as in a real call. */
#define BROWSER_TE_PT 126
#define PHONE_TE_PT 101

unsigned dpb_nb_flows(const struct dpb_plan *p)
{
	return p->mode == DPB_BRIDGE ? 3 : 2;
}

uint64_t dpb_flow_id(const struct dpb_plan *p, uint32_t call, unsigned k)
{
	return (uint64_t)call * dpb_nb_flows(p) + k + 1;
}

static bool is_refresh; /* dpb_refresh_call(): modify rather than add */

static int add(struct ponte_dp *dp, struct ponte_flow_spec *spec)
{
	int rc = is_refresh ? ponte_dp_flow_modify(dp, spec) : ponte_dp_flow_add(dp, spec);

	/* As control/offload.c does: the spec carried keys by value, this copy is ours. */
	explicit_bzero(spec, sizeof(*spec));
	return rc;
}

static void cname(char out[32], const char *leg, uint32_t call)
{
	snprintf(out, 32, "dpb-%s-%u", leg, call);
}

/* bridge.c's set_pt_maps(): only the negotiated types pass, renumbered for the receiver. */
static void bridge_pt_map(struct ponte_flow_output *o, bool to_phone)
{
	memset(o->pt_map, PONTE_PT_DROP, sizeof(o->pt_map));
	o->pt_map[DPB_BRIDGE_PT] = DPB_BRIDGE_PT;
	if (to_phone)
		o->pt_map[BROWSER_TE_PT] = PHONE_TE_PT;
	else
		o->pt_map[PHONE_TE_PT] = BROWSER_TE_PT;
}

static int install_bridge(struct ponte_dp *dp, const struct dpb_plan *p, uint32_t c,
			  const uint32_t port[DPB_NB_PORTS])
{
	uint64_t to_phone = dpb_flow_id(p, c, 0), from_phone = dpb_flow_id(p, c, 1);
	uint64_t from_phone_rtcp = dpb_flow_id(p, c, 2);
	uint32_t gw_audio = dpb_ssrc(p, c, DPB_R_GW_TO_A), sip_ssrc = dpb_ssrc(p, c, DPB_R_GW_TO_B);
	struct ponte_addr browser, phone_rtp, phone_rtcp;
	struct ponte_srtp_key browser_tx, phone_tx;
	struct ponte_flow_spec spec;
	struct ponte_flow_output *o;
	int rc;

	dpb_peer_addr(p, DPB_P_A, &browser);
	dpb_peer_addr(p, DPB_P_B, &phone_rtp);
	dpb_peer_addr(p, DPB_P_B_RTCP, &phone_rtcp);
	dpb_key(p, c, DPB_S_A_DOWN, &browser_tx);
	dpb_key(p, c, DPB_S_B_DOWN, &phone_tx);

	/* Browser -> phone: SRTP in; the gateway's reports back to the browser (output 0), RTP
	 * to the phone's RTP port, RTCP (the SRs made from the browser's) to its RTCP port. */
	ponte_flow_spec_init(&spec, to_phone, port[DPB_P_A]);
	dpb_key(p, c, DPB_S_A_UP, &spec.srtp);
	spec.rtcp = PONTE_RTCP_TERMINATE;
	spec.report_interval_ms = PONTE_REPORT_MS_AUDIO; /* G.711 calls */
	spec.report_ssrc = dpb_ssrc(p, c, DPB_R_REPORT_A);
	cname(spec.report_cname, "a", c);
	spec.clock_khz[DPB_BRIDGE_PT] = 8;
	spec.clock_khz[BROWSER_TE_PT] = 8;
	o = ponte_flow_add_output(&spec, port[DPB_P_A], &browser);
	o->srtp = browser_tx;
	o->kinds = PONTE_OUT_REPORTS;
	o = ponte_flow_add_output(&spec, port[DPB_P_B], &phone_rtp);
	o->kinds = PONTE_OUT_RTP;
	o->srtp = phone_tx;
	bridge_pt_map(o, true);
	o->ssrc_any = sip_ssrc;
	o->dst_latch_flow = from_phone;
	o = ponte_flow_add_output(&spec, port[DPB_P_B_RTCP], &phone_rtcp);
	o->kinds = PONTE_OUT_RTCP;
	o->srtp = phone_tx;
	o->ssrc_any = sip_ssrc;
	o->dst_latch_flow = from_phone_rtcp;
	rc = add(dp, &spec);
	if (rc != 0)
		goto out;

	/* Phone -> browser: latching (symmetric RTP), its SSRC becomes gw_audio; our reports
	 * about it go to the phone's RTCP port. */
	ponte_flow_spec_init(&spec, from_phone, port[DPB_P_B]);
	spec.is_latching = true;
	spec.rtcp = PONTE_RTCP_TERMINATE;
	spec.report_interval_ms = PONTE_REPORT_MS_AUDIO; /* G.711 calls */
	spec.report_ssrc = sip_ssrc;
	dpb_key(p, c, DPB_S_B_UP, &spec.srtp);
	/* With SDES the reports need an SSRC of their own (bridge.c says why). */
	if (phone_tx.profile != PONTE_SRTP_NULL)
		spec.report_ssrc = sip_ssrc + 1 != 0 ? sip_ssrc + 1 : 1;
	cname(spec.report_cname, "a", c);
	spec.clock_khz[DPB_BRIDGE_PT] = 8;
	spec.clock_khz[PHONE_TE_PT] = 8;
	spec.mirror_pt = PHONE_TE_PT;
	o = ponte_flow_add_output(&spec, port[DPB_P_B_RTCP], &phone_rtcp);
	o->kinds = PONTE_OUT_REPORTS;
	o->srtp = phone_tx;
	o->dst_latch_flow = from_phone_rtcp;
	o = ponte_flow_add_output(&spec, port[DPB_P_A], &browser);
	o->srtp = browser_tx;
	o->kinds = PONTE_OUT_RTP;
	bridge_pt_map(o, false);
	o->ssrc_any = gw_audio;
	rc = add(dp, &spec);
	if (rc != 0)
		goto out;

	/* The phone's RTCP: its SRs become the browser's, with the RTP flow's statistics. */
	ponte_flow_spec_init(&spec, from_phone_rtcp, port[DPB_P_B_RTCP]);
	spec.is_latching = true;
	spec.rtcp = PONTE_RTCP_TERMINATE;
	spec.report_interval_ms = PONTE_REPORT_MS_AUDIO; /* G.711 calls */
	spec.rtp_flow = from_phone;
	dpb_key(p, c, DPB_S_B_UP, &spec.srtp);
	o = ponte_flow_add_output(&spec, port[DPB_P_A], &browser);
	o->srtp = browser_tx;
	o->kinds = PONTE_OUT_RTCP;
	o->ssrc_any = gw_audio;
	o->nb_ssrc_maps = 1;
	o->ssrc_maps[0] = (struct ponte_ssrc_map){.from = sip_ssrc,
						  .to = dpb_ssrc(p, c, DPB_R_A_PEER)};
	rc = add(dp, &spec);
out:
	explicit_bzero(&browser_tx, sizeof(browser_tx));
	explicit_bzero(&phone_tx, sizeof(phone_tx));
	return rc;
}

/* gateway.c's relay_flow() for sender `from` and its one receiver `to`, through
 * offload.c's ponte_offload_forward(). */
static int install_relay_leg(struct ponte_dp *dp, const struct dpb_plan *p, uint32_t c,
			     const uint32_t port[DPB_NB_PORTS], enum dpb_leg from)
{
	enum dpb_leg to = from == DPB_LEG_A ? DPB_LEG_B : DPB_LEG_A;
	enum dpb_port from_port = from == DPB_LEG_A ? DPB_P_A : DPB_P_B;
	enum dpb_port to_port = to == DPB_LEG_A ? DPB_P_A : DPB_P_B;
	struct ponte_addr from_addr, to_addr;
	struct ponte_flow_spec spec;
	struct ponte_flow_output *o;

	dpb_peer_addr(p, from_port, &from_addr);
	dpb_peer_addr(p, to_port, &to_addr);
	/* Port-wide: a WebRTC port serves one transport whose remote may change. */
	ponte_flow_spec_init(&spec, dpb_flow_id(p, c, from), port[from_port]);
	dpb_key(p, c, from == DPB_LEG_A ? DPB_S_A_UP : DPB_S_B_UP, &spec.srtp);
	spec.rtcp = PONTE_RTCP_TERMINATE;
	spec.report_interval_ms = PONTE_REPORT_MS_AUDIO; /* G.711 calls */
	spec.report_ssrc = dpb_ssrc(p, c, from == DPB_LEG_A ? DPB_R_REPORT_A : DPB_R_REPORT_B);
	cname(spec.report_cname, from == DPB_LEG_A ? "a" : "b", c);
	spec.clock_khz[dpb_pt_sent(p, from)] = dpb_clock_khz(p);
	o = ponte_flow_add_output(&spec, port[from_port], &from_addr);
	dpb_key(p, c, from == DPB_LEG_A ? DPB_S_A_DOWN : DPB_S_B_DOWN, &o->srtp);
	o->kinds = PONTE_OUT_REPORTS;
	o = ponte_flow_add_output(&spec, port[to_port], &to_addr);
	dpb_key(p, c, to == DPB_LEG_A ? DPB_S_A_DOWN : DPB_S_B_DOWN, &o->srtp);
	/* The receiver's numbers go out, what it did not negotiate does not. */
	memset(o->pt_map, PONTE_PT_DROP, sizeof(o->pt_map));
	o->pt_map[dpb_pt_sent(p, from)] = dpb_pt_received(p, to);
	/* The sender's stream under the SSRC announced to the receiver; the sender's feedback
	 * about the receiver's stream under the receiver's own SSRC. */
	o->ssrc_maps[o->nb_ssrc_maps++] = (struct ponte_ssrc_map){
		.from = dpb_ssrc(p, c, from == DPB_LEG_A ? DPB_R_A_PEER : DPB_R_B_PEER),
		.to = dpb_ssrc(p, c, to == DPB_LEG_A ? DPB_R_GW_TO_A : DPB_R_GW_TO_B)};
	o->ssrc_maps[o->nb_ssrc_maps++] = (struct ponte_ssrc_map){
		.from = dpb_ssrc(p, c, from == DPB_LEG_A ? DPB_R_GW_TO_A : DPB_R_GW_TO_B),
		.to = dpb_ssrc(p, c, to == DPB_LEG_A ? DPB_R_A_PEER : DPB_R_B_PEER)};
	return add(dp, &spec);
}

int dpb_install_call(struct ponte_dp *dp, const struct dpb_plan *p, uint32_t call,
		     const uint32_t port_ids[DPB_NB_PORTS])
{
	int rc;

	if (p->mode == DPB_BRIDGE)
		return install_bridge(dp, p, call, port_ids);
	rc = install_relay_leg(dp, p, call, port_ids, DPB_LEG_A);
	if (rc == 0)
		rc = install_relay_leg(dp, p, call, port_ids, DPB_LEG_B);
	return rc;
}

int dpb_refresh_call(struct ponte_dp *dp, const struct dpb_plan *p, uint32_t call,
		     const uint32_t port_ids[DPB_NB_PORTS])
{
	int rc;

	is_refresh = true;
	rc = dpb_install_call(dp, p, call, port_ids);
	is_refresh = false;
	return rc;
}
