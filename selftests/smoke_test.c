// SPDX-License-Identifier: GPL-2.0
/* Temporary smoke test of one fan-out round trip. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "kselftest_harness.h"
#include "fanout_util.h"

static void *agent(void *arg)
{
	int fd = *(int *)arg;
	char buf[64];
	struct fanout_reply_recv rr = { 0 };

	rr.recv.buf = (unsigned long)buf;
	rr.recv.buf_len = sizeof(buf);
	if (fanout_recv(fd, &rr.recv))
		return (void *)1;
	rr.reply.id = rr.recv.id;
	rr.reply.buf = (unsigned long)buf;
	rr.reply.len = rr.recv.len;
	return (void *)(long)fanout_reply(fd, &rr.reply);
}

TEST(round_trip)
{
	char name[FANOUT_NAME_MAX];
	int co, ag[4];
	pthread_t th[4];
	struct fanout_result res[4];
	char rbuf[4][64];
	struct fanout_call c;
	void *rv;

	fanout_test_name(name, "smoke");
	co = fanout_test_create(name, 8, 0);
	ASSERT_LE(0, co);
	for (int i = 0; i < 4; i++) {
		ag[i] = fanout_test_agent(name, i);
		ASSERT_LE(0, ag[i]);
		ASSERT_EQ(0, pthread_create(&th[i], NULL, agent, &ag[i]));
	}
	memset(&c, 0, sizeof(c));
	memset(res, 0, sizeof(res));
	for (int i = 0; i < 4; i++) {
		res[i].reply_buf = (unsigned long)rbuf[i];
		res[i].reply_buf_len = sizeof(rbuf[i]);
	}
	c.send.payload = (unsigned long)"hello";
	c.send.payload_len = 6;
	c.results.results = (unsigned long)res;
	c.results.count = 4;
	c.results.flags = FANOUT_RESULTS_RELEASE;
	ASSERT_EQ(0, fanout_call(co, &c));
	EXPECT_EQ(4, c.send.ntargets);
	EXPECT_EQ(4, c.results.nreplied);
	for (int i = 0; i < 4; i++) {
		EXPECT_EQ(FANOUT_TARGET_REPLIED, res[i].state);
		EXPECT_EQ(6, res[i].reply_len);
		EXPECT_STREQ("hello", rbuf[i]);
		pthread_join(th[i], &rv);
		EXPECT_EQ(NULL, rv);
		close(ag[i]);
	}
	close(co);
}

TEST_HARNESS_MAIN
