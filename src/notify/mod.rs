//! Notifications: who hears of what (the book's "Notifications"), the
//! messages (plain text and HTML, with a signed one-click unsubscribe link),
//! and their delivery over SMTP. Messages are queued in the outbox by the
//! engine in the action's own transaction; [`Sender`] delivers them later.

use std::time::Duration;

use hmac::{Hmac, Mac};
use lettre::message::{Mailbox, MultiPart, header};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{Message, SmtpTransport, Transport};
use sha2::Sha256;

use crate::model::invisible::shown;
use crate::store::NewMessage;

/// How long an unsubscribe link works.
pub const UNSUBSCRIBE_LINK_DAYS: i64 = 90;

fn link_mac(secret: &str, user: &str, item: i64, expires: i64) -> Option<Hmac<Sha256>> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).ok()?;
    mac.update(format!("unsubscribe\0{user}\0{item}\0{expires}").as_bytes());
    Some(mac)
}

/// The signed token of an unsubscribe link for (user, item) that works until
/// `expires` (a Unix time): `EXPIRES.HMAC`.
pub fn unsubscribe_token(secret: &str, user: &str, item: i64, expires: i64) -> String {
    // HMAC takes keys of any length: the mac always exists.
    let hex: String = link_mac(secret, user, item, expires)
        .map(|m| {
            m.finalize()
                .into_bytes()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect()
        })
        .unwrap_or_default();
    format!("{expires}.{hex}")
}

/// Checks a token in constant time, and that it has not expired at `now`
/// (a Unix time).
pub fn verify_token(secret: &str, user: &str, item: i64, token: &str, now: i64) -> bool {
    let Some((expires, hex)) = token.split_once('.') else {
        return false;
    };
    // Only the token as signed: lower-case hex, no other spelling of it.
    if !hex
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return false;
    }
    let (Ok(expires), Some(bytes)) = (expires.parse::<i64>(), decode_hex(hex)) else {
        return false;
    };
    if now >= expires {
        return false;
    }
    link_mac(secret, user, item, expires).is_some_and(|m| m.verify_slice(&bytes).is_ok())
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// What a message is about.
#[derive(Debug, Clone)]
pub struct Notice {
    /// The item's id.
    pub item: i64,
    /// The item's name.
    pub item_name: String,
    /// Its blueprint.
    pub blueprint: String,
    /// The step of the sign-off.
    pub step: String,
    /// The sign-off's label.
    pub signoff: String,
    /// Its state after the action.
    pub state: String,
    /// Who acted.
    pub actor: String,
    /// What happened, as a phrase after the actor: "gave feedback APPROVED (Risk)".
    pub what: String,
    /// What the actor wrote with it: a feedback comment, or the reason of a
    /// reset, an abandon, a rejection or a scheduled reset.
    pub note: Option<String>,
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Composes the message of `notice` for one recipient.
pub fn compose(
    notice: &Notice,
    recipient: &str,
    address: &str,
    base_url: &str,
    token: &str,
) -> NewMessage {
    let base = base_url.trim_end_matches('/');
    // Free text with its invisible characters written out.
    let item_name = shown(&notice.item_name);
    let link = format!("{base}/items/{}", notice.item);
    let unsubscribe = format!(
        "{base}/unsubscribe?user={}&item={}&token={token}",
        url_part(recipient),
        notice.item
    );
    // The item by its name and id, in plain ASCII: "(Model version 3)" read
    // like a version number.
    let subject = format!(
        "[govrt] {} (item {}): {} {}",
        item_name, notice.item, notice.actor, notice.what
    );
    let note_text = notice
        .note
        .as_ref()
        .map(|n| format!("\n\n> {}", shown(n).replace('\n', "\n> ")))
        .unwrap_or_default();
    let note_html = notice
        .note
        .as_ref()
        .map(|n| format!("<blockquote>{}</blockquote>", escape(&shown(n))))
        .unwrap_or_default();
    let text = format!(
        "{actor} {what} on {blueprint} \"{name}\" (item {item}), step {step}.{note_text}\n\nSign-off \"{signoff}\": {state}\n\nOpen the item: {link}\n\n-- \nYou receive this because you follow this item or one of its ancestors.\nUnsubscribe from it: {unsubscribe}\n",
        actor = notice.actor,
        what = notice.what,
        blueprint = notice.blueprint,
        name = item_name,
        item = notice.item,
        step = notice.step,
        signoff = notice.signoff,
        state = notice.state,
    );
    let html = format!(
        "<!doctype html><html><body><p><strong>{actor}</strong> {what} on {blueprint} <a href=\"{link}\">{name}</a> (item {item}), step {step}.</p>{note_html}<p>Sign-off <em>{signoff}</em>: <strong>{state}</strong></p><p><a href=\"{link}\">Open the item</a></p><hr><p style=\"font-size:small\">You receive this because you follow this item or one of its ancestors. <a href=\"{unsubscribe}\">Unsubscribe from it</a>.</p></body></html>",
        actor = escape(&notice.actor),
        what = escape(&notice.what),
        blueprint = escape(&notice.blueprint),
        name = escape(&item_name),
        item = notice.item,
        step = escape(&notice.step),
        signoff = escape(&notice.signoff),
        state = escape(&notice.state),
        link = escape(&link),
        unsubscribe = escape(&unsubscribe),
    );
    NewMessage {
        recipient: recipient.to_string(),
        address: address.to_string(),
        subject,
        text,
        html,
        unsubscribe_url: Some(unsubscribe),
    }
}

fn url_part(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Where mail goes, from `--smtp`: `smtp://host:port`, `smtps://host:port`,
/// `smtp://user:pass@host:port?tls=starttls`.
#[derive(Debug, Clone, PartialEq)]
pub struct SmtpConfig {
    /// Server host.
    pub host: String,
    /// Server port.
    pub port: u16,
    /// none, starttls or tls.
    pub tls: TlsMode,
    /// User name and password.
    pub credentials: Option<(String, String)>,
}

/// How the connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// Plain SMTP (a local relay or a test server).
    None,
    /// STARTTLS after connecting.
    StartTls,
    /// TLS from the start (`smtps://`).
    Tls,
}

impl SmtpConfig {
    /// Parses an SMTP URL.
    pub fn parse(url: &str) -> Result<SmtpConfig, String> {
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| format!("`{url}` is not an SMTP URL (write `smtp://host:port`)"))?;
        let (authority, query) = rest.split_once('?').unwrap_or((rest, ""));
        let authority = authority.trim_end_matches('/');
        let (userinfo, hostport) = match authority.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, authority),
        };
        let mut tls = match scheme {
            "smtp" => TlsMode::None,
            "smtps" => TlsMode::Tls,
            other => {
                return Err(format!(
                    "unknown mail scheme `{other}` (use `smtp` or `smtps`)"
                ));
            }
        };
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            match pair.split_once('=') {
                Some(("tls", "starttls")) => tls = TlsMode::StartTls,
                Some(("tls", "none")) => tls = TlsMode::None,
                Some(("tls", "tls")) => tls = TlsMode::Tls,
                _ => {
                    return Err(format!(
                        "unknown SMTP option `{pair}` (only `tls=starttls|tls|none`)"
                    ));
                }
            }
        }
        let (host, port) = match hostport.rsplit_once(':') {
            Some((h, p)) => (
                h.to_string(),
                p.parse::<u16>()
                    .map_err(|_| format!("`{p}` is not a port"))?,
            ),
            None => (
                hostport.to_string(),
                if tls == TlsMode::Tls { 465 } else { 25 },
            ),
        };
        if host.is_empty() {
            return Err(format!("`{url}` names no host"));
        }
        let credentials = userinfo.map(|u| {
            let (user, pass) = u.split_once(':').unwrap_or((u, ""));
            (percent_decode(user), percent_decode(pass))
        });
        Ok(SmtpConfig {
            host,
            port,
            tls,
            credentials,
        })
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(b) = text
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Delivers messages to one SMTP server.
pub struct Sender {
    transport: SmtpTransport,
    from: Mailbox,
}

impl Sender {
    /// A sender to `config`, from `from`.
    pub fn new(config: &SmtpConfig, from: &str) -> Result<Sender, String> {
        let from: Mailbox = from
            .parse()
            .map_err(|e| format!("`{from}` is not a mail address: {e}"))?;
        let builder = match config.tls {
            TlsMode::None => SmtpTransport::builder_dangerous(&config.host),
            TlsMode::StartTls => {
                SmtpTransport::starttls_relay(&config.host).map_err(|e| e.to_string())?
            }
            TlsMode::Tls => SmtpTransport::relay(&config.host).map_err(|e| e.to_string())?,
        };
        let mut builder = builder
            .port(config.port)
            .timeout(Some(Duration::from_secs(10)));
        if let Some((user, pass)) = &config.credentials {
            builder = builder.credentials(Credentials::new(user.clone(), pass.clone()));
        }
        Ok(Sender {
            transport: builder.build(),
            from,
        })
    }

    /// Sends one message; Ok once the server accepted it.
    pub fn send(&self, m: &Outgoing<'_>) -> Result<(), String> {
        let to: Mailbox =
            m.to.parse()
                .map_err(|e| format!("`{}` is not a mail address: {e}", m.to))?;
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(m.subject)
            .message_id(Some(m.message_id.to_string()))
            .header(header::MIME_VERSION_1_0);
        if let Some(url) = m.unsubscribe {
            // RFC 8058: mail clients offer one-click unsubscribing by a POST.
            builder = builder
                .header(ListUnsubscribe(format!("<{url}>")))
                .header(ListUnsubscribePost);
        }
        let message = builder
            .multipart(MultiPart::alternative_plain_html(
                m.text.to_string(),
                m.html.to_string(),
            ))
            .map_err(|e| e.to_string())?;
        self.transport
            .send(&message)
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

/// One message to send.
#[derive(Debug, Clone, Copy)]
pub struct Outgoing<'a> {
    /// Its stable Message-ID.
    pub message_id: &'a str,
    /// The recipient's address.
    pub to: &'a str,
    /// The subject.
    pub subject: &'a str,
    /// The plain-text part.
    pub text: &'a str,
    /// The HTML part.
    pub html: &'a str,
    /// The one-click unsubscribe link, if the message has one.
    pub unsubscribe: Option<&'a str>,
}

/// `List-Unsubscribe: <URL>`.
#[derive(Debug, Clone)]
struct ListUnsubscribe(String);

impl header::Header for ListUnsubscribe {
    fn name() -> header::HeaderName {
        header::HeaderName::new_from_ascii_str("List-Unsubscribe")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ListUnsubscribe(s.to_string()))
    }

    fn display(&self) -> header::HeaderValue {
        header::HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058).
#[derive(Debug, Clone)]
struct ListUnsubscribePost;

impl header::Header for ListUnsubscribePost {
    fn name() -> header::HeaderName {
        header::HeaderName::new_from_ascii_str("List-Unsubscribe-Post")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ListUnsubscribePost)
    }

    fn display(&self) -> header::HeaderValue {
        header::HeaderValue::new(Self::name(), "List-Unsubscribe=One-Click".to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_and_tampering_fails() {
        let t = unsubscribe_token("secret", "alice", 7, 1_000);
        assert!(verify_token("secret", "alice", 7, &t, 999));
        assert!(!verify_token("secret", "alice", 7, &t, 1_000), "expired");
        assert!(!verify_token("secret", "alice", 8, &t, 999));
        assert!(!verify_token("secret", "bob", 7, &t, 999));
        assert!(!verify_token("other", "alice", 7, &t, 999));
        assert!(!verify_token("secret", "alice", 7, "zz", 999));
        let later = t.replacen("1000", "9999", 1);
        assert!(
            !verify_token("secret", "alice", 7, &later, 999),
            "its expiry is signed"
        );
    }

    #[test]
    fn smtp_urls_parse() {
        assert_eq!(
            SmtpConfig::parse("smtp://127.0.0.1:2525").unwrap(),
            SmtpConfig {
                host: "127.0.0.1".into(),
                port: 2525,
                tls: TlsMode::None,
                credentials: None
            }
        );
        let c = SmtpConfig::parse("smtp://bot:p%40ss@mail.example.com:587?tls=starttls").unwrap();
        assert_eq!(
            (c.tls, c.credentials),
            (TlsMode::StartTls, Some(("bot".into(), "p@ss".into())))
        );
        assert_eq!(
            SmtpConfig::parse("smtps://mail.example.com").unwrap().port,
            465
        );
        assert!(SmtpConfig::parse("http://x").is_err());
    }
}
