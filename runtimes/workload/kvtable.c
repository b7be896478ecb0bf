/* kvtable.c: the kv table of the kv backends (baselines, actor): ck_ht (direct mode:
 * the 64-bit key and value are stored in the slot itself, no key copies)
 * plus two side slots for the keys ck_ht reserves. See kvtable.h. */
#include <stdlib.h>

#include "check.h"
#include "workload.h"
#include "kvtable.h"

_Static_assert(sizeof(uintptr_t) == sizeof(uint64_t), "ck_ht direct mode stores keys as uintptr_t");
_Static_assert(CK_HT_KEY_EMPTY == 0 && CK_HT_KEY_TOMBSTONE == UINTPTR_MAX, "special keys");

enum { KVT_INITIAL = 64 };
#define KVT_SEED 0x6d61696c726f6f6dull /* fixed: runs are reproducible; nobody floods a benchmark */

static void *kvt_malloc(size_t n) { return malloc(n); }

static void *kvt_realloc(void *p, size_t old, size_t n, bool defer)
{
	(void)old;
	(void)defer;
	return realloc(p, n);
}

/* `defer` asks to delay the free of a replaced map until concurrent lock-free
 * readers are done with it. Every reader of a wl_i_kvtable holds the table's
 * lock (or is the one thread that owns the table: the kv and wordcount
 * actors), and a map is replaced only inside set (exclusive), so there are
 * none: free now. */
static void kvt_free(void *p, size_t n, bool defer)
{
	(void)n;
	(void)defer;
	free(p);
}

struct ck_malloc wl_i_ck_allocator = {.malloc = kvt_malloc, .realloc = kvt_realloc, .free = kvt_free};

static int special_index(uint64_t key)
{
	if (key == CK_HT_KEY_EMPTY)
		return 0;
	if (key == CK_HT_KEY_TOMBSTONE)
		return 1;
	return -1;
}

bool wl_i_kvt_init_mode(wl_i_kvtable *t, unsigned workload)
{
	t->has_special[0] = t->has_special[1] = false;
	t->special[0] = t->special[1] = 0;
	return ck_ht_init(&t->ht, CK_HT_MODE_DIRECT | workload, NULL, &wl_i_ck_allocator, KVT_INITIAL, KVT_SEED);
}

bool wl_i_kvt_init(wl_i_kvtable *t) { return wl_i_kvt_init_mode(t, 0); }

void wl_i_kvt_fini(wl_i_kvtable *t) { ck_ht_destroy(&t->ht); }

void wl_i_kvt_set(wl_i_kvtable *t, uint64_t key, uint64_t value)
{
	int s = special_index(key);
	if (s >= 0) {
		t->has_special[s] = true;
		t->special[s] = value;
		return;
	}
	ck_ht_hash_t h;
	ck_ht_entry_t e;
	ck_ht_hash_direct(&h, &t->ht, (uintptr_t)key);
	ck_ht_entry_set_direct(&e, h, (uintptr_t)key, (uintptr_t)value);
	CHECK(ck_ht_set_spmc(&t->ht, h, &e)); /* false only when growing the map failed */
}

int wl_i_kvt_get(wl_i_kvtable *t, uint64_t key, uint64_t *value)
{
	int s = special_index(key);
	if (s >= 0) {
		if (!t->has_special[s])
			return WL_NOTFOUND;
		*value = t->special[s];
		return WL_OK;
	}
	ck_ht_hash_t h;
	ck_ht_entry_t e;
	ck_ht_hash_direct(&h, &t->ht, (uintptr_t)key);
	ck_ht_entry_key_set_direct(&e, (uintptr_t)key);
	if (!ck_ht_get_spmc(&t->ht, h, &e))
		return WL_NOTFOUND;
	*value = ck_ht_entry_value_direct(&e);
	return WL_OK;
}

int wl_i_kvt_del(wl_i_kvtable *t, uint64_t key)
{
	int s = special_index(key);
	if (s >= 0) {
		if (!t->has_special[s])
			return WL_NOTFOUND;
		t->has_special[s] = false;
		return WL_OK;
	}
	ck_ht_hash_t h;
	ck_ht_entry_t e;
	ck_ht_hash_direct(&h, &t->ht, (uintptr_t)key);
	ck_ht_entry_key_set_direct(&e, (uintptr_t)key);
	return ck_ht_remove_spmc(&t->ht, h, &e) ? WL_OK : WL_NOTFOUND;
}

size_t wl_i_kvt_snapshot(wl_i_kvtable *t, wl_i_kvpair **out)
{
	size_t cap = (size_t)ck_ht_count(&t->ht) + t->has_special[0] + t->has_special[1];
	*out = NULL;
	if (cap == 0)
		return 0;
	wl_i_kvpair *p = malloc(cap * sizeof *p);
	CHECK(p != NULL);
	size_t n = 0;
	for (int s = 0; s < 2; s++)
		if (t->has_special[s])
			p[n++] = (wl_i_kvpair){s == 0 ? CK_HT_KEY_EMPTY : CK_HT_KEY_TOMBSTONE, t->special[s]};
	ck_ht_iterator_t it = CK_HT_ITERATOR_INITIALIZER;
	ck_ht_entry_t *e;
	while (ck_ht_next(&t->ht, &it, &e)) {
		CHECK_LT(n, cap);
		p[n++] = (wl_i_kvpair){ck_ht_entry_key_direct(e), ck_ht_entry_value_direct(e)};
	}
	CHECK_EQU(n, cap);
	*out = p;
	return n;
}
