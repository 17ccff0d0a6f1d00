/* test_machine.c - the machine description that goes into every result. */
#include "test.h"
#include "harness/core/machine.h"

TEST(machine_description_has_cpu_cores_and_kernel)
{
	struct machine_info m;
	machine_describe(&m);
	EXPECT(m.cpu[0] != '\0');
	EXPECT(m.cores >= 1);
	EXPECT_STR_CONTAINS(m.os, "Linux");
	EXPECT(m.arch[0] != '\0');
}
