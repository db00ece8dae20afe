//! The nesting bound: a scan of the text before it is parsed, so that no
//! input (3,000 nested parentheses, 20,000 `not`s in a row) can take the
//! parser, the checker or the evaluator deeper than the stack allows. The
//! grammar nests through brackets and `not` only (`and` and `or` are
//! lists), so the depth counted is the brackets open plus the `not`s in a
//! row, outside strings and comments.

use std::sync::Arc;

use crate::diag::{Code, Diagnostic, SourceFile, Span};

/// How deep brackets and `not`s may nest in a file. Blueprints written by
/// hand stay under ten; the parser's stack holds well over this.
pub const MAX_NESTING: usize = 64;

/// The first place where the nesting passes [`MAX_NESTING`], as a diagnostic.
pub(super) fn too_deep(file: &Arc<SourceFile>) -> Option<Diagnostic> {
    let at = first_too_deep(&file.text)?;
    let end = file.text[at..]
        .char_indices()
        .nth(1)
        .map_or(file.text.len(), |(i, _)| at + i);
    Some(
        Diagnostic::new(
            Code::TooDeeplyNested,
            file,
            Span::new(at, end),
            format!("nesting passes {MAX_NESTING} levels here"),
            format!("brackets and `not`s nest more than {MAX_NESTING} levels deep"),
        )
        .with_help(
            "write the condition flatter: `not not C` is `C`, and `and` and `or` take any number of tests without parentheses",
        ),
    )
}

/// The byte offset where the nesting first passes [`MAX_NESTING`].
fn first_too_deep(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let (mut i, mut brackets, mut nots) = (0usize, 0usize, 0usize);
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                nots = 0;
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i < bytes.len() && !(bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/')) {
                    i += 1;
                }
                i += 1;
            }
            b'(' | b'[' | b'{' => {
                brackets += 1;
                if brackets + nots > MAX_NESTING {
                    return Some(i);
                }
            }
            b')' | b']' | b'}' => {
                brackets = brackets.saturating_sub(1);
                nots = 0;
            }
            c if c.is_ascii_alphanumeric() || c == b'_' => {
                let start = i;
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                    i += 1;
                }
                if &bytes[start..i] == b"not" {
                    nots += 1;
                    if brackets + nots > MAX_NESTING {
                        return Some(start);
                    }
                } else {
                    nots = 0;
                }
                continue;
            }
            c if c.is_ascii_whitespace() => {}
            _ => nots = 0,
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_brackets_and_nots_but_not_strings_or_comments() {
        let deep = |open: &str, n: usize| open.repeat(n);
        assert_eq!(first_too_deep(&deep("(", MAX_NESTING)), None);
        assert_eq!(
            first_too_deep(&deep("(", MAX_NESTING + 1)),
            Some(MAX_NESTING)
        );
        assert!(first_too_deep(&deep("not ", 20_000)).is_some());
        assert!(first_too_deep(&deep("not (", 3_000)).is_some());
        // `and` and `or` are lists: a long one is flat.
        assert_eq!(first_too_deep(&"not a and ".repeat(10_000)), None);
        assert_eq!(first_too_deep(&format!("\"{}\"", deep("(", 500))), None);
        assert_eq!(first_too_deep(&format!("// {}\n", deep("(", 500))), None);
        assert_eq!(first_too_deep(&format!("/* {} */", deep("{", 500))), None);
        assert_eq!(first_too_deep("nothing notable (knot)"), None);
    }
}
