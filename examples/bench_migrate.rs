//! The migration benchmark: N running items of a blueprint (a third on each
//! step of its workflow, those under review with their review requested)
//! moved to a new version by the set's `migrate` block (a renamed field, a
//! value set, a dropped field, a new step, a kept sign-off): the time of the
//! dry run and the items migrated per second, each in its own transaction
//! with its audit event, against the raw SQLite baseline's write
//! transactions per second (an INSERT of an event and an UPDATE of a row
//! each, `examples/common/baseline.rs`) measured in the same run.
//!
//! ```text
//! cargo run --profile release-lto --example bench_migrate                      # 100,000 items, NORMAL
//! cargo run --profile release-lto --example bench_migrate -- --items 10000 --sync FULL
//! ```

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "common/baseline.rs"]
#[allow(
    dead_code,
    reason = "the PostgreSQL baseline is the runtime benchmark's"
)]
mod baseline;

use std::time::Instant;

use govrt::engine::rules::signoff::Action;
use govrt::engine::{Engine, Identity, MigrateRequest};
use govrt::store::Durability;

const V1: &str = r#"blueprint thing "Thing" {
  field owner: user
  field note: text
  field legacy: text
  workflow {
    step draft "Draft"
    step review "Review" {
      signoff {
        feedback risk "Risk" { reviewers = everyone }
        final { reviewers = everyone }
      }
    }
    step done "Done"
  }
  permission read = everyone
  permission write = everyone
}
"#;

const V2: &str = r#"blueprint thing "Thing" {
  version 2
  field owner: user
  field notes: text
  field tier: enum(low, high)
  workflow {
    step draft "Draft"
    step validation "Validation"
    step review "Review" {
      signoff {
        feedback risk "Risk" { reviewers = everyone }
        final { reviewers = everyone }
      }
    }
    step done "Done"
  }
  permission read = everyone
  permission write = everyone
}

migrate thing 1 -> 2 {
  field note -> notes
  set tier = low
  drop legacy
  signoff review -> review keep
}
"#;

#[derive(clap::Parser)]
#[command(
    about = "Migrating N running items to a new blueprint version, against raw SQLite write transactions"
)]
struct Args {
    /// Items to migrate.
    #[arg(long, default_value_t = 100_000)]
    items: usize,
    /// SQLite's `synchronous` level.
    #[arg(long, value_enum, default_value_t = Sync::Normal)]
    sync: Sync,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Sync {
    #[value(name = "FULL")]
    Full,
    #[value(name = "NORMAL")]
    Normal,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = <Args as clap::Parser>::parse();
    let sync = match args.sync {
        Sync::Full => Durability::Full,
        Sync::Normal => Durability::Normal,
    };
    let n = args.items;
    let dir = std::env::temp_dir().join(format!("govrt-bench-migrate-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let mut engine = Engine::open(&dir.join("govrt.db"), sync)?;
    engine.load_blueprint_texts(&[("t.gov", V1)], &[], None)?;
    let admin = Identity::local_admin();
    engine.add_user(&admin, "owner", None, false)?;
    let owner = engine.identify_user("owner")?;
    let sets = [
        ("note".to_string(), "a note".to_string()),
        ("legacy".to_string(), "old".to_string()),
        ("owner".to_string(), "owner".to_string()),
    ];
    // The items, a thousand a transaction (the setting up is not measured).
    let built = Instant::now();
    for chunk in 0..n.div_ceil(1000) {
        engine.begin_batch()?;
        for i in chunk * 1000..((chunk + 1) * 1000).min(n) {
            let item =
                engine.create_item(&owner, "thing", &format!("thing {i}"), None, &sets, None)?;
            if i % 3 != 0 {
                engine.move_item(&owner, item.id.parse()?, Some("review"), None, None)?;
            }
            if i % 3 == 2 {
                engine.signoff(&owner, item.id.parse()?, None, Action::RequestReview, None)?;
            }
        }
        engine.commit_batch()?;
    }
    let built = built.elapsed().as_secs_f64();
    engine.load_blueprint_texts(&[("t.gov", V2)], &[], None)?;

    let mut request = MigrateRequest {
        blueprint: "thing",
        from: 1,
        to: 2,
        dry_run: true,
        items: &[],
    };
    let dry = Instant::now();
    let report = engine.migrate(&admin, &request, None)?;
    let dry = dry.elapsed().as_secs_f64();
    assert_eq!(report.moved, n, "every item can move");
    request.dry_run = false;
    let applied = Instant::now();
    let report = engine.migrate(&admin, &request, None)?;
    let applied = applied.elapsed().as_secs_f64();
    assert_eq!(report.moved, n);

    let baseline_items = n.min(10_000);
    let baseline = baseline::run_baseline(&dir, baseline_items, sync)?;
    let baseline_rate = (baseline_items * 13) as f64 / baseline;
    let rate = n as f64 / applied;
    let size = std::fs::metadata(dir.join("govrt.db"))?.len();
    println!(
        "bench_migrate items={n} sync={} dry_run_s={dry:.2} migrate_s={applied:.2} items_per_s={rate:.0} baseline_tx_per_s={baseline_rate:.0} ratio={:.2} setup_s={built:.1} db_mb={:.0}",
        sync.as_str(),
        rate / baseline_rate,
        size as f64 / 1e6
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
