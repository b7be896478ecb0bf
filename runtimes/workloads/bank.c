/* bank.c: the actor bank (one actor per account, its balance private to it)
 * and the actor backend entry of the workload table. Counter and kv live in
 * counter.c and kv.c; this file exports wl_actor_backend for all three. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "actor.h"
#include "check.h"
#include "workload.h"

/* Internal asks are never expected to time out: a generous bound turns a
 * hang into a CHECK failure instead of a stuck test. */

enum {
	BANK_DEPOSIT = 1, /* send: balance += a */
	BANK_WITHDRAW,    /* ask: if balance >= a, balance -= a; reply a = WL_OK / WL_INSUFFICIENT */
	BANK_BALANCE,     /* ask: reply a = balance */
	BANK_TRANSFER,    /* ask to the `from` account: check-and-debit a (b = `to`, for tracing) */
};

/* One account's state. Each is touched by one actor thread only; the
 * alignment keeps neighbouring accounts' threads off each other's line. */
typedef struct account {
	_Alignas(64) int64_t balance;
} account;

struct wl_bank {
	uint32_t n;
	account *acct; /* state of actor i; read here only after join */
	act_ref *ref;
};

static act_result account_handle(void *state, const mbx_msg *msg, act_ctx *ctx)
{
	(void)ctx;
	account *s = state;
	int64_t amount = (int64_t)msg->a;
	switch (msg->tag) {
	case BANK_DEPOSIT:
		CHECK_GE(amount, 0);
		CHECK_LE(s->balance, INT64_MAX - amount);
		s->balance += amount;
		break;
	case BANK_WITHDRAW:
	case BANK_TRANSFER:
		/* Check and debit in one handler run: nothing else touches this
		 * balance in between, which is what makes the debit atomic. */
		CHECK_GE(amount, 0);
		if (s->balance >= amount) {
			s->balance -= amount;
			act_reply(msg, WL_OK, 0);
		} else {
			act_reply(msg, WL_INSUFFICIENT, 0);
		}
		break;
	case BANK_BALANCE:
		act_reply(msg, (uint64_t)s->balance, 0);
		break;
	default:
		CHECK(!"bank-account: unknown message tag");
	}
	CHECK_GE(s->balance, 0); /* the invariant, checked where the state lives */
	return ACT_CONTINUE;
}

static const act_behavior account_behavior = {.name = "bank-account", .handle = account_handle};

static act_options options_of(const wl_config *cfg)
{
	act_options o = {.mailbox = NULL, .capacity = 0, .spin = -1};
	if (cfg)
		o = (act_options){.mailbox = cfg->mailbox, .capacity = cfg->capacity, .spin = cfg->spin, .pool = cfg->pool};
	return o;
}

static uint64_t ask_ok(act_ref to, uint32_t tag, uint64_t a, uint64_t b)
{
	mbx_msg req = {.tag = tag, .a = a, .b = b}, rep;
	int e = act_ask(to, &req, &rep, WL_ASK_NS);
	CHECK_EQ(e, ACT_OK);
	return rep.a;
}

static void bank_destroy(wl_bank *b)
{
	if (!b)
		return;
	for (uint32_t i = 0; i < b->n; i++)
		if (b->ref[i].a)
			act_stop(b->ref[i]);
	for (uint32_t i = 0; i < b->n; i++) {
		if (!b->ref[i].a)
			continue;
		CHECK_EQ(act_join(b->ref[i]), ACT_OK);
		act_release(b->ref[i]);
	}
	free(b->ref);
	free(b->acct);
	free(b);
}

static wl_bank *bank_create(const wl_config *cfg, uint32_t accounts, int64_t initial)
{
	if (initial < 0) {
		errno = EINVAL;
		return NULL;
	}
	wl_bank *b = calloc(1, sizeof *b);
	if (!b)
		return NULL;
	b->ref = calloc(accounts ? accounts : 1, sizeof *b->ref);
	b->acct = aligned_alloc(_Alignof(account), (accounts ? accounts : 1) * sizeof *b->acct);
	if (!b->ref || !b->acct) {
		free(b->ref);
		free(b->acct);
		free(b);
		errno = ENOMEM;
		return NULL;
	}
	act_options o = options_of(cfg);
	for (uint32_t i = 0; i < accounts; i++) {
		b->acct[i].balance = initial; /* published to the actor by pthread_create */
		b->ref[i] = act_spawn(&account_behavior, &b->acct[i], &o);
		if (!b->ref[i].a) {
			int e = errno;
			b->n = i;
			bank_destroy(b);
			errno = e;
			return NULL;
		}
	}
	b->n = accounts;
	return b;
}

static int bank_deposit(wl_bank *b, uint32_t acct, int64_t amount)
{
	CHECK_LT(acct, b->n);
	if (amount < 0)
		return WL_ERROR;
	mbx_msg m = {.tag = BANK_DEPOSIT, .a = (uint64_t)amount};
	CHECK_EQ(act_send(b->ref[acct], &m), ACT_OK);
	return WL_OK;
}

static int bank_withdraw(wl_bank *b, uint32_t acct, int64_t amount)
{
	CHECK_LT(acct, b->n);
	if (amount < 0)
		return WL_ERROR;
	return (int)ask_ok(b->ref[acct], BANK_WITHDRAW, (uint64_t)amount, 0);
}

static int64_t bank_balance(wl_bank *b, uint32_t acct)
{
	CHECK_LT(acct, b->n);
	return (int64_t)ask_ok(b->ref[acct], BANK_BALANCE, 0, 0);
}

/* Transfer = an ask to `from` that checks and debits in its handler, then,
 * on OK, a fire-and-forget deposit to `to` sent by THIS client.
 *
 * Why the client forwards the credit and `from` does not send it itself:
 * with bounded mailboxes an actor-to-actor send blocks while the target is
 * full. If A's handler blocks sending to a full B while B's handler blocks
 * sending to a full A, neither drains its mailbox again: a deadlock that
 * concurrent transfers A->B and B->A reach under load (capacity 4 gets there
 * in milliseconds). Clients are not consumers of any mailbox, so a client
 * blocked on a full mailbox always waits on an actor that keeps draining.
 *
 * What a client sees: the debit is atomic (no overdraft, INSUFFICIENT changes
 * nothing on either side), and this client's later ops on `to` see the credit
 * (per-producer FIFO). Another thread may briefly see the money in flight
 * (debited, not yet credited); total() is therefore exact only at quiescence,
 * as workload.h states. */
static int bank_transfer(wl_bank *b, uint32_t from, uint32_t to, int64_t amount)
{
	CHECK_LT(from, b->n);
	CHECK_LT(to, b->n);
	if (amount < 0)
		return WL_ERROR;
	int r = (int)ask_ok(b->ref[from], BANK_TRANSFER, (uint64_t)amount, to);
	if (r == WL_OK) {
		mbx_msg m = {.tag = BANK_DEPOSIT, .a = (uint64_t)amount};
		CHECK_EQ(act_send(b->ref[to], &m), ACT_OK);
	} else {
		CHECK_EQ(r, WL_INSUFFICIENT);
	}
	return r;
}

/* Sum of balance asks. At quiescence every deposit any client sent has
 * returned from its push before our ask is pushed, and the mailboxes are
 * linearizable queues, so each account handles those deposits before it
 * answers; no money is in flight. */
static int64_t bank_total(wl_bank *b)
{
	int64_t t = 0;
	for (uint32_t i = 0; i < b->n; i++)
		t += bank_balance(b, i);
	return t;
}

static const bank_ops actor_bank_ops = {
	.create = bank_create,
	.destroy = bank_destroy,
	.deposit = bank_deposit,
	.withdraw = bank_withdraw,
	.balance = bank_balance,
	.transfer = bank_transfer,
	.total = bank_total,
};

extern const counter_ops wl_actor_counter_ops; /* counter.c */
extern const kv_ops wl_actor_kv_ops;           /* kv.c */

const wl_backend wl_actor_backend = {
	.name = "actor",
	.summary = "one actor per account / counter / table, over any mailbox of the table",
	.is_actor = true,
	.bank = &actor_bank_ops,
	.counter = &wl_actor_counter_ops,
	.kv = &wl_actor_kv_ops,
};
