/* test_fileio.c - the atomic output file (harness/core/fileio.h). */
#include "test.h"
#include "harness/core/fileio.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *temp_dir(void)
{
	static char dir[64];
	snprintf(dir, sizeof dir, "/tmp/heaplab-test-XXXXXX");
	return mkdtemp(dir);
}

/* Entries in dir, dot files (temporary files) included. */
static int entries(const char *dir)
{
	int n = 0;
	DIR *d = opendir(dir);
	for (struct dirent *e; d && (e = readdir(d));)
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	if (d)
		closedir(d);
	return n;
}

static int file_is(const char *path, const char *text)
{
	char buf[256];
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	return strcmp(buf, text) == 0;
}

TEST(write_file_creates_the_file_with_ordinary_permissions)
{
	char *dir = temp_dir(), path[256], err[512];
	REQUIRE(dir);
	snprintf(path, sizeof path, "%s/r.json", dir);
	mode_t old = umask(022);
	EXPECT(write_file_atomic(path, "{}\n", 3, err, sizeof err) == 0);
	umask(old);
	struct stat st;
	REQUIRE(stat(path, &st) == 0);
	EXPECT_EQ(st.st_size, 3);
	EXPECT_EQ(st.st_mode & 0777, 0644);
	EXPECT_EQ(entries(dir), 1);   /* no temporary file left beside it */
	unlink(path);
	rmdir(dir);
}

TEST(write_file_in_missing_directory_fails_naming_the_path)
{
	char *dir = temp_dir(), path[256], err[512];
	REQUIRE(dir);
	snprintf(path, sizeof path, "%s/missing/r.json", dir);
	EXPECT(write_file_atomic(path, "{}\n", 3, err, sizeof err) == -1);
	EXPECT_STR_CONTAINS(err, path);
	EXPECT_STR_CONTAINS(err, "No such file or directory");
	EXPECT_EQ(entries(dir), 0);
	rmdir(dir);
}

TEST(write_file_to_dev_full_reports_no_space)
{
	char err[512];
	if (access("/dev/full", W_OK) != 0)
		return;
	EXPECT(write_file_atomic("/dev/full", "{}\n", 3, err, sizeof err) == -1);
	EXPECT_STR_CONTAINS(err, "/dev/full: No space left on device");
}

TEST(write_file_onto_a_directory_fails)
{
	char *dir = temp_dir(), err[512];
	REQUIRE(dir);
	EXPECT(write_file_atomic(dir, "{}\n", 3, err, sizeof err) == -1);
	EXPECT_STR_CONTAINS(err, "is a directory");
	rmdir(dir);
}

TEST(atomic_file_abort_keeps_the_old_file_and_leaves_no_temporary)
{
	char *dir = temp_dir(), path[256], err[512];
	REQUIRE(dir);
	snprintf(path, sizeof path, "%s/t.trace", dir);
	REQUIRE(write_file_atomic(path, "old\n", 4, err, sizeof err) == 0);
	struct atomic_file f;
	REQUIRE(atomic_open(&f, path, err, sizeof err) == 0);
	FILE *s = atomic_stream(&f);
	REQUIRE(s);
	fputs("half a new fi", s);
	EXPECT_EQ(entries(dir), 2);   /* the temporary file beside the old one */
	atomic_abort(&f);
	EXPECT(file_is(path, "old\n"));
	EXPECT_EQ(entries(dir), 1);
	unlink(path);
	rmdir(dir);
}

TEST(atomic_file_commit_through_the_stream_replaces_the_file)
{
	char *dir = temp_dir(), path[256], err[512];
	REQUIRE(dir);
	snprintf(path, sizeof path, "%s/t.trace", dir);
	REQUIRE(write_file_atomic(path, "old\n", 4, err, sizeof err) == 0);
	struct atomic_file f;
	REQUIRE(atomic_open(&f, path, err, sizeof err) == 0);
	FILE *s = atomic_stream(&f);
	REQUIRE(s);
	fputs("new\n", s);
	EXPECT(file_is(path, "old\n"));   /* nothing visible before the commit */
	EXPECT(atomic_commit(&f, err, sizeof err) == 0);
	EXPECT(file_is(path, "new\n"));
	EXPECT_EQ(entries(dir), 1);
	unlink(path);
	rmdir(dir);
}

TEST(atomic_file_follows_a_dangling_symlink_and_keeps_it)
{
	char *dir = temp_dir(), path[256], link[256], err[512];
	REQUIRE(dir);
	snprintf(path, sizeof path, "%s/target.json", dir);
	snprintf(link, sizeof link, "%s/link.json", dir);
	REQUIRE(symlink("target.json", link) == 0);
	EXPECT(write_file_atomic(link, "{}\n", 3, err, sizeof err) == 0);
	struct stat st;
	EXPECT(lstat(link, &st) == 0 && S_ISLNK(st.st_mode));
	EXPECT(file_is(path, "{}\n"));
	unlink(link);
	unlink(path);
	rmdir(dir);
}

TEST(atomic_file_writes_through_a_device_instead_of_replacing_it)
{
	char err[512];
	struct atomic_file f;
	REQUIRE(atomic_open(&f, "/dev/null", err, sizeof err) == 0);
	EXPECT(f.in_place);
	EXPECT(write_all(f.fd, "x", 1) == 0);
	EXPECT(atomic_commit(&f, err, sizeof err) == 0);
	struct stat st;
	EXPECT(stat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode));
}

TEST(atomic_file_refuses_an_empty_name)
{
	char err[512];
	struct atomic_file f;
	EXPECT(atomic_open(&f, "", err, sizeof err) == -1);
	EXPECT_STR_CONTAINS(err, "empty file name");
}
