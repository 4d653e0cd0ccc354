/* SPDX-License-Identifier: MIT */
/* The call plan: what dpbench installs and loadgen sends, from the same numbers (plan.h). */
#include "plan.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

static uint64_t mix(uint64_t x)
{
	uint64_t z = x + 0x9e3779b97f4a7c15ull;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

uint64_t dpb_derive(uint64_t seed, uint32_t call, uint32_t label, uint32_t i)
{
	return mix(mix(seed ^ ((uint64_t)call << 32 | (uint64_t)label << 8 | i)));
}

unsigned dpb_nb_gw_ports(const struct dpb_plan *p)
{
	return p->mode == DPB_BRIDGE ? 3 : 2;
}

int dpb_plan_check(const struct dpb_plan *p, char *err, size_t err_len)
{
	uint64_t last_gw = (uint64_t)p->gw.port + (uint64_t)p->nb_calls * dpb_nb_gw_ports(p) - 1;
	uint8_t kl, sl, tl;

	if (p->nb_calls == 0) {
		snprintf(err, err_len, "no calls");
		return -EINVAL;
	}
	if (p->gw.family != p->peer.family || (p->gw.family != AF_INET &&
					       p->gw.family != AF_INET6)) {
		snprintf(err, err_len, "gateway and peer addresses must be of one IP family");
		return -EINVAL;
	}
	if (p->gw.port == 0 || last_gw > 65535) {
		snprintf(err, err_len, "%u calls need gateway ports %u..%llu: past 65535",
			 p->nb_calls, p->gw.port, (unsigned long long)last_gw);
		return -EINVAL;
	}
	if (p->peer.port == 0 || p->peer.port > 65535 - 2) {
		snprintf(err, err_len, "peer port %u: needs 3 ports below 65536", p->peer.port);
		return -EINVAL;
	}
	if (memcmp(p->gw.ip, p->peer.ip, sizeof(p->gw.ip)) == 0 &&
	    (uint64_t)p->peer.port + 2 >= p->gw.port && p->peer.port <= last_gw) {
		snprintf(err, err_len, "peer ports %u..%u fall among the gateway's %u..%llu",
			 p->peer.port, p->peer.port + 2, p->gw.port, (unsigned long long)last_gw);
		return -EINVAL;
	}
	if (ponte_srtp_profile_sizes(p->profile_a, &kl, &sl, &tl) != 0 ||
	    p->profile_a == PONTE_SRTP_NULL) {
		snprintf(err, err_len, "leg A (a browser) needs an SRTP profile");
		return -EINVAL;
	}
	if (ponte_srtp_profile_sizes(p->profile_b, &kl, &sl, &tl) != 0 ||
	    (p->mode == DPB_RELAY && p->profile_b == PONTE_SRTP_NULL)) {
		snprintf(err, err_len, "leg B: %s",
			 p->mode == DPB_RELAY ? "a browser needs an SRTP profile" : "bad profile");
		return -EINVAL;
	}
	return 0;
}

uint16_t dpb_gw_port(const struct dpb_plan *p, uint32_t call, enum dpb_port which)
{
	unsigned n = dpb_nb_gw_ports(p);

	if (which == DPB_P_B_RTCP && p->mode == DPB_RELAY)
		which = DPB_P_B;
	return (uint16_t)(p->gw.port + call * n + (unsigned)which);
}

int dpb_gw_port_of(const struct dpb_plan *p, uint16_t port, uint32_t *call,
		   enum dpb_port *which)
{
	unsigned n = dpb_nb_gw_ports(p);
	uint32_t off;

	if (port < p->gw.port)
		return -ENOENT;
	off = (uint32_t)(port - p->gw.port);
	if (off / n >= p->nb_calls)
		return -ENOENT;
	*call = off / n;
	*which = (enum dpb_port)(off % n);
	return 0;
}

void dpb_gw_addr(const struct dpb_plan *p, uint32_t call, enum dpb_port which,
		 struct ponte_addr *out)
{
	*out = p->gw;
	out->port = dpb_gw_port(p, call, which);
}

void dpb_peer_addr(const struct dpb_plan *p, enum dpb_port which, struct ponte_addr *out)
{
	if (which == DPB_P_B_RTCP && p->mode == DPB_RELAY)
		which = DPB_P_B;
	*out = p->peer;
	out->port = (uint16_t)(p->peer.port + (unsigned)which);
}

uint16_t dpb_leg_profile(const struct dpb_plan *p, enum dpb_leg leg)
{
	return leg == DPB_LEG_A ? p->profile_a : p->profile_b;
}

static void derive_bytes(uint64_t seed, uint32_t call, uint32_t label, uint8_t *out, size_t n)
{
	for (size_t j = 0; j < n; j++)
		out[j] = (uint8_t)(dpb_derive(seed, call, label, (uint32_t)(j / 8)) >> (8 * (j % 8)));
}

void dpb_key(const struct dpb_plan *p, uint32_t call, enum dpb_stream s,
	     struct ponte_srtp_key *out)
{
	enum dpb_leg leg = s <= DPB_S_A_DOWN ? DPB_LEG_A : DPB_LEG_B;
	uint8_t tag_len;

	memset(out, 0, sizeof(*out));
	out->profile = dpb_leg_profile(p, leg);
	if (out->profile == PONTE_SRTP_NULL)
		return;
	ponte_srtp_profile_sizes(out->profile, &out->key_len, &out->salt_len, &tag_len);
	derive_bytes(p->seed, call, DPB_L_KEY + (uint32_t)s, out->key, out->key_len);
	derive_bytes(p->seed, call, DPB_L_SALT + (uint32_t)s, out->salt, out->salt_len);
}

uint32_t dpb_ssrc(const struct dpb_plan *p, uint32_t call, enum dpb_ssrc_role r)
{
	uint32_t v = (uint32_t)dpb_derive(p->seed, call, DPB_L_SSRC + (uint32_t)r, 0);

	return v != 0 ? v : 1;
}

/* Below 2^15, as WebRTC's senders pick theirs: SRTP's receiver starts its rollover counter at
 * 0 on the first packet it gets, so a stream whose packets just before a sequence wrap are all
 * lost is never authenticated again (RFC 3711 3.3.1). Starting in the lower half leaves
 * 32,768 packets (11 minutes at 50 per second) before the first wrap. */
uint16_t dpb_seq0(const struct dpb_plan *p, uint32_t call, enum dpb_leg leg)
{
	return (uint16_t)(dpb_derive(p->seed, call, DPB_L_SEQ + (uint32_t)leg, 0) & 0x7fff);
}

uint32_t dpb_ts0(const struct dpb_plan *p, uint32_t call, enum dpb_leg leg)
{
	return (uint32_t)dpb_derive(p->seed, call, DPB_L_TS + (uint32_t)leg, 0);
}

uint8_t dpb_pt_sent(const struct dpb_plan *p, enum dpb_leg leg)
{
	if (p->mode == DPB_BRIDGE)
		return DPB_BRIDGE_PT;
	return leg == DPB_LEG_A ? DPB_RELAY_PT_A : DPB_RELAY_PT_B;
}

uint8_t dpb_pt_received(const struct dpb_plan *p, enum dpb_leg leg)
{
	/* Each peer receives its media under its own numbering. */
	return dpb_pt_sent(p, leg);
}

uint32_t dpb_ts_step(const struct dpb_plan *p)
{
	return p->mode == DPB_BRIDGE ? 160u : 960u;
}

uint8_t dpb_clock_khz(const struct dpb_plan *p)
{
	return p->mode == DPB_BRIDGE ? 8 : 48;
}

static void put_be32(uint8_t *b, uint32_t v)
{
	b[0] = (uint8_t)(v >> 24);
	b[1] = (uint8_t)(v >> 16);
	b[2] = (uint8_t)(v >> 8);
	b[3] = (uint8_t)v;
}

static void put_be64(uint8_t *b, uint64_t v)
{
	put_be32(b, (uint32_t)(v >> 32));
	put_be32(b + 4, (uint32_t)v);
}

static uint32_t get_be32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static uint64_t get_be64(const uint8_t *b)
{
	return (uint64_t)get_be32(b) << 32 | get_be32(b + 4);
}

void dpb_payload_fill(const struct dpb_plan *p, uint8_t *buf, size_t len, uint32_t call,
		      enum dpb_stream s, uint64_t pkt, uint64_t sent_ns)
{
	uint64_t fill = dpb_derive(p->seed, call, DPB_L_FILL + (uint32_t)s, (uint32_t)pkt);

	memcpy(buf, DPB_PAYLOAD_MAGIC, 4);
	put_be32(buf + 4, call);
	buf[8] = (uint8_t)s;
	buf[9] = buf[10] = buf[11] = 0;
	put_be64(buf + 12, pkt);
	put_be64(buf + 20, sent_ns);
	for (size_t k = DPB_PAYLOAD_MIN; k < len; k++)
		buf[k] = (uint8_t)((uint8_t)(fill >> (8 * (k % 8))) + (uint8_t)k);
}

int dpb_payload_check(const struct dpb_plan *p, const uint8_t *buf, size_t len, uint32_t call,
		      enum dpb_stream s, uint64_t *pkt, uint64_t *sent_ns)
{
	uint64_t fill;

	if (len < DPB_PAYLOAD_MIN)
		return -EINVAL;
	if (memcmp(buf, DPB_PAYLOAD_MAGIC, 4) != 0 || get_be32(buf + 4) != call ||
	    buf[8] != (uint8_t)s || buf[9] != 0 || buf[10] != 0 || buf[11] != 0)
		return -EBADMSG;
	*pkt = get_be64(buf + 12);
	*sent_ns = get_be64(buf + 20);
	fill = dpb_derive(p->seed, call, DPB_L_FILL + (uint32_t)s, (uint32_t)*pkt);
	for (size_t k = DPB_PAYLOAD_MIN; k < len; k++)
		if (buf[k] != (uint8_t)((uint8_t)(fill >> (8 * (k % 8))) + (uint8_t)k))
			return -EBADMSG;
	return 0;
}

const char *dpb_mode_name(enum dpb_mode m)
{
	return m == DPB_BRIDGE ? "bridge" : "relay";
}

int dpb_mode_parse(const char *s, enum dpb_mode *out)
{
	if (strcmp(s, "bridge") == 0)
		*out = DPB_BRIDGE;
	else if (strcmp(s, "relay") == 0)
		*out = DPB_RELAY;
	else
		return -EINVAL;
	return 0;
}

static const struct {
	const char *name;
	uint16_t profile;
} profiles[] = {
	{"gcm", PONTE_SRTP_AEAD_AES_128_GCM},
	{"cm", PONTE_SRTP_AES128_CM_SHA1_80},
	{"cm32", PONTE_SRTP_AES128_CM_SHA1_32},
	{"gcm256", PONTE_SRTP_AEAD_AES_256_GCM},
	{"none", PONTE_SRTP_NULL},
};

int dpb_profile_parse(const char *s, uint16_t *out)
{
	for (size_t i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++) {
		if (strcmp(s, profiles[i].name) == 0) {
			*out = profiles[i].profile;
			return 0;
		}
	}
	return -EINVAL;
}

const char *dpb_profile_short(uint16_t profile)
{
	for (size_t i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++)
		if (profiles[i].profile == profile)
			return profiles[i].name;
	return "?";
}
