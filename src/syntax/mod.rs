//! Text → syntax tree. The pest grammar (`grammar/govern.pest`) is used here and
//! nowhere else; its pairs become the typed nodes of [`ast`], with byte spans.
//! Syntax errors become [`Diagnostic`]s that say what was expected in the words
//! of a blueprint author, not the names of grammar rules.

pub mod ast;
mod build;
mod build_cond;
mod build_table;
pub mod depth;
mod errors;
pub mod fmt;
mod grammar;
mod leaves;
mod recovery;
pub mod text;

use crate::diag::{Diagnostic, SourceFile};
use build::build_declaration;
use errors::{syntax_error, syntax_error_in};
use grammar::{GovParser, Rule};
use leaves::with_docs;
use pest::Parser as _;
use std::sync::Arc;

/// The syntax errors reported of one file at most: past them, what is
/// found is mostly the echo of the first ones.
pub const MAX_SYNTAX_ERRORS: usize = 20;

/// Parses one file into its syntax tree, or its syntax errors: after one,
/// parsing takes up again at the next declaration that starts a line
/// (see [`recovery`]), so each broken declaration is reported.
pub fn parse(file: &Arc<SourceFile>) -> Result<ast::File, Vec<Diagnostic>> {
    if let Some(deep) = depth::too_deep(file) {
        return Err(vec![deep]);
    }
    let error = match GovParser::parse(Rule::file, &file.text) {
        Ok(mut pairs) => {
            let declarations = match pairs.next() {
                Some(root) => with_docs(
                    root.into_inner().filter(|p| p.as_rule() != Rule::EOI),
                    |p| Some(build_declaration(p)),
                ),
                None => Vec::new(),
            };
            return Ok(ast::File { declarations });
        }
        Err(error) => error,
    };
    let mut errors = vec![syntax_error(file, &error)];
    let mut at = errors[0].primary_span().start;
    while errors.len() < MAX_SYNTAX_ERRORS {
        let Some(resume) = recovery::resume_after(&file.text, at) else {
            break;
        };
        let rest = recovery::blank_before(&file.text, resume);
        let Err(error) = GovParser::parse(Rule::file, &rest) else {
            break;
        };
        let next = syntax_error_in(file, &rest, &error);
        at = next.primary_span().start;
        if at < resume {
            break;
        }
        errors.push(next);
    }
    Err(errors)
}

/// Parses a condition on its own (`item list --filter COND`), or the syntax
/// error that stopped it.
pub fn parse_condition(file: &Arc<SourceFile>) -> Result<ast::CondExpr, Box<Diagnostic>> {
    if let Some(deep) = depth::too_deep(file) {
        return Err(Box::new(deep));
    }
    let root = GovParser::parse(Rule::condition_text, &file.text)
        .map_err(|error| Box::new(syntax_error(file, &error)))?
        .next();
    let built = root
        .and_then(|r| r.into_inner().find(|p| p.as_rule() == Rule::cond))
        .and_then(build_cond::build_cond);
    built.ok_or_else(|| {
        Box::new(Diagnostic::new(
            crate::diag::Code::Syntax,
            file,
            crate::diag::Span {
                start: 0,
                end: file.text.len(),
            },
            "not a condition",
            "the filter is not a condition",
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Code;
    use ast::Declaration;

    /// The tree, or the first syntax error.
    fn parse_text(text: &str) -> Result<ast::File, Box<Diagnostic>> {
        parse(&SourceFile::new("t.gov", text)).map_err(|mut e| Box::new(e.remove(0)))
    }

    #[test]
    fn each_broken_declaration_is_reported() {
        let text = "blueprint a {\n  step x\n}\n\nblueprint b { field ok: int }\n\n/// C.\nblueprint c {\n  field y: nope(\n}\ninfrastructure p { policy }\n";
        let errors = parse(&SourceFile::new("t.gov", text)).unwrap_err();
        let lines: Vec<usize> = errors
            .iter()
            .map(|e| text[..e.primary_span().start].lines().count())
            .collect();
        assert_eq!(lines, [2, 9, 11], "{errors:?}");
        // A file of errors stops at the cap.
        let many = "blueprint a { oops }\n".repeat(MAX_SYNTAX_ERRORS + 5);
        let errors = parse(&SourceFile::new("t.gov", many.as_str())).unwrap_err();
        assert_eq!(errors.len(), MAX_SYNTAX_ERRORS);
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
