//! The pest grammar (`grammar/govern.pest`) and the byte spans of its pairs,
//! trimmed of trailing blanks and comments. Nothing outside `syntax` sees pest.

use pest::iterators::Pair;
use pest_derive::Parser;

use crate::diag::Span;

/// The parser pest derives from the grammar.
#[derive(Parser)]
#[grammar = "grammar/govern.pest"]
pub(super) struct GovParser;

// ------------------------------------------------------------------ tree building
//
// The grammar guarantees the shape of every pair, so the builders below walk
// children by rule and skip keywords; a shape the grammar cannot produce is
// simply not matched.

pub(super) fn span_of(pair: &Pair<'_, Rule>) -> Span {
    let span = pair.as_span();
    Span::new(
        span.start(),
        trim_end(span.get_input(), span.start(), span.end()),
    )
}

/// Pest spans of rules that end in an optional part also cover the blanks and
/// comments skipped before that part was tried; this moves `end` back to the
/// end of the last real token.
pub(super) fn trim_end(text: &str, start: usize, mut end: usize) -> usize {
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
pub(super) fn line_comment_start(line: &str) -> Option<usize> {
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
