//! The canonical layout of `.gov` files (`govrt fmt`).
//!
//! The layout is printed from the syntax tree, so it can only change
//! whitespace: two-space indentation, one item per line, small blocks
//! (`feedback`, `final`, `matrix`, `infrastructure`) on one line with items
//! two spaces apart, field options in the order `required`, default, `help`,
//! no `;`. The author's single blank lines between items are kept (runs of
//! blank lines become one), and top-level blueprints are separated by one.
//!
//! Comments are not in the tree: they are scanned from the text and printed
//! where they stood — before the item that follows them, or at the end of the
//! line they ended. A comment inside a one-line block moves to the line above it.

use std::sync::Arc;

use super::ast::*;
use super::text::*;
use crate::diag::{Diagnostic, SourceFile, Span};

/// Formats a file, or returns its syntax errors.
pub fn format_source(file: &Arc<SourceFile>) -> Result<String, Vec<Diagnostic>> {
    let tree = super::parse(file)?;
    Ok(format_file(&file.text, &tree))
}

/// Prints `tree`, parsed from `text`, in the canonical layout.
pub fn format_file(text: &str, tree: &File) -> String {
    let mut p = Printer {
        text,
        comments: scan_comments(text),
        next_comment: 0,
        out: String::with_capacity(text.len() + text.len() / 8),
        indent: 0,
        first_in_block: true,
        pending_blank: false,
    };
    let mut previous_was_blueprint = false;
    for declaration in &tree.declarations {
        match declaration {
            Declaration::Blueprint(b) => {
                if !p.first_in_block {
                    p.pending_blank = true;
                }
                p.blueprint(b);
                previous_was_blueprint = true;
            }
            Declaration::Infrastructure(i) => {
                if previous_was_blueprint {
                    p.pending_blank = true;
                }
                p.infrastructure(i);
                previous_was_blueprint = false;
            }
            Declaration::Control(c) => {
                if previous_was_blueprint {
                    p.pending_blank = true;
                }
                p.control(c);
                previous_was_blueprint = false;
            }
            Declaration::Calendar(c) => {
                if previous_was_blueprint {
                    p.pending_blank = true;
                }
                p.calendar(c);
                previous_was_blueprint = false;
            }
            Declaration::Migrate(m) => {
                p.pending_blank = true;
                p.migrate(m);
                previous_was_blueprint = true;
            }
            Declaration::Table(t) => {
                p.pending_blank = true;
                p.table(t);
                previous_was_blueprint = true;
            }
        }
    }
    p.flush_comments(text.len());
    if p.out.is_empty() {
        p.out
    } else {
        p.out.trim_end().to_string() + "\n"
    }
}

/// The text of every `//` and `/* */` comment of `text`, in order (doc
/// comments are part of the tree, not listed). Formatting keeps this list.
pub fn comments(text: &str) -> Vec<&str> {
    scan_comments(text)
        .iter()
        .map(|c| text[c.span.start..c.span.end].trim_end())
        .collect()
}

/// A `//` or `/* */` comment (doc comments are part of the tree).
#[derive(Debug, Clone, PartialEq)]
struct Comment {
    span: Span,
    is_line: bool,
}

/// Finds the comments of `text`, mirroring the grammar's `COMMENT` rule.
fn scan_comments(text: &str) -> Vec<Comment> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' && i + 1 < bytes.len() && bytes[i + 1] != b'\n' {
                        2
                    } else {
                        1
                    };
                }
                i += 1;
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                let end = text[i..].find('\n').map_or(text.len(), |n| i + n);
                let is_doc = bytes.get(i + 2) == Some(&b'/') && bytes.get(i + 3) != Some(&b'/');
                if !is_doc {
                    out.push(Comment {
                        span: Span::new(i, end),
                        is_line: true,
                    });
                }
                i = end;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                let end = text[i + 2..]
                    .find("*/")
                    .map_or(text.len(), |n| i + 2 + n + 2);
                out.push(Comment {
                    span: Span::new(i, end),
                    is_line: false,
                });
                i = end;
            }
            _ => i += 1,
        }
    }
    out
}

struct Printer<'a> {
    text: &'a str,
    comments: Vec<Comment>,
    next_comment: usize,
    out: String,
    indent: usize,
    first_in_block: bool,
    /// A blank line is due before the next item whatever the author wrote.
    pending_blank: bool,
}

impl Printer<'_> {
    fn write_indent(&mut self) {
        for _ in 0..self.indent {
            self.out.push_str("  ");
        }
    }

    /// Whether the author left a blank line just before `pos`.
    fn blank_before(&self, pos: usize) -> bool {
        let before = &self.text[..pos.min(self.text.len())];
        let ws = before.len() - before.trim_end_matches([' ', '\t', '\r', '\n']).len();
        before[before.len() - ws..].matches('\n').count() >= 2
    }

    fn separate(&mut self, pos: usize) {
        let forced = std::mem::take(&mut self.pending_blank);
        if !self.first_in_block && (forced || self.blank_before(pos)) {
            self.out.push('\n');
        }
        self.first_in_block = false;
    }

    /// Prints every comment that starts before `pos`, each on its own line.
    fn flush_comments(&mut self, pos: usize) {
        while let Some(c) = self.comments.get(self.next_comment).cloned() {
            if c.span.start >= pos {
                break;
            }
            self.next_comment += 1;
            self.separate(c.span.start);
            self.write_indent();
            let body = self.text[c.span.start..c.span.end].trim_end();
            self.out.push_str(body);
            self.out.push('\n');
        }
    }

    /// Appends the comments that start after `pos` on the same source line
    /// (and before `limit`, where the next item starts).
    fn trailing_comments(&mut self, pos: usize, limit: usize) {
        while let Some(c) = self.comments.get(self.next_comment).cloned() {
            let between = self.text.get(pos..c.span.start).unwrap_or("\n");
            let body = &self.text[c.span.start..c.span.end];
            if c.span.start < pos
                || c.span.start >= limit
                || !between.trim().is_empty()
                || between.contains('\n')
                || body.contains('\n')
            {
                break;
            }
            self.next_comment += 1;
            // The newline just written is replaced by the comment and a new one.
            if self.out.ends_with('\n') {
                self.out.pop();
            }
            self.out.push_str("  ");
            self.out.push_str(body.trim_end());
            self.out.push('\n');
            if !c.is_line {
                continue;
            }
            break;
        }
    }

    /// Starts an item spanning `span`: comments before it, then the separating blank line.
    fn begin(&mut self, span: Span, docs: &[String]) {
        self.flush_comments(span.start);
        self.separate(span.start);
        for doc in docs {
            self.write_indent();
            self.out.push_str("///");
            self.out.push_str(doc);
            self.out.push('\n');
        }
    }

    /// A whole item on one line: comments inside it move above it.
    fn single_line(&mut self, span: Span, docs: &[String], content: &str) {
        self.begin(span, docs);
        self.flush_comments(span.end);
        self.write_indent();
        self.out.push_str(content);
        self.out.push('\n');
        self.trailing_comments(span.end, usize::MAX);
    }

    /// The position of the `{` that opens the block of the item starting at `from`.
    fn open_brace(&self, from: usize) -> usize {
        let bytes = self.text.as_bytes();
        let mut i = from;
        let mut c = self.comments.partition_point(|c| c.span.start < from);
        while i < bytes.len() {
            if let Some(comment) = self.comments.get(c)
                && comment.span.start == i
            {
                i = comment.span.end;
                c += 1;
                continue;
            }
            match bytes[i] {
                b'{' => return i,
                b'"' => {
                    i += 1;
                    while i < bytes.len() && bytes[i] != b'"' {
                        i += if bytes[i] == b'\\' { 2 } else { 1 };
                    }
                    i += 1;
                }
                b'/' if bytes.get(i + 1) == Some(&b'/') => {
                    i = self.text[i..].find('\n').map_or(bytes.len(), |n| i + n);
                }
                _ => i += 1,
            }
        }
        from
    }

    fn has_comments_in(&self, span: Span) -> bool {
        self.comments[self.next_comment..]
            .iter()
            .any(|c| c.span.start >= span.start && c.span.start < span.end)
    }

    /// A block item: header line, children printed by `body`, closing brace.
    fn block(
        &mut self,
        span: Span,
        docs: &[String],
        header: &str,
        first_child: Option<Span>,
        body: impl FnOnce(&mut Self),
    ) {
        self.begin(span, docs);
        let brace = self.open_brace(span.start);
        self.flush_comments(brace);
        self.write_indent();
        self.out.push_str(header);
        self.out.push_str(" {\n");
        let limit = first_child.map_or(span.end, |c| c.start);
        self.trailing_comments(brace + 1, limit);
        self.indent += 1;
        self.first_in_block = true;
        body(self);
        let close = span.end.saturating_sub(1);
        self.flush_comments(close);
        self.indent -= 1;
        self.write_indent();
        self.out.push_str("}\n");
        self.first_in_block = false;
        self.trailing_comments(span.end, usize::MAX);
    }

    fn blueprint(&mut self, b: &BlueprintDecl) {
        let header = format!("blueprint {}{}", b.id.name, label(&b.label));
        if b.items.is_empty() && !self.has_comments_in(b.span) {
            return self.single_line(b.span, &b.docs, &format!("{header} {{}}"));
        }
        self.block(
            b.span,
            &b.docs,
            &header,
            b.items.first().map(BlueprintItem::span),
            |p| {
                for item in &b.items {
                    p.blueprint_item(item);
                }
            },
        );
    }

    fn blueprint_item(&mut self, item: &BlueprintItem) {
        match item {
            BlueprintItem::Version(s) => {
                self.single_line(s.span, &s.docs, &format!("version {}", s.value.raw))
            }
            BlueprintItem::Parent(s) => {
                self.single_line(s.span, &s.docs, &format!("parent {}", s.value.name))
            }
            BlueprintItem::Script(s) => {
                self.single_line(s.span, &s.docs, &format!("script {}", string(&s.value)))
            }
            BlueprintItem::Field(f) => self.field(f),
            BlueprintItem::Role(r) => self.single_line(
                r.span,
                &r.docs,
                &format!("role {} = {}", r.id.name, principals(&r.principals)),
            ),
            BlueprintItem::Permission(p) => self.single_line(
                p.span,
                &p.docs,
                &format!("permission {} = {}", p.kind.name, principals(&p.principals)),
            ),
            BlueprintItem::Workflow(w) => {
                if w.steps.is_empty() && !self.has_comments_in(w.span) {
                    return self.single_line(w.span, &w.docs, "workflow {}");
                }
                self.block(
                    w.span,
                    &w.docs,
                    "workflow",
                    w.steps.first().map(|s| s.span),
                    |p| {
                        for step in &w.steps {
                            p.step(step);
                        }
                    },
                );
            }
            BlueprintItem::Matrix(m) => {
                let axes: Vec<String> = m
                    .axes
                    .iter()
                    .map(|a| format!("{} {}", a.axis, a.field.name))
                    .collect();
                self.single_line(
                    m.span,
                    &m.docs,
                    &format!(
                        "matrix {}{} {}",
                        m.id.name,
                        label(&m.label),
                        inline_block(&axes)
                    ),
                );
            }
        }
    }

    fn field(&mut self, f: &FieldDecl) {
        self.single_line(f.span, &f.docs, &field_line(f));
    }

    fn step(&mut self, s: &StepDecl) {
        let header = format!("step {}{}", s.id.name, label(&s.label));
        match &s.block {
            Some(items) if !items.is_empty() || self.has_comments_in(s.span) => {
                self.block(
                    s.span,
                    &s.docs,
                    &header,
                    items.first().map(StepItem::span),
                    |p| {
                        for item in items {
                            match item {
                                StepItem::Field(f) => p.field(f),
                                StepItem::SignOff(o) => p.signoff(o),
                                StepItem::Help(h, span) => {
                                    p.single_line(*span, &[], &format!("help {}", string(h)))
                                }
                                StepItem::Controls(ids, span) => {
                                    p.single_line(*span, &[], &controls(ids))
                                }
                                StepItem::When(c, disclosed, span) => p.single_line(
                                    *span,
                                    &[],
                                    &format!(
                                        "when {}{}",
                                        cond_text(c),
                                        if *disclosed { " disclosed" } else { "" }
                                    ),
                                ),
                            }
                        }
                    },
                );
            }
            _ => self.single_line(s.span, &s.docs, &header),
        }
    }

    fn signoff(&mut self, o: &SignOffDecl) {
        let header = format!("signoff{}", label(&o.label));
        if o.items.is_empty() && !self.has_comments_in(o.span) {
            return self.single_line(o.span, &o.docs, &format!("{header} {{}}"));
        }
        self.block(
            o.span,
            &o.docs,
            &header,
            o.items.first().map(SignOffItem::span),
            |p| {
                for item in &o.items {
                    match item {
                        SignOffItem::Mandatory(span) => p.single_line(*span, &[], "mandatory"),
                        SignOffItem::KeepOnRework(span) => {
                            p.single_line(*span, &[], "keep on rework")
                        }
                        SignOffItem::Gates(target, span) => {
                            p.single_line(*span, &[], &format!("gates {}", target.name))
                        }
                        SignOffItem::Controls(ids, span) => {
                            p.single_line(*span, &[], &controls(ids))
                        }
                        SignOffItem::Binds(fields, span) => {
                            let list: Vec<String> = fields.iter().map(field_text).collect();
                            p.single_line(*span, &[], &format!("binds {}", list.join(", ")))
                        }
                        SignOffItem::ResetEvery(d, rerequest, span) => {
                            let again = if rerequest.is_some() {
                                "  rerequest"
                            } else {
                                ""
                            };
                            p.single_line(
                                *span,
                                &[],
                                &format!("reset every {}{again}", duration(d)),
                            )
                        }
                        SignOffItem::Feedback(g) => {
                            let parts: Vec<String> = g
                                .items
                                .iter()
                                .map(|i| match i {
                                    FeedbackItem::Reviewers(r, _) => {
                                        format!("reviewers = {}", principals(r))
                                    }
                                    FeedbackItem::Min(n, _) => format!("min {}", n.raw),
                                    FeedbackItem::Required(_) => "required".to_string(),
                                    FeedbackItem::Help(h, _) => format!("help {}", string(h)),
                                    FeedbackItem::Not(e) => exclusion(e),
                                    FeedbackItem::Service(s) => service(s),
                                })
                                .collect();
                            p.single_line(
                                g.span,
                                &g.docs,
                                &format!(
                                    "feedback {}{} {}",
                                    g.id.name,
                                    label(&g.label),
                                    inline_block(&parts)
                                ),
                            );
                        }
                        SignOffItem::Final(f) => {
                            let parts: Vec<String> = f
                                .items
                                .iter()
                                .map(|i| match i {
                                    FinalItem::Reviewers(r, _) => {
                                        format!("reviewers = {}", principals(r))
                                    }
                                    FinalItem::NotRequester(_) => "not requester".to_string(),
                                    FinalItem::Not(e) => exclusion(e),
                                    FinalItem::NoMajor(_) => "no major".to_string(),
                                    FinalItem::Service(s) => service(s),
                                })
                                .collect();
                            p.single_line(
                                f.span,
                                &f.docs,
                                &format!("final {}", inline_block(&parts)),
                            );
                        }
                    }
                }
            },
        );
    }

    fn control(&mut self, c: &ControlDecl) {
        let parts: Vec<String> = c
            .items
            .iter()
            .map(|item| match item {
                ControlItem::Framework(f, _) => format!("framework {}", string(f)),
                ControlItem::Help(h, _) => format!("help {}", string(h)),
            })
            .collect();
        let mut line = format!("control {}{}", c.id.name, label(&c.label));
        if !parts.is_empty() {
            line.push(' ');
            line.push_str(&inline_block(&parts));
        }
        self.single_line(c.span, &c.docs, &line);
    }

    fn calendar(&mut self, c: &CalendarDecl) {
        let parts: Vec<String> = c
            .items
            .iter()
            .map(|item| match item {
                CalendarItem::Timezone(t, _) => format!("timezone {}", string(t)),
                CalendarItem::Workdays(days, _) => {
                    let list: Vec<String> = days
                        .iter()
                        .map(|d| match &d.to {
                            Some(to) => format!("{}..{}", d.from.name, to.name),
                            None => d.from.name.clone(),
                        })
                        .collect();
                    format!("workdays {}", list.join(", "))
                }
                CalendarItem::Hours(from, to, _) => format!("hours {}..{}", from.raw, to.raw),
                CalendarItem::Holidays(dates, _) => {
                    let list: Vec<&str> = dates.iter().map(|d| d.raw.as_str()).collect();
                    format!("holidays {}", list.join(", "))
                }
            })
            .collect();
        let line = format!(
            "calendar {}{} {}",
            c.id.name,
            label(&c.label),
            inline_block(&parts)
        );
        self.single_line(c.span, &c.docs, &line);
    }

    fn migrate(&mut self, m: &MigrateDecl) {
        let header = format!(
            "migrate {} {} -> {}",
            m.blueprint.name, m.from.raw, m.to.raw
        );
        let first = m.items.first().map(MigrateItem::span);
        self.block(m.span, &m.docs, &header, first, |p| {
            for item in &m.items {
                let line = match item {
                    MigrateItem::Step(a, b, _) => format!("step {} -> {}", a.name, b.name),
                    MigrateItem::Field(a, b, _) => format!("field {} -> {}", a.name, b.name),
                    MigrateItem::Set(f, v, _) => format!("set {} = {}", f.name, value(v)),
                    MigrateItem::Drop(f, _) => format!("drop {}", f.name),
                    MigrateItem::SignOff(a, b, reset, _) => format!(
                        "signoff {} -> {} {}",
                        a.name,
                        b.name,
                        if *reset { "reset" } else { "keep" }
                    ),
                };
                p.single_line(item.span(), &[], &line);
            }
        });
    }

    fn table(&mut self, t: &TableDecl) {
        let header = format!("table {}{}", t.id.name, label(&t.label));
        let first = t.items.first().map(TableItem::span);
        self.block(t.span, &t.docs, &header, first, |p| {
            for (item, line) in t.items.iter().zip(item_lines(t)) {
                p.single_line(item.span(), &[], &line);
            }
        });
    }

    fn infrastructure(&mut self, i: &InfrastructureDecl) {
        let parts: Vec<String> = i
            .items
            .iter()
            .map(|item| match item {
                InfrastructureItem::Policy(p, _) => format!("policy {}", p.name),
                InfrastructureItem::Help(h, _) => format!("help {}", string(h)),
            })
            .collect();
        let mut line = format!("infrastructure {}{}", i.id.name, label(&i.label));
        if !parts.is_empty() {
            line.push(' ');
            line.push_str(&inline_block(&parts));
        }
        self.single_line(i.span, &i.docs, &line);
    }
}

/// `controls a.b, c.d`.
fn controls(ids: &[Ident]) -> String {
    let names: Vec<&str> = ids.iter().map(|i| i.name.as_str()).collect();
    format!("controls {}", names.join(", "))
}

fn inline_block(parts: &[String]) -> String {
    if parts.is_empty() {
        "{}".to_string()
    } else {
        format!("{{ {} }}", parts.join("  "))
    }
}

fn label(l: &Option<StringLit>) -> String {
    l.as_ref()
        .map_or(String::new(), |s| format!(" {}", string(s)))
}

fn field_line(f: &FieldDecl) -> String {
    let mut line = format!(
        "field {}: {}{}",
        f.id.name,
        type_expr(&f.ty),
        label(&f.label)
    );
    let rank = |o: &FieldOption| match o {
        FieldOption::Required(_) => 0,
        FieldOption::Default(..) => 1,
        FieldOption::Help(..) => 2,
        FieldOption::Controls(..) => 3,
        FieldOption::Read(..) => 4,
        FieldOption::Write(..) => 5,
    };
    let mut options: Vec<&FieldOption> = f.options.iter().collect();
    options.sort_by_key(|o| rank(o));
    let mut previous: Option<&FieldOption> = None;
    for option in options {
        line.push(' ');
        match option {
            FieldOption::Required(_) => line.push_str("required"),
            FieldOption::Default(v, _) => {
                line.push_str("= ");
                line.push_str(&value(v));
            }
            FieldOption::Help(h, _) => {
                line.push_str("help ");
                line.push_str(&string(h));
            }
            FieldOption::Controls(ids, _) => line.push_str(&controls(ids)),
            FieldOption::Read(list, _) => {
                line.push_str("read = ");
                line.push_str(&principals(list));
            }
            FieldOption::Write(list, _) => {
                // Two spaces after a list of principals: where the next option starts.
                if matches!(previous, Some(FieldOption::Read(..))) {
                    line.push(' ');
                }
                line.push_str("write = ");
                line.push_str(&principals(list));
            }
        }
        previous = Some(option);
    }
    line
}

fn type_expr(t: &TypeExpr) -> String {
    match t {
        TypeExpr::Named(n) => n.name.clone(),
        TypeExpr::Enum(variants, _) => {
            let names: Vec<&str> = variants.iter().map(|v| v.name.as_str()).collect();
            format!("enum({})", names.join(", "))
        }
        TypeExpr::IntRange(lo, hi, _) => format!("int({}..{})", lo.raw, hi.raw),
        TypeExpr::Ref(b, _) => format!("ref({})", b.name),
        TypeExpr::List(inner, _) => format!("[{}]", type_expr(inner)),
    }
}

/// `sla …`, `remind every …`, `escalate after … to … [grant]`.
fn service(s: &ServiceItem) -> String {
    match s {
        ServiceItem::Sla(d, calendar, _) => match calendar {
            Some(c) => format!("sla {} in {}", duration(d), c.name),
            None => format!("sla {}", duration(d)),
        },
        ServiceItem::Remind(d, _) => format!("remind every {}", duration(d)),
        ServiceItem::Escalate {
            after, to, grant, ..
        } => format!(
            "escalate after {} to {}{}",
            duration(after),
            principals(to),
            if *grant { " grant" } else { "" }
        ),
    }
}

fn exclusion(e: &Exclusion) -> String {
    match e {
        Exclusion::Requester(_) => "not requester".to_string(),
        Exclusion::Reviewer(_) => "not reviewer".to_string(),
        Exclusion::Principals(list, _) => format!("not {}", principals(list)),
    }
}
