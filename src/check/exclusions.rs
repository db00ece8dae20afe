//! The `not …` of a feedback group or a final approval: who may not act
//! for it whatever they hold (`not requester`, `not reviewer`, `not
//! PRINCIPALS`), each said once, in its place, and excluding not every
//! reviewer the slot names.

use std::sync::Arc;

use super::principals::Scope;
use super::{Checker, duplicate_setting};
use crate::diag::{Code, Diagnostic, SourceFile, Span};
use crate::model::{Exclusions, Principal};
use crate::syntax::ast::Exclusion;

/// Which slot the exclusions are of.
#[derive(Debug, Clone, Copy)]
pub(super) enum Slot<'a> {
    /// A feedback group, by id.
    Group(&'a str),
    /// The final approval.
    Final,
}

impl Checker<'_> {
    /// The exclusions written in one slot; `reviewers` are the slot's own.
    pub(super) fn exclusions(
        &mut self,
        file: &Arc<SourceFile>,
        written: &[&Exclusion],
        slot: Slot<'_>,
        reviewers: &[Principal],
        scope: &mut Scope<'_>,
    ) -> Exclusions {
        let mut out = Exclusions::default();
        let mut requester: Option<Span> = None;
        let mut reviewer: Option<Span> = None;
        for e in written {
            match e {
                Exclusion::Requester(span) => {
                    if let Some(first) = requester {
                        self.report(duplicate_setting(file, "not requester", *span, first));
                    }
                    requester = Some(*span);
                }
                Exclusion::Reviewer(span) => {
                    if let Slot::Group(id) = slot {
                        self.report(
                            Diagnostic::new(
                                Code::MisplacedExclusion,
                                file,
                                *span,
                                "only the final approval takes this",
                                format!("feedback group `{id}` says `not reviewer`"),
                            )
                            .with_help("`not reviewer` bars whoever gave feedback in this round from the final approval: move it into `final { … }`; to keep one group's reviewers out of another, name them: `not group \"…\"`"),
                        );
                        continue;
                    }
                    if let Some(first) = reviewer {
                        self.report(duplicate_setting(file, "not reviewer", *span, first));
                    }
                    reviewer = Some(*span);
                }
                Exclusion::Principals(list, span) => {
                    for p in self.principals(file, list, scope, None) {
                        if p == Principal::Everyone || reviewers.contains(&p) {
                            let whom = match slot {
                                Slot::Group(id) => format!("feedback group `{id}`"),
                                Slot::Final => "the final approval".to_string(),
                            };
                            self.report(
                                Diagnostic::new(
                                    Code::ExcludedReviewers,
                                    file,
                                    *span,
                                    format!("excludes `{p}`"),
                                    format!("`not {p}` excludes the very reviewers of {whom}, so they can never act"),
                                )
                                .with_help("name in `not` who must stay out (`not field developer`), and in `reviewers` who may act; a principal in both leaves its members out"),
                            );
                        }
                        if !out.principals.contains(&p) {
                            out.principals.push(p);
                        }
                    }
                }
            }
        }
        out.not_requester = requester.is_some();
        out.not_reviewer = reviewer.is_some();
        out
    }
}
