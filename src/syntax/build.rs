//! pest pairs → the typed nodes of [`super::ast`], with byte spans and the
//! doc comments attached to what they document.

use super::ast::*;
use super::build_cond::{build_bound_field, build_cond};
use super::build_table::build_table;
use super::grammar::{Rule, span_of};
use super::leaves::*;
use crate::diag::Span;
use pest::iterators::Pair;

impl Documented for Declaration {
    fn docs_and_span(&mut self) -> Option<(&mut Vec<String>, &mut Span)> {
        Some(match self {
            Declaration::Blueprint(b) => (&mut b.docs, &mut b.span),
            Declaration::Infrastructure(i) => (&mut i.docs, &mut i.span),
            Declaration::Control(c) => (&mut c.docs, &mut c.span),
            Declaration::Calendar(c) => (&mut c.docs, &mut c.span),
            Declaration::Migrate(m) => (&mut m.docs, &mut m.span),
            Declaration::Table(t) => (&mut t.docs, &mut t.span),
        })
    }
}

impl Documented for BlueprintItem {
    fn docs_and_span(&mut self) -> Option<(&mut Vec<String>, &mut Span)> {
        Some(match self {
            BlueprintItem::Version(s) => (&mut s.docs, &mut s.span),
            BlueprintItem::Parent(s) => (&mut s.docs, &mut s.span),
            BlueprintItem::Script(s) => (&mut s.docs, &mut s.span),
            BlueprintItem::Field(f) => (&mut f.docs, &mut f.span),
            BlueprintItem::Role(r) => (&mut r.docs, &mut r.span),
            BlueprintItem::Permission(p) => (&mut p.docs, &mut p.span),
            BlueprintItem::Workflow(w) => (&mut w.docs, &mut w.span),
            BlueprintItem::Matrix(m) => (&mut m.docs, &mut m.span),
        })
    }
}

impl Documented for StepDecl {
    fn docs_and_span(&mut self) -> Option<(&mut Vec<String>, &mut Span)> {
        Some((&mut self.docs, &mut self.span))
    }
}

impl Documented for StepItem {
    fn docs_and_span(&mut self) -> Option<(&mut Vec<String>, &mut Span)> {
        match self {
            StepItem::Field(f) => Some((&mut f.docs, &mut f.span)),
            StepItem::SignOff(o) => Some((&mut o.docs, &mut o.span)),
            StepItem::Help(..) | StepItem::Controls(..) | StepItem::When(..) => None,
        }
    }
}

impl Documented for SignOffItem {
    fn docs_and_span(&mut self) -> Option<(&mut Vec<String>, &mut Span)> {
        match self {
            SignOffItem::Feedback(g) => Some((&mut g.docs, &mut g.span)),
            SignOffItem::Final(f) => Some((&mut f.docs, &mut f.span)),
            _ => None,
        }
    }
}

pub(super) fn build_declaration(pair: Pair<'_, Rule>) -> Declaration {
    match pair.as_rule() {
        Rule::infrastructure => Declaration::Infrastructure(build_infrastructure(pair)),
        Rule::control => Declaration::Control(build_control(pair)),
        Rule::calendar => Declaration::Calendar(build_calendar(pair)),
        Rule::migrate => Declaration::Migrate(build_migrate(pair)),
        Rule::table => Declaration::Table(build_table(pair)),
        _ => Declaration::Blueprint(build_blueprint(pair)),
    }
}

pub(super) fn build_blueprint(pair: Pair<'_, Rule>) -> BlueprintDecl {
    let Opening {
        docs,
        span,
        id,
        label,
        parts,
    } = opening(pair);
    let items = with_docs(parts, build_blueprint_item);
    BlueprintDecl {
        docs,
        span,
        id,
        label,
        items,
    }
}

pub(super) fn build_setting<T>(
    pair: Pair<'_, Rule>,
    value: impl FnOnce(Pair<'_, Rule>) -> T,
) -> Option<Setting<T>> {
    let span = span_of(&pair);
    let (docs, rest) = split_docs(pair);
    let value = value(rest.into_iter().next()?);
    Some(Setting { docs, span, value })
}

pub(super) fn build_blueprint_item(pair: Pair<'_, Rule>) -> Option<BlueprintItem> {
    Some(match pair.as_rule() {
        Rule::version => BlueprintItem::Version(build_setting(pair, build_int)?),
        Rule::parent => BlueprintItem::Parent(build_setting(pair, build_ident)?),
        Rule::script => BlueprintItem::Script(build_setting(pair, build_string)?),
        Rule::field => BlueprintItem::Field(build_field(pair)),
        Rule::role => {
            let (docs, span, id, principals) = build_named_principals(pair);
            BlueprintItem::Role(RoleDecl {
                docs,
                span,
                id,
                principals,
            })
        }
        Rule::permission => {
            let (docs, span, kind, principals) = build_named_principals(pair);
            BlueprintItem::Permission(PermissionDecl {
                docs,
                span,
                kind,
                principals,
            })
        }
        Rule::workflow => {
            let span = span_of(&pair);
            let (docs, rest) = split_docs(pair);
            let steps = with_docs(rest.into_iter(), |p| Some(build_step(p)));
            BlueprintItem::Workflow(WorkflowDecl { docs, span, steps })
        }
        Rule::matrix => {
            let Opening {
                docs,
                span,
                id,
                label,
                parts,
            } = opening(pair);
            let axes = parts
                .map(|axis| {
                    let span = span_of(&axis);
                    let mut inner = axis.into_inner();
                    let name = inner
                        .next()
                        .map_or(String::new(), |p| p.as_str().to_string());
                    let field = inner.next().map_or(
                        Ident {
                            name: String::new(),
                            span,
                        },
                        build_ident,
                    );
                    AxisDecl {
                        axis: name,
                        field,
                        span,
                    }
                })
                .collect();
            BlueprintItem::Matrix(MatrixDecl {
                docs,
                span,
                id,
                label,
                axes,
            })
        }
        _ => return None,
    })
}

/// A declaration of a name and a principal list (`role` and `permission`):
/// its docs, span, name and principals.
fn build_named_principals(pair: Pair<'_, Rule>) -> (Vec<String>, Span, Ident, Vec<PrincipalExpr>) {
    let span = span_of(&pair);
    let (docs, rest) = split_docs(pair);
    let mut parts = rest.into_iter().peekable();
    let name = first_ident(&mut parts);
    let principals = parts.next().map(build_principals).unwrap_or_default();
    (docs, span, name, principals)
}

pub(super) fn build_field(pair: Pair<'_, Rule>) -> FieldDecl {
    let span = span_of(&pair);
    let (docs, rest) = split_docs(pair);
    let mut parts = rest.into_iter().peekable();
    let id = first_ident(&mut parts);
    let ty = match parts.next_if(|p| {
        matches!(
            p.as_rule(),
            Rule::list_type
                | Rule::enum_type
                | Rule::int_range_type
                | Rule::ref_type
                | Rule::named_type
        )
    }) {
        Some(p) => build_type(p),
        None => TypeExpr::Named(Ident {
            name: String::new(),
            span,
        }),
    };
    let label = take_label(&mut parts);
    let options = parts
        .filter_map(|p| {
            let span = span_of(&p);
            Some(match p.as_rule() {
                Rule::required => FieldOption::Required(span),
                Rule::default => FieldOption::Default(build_value(p.into_inner().next()?), span),
                Rule::help => FieldOption::Help(build_string(children(p).next()?), span),
                Rule::controls => FieldOption::Controls(build_control_ids(p), span),
                Rule::field_read => FieldOption::Read(build_principals(children(p).next()?), span),
                Rule::field_write => {
                    FieldOption::Write(build_principals(children(p).next()?), span)
                }
                _ => return None,
            })
        })
        .collect();
    FieldDecl {
        docs,
        span,
        id,
        ty,
        label,
        options,
    }
}

pub(super) fn build_type(pair: Pair<'_, Rule>) -> TypeExpr {
    let span = span_of(&pair);
    match pair.as_rule() {
        Rule::list_type => match pair.into_inner().next() {
            Some(inner) => TypeExpr::List(Box::new(build_type(inner)), span),
            None => TypeExpr::Named(Ident {
                name: String::new(),
                span,
            }),
        },
        Rule::enum_type => TypeExpr::Enum(children(pair).map(build_ident).collect(), span),
        Rule::int_range_type => {
            let mut ints = children(pair).map(build_int);
            let lo = ints.next().unwrap_or(IntLit {
                raw: String::new(),
                span,
            });
            let hi = ints.next().unwrap_or(IntLit {
                raw: String::new(),
                span,
            });
            TypeExpr::IntRange(lo, hi, span)
        }
        Rule::ref_type => match children(pair).next() {
            Some(id) => TypeExpr::Ref(build_ident(id), span),
            None => TypeExpr::Named(Ident {
                name: String::new(),
                span,
            }),
        },
        _ => TypeExpr::Named(Ident {
            name: pair.as_str().to_string(),
            span,
        }),
    }
}

pub(super) fn build_step(pair: Pair<'_, Rule>) -> StepDecl {
    let Opening {
        docs,
        span,
        id,
        label,
        mut parts,
    } = opening(pair);
    let block = parts.next().map(|block| {
        with_docs(block.into_inner(), |item| {
            let span = span_of(&item);
            Some(match item.as_rule() {
                Rule::field => StepItem::Field(build_field(item)),
                Rule::signoff => StepItem::SignOff(build_signoff(item)),
                Rule::help => StepItem::Help(build_string(children(item).next()?), span),
                Rule::controls => StepItem::Controls(build_control_ids(item), span),
                Rule::when => {
                    let disclosed = item
                        .clone()
                        .into_inner()
                        .any(|p| p.as_rule() == Rule::kw_disclosed);
                    let cond = build_cond(children(item).next()?)?;
                    StepItem::When(cond, disclosed, span)
                }
                _ => return None,
            })
        })
    });
    StepDecl {
        docs,
        span,
        id,
        label,
        block,
    }
}

pub(super) fn build_signoff(pair: Pair<'_, Rule>) -> SignOffDecl {
    let span = span_of(&pair);
    let (docs, rest) = split_docs(pair);
    let mut parts = rest.into_iter().peekable();
    let label = take_label(&mut parts);
    let items = with_docs(parts, |item| {
        let span = span_of(&item);
        Some(match item.as_rule() {
            Rule::mandatory => SignOffItem::Mandatory(span),
            Rule::keep_on_rework => SignOffItem::KeepOnRework(span),
            Rule::gates => SignOffItem::Gates(build_ident(children(item).next()?), span),
            Rule::controls => SignOffItem::Controls(build_control_ids(item), span),
            Rule::binds => SignOffItem::Binds(
                children(item)
                    .filter(|p| p.as_rule() == Rule::bound_field)
                    .filter_map(build_bound_field)
                    .collect(),
                span,
            ),
            Rule::feedback => SignOffItem::Feedback(build_feedback(item)),
            Rule::final_approval => {
                let (docs, rest) = split_docs(item);
                let items = rest
                    .into_iter()
                    .filter_map(|p| {
                        let s = span_of(&p);
                        Some(match p.as_rule() {
                            Rule::reviewers => FinalItem::Reviewers(
                                children(p).next().map(build_principals).unwrap_or_default(),
                                s,
                            ),
                            Rule::no_major => FinalItem::NoMajor(s),
                            Rule::not_requester => FinalItem::NotRequester(s),
                            Rule::not_reviewer | Rule::not_principals => {
                                FinalItem::Not(build_exclusion(p))
                            }
                            _ => FinalItem::Service(build_service(p)?),
                        })
                    })
                    .collect();
                SignOffItem::Final(FinalDecl { docs, span, items })
            }
            Rule::reset_every => {
                let mut parts = children(item);
                let duration = build_duration(parts.find(|p| p.as_rule() == Rule::duration)?)?;
                let rerequest = parts
                    .find(|p| p.as_rule() == Rule::rerequest)
                    .map(|p| span_of(&p));
                SignOffItem::ResetEvery(duration, rerequest, span)
            }
            _ => return None,
        })
    });
    SignOffDecl {
        docs,
        span,
        label,
        items,
    }
}

/// `not requester`, `not reviewer` or `not PRINCIPALS`.
fn build_exclusion(pair: Pair<'_, Rule>) -> Exclusion {
    let s = span_of(&pair);
    match pair.as_rule() {
        Rule::not_requester => Exclusion::Requester(s),
        Rule::not_reviewer => Exclusion::Reviewer(s),
        _ => Exclusion::Principals(
            children(pair)
                .find(|p| p.as_rule() == Rule::principals)
                .map(build_principals)
                .unwrap_or_default(),
            s,
        ),
    }
}

pub(super) fn build_feedback(pair: Pair<'_, Rule>) -> FeedbackDecl {
    let Opening {
        docs,
        span,
        id,
        label,
        parts,
    } = opening(pair);
    let items = parts
        .filter_map(|p| {
            let s = span_of(&p);
            Some(match p.as_rule() {
                Rule::reviewers => FeedbackItem::Reviewers(
                    children(p).next().map(build_principals).unwrap_or_default(),
                    s,
                ),
                Rule::min => FeedbackItem::Min(build_int(children(p).next()?), s),
                Rule::required => FeedbackItem::Required(s),
                Rule::help => FeedbackItem::Help(build_string(children(p).next()?), s),
                Rule::not_requester | Rule::not_reviewer | Rule::not_principals => {
                    FeedbackItem::Not(build_exclusion(p))
                }
                Rule::sla | Rule::remind | Rule::escalate => {
                    FeedbackItem::Service(build_service(p)?)
                }
                _ => return None,
            })
        })
        .collect();
    FeedbackDecl {
        docs,
        span,
        id,
        label,
        items,
    }
}

/// `sla …`, `remind every …` or `escalate after … to … [grant]`.
fn build_service(pair: Pair<'_, Rule>) -> Option<ServiceItem> {
    let span = span_of(&pair);
    let rule = pair.as_rule();
    let mut parts = children(pair);
    Some(match rule {
        Rule::sla => {
            let within = build_duration(parts.next()?)?;
            let calendar = parts.find(|p| p.as_rule() == Rule::ident).map(build_ident);
            ServiceItem::Sla(within, calendar, span)
        }
        Rule::remind => ServiceItem::Remind(build_duration(parts.next()?)?, span),
        _ => {
            let after = build_duration(parts.next()?)?;
            let mut to = Vec::new();
            let mut grant = false;
            for p in parts {
                match p.as_rule() {
                    Rule::principals => to = build_principals(p),
                    Rule::grant => grant = true,
                    _ => {}
                }
            }
            ServiceItem::Escalate {
                after,
                to,
                grant,
                span,
            }
        }
    })
}

/// `calendar ID ["Label"] { … }`.
pub(super) fn build_calendar(pair: Pair<'_, Rule>) -> CalendarDecl {
    let Opening {
        docs,
        span,
        id,
        label,
        parts,
    } = opening(pair);
    let raw = |p: Pair<'_, Rule>| RawLit {
        raw: p.as_str().to_string(),
        span: span_of(&p),
    };
    let items = parts
        .filter_map(|p| {
            let s = span_of(&p);
            Some(match p.as_rule() {
                Rule::timezone => CalendarItem::Timezone(build_string(children(p).next()?), s),
                Rule::workdays => CalendarItem::Workdays(
                    children(p)
                        .filter_map(|w| {
                            let mut days = w.into_inner().map(build_ident);
                            Some(WeekdaysExpr {
                                from: days.next()?,
                                to: days.next(),
                            })
                        })
                        .collect(),
                    s,
                ),
                Rule::hours => {
                    let mut times = children(p).map(raw);
                    CalendarItem::Hours(times.next()?, times.next()?, s)
                }
                Rule::holidays => CalendarItem::Holidays(children(p).map(raw).collect(), s),
                _ => return None,
            })
        })
        .collect();
    CalendarDecl {
        docs,
        span,
        id,
        label,
        items,
    }
}

/// The ids of `controls ID, …`.
fn build_control_ids(pair: Pair<'_, Rule>) -> Vec<Ident> {
    children(pair)
        .filter(|p| p.as_rule() == Rule::control_id)
        .map(build_ident)
        .collect()
}

pub(super) fn build_control(pair: Pair<'_, Rule>) -> ControlDecl {
    let span = span_of(&pair);
    let (docs, rest) = split_docs(pair);
    let mut parts = rest.into_iter().peekable();
    let id = match parts.next_if(|p| p.as_rule() == Rule::control_id) {
        Some(p) => build_ident(p),
        None => Ident {
            name: String::new(),
            span: Span::default(),
        },
    };
    let label = take_label(&mut parts);
    let items = parts
        .filter_map(|p| {
            let s = span_of(&p);
            Some(match p.as_rule() {
                Rule::framework => ControlItem::Framework(build_string(children(p).next()?), s),
                Rule::help => ControlItem::Help(build_string(children(p).next()?), s),
                _ => return None,
            })
        })
        .collect();
    ControlDecl {
        docs,
        span,
        id,
        label,
        items,
    }
}

pub(super) fn build_infrastructure(pair: Pair<'_, Rule>) -> InfrastructureDecl {
    let Opening {
        docs,
        span,
        id,
        label,
        parts,
    } = opening(pair);
    let items = parts
        .filter_map(|p| {
            let s = span_of(&p);
            Some(match p.as_rule() {
                Rule::policy => InfrastructureItem::Policy(build_ident(children(p).next()?), s),
                Rule::help => InfrastructureItem::Help(build_string(children(p).next()?), s),
                _ => return None,
            })
        })
        .collect();
    InfrastructureDecl {
        docs,
        span,
        id,
        label,
        items,
    }
}

pub(super) fn build_migrate(pair: Pair<'_, Rule>) -> MigrateDecl {
    let span = span_of(&pair);
    let mut parts = children(pair);
    let (Some(blueprint), Some(from), Some(to)) = (parts.next(), parts.next(), parts.next()) else {
        // The grammar makes these three; an empty declaration stands in.
        let none = IntLit {
            raw: String::new(),
            span,
        };
        return MigrateDecl {
            docs: Vec::new(),
            span,
            blueprint: Ident {
                name: String::new(),
                span,
            },
            from: none.clone(),
            to: none,
            items: Vec::new(),
        };
    };
    let items = parts
        .filter_map(|p| {
            let s = span_of(&p);
            let rule = p.as_rule();
            let mut inner = children(p);
            Some(match rule {
                Rule::migrate_step => {
                    MigrateItem::Step(build_ident(inner.next()?), build_ident(inner.next()?), s)
                }
                Rule::migrate_field => {
                    MigrateItem::Field(build_ident(inner.next()?), build_ident(inner.next()?), s)
                }
                Rule::migrate_set => {
                    MigrateItem::Set(build_ident(inner.next()?), build_value(inner.next()?), s)
                }
                Rule::migrate_drop => MigrateItem::Drop(build_ident(inner.next()?), s),
                Rule::migrate_signoff => {
                    let from = build_ident(inner.next()?);
                    let to = build_ident(inner.next()?);
                    let reset = inner.next()?.as_str() == "reset";
                    MigrateItem::SignOff(from, to, reset, s)
                }
                _ => return None,
            })
        })
        .collect();
    MigrateDecl {
        docs: Vec::new(),
        span,
        blueprint: build_ident(blueprint),
        from: build_int(from),
        to: build_int(to),
        items,
    }
}
