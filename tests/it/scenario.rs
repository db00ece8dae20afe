//! The in-process scenario harness: a blueprint set, actions by named actors
//! at a fixed clock, and a snapshot of what came of them: each action's
//! outcome, the items' states, their audit events and the outbox. The
//! engine runs in this process on a scratch SQLite database; the sign-off,
//! conditional-step, bound-content, SLA and migration behaviours each have
//! a scenario.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail the test loudly"
)]

use std::fmt::Write as _;
use std::path::PathBuf;

use chrono::{DateTime, Duration, Utc};
use govrt::engine::rules::signoff::{Action, Verdict};
use govrt::engine::{Engine, FieldChange, Identity, MigrateRequest, NewItem};
use govrt::store::Durability;

/// The blueprint set every scenario starts from: a model reviewed by a risk
/// group and approved by someone other than its requester, a validation
/// step for high-tier models only, a review bound to the notes, a clock on
/// the risk review that escalates to the heads.
const SET: &str = r#"
infrastructure prod "Production" { policy prevent }

blueprint model "Model" {
  version 1
  field tier: enum(low, high) "Tier" = low
  field notes: text "Notes"
  permission write = everyone
  workflow {
    step review "Review" {
      signoff "Review" {
        mandatory
        binds notes
        feedback risk "Risk" { reviewers = group "risk"  sla 2 days  escalate after 3 days to group "heads" }
        final { reviewers = group "approvers"  not requester }
      }
    }
    step validation "Validation" {
      when tier == high
      signoff "Validation" {
        final { reviewers = group "approvers" }
      }
    }
    step done "Done"
  }
}
"#;

/// One scenario: its engine on a scratch database, its clock, and what
/// happened so far.
struct Scenario {
    dir: PathBuf,
    engine: Engine,
    now: DateTime<Utc>,
    items: Vec<(String, i64)>,
    log: String,
}

impl Drop for Scenario {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Scenario {
    /// The set loaded at 2027-01-04 09:00 UTC (a Monday), with its people.
    fn new(name: &str) -> Scenario {
        let dir =
            std::env::temp_dir().join(format!("govrt-scenario-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let now = "2027-01-04T09:00:00Z".parse().unwrap();
        let mut engine = Engine::open(&dir.join("govrt.db"), Durability::Normal).unwrap();
        engine
            .load_blueprint_texts(&[("set.gov", SET)], &[], Some(now))
            .unwrap();
        let admin = Identity::local_admin();
        for user in ["owner", "r1", "approver", "head"] {
            let email = format!("{user}@example.com");
            engine.add_user(&admin, user, Some(&email), false).unwrap();
        }
        for (group, members) in [("risk", "r1"), ("approvers", "approver"), ("heads", "head")] {
            engine
                .add_group(&admin, group, &[members.to_string()])
                .unwrap();
        }
        Scenario {
            dir,
            engine,
            now,
            items: Vec::new(),
            log: String::new(),
        }
    }

    /// Moves the clock on.
    fn after(&mut self, d: Duration) {
        self.now += d;
        writeln!(self.log, "-- {}", self.now.to_rfc3339()).unwrap();
    }

    fn who(&mut self, name: &str) -> Identity {
        self.engine.identify_user(name).unwrap()
    }

    fn id(&self, item: &str) -> i64 {
        self.items
            .iter()
            .find(|(n, _)| n == item)
            .map(|(_, id)| *id)
            .unwrap()
    }

    /// Records an action's outcome: `ok`, or the refusal's words.
    fn record<T, E: std::fmt::Display>(&mut self, what: &str, outcome: Result<T, E>) -> Option<T> {
        match outcome {
            Ok(v) => {
                writeln!(self.log, "{what}: ok").unwrap();
                Some(v)
            }
            Err(e) => {
                writeln!(self.log, "{what}: refused: {e}").unwrap();
                None
            }
        }
    }

    fn create(&mut self, actor: &str, name: &str, sets: &[(&str, &str)]) {
        let who = self.who(actor);
        let sets: Vec<(String, String)> = sets
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let new = NewItem {
            blueprint: "model",
            version: None,
            name,
            parent: None,
            sets: &sets,
        };
        let outcome = self.engine.create(&who, &new, Some(self.now));
        if let Some(view) = self.record(&format!("{actor} creates {name}"), outcome) {
            self.items
                .push((name.to_string(), view.id.parse().unwrap()));
        }
    }

    fn signoff(&mut self, actor: &str, item: &str, action: Action) {
        let (who, id) = (self.who(actor), self.id(item));
        let what = format!("{actor} {} {item}", action.name());
        let outcome = self.engine.signoff(&who, id, None, action, Some(self.now));
        self.record(&what, outcome);
    }

    fn feedback(&mut self, actor: &str, item: &str, group: &str, verdict: Verdict) {
        let action = Action::GiveFeedback {
            group: group.into(),
            verdict,
            comment: None,
        };
        self.signoff(actor, item, action);
    }

    fn advance(&mut self, actor: &str, item: &str) {
        let (who, id) = (self.who(actor), self.id(item));
        let outcome = self.engine.move_item(&who, id, None, None, Some(self.now));
        self.record(&format!("{actor} advances {item}"), outcome);
    }

    fn set(&mut self, actor: &str, item: &str, field: &str, value: &str) {
        let (who, id) = (self.who(actor), self.id(item));
        let change = [FieldChange::Set(field.into(), value.into())];
        let outcome = self
            .engine
            .set_fields(&who, id, &change, None, Some(self.now));
        self.record(&format!("{actor} sets {item} {field} = {value}"), outcome);
    }

    fn tick(&mut self) {
        let report = self.engine.tick(Some(self.now)).unwrap();
        let (resets, reminders, escalations) = (
            report.resets.len(),
            report.reminders.len(),
            report.escalations.len(),
        );
        writeln!(
            self.log,
            "tick: {resets} resets, {reminders} reminders, {escalations} escalations"
        )
        .unwrap();
    }

    /// What came of the scenario: the log of actions, then each item's
    /// state, audit events and the outbox.
    fn snapshot(&mut self) -> String {
        let admin = Identity::local_admin();
        let mut out = format!("actions:\n{}\nitems:\n", self.log);
        for (name, id) in self.items.clone() {
            let status = self.engine.status(&admin, id).unwrap();
            let step = status.item.step.clone().unwrap_or_else(|| "-".into());
            writeln!(
                out,
                "  {name}: step {step}, workflow {:?}, approved {}",
                status.item.workflow, status.approved
            )
            .unwrap();
            for s in &status.steps {
                writeln!(out, "    step {} {:?}", s.id, s.state).unwrap();
            }
            for o in &status.signoffs {
                let outdated: usize = o.feedback.iter().map(|g| g.outdated.len()).sum::<usize>()
                    + o.outdated_decisions.len();
                writeln!(
                    out,
                    "    signoff {} {} ({outdated} outdated)",
                    o.step,
                    o.status.as_str()
                )
                .unwrap();
            }
            for d in &status.deploy {
                writeln!(
                    out,
                    "    deploy {} {}",
                    d.infrastructure,
                    d.decision.as_str()
                )
                .unwrap();
            }
            writeln!(out, "    audit:").unwrap();
            for e in self.engine.history(&admin, id).unwrap() {
                writeln!(out, "      {} {} {}", e.at, e.actor, e.action).unwrap();
            }
        }
        out.push_str("outbox:\n");
        for m in self.engine.outbox(false).unwrap() {
            writeln!(out, "  {}: {}", m.recipient, m.subject).unwrap();
        }
        out
    }
}

#[test]
fn a_review_approved_by_someone_other_than_its_requester() {
    let mut s = Scenario::new("signoff");
    s.create("owner", "v1", &[("notes", "first cut")]);
    s.signoff("owner", "v1", Action::RequestReview);
    s.feedback("r1", "v1", "risk", Verdict::Approved);
    s.signoff("owner", "v1", Action::RequestFinalApproval);
    s.signoff("owner", "v1", Action::Approve { comment: None });
    s.after(Duration::hours(1));
    s.signoff("approver", "v1", Action::Approve { comment: None });
    s.advance("owner", "v1");
    // An approver who requested the review may not approve it.
    s.create("approver", "v2", &[]);
    s.signoff("approver", "v2", Action::RequestFinalApproval);
    s.signoff("approver", "v2", Action::Approve { comment: None });
    insta::assert_snapshot!(s.snapshot());
}

#[test]
fn a_high_tier_model_goes_through_validation() {
    let mut s = Scenario::new("conditional");
    s.create("owner", "low", &[]);
    s.create("owner", "high", &[("tier", "high")]);
    for item in ["low", "high"] {
        s.signoff("owner", item, Action::RequestFinalApproval);
        s.signoff("approver", item, Action::Approve { comment: None });
        s.advance("owner", item);
    }
    insta::assert_snapshot!(s.snapshot());
}

#[test]
fn a_change_of_bound_notes_outdates_the_approval() {
    let mut s = Scenario::new("bound");
    s.create("owner", "v1", &[("notes", "reviewed text")]);
    s.signoff("owner", "v1", Action::RequestReview);
    s.feedback("r1", "v1", "risk", Verdict::Approved);
    s.signoff("owner", "v1", Action::RequestFinalApproval);
    s.signoff("approver", "v1", Action::Approve { comment: None });
    s.after(Duration::days(1));
    s.set("owner", "v1", "notes", "changed after the approval");
    s.advance("owner", "v1");
    insta::assert_snapshot!(s.snapshot());
}

#[test]
fn a_late_risk_review_escalates_to_the_heads() {
    let mut s = Scenario::new("sla");
    s.create("owner", "v1", &[]);
    s.signoff("owner", "v1", Action::RequestReview);
    s.after(Duration::days(1));
    s.tick();
    s.after(Duration::days(3));
    s.tick();
    s.feedback("r1", "v1", "risk", Verdict::Approved);
    insta::assert_snapshot!(s.snapshot());
}

#[test]
fn a_migration_moves_an_item_and_resets_its_sign_off() {
    let mut s = Scenario::new("migration");
    s.create("owner", "v1", &[("notes", "old")]);
    s.signoff("owner", "v1", Action::RequestReview);
    s.feedback("r1", "v1", "risk", Verdict::Approved);
    s.after(Duration::days(1));
    let v2 = SET
        .replace("version 1", "version 2")
        .replace("step done \"Done\"", "step release \"Release\"")
        + "\nmigrate model 1 -> 2 {\n  step done -> release\n  signoff review -> review reset\n}\n";
    let loaded = s
        .engine
        .load_blueprint_texts(&[("set.gov", &v2)], &[], Some(s.now))
        .map(drop);
    s.record("admin loads version 2", loaded);
    let request = MigrateRequest {
        blueprint: "model",
        from: 1,
        to: 2,
        dry_run: false,
        items: &[],
    };
    let admin = Identity::local_admin();
    let report = s.engine.migrate(&admin, &request, Some(s.now)).unwrap();
    writeln!(
        s.log,
        "migrated {}, blocked {}",
        report.moved, report.blocked
    )
    .unwrap();
    insta::assert_snapshot!(s.snapshot());
}
