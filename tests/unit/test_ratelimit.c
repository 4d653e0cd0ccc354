/* SPDX-License-Identifier: MIT */
/* The token bucket: burst, sustained rate, long idle gaps, clock steps backwards. */
#include "ratelimit.h"
#include "tap.h"

int main(void)
{
	struct ratelimit rl;
	int n = 0;

	ratelimit_init(&rl, 10, 3, 0);
	while (ratelimit_take(&rl, 0))
		n++;
	CHECK(n == 3, "a full bucket gives the burst (%d)", n);
	CHECK(!ratelimit_take(&rl, 99999), "less than one token after 99.999 ms at 10/s");
	CHECK(ratelimit_take(&rl, 100000), "one token after 100 ms at 10/s");
	n = 0;
	for (int64_t t = 100000; t <= 1100000; t += 1000)
		n += ratelimit_take(&rl, t);
	CHECK(n == 10, "10 tokens in one second at 10/s (%d)", n);
	n = 0;
	while (ratelimit_take(&rl, 1000000LL * 86400 * 365))
		n++;
	CHECK(n == 3, "a year idle refills to the burst, no overflow (%d)", n);
	CHECK(!ratelimit_take(&rl, 5), "a clock step backwards adds nothing");
	ratelimit_init(&rl, 100000, 100000, 0);
	n = 0;
	while (ratelimit_take(&rl, 0))
		n++;
	CHECK(n == 100000, "largest configured burst (%d)", n);
	return tap_done();
}
