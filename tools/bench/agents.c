// SPDX-License-Identifier: MIT
/*
 * Agent processes and their context switches. The driver counts a timed
 * phase in shared memory; an agent notices a new phase at its next
 * message (agent_tick) and stores getrusage()'s voluntary switch count
 * in its slot, so each process measures itself around the timed phase
 * only. The driver sends one marker fan-out after opening and one after
 * closing the phase, so every agent sees both; an agent's window then
 * holds the K timed fan-outs and its wait for the closing marker, and
 * the driver divides by K + 1.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

struct agent_slot {
	long begin;
	long end;
	int seen;	/* phase of the last snapshot */
	int ready;
};

struct agent_shm {
	volatile int phase;	/* odd: timed phase open, even: closed */
	struct agent_slot slot[BENCH_MAX_AGENTS];
};

static struct agent_shm *shm;

void agents_init(void)
{
	shm = mmap(NULL, sizeof(*shm), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shm == MAP_FAILED) {
		perror("fanout-bench: mmap");
		exit(1);
	}
}

static pid_t *agents_spawn(int n, void (*fn)(int idx, void *arg), void *arg)
{
	pid_t *pids = calloc(n, sizeof(*pids));
	pid_t parent = getpid();

	if (!pids)
		return NULL;
	memset(shm->slot, 0, sizeof(shm->slot));
	shm->phase = 0;
	fflush(NULL);
	for (int i = 0; i < n; i++) {
		pids[i] = fork();
		if (pids[i] < 0) {
			int err = -errno;

			agents_reap(pids, i);
			errno = -err;
			return NULL;
		}
		if (pids[i] == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() != parent)
				_exit(1);
			signal(SIGALRM, SIG_DFL);
			fn(i, arg);
			_exit(0);
		}
	}
	return pids;
}

/* Agents hold no state worth a clean exit: the phase data is in @shm. */
void agents_reap(pid_t *pids, int n)
{
	for (int i = 0; i < n; i++)
		if (pids[i] > 0)
			kill(pids[i], SIGKILL);
	for (int i = 0; i < n; i++)
		if (pids[i] > 0)
			while (waitpid(pids[i], NULL, 0) < 0 && errno == EINTR)
				;
	free(pids);
}

void agent_ready(int idx)
{
	__atomic_store_n(&shm->slot[idx].ready, 1, __ATOMIC_RELEASE);
}

/* 0 once slots 0..n-1 are ready, -ETIMEDOUT after 60 s. */
static int agents_wait_ready(int n)
{
	double limit = now_us() + 60e6;

	for (int i = 0; i < n; i++)
		while (!__atomic_load_n(&shm->slot[i].ready, __ATOMIC_ACQUIRE)) {
			if (now_us() > limit)
				return -ETIMEDOUT;
			usleep(1000);
		}
	return 0;
}

void agent_tick(int idx)
{
	struct agent_slot *s = &shm->slot[idx];
	int phase = __atomic_load_n(&shm->phase, __ATOMIC_ACQUIRE);
	struct rusage ru;

	if (s->seen == phase)
		return;
	getrusage(RUSAGE_SELF, &ru);
	if (phase & 1)
		s->begin = ru.ru_nvcsw;
	else
		s->end = ru.ru_nvcsw;
	s->seen = phase;
}

/* Phases count up: odd while a timed phase is open, even when closed. */
void agents_phase_begin(void)
{
	__atomic_store_n(&shm->phase, (shm->phase | 1) + 2 * (shm->phase & 1),
			 __ATOMIC_RELEASE);
}

void agents_phase_end(void)
{
	__atomic_store_n(&shm->phase, shm->phase + 1, __ATOMIC_RELEASE);
}

/* After the closing marker: the sum of what every agent measured. */
long agents_phase_switches(void)
{
	long sum = 0;

	for (int i = 0; i < BENCH_MAX_AGENTS; i++)
		if (shm->slot[i].seen == shm->phase)
			sum += shm->slot[i].end - shm->slot[i].begin;
	return sum;
}

int agents_start(pid_t **pids, int n, void (*fn)(int idx, void *arg), void *arg)
{
	*pids = agents_spawn(n, fn, arg);
	return *pids ? agents_wait_ready(n) : -errno;
}
