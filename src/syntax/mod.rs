//! Text → syntax tree. The pest grammar (`grammar/govern.pest`) is used here and
//! nowhere else; its pairs become the typed nodes of [`ast`], with byte spans.
//! Syntax errors become [`Diagnostic`]s that say what was expected in the words
//! of a blueprint author, not the names of grammar rules.

pub mod ast;
mod build;
pub mod cond;
pub mod depth;
mod errors;
pub mod fmt;
mod grammar;
pub mod table;

use crate::diag::{Diagnostic, SourceFile};
use build::{build_declaration, with_docs};
use errors::syntax_error;
use grammar::{GovParser, Rule};
use pest::Parser as _;
use std::sync::Arc;

/// Parses one file into its syntax tree, or the syntax error that stopped it.
pub fn parse(file: &Arc<SourceFile>) -> Result<ast::File, Box<Diagnostic>> {
    if let Some(deep) = depth::too_deep(file) {
        return Err(Box::new(deep));
    }
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

/// Parses a condition on its own (`item list --filter COND`), or the syntax
/// error that stopped it.
pub fn parse_condition(file: &Arc<SourceFile>) -> Result<cond::CondExpr, Box<Diagnostic>> {
    if let Some(deep) = depth::too_deep(file) {
        return Err(Box::new(deep));
    }
    let root = GovParser::parse(Rule::condition_text, &file.text)
        .map_err(|error| Box::new(syntax_error(file, &error)))?
        .next();
    let built = root
        .and_then(|r| r.into_inner().find(|p| p.as_rule() == Rule::cond))
        .and_then(cond::build_cond);
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
