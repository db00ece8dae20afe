//! Text → syntax tree. The pest grammar (`grammar/govern.pest`) is used here and
//! nowhere else; its pairs become the typed nodes of [`ast`], with byte spans.
//! Syntax errors become [`Diagnostic`]s that say what was expected in the words
//! of a blueprint author, not the names of grammar rules.

pub mod ast;
pub mod fmt;

use std::collections::BTreeSet;
use std::sync::Arc;

use pest::Parser as _;
use pest::error::InputLocation;
use pest::iterators::Pair;
use pest_derive::Parser;

use crate::diag::{Code, Diagnostic, SourceFile, Span};
use ast::*;

#[derive(Parser)]
#[grammar = "grammar/govern.pest"]
struct GovParser;

/// Parses one file into its syntax tree, or the syntax error that stopped it.
pub fn parse(file: &Arc<SourceFile>) -> Result<ast::File, Box<Diagnostic>> {
    match GovParser::parse(Rule::file, &file.text) {
        Ok(mut pairs) => {
            let declarations = match pairs.next() {
                Some(root) => with_docs(
                    root.into_inner().filter(|p| p.as_rule() != Rule::EOI),
                    |p| Some(build_declaration(p)),
                ),
                None => Vec::new(),
            };
            Ok(ast::File { declarations })
        }
        Err(error) => Err(Box::new(syntax_error(file, &error))),
    }
}

// ------------------------------------------------------------------ errors

fn syntax_error(file: &Arc<SourceFile>, error: &pest::error::Error<Rule>) -> Diagnostic {
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
    for token in expected_punctuation(&file.text) {
        expected.insert(format!("`{token}`"));
    }
    let found = describe_found(&file.text, pos);
    let list = join_alternatives(&expected);
    let (message, label) = if is_unterminated_string(&file.text, pos) {
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
    let end = token_end(&file.text, pos);
    let diagnostic = Diagnostic::new(Code::Syntax, file, Span::new(pos, end), label, message);
    match syntax_help(&file.text, pos, &rules) {
        Some(help) => diagnostic.with_help(help),
        None => diagnostic,
    }
}

fn expected_punctuation(text: &str) -> BTreeSet<String> {
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

fn describe_rule(rule: Rule) -> Option<&'static str> {
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
        Rule::axis_name | Rule::axis => "`x`, `y`, `size`, `color`",
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
        Rule::gates => "`gates`",
        Rule::feedback => "`feedback`",
        Rule::final_approval => "`final`",
        Rule::reset_every => "`reset`",
        Rule::reviewers => "`reviewers`",
        Rule::min => "`min`",
        Rule::not_requester => "`not`",
        Rule::policy => "`policy`",
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

fn join_alternatives(items: &BTreeSet<String>) -> String {
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

fn token_end(text: &str, pos: usize) -> usize {
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

fn describe_found(text: &str, pos: usize) -> String {
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
fn is_unterminated_string(text: &str, pos: usize) -> bool {
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

fn syntax_help(text: &str, pos: usize, expected: &[Rule]) -> Option<String> {
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
        "a sign-off block holds `mandatory`, `gates deployment|nothing`, `feedback ID { ... }`, one `final { ... }` and `reset every DURATION`"
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

// ------------------------------------------------------------------ tree building
//
// The grammar guarantees the shape of every pair, so the builders below walk
// children by rule and skip keywords; a shape the grammar cannot produce is
// simply not matched.

fn span_of(pair: &Pair<'_, Rule>) -> Span {
    let span = pair.as_span();
    Span::new(
        span.start(),
        trim_end(span.get_input(), span.start(), span.end()),
    )
}

/// Pest spans of rules that end in an optional part also cover the blanks and
/// comments skipped before that part was tried; this moves `end` back to the
/// end of the last real token.
fn trim_end(text: &str, start: usize, mut end: usize) -> usize {
    let bytes = text.as_bytes();
    loop {
        let before = end;
        while end > start && bytes[end - 1].is_ascii_whitespace() {
            end -= 1;
        }
        if end == before && end < text.len() && bytes.get(end.wrapping_sub(1)) != Some(&b'/') {
            // Fast path: the span ends on a token, not in skipped text.
            return end;
        }
        if end >= start + 4 && text[..end].ends_with("*/") {
            if let Some(open) = text[start..end - 2].rfind("/*") {
                end = start + open;
                continue;
            }
        }
        let line_start = text[start..end]
            .rfind('\n')
            .map_or(start, |i| start + i + 1);
        match line_comment_start(&text[line_start..end]) {
            Some(i) => end = line_start + i,
            None => return end,
        }
    }
}

/// Where a `//` comment starts in one line, outside strings.
fn line_comment_start(line: &str) -> Option<usize> {
    let bytes = line.as_bytes();
    let mut i = 0;
    let mut in_string = false;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if in_string => i += 1,
            b'"' => in_string = !in_string,
            b'/' if !in_string && bytes.get(i + 1) == Some(&b'/') => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

fn is_keyword(rule: Rule) -> bool {
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
            | Rule::kw_feedback
            | Rule::kw_reviewers
            | Rule::kw_min
            | Rule::kw_final
            | Rule::kw_not
            | Rule::kw_requester
            | Rule::kw_reset
            | Rule::kw_every
            | Rule::kw_matrix
            | Rule::kw_policy
    )
}

/// The meaningful children of a pair: keywords dropped.
fn children<'a>(pair: Pair<'a, Rule>) -> impl Iterator<Item = Pair<'a, Rule>> {
    pair.into_inner().filter(|p| !is_keyword(p.as_rule()))
}

fn build_ident(pair: Pair<'_, Rule>) -> Ident {
    Ident {
        name: pair.as_str().to_string(),
        span: span_of(&pair),
    }
}

fn build_string(pair: Pair<'_, Rule>) -> StringLit {
    let pair = match pair.as_rule() {
        Rule::label => match pair.clone().into_inner().next() {
            Some(inner) => inner,
            None => pair,
        },
        _ => pair,
    };
    // `label` wraps a `string`; a `string` wraps its `string_text`.
    let span = span_of(&pair);
    let raw = pair.as_str();
    StringLit {
        raw: raw[1..raw.len().saturating_sub(1).max(1)].to_string(),
        span,
    }
}

fn build_int(pair: Pair<'_, Rule>) -> IntLit {
    IntLit {
        raw: pair.as_str().to_string(),
        span: span_of(&pair),
    }
}

fn build_docs(pair: Pair<'_, Rule>) -> Vec<String> {
    pair.into_inner()
        .map(|doc| {
            doc.into_inner()
                .next()
                .map_or(String::new(), |t| t.as_str().trim_end().to_string())
        })
        .collect()
}

/// Something a `docs` pair can document: its doc lines, and its span, which
/// grows to cover them.
trait Documented {
    fn docs_and_span(&mut self) -> Option<(&mut Vec<String>, &mut Span)>;
}

/// Builds the items of a block with `build`, attaching each `docs` pair to the
/// item that follows it.
fn with_docs<'a, T: Documented>(
    pairs: impl Iterator<Item = Pair<'a, Rule>>,
    mut build: impl FnMut(Pair<'a, Rule>) -> Option<T>,
) -> Vec<T> {
    let mut out = Vec::new();
    let mut pending: Option<(Vec<String>, usize)> = None;
    for pair in pairs {
        if pair.as_rule() == Rule::docs {
            let start = pair.as_span().start();
            pending = Some((build_docs(pair), start));
            continue;
        }
        let Some(mut item) = build(pair) else {
            continue;
        };
        if let Some((docs, start)) = pending.take()
            && let Some((slot, span)) = item.docs_and_span()
        {
            *slot = docs;
            span.start = start;
        }
        out.push(item);
    }
    out
}

/// The meaningful children of a declaration, as a list.
fn split_docs<'a>(pair: Pair<'a, Rule>) -> (Vec<String>, Vec<Pair<'a, Rule>>) {
    (Vec::new(), children(pair).collect())
}

impl Documented for Declaration {
    fn docs_and_span(&mut self) -> Option<(&mut Vec<String>, &mut Span)> {
        Some(match self {
            Declaration::Blueprint(b) => (&mut b.docs, &mut b.span),
            Declaration::Infrastructure(i) => (&mut i.docs, &mut i.span),
        })
    }
}

impl Documented for BlueprintItem {
    fn docs_and_span(&mut self) -> Option<(&mut Vec<String>, &mut Span)> {
        Some(match self {
            BlueprintItem::Version(s) => (&mut s.docs, &mut s.span),
            BlueprintItem::Parent(s) => (&mut s.docs, &mut s.span),
            BlueprintItem::Script(s) => (&mut s.docs, &mut s.span),
            BlueprintItem::Field(f) => (&mut f.docs, &mut f.span),
            BlueprintItem::Role(r) => (&mut r.docs, &mut r.span),
            BlueprintItem::Permission(p) => (&mut p.docs, &mut p.span),
            BlueprintItem::Workflow(w) => (&mut w.docs, &mut w.span),
            BlueprintItem::Matrix(m) => (&mut m.docs, &mut m.span),
        })
    }
}

impl Documented for StepDecl {
    fn docs_and_span(&mut self) -> Option<(&mut Vec<String>, &mut Span)> {
        Some((&mut self.docs, &mut self.span))
    }
}

impl Documented for StepItem {
    fn docs_and_span(&mut self) -> Option<(&mut Vec<String>, &mut Span)> {
        match self {
            StepItem::Field(f) => Some((&mut f.docs, &mut f.span)),
            StepItem::SignOff(o) => Some((&mut o.docs, &mut o.span)),
            StepItem::Help(..) => None,
        }
    }
}

impl Documented for SignOffItem {
    fn docs_and_span(&mut self) -> Option<(&mut Vec<String>, &mut Span)> {
        match self {
            SignOffItem::Feedback(g) => Some((&mut g.docs, &mut g.span)),
            SignOffItem::Final(f) => Some((&mut f.docs, &mut f.span)),
            _ => None,
        }
    }
}

fn build_declaration(pair: Pair<'_, Rule>) -> Declaration {
    match pair.as_rule() {
        Rule::infrastructure => Declaration::Infrastructure(build_infrastructure(pair)),
        _ => Declaration::Blueprint(build_blueprint(pair)),
    }
}

fn take_label(
    parts: &mut std::iter::Peekable<std::vec::IntoIter<Pair<'_, Rule>>>,
) -> Option<StringLit> {
    parts
        .next_if(|p| p.as_rule() == Rule::label)
        .map(build_string)
}

fn first_ident(parts: &mut std::iter::Peekable<std::vec::IntoIter<Pair<'_, Rule>>>) -> Ident {
    match parts.next_if(|p| p.as_rule() == Rule::ident) {
        Some(p) => build_ident(p),
        None => Ident {
            name: String::new(),
            span: Span::default(),
        },
    }
}

fn build_blueprint(pair: Pair<'_, Rule>) -> BlueprintDecl {
    let span = span_of(&pair);
    let (docs, rest) = split_docs(pair);
    let mut parts = rest.into_iter().peekable();
    let id = first_ident(&mut parts);
    let label = take_label(&mut parts);
    let items = with_docs(parts, build_blueprint_item);
    BlueprintDecl {
        docs,
        span,
        id,
        label,
        items,
    }
}

fn build_setting<T>(
    pair: Pair<'_, Rule>,
    value: impl FnOnce(Pair<'_, Rule>) -> T,
) -> Option<Setting<T>> {
    let span = span_of(&pair);
    let (docs, rest) = split_docs(pair);
    let value = value(rest.into_iter().next()?);
    Some(Setting { docs, span, value })
}

fn build_blueprint_item(pair: Pair<'_, Rule>) -> Option<BlueprintItem> {
    Some(match pair.as_rule() {
        Rule::version => BlueprintItem::Version(build_setting(pair, build_int)?),
        Rule::parent => BlueprintItem::Parent(build_setting(pair, build_ident)?),
        Rule::script => BlueprintItem::Script(build_setting(pair, build_string)?),
        Rule::field => BlueprintItem::Field(build_field(pair)),
        Rule::role => {
            let span = span_of(&pair);
            let (docs, rest) = split_docs(pair);
            let mut parts = rest.into_iter().peekable();
            let id = first_ident(&mut parts);
            let principals = parts.next().map(build_principals).unwrap_or_default();
            BlueprintItem::Role(RoleDecl {
                docs,
                span,
                id,
                principals,
            })
        }
        Rule::permission => {
            let span = span_of(&pair);
            let (docs, rest) = split_docs(pair);
            let mut parts = rest.into_iter().peekable();
            let kind = first_ident(&mut parts);
            let principals = parts.next().map(build_principals).unwrap_or_default();
            BlueprintItem::Permission(PermissionDecl {
                docs,
                span,
                kind,
                principals,
            })
        }
        Rule::workflow => {
            let span = span_of(&pair);
            let (docs, rest) = split_docs(pair);
            let steps = with_docs(rest.into_iter(), |p| Some(build_step(p)));
            BlueprintItem::Workflow(WorkflowDecl { docs, span, steps })
        }
        Rule::matrix => {
            let span = span_of(&pair);
            let (docs, rest) = split_docs(pair);
            let mut parts = rest.into_iter().peekable();
            let id = first_ident(&mut parts);
            let label = take_label(&mut parts);
            let axes = parts
                .map(|axis| {
                    let span = span_of(&axis);
                    let mut inner = axis.into_inner();
                    let name = inner
                        .next()
                        .map_or(String::new(), |p| p.as_str().to_string());
                    let field = inner.next().map_or(
                        Ident {
                            name: String::new(),
                            span,
                        },
                        build_ident,
                    );
                    AxisDecl {
                        axis: name,
                        field,
                        span,
                    }
                })
                .collect();
            BlueprintItem::Matrix(MatrixDecl {
                docs,
                span,
                id,
                label,
                axes,
            })
        }
        _ => return None,
    })
}

fn build_field(pair: Pair<'_, Rule>) -> FieldDecl {
    let span = span_of(&pair);
    let (docs, rest) = split_docs(pair);
    let mut parts = rest.into_iter().peekable();
    let id = first_ident(&mut parts);
    let ty = match parts.next_if(|p| {
        matches!(
            p.as_rule(),
            Rule::list_type
                | Rule::enum_type
                | Rule::int_range_type
                | Rule::ref_type
                | Rule::named_type
        )
    }) {
        Some(p) => build_type(p),
        None => TypeExpr::Named(Ident {
            name: String::new(),
            span,
        }),
    };
    let label = take_label(&mut parts);
    let options = parts
        .filter_map(|p| {
            let span = span_of(&p);
            Some(match p.as_rule() {
                Rule::required => FieldOption::Required(span),
                Rule::default => FieldOption::Default(build_value(p.into_inner().next()?), span),
                Rule::help => FieldOption::Help(build_string(children(p).next()?), span),
                _ => return None,
            })
        })
        .collect();
    FieldDecl {
        docs,
        span,
        id,
        ty,
        label,
        options,
    }
}

fn build_type(pair: Pair<'_, Rule>) -> TypeExpr {
    let span = span_of(&pair);
    match pair.as_rule() {
        Rule::list_type => match pair.into_inner().next() {
            Some(inner) => TypeExpr::List(Box::new(build_type(inner)), span),
            None => TypeExpr::Named(Ident {
                name: String::new(),
                span,
            }),
        },
        Rule::enum_type => TypeExpr::Enum(children(pair).map(build_ident).collect(), span),
        Rule::int_range_type => {
            let mut ints = children(pair).map(build_int);
            let lo = ints.next().unwrap_or(IntLit {
                raw: String::new(),
                span,
            });
            let hi = ints.next().unwrap_or(IntLit {
                raw: String::new(),
                span,
            });
            TypeExpr::IntRange(lo, hi, span)
        }
        Rule::ref_type => match children(pair).next() {
            Some(id) => TypeExpr::Ref(build_ident(id), span),
            None => TypeExpr::Named(Ident {
                name: String::new(),
                span,
            }),
        },
        _ => TypeExpr::Named(Ident {
            name: pair.as_str().to_string(),
            span,
        }),
    }
}

fn build_value(pair: Pair<'_, Rule>) -> ValueExpr {
    let span = span_of(&pair);
    match pair.as_rule() {
        Rule::list_value => ValueExpr::List(pair.into_inner().map(build_value).collect(), span),
        Rule::string => ValueExpr::String(build_string(pair)),
        Rule::integer => ValueExpr::Integer(build_int(pair)),
        Rule::decimal => ValueExpr::Decimal(pair.as_str().to_string(), span),
        Rule::boolean => ValueExpr::Boolean(pair.as_str() == "true", span),
        Rule::date => ValueExpr::Date(pair.as_str().to_string(), span),
        Rule::datetime => ValueExpr::DateTime(pair.as_str().to_string(), span),
        Rule::ident => ValueExpr::Ident(build_ident(pair)),
        _ => ValueExpr::Principal(build_principal(pair)),
    }
}

fn build_principals(pair: Pair<'_, Rule>) -> Vec<PrincipalExpr> {
    pair.into_inner().map(build_principal).collect()
}

fn build_principal(pair: Pair<'_, Rule>) -> PrincipalExpr {
    let span = span_of(&pair);
    let rule = pair.as_rule();
    let mut inner = children(pair);
    let mut next_ident = || {
        inner.next().map_or(
            Ident {
                name: String::new(),
                span,
            },
            build_ident,
        )
    };
    match rule {
        Rule::everyone => PrincipalExpr::Everyone(span),
        Rule::role_principal => PrincipalExpr::Role(next_ident(), span),
        Rule::field_principal => PrincipalExpr::Field(next_ident(), span),
        Rule::ancestor_field => {
            let blueprint = next_ident();
            let field = next_ident();
            PrincipalExpr::AncestorField(blueprint, field, span)
        }
        _ => {
            let name = inner.next().map_or(
                StringLit {
                    raw: String::new(),
                    span,
                },
                build_string,
            );
            match rule {
                Rule::group_principal => PrincipalExpr::Group(name, span),
                Rule::api_key_principal => PrincipalExpr::ApiKey(name, span),
                _ => PrincipalExpr::User(name, span),
            }
        }
    }
}

fn build_step(pair: Pair<'_, Rule>) -> StepDecl {
    let span = span_of(&pair);
    let (docs, rest) = split_docs(pair);
    let mut parts = rest.into_iter().peekable();
    let id = first_ident(&mut parts);
    let label = take_label(&mut parts);
    let block = parts.next().map(|block| {
        with_docs(block.into_inner(), |item| {
            let span = span_of(&item);
            Some(match item.as_rule() {
                Rule::field => StepItem::Field(build_field(item)),
                Rule::signoff => StepItem::SignOff(build_signoff(item)),
                Rule::help => StepItem::Help(build_string(children(item).next()?), span),
                _ => return None,
            })
        })
    });
    StepDecl {
        docs,
        span,
        id,
        label,
        block,
    }
}

fn build_signoff(pair: Pair<'_, Rule>) -> SignOffDecl {
    let span = span_of(&pair);
    let (docs, rest) = split_docs(pair);
    let mut parts = rest.into_iter().peekable();
    let label = take_label(&mut parts);
    let items = with_docs(parts, |item| {
        let span = span_of(&item);
        Some(match item.as_rule() {
            Rule::mandatory => SignOffItem::Mandatory(span),
            Rule::gates => SignOffItem::Gates(build_ident(children(item).next()?), span),
            Rule::feedback => SignOffItem::Feedback(build_feedback(item)),
            Rule::final_approval => {
                let (docs, rest) = split_docs(item);
                let items = rest
                    .into_iter()
                    .map(|p| {
                        let s = span_of(&p);
                        match p.as_rule() {
                            Rule::reviewers => FinalItem::Reviewers(
                                children(p).next().map(build_principals).unwrap_or_default(),
                                s,
                            ),
                            _ => FinalItem::NotRequester(s),
                        }
                    })
                    .collect();
                SignOffItem::Final(FinalDecl { docs, span, items })
            }
            Rule::reset_every => {
                let duration = children(item).next()?;
                let dspan = span_of(&duration);
                let mut inner = duration.into_inner();
                let amount = build_int(inner.next()?);
                let unit = build_ident(inner.next()?);
                SignOffItem::ResetEvery(
                    DurationLit {
                        amount,
                        unit,
                        span: dspan,
                    },
                    span,
                )
            }
            _ => return None,
        })
    });
    SignOffDecl {
        docs,
        span,
        label,
        items,
    }
}

fn build_feedback(pair: Pair<'_, Rule>) -> FeedbackDecl {
    let span = span_of(&pair);
    let (docs, rest) = split_docs(pair);
    let mut parts = rest.into_iter().peekable();
    let id = first_ident(&mut parts);
    let label = take_label(&mut parts);
    let items = parts
        .filter_map(|p| {
            let s = span_of(&p);
            Some(match p.as_rule() {
                Rule::reviewers => FeedbackItem::Reviewers(
                    children(p).next().map(build_principals).unwrap_or_default(),
                    s,
                ),
                Rule::min => FeedbackItem::Min(build_int(children(p).next()?), s),
                Rule::help => FeedbackItem::Help(build_string(children(p).next()?), s),
                _ => return None,
            })
        })
        .collect();
    FeedbackDecl {
        docs,
        span,
        id,
        label,
        items,
    }
}

fn build_infrastructure(pair: Pair<'_, Rule>) -> InfrastructureDecl {
    let span = span_of(&pair);
    let (docs, rest) = split_docs(pair);
    let mut parts = rest.into_iter().peekable();
    let id = first_ident(&mut parts);
    let label = take_label(&mut parts);
    let items = parts
        .filter_map(|p| {
            let s = span_of(&p);
            Some(match p.as_rule() {
                Rule::policy => InfrastructureItem::Policy(build_ident(children(p).next()?), s),
                Rule::help => InfrastructureItem::Help(build_string(children(p).next()?), s),
                _ => return None,
            })
        })
        .collect();
    InfrastructureDecl {
        docs,
        span,
        id,
        label,
        items,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_text(text: &str) -> Result<ast::File, Box<Diagnostic>> {
        parse(&SourceFile::new("t.gov", text))
    }

    #[test]
    fn parses_keywords_as_names_where_unambiguous() {
        let f =
            parse_text("blueprint step { field step: text  field x: enum(field, role) = role }")
                .unwrap();
        assert_eq!(f.declarations.len(), 1);
    }

    #[test]
    fn doc_comments_are_kept_and_comments_dropped() {
        let f = parse_text("// not a doc\n/// The doc.\n//// not a doc either\nblueprint a {}")
            .unwrap();
        let Declaration::Blueprint(b) = &f.declarations[0] else {
            panic!()
        };
        assert_eq!(b.docs, vec![" The doc.".to_string()]);
    }

    #[test]
    fn semicolons_separate_items_on_one_line() {
        assert!(parse_text("blueprint a { version 1; parent b; field x: int }; infrastructure p { policy warn }").is_ok());
    }

    #[test]
    fn syntax_errors_name_tokens_not_rules() {
        let e = parse_text("blueprint a {\n  step x\n}").unwrap_err();
        assert_eq!(e.code, Code::Syntax);
        assert!(e.message.contains("`field`"), "{}", e.message);
        assert!(e.message.contains("found `step`"), "{}", e.message);
        assert!(!e.message.contains("kw_"), "{}", e.message);
        let e = parse_text("blueprint a").unwrap_err();
        assert!(e.message.contains("`{`"), "{}", e.message);
        assert!(e.message.contains("end of file"), "{}", e.message);
    }

    #[test]
    fn durations_dates_and_ranges_parse() {
        let f = parse_text(
            "blueprint a { field d: date = 2027-01-31  field r: int(1..5) = -3 workflow { step s { signoff { final { reviewers = everyone } reset every 6 months } } } }",
        );
        assert!(f.is_ok(), "{f:?}");
    }
}
