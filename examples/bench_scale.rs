//! The reading benchmark: databases of 10,000, 100,000 and 1,000,000 model
//! versions of the standard blueprints, built through the engine (NORMAL
//! durability, a thousand actions a group commit) with a spread of steps and
//! sign-off states (a tenth waiting for feedback, a tenth approved), then the
//! p50 and p99 of each list a user reads, in-process and over HTTP (a page
//! of 100; a fifth of the versions are high-risk, the rows of the standard
//! `high_risk` table), the time of `audit verify`, the database's size per item, and
//! the peak memory of the reads (in-process and the daemon's, which runs in
//! this process) and of `audit verify` (which reads the whole chain). One line per size, then the growth of each
//! request from the smallest size to the largest (1 is flat; linear would
//! be 100).
//!
//! ```text
//! cargo run --profile release-lto --example bench_scale                          # 10k, 100k, 1M
//! cargo run --profile release-lto --example bench_scale -- --sizes 10000,100000
//! ```

#![allow(
    clippy::expect_used,
    reason = "a measured request that fails stops the benchmark, loudly"
)]

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use govrt::engine::rules::signoff::{Action, Status, Verdict};
use govrt::engine::{Engine, Identity, ItemFilter, ItemSeek, Under};
use govrt::store::Durability;

#[path = "common/daemon.rs"]
mod daemon;

#[derive(clap::Parser)]
#[command(about = "Every list's p50 and p99 on 10k, 100k and 1M items, in-process and over HTTP")]
struct Args {
    /// The sizes, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "10000,100000,1000000")]
    sizes: Vec<usize>,
    /// Samples of each request.
    #[arg(long, default_value_t = 200)]
    samples: usize,
}

/// Versions a model (so a model's children are a page and more).
const PER_MODEL: usize = 200;

/// The standard world of `n` model versions, built through the engine.
fn build(db: &Path, n: usize) -> Result<(i64, f64), Box<dyn std::error::Error>> {
    let mut e = Engine::open(db, Durability::Normal)?;
    let started = Instant::now();
    e.load_blueprints(&[PathBuf::from("blueprints")], None)?;
    let admin = Identity::local_admin();
    for u in ["owner", "itops", "risk1", "biz", "approver"] {
        e.add_user(&admin, u, None, false)?;
    }
    e.add_group(&admin, "risk", &["risk1".to_string()])?;
    let owner = e.identify_user("owner")?;
    let risk1 = e.identify_user("risk1")?;
    let itops = e.identify_user("itops")?;
    let biz = e.identify_user("biz")?;
    let approver = e.identify_user("approver")?;
    let sets = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    let project = e.create_item(
        &owner,
        "project",
        "Fraud scoring",
        None,
        &sets(&[
            ("owner", "owner"),
            ("it_ops_reviewers", "user:itops"),
            ("risk_reviewers", "group:risk"),
            ("business_reviewers", "user:biz"),
            ("final_approvers", "user:approver"),
        ]),
        None,
    )?;
    let project: i64 = project.id.parse()?;
    let mut model = 0;
    let mut first_model = 0;
    for i in 0..n {
        if i % 1000 == 0 {
            e.begin_batch()?;
        }
        if i % PER_MODEL == 0 {
            let m = e.create_item(
                &owner,
                "model",
                &format!("model {}", i / PER_MODEL),
                Some(project),
                &[],
                None,
            )?;
            model = m.id.parse()?;
            if first_model == 0 {
                first_model = model;
            }
        }
        let v = e.create_item(
            &owner,
            "model_version",
            &format!("v{i}"),
            Some(model),
            // A fifth of them high-risk, the rows of the `high_risk` table.
            &sets(&[
                ("owner", "owner"),
                ("risk_tier", if i % 5 == 4 { "high" } else { "medium" }),
            ]),
            None,
        )?;
        let v: i64 = v.id.parse()?;
        let review =
            |e: &mut Engine, who: &Identity, a: Action| e.signoff(who, v, None, a, None).map(drop);
        match i % 10 {
            // Waiting for feedback: the risk reviewer's queue.
            0 => {
                e.move_item(&owner, v, Some("review"), None, None)?;
                review(&mut e, &owner, Action::RequestReview)?;
            }
            // Approved and deployed.
            1 => {
                e.move_item(&owner, v, Some("review"), None, None)?;
                review(&mut e, &owner, Action::RequestReview)?;
                for who in [&itops, &risk1, &biz] {
                    let group = match who.name.as_str() {
                        "itops" => "it_ops",
                        "risk1" => "risk",
                        _ => "business",
                    };
                    let a = Action::GiveFeedback {
                        group: group.into(),
                        verdict: Verdict::Approved,
                        comment: None,
                    };
                    review(&mut e, who, a)?;
                }
                review(&mut e, &owner, Action::RequestFinalApproval)?;
                review(&mut e, &approver, Action::Approve { comment: None })?;
                e.move_item(&owner, v, Some("deployed"), None, None)?;
            }
            2 | 3 => {
                e.move_item(&owner, v, Some("in_progress"), None, None)?;
            }
            _ => {}
        }
        if i % 1000 == 999 || i + 1 == n {
            e.commit_batch()?;
        }
    }
    Ok((first_model, started.elapsed().as_secs_f64()))
}

/// p50 and p99 of `f`, in milliseconds, after a warm-up pass over the
/// same samples (the database's pages in the OS cache, as in a daemon that
/// has been serving).
fn measure(samples: usize, mut f: impl FnMut(usize)) -> (f64, f64) {
    (0..samples).for_each(&mut f);
    let mut times: Vec<f64> = (0..samples)
        .map(|i| {
            let t = Instant::now();
            f(i);
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(f64::total_cmp);
    let at = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
    (at(0.5), at(0.99))
}

/// One GET on loopback, the whole answer read; panics on a non-200.
fn get(port: u16, path: &str, token: &str) -> usize {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).expect("the daemon answers");
    write!(s, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n")
        .expect("the request is sent");
    let mut answer = Vec::new();
    s.read_to_end(&mut answer).expect("the answer is read");
    assert!(
        answer.starts_with(b"HTTP/1.1 200"),
        "{path}: {}",
        String::from_utf8_lossy(&answer[..answer.len().min(300)])
    );
    answer.len()
}

/// Starts measuring the process's peak resident memory afresh (Linux:
/// `clear_refs` 5 resets the high-water mark).
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// The process's peak resident memory since [`reset_peak`], in MB.
fn peak_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = <Args as clap::Parser>::parse();
    let mut rows: Vec<(usize, Vec<(String, f64)>)> = Vec::new();
    for &n in &args.sizes {
        let dir =
            std::env::temp_dir().join(format!("govrt-bench-scale-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let db = dir.join("govrt.db");
        let (model, built) = build(&db, n)?;
        reset_peak();
        let mut e = Engine::open(&db, Durability::Normal)?;
        let risk1 = e.identify_user("risk1")?;
        let owner = e.identify_user("owner")?;
        let samples = args.samples;
        let mut figures: Vec<(String, f64)> = Vec::new();
        let mut record = |name: &str, (p50, p99): (f64, f64)| {
            figures.push((format!("{name}_p50_ms"), p50));
            figures.push((format!("{name}_p99_ms"), p99));
        };
        let versions = ItemFilter::of(Some("model_version"), None);
        // A page at the start and pages deep in the list, by id.
        let ids = (n as i64).max(1);
        record(
            "items",
            measure(samples, |i| {
                let after = (i as i64 * 7919) % ids;
                e.items_page(&owner, &versions, Some(after), 100)
                    .expect("a page");
            }),
        );
        record(
            "web_items",
            measure(samples, |i| {
                let seek = if i % 2 == 0 {
                    ItemSeek::Id(None)
                } else {
                    ItemSeek::Updated(None)
                };
                e.statuses_page(&owner, &versions, seek, 100)
                    .expect("a page");
            }),
        );
        let waiting = ItemFilter {
            signoff: Some(Status::WaitingForFeedback),
            ..versions.clone()
        };
        record(
            "filtered",
            measure(samples, |_| {
                e.statuses_page(&owner, &waiting, ItemSeek::Id(None), 100)
                    .expect("a page");
            }),
        );
        let children = ItemFilter {
            under: Under::Parent(model),
            ..ItemFilter::default()
        };
        record(
            "tree",
            measure(samples, |_| {
                e.statuses_page(&owner, &children, ItemSeek::Id(None), 100)
                    .expect("a level");
            }),
        );
        record(
            "reviews",
            measure(samples, |_| {
                e.reviews_by_due(&risk1, None, 100).expect("reviews");
            }),
        );
        record(
            "api_reviews",
            measure(samples, |i| {
                let after = (i as i64 * 7919) % ids;
                e.reviews_page(&risk1, Some(after), 100, None)
                    .expect("reviews");
            }),
        );
        // The standard `high_risk` table: its first page, and its sixth.
        let mut deep = None;
        for _ in 0..5 {
            deep = e
                .table(&owner, "high_risk", Some(100), deep.as_deref())?
                .next;
        }
        record(
            "table",
            measure(samples, |i| {
                let after = if i % 2 == 0 { None } else { deep.as_deref() };
                e.table(&owner, "high_risk", Some(100), after)
                    .expect("a page of the table");
            }),
        );
        record(
            "status",
            measure(samples, |i| {
                e.status(&owner, model + 1 + (i as i64 * 7919) % ids).ok();
            }),
        );

        // Over HTTP: a daemon in this process on the same database.
        let admin = Identity::local_admin();
        let owner_token = e.create_token(&admin, "owner", None)?;
        let risk_token = e.create_token(&admin, "risk1", None)?;
        let port = daemon::start(daemon::Daemon {
            db: &db,
            engines: 4,
            durability: Durability::Normal,
            static_dir: None,
        })?;
        record(
            "http_items",
            measure(samples, |i| {
                let after = (i as i64 * 7919) % ids;
                let cursor = govrt::engine::read::cursor::List::Items.number_cursor(after.max(1));
                get(
                    port,
                    &format!("/api/v1/items?blueprint=model_version&limit=100&cursor={cursor}"),
                    &owner_token,
                );
            }),
        );
        record(
            "http_reviews",
            measure(samples, |_| {
                get(port, "/api/v1/reviews?limit=100", &risk_token);
            }),
        );
        record(
            "http_table",
            measure(samples, |_| {
                get(port, "/api/v1/tables/high_risk?limit=100", &owner_token);
            }),
        );
        // The peak of the reads (the daemon's among them), then of `audit
        // verify`, which reads the whole chain.
        let reads_peak = peak_mb();
        reset_peak();
        let verified = Instant::now();
        e.audit_verify()?
            .map_err(|why| format!("the audit chain is broken: {why}"))?;
        let verify_s = verified.elapsed().as_secs_f64();
        let verify_peak = peak_mb();
        let size = std::fs::metadata(&db)?.len()
            + std::fs::metadata(dir.join("govrt.db-wal")).map_or(0, |m| m.len());
        let shown: Vec<String> = figures.iter().map(|(k, v)| format!("{k}={v:.2}")).collect();
        println!(
            "bench_scale items={n} build_s={built:.0} {} audit_verify_s={verify_s:.2} bytes_per_item={} reads_peak_mb={reads_peak:.0} verify_peak_mb={verify_peak:.0}",
            shown.join(" "),
            size / n.max(1) as u64,
        );
        rows.push((n, figures));
        let _ = std::fs::remove_dir_all(&dir);
    }
    if let (Some((small, first)), Some((large, last))) = (rows.first(), rows.last())
        && large > small
    {
        let growth: Vec<String> = first
            .iter()
            .zip(last)
            .filter(|((k, _), _)| k.ends_with("_p99_ms"))
            .map(|((k, a), (_, b))| {
                format!("{}={:.2}", k.trim_end_matches("_p99_ms"), b / a.max(0.001))
            })
            .collect();
        println!(
            "bench_scale growth_p99 {large}/{small}: {}",
            growth.join(" ")
        );
    }
    Ok(())
}
