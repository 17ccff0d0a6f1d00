/*
 * test_check_findings.c - what an allocator's check found (allocators/allocator.h,
 * common.c): violations are counted past the messages kept, and each message
 * is prefixed with the name the report carries, so that checks never spell
 * their allocator's name themselves.
 */
#include "test.h"
#include "allocators/allocator.h"


TEST(check_findings_prefixes_each_message_with_the_name_it_carries)
{
	struct check_findings r = { 0 };
	check_violation(&r, "bare %d", 1);
	check_as(&r, "buddy");
	check_violation(&r, "list %u holds %s", 3u, "junk");
	check_as(&r, "tlsf-tcache");                 /* a wrapper after its inner check */
	check_violation(&r, "class 2 list holds 3 blocks");
	EXPECT_EQ(r.violations, 3);
	EXPECT_EQ(r.nmessages, 3);
	EXPECT(strcmp(r.messages[0], "bare 1") == 0);
	EXPECT(strcmp(r.messages[1], "buddy: list 3 holds junk") == 0);
	EXPECT(strcmp(r.messages[2], "tlsf-tcache: class 2 list holds 3 blocks") == 0);
}

TEST(check_findings_counts_every_violation_but_keeps_the_first_few_messages)
{
	struct check_findings r = { 0 };
	check_as(&r, "slab");
	for (int i = 0; i < CHECK_MAX_MESSAGES + 3; i++)
		EXPECT_EQ(check_violation(&r, "violation %d", i), 1);
	EXPECT_EQ(r.violations, CHECK_MAX_MESSAGES + 3);
	EXPECT_EQ(r.nmessages, CHECK_MAX_MESSAGES);
	EXPECT(strcmp(r.messages[CHECK_MAX_MESSAGES - 1], "slab: violation 3") == 0);
}

TEST(check_findings_truncates_a_long_name_and_message_safely)
{
	char name[300];
	memset(name, 'n', sizeof name - 1);
	name[sizeof name - 1] = '\0';
	struct check_findings r = { 0 };
	check_as(&r, name);
	check_violation(&r, "lost");
	EXPECT_EQ(strlen(r.messages[0]), sizeof r.messages[0] - 1);
	check_as(&r, "short");
	check_violation(&r, "%0300d", 7);
	EXPECT_EQ(strlen(r.messages[1]), sizeof r.messages[1] - 1);
	EXPECT(strncmp(r.messages[1], "short: 000", 10) == 0);
}
