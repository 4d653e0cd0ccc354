/* SPDX-License-Identifier: MIT */
/* What the gateway's WebRTC side negotiates: codecs in preference order, header extensions. */
#ifndef PONTE_CONTROL_CODECS_H
#define PONTE_CONTROL_CODECS_H

#include "sdp_negotiate.h"

extern const struct sdp_codec ponte_webrtc_codecs[];
extern const unsigned ponte_webrtc_nb_codecs;
extern const struct sdp_local_extmap ponte_webrtc_extmaps[];
extern const unsigned ponte_webrtc_nb_extmaps;

#endif
