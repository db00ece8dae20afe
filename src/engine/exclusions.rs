//! Who a sign-off's `not` exclusions bar from a slot (a feedback group or
//! the final approval) whatever grants, hooks or delegations give them:
//! `not requester` and `not reviewer` read from the sign-off's state (the
//! pure rules, [`super::rules::signoff::Rules::barred`]), `not PRINCIPALS`
//! resolved on the item as reviewers are.

use super::access::{Identity, NoTrace, Resolver};
use super::error::Result;
use super::rules::signoff::rules_of;
use super::rules::signoff::{Action, Excluded, Rules, SignOffState};
use crate::model::{Exclusions, SignOff};
use crate::store::Tx;

/// The exclusions of `slot` (a feedback group's id, or `final`).
pub(super) fn exclusions_of<'a>(spec: &'a SignOff, slot: &str) -> Option<&'a Exclusions> {
    if slot == "final" {
        return Some(&spec.final_approval.exclude);
    }
    spec.feedback
        .iter()
        .find(|g| g.id.as_str() == slot)
        .map(|g| &g.exclude)
}

impl Resolver<'_> {
    /// Why the `not PRINCIPALS` of `slot` exclude the resolver's person:
    /// the first principal that names them on this item.
    pub(super) fn excluded_by_principals(&self, spec: &SignOff, slot: &str) -> Option<String> {
        exclusions_of(spec, slot)?
            .principals
            .iter()
            .find(|p| self.matches_traced(p, 0, 0, &mut NoTrace))
            .map(|p| format!("`not {p}` names them"))
    }

    /// Why the resolver's person may not act for `slot` of the sign-off of
    /// `spec` in `state`, whatever they hold (`None`: nothing bars them).
    pub(super) fn barred(
        &self,
        spec: &SignOff,
        state: &SignOffState,
        slot: &str,
    ) -> Option<String> {
        let mut rules = rules_of(spec);
        rules.excluded = self.excluded_list(spec, slot);
        rules.barred(state, slot, &self.who.name)
    }

    /// The resolver's person as an [`Excluded`] entry of `slot`, if its
    /// `not PRINCIPALS` name them.
    fn excluded_list(&self, spec: &SignOff, slot: &str) -> Vec<Excluded> {
        self.excluded_by_principals(spec, slot)
            .map(|why| Excluded {
                slot: slot.to_string(),
                name: self.who.name.clone(),
                why,
            })
            .into_iter()
            .collect()
    }

    /// The `not PRINCIPALS` exclusions of the people `action` concerns,
    /// for [`Rules::excluded`]: the person acting (every slot), and the
    /// delegate of a delegation (its slot).
    pub(super) fn exclude_for(
        &self,
        tx: &Tx<'_>,
        spec: &SignOff,
        action: Option<&Action>,
        rules: &mut Rules<'_>,
    ) -> Result<()> {
        let slots = spec
            .feedback
            .iter()
            .map(|g| g.id.as_str())
            .chain(std::iter::once("final"));
        for slot in slots {
            rules.excluded.extend(self.excluded_list(spec, slot));
        }
        if let Some(Action::Delegate { group, to }) = action
            && let Some(delegate) = Identity::of_user(tx, to)?
        {
            let through = Resolver {
                who: &delegate,
                ..*self
            };
            rules.excluded.extend(through.excluded_list(spec, group));
        }
        Ok(())
    }
}
