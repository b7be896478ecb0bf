//! tokio: a multi-thread runtime with one worker per CPU, a task per actor, mpsc::channel(CAP)
//! mailboxes (unbounded_channel for fanin cap=none), a oneshot per ask. Passive actors (servers,
//! consumer, accounts, the ring) are spawned before the clock starts; the tasks that start the
//! work (pinger, producers, clients, counting's producer) are spawned inside the timed region,
//! which costs about a microsecond each.

use crate::work::*;
use std::time::Instant;
use tokio::runtime::Runtime;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

pub fn runtime() -> Runtime {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .build()
        .expect("tokio runtime")
}

pub fn run(rt: &Runtime, w: Workload, n: u64, corrupt: bool) -> Outcome {
    rt.block_on(async move {
        match w {
            Workload::PingPong => pingpong(n).await,
            Workload::Ask => ask(n).await,
            Workload::Fanin { p, cap } => fanin(p, cap, n, corrupt).await,
            Workload::Bank { clients } => bank(clients, n).await,
            Workload::Counting => counting(n).await,
            Workload::ThreadRing { actors } => threadring(actors, n).await,
        }
    })
}

async fn joined<T>(h: JoinHandle<T>) -> T {
    h.await.expect("an actor task panicked")
}

async fn pingpong(n: u64) -> Outcome {
    let (to_pong, mut pong_rx) = mpsc::channel::<u64>(CAP);
    let (to_ping, mut ping_rx) = mpsc::channel::<u64>(CAP);
    let pong = tokio::spawn(async move {
        while let Some(v) = pong_rx.recv().await {
            if to_ping.send(v + 1).await.is_err() {
                break;
            }
        }
    });
    let t0 = Instant::now();
    let ping = tokio::spawn(async move {
        let mut v = 0;
        for _ in 0..n {
            to_pong.send(v).await.expect("pong task gone");
            v = ping_rx.recv().await.expect("pong task gone");
        }
        v
    });
    let v = joined(ping).await;
    let seconds = t0.elapsed().as_secs_f64();
    joined(pong).await;
    Ok(Done { seconds, check: expect_eq("round trips", v, n)? })
}

async fn ask(n: u64) -> Outcome {
    let (to_server, mut server_rx) = mpsc::channel::<(u64, oneshot::Sender<u64>)>(CAP);
    let server = tokio::spawn(async move {
        while let Some((v, reply)) = server_rx.recv().await {
            let _ = reply.send(v + 1);
        }
    });
    let t0 = Instant::now();
    let client = tokio::spawn(async move {
        for v in 0..n {
            let (rs, rr) = oneshot::channel();
            to_server.send((v, rs)).await.expect("server task gone");
            let got = rr.await.expect("server task gone");
            if got != v + 1 {
                return Err(format!("ask {} answered {}, want {}", v, got, v + 1));
            }
        }
        Ok(())
    });
    joined(client).await?;
    let seconds = t0.elapsed().as_secs_f64();
    joined(server).await;
    Ok(Done { seconds, check: format!("{} asks, each reply = request + 1", n) })
}

/// A fan-in mailbox, bounded or not: tokio's two mpsc flavours differ in type.
#[derive(Clone)]
enum FaninTx {
    Bounded(mpsc::Sender<Item>),
    Unbounded(mpsc::UnboundedSender<Item>),
}

enum FaninRx {
    Bounded(mpsc::Receiver<Item>),
    Unbounded(mpsc::UnboundedReceiver<Item>),
}

impl FaninTx {
    async fn send(&self, m: Item) -> bool {
        match self {
            FaninTx::Bounded(tx) => tx.send(m).await.is_ok(),
            FaninTx::Unbounded(tx) => tx.send(m).is_ok(),
        }
    }
}

impl FaninRx {
    async fn recv(&mut self) -> Option<Item> {
        match self {
            FaninRx::Bounded(rx) => rx.recv().await,
            FaninRx::Unbounded(rx) => rx.recv().await,
        }
    }
}

async fn fanin(p: usize, cap: Option<usize>, n: u64, corrupt: bool) -> Outcome {
    let (tx, mut rx) = match cap {
        Some(c) => {
            let (tx, rx) = mpsc::channel(c);
            (FaninTx::Bounded(tx), FaninRx::Bounded(rx))
        }
        None => {
            let (tx, rx) = mpsc::unbounded_channel();
            (FaninTx::Unbounded(tx), FaninRx::Unbounded(rx))
        }
    };
    let consumer = tokio::spawn(async move {
        let mut check = FaninCheck::new(p, n);
        for _ in 0..n {
            check.take(rx.recv().await.ok_or("producers gone early")?)?;
        }
        check.finish(p, n)
    });
    let t0 = Instant::now();
    for i in 0..p {
        let tx = tx.clone();
        // A send fails only when the consumer stopped on a failed check: stop too.
        tokio::spawn(async move {
            for s in 0..share(n, p, i) {
                if !tx.send(Item::new(i, s, corrupt)).await {
                    break;
                }
            }
        });
    }
    drop(tx);
    let check = joined(consumer).await?;
    Ok(Done { seconds: t0.elapsed().as_secs_f64(), check })
}

#[derive(Debug)]
enum Account {
    /// Debit if the balance covers it; answers true (OK) or false (INSUFFICIENT).
    Debit(i64, oneshot::Sender<bool>),
    Credit(i64),
    Balance(oneshot::Sender<i64>),
}

async fn bank(clients: usize, n: u64) -> Outcome {
    let mut accounts = Vec::new();
    let mut tasks = Vec::new();
    for start in [ALICE, BOB] {
        let (tx, mut rx) = mpsc::channel(CAP);
        accounts.push(tx);
        tasks.push(tokio::spawn(async move {
            let mut balance = start;
            while let Some(m) = rx.recv().await {
                match m {
                    Account::Debit(amount, r) => {
                        let ok = balance >= amount;
                        if ok {
                            balance -= amount;
                        }
                        let _ = r.send(ok);
                    }
                    Account::Credit(amount) => balance += amount,
                    Account::Balance(r) => {
                        let _ = r.send(balance);
                    }
                }
            }
        }));
    }
    let t0 = Instant::now();
    let workers: Vec<_> = (0..clients)
        .map(|c| {
            let accounts = accounts.clone();
            tokio::spawn(async move {
                let mut gen = Transfers::new(c);
                let mut ok = 0;
                for _ in 0..share(n, clients, c) {
                    let (from, to, amount) = gen.next();
                    let (rs, rr) = oneshot::channel();
                    accounts[from].send(Account::Debit(amount, rs)).await.expect("account gone");
                    if rr.await.expect("account gone") {
                        ok += 1;
                        accounts[to].send(Account::Credit(amount)).await.expect("account gone");
                    }
                }
                ok
            })
        })
        .collect();
    let mut total_ok = 0;
    for w in workers {
        total_ok += joined(w).await;
    }
    // Credits were sent before their client finished and each mailbox is FIFO: the balance
    // asks below are answered after every credit is applied.
    let mut balance = [0; 2];
    for (b, acct) in balance.iter_mut().zip(&accounts) {
        let (rs, rr) = oneshot::channel();
        acct.send(Account::Balance(rs)).await.expect("account gone");
        *b = rr.await.expect("account gone");
    }
    let seconds = t0.elapsed().as_secs_f64();
    drop(accounts);
    for t in tasks {
        joined(t).await;
    }
    Ok(Done { seconds, check: bank_check(balance[0], balance[1], total_ok, n - total_ok, n)? })
}

#[derive(Debug)]
enum Count {
    Inc,
    Get(oneshot::Sender<u64>),
}

/// Savina counting: a producer task sends n increments to a counter task, then asks the count.
async fn counting(n: u64) -> Outcome {
    let (tx, mut rx) = mpsc::channel(CAP);
    let counter = tokio::spawn(async move {
        let mut count = 0u64;
        while let Some(m) = rx.recv().await {
            match m {
                Count::Inc => count += 1,
                Count::Get(r) => {
                    let _ = r.send(count);
                }
            }
        }
    });
    let t0 = Instant::now();
    let producer = tokio::spawn(async move {
        for _ in 0..n {
            tx.send(Count::Inc).await.expect("counter gone");
        }
        let (rs, rr) = oneshot::channel();
        tx.send(Count::Get(rs)).await.expect("counter gone");
        rr.await.expect("counter gone")
    });
    let count = joined(producer).await;
    let seconds = t0.elapsed().as_secs_f64();
    joined(counter).await;
    Ok(Done { seconds, check: expect_eq("count", count, n)? })
}

#[derive(Debug)]
enum Token {
    /// Hops still to go and hops made so far.
    Pass(u64, u64),
    Stop,
}

/// Savina threadring: `actors` tasks in a ring pass a token n hops; the task that receives
/// the last hop reports (its index, hops made).
async fn threadring(actors: usize, n: u64) -> Outcome {
    let (done_tx, mut done_rx) = mpsc::channel::<(usize, u64)>(1);
    let (txs, rxs): (Vec<_>, Vec<_>) = (0..actors).map(|_| mpsc::channel::<Token>(CAP)).unzip();
    let mut ring = Vec::new();
    for (i, mut rx) in rxs.into_iter().enumerate() {
        let next = txs[(i + 1) % actors].clone();
        let done = done_tx.clone();
        ring.push(tokio::spawn(async move {
            while let Some(t) = rx.recv().await {
                match t {
                    Token::Pass(0, hops) => done.send((i, hops)).await.expect("main gone"),
                    Token::Pass(left, hops) => {
                        let _ = next.send(Token::Pass(left - 1, hops + 1)).await;
                    }
                    Token::Stop => {
                        let _ = next.send(Token::Stop).await; // the last one finds actor 0 gone
                        break;
                    }
                }
            }
        }));
    }
    let t0 = Instant::now();
    txs[0].send(Token::Pass(n, 0)).await.expect("ring gone");
    let (at, hops) = done_rx.recv().await.expect("ring gone");
    let seconds = t0.elapsed().as_secs_f64();
    txs[0].send(Token::Stop).await.expect("ring gone");
    drop(txs);
    for t in ring {
        joined(t).await;
    }
    let want_at = (n % actors as u64) as usize;
    if at != want_at {
        return Err(format!("the last hop reached actor {}, want {}", at, want_at));
    }
    Ok(Done { seconds, check: format!("{} ({} actors, ended at actor {})", expect_eq("hops", hops, n)?, actors, at) })
}
