//! Fields: their types (with references to other blueprints), defaults,
//! labels and string literals.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use super::principals::Scope;
use super::{Checker, duplicate_setting};
use super::{label_from_id, values};
use crate::diag::{Code, Diagnostic, SourceFile, Span, did_you_mean};
use crate::model::*;
use crate::syntax::ast;

impl Checker<'_> {
    /// Resolves a type. `known` is the set's blueprints (None in the outline pass).
    pub(super) fn field_type(
        &mut self,
        file: &Arc<SourceFile>,
        ty: &ast::TypeExpr,
        known: Option<&BTreeSet<String>>,
    ) -> Option<FieldType> {
        Some(match ty {
            ast::TypeExpr::Named(name) => match name.name.as_str() {
                "text" => FieldType::Text,
                "int" => FieldType::Int {
                    min: None,
                    max: None,
                },
                "number" => FieldType::Number,
                "bool" => FieldType::Bool,
                "date" => FieldType::Date,
                "datetime" => FieldType::DateTime,
                "url" => FieldType::Url,
                "user" => FieldType::User,
                "group" => FieldType::Group,
                "principal" => FieldType::Principal,
                "attachment" => FieldType::Attachment,
                other => {
                    self.report(unknown_type(file, other, name.span));
                    return None;
                }
            },
            ast::TypeExpr::Enum(variants, span) => self.enum_type(file, variants, *span)?,
            ast::TypeExpr::IntRange(lo, hi, span) => {
                let lo_value = values::int(file, lo);
                let hi_value = values::int(file, hi);
                let (lo_value, hi_value) = match (lo_value, hi_value) {
                    (Ok(a), Ok(b)) => (a, b),
                    (a, b) => {
                        for e in [a.err(), b.err()].into_iter().flatten() {
                            self.report(*e);
                        }
                        return None;
                    }
                };
                if lo_value > hi_value {
                    self.report(
                        Diagnostic::new(
                            Code::EmptyRange,
                            file,
                            *span,
                            "no number fits",
                            format!("range `{}..{}` is empty", lo.raw, hi.raw),
                        )
                        .with_help(format!(
                            "write the lowest value first: `int({}..{})`",
                            hi.raw, lo.raw
                        )),
                    );
                    return None;
                }
                FieldType::Int {
                    min: Some(lo_value),
                    max: Some(hi_value),
                }
            }
            ast::TypeExpr::Ref(blueprint, _) => {
                if let Some(known) = known
                    && !known.contains(&blueprint.name)
                {
                    let help = did_you_mean(
                        &blueprint.name,
                        known.iter().map(String::as_str),
                        "`ref(BLUEPRINT)` names a blueprint of this set",
                    );
                    self.report(
                        Diagnostic::new(
                            Code::UnknownBlueprint,
                            file,
                            blueprint.span,
                            "no such blueprint",
                            format!("unknown blueprint `{}`", blueprint.name),
                        )
                        .with_help(help),
                    );
                    return None;
                }
                FieldType::Ref {
                    blueprint: BlueprintId(blueprint.name.clone()),
                }
            }
            ast::TypeExpr::List(inner, _) => FieldType::List {
                of: Box::new(self.field_type(file, inner, known)?),
            },
        })
    }

    /// `enum(A, B, …)`: at least one variant, each once.
    fn enum_type(
        &mut self,
        file: &Arc<SourceFile>,
        variants: &[ast::Ident],
        span: Span,
    ) -> Option<FieldType> {
        if variants.is_empty() {
            self.report(
                Diagnostic::new(
                    Code::EmptyEnum,
                    file,
                    span,
                    "no variant",
                    "enum type has no variant",
                )
                .with_help("list the variants, e.g. `enum(low, medium, high)`"),
            );
            return None;
        }
        let mut seen: HashMap<&str, Span> = HashMap::new();
        let mut names = Vec::new();
        for v in variants {
            if let Some(first) = seen.get(v.name.as_str()) {
                self.report(
                    Diagnostic::new(
                        Code::DuplicateEnumVariant,
                        file,
                        v.span,
                        "listed again",
                        format!("enum variant `{}` is listed twice", v.name),
                    )
                    .with_label(*first, "first listed here")
                    .with_help("remove one of the two"),
                );
                continue;
            }
            seen.insert(&v.name, v.span);
            names.push(v.name.clone());
        }
        Some(FieldType::Enum { variants: names })
    }

    pub(super) fn string(&mut self, file: &Arc<SourceFile>, s: &ast::StringLit) -> String {
        match values::unescape(file, s) {
            Ok(text) => text,
            Err(d) => {
                self.report(*d);
                s.raw.clone()
            }
        }
    }

    pub(super) fn label(
        &mut self,
        file: &Arc<SourceFile>,
        label: &Option<ast::StringLit>,
        id: &str,
    ) -> String {
        match label {
            Some(s) => self.string(file, s),
            None => label_from_id(id),
        }
    }
}

impl Checker<'_> {
    pub(super) fn field(
        &mut self,
        file: &Arc<SourceFile>,
        f: &ast::FieldDecl,
        step: Option<StepId>,
        known: &BTreeSet<String>,
        scope: &mut Scope<'_>,
    ) -> Option<Field> {
        let ty = self.field_type(file, &f.ty, Some(known));
        let mut required: Option<Span> = None;
        let mut default: Option<(&ast::ValueExpr, Span)> = None;
        let mut help: Option<(String, Span)> = None;
        let mut controls = Vec::new();
        let mut read: Option<(Vec<Principal>, Span)> = None;
        let mut write: Option<(Vec<Principal>, Span)> = None;
        for option in &f.options {
            match option {
                ast::FieldOption::Read(list, span) | ast::FieldOption::Write(list, span) => {
                    let (slot, word) = match option {
                        ast::FieldOption::Read(..) => (&mut read, "read"),
                        _ => (&mut write, "write"),
                    };
                    if let Some((_, first)) = slot {
                        let first = *first;
                        self.report(duplicate_setting(file, word, *span, first));
                        continue;
                    }
                    let principals = self.principals(file, list, scope, None);
                    let slot = if word == "read" {
                        &mut read
                    } else {
                        &mut write
                    };
                    *slot = Some((principals, *span));
                }
                ast::FieldOption::Controls(ids, _) => {
                    for id in self.control_ids(file, ids) {
                        if !controls.contains(&id) {
                            controls.push(id);
                        }
                    }
                }
                ast::FieldOption::Required(span) => {
                    if let Some(first) = required {
                        self.report(duplicate_setting(file, "required", *span, first));
                    }
                    required = Some(*span);
                }
                ast::FieldOption::Default(v, span) => {
                    if let Some((_, first)) = default {
                        self.report(duplicate_setting(file, "=", *span, first));
                        continue;
                    }
                    default = Some((v, *span));
                }
                ast::FieldOption::Help(h, span) => {
                    if let Some((_, first)) = help {
                        self.report(duplicate_setting(file, "help", *span, first));
                        continue;
                    }
                    help = Some((self.string(file, h), *span));
                }
            }
        }
        let label = self.label(file, &f.label, &f.id.name);
        let ty = ty?;
        let default = match default {
            Some((v, _)) => match values::default_value(file, v, &ty) {
                Ok(value) => {
                    if let Value::Principal(PrincipalRef::Role(role)) = &value
                        && !scope.has_role(role)
                    {
                        self.report(scope.unknown_role(file, role, v.span()));
                    }
                    Some(value)
                }
                Err(d) => {
                    self.report(*d);
                    None
                }
            },
            None => None,
        };
        Some(Field {
            id: FieldId(f.id.name.clone()),
            label,
            doc: f.docs.join("\n").trim().to_string(),
            ty,
            required: required.is_some(),
            default,
            help: help.map(|(h, _)| h),
            step,
            controls,
            read: read.map(|(p, _)| p),
            write: write.map(|(p, _)| p),
        })
    }
}

/// An unknown field type, with the type it was likely meant for.
fn unknown_type(file: &Arc<SourceFile>, other: &str, span: Span) -> Diagnostic {
    let alias = match other {
        "string" | "str" => Some("text"),
        "integer" | "i64" => Some("int"),
        "float" | "decimal" | "double" => Some("number"),
        "boolean" => Some("bool"),
        "timestamp" => Some("datetime"),
        "file" | "document" => Some("attachment"),
        _ => None,
    };
    let names = [
        "text",
        "int",
        "number",
        "bool",
        "date",
        "datetime",
        "url",
        "user",
        "group",
        "principal",
        "attachment",
    ];
    let help = match alias {
        Some(a) => format!("did you mean `{a}`?"),
        None => did_you_mean(
            other,
            names,
            "the types are text, int, int(LO..HI), number, bool, date, datetime, url, enum(...), user, group, principal, ref(BLUEPRINT), attachment and lists [T]",
        ),
    };
    Diagnostic::new(
        Code::UnknownType,
        file,
        span,
        "unknown type",
        format!("unknown field type `{other}`"),
    )
    .with_help(help)
}
