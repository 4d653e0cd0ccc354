/* SPDX-License-Identifier: MIT */
/*
 * Payload type translation between two negotiated sessions (a relayed room's members): each
 * browser numbers its codecs its own way, so a packet forwarded from one to another must carry
 * the number the receiver gave the same codec.
 */
#ifndef PONTE_CONTROL_SDP_PTMAP_H
#define PONTE_CONTROL_SDP_PTMAP_H

#include <stdint.h>

#include "sdp_negotiate.h"

/*
 * Fill map[128] (incoming type -> outgoing type, PONTE_PT_DROP for a type the receiver has no
 * counterpart for) from the accepted sections of `kind` in FROM (the sender's negotiated
 * description) to those in TO (the receiver's). Codecs match by encoding name, clock rate and
 * channels, H264 also by packetization-mode and profile, VP9 by profile-id; RTX follows the
 * codec it repairs (apt). Entries of other kinds are left as they are. Returns how many types
 * were mapped.
 */
unsigned sdp_pt_map(const struct sdp *from, const struct sdp *to, enum sdp_kind kind,
		    uint8_t map[128]);

#endif
