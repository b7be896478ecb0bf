//! What every runtime shares: the workloads and their parameters, the seeded generator, and the
//! result checks (written once here so tokio and the thread runtimes check exactly alike).

/// One workload with its parameters, as `--list` names them (README.md: the contract).
#[derive(Clone, Copy, Debug)]
pub enum Workload {
    PingPong,
    Ask,
    Fanin { p: usize, cap: Option<usize> },
    Bank { clients: usize },
    Counting,
    ThreadRing { actors: usize },
}

/// Mailbox capacity of every actor whose channel the contract does not make a parameter.
pub const CAP: usize = 1024;

/// A finished repetition: its timed seconds and a line saying what was checked.
pub struct Done {
    pub seconds: f64,
    pub check: String,
}

/// Err: the failed check, naming both values.
pub type Outcome = Result<Done, String>;

/// splitmix64 (Steele, Lea, Flood 2014): the payload mix and the bank clients' generator.
pub fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The share of `n` items that worker `i` of `k` does (the first n % k do one more).
pub fn share(n: u64, k: usize, i: usize) -> u64 {
    n / k as u64 + u64::from((i as u64) < n % k as u64)
}

// ---- fanin ------------------------------------------------------------------------------
/// One fan-in message: producer id, its sequence number, and a payload mixed from both.
#[derive(Clone, Copy, Debug)]
pub struct Item {
    pub id: u32,
    pub seq: u64,
    pub val: u64,
}

impl Item {
    /// Producer `id`'s message `seq`; with `corrupt` (MAILROOM_PEER_CORRUPT=fanin) the first
    /// message of producer 0 carries a wrong payload, so the check is shown to fail.
    pub fn new(id: usize, seq: u64, corrupt: bool) -> Item {
        let val = mix64(((id as u64) << 40) ^ seq);
        let bad = corrupt && id == 0 && seq == 0;
        Item { id: id as u32, seq, val: val.wrapping_add(u64::from(bad)) }
    }
}

/// The consumer's oracle: per-producer FIFO (seq strictly +1), exact count and payload sum.
pub struct FaninCheck {
    next: Vec<u64>,
    count: u64,
    sum: u64,
    want_sum: u64,
}

impl FaninCheck {
    /// Made before the clock starts: the expected sum is computed here, not in the timed region.
    pub fn new(p: usize, n: u64) -> FaninCheck {
        let want_sum = (0..p)
            .flat_map(|i| (0..share(n, p, i)).map(move |s| Item::new(i, s, false).val))
            .fold(0, u64::wrapping_add);
        FaninCheck { next: vec![0; p], count: 0, sum: 0, want_sum }
    }

    pub fn take(&mut self, m: Item) -> Result<(), String> {
        let want = self.next[m.id as usize];
        if m.seq != want {
            return Err(format!("producer {} sent seq {} where {} was due", m.id, m.seq, want));
        }
        self.next[m.id as usize] = want + 1;
        self.count += 1;
        self.sum = self.sum.wrapping_add(m.val);
        Ok(())
    }

    /// Called once `n` messages arrived; compares the sum with what the producers sent.
    pub fn finish(&self, p: usize, n: u64) -> Result<String, String> {
        let want = self.want_sum;
        if self.count != n || self.sum != want {
            return Err(format!("received {} messages with sum {:#x}, want {} with sum {:#x}", self.count, self.sum, n, want));
        }
        Ok(format!("{} producers in order, {} messages, sum {:#x}", p, n, want))
    }
}

// ---- bank -------------------------------------------------------------------------------
pub const ALICE: i64 = 1000;
pub const BOB: i64 = 500;

/// A bank client's transfers: from/to/amount from splitmix64 seeded by the client's index.
pub struct Transfers(u64);

impl Transfers {
    pub fn new(client: usize) -> Transfers {
        Transfers(0x6d61_696c_726f_6f6d ^ client as u64) // "mailroom"
    }

    /// (from, to, amount): accounts 0 = alice, 1 = bob; amount 1..=100.
    pub fn next(&mut self) -> (usize, usize, i64) {
        self.0 = self.0.wrapping_add(1);
        let r = mix64(self.0);
        let from = (r & 1) as usize;
        (from, 1 - from, 1 + ((r >> 8) % 100) as i64)
    }
}

/// Conservation at the end: alice + bob == 1500, both >= 0, every transfer answered.
pub fn bank_check(alice: i64, bob: i64, ok: u64, insufficient: u64, n: u64) -> Result<String, String> {
    if alice + bob != ALICE + BOB || alice < 0 || bob < 0 {
        return Err(format!("balances alice {} + bob {} = {}, want {} with both >= 0", alice, bob, alice + bob, ALICE + BOB));
    }
    if ok + insufficient != n {
        return Err(format!("{} ok + {} insufficient answers = {}, want {}", ok, insufficient, ok + insufficient, n));
    }
    Ok(format!("alice {} + bob {} = {}, {} ok + {} insufficient = {}", alice, bob, ALICE + BOB, ok, insufficient, n))
}

/// Equality check naming both values.
pub fn expect_eq(what: &str, got: u64, want: u64) -> Result<String, String> {
    if got == want {
        Ok(format!("{} {}", what, got))
    } else {
        Err(format!("{} {}, want {}", what, got, want))
    }
}
