/* backends.c: THE workload backend table, the one place that names every
 * backend. The actor backend runs over any mailbox (the workload files
 * beside this one); the shared-state baselines are in baselines/. Tests and
 * benchmarks iterate this table. */
#include <string.h>

#include "workload.h"

extern const wl_backend wl_actor_backend; /* bank.c */
extern const wl_backend wl_mutex_backend;
extern const wl_backend wl_rwlock_backend;
extern const wl_backend wl_spin_backend;
extern const wl_backend wl_atomic_backend;

const wl_backend *const wl_backends[] = {
	&wl_actor_backend,
	&wl_mutex_backend,
	&wl_rwlock_backend,
	&wl_spin_backend,
	&wl_atomic_backend,
	NULL,
};

const wl_backend *wl_find_backend(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; wl_backends[i]; i++)
		if (strcmp(wl_backends[i]->name, name) == 0)
			return wl_backends[i];
	return NULL;
}
