//! One blueprint's body: settings, fields, roles, permissions, workflow,
//! matrix views and its script, assembled into a model blueprint.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::sync::Arc;

use super::principals::Scope;
use super::{Checker, Outline, duplicate_setting, unknown_word};
use super::{scripts, values};
use crate::diag::{Code, Diagnostic, SourceFile, Span, did_you_mean};
use crate::model::*;
use crate::syntax::ast;

impl Checker<'_> {
    pub(super) fn blueprint(
        &mut self,
        outline: &Outline<'_>,
        outlines: &BTreeMap<String, Outline<'_>>,
        known: &BTreeSet<String>,
    ) -> Blueprint {
        let file = &outline.file;
        let decl = outline.decl;
        let mut scope = Scope::new(&decl.id.name, outline, outlines);

        let mut version: Option<(u32, Span)> = None;
        let mut parent_seen: Option<Span> = None;
        let mut script_decl: Option<(&ast::StringLit, Span)> = None;
        let mut workflow_decl: Option<&ast::WorkflowDecl> = None;
        let mut field_decls: Vec<(&ast::FieldDecl, Option<StepId>)> = Vec::new();

        for item in &decl.items {
            match item {
                ast::BlueprintItem::Version(v) => {
                    if let Some((_, first)) = version {
                        self.report(duplicate_setting(file, "version", v.span, first));
                        continue;
                    }
                    version = Some((self.version_number(file, v), v.span));
                }
                ast::BlueprintItem::Parent(p) => {
                    if let Some(first) = parent_seen {
                        self.report(duplicate_setting(file, "parent", p.span, first));
                    } else {
                        parent_seen = Some(p.span);
                    }
                }
                ast::BlueprintItem::Script(s) => {
                    if let Some((_, first)) = script_decl {
                        self.report(duplicate_setting(file, "script", s.span, first));
                    } else {
                        script_decl = Some((&s.value, s.span));
                    }
                }
                ast::BlueprintItem::Field(f) => field_decls.push((f, None)),
                ast::BlueprintItem::Workflow(w) => {
                    if let Some(first) = workflow_decl {
                        self.report(duplicate_setting(file, "workflow", w.span, first.span));
                    } else {
                        workflow_decl = Some(w);
                        field_decls.extend(step_fields(w));
                    }
                }
                ast::BlueprintItem::Role(r) => scope.declare_role(self, file, r),
                ast::BlueprintItem::Permission(_) | ast::BlueprintItem::Matrix(_) => {}
            }
        }

        // Fields: item-level and step fields share one namespace.
        let fields = self.fields(file, field_decls, known, &mut scope);

        // Roles (declared above so principals can use roles declared later).
        let roles = self.roles(file, &mut scope);

        let mut permissions = default_permissions();
        let mut permission_seen: HashMap<String, Span> = HashMap::new();
        let mut matrices = Vec::new();
        let mut matrix_seen: HashMap<String, Span> = HashMap::new();
        for item in &decl.items {
            match item {
                ast::BlueprintItem::Permission(p) => {
                    self.permission(
                        file,
                        p,
                        &mut scope,
                        (&mut permissions, &mut permission_seen),
                    );
                }
                ast::BlueprintItem::Matrix(m) => {
                    if !self.first_of(
                        &mut matrix_seen,
                        (Code::DuplicateMatrix, "matrix"),
                        &m.id,
                        file,
                    ) {
                        continue;
                    }
                    if let Some(matrix) = self.matrix(file, m, &fields) {
                        matrices.push(matrix);
                    }
                }
                _ => {}
            }
        }

        let workflow = workflow_decl.and_then(|w| self.workflow(file, w, &mut scope));

        let script = script_decl.and_then(|(path, span)| self.script(file, path, span, &fields));

        scope.check_role_cycles(self, file);
        scope.report_unused_roles(self, file);

        Blueprint {
            id: BlueprintId(decl.id.name.clone()),
            label: self.label(file, &decl.label, &decl.id.name),
            doc: decl.docs.join("\n").trim().to_string(),
            version: version.map_or(1, |(v, _)| v),
            parent: outline.parent.as_ref().map(|(p, _)| BlueprintId(p.clone())),
            script,
            fields,
            roles,
            permissions,
            workflow,
            matrices,
            tables: Vec::new(),
        }
    }
}

impl Checker<'_> {
    pub(super) fn matrix(
        &mut self,
        file: &Arc<SourceFile>,
        m: &ast::MatrixDecl,
        fields: &[Field],
    ) -> Option<Matrix> {
        let mut axes: HashMap<&str, (FieldId, Span)> = HashMap::new();
        let mut valid = true;
        for axis in &m.axes {
            if let Some((_, first)) = axes.get(axis.axis.as_str()) {
                self.report(duplicate_setting(file, &axis.axis, axis.span, *first));
                continue;
            }
            match fields.iter().find(|f| f.id.0 == axis.field.name) {
                None => {
                    let help = did_you_mean(
                        &axis.field.name,
                        fields.iter().map(|f| f.id.0.as_str()),
                        "matrix axes name fields of the blueprint",
                    );
                    self.report(
                        Diagnostic::new(
                            Code::UnknownField,
                            file,
                            axis.field.span,
                            "no such field",
                            format!(
                                "unknown field `{}` on matrix axis `{}`",
                                axis.field.name, axis.axis
                            ),
                        )
                        .with_help(help),
                    );
                    valid = false;
                }
                Some(f) if !f.ty.is_numeric_or_enum() => {
                    self.report(
                        Diagnostic::new(Code::NonNumericAxis, file, axis.field.span, format!("a `{}` field", f.ty.describe()), format!("matrix axis `{}` shows field `{}`, which is neither numeric nor an enum", axis.axis, f.id))
                            .with_help("axes show `int`, `int(LO..HI)`, `number` or `enum(...)` fields"),
                    );
                    valid = false;
                }
                Some(_) => {}
            }
            axes.insert(&axis.axis, (FieldId(axis.field.name.clone()), axis.span));
        }
        for required in ["x", "y"] {
            if !axes.contains_key(required) {
                self.report(
                    Diagnostic::new(Code::MissingAxis, file, m.id.span, format!("no `{required}` axis"), format!("matrix `{}` has no `{required}` axis", m.id.name))
                        .with_help(format!("add `{required} FIELD` with a numeric or enum field, e.g. `{{ x value  y risk }}`")),
                );
                valid = false;
            }
        }
        if !valid {
            return None;
        }
        let take =
            |axes: &mut HashMap<&str, (FieldId, Span)>, k: &str| axes.remove(k).map(|(f, _)| f);
        Some(Matrix {
            id: MatrixId(m.id.name.clone()),
            label: self.label(file, &m.label, &m.id.name),
            doc: m.docs.join("\n").trim().to_string(),
            x: take(&mut axes, "x")?,
            y: take(&mut axes, "y")?,
            size: take(&mut axes, "size"),
            color: take(&mut axes, "color"),
        })
    }
}

impl Checker<'_> {
    pub(super) fn script(
        &mut self,
        file: &Arc<SourceFile>,
        path: &ast::StringLit,
        span: Span,
        fields: &[Field],
    ) -> Option<Script> {
        let written = self.string(file, path);
        let base = Path::new(&file.name).parent().unwrap_or(Path::new(""));
        // A script stays in the blueprint file's folder: no absolute path, no
        // `..`, no link out. Only the path as written is echoed back.
        let climbs = Path::new(&written).components().any(|c| {
            !matches!(
                c,
                std::path::Component::Normal(_) | std::path::Component::CurDir
            )
        });
        let full = base.join(&written);
        if climbs || !self.scripts.stays_inside(base, &full) {
            self.report(
                Diagnostic::new(
                    Code::ScriptOutsideFolder,
                    file,
                    path.span,
                    "outside this file's folder",
                    format!("script `{written}` is outside the blueprint file's folder"),
                )
                .with_help("keep scripts in the folder of the `.gov` file or below it, and name them by a relative path without `..`, e.g. `script \"hooks/model.rhai\"`"),
            );
            return None;
        }
        match self.scripts.read(&full) {
            Ok(text) => {
                let script_file = SourceFile::new(full.display().to_string(), text);
                let names: Vec<&str> = fields.iter().map(|f| f.id.0.as_str()).collect();
                let (script, diagnostics) = scripts::check_script(&written, &script_file, &names);
                self.diagnostics.extend(diagnostics);
                script
            }
            Err(e) => {
                let why = match e.kind() {
                    std::io::ErrorKind::NotFound => "no such file".to_string(),
                    _ => e.to_string(),
                };
                self.report(
                    Diagnostic::new(
                        Code::MissingScript,
                        file,
                        path.span,
                        why.clone(),
                        format!("cannot read script `{written}`: {why}"),
                    )
                    .with_help(format!(
                        "the path is relative to this file's folder, so govrt looked for `{}`",
                        full.display()
                    )),
                );
                let _ = span;
                None
            }
        }
    }

    /// A `permission KIND = PRINCIPALS` line, into `permissions` (each kind
    /// once: `seen` holds where each was set).
    fn permission(
        &mut self,
        file: &Arc<SourceFile>,
        p: &ast::PermissionDecl,
        scope: &mut Scope<'_>,
        (permissions, permission_seen): (&mut Permissions, &mut HashMap<String, Span>),
    ) {
        let principals = self.principals(file, &p.principals, scope, None);
        let slot = match p.kind.name.as_str() {
            "read" => &mut permissions.read,
            "write" => &mut permissions.write,
            "delete" => &mut permissions.delete,
            "create" => permissions.create.get_or_insert_with(Vec::new),
            _ => {
                self.report(unknown_word(
                    Code::UnknownPermission,
                    file,
                    &p.kind,
                    "permission",
                    &["read", "write", "delete", "create"],
                    "permissions are `read`, `write`, `delete` and `create` (attaching children)",
                ));
                return;
            }
        };
        if let Some(first) = permission_seen.get(&p.kind.name) {
            self.report(
                Diagnostic::new(
                    Code::DuplicatePermission,
                    file,
                    p.kind.span,
                    "set again here",
                    format!("permission `{}` is set twice", p.kind.name),
                )
                .with_label(*first, "first set here")
                .with_help("list every principal in one `permission` line, separated by commas"),
            );
            return;
        }
        permission_seen.insert(p.kind.name.clone(), p.kind.span);
        *slot = principals;
    }

    /// The fields of a blueprint, item-level and of its steps, each id once.
    fn fields(
        &mut self,
        file: &Arc<SourceFile>,
        field_decls: Vec<(&ast::FieldDecl, Option<StepId>)>,
        known: &BTreeSet<String>,
        scope: &mut Scope<'_>,
    ) -> Vec<Field> {
        let mut fields: Vec<Field> = Vec::new();
        let mut field_spans: HashMap<String, Span> = HashMap::new();
        for (f, step) in field_decls {
            if !self.first_of(
                &mut field_spans,
                (Code::DuplicateField, "field"),
                &f.id,
                file,
            ) {
                continue;
            }
            if let Some(field) = self.field(file, f, step, known, scope) {
                fields.push(field);
            }
        }
        fields
    }

    /// The roles a blueprint declares, their principals checked.
    fn roles(&mut self, file: &Arc<SourceFile>, scope: &mut Scope<'_>) -> BTreeMap<RoleId, Role> {
        let mut roles = BTreeMap::new();
        for r in scope.role_decls.clone() {
            let principals = self.principals(file, &r.principals, scope, Some(&r.id.name));
            roles.insert(
                RoleId(r.id.name.clone()),
                Role {
                    id: RoleId(r.id.name.clone()),
                    doc: r.docs.join("\n").trim().to_string(),
                    principals,
                },
            );
        }
        roles
    }

    /// A blueprint's `version N`: a positive integer (1 when it is not).
    fn version_number(&mut self, file: &Arc<SourceFile>, v: &ast::Setting<ast::IntLit>) -> u32 {
        match values::int(file, &v.value) {
            Ok(n) if n >= 1 && n <= i64::from(u32::MAX) => n as u32,
            _ => {
                self.report(
                    Diagnostic::new(Code::InvalidVersion, file, v.value.span, "not a positive integer", format!("blueprint version `{}` is not a positive integer", v.value.raw))
                        .with_help("versions count from 1: raise the version when the blueprint changes, e.g. `version 2`"),
                );
                1
            }
        }
    }
}

/// The fields declared in the steps of a workflow, with their step.
fn step_fields(w: &ast::WorkflowDecl) -> Vec<(&ast::FieldDecl, Option<StepId>)> {
    let mut out = Vec::new();
    for step in &w.steps {
        for step_item in step.block.iter().flatten() {
            if let ast::StepItem::Field(f) = step_item {
                out.push((f, Some(StepId(step.id.name.clone()))));
            }
        }
    }
    out
}

/// A blueprint's permissions before its `permission` lines: everyone reads,
/// the creator writes and deletes, creating children follows write.
fn default_permissions() -> Permissions {
    Permissions {
        read: vec![Principal::Everyone],
        write: vec![Principal::Role {
            role: RoleId("creator".into()),
        }],
        delete: vec![Principal::Role {
            role: RoleId("creator".into()),
        }],
        create: None,
    }
}
