/*
 * slots.h - honest timing when several cells run at once on one machine
 * (`bench --slots DIR`, the units of `bench plan`; docs/distributed.md).
 *
 * A unit claims the lowest free slot N of its machine: a write lock on byte N
 * of DIR/<hostname>.slots (fcntl, so the kernel drops it when the process
 * dies, however it dies).  It pins itself, and so the cell's children, to the
 * (N mod k)-th of the k CPUs it may run on, so concurrent cells do not share
 * a core while there are cores enough.  The number of slots held on the
 * machine (its own included) is sampled when the slot is claimed, about once
 * a second while the cell runs, and when it ends; the result records the
 * largest as "concurrency": {"cells_running", "pinned_cpu"}.
 *
 * The lock file is per host, so one DIR on a shared file system counts each
 * machine's units apart.  Only units that use the same DIR see each other.
 */
#ifndef HEAPLAB_SLOTS_H
#define HEAPLAB_SLOTS_H

#include <jansson.h>

#define SLOTS_MAX 4096   /* most slots (units at once on one machine) */

struct slot {
	int      fd;            /* the lock file, holding our byte; -1: none      */
	unsigned index;         /* the slot claimed                              */
	int      pinned_cpu;    /* the CPU pinned to; -1 when pinning failed      */
	unsigned most_running;  /* the most slots held at any sample, ours too   */
};

/*
 * Claim a slot under `dir` (created if missing) and, with `pin`, pin to its
 * CPU (a cell replaying on several threads is not pinned: one core would
 * serialise them).  Returns 0, or -1 with a message in err.
 */
int slot_claim(const char *dir, int pin, struct slot *s, char *err, size_t errlen);

/* Count the slots held now (ours included) and keep the largest count seen. */
void slot_sample(struct slot *s);

/* {"cells_running": k, "pinned_cpu": n or null}, or NULL without memory. */
json_t *slot_json(const struct slot *s);

/* Give the slot up (closing the file drops the lock). */
void slot_release(struct slot *s);

#endif
