/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the SDP module: whatever parses must print, the printed form must parse
 * again and print the same (printing is canonical), printing for logs must work too, and an
 * answer built from it with fixed gateway parameters must print and parse. Any broken
 * invariant aborts, so the fuzzer (and the corpus replay in CI) reports it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sdp.h"
#include "sdp_negotiate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FB_ALL                                                                                     \
	(SDP_FB_NACK | SDP_FB_NACK_PLI | SDP_FB_CCM_FIR | SDP_FB_GOOG_REMB | SDP_FB_TRANSPORT_CC)

static const struct sdp_codec codecs[] = {
    {SDP_KIND_AUDIO, "opus", 48000, 2, "minptime=10;useinbandfec=1", 111, false, 0, FB_ALL},
    {SDP_KIND_AUDIO, "PCMU", 8000, 0, NULL, 0, false, 0, 0},
    {SDP_KIND_AUDIO, "PCMA", 8000, 0, NULL, 8, false, 0, 0},
    {SDP_KIND_AUDIO, "G722", 8000, 0, NULL, 9, false, 0, 0},
    {SDP_KIND_AUDIO, "telephone-event", 48000, 0, "0-15", 110, false, 0, 0},
    {SDP_KIND_AUDIO, "telephone-event", 8000, 0, NULL, 126, false, 0, 0},
    {SDP_KIND_VIDEO, "VP8", 90000, 0, NULL, 96, true, 97, FB_ALL},
    {SDP_KIND_VIDEO, "H264", 90000, 0,
     "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f", 102, true, 103,
     FB_ALL},
    {SDP_KIND_VIDEO, "H264", 90000, 0, "packetization-mode=0;profile-level-id=640c34", 104, true,
     105, FB_ALL},
    {SDP_KIND_VIDEO, "VP9", 90000, 0, "profile-id=0", 98, true, 99, FB_ALL},
    {SDP_KIND_VIDEO, "AV1", 90000, 0, NULL, 45, true, 46, FB_ALL},
};

static const struct sdp_local_extmap extmaps[] = {
    {"urn:ietf:params:rtp-hdrext:sdes:mid", 4, SDP_KIND_AUDIO | SDP_KIND_VIDEO},
    {"urn:ietf:params:rtp-hdrext:ssrc-audio-level", 1, SDP_KIND_AUDIO},
    {"http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time", 2,
     SDP_KIND_AUDIO | SDP_KIND_VIDEO},
};

static const struct sdp_candidate candidates[] = {
    {"1", 1, "udp", 2130706431, "127.0.0.1", 40000, "host", NULL, -1, NULL, -1, NULL, NULL, 0},
};

static const struct sdp_local_stream streams[] = {
    {SDP_KIND_AUDIO, "ponte", "ponte-audio", 1111, 0},
    {SDP_KIND_VIDEO, "ponte", NULL, 2222, 3333},
};

static const struct sdp_local local = {
    .session_id = 1,
    .session_version = 1,
    .ice_ufrag = "pOnT",
    .ice_pwd = "ponteponteponteponte22",
    .has_trickle = true,
    .fingerprint_hash = "sha-256",
    .fingerprint = "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:"
		   "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF",
    .candidates = candidates,
    .nb_candidates = 1,
    .is_gathering_complete = true,
    .codecs = codecs,
    .nb_codecs = sizeof(codecs) / sizeof(codecs[0]),
    .extmaps = extmaps,
    .nb_extmaps = sizeof(extmaps) / sizeof(extmaps[0]),
    .is_extmap_allow_mixed = true,
    .has_datachannel = true,
    .streams = streams,
    .nb_streams = 2,
    .cname = "fuzz",
};

static void fail(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_sdp: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
	abort();
}

/* Print SDP; the printed form must parse, and print back identically. */
static void check_print(const struct sdp *sdp, const char *what)
{
	char err[SDP_ERR_LEN], *out = NULL, *out2 = NULL;
	struct sdp *again = NULL;
	size_t len, len2;

	if (sdp_print(sdp, 0, &out, &len) != 0)
		fail(what, "does not print");
	if (strlen(out) != len)
		fail(what, "prints a NUL byte");
	if (sdp_parse(out, len, &again, err, sizeof(err)) != 0)
		fail(what, err);
	if (sdp_print(again, 0, &out2, &len2) != 0 || len2 != len || memcmp(out, out2, len) != 0)
		fail(what, "printing is not canonical: parse(print(x)) prints differently");
	free(out2);
	sdp_free(again);
	free(out);
	if (sdp_print(sdp, SDP_PRINT_REDACT, &out, &len) != 0)
		fail(what, "does not print redacted");
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[SDP_ERR_LEN];
	struct sdp *sdp = NULL, *answer = NULL;

	err[0] = '\0';
	if (sdp_parse((const char *)data, size, &sdp, err, sizeof(err)) != 0) {
		if (sdp != NULL || err[0] == '\0')
			fail("a failed parse", "left a description or no message");
		return 0;
	}
	check_print(sdp, "parsed input");
	err[0] = '\0';
	if (sdp_answer_create(sdp, &local, &answer, err, sizeof(err)) == 0)
		check_print(answer, "answer");
	else if (answer != NULL || err[0] == '\0')
		fail("a refused answer", "left a description or no message");
	sdp_free(answer);
	sdp_free(sdp);
	return 0;
}
