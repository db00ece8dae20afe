//! The stable diagnostic codes. Codes are never renumbered or reused; a code
//! that is retired stays in the table, documented as such.

use serde::Serialize;

/// Error or warning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The set is invalid.
    Error,
    /// The set is valid but probably not what was meant.
    Warning,
}

macro_rules! codes {
    ($($variant:ident = $code:literal, $slug:literal, $summary:literal;)*) => {
        /// A stable diagnostic code: `gov::E…` for errors, `gov::W…` for warnings,
        /// grouped by stage (00 syntax, 01 names and references, 02 structure,
        /// 03 types and values, 04 hooks).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code {
            $(#[doc = $summary] $variant,)*
        }

        impl Code {
            /// Every code, in table order.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// `gov::E0101`.
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => concat!("gov::", $code),)* }
            }

            /// A short snake_case name, used for fixture file names (`E0101_duplicate_blueprint`).
            pub fn slug(self) -> &'static str {
                match self { $(Code::$variant => $slug,)* }
            }

            /// One sentence on what the code means.
            pub fn summary(self) -> &'static str {
                match self { $(Code::$variant => $summary,)* }
            }

            /// The code's page of the book (`docs/src/diagnostics/CODE.md`):
            /// what it means, an example that reports it, how to fix it.
            pub fn page(self) -> &'static str {
                match self {
                    $(Code::$variant => include_str!(concat!(
                        env!("CARGO_MANIFEST_DIR"), "/docs/src/diagnostics/", $code, ".md"
                    )),)*
                }
            }
        }
    };
}

codes! {
    Syntax = "E0001", "syntax", "the text is not valid `.gov` syntax";
    InvalidEscape = "E0002", "invalid_escape", "a string holds an escape other than `\\\"`, `\\\\`, `\\n`, `\\t` or `\\u{...}`";
    UnreadableFile = "E0003", "unreadable_file", "a file could not be read, or is not UTF-8 text";
    TooDeeplyNested = "E0004", "too_deeply_nested", "brackets and `not`s nest deeper than 64 levels";
    DuplicateBlueprint = "E0101", "duplicate_blueprint", "two blueprints of one set have the same id";
    DuplicateField = "E0102", "duplicate_field", "two fields of one blueprint (item or step fields) have the same id";
    DuplicateStep = "E0103", "duplicate_step", "two steps of one workflow have the same id";
    DuplicateRole = "E0104", "duplicate_role", "two roles of one blueprint have the same id";
    DuplicateFeedbackGroup = "E0105", "duplicate_feedback_group", "two feedback groups of one sign-off have the same id";
    DuplicateInfrastructure = "E0106", "duplicate_infrastructure", "two infrastructures of one set have the same id";
    DuplicateMatrix = "E0107", "duplicate_matrix", "two matrix views of one blueprint have the same id";
    UnknownParent = "E0108", "unknown_parent", "`parent` names a blueprint the set does not declare";
    UnknownRole = "E0109", "unknown_role", "a principal names a role the blueprint does not declare";
    UnknownField = "E0110", "unknown_field", "a principal, matrix axis, bound field or condition names a field the blueprint does not declare";
    UnknownBlueprint = "E0111", "unknown_blueprint", "`BLUEPRINT.field`, `ref(BLUEPRINT)`, a migration or a table names a blueprint the set does not declare";
    NotAnAncestor = "E0112", "not_an_ancestor", "`BLUEPRINT.field` names a blueprint that is neither this one nor one of its ancestors";
    UnknownType = "E0113", "unknown_type", "a field has a type the language does not know";
    DuplicateEnumVariant = "E0114", "duplicate_enum_variant", "an enum lists the same variant twice";
    ReservedName = "E0115", "reserved_name", "a declaration uses a name the runtime reserves (`creator` and `everyone` roles, the `final` group)";
    DuplicatePermission = "E0116", "duplicate_permission", "a blueprint sets the same permission twice";
    DuplicateControl = "E0117", "duplicate_control", "two controls of one set have the same id";
    UnknownControl = "E0118", "unknown_control", "`controls` names a control the set does not declare";
    DuplicateCalendar = "E0119", "duplicate_calendar", "two calendars of one set have the same id";
    UnknownCalendar = "E0120", "unknown_calendar", "`sla … in CALENDAR` names a calendar the set does not declare";
    UnknownMigrationName = "E0121", "unknown_migration_name", "a migration maps to a step, field or sign-off the new version of the blueprint does not have";
    DuplicateTable = "E0123", "duplicate_table", "two tables of one set have the same id";
    UnknownColumn = "E0124", "unknown_column", "a table's column or sort names no field of its blueprint, no step with a sign-off, or no infrastructure of the set";
    UnknownStep = "E0125", "unknown_step", "a filter's `step ==`, `signoff STEP` or `sla STEP` names no step of the blueprint (with a sign-off, or a service level, where the test needs one)";
    InvalidMigration = "E0122", "invalid_migration", "a migration's versions do not fit the set (its target is not the blueprint's version, or it goes backwards), or it maps an old name twice";
    DuplicateSetting = "E0201", "duplicate_setting", "a setting that may appear once appears twice";
    MissingFinal = "E0202", "missing_final", "a sign-off has no `final` approval";
    MultipleFinals = "E0203", "multiple_finals", "a sign-off has more than one `final` approval";
    MultipleSignOffs = "E0204", "multiple_signoffs", "a step has more than one sign-off";
    ParentCycle = "E0205", "parent_cycle", "blueprints are their own ancestors through `parent`";
    EmptyWorkflow = "E0206", "empty_workflow", "a workflow has no step";
    MissingReviewers = "E0207", "missing_reviewers", "a feedback group or final approval does not say who reviews";
    MissingAxis = "E0208", "missing_axis", "a matrix view lacks its `x` or `y` axis";
    RoleCycle = "E0209", "role_cycle", "roles are defined in terms of themselves";
    IncompleteTable = "E0211", "incomplete_table", "a table does not say its `blueprint` or its `columns`";
    MisplacedExclusion = "E0212", "misplaced_exclusion", "a feedback group says `not reviewer`, which only the final approval takes";
    StateInWhen = "E0213", "state_in_when", "a step's `when` tests where the item stands (`step`, `signoff`, `sla`, `due within`), which only filters may";
    ConditionalFirstStep = "E0210", "conditional_first_step", "the first step of a workflow has a `when`: items start on it, so it always applies";
    DefaultMismatch = "E0301", "default_mismatch", "a field's default does not fit its type";
    EmptyEnum = "E0302", "empty_enum", "an enum type has no variant";
    EmptyRange = "E0303", "empty_range", "an `int(LO..HI)` range has LO greater than HI";
    ZeroMin = "E0304", "zero_min", "a feedback group's `min` is zero or negative";
    ZeroDuration = "E0305", "zero_duration", "a duration is zero or negative";
    NonNumericAxis = "E0306", "non_numeric_axis", "a matrix axis is neither a numeric nor an enum field";
    UnknownPolicy = "E0307", "unknown_policy", "an infrastructure policy is not `prevent`, `warn` or `always`";
    UnknownDurationUnit = "E0308", "unknown_duration_unit", "a duration unit is not one the place allows: day(s), week(s), month(s) or year(s) for resets; hour(s), day(s), week(s) or business day(s) or hour(s) for service levels";
    InvalidDate = "E0309", "invalid_date", "a date or date-time literal is not a real calendar date";
    InvalidVersion = "E0310", "invalid_version", "a blueprint version is not a positive integer";
    UnknownGate = "E0311", "unknown_gate", "`gates` is followed by something other than `deployment` or `nothing`";
    UnknownPermission = "E0312", "unknown_permission", "`permission` names something other than `read`, `write` or `delete`";
    NotPrincipalField = "E0313", "not_principal_field", "a principal names a field that does not hold users, groups or principals";
    EmptyName = "E0314", "empty_name", "a user, group or API key name is empty";
    NumberOutOfRange = "E0315", "number_out_of_range", "a number does not fit in a 64-bit integer";
    UnknownTimezone = "E0316", "unknown_timezone", "a calendar's `timezone` is not an IANA time zone name";
    InvalidCalendar = "E0317", "invalid_calendar", "a calendar names an unknown weekday, no working day, or working hours that are not a time range of one day";
    ConditionMismatch = "E0318", "condition_mismatch", "a condition compares a field with a value of another type, or orders values that have no order";
    UnknownState = "E0319", "unknown_state", "a filter's `signoff STEP == STATE` names no sign-off state";
    MissingScript = "E0401", "missing_script", "a `script` file does not exist or cannot be read";
    ScriptSyntax = "E0402", "script_syntax", "a `script` file does not compile as rhai";
    ScriptOutsideFolder = "E0403", "script_outside_folder", "a `script` path leaves the blueprint file's folder (absolute, `..`, or a link out)";
    UnusedRole = "W0101", "unused_role", "a role is declared but used by no permission, reviewer list or other role";
    UncoveredControl = "W0102", "uncovered_control", "a declared control is covered by no field, step or sign-off";
    RestrictedCondition = "W0201", "restricted_condition", "a step's `when` reads a field not every reader may read, so whether the step applies tells them something of its value";
    ExcludedReviewers = "W0202", "excluded_reviewers", "a `not` names a principal of the slot's own `reviewers`, or everyone, so those reviewers can never act";
    MisspeltHook = "W0401", "misspelt_hook", "a script function's name looks like a misspelt hook name";
    HookArity = "W0402", "hook_arity", "a hook function takes the wrong number of parameters, so the runtime never calls it";
    UnknownComputedField = "W0403", "unknown_computed_field", "a `compute_FIELD` hook names a field the blueprint does not declare";
}

impl Code {
    /// Error or warning.
    pub fn severity(self) -> Severity {
        if self.as_str().starts_with("gov::W") {
            Severity::Warning
        } else {
            Severity::Error
        }
    }

    /// Looks a code up by `gov::E0101`, `E0101` or `e0101`.
    pub fn parse(text: &str) -> Option<Code> {
        let wanted = text.trim().trim_start_matches("gov::").to_ascii_uppercase();
        Code::ALL
            .iter()
            .copied()
            .find(|c| c.as_str().trim_start_matches("gov::") == wanted)
    }
}

/// A code's page as `govrt explain` prints it: the book's markdown, with the
/// test marks of its examples (` ```gov,error=E0108 `) reduced to the language
/// and the lines hidden in the book (`~`) left out.
pub fn explanation_text(page: &str) -> String {
    let mut out = String::with_capacity(page.len());
    let mut in_code = false;
    for line in page.lines() {
        if let Some(info) = line.strip_prefix("```") {
            let language = info.split([',', ' ']).next().unwrap_or("");
            out.push_str("```");
            out.push_str(if in_code { "" } else { language });
            in_code = !in_code;
        } else if in_code && line.starts_with('~') {
            continue;
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_and_slugs_are_unique() {
        let codes: HashSet<_> = Code::ALL.iter().map(|c| c.as_str()).collect();
        let slugs: HashSet<_> = Code::ALL.iter().map(|c| c.slug()).collect();
        assert_eq!(codes.len(), Code::ALL.len());
        assert_eq!(slugs.len(), Code::ALL.len());
        assert_eq!(Code::parse("e0101"), Some(Code::DuplicateBlueprint));
        assert_eq!(Code::UnusedRole.severity(), Severity::Warning);
    }

    #[test]
    fn explanations_keep_the_language_and_drop_test_marks() {
        let page = "# t\n\n```gov,error=E0108\n~hidden\nshown\n```\n";
        assert_eq!(explanation_text(page), "# t\n\n```gov\nshown\n```\n");
        for code in Code::ALL {
            assert!(code.page().starts_with(&format!("# {}", code.as_str())));
        }
    }
}
