/*
 * guard.c - crash containment (see guard.h).
 */
#define _GNU_SOURCE
#include "guard.h"

#include "../core/bulk.h"
#include "cell.h"   /* the progress page */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define GUARD_STACK ((size_t)64 << 10)

static const int guard_signals[GUARD_NSIGNALS] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT };

__thread uint64_t guard_op = REPLAY_OP_NONE;

static __thread struct guard_jump *volatile landing;  /* this thread's, in guard_call */

static void jump_back(int sig, siginfo_t *si, void *ctx)
{
	(void)ctx;
	struct guard_jump *j = landing;
	if (!j) {   /* not inside a guarded call: die of it, as without us */
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	j->sig = sig;
	j->addr = si ? si->si_addr : NULL;
	siglongjmp(j->env, 1);
}

/* In a child that must die of the signal: name the op, then die of it as
 * without us (the default action, delivered when the handler returns). */
static void name_and_die(int sig)
{
	if (replay_progress && guard_op != REPLAY_OP_NONE) {
		replay_progress->op = guard_op;
		replay_progress->op_exact = 1;
	}
	signal(sig, SIG_DFL);
	raise(sig);   /* blocked until we return; a fault re-executes and dies too */
}

void guard_arm(struct guard *g, int let_crash, int name)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	g->armed = !let_crash;
	g->naming = let_crash && name;
	if (g->naming) {
		sa.sa_handler = name_and_die;
		for (size_t k = 0; k < GUARD_NSIGNALS; k++)
			sigaction(guard_signals[k], &sa, &g->old[k]);
	}
	if (!g->armed)
		return;
	sa.sa_sigaction = jump_back;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	for (size_t k = 0; k < GUARD_NSIGNALS; k++)
		sigaction(guard_signals[k], &sa, &g->old[k]);
}

void guard_disarm(struct guard *g)
{
	if (!g->armed && !g->naming)
		return;
	for (size_t k = 0; k < GUARD_NSIGNALS; k++)
		sigaction(guard_signals[k], &g->old[k], NULL);
	g->armed = g->naming = 0;
}

int guard_stack_push(struct guard_stack *s)
{
	s->mem = bulk_alloc(GUARD_STACK);
	if (!s->mem)
		return ENOMEM;
	stack_t st = { .ss_sp = s->mem, .ss_size = GUARD_STACK, .ss_flags = 0 };
	sigaltstack(&st, &s->old);
	return 0;
}

void guard_stack_pop(struct guard_stack *s)
{
	if (!s->mem)
		return;
	sigaltstack(&s->old, NULL);
	bulk_free(s->mem, GUARD_STACK);
	s->mem = NULL;
}

int guard_call(struct guard_jump *j, void (*fn)(void *), void *arg)
{
	if (sigsetjmp(j->env, 1)) {
		landing = NULL;
		return 1;
	}
	landing = j;
	fn(arg);
	landing = NULL;
	return 0;
}

void guard_text(const struct guard_jump *j, char *buf, size_t len)
{
	int sig = j->sig;
	const char *abbrev = sigabbrev_np(sig);
	if (sig == SIGSEGV || sig == SIGBUS)
		snprintf(buf, len, "SIG%s (%s) at %#lx", abbrev ? abbrev : "?", strsignal(sig),
		         (unsigned long)(uintptr_t)j->addr);
	else
		snprintf(buf, len, "SIG%s (%s)", abbrev ? abbrev : "?", strsignal(sig));
}
