//! Where parsing takes up again after a syntax error: at the next line that
//! starts a declaration (`blueprint`, `infrastructure`, `control`,
//! `calendar`, `migrate`, `table`, or the `///` doc comment before one) in
//! its first column, as `govrt fmt` writes them. The text before it is
//! blanked, not cut, so what is found after keeps its place in the file.

/// The keywords a top-level declaration starts with.
const DECLARATIONS: [&str; 6] = [
    "blueprint",
    "infrastructure",
    "control",
    "calendar",
    "migrate",
    "table",
];

/// Whether `line` starts a declaration (or its doc comment) in its first column.
fn starts_declaration(line: &str) -> bool {
    line.starts_with("///")
        || DECLARATIONS.iter().any(|k| {
            line.strip_prefix(k)
                .is_some_and(|rest| rest.starts_with([' ', '\t']))
        })
}

/// The offset of the first line after the one holding `error` that starts
/// a declaration, if any.
pub(super) fn resume_after(text: &str, error: usize) -> Option<usize> {
    let mut start = text.get(error..)?.find('\n')? + error + 1;
    while start < text.len() {
        let line = &text[start..];
        if starts_declaration(line) {
            return Some(start);
        }
        start += line.find('\n')? + 1;
    }
    None
}

/// `text` with every character before `end` a space, but line ends.
pub(super) fn blank_before(text: &str, end: usize) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text[..end].chars() {
        if c == '\n' {
            out.push('\n');
        } else {
            // As many bytes as the character had: offsets stay the same.
            out.extend(std::iter::repeat_n(' ', c.len_utf8()));
        }
    }
    out.push_str(&text[end..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resumes_at_the_next_declaration_or_its_doc_comment() {
        let text = "blueprint a {\n  oops\n}\n\n/// B.\nblueprint b {}\n";
        let at = text.find("oops").unwrap();
        assert_eq!(resume_after(text, at), text.find("/// B."));
        let indented = "blueprint a {\n  oops\n  table x\n}\n";
        assert_eq!(resume_after(indented, indented.find("oops").unwrap()), None);
        assert_eq!(resume_after("blueprint a { oops", 14), None);
        assert_eq!(resume_after("x\ntables_are {}\n", 0), None);
    }

    #[test]
    fn blanking_keeps_every_offset() {
        let text = "é\nblueprint b {}";
        let blanked = blank_before(text, 3);
        assert_eq!(blanked.len(), text.len());
        assert_eq!(&blanked[3..], &text[3..]);
        assert_eq!(&blanked[..3], "  \n");
    }
}
