/*
 * guard.h - crash containment for the replay passes.
 *
 * An allocator that dereferences garbage (or touches memory past its break,
 * which the provider keeps PROT_NONE) would kill bench with no verdict.
 * While a pass runs the allocator's code, a fatal signal jumps back to the
 * thread that took it, which reports the crash as a failed check naming the
 * op; the heap is discarded anyway.  The handlers are the process's
 * (guard_arm), the landing place is each thread's own (guard_call), so the
 * serial pass and every thread of a threaded pass use the same guard.  A
 * thread runs the handler on a stack of its own (guard_stack_push), so that a
 * runaway recursion is caught too.
 *
 * In a child process that must die of the signal (--let-crash, isolate.h) no
 * jump is installed; when the child publishes its progress, the thread that
 * took the signal first writes the op it was doing (guard_op) into the
 * progress page, so its parent can name the op.
 */
#ifndef HEAPLAB_GUARD_H
#define HEAPLAB_GUARD_H

#include <setjmp.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#define GUARD_NSIGNALS 5   /* SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT */

/* Where one thread's crash lands, and what it was. */
struct guard_jump {
	sigjmp_buf            env;
	volatile sig_atomic_t sig;   /* the signal taken */
	void *volatile        addr;  /* its si_addr      */
};

/* The process's handlers while a pass runs. */
struct guard {
	struct sigaction old[GUARD_NSIGNALS];  /* handlers to restore             */
	int              armed;                /* jumping handlers installed      */
	int              naming;               /* let_crash: naming ones installed */
};

/* A thread's own signal stack. */
struct guard_stack {
	void   *mem;   /* from bulk memory; NULL: none      */
	stack_t old;   /* the thread's stack before it      */
};

/* The op this thread is doing in a checked pass (UINT64_MAX elsewhere): the
 * progress page names it when the thread dies of a signal (let_crash). */
extern __thread uint64_t guard_op;

/*
 * Install the handlers.  let_crash: none that jump; `name` then installs
 * one that writes guard_op into the progress page and dies of the signal.
 */
void guard_arm(struct guard *g, int let_crash, int name);
void guard_disarm(struct guard *g);

/* A signal stack for the calling thread: 0, or ENOMEM.  Pop restores the old. */
int  guard_stack_push(struct guard_stack *s);
void guard_stack_pop(struct guard_stack *s);

/*
 * Run fn(arg) in this thread with crashes landing in *j: 0 when it
 * returned, 1 when it crashed (j->sig, j->addr say how).  Without armed
 * handlers a crash is fatal, as without the guard.
 */
int guard_call(struct guard_jump *j, void (*fn)(void *), void *arg);

/* "SIGSEGV (Segmentation fault) at 0x..." for the crash in *j. */
void guard_text(const struct guard_jump *j, char *buf, size_t len);

#endif
