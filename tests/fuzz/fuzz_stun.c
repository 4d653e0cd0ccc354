/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: STUN as the gateway meets it on a media port. Ponte's RFC 7983 classifier
 * decides what goes to ICE; libnice's STUN codec (the one the gateway runs) validates and
 * parses it as an ICE agent would (RFC 8445 usage, short-term credentials, FINGERPRINT), and
 * reads the attributes ICE uses. Invariant: whatever the codec accepts as a whole RFC 5389
 * message (with the magic cookie, and a first byte in RFC 7983's STUN range 0..3) the
 * classifier sends to ICE, so no check is starved.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <ponte/demux.h>
#include <stun/stunagent.h>
#include <stun/stunmessage.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool credentials(StunAgent *agent, StunMessage *msg, uint8_t *username,
			uint16_t username_len, uint8_t **password, size_t *password_len,
			void *user)
{
	(void)agent;
	(void)msg;
	(void)username;
	(void)username_len;
	(void)user;
	static uint8_t pwd[] = "abcdefghijklmnopqrstuvwx";

	*password = pwd;
	*password_len = sizeof(pwd) - 1;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint16_t known[] = {STUN_ATTRIBUTE_USERNAME, STUN_ATTRIBUTE_PRIORITY,
					 STUN_ATTRIBUTE_USE_CANDIDATE, STUN_ATTRIBUTE_ICE_CONTROLLED,
					 STUN_ATTRIBUTE_ICE_CONTROLLING, 0};
	enum ponte_pkt_class cls = ponte_demux_classify(data, size);
	int len = stun_message_validate_buffer_length(data, size, true);
	uint8_t *buf;
	StunAgent agent;
	StunMessage msg;
	StunValidationStatus st;

	if (len == (int)size && size >= 20 && data[0] <= 3 && data[4] == 0x21 && data[5] == 0x12 &&
	    data[6] == 0xA4 && data[7] == 0x42 && cls != PONTE_PKT_STUN)
		abort(); /* a message ICE would take would never reach it */
	if (size > 65536)
		return 0;
	buf = malloc(size ? size : 1);
	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	stun_agent_init(&agent, known, STUN_COMPATIBILITY_RFC5389,
			STUN_AGENT_USAGE_SHORT_TERM_CREDENTIALS |
				STUN_AGENT_USAGE_USE_FINGERPRINT);
	st = stun_agent_validate(&agent, &msg, buf, size, credentials, NULL);
	if (st == STUN_VALIDATION_SUCCESS || st == STUN_VALIDATION_UNAUTHORIZED_BAD_REQUEST ||
	    st == STUN_VALIDATION_UNKNOWN_REQUEST_ATTRIBUTE) {
		uint32_t prio;
		uint64_t tie;
		uint16_t alen;

		(void)stun_message_find32(&msg, STUN_ATTRIBUTE_PRIORITY, &prio);
		(void)stun_message_find64(&msg, STUN_ATTRIBUTE_ICE_CONTROLLING, &tie);
		(void)stun_message_find(&msg, STUN_ATTRIBUTE_USERNAME, &alen);
		(void)stun_message_get_class(&msg);
		(void)stun_message_get_method(&msg);
	}
	free(buf);
	return 0;
}
