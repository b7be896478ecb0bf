//! The thread-per-actor runtimes, crossbeam-channel and std::sync::mpsc: each actor is a std
//! thread blocking on its channel, each ask carries a fresh reply channel. The workloads are
//! written once over two small traits; `crossbeam` and `std_mpsc` at the bottom only say which
//! channels to make. Threads wait on a Barrier, so the clock starts when all of them are up.

use crate::work::*;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Instant;

/// A channel's sending end as the workloads use it; false: the receiver is gone.
pub trait Tx<T>: Clone + Send + 'static {
    fn put(&self, v: T) -> bool;
}

/// A channel's receiving end; None: every sender is gone.
pub trait Rx<T>: Send + 'static {
    fn take(&self) -> Option<T>;
}

/// Starts `f` on a new thread that first waits on `go` (the start line of the timed region).
fn spawn<T: Send + 'static>(go: &Arc<Barrier>, f: impl FnOnce() -> T + Send + 'static) -> thread::JoinHandle<T> {
    let go = Arc::clone(go);
    thread::spawn(move || {
        go.wait();
        f()
    })
}

fn joined<T>(h: thread::JoinHandle<T>) -> T {
    h.join().expect("an actor thread panicked")
}

/// One message bounced between the main thread (ping) and a pong thread, n round trips.
pub fn pingpong<S: Tx<u64>, R: Rx<u64>>(n: u64, mailbox: fn() -> (S, R)) -> Outcome {
    let (to_pong, pong_rx) = mailbox();
    let (to_ping, ping_rx) = mailbox();
    let go = Arc::new(Barrier::new(2));
    let pong = spawn(&go, move || {
        while let Some(v) = pong_rx.take() {
            if !to_ping.put(v + 1) {
                break;
            }
        }
    });
    go.wait();
    let t0 = Instant::now();
    let mut v = 0;
    for _ in 0..n {
        to_pong.put(v);
        v = ping_rx.take().expect("pong thread gone");
    }
    let seconds = t0.elapsed().as_secs_f64();
    drop(to_pong);
    joined(pong);
    Ok(Done { seconds, check: expect_eq("round trips", v, n)? })
}

/// A request and the channel its answer goes to.
pub struct Ask<S> {
    v: u64,
    reply: S,
}

/// The main thread asks a server thread n times; each reply must be the request + 1.
pub fn ask<S, R, RS, RR>(n: u64, mailbox: fn() -> (S, R), reply: fn() -> (RS, RR)) -> Outcome
where
    S: Tx<Ask<RS>>,
    R: Rx<Ask<RS>>,
    RS: Tx<u64>,
    RR: Rx<u64>,
{
    let (to_server, server_rx) = mailbox();
    let go = Arc::new(Barrier::new(2));
    let server = spawn(&go, move || {
        while let Some(a) = server_rx.take() {
            a.reply.put(a.v + 1);
        }
    });
    go.wait();
    let t0 = Instant::now();
    for v in 0..n {
        let (rs, rr) = reply();
        to_server.put(Ask { v, reply: rs });
        let got = rr.take().expect("server thread gone");
        if got != v + 1 {
            return Err(format!("ask {} answered {}, want {}", v, got, v + 1));
        }
    }
    let seconds = t0.elapsed().as_secs_f64();
    drop(to_server);
    joined(server);
    Ok(Done { seconds, check: format!("{} asks, each reply = request + 1", n) })
}

/// p producer threads send their share of n items to the main thread (the consumer).
pub fn fanin<S: Tx<Item>, R: Rx<Item>>(p: usize, n: u64, corrupt: bool, (tx, rx): (S, R)) -> Outcome {
    let go = Arc::new(Barrier::new(p + 1));
    let producers: Vec<_> = (0..p)
        .map(|i| {
            let tx = tx.clone();
            // A send fails only when the consumer stopped on a failed check: stop too.
            spawn(&go, move || (0..share(n, p, i)).all(|s| tx.put(Item::new(i, s, corrupt))))
        })
        .collect();
    drop(tx);
    let mut check = FaninCheck::new(p, n);
    go.wait();
    let t0 = Instant::now();
    for _ in 0..n {
        check.take(rx.take().expect("producers gone early"))?;
    }
    let seconds = t0.elapsed().as_secs_f64();
    producers.into_iter().for_each(|h| drop(joined(h)));
    Ok(Done { seconds, check: check.finish(p, n)? })
}

/// What an account actor is asked or told.
pub enum Account<S> {
    /// Debit if the balance covers it; answers 1 (OK) or 0 (INSUFFICIENT).
    Debit(i64, S),
    Credit(i64),
    /// Answers the balance (as u64 bits of the i64).
    Balance(S),
}

/// Two account threads (alice, bob) and `clients` client threads doing n transfers in all.
pub fn bank<S, R, RS, RR>(clients: usize, n: u64, mailbox: fn() -> (S, R), reply: fn() -> (RS, RR)) -> Outcome
where
    S: Tx<Account<RS>>,
    R: Rx<Account<RS>>,
    RS: Tx<u64>,
    RR: Rx<u64>,
{
    let go = Arc::new(Barrier::new(clients + 3));
    let mut accounts = Vec::new();
    let mut threads = Vec::new();
    for start in [ALICE, BOB] {
        let (tx, rx) = mailbox();
        accounts.push(tx);
        threads.push(spawn(&go, move || {
            let mut balance = start;
            while let Some(m) = rx.take() {
                match m {
                    Account::Debit(amount, r) => {
                        let ok = balance >= amount;
                        if ok {
                            balance -= amount;
                        }
                        r.put(u64::from(ok));
                    }
                    Account::Credit(amount) => balance += amount,
                    Account::Balance(r) => {
                        r.put(balance as u64);
                    }
                }
            }
        }));
    }
    let ask = |acct: &S, m: fn(RS) -> Account<RS>| -> u64 {
        let (rs, rr) = reply();
        acct.put(m(rs));
        rr.take().expect("account thread gone")
    };
    let workers: Vec<_> = (0..clients)
        .map(|c| {
            let accounts = accounts.clone();
            spawn(&go, move || {
                let mut gen = Transfers::new(c);
                let mut ok = 0;
                for _ in 0..share(n, clients, c) {
                    let (from, to, amount) = gen.next();
                    let (rs, rr) = reply();
                    accounts[from].put(Account::Debit(amount, rs));
                    if rr.take().expect("account thread gone") == 1 {
                        ok += 1;
                        accounts[to].put(Account::Credit(amount));
                    }
                }
                ok
            })
        })
        .collect();
    go.wait();
    let t0 = Instant::now();
    let total_ok: u64 = workers.into_iter().map(joined).sum();
    // A client's credits were sent before it finished; each account's channel is FIFO, so the
    // balance asks (sent after the joins) are answered after every credit is applied.
    let alice = ask(&accounts[0], Account::Balance) as i64;
    let bob = ask(&accounts[1], Account::Balance) as i64;
    let seconds = t0.elapsed().as_secs_f64();
    drop(accounts);
    threads.into_iter().for_each(joined);
    // Every debit was answered exactly once: OK ones counted, the rest INSUFFICIENT.
    Ok(Done { seconds, check: bank_check(alice, bob, total_ok, n - total_ok, n)? })
}

/// crossbeam-channel: bounded(CAP) / unbounded() mailboxes, bounded(1) per ask for the reply.
pub mod crossbeam {
    use super::*;
    use crossbeam_channel::{bounded, unbounded, Receiver, Sender};

    impl<T: Send + 'static> Tx<T> for Sender<T> {
        fn put(&self, v: T) -> bool {
            self.send(v).is_ok()
        }
    }
    impl<T: Send + 'static> Rx<T> for Receiver<T> {
        fn take(&self) -> Option<T> {
            self.recv().ok()
        }
    }

    pub fn run(w: Workload, n: u64, corrupt: bool) -> Option<Outcome> {
        Some(match w {
            Workload::PingPong => pingpong(n, || bounded(CAP)),
            Workload::Ask => ask(n, || bounded(CAP), || bounded(1)),
            Workload::Fanin { p, cap: Some(c) } => fanin(p, n, corrupt, bounded(c)),
            Workload::Fanin { p, cap: None } => fanin(p, n, corrupt, unbounded()),
            Workload::Bank { clients } => bank(clients, n, || bounded(CAP), || bounded(1)),
            Workload::Counting | Workload::ThreadRing { .. } => return None,
        })
    }
}

/// std::sync::mpsc, the plain baseline: sync_channel(CAP) / channel() mailboxes, sync_channel(1)
/// per ask for the reply.
pub mod std_mpsc {
    use super::*;
    use std::sync::mpsc::{channel, sync_channel, Receiver, Sender, SyncSender};

    impl<T: Send + 'static> Tx<T> for SyncSender<T> {
        fn put(&self, v: T) -> bool {
            self.send(v).is_ok()
        }
    }
    impl<T: Send + 'static> Tx<T> for Sender<T> {
        fn put(&self, v: T) -> bool {
            self.send(v).is_ok()
        }
    }
    impl<T: Send + 'static> Rx<T> for Receiver<T> {
        fn take(&self) -> Option<T> {
            self.recv().ok()
        }
    }

    pub fn run(w: Workload, n: u64, corrupt: bool) -> Option<Outcome> {
        Some(match w {
            Workload::PingPong => pingpong(n, || sync_channel(CAP)),
            Workload::Ask => ask(n, || sync_channel(CAP), || sync_channel(1)),
            Workload::Fanin { p, cap: Some(c) } => fanin(p, n, corrupt, sync_channel(c)),
            Workload::Fanin { p, cap: None } => fanin(p, n, corrupt, channel()),
            Workload::Bank { clients } => bank(clients, n, || sync_channel(CAP), || sync_channel(1)),
            Workload::Counting | Workload::ThreadRing { .. } => return None,
        })
    }
}
