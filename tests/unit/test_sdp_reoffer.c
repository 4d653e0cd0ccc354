/* SPDX-License-Identifier: MIT */
/*
 * Unit test of the gateway's subsequent offers (control/sdp_reoffer.c) and of streams pinned to
 * a section in answers (sdp_local_stream.mid in control/sdp_negotiate.c), the two halves of a
 * relayed room's renegotiation:
 *   - a re-offer keeps every section of its base (the gateway's last answer) unchanged and in
 *     order, appends one sendonly section per forwarded stream bundled on the same port, puts a
 *     stopped stream at port 0 outside BUNDLE, and offers a=setup:actpass (RFC 8842 §5.5);
 *   - a re-offer over a base that already carries a forwarded section rewrites it in place:
 *     each mid appears once, since Chrome refuses a description that repeats an a=mid;
 *   - an answer sends a pinned stream in its own section only, whatever the kind's direction.
 * Run from tests/unit: fixtures are "sdp/...". Output is TAP-like.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sdp.h"
#include "sdp_negotiate.h"
#include "sdp_reoffer.h"

#include "tap.h"

/* --- The gateway's parameters, as in test_sdp.c: fixed, so that output is deterministic --- */

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
#define NB_AUDIO_CODECS 6 /* the first rows */

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
    {SDP_KIND_AUDIO, "ponte", "ponte-audio", 1111111111, 0, NULL},
    {SDP_KIND_VIDEO, "ponte", "ponte-video", 2222222222u, 3333333333u, NULL},
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

#define CNAME "ponte-cname"

/* The forwarded streams of the first re-offer: two members, the second one gone already. */
static const struct sdp_extra_stream first_extras[] = {
    {SDP_KIND_AUDIO, "a0", {SDP_KIND_AUDIO, "peer0", "audio", 0x1234, 0, NULL}, true},
    {SDP_KIND_VIDEO, "v0", {SDP_KIND_VIDEO, "peer0", "video", 5555, 6666, NULL}, true},
    {SDP_KIND_AUDIO, "a1", {SDP_KIND_AUDIO, "peer1", "audio", 7777, 0, NULL}, false},
};

/* The next one: the first member left, another joined in its place (mids a1 and v1). */
static const struct sdp_extra_stream second_extras[] = {
    {SDP_KIND_AUDIO, "a0", {SDP_KIND_AUDIO, "peer0", "audio", 0x1234, 0, NULL}, false},
    {SDP_KIND_VIDEO, "v0", {SDP_KIND_VIDEO, "peer0", "video", 5555, 6666, NULL}, false},
    {SDP_KIND_AUDIO, "a1", {SDP_KIND_AUDIO, "peer1", "audio", 7777, 0, NULL}, true},
    {SDP_KIND_VIDEO, "v1", {SDP_KIND_VIDEO, "peer1", "video", 8888, 9999, NULL}, true},
};

#define NB(a) (sizeof(a) / sizeof((a)[0]))

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

/* The next line of TEXT after P, or NULL at the end. */
static const char *next_line(const char *p)
{
	p = strchr(p, '\n');
	return p != NULL && p[1] != '\0' ? p + 1 : NULL;
}

/* How many lines of TEXT start with PREFIX. */
static unsigned count_prefix(const char *text, const char *prefix)
{
	unsigned n = 0;

	for (const char *p = text; p != NULL && *p != '\0'; p = next_line(p))
		n += strncmp(p, prefix, strlen(prefix)) == 0;
	return n;
}

/* How many lines of TEXT are LINE (without its CRLF). */
static unsigned count_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	unsigned nb = 0;

	for (const char *p = text; p != NULL && *p != '\0'; p = next_line(p))
		nb += strncmp(p, line, n) == 0 && p[n] == '\r';
	return nb;
}

static bool has_line(const char *text, const char *line)
{
	return text != NULL && count_line(text, line) > 0;
}

/* The IDX-th m= section of TEXT, its m= line to the next one (a new string), or NULL. */
static char *section_at(const char *text, unsigned idx)
{
	const char *start = NULL, *end;
	unsigned n = 0;

	for (const char *p = text; p != NULL && *p != '\0' && start == NULL; p = next_line(p))
		if (strncmp(p, "m=", 2) == 0 && n++ == idx)
			start = p;
	if (start == NULL)
		return NULL;
	end = strstr(start, "\r\nm=");
	return strndup(start, end != NULL ? (size_t)(end - start) + 2 : strlen(start));
}

/* The m= section of TEXT whose a=mid is MID (a new string), or NULL. */
static char *section_of(const char *text, const char *mid)
{
	char line[64], *s;

	snprintf(line, sizeof(line), "a=mid:%s", mid);
	for (unsigned i = 0; text != NULL && (s = section_at(text, i)) != NULL; i++) {
		if (has_line(s, line))
			return s;
		free(s);
	}
	return NULL;
}

/* The session part of TEXT: everything before the first m= line (a new string). */
static char *session_part(const char *text)
{
	const char *m = strstr(text, "\r\nm=");

	return strndup(text, m != NULL ? (size_t)(m - text) + 2 : strlen(text));
}

/* The mids of TEXT's sections in order, blank-separated, in BUF ("0 1 2 a0"). */
static const char *mid_order(const char *text, char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	for (const char *p = text; p != NULL && *p != '\0' && used < size; p = next_line(p)) {
		if (strncmp(p, "a=mid:", 6) == 0)
			used += (size_t)snprintf(buf + used, size - used, "%s%.*s", used ? " " : "",
						 (int)strcspn(p + 6, "\r\n"), p + 6);
	}
	return buf;
}

/* The first line of TEXT that starts with PREFIX, without its CRLF, in BUF ("" for none). */
static const char *first_line(const char *text, const char *prefix, char *buf, size_t size)
{
	buf[0] = '\0';
	for (const char *p = text; p != NULL && *p != '\0'; p = next_line(p)) {
		if (strncmp(p, prefix, strlen(prefix)) == 0) {
			snprintf(buf, size, "%.*s", (int)strcspn(p, "\r\n"), p);
			break;
		}
	}
	return buf;
}

static char *print(const struct sdp *sdp)
{
	char *out = NULL;

	return sdp != NULL && sdp_print(sdp, 0, &out, NULL) == 0 ? out : NULL;
}

/* The gateway's answer to the fixture PATH with LOCAL (sdp_free it), or NULL with ERR. */
static struct sdp *answer_file(const char *path, const struct sdp_local *local, char *err,
			       size_t errlen)
{
	struct sdp *offer = NULL, *answer = NULL;
	size_t len;
	char *text = read_file(path, &len);

	snprintf(err, errlen, "%s unreadable", path);
	if (text != NULL && sdp_parse(text, len, &offer, err, errlen) == 0)
		sdp_answer_create(offer, local, &answer, err, errlen);
	sdp_free(offer);
	free(text);
	return answer;
}

/* Parse and answer TEXT; the printed answer (free it), or NULL with the message in ERR. */
static char *answer_text(const char *text, const struct sdp_local *local, char *err, size_t errlen)
{
	struct sdp *offer = NULL, *answer = NULL;
	char *out = NULL;

	err[0] = '\0';
	if (sdp_parse(text, strlen(text), &offer, err, errlen) == 0 &&
	    sdp_answer_create(offer, local, &answer, err, errlen) == 0)
		out = print(answer);
	sdp_free(answer);
	sdp_free(offer);
	return out;
}

/* The printed re-offer over BASE, or NULL with the message in ERR. */
static char *reoffer_text(const struct sdp *base, uint64_t version,
			  const struct sdp_extra_stream *extra, unsigned nb, char *err,
			  size_t errlen)
{
	struct sdp *offer = NULL;
	char *out = NULL;

	err[0] = '\0';
	if (base != NULL &&
	    sdp_reoffer_create(base, version, extra, nb, CNAME, &offer, err, errlen) == 0)
		out = print(offer);
	sdp_free(offer);
	return out;
}

static struct sdp *parse(const char *text, char *err, size_t errlen)
{
	struct sdp *sdp = NULL;

	if (text != NULL)
		sdp_parse(text, strlen(text), &sdp, err, errlen);
	return sdp;
}

/* --- Re-offers --- */

/* The first re-offer after Chrome's offer was answered: two sendonly sections and a stopped one
 * appended to the three negotiated ones. */
static void test_reoffer_appends(void)
{
	char err[SDP_ERR_LEN], buf[256];
	struct sdp *base = answer_file("sdp/chrome-offer.sdp", &test_local, err, sizeof(err));
	char *base_text = print(base), *offer = NULL, *actpass = NULL, *s = NULL;

	CHECK(base_text != NULL, "the base (the answer to chrome-offer.sdp) is created%s%s",
	      base ? "" : ": ", base ? "" : err);
	if (base_text == NULL)
		goto out;
	offer = reoffer_text(base, 3, first_extras, NB(first_extras), err, sizeof(err));
	CHECK(offer != NULL, "re-offer with a0, v0 active and a1 stopped is created%s%s",
	      offer ? "" : ": ", offer ? "" : err);
	if (offer == NULL)
		goto out;
	CHECK_STR(first_line(offer, "o=", buf, sizeof(buf)),
		  "o=- 4611686018427387000 3 IN IP4 0.0.0.0",
		  "o=: the base's session id, the version given (RFC 8866 §5.2)");
	CHECK_STR(mid_order(offer, buf, sizeof(buf)), "0 1 2 a0 v0 a1",
		  "the base's sections in their order, then the extras in theirs");

	/* The base's sections, byte for byte but for the DTLS role offered again as actpass. */
	actpass = replace(base_text, "a=setup:passive", "a=setup:actpass");
	for (unsigned i = 0; i < base->nb_media; i++) {
		char *have = section_at(offer, i), *want = section_at(actpass, i);

		CHECK(have && want && strcmp(have, want) == 0,
		      "base section %u (mid %s) is unchanged, a=setup:actpass aside", i,
		      sdp_media_mid(&base->media[i]));
		free(have);
		free(want);
	}
	CHECK(count_prefix(offer, "a=setup:") == 6 && count_line(offer, "a=setup:actpass") == 6,
	      "a=setup:actpass in every section (RFC 8842 §5.5: the association is kept)");

	/* Session level: BUNDLE first, listing the base mids and the active extras only. */
	CHECK_STR(first_line(offer, "a=", buf, sizeof(buf)), "a=group:BUNDLE 0 1 2 a0 v0",
		  "a=group:BUNDLE is the first session attribute and leaves out stopped a1");
	free(s);
	s = session_part(offer);
	CHECK(count_prefix(s, "a=group:") == 1 && has_line(s, "a=ice-lite") &&
		  has_line(s, "a=ice-options:trickle") && has_line(s, "a=extmap-allow-mixed"),
	      "the base's other session attributes are kept, with one group line");

	free(s);
	s = section_of(offer, "a0");
	CHECK(s && strncmp(s, "m=audio 40000 UDP/TLS/RTP/SAVPF 111 0 8 9 110 126\r\n", 51) == 0,
	      "a0: the bundle's port and the audio template's formats");
	CHECK(s && count_line(s, "a=sendonly") == 1 && count_prefix(s, "a=sendrecv") == 0 &&
		  has_line(s, "a=msid:peer0 audio") && has_line(s, "a=ssrc:4660 cname:" CNAME) &&
		  count_prefix(s, "a=ssrc:") == 1 && count_prefix(s, "a=ssrc-group:") == 0,
	      "a0: sendonly, its own msid and SSRC, no FID group (audio has no RTX)");
	CHECK(s && !strstr(s, "1111111111") && count_prefix(s, "a=candidate:") == 0 &&
		  count_prefix(s, "a=end-of-candidates") == 0 && has_line(s, "a=rtcp-mux") &&
		  has_line(s, "a=rtpmap:111 opus/48000/2") && has_line(s, "a=ice-ufrag:pOnT") &&
		  has_line(s, "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid"),
	      "a0: the template's codecs, extensions and transport, not its stream or candidates");

	free(s);
	s = section_of(offer, "v0");
	CHECK(s && strncmp(s, "m=video 40000 UDP/TLS/RTP/SAVPF 96 97 108 109 98 99 45 46\r\n",
			   59) == 0,
	      "v0: the bundle's port and the video template's formats");
	CHECK(s && count_line(s, "a=sendonly") == 1 && has_line(s, "a=msid:peer0 video") &&
		  has_line(s, "a=ssrc-group:FID 5555 6666") &&
		  has_line(s, "a=ssrc:5555 cname:" CNAME) &&
		  has_line(s, "a=ssrc:6666 cname:" CNAME) && count_prefix(s, "a=ssrc:") == 2 &&
		  !strstr(s, "2222222222"),
	      "v0: sendonly, msid, SSRC and RTX SSRC paired by ssrc-group:FID (RFC 4588 §8)");

	free(s);
	s = section_of(offer, "a1");
	CHECK(s && strncmp(s, "m=audio 0 ", 10) == 0 && count_line(s, "a=inactive") == 1 &&
		  count_prefix(s, "a=msid:") == 0 && count_prefix(s, "a=ssrc") == 0 &&
		  count_prefix(s, "a=sendonly") == 0,
	      "a1 (stopped): port 0, a=inactive, no msid or SSRC (RFC 3264 §8.2)");

	struct sdp *again = parse(offer, err, sizeof(err));

	CHECK(again != NULL && again->nb_media == 6, "the re-offer parses with our parser%s%s",
	      again ? "" : ": ", again ? "" : err);
	sdp_free(again);
out:
	free(s);
	free(actpass);
	free(offer);
	free(base_text);
	sdp_free(base);
}

/*
 * The next re-offer over a base that has the forwarded sections already (the browser's answer
 * carried them back): each is rewritten in its own place, once. Two a=mid:a0 lines would make
 * Chrome refuse the whole description.
 */
static void test_reoffer_in_place(void)
{
	char err[SDP_ERR_LEN], buf[256];
	struct sdp *base = answer_file("sdp/chrome-offer.sdp", &test_local, err, sizeof(err));
	char *first = reoffer_text(base, 3, first_extras, NB(first_extras), err, sizeof(err));
	struct sdp *base2 = parse(first, err, sizeof(err)), *reparsed = NULL;
	char *second = NULL, *again = NULL, *s = NULL;

	CHECK(base2 != NULL, "the first re-offer parses as the next base%s%s", base2 ? "" : ": ",
	      base2 ? "" : err);
	if (base2 == NULL)
		goto out;
	second = reoffer_text(base2, 4, second_extras, NB(second_extras), err, sizeof(err));
	CHECK(second != NULL, "re-offer stopping a0/v0 and starting a1/v1 is created%s%s",
	      second ? "" : ": ", second ? "" : err);
	if (second == NULL)
		goto out;
	CHECK(count_line(second, "a=mid:a0") == 1 && count_line(second, "a=mid:v0") == 1 &&
		  count_line(second, "a=mid:a1") == 1 && count_line(second, "a=mid:v1") == 1,
	      "each mid once: a0, v0, a1 (already in the base) are not appended again");
	CHECK_STR(
	    mid_order(second, buf, sizeof(buf)), "0 1 2 a0 v0 a1 v1",
	    "sections keep their places (RFC 3264 §8: never removed or reordered), v1 appended");
	reparsed = parse(second, err, sizeof(err));
	CHECK(reparsed != NULL && reparsed->nb_media == 7,
	      "the re-offer parses (a repeated a=mid would be refused as by a browser)%s%s",
	      reparsed ? "" : ": ", reparsed ? "" : err);
	CHECK_STR(first_line(second, "o=", buf, sizeof(buf)),
		  "o=- 4611686018427387000 4 IN IP4 0.0.0.0", "o=: same session id, version 4");
	CHECK_STR(first_line(second, "a=", buf, sizeof(buf)), "a=group:BUNDLE 0 1 2 a1 v1",
		  "BUNDLE: the base's mids and the active a1, v1; stopped a0, v0 left out");

	for (unsigned i = 0; i < 3; i++) {
		char *have = section_at(second, i), *prev = section_at(first, i);

		CHECK(have && prev && strcmp(have, prev) == 0,
		      "negotiated section %u is unchanged from the previous offer", i);
		free(have);
		free(prev);
	}
	s = section_of(second, "a0");
	CHECK(s && strncmp(s, "m=audio 0 ", 10) == 0 && count_line(s, "a=inactive") == 1 &&
		  count_prefix(s, "a=sendonly") == 0 && count_prefix(s, "a=msid:") == 0 &&
		  count_prefix(s, "a=ssrc") == 0,
	      "a0 (stopped) in place: port 0, a=inactive, its msid and SSRC gone");
	free(s);
	s = section_of(second, "v0");
	CHECK(s && strncmp(s, "m=video 0 ", 10) == 0 && count_line(s, "a=inactive") == 1 &&
		  count_prefix(s, "a=msid:") == 0 && count_prefix(s, "a=ssrc") == 0,
	      "v0 (stopped) in place: port 0, a=inactive, no msid, SSRC or FID group");
	free(s);
	s = section_of(second, "a1");
	CHECK(s && strncmp(s, "m=audio 40000 ", 14) == 0 && count_line(s, "a=sendonly") == 1 &&
		  count_prefix(s, "a=inactive") == 0 && has_line(s, "a=msid:peer1 audio") &&
		  has_line(s, "a=ssrc:7777 cname:" CNAME),
	      "a1 (stopped before, started now) in place: the bundle's port, sendonly, msid, SSRC");
	free(s);
	s = section_of(second, "v1");
	CHECK(s && strncmp(s, "m=video 40000 ", 14) == 0 && count_line(s, "a=sendonly") == 1 &&
		  has_line(s, "a=msid:peer1 video") && has_line(s, "a=ssrc-group:FID 8888 9999"),
	      "v1 appended: sendonly with its SSRCs and FID group");
	CHECK(count_prefix(second, "a=setup:") == 7 && count_line(second, "a=setup:actpass") == 7,
	      "a=setup:actpass in all 7 sections");

	/* The same extras over the base that has them: the same sections again. */
	again = reoffer_text(base2, 3, first_extras, NB(first_extras), err, sizeof(err));
	CHECK(again && strcmp(again, first) == 0,
	      "re-offering the same streams over a base that has them gives the same offer");
out:
	free(s);
	free(again);
	free(second);
	free(first);
	sdp_free(reparsed);
	sdp_free(base2);
	sdp_free(base);
}

/* A forwarded section is modelled on an accepted section of its kind; without one, refused. */
static void test_reoffer_no_template(void)
{
	static const struct sdp_extra_stream video[] = {
	    {SDP_KIND_VIDEO, "v0", {SDP_KIND_VIDEO, "peer0", "video", 5555, 6666, NULL}, true},
	};
	static const struct sdp_extra_stream stopped_video[] = {
	    {SDP_KIND_VIDEO, "v0", {SDP_KIND_VIDEO, "peer0", "video", 5555, 6666, NULL}, false},
	};
	char err[SDP_ERR_LEN] = "";
	struct sdp_local local = test_local;
	struct sdp *base, *offer = NULL;
	char *text;
	int rc;

	local.nb_codecs = NB_AUDIO_CODECS; /* video is rejected: port 0 in the base */
	base = answer_file("sdp/chrome-offer.sdp", &local, err, sizeof(err));
	CHECK(base != NULL && base->nb_media == 3 && base->media[1].port == 0,
	      "base without an accepted video section%s%s", base ? "" : ": ", base ? "" : err);
	if (base == NULL)
		return;
	rc = sdp_reoffer_create(base, 3, video, 1, CNAME, &offer, err, sizeof(err));
	CHECK(rc == -EINVAL && offer == NULL, "a video extra with no video template: -EINVAL (%d)",
	      rc);
	CHECK_STR(err, "no accepted video section to model mid v0 on", "... saying why");
	sdp_free(offer);
	offer = NULL;
	err[0] = '\0';
	rc = sdp_reoffer_create(base, 3, stopped_video, 1, CNAME, &offer, err, sizeof(err));
	CHECK(rc == -EINVAL && offer == NULL && strstr(err, "mid v0") != NULL,
	      "... a stopped one too (%s)", err);
	sdp_free(offer);
	offer = NULL;
	text = reoffer_text(base, 3, first_extras, 1, err, sizeof(err));
	CHECK(text && has_line(text, "a=group:BUNDLE 0 2 a0") && has_line(text, "a=mid:a0"),
	      "an audio extra on the same base is fine; rejected video stays out of BUNDLE%s%s",
	      text ? "" : ": ", text ? "" : err);
	free(text);
	sdp_free(base);
}

/* --- Pinned streams in answers --- */

/*
 * Chrome's offer with a third audio section "a0" as Chrome sends it back after accepting the
 * gateway's re-offer: bundled (no candidates of its own), no stream of its own, direction DIR.
 */
static char *offer_with_a0(const char *dir)
{
	size_t len;
	char *chrome = read_file("sdp/chrome-offer.sdp", &len), *audio, *t1, *t2, *t3, *t4, *out;
	char line[32];

	if (chrome == NULL)
		return NULL;
	audio = section_at(chrome, 0);
	snprintf(line, sizeof(line), "a=%s", dir);
	t1 = replace(audio, "a=mid:0", "a=mid:a0");
	t2 = replace(t1, "a=sendrecv", line);
	free(t1);
	t1 = drop_lines(t2, "a=candidate:");
	t3 = drop_lines(t1, "a=msid:");
	t4 = drop_lines(t3, "a=ssrc:");
	free(t1);
	free(t2);
	free(t3);
	t1 = replace(chrome, "a=group:BUNDLE 0 1 2", "a=group:BUNDLE 0 1 2 a0");
	out = malloc(strlen(t1) + strlen(t4) + 1);
	strcpy(out, t1);
	strcat(out, t4);
	free(t1);
	free(t4);
	free(audio);
	free(chrome);
	return out;
}

static const struct sdp_local_stream pinned_a0 = {SDP_KIND_AUDIO, "peer", "audio", 0x1234, 0, "a0"};

static void test_pinned_answer(void)
{
	char err[SDP_ERR_LEN], buf[256];
	struct sdp_local local = test_local;
	char *offer = offer_with_a0("recvonly"), *ans, *s0, *s1, *sa;

	local.audio_dir = SDP_DIR_RECVONLY; /* a relayed room: the gateway sends no stream of */
	local.video_dir = SDP_DIR_RECVONLY; /* its own, only the members' */
	local.streams = &pinned_a0;
	local.nb_streams = 1;
	ans = offer ? answer_text(offer, &local, err, sizeof(err)) : NULL;
	CHECK(ans != NULL, "offer with a recvonly audio section a0 is answered%s%s",
	      ans ? "" : ": ", ans ? "" : err);
	if (ans == NULL) {
		free(offer);
		return;
	}
	s0 = section_of(ans, "0");
	s1 = section_of(ans, "1");
	sa = section_of(ans, "a0");
	CHECK_STR(mid_order(ans, buf, sizeof(buf)), "0 1 2 a0", "every offered section answered");
	CHECK(has_line(ans, "a=group:BUNDLE 0 1 2 a0"), "a0 accepted into BUNDLE");
	CHECK(s0 && has_line(s0, "a=recvonly") && count_prefix(s0, "a=ssrc") == 0 &&
		  count_prefix(s0, "a=msid:") == 0,
	      "audio 0 (offered sendrecv): recvonly as the room wants, no SSRC, no msid");
	CHECK(s1 && has_line(s1, "a=recvonly") && count_prefix(s1, "a=ssrc") == 0 &&
		  count_prefix(s1, "a=msid:") == 0,
	      "video 1 (offered sendrecv): recvonly, no SSRC, no msid");
	CHECK(sa && strncmp(sa, "m=audio 40000 ", 14) == 0 && has_line(sa, "a=sendonly") &&
		  has_line(sa, "a=msid:peer audio") && has_line(sa, "a=ssrc:4660 cname:" CNAME),
	      "a0 (offered recvonly): the pinned stream is sent there, sendonly, whatever "
	      "audio_dir says");
	CHECK(count_prefix(ans, "a=ssrc:4660 ") == 1 && count_prefix(ans, "a=ssrc:") == 1,
	      "the pinned stream's SSRC appears in its section only");
	free(s0);
	free(s1);
	free(sa);
	free(ans);
	free(offer);

	/* The offer says a0 cannot receive: nothing is sent there, and nothing received. */
	static const char *const no_recv[] = {"inactive", "sendonly"};

	for (unsigned i = 0; i < NB(no_recv); i++) {
		offer = offer_with_a0(no_recv[i]);
		ans = offer ? answer_text(offer, &local, err, sizeof(err)) : NULL;
		sa = ans ? section_of(ans, "a0") : NULL;
		CHECK(sa && has_line(sa, "a=inactive") && count_prefix(sa, "a=ssrc") == 0 &&
			  count_prefix(sa, "a=msid:") == 0 && count_prefix(ans, "a=ssrc") == 0,
		      "a0 offered %s: answered inactive, the pinned stream not sent%s%s",
		      no_recv[i], ans ? "" : ": ", ans ? "" : err);
		free(sa);
		free(ans);
		free(offer);
	}

	/* Offered sendrecv, the pinned section still only sends: the gateway takes no media
	 * from a section it added for a forwarded stream. */
	offer = offer_with_a0("sendrecv");
	ans = offer ? answer_text(offer, &local, err, sizeof(err)) : NULL;
	sa = ans ? section_of(ans, "a0") : NULL;
	CHECK(sa && has_line(sa, "a=sendonly") && has_line(sa, "a=ssrc:4660 cname:" CNAME),
	      "a0 offered sendrecv: answered sendonly with the pinned stream");
	free(sa);
	free(ans);
	free(offer);
}

/* Pinned and unpinned streams together: each goes where it belongs. */
static void test_pinned_and_free_streams(void)
{
	const struct sdp_local_stream both[] = {
	    pinned_a0, /* first: the order of the array must not matter */
	    {SDP_KIND_AUDIO, "ponte", "ponte-audio", 1111111111, 0, NULL},
	};
	struct sdp_local_stream elsewhere = pinned_a0;
	char err[SDP_ERR_LEN];
	struct sdp_local local = test_local;
	char *offer = offer_with_a0("recvonly"), *ans, *s0, *sa;

	elsewhere.mid = "zz";
	if (offer == NULL) {
		CHECK(false, "chrome-offer.sdp readable");
		return;
	}
	/* The kind wants to send, but its only stream is pinned elsewhere. */
	local.streams = &pinned_a0;
	local.nb_streams = 1;
	ans = answer_text(offer, &local, err, sizeof(err));
	s0 = ans ? section_of(ans, "0") : NULL;
	sa = ans ? section_of(ans, "a0") : NULL;
	CHECK(s0 && has_line(s0, "a=recvonly") && count_prefix(s0, "a=ssrc") == 0 && sa &&
		  has_line(sa, "a=ssrc:4660 cname:" CNAME),
	      "audio_dir sendrecv: a pinned stream is not taken by the first audio section");
	free(s0);
	free(sa);
	free(ans);

	local.streams = both;
	local.nb_streams = NB(both);
	ans = answer_text(offer, &local, err, sizeof(err));
	s0 = ans ? section_of(ans, "0") : NULL;
	sa = ans ? section_of(ans, "a0") : NULL;
	CHECK(s0 && has_line(s0, "a=sendrecv") && has_line(s0, "a=msid:ponte ponte-audio") &&
		  has_line(s0, "a=ssrc:1111111111 cname:" CNAME) && !strstr(s0, "4660"),
	      "the unpinned stream goes to the first free audio section, sendrecv");
	CHECK(sa && has_line(sa, "a=sendonly") && has_line(sa, "a=ssrc:4660 cname:" CNAME) &&
		  !strstr(sa, "1111111111"),
	      "the pinned one to its own section, sendonly");
	free(s0);
	free(sa);
	free(ans);

	/* Pinned to a mid the offer does not have: sent nowhere. */
	local.audio_dir = SDP_DIR_RECVONLY;
	local.video_dir = SDP_DIR_RECVONLY;
	local.streams = &elsewhere;
	local.nb_streams = 1;
	ans = answer_text(offer, &local, err, sizeof(err));
	sa = ans ? section_of(ans, "a0") : NULL;
	CHECK(ans && count_prefix(ans, "a=ssrc") == 0 && sa && has_line(sa, "a=inactive"),
	      "a stream pinned to a mid not offered is sent nowhere; a0 (recvonly offered to a "
	      "recvonly room) is inactive");
	free(sa);
	free(ans);
	free(offer);
}

/*
 * The relay's whole round: Chrome carries a0 back in its own offer, the gateway answers with
 * the pinned stream, and that answer is the base of the next re-offer, which stops a0 and adds
 * v0: a0 is rewritten in its place, not repeated.
 */
static void test_reoffer_after_pinned_answer(void)
{
	static const struct sdp_extra_stream extras[] = {
	    {SDP_KIND_AUDIO, "a0", {SDP_KIND_AUDIO, "peer", "audio", 0x1234, 0, NULL}, false},
	    {SDP_KIND_VIDEO, "v0", {SDP_KIND_VIDEO, "peer", "video", 5555, 6666, NULL}, true},
	};
	char err[SDP_ERR_LEN] = "", buf[256];
	struct sdp_local local = test_local;
	char *offer = offer_with_a0("recvonly"), *text = NULL, *sa = NULL;
	struct sdp *parsed = parse(offer, err, sizeof(err)), *base = NULL;

	local.audio_dir = SDP_DIR_RECVONLY;
	local.video_dir = SDP_DIR_RECVONLY;
	local.streams = &pinned_a0;
	local.nb_streams = 1;
	if (parsed != NULL)
		sdp_answer_create(parsed, &local, &base, err, sizeof(err));
	text = reoffer_text(base, 5, extras, NB(extras), err, sizeof(err));
	CHECK(text != NULL, "re-offer over the answer that sent the pinned a0 is created%s%s",
	      text ? "" : ": ", text ? "" : err);
	CHECK_STR(text ? mid_order(text, buf, sizeof(buf)) : "", "0 1 2 a0 v0",
		  "a0 in its place, once; v0 appended");
	sa = text ? section_of(text, "a0") : NULL;
	CHECK(sa && strncmp(sa, "m=audio 0 ", 10) == 0 && has_line(sa, "a=inactive") &&
		  count_prefix(sa, "a=ssrc") == 0 && count_prefix(sa, "a=sendonly") == 0,
	      "a0 stopped: port 0, inactive, its SSRC gone");
	CHECK(text && has_line(text, "a=group:BUNDLE 0 1 2 v0"), "BUNDLE without a0, with v0");
	free(sa);
	free(text);
	sdp_free(base);
	sdp_free(parsed);
	free(offer);
}

int main(void)
{
	test_reoffer_appends();
	test_reoffer_in_place();
	test_reoffer_no_template();
	test_pinned_answer();
	test_pinned_and_free_streams();
	test_reoffer_after_pinned_answer();
	return tap_done();
}
