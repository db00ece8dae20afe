//! Following items: subscribing, unsubscribing (also through the signed link
//! of an e-mail), and reading a user's subscription rows.

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::engine::access::{Identity, Resolver};
use crate::engine::core::Engine;
use crate::engine::error::{Refusal, Result, refuse};
use crate::engine::mail::unsubscribe_secret;

impl Engine {
    /// Subscribes (or, with `false`, unsubscribes) a user to an item and its descendants.
    pub fn subscribe(
        &mut self,
        who: &Identity,
        id: i64,
        subscribed: bool,
        now: Option<DateTime<Utc>>,
    ) -> Result<()> {
        let now = self.now_or(now);
        let tx = self.store.write()?;
        let (chain, set) = Self::loaded(&tx, &mut self.cache, id)?;
        // An item the caller may not read answers as a missing one, either
        // way (whoever lost read access unsubscribes with the mail's link).
        let resolver = Resolver {
            set: &set,
            chain: &chain,
            who,
        };
        resolver.require_readable(id)?;
        if who.api_key {
            return refuse(Refusal::InvalidValue {
                what: "subscriber".into(),
                why: "API keys receive no mail; subscribe a user".into(),
            });
        }
        tx.set_subscription(&who.name, id, subscribed)?;
        let mut details = json!({"user": who.name});
        crate::engine::access::stamp(&mut details, who);
        tx.append_event(
            Some(id),
            &who.name,
            if subscribed {
                "subscription.add"
            } else {
                "subscription.remove"
            },
            now,
            &details,
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Unsubscribes through the signed link of an e-mail; a forged token is refused.
    pub fn unsubscribe_with_token(
        &mut self,
        user: &str,
        id: i64,
        token: &str,
        now: Option<DateTime<Utc>>,
    ) -> Result<()> {
        let now = self.now_or(now);
        let tx = self.store.write()?;
        let secret = unsubscribe_secret(&tx)?;
        if !crate::notify::verify_token(&secret, user, id, token, now.timestamp()) {
            return refuse(Refusal::NotPermitted {
                who: user.to_string(),
                what: "unsubscribe with this link (its token does not match)".into(),
            });
        }
        if tx.user(user)?.is_none() {
            return refuse(Refusal::NotFound {
                what: format!("user `{user}`"),
            });
        }
        if !tx.set_subscription(user, id, false)? {
            return refuse(Refusal::NotFound {
                what: format!("item {id}"),
            });
        }
        tx.append_event(
            Some(id),
            user,
            "subscription.remove",
            now,
            &json!({"user": user, "by": "link"}),
        )?;
        tx.commit()?;
        Ok(())
    }

    /// A user's own subscription row for one item: followed (true), an
    /// explicit unsubscribe (false), or none (the ancestors decide).
    pub fn subscription(&mut self, user: &str, id: i64) -> Result<Option<bool>> {
        let tx = self.store.read()?;
        Ok(tx
            .item(id)?
            .and_then(|item| item.subscribers.get(user).copied()))
    }

    /// A user's subscription rows: (item, subscribed).
    pub fn subscriptions(&mut self, user: &str) -> Result<Vec<(i64, bool)>> {
        Ok(self.store.read()?.subscriptions_of_user(user)?)
    }
}
