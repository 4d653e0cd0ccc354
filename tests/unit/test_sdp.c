/* SPDX-License-Identifier: MIT */
/*
 * Unit test of the SDP module (control/sdp*.c): real browser offers print back byte for byte
 * and are answered exactly as the expected answer files say, line by line; the gateway's own
 * offer likewise; each negotiation rule and each refusal (no BUNDLE, no rtcp-mux, no
 * fingerprint, a bad DTLS role, no common codec, H264 mismatches) with its message; hostile
 * and malformed input with its precise error; SDES keys kept out of logs and messages.
 * Run from tests/unit: fixtures are "sdp/...". Output is TAP-like.
 *
 * With arguments it prints instead of testing, to regenerate the expected files after a
 * reviewed change or to feed a browser: "test-sdp --answer OFFER.sdp", "test-sdp --offer".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <glib.h>
#include <string.h>

#include "sdp.h"
#include "sdp_negotiate.h"
#include "sdp_ptmap.h"

#include <ponte/flow.h>
#include "tap.h"

/* --- The gateway's parameters: fixed, so that answers are deterministic --- */

#define FB_VIDEO                                                                                   \
	(SDP_FB_NACK | SDP_FB_NACK_PLI | SDP_FB_CCM_FIR | SDP_FB_GOOG_REMB | SDP_FB_TRANSPORT_CC)

static const struct sdp_codec test_codecs[] = {
    {SDP_KIND_AUDIO, "opus", 48000, 2, "minptime=10;useinbandfec=1", 111, false, 0,
     SDP_FB_TRANSPORT_CC},
    {SDP_KIND_AUDIO, "PCMU", 8000, 0, NULL, 0, false, 0, 0},
    {SDP_KIND_AUDIO, "PCMA", 8000, 0, NULL, 8, false, 0, 0},
    {SDP_KIND_AUDIO, "G722", 8000, 0, NULL, 9, false, 0, 0},
    {SDP_KIND_AUDIO, "telephone-event", 48000, 0, "0-15", 110, false, 0, 0},
    {SDP_KIND_AUDIO, "telephone-event", 8000, 0, "0-15", 126, false, 0, 0},
    {SDP_KIND_VIDEO, "VP8", 90000, 0, NULL, 96, true, 97, FB_VIDEO},
    {SDP_KIND_VIDEO, "H264", 90000, 0,
     "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f", 102, true, 103,
     FB_VIDEO},
    {SDP_KIND_VIDEO, "VP9", 90000, 0, "profile-id=0", 98, true, 99, FB_VIDEO},
    {SDP_KIND_VIDEO, "AV1", 90000, 0, NULL, 45, true, 46, FB_VIDEO},
};

static const struct sdp_local_extmap test_extmaps[] = {
    {"urn:ietf:params:rtp-hdrext:sdes:mid", 4, SDP_KIND_AUDIO | SDP_KIND_VIDEO},
    {"urn:ietf:params:rtp-hdrext:ssrc-audio-level", 1, SDP_KIND_AUDIO},
    {"http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time", 2,
     SDP_KIND_AUDIO | SDP_KIND_VIDEO},
    {"http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01", 3,
     SDP_KIND_AUDIO | SDP_KIND_VIDEO},
    {"urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id", 10, SDP_KIND_VIDEO},
    {"urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id", 11, SDP_KIND_VIDEO},
};

static const struct sdp_candidate test_candidates[] = {
    {"1", 1, "udp", 2130706431, "127.0.0.1", 40000, "host", NULL, -1, NULL, -1, NULL, NULL, 0},
    {"2", 1, "tcp", 1684798975, "127.0.0.1", 40001, "host", NULL, -1, "passive", -1, NULL, NULL, 0},
};

static const struct sdp_local_stream test_streams[] = {
    {SDP_KIND_AUDIO, "ponte", "ponte-audio", 1111111111, 0},
    {SDP_KIND_VIDEO, "ponte", "ponte-video", 2222222222u, 3333333333u},
};

static const struct sdp_local test_local = {
    .session_id = 4611686018427387000ull,
    .session_version = 2,
    .ice_ufrag = "pOnT",
    .ice_pwd = "ponteponteponteponte22",
    .is_ice_lite = true,
    .has_trickle = true,
    .fingerprint_hash = "sha-256",
    .fingerprint = "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:"
		   "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF",
    .candidates = test_candidates,
    .nb_candidates = 2,
    .is_gathering_complete = true,
    .codecs = test_codecs,
    .nb_codecs = sizeof(test_codecs) / sizeof(test_codecs[0]),
    .extmaps = test_extmaps,
    .nb_extmaps = sizeof(test_extmaps) / sizeof(test_extmaps[0]),
    .is_extmap_allow_mixed = true,
    .has_datachannel = true,
    .streams = test_streams,
    .nb_streams = 2,
    .cname = "ponte-cname",
};

/* --- Helpers --- */

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)n + 1)) != NULL) {
		*len = fread(buf, 1, (size_t)n, f);
		buf[*len] = '\0';
	}
	fclose(f);
	return buf;
}

/* TEXT with every OLD replaced by NEW (a new string). */
static char *replace(const char *text, const char *old, const char *new)
{
	size_t old_len = strlen(old), new_len = strlen(new), n = 0;
	const char *p;

	for (p = text; (p = strstr(p, old)) != NULL; p += old_len)
		n++;
	char *out = malloc(strlen(text) + n * new_len + 1), *o = out;

	for (p = text;;) {
		const char *hit = strstr(p, old);

		if (hit == NULL)
			break;
		memcpy(o, p, (size_t)(hit - p));
		o += hit - p;
		memcpy(o, new, new_len);
		o += new_len;
		p = hit + old_len;
	}
	strcpy(o, p);
	return out;
}

/* TEXT without the lines that start with PREFIX. */
static char *drop_lines(const char *text, const char *prefix)
{
	char *out = malloc(strlen(text) + 1), *o = out;

	for (const char *p = text; *p != '\0';) {
		const char *nl = strchr(p, '\n');
		size_t n = nl != NULL ? (size_t)(nl - p) + 1 : strlen(p);

		if (strncmp(p, prefix, strlen(prefix)) != 0) {
			memcpy(o, p, n);
			o += n;
		}
		p += n;
	}
	*o = '\0';
	return out;
}

/* Parse and answer TEXT; the printed answer (free it), or NULL with the message in ERR. */
static char *answer_of(const char *text, const struct sdp_local *local, char *err, size_t errlen)
{
	struct sdp *offer = NULL, *answer = NULL;
	char *out = NULL;

	err[0] = '\0';
	if (sdp_parse(text, strlen(text), &offer, err, errlen) == 0 &&
	    sdp_answer_create(offer, local, &answer, err, errlen) == 0)
		sdp_print(answer, 0, &out, NULL);
	sdp_free(answer);
	sdp_free(offer);
	return out;
}

/* Whether TEXT has LINE (without its CRLF) as a whole line. */
static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; p != NULL && *p != '\0';) {
		if (strncmp(p, line, n) == 0 && p[n] == '\r')
			return true;
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return false;
}

/* Compare HAVE with the file WANT_PATH line by line; prints each differing line. */
static void check_lines(const char *have, const char *want_path, const char *what)
{
	size_t len;
	char *want = read_file(want_path, &len);
	unsigned line = 0, nb_diff = 0;
	const char *h = have, *w = want;

	if (want == NULL || have == NULL) {
		CHECK(false, "%s: %s", what, want == NULL ? "expected file missing" : "no output");
		free(want);
		return;
	}
	while (*h != '\0' || *w != '\0') {
		size_t hn = strcspn(h, "\n"), wn = strcspn(w, "\n");

		line++;
		if (hn != wn || memcmp(h, w, hn) != 0) {
			if (nb_diff++ < 8)
				printf("#   line %u: have '%.*s' want '%.*s'\n", line,
				       (int)(hn && h[hn - 1] == '\r' ? hn - 1 : hn), h,
				       (int)(wn && w[wn - 1] == '\r' ? wn - 1 : wn), w);
		}
		h += hn + (h[hn] == '\n');
		w += wn + (w[wn] == '\n');
	}
	CHECK(nb_diff == 0, "%s: all %u lines as in %s (%u differ)", what, line, want_path,
	      nb_diff);
	free(want);
}

/* --- Browser offers: parse, print back, answer --- */

static const char *const browser_offers[] = {
    "chrome-offer",
    "chrome-simulcast-offer",
    "firefox-offer",
    "safari-offer",
};

/* Browser descriptions that are only parsed and printed back, not answered. */
static const char *const browser_others[] = {
    "chrome-answer-to-gateway",
};

static void test_round_trip(const char *name)
{
	char path[128], *out = NULL, err[SDP_ERR_LEN];
	struct sdp *sdp = NULL, *again = NULL;
	size_t len, out_len = 0;

	snprintf(path, sizeof(path), "sdp/%s.sdp", name);
	char *text = read_file(path, &len);

	CHECK(text != NULL && sdp_parse(text, len, &sdp, err, sizeof(err)) == 0, "%s parses%s%s",
	      path, text && !sdp ? ": " : "", text && !sdp ? err : "");
	if (sdp == NULL)
		goto out;
	CHECK(sdp_print(sdp, 0, &out, &out_len) == 0 && out_len == len &&
		  memcmp(out, text, len) == 0,
	      "%s prints back byte for byte (%zu bytes)", path, len);
	CHECK(sdp_parse(out, out_len, &again, err, sizeof(err)) == 0 &&
		  again->nb_media == sdp->nb_media,
	      "%s: the printed form parses again", path);
out:
	sdp_free(again);
	sdp_free(sdp);
	free(out);
	free(text);
}

static void test_answer_file(const char *name)
{
	char path[128], want[128], err[SDP_ERR_LEN], what[160];
	struct sdp *reparsed = NULL;
	size_t len;

	snprintf(path, sizeof(path), "sdp/%s.sdp", name);
	snprintf(want, sizeof(want), "sdp/%s.answer.sdp", name);
	char *text = read_file(path, &len);
	char *answer = text != NULL ? answer_of(text, &test_local, err, sizeof(err)) : NULL;

	snprintf(what, sizeof(what), "answer to %s", path);
	/* PONTE_REGEN_SDP=1 rewrites the expected files after an intended change: review the
	 * diff before committing it. */
	if (answer != NULL && getenv("PONTE_REGEN_SDP") != NULL)
		g_file_set_contents(want, answer, -1, NULL);
	CHECK(answer != NULL, "%s is created%s%s", what, answer ? "" : ": ", answer ? "" : err);
	check_lines(answer, want, what);
	CHECK(answer != NULL && sdp_parse(answer, strlen(answer), &reparsed, err, sizeof(err)) == 0,
	      "%s parses with our own parser", what);
	sdp_free(reparsed);
	free(answer);
	free(text);
}

/* Typed values of the fixtures: what the parser stored, not only what it prints. */
static void test_parsed_values(void)
{
	size_t len;
	char *text = read_file("sdp/chrome-offer.sdp", &len), err[SDP_ERR_LEN];
	struct sdp *sdp = NULL;
	const struct sdp_attr *a;

	if (text == NULL || sdp_parse(text, len, &sdp, err, sizeof(err)) != 0) {
		CHECK(false, "chrome offer parses for the value checks");
		free(text);
		return;
	}
	const struct sdp_media *audio = &sdp->media[0], *video = &sdp->media[1];

	CHECK(sdp->nb_media == 3 && strcmp(sdp->media[2].type, "application") == 0,
	      "chrome: 3 sections, the last one application");
	a = sdp_attr_find(sdp->attrs, sdp->nb_attrs, SDP_ATTR_GROUP);
	CHECK(a && strcmp(a->u.group.semantics, "BUNDLE") == 0 && a->u.group.nb_ids == 3 &&
		  strcmp(a->u.group.ids[2], "2") == 0,
	      "chrome: a=group:BUNDLE 0 1 2 as a list");
	a = sdp_attr_find(sdp->attrs, sdp->nb_attrs, SDP_ATTR_MSID_SEMANTIC);
	CHECK(a && a->u.msid_semantic.has_space &&
		  strcmp(a->u.msid_semantic.semantic, "WMS") == 0 && a->u.msid_semantic.nb_ids == 1,
	      "chrome: the draft-era 'msid-semantic: WMS <id>'");
	a = sdp_attr_find(audio->attrs, audio->nb_attrs, SDP_ATTR_CANDIDATE);
	CHECK(a && a->u.candidate.component == 1 && strcmp(a->u.candidate.transport, "udp") == 0 &&
		  a->u.candidate.priority == 2122260223u && a->u.candidate.port == 60878 &&
		  strcmp(a->u.candidate.type, "host") == 0 && a->u.candidate.generation == 0 &&
		  a->u.candidate.nb_exts == 2 &&
		  strcmp(a->u.candidate.exts[1].name, "network-cost") == 0,
	      "chrome: a=candidate fields, generation, and network-id/cost kept as extensions");
	CHECK(sdp_media_direction(sdp, audio) == SDP_DIR_SENDRECV &&
		  sdp_media_attr(sdp, audio, SDP_ATTR_SETUP)->u.setup == SDP_SETUP_ACTPASS,
	      "chrome: sendrecv, setup actpass");
	const struct sdp_rtpmap *r = sdp_media_rtpmap(audio, 111);

	CHECK(r && strcmp(r->encoding, "opus") == 0 && r->clock == 48000 && r->channels == 2,
	      "chrome: rtpmap 111 opus/48000/2");
	CHECK(strcmp(sdp_media_fmtp(video, 102),
		     "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f") == 0,
	      "chrome: fmtp 102 kept verbatim");
	a = sdp_attr_find(video->attrs, video->nb_attrs, SDP_ATTR_SSRC_GROUP);
	CHECK(a && strcmp(a->u.ssrc_group.semantics, "FID") == 0 && a->u.ssrc_group.nb_ids == 2 &&
		  a->u.ssrc_group.ids[0] == 758755559u,
	      "chrome: ssrc-group FID with its two ids");
	a = sdp_attr_find(video->attrs, video->nb_attrs, SDP_ATTR_EXTMAP);
	CHECK(a && a->u.extmap.id == 14 && !a->u.extmap.has_dir &&
		  strcmp(a->u.extmap.uri, "urn:ietf:params:rtp-hdrext:toffset") == 0,
	      "chrome: extmap id and uri");
	a = sdp_attr_find(video->attrs, video->nb_attrs, SDP_ATTR_GENERIC);
	CHECK(a && strcmp(a->u.generic.name, "rtcp-xr") == 0 &&
		  strcmp(a->u.generic.value, "rcvr-rtt=all") == 0,
	      "chrome: unknown a=rtcp-xr kept as generic name/value");
	a = sdp_attr_find(sdp->media[2].attrs, sdp->media[2].nb_attrs, SDP_ATTR_MAX_MESSAGE_SIZE);
	CHECK(a && a->u.num == 262144, "chrome: max-message-size 262144");
	sdp_free(sdp);
	free(text);

	text = read_file("sdp/firefox-offer.sdp", &len);
	if (text == NULL || sdp_parse(text, len, &sdp, err, sizeof(err)) != 0) {
		CHECK(false, "firefox offer parses for the value checks");
		free(text);
		return;
	}
	a = sdp_media_attr(sdp, &sdp->media[0], SDP_ATTR_FINGERPRINT);
	CHECK(a && a == sdp_attr_find(sdp->attrs, sdp->nb_attrs, SDP_ATTR_FINGERPRINT),
	      "firefox: the session-level fingerprint applies to the sections");
	unsigned pos = 0;

	sdp_attr_next(sdp->media[0].attrs, sdp->media[0].nb_attrs, &pos, SDP_ATTR_EXTMAP);
	a = sdp_attr_next(sdp->media[0].attrs, sdp->media[0].nb_attrs, &pos, SDP_ATTR_EXTMAP);
	CHECK(a && a->u.extmap.id == 2 && a->u.extmap.has_dir &&
		  a->u.extmap.dir == SDP_DIR_RECVONLY,
	      "firefox: extmap 2/recvonly");
	r = sdp_media_rtpmap(&sdp->media[0], 101);
	CHECK(r && r->channels == 1, "firefox: telephone-event/8000/1 keeps its channel count");
	sdp_free(sdp);
	free(text);
}

/* --- Negotiation rules --- */

static void test_errors(void)
{
	size_t len;
	char *chrome = read_file("sdp/chrome-offer.sdp", &len), err[SDP_ERR_LEN];
	char *t, *ans;

	if (chrome == NULL) {
		CHECK(false, "chrome offer readable");
		return;
	}
	t = drop_lines(chrome, "a=group:BUNDLE");
	ans = answer_of(t, &test_local, err, sizeof(err));
	CHECK(ans == NULL, "an offer without BUNDLE is refused");
	CHECK_STR(err,
		  "offer has no a=group:BUNDLE; the WebRTC side requires BUNDLE (RFC 8843, "
		  "RFC 8829 §4.1.1 max-bundle)",
		  "... saying BUNDLE is required");
	free(ans);
	free(t);

	t = drop_lines(chrome, "a=rtcp-mux");
	ans = answer_of(t, &test_local, err, sizeof(err));
	CHECK(ans == NULL, "an offer without rtcp-mux is refused");
	CHECK_STR(err,
		  "mid 0: offer has no a=rtcp-mux; the WebRTC side requires RTP/RTCP multiplexing "
		  "(RFC 5761, RFC 8843 §9.3)",
		  "... saying rtcp-mux is required");
	free(ans);
	free(t);

	t = drop_lines(chrome, "a=fingerprint");
	ans = answer_of(t, &test_local, err, sizeof(err));
	CHECK(ans == NULL, "an offer without a fingerprint is refused");
	CHECK_STR(err, "mid 0: no a=fingerprint; DTLS-SRTP needs one (RFC 8122 §5, RFC 5763 §5)",
		  "... saying a fingerprint is needed");
	free(ans);
	free(t);

	t = replace(chrome, "a=setup:actpass", "a=setup:holdconn");
	ans = answer_of(t, &test_local, err, sizeof(err));
	CHECK(ans == NULL, "an offer with a=setup:holdconn is refused");
	CHECK_STR(err,
		  "m= section 1: a=setup:holdconn; the DTLS role must be actpass, active or "
		  "passive (RFC 8842 §5.2)",
		  "... naming the roles allowed");
	free(ans);
	free(t);

	t = drop_lines(chrome, "a=setup");
	ans = answer_of(t, &test_local, err, sizeof(err));
	CHECK(ans == NULL, "an offer without a=setup is refused");
	CHECK_STR(err, "mid 0: no a=setup (RFC 8842 §5.2)", "... saying a=setup is missing");
	free(ans);
	free(t);

	t = drop_lines(chrome, "a=ice-pwd");
	ans = answer_of(t, &test_local, err, sizeof(err));
	CHECK(ans == NULL && strcmp(err, "mid 0: no a=ice-ufrag or a=ice-pwd (RFC 8839 §5.4)") == 0,
	      "an offer without ICE credentials is refused (%s)", err);
	free(ans);
	free(t);

	struct sdp_local local = test_local;

	local.nb_codecs = 0;
	local.has_datachannel = false;
	ans = answer_of(chrome, &local, err, sizeof(err));
	CHECK(ans == NULL, "no common codec in any section: the session is refused");
	CHECK_STR(err,
		  "no media section can be accepted: m= section 1 (mid 0): no common codec; m= "
		  "section 2 (mid 1): no common codec; m= section 3 (mid 2): data channels are "
		  "disabled",
		  "... with each section's reason");
	free(ans);
	free(chrome);
}

static void test_setup_roles(void)
{
	size_t len;
	char *chrome = read_file("sdp/chrome-offer.sdp", &len), err[SDP_ERR_LEN];
	struct sdp_local local = test_local;
	char *t, *ans;

	if (chrome == NULL)
		return;
	t = replace(chrome, "a=setup:actpass", "a=setup:active");
	ans = answer_of(t, &test_local, err, sizeof(err));
	CHECK(ans && has_line(ans, "a=setup:passive") && !has_line(ans, "a=setup:active"),
	      "offer active -> answer passive (RFC 8842 §5.2)");
	free(ans);
	free(t);
	t = replace(chrome, "a=setup:actpass", "a=setup:passive");
	ans = answer_of(t, &test_local, err, sizeof(err));
	CHECK(ans && has_line(ans, "a=setup:active"), "offer passive -> answer active");
	free(ans);
	free(t);
	local.setup = SDP_SETUP_ACTIVE;
	ans = answer_of(chrome, &local, err, sizeof(err));
	CHECK(ans && has_line(ans, "a=setup:active"),
	      "offer actpass with the role configured active -> answer active");
	free(ans);
	free(chrome);
}

/* Firefox's offer answered by a gateway without video codecs: video gets port 0 only. */
static void test_one_section_rejected(void)
{
	size_t len;
	char *ff = read_file("sdp/firefox-offer.sdp", &len), err[SDP_ERR_LEN];
	struct sdp_local local = test_local;
	struct sdp *answer = NULL;

	local.nb_codecs = 6; /* the audio codecs only */
	char *ans = ff ? answer_of(ff, &local, err, sizeof(err)) : NULL;

	CHECK(ans != NULL, "no common video codec: the session still goes on (%s)",
	      ans ? "ok" : err);
	CHECK(
	    ans && has_line(ans, "m=video 0 UDP/TLS/RTP/SAVPF 120 124 121 125 126 127 97 98"),
	    "... the video section is rejected with port 0 and the offered formats (RFC 3264 §6)");
	CHECK(ans && has_line(ans, "a=group:BUNDLE 0") && has_line(ans, "a=mid:1"),
	      "... and left out of the BUNDLE group, its mid kept");
	CHECK(ans && sdp_parse(ans, strlen(ans), &answer, err, sizeof(err)) == 0 &&
		  answer->nb_media == 2 && answer->media[0].port == 40000 &&
		  answer->media[1].nb_attrs == 1,
	      "... the audio section is accepted, the rejected one has nothing but its mid");
	sdp_free(answer);
	free(ans);

	/* Tagged section rejected: the next accepted mid becomes the tag (RFC 8843 §7.3.1). */
	local = test_local;
	local.nb_codecs = sizeof(test_codecs) / sizeof(test_codecs[0]);
	local.codecs = test_codecs;
	char *t1 = ff ? replace(ff, "m=audio 9 UDP/TLS/RTP/SAVPF 109 9 0 8 101",
				"m=audio 9 UDP/TLS/RTP/SAVPF 109")
		      : NULL;
	char *t = t1 ? replace(t1, "a=rtpmap:109 opus/48000/2", "a=rtpmap:109 speex/16000") : NULL;

	free(t1);
	ans = t ? answer_of(t, &local, err, sizeof(err)) : NULL;
	CHECK(ans && has_line(ans, "a=group:BUNDLE 1") &&
		  has_line(ans, "m=audio 0 UDP/TLS/RTP/SAVPF 109") &&
		  has_line(ans, "a=candidate:1 1 udp 2130706431 127.0.0.1 40000 typ host"),
	      "first section rejected: the video one is tagged and carries the candidates");
	free(ans);
	free(t);
	free(ff);
}

/* A small WebRTC offer around one video section, for codec rules. */
static char *video_offer(const char *fmts, const char *lines)
{
	static const char *head = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
				  "a=group:BUNDLE v\r\nm=video 9 UDP/TLS/RTP/SAVPF ";
	static const char *transport =
	    "\r\nc=IN IP4 0.0.0.0\r\na=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuv\r\n"
	    "a=fingerprint:sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:"
	    "33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF\r\na=setup:actpass\r\na=mid:v\r\n"
	    "a=rtcp-mux\r\n";
	size_t n = strlen(head) + strlen(fmts) + strlen(transport) + strlen(lines) + 1;
	char *out = malloc(n);

	snprintf(out, n, "%s%s%s%s", head, fmts, transport, lines);
	return out;
}

static void test_video_codec_rules(void)
{
	char err[SDP_ERR_LEN], *t, *ans;

	t = video_offer("100", "a=rtpmap:100 H264/90000\r\n"
			       "a=fmtp:100 packetization-mode=0;profile-level-id=42e01f\r\n");
	ans = answer_of(t, &test_local, err, sizeof(err));
	CHECK(ans == NULL && strstr(err, "(mid v): no common codec") != NULL,
	      "H264 packetization-mode 0 offered, 1 supported: no match (%s)", err);
	free(ans);
	free(t);

	t = video_offer("100", "a=rtpmap:100 H264/90000\r\n"
			       "a=fmtp:100 packetization-mode=1;profile-level-id=4d001f\r\n");
	ans = answer_of(t, &test_local, err, sizeof(err));
	CHECK(ans == NULL, "H264 Main offered, Constrained Baseline supported: no match");
	free(ans);
	free(t);

	t = video_offer("100",
			"a=rtpmap:100 H264/90000\r\n"
			"a=fmtp:100 profile-level-id=42e034;packetization-mode=1;"
			"sprop-parameter-sets=Z0LAH9oBQBbsBEAAAAMAQAAADyPGDKg=,aM4yyA==\r\n");
	ans = answer_of(t, &test_local, err, sizeof(err));
	CHECK(ans && has_line(ans, "a=fmtp:100 profile-level-id=42e01f;packetization-mode=1"),
	      "H264 level 5.2 offered, 3.1 supported: answered at 3.1, sprop-* dropped, "
	      "level-asymmetry-allowed not offered so not answered");
	free(ans);
	free(t);

	t = video_offer("100", "a=rtpmap:100 H264/90000\r\n"
			       "a=fmtp:100 level-asymmetry-allowed=1;packetization-mode=1;"
			       "profile-level-id=42f00b\r\n");
	ans = answer_of(t, &test_local, err, sizeof(err));
	CHECK(ans && has_line(ans, "a=fmtp:100 level-asymmetry-allowed=1;packetization-mode=1;"
				   "profile-level-id=42f00b"),
	      "H264 level 1b offered (constraint_set3 with level 11): answered at 1b");
	free(ans);
	free(t);

	t = video_offer("100 101", "a=rtpmap:100 VP9/90000\r\na=fmtp:100 profile-id=2\r\n"
				   "a=rtpmap:101 rtx/90000\r\na=fmtp:101 apt=100\r\n");
	ans = answer_of(t, &test_local, err, sizeof(err));
	CHECK(ans == NULL, "VP9 profile-id 2 offered, 0 supported: no match");
	free(ans);
	free(t);

	t = video_offer("100 101 102 103",
			"a=rtpmap:100 VP8/90000\r\na=rtpmap:101 rtx/90000\r\na=fmtp:101 apt=100\r\n"
			"a=rtpmap:102 MP4V-ES/90000\r\na=rtpmap:103 rtx/90000\r\n"
			"a=fmtp:103 apt=102\r\na=rtcp-fb:100 nack\r\na=rtcp-fb:100 nack rpsi\r\n"
			"a=rtcp-fb:* ccm fir\r\na=rtcp-fb:* ccm tmmbr\r\na=rtcp-fb:102 nack\r\n"
			"a=extmap:5/sendonly urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
			"a=extmap:6 urn:ietf:params:rtp-hdrext:toffset\r\n");
	ans = answer_of(t, &test_local, err, sizeof(err));
	CHECK(ans && has_line(ans, "m=video 40000 UDP/TLS/RTP/SAVPF 100 101"),
	      "RTX kept only for a kept codec (103 for MP4V-ES goes with it)");
	CHECK(ans && has_line(ans, "a=rtcp-fb:100 nack") &&
		  has_line(ans, "a=rtcp-fb:100 ccm fir") && !strstr(ans, "rpsi") &&
		  !strstr(ans, "tmmbr") && !strstr(ans, "a=rtcp-fb:102"),
	      "rtcp-fb: supported ones kept (a '*' one written for the codec), others dropped");
	CHECK(ans && has_line(ans, "a=extmap:5/recvonly urn:ietf:params:rtp-hdrext:sdes:mid") &&
		  !strstr(ans, "toffset"),
	      "extmap: accepted URI keeps the offered id, /sendonly answered /recvonly; others "
	      "dropped");
	CHECK(ans && has_line(ans, "a=rtpmap:100 VP8/90000") && has_line(ans, "a=fmtp:101 apt=100"),
	      "payload type numbers are the offer's");
	free(ans);
	free(t);
}

static void test_directions(void)
{
	static const struct {
		const char *offered;
		enum sdp_direction local_audio;
		const char *answered;
		bool has_msid;
	} cases[] = {
	    {"a=sendrecv", SDP_DIR_SENDRECV, "a=sendrecv", true},
	    {"a=sendonly", SDP_DIR_SENDRECV, "a=recvonly", false},
	    {"a=recvonly", SDP_DIR_SENDRECV, "a=sendonly", true},
	    {"a=inactive", SDP_DIR_SENDRECV, "a=inactive", false},
	    {"a=sendrecv", SDP_DIR_RECVONLY, "a=recvonly", false},
	    {"a=recvonly", SDP_DIR_RECVONLY, "a=inactive", false},
	};
	size_t len;
	char *ff = read_file("sdp/firefox-offer.sdp", &len), err[SDP_ERR_LEN];

	for (size_t i = 0; ff != NULL && i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sdp_local local = test_local;
		char prefix[128], *t;

		snprintf(prefix, sizeof(prefix),
			 "m=audio 9 UDP/TLS/RTP/SAVPF 109 9 0 8 101\r\nc=IN IP4 0.0.0.0\r\n%s",
			 cases[i].offered);
		t = replace(ff,
			    "m=audio 9 UDP/TLS/RTP/SAVPF 109 9 0 8 101\r\nc=IN IP4 0.0.0.0\r\n"
			    "a=sendrecv",
			    prefix);
		local.audio_dir = cases[i].local_audio;
		char *ans = answer_of(t, &local, err, sizeof(err));
		char *video = ans ? strstr(ans, "m=video") : NULL;

		if (video != NULL)
			*video = '\0'; /* look at the audio section only */
		CHECK(ans && has_line(ans, cases[i].answered) &&
			  (strstr(ans, "a=msid:ponte ponte-audio") != NULL) == cases[i].has_msid &&
			  (strstr(ans, "a=ssrc:1111111111") != NULL) == cases[i].has_msid,
		      "offer %s, gateway %s: answer %s (RFC 3264 §6.1), msid/ssrc %s",
		      cases[i].offered, sdp_direction_name(cases[i].local_audio), cases[i].answered,
		      cases[i].has_msid ? "sent" : "not sent");
		free(ans);
		free(t);
	}
	free(ff);
}

/* Answers of the fixtures, looked at for single rules the expected files also show. */
static void test_answer_details(void)
{
	size_t len;
	char *safari = read_file("sdp/safari-offer.sdp", &len), err[SDP_ERR_LEN];
	char *ans = safari ? answer_of(safari, &test_local, err, sizeof(err)) : NULL;

	CHECK(ans && has_line(ans, "m=audio 40000 UDP/TLS/RTP/SAVPF 111 0 8 9 110 126") &&
		  has_line(ans, "a=rtpmap:110 telephone-event/48000") &&
		  !strstr(ans, "telephone-event/16000"),
	      "telephone-event matched by clock rate: 48000 and 8000 kept, 16000 not offered back");
	CHECK(ans && has_line(ans, "m=application 40000 DTLS/SCTP 5000") &&
		  has_line(ans, "a=sctpmap:5000 webrtc-datachannel 1024") &&
		  has_line(ans, "a=group:BUNDLE audio video data"),
	      "the pre-RFC 8841 data section (DTLS/SCTP 5000, a=sctpmap) is answered in its form");
	CHECK(ans && has_line(ans, "m=video 40000 UDP/TLS/RTP/SAVPF 100 101 98 99"),
	      "Safari's H264 Constrained High (640c1f) is not the gateway's profile; 42e01f is");
	free(ans);
	free(safari);

	char *sim = read_file("sdp/chrome-simulcast-offer.sdp", &len);

	ans = sim ? answer_of(sim, &test_local, err, sizeof(err)) : NULL;
	CHECK(ans && has_line(ans, "a=recvonly") && !strstr(ans, "a=rid") &&
		  !strstr(ans, "a=simulcast") && !strstr(ans, "a=msid"),
	      "a sendonly simulcast offer: answered recvonly, without rid/simulcast (not "
	      "negotiated, so the browser sends one encoding)");
	free(ans);
	free(sim);
}

static void test_h264_profiles(void)
{
	static const struct {
		const char *plid;
		int rc, level;
	} cases[] = {
	    {"42e01f", 0, 62},	    {"42001f", 0, 62},	    {"4d001f", 0, 62},
	    {"640c1f", 0, 62},	    {"42f00b", 0, 21},	    {"42e00b", 0, 22},
	    {"64000b", 0, 22},	    {"640009", 0, 21},	    {"42e000", -EINVAL, 0},
	    {"42e11f", -EINVAL, 0}, {"58601f", -EINVAL, 0}, {"64e01f", -EINVAL, 0},
	    {"xyzxyz", -EINVAL, 0}, {"42e01", -EINVAL, 0},
	};
	int cb, b, main, high, chigh, level;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int profile = 0, lv = 0, rc = sdp_h264_profile_level(cases[i].plid, &profile, &lv);

		CHECK(rc == cases[i].rc && (rc != 0 || lv == cases[i].level),
		      "profile-level-id %s: rc %d, ordered level %d", cases[i].plid, rc, lv);
	}
	sdp_h264_profile_level("42e01f", &cb, &level);
	sdp_h264_profile_level("42001f", &b, &level);
	sdp_h264_profile_level("4d001f", &main, &level);
	sdp_h264_profile_level("640c1f", &chigh, &level);
	sdp_h264_profile_level("64001f", &high, &level);
	CHECK(cb != b && b != main && main != high && high != chigh,
	      "Constrained Baseline, Baseline, Main, High, Constrained High are told apart");
	sdp_h264_profile_level("4d401f", &main, &level);
	sdp_h264_profile_level("58f01f", &b, &level);
	CHECK(b == cb, "58f01f is Constrained Baseline too (RFC 6184 Table 5)");
}

static void test_gateway_offer(void)
{
	struct sdp *offer = NULL, *reparsed = NULL, *answer = NULL;
	char err[SDP_ERR_LEN], *text = NULL, *ans_text = NULL;
	struct sdp_local local = test_local;

	CHECK(sdp_offer_create(&test_local, &offer, err, sizeof(err)) == 0 &&
		  sdp_print(offer, 0, &text, NULL) == 0,
	      "the gateway's offer is created");
	check_lines(text, "sdp/gateway-offer.sdp", "gateway offer");
	CHECK(text && sdp_parse(text, strlen(text), &reparsed, err, sizeof(err)) == 0,
	      "the gateway's offer parses");
	/* The same parameters answering it: every section accepted, the data channel too. */
	local.setup = SDP_SETUP_ACTIVE;
	CHECK(reparsed && sdp_answer_create(reparsed, &local, &answer, err, sizeof(err)) == 0 &&
		  sdp_print(answer, 0, &ans_text, NULL) == 0 &&
		  has_line(ans_text, "a=group:BUNDLE 0 1 2") &&
		  has_line(ans_text, "a=setup:active") && answer->media[1].port == 40000,
	      "the gateway's offer is answerable: bundle-only sections accepted into the group");

	struct sdp_codec dup[2] = {test_codecs[0], test_codecs[1]};

	dup[1].pt = dup[0].pt;
	local.codecs = dup;
	local.nb_codecs = 2;
	sdp_free(offer);
	offer = NULL;
	CHECK(sdp_offer_create(&local, &offer, err, sizeof(err)) == -EINVAL && offer == NULL,
	      "a codec table using a payload type twice is refused (%s)", err);
	sdp_free(answer);
	sdp_free(reparsed);
	sdp_free(offer);
	free(ans_text);
	free(text);
}

/* --- Parsing: hostile and malformed input --- */

static void test_hostile_files(void)
{
	static const struct {
		const char *file;
		int rc;
		const char *err;
	} cases[] = {
	    {"hostile-pt-range.sdp", -EINVAL,
	     "line 9: a=rtpmap: payload type 300 out of range (0-127)"},
	    {"hostile-mline-pt.sdp", -EINVAL, "line 6: m=: payload type 300 out of range (0-127)"},
	    {"hostile-order.sdp", -EINVAL,
	     "line 6: c= after a= in the session (RFC 8866 §5 fixes the order)"},
	    {"hostile-unknown-type.sdp", -EINVAL,
	     "line 4: unknown line type 'x=' (RFC 8866 §5: such a description is rejected)"},
	    {"hostile-nul.sdp", -EINVAL, "line 8: NUL or CR inside the line"},
	    {"hostile-candidate.sdp", -EINVAL,
	     "line 10: a=candidate: component id is not a number in 1-256"},
	    {"hostile-fingerprint.sdp", -EINVAL,
	     "line 10: a=fingerprint: sha-256 digest has 31 bytes, expected 32"},
	    {"hostile-crypto.sdp", -EINVAL,
	     "line 7: a=crypto: key parameter 2 is not inline:<key>"},
	    {"hostile-too-many-media.sdp", -E2BIG, "line 134: more than 64 m= sections"},
	    {"hostile-truncated.sdp", -EINVAL,
	     "line 6: m=: expected '<media> <port> <proto> <fmt> ...'"},
	    {"hostile-extmap.sdp", -EINVAL, "line 10: a=extmap: id 15 is reserved (RFC 8285 §4.2)"},
	    {"hostile-no-version.sdp", -EINVAL, "line 1: expected v=0 as the first line"},
	    {"hostile-duplicate-mid.sdp", -EINVAL,
	     "line 10: a=mid: given twice in a media section"},
	    {"hostile-two-directions.sdp", -EINVAL,
	     "line 11: a=inactive: a second direction attribute in a media section"},
	    {"hostile-conn.sdp", -EINVAL,
	     "line 7: c=: expected '<nettype> <addrtype> <connection-address>'"},
	    {"hostile-ufrag.sdp", -EINVAL, "line 10: a=ice-ufrag: 2 characters, expected 4-256"},
	    {"hostile-flag-value.sdp", -EINVAL, "line 10: a=rtcp-mux: takes no value"},
	    {"hostile-session-mid.sdp", -EINVAL, "line 5: a=mid: not allowed in the session"},
	    {"hostile-group-repeat.sdp", -EINVAL,
	     "line 5: a=group: identification tag '0' listed twice"},
	    {"hostile-mid-reused.sdp", -EINVAL,
	     "line 11: a=mid: '0' is already the mid of the m= section at line 6 (RFC 5888 §4)"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char path[128], err[SDP_ERR_LEN] = "";
		struct sdp *sdp = NULL;
		size_t len;

		snprintf(path, sizeof(path), "sdp/%s", cases[i].file);
		char *text = read_file(path, &len);
		int rc = text ? sdp_parse(text, len, &sdp, err, sizeof(err)) : -ENOENT;

		CHECK(rc == cases[i].rc && sdp == NULL && strcmp(err, cases[i].err) == 0, "%s: %s",
		      path, cases[i].err);
		if (strcmp(err, cases[i].err) != 0)
			printf("#   have: %s (rc %d)\n", err, rc);
		free(text);
	}
}

static void test_malformed_inline(void)
{
	char err[SDP_ERR_LEN];
	struct sdp *sdp = NULL;
	char *big = malloc(SDP_MAX_LEN + 2);

	memset(big, 'a', SDP_MAX_LEN + 1);
	CHECK(sdp_parse(big, SDP_MAX_LEN + 1, &sdp, err, sizeof(err)) == -E2BIG && sdp == NULL,
	      "more than 64 KiB is refused before parsing");
	CHECK_STR(err, "description is 65537 bytes, more than the 65536-byte limit",
		  "... saying so");
	free(big);

	CHECK(sdp_parse("", 0, &sdp, err, sizeof(err)) == -EINVAL, "empty input is refused");
	CHECK_STR(err, "empty description", "... as empty");
	const char *no_t = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\n";

	CHECK(sdp_parse(no_t, strlen(no_t), &sdp, err, sizeof(err)) == -EINVAL,
	      "a description without t= is refused");
	CHECK_STR(err, "line 3: no t= line (RFC 8866 §5 requires one)", "... naming t=");

	/* 1025 attributes in one section. */
	size_t cap = 64 + 1025 * 8, n;
	char *many = malloc(cap);

	n = (size_t)snprintf(many, cap, "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n");
	for (int i = 0; i < 1025; i++)
		n += (size_t)snprintf(many + n, cap - n, "a=x:%d\r\n", i % 10);
	CHECK(sdp_parse(many, n, &sdp, err, sizeof(err)) == -E2BIG,
	      "1025 attributes at one level are refused");
	CHECK_STR(err, "line 1029: more than 1024 attributes in the session", "... at its line");
	free(many);

	/* LF line ends and a missing final one: accepted, printed with CRLF. */
	const char *lf = "v=0\no=- 1 1 IN IP4 0.0.0.0\ns=-\nt=0 0\na=foo:bar baz \na=x-flag";
	char *out = NULL;

	CHECK(sdp_parse(lf, strlen(lf), &sdp, err, sizeof(err)) == 0 &&
		  sdp_print(sdp, 0, &out, NULL) == 0 &&
		  strcmp(out, "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
			      "a=foo:bar baz \r\na=x-flag\r\n") == 0,
	      "LF-only input parses; printing normalizes to CRLF and keeps unknown attributes "
	      "verbatim, trailing blank included");
	sdp_free(sdp);
	free(out);
	sdp = NULL;
}

static void test_crypto(void)
{
	size_t len;
	char *text = read_file("sdp/sip-savp-offer.sdp", &len), err[SDP_ERR_LEN], *out = NULL;
	struct sdp *sdp = NULL, *copy = sdp_new();

	CHECK(text && sdp_parse(text, len, &sdp, err, sizeof(err)) == 0 &&
		  sdp_print(sdp, 0, &out, NULL) == 0 && strcmp(out, text) == 0,
	      "RTP/SAVP with SDES (RFC 4568): parses and prints back (i=, u=, e=, b=, r= too)");
	free(out);
	out = NULL;
	if (sdp == NULL) {
		free(text);
		sdp_free(copy);
		return;
	}
	const struct sdp_media *m = &sdp->media[0];
	unsigned pos = 0;
	const struct sdp_attr *a = sdp_attr_next(m->attrs, m->nb_attrs, &pos, SDP_ATTR_CRYPTO);
	const struct sdp_attr *a2 = sdp_attr_next(m->attrs, m->nb_attrs, &pos, SDP_ATTR_CRYPTO);

	CHECK(a && a->u.crypto.tag == 1 &&
		  strcmp(a->u.crypto.suite, "AES_CM_128_HMAC_SHA1_80") == 0 &&
		  strcmp(a->u.crypto.session_params, "FEC_ORDER=FEC_SRTP") == 0 && a2 &&
		  a2->u.crypto.tag == 2 && strchr(a2->u.crypto.key_params, ';') != NULL,
	      "a=crypto: tag, suite, key parameters (two keys), session parameters");
	CHECK(sdp->nb_times == 1 && sdp->times[0].start == 2873397496u &&
		  sdp->times[0].nb_repeats == 1 && m->nb_bws == 1 && m->bws[0].value == 64000,
	      "t=, r= and b= values");
	CHECK(sdp_print(sdp, SDP_PRINT_REDACT, &out, NULL) == 0 && !strstr(out, "WVNfX19z") &&
		  !strstr(out, "QUJjZGVm") &&
		  has_line(out, "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:<redacted> "
				"FEC_ORDER=FEC_SRTP"),
	      "printing for logs redacts every SDES key");
	free(out);
	out = NULL;
	CHECK(sdp_copy_attr(copy, NULL, a2) == 0 &&
		  copy->attrs[0].u.crypto.key_params != a2->u.crypto.key_params &&
		  strcmp(copy->attrs[0].u.crypto.key_params, a2->u.crypto.key_params) == 0,
	      "copying an attribute copies its strings into the new description");
	sdp_free(sdp);
	sdp_free(copy);
	free(text);

	const char *bad = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
			  "m=audio 9 RTP/SAVP 0\r\n"
			  "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:TOPSECRETKEY#!\r\n";

	CHECK(sdp_parse(bad, strlen(bad), &sdp, err, sizeof(err)) == -EINVAL &&
		  !strstr(err, "TOPSECRET"),
	      "a malformed a=crypto is refused without quoting the key (%s)", err);
}

static void test_helpers(void)
{
	char buf[32];

	CHECK(sdp_fmtp_param("minptime=10;useinbandfec=1", "useinbandfec", buf, sizeof(buf)) &&
		  strcmp(buf, "1") == 0,
	      "fmtp parameter lookup");
	CHECK(sdp_fmtp_param("a=1; Profile-Id=2", "profile-id", buf, sizeof(buf)) &&
		  strcmp(buf, "2") == 0,
	      "fmtp parameter lookup: names without case, blanks after ';'");
	CHECK(!sdp_fmtp_param("apt=96", "ap", buf, sizeof(buf)) &&
		  !sdp_fmtp_param(NULL, "a", buf, 8),
	      "fmtp parameter lookup: no prefix matches, NULL lists");
	CHECK(sdp_proto_is_rtp("UDP/TLS/RTP/SAVPF") && sdp_proto_is_rtp("RTP/AVP") &&
		  !sdp_proto_is_rtp("UDP/DTLS/SCTP") && !sdp_proto_is_rtp("RTPX/AVP"),
	      "RTP protocol detection");
	const struct sdp_rtpmap *r = sdp_static_rtpmap(8);

	CHECK(r && strcmp(r->encoding, "PCMA") == 0 && r->clock == 8000 && !sdp_static_rtpmap(96),
	      "static payload types (RFC 3551 §6)");
}

/* --- Printing for regeneration and for browsers --- */

static int print_mode(int argc, char **argv)
{
	struct sdp *offer = NULL, *out = NULL;
	char err[SDP_ERR_LEN], *text = NULL;
	int rc;

	if (strcmp(argv[1], "--offer") == 0) {
		rc = sdp_offer_create(&test_local, &out, err, sizeof(err));
	} else if (strcmp(argv[1], "--answer") == 0 && argc == 3) {
		size_t len;
		char *in = read_file(argv[2], &len);

		rc = in ? sdp_parse(in, len, &offer, err, sizeof(err)) : -ENOENT;
		if (rc == 0)
			rc = sdp_answer_create(offer, &test_local, &out, err, sizeof(err));
		free(in);
	} else {
		fprintf(stderr, "usage: test-sdp [--offer | --answer OFFER.sdp]\n");
		return 2;
	}
	if (rc == 0)
		rc = sdp_print(out, 0, &text, NULL);
	if (rc == 0)
		fputs(text, stdout);
	else
		fprintf(stderr, "test-sdp: %s\n", err);
	free(text);
	sdp_free(out);
	sdp_free(offer);
	return rc == 0 ? 0 : 1;
}

/* A relayed room of a Chrome and a Firefox: each number their codecs differently. */
static void test_pt_map(void)
{
	size_t len;
	char err[SDP_ERR_LEN];
	char *ca = read_file("sdp/chrome-offer.answer.sdp", &len);
	char *fa = read_file("sdp/firefox-offer.answer.sdp", &len);
	struct sdp *c = NULL, *f = NULL;
	uint8_t map[128];
	unsigned n;

	CHECK(ca && fa && sdp_parse(ca, strlen(ca), &c, err, sizeof(err)) == 0 &&
		  sdp_parse(fa, strlen(fa), &f, err, sizeof(err)) == 0,
	      "pt map: the Chrome and Firefox answers parse");
	if (c == NULL || f == NULL)
		goto out;
	memset(map, PONTE_PT_KEEP, sizeof(map));
	n = sdp_pt_map(c, f, SDP_KIND_AUDIO, map);
	CHECK(map[111] == 109 && map[0] == 0 && map[8] == 8 && map[9] == 9 && map[126] == 101,
	      "pt map Chrome->Firefox audio: opus 111->109, G.711/G.722 kept, telephone-event "
	      "126->101 (%u mapped)", n);
	CHECK(map[110] == PONTE_PT_DROP,
	      "pt map: telephone-event/48000, which Firefox lacks, is dropped");
	n = sdp_pt_map(c, f, SDP_KIND_VIDEO, map);
	CHECK(map[96] == 120 && map[97] == 124 && map[98] == 121 && map[99] == 125,
	      "pt map Chrome->Firefox video: VP8 96->120 with its RTX 97->124, VP9 98->121/99->125");
	CHECK(map[45] == PONTE_PT_DROP && map[46] == PONTE_PT_DROP,
	      "pt map: AV1 and its RTX, which Firefox did not negotiate, are dropped");
	CHECK(map[108] == 126 || map[108] == PONTE_PT_DROP,
	      "pt map: H264 maps only to the same packetization mode and profile (108->%u)",
	      map[108]);
	memset(map, PONTE_PT_KEEP, sizeof(map));
	sdp_pt_map(f, c, SDP_KIND_VIDEO, map);
	CHECK(map[120] == 96 && map[124] == 97, "pt map Firefox->Chrome video: the other way");
	CHECK(map[0] == PONTE_PT_KEEP, "pt map: the other kind's types are left alone");
out:
	sdp_free(c);
	sdp_free(f);
	free(ca);
	free(fa);
}

int main(int argc, char **argv)
{
	if (argc > 1)
		return print_mode(argc, argv);
	for (size_t i = 0; i < sizeof(browser_offers) / sizeof(browser_offers[0]); i++)
		test_round_trip(browser_offers[i]);
	for (size_t i = 0; i < sizeof(browser_others) / sizeof(browser_others[0]); i++)
		test_round_trip(browser_others[i]);
	test_parsed_values();
	for (size_t i = 0; i < sizeof(browser_offers) / sizeof(browser_offers[0]); i++)
		test_answer_file(browser_offers[i]);
	test_errors();
	test_setup_roles();
	test_one_section_rejected();
	test_video_codec_rules();
	test_directions();
	test_answer_details();
	test_h264_profiles();
	test_gateway_offer();
	test_hostile_files();
	test_malformed_inline();
	test_crypto();
	test_helpers();
	test_pt_map();
	return tap_done();
}
