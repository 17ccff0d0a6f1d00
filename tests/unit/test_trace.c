/* test_trace.c - the trace reader: both formats, every error, the figures. */
#include "test.h"
#include "harness/core/sha256.h"
#include "harness/core/trace.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static enum trace_status parse(const char *text, struct trace *t, struct trace_error *err)
{
	return trace_parse("t.trace", text, strlen(text), t, err);
}

/* Parse `text`; it must fail as bad input, leave the trace empty and say `where` and `words`. */
#define EXPECT_BAD_LEN(text, len, where, words)                                  \
	do {                                                                      \
		struct trace t_;                                                  \
		struct trace_error e_;                                            \
		EXPECT_EQ(trace_parse("t.trace", (text), (len), &t_, &e_), TRACE_EINPUT); \
		EXPECT_STR_CONTAINS(e_.message, (where));                         \
		EXPECT_STR_CONTAINS(e_.message, (words));                         \
		EXPECT(t_.ops == NULL && t_.nops == 0 && t_.path == NULL);        \
	} while (0)
#define EXPECT_BAD(text, where, words) EXPECT_BAD_LEN(text, strlen(text), where, words)

/* ---- each operation ---------------------------------------------------- */

TEST(trace_parses_malloc)
{
	struct trace t;
	struct trace_error e;
	REQUIRE(parse("a 7 100\n", &t, &e) == TRACE_OK);
	EXPECT_EQ(t.format, TRACE_NATIVE);
	EXPECT_EQ(t.nops, 1);
	EXPECT_EQ(t.ops[0].kind, OP_MALLOC);
	EXPECT_EQ(t.ops[0].size, 100);
	EXPECT_EQ(t.ops[0].slot, 0);
	EXPECT_EQ(t.ops[0].align_log2, 0);
	EXPECT_EQ(t.ops[0].reserved, 0);
	EXPECT_EQ(t.nslots, 1);
	EXPECT_EQ(t.slot_id[0], 7);
	EXPECT_EQ(t.line[0], 1);
	EXPECT_EQ(t.count[OP_MALLOC], 1);
	EXPECT(strcmp(t.path, "t.trace") == 0);
	trace_free(&t);
}

TEST(trace_parses_calloc_with_nmemb_kept_apart)
{
	struct trace t;
	struct trace_error e;
	REQUIRE(parse("c 1 3 40\nc 2 5 8\n", &t, &e) == TRACE_OK);
	EXPECT_EQ(t.ops[0].kind, OP_CALLOC);
	EXPECT_EQ(t.ops[0].size, 40);
	EXPECT_EQ(t.ops[1].size, 8);
	EXPECT_EQ(t.ncalloc, 2);
	EXPECT_EQ(t.calloc_nmemb[0], 3);
	EXPECT_EQ(t.calloc_nmemb[1], 5);
	EXPECT_EQ(t.peak_live_bytes, 3 * 40 + 5 * 8);
	EXPECT_EQ(t.count[OP_CALLOC], 2);
	trace_free(&t);
}

TEST(trace_parses_realloc_of_same_block)
{
	struct trace t;
	struct trace_error e;
	REQUIRE(parse("a 1 10\nr 1 5000\n", &t, &e) == TRACE_OK);
	EXPECT_EQ(t.ops[1].kind, OP_REALLOC);
	EXPECT_EQ(t.ops[1].size, 5000);
	EXPECT_EQ(t.ops[1].slot, t.ops[0].slot);
	EXPECT_EQ(t.peak_live_bytes, 5000);
	EXPECT_EQ(t.count[OP_REALLOC], 1);
	trace_free(&t);
}

TEST(trace_parses_memalign_as_log2)
{
	struct trace t;
	struct trace_error e;
	REQUIRE(parse("m 1 4096 100\nm 2 1 3\nm 3 1099511627776 8\n", &t, &e) == TRACE_OK);
	EXPECT_EQ(t.ops[0].kind, OP_MEMALIGN);
	EXPECT_EQ(t.ops[0].align_log2, 12);
	EXPECT_EQ(t.ops[0].size, 100);
	EXPECT_EQ(t.ops[1].align_log2, 0);   /* alignment 1 is allowed */
	EXPECT_EQ(t.ops[2].align_log2, 40);  /* 2^40 is the largest allowed */
	EXPECT_EQ(t.count[OP_MEMALIGN], 3);
	trace_free(&t);
}

TEST(trace_parses_free)
{
	struct trace t;
	struct trace_error e;
	REQUIRE(parse("a 1 10\nf 1\n", &t, &e) == TRACE_OK);
	EXPECT_EQ(t.ops[1].kind, OP_FREE);
	EXPECT_EQ(t.ops[1].slot, 0);
	EXPECT_EQ(t.ops[1].size, 0);
	EXPECT_EQ(t.count[OP_FREE], 1);
	EXPECT_EQ(t.live_at_end, 0);
	trace_free(&t);
}

TEST(trace_op_kind_names)
{
	EXPECT(strcmp(op_kind_name[OP_MALLOC], "malloc") == 0);
	EXPECT(strcmp(op_kind_name[OP_CALLOC], "calloc") == 0);
	EXPECT(strcmp(op_kind_name[OP_REALLOC], "realloc") == 0);
	EXPECT(strcmp(op_kind_name[OP_MEMALIGN], "memalign") == 0);
	EXPECT(strcmp(op_kind_name[OP_FREE], "free") == 0);
}

/* ---- layout of the text ------------------------------------------------ */

TEST(trace_ignores_comments_and_blank_lines_and_keeps_line_numbers)
{
	struct trace t;
	struct trace_error e;
	REQUIRE(parse("# a web server\n\n   \n\t\na 1 10\n  # indented comment\nf 1\n",
	              &t, &e) == TRACE_OK);
	EXPECT_EQ(t.nops, 2);
	EXPECT_EQ(t.line[0], 5);
	EXPECT_EQ(t.line[1], 7);
	trace_free(&t);
}

TEST(trace_accepts_trailing_comment_after_fields)
{
	struct trace t;
	struct trace_error e;
	REQUIRE(parse("a 1 10 # header buffer\nf 1\t# done\nc 2 3 4 #\n", &t, &e) == TRACE_OK);
	EXPECT_EQ(t.nops, 3);
	EXPECT_EQ(t.ops[0].size, 10);
	trace_free(&t);
}

TEST(trace_accepts_crlf_line_endings)
{
	struct trace t;
	struct trace_error e;
	REQUIRE(parse("a 1 10\r\nr 1 20\r\n\r\nf 1\r\n", &t, &e) == TRACE_OK);
	EXPECT_EQ(t.nops, 3);
	EXPECT_EQ(t.ops[1].size, 20);
	EXPECT_EQ(t.line[2], 4);
	trace_free(&t);
}

TEST(trace_accepts_missing_final_newline)
{
	struct trace t;
	struct trace_error e;
	REQUIRE(parse("a 1 10\nf 1", &t, &e) == TRACE_OK);
	EXPECT_EQ(t.nops, 2);
	trace_free(&t);
	REQUIRE(parse("a 1 10\nr 1 99\r", &t, &e) == TRACE_OK);
	EXPECT_EQ(t.ops[1].size, 99);
	trace_free(&t);
}

TEST(trace_accepts_tabs_and_runs_of_blanks)
{
	struct trace t;
	struct trace_error e;
	REQUIRE(parse("\ta\t1\t\t10  \nm  2 \t 16\t24\t\n", &t, &e) == TRACE_OK);
	EXPECT_EQ(t.nops, 2);
	EXPECT_EQ(t.ops[0].size, 10);
	EXPECT_EQ(t.ops[1].size, 24);
	EXPECT_EQ(t.ops[1].align_log2, 4);
	trace_free(&t);
}

/* ---- IDs --------------------------------------------------------------- */

TEST(trace_remaps_ids_to_dense_slots_in_first_allocation_order)
{
	struct trace t;
	struct trace_error e;
	REQUIRE(parse("a 4000000000 1\na 5 1\na 0 1\nf 5\nf 4000000000\nf 0\n", &t, &e)
	        == TRACE_OK);
	EXPECT_EQ(t.nslots, 3);
	EXPECT_EQ(t.slot_id[0], 4000000000u);
	EXPECT_EQ(t.slot_id[1], 5);
	EXPECT_EQ(t.slot_id[2], 0);
	EXPECT_EQ(t.ops[3].slot, 1);
	EXPECT_EQ(t.ops[4].slot, 0);
	EXPECT_EQ(t.ops[5].slot, 2);
	trace_free(&t);
}

TEST(trace_reuses_an_id_after_free_in_the_same_slot)
{
	struct trace t;
	struct trace_error e;
	REQUIRE(parse("a 1 10\nf 1\nc 1 2 3\nf 1\nm 1 64 9\n", &t, &e) == TRACE_OK);
	EXPECT_EQ(t.nslots, 1);
	EXPECT_EQ(t.ops[4].slot, 0);
	EXPECT_EQ(t.live_at_end, 1);
	trace_free(&t);
}

TEST(trace_accepts_largest_id)
{
	struct trace t;
	struct trace_error e;
	REQUIRE(parse("a 4294967295 1\nf 4294967295\n", &t, &e) == TRACE_OK);
	EXPECT_EQ(t.slot_id[0], 4294967295u);
	trace_free(&t);
}

TEST(trace_handles_many_dense_and_sparse_ids)
{
	/* 30000 dense IDs, then 30000 spread over the 32-bit range, all freed */
	size_t cap = 60000 * 40, n = 0;
	char *buf = malloc(cap);
	REQUIRE(buf);
	for (unsigned i = 0; i < 30000; i++)
		n += (size_t)sprintf(buf + n, "a %u %u\n", i, i % 100);
	for (unsigned i = 0; i < 30000; i++)
		n += (size_t)sprintf(buf + n, "a %u 1\n", 100000 + i * 131071u);
	for (unsigned i = 0; i < 30000; i++)
		n += (size_t)sprintf(buf + n, "f %u\nf %u\n", i, 100000 + i * 131071u);
	struct trace t;
	struct trace_error e;
	REQUIRE(trace_parse("many", buf, n, &t, &e) == TRACE_OK);
	EXPECT_EQ(t.nslots, 60000);
	EXPECT_EQ(t.peak_live_blocks, 60000);
	EXPECT_EQ(t.live_at_end, 0);
	EXPECT_EQ(t.slot_id[30000 + 777], 100000 + 777 * 131071u);
	EXPECT_EQ(t.ops[120000 - 1].slot, 30000 + 29999);
	trace_free(&t);
	free(buf);
}

/* ---- figures ----------------------------------------------------------- */

TEST(trace_peak_live_figures_on_hand_computed_trace)
{
	struct trace t;
	struct trace_error e;
	const char *text =
		"a 1 100\n"       /* live 100 in 1 block                  */
		"c 2 10 30\n"     /* 400, 2                                */
		"r 1 1000\n"      /* 1300, 2  <- peak bytes                */
		"f 2\n"           /* 1000, 1                               */
		"m 3 64 50\n"     /* 1050, 2                               */
		"a 4 10\n"        /* 1060, 3  <- peak blocks               */
		"r 1 0\n"         /* 60, 3: realloc to 0 keeps the block   */
		"f 3\n"           /* 10, 2                                 */
		"a 5 0\n";        /* 10, 3                                 */
	REQUIRE(parse(text, &t, &e) == TRACE_OK);
	EXPECT_EQ(t.peak_live_bytes, 1300);
	EXPECT_EQ(t.peak_live_blocks, 3);
	EXPECT_EQ(t.live_at_end, 3);
	EXPECT_EQ(t.count[OP_MALLOC], 3);
	EXPECT_EQ(t.count[OP_CALLOC], 1);
	EXPECT_EQ(t.count[OP_REALLOC], 2);
	EXPECT_EQ(t.count[OP_MEMALIGN], 1);
	EXPECT_EQ(t.count[OP_FREE], 2);
	EXPECT_EQ(t.nops, 9);
	EXPECT_EQ(t.nslots, 5);
	trace_free(&t);
}

TEST(trace_peak_live_bytes_saturates_instead_of_wrapping)
{
	struct trace t;
	struct trace_error e;
	REQUIRE(parse("a 1 18446744073709551615\na 2 18446744073709551615\nf 1\n", &t, &e)
	        == TRACE_OK);
	EXPECT_EQ(t.peak_live_bytes, UINT64_MAX);
	trace_free(&t);
}

TEST(trace_records_file_size_and_sha256_of_bytes)
{
	const char *text = "a 1 10\n";
	char hex[65];
	struct trace t;
	struct trace_error e;
	REQUIRE(parse(text, &t, &e) == TRACE_OK);
	sha256_hex(text, strlen(text), hex);
	EXPECT(strcmp(t.sha256, hex) == 0);
	EXPECT_EQ(strlen(t.sha256), 64);
	EXPECT_EQ(t.file_bytes, 7);
	trace_free(&t);
}

/* ---- errors in native traces ------------------------------------------- */

TEST(trace_rejects_unknown_op)
{
	EXPECT_BAD("a 1 10\nx 1 10\n", "t.trace:2: ", "unknown operation \"x\"");
	EXPECT_BAD("alloc 1 10\n", "t.trace:1: ", "unknown operation \"alloc\"");
	EXPECT_BAD("A 1 10\n", "t.trace:1: ", "unknown operation \"A\"");
}

TEST(trace_rejects_missing_field)
{
	EXPECT_BAD("a 1\n", "t.trace:1: ", "missing SIZE");
	EXPECT_BAD("a\n", "t.trace:1: ", "missing ID");
	EXPECT_BAD("c 1 2\n", "t.trace:1: ", "missing SIZE");
	EXPECT_BAD("m 1 16 # comment\n", "t.trace:1: ", "missing SIZE");
	EXPECT_BAD("f\n", "t.trace:1: ", "missing ID");
}

TEST(trace_rejects_extra_field)
{
	EXPECT_BAD("a 1 10\nf 1 10\n", "t.trace:2: ", "extra field \"10\"");
	EXPECT_BAD("a 1 10 20\n", "t.trace:1: ", "extra field \"20\"");
}

TEST(trace_rejects_what_is_not_a_number)
{
	EXPECT_BAD("a 1 -5\n", "t.trace:1: ", "SIZE \"-5\" is not a number");
	EXPECT_BAD("a 1 +5\n", "t.trace:1: ", "\"+5\" is not a number");
	EXPECT_BAD("a 1 0x10\n", "t.trace:1: ", "\"0x10\" is not a number");
	EXPECT_BAD("a 1 12abc\n", "t.trace:1: ", "\"12abc\" is not a number");
	EXPECT_BAD("a x 12\n", "t.trace:1: ", "ID \"x\" is not a number");
	EXPECT_BAD("a 1 1.5\n", "t.trace:1: ", "\"1.5\" is not a number");
	EXPECT_BAD("a 1 12#c\n", "t.trace:1: ", "\"12#c\" is not a number");
	EXPECT_BAD("a 1 10\v\n", "t.trace:1: ", "\"10\\x0b\" is not a number");
}

TEST(trace_rejects_number_overflowing_64_bits)
{
	EXPECT_BAD("a 1 18446744073709551616\n", "t.trace:1: ",
	           "SIZE 18446744073709551616 overflows 64 bits");
	EXPECT_BAD("a 99999999999999999999999 1\n", "t.trace:1: ", "overflows 64 bits");
}

TEST(trace_rejects_id_of_2_to_the_32)
{
	EXPECT_BAD("a 4294967296 1\n", "t.trace:1: ", "ID 4294967296 is too large");
}

TEST(trace_rejects_free_of_block_never_allocated)
{
	EXPECT_BAD("a 1 10\nf 7\n", "t.trace:2: ", "free of block 7, which is not live");
}

TEST(trace_rejects_realloc_of_block_never_allocated)
{
	EXPECT_BAD("r 3 10\n", "t.trace:1: ", "realloc of block 3, which is not live");
}

TEST(trace_reports_double_free_with_line_of_first_free)
{
	EXPECT_BAD("a 7 10\nf 7\n# again\nf 7\n", "t.trace:4: ",
	           "double free of block 7 (already freed at line 2)");
}

TEST(trace_rejects_realloc_of_freed_block)
{
	EXPECT_BAD("a 7 10\nf 7\nr 7 20\n", "t.trace:3: ",
	           "realloc of block 7, which is not live (freed at line 2)");
}

TEST(trace_rejects_allocation_of_live_id)
{
	EXPECT_BAD("a 1 10\na 1 10\n", "t.trace:2: ",
	           "malloc of block 1, which is already live (allocated at line 1)");
	EXPECT_BAD("a 1 10\nc 1 1 1\n", "t.trace:2: ", "calloc of block 1, which is already live");
	EXPECT_BAD("a 1 10\nm 1 8 1\n", "t.trace:2: ",
	           "memalign of block 1, which is already live");
	EXPECT_BAD("a 1 10\nr 1 5\na 1 1\n", "t.trace:3: ", "allocated at line 2");
}

TEST(trace_rejects_alignment_not_power_of_two)
{
	EXPECT_BAD("m 1 0 10\n", "t.trace:1: ", "alignment 0 is not a power of two");
	EXPECT_BAD("m 1 24 10\n", "t.trace:1: ", "alignment 24 is not a power of two");
	EXPECT_BAD("m 1 18446744073709551615 10\n", "t.trace:1: ", "is not a power of two");
}

TEST(trace_rejects_absurd_alignment)
{
	EXPECT_BAD("m 1 2199023255552 10\n", "t.trace:1: ",
	           "alignment 2199023255552 is absurdly large (the limit is 2^40)");
}

TEST(trace_accepts_calloc_overflowing_64_bits_as_a_live_id)
{
	static const char text[] = "a 1 8\nc 2 4294967296 4294967296\nf 1\nf 2\n";
	struct trace t;
	struct trace_error err;
	REQUIRE(trace_parse("t.trace", text, sizeof text - 1, &t, &err) == TRACE_OK);
	EXPECT_EQ(t.ncalloc, 1);
	EXPECT_EQ(t.calloc_nmemb[0], 4294967296ull);
	EXPECT_EQ(t.ops[1].size, 4294967296ull);
	EXPECT_EQ(t.count[OP_CALLOC], 1);
	EXPECT_EQ(t.peak_live_bytes, UINT64_MAX);   /* never granted: saturates */
	trace_free(&t);
	/* the ID is live afterwards, like any allocation's */
	EXPECT_BAD("c 2 4294967296 4294967296\na 2 8\n", "t.trace:2: ",
	           "malloc of block 2, which is already live");
}

TEST(trace_rejects_nul_byte_naming_its_line)
{
	static const char text[] = "a 1 10\n# ok\nf 1\0\n";
	EXPECT_BAD_LEN(text, sizeof text - 1, "t.trace:3: ", "NUL byte at column 4");
	static const char in_comment[] = "# \0 hidden\na 1 1\n";
	EXPECT_BAD_LEN(in_comment, sizeof in_comment - 1, "t.trace:1: ", "NUL byte");
}

TEST(trace_reports_binary_garbage_at_first_bad_line)
{
	static const char text[] = "a 1 10\n\x7f" "ELF\x02\x01\x01\xff\xfe\n";
	EXPECT_BAD_LEN(text, sizeof text - 1, "t.trace:2: ",
	               "unknown operation \"\\x7fELF\\x02\\x01\\x01\\xff\\xfe\"");
}

TEST(trace_rejects_line_over_4096_bytes)
{
	char text[6000];
	memset(text, ' ', sizeof text);
	memcpy(text, "a 1 10\na 2 ", 11);
	text[7 + 4097] = '5';
	text[7 + 4097 + 1] = '\n';
	EXPECT_BAD_LEN(text, 7 + 4097 + 2, "t.trace:2: ",
	               "line is 4098 bytes long (the limit is 4096)");
	/* exactly 4096 bytes is fine, CR not counted */
	memset(text, ' ', sizeof text);
	memcpy(text, "a 2 ", 4);
	text[4095] = '5';
	memcpy(text + 4096, "\r\n", 2);
	struct trace t;
	struct trace_error e;
	EXPECT_EQ(trace_parse("t.trace", text, 4098, &t, &e), TRACE_OK);
	trace_free(&t);
}

TEST(trace_rejects_multi_megabyte_line_quickly)
{
	size_t n = 8 << 20;
	char *text = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	REQUIRE(text != MAP_FAILED);
	memset(text, '7', n);
	memcpy(text, "# fine\na 1 ", 11);
	EXPECT_BAD_LEN(text, n, "t.trace:2: ", "line is 8388601 bytes long");
	munmap(text, n);
}

TEST(trace_rejects_empty_file)
{
	EXPECT_BAD("", "t.trace: ", "no operations");
}

TEST(trace_rejects_file_of_only_comments_and_blanks)
{
	EXPECT_BAD("# nothing here\n\n   \n", "t.trace: ", "no operations");
}

TEST(trace_failures_leave_no_memory_mapped)
{
	static const char *const bad[] = {
		"a 1 10\nf 2\n", "a 1 10\na 2 x\n", "", "m 1 3 1\n", "20000\n1\n2\n",
		"a 1 10\nc 2 2 2\nc 2 4294967296 4294967296\n",
	};
	struct trace t;
	struct trace_error e;
	/* warm up whatever the first call maps for good (none expected) */
	trace_parse("t", bad[0], strlen(bad[0]), &t, &e);
	FILE *f = fopen("/proc/self/statm", "r");
	REQUIRE(f);
	unsigned long before, after;
	REQUIRE(fscanf(f, "%lu", &before) == 1);
	for (int round = 0; round < 20; round++)
		for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
			EXPECT_EQ(trace_parse("t", bad[i], strlen(bad[i]), &t, &e), TRACE_EINPUT);
	for (int round = 0; round < 20; round++) {
		REQUIRE(parse("a 1 1\nc 2 3 4\nm 3 16 1\nf 1\n", &t, &e) == TRACE_OK);
		trace_free(&t);
		EXPECT(t.ops == NULL && t.nops == 0 && t.path == NULL);
	}
	rewind(f);
	REQUIRE(fscanf(f, "%lu", &after) == 1);
	fclose(f);
	EXPECT_EQ(after, before);
}

/* ---- .rep files -------------------------------------------------------- */

TEST(trace_parses_rep_file)
{
	struct trace t;
	struct trace_error e;
	REQUIRE(parse("20000\n3\n6\n1\na 0 2040\na 1 48\nr 0 4000\nf 1\na 2 10\nf 0\n",
	              &t, &e) == TRACE_OK);
	EXPECT_EQ(t.format, TRACE_REP);
	EXPECT_EQ(t.rep_heap_size, 20000);
	EXPECT_EQ(t.rep_num_ids, 3);
	EXPECT_EQ(t.rep_num_ops, 6);
	EXPECT_EQ(t.rep_weight, 1);
	EXPECT_EQ(t.nops, 6);
	EXPECT_EQ(t.nslots, 3);
	EXPECT_EQ(t.line[0], 5);
	EXPECT_EQ(t.ops[2].kind, OP_REALLOC);
	EXPECT_EQ(t.peak_live_bytes, 4048);
	EXPECT_EQ(t.live_at_end, 1);
	trace_free(&t);
}

TEST(trace_rep_accepts_trailing_blank_lines_and_crlf)
{
	struct trace t;
	struct trace_error e;
	REQUIRE(parse("100\r\n1\r\n2\r\n0\r\na 0 8\r\nf 0\r\n\r\n\n\n", &t, &e) == TRACE_OK);
	EXPECT_EQ(t.format, TRACE_REP);
	EXPECT_EQ(t.nops, 2);
	trace_free(&t);
}

TEST(trace_rep_rejects_body_shorter_than_header_says)
{
	EXPECT_BAD("100\n2\n5\n1\na 0 8\na 1 8\nf 0\n", "t.trace:3: ",
	           "the header declares 5 operations, but the file has only 3");
}

TEST(trace_rep_rejects_body_longer_than_header_says)
{
	EXPECT_BAD("100\n2\n2\n1\na 0 8\na 1 8\nf 0\n", "t.trace:7: ",
	           "more operations than the 2 the header (line 3) declares");
}

TEST(trace_rep_rejects_id_outside_header_range)
{
	EXPECT_BAD("100\n2\n2\n1\na 0 8\na 2 8\n", "t.trace:6: ",
	           "ID 2 is out of range: the header (line 2) declares 2 IDs");
}

TEST(trace_rep_rejects_fewer_distinct_ids_than_header_says)
{
	EXPECT_BAD("100\n3\n2\n1\na 0 8\na 1 8\n", "t.trace:2: ",
	           "the header declares 3 IDs, but only 2 distinct IDs are used");
}

TEST(trace_rep_rejects_truncated_header_at_end_of_file)
{
	EXPECT_BAD("100\n3\n", "t.trace:2: ",
	           "truncated .rep header: the file ends after 2 of its 4 numbers");
}

TEST(trace_rep_rejects_truncated_header_followed_by_ops)
{
	EXPECT_BAD("100\n1\n2\na 0 8\nf 0\n", "t.trace:4: ",
	           "truncated .rep header: expected the weight (header number 4 of 4), "
	           "found \"a\"");
}

TEST(trace_rep_rejects_header_line_with_two_numbers)
{
	EXPECT_BAD("100\n1 2\n2\n1\na 0 8\nf 0\n", "t.trace:2: ", "extra field \"2\"");
}

TEST(trace_rep_has_no_calloc_or_memalign)
{
	EXPECT_BAD("100\n1\n1\n1\nc 0 1 8\n", "t.trace:5: ",
	           "unknown operation \"c\" (a .rep file has only a, r and f)");
	EXPECT_BAD("100\n1\n1\n1\nm 0 16 8\n", "t.trace:5: ", "unknown operation \"m\"");
}

TEST(trace_rep_checks_liveness_like_native)
{
	EXPECT_BAD("100\n1\n3\n1\na 0 8\nf 0\nf 0\n", "t.trace:7: ", "double free of block 0");
}

TEST(trace_rep_with_zero_operations_has_no_operations)
{
	EXPECT_BAD("100\n0\n0\n1\n", "t.trace: ", "no operations");
}

TEST(trace_tells_format_by_content_not_name)
{
	struct trace t;
	struct trace_error e;
	REQUIRE(trace_parse("x.rep", "a 1 1\n", 6, &t, &e) == TRACE_OK);
	EXPECT_EQ(t.format, TRACE_NATIVE);
	trace_free(&t);
	const char *rep = "# c\n9\n1\n1\n1\na 0 1\n";
	REQUIRE(trace_parse("x.trace", rep, strlen(rep), &t, &e) == TRACE_OK);
	EXPECT_EQ(t.format, TRACE_REP);
	trace_free(&t);
}

/* ---- files ------------------------------------------------------------- */

TEST(trace_load_reads_a_file)
{
	char path[] = "/tmp/heaplab-trace-XXXXXX";
	int fd = mkstemp(path);
	REQUIRE(fd >= 0);
	const char *text = "a 1 10\nr 1 20\nf 1\n";
	REQUIRE(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	close(fd);
	struct trace t;
	struct trace_error e;
	enum trace_status s = trace_load(path, &t, &e);
	unlink(path);
	REQUIRE(s == TRACE_OK);
	EXPECT_EQ(t.nops, 3);
	EXPECT_EQ(t.file_bytes, strlen(text));
	EXPECT(strcmp(t.path, path) == 0);
	trace_free(&t);
}

TEST(trace_load_errors_name_the_file_and_line)
{
	char path[] = "/tmp/heaplab-trace-XXXXXX";
	int fd = mkstemp(path);
	REQUIRE(fd >= 0);
	REQUIRE(write(fd, "a 1 10\nf 7\n", 11) == 11);
	close(fd);
	struct trace t;
	struct trace_error e;
	EXPECT_EQ(trace_load(path, &t, &e), TRACE_EINPUT);
	unlink(path);
	char want[128];
	snprintf(want, sizeof want, "%s:2: free of block 7, which is not live", path);
	EXPECT_STR_CONTAINS(e.message, want);
}

TEST(trace_load_of_missing_file_is_bad_input)
{
	struct trace t;
	struct trace_error e;
	EXPECT_EQ(trace_load("/nonexistent/heaplab.trace", &t, &e), TRACE_EINPUT);
	EXPECT_STR_CONTAINS(e.message,
	                    "/nonexistent/heaplab.trace: cannot read: No such file or directory");
	EXPECT(t.ops == NULL);
}

TEST(trace_load_of_directory_is_bad_input)
{
	struct trace t;
	struct trace_error e;
	EXPECT_EQ(trace_load("/tmp", &t, &e), TRACE_EINPUT);
	EXPECT(strcmp(e.message, "/tmp: is a directory") == 0);
}

TEST(trace_load_of_unreadable_file_is_bad_input)
{
	if (geteuid() == 0)
		return;   /* root reads anything; nothing to test */
	char path[] = "/tmp/heaplab-trace-XXXXXX";
	int fd = mkstemp(path);
	REQUIRE(fd >= 0);
	close(fd);
	chmod(path, 0);
	struct trace t;
	struct trace_error e;
	EXPECT_EQ(trace_load(path, &t, &e), TRACE_EINPUT);
	unlink(path);
	EXPECT_STR_CONTAINS(e.message, "cannot read: Permission denied");
}

TEST(trace_load_of_empty_file_has_no_operations)
{
	struct trace t;
	struct trace_error e;
	EXPECT_EQ(trace_load("/dev/null", &t, &e), TRACE_EINPUT);
	EXPECT(strcmp(e.message, "/dev/null: no operations") == 0);
}

/* ---- SHA-256 ----------------------------------------------------------- */

TEST(sha256_known_vectors)
{
	char hex[65];
	sha256_hex("", 0, hex);
	EXPECT(strcmp(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855") == 0);
	sha256_hex("abc", 3, hex);
	EXPECT(strcmp(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad") == 0);
	const char *two_blocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	sha256_hex(two_blocks, strlen(two_blocks), hex);
	EXPECT(strcmp(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1") == 0);
}

TEST(sha256_million_a)
{
	static char a[1000000];
	char hex[65];
	memset(a, 'a', sizeof a);
	sha256_hex(a, sizeof a, hex);
	EXPECT(strcmp(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0") == 0);
}

TEST(sha256_incremental_equals_one_shot)
{
	static char data[1000];
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (char)(i * 7 + 3);
	for (size_t len = 0; len <= sizeof data; len += 37) {
		char hex[65];
		sha256_hex(data, len, hex);
		for (size_t cut = 0; cut <= len; cut += 13) {
			struct sha256 s;
			uint8_t d[32];
			char mine[65];
			sha256_init(&s);
			sha256_update(&s, data, cut);
			sha256_update(&s, data + cut, len - cut);
			sha256_final(&s, d);
			for (int i = 0; i < 32; i++)
				sprintf(mine + 2 * i, "%02x", d[i]);
			EXPECT(strcmp(mine, hex) == 0);
		}
	}
}

TEST(sha256_hardware_and_portable_agree)
{
	if (!sha256_accelerated())
		return;   /* only one implementation on this CPU */
	static char data[10000];
	uint32_t x = 12345;
	for (size_t i = 0; i < sizeof data; i++) {
		x = x * 1103515245u + 12345u;
		data[i] = (char)(x >> 16);
	}
	for (size_t len = 0; len <= sizeof data; len += 997) {
		char fast[65], slow[65];
		sha256_portable_only = 0;
		sha256_hex(data, len, fast);
		sha256_portable_only = 1;
		sha256_hex(data, len, slow);
		sha256_portable_only = 0;
		EXPECT(strcmp(fast, slow) == 0);
	}
}

/* ---- the fast path for common lines agrees with the general one ---------- */

/*
 * Lines far from the end of the input are read by a fast path; short test
 * inputs never reach it.  Padding each case with comment lines puts its lines
 * on the fast path: status, message and ops must not change.
 */
TEST(trace_fast_path_agrees_with_general_path)
{
	static const char *const cases[] = {
		"a 1 10\nr 1 20\nf 1\n", "a\t1\t\t10 \r\nc 2 3 4\t\nm 3 64 5  \n",
		"a 1 10 # c\n", "  a 1 10\n", "a 1 12abc\n", "a 1 -1\n", "a 1\n", "a 1 2 3\n",
		"a 4294967296 1\n", "a 1 99999999999999999999\n", "a 1 9999999999999999999\n",
		"c 1 4294967296 4294967296\n", "m 1 24 1\n", "m 1 0 1\n",
		"m 1 2199023255552 1\n", "f 9\n", "a 1 1\nf 1\nf 1\n", "a 1 1\na 1 1\n",
		"x 1 1\n", "a 1 1\rf 1\n", "a 1 1\n\nf 1\n", "a  1  1\n",
		"100\n2\n2\n1\na 0 8\na 1 8\n", "100\n2\n2\n1\na 0 8\nc 1 1 8\n",
		"100\n2\n2\n1\na 0 8\na 2 8\n", "100\n2\n1\n1\na 0 8\na 1 8\n",
		"a 1 10\n# \0\n",
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t n = strlen(cases[i]);
		if (i == sizeof cases / sizeof cases[0] - 1)
			n = 12;   /* the NUL case */
		/* the first op line tells the format and is always read the general way */
		const char *first = cases[i][0] == '1' ? "" : "a 4000000000 1\n";
		char plain[256], padded[1024];
		size_t l = strlen(first);
		memcpy(plain, first, l);
		memcpy(plain + l, cases[i], n);
		memcpy(padded, plain, l + n);
		size_t m = l + n;
		for (int k = 0; k < 8; k++) {
			memcpy(padded + m, "# padding padding padding padding\n", 34);
			m += 34;
		}
		struct trace a, b;
		struct trace_error ea, eb;
		enum trace_status sa = trace_parse("t", plain, l + n, &a, &ea);
		enum trace_status sb = trace_parse("t", padded, m, &b, &eb);
		EXPECT_EQ(sa, sb);
		if (sa != TRACE_OK) {
			if (strcmp(ea.message, eb.message) != 0)
				test_fail(__FILE__, __LINE__, "case %zu: \"%s\" != \"%s\"", i,
				          ea.message, eb.message);
			continue;
		}
		EXPECT_EQ(a.nops, b.nops);
		EXPECT(memcmp(a.ops, b.ops, a.nops * sizeof *a.ops) == 0);
		EXPECT(memcmp(a.line, b.line, a.nops * sizeof *a.line) == 0);
		EXPECT_EQ(a.peak_live_bytes, b.peak_live_bytes);
		trace_free(&a);
		trace_free(&b);
	}
}

/* ---- the shipped workloads load, with the figures workloads/README.md gives ---- */

TEST(trace_shipped_workloads_match_readme_table)
{
	static const struct {
		const char *path;
		enum trace_format format;
		size_t nops;
		uint64_t peak_bytes, peak_blocks, live_at_end;
	} want[] = {
		{ "workloads/basic.trace",      TRACE_NATIVE,   40,   9708,  14,  2 },
		{ "workloads/coalesce.trace",   TRACE_NATIVE,   68,   8000,  17,  0 },
		{ "workloads/realloc.trace",    TRACE_NATIVE,   46,  68916,   6,  0 },
		{ "workloads/web.trace",        TRACE_NATIVE, 30000, 5355875, 747, 636 },
		{ "workloads/short1.rep",       TRACE_REP,      15,   6300,   3,  0 },
		{ "workloads/binary-small.rep", TRACE_REP,     600,  84480, 240,  0 },
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		struct trace t;
		struct trace_error e;
		if (trace_load(want[i].path, &t, &e) != TRACE_OK) {
			test_fail(__FILE__, __LINE__, "%s", e.message);
			continue;
		}
		EXPECT_EQ(t.format, want[i].format);
		EXPECT_EQ(t.nops, want[i].nops);
		EXPECT_EQ(t.peak_live_bytes, want[i].peak_bytes);
		EXPECT_EQ(t.peak_live_blocks, want[i].peak_blocks);
		EXPECT_EQ(t.live_at_end, want[i].live_at_end);
		trace_free(&t);
	}
}

TEST(trace_basic_workload_has_every_op_kind)
{
	struct trace t;
	struct trace_error e;
	REQUIRE(trace_load("workloads/basic.trace", &t, &e) == TRACE_OK);
	for (int k = 0; k < OP_KINDS; k++)
		EXPECT(t.count[k] > 0);
	trace_free(&t);
}

/* ---- which error is reported ------------------------------------------- */

TEST(trace_reports_liveness_error_before_later_syntax_error)
{
	EXPECT_BAD("a 1 10\nf 7\nx 1 1\n", "t.trace:2: ", "free of block 7");
}

TEST(trace_reports_syntax_error_before_later_liveness_error)
{
	EXPECT_BAD("a 1 10\nx 1 1\nf 7\n", "t.trace:2: ", "unknown operation \"x\"");
}

TEST(trace_parse_of_null_empty_buffer_has_no_operations)
{
	struct trace t;
	struct trace_error e;
	EXPECT_EQ(trace_parse("t.trace", NULL, 0, &t, &e), TRACE_EINPUT);
	EXPECT(strcmp(e.message, "t.trace: no operations") == 0);
}

TEST(trace_rep_with_no_ids_rejects_any_id)
{
	EXPECT_BAD("100\n0\n1\n1\na 0 8\n", "t.trace:5: ",
	           "ID 0 is out of range: the header (line 2) declares no IDs");
}

/* ---- robustness -------------------------------------------------------- */

/*
 * Random damage to valid traces (bytes replaced, inserted, cut) must give a
 * clean verdict: a trace, or bad input with a "name:" message; never a crash
 * (ASan/UBSan builds run this too).  Fixed seed: failures reproduce.
 */
TEST(trace_survives_random_damage)
{
	static const char *const seeds[] = {
		"a 1 10\nc 2 3 4\nm 3 64 100\nr 1 200\nf 2\nf 1\n# end\n",
		"20000\n3\n5\n1\na 0 8\na 1 16\nr 0 32\nf 1\na 2 4\n",
		"a 1 10 # x\r\n\tr 1 0\r\nf 1\r\n",
	};
	static const char alphabet[] = "acrmf0123456789 \t\n\r#x-+\0\xff";
	uint32_t x = 2463534242u;
	for (int round = 0; round < 3000; round++) {
		const char *seed = seeds[round % 3];
		char buf[512];
		size_t n = strlen(seed);
		memcpy(buf, seed, n);
		int edits = 1 + round % 4;
		for (int k = 0; k < edits; k++) {
			x ^= x << 13; x ^= x >> 17; x ^= x << 5;
			size_t at = n ? x % n : 0;
			char c = alphabet[(x >> 8) % (sizeof alphabet - 1)];
			switch ((x >> 16) % 3) {
			case 0: if (n) buf[at] = c; break;
			case 1: if (n < sizeof buf - 1) {
					memmove(buf + at + 1, buf + at, n - at);
					buf[at] = c;
					n++;
				}
				break;
			default: n = at; break;
			}
		}
		/* on the fast path too: pad with comments when there is room */
		if (round & 1)
			for (; n + 34 < sizeof buf && n < 300; n += 34)
				memcpy(buf + n, "\n# padding padding padding padding", 34);
		struct trace t;
		struct trace_error e;
		enum trace_status s = trace_parse("t", buf, n, &t, &e);
		if (s == TRACE_OK) {
			EXPECT(t.nops > 0);
			EXPECT(t.nslots <= t.nops);
			for (size_t i = 0; i < t.nops; i++)
				EXPECT(t.ops[i].slot < t.nslots && t.ops[i].kind < OP_KINDS);
			trace_free(&t);
		} else {
			EXPECT_EQ(s, TRACE_EINPUT);
			EXPECT(strncmp(e.message, "t:", 2) == 0);
			EXPECT(t.ops == NULL);
		}
	}
}

TEST(trace_rep_rejects_header_number_that_is_not_a_number)
{
	EXPECT_BAD("100\n-1\n2\n1\na 0 8\nf 0\n", "t.trace:2: ",
	           "number of IDs \"-1\" is not a number");
}

TEST(trace_load_reads_a_pipe_longer_than_its_first_buffer)
{
	int fds[2];
	REQUIRE(pipe(fds) == 0);
	pid_t pid = fork();
	REQUIRE(pid >= 0);
	if (pid == 0) {   /* writer: 20000 alloc/free pairs, ~200 KB */
		close(fds[0]);
		char line[64];
		for (int i = 0; i < 20000; i++) {
			int n = sprintf(line, "a %d 16\nf %d\n", i, i);
			if (write(fds[1], line, (size_t)n) != n)
				_exit(1);
		}
		_exit(0);
	}
	close(fds[1]);
	char path[64];
	snprintf(path, sizeof path, "/dev/fd/%d", fds[0]);
	struct trace t;
	struct trace_error e;
	enum trace_status s = trace_load(path, &t, &e);
	close(fds[0]);
	int status;
	waitpid(pid, &status, 0);
	REQUIRE(s == TRACE_OK);
	EXPECT_EQ(t.nops, 40000);
	EXPECT_EQ(t.nslots, 20000);
	EXPECT(t.file_bytes > 65536);
	trace_free(&t);
}

/* ---- the bad-input catalogue (tests/data/bad_traces.tsv) ---------------- */

/* The bytes printf makes of `fmt`: \n, \r, \t, \\ and \NNN (octal). */
static size_t printf_bytes(const char *fmt, char *out, size_t cap)
{
	size_t n = 0;
	for (const char *p = fmt; *p && n < cap; p++) {
		if (*p != '\\' || !p[1]) {
			out[n++] = *p;
			continue;
		}
		p++;
		if (*p >= '0' && *p <= '7') {
			unsigned v = 0;
			for (int d = 0; d < 3 && *p >= '0' && *p <= '7'; d++, p++)
				v = v * 8 + (unsigned)(*p - '0');
			p--;
			out[n++] = (char)v;
		} else {
			out[n++] = *p == 'n' ? '\n' : *p == 'r' ? '\r' : *p == 't' ? '\t' : *p;
		}
	}
	return n;
}

/* Every case of the catalogue: a 2 is refused with exactly its message (after
 * the file name), a 0 is read.  tests/cli/bad_input.sh runs the same cases
 * through bench. */
TEST(trace_bad_input_catalogue_gives_each_exact_message)
{
	FILE *f = fopen("tests/data/bad_traces.tsv", "r");
	REQUIRE(f);
	char line[1024];
	unsigned cases = 0;
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		char *field[4] = { line };
		for (int k = 1; k < 4; k++) {
			char *tab = field[k - 1] ? strchr(field[k - 1], '\t') : NULL;
			if (tab)
				*tab = '\0';
			field[k] = tab ? tab + 1 : NULL;
		}
		if (!field[3]) {
			test_fail(__FILE__, __LINE__, "bad_traces.tsv: not four fields: %s", line);
			continue;
		}
		char bytes[1024], want[1100];
		size_t len = printf_bytes(field[2], bytes, sizeof bytes);
		struct trace t;
		struct trace_error e;
		enum trace_status st = trace_parse("t.trace", bytes, len, &t, &e);
		cases++;
		if (!strcmp(field[0], "0")) {
			if (st != TRACE_OK)
				test_fail(__FILE__, __LINE__, "%s: refused: %s", field[1], e.message);
			else
				trace_free(&t);
			continue;
		}
		snprintf(want, sizeof want, "t.trace%s", field[3]);
		if (strcmp(field[0], "2"))
			test_fail(__FILE__, __LINE__, "%s: exit code %s is not 0 or 2", field[1],
			          field[0]);
		else if (st != TRACE_EINPUT)
			test_fail(__FILE__, __LINE__, "%s: not refused as bad input", field[1]);
		else if (strcmp(e.message, want))
			test_fail(__FILE__, __LINE__, "%s: said \"%s\", not \"%s\"", field[1],
			          e.message, want);
		if (st == TRACE_OK)
			trace_free(&t);
	}
	fclose(f);
	EXPECT(cases >= 60);
}
