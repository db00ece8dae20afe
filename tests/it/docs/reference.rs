//! The generated chapters of the book: the CLI reference from the clap
//! definitions, the HTTP API reference from the OpenAPI document, and the
//! index of diagnostic codes from the code table. Generated, so they cannot
//! drift from the program.

use std::fmt::Write;

use serde_json::Value;

/// The CLI reference: every command, argument and option, from clap.
pub fn cli() -> String {
    let command = <govrt::cli::Cli as clap::CommandFactory>::command();
    let options = clap_markdown::MarkdownOptions::new()
        .title("CLI reference".into())
        .show_footer(false);
    let body = clap_markdown::help_markdown_command_custom(&command, &options);
    format!(
        "<!-- Generated from the clap definitions by `GOVRT_BLESS_DOCS=1 cargo test --test it docs::`; do not edit. -->\n\n{}\n",
        body.trim_end()
    )
}

/// The HTTP API reference: every route of the OpenAPI document, with its
/// parameters, body and answers.
pub fn api(document: &Value) -> String {
    let mut out = String::from(
        "<!-- Generated from the OpenAPI document by `GOVRT_BLESS_DOCS=1 cargo test --test it docs::`; do not edit. -->\n\n# HTTP API reference\n\n",
    );
    let _ = writeln!(
        out,
        "The daemon serves this document at `/api/v1/openapi.json` (OpenAPI {}). \
         Every route but those marked *no authentication* takes `Authorization: Bearer SECRET`. \
         Errors are `{{\"error\": {{\"code\", \"message\", \"help\"}}}}`.\n",
        document["openapi"].as_str().unwrap_or("3")
    );
    let empty = serde_json::Map::new();
    let paths = document["paths"].as_object().unwrap_or(&empty);
    for (path, methods) in paths {
        let Some(methods) = methods.as_object() else {
            continue;
        };
        for (method, op) in methods {
            let _ = writeln!(out, "## `{} {path}`\n", method.to_uppercase());
            if let Some(summary) = op["summary"].as_str() {
                let _ = writeln!(out, "{}.\n", summary.trim_end_matches('.'));
            }
            if let Some(description) = op["description"].as_str() {
                let _ = writeln!(out, "{description}\n");
            }
            // `security: [{}]`: no scheme needed.
            if op["security"].as_array().is_some_and(|s| {
                s.iter()
                    .all(|r| r.as_object().is_some_and(|o| o.is_empty()))
            }) {
                let _ = writeln!(out, "*No authentication.*\n");
            }
            parameters(&mut out, document, op);
            if let Some(body) = op.get("requestBody") {
                let _ = writeln!(
                    out,
                    "Request body ({}): {}\n",
                    first_content_type(body).unwrap_or("application/json"),
                    schema_words(first_schema(body))
                );
            }
            let _ = writeln!(out, "| answer | meaning | body |\n| --- | --- | --- |");
            if let Some(responses) = op["responses"].as_object() {
                for (status, response) in responses {
                    let _ = writeln!(
                        out,
                        "| {status} | {} | {} |",
                        cell(response["description"].as_str().unwrap_or("")),
                        cell(&schema_words(first_schema(response)))
                    );
                }
            }
            out.push('\n');
        }
    }
    format!("{}\n", out.trim_end())
}

fn parameters(out: &mut String, document: &Value, op: &Value) {
    let Some(list) = op["parameters"].as_array() else {
        return;
    };
    if list.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "| parameter | in | required | type | meaning |\n| --- | --- | --- | --- | --- |"
    );
    for p in list {
        let p = resolve(document, p);
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} | {} |",
            p["name"].as_str().unwrap_or(""),
            p["in"].as_str().unwrap_or(""),
            if p["required"].as_bool().unwrap_or(false) {
                "yes"
            } else {
                "no"
            },
            cell(&schema_words(Some(&p["schema"]))),
            cell(p["description"].as_str().unwrap_or(""))
        );
    }
    out.push('\n');
}

fn resolve<'a>(document: &'a Value, value: &'a Value) -> &'a Value {
    match value["$ref"].as_str() {
        Some(pointer) => document
            .pointer(pointer.trim_start_matches('#'))
            .unwrap_or(value),
        None => value,
    }
}

fn first_content_type(holder: &Value) -> Option<&str> {
    holder["content"]
        .as_object()?
        .keys()
        .next()
        .map(String::as_str)
}

fn first_schema(holder: &Value) -> Option<&Value> {
    holder["content"]
        .as_object()?
        .values()
        .next()
        .map(|c| &c["schema"])
}

/// A schema in a few words: `Item`, `array of Item`, `object`, `integer`.
fn schema_words(schema: Option<&Value>) -> String {
    let Some(schema) = schema else {
        return String::new();
    };
    if let Some(pointer) = schema["$ref"].as_str() {
        let name = pointer.rsplit('/').next().unwrap_or(pointer);
        return format!("`{name}`");
    }
    match schema["type"].as_str() {
        Some("array") => format!("array of {}", schema_words(Some(&schema["items"]))),
        Some(kind) => kind.to_owned(),
        None => String::new(),
    }
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// The index of diagnostic codes, each linked to its page.
pub fn diagnostics() -> String {
    let mut out = String::from(
        "<!-- Generated from the code table by `GOVRT_BLESS_DOCS=1 cargo test --test it docs::`; do not edit. -->\n\n# Diagnostics\n\n\
         Every problem `govrt validate` reports has a stable code: `gov::E…` for errors, `gov::W…` for warnings, \
         grouped by stage (00 syntax, 01 names and references, 02 structure, 03 types and values, 04 hooks). \
         `govrt explain CODE` prints the page of a code in the terminal.\n\n\
         | code | severity | name | meaning |\n| --- | --- | --- | --- |\n",
    );
    for code in govrt::diag::Code::ALL {
        let short = code.as_str().trim_start_matches("gov::");
        let severity = match code.severity() {
            govrt::diag::Severity::Error => "error",
            govrt::diag::Severity::Warning => "warning",
        };
        let _ = writeln!(
            out,
            "| [`{}`](../diagnostics/{short}.md) | {severity} | `{}` | {} |",
            code.as_str(),
            code.slug(),
            cell(code.summary())
        );
    }
    out
}
