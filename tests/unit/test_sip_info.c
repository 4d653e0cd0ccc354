/* SPDX-License-Identifier: MIT */
/*
 * DTMF in SIP INFO (control/sip_info.c): the application/dtmf-relay and application/dtmf
 * parsers, with what phones really send (blanks, LF or CRLF, event numbers, extra names) and
 * a list of malformed bodies, each refused with its own reason; the body we send; and what
 * sip.dtmf does to the SIP side's SDP (control/sip_sdp.c): `info` offers the phone no
 * telephone-event and ignores one in its SDP while the browser keeps its own, `auto` offers
 * it and keeps the browser's only when the phone leaves it out, `rfc4733` does neither.
 * The stack's handling of INFO requests is tested end to end (tests/e2e/browser/dtmfinfo.mjs).
 */
#include <errno.h>
#include <string.h>

#include <glib.h>

#include "config.h"
#include "sdp.h"
#include "sip_info.h"
#include "sip_sdp.h"
#include "tap.h"

#define BODY(s) s, sizeof(s) - 1

static void test_relay_good(void)
{
	static const struct {
		const char *body;
		size_t len;
		char digit;
		unsigned duration_ms;
		const char *what;
	} cases[] = {
	    {BODY("Signal=5\r\nDuration=160\r\n"), '5', 160, "the usual form"},
	    {BODY("Signal=5\r\nDuration=160"), '5', 160, "no final line end"},
	    {BODY("Signal=#\nDuration=250\n"), '#', 250, "LF line ends"},
	    {BODY("signal= * \r\nduration = 100\r\n"), '*', 100, "names in lower case, blanks"},
	    {BODY("\r\n\r\nSignal=\t0\t\r\n\r\n"), '0', 0, "empty lines, tabs, no Duration"},
	    {BODY("Signal=10\r\nDuration=100\r\n"), '*', 100, "event number 10 is *"},
	    {BODY("Signal=11\r\n"), '#', 0, "event number 11 is #"},
	    {BODY("Signal=15\r\n"), 'D', 0, "event number 15 is D"},
	    {BODY("Signal=07\r\n"), '7', 0, "event number with a leading zero"},
	    {BODY("Signal=a\r\n"), 'A', 0, "a in lower case is A"},
	    {BODY("Signal=D\r\n"), 'D', 0, "D"},
	    {BODY("Signal=!\r\nDuration=500\r\n"), '!', 500, "! is a hook flash"},
	    {BODY("Signal=16\r\n"), '!', 0, "event number 16 is a hook flash"},
	    {BODY("Duration=60000\r\nSignal=9\r\n"), '9', 60000,
	     "Duration first, at the upper limit"},
	    {BODY("Signal=3\r\nDuration=1\r\nVolume=10\r\nX-Vendor=anything at all\r\n"), '3', 1,
	     "names of others ignored"},
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct ponte_sip_info_dtmf d;
		const char *why = NULL;
		int rc = ponte_sip_info_parse_relay(cases[i].body, cases[i].len, &d, &why);

		CHECK(rc == 0 && d.digit == cases[i].digit && d.duration_ms == cases[i].duration_ms,
		      "dtmf-relay: %s -> %d, %c, %u ms%s%s", cases[i].what, rc,
		      d.digit ? d.digit : '-', d.duration_ms, rc != 0 ? ": " : "",
		      rc != 0 ? why : "");
	}
}

static void test_relay_bad(void)
{
	static const struct {
		const char *body;
		size_t len;
		const char *why;
		const char *what;
	} cases[] = {
	    {BODY(""), "the body is empty", "empty"},
	    {BODY("\r\n \r\n"), "no Signal line", "only blank lines"},
	    {BODY("Duration=160\r\n"), "no Signal line", "Duration alone"},
	    {BODY("Signal\r\n"), "a line is not Name=value", "a name without ="},
	    {BODY("5\r\n"), "a line is not Name=value", "a bare digit"},
	    {BODY("Signal=\r\nDuration=100\r\n"), "Signal is empty", "empty Signal"},
	    {BODY("Signal=X\r\n"), "Signal is not a DTMF digit (0-9, *, #, A-D)", "Signal=X"},
	    {BODY("Signal=E\r\n"), "Signal is not a DTMF digit (0-9, *, #, A-D)", "Signal=E"},
	    {BODY("Signal=17\r\n"), "Signal is not a DTMF digit (0-9, *, #, A-D)",
	     "event number 17"},
	    {BODY("Signal=55\r\n"), "Signal is not a DTMF digit (0-9, *, #, A-D)", "two digits"},
	    {BODY("Signal=-1\r\n"), "Signal is not a DTMF digit (0-9, *, #, A-D)", "negative"},
	    {BODY("Signal=1 2\r\n"), "Signal is not a DTMF digit (0-9, *, #, A-D)",
	     "two digits with a blank"},
	    {BODY("Signal=5\r\nSignal=6\r\n"), "more than one Signal", "two Signals"},
	    {BODY("Signal=5\r\nDuration=\r\n"),
	     "Duration is not a number of milliseconds (1-60000)", "empty Duration"},
	    {BODY("Signal=5\r\nDuration=0\r\n"),
	     "Duration is not a number of milliseconds (1-60000)", "Duration 0"},
	    {BODY("Signal=5\r\nDuration=60001\r\n"),
	     "Duration is not a number of milliseconds (1-60000)", "Duration above a minute"},
	    {BODY("Signal=5\r\nDuration=99999999999999999999\r\n"),
	     "Duration is not a number of milliseconds (1-60000)", "Duration that overflows"},
	    {BODY("Signal=5\r\nDuration=-160\r\n"),
	     "Duration is not a number of milliseconds (1-60000)", "negative Duration"},
	    {BODY("Signal=5\r\nDuration=16O\r\n"),
	     "Duration is not a number of milliseconds (1-60000)", "Duration with a letter"},
	    {BODY("Signal=5\r\nDuration=100\r\nDuration=100\r\n"), "more than one Duration",
	     "two Durations"},
	    {BODY("Signal=5\0\r\n"), "the body has control characters", "a NUL byte"},
	    {BODY("Signal=5\x1b[2J\r\n"), "the body has control characters", "an escape"},
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct ponte_sip_info_dtmf d;
		const char *why = NULL;
		int rc = ponte_sip_info_parse_relay(cases[i].body, cases[i].len, &d, &why);

		CHECK(rc == -EINVAL && why != NULL && strcmp(why, cases[i].why) == 0,
		      "dtmf-relay refused: %s -> %d (%s)", cases[i].what, rc, why ? why : "-");
	}
	{
		g_autofree char *big = g_strnfill(PONTE_SIP_INFO_MAX_BODY + 1, ' ');
		struct ponte_sip_info_dtmf d;
		const char *why = NULL;

		memcpy(big, "Signal=1\r\n", 10);
		CHECK(ponte_sip_info_parse_relay(big, PONTE_SIP_INFO_MAX_BODY, &d, &why) == 0 &&
			  d.digit == '1',
		      "dtmf-relay: %d bytes (padded) pass", PONTE_SIP_INFO_MAX_BODY);
		CHECK(ponte_sip_info_parse_relay(big, PONTE_SIP_INFO_MAX_BODY + 1, &d, &why) ==
			      -EMSGSIZE &&
			  strcmp(why, "the body is too long") == 0,
		      "dtmf-relay: one more byte is too long (%s)", why);
		CHECK(ponte_sip_info_parse_relay(NULL, 0, &d, NULL) == -EINVAL,
		      "dtmf-relay: NULL body, NULL why: -EINVAL");
	}
}

static void test_dtmf(void)
{
	static const struct {
		const char *body;
		size_t len;
		int rc;
		char digit;
		const char *what;
	} cases[] = {
	    {BODY("5"), 0, '5', "a digit"},
	    {BODY("#\r\n"), 0, '#', "# and a line end"},
	    {BODY(" b "), 0, 'B', "b with blanks"},
	    {BODY("11"), 0, '#', "event number 11"},
	    {BODY(""), -EINVAL, 0, "empty"},
	    {BODY(" \r\n"), -EINVAL, 0, "blanks only"},
	    {BODY("Signal=5"), -EINVAL, 0, "a dtmf-relay body"},
	    {BODY("x"), -EINVAL, 0, "a letter"},
	    {BODY("5\x07"), -EINVAL, 0, "a bell"},
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct ponte_sip_info_dtmf d;
		const char *why = NULL;
		int rc = ponte_sip_info_parse_dtmf(cases[i].body, cases[i].len, &d, &why);

		CHECK(rc == cases[i].rc && (rc != 0 || d.digit == cases[i].digit) &&
			  (rc == 0 || why != NULL),
		      "application/dtmf: %s -> %d %c (%s)", cases[i].what, rc,
		      d.digit ? d.digit : '-', rc != 0 ? why : "ok");
	}
}

static void test_build(void)
{
	char buf[64];
	struct ponte_sip_info_dtmf d;
	int n;

	n = ponte_sip_info_build_relay('5', 160, buf, sizeof(buf));
	CHECK(n == (int)strlen("Signal=5\r\nDuration=160\r\n") &&
		  strcmp(buf, "Signal=5\r\nDuration=160\r\n") == 0,
	      "build: Signal=5, Duration=160 (%d bytes)", n);
	n = ponte_sip_info_build_relay('#', 0, buf, sizeof(buf));
	CHECK(n > 0 && strcmp(buf, "Signal=#\r\nDuration=1\r\n") == 0,
	      "build: a 0 ms duration becomes 1");
	n = ponte_sip_info_build_relay('D', 100000, buf, sizeof(buf));
	CHECK(n > 0 && strcmp(buf, "Signal=D\r\nDuration=60000\r\n") == 0,
	      "build: a duration above a minute is clamped");
	CHECK(ponte_sip_info_build_relay('x', 100, buf, sizeof(buf)) == -EINVAL &&
		  ponte_sip_info_build_relay('\0', 100, buf, sizeof(buf)) == -EINVAL,
	      "build: x and NUL are no digits");
	CHECK(ponte_sip_info_build_relay('1', 100, buf, 10) == -ENOSPC,
	      "build: too small a buffer");
	{
		unsigned nb_ok = 0;

		for (const char *p = "0123456789*#ABCD!"; *p != '\0'; p++) {
			n = ponte_sip_info_build_relay(*p, 120, buf, sizeof(buf));
			nb_ok += n > 0 &&
				 ponte_sip_info_parse_relay(buf, (size_t)n, &d, NULL) == 0 &&
				 d.digit == *p && d.duration_ms == 120;
		}
		CHECK(nb_ok == 17, "build: each of the 17 events parses back as itself (%u)",
		      nb_ok);
	}
}

/* ---- sip.dtmf and the SIP side's SDP ---- */

#define BROWSER_OFFER                                                                              \
	"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"                                      \
	"m=audio 9 UDP/TLS/RTP/SAVPF 111 0 126\r\nc=IN IP4 0.0.0.0\r\n"                            \
	"a=rtpmap:111 opus/48000/2\r\na=rtpmap:0 PCMU/8000\r\n"                                    \
	"a=rtpmap:126 telephone-event/8000\r\n"
#define PHONE_WITH_TE                                                                              \
	"v=0\r\no=phone 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"            \
	"m=audio 6000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n"                                   \
	"a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\n"
#define PHONE_WITHOUT_TE                                                                           \
	"v=0\r\no=phone 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"            \
	"m=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"

/* How one sip.dtmf mode treats the phone's SDP phone_sdp: whether our offer and our answer
 * to it carry telephone-event, whether the phone's is used, and whether the browser keeps
 * its own (126). */
static void check_mode(int mode, const char *phone_sdp, bool want_offer_te, bool want_phone_te,
		       bool want_browser_te, const char *what)
{
	struct ponte_config *cfg = ponte_config_defaults();
	struct sdp *browser = NULL;
	struct sip_sdp_offer st;
	struct sip_sdp_answer ans;
	struct sdp_codec table[2];
	char err[256] = "";
	char *offer = NULL, *answer = NULL;
	unsigned n;
	bool has_browser_te = false;
	int rc;

	cfg->sip.dtmf = mode;
	rc = sdp_parse(BROWSER_OFFER, strlen(BROWSER_OFFER), &browser, err, sizeof(err));
	if (rc == 0)
		rc = sip_sdp_make_offer(cfg, browser, "127.0.0.1", 40000, 1, &offer, &st, err,
					sizeof(err));
	CHECK(rc == 0, "%s: our offer (%s)", what, rc != 0 ? err : "ok");
	if (rc != 0)
		goto out;
	CHECK((strstr(offer, "telephone-event") != NULL) == want_offer_te,
	      "%s: the phone is %soffered telephone-event", what, want_offer_te ? "" : "not ");
	rc = sip_sdp_read_answer(phone_sdp, &st, &ans, err, sizeof(err));
	CHECK(rc == 0 && (ans.te >= 0) == want_phone_te,
	      "%s: the phone's telephone-event is %sused (te %d)", what,
	      want_phone_te ? "" : "not ", ans.te);
	rc = sip_sdp_make_answer(&st, &ans, "127.0.0.1", 40000, 1, &answer);
	CHECK(rc == 0 && (strstr(answer, "telephone-event") != NULL) == want_phone_te,
	      "%s: our answer to that SDP %s telephone-event", what,
	      want_phone_te ? "has" : "has no");
	n = sip_sdp_browser_codecs(&st, &ans, table);
	for (unsigned i = 0; i < n; i++)
		has_browser_te |=
		    strcmp(table[i].name, "telephone-event") == 0 && table[i].pt == 126;
	CHECK(has_browser_te == want_browser_te && table[0].pt == 0,
	      "%s: the browser is answered PCMU %s telephone-event 126", what,
	      want_browser_te ? "and" : "without");
out:
	g_free(offer);
	g_free(answer);
	sdp_free(browser);
	ponte_config_free(cfg);
}

static void test_sdp_modes(void)
{
	check_mode(PONTE_SIP_DTMF_RFC4733, PHONE_WITH_TE, true, true, true, "rfc4733, phone te");
	check_mode(PONTE_SIP_DTMF_RFC4733, PHONE_WITHOUT_TE, true, false, false,
		   "rfc4733, phone without te");
	check_mode(PONTE_SIP_DTMF_INFO, PHONE_WITH_TE, false, false, true, "info, phone te");
	check_mode(PONTE_SIP_DTMF_INFO, PHONE_WITHOUT_TE, false, false, true,
		   "info, phone without te");
	check_mode(PONTE_SIP_DTMF_AUTO, PHONE_WITH_TE, true, true, true, "auto, phone te");
	check_mode(PONTE_SIP_DTMF_AUTO, PHONE_WITHOUT_TE, true, false, true,
		   "auto, phone without te");
}

int main(void)
{
	test_relay_good();
	test_relay_bad();
	test_dtmf();
	test_build();
	test_sdp_modes();
	return tap_done();
}
