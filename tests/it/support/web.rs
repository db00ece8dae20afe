//! Helpers of the web UI's tests: the world they sign off in, and the
//! state of a sign-off as the command line reads it.

use super::Sandbox;

/// The standard world, rated projects for the matrix, and a model version.
pub fn world(s: &Sandbox) -> (String, String) {
    let (project, model) = s.standard_world();
    s.quiet(&[
        "--as",
        "owner",
        "item",
        "set",
        &project,
        "value=4",
        "feasibility=3",
        "risk=2",
    ]);
    s.quiet(&[
        "--as",
        "owner",
        "item",
        "create",
        "project",
        "Churn",
        "--set",
        "owner=owner",
        "--set",
        "value=2",
        "--set",
        "feasibility=5",
        "--set",
        "risk=5",
    ]);
    let version = s.model_version(&model, "v1");
    (project, version)
}

/// The state of the first sign-off of an item, read through the CLI.
pub fn status_of(s: &Sandbox, item: &str) -> String {
    let status = s.quiet(&["--json", "status", item]).json();
    status["signoffs"][0]["status"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}
