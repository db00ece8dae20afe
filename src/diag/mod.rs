//! User-facing diagnostics: the one [`Diagnostic`] type every stage reports,
//! its stable [`Code`]s, byte [`Span`]s over whole files, and rendering
//! (miette graphical reports for people, JSON for tools).
//!
//! This module knows nothing of the grammar or the model; it only turns
//! "what went wrong where" into something a blueprint author can act on.

mod code;
mod diagnostic;
mod render;

pub use code::{Code, Severity, explanation_text};
pub use diagnostic::{Diagnostic, Label, SourceFile, Span, closest, did_you_mean, edit_distance};
pub use render::{Summary, render_human, to_json};
