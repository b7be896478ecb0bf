//! mailroom's Rust peer driver: tokio, crossbeam-channel and std::sync::mpsc running mailroom's
//! workloads with the same checks (bench/peers/README.md is the contract this implements).
//! `driver RUNTIME WORKLOAD N REPS [key=value ...]` prints one JSON line per repetition.

mod threads;
mod tokio_rt;
mod work;

use std::io::Write;
use std::process::exit;
use work::{Outcome, Workload};

const RUNTIMES: [&str; 3] = ["tokio", "crossbeam", "std_mpsc"];

/// Every case this driver runs, as `--list` prints it.
fn cases() -> Vec<String> {
    let mut v = Vec::new();
    for rt in RUNTIMES {
        v.push(format!("{} pingpong", rt));
        v.push(format!("{} ask", rt));
        for p in [1, 2, 4, 8] {
            for cap in ["1024", "none"] {
                v.push(format!("{} fanin P={} cap={}", rt, p, cap));
            }
        }
        v.push(format!("{} bank clients=4", rt));
        if rt == "tokio" {
            v.push(format!("{} savina_counting", rt));
            v.push(format!("{} savina_threadring actors=1000", rt));
        }
    }
    v
}

const HELP: &str = "usage: driver RUNTIME WORKLOAD N REPS [key=value ...] | driver --list | driver --help
  RUNTIME   tokio, crossbeam or std_mpsc
  WORKLOAD  pingpong, ask, fanin (P=<producers> cap=<capacity>|none), bank (clients=<n>),
            savina_counting, savina_threadring (actors=<n>) (the savina ones: tokio only)
  N         items per repetition (round trips, asks, messages, transfers, hops), >= 1
  REPS      repetitions, >= 1; one JSON line per repetition on stdout
  --list    the cases this driver runs, one per line: RUNTIME WORKLOAD [key=value ...]
Environment: MAILROOM_PEER_CORRUPT=fanin corrupts one fan-in payload (to see the check fail).
A failed check prints its line with \"ok\":false and exits 1; a bad argument exits 2.";

fn bad(msg: String) -> ! {
    eprintln!("driver: {} (try --help)", msg);
    exit(2)
}

fn count(what: &str, s: &str) -> u64 {
    match s.parse::<u64>() {
        Ok(v) if v >= 1 => v,
        _ => bad(format!("{} '{}' is not a whole number >= 1", what, s)),
    }
}

/// The workload and its params string (k:v joined by '/', in --list order) from the arguments.
fn workload(name: &str, args: &[String]) -> (Workload, String) {
    let keys: &[&str] = match name {
        "pingpong" | "ask" | "savina_counting" => &[],
        "fanin" => &["P", "cap"],
        "bank" => &["clients"],
        "savina_threadring" => &["actors"],
        _ => bad(format!("unknown workload '{}'", name)),
    };
    let mut vals = vec![None; keys.len()];
    for a in args {
        let (k, v) = a.split_once('=').unwrap_or_else(|| bad(format!("argument '{}' is not key=value", a)));
        let i = keys.iter().position(|&x| x == k).unwrap_or_else(|| bad(format!("{} takes no key '{}'", name, k)));
        if vals[i].replace(v).is_some() {
            bad(format!("key '{}' given twice", k));
        }
    }
    let get = |i: usize| vals[i].unwrap_or_else(|| bad(format!("{} needs {}=", name, keys[i])));
    let params = (0..keys.len()).map(|i| format!("{}:{}", keys[i], get(i))).collect::<Vec<_>>().join("/");
    let w = match name {
        "pingpong" => Workload::PingPong,
        "ask" => Workload::Ask,
        "savina_counting" => Workload::Counting,
        "fanin" => {
            let cap = match get(1) {
                "none" => None,
                c => Some(count("cap", c) as usize),
            };
            Workload::Fanin { p: count("P", get(0)).min(1024) as usize, cap }
        }
        "bank" => Workload::Bank { clients: count("clients", get(0)) as usize },
        _ => Workload::ThreadRing { actors: count("actors", get(0)).max(2) as usize },
    };
    (w, params)
}

fn json_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out + "\""
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("--help") | Some("-h") => return println!("{}", HELP),
        Some("--list") if args.len() == 1 => return cases().iter().for_each(|c| println!("{}", c)),
        _ if args.len() < 4 => bad(format!("expected RUNTIME WORKLOAD N REPS, got {} argument(s)", args.len())),
        _ => {}
    }
    let rt = args[0].as_str();
    if !RUNTIMES.contains(&rt) {
        bad(format!("unknown runtime '{}'", rt));
    }
    let (w, params) = workload(&args[1], &args[4..]);
    let (n, reps) = (count("N", &args[2]), count("REPS", &args[3]));
    let corrupt = match std::env::var("MAILROOM_PEER_CORRUPT").as_deref() {
        Ok("fanin") => true,
        Ok("") | Err(_) => false,
        Ok(v) => bad(format!("MAILROOM_PEER_CORRUPT '{}' is not 'fanin'", v)),
    };
    let tokio = (rt == "tokio").then(tokio_rt::runtime);
    for rep in 0..reps {
        let out: Outcome = match rt {
            "tokio" => tokio_rt::run(tokio.as_ref().unwrap(), w, n, corrupt),
            "crossbeam" => threads::crossbeam::run(w, n, corrupt).unwrap_or_else(|| bad(format!("{} does not run {}", rt, args[1]))),
            _ => threads::std_mpsc::run(w, n, corrupt).unwrap_or_else(|| bad(format!("{} does not run {}", rt, args[1]))),
        };
        let head = format!("{{\"runtime\":\"{}\",\"workload\":\"{}\",\"params\":\"{}\",\"rep\":{},\"items\":{}", rt, args[1], params, rep, n);
        let line = match &out {
            Ok(d) => format!("{},\"seconds\":{:e},\"ok\":true,\"check\":{}}}", head, d.seconds, json_str(&d.check)),
            Err(e) => format!("{},\"ok\":false,\"error\":{}}}", head, json_str(e)),
        };
        let mut so = std::io::stdout().lock();
        writeln!(so, "{}", line).and_then(|_| so.flush()).expect("stdout");
        if out.is_err() {
            exit(1);
        }
    }
}
