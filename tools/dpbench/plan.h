/* SPDX-License-Identifier: MIT */
/*
 * The call plan shared by the dataplane bench harness (dpbench) and the load generator
 * (loadgen): from the same few numbers (mode, number of calls, seed, base addresses and ports,
 * SRTP profiles) both compute the same ports, SSRCs, payload types and SRTP keys of every
 * simulated call, so that neither has to tell the other anything at run time.
 *
 * A call has two legs. Leg A is a browser (SRTP, RTP and RTCP multiplexed on one port, RFC
 * 5761). Leg B is a SIP phone in bridge mode (plain RTP by default, RTCP on the next port) or a
 * second browser in relay mode. Each leg has one stream each way: "up" is what the peer
 * (the load generator) sends to the gateway, "down" what the gateway sends to the peer.
 *
 * Gateway ports (the harness binds them on gw_addr):
 *   bridge: call c uses gw_port + 3c (leg A), gw_port + 3c + 1 (leg B RTP), + 2 (leg B RTCP)
 *   relay:  call c uses gw_port + 2c (leg A), gw_port + 2c + 1 (leg B)
 * Peer endpoints (the load generator; the same for every call, the gateway port tells calls
 * apart): peer_port (leg A), peer_port + 1 (leg B RTP), peer_port + 2 (leg B RTCP, bridge).
 *
 * Derived values. Everything random comes from dpb_derive(seed, call, label, i), a
 * SplitMix64 finaliser (Steele, Lea, Flood 2014; the mixer of java.util.SplittableRandom)
 * applied twice to seed ^ (call << 32 | label << 8 | i):
 *   z = x + 0x9e3779b97f4a7c15; z = (z ^ z >> 30) * 0xbf58476d1ce4e5b9;
 *   z = (z ^ z >> 27) * 0x94d049bb133111eb; z ^= z >> 31       (one round)
 * The SRTP master key of stream s (enum dpb_stream) of call c is, byte j, byte (j % 8) of
 * dpb_derive(seed, c, DPB_L_KEY + s, j / 8) in little-endian order; the master salt likewise
 * with DPB_L_SALT + s. SSRCs are the low 32 bits of dpb_derive(seed, c, DPB_L_SSRC + r, 0)
 * (r: enum dpb_ssrc_role), 0 replaced by 1. First sequence numbers and timestamps of the peer
 * streams come from DPB_L_SEQ and DPB_L_TS likewise (sequence numbers below 2^15, see
 * dpb_seq0()). Not cryptographic: a benchmark's keys.
 *
 * The payload of every RTP packet the load generator sends (at least DPB_PAYLOAD_MIN bytes):
 *   0  "PLG1"      4  call (u32)      8  stream (u8), 3 zero bytes
 *   12 packet number in its stream, from 0 (u64)    20 send time, CLOCK_MONOTONIC ns (u64)
 *   28 filler: byte k is (uint8_t)(dpb_derive(seed, call, DPB_L_FILL + stream, pkt) >> 8 *
 *      (k % 8)) + k, so a payload corrupted anywhere is caught
 * All multi-byte fields big-endian. The RTP sequence number of packet n is seq0 + n (mod
 * 2^16), the timestamp ts0 + n * dpb_ts_step() (mod 2^32): 20 ms at the codec's clock.
 *
 * No allocation, no I/O: plain computations both tools link.
 */
#ifndef PONTE_TOOLS_DPB_PLAN_H
#define PONTE_TOOLS_DPB_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ponte/flow.h>
#include <ponte/srtp.h>

enum dpb_mode {
	DPB_BRIDGE, /* SRTP browser leg <-> RTP phone leg, as control/bridge.c installs it */
	DPB_RELAY, /* SRTP <-> SRTP, browser <-> browser, as control/gateway.c's relay_flow */
};

enum dpb_leg { DPB_LEG_A, DPB_LEG_B, DPB_NB_LEGS };

/* The streams whose keys are derived: up (peer -> gateway) and down, per leg. */
enum dpb_stream {
	DPB_S_A_UP,
	DPB_S_A_DOWN,
	DPB_S_B_UP,
	DPB_S_B_DOWN,
	DPB_NB_STREAMS
};

/* Which gateway or peer port of a call. */
enum dpb_port {
	DPB_P_A, /* leg A: RTP and RTCP */
	DPB_P_B, /* leg B: RTP (and RTCP in relay mode) */
	DPB_P_B_RTCP, /* bridge only: leg B's RTCP */
	DPB_NB_PORTS
};

enum dpb_ssrc_role {
	DPB_R_A_PEER, /* the browser's audio SSRC */
	DPB_R_B_PEER, /* the phone's (or second browser's) */
	DPB_R_GW_TO_A, /* what leg A receives: the bridge's gw_audio, the relay's forwarded SSRC */
	DPB_R_GW_TO_B, /* what leg B receives: the bridge's sip_ssrc, the relay's forwarded SSRC */
	DPB_R_REPORT_A, /* the sender SSRC of the gateway's reports to leg A */
	DPB_R_REPORT_B,
	DPB_NB_ROLES
};

enum dpb_label {
	DPB_L_KEY = 0x10,
	DPB_L_SALT = 0x20,
	DPB_L_SSRC = 0x30,
	DPB_L_SEQ = 0x40,
	DPB_L_TS = 0x50,
	DPB_L_FILL = 0x60,
};

#define DPB_PAYLOAD_MIN 28
#define DPB_PAYLOAD_MAGIC "PLG1"
#define DPB_PTIME_NS 20000000ull /* 20 ms: 50 packets per second per direction */
/* Payload types: the bridge carries PCMU (0) both ways, as with a G.711 phone; the relay
 * carries Opus from a peer numbering it 111 (Chrome) to one numbering it 109 (Firefox), so the
 * payload type rewrite does real work. */
#define DPB_BRIDGE_PT 0
#define DPB_RELAY_PT_A 111
#define DPB_RELAY_PT_B 109

struct dpb_plan {
	enum dpb_mode mode;
	uint32_t nb_calls;
	uint64_t seed;
	struct ponte_addr gw; /* gateway address; port: the first gateway port */
	struct ponte_addr peer; /* load generator's address; port: its first port */
	uint16_t profile_a; /* enum ponte_srtp_profile of leg A (never NULL) */
	uint16_t profile_b; /* leg B: bridge: PONTE_SRTP_NULL (plain) or SDES; relay: SRTP */
};

/* Check a plan: 0, or -EINVAL with a reason in err (its ports overflow 65535, no calls, a
 * profile that does not fit the mode). */
int dpb_plan_check(const struct dpb_plan *p, char *err, size_t err_len);

uint64_t dpb_derive(uint64_t seed, uint32_t call, uint32_t label, uint32_t i);

/* Ports of a call per leg kind; DPB_P_B_RTCP in relay mode is DPB_P_B. */
unsigned dpb_nb_gw_ports(const struct dpb_plan *p); /* per call: 3 bridge, 2 relay */
uint16_t dpb_gw_port(const struct dpb_plan *p, uint32_t call, enum dpb_port which);
/* Which call and port kind a gateway port number belongs to: 0 or -ENOENT. */
int dpb_gw_port_of(const struct dpb_plan *p, uint16_t port, uint32_t *call,
		   enum dpb_port *which);
void dpb_gw_addr(const struct dpb_plan *p, uint32_t call, enum dpb_port which,
		 struct ponte_addr *out);
void dpb_peer_addr(const struct dpb_plan *p, enum dpb_port which, struct ponte_addr *out);

/* The profile of a leg, and the key of stream s of call (PONTE_SRTP_NULL and zeros for a plain
 * leg). */
uint16_t dpb_leg_profile(const struct dpb_plan *p, enum dpb_leg leg);
void dpb_key(const struct dpb_plan *p, uint32_t call, enum dpb_stream s,
	     struct ponte_srtp_key *out);
uint32_t dpb_ssrc(const struct dpb_plan *p, uint32_t call, enum dpb_ssrc_role r);
/* First sequence number and timestamp of the peer's stream on leg. */
uint16_t dpb_seq0(const struct dpb_plan *p, uint32_t call, enum dpb_leg leg);
uint32_t dpb_ts0(const struct dpb_plan *p, uint32_t call, enum dpb_leg leg);
/* The payload type the peer on leg sends, and the one it receives. */
uint8_t dpb_pt_sent(const struct dpb_plan *p, enum dpb_leg leg);
uint8_t dpb_pt_received(const struct dpb_plan *p, enum dpb_leg leg);

/* RTP timestamp units per packet: 20 ms of PCMU (8 kHz) or of Opus (48 kHz). */
uint32_t dpb_ts_step(const struct dpb_plan *p);
/* The clock of the codec in kHz, for the flows' clock_khz. */
uint8_t dpb_clock_khz(const struct dpb_plan *p);

/* Write the payload of packet pkt of stream s of call (len >= DPB_PAYLOAD_MIN). */
void dpb_payload_fill(const struct dpb_plan *p, uint8_t *buf, size_t len, uint32_t call,
		      enum dpb_stream s, uint64_t pkt, uint64_t sent_ns);
/* Check one: 0 and *pkt, *sent_ns filled; -EBADMSG when it is not a payload of that call and
 * stream (magic, call, stream) or its filler is wrong; -EINVAL when too short. */
int dpb_payload_check(const struct dpb_plan *p, const uint8_t *buf, size_t len, uint32_t call,
		      enum dpb_stream s, uint64_t *pkt, uint64_t *sent_ns);

/* "bridge"/"relay" and back (-EINVAL). */
const char *dpb_mode_name(enum dpb_mode m);
int dpb_mode_parse(const char *s, enum dpb_mode *out);
/* "gcm" (AEAD_AES_128_GCM), "cm" (AES128_CM_SHA1_80), "cm32", "none" and back. */
int dpb_profile_parse(const char *s, uint16_t *out);
const char *dpb_profile_short(uint16_t profile);

#endif
