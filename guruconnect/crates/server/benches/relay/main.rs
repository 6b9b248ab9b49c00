//! Relay benchmark: agent → server → viewers over loopback WebSockets, beside raw loopback TCP
//! measured in the same run, plus the slow-viewer case. Prints Markdown tables for BENCHMARKS.md.
//!
//! `cargo bench -p guruconnect-server --bench relay [-- --runs N --secs S]` runs the full table;
//! `-- --idle N` instead holds N idle agents and prints the memory each costs.
//! `cargo test` runs this binary too (without `--bench`): a short smoke pass that checks frames
//! flow and a slow viewer stays bounded, so the benchmark cannot silently rot.

mod idle;
mod measure;
mod relay;
mod tcp;

use guruconnect_testkit::TestApp;
use measure::{median, min};
use relay::{Case, Outcome};
use std::time::Duration;

const KB: usize = 1024;

struct Plan {
    sizes: Vec<usize>,
    viewer_counts: Vec<usize>,
    slow_size: usize,
    runs: usize,
    duration: Duration,
    smoke: bool,
    /// Only measure this many idle agents held.
    idle: Option<usize>,
}

impl Plan {
    fn from_args() -> Self {
        let args: Vec<String> = std::env::args().collect();
        if !args.iter().any(|a| a == "--bench") {
            return Self {
                sizes: vec![16 * KB, 256 * KB],
                viewer_counts: vec![1, 4],
                slow_size: 64 * KB,
                runs: 1,
                duration: Duration::from_millis(200),
                smoke: true,
                idle: None,
            };
        }
        let value = |flag: &str| {
            args.iter()
                .position(|a| a == flag)
                .and_then(|i| args.get(i + 1))
                .map(|v| {
                    v.parse::<f64>()
                        .unwrap_or_else(|_| panic!("{flag} takes a number"))
                })
        };
        Self {
            sizes: vec![16 * KB, 64 * KB, 256 * KB, 1024 * KB],
            viewer_counts: vec![1, 4, 16],
            slow_size: 256 * KB,
            runs: value("--runs").map_or(3, |r| r.max(1.0) as usize),
            duration: Duration::from_secs_f64(value("--secs").unwrap_or(1.0)),
            smoke: false,
            idle: value("--idle").map(|n| n.max(1.0) as usize),
        }
    }
}

/// Medians over runs for one (size, viewers) cell.
#[derive(Default)]
struct Cell {
    raw: Vec<f64>,
    forwarded: Vec<f64>,
    relay_median: Vec<f64>,
    relay_min: Vec<f64>,
    delivered: Vec<f64>,
}

fn main() {
    let plan = Plan::from_args();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run(plan));
}

async fn run(plan: Plan) {
    let app = TestApp::spawn().await;
    if let Some(count) = plan.idle {
        let held = idle::held(&app, count).await;
        println!("\nIdle agents held (process RSS growth; test agents use 4 KiB socket buffers)\n");
        println!("| agents | connected in | RSS per agent |");
        println!("|---:|---:|---:|");
        println!(
            "| {} | {:.1} s | {:.1} KiB |",
            held.agents,
            held.connect_time.as_secs_f64(),
            held.kib_per_agent
        );
        return;
    }
    let mut cells: Vec<((usize, usize), Cell)> = Vec::new();
    for &size in &plan.sizes {
        for &viewers in &plan.viewer_counts {
            cells.push(((size, viewers), Cell::default()));
        }
    }
    let mut slow_runs = Vec::new();
    let mut case_no = 0;
    // Runs are interleaved (raw, relay, next cell…) so machine noise hits both sides alike.
    for _ in 0..plan.runs {
        for ((size, viewers), cell) in &mut cells {
            let raw = tcp::per_reader_goodput(*size, *viewers, plan.duration).await;
            let forwarded = tcp::forwarded_goodput(*size, *viewers, plan.duration).await;
            case_no += 1;
            let case = Case {
                size: *size,
                fast_viewers: *viewers,
                slow_viewers: 0,
                duration: plan.duration,
            };
            let outcome = relay::run(&app, &format!("bench-{case_no}"), case).await;
            if plan.smoke {
                assert_frames_flowed(&outcome, case);
            }
            cell.raw.push(median(&raw));
            cell.forwarded.push(median(&forwarded));
            cell.relay_median.push(median(&outcome.fast));
            cell.relay_min.push(min(&outcome.fast));
            cell.delivered.push(outcome.fast_delivered);
        }
        case_no += 2;
        slow_runs.push(slow_viewer_pair(&app, &plan, case_no).await);
    }
    print_relay_table(&plan, &cells);
    print_slow_table(&plan, &slow_runs);
}

/// The same 4-viewer case with and without one of them reading slowly.
async fn slow_viewer_pair(app: &TestApp, plan: &Plan, case_no: usize) -> (Outcome, Outcome) {
    let case = |slow_viewers| Case {
        size: plan.slow_size,
        fast_viewers: 3,
        slow_viewers,
        duration: plan.duration,
    };
    let alone = relay::run(app, &format!("bench-{case_no}a"), case(0)).await;
    let with_slow = relay::run(app, &format!("bench-{case_no}b"), case(1)).await;
    if plan.smoke {
        assert_frames_flowed(&with_slow, case(1));
        let cap = app.config.limits.viewer_queue_bytes + plan.slow_size * 2;
        assert!(
            with_slow.peak_queued_bytes <= cap,
            "slow viewer queued {} bytes, cap {cap}",
            with_slow.peak_queued_bytes
        );
    }
    (alone, with_slow)
}

/// Smoke-mode check: the pipeline delivered frames to every fast viewer.
fn assert_frames_flowed(outcome: &Outcome, case: Case) {
    assert!(outcome.sent > 0, "agent sent nothing: {case:?}");
    assert!(
        outcome.fast.iter().all(|rate| *rate > 0.0),
        "a fast viewer received nothing: {case:?} {outcome:?}"
    );
}

fn print_relay_table(plan: &Plan, cells: &[((usize, usize), Cell)]) {
    println!(
        "\nRelay throughput, MB/s (10^6 B) per viewer, medians of {} run(s) of {:.1} s each\n",
        plan.runs,
        plan.duration.as_secs_f64()
    );
    println!("| frame | viewers | raw TCP, 1 hop | raw TCP forwarder, 2 hops | relay (median viewer) | relay (slowest viewer) | relay / 1 hop | relay / forwarder | frames delivered |");
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for ((size, viewers), cell) in cells {
        let raw = median(&cell.raw);
        let forwarded = median(&cell.forwarded);
        let relay = median(&cell.relay_median);
        println!(
            "| {} KB | {viewers} | {raw:.0} | {forwarded:.0} | {relay:.0} | {:.0} | {:.2} | {:.2} | {:.0} % |",
            size / KB,
            median(&cell.relay_min),
            relay / raw.max(f64::MIN_POSITIVE),
            relay / forwarded.max(f64::MIN_POSITIVE),
            median(&cell.delivered) * 100.0
        );
    }
}

fn print_slow_table(plan: &Plan, runs: &[(Outcome, Outcome)]) {
    let pick =
        |f: &dyn Fn(&(Outcome, Outcome)) -> f64| median(&runs.iter().map(f).collect::<Vec<_>>());
    let alone = pick(&|(a, _)| median(&a.fast));
    let with_slow = pick(&|(_, b)| median(&b.fast));
    let slow = pick(&|(_, b)| median(&b.slow));
    let peak = pick(&|(_, b)| b.peak_queued_bytes as f64);
    let dropped = pick(&|(_, b)| b.dropped_frames as f64);
    println!(
        "\nSlow viewer: {} KB frames, 3 fast viewers, with and without a 4th reading one frame per 50 ms\n",
        plan.slow_size / KB
    );
    println!("| fast viewers alone | fast viewers beside a slow one | ratio | slow viewer | peak bytes queued for one viewer | frames dropped for the slow viewer |");
    println!("|---:|---:|---:|---:|---:|---:|");
    println!(
        "| {alone:.0} MB/s | {with_slow:.0} MB/s | {:.2} | {slow:.1} MB/s | {:.1} MiB | {dropped:.0} |",
        with_slow / alone.max(f64::MIN_POSITIVE),
        peak / (1024.0 * 1024.0)
    );
}
