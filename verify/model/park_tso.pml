/* park_tso.pml: the park/wake protocol of runtimes/mailbox/park.h as
 * futex_ring uses it (runtimes/mailbox/kinds/futex_ring.h), under x86-TSO:
 * every thread has a FIFO store buffer. A release or relaxed store waits in
 * it (a plain MOV); a seq_cst store (XCHG), an RMW (LOCK'd CAS, XADD, OR)
 * and the futex syscall (locked instructions in the kernel) drain it first;
 * a load reads the thread's own newest buffered store to that word, else
 * memory (a seq_cst load is a plain MOV). A flusher process per thread
 * drains its buffer at any time; weak fairness (pan -f) makes it run
 * eventually. park.pml is the same protocol under sequential consistency.
 *
 * Steps as in futex_ring and park.h's MODEL comment, claim and publish
 * apart:
 *   producer: claim = CAS tail t -> t+1 (seq_cst: P for not_empty; fails on
 *             the CLOSED bit in tail); publish = release store of the slot
 *             (buffered); then K1-K4 on the consumer's park. Full: park on
 *             not_full with ready = tail moved or t - head < CAP.
 *   consumer: slot published -> take: free the slot (release, buffered),
 *             head = h+1 (seq_cst: P for not_full), K1-K4 on not_full.
 *             Claimed but not published (RETRY in vyukov's terms): back off,
 *             never park. tail == h: CLOSED if the bit is set, else park
 *             (exclusive) with ready = published or tail != h.
 *   closer:   tail |= CLOSED (seq_cst RMW), then wake both parks.
 *   park:     W1 s = seq; W2 armed = 1 (seq_cst store); W3 re-check;
 *             W4 futex_wait(seq, s); W5 re-check; K1 load armed; K2 xchg;
 *             K3 seq += 1; K4 futex_wake(all).
 *
 * Properties: liveness as LTL (`live`: the consumer and every producer
 * finish: no lost wake-up, no thread parked for ever, no spin for ever),
 * checked with acceptance cycles under weak fairness (a deadlock is a
 * stuttering violation); safety: the consumer's CLOSED leaves no claimed
 * message behind (exact close), every message taken once, in order.
 * Known-bad variants the ctest asserts Spin catches:
 *   -DBUG_W2_RELEASE   W2 as a release store (a plain MOV on x86): it waits
 *                      in the store buffer while W3 re-checks, the waker's
 *                      K1 reads armed == 0 and skips the wake (issue 16)
 *   -DBUG_NO_RECHECK   W3 removed: sleep without re-checking
 *   -DBUG_PARK_ON_CLAIM the consumer parks on "claimed, not published",
 *                      waiting for the publish (a release store, no P): the
 *                      waker's K1 may run before the publish drains
 * Sizes stay small (pan -a -f on 2 producers x 1 message takes ~3 s; with
 * close racing, 1 producer): the store buffers multiply the state space.
 */
#ifndef NPROD
#define NPROD 2
#endif
#ifndef NMSG
#define NMSG 1
#endif
#ifndef CAP
#define CAP 1
#endif
#define TOTAL (NPROD * NMSG)
#define CLOSER (NPROD + 1)      /* thread ids: 0 consumer, 1..NPROD producers, closer */
#define NT (NPROD + 2)
#define BUF 2                   /* store-buffer entries per thread */
#define CLOSED_BIT 128          /* in tail, as FR_CLOSED */

/* word addresses */
#define C_ARMED 0               /* consumer's park (not_empty) */
#define C_SEQ 1
#define P_ARMED 2               /* producers' park (not_full) */
#define P_SEQ 3
#define TAIL 4
#define HEAD 5
#define PUB 6                   /* PUB + i: slot of position i published */
#define NADDR (PUB + TOTAL)

byte mem[NADDR];
typedef sbuf { byte a[BUF]; byte v[BUF]; byte n };
sbuf sb[NT];
bit sleeping[NT];
bit cons_done;
byte prod_done;

ltl live { <> (cons_done && prod_done == NPROD) }

/* drain the oldest entry of thread t's buffer into memory */
inline flush1(t)
{
	mem[sb[t].a[0]] = sb[t].v[0];
	sb[t].a[0] = sb[t].a[1]; sb[t].v[0] = sb[t].v[1];
	sb[t].a[1] = 0; sb[t].v[1] = 0;
	sb[t].n--
}

inline flushall(t)
{
	do
	:: sb[t].n > 0 -> flush1(t)
	:: else -> break
	od
}

/* load: own newest buffered store to addr, else memory */
inline ld(t, addr, r)
{
	atomic {
		r = mem[addr];
		k = 0;
		do
		:: k < sb[t].n -> if :: sb[t].a[k] == addr -> r = sb[t].v[k] :: else -> skip fi; k++
		:: else -> break
		od
	}
}

/* release/relaxed store: into the buffer */
inline st_rel(t, addr, val)
{
	atomic {
		if :: sb[t].n == BUF -> flush1(t) :: else -> skip fi;
		sb[t].a[sb[t].n] = addr; sb[t].v[sb[t].n] = val; sb[t].n++
	}
}

/* seq_cst store (XCHG): drains the buffer, writes memory */
inline st_sc(t, addr, val)
{
	atomic { flushall(t); mem[addr] = val }
}

proctype flusher(byte t)
{
end:	do
	:: atomic { sb[t].n > 0 -> flush1(t) }
	od
}

inline futex_wait(t, SEQ, expected)
{
	atomic { flushall(t); if :: mem[SEQ] == expected -> sleeping[t] = 1 :: else -> skip fi };
	(sleeping[t] == 0)
}

inline futex_wake(first, last)
{
	atomic {
		k = first;
		do
		:: k <= last -> sleeping[k] = 0; k++
		:: else -> break
		od
	}
}

/* mbx_i_park_wake, after the caller's P */
inline wake(t, ARM, SEQ, first, last)
{
	ld(t, ARM, a);                                          /* K1 */
	if
	:: a == 0 -> skip
	:: else ->
		atomic { flushall(t); was = mem[ARM]; mem[ARM] = 0 };   /* K2 */
		if
		:: was ->
			atomic { flushall(t); mem[SEQ]++ };             /* K3 */
			futex_wake(first, last)                         /* K4 */
		:: else -> skip
		fi
	fi
}

/* the two park conditions (fr_pop_ready, fr_room_ready) */
inline ready(t, which, r)
{
	if
	:: which == 0 ->
		r = 0;
		if :: h < TOTAL -> ld(t, PUB + h, r) :: else -> skip fi;
		if :: r == 0 -> ld(t, TAIL, x); r = (x != h) :: else -> skip fi
	:: which == 2 ->
		ld(t, PUB + h, r)
	:: else ->
		ld(t, TAIL, x);
		if
		:: x != tt -> r = 1
		:: else -> ld(t, HEAD, y); r = (tt - y < CAP)
		fi
	fi
}

/* mbx_i_park_wait after its spin phase (spin 0) */
inline park_wait(t, which, ARM, SEQ, excl)
{
	do
	:: ld(t, SEQ, s);                                       /* W1 */
#ifdef BUG_W2_RELEASE
	   st_rel(t, ARM, 1);                                   /* W2, release: buffered */
#else
	   st_sc(t, ARM, 1);                                    /* W2, seq_cst */
#endif
#ifndef BUG_NO_RECHECK
	   ready(t, which, r);                                  /* W3 */
	   if
	   :: r -> if :: excl -> st_sc(t, ARM, 0) :: else -> skip fi; break
	   :: else -> skip
	   fi;
#endif
	   futex_wait(t, SEQ, s);                               /* W4 */
	   ready(t, which, r);                                  /* W5 */
	   if
	   :: r -> if :: excl -> st_sc(t, ARM, 0) :: else -> skip fi; break
	   :: else -> skip
	   fi
	od
}

proctype consumer()
{
	byte h = 0, tt, s, k, a, r, x, y, pub, was;
	do
	:: pub = 0;
	   if :: h < TOTAL -> ld(0, PUB + h, pub) :: else -> skip fi;
	   if
	   :: pub ->                                            /* fr_take */
		st_rel(0, PUB + h, 0);                          /* free the slot: release */
		h++;
		st_sc(0, HEAD, h);                              /* P for not_full */
		wake(0, P_ARMED, P_SEQ, 1, NPROD)
	   :: else ->
		ld(0, TAIL, x);                                 /* seq_cst load */
		if
		:: (x & ~CLOSED_BIT) != h ->                    /* claimed, not published */
#ifdef BUG_PARK_ON_CLAIM
			park_wait(0, 2, C_ARMED, C_SEQ, 1)              /* ready = published only */
#else
			skip                                    /* back off, look again */
#endif
		:: (x & ~CLOSED_BIT) == h && (x & CLOSED_BIT) -> break   /* CLOSED, drained */
		:: (x & ~CLOSED_BIT) == h && !(x & CLOSED_BIT) && h == TOTAL -> break
		:: (x & ~CLOSED_BIT) == h && !(x & CLOSED_BIT) && h < TOTAL ->
			park_wait(0, 0, C_ARMED, C_SEQ, 1)
		fi
	   fi
	od;
	assert(h == (mem[TAIL] & ~CLOSED_BIT));                 /* exact close: nothing claimed is left */
	cons_done = 1
}

proctype producer(byte me)
{
	byte i = 0, tt, s, k, a, r, x, y, h, was;
	bit claimed;
	do
	:: i == NMSG -> break
	:: else ->
		ld(me, TAIL, tt);                                /* relaxed guess */
		if
		:: tt & CLOSED_BIT -> break                      /* CLOSED */
		:: else ->
			ld(me, HEAD, y);
			if
			:: tt - y < CAP ->
				atomic {                         /* claim: CAS, seq_cst */
					flushall(me);
					if :: mem[TAIL] == tt -> mem[TAIL] = tt + 1; claimed = 1
					   :: else -> claimed = 0 fi
				};
				if
				:: claimed ->
					st_rel(me, PUB + tt, 1);         /* publish: release */
					wake(me, C_ARMED, C_SEQ, 0, 0);
					i++
				:: else -> skip
				fi
			:: else ->
				park_wait(me, 1, P_ARMED, P_SEQ, 0)
			fi
		fi
	od;
	prod_done++
}

proctype closer()
{
	byte k, a, was;
	atomic { mem[TAIL] = mem[TAIL] | CLOSED_BIT };           /* fetch_or, seq_cst */
	wake(CLOSER, C_ARMED, C_SEQ, 0, 0);
	wake(CLOSER, P_ARMED, P_SEQ, 1, NPROD)
}

init
{
	byte i;
	atomic {
		run consumer();
		i = 1;
		do
		:: i <= NPROD -> run producer(i); i++
		:: else -> break
		od;
#ifdef CLOSE
		run closer();
#endif
		i = 0;
		do
		:: i < NT -> run flusher(i); i++
		:: else -> break
		od
	}
}
