//! The settings of the deployment that every process needs: the public base
//! URL of links in mail and the mail sender, kept in the database by `init`
//! and `serve`.

use chrono::Utc;

use crate::engine::access::Identity;
use crate::engine::core::{BASE_URL, DEFAULT_BASE_URL, DEFAULT_MAIL_FROM, Engine, MAIL_FROM};
use crate::engine::error::{Refusal, Result};

/// What mail needs to know of the deployment, kept in the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicSettings {
    /// How links in mail reach the daemon.
    pub base_url: String,
    /// The sender address of mail.
    pub mail_from: String,
}

impl Engine {
    /// The public base URL and the mail sender as the database keeps them
    /// (the defaults where none was set).
    pub fn public_settings(&mut self) -> Result<PublicSettings> {
        let tx = self.store.read()?;
        Ok(PublicSettings {
            base_url: tx
                .setting(BASE_URL)?
                .unwrap_or_else(|| DEFAULT_BASE_URL.into()),
            mail_from: tx
                .setting(MAIL_FROM)?
                .unwrap_or_else(|| DEFAULT_MAIL_FROM.into()),
        })
    }

    /// The public base URL as stored, if one was ever given.
    pub fn stored_base_url(&mut self) -> Result<Option<String>> {
        Ok(self.store.read()?.setting(BASE_URL)?)
    }

    /// Keeps the public base URL and the mail sender in the database, so
    /// that every process (the CLI's mail too) links to the daemon; audited.
    pub fn store_public_settings(
        &mut self,
        by: &Identity,
        base_url: Option<&str>,
        mail_from: Option<&str>,
    ) -> Result<()> {
        if base_url.is_none() && mail_from.is_none() {
            return Ok(());
        }
        if let Some(url) = base_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return Err(Refusal::InvalidValue {
                what: format!("base URL `{url}`"),
                why: "it starts with `http://` or `https://`".into(),
            }
            .into());
        }
        let tx = self.store.write()?;
        for (key, value) in [(BASE_URL, base_url), (MAIL_FROM, mail_from)] {
            if let Some(v) = value {
                tx.set_setting(key, v)?;
            }
        }
        let mut details = serde_json::json!({"base_url": base_url, "mail_from": mail_from});
        crate::engine::access::stamp(&mut details, by);
        tx.append_event(None, &by.name, "settings.set", Utc::now(), &details)?;
        tx.commit()?;
        if let Some(url) = base_url {
            self.base_url = url.to_string();
        }
        Ok(())
    }
}
