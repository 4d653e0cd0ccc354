/* SPDX-License-Identifier: MIT */
/*
 * The WebRTC side forwards media without transcoding, so it accepts every codec both ends can
 * have (issue: Opus, G.711, G.722, telephone-event, VP8, H264, VP9, AV1). Order is preference.
 */
#include "codecs.h"

/* No transport-cc: its sequence numbers are per transport, and a gateway that forwards between
 * transports without rewriting them would feed each sender another transport's feedback. */
#define VIDEO_FB (SDP_FB_NACK | SDP_FB_NACK_PLI | SDP_FB_CCM_FIR | SDP_FB_GOOG_REMB)

const struct sdp_codec ponte_webrtc_codecs[] = {
	{SDP_KIND_AUDIO, "opus", 48000, 2, "minptime=10;useinbandfec=1", 111, false, 0, 0},
	{SDP_KIND_AUDIO, "G722", 8000, 0, NULL, 9, false, 0, 0},
	{SDP_KIND_AUDIO, "PCMU", 8000, 0, NULL, 0, false, 0, 0},
	{SDP_KIND_AUDIO, "PCMA", 8000, 0, NULL, 8, false, 0, 0},
	{SDP_KIND_AUDIO, "telephone-event", 48000, 0, "0-16", 110, false, 0, 0},
	{SDP_KIND_AUDIO, "telephone-event", 8000, 0, "0-16", 126, false, 0, 0},
	{SDP_KIND_VIDEO, "VP8", 90000, 0, NULL, 96, true, 97, VIDEO_FB},
	{SDP_KIND_VIDEO, "H264", 90000, 0,
	 "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f", 102, true, 103,
	 VIDEO_FB},
	{SDP_KIND_VIDEO, "H264", 90000, 0,
	 "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=640034", 104, true, 105,
	 VIDEO_FB},
	{SDP_KIND_VIDEO, "VP9", 90000, 0, "profile-id=0", 98, true, 99, VIDEO_FB},
	{SDP_KIND_VIDEO, "AV1", 90000, 0, NULL, 45, true, 46, VIDEO_FB},
};
const unsigned ponte_webrtc_nb_codecs = sizeof(ponte_webrtc_codecs) / sizeof(ponte_webrtc_codecs[0]);

/* Extensions forwarded untouched between legs. Not sdes:mid: a forwarded packet would carry the
 * sender's mid into a receiver whose sections differ; receivers demux by the SSRCs the gateway
 * announces instead (RFC 8843 §9.2). */
const struct sdp_local_extmap ponte_webrtc_extmaps[] = {
	{"urn:ietf:params:rtp-hdrext:ssrc-audio-level", 1, SDP_KIND_AUDIO},
	{"http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time", 2,
	 SDP_KIND_AUDIO | SDP_KIND_VIDEO},
	{"urn:3gpp:video-orientation", 13, SDP_KIND_VIDEO},
};
const unsigned ponte_webrtc_nb_extmaps =
	sizeof(ponte_webrtc_extmaps) / sizeof(ponte_webrtc_extmaps[0]);
