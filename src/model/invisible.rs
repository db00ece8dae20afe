//! Characters that change how text reads without being seen (bidi
//! overrides, zero-width and other format characters): refused in the names
//! people are granted by, shown as `<U+XXXX>` in free text, so `risk\u{200b}`
//! never passes for `risk`.

use std::borrow::Cow;

/// Whether `c` is invisible or reorders the text around it: Unicode's
/// format characters (bidi embeddings, overrides and isolates, zero-width
/// spaces and joiners, the word joiner, the byte-order mark, the soft
/// hyphen, interlinear annotation, tags), variation selectors and the
/// fillers that render as nothing.
pub fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}'
        | '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}'
        | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{FFA0}'
        | '\u{FFF9}'..='\u{FFFB}'
        | '\u{1D173}'..='\u{1D17A}'
        | '\u{E0000}'..='\u{E007F}'
        | '\u{E0100}'..='\u{E01EF}')
}

/// `text` with every invisible character written out as `<U+XXXX>`
/// (borrowed as it is when it has none).
pub fn shown(text: &str) -> Cow<'_, str> {
    if !text.contains(is_invisible) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_invisible(c) {
            out.push_str(&format!("<U+{:04X}>", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invisible_characters_are_written_out_and_the_rest_kept() {
        assert_eq!(shown("risk\u{200b}"), "risk<U+200B>");
        assert_eq!(shown("\u{202e}gnp.exe"), "<U+202E>gnp.exe");
        assert_eq!(shown("Modèle 3 — ok"), "Modèle 3 — ok");
        assert!(matches!(shown("plain"), Cow::Borrowed(_)));
        for c in [
            '\u{2066}',
            '\u{2069}',
            '\u{feff}',
            '\u{00ad}',
            '\u{200d}',
            '\u{e0041}',
        ] {
            assert!(is_invisible(c), "{c:?}");
        }
        for c in ['a', 'é', ' ', '-', '\u{2014}', '日'] {
            assert!(!is_invisible(c), "{c:?}");
        }
    }
}
