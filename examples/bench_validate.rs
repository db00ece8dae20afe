//! Benchmark: validating a large blueprint set, against serde_json parsing an
//! equivalent JSON document in the same run.
//!
//! ```text
//! cargo run --profile release-lto --example bench_validate [-- --blueprints N]
//! ```
//!
//! The set is generated: N blueprints (default 6,000, about 12 MB of `.gov`
//! text) in files of 50, in parent chains of four, each with typed fields,
//! roles, permissions, a five-step workflow with a sign-off whose reviewers
//! come from an ancestor's fields, and a matrix view. The JSON document holds
//! the same declarations as objects. Both are timed from text in memory to a
//! result (the checked model; a `serde_json::Value`), best of five runs.

// The allocator of the `govrt` binary, so the figures are the binary's.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use govrt::check::{self, DiskScripts};
use govrt::diag::SourceFile;
use serde_json::json;

fn blueprint_text(i: usize, out: &mut String) -> serde_json::Value {
    let parent = (i % 4 != 0).then(|| format!("bp_{}", i - 1));
    let root = format!("bp_{}", i - i % 4);
    let _ = writeln!(
        out,
        "/// Generated blueprint number {i}, for the validation benchmark."
    );
    let _ = writeln!(out, "blueprint bp_{i} \"Blueprint {i}\" {{");
    let _ = writeln!(out, "  version {}", 1 + i % 3);
    if let Some(p) = &parent {
        let _ = writeln!(out, "  parent {p}");
    }
    let fields = [
        ("owner", "user", "Owner"),
        ("description", "text", "Description"),
        ("reviewers_it", "[principal]", "IT reviewers"),
        ("reviewers_risk", "[principal]", "Risk reviewers"),
        ("approvers", "[principal]", "Approvers"),
        ("value", "int(1..5)", "Value"),
        ("risk", "int(1..5)", "Risk"),
        ("feasibility", "int(1..5)", "Feasibility"),
        ("tier", "enum(low, medium, high)", "Tier"),
        ("accuracy", "number", "Accuracy"),
        ("due", "date", "Due date"),
        ("wiki", "url", "Wiki page"),
    ];
    let mut json_fields = Vec::new();
    for (id, ty, label) in fields {
        let default = match id {
            "value" => " = 3",
            "tier" => " = medium",
            _ => "",
        };
        let _ = writeln!(
            out,
            "  field {id}: {ty} \"{label}\"{default} help \"The {label} of item {i}\""
        );
        json_fields.push(json!({"id": id, "type": ty, "label": label, "default": default.trim_start_matches(" = "), "help": format!("The {label} of item {i}")}));
    }
    let _ = writeln!(
        out,
        "  role owner = field owner\n  role approvers = {root}.field approvers"
    );
    let _ = writeln!(
        out,
        "  permission read = everyone\n  permission write = role owner, group \"admins\""
    );
    let _ = writeln!(out, "  workflow {{");
    let steps = [
        "exploration",
        "qualification",
        "in_progress",
        "review",
        "deployed",
    ];
    let mut json_steps = Vec::new();
    for step in steps {
        if step == "review" {
            let _ = writeln!(
                out,
                "    step review \"Review\" {{\n      field notes: text \"Notes\"\n      signoff {{\n        mandatory"
            );
            let _ = writeln!(
                out,
                "        feedback it_ops \"IT\" {{ reviewers = {root}.field reviewers_it  min 2 }}"
            );
            let _ = writeln!(
                out,
                "        feedback risk \"Risk\" {{ reviewers = {root}.field reviewers_risk }}"
            );
            let _ = writeln!(
                out,
                "        final {{ reviewers = role approvers  not requester }}\n        reset every 6 months\n      }}\n    }}"
            );
            json_steps.push(json!({"id": "review", "label": "Review", "fields": [{"id": "notes", "type": "text", "label": "Notes"}],
                "signoff": {"mandatory": true, "feedback": [
                    {"id": "it_ops", "label": "IT", "reviewers": [{"blueprint": root, "field": "reviewers_it"}], "min": 2},
                    {"id": "risk", "label": "Risk", "reviewers": [{"blueprint": root, "field": "reviewers_risk"}]}],
                    "final": {"reviewers": [{"role": "approvers"}], "not_requester": true}, "reset_every": "6 months"}}));
        } else {
            let _ = writeln!(out, "    step {step} \"{step}\"");
            json_steps.push(json!({"id": step, "label": step}));
        }
    }
    let _ = writeln!(
        out,
        "  }}\n  matrix qualification \"Qualification\" {{ x feasibility  y value  size risk  color tier }}\n}}\n"
    );
    json!({
        "id": format!("bp_{i}"), "label": format!("Blueprint {i}"), "doc": format!("Generated blueprint number {i}, for the validation benchmark."),
        "version": 1 + i % 3, "parent": parent, "fields": json_fields,
        "roles": [{"id": "owner", "principals": [{"field": "owner"}]}, {"id": "approvers", "principals": [{"blueprint": root, "field": "approvers"}]}],
        "permissions": {"read": ["everyone"], "write": [{"role": "owner"}, {"group": "admins"}]},
        "workflow": json_steps,
        "matrices": [{"id": "qualification", "label": "Qualification", "x": "feasibility", "y": "value", "size": "risk", "color": "tier"}],
    })
}

fn best_of<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut last = None;
    for _ in 0..runs {
        let start = Instant::now();
        let out = f();
        best = best.min(start.elapsed());
        last = Some(out);
    }
    (best, last.unwrap_or_else(f))
}

/// Validating a generated blueprint set against serde_json parsing the same
/// declarations as JSON, in the same run.
#[derive(clap::Parser)]
#[command(name = "bench_validate")]
struct Args {
    /// Blueprints in the generated set.
    #[arg(long, default_value_t = 6_000)]
    blueprints: usize,
}

fn main() {
    let n = <Args as clap::Parser>::parse().blueprints;

    let mut sources: Vec<Arc<SourceFile>> = Vec::new();
    let mut json_blueprints = Vec::new();
    let mut gov_bytes = 0;
    for file in 0..n.div_ceil(50) {
        let mut text = String::new();
        for i in file * 50..((file + 1) * 50).min(n) {
            json_blueprints.push(blueprint_text(i, &mut text));
        }
        gov_bytes += text.len();
        sources.push(SourceFile::new(format!("gen/set_{file:04}.gov"), text));
    }
    let json_text =
        serde_json::to_string_pretty(&json!({"blueprints": json_blueprints})).unwrap_or_default();

    let (gov_time, checked) = best_of(5, || check::check_sources(&sources, &DiskScripts));
    assert!(
        checked.diagnostics.is_empty(),
        "the generated set must be valid: {:?}",
        checked.diagnostics.first()
    );
    let blueprints = checked.set.map_or(0, |s| s.blueprints.len());
    if std::env::var_os("BENCH_BREAKDOWN").is_some() {
        let (parse_time, _) = best_of(5, || check::parse_all(&sources));
        let (serial, _) = best_of(3, || sources.iter().map(govrt::syntax::parse).count());
        println!(
            "breakdown: parse (parallel) {:.1} ms, parse (one thread) {:.1} ms",
            parse_time.as_secs_f64() * 1e3,
            serial.as_secs_f64() * 1e3
        );
    }
    let (json_time, value) = best_of(5, || serde_json::from_str::<serde_json::Value>(&json_text));
    assert!(value.is_ok());

    let mb = |bytes: usize| bytes as f64 / 1_000_000.0;
    let gov_rate = mb(gov_bytes) / gov_time.as_secs_f64();
    let json_rate = mb(json_text.len()) / json_time.as_secs_f64();
    let ratio = gov_time.as_secs_f64() / json_time.as_secs_f64();
    println!("blueprints: {blueprints} in {} files", sources.len());
    println!(
        ".gov text:  {:.1} MB validated in {:.1} ms: {gov_rate:.1} MB/s",
        mb(gov_bytes),
        gov_time.as_secs_f64() * 1e3
    );
    println!(
        "JSON text:  {:.1} MB parsed by serde_json in {:.1} ms: {json_rate:.1} MB/s",
        mb(json_text.len()),
        json_time.as_secs_f64() * 1e3
    );
    println!(
        "validate blueprints={blueprints} gov_mb={:.1} gov_ms={:.1} gov_mb_per_s={gov_rate:.1} json_mb={:.1} json_ms={:.1} json_mb_per_s={json_rate:.1} time_ratio={ratio:.2}",
        mb(gov_bytes),
        gov_time.as_secs_f64() * 1e3,
        mb(json_text.len()),
        json_time.as_secs_f64() * 1e3,
    );
}
