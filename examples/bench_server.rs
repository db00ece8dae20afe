//! Load benchmark of the daemon with a real HTTP load generator (wrk, from
//! Debian's `wrk` package) on loopback, all in one run:
//!
//! - reads: the governance status of random items out of 100,000;
//! - the ceiling: the same status document served as a static file by the
//!   same server (`--static-dir`);
//! - writes: feedback actions (edits of a review) on random items in review;
//! - the raw SQLite baseline of GOVERN-1K at the daemon's durability (FULL).
//!
//! With `--db SERVER` (a PostgreSQL server's URL, without a database) the
//! items are seeded into a fresh database there, the loads run against one
//! daemon and then against three daemons on that one database (each wrk
//! connection on one of them, as behind a load balancer), and the writes'
//! baseline is the same INSERT + UPDATE per transaction on PostgreSQL.
//!
//! ```text
//! cargo run --profile release-lto --example bench_server [-- --items 100000 --seconds 10]
//! cargo run --profile release-lto --example bench_server -- --items 20000 --db postgres://postgres@127.0.0.1:5432
//! ```

// The allocator of the `govrt` binary, so the figures are the binary's.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use govrt::engine::rules::signoff::Action;
use govrt::engine::{Engine, Identity};
use govrt::store::Durability;

#[path = "common/baseline.rs"]
mod baseline;
#[path = "common/daemon.rs"]
mod daemon;

struct Load {
    requests_per_s: f64,
    p50_ms: f64,
    p99_ms: f64,
}

fn latency_ms(text: &str) -> f64 {
    let t = text.trim();
    let (num, unit) = t.split_at(t.find(|c: char| c.is_alphabetic()).unwrap_or(t.len()));
    let n: f64 = num.parse().unwrap_or(f64::NAN);
    match unit {
        "us" => n / 1000.0,
        "ms" => n,
        "s" => n * 1000.0,
        _ => f64::NAN,
    }
}

/// wrk's connections in all, spread over the daemons.
const CONNECTIONS: usize = 16;

/// One wrk run against each of `bases` at once (its share of the
/// connections on each): the rates added, the worst median and p99.
fn wrk_all(
    bases: &[String],
    path: &str,
    seconds: u64,
    script: Option<&Path>,
    token: &str,
) -> Result<Load, Box<dyn std::error::Error>> {
    let connections = CONNECTIONS.div_ceil(bases.len());
    let runs: Vec<_> = bases
        .iter()
        .map(|base| {
            let (url, script, token) = (
                format!("{base}{path}"),
                script.map(Path::to_path_buf),
                token.to_string(),
            );
            std::thread::spawn(move || {
                wrk(&url, seconds, script.as_deref(), &token, connections)
                    .map_err(|e| e.to_string())
            })
        })
        .collect();
    let mut all = Load {
        requests_per_s: 0.0,
        p50_ms: 0.0,
        p99_ms: 0.0,
    };
    for run in runs {
        let load = run.join().map_err(|_| "a wrk thread panicked")??;
        all.requests_per_s += load.requests_per_s;
        all.p50_ms = all.p50_ms.max(load.p50_ms);
        all.p99_ms = all.p99_ms.max(load.p99_ms);
    }
    Ok(all)
}

fn wrk(
    url: &str,
    seconds: u64,
    script: Option<&Path>,
    token: &str,
    connections: usize,
) -> Result<Load, Box<dyn std::error::Error>> {
    let mut cmd = Command::new("wrk");
    cmd.args([
        &format!("-t{}", connections.min(2)),
        &format!("-c{connections}"),
        &format!("-d{seconds}s"),
        "--latency",
        "-H",
        &format!("Authorization: Bearer {token}"),
    ]);
    if let Some(s) = script {
        cmd.arg("-s").arg(s);
    }
    let out = cmd.arg(url).output()?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let find = |prefix: &str| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(prefix).map(|v| v.trim().to_string()))
    };
    let requests_per_s = find("Requests/sec:")
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| format!("wrk printed no rate:\n{text}"))?;
    if let Some(errors) = find("Non-2xx or 3xx responses:") {
        eprintln!("warning: {errors} responses were not 2xx for {url}");
    }
    Ok(Load {
        requests_per_s,
        p50_ms: find("50%").map_or(f64::NAN, |v| latency_ms(&v)),
        p99_ms: find("99%").map_or(f64::NAN, |v| latency_ms(&v)),
    })
}

/// The daemon under wrk on loopback: reads against the static ceiling,
/// writes against the raw baseline of the same store, in the same run.
#[derive(clap::Parser)]
#[command(name = "bench_server")]
struct Args {
    /// Model versions seeded before measuring.
    #[arg(long, default_value_t = 100_000)]
    items: usize,
    /// Seconds each load runs.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Run on this PostgreSQL server (`postgres://user@host:port`), with one
    /// daemon and then three, instead of one daemon on an SQLite file.
    #[arg(long)]
    db: Option<String>,
}

/// One round of loads: against the daemons at `bases`.
struct Round {
    daemons: usize,
    reads: Load,
    writes: Load,
}

/// Starts a daemon in this process on `db`, serving `static_dir`: its base URL.
fn start_daemon(db: &Path, static_dir: &Path) -> Result<String, Box<dyn std::error::Error>> {
    let port = daemon::start(daemon::Daemon {
        db,
        engines: 9,
        durability: Durability::Full,
        static_dir: Some(static_dir.to_path_buf()),
    })?;
    Ok(format!("http://127.0.0.1:{port}"))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let Args { items, seconds, db } = <Args as clap::Parser>::parse();
    if Command::new("wrk").arg("--version").output().is_err() {
        return Err("this benchmark needs wrk: apt-get install wrk".into());
    }
    let dir = std::env::temp_dir().join(format!("govrt-bench-server-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("static"))?;
    let store = match &db {
        Some(server) => {
            std::path::PathBuf::from(baseline::fresh_postgres(server, "govrt_bench_server")?)
        }
        None => dir.join("govrt.db"),
    };

    // Seed (not timed): a project, a model and `items` model versions; the
    // first thousand wait for feedback.
    let seeding = Instant::now();
    let mut engine = Engine::open(&store, Durability::Normal)?;
    engine.load_blueprint_texts(govrt::standard::STANDARD_BLUEPRINTS, &[], None)?;
    for u in ["owner", "itops", "risk", "biz", "approver"] {
        engine.add_user(&Identity::local_admin(), u, None, false)?;
    }
    let owner = engine.identify_user("owner")?;
    let s = |k: &str, v: &str| (k.to_string(), v.to_string());
    let project = engine.create_item(
        &owner,
        "project",
        "Bench",
        None,
        &[
            s("owner", "owner"),
            s("it_ops_reviewers", "user:itops"),
            s("risk_reviewers", "user:risk"),
            s("business_reviewers", "user:biz"),
            s("final_approvers", "user:approver"),
        ],
        None,
    )?;
    let model = engine.create_item(&owner, "model", "Model", project.id.parse().ok(), &[], None)?;
    let model_id: i64 = model.id.parse()?;
    let mut first = 0;
    let mut last = 0;
    for i in 0..items {
        let mv = engine.create_item(
            &owner,
            "model_version",
            &format!("v{i}"),
            Some(model_id),
            &[s("owner", "owner")],
            None,
        )?;
        let id: i64 = mv.id.parse()?;
        if i == 0 {
            first = id;
        }
        last = id;
        if i < 1000 {
            engine.move_item(&owner, id, Some("review"), None, None)?;
            engine.signoff(&owner, id, None, Action::RequestReview, None)?;
        }
    }
    let reader = engine.create_token(&Identity::local_admin(), "owner", None)?;
    let writer = engine.create_token(&Identity::local_admin(), "itops", None)?;
    let status = engine.status(&owner, first)?;
    std::fs::write(
        dir.join("static/status.json"),
        serde_json::to_string(&status)?,
    )?;
    drop(engine);
    eprintln!(
        "seeded {items} items in {:.1} s",
        seeding.elapsed().as_secs_f64()
    );

    let reads_lua = dir.join("reads.lua");
    std::fs::write(
        &reads_lua,
        format!(
            "request = function()\n  return wrk.format(\"GET\", \"/api/v1/items/\" .. math.random({first}, {last}) .. \"/status\")\nend\n"
        ),
    )?;
    // Feedback on the items in review only (the first thousand, or all).
    let writes_lua = dir.join("writes.lua");
    std::fs::write(
        &writes_lua,
        format!(
            "wrk.method = \"POST\"\nwrk.headers[\"Content-Type\"] = \"application/json\"\nrequest = function()\n  local body = '{{\"group\":\"it_ops\",\"verdict\":\"approved\",\"comment\":\"load ' .. math.random(1, 1000000) .. '\"}}'\n  return wrk.format(nil, \"/api/v1/items/\" .. math.random({first}, {}) .. \"/signoff/feedback\", nil, body)\nend\n",
            first + items.min(1000) as i64 - 1
        ),
    )?;

    // The daemons, in this process, at their default durability: one, then
    // (on PostgreSQL) three on the one database.
    let static_dir = dir.join("static");
    let mut bases = vec![start_daemon(&store, &static_dir)?];
    let ceiling = wrk_all(&bases, "/static/status.json", seconds, None, &reader)?;
    let mut rounds = Vec::new();
    for daemons in if db.is_some() { vec![1, 3] } else { vec![1] } {
        while bases.len() < daemons {
            bases.push(start_daemon(&store, &static_dir)?);
        }
        rounds.push(Round {
            daemons,
            reads: wrk_all(&bases, "/", seconds, Some(&reads_lua), &reader)?,
            writes: wrk_all(&bases, "/", seconds, Some(&writes_lua), &writer)?,
        });
    }
    let baseline_n = 1000;
    let (baseline_s, baseline_name) = match &db {
        Some(server) => (
            baseline::run_baseline_postgres(server, baseline_n, Durability::Full)?,
            "PostgreSQL",
        ),
        None => (
            baseline::run_baseline(&dir, baseline_n, Durability::Full)?,
            "SQLite",
        ),
    };
    let baseline_rate = (13 * baseline_n) as f64 / baseline_s;
    let _ = std::fs::remove_dir_all(&dir);

    println!(
        "static ceiling: {:.0} req/s (p50 {:.2} ms, p99 {:.2} ms)",
        ceiling.requests_per_s, ceiling.p50_ms, ceiling.p99_ms
    );
    let one = rounds[0].reads.requests_per_s;
    for Round {
        daemons,
        reads,
        writes,
    } in &rounds
    {
        println!(
            "{daemons} daemon(s), status reads:   {:.0} req/s (p50 {:.2} ms, p99 {:.2} ms), {:.0}% of the ceiling, {:.2}x one daemon",
            reads.requests_per_s,
            reads.p50_ms,
            reads.p99_ms,
            100.0 * reads.requests_per_s / ceiling.requests_per_s,
            reads.requests_per_s / one,
        );
        println!(
            "{daemons} daemon(s), feedback writes: {:.0} req/s (p50 {:.2} ms, p99 {:.2} ms), {:.0}% of the raw {baseline_name} baseline ({baseline_rate:.0} tx/s, FULL)",
            writes.requests_per_s,
            writes.p50_ms,
            writes.p99_ms,
            100.0 * writes.requests_per_s / baseline_rate
        );
        println!(
            "govrt-serve store={} daemons={daemons} items={items} reads_per_s={:.0} reads_p50_ms={:.2} reads_p99_ms={:.2} ceiling_per_s={:.0} read_ratio={:.2} reads_vs_one={:.2} writes_per_s={:.0} writes_p50_ms={:.2} writes_p99_ms={:.2} baseline_per_s={baseline_rate:.0} write_ratio={:.2}",
            baseline_name.to_lowercase(),
            reads.requests_per_s,
            reads.p50_ms,
            reads.p99_ms,
            ceiling.requests_per_s,
            reads.requests_per_s / ceiling.requests_per_s,
            reads.requests_per_s / one,
            writes.requests_per_s,
            writes.p50_ms,
            writes.p99_ms,
            writes.requests_per_s / baseline_rate
        );
    }
    Ok(())
}
