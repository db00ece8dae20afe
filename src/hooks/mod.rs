//! Rhai hooks: the functions of a blueprint's `script` that the engine calls
//! (the book's "Hooks in rhai"), compiled once per loaded set and run in a sandbox.
//!
//! Scripts see a read-only view of the item (a rhai map, see [`item_view`])
//! and return decisions; they do no I/O. The sandbox bounds operations, call
//! depth, expression depth, string/array/map sizes and wall time per call;
//! `eval` and modules are refused; `print` and `debug` go to the log (stderr),
//! never to stdout, within the bounds of [`output`].

mod output;

pub use output::{MAX_OUTPUT_PER_CALL, MAX_OUTPUT_PER_MINUTE, OutputBudget};

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rhai::packages::Package;
use rhai::{AST, CallFnOptions, Dynamic, Engine, EvalAltResult, Scope};
use serde_json::Value as Json;

use crate::model::{BlueprintSet, Script};

/// Limits of one hook call.
pub const MAX_OPERATIONS: u64 = 200_000;
/// Nested function calls.
pub const MAX_CALL_LEVELS: usize = 32;
/// Longest string a script may build.
pub const MAX_STRING: usize = 64 * 1024;
/// Largest array or map.
pub const MAX_COLLECTION: usize = 10_000;
/// Wall time of one call.
pub const MAX_WALL_TIME: Duration = Duration::from_millis(250);

/// A failure inside a script: which script, which function, where, what.
#[derive(Debug, Clone, PartialEq)]
pub struct ScriptError {
    /// The script's path as the blueprint writes it.
    pub script: String,
    /// The hook function.
    pub function: String,
    /// 1-based line in the script, when known.
    pub line: Option<usize>,
    /// 1-based column, when known.
    pub column: Option<usize>,
    /// What went wrong.
    pub message: String,
}

impl std::fmt::Display for ScriptError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "script `{}`, function `{}`", self.script, self.function)?;
        if let (Some(l), Some(c)) = (self.line, self.column) {
            write!(f, ", line {l}, column {c}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// The compiled hooks of one blueprint set.
pub struct Hooks {
    engine: Engine,
    deadline: Arc<Mutex<Option<Instant>>>,
    output: Arc<OutputBudget>,
    scripts: HashMap<String, (Arc<AST>, Script)>,
}

impl std::fmt::Debug for Hooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hooks")
            .field("scripts", &self.scripts.keys().collect::<Vec<_>>())
            .finish()
    }
}

std::thread_local! {
    /// Whether the hooks called on this thread run for `govrt replay`.
    static REPLAYING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f` with the hooks it calls told, by their `replaying()` function,
/// that they run for a replay of the recorded history (`govrt replay`):
/// a hook that calls out or counts may then do otherwise.
pub fn while_replaying<T>(f: impl FnOnce() -> T) -> T {
    let before = REPLAYING.with(|r| r.replace(true));
    let out = f();
    REPLAYING.with(|r| r.set(before));
    out
}

/// The sandboxed engine hooks run in.
pub fn sandbox(
    deadline: Arc<Mutex<Option<Instant>>>,
    output: Arc<OutputBudget>,
    log_prefix: &str,
) -> Engine {
    let mut engine = Engine::new_raw();
    engine.register_global_module(rhai::packages::StandardPackage::new().as_shared_module());
    engine.set_max_operations(MAX_OPERATIONS);
    engine.set_max_call_levels(MAX_CALL_LEVELS);
    engine.set_max_expr_depths(64, 32);
    engine.set_max_string_size(MAX_STRING);
    engine.set_max_array_size(MAX_COLLECTION);
    engine.set_max_map_size(MAX_COLLECTION);
    engine.set_max_modules(0);
    engine.set_module_resolver(rhai::module_resolvers::DummyModuleResolver::new());
    engine.disable_symbol("eval");
    engine.register_fn("replaying", || REPLAYING.with(std::cell::Cell::get));
    let prefix = log_prefix.to_string();
    let budget = Arc::clone(&output);
    engine.on_print(move |text| {
        if budget.allows(text.len(), &prefix) {
            eprintln!("{prefix}: print: {text}");
        }
    });
    let prefix = log_prefix.to_string();
    engine.on_debug(move |text, source, pos| {
        if !output.allows(text.len(), &prefix) {
            return;
        }
        eprintln!(
            "{prefix}: debug{}{}: {text}",
            source.map(|s| format!(" {s}")).unwrap_or_default(),
            if pos.is_none() {
                String::new()
            } else {
                format!(" at {pos}")
            }
        )
    });
    engine.on_progress(move |_| {
        let late = deadline
            .lock()
            .ok()
            .and_then(|d| *d)
            .is_some_and(|d| Instant::now() > d);
        late.then(|| Dynamic::from("the script ran longer than its time limit"))
    });
    engine
}

impl Hooks {
    /// Compiles the scripts of a checked set.
    pub fn compile(set: &BlueprintSet) -> Result<Hooks, ScriptError> {
        let deadline = Arc::new(Mutex::new(None));
        let output = Arc::new(OutputBudget::default());
        let engine = sandbox(Arc::clone(&deadline), Arc::clone(&output), "govrt hook");
        let mut scripts = HashMap::new();
        for (id, blueprint) in &set.blueprints {
            let Some(script) = &blueprint.script else {
                continue;
            };
            let ast = engine.compile(&script.source).map_err(|e| ScriptError {
                script: script.path.clone(),
                function: "(compile)".into(),
                line: e.1.line(),
                column: e.1.position(),
                message: e.0.to_string(),
            })?;
            scripts.insert(id.to_string(), (Arc::new(ast), script.clone()));
        }
        Ok(Hooks {
            engine,
            deadline,
            output,
            scripts,
        })
    }

    /// Whether `blueprint` has a script.
    pub fn has_script(&self, blueprint: &str) -> bool {
        self.scripts.contains_key(blueprint)
    }

    /// Whether `blueprint`'s script defines `function`.
    pub fn has(&self, blueprint: &str, function: &str) -> bool {
        self.scripts
            .get(blueprint)
            .is_some_and(|(_, s)| s.hooks.iter().any(|h| h == function))
    }

    /// The `compute_FIELD` hooks of a blueprint: (hook, field).
    pub fn computed_fields(&self, blueprint: &str) -> Vec<(String, String)> {
        self.scripts
            .get(blueprint)
            .map(|(_, s)| {
                s.hooks
                    .iter()
                    .filter_map(|h| {
                        h.strip_prefix(Script::COMPUTE_PREFIX)
                            .map(|f| (h.clone(), f.to_string()))
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Calls a hook if the blueprint's script defines it; `Ok(None)` if not.
    pub fn call(
        &self,
        blueprint: &str,
        function: &str,
        args: Vec<Dynamic>,
    ) -> Result<Option<Dynamic>, ScriptError> {
        let Some((ast, script)) = self.scripts.get(blueprint) else {
            return Ok(None);
        };
        if !script.hooks.iter().any(|h| h == function) {
            return Ok(None);
        }
        if let Ok(mut d) = self.deadline.lock() {
            *d = Some(Instant::now() + MAX_WALL_TIME);
        }
        self.output.start_call();
        let mut scope = Scope::new();
        let options = CallFnOptions::new().eval_ast(false).rewind_scope(true);
        let result = self
            .engine
            .call_fn_with_options::<Dynamic>(options, &mut scope, ast, function, args);
        if let Ok(mut d) = self.deadline.lock() {
            *d = None;
        }
        result
            .map(Some)
            .map_err(|e| script_error(script, function, &e))
    }
}

fn script_error(script: &Script, function: &str, error: &EvalAltResult) -> ScriptError {
    let inner = error.unwrap_inner();
    let pos = inner.position();
    let message = match inner {
        EvalAltResult::ErrorTerminated(..) => {
            "stopped: the script ran longer than its time limit".to_string()
        }
        EvalAltResult::ErrorTooManyOperations(..) => {
            format!("stopped: more than {MAX_OPERATIONS} operations (an endless loop?)")
        }
        EvalAltResult::ErrorStackOverflow(..) => {
            format!("stopped: calls nested deeper than {MAX_CALL_LEVELS} (endless recursion?)")
        }
        EvalAltResult::ErrorDataTooLarge(what, ..) => {
            format!("stopped: {what} grew beyond its limit")
        }
        other => other.to_string(),
    };
    // Limits hit outside any expression have no position: point at the function.
    let (line, column) = match (pos.line(), pos.position()) {
        (Some(l), c) => (Some(l), c.or(Some(1))),
        _ => function_position(&script.source, function),
    };
    ScriptError {
        script: script.path.clone(),
        function: function.to_string(),
        line,
        column,
        message,
    }
}

/// The 1-based line and column of `fn NAME` in a script.
fn function_position(source: &str, function: &str) -> (Option<usize>, Option<usize>) {
    let needle = format!("fn {function}");
    for (i, line) in source.lines().enumerate() {
        if let Some(col) = line.find(&needle) {
            return (Some(i + 1), Some(line[..col].chars().count() + 1));
        }
    }
    (None, None)
}

/// Converts JSON to a rhai value (`null` becomes `()`).
pub fn to_dynamic(value: &Json) -> Dynamic {
    match value {
        Json::Null => Dynamic::UNIT,
        Json::Bool(b) => Dynamic::from(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Dynamic::from(i),
            None => Dynamic::from(n.as_f64().unwrap_or_default()),
        },
        Json::String(s) => Dynamic::from(s.clone()),
        Json::Array(items) => Dynamic::from_array(items.iter().map(to_dynamic).collect()),
        Json::Object(map) => Dynamic::from_map(
            map.iter()
                .map(|(k, v)| (k.as_str().into(), to_dynamic(v)))
                .collect(),
        ),
    }
}

/// Converts a rhai value to JSON (`()` becomes `null`).
pub fn to_json(value: &Dynamic) -> Json {
    if value.is_unit() {
        return Json::Null;
    }
    rhai::serde::from_dynamic::<Json>(value).unwrap_or(Json::Null)
}

#[cfg(test)]
mod replaying_tests {
    use super::*;

    #[test]
    fn hooks_are_told_when_they_run_for_a_replay() {
        let engine = sandbox(
            Arc::new(Mutex::new(None)),
            Arc::new(OutputBudget::default()),
            "test",
        );
        assert_eq!(engine.eval::<bool>("replaying()").ok(), Some(false));
        assert_eq!(
            while_replaying(|| engine.eval::<bool>("replaying()").ok()),
            Some(true)
        );
        assert_eq!(
            engine.eval::<bool>("replaying()").ok(),
            Some(false),
            "only while replaying"
        );
    }
}
