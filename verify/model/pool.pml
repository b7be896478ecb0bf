/* pool.pml: Spin model of the worker park/wake protocol of the pooled actor
 * scheduler (runtimes/actor/pool.c): NW workers look for queued tasks, search,
 * register as sleepers and sleep on the futex word `tokens`; NPROD producers
 * (and tasks that, when run, queue another: actors waking actors, NSPAWN of
 * them in all) notify after queueing. The run queues are one counter `work`.
 * Step names are the labels pool.c carries in comments on its C lines:
 *
 *   st (one 64-bit word: searching bits 0-15, sleeping 16-31, epoch 32-63) is
 *   here the three fields s_search, s_sleep, s_epoch; each RMW of st, and each
 *   load (a snapshot of all three), is one atomic step (all are seq_cst).
 *   producer (notify, after its own enqueue step work++)
 *     N1 old = fetch_add(st, EPOCH1)                      bump the epoch
 *     N2 if searching(old) > 0 || sleeping(old) == 0: return
 *     N3 CAS loop: cur = load(st); same test on cur: return;
 *        else CAS(st, cur, cur - SLEEP1 + SEARCH1), retry on failure
 *     N4 on success: tokens++; futex_wake(&tokens, 1)
 *   worker
 *     B1 nothing found, not searching: old = fetch_add(st, SEARCH1);
 *        epoch_at_search = epoch(old)   (the spin rounds are collapsed)
 *     W1 e0 = epoch(load(st))
 *     W2 rescan; found: L1/L2, run
 *     W3 old = fetch_add(st, SLEEP1 - SEARCH1)            searching -> sleeper
 *     W4 if epoch(old) != e0: wake_one() (CAS: sleeping-1, searching+1 if
 *        sleeping > 0, then tokens++, futex_wake 1): a notify may have skipped
 *        us, so one sleeper (maybe us) is turned back into a searcher
 *     W5 loop { t = tokens; t > 0: CAS(tokens, t, t-1) and leave; stop: exit;
 *        futex_wait(&tokens, 0) }; then searching again (the poster counted
 *        us), epoch_at_search = epoch(load(st)), back to finding work
 *     L1 found work while searching: old = fetch_sub(st, SEARCH1)
 *     L2 if searching(old) == 1 and a queue still holds work (a second
 *        look, after L1): the N3 CAS (only with no searcher and a sleeper),
 *        tokens++, futex_wake 1
 *
 * The futex is the kernel's: futex_wait compares and blocks in one step,
 * futex_wake(1) releases at most one blocked waiter (any one of them).
 * Shutdown (outside the protocol): once every task queued has run and the
 * producers are done, `stop` is set and releases every waiter.
 * Properties:
 *   (1) no lost wake-up: workers asleep with work queued never end the run;
 *       the shutdown process then blocks for ever: an invalid end state.
 *   (2) a producer's wake (N3 success) happens only while no worker is
 *       searching (ghost gsearch), and a futex_wake releases at most one.
 *   (3) counts (monitor, every state): sleeping(st) + tokens + posting ==
 *       reg (workers between W3 and taking a token) and searching(st) ==
 *       gsearch + tokens + posting; searching(st) never underflows (asserted
 *       at W3 and L1). `posting`: wakers between their CAS and tokens++.
 *   (4) with -DCHECK_HANDOVER (the pass variants set it): once no notify,
 *       L1..L2 or W3..W4 is under way, queued work with a sleeper implies a
 *       searcher (no worker sleeps while a task waits for a busy one). An
 *       earlier L2 tested "the epoch moved since B1" instead of looking at
 *       the queues; it missed notifies that N3 skipped on account of a
 *       searcher that started after their N1 (-DBUG_L2_EPOCH keeps it).
 * Known-bad variants (the ctest asserts Spin finds each):
 *   -DBUG_NO_EPOCH_RECHECK     W4 removed: a worker that registers as sleeper
 *                              after a notify skipped it (it was searching)
 *                              sleeps with that work queued              (1)
 *   -DBUG_NOTIFY_NO_EPOCH      N1 is a plain load: the epoch never moves, so
 *                              W4 and L2 never fire                      (1)
 *   -DBUG_WAIT_NO_TOKEN_CHECK  W5 does not take the token it sees before it
 *                              waits: it futex_waits on the value it loaded
 *                              ("wait for a change"), so it sleeps on a token
 *                              posted (and futex_woken) before its wait   (1)
 *   -DBUG_WAKE_WHILE_SEARCHING N2/N3 ignore the searching count          (2)
 *   -DBUG_L2_EPOCH             L2 decides by the epoch, not the queues    (4)
 */
#ifndef NW
#define NW 2
#endif
#ifndef NPROD
#define NPROD 2
#endif
#ifndef NTASK
#define NTASK 1
#endif
#ifndef NSPAWN
#define NSPAWN 1
#endif

byte s_search = 0, s_sleep = 0, s_epoch = 0;    /* st */
byte tokens = 0;                                /* the futex word */
bit asleep[NW];                                 /* blocked in futex_wait */
bit stop = 0;
byte work = 0;                                  /* queued tasks */
byte enq = 0, done = 0, pfin = 0;               /* queued / run / producers done */
byte spawn = NSPAWN;                            /* tasks a run may still queue */
/* ghosts */
byte gsearch = 0;       /* workers whose local `searching` is true */
byte reg = 0;           /* workers past W3 that have not taken a token */
byte posting = 0;       /* wakers between their successful CAS and tokens++ */
byte inflight = 0;      /* CHECK_HANDOVER: notifies, L1..L2 and W3..W4 under way */

#ifdef CHECK_HANDOVER
#define GH(s) s
#define HANDOVER_LOST (inflight == 0 && work > 0 && s_sleep > 0 && s_search == 0)
#else
#define GH(s) skip
#define HANDOVER_LOST false
#endif

#ifdef BUG_WAKE_WHILE_SEARCHING
#define NO_WAKE(s, sl) (sl == 0)
#else
#define NO_WAKE(s, sl) (s > 0 || sl == 0)
#endif

#define INV (s_sleep + tokens + posting == reg && s_search == gsearch + tokens + posting)

/* futex_wait(&tokens, v) */
inline futex_wait(me, v)
{
	atomic { if :: tokens == v -> asleep[me] = 1 :: else -> skip fi };
	atomic { (asleep[me] == 0 || stop) -> asleep[me] = 0 }
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
		assert(nwoken <= 1);            /* (2) at most one */
		k = 0; nwoken = 0
	}
}

/* Turn one sleeper into a searcher and post it a token. any: W4's wake_one
 * (whenever there is a sleeper); else the N3 test (no searcher, a sleeper),
 * the producer's N3 and L2, where (2) is asserted at the successful CAS. */
inline cas_wake(any)
{
	do
	:: atomic { cs = s_search; csl = s_sleep; ce = s_epoch };
	   if
	   :: (any && csl == 0) || (!any && NO_WAKE(cs, csl)) -> break
	   :: else ->
		atomic {
			if
			:: s_search == cs && s_sleep == csl && s_epoch == ce ->
				assert(any || gsearch == 0);            /* (2) */
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
	cs = 0; csl = 0; ce = 0; ok = 0
}

/* after the caller's enqueue step */
inline notify()
{
#ifdef BUG_NOTIFY_NO_EPOCH
	atomic { os = s_search; osl = s_sleep };                  /* N1 (a load) */
#else
	atomic { os = s_search; osl = s_sleep; s_epoch++ };       /* N1 */
#endif
	if
	:: NO_WAKE(os, osl) -> skip                               /* N2 */
	:: else -> cas_wake(0)                                    /* N3, N4 */
	fi;
	atomic { os = 0; osl = 0; GH(inflight--) }
}

inline scan()
{
	atomic { if :: work > 0 -> work--; got = 1 :: else -> got = 0 fi }
}

active [NPROD] proctype producer()
{
	byte i = 0, os, osl, cs, csl, ce, k, nwoken; bit ok;
	do
	:: i < NTASK ->
		atomic { work++; enq++; GH(inflight++) };
		notify();
		i++
	:: else -> break
	od;
	pfin++
}

active [NW] proctype worker()
{
	byte me = _pid - NPROD;
	bit srch = 0, got, ok;
	byte e0, eas, t, os, osl, oe, cs, csl, ce, k, nwoken;
	do
	:: scan();
	   if
	   :: !got ->
		if
		:: !srch ->                                       /* B1 */
			atomic { eas = s_epoch; s_search++; srch = 1; gsearch++ }
		:: else -> skip
		fi;
		e0 = s_epoch;                                     /* W1 */
		scan();                                           /* W2 */
		if
		:: !got ->
			atomic {                                  /* W3 */
				assert(s_search > 0);
				oe = s_epoch; s_search--; s_sleep++;
				srch = 0; gsearch--; reg++; GH(inflight++)
			};
#ifndef BUG_NO_EPOCH_RECHECK
			if                                        /* W4 */
			:: oe != e0 -> cas_wake(1)
			:: else -> skip
			fi;
#endif
			atomic { oe = 0; e0 = 0; GH(inflight--) };
			do                                        /* W5 */
			:: t = tokens;
#ifdef BUG_WAIT_NO_TOKEN_CHECK
			   if :: stop -> goto out :: else -> skip fi;
			   futex_wait(me, t);
			   t = tokens;
#endif
			   if
			   :: t > 0 ->
				atomic {
					if
					:: tokens == t ->
						tokens--; reg--; srch = 1; gsearch++; ok = 1
					:: else -> ok = 0
					fi
				};
				if :: ok -> ok = 0; break :: else -> skip fi
			   :: else ->
#ifndef BUG_WAIT_NO_TOKEN_CHECK
				if :: stop -> goto out :: else -> skip fi;
				futex_wait(me, 0)
#else
				skip
#endif
			   fi
			od;
			t = 0;
			eas = s_epoch                             /* epoch_at_search */
		:: else -> skip
		fi
	   :: else -> skip
	   fi;
	   if
	   :: got ->
		if
		:: srch ->
			atomic {                                  /* L1 */
				assert(s_search > 0);
				os = s_search; oe = s_epoch; s_search--;
				srch = 0; gsearch--; GH(inflight++)
			};
			if                                        /* L2 */
#ifdef BUG_L2_EPOCH
			:: os == 1 && oe != eas -> cas_wake(0)
#else
			:: os == 1 && work > 0 -> cas_wake(0)
#endif
			:: else -> skip
			fi;
			atomic { os = 0; oe = 0; eas = 0; GH(inflight--) }
		:: else -> skip
		fi;
		/* run the task: it may queue another (an actor waking an actor) */
		if
		:: atomic { spawn > 0 -> spawn--; work++; enq++; GH(inflight++) };
		   notify()
		:: true -> skip
		fi;
		done++;
		got = 0
	   :: else -> skip
	   fi
	od;
out:	skip
}

/* Shutdown: every task queued has run and the producers are done. Blocks for
 * ever (an invalid end state) when workers sleep with work queued. */
active proctype shutdown()
{
	atomic { pfin == NPROD && done == enq -> stop = 1 }
}

/* (3), checked in every state; with CHECK_HANDOVER also (4) */
active proctype monitor()
{
end:	atomic { (!(INV) || HANDOVER_LOST) -> assert(false) }
}
