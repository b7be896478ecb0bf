/* savina/chameneos.c: savina_chameneos/<mbx>/mode:<m>/actors:<C>/meetings:<M>: C chameneos
 * (colours 0..2) ask one mall actor for meetings. The mall keeps one
 * waiting chameneo; the next request pairs them (one meeting, M per run):
 * the waiting one gets the other's colour, takes the complement (same
 * colour: unchanged; else the third) and sends it back with its old colour,
 * and the other checks the complement rule against its own colour. Both
 * ask again. After M meetings the mall answers every request with exit;
 * each chameneo reports its meetings, and the mall checks their sum == 2M.
 * Items: meetings. */
#include "savina.h"

enum { CH_START = 1, CH_MEET, CH_PAIR, CH_CHANGE, CH_EXIT, CH_COUNT };
#define CH_NONE UINT32_MAX
typedef struct ch_state {
	_Alignas(MBX_CACHELINE) struct ch_ctx *x;
	uint32_t idx, colour;
	uint64_t meetings;
} ch_state;
typedef struct ch_mall {
	_Alignas(MBX_CACHELINE) struct ch_ctx *x;
	uint64_t left, meetings, sum;
	uint32_t waiting, faded;
} ch_mall;
typedef struct ch_ctx {
	sv_base b; /* ref[0] the mall, ref[1 + i] chameneo i */
	ch_mall mall;
	ch_state *st;
} ch_ctx;

static uint32_t ch_complement(uint32_t a, uint32_t b) { return a == b ? a : 3 - a - b; }

static act_result ch_mall_handle(void *st, const mbx_msg *m, act_ctx *ctx)
{
	(void)ctx;
	ch_mall *s = st;
	ch_ctx *x = s->x;
	uint32_t n = x->b.nref - 1;
	switch (m->tag) {
	case CH_START:
		*s = (ch_mall){.x = x, .left = m->a, .waiting = CH_NONE};
		for (uint32_t i = 0; i < n; i++)
			if (!sv_send(&x->b, x->b.ref[1 + i], &(mbx_msg){.tag = CH_START}, "start chameneo"))
				break;
		break;
	case CH_MEET:
		if (m->sender >= n || m->a > 2 || m->sender == s->waiting) {
			sv_fail(&x->b, "mall: request from %u (colour %" PRIu64 "), waiting %u", (unsigned)m->sender, m->a,
			        (unsigned)s->waiting);
		} else if (s->left == 0) {
			sv_send(&x->b, x->b.ref[1 + m->sender], &(mbx_msg){.tag = CH_EXIT}, "exit");
		} else if (s->waiting == CH_NONE) {
			s->waiting = m->sender;
		} else {
			s->left--;
			s->meetings++;
			mbx_msg pair = {.tag = CH_PAIR, .sender = m->sender, .a = m->a};
			uint32_t w = s->waiting;
			s->waiting = CH_NONE;
			sv_send(&x->b, x->b.ref[1 + w], &pair, "pair");
		}
		break;
	case CH_COUNT:
		s->sum += m->a;
		if (++s->faded < n)
			break;
		if (s->sum != 2 * s->meetings || s->waiting != CH_NONE || s->left != 0)
			sv_fail(&x->b, "mall: chameneos report %" PRIu64 " meetings, expected 2 x %" PRIu64
			               " (%" PRIu64 " left, waiting %u)",
			        s->sum, s->meetings, s->left, (unsigned)s->waiting);
		else
			bn_latch_count_down(&x->b.done);
		break;
	default:
		sv_bad_tag(&x->b, "mall", m);
	}
	return ACT_CONTINUE;
}

static act_result ch_handle(void *st, const mbx_msg *m, act_ctx *ctx)
{
	(void)ctx;
	ch_state *s = st;
	ch_ctx *x = s->x;
	switch (m->tag) {
	case CH_START:
		s->meetings = 0;
		break;
	case CH_PAIR: { /* we waited; m->sender arrived with colour m->a */
		uint32_t old = s->colour;
		s->colour = ch_complement(old, (uint32_t)m->a);
		s->meetings++;
		mbx_msg change = {.tag = CH_CHANGE, .sender = s->idx, .a = s->colour, .b = old};
		if (m->sender == s->idx || !sv_send(&x->b, x->b.ref[1 + m->sender], &change, "change")) {
			if (!bn_failed(x->b.r))
				sv_fail(&x->b, "chameneo %u paired with itself", (unsigned)s->idx);
			return ACT_CONTINUE;
		}
		break;
	}
	case CH_CHANGE: { /* the partner's new colour (a) from its old one (b) */
		uint32_t want = ch_complement(s->colour, (uint32_t)m->b);
		if (m->a != want || m->b > 2) {
			sv_fail(&x->b, "chameneo %u (colour %u) met %u's colour %" PRIu64 " and was given %" PRIu64
			               ", the complement is %u",
			        (unsigned)s->idx, (unsigned)s->colour, (unsigned)m->sender, m->b, m->a, (unsigned)want);
			return ACT_CONTINUE;
		}
		s->colour = want;
		s->meetings++;
		break;
	}
	case CH_EXIT: {
		mbx_msg count = {.tag = CH_COUNT, .sender = s->idx, .a = s->meetings};
		s->meetings = 0;
		sv_send(&x->b, x->b.ref[0], &count, "count");
		return ACT_CONTINUE;
	}
	default:
		sv_bad_tag(&x->b, "chameneo", m);
		return ACT_CONTINUE;
	}
	mbx_msg meet = {.tag = CH_MEET, .sender = s->idx, .a = s->colour};
	sv_send(&x->b, x->b.ref[0], &meet, "meet");
	return ACT_CONTINUE;
}

static const act_behavior ch_mall_b = {.name = "savina-mall", .handle = ch_mall_handle};
static const act_behavior ch_b = {.name = "savina-chameneo", .handle = ch_handle};

static void ch_setup(bn_run *r)
{
	ch_ctx *x = r->ctx;
	uint32_t n = r->c->savina.actors;
	r->items = r->n * (int64_t)r->c->savina.size;
	r->ns_per = "meeting";
	x->mall.x = x;
	if (!sv_init(&x->b, r, n + 1) || !(x->st = sv_states(r, n, sizeof *x->st)) ||
	    !sv_spawn(&x->b, &ch_mall_b, &x->mall, 0))
		return;
	for (uint32_t i = 0; i < n; i++) {
		x->st[i] = (ch_state){.x = x, .idx = i, .colour = i % 3};
		if (!sv_spawn(&x->b, &ch_b, &x->st[i], 0))
			return;
	}
}

static void ch_body(bn_run *r)
{
	ch_ctx *x = r->ctx;
	mbx_msg start = {.tag = CH_START, .a = r->c->savina.size};
	for (int64_t i = 0; i < r->n && sv_run(&x->b, x->b.ref[0], &start, 1); i++) {
		if (x->mall.meetings != r->c->savina.size) {
			bn_fail(r, "the mall arranged %" PRIu64 " meetings, expected %u", x->mall.meetings,
			        (unsigned)r->c->savina.size);
			return;
		}
		x->b.iters++;
	}
}

static void ch_finish(bn_run *r)
{
	ch_ctx *x = r->ctx;
	sv_stop_join(&x->b);
	sv_free(&x->b);
	free(x->st);
}

const bn_scenario bn_sc_sav_chameneos = {
	.name = "savina_chameneos",
	.ctx_size = sizeof(ch_ctx),
	.setup = ch_setup,
	.body = ch_body,
	.finish = ch_finish,
	.cancel = sv_cancel,
};
