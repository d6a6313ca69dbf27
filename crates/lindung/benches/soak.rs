//! Soak: a real `lindung serve` under mixed load for a long time (hash and image lookups,
//! report intake, page views), printing every `--report-every` seconds the requests, errors and
//! the server's RSS, and at the end p50/p99 per route and the RSS slope after warm-up. Exits
//! with status 1 if there was any error. See support/soak.rs for what counts as one.
//!
//! `benches/soak.sh` runs it for 30 minutes against 1M hashes. Without arguments (as
//! `cargo test --all-targets` runs it) it does a 10-second pass on 20k hashes.
//!
//! Options: --minutes M, --size N (hashes in the bank), --clients N (lookup and page threads),
//! --rate R (their requests/s in all; 0 = as fast as possible), --reports-per-second R,
//! --report-every SECONDS, --warmup SECONDS (default a sixth of the run), --database-url URL
//! (an empty PostgreSQL database instead of SQLite).

#[path = "support/mod.rs"]
mod support;

use std::time::Duration;

use lindung::store::{Store, StoreLocation};
use support::harness::ServerProcess;
use support::soak::{self, SoakOptions};

struct Options {
    soak: SoakOptions,
    size: usize,
    database_url: Option<String>,
}

fn options() -> Options {
    let mut minutes = 10.0 / 60.0;
    let mut warmup = None;
    let mut o = Options {
        soak: SoakOptions {
            duration: Duration::ZERO,
            clients: 8,
            rate: 200.0,
            reports_per_second: 1.0,
            report_every: Duration::from_secs(60),
            warmup: Duration::ZERO,
        },
        size: 20_000,
        database_url: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |what: &str| -> f64 {
            let v = args.next().unwrap_or_default();
            v.parse()
                .unwrap_or_else(|_| panic!("{arg} expects {what}, not {v:?}"))
        };
        match arg.as_str() {
            "--minutes" => minutes = value("a number of minutes"),
            "--size" => o.size = value("a number of hashes") as usize,
            "--clients" => o.soak.clients = value("a number of threads") as usize,
            "--rate" => o.soak.rate = value("requests per second"),
            "--reports-per-second" => o.soak.reports_per_second = value("reports per second"),
            "--report-every" => {
                o.soak.report_every = Duration::from_secs_f64(value("seconds").max(1.0))
            }
            "--warmup" => warmup = Some(Duration::from_secs_f64(value("seconds"))),
            "--database-url" => o.database_url = args.next(),
            // `cargo bench` adds --bench, and `cargo test -- FILTER` passes its filter and
            // options to every target: ignored, but said, so a mistyped option is seen.
            "--bench" => {}
            other => eprintln!("soak: ignoring the argument {other:?}"),
        }
    }
    o.soak.duration = Duration::from_secs_f64(minutes * 60.0);
    o.soak.warmup = warmup.unwrap_or(o.soak.duration / 6);
    o
}

fn main() {
    let o = options();
    let dir = tempfile::tempdir().expect("tempdir");
    let location = StoreLocation::new(dir.path(), o.database_url.clone());
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let seeded = runtime.block_on(async {
        let store = Store::open(&location).await.expect("store");
        soak::seed(&store, o.size).await
    });
    drop(runtime);
    let log = dir.path().join("server.log");
    let mut server = ServerProcess::start(&location, &soak::server_env(), Some(&log));
    println!(
        "soak: {} hashes on {}, index ready in {:.1} s; {} clients at {} requests/s, {} reports/s, {:.1} minutes",
        o.size,
        if o.database_url.is_some() {
            "PostgreSQL"
        } else {
            "SQLite"
        },
        server.ready_s,
        o.soak.clients,
        if o.soak.rate > 0.0 {
            o.soak.rate.to_string()
        } else {
            "max".to_owned()
        },
        o.soak.reports_per_second,
        o.soak.duration.as_secs_f64() / 60.0
    );
    println!("{}", soak::legend());
    let outcome = soak::run(&mut server, &seeded, support::bridge_jpeg(), &o.soak);
    server.stop();
    outcome.print_summary();
    // The server's warnings and errors, which say why a request failed.
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    println!("server log: {} lines", lines.len());
    for line in lines.iter().take(20) {
        println!("  {line}");
    }
    if outcome.total_errors() > 0 {
        std::process::exit(1);
    }
}
