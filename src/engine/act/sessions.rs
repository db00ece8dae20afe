//! Web UI sessions, kept in the database: a user signed in through one
//! daemon is signed in on every daemon of the database, a restart signs
//! nobody out, and signing out or revoking the token ends the session
//! everywhere (the token is checked on every request). A session's id is
//! kept as its hash; the credential as the hash the credential is stored
//! under.

use chrono::Utc;

use crate::engine::access::Identity;
use crate::engine::core::{Engine, new_secret};
use crate::engine::error::Result;
use crate::store::secret_hash;

/// A session begun: the id its cookie holds, and the CSRF secret of its forms.
#[derive(Debug, Clone)]
pub struct WebSession {
    /// The session id (the cookie's value).
    pub id: String,
    /// The secret every posted form of the session sends back.
    pub csrf: String,
}

impl Engine {
    /// Begins a session for the holder of a user token (none for an API key
    /// or an unknown, revoked or expired token); sessions older than
    /// `lifetime` seconds are forgotten on the way.
    pub fn start_session(
        &mut self,
        secret: &str,
        lifetime: i64,
    ) -> Result<Option<(WebSession, Identity)>> {
        let Some(who) = self.identify_secret(secret)?.filter(|w| !w.api_key) else {
            return Ok(None);
        };
        let session = WebSession {
            id: new_secret("govs")?,
            csrf: new_secret("csrf")?,
        };
        let now = Utc::now().timestamp();
        let tx = self.store.write()?;
        tx.delete_sessions_before(now - lifetime)?;
        tx.insert_session(
            &secret_hash(&session.id),
            &secret_hash(secret),
            &session.csrf,
            now,
        )?;
        tx.commit()?;
        Ok(Some((session, who)))
    }

    /// The signed-in identity of a session and its CSRF secret: none when the
    /// session is unknown, ended, older than `lifetime` seconds, or its token
    /// no longer identifies a user.
    pub fn session(&mut self, id: &str, lifetime: i64) -> Result<Option<(Identity, String)>> {
        let found = self.store.read()?.session(&secret_hash(id))?;
        let Some((credential, csrf, started)) = found else {
            return Ok(None);
        };
        if Utc::now().timestamp() - started >= lifetime {
            return Ok(None);
        }
        Ok(self
            .identify_hash(&credential)?
            .filter(|w| !w.api_key)
            .map(|who| {
                let token = match who.authentication {
                    crate::engine::Authentication::Token { token } => token,
                    _ => 0,
                };
                let who = Identity {
                    authentication: crate::engine::Authentication::Session { token },
                    ..who
                };
                (who, csrf)
            }))
    }

    /// Ends a session (signing out).
    pub fn end_session(&mut self, id: &str) -> Result<()> {
        let tx = self.store.write()?;
        tx.delete_session(&secret_hash(id))?;
        tx.commit()?;
        Ok(())
    }
}
