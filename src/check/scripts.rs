//! Hook scripts: a blueprint's `script` must exist and compile as rhai, and
//! its functions are compared with the hook names the runtime calls.

use std::sync::Arc;

use crate::diag::{Code, Diagnostic, SourceFile, Span, closest};
use crate::model::Script;

/// The hooks the runtime calls and how many parameters each takes.
/// `compute_FIELD` hooks take one (the item).
pub const HOOKS: &[(&str, usize)] = &[
    ("validate", 1),
    ("before_advance", 3),
    ("after_change", 2),
    ("reviewers", 3),
    ("mandatory", 2),
    ("visible", 2),
    ("reset_at", 3),
    ("migrate", 3),
];

/// The prefix of computed-field hooks.
const COMPUTE_PREFIX: &str = crate::model::Script::COMPUTE_PREFIX;

/// The rhai engine used to compile scripts: no standard packages are needed to
/// parse, and `eval` is refused at compile time as it will be at run time.
pub fn compile_engine() -> rhai::Engine {
    let mut engine = rhai::Engine::new_raw();
    engine.disable_symbol("eval");
    engine.set_max_expr_depths(64, 64);
    engine
}

/// Compiles a script and checks its hook functions against `fields`.
/// Returns the checked script (if it compiles) and the diagnostics.
pub fn check_script(
    path_as_written: &str,
    script_file: &Arc<SourceFile>,
    fields: &[&str],
) -> (Option<Script>, Vec<Diagnostic>) {
    let engine = compile_engine();
    let ast = match engine.compile(&*script_file.text) {
        Ok(ast) => ast,
        Err(e) => {
            let pos = e.1;
            let offset = match (pos.line(), pos.position()) {
                (Some(line), Some(col)) => script_file.offset_of(line, col),
                (Some(line), None) => script_file.offset_of(line, 1),
                _ => script_file.text.len(),
            };
            let diagnostic = Diagnostic::new(
                Code::ScriptSyntax,
                script_file,
                Span::new(offset, offset + 1),
                "rhai stopped here",
                format!("script does not compile: {}", e.0.to_string().trim_end_matches('.').to_lowercase()),
            )
            .with_help("fix the rhai syntax; hooks are plain rhai functions, e.g. `fn validate(item) { () }`");
            return (None, vec![diagnostic]);
        }
    };
    let mut diagnostics = Vec::new();
    let mut hooks = Vec::new();
    for f in ast.iter_functions() {
        let name = f.name;
        let arity = f.params.len();
        let span = function_span(script_file, name);
        if let Some(field) = name.strip_prefix(COMPUTE_PREFIX) {
            if !fields.contains(&field) {
                let help = match closest(field, fields.iter().copied()) {
                    Some(c) => format!("did you mean `{COMPUTE_PREFIX}{c}`?"),
                    None => format!(
                        "`{COMPUTE_PREFIX}FIELD` computes the field FIELD; the blueprint has no field `{field}`"
                    ),
                };
                diagnostics.push(
                    Diagnostic::new(
                        Code::UnknownComputedField,
                        script_file,
                        span,
                        "no such field",
                        format!("hook `{name}` computes unknown field `{field}`"),
                    )
                    .with_help(help),
                );
            } else if arity != 1 {
                diagnostics.push(arity_warning(script_file, span, name, arity, 1));
            } else {
                hooks.push(name.to_string());
            }
            continue;
        }
        match HOOKS.iter().find(|(hook, _)| *hook == name) {
            Some(&(_, expected)) if expected != arity => {
                diagnostics.push(arity_warning(script_file, span, name, arity, expected));
            }
            Some(_) => hooks.push(name.to_string()),
            None => {
                let near = closest(name, HOOKS.iter().map(|(h, _)| *h)).or_else(|| {
                    (name.starts_with("comput") || name.starts_with("compte"))
                        .then_some("compute_FIELD")
                });
                if let Some(hook) = near {
                    diagnostics.push(
                        Diagnostic::new(
                            Code::MisspeltHook,
                            script_file,
                            span,
                            "never called",
                            format!("function `{name}` looks like a misspelt hook"),
                        )
                        .with_help(format!(
                            "did you mean `{hook}`? a helper function of that name is never called by the runtime; rename it if it is not a hook"
                        )),
                    );
                }
            }
        }
    }
    hooks.sort();
    hooks.dedup();
    let script = Script {
        path: path_as_written.to_string(),
        source: script_file.text.to_string(),
        resolved: script_file.name.clone(),
        hooks,
    };
    (Some(script), diagnostics)
}

fn arity_warning(
    file: &Arc<SourceFile>,
    span: Span,
    name: &str,
    got: usize,
    expected: usize,
) -> Diagnostic {
    let plural = |n: usize| if n == 1 { "parameter" } else { "parameters" };
    let signature = match name {
        "validate" => "validate(item)".to_string(),
        "before_advance" => "before_advance(item, from, to)".to_string(),
        "after_change" => "after_change(item, event)".to_string(),
        "reviewers" => "reviewers(item, step, group)".to_string(),
        "mandatory" => "mandatory(item, step)".to_string(),
        "visible" => "visible(item, step)".to_string(),
        "reset_at" => "reset_at(item, step, approved_at)".to_string(),
        "migrate" => "migrate(item, from, to)".to_string(),
        _ => format!("{name}(item)"),
    };
    Diagnostic::new(
        Code::HookArity,
        file,
        span,
        format!("takes {got} {}", plural(got)),
        format!(
            "hook `{name}` takes {got} {}, the runtime passes {expected}",
            plural(got)
        ),
    )
    .with_help(format!(
        "declare it as `fn {signature}`; with another arity the runtime never calls it"
    ))
}

/// The span of `fn NAME` in the script, or its start.
fn function_span(file: &Arc<SourceFile>, name: &str) -> Span {
    let text = &*file.text;
    let mut from = 0;
    while let Some(i) = text[from..].find("fn ") {
        let start = from + i;
        let after = text[start + 3..].trim_start();
        let name_start = text.len() - after.len();
        if after.starts_with(name)
            && !after[name.len()..].starts_with(|c: char| c.is_alphanumeric() || c == '_')
        {
            return Span::new(name_start, name_start + name.len());
        }
        from = start + 3;
    }
    Span::at(0)
}
