//! The soak's short version for CI: the same mixed load as `benches/soak.sh` (hash and image
//! lookups, report intake, page views), for tens of seconds on a 20k-hash bank, on every
//! backend. It asserts no errors and that every route was exercised; latency and memory are
//! printed only (this machine's speed is no claim).

#[path = "../../benches/support/mod.rs"]
mod bench_support;

use std::time::{Duration, Instant};

use bench_support::harness::ServerProcess;
use bench_support::soak::{self, ROUTES, SoakOptions, least_squares_slope};

use lindung::hotline::entities::submission;
use sea_orm::{EntityTrait, PaginatorTrait};

use crate::support;

#[test]
fn the_slope_is_that_of_the_least_squares_line() {
    // Points on y = 2x + 1 have slope 2; with noise symmetric about the line (+1, -1, +1, -1
    // at x = 0..3) the fitted slope is 2 - 0.4, from the normal equations by hand:
    // Σ(x - 1.5)(e) = (-1.5)(1) + (-0.5)(-1) + (0.5)(1) + (1.5)(-1) = -2, Σ(x - 1.5)² = 5.
    let exact: Vec<(f64, f64)> = (0..5).map(|x| (x as f64, 2.0 * x as f64 + 1.0)).collect();
    assert_eq!(least_squares_slope(&exact), Some(2.0));
    let noisy = [(0.0, 2.0), (1.0, 2.0), (2.0, 6.0), (3.0, 6.0)];
    let slope = least_squares_slope(&noisy).expect("slope");
    assert!((slope - 1.6).abs() < 1e-12, "{slope}");
    assert_eq!(least_squares_slope(&[(1.0, 5.0)]), None);
    assert_eq!(least_squares_slope(&[(1.0, 5.0), (1.0, 6.0)]), None);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_short_soak_of_mixed_load_has_no_errors() {
    for t in support::stores("soak").await {
        let seeded = soak::seed(&t.store, 20_000).await;
        // SQLite gets the longer run: it is the default, and the one whose writers contend.
        let seconds = if t.name == "sqlite" { 45 } else { 20 };
        let options = SoakOptions {
            duration: Duration::from_secs(seconds),
            clients: 4,
            rate: 150.0,
            reports_per_second: 4.0,
            report_every: Duration::from_secs(5),
            warmup: Duration::from_secs(10),
        };
        let log = t.location.data_dir.join("soak-server.log");
        let started = Instant::now();
        let outcome = tokio::task::block_in_place(|| {
            let mut server = ServerProcess::start(&t.location, &soak::server_env(), Some(&log));
            let outcome = soak::run(&mut server, &seeded, bench_support::bridge_jpeg(), &options);
            server.stop();
            outcome
        });
        support::note(&format!(
            "soak on {} ({:.0} s in all):",
            t.name,
            started.elapsed().as_secs_f64()
        ));
        outcome.print_summary();
        let server_log = std::fs::read_to_string(&log).unwrap_or_default();
        assert_eq!(
            outcome.total_errors(),
            0,
            "{}: errors {:?}, first: {:#?}, server exit: {:?}\nserver log:\n{server_log}",
            t.name,
            outcome.errors,
            outcome.shown_errors,
            outcome.server_exit
        );
        // A panic in a task behind the routes changes no answer: the log must show none.
        assert!(
            !server_log.contains("panicked") && !server_log.contains(" ERROR "),
            "{}: the server logged a fault:\n{server_log}",
            t.name
        );
        // Every report acknowledged (201, or the run would have errors) was stored.
        let stored = submission::Entity::find()
            .count(t.store.db())
            .await
            .expect("count");
        assert_eq!(
            stored,
            outcome.counts[soak::Route::ReportIntake as usize] as u64,
            "{}: reports stored vs acknowledged",
            t.name
        );
        for route in ROUTES {
            assert!(
                outcome.counts[route as usize] > 0,
                "{}: {} was never requested",
                t.name,
                route.name()
            );
        }
    }
}
