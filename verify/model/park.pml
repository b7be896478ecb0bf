/* park.pml: Spin model of the spin-then-park protocol in runtimes/mailbox/park.h as
 * futex_ring uses it: one consumer parks on `cpark` when the ring is empty
 * (an exclusive waiter: it disarms on its way out), NPROD producers park on
 * `ppark` when the ring (capacity CAP) is full (several waiters: they never
 * disarm). Step names W1..W5 (waiter, mbx_i_park_wait after its spin phase)
 * and P, K1..K4 (waker: publish, then mbx_i_park_wake) are the ones in
 * park.h's MODEL comment, next to the C lines they stand for.
 *
 * The futex is the kernel's: FUTEX_WAIT compares the word with the expected
 * value and goes to sleep in one atomic step; FUTEX_WAKE(all) wakes every
 * sleeper. Spin explores every interleaving under sequential consistency;
 * the C code makes the Dekker pair (P, W2 writes; K1, W3 reads) seq_cst, so
 * SC is the right model for it. The adaptive spin phase only delays W1.
 *
 * A lost wake-up shows as an invalid end state: somebody asleep for ever.
 * With -DLIVE_LTL (checked with pan -a -f, weak fairness, as park_tso.pml
 * is) it is a liveness violation instead: the LTL property `live` (the
 * consumer takes every message and every producer finishes) fails by an
 * acceptance cycle (a thread parked for ever is a stutter). The property is
 * left out of the safety runs: a never claim turns invalid end states off.
 * Known-bad variants (the ctest asserts Spin finds each):
 *   -DBUG_NO_RECHECK        W3 removed: sleep without re-checking
 *   -DBUG_WAKE_CHECK_FIRST  the waker reads `armed` (K1/K2) before it publishes
 *   -DBUG_FUTEX_NO_COMPARE  futex_wait without the kernel's value check
 *   -DBUG_WAKE_ONE          K4 wakes one sleeper, not all (producers' park)
 *   -DBUG_DISARM_SHARED     a producer (non-exclusive waiter) disarms on exit
 */
#ifndef NPROD
#define NPROD 2
#endif
#ifndef NMSG
#define NMSG 2
#endif
#ifndef CAP
#define CAP 1
#endif
#define TOTAL (NPROD * NMSG)
#define NT (NPROD + 1)          /* thread ids: 0 = consumer, 1.. = producers */

byte tail = 0;                  /* published (P of a push) */
byte head = 0;                  /* consumed (P of a pop) */
bit sleeping[NT];
byte pdone = 0;                 /* producers finished */

#ifdef LIVE_LTL
ltl live { <> (head == TOTAL && pdone == NPROD) }
#endif

typedef park { bit armed; byte seq };
park cpark;                     /* the consumer waits here for "not empty" */
park ppark;                     /* producers wait here for "not full" */

inline futex_wait(pk, me, expected)
{
#ifdef BUG_FUTEX_NO_COMPARE
	sleeping[me] = 1;
#else
	atomic { if :: pk.seq == expected -> sleeping[me] = 1 :: else -> skip fi };
#endif
	(sleeping[me] == 0)
}

/* FUTEX_WAKE on the word: wakes the sleepers of this park only */
inline futex_wake(pk, first, last)
{
	atomic {
		k = first;
		do
		:: k <= last ->
#ifdef BUG_WAKE_ONE
			if :: sleeping[k] -> sleeping[k] = 0; break :: else -> skip fi;
#else
			sleeping[k] = 0;
#endif
			k++
		:: else -> break
		od
	}
}

/* mbx_i_park_wake after the caller's publish P */
inline wake(pk, first, last)
{
	if
	:: pk.armed == 0 -> skip                       /* K1 */
	:: else ->
		atomic { was = pk.armed; pk.armed = 0 };  /* K2 */
		if
		:: was ->
			pk.seq++;                          /* K3 */
			futex_wake(pk, first, last)        /* K4 */
		:: else -> skip
		fi
	fi
}

/* mbx_i_park_wait after its spin phase; ready is the condition */
inline park_wait(pk, me, ready, exclusive)
{
	do
	:: s = pk.seq;                                  /* W1 */
	   pk.armed = 1;                                /* W2 */
#ifndef BUG_NO_RECHECK
	   if
	   :: ready ->                                  /* W3 */
		if :: exclusive -> pk.armed = 0 :: else -> skip fi;
		break
	   :: else -> skip
	   fi;
#endif
	   futex_wait(pk, me, s);                       /* W4 */
	   if
	   :: ready ->                                  /* W5 */
#ifdef BUG_DISARM_SHARED
		pk.armed = 0;
#else
		if :: exclusive -> pk.armed = 0 :: else -> skip fi;
#endif
		break
	   :: else -> skip
	   fi
	od
}

active proctype consumer()
{
	byte s, k; bit was;
	do
	:: head == TOTAL -> break
	:: else ->
		if
		:: tail != head ->
			head++;                         /* P of the pop: frees a slot */
			wake(ppark, 1, NPROD)
		:: else ->
			park_wait(cpark, 0, (tail != head), 1)
		fi
	od
}

active [NPROD] proctype producer()
{
	byte i = 0, s, k; bit was;
	byte me = _pid;                                 /* 1..NPROD */
	do
	:: i < NMSG ->
		if
		:: atomic { tail - head < CAP ->
#ifdef BUG_WAKE_CHECK_FIRST
			skip };
			was = cpark.armed;               /* K1 read too early */
			tail++;                          /* P */
			if
			:: was ->
				atomic { was = cpark.armed; cpark.armed = 0 };
				if :: was -> cpark.seq++; futex_wake(cpark, 0, 0) :: else -> skip fi
			:: else -> skip
			fi;
#else
			tail++ };                        /* claim + P (the CAS on tail, seq_cst) */
			wake(cpark, 0, 0);
#endif
			i++
		:: else ->
			park_wait(ppark, me, (tail - head < CAP), 0)
		fi
	:: else -> break
	od;
#ifdef LIVE_LTL
	pdone++                 /* only here: it splits the safety runs' end states */
#endif
}
