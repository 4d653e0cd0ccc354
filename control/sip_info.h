/* SPDX-License-Identifier: MIT */
/*
 * DTMF over SIP INFO (RFC 6086's "legacy INFO usage", RFC 2976), both ways, inside a call's
 * dialog, as Asterisk (dtmf_mode=info) and FreeSWITCH (dtmf-type=info) do it.
 *
 * Incoming, in every sip.dtmf mode: `application/dtmf-relay` (the de facto format: lines
 * `Signal=5` and `Duration=160`, milliseconds) or `application/dtmf` (a bare digit). A digit
 * goes to the call's ops->dtmf and the INFO gets 200; a body that does not parse gets 400 with
 * a Warning saying what is wrong (the call goes on); another content type 415 with Accept; an
 * INFO without a body 200 (phones send those as keep-alives). INFO outside our dialogs: 481.
 *
 * Outgoing: ponte_sip_call_send_dtmf() queues a digit; INFOs go one at a time, the next once
 * the previous has its final response, so that digits arrive in order whatever the transport
 * does. A failure is logged and given to ops->dtmf_failed; a 481 ends the call (the dialog is
 * gone, RFC 5057 §5.1), anything else leaves it as it is.
 *
 * Everything runs on the main loop. Part of the SIP stack: sip.c and sip_dialog.c call in.
 */
#ifndef PONTE_CONTROL_SIP_INFO_H
#define PONTE_CONTROL_SIP_INFO_H

#include <stddef.h>

struct ponte_sip_call;

/* What an INFO takes and sends. */
#define PONTE_SIP_INFO_DTMF_RELAY "application/dtmf-relay"
#define PONTE_SIP_INFO_DTMF "application/dtmf"

/* Bodies longer than this are refused (413): a DTMF body is a few dozen bytes. */
#define PONTE_SIP_INFO_MAX_BODY 1024

/* Digits waiting for their INFO in one call; more are dropped (and logged). */
#define PONTE_SIP_INFO_MAX_QUEUED 32

/* Duration= bounds, in milliseconds: RFC 4733 events last at most 65535 samples at 8 kHz
 * (8.2 s) in one event; a minute leaves room for whatever a phone means by a long press. */
#define PONTE_SIP_INFO_MAX_DURATION_MS 60000

/* A DTMF event as an INFO carries it. */
struct ponte_sip_info_dtmf {
	/* '0'-'9', '*', '#', 'A'-'D', or '!' for a hook flash (RFC 4733 event 16), which is
	 * not a digit: callers take it or leave it. */
	char digit;
	unsigned duration_ms; /* 0: the body did not say */
};

/*
 * Parse an application/dtmf-relay body of len bytes (not NUL-terminated): lines (CRLF or LF)
 * of `Name=value`, names case-insensitive, blanks around names and values ignored, empty lines
 * skipped, names other than Signal and Duration ignored. Signal (exactly one) is a digit
 * 0-9, *, #, A-D (a-d too) or ! (flash), or its RFC 4733 event number 0-16; Duration (at most
 * one, optional) a decimal number of milliseconds, 1..PONTE_SIP_INFO_MAX_DURATION_MS.
 * 0, or -EINVAL with *why (static text, no quotes, fit for a Warning) saying what is wrong,
 * or -EMSGSIZE above PONTE_SIP_INFO_MAX_BODY.
 */
int ponte_sip_info_parse_relay(const char *body, size_t len, struct ponte_sip_info_dtmf *out,
			       const char **why);

/* Parse an application/dtmf body: one digit as above (or its event number), blanks and line
 * ends around it ignored. Same returns as ponte_sip_info_parse_relay(). */
int ponte_sip_info_parse_dtmf(const char *body, size_t len, struct ponte_sip_info_dtmf *out,
			      const char **why);

/*
 * An application/dtmf-relay body for digit (0-9, *, #, A-D, !) lasting duration_ms
 * (clamped to 1..PONTE_SIP_INFO_MAX_DURATION_MS) into buf: "Signal=5\r\nDuration=160\r\n".
 * Returns its length, -EINVAL for another character, -ENOSPC when buf is too small.
 */
int ponte_sip_info_build_relay(char digit, unsigned duration_ms, char *buf, size_t size);

/*
 * Send digit (as ponte_sip_info_build_relay() takes it) to the peer of an established call in
 * an INFO, after those queued before it. 0 when queued; -EINVAL for a call not established
 * (no 2xx yet) or ended, or a character that is not a digit; -ENOBUFS with
 * PONTE_SIP_INFO_MAX_QUEUED digits waiting.
 */
int ponte_sip_call_send_dtmf(struct ponte_sip_call *call, char digit, unsigned duration_ms);

#endif
