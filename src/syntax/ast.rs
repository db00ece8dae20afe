//! The syntax tree of a `.gov` file: what was written, with byte spans, before
//! any name, type or reference is checked. Node names match the grammar's rules.

use serde::Serialize;

use crate::diag::Span;

/// A name as written.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ident {
    /// The name.
    pub name: String,
    /// Where it is.
    pub span: Span,
}

/// A string literal; `raw` is the text between the quotes, escapes not yet decoded.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StringLit {
    /// The text between the quotes.
    pub raw: String,
    /// Where it is, quotes included.
    pub span: Span,
}

/// A number as written (`42`, `-3`); parsed by the checker, which reports overflow.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IntLit {
    /// The digits, with their sign.
    pub raw: String,
    /// Where it is.
    pub span: Span,
}

/// A whole `.gov` file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct File {
    /// Blueprints and infrastructures, in file order.
    pub declarations: Vec<Declaration>,
}

/// A top-level declaration.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Declaration {
    /// `blueprint ...`.
    Blueprint(BlueprintDecl),
    /// `infrastructure ...`.
    Infrastructure(InfrastructureDecl),
    /// `control ...`.
    Control(ControlDecl),
    /// `calendar ...`.
    Calendar(CalendarDecl),
    /// `migrate ...`.
    Migrate(MigrateDecl),
    /// `table ...`.
    Table(TableDecl),
}

/// `migrate BLUEPRINT N -> M { ... }`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MigrateDecl {
    /// Doc comment lines.
    pub docs: Vec<String>,
    /// The whole declaration.
    pub span: Span,
    /// The blueprint.
    pub blueprint: Ident,
    /// The version items move from.
    pub from: IntLit,
    /// The version they move to (the set's).
    pub to: IntLit,
    /// What moves where, as written.
    pub items: Vec<MigrateItem>,
}

/// An item of a migration block.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum MigrateItem {
    /// `step OLD -> NEW`.
    Step(Ident, Ident, Span),
    /// `field OLD -> NEW`.
    Field(Ident, Ident, Span),
    /// `set FIELD = VALUE`.
    Set(Ident, ValueExpr, Span),
    /// `drop FIELD`.
    Drop(Ident, Span),
    /// `signoff OLD -> NEW keep|reset` (`true`: reset).
    SignOff(Ident, Ident, bool, Span),
}

/// `calendar ID ["Label"] { ... }`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CalendarDecl {
    /// Doc comment lines.
    pub docs: Vec<String>,
    /// The whole declaration.
    pub span: Span,
    /// The id.
    pub id: Ident,
    /// The label.
    pub label: Option<StringLit>,
    /// Its items, in order.
    pub items: Vec<CalendarItem>,
}

/// A literal checked later (a time of day, a date), as written.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RawLit {
    /// The text.
    pub raw: String,
    /// Where it is.
    pub span: Span,
}

/// `mon` or `mon..fri`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeekdaysExpr {
    /// The first day.
    pub from: Ident,
    /// The last day of a range.
    pub to: Option<Ident>,
}

/// An item of a calendar block.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum CalendarItem {
    /// `timezone "Area/City"`.
    Timezone(StringLit, Span),
    /// `workdays mon..fri`.
    Workdays(Vec<WeekdaysExpr>, Span),
    /// `hours 09:00..18:00`.
    Hours(RawLit, RawLit, Span),
    /// `holidays DATE, …`.
    Holidays(Vec<RawLit>, Span),
}

/// A service level of a feedback group or of the final approval.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum ServiceItem {
    /// `sla DURATION [in CALENDAR]`.
    Sla(DurationLit, Option<Ident>, Span),
    /// `remind every DURATION`.
    Remind(DurationLit, Span),
    /// `escalate after DURATION to PRINCIPALS [grant]`.
    Escalate {
        /// After how long.
        after: DurationLit,
        /// Who.
        to: Vec<PrincipalExpr>,
        /// `grant`: they become eligible.
        grant: bool,
        /// The whole item.
        span: Span,
    },
}

impl ServiceItem {
    /// Where the item is.
    pub fn span(&self) -> Span {
        match self {
            ServiceItem::Sla(_, _, s) | ServiceItem::Remind(_, s) => *s,
            ServiceItem::Escalate { span, .. } => *span,
        }
    }
}

/// `control ID ["Label"] [{ ... }]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ControlDecl {
    /// Doc comment lines.
    pub docs: Vec<String>,
    /// The whole declaration.
    pub span: Span,
    /// The dotted id.
    pub id: Ident,
    /// The label.
    pub label: Option<StringLit>,
    /// `framework "..."` and `help "..."`, as written.
    pub items: Vec<ControlItem>,
}

/// An item of a control block.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum ControlItem {
    /// `framework "..."`.
    Framework(StringLit, Span),
    /// `help "..."`.
    Help(StringLit, Span),
}

/// `blueprint ID ["Label"] { ... }`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BlueprintDecl {
    /// Doc comment lines (the text after `///`).
    pub docs: Vec<String>,
    /// The whole declaration, doc comments included.
    pub span: Span,
    /// The id.
    pub id: Ident,
    /// The label.
    pub label: Option<StringLit>,
    /// The items of the block, in order.
    pub items: Vec<BlueprintItem>,
}

/// A setting with one value (`version 2`, `parent model`, `script "x.rhai"`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Setting<T> {
    /// Doc comment lines.
    pub docs: Vec<String>,
    /// The whole setting.
    pub span: Span,
    /// Its value.
    pub value: T,
}

/// An item of a blueprint block.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum BlueprintItem {
    /// `version N`.
    Version(Setting<IntLit>),
    /// `parent ID`.
    Parent(Setting<Ident>),
    /// `script "PATH"`.
    Script(Setting<StringLit>),
    /// `field ...`.
    Field(FieldDecl),
    /// `role ...`.
    Role(RoleDecl),
    /// `permission ...`.
    Permission(PermissionDecl),
    /// `workflow { ... }`.
    Workflow(WorkflowDecl),
    /// `matrix ...`.
    Matrix(MatrixDecl),
}

/// `field ID: TYPE ["Label"] [required] [= DEFAULT] [help "..."]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldDecl {
    /// Doc comment lines.
    pub docs: Vec<String>,
    /// The whole field.
    pub span: Span,
    /// The id.
    pub id: Ident,
    /// The type.
    pub ty: TypeExpr,
    /// The label.
    pub label: Option<StringLit>,
    /// `required`, `= DEFAULT`, `help`, as written.
    pub options: Vec<FieldOption>,
}

/// An option of a field.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum FieldOption {
    /// `required`.
    Required(Span),
    /// `= VALUE`.
    Default(ValueExpr, Span),
    /// `help "..."`.
    Help(StringLit, Span),
    /// `controls ID, …`.
    Controls(Vec<Ident>, Span),
    /// `read = PRINCIPALS`.
    Read(Vec<PrincipalExpr>, Span),
    /// `write = PRINCIPALS`.
    Write(Vec<PrincipalExpr>, Span),
}

/// A field type as written.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum TypeExpr {
    /// A type by name: `text`, `int`, `user`…
    Named(Ident),
    /// `enum(a, b)`.
    Enum(Vec<Ident>, Span),
    /// `int(LO..HI)`.
    IntRange(IntLit, IntLit, Span),
    /// `ref(BLUEPRINT)`.
    Ref(Ident, Span),
    /// `[T]`.
    List(Box<TypeExpr>, Span),
}

impl TypeExpr {
    /// Where the type is.
    pub fn span(&self) -> Span {
        match self {
            TypeExpr::Named(i) => i.span,
            TypeExpr::Enum(_, s)
            | TypeExpr::IntRange(_, _, s)
            | TypeExpr::Ref(_, s)
            | TypeExpr::List(_, s) => *s,
        }
    }
}

/// A value as written (a default).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum ValueExpr {
    /// `"..."`.
    String(StringLit),
    /// `42`.
    Integer(IntLit),
    /// `0.5`.
    Decimal(String, Span),
    /// `true`.
    Boolean(bool, Span),
    /// `2027-01-31`.
    Date(String, Span),
    /// `2027-01-31T09:00:00Z`.
    DateTime(String, Span),
    /// A bare name: an enum variant.
    Ident(Ident),
    /// `user "alice"`, `group "risk"`, `api_key "bot"`, `role owner`.
    Principal(PrincipalExpr),
    /// `[a, b]`.
    List(Vec<ValueExpr>, Span),
}

impl ValueExpr {
    /// Where the value is.
    pub fn span(&self) -> Span {
        match self {
            ValueExpr::String(s) => s.span,
            ValueExpr::Integer(i) => i.span,
            ValueExpr::Ident(i) => i.span,
            ValueExpr::Principal(p) => p.span(),
            ValueExpr::Decimal(_, s)
            | ValueExpr::Boolean(_, s)
            | ValueExpr::Date(_, s)
            | ValueExpr::DateTime(_, s)
            | ValueExpr::List(_, s) => *s,
        }
    }
}

/// A principal as written.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum PrincipalExpr {
    /// `user "name"`.
    User(StringLit, Span),
    /// `group "name"`.
    Group(StringLit, Span),
    /// `api_key "name"`.
    ApiKey(StringLit, Span),
    /// `role ID`.
    Role(Ident, Span),
    /// `everyone`.
    Everyone(Span),
    /// `field ID`.
    Field(Ident, Span),
    /// `BLUEPRINT.field ID`.
    AncestorField(Ident, Ident, Span),
}

impl PrincipalExpr {
    /// Where the principal is.
    pub fn span(&self) -> Span {
        match self {
            PrincipalExpr::User(_, s)
            | PrincipalExpr::Group(_, s)
            | PrincipalExpr::ApiKey(_, s)
            | PrincipalExpr::Role(_, s)
            | PrincipalExpr::Everyone(s)
            | PrincipalExpr::Field(_, s)
            | PrincipalExpr::AncestorField(_, _, s) => *s,
        }
    }
}

/// `role ID = PRINCIPALS`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RoleDecl {
    /// Doc comment lines.
    pub docs: Vec<String>,
    /// The whole role.
    pub span: Span,
    /// The id.
    pub id: Ident,
    /// Who holds it.
    pub principals: Vec<PrincipalExpr>,
}

/// `permission KIND = PRINCIPALS`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PermissionDecl {
    /// Doc comment lines.
    pub docs: Vec<String>,
    /// The whole permission.
    pub span: Span,
    /// `read`, `write` or `delete` (checked later).
    pub kind: Ident,
    /// Who has it.
    pub principals: Vec<PrincipalExpr>,
}

/// `workflow { step ... }`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WorkflowDecl {
    /// Doc comment lines.
    pub docs: Vec<String>,
    /// The whole workflow.
    pub span: Span,
    /// The steps, in order.
    pub steps: Vec<StepDecl>,
}

/// `step ID ["Label"] [{ ... }]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepDecl {
    /// Doc comment lines.
    pub docs: Vec<String>,
    /// The whole step.
    pub span: Span,
    /// The id.
    pub id: Ident,
    /// The label.
    pub label: Option<StringLit>,
    /// The block, if written (even empty).
    pub block: Option<Vec<StepItem>>,
}

/// An item of a step block.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum StepItem {
    /// A field filled on this step.
    Field(FieldDecl),
    /// The step's sign-off.
    SignOff(SignOffDecl),
    /// `help "..."`.
    Help(StringLit, Span),
    /// `controls ID, …`.
    Controls(Vec<Ident>, Span),
    /// `when COND [disclosed]`: the step applies only while COND holds;
    /// `disclosed` (true) lets readers who may not read what COND reads
    /// see whether it applies.
    When(CondExpr, bool, Span),
}

/// `signoff ["Label"] { ... }`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SignOffDecl {
    /// Doc comment lines.
    pub docs: Vec<String>,
    /// The whole sign-off.
    pub span: Span,
    /// The label.
    pub label: Option<StringLit>,
    /// Its items, in order.
    pub items: Vec<SignOffItem>,
}

/// An item of a sign-off block.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum SignOffItem {
    /// `mandatory`.
    Mandatory(Span),
    /// `keep on rework`.
    KeepOnRework(Span),
    /// `gates deployment|nothing`.
    Gates(Ident, Span),
    /// `feedback ...`.
    Feedback(FeedbackDecl),
    /// `final { ... }`.
    Final(FinalDecl),
    /// `reset every DURATION`.
    ResetEvery(DurationLit, Option<Span>, Span),
    /// `binds FIELD, BLUEPRINT.field FIELD, …`.
    Binds(Vec<BoundFieldExpr>, Span),
    /// `controls ID, …`.
    Controls(Vec<Ident>, Span),
}

/// A bound field of a sign-off: `FIELD`, or `BLUEPRINT.field FIELD`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BoundFieldExpr {
    /// The ancestor blueprint, for `BLUEPRINT.field FIELD`.
    pub blueprint: Option<Ident>,
    /// The field.
    pub field: Ident,
    /// Where it is.
    pub span: Span,
}

/// `feedback ID ["Label"] { ... }`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeedbackDecl {
    /// Doc comment lines.
    pub docs: Vec<String>,
    /// The whole group.
    pub span: Span,
    /// The id.
    pub id: Ident,
    /// The label.
    pub label: Option<StringLit>,
    /// Its items, in order.
    pub items: Vec<FeedbackItem>,
}

/// An item of a feedback group block.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum FeedbackItem {
    /// `reviewers = ...`.
    Reviewers(Vec<PrincipalExpr>, Span),
    /// `min N`.
    Min(IntLit, Span),
    /// `required`: the final approval waits for `min` reviews of the group.
    Required(Span),
    /// `help "..."`.
    Help(StringLit, Span),
    /// `not requester`, `not reviewer`, `not PRINCIPALS`.
    Not(Exclusion),
    /// `sla …`, `remind every …`, `escalate after …`.
    Service(ServiceItem),
}

/// Who may not act for a feedback group or the final approval.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Exclusion {
    /// `not requester`.
    Requester(Span),
    /// `not reviewer`.
    Reviewer(Span),
    /// `not PRINCIPALS`.
    Principals(Vec<PrincipalExpr>, Span),
}

impl Exclusion {
    /// Where it is written.
    pub fn span(&self) -> Span {
        match self {
            Exclusion::Requester(s) | Exclusion::Reviewer(s) | Exclusion::Principals(_, s) => *s,
        }
    }
}

/// `final { ... }`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FinalDecl {
    /// Doc comment lines.
    pub docs: Vec<String>,
    /// The whole final approval.
    pub span: Span,
    /// Its items, in order.
    pub items: Vec<FinalItem>,
}

/// An item of a final approval block.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum FinalItem {
    /// `reviewers = ...`.
    Reviewers(Vec<PrincipalExpr>, Span),
    /// `not requester`.
    NotRequester(Span),
    /// `not reviewer`, `not PRINCIPALS`.
    Not(Exclusion),
    /// `no major`.
    NoMajor(Span),
    /// `sla …`, `remind every …`, `escalate after …`.
    Service(ServiceItem),
}

/// `N unit`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DurationLit {
    /// The amount.
    pub amount: IntLit,
    /// `business` before the unit, where written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub business: Option<Span>,
    /// The unit as written.
    pub unit: Ident,
    /// The whole duration.
    pub span: Span,
}

/// `matrix ID ["Label"] { x F  y F  [size F]  [color F] }`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MatrixDecl {
    /// Doc comment lines.
    pub docs: Vec<String>,
    /// The whole matrix.
    pub span: Span,
    /// The id.
    pub id: Ident,
    /// The label.
    pub label: Option<StringLit>,
    /// The axes, as written.
    pub axes: Vec<AxisDecl>,
}

/// `x FIELD` (or `y`, `size`, `color`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AxisDecl {
    /// `x`, `y`, `size` or `color`.
    pub axis: String,
    /// The field shown on it.
    pub field: Ident,
    /// The whole axis.
    pub span: Span,
}

/// `infrastructure ID ["Label"] [{ ... }]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InfrastructureDecl {
    /// Doc comment lines.
    pub docs: Vec<String>,
    /// The whole declaration.
    pub span: Span,
    /// The id.
    pub id: Ident,
    /// The label.
    pub label: Option<StringLit>,
    /// Its items, in order.
    pub items: Vec<InfrastructureItem>,
}

/// An item of an infrastructure block.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum InfrastructureItem {
    /// `policy prevent|warn|always`.
    Policy(Ident, Span),
    /// `help "..."`.
    Help(StringLit, Span),
}

impl BlueprintItem {
    /// Where the item is.
    pub fn span(&self) -> Span {
        match self {
            BlueprintItem::Version(s) => s.span,
            BlueprintItem::Parent(s) => s.span,
            BlueprintItem::Script(s) => s.span,
            BlueprintItem::Field(f) => f.span,
            BlueprintItem::Role(r) => r.span,
            BlueprintItem::Permission(p) => p.span,
            BlueprintItem::Workflow(w) => w.span,
            BlueprintItem::Matrix(m) => m.span,
        }
    }
}

impl StepItem {
    /// Where the item is.
    pub fn span(&self) -> Span {
        match self {
            StepItem::Field(f) => f.span,
            StepItem::SignOff(o) => o.span,
            StepItem::Help(_, s) | StepItem::Controls(_, s) | StepItem::When(_, _, s) => *s,
        }
    }
}

impl SignOffItem {
    /// Where the item is.
    pub fn span(&self) -> Span {
        match self {
            SignOffItem::Mandatory(s)
            | SignOffItem::KeepOnRework(s)
            | SignOffItem::Gates(_, s)
            | SignOffItem::ResetEvery(_, _, s)
            | SignOffItem::Binds(_, s)
            | SignOffItem::Controls(_, s) => *s,
            SignOffItem::Feedback(g) => g.span,
            SignOffItem::Final(f) => f.span,
        }
    }
}

impl MigrateItem {
    /// Where the item is.
    pub fn span(&self) -> Span {
        match self {
            MigrateItem::Step(_, _, s)
            | MigrateItem::Field(_, _, s)
            | MigrateItem::Set(_, _, s)
            | MigrateItem::Drop(_, s)
            | MigrateItem::SignOff(_, _, _, s) => *s,
        }
    }
}

// Conditions as written (`when COND` on a step, `filter COND` on a table);
// names and types are checked by `check::conditions`.

/// A condition: tests joined by `and`, `or` and `not`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum CondExpr {
    /// `A or B or …` (two or more).
    Any(Vec<CondExpr>, Span),
    /// `A and B and …` (two or more).
    All(Vec<CondExpr>, Span),
    /// `not A`.
    Not(Box<CondExpr>, Span),
    /// A test of one field.
    Test(CondTest),
    /// A test of where the item stands (filters only).
    State(StateTestExpr),
}

impl CondExpr {
    /// Where it is.
    pub fn span(&self) -> Span {
        match self {
            CondExpr::Any(_, s) | CondExpr::All(_, s) | CondExpr::Not(_, s) => *s,
            CondExpr::Test(t) => t.span,
            CondExpr::State(t) => t.span,
        }
    }
}

/// `FIELD OP VALUE`, `FIELD in (…)`, `FIELD is [not] set`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CondTest {
    /// The field tested: the item's, or an ancestor's (`project.field regulated`).
    pub subject: BoundFieldExpr,
    /// What is asked of it.
    pub check: CondCheck,
    /// The whole test.
    pub span: Span,
}

/// A test of where the item stands: `step == S`, `signoff S == STATE`,
/// `sla S breached`, `due within N days`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StateTestExpr {
    /// What is asked.
    pub check: StateCheck,
    /// The whole test.
    pub span: Span,
}

/// What a test of the item's state asks.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum StateCheck {
    /// `step == STEP` (true) or `step != STEP` (false).
    Step(bool, Ident),
    /// `signoff STEP == STATE` (true) or `!=` (false).
    SignOff(Ident, bool, Ident),
    /// `sla STEP breached`.
    Breached(Ident),
    /// `due within N UNIT`.
    DueWithin(DurationLit),
}

/// What a test asks of its field.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum CondCheck {
    /// `is set` (false) or `is not set` (true).
    IsSet(bool),
    /// `in (A, B, …)`.
    In(Vec<ValueExpr>),
    /// `OP VALUE`.
    Compare(CompareOp, ValueExpr),
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum CompareOp {
    /// `==`.
    Eq,
    /// `!=`.
    Ne,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
}

impl CompareOp {
    /// As written.
    pub fn as_str(self) -> &'static str {
        match self {
            CompareOp::Eq => "==",
            CompareOp::Ne => "!=",
            CompareOp::Lt => "<",
            CompareOp::Le => "<=",
            CompareOp::Gt => ">",
            CompareOp::Ge => ">=",
        }
    }

    /// Whether it orders values (`<`, `<=`, `>`, `>=`) rather than compares them.
    pub fn orders(self) -> bool {
        !matches!(self, CompareOp::Eq | CompareOp::Ne)
    }

    pub(super) fn parse(text: &str) -> CompareOp {
        match text {
            "!=" => CompareOp::Ne,
            "<" => CompareOp::Lt,
            "<=" => CompareOp::Le,
            ">" => CompareOp::Gt,
            ">=" => CompareOp::Ge,
            _ => CompareOp::Eq,
        }
    }
}

// Table views as written (`table ID ["Label"] { blueprint B  columns COL, …
// [filter COND]  [sort COL asc|desc] }`); names are checked by `check::tables`.

/// `table ID ["Label"] { … }`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TableDecl {
    /// Doc comment lines.
    pub docs: Vec<String>,
    /// The whole declaration.
    pub span: Span,
    /// The id.
    pub id: Ident,
    /// The label.
    pub label: Option<StringLit>,
    /// Its items, in order.
    pub items: Vec<TableItem>,
}

/// An item of a table block.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum TableItem {
    /// `blueprint B`.
    Blueprint(Ident, Span),
    /// `columns COL, …`.
    Columns(Vec<ColumnExpr>, Span),
    /// `filter COND`.
    Filter(CondExpr, Span),
    /// `sort COL [asc|desc]` (`true`: descending).
    Sort(ColumnExpr, bool, Span),
}

impl TableItem {
    /// Where it is.
    pub fn span(&self) -> Span {
        match self {
            TableItem::Blueprint(_, s)
            | TableItem::Columns(_, s)
            | TableItem::Filter(_, s)
            | TableItem::Sort(_, _, s) => *s,
        }
    }
}

/// A column as written.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum ColumnExpr {
    /// A field, or `name`, `step`, `updated`.
    Named(Ident),
    /// `signoff STEP`.
    SignOff(Ident, Span),
    /// `deploy INFRA`.
    Deploy(Ident, Span),
}

impl ColumnExpr {
    /// Where it is.
    pub fn span(&self) -> Span {
        match self {
            ColumnExpr::Named(i) => i.span,
            ColumnExpr::SignOff(_, s) | ColumnExpr::Deploy(_, s) => *s,
        }
    }

    /// As written: `risk_tier`, `signoff review`, `deploy prod`.
    pub fn text(&self) -> String {
        match self {
            ColumnExpr::Named(i) => i.name.clone(),
            ColumnExpr::SignOff(i, _) => format!("signoff {}", i.name),
            ColumnExpr::Deploy(i, _) => format!("deploy {}", i.name),
        }
    }
}
