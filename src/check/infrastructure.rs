//! Infrastructures and their deployment policies.

use std::sync::Arc;

use super::{Checker, duplicate_setting, unknown_word};
use crate::diag::{Code, SourceFile, Span};
use crate::model::*;
use crate::syntax::ast;

impl Checker<'_> {
    pub(super) fn infrastructure(
        &mut self,
        file: &Arc<SourceFile>,
        decl: &ast::InfrastructureDecl,
    ) -> Option<Infrastructure> {
        let mut policy: Option<(Policy, Span)> = None;
        let mut help: Option<(String, Span)> = None;
        let mut valid = true;
        for item in &decl.items {
            match item {
                ast::InfrastructureItem::Policy(p, span) => {
                    if let Some((_, first)) = policy {
                        self.report(duplicate_setting(file, "policy", *span, first));
                        continue;
                    }
                    let value = match p.name.as_str() {
                        "prevent" => Policy::Prevent,
                        "warn" => Policy::Warn,
                        "always" => Policy::Always,
                        _ => {
                            self.report(unknown_word(
                                Code::UnknownPolicy,
                                file,
                                p,
                                "policy",
                                &["prevent", "warn", "always"],
                                "a policy is `prevent`, `warn` or `always`",
                            ));
                            valid = false;
                            continue;
                        }
                    };
                    policy = Some((value, *span));
                }
                ast::InfrastructureItem::Help(h, span) => {
                    if let Some((_, first)) = help {
                        self.report(duplicate_setting(file, "help", *span, first));
                        continue;
                    }
                    help = Some((self.string(file, h), *span));
                }
            }
        }
        let label = self.label(file, &decl.label, &decl.id.name);
        valid.then(|| Infrastructure {
            id: InfrastructureId(decl.id.name.clone()),
            label,
            doc: decl.docs.join("\n").trim().to_string(),
            help: help.map(|(h, _)| h),
            policy: policy.map_or(Policy::Always, |(p, _)| p),
        })
    }
}
