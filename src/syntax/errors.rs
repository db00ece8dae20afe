//! Syntax errors in a blueprint author's words: what was expected (tokens,
//! not grammar rules), what was found, where, and how to fix it.

use super::grammar::{GovParser, Rule};
use crate::diag::{Code, Diagnostic, SourceFile, Span};
use pest::Parser as _;
use pest::error::InputLocation;
use std::collections::BTreeSet;
use std::sync::Arc;

// ------------------------------------------------------------------ errors

pub(super) fn syntax_error(file: &Arc<SourceFile>, error: &pest::error::Error<Rule>) -> Diagnostic {
    syntax_error_in(file, &file.text, error)
}

/// The syntax error of `error`, found in `text`: `file`'s text or a copy
/// of it with its start blanked out (positions are the same), to say what
/// comes after an earlier error.
pub(super) fn syntax_error_in(
    file: &Arc<SourceFile>,
    text: &str,
    error: &pest::error::Error<Rule>,
) -> Diagnostic {
    let pos = match error.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    let mut expected = BTreeSet::new();
    let mut rules = Vec::new();
    if let pest::error::ErrorVariant::ParsingError { positives, .. } = &error.variant {
        for rule in positives {
            rules.push(*rule);
            if let Some(word) = describe_rule(*rule) {
                expected.insert(word.to_string());
            }
        }
    }
    // Punctuation is not a rule, so pest only names it when error details are
    // tracked; that costs time, so it is asked for only once a file has failed.
    for token in expected_punctuation(text) {
        expected.insert(format!("`{token}`"));
    }
    let found = describe_found(text, pos);
    let list = join_alternatives(&expected);
    let (message, label) = if is_unterminated_string(text, pos) {
        (
            "unterminated string".to_string(),
            "this string has no closing `\"`".to_string(),
        )
    } else if list.is_empty() {
        (
            format!("unexpected {found}"),
            "not expected here".to_string(),
        )
    } else {
        (
            format!("expected {list}, found {found}"),
            format!("expected {list}"),
        )
    };
    let end = token_end(text, pos);
    // A number with no unit after it: the duration's unit is missing.
    if (rules.contains(&Rule::business) || rules.contains(&Rule::kw_business))
        && !is_unterminated_string(text, pos)
    {
        return Diagnostic::new(
            Code::UnknownDurationUnit,
            file,
            Span::new(pos, end),
            "a unit goes here",
            format!("a duration has no unit before {found}"),
        )
        .with_help(DURATION_UNITS);
    }
    let diagnostic = Diagnostic::new(Code::Syntax, file, Span::new(pos, end), label, message);
    match syntax_help(text, pos, &rules) {
        Some(help) => diagnostic.with_help(help),
        None if !list.is_empty() => diagnostic.with_help(format!("write {list} here")),
        None => diagnostic,
    }
}

/// The units a duration takes, where.
const DURATION_UNITS: &str = "write the unit after the number: `reset every` counts day(s), week(s), month(s) or year(s) (`reset every 1 year`); `sla`, `remind every` and `escalate after` count hour(s), day(s), week(s), or business day(s) or hour(s) of a calendar (`sla 5 business days`)";

pub(super) fn expected_punctuation(text: &str) -> BTreeSet<String> {
    pest::set_error_detail(true);
    let result = GovParser::parse(Rule::file, text);
    pest::set_error_detail(false);
    let mut out = BTreeSet::new();
    if let Err(e) = result
        && let Some(attempts) = e.parse_attempts()
    {
        for token in attempts.expected_tokens() {
            // The token type is not exported; its Display is the literal text.
            let token = token.to_string();
            if matches!(
                token.as_str(),
                "{" | "}" | "(" | ")" | "[" | "]" | "=" | ":" | "," | "." | ".."
            ) {
                out.insert(token);
            }
        }
    }
    out
}

/// How an error message names what the grammar expected: its keywords and
/// small tests here, declarations and values in [`describe_node`].
pub(super) fn describe_rule(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::EOI => "end of file",
        Rule::kw_blueprint => "`blueprint`",
        Rule::kw_infrastructure => "`infrastructure`",
        Rule::kw_version => "`version`",
        Rule::kw_parent => "`parent`",
        Rule::kw_script => "`script`",
        Rule::kw_field => "`field`",
        Rule::kw_required => "`required`",
        Rule::kw_help => "`help`",
        Rule::kw_read => "`read`",
        Rule::kw_write => "`write`",
        Rule::kw_enum => "`enum`",
        Rule::kw_int => "`int`",
        Rule::kw_ref => "`ref`",
        Rule::kw_role => "`role`",
        Rule::kw_permission => "`permission`",
        Rule::kw_user => "`user`",
        Rule::kw_group => "`group`",
        Rule::kw_api_key => "`api_key`",
        Rule::kw_everyone => "`everyone`",
        Rule::kw_workflow => "`workflow`",
        Rule::kw_step => "`step`",
        Rule::kw_signoff => "`signoff`",
        Rule::kw_mandatory => "`mandatory`",
        Rule::kw_gates => "`gates`",
        Rule::kw_binds => "`binds`",
        Rule::kw_control => "`control`",
        Rule::kw_controls => "`controls`",
        Rule::kw_framework => "`framework`",
        Rule::kw_feedback => "`feedback`",
        Rule::kw_reviewers => "`reviewers`",
        Rule::kw_min => "`min`",
        Rule::kw_final => "`final`",
        Rule::kw_not => "`not`",
        Rule::kw_requester => "`requester`",
        Rule::kw_reset => "`reset`",
        Rule::kw_every => "`every`",
        Rule::kw_matrix => "`matrix`",
        Rule::kw_policy => "`policy`",
        Rule::kw_business => "`business`",
        Rule::kw_sla => "`sla`",
        Rule::kw_in => "`in`",
        Rule::kw_remind => "`remind`",
        Rule::kw_escalate => "`escalate`",
        Rule::kw_after => "`after`",
        Rule::kw_to => "`to`",
        Rule::kw_grant => "`grant`",
        Rule::kw_calendar => "`calendar`",
        Rule::kw_timezone => "`timezone`",
        Rule::kw_workdays => "`workdays`",
        Rule::kw_hours => "`hours`",
        Rule::kw_holidays => "`holidays`",
        Rule::kw_when | Rule::when => "`when`",
        Rule::kw_disclosed => "`disclosed`",
        Rule::kw_and => "`and`",
        Rule::kw_or => "`or`",
        Rule::kw_is | Rule::is_set => "`is set`",
        Rule::in_list => "`in`",
        Rule::kw_table | Rule::table => "`table`",
        Rule::kw_columns | Rule::columns => "`columns`",
        Rule::column | Rule::column_signoff | Rule::column_deploy => "a column",
        Rule::kw_deploy => "`deploy`",
        Rule::kw_filter | Rule::filter => "`filter`",
        Rule::kw_sort | Rule::sort => "`sort`",
        Rule::kw_asc | Rule::kw_desc | Rule::sort_order => "`asc` or `desc`",
        Rule::table_blueprint => "`blueprint`",
        Rule::cond | Rule::cond_all | Rule::cond_not | Rule::cond_test => "a condition",
        Rule::state_step | Rule::state_signoff | Rule::state_sla | Rule::state_due => {
            "a test of the item's state"
        }
        Rule::equality_op => "`==`, `!=`",
        Rule::state_name => "a sign-off state (`APPROVED`, `WAITING_FOR_FEEDBACK`, …)",
        Rule::kw_breached => "`breached`",
        Rule::kw_due => "`due`",
        Rule::kw_within => "`within`",
        Rule::compare_op | Rule::compare => "`==`, `!=`, `<`, `<=`, `>`, `>=`",
        Rule::axis_name | Rule::axis => "`x`, `y`, `size`, `color`",
        _ => return describe_node(rule),
    })
}

/// The words for a rule of the grammar's declarations and values (see
/// [`describe_rule`], which asks its keywords first).
fn describe_node(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::blueprint => "`blueprint`",
        Rule::infrastructure => "`infrastructure`",
        Rule::version => "`version`",
        Rule::parent => "`parent`",
        Rule::script => "`script`",
        Rule::field | Rule::field_principal => "`field`",
        Rule::role | Rule::role_principal => "`role`",
        Rule::permission => "`permission`",
        Rule::workflow => "`workflow`",
        Rule::matrix => "`matrix`",
        Rule::step => "`step`",
        Rule::step_block => "`{`",
        Rule::signoff => "`signoff`",
        Rule::mandatory => "`mandatory`",
        Rule::keep_on_rework | Rule::kw_keep | Rule::kw_on | Rule::kw_rework => "`keep on rework`",
        Rule::gates => "`gates`",
        Rule::binds => "`binds`",
        Rule::control => "`control`",
        Rule::controls => "`controls`",
        Rule::framework => "`framework`",
        Rule::control_id => "a control id (`eu_ai_act.art14`)",
        Rule::feedback => "`feedback`",
        Rule::final_approval => "`final`",
        Rule::reset_every => "`reset`",
        Rule::rerequest | Rule::kw_rerequest => "`rerequest`",
        Rule::reviewers => "`reviewers`",
        Rule::min => "`min`",
        Rule::not_requester | Rule::not_reviewer | Rule::not_principals => "`not`",
        Rule::kw_reviewer => "`reviewer`",
        Rule::no_major => "`no`",
        Rule::policy => "`policy`",
        Rule::business => "`business`",
        Rule::sla => "`sla`",
        Rule::remind => "`remind`",
        Rule::escalate => "`escalate`",
        Rule::grant => "`grant`",
        Rule::calendar => "`calendar`",
        Rule::timezone => "`timezone`",
        Rule::workdays => "`workdays`",
        Rule::weekdays => "a weekday (`mon`)",
        Rule::hours => "`hours`",
        Rule::clock_time => "a time of day (`09:00`)",
        Rule::holidays => "`holidays`",
        Rule::required => "`required`",
        Rule::help => "`help`",
        Rule::default => "`=`",
        Rule::user_principal => "`user`",
        Rule::group_principal => "`group`",
        Rule::api_key_principal => "`api_key`",
        Rule::everyone => "`everyone`",
        Rule::ancestor_field => "`BLUEPRINT.field`",
        Rule::principals => "a principal",
        Rule::list_type => "a type",
        Rule::enum_type => "`enum`",
        Rule::int_range_type => "`int`",
        Rule::ref_type => "`ref`",
        Rule::list_value => "`[`",
        Rule::duration => "a duration",
        Rule::ident | Rule::named_type => "a name",
        Rule::string | Rule::label => "a string",
        Rule::integer => "a whole number",
        Rule::decimal => "a decimal number",
        Rule::boolean => "`true`, `false`",
        Rule::date => "a date",
        Rule::datetime => "a date-time",
        _ => return None,
    })
}

pub(super) fn join_alternatives(items: &BTreeSet<String>) -> String {
    // Keywords first, then punctuation, then kinds of token, so the list reads well.
    let mut words: Vec<&str> = items.iter().flat_map(|s| s.split(", ")).collect();
    words.sort_by_key(|w| {
        (
            !w.starts_with("`") || !w[1..].starts_with(char::is_alphabetic),
            *w,
        )
    });
    words.dedup();
    match words.len() {
        0 => String::new(),
        1 => words[0].to_string(),
        n => format!("{} or {}", words[..n - 1].join(", "), words[n - 1]),
    }
}

pub(super) fn token_end(text: &str, pos: usize) -> usize {
    let rest = &text[pos.min(text.len())..];
    let word = rest
        .char_indices()
        .find(|&(_, c)| !(c.is_alphanumeric() || c == '_'))
        .map_or(rest.len(), |(i, _)| i);
    if word > 0 {
        pos + word
    } else {
        pos + rest.chars().next().map_or(0, char::len_utf8)
    }
}

pub(super) fn describe_found(text: &str, pos: usize) -> String {
    if is_unterminated_string(text, pos) {
        return "a string that is not closed on its line".to_string();
    }
    let end = token_end(text, pos);
    match &text[pos.min(text.len())..end] {
        "" => "end of file".to_string(),
        "\"" => "a string".to_string(),
        "\n" | "\r" => "end of line".to_string(),
        token => format!("`{token}`"),
    }
}

/// Whether a `"` at `pos` opens a string with no closing quote on its line.
pub(super) fn is_unterminated_string(text: &str, pos: usize) -> bool {
    let rest = &text[pos.min(text.len())..];
    let Some(body) = rest.strip_prefix('"') else {
        return false;
    };
    let line = body.split('\n').next().unwrap_or("");
    let mut escaped = false;
    for c in line.chars() {
        match c {
            '\\' if !escaped => escaped = true,
            '"' if !escaped => return false,
            _ => escaped = false,
        }
    }
    true
}

pub(super) fn syntax_help(text: &str, pos: usize, expected: &[Rule]) -> Option<String> {
    if is_unterminated_string(text, pos) {
        return Some(
            "close the string with `\"` on the same line; write a newline inside a string as `\\n`"
                .to_string(),
        );
    }
    let next = text[pos.min(text.len())..].chars().next();
    let has = |rules: &[Rule]| rules.iter().any(|r| expected.contains(r));
    if next.is_some_and(|c| c.is_ascii_uppercase()) && has(&[Rule::ident]) {
        return Some(
            "names are snake_case: a lowercase letter, then lowercase letters, digits or `_`"
                .to_string(),
        );
    }
    if next.is_none() && text.contains('{') {
        return Some(
            "a `{` block is still open at the end of the file: close it with `}`".to_string(),
        );
    }
    let help = if has(&[Rule::version, Rule::kw_version])
        && has(&[Rule::workflow, Rule::kw_workflow])
    {
        "a blueprint block holds `version`, `parent`, `script`, `field`, `role`, `permission`, `workflow` and `matrix` items"
    } else if has(&[Rule::blueprint, Rule::kw_blueprint]) {
        "a file holds `blueprint ID \"Label\" { ... }` and `infrastructure ID \"Label\" { policy ... }` declarations"
    } else if has(&[Rule::signoff, Rule::kw_signoff]) {
        "a step block holds `field` items, at most one `signoff { ... }` and `help \"...\"`"
    } else if has(&[Rule::step, Rule::kw_step]) {
        "a workflow block holds `step ID \"Label\"` items, each with an optional `{ ... }` block"
    } else if has(&[
        Rule::mandatory,
        Rule::feedback,
        Rule::kw_mandatory,
        Rule::kw_feedback,
    ]) {
        "a sign-off block holds `mandatory`, `keep on rework`, `gates deployment|nothing`, `binds FIELD, ...`, `feedback ID { ... }`, one `final { ... }` and `reset every DURATION`"
    } else if has(&[Rule::reviewers, Rule::kw_reviewers]) {
        "write `reviewers = PRINCIPALS`, e.g. `reviewers = group \"risk\", role owner`"
    } else if has(&[Rule::principals, Rule::user_principal, Rule::kw_user]) {
        "a principal is `user \"name\"`, `group \"name\"`, `api_key \"name\"`, `role ID`, `everyone`, `field ID` or `BLUEPRINT.field ID`"
    } else if has(&[Rule::list_type, Rule::named_type, Rule::kw_enum]) {
        "a field is written `field ID: TYPE \"Label\"`, with a type such as `text`, `int(1..5)`, `enum(a, b)` or `[user]`"
    } else if has(&[Rule::duration]) {
        "a duration is a positive whole number and a unit, e.g. `6 months`"
    } else {
        return None;
    };
    Some(help.to_string())
}

pub(super) fn is_keyword(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::kw_blueprint
            | Rule::kw_infrastructure
            | Rule::kw_version
            | Rule::kw_parent
            | Rule::kw_script
            | Rule::kw_field
            | Rule::kw_required
            | Rule::kw_help
            | Rule::kw_read
            | Rule::kw_write
            | Rule::kw_enum
            | Rule::kw_int
            | Rule::kw_ref
            | Rule::kw_role
            | Rule::kw_permission
            | Rule::kw_user
            | Rule::kw_group
            | Rule::kw_api_key
            | Rule::kw_everyone
            | Rule::kw_workflow
            | Rule::kw_step
            | Rule::kw_signoff
            | Rule::kw_mandatory
            | Rule::kw_gates
            | Rule::kw_binds
            | Rule::kw_control
            | Rule::kw_controls
            | Rule::kw_framework
            | Rule::kw_feedback
            | Rule::kw_reviewers
            | Rule::kw_min
            | Rule::kw_final
            | Rule::kw_not
            | Rule::kw_requester
            | Rule::kw_no
            | Rule::kw_major
            | Rule::kw_reset
            | Rule::kw_every
            | Rule::kw_matrix
            | Rule::kw_policy
            | Rule::kw_business
            | Rule::kw_sla
            | Rule::kw_in
            | Rule::kw_remind
            | Rule::kw_escalate
            | Rule::kw_after
            | Rule::kw_to
            | Rule::kw_grant
            | Rule::kw_calendar
            | Rule::kw_timezone
            | Rule::kw_workdays
            | Rule::kw_hours
            | Rule::kw_holidays
            | Rule::kw_migrate
            | Rule::kw_when
            | Rule::kw_and
            | Rule::kw_or
            | Rule::kw_is
            | Rule::kw_set
            | Rule::kw_drop
            | Rule::kw_table
            | Rule::kw_columns
            | Rule::kw_deploy
            | Rule::kw_filter
            | Rule::kw_sort
            | Rule::kw_asc
            | Rule::kw_desc
    )
}
