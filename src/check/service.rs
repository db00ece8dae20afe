//! The service level of a feedback group or a final approval: `sla
//! DURATION [in CALENDAR]`, `remind every DURATION`, `escalate after
//! DURATION to PRINCIPALS [grant]`.

use std::sync::Arc;

use super::principals::Scope;
use super::{Checker, duplicate_setting, values};
use crate::diag::{SourceFile, Span};
use crate::model::{Escalation, ServiceLevel, WorkDuration};
use crate::syntax::ast;

impl Checker<'_> {
    /// The service level the items say; `None` (reported) when one is invalid.
    pub(super) fn service_level(
        &mut self,
        file: &Arc<SourceFile>,
        items: &[&ast::ServiceItem],
        scope: &mut Scope<'_>,
    ) -> Option<ServiceLevel> {
        let mut level = ServiceLevel::default();
        let (mut sla, mut remind, mut escalate): (Option<Span>, Option<Span>, Option<Span>) =
            (None, None, None);
        let mut valid = true;
        for item in items {
            let (slot, what) = match item {
                ast::ServiceItem::Sla(..) => (&mut sla, "sla"),
                ast::ServiceItem::Remind(..) => (&mut remind, "remind every"),
                ast::ServiceItem::Escalate { .. } => (&mut escalate, "escalate"),
            };
            if let Some(first) = *slot {
                self.report(duplicate_setting(file, what, item.span(), first));
                continue;
            }
            *slot = Some(item.span());
            match item {
                ast::ServiceItem::Sla(d, calendar, _) => {
                    level.sla = self.work_duration(file, d);
                    valid &= level.sla.is_some();
                    if let Some(name) = calendar {
                        match self.calendar_named(file, name) {
                            Some(c) => level.calendar = c,
                            None => valid = false,
                        }
                    }
                }
                ast::ServiceItem::Remind(d, _) => {
                    level.remind_every = self.work_duration(file, d);
                    valid &= level.remind_every.is_some();
                }
                ast::ServiceItem::Escalate {
                    after, to, grant, ..
                } => {
                    let to = self.principals(file, to, scope, None);
                    match self.work_duration(file, after) {
                        Some(after) => {
                            level.escalate = Some(Escalation {
                                after,
                                to,
                                grant: *grant,
                            })
                        }
                        None => valid = false,
                    }
                }
            }
        }
        valid.then_some(level)
    }

    fn work_duration(
        &mut self,
        file: &Arc<SourceFile>,
        d: &ast::DurationLit,
    ) -> Option<WorkDuration> {
        self.reported(values::work_duration(file, d))
    }
}
