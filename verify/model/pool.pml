/* pool.pml: Spin model of the pooled actor scheduler (runtimes/actor/pool.c,
 * pool.h's task states, actor.c's mailbox push/turn): NW workers run NTASK
 * tasks (actors); NPROD threads outside the pool send NMSG messages each, and
 * a handler may send a message itself (NSEND in all), which is the on-worker
 * path: the woken task goes to the worker's `next` slot, without a notify.
 *
 * What is modelled, step for step as the C code does it:
 *   mailbox   msgs[t]: push = one step that reports was_empty; a turn pops
 *             up to BATCH messages (each pop a step): popped nothing ->
 *             POOL_TURN_EMPTY; BATCH popped -> POOL_TURN_MORE.
 *   states    IDLE/QUEUED/RUNNING/NOTIFIED/DEAD with pool_i_wake's CAS loop
 *             (IDLE -> QUEUED and enqueue; RUNNING -> NOTIFIED; QUEUED and
 *             NOTIFIED: nothing; DEAD: the pusher drains it, drain_late) and
 *             run_task's transitions (store RUNNING; EMPTY: CAS RUNNING ->
 *             IDLE, a failure (NOTIFIED) goes on; work left and nobody else
 *             waiting: store RUNNING, another turn; else store QUEUED and
 *             push_local; DONE (-DDIE: task 1 stops at its first message):
 *             the turn closes the mailbox and drains it (dead letters),
 *             then run_task stores DEAD).
 *   queues    per worker a bounded local queue (chan lq[w], LQ slots; full:
 *             inject); the injection queue (inj_len raised, then linked;
 *             inj_lock: inj_len > 0, then the inj_busy exchange; inject_pop
 *             takes the first task and one more (INJECT_BATCH = 1 here) into
 *             the local queue, inj_unlock lowers inj_len, frees the token
 *             and notifies if tasks remain, notifies for the extra one);
 *             the next slot (enqueue on a worker: exchange; the old occupant
 *             goes to push_local; next_take: exchange with empty; a next
 *             task is run, or, when the local queue has work, put back
 *             through push_local: the NEXT_STREAK cap as a free choice);
 *             stealing (the other's local queue, then its next slot: read
 *             slot and turn count, re-read the turn count (the NEXT_GRACE
 *             wait), CAS the slot empty).
 *   find_work next slot, local queue, injection queue, steal (tick %
 *             INJECT_EVERY's early injection look as a free choice with
 *             -DINJECT_FIRST).
 *   st        (searching bits 0-15, sleeping 16-31, epoch 32-63) as the
 *             fields s_search, s_sleep, s_epoch; each RMW and each load (a
 *             snapshot of all three) is one step (all are seq_cst). Labels
 *             as in pool.c (check_lines.py --tags-only checks each labels
 *             one line there):
 *   notify    N1 old = fetch_add(st, EPOCH1); N2 return if searching(old) > 0
 *             or sleeping(old) == 0; N3 CAS loop (again only if nobody
 *             searches): sleeping - 1, searching + 1; N4 tokens++, futex_wake 1
 *   worker    find_work; none: B1 searching++ (once); W1 e0 = epoch; W2
 *             find_work again; none: W3 fetch_add(st, SLEEP1 - SEARCH1); W4
 *             epoch moved since W1: wake_one (any sleeper, maybe itself);
 *             W5 take a token (CAS) or futex_wait(&tokens, 0); then
 *             searching again. Found work while searching: L1 fetch_sub(st,
 *             SEARCH1); L2 the last searcher looks at the queues (inj_len,
 *             each local queue, one load each) and wakes one (N3's test).
 * Abstracted away: memory orders (SC interleavings; park_tso.pml covers
 * store buffers for park.h), the spin rounds before W1 (each is a find_work,
 * as W2 is), the Vyukov list's push-in-flight NULL (a link is one step after
 * inj_len++), helping (pool_i_help, pool_i_waiting), stop/shutdown (workers
 * park for ever at the end: an end state), statistics.
 * Properties:
 *   (1) `live` (LTL, pan -a -f: weak fairness): eventually every message
 *       pushed has been handled or dead-lettered, the producers are done and
 *       no handler is mid-message. A lost wake-up (every worker asleep while
 *       a task waits), a message left in an IDLE task's mailbox or a task
 *       stranded in a queue is an acceptance cycle (a stop is a stutter).
 *   (2) a task is run by one worker at a time (ghost runs[t], asserted when
 *       a worker starts it), only a QUEUED task is dequeued (asserted at
 *       every dequeue), a task is in one queue at most (asserted at push).
 *   (3) a producer's wake (N3 success) only while no worker searches
 *       (ghost gsearch); a futex_wake releases at most one waiter.
 *   (4) counts (monitor, every state): sleeping(st) + tokens + posting ==
 *       reg (workers between W3 and their token) and searching(st) ==
 *       gsearch + tokens + posting; searching(st) never underflows.
 * Known-bad variants (the ctest asserts pan finds each, by its kind):
 *   -DBUG_NO_EPOCH_RECHECK     W4 removed                     (1) acceptance
 *   -DBUG_NOTIFY_NO_EPOCH      N1 a plain load: no epoch move (1) acceptance
 *   -DBUG_WAIT_NO_TOKEN_CHECK  W5 futex_waits on the token value it loaded
 *                              instead of taking it           (1) acceptance
 *   -DBUG_WAKE_WHILE_SEARCHING N2/N3 ignore the searching count (3) assertion
 *   -DBUG_NOTIFY_NEVER_WAKES   N2 always returns (C mutant 14) (1) acceptance
 *   -DBUG_RUNNING_REQUEUED     a push to a RUNNING task queues it (C mutant
 *                              12): it is dequeued while its
 *                              worker still runs it          (2) assertion
 *   -DBUG_IDLE_WITHOUT_CAS     EMPTY stores IDLE (C mutant 13): a NOTIFIED
 *                              push is lost                   (1) acceptance
 *   -DBUG_NEXT_TAKE_PLAIN      next_take as a load and a store, not an
 *                              exchange: a thief's CAS empties the slot in
 *                              between: both dequeue it      (2) assertion
 * Not a bug here, so not a variant: the next slot's old occupant pushed
 * without its notify (only a delay: its owner takes it after the turn).
 * Dropped with the counter-queue model: -DBUG_L2_EPOCH (L2 deciding by the
 * epoch) left work to a busy worker while another slept: a delay, which no
 * property here sees; L2 looks at the queues as pool.c does.
 * Checks (the ctests model/pool/NAME: pan -a -f, NW = 2, LQ = 1, BATCH = 1;
 * states stored, pan's time on the shared 2-core machine, pan.c -O0):
 *   ok_2t_1m_1send    2 tasks, 1 message, 1 handler send   1.21 M   9 s
 *   ok_2t_1m_1send_injfirst  the same, -DINJECT_FIRST      2.01 M  15 s
 *   ok_2t_2m          2 tasks, 2 messages                   2.37 M  18 s
 *   ok_1t_2m          1 task, 2 messages (NOTIFIED races)   0.99 M   9 s
 *   ok_dead_1m_2send  -DDIE, 1 message, 2 handler sends     0.33 M   4 s
 *   bad variants: first error within 0.1-0.5 M states, 1-3 s each.
 * (Times vary 2x with the machine's load; every modelled line is reached by
 * some pass variant.)
 * 2 tasks x 2 messages x 1 send is 9.8 M states (54 s, 2 GB): too much for
 * CI; 2 producers x 1 message exceeds 2 GB.
 */
#ifndef NW
#define NW 2
#endif
#ifndef NTASK
#define NTASK 2
#endif
#ifndef NPROD
#define NPROD 1
#endif
#ifndef NMSG
#define NMSG 2
#endif
#ifndef NSEND
#define NSEND 1
#endif
#ifndef LQ
#define LQ 1
#endif
#ifndef BATCH
#define BATCH 1
#endif

#define IDLE 0
#define QUEUED 1
#define RUNNING 2
#define NOTIFIED 3
#define DEAD 4
#define EMPTY 0
#define MORE 1
#define DONE 2

/* tasks are 1..NTASK; 0 is "none" */
byte state[NTASK + 1];
byte msgs[NTASK + 1];           /* mailbox */
bit closed[NTASK + 1];
byte runs[NTASK + 1];           /* ghost: workers running it */
byte inq[NTASK + 1];            /* ghost: queues (or next slots) holding it */
chan lq[NW] = [LQ] of { byte };
chan inj = [NTASK] of { byte };
byte inj_len = 0;
bit inj_busy = 0;
byte next[NW];
byte s_search = 0, s_sleep = 0;        /* st, less its epoch: */
bit win[NW];    /* worker between W1 and W3 and no N1 since */
byte tokens = 0;                /* the futex word */
bit asleep[NW];                 /* blocked in futex_wait */
byte pend = 0;  /* messages pushed, not yet handled or dead-lettered */
byte pfin = 0, sends = NSEND;
/* ghosts */
byte gsearch = 0;       /* workers whose local `searching` is true */
byte reg = 0;           /* workers past W3 that have not taken a token */
byte posting = 0;       /* wakers between their successful CAS and tokens++ */

ltl live { <> (pfin == NPROD && pend == 0) }

#ifdef BUG_WAKE_WHILE_SEARCHING
#define NO_WAKE(s, sl) (sl == 0)
#elif defined(BUG_NOTIFY_NEVER_WAKES)
#define NO_WAKE(s, sl) true
#else
#define NO_WAKE(s, sl) (s > 0 || sl == 0)
#endif

#define INV (s_sleep + tokens + posting == reg && s_search == gsearch + tokens + posting)

/* futex_wait(&tokens, v): compare and block in one step */
inline futex_wait(v)
{
	atomic { if :: tokens == v -> asleep[me] = 1 :: else -> skip fi };
end_park:
	atomic { asleep[me] == 0 }
}

/* futex_wake(&tokens, 1): any one blocked waiter, if there is one */
inline futex_wake_one()
{
	atomic {
		k = 0; nwoken = 0;
		do
		:: k < NW && asleep[k] -> asleep[k] = 0; nwoken++; break
		:: k < NW -> k++                /* pass this one over */
		:: else -> break
		od;
		if
		:: nwoken == 0 ->               /* passed them all: the kernel wakes one */
			k = 0;
			do
			:: k < NW && asleep[k] -> asleep[k] = 0; nwoken++; break
			:: k < NW && !asleep[k] -> k++
			:: else -> break
			od
		:: else -> skip
		fi;
		assert(nwoken <= 1);            /* (3) at most one */
		k = 0; nwoken = 0
	}
}

/* wake_one(p, !any): turn one sleeper into a searcher and post it a token.
 * any: W4's wake_one (whenever there is a sleeper); else N3's test (no
 * searcher, a sleeper), where (3) is asserted at the successful CAS. */
inline cas_wake(any)
{
	do
	:: atomic { cs = s_search; csl = s_sleep };
	   if
	   :: (any && csl == 0) || (!any && NO_WAKE(cs, csl)) -> break
	   :: else ->
		atomic {
			if
			:: s_search == cs && s_sleep == csl ->   /* N3 */
				assert(any || gsearch == 0);            /* (3) */
				s_sleep--; s_search++; posting++; ok = 1
			:: else -> ok = 0
			fi
		};
		if
		:: ok ->
			atomic { tokens++; posting-- };                 /* N4 */
			futex_wake_one();
			break
		:: else -> skip
		fi
	   fi
	od;
	atomic { cs = 0; csl = 0; ok = 0 }
}

inline notify()
{
#ifdef BUG_NOTIFY_NO_EPOCH
	atomic { os = s_search; osl = s_sleep };                  /* N1 (a load) */
#else
	atomic { os = s_search; osl = s_sleep;                    /* N1 */
		k = 0; do :: k < NW -> win[k] = 0; k++ :: else -> k = 0; break od }
#endif
	if
	:: NO_WAKE(os, osl) -> skip                               /* N2 */
	:: else -> cas_wake(0)                                    /* N3, N4 */
	fi;
	atomic { os = 0; osl = 0 }
}

/* inject: inj_len++ (seq_cst) and the link, as one step (see the top) */
inline inject(x)
{
	atomic { inj_len++; assert(inq[x] == 0); inq[x] = 1; inj!x }
}

/* lq_push_or_inject(me, x) */
inline push_or_inject(x)
{
	atomic {
		if
		:: len(lq[me]) == LQ -> lqfull = 1
		:: len(lq[me]) < LQ -> assert(inq[x] == 0); inq[x] = 1; lq[me]!x; lqfull = 0
		fi
	};
	if :: lqfull -> lqfull = 0; inject(x) :: else -> skip fi
}

inline push_local(x)
{
	push_or_inject(x);
	notify()
}

/* enqueue(p, u): on a worker to its next slot (no notify), else inject */
inline enqueue(x)
{
	if
	:: onw ->
		atomic { assert(inq[x] == 0); inq[x] = 1; old = next[me]; next[me] = x };
		if
		:: old != 0 -> push_local(old); old = 0
		:: else -> skip
		fi
	:: else ->
		inject(x);
		notify()
	fi
}

/* pool_i_wake(p, u) after a push that found u's mailbox empty */
inline wake(x)
{
	s = state[x];
	do
	:: s == IDLE ->
		atomic { if :: state[x] == s -> state[x] = QUEUED; ok = 1 :: else -> s = state[x]; ok = 0 fi };
		if :: ok -> ok = 0; enqueue(x); break :: else -> skip fi
	:: s == RUNNING ->
#ifdef BUG_RUNNING_REQUEUED
		atomic { if :: state[x] == s -> state[x] = QUEUED; ok = 1 :: else -> s = state[x]; ok = 0 fi };
		if :: ok -> ok = 0; enqueue(x); break :: else -> skip fi
#else
		atomic { if :: state[x] == s -> state[x] = NOTIFIED; ok = 1 :: else -> s = state[x]; ok = 0 fi };
		if :: ok -> ok = 0; break :: else -> skip fi
#endif
	:: s == DEAD ->                 /* false: drain_late, the pusher's dead letters */
		atomic { pend = pend - msgs[x]; msgs[x] = 0 };
		break
	:: s == QUEUED || s == NOTIFIED -> break
	od;
	s = 0
}

/* a mailbox push, then the wake if it found the mailbox empty */
inline send(x)
{
	atomic {
		if
		:: closed[x] -> we = 0                  /* ESTOPPED: not pushed */
		:: else -> we = (msgs[x] == 0); msgs[x]++; pend++
		fi
	};
	if :: we -> we = 0; wake(x) :: else -> skip fi
}

/* a task leaves a queue: only QUEUED ones are there */
#define TAKEN(x) assert(state[x] == QUEUED && inq[x] == 1); inq[x] = 0

inline lq_pop(v)
{
	atomic { if :: len(lq[v]) > 0 -> lq[v]?t; TAKEN(t) :: len(lq[v]) == 0 -> t = 0 fi }
}

/* inject_pop(w): inj_lock, take up to 2, inj_unlock, the extra one local */
inline inject_pop()
{
	t = 0;
	if
	:: inj_len > 0 ->
		atomic { if :: !inj_busy -> inj_busy = 1; ok = 1 :: else -> ok = 0 fi };
		if
		:: ok ->
			ok = 0;
			atomic { if :: len(inj) > 0 -> inj?t; TAKEN(t) :: len(inj) == 0 -> t = 0 fi };
			if
			:: t != 0 ->
				atomic { if :: len(inj) > 0 -> inj?b1; TAKEN(b1) :: len(inj) == 0 -> b1 = 0 fi }
			:: else -> skip
			fi;
			/* inj_unlock(n) */
			inj_len = inj_len - (t != 0) - (b1 != 0);
			inj_busy = 0;
			if :: inj_len > 0 -> notify() :: else -> skip fi;
			if
			:: b1 != 0 ->
				push_or_inject(b1); b1 = 0;
				notify()
			:: else -> skip
			fi
		:: else -> skip
		fi
	:: else -> skip
	fi
}

/* steal_next(w, v): read the slot; the grace (v's turn count unchanged
 * over NEXT_GRACE pauses) as a free choice; CAS the slot empty */
inline steal_next(v)
{
	t = next[v];
	if
	:: t != 0 ->
		if
		:: atomic {
			if
			:: next[v] == t -> next[v] = 0; TAKEN(t)
			:: else -> t = 0
			fi
		   }
		:: t = 0                        /* v moved on */
		fi
	:: else -> skip
	fi
}

inline find_work()
{
	t = 0;
#ifdef INJECT_FIRST
	if :: inject_pop() :: true -> skip fi;
#endif
	if
	:: t == 0 ->
#ifdef BUG_NEXT_TAKE_PLAIN
		t = next[me];                   /* next_take as a load and a store */
		atomic { next[me] = 0; if :: t != 0 -> TAKEN(t) :: else -> skip fi };
#else
		atomic { t = next[me]; next[me] = 0; if :: t != 0 -> TAKEN(t) :: else -> skip fi };  /* next_take */
#endif
		if
		:: t != 0 && len(lq[me]) > 0 ->        /* the streak cap */
			if :: push_local(t); t = 0 :: true -> skip fi
		:: else -> skip
		fi
	:: else -> skip
	fi;
	if :: t == 0 -> lq_pop(me) :: else -> skip fi;
	if :: t == 0 -> inject_pop() :: else -> skip fi;
	/* steal: the others' local queues, then their next slots */
	v = (me + 1) % NW;
	do
	:: t == 0 && v != me -> atomic { lq_pop(v); v = (v + 1) % NW }
	:: else -> break
	od;
	v = (me + 1) % NW;
	do
	:: t == 0 && v != me -> steal_next(v); v = (v + 1) % NW
	:: else -> break
	od;
	v = 0
}

/* run_task(w, t) */
inline run_task()
{
	atomic { assert(runs[t] == 0); runs[t] = 1; state[t] = RUNNING };
	do
	:: /* one turn: pop up to BATCH, each handled message may send one */
	   i = 0; r = MORE;
	   do
	   :: i < BATCH ->
		atomic { if :: msgs[t] > 0 -> msgs[t]--; got = 1 :: else -> got = 0 fi };
		if
		:: got ->
			got = 0;
#ifdef DIE
			if
			:: t == 1 -> r = DONE
			:: else -> skip
			fi;
#endif
			if
			:: atomic { sends > 0 -> sends--; select(u : 1 .. NTASK) }; send(u); u = 0
			:: true -> skip
			fi;
			pend--;
			if :: r == DONE -> break :: else -> i++ fi
		:: else -> r = EMPTY; break
		fi
	   :: else -> break
	   od;
	   i = 0;
	   if
	   :: r == DONE ->                              /* finish: close, drain */
		closed[t] = 1;
		atomic { pend = pend - msgs[t]; msgs[t] = 0 };
		atomic { state[t] = DEAD; runs[t] = 0 };        /* then run_task */
		break
	   :: else -> skip
	   fi;
	   if
	   :: r == EMPTY ->
#ifdef BUG_IDLE_WITHOUT_CAS
		atomic { state[t] = IDLE; runs[t] = 0 };
		break
#else
		atomic {
			if
			:: state[t] == RUNNING -> state[t] = IDLE; runs[t] = 0; ok = 1
			:: else -> ok = 0               /* NOTIFIED: go on */
			fi
		};
		if :: ok -> ok = 0; break :: else -> skip fi
#endif
	   :: else -> skip
	   fi;
	   r = 0;
	   /* work left: another turn at once when nobody waits here */
	   if
	   :: next[me] == 0 && len(lq[me]) == 0 && inj_len == 0 ->
		state[t] = RUNNING
	   :: else ->
		atomic { state[t] = QUEUED; runs[t] = 0 };
		push_local(t);
		break
	   fi
	od;
	r = 0; t = 0
}

active [NPROD] proctype producer()
{
	bit onw = 0, ok, we, lqfull;
	byte me = 0, n = 0, x, s, os, osl, cs, csl, k, nwoken, old;
	do
	:: n < NMSG ->
		x = (_pid * NMSG + n) % NTASK + 1;
		send(x);
		n++
	:: else -> break
	od;
	pfin++
}

active [NW] proctype worker()
{
	byte me = _pid - NPROD;
	bit onw = 1, srch = 0, got, ok, we, lqfull;
	byte t, b1, v, i, r, u, tk, s, os, osl, cs, csl, k, nwoken, old, wq;
	bit oe;
	do
	:: find_work();
	   if
	   :: t == 0 ->
		if
		:: !srch ->                                       /* B1 */
			atomic { s_search++; srch = 1; gsearch++ }
		:: else -> skip
		fi;
		win[me] = 1;                                      /* W1 */
		find_work();                                      /* W2 */
		if
		:: t == 0 ->
			atomic {                                  /* W3 */
				assert(s_search > 0);
				oe = !win[me]; win[me] = 0; s_search--; s_sleep++;
				srch = 0; gsearch--; reg++
			};
#ifndef BUG_NO_EPOCH_RECHECK
			if                                        /* W4 */
			:: oe -> cas_wake(1)
			:: else -> skip
			fi;
#endif
			oe = 0;
			do                                        /* W5 */
			:: tk = tokens;
#ifdef BUG_WAIT_NO_TOKEN_CHECK
			   futex_wait(tk);
			   tk = tokens;
#endif
			   if
			   :: tk > 0 ->
				atomic {
					if
					:: tokens == tk ->
						tokens--; reg--; srch = 1; gsearch++; ok = 1
					:: else -> ok = 0
					fi
				};
				if :: ok -> ok = 0; break :: else -> skip fi
			   :: else ->
#ifndef BUG_WAIT_NO_TOKEN_CHECK
				futex_wait(0)
#else
				skip
#endif
			   fi
			od;
			tk = 0
		:: else -> win[me] = 0
		fi
	   :: else -> skip
	   fi;
	   if
	   :: t != 0 ->
		if
		:: srch ->
			atomic {                                  /* L1 */
				assert(s_search > 0);
				os = s_search; s_search--;
				srch = 0; gsearch--
			};
			if                                        /* L2 */
			:: os == 1 ->
				wq = (inj_len > 0);
				v = 0;
				do
				:: !wq && v < NW -> wq = (len(lq[v]) > 0); v++
				:: else -> break
				od;
				v = 0;
				if :: wq -> cas_wake(0) :: else -> skip fi;
				wq = 0
			:: else -> skip
			fi;
			os = 0
		:: else -> skip
		fi;
		run_task()
	   :: else -> skip
	   fi
	od
}

/* (4), checked in every state */
active proctype monitor()
{
end:	atomic { !(INV) -> assert(false) }
}
