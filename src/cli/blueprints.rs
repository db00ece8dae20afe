//! `govrt init` and `govrt blueprint load|list|show`.

use super::global::{Global, Outcome, exit};
use super::runtime::{engine_error, open, print_json};
use crate::engine::{self, VersionState};
use clap::Subcommand;
use std::path::PathBuf;

/// `govrt blueprint …`.
#[derive(Debug, Subcommand)]
pub enum BlueprintCommand {
    /// Load a blueprint set (file or folder); changed blueprints become new versions.
    Load {
        /// `.gov` files or folders.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Store changed blueprints as DRAFT versions (checked, taking no items until activated).
        #[arg(long)]
        draft: bool,
    },
    /// Make a stored version ACTIVE: items may be created with it (admins).
    Activate {
        /// The blueprint id.
        id: String,
        /// The version.
        version: u32,
    },
    /// Make a stored version ARCHIVED: it takes no new items; its items go on working (admins).
    Archive {
        /// The blueprint id.
        id: String,
        /// The version.
        version: u32,
    },
    /// List stored blueprints and their versions.
    List,
    /// Show a stored blueprint.
    Show {
        /// The blueprint id.
        id: String,
        /// A version other than the newest.
        #[arg(long)]
        version: Option<u32>,
    },
}

/// `govrt init`: the given folder, or the standard set compiled into govrt.
pub fn init(cli: &Global, blueprints: Option<&PathBuf>) -> Outcome {
    let mut engine = tryo!(open(cli, true));
    let by = super::runtime::local_admin();
    if let Err(e) =
        engine.store_public_settings(&by, cli.base_url.as_deref(), cli.mail_from.as_deref())
    {
        return engine_error(e, cli.json);
    }
    let (result, source) = match blueprints {
        Some(dir) => (
            engine.load_blueprints(std::slice::from_ref(dir), None),
            dir.display().to_string(),
        ),
        None => (
            engine.load_blueprint_texts(crate::standard::STANDARD_BLUEPRINTS, &[], None),
            "standard".to_string(),
        ),
    };
    match result {
        Ok(report) => {
            if cli.json {
                print_json(
                    &serde_json::json!({"db": crate::store::shown(&cli.db).to_string(), "blueprints": source, "load": report}),
                );
            } else {
                println!("database `{}` is ready", crate::store::shown(&cli.db));
                print_load(&report);
            }
            Outcome::Exit(exit::OK)
        }
        Err(e) => engine_error(e, cli.json),
    }
}

pub(super) fn print_load(report: &engine::LoadReport) {
    for (id, v) in &report.new_versions {
        println!("loaded blueprint `{id}` version {v}");
    }
    for (id, v) in &report.unchanged {
        println!("unchanged blueprint `{id}` version {v}");
    }
    for (id, v) in &report.activated {
        println!("activated blueprint `{id}` version {v}");
    }
    for s in &report.stranded {
        eprintln!(
            "warning: item {} `{}` is at step `{}`, which version {} of `{}` removes, and no `migrate` block moves it from version {}",
            s.item, s.name, s.step, s.new_version, s.blueprint, s.version
        );
        eprintln!("  help: {}", s.help());
    }
}

/// `govrt blueprint …`.
pub fn blueprint(cli: &Global, command: &BlueprintCommand) -> Outcome {
    let mut engine = tryo!(open(cli, matches!(command, BlueprintCommand::Load { .. })));
    let result = match command {
        BlueprintCommand::Load { paths, draft } => {
            let state = if *draft {
                VersionState::Draft
            } else {
                VersionState::Active
            };
            engine
                .load_blueprints_as(paths, state, None)
                .map(|report| {
                    if cli.json {
                        print_json(&report)
                    } else {
                        print_load(&report);
                        if *draft {
                            for (id, v) in &report.new_versions {
                                println!("version {v} of `{id}` is a DRAFT: `govrt blueprint activate {id} {v}` makes it take items");
                            }
                        }
                    }
                })
        }
        BlueprintCommand::Activate { id, version } | BlueprintCommand::Archive { id, version } => {
            let state = if matches!(command, BlueprintCommand::Activate { .. }) {
                VersionState::Active
            } else {
                VersionState::Archived
            };
            let who = tryo!(super::runtime::reader(cli, &mut engine));
            engine
                .set_version_state(&who, id, *version, state, None)
                .map(|before| {
                    if cli.json {
                        print_json(&serde_json::json!({"blueprint": id, "version": version, "state": state, "before": before}));
                    } else if before == state {
                        println!("version {version} of `{id}` was {} already", state.as_str());
                    } else {
                        println!(
                            "version {version} of `{id}` is {} (was {})",
                            state.as_str(),
                            before.as_str()
                        );
                    }
                })
        }
        BlueprintCommand::List => engine.blueprint_versions().map(|versions| {
            if cli.json {
                let rows: Vec<_> = versions.iter().map(|v| serde_json::json!({"blueprint": v.blueprint, "version": v.version, "declared_version": v.declared, "loaded_at": v.loaded_at, "state": v.state})).collect();
                print_json(&rows);
            } else {
                println!(
                    "{:<24} {:>7} {:>8}  {:<8}  LOADED",
                    "BLUEPRINT", "VERSION", "DECLARED", "STATE"
                );
                for v in versions {
                    println!(
                        "{:<24} {:>7} {:>8}  {:<8}  {}",
                        v.blueprint, v.version, v.declared, v.state, v.loaded_at
                    );
                }
            }
        }),
        BlueprintCommand::Show { id, version } => engine.blueprint(id, *version).and_then(|b| {
            // The stored version's lifecycle state beside what it declares.
            let state = engine
                .blueprint_versions()?
                .into_iter()
                .filter(|v| v.blueprint == *id && version.is_none_or(|n| v.version == n))
                .map(|v| v.state)
                .next_back();
            let mut shown = serde_json::to_value(&b).unwrap_or_default();
            if let (Some(map), Some(state)) = (shown.as_object_mut(), state) {
                map.insert("state".into(), state.into());
            }
            if cli.json {
                print_json(&shown);
            } else {
                match serde_json::to_string_pretty(&shown) {
                    Ok(text) => println!("{text}"),
                    Err(e) => eprintln!("{e}"),
                }
            }
            Ok(())
        }),
    };
    match result {
        Ok(()) => Outcome::Exit(exit::OK),
        Err(e) => engine_error(e, cli.json),
    }
}

/// `govrt migrate`'s arguments.
#[derive(clap::Args, Debug)]
pub struct MigrateArgs {
    /// The blueprint.
    blueprint: String,
    /// The version its items move from.
    #[arg(long)]
    from: u32,
    /// The version they move to (its set holds the `migrate` block).
    #[arg(long)]
    to: u32,
    /// Report what would change and what stops each item; change nothing.
    #[arg(long)]
    dry_run: bool,
    /// Only this item (repeatable; default: every item of the old version).
    #[arg(long = "item", value_name = "ITEM")]
    items: Vec<i64>,
}

/// `govrt migrate BLUEPRINT --from N --to M [--dry-run] [--item ITEM]...`:
/// exit 1 when an item cannot move (the others move).
pub fn migrate(cli: &Global, args: &MigrateArgs) -> Outcome {
    let mut engine = tryo!(open(cli, false));
    let who = tryo!(super::runtime::reader(cli, &mut engine));
    let request = engine::MigrateRequest {
        blueprint: &args.blueprint,
        from: args.from,
        to: args.to,
        dry_run: args.dry_run,
        items: &args.items,
    };
    match engine.migrate(&who, &request, None) {
        Ok(report) => {
            if cli.json {
                print_json(&report);
            } else {
                print_migration(&report);
            }
            if report.blocked > 0 {
                Outcome::Exit(exit::REFUSED)
            } else {
                Outcome::Exit(exit::OK)
            }
        }
        Err(e) => engine_error(e, cli.json),
    }
}

fn print_migration(r: &engine::MigrationReport) {
    let verb = if r.dry_run { "would move" } else { "moved" };
    for i in &r.items {
        let mut what = Vec::new();
        if let Some(s) = &i.step
            && s.from != s.to
        {
            what.push(format!("step {} -> {}", s.from, s.to));
        }
        for r in &i.renamed {
            what.push(format!("field {} -> {}", r.from, r.to));
        }
        for f in &i.set {
            what.push(format!("set {f}"));
        }
        for f in &i.dropped {
            what.push(format!("drop {f}"));
        }
        for s in &i.signoffs {
            match &s.to {
                Some(to) => what.push(format!("signoff {} -> {to} {}", s.from, s.fate)),
                None => what.push(format!("signoff {} dropped", s.from)),
            }
        }
        if i.problems.is_empty() {
            println!(
                "item {} `{}`: {verb} ({})",
                i.item,
                i.name,
                if what.is_empty() {
                    "no change but the version".into()
                } else {
                    what.join(", ")
                }
            );
        } else {
            println!(
                "item {} `{}`: cannot move: {}",
                i.item,
                i.name,
                i.problems.join("; ")
            );
        }
    }
    println!(
        "{} {verb}, {} cannot move, {} already on version {} (`{}` {} -> {})",
        r.moved, r.blocked, r.already, r.to, r.blueprint, r.from, r.to
    );
}

/// `govrt replay`'s arguments.
#[derive(clap::Args, Debug)]
pub struct ReplayArgs {
    /// The candidate set's folder (or files).
    #[arg(long, required = true)]
    candidate: Vec<PathBuf>,
    /// Report only items of this blueprint.
    #[arg(long)]
    blueprint: Option<String>,
    /// `human` or `json`.
    #[arg(long, value_enum, default_value_t = ReplayFormat::Human)]
    format: ReplayFormat,
}

/// How `govrt replay` prints its report.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum ReplayFormat {
    /// A line per divergence and a summary.
    Human,
    /// The report as JSON.
    Json,
}

/// `govrt replay --candidate DIR [--blueprint B] [--format human|json]`.
pub fn replay(cli: &Global, args: &ReplayArgs) -> Outcome {
    let mut engine = tryo!(open(cli, false));
    let who = tryo!(super::runtime::reader(cli, &mut engine));
    let scratch = std::env::temp_dir().join(format!("govrt-replay-{}", std::process::id()));
    if let Err(e) = std::fs::create_dir_all(&scratch) {
        return Outcome::Error(super::global::CliError::invalid_input(
            format!("cannot make a scratch folder at {}: {e}", scratch.display()),
            Some("set TMPDIR to a writable folder".into()),
        ));
    }
    let request = engine::ReplayRequest {
        candidate: &args.candidate,
        blueprint: args.blueprint.as_deref(),
        scratch: &scratch,
    };
    let result = engine.replay(&who, &request);
    let _ = std::fs::remove_dir_all(&scratch);
    match result {
        Ok(report) => {
            if cli.json || matches!(args.format, ReplayFormat::Json) {
                print_json(&report);
            } else {
                for d in &report.divergences {
                    let at = match (&d.action, &d.at) {
                        (Some(a), Some(t)) => format!(" at `{a}` ({t})"),
                        _ => String::new(),
                    };
                    println!("item {} `{}` diverges{at}: {}", d.item, d.name, d.what);
                }
                for c in &report.deploy_changes {
                    let candidate = c
                        .candidate
                        .map_or("impossible (no such infrastructure)", |v| v.as_str());
                    println!(
                        "item {}: deploy to {} would be {candidate}, not {}",
                        c.item,
                        c.infrastructure,
                        c.now.as_str()
                    );
                }
                for (action, n) in &report.not_replayed {
                    println!(
                        "not replayed: {n} `{action}` (the trail does not hold their whole input)"
                    );
                }
                println!(
                    "{} items, {} actions replayed, {} diverge, {} deploy decisions change",
                    report.items,
                    report.replayed,
                    report.diverged,
                    report.deploy_changes.len()
                );
            }
            if report.diverged > 0 || !report.deploy_changes.is_empty() {
                Outcome::Exit(exit::REFUSED)
            } else {
                Outcome::Exit(exit::OK)
            }
        }
        Err(e) => engine_error(e, cli.json),
    }
}
