//! GOVERN-1K, the runtime benchmark (see `shared/bench/GOVERN-1K.md` in the
//! project's specification): for N items, 13 write actions each through the
//! engine's public entry points (permissions, rules, audit event, committed at
//! the configured `synchronous` level) and one deploy check, against the raw
//! SQLite baseline (13 transactions per item, each an INSERT of a ~200-byte
//! JSON event and an UPDATE of one item row) measured in the same run: three
//! alternating rounds of each, the best time of each side counting.
//!
//! ```text
//! cargo run --profile release-lto --example bench_runtime                       # N = 1,000 and 10,000, FULL and NORMAL
//! cargo run --profile release-lto --example bench_runtime -- --items 1000 --sync NORMAL
//! cargo run --profile release-lto --example bench_runtime -- --items 1000 --sync NORMAL --hooks
//! cargo run --profile release-lto --example bench_runtime -- --items 1000 --db postgres://postgres@127.0.0.1:5432
//! ```
//!
//! With `--db SERVER` (a PostgreSQL server's URL, without a database) the
//! engine and the baseline each run on a fresh database of that server.
//!
//! With `--hooks` it measures the same workload with a script defining every
//! hook against the workload without, and prints the ratio of times.
//!
//! Each configuration runs in its own process, so `peak_rss_mb` is that
//! configuration's own peak.

// The allocator of the `govrt` binary, so the figures are the binary's.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::{Path, PathBuf};

#[path = "common/baseline.rs"]
mod baseline;
use baseline::{fresh_postgres, run_baseline, run_baseline_postgres};
use std::time::Instant;

use govrt::engine::rules::signoff::{Action, Verdict};
use govrt::engine::{DeployVerdict as Deploy, Engine, FieldChange, Identity};
use govrt::store::Durability;

/// The blueprint set of the workload, as the benchmark's specification gives it.
const GOVERN_1K: &str = r#"// The blueprint set of the GOVERN-1K workload. Keep it valid as the language grows.
blueprint project "Project" {
  field owner: user required
  field it_ops_reviewers: [principal]
  field risk_reviewers: [principal]
  field business_reviewers: [principal]
  field final_approvers: [principal]
  role owner = field owner
  permission write = role owner, group "admins"
  workflow { step exploration  step delivered }
}
blueprint model "Model" { parent project }
blueprint model_version "Model version" {
  parent model
  field owner: user required
  field algorithm: enum(linear, tree, neural) = tree
  field accuracy: number
  field value: int(1..5)
  field feasibility: int(1..5)
  field summary: text
  role owner = field owner
  permission write = role owner, group "admins"
  workflow {
    step exploration "Exploration"
    step qualification "Qualification" { field rationale: text required }
    step in_progress "In progress"
    step review "Review" {
      signoff {
        mandatory
        feedback it_ops "IT & Operations" { reviewers = project.field it_ops_reviewers }
        feedback risk "Risk & Compliance" { reviewers = project.field risk_reviewers }
        feedback business "Business" { reviewers = project.field business_reviewers }
        final { reviewers = project.field final_approvers  not requester }
        reset every 6 months
      }
    }
    step deployed "Deployed"
  }
}
infrastructure prod { policy prevent }
"#;

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn fresh(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    path
}

/// Hooks at every hook point, each doing the kind of work a real rule does
/// (reading fields, the step, the parent chain) and deciding nothing unusual.
const HOOKS: &str = r#"
fn validate(item) {
    let errors = [];
    if item.fields.accuracy != () && item.fields.accuracy > 1.0 { errors.push("accuracy is a fraction"); }
    errors
}
fn before_advance(item, from, to) {
    if to == "review" && item.fields.rationale == () { return "a rationale is needed"; }
    ()
}
fn after_change(item, event) {
    if item.fields.summary == () { #{ summary: `${item.name} (${item.fields.algorithm})` } } else { () }
}
fn reviewers(item, step, group) {
    if item.fields.algorithm == "neural" && group == "risk" { ["group:risk-experts"] } else { [] }
}
fn mandatory(item, step) { item.parent != () }
fn reset_at(item, step, approved_at) { () }
fn compute_accuracy(item) { item.fields.accuracy }
"#;

fn run_engine(
    dir: &Path,
    n: usize,
    sync: Durability,
    hooks: bool,
    server: Option<&str>,
) -> Result<f64, Box<dyn std::error::Error>> {
    let db = match server {
        Some(server) => PathBuf::from(fresh_postgres(server, "govrt_bench_engine")?),
        None => fresh(dir, "engine.db"),
    };
    let mut engine = Engine::open(&db, sync)?;
    let set = dir.join("govern-1k.gov");
    if hooks {
        std::fs::write(dir.join("hooks.rhai"), HOOKS)?;
        std::fs::write(
            &set,
            GOVERN_1K.replace(
                "  parent model\n",
                "  parent model\n  script \"hooks.rhai\"\n",
            ),
        )?;
    } else {
        std::fs::write(&set, GOVERN_1K)?;
    }
    engine.load_blueprints(&[set], None)?;
    for u in ["owner", "itops", "risk", "biz", "approver"] {
        engine.add_user(&Identity::local_admin(), u, None, false)?;
    }
    let owner = engine.identify_user("owner")?;
    let (itops, risk, biz, approver) = (
        engine.identify_user("itops")?,
        engine.identify_user("risk")?,
        engine.identify_user("biz")?,
        engine.identify_user("approver")?,
    );
    let s = |k: &str, v: &str| (k.to_string(), v.to_string());
    let project = engine.create_item(
        &owner,
        "project",
        "Bench project",
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
    let model = engine.create_item(
        &owner,
        "model",
        "Bench model",
        project.id.parse().ok(),
        &[],
        None,
    )?;
    let model_id: i64 = model.id.parse()?;

    let start = Instant::now();
    for i in 0..n {
        let mv = engine.create_item(
            &owner,
            "model_version",
            &format!("version {i}"),
            Some(model_id),
            &[s("owner", "owner"), s("algorithm", "tree")],
            None,
        )?;
        let id: i64 = mv.id.parse()?;
        let set = |k: &str, v: &str| FieldChange::Set(k.to_string(), v.to_string());
        engine.set_fields(
            &owner,
            id,
            &[
                set("accuracy", "0.93"),
                set("value", "4"),
                set("feasibility", "3"),
            ],
            None,
            None,
        )?;
        engine.move_item(&owner, id, None, None, None)?;
        engine.set_fields(
            &owner,
            id,
            &[set(
                "rationale",
                "fraud losses are rising on card-not-present payments",
            )],
            None,
            None,
        )?;
        engine.move_item(&owner, id, None, None, None)?;
        engine.move_item(&owner, id, None, None, None)?;
        engine.signoff(&owner, id, None, Action::RequestReview, None)?;
        for (who, group) in [(&itops, "it_ops"), (&risk, "risk"), (&biz, "business")] {
            engine.signoff(
                who,
                id,
                None,
                Action::GiveFeedback {
                    group: group.into(),
                    verdict: Verdict::Approved,
                    comment: None,
                },
                None,
            )?;
        }
        engine.signoff(&owner, id, None, Action::RequestFinalApproval, None)?;
        engine.signoff(&approver, id, None, Action::Approve { comment: None }, None)?;
        engine.move_item(&owner, id, None, None, None)?;
        let decision = engine.deploy_check(&approver, id, "prod", false, None)?;
        if decision.decision != Deploy::Allow {
            return Err(format!("item {id}: deploy check answered {:?}", decision.decision).into());
        }
    }
    Ok(start.elapsed().as_secs_f64())
}

/// Alternating rounds of the baseline and the engine (and of the engine
/// with and without hooks); each side's best time counts.
const ROUNDS: usize = 3;

fn one(
    n: usize,
    sync: Durability,
    hooks: bool,
    server: Option<&str>,
) -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::temp_dir().join(format!("govrt-bench-runtime-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    if hooks {
        // Hooks against no hooks, alternating to even out the machine's noise.
        let (mut with, mut without) = (f64::MAX, f64::MAX);
        for _ in 0..ROUNDS {
            without = without.min(run_engine(&dir, n, sync, false, server)?);
            with = with.min(run_engine(&dir, n, sync, true, server)?);
        }
        let _ = std::fs::remove_dir_all(&dir);
        let actions = (13 * n) as f64;
        println!(
            "govern-1k-hooks items={n} sync={} actions_per_s_without={:.0} actions_per_s_with={:.0} time_ratio={:.2} overhead_pct={:.0}",
            sync.as_str(),
            actions / without,
            actions / with,
            with / without,
            (with / without - 1.0) * 100.0
        );
        return Ok(());
    }
    // The baseline and the engine alternate, and each keeps its best time:
    // the machine's disk and CPU vary from run to run, and one run of each
    // moved the ratio by a third.
    let (mut baseline, mut engine) = (f64::MAX, f64::MAX);
    for _ in 0..ROUNDS {
        baseline = baseline.min(match server {
            Some(server) => run_baseline_postgres(server, n, sync)?,
            None => run_baseline(&dir, n, sync)?,
        });
        engine = engine.min(run_engine(&dir, n, sync, false, server)?);
    }
    let _ = std::fs::remove_dir_all(&dir);
    let actions = 13 * n;
    let rate = actions as f64 / engine;
    let base_rate = actions as f64 / baseline;
    println!(
        "engine:   {actions} actions in {engine:.2} s ({rate:.0} actions/s), best of {ROUNDS}"
    );
    println!(
        "baseline: {actions} transactions in {baseline:.2} s ({base_rate:.0} /s), best of {ROUNDS}"
    );
    println!(
        "govern-1k items={n} actions={actions} seconds={engine:.2} actions_per_s={rate:.0} baseline_actions_per_s={base_rate:.0} ratio={:.2} sync={} store={} peak_rss_mb={:.1}",
        rate / base_rate,
        sync.as_str(),
        if server.is_some() {
            "postgres"
        } else {
            "sqlite"
        },
        peak_rss_mb()
    );
    Ok(())
}

/// GOVERN-1K through the engine against raw SQLite, in the same run.
/// Without `--items`, every configuration runs, each in its own process.
#[derive(clap::Parser)]
#[command(name = "bench_runtime")]
struct Args {
    /// Run one configuration: this many items.
    #[arg(long)]
    items: Option<usize>,
    /// Its durability (with `--items`).
    #[arg(long, value_enum, default_value = "full", ignore_case = true)]
    sync: Sync,
    /// Measure the workload with every hook defined against the workload without.
    #[arg(long)]
    hooks: bool,
    /// Run on this PostgreSQL server (`postgres://user@host:port`) instead of SQLite files.
    #[arg(long)]
    db: Option<String>,
}

/// SQLite's `synchronous` level.
#[derive(Clone, Copy, clap::ValueEnum)]
enum Sync {
    /// `synchronous=FULL`.
    Full,
    /// `synchronous=NORMAL`.
    Normal,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = <Args as clap::Parser>::parse();
    if let Some(n) = args.items {
        let sync = match args.sync {
            Sync::Full => Durability::Full,
            Sync::Normal => Durability::Normal,
        };
        return one(n, sync, args.hooks, args.db.as_deref());
    }
    let me = std::env::current_exe()?;
    let runs: [&[&str]; 6] = [
        &["--items", "1000", "--sync", "FULL"],
        &["--items", "1000", "--sync", "NORMAL"],
        &["--items", "10000", "--sync", "FULL"],
        &["--items", "10000", "--sync", "NORMAL"],
        &["--items", "1000", "--sync", "FULL", "--hooks"],
        &["--items", "1000", "--sync", "NORMAL", "--hooks"],
    ];
    for run in runs {
        let out = std::process::Command::new(&me).args(run).output()?;
        print!("{}", String::from_utf8_lossy(&out.stdout));
        eprint!("{}", String::from_utf8_lossy(&out.stderr));
        if !out.status.success() {
            return Err(format!("the run {run:?} failed").into());
        }
    }
    Ok(())
}
