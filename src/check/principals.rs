//! Principals (users, groups, API keys, roles, fields of the item or an
//! ancestor) and the scope of roles they are resolved in: declared, used,
//! cyclic and unused roles.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use super::{Checker, Outline};
use crate::diag::{Code, Diagnostic, SourceFile, Span, did_you_mean};
use crate::model::*;
use crate::syntax::ast;

impl Checker<'_> {
    pub(super) fn principals(
        &mut self,
        file: &Arc<SourceFile>,
        list: &[ast::PrincipalExpr],
        scope: &mut Scope<'_>,
        in_role: Option<&str>,
    ) -> Vec<Principal> {
        let mut out = Vec::new();
        for p in list {
            let principal = match p {
                ast::PrincipalExpr::User(s, span)
                | ast::PrincipalExpr::Group(s, span)
                | ast::PrincipalExpr::ApiKey(s, span) => {
                    let name = self.string(file, s);
                    if name.trim().is_empty() {
                        self.report(
                            Diagnostic::new(
                                Code::EmptyName,
                                file,
                                *span,
                                "empty name",
                                "principal has an empty name",
                            )
                            .with_help(
                                "write the name of the user, group or API key between the quotes",
                            ),
                        );
                        continue;
                    }
                    match p {
                        ast::PrincipalExpr::User(..) => Principal::User { name },
                        ast::PrincipalExpr::Group(..) => Principal::Group { name },
                        _ => Principal::ApiKey { name },
                    }
                }
                ast::PrincipalExpr::Everyone(_) => Principal::Everyone,
                ast::PrincipalExpr::Role(r, _) => {
                    if r.name == "everyone" {
                        Principal::Everyone
                    } else if r.name == "creator" || scope.has_role(&r.name) {
                        scope.use_role(&r.name, in_role);
                        Principal::Role {
                            role: RoleId(r.name.clone()),
                        }
                    } else {
                        self.report(scope.unknown_role(file, &r.name, r.span));
                        continue;
                    }
                }
                ast::PrincipalExpr::Field(f, _) => {
                    let holder = scope.ancestor_declaring(&f.name);
                    if !self.principal_field(file, scope.own_fields(), &scope.blueprint, f, holder)
                    {
                        continue;
                    }
                    Principal::Field {
                        field: FieldId(f.name.clone()),
                    }
                }
                ast::PrincipalExpr::AncestorField(b, f, _) => {
                    let target = match scope.ancestor(file, b) {
                        Ok(target) => target,
                        Err(problem) => {
                            self.report(*problem);
                            continue;
                        }
                    };
                    if !self.principal_field(file, &target.fields, &b.name, f, None) {
                        continue;
                    }
                    Principal::AncestorField {
                        blueprint: BlueprintId(b.name.clone()),
                        field: FieldId(f.name.clone()),
                    }
                }
            };
            out.push(principal);
        }
        out
    }
    /// Whether `f` names a field of `blueprint` (whose fields are `fields`)
    /// that holds principals; reports why not.
    fn principal_field(
        &mut self,
        file: &Arc<SourceFile>,
        fields: &BTreeMap<String, Option<FieldType>>,
        blueprint: &str,
        f: &ast::Ident,
        holder: Option<&str>,
    ) -> bool {
        match fields.get(&f.name) {
            None => {
                self.report(unknown_field(
                    file,
                    fields,
                    blueprint,
                    f,
                    "[principal]",
                    holder,
                ));
                false
            }
            Some(Some(ty)) if !ty.holds_principals() => {
                self.report(not_principal_field(file, &f.name, f.span, ty));
                false
            }
            _ => true,
        }
    }
}

/// `f` is not a field of `blueprint`; the help suggests the closest one or
/// declaring it with type `ty`.
pub(super) fn unknown_field(
    file: &Arc<SourceFile>,
    fields: &BTreeMap<String, Option<FieldType>>,
    blueprint: &str,
    f: &ast::Ident,
    ty: &str,
    holder: Option<&str>,
) -> Diagnostic {
    // A field of an ancestor, written without its prefix.
    let help = match holder {
        Some(ancestor) => format!(
            "`{}` is a field of ancestor `{ancestor}`: write `{ancestor}.field {}`",
            f.name, f.name
        ),
        None => did_you_mean(
            &f.name,
            fields.keys().map(String::as_str),
            format!(
                "declare `field {}: {ty}` in blueprint `{blueprint}`",
                f.name
            ),
        ),
    };
    Diagnostic::new(
        Code::UnknownField,
        file,
        f.span,
        "no such field",
        format!("unknown field `{}` in blueprint `{blueprint}`", f.name),
    )
    .with_help(help)
}

pub(super) fn not_principal_field(
    file: &Arc<SourceFile>,
    name: &str,
    span: Span,
    ty: &FieldType,
) -> Diagnostic {
    Diagnostic::new(Code::NotPrincipalField, file, span, format!("a `{}` field", ty.describe()), format!("field `{name}` holds no users, groups or principals"))
        .with_help("reviewers and roles can only come from `user`, `group` or `principal` fields, or lists of them")
}

/// Names visible inside one blueprint: its roles, its fields and its ancestors.
pub(super) struct Scope<'a> {
    blueprint: String,
    /// The blueprint itself, then its ancestors, nearest first.
    lineage: Vec<String>,
    outlines: &'a BTreeMap<String, Outline<'a>>,
    own: &'a Outline<'a>,
    /// The roles declared in the blueprint.
    pub(super) role_decls: Vec<&'a ast::RoleDecl>,
    role_spans: HashMap<String, Span>,
    /// Which roles are used, and by which other roles (for cycles).
    used: BTreeSet<String>,
    role_edges: BTreeMap<String, BTreeSet<String>>,
}

impl<'a> Scope<'a> {
    pub(super) fn new(
        id: &str,
        own: &'a Outline<'a>,
        outlines: &'a BTreeMap<String, Outline<'a>>,
    ) -> Self {
        let mut lineage = vec![id.to_string()];
        let mut current = own.parent.as_ref().map(|(p, _)| p.clone());
        while let Some(p) = current {
            if lineage.contains(&p) {
                break;
            }
            lineage.push(p.clone());
            current = outlines
                .get(&p)
                .and_then(|o| o.parent.as_ref().map(|(p, _)| p.clone()));
        }
        Scope {
            blueprint: id.to_string(),
            lineage,
            outlines,
            own,
            role_decls: Vec::new(),
            role_spans: HashMap::new(),
            used: BTreeSet::new(),
            role_edges: BTreeMap::new(),
        }
    }

    pub(super) fn blueprint_id(&self) -> &str {
        &self.blueprint
    }

    /// The nearest ancestor (not the blueprint itself) that declares field
    /// `name`, for the help of an unprefixed use of it.
    pub(super) fn ancestor_declaring(&self, name: &str) -> Option<&str> {
        self.lineage
            .iter()
            .skip(1)
            .find(|b| {
                self.outlines
                    .get(b.as_str())
                    .is_some_and(|o| o.fields.contains_key(name))
            })
            .map(String::as_str)
    }

    /// Whether `b` (a field of this blueprint or of an ancestor) says who
    /// may read it (`read = …`).
    pub(super) fn restricts_read(&self, b: &BoundField) -> bool {
        let outline = match &b.blueprint {
            None => Some(self.own),
            Some(bp) => self.outlines.get(bp.as_str()),
        };
        outline.is_some_and(|o| field_restricts_read(o.decl, b.field.as_str()))
    }

    /// The fields `condition` reads that say who may read them.
    pub(super) fn restricted_of(
        &self,
        condition: &crate::model::condition::Condition,
    ) -> Vec<String> {
        condition
            .fields()
            .into_iter()
            .filter(|b| self.restricts_read(b))
            .map(ToString::to_string)
            .collect()
    }

    pub(super) fn own_fields(&self) -> &BTreeMap<String, Option<FieldType>> {
        &self.own.fields
    }

    /// The outline of `b` when it is this blueprint or one of its ancestors
    /// (`BLUEPRINT.field ID` reads from those only); else why not.
    pub(super) fn ancestor(
        &self,
        file: &Arc<SourceFile>,
        b: &ast::Ident,
    ) -> Result<&'a Outline<'a>, Box<Diagnostic>> {
        let Some(target) = self.outlines.get(&b.name) else {
            let help = did_you_mean(
                &b.name,
                self.outlines.keys().map(String::as_str),
                "`BLUEPRINT.field ID` names a blueprint of this set",
            );
            return Err(Box::new(
                Diagnostic::new(
                    Code::UnknownBlueprint,
                    file,
                    b.span,
                    "no such blueprint",
                    format!("unknown blueprint `{}`", b.name),
                )
                .with_help(help),
            ));
        };
        if !self.lineage.contains(&b.name) {
            let chain = self.lineage.join(" → ");
            return Err(Box::new(
                Diagnostic::new(
                    Code::NotAnAncestor,
                    file,
                    b.span,
                    "not an ancestor",
                    format!(
                        "blueprint `{}` is not an ancestor of `{}`",
                        b.name, self.blueprint
                    ),
                )
                .with_help(format!(
                    "fields can be read from the item itself or its ancestors: {chain}"
                )),
            ));
        }
        Ok(target)
    }

    pub(super) fn declare_role(
        &mut self,
        checker: &mut Checker<'_>,
        file: &Arc<SourceFile>,
        r: &'a ast::RoleDecl,
    ) {
        if r.id.name == "creator" || r.id.name == "everyone" {
            checker.report(
                Diagnostic::new(
                    Code::ReservedName,
                    file,
                    r.id.span,
                    "built-in role",
                    format!("role `{}` is built in", r.id.name),
                )
                .with_help(format!(
                    "`{}` is always defined; choose another id for this role",
                    r.id.name
                )),
            );
            return;
        }
        if !checker.first_of(
            &mut self.role_spans,
            (Code::DuplicateRole, "role"),
            &r.id,
            file,
        ) {
            return;
        }
        self.role_decls.push(r);
    }

    pub(super) fn has_role(&self, name: &str) -> bool {
        name == "creator" || self.role_spans.contains_key(name)
    }

    pub(super) fn use_role(&mut self, name: &str, in_role: Option<&str>) {
        match in_role {
            Some(from) => {
                self.role_edges
                    .entry(from.to_string())
                    .or_default()
                    .insert(name.to_string());
            }
            None => {
                self.used.insert(name.to_string());
            }
        }
    }

    pub(super) fn unknown_role(
        &self,
        file: &Arc<SourceFile>,
        name: &str,
        span: Span,
    ) -> Diagnostic {
        let mut candidates: Vec<&str> = self.role_spans.keys().map(String::as_str).collect();
        candidates.push("creator");
        let help = did_you_mean(
            name,
            candidates,
            format!(
                "declare it with `role {name} = ...` in blueprint `{}`",
                self.blueprint
            ),
        );
        Diagnostic::new(
            Code::UnknownRole,
            file,
            span,
            "no such role",
            format!("unknown role `{name}` in blueprint `{}`", self.blueprint),
        )
        .with_help(help)
    }

    pub(super) fn check_role_cycles(&self, checker: &mut Checker<'_>, file: &Arc<SourceFile>) {
        let mut reported = BTreeSet::new();
        for start in self.role_edges.keys() {
            let mut stack = vec![(start.clone(), vec![start.clone()])];
            while let Some((node, path)) = stack.pop() {
                for next in self.role_edges.get(&node).into_iter().flatten() {
                    if next == start {
                        if path.iter().all(|p| !reported.contains(p)) {
                            let mut cycle = path.clone();
                            cycle.push(start.clone());
                            let span = self.role_spans.get(start).copied().unwrap_or_default();
                            checker.report(
                                Diagnostic::new(Code::RoleCycle, file, span, "defined in terms of itself", format!("role `{start}` is defined in terms of itself: {}", cycle.join(" → ")))
                                    .with_help("a role must end in users, groups, API keys, fields or `everyone`: break the cycle"),
                            );
                            reported.extend(path.iter().cloned());
                        }
                    } else if !path.contains(next) {
                        let mut longer = path.clone();
                        longer.push(next.clone());
                        stack.push((next.clone(), longer));
                    }
                }
            }
        }
    }

    pub(super) fn report_unused_roles(&self, checker: &mut Checker<'_>, file: &Arc<SourceFile>) {
        // A role is used when something outside the roles uses it, or a used
        // role is defined through it.
        let mut used = self.used.clone();
        let mut frontier: Vec<String> = used.iter().cloned().collect();
        while let Some(role) = frontier.pop() {
            for next in self.role_edges.get(&role).into_iter().flatten() {
                if used.insert(next.clone()) {
                    frontier.push(next.clone());
                }
            }
        }
        for r in &self.role_decls {
            if !used.contains(&r.id.name) {
                checker.report(
                    Diagnostic::new(Code::UnusedRole, file, r.id.span, "never used", format!("role `{}` is never used", r.id.name))
                        .with_help(format!("use it in a `permission`, a `reviewers` list or another role (`role {}`), or remove it", r.id.name)),
                );
            }
        }
    }
}

/// Whether field `id` of `decl` (of the blueprint or of one of its steps)
/// has a `read = …` option.
fn field_restricts_read(decl: &ast::BlueprintDecl, id: &str) -> bool {
    let reads = |f: &ast::FieldDecl| {
        f.id.name == id
            && f.options
                .iter()
                .any(|o| matches!(o, ast::FieldOption::Read(..)))
    };
    decl.items.iter().any(|item| match item {
        ast::BlueprintItem::Field(f) => reads(f),
        ast::BlueprintItem::Workflow(w) => w.steps.iter().any(|s| {
            s.block
                .iter()
                .flatten()
                .any(|i| matches!(i, ast::StepItem::Field(f) if reads(f)))
        }),
        _ => false,
    })
}
