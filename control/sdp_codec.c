/* SPDX-License-Identifier: MIT */
/*
 * Codec matching for offer/answer: is an offered payload type one of the gateway's codecs,
 * and which a=fmtp goes in the answer. Codecs with rules of their own (H264, VP9, AV1,
 * telephone-event) are found through a table; the others match on name, clock and channels.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sdp_internal.h"
#include "sdp_negotiate.h"

/* --- H264 profile-level-id (RFC 6184 §8.1) --- */

enum h264_profile {
	H264_CONSTRAINED_BASELINE = 1,
	H264_BASELINE,
	H264_MAIN,
	H264_EXTENDED,
	H264_HIGH,
	H264_CONSTRAINED_HIGH,
	H264_HIGH10,
	H264_HIGH422,
	H264_HIGH444,
	H264_HIGH10_INTRA,
	H264_HIGH422_INTRA,
	H264_HIGH444_INTRA,
	H264_CAVLC444_INTRA,
};

/*
 * RFC 6184 §8.1 Table 5: several profile_idc/profile-iop pairs name one profile. The iop
 * byte holds constraint_set0..5 from its top bit down, then two reserved zero bits; MASK
 * selects the bits that decide. constraint_set3 (0x10) is left out for the profiles where
 * it marks level 1b instead. Constrained Baseline comes first: its patterns overlap Main's
 * and Baseline's.
 */
static const struct {
	uint8_t idc, mask, value;
	enum h264_profile profile;
} h264_patterns[] = {
    {0x42, 0x4f, 0x40, H264_CONSTRAINED_BASELINE},
    {0x4d, 0x8f, 0x80, H264_CONSTRAINED_BASELINE},
    {0x58, 0xcf, 0xc0, H264_CONSTRAINED_BASELINE},
    {0x42, 0x4f, 0x00, H264_BASELINE},
    {0x58, 0xcf, 0x80, H264_BASELINE},
    {0x4d, 0xaf, 0x00, H264_MAIN},
    {0x58, 0xcf, 0x00, H264_EXTENDED},
    {0x64, 0xff, 0x00, H264_HIGH},
    {0x64, 0xff, 0x0c, H264_CONSTRAINED_HIGH},
    {0x6e, 0xff, 0x00, H264_HIGH10},
    {0x7a, 0xff, 0x00, H264_HIGH422},
    {0xf4, 0xff, 0x00, H264_HIGH444},
    {0x6e, 0xff, 0x10, H264_HIGH10_INTRA},
    {0x7a, 0xff, 0x10, H264_HIGH422_INTRA},
    {0xf4, 0xff, 0x10, H264_HIGH444_INTRA},
    {0x2c, 0xff, 0x10, H264_CAVLC444_INTRA},
};

/* level_idc values of ITU-T H.264 Table A-1 (9 is level 1b in the High profiles). */
static const uint8_t h264_levels[] = {9,  10, 11, 12, 13, 20, 21, 22, 30, 31,
				      32, 40, 41, 42, 50, 51, 52, 60, 61, 62};

#define LEVEL_1B 21 /* ordered level of 1b: between 1 (20) and 1.1 (22) */

static bool is_set3_1b_profile(uint8_t idc)
{
	return idc == 0x42 || idc == 0x4d || idc == 0x58;
}

static int parse_plid(const char *s, uint8_t bytes[3])
{
	if (strlen(s) != 6)
		return -EINVAL;
	for (int i = 0; i < 3; i++) {
		char hex[3] = {s[2 * i], s[2 * i + 1], '\0'};
		char *end;

		if (strchr("0123456789abcdefABCDEF", hex[0]) == NULL ||
		    strchr("0123456789abcdefABCDEF", hex[1]) == NULL)
			return -EINVAL;
		bytes[i] = (uint8_t)strtoul(hex, &end, 16);
	}
	return 0;
}

int sdp_h264_profile_level(const char *profile_level_id, int *profile, int *level)
{
	uint8_t b[3];
	bool is_level = false;

	if (parse_plid(profile_level_id, b) != 0)
		return -EINVAL;
	*profile = 0;
	for (size_t i = 0; i < sizeof(h264_patterns) / sizeof(h264_patterns[0]); i++) {
		if (b[0] == h264_patterns[i].idc &&
		    (b[1] & h264_patterns[i].mask) == h264_patterns[i].value) {
			*profile = h264_patterns[i].profile;
			break;
		}
	}
	for (size_t i = 0; i < sizeof(h264_levels); i++)
		is_level |= b[2] == h264_levels[i];
	if (*profile == 0 || !is_level)
		return -EINVAL;
	/* Level 1b: level_idc 11 with constraint_set3 in Baseline, Main and Extended; 9 in the
	 * others (RFC 6184 §8.1, level-idc). */
	if ((b[2] == 11 && is_set3_1b_profile(b[0]) && (b[1] & 0x10)) || b[2] == 9)
		*level = LEVEL_1B;
	else
		*level = b[2] * 2;
	return 0;
}

/* The offer's profile bytes with LEVEL (ordered form) written in, as 6 lower-case hex digits. */
static void h264_plid_with_level(const char *offered, int level, char out[7])
{
	uint8_t b[3];

	parse_plid(offered, b);
	if (level == LEVEL_1B) {
		if (is_set3_1b_profile(b[0])) {
			b[1] |= 0x10;
			b[2] = 11;
		} else {
			b[2] = 9;
		}
	} else {
		b[2] = (uint8_t)(level / 2);
		if (is_set3_1b_profile(b[0]) && b[2] == 11)
			b[1] &= (uint8_t)~0x10;
	}
	snprintf(out, 7, "%02x%02x%02x", b[0], b[1], b[2]);
}

/* A parameter's value with its RFC default when absent. */
static void param_or(const char *params, const char *name, const char *dflt, char *buf, size_t len)
{
	if (!sdp_fmtp_param(params, name, buf, len))
		snprintf(buf, len, "%s", dflt);
}

/*
 * RFC 6184 §8.2.2: packetization-mode must be equal, the profile must be one the answerer
 * decodes; the answer may lower the level, and here it answers the lower of the two. The
 * answer's fmtp is the offer's, minus sprop-* (the offerer's own parameter sets), with the
 * agreed profile-level-id and level-asymmetry-allowed only when both sides allow it.
 */
static int h264_match(const struct sdp_codec *local, const char *params, struct sdp *answer,
		      const char **fmtp)
{
	char off_pm[8], loc_pm[8], off_plid[16], loc_plid[16], lasym[8], plid[7];
	int off_profile, off_level, loc_profile, loc_level;
	bool has_plid = sdp_fmtp_param(params, "profile-level-id", off_plid, sizeof(off_plid));

	param_or(params, "packetization-mode", "0", off_pm, sizeof(off_pm));
	param_or(local->fmtp, "packetization-mode", "0", loc_pm, sizeof(loc_pm));
	if (strcmp(off_pm, loc_pm) != 0)
		return 0;
	if (!has_plid)
		snprintf(off_plid, sizeof(off_plid), "42000a");
	param_or(local->fmtp, "profile-level-id", "42000a", loc_plid, sizeof(loc_plid));
	if (sdp_h264_profile_level(off_plid, &off_profile, &off_level) != 0 ||
	    sdp_h264_profile_level(loc_plid, &loc_profile, &loc_level) != 0 ||
	    off_profile != loc_profile)
		return 0;
	h264_plid_with_level(off_plid, off_level < loc_level ? off_level : loc_level, plid);

	bool is_lasym =
	    sdp_fmtp_param(local->fmtp, "level-asymmetry-allowed", lasym, sizeof(lasym)) &&
	    strcmp(lasym, "1") == 0;
	struct sdp_buf b = {0};
	bool is_first = true;

	for (const char *p = params != NULL ? params : ""; *p != '\0';) {
		size_t n = strcspn(p, ";");
		const char *item = p;
		size_t name_len = strcspn(item, "=;");
		bool is_plid = name_len == 16 && strncasecmp(item, "profile-level-id", 16) == 0;

		p += n + (p[n] == ';');
		if (n == 0 || strncasecmp(item, "sprop-", 6) == 0)
			continue;
		if (name_len == 23 && strncasecmp(item, "level-asymmetry-allowed", 23) == 0 &&
		    !is_lasym)
			continue;
		if (!is_first)
			sdp_buf_puts(&b, ";");
		is_first = false;
		if (is_plid)
			sdp_buf_printf(&b, "profile-level-id=%s", plid);
		else
			sdp_buf_put(&b, item, n);
	}
	*fmtp = NULL;
	if (b.is_failed)
		return -ENOMEM;
	if (b.data != NULL) {
		*fmtp = sdp_strdup(answer, b.data);
		free(b.data);
		if (*fmtp == NULL)
			return -ENOMEM;
	}
	return 1;
}

/* VP9 RTP payload format §6: profile-id, 0 when absent, must be one the answerer decodes. */
static int vp9_match(const struct sdp_codec *local, const char *params, struct sdp *answer,
		     const char **fmtp)
{
	char off[8], loc[8];

	param_or(params, "profile-id", "0", off, sizeof(off));
	param_or(local->fmtp, "profile-id", "0", loc, sizeof(loc));
	if (strcmp(off, loc) != 0)
		return 0;
	*fmtp = local->fmtp;
	return 1;
}

/* AV1 RTP spec §7.2: parameters are the sender's; the answer passes them through as given. */
static int av1_match(const struct sdp_codec *local, const char *params, struct sdp *answer,
		     const char **fmtp)
{
	*fmtp = params;
	return 1;
}

/* RFC 4733 §7.1.1: telephone-event is matched by its clock rate alone; the answer lists the
 * events the gateway takes. */
static int telephone_event_match(const struct sdp_codec *local, const char *params,
				 struct sdp *answer, const char **fmtp)
{
	*fmtp = local->fmtp != NULL ? local->fmtp : params;
	return 1;
}

static int default_match(const struct sdp_codec *local, const char *params, struct sdp *answer,
			 const char **fmtp)
{
	*fmtp = local->fmtp;
	return 1;
}

static const struct codec_rule {
	const char *name;
	bool is_channels_checked;
	int (*match)(const struct sdp_codec *local, const char *params, struct sdp *answer,
		     const char **fmtp);
} codec_rules[] = {
    {"H264", false, h264_match},
    {"VP9", false, vp9_match},
    {"AV1", false, av1_match},
    {"telephone-event", false, telephone_event_match},
};

static const struct codec_rule default_rule = {"", true, default_match};

int sdp_codec_match(const struct sdp_codec *local, const struct sdp_rtpmap *rtpmap,
		    const char *params, struct sdp *answer, const char **fmtp)
{
	const struct codec_rule *rule = &default_rule;

	if (strcasecmp(local->name, rtpmap->encoding) != 0 || local->clock != rtpmap->clock)
		return 0;
	for (size_t i = 0; i < sizeof(codec_rules) / sizeof(codec_rules[0]); i++) {
		if (strcasecmp(codec_rules[i].name, local->name) == 0)
			rule = &codec_rules[i];
	}
	/* Audio channels: absent means one (RFC 8866 §6.6). */
	if (rule->is_channels_checked &&
	    (local->channels ? local->channels : 1) != (rtpmap->channels ? rtpmap->channels : 1))
		return 0;
	int rc = rule->match(local, params, answer, fmtp);

	if (rc == 1 && *fmtp != NULL && (*fmtp = sdp_strdup(answer, *fmtp)) == NULL)
		return -ENOMEM;
	return rc;
}

/* RFC 3551 §6, the static payload types an offer may use without an a=rtpmap. */
static const struct sdp_rtpmap static_rtpmaps[] = {
    {0, "PCMU", 8000, 0}, {3, "GSM", 8000, 0}, {4, "G723", 8000, 0},  {8, "PCMA", 8000, 0},
    {9, "G722", 8000, 0}, {13, "CN", 8000, 0}, {18, "G729", 8000, 0},
};

const struct sdp_rtpmap *sdp_static_rtpmap(int pt)
{
	for (size_t i = 0; i < sizeof(static_rtpmaps) / sizeof(static_rtpmaps[0]); i++) {
		if (static_rtpmaps[i].pt == pt)
			return &static_rtpmaps[i];
	}
	return NULL;
}
