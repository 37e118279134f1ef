//! Sending e-mail (lettre): through SMTP when a server is configured, else as `.eml` files in
//! the data directory, so that `make run` needs nothing.

use crate::config::{MailConfig, SmtpTls};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::PoolConfig;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use simpa_persistence::outbox;
use std::time::Duration;
use tokio::sync::Semaphore;

/// Why a message was not sent: worth retrying, or not.
#[derive(Debug)]
pub struct SendFailure {
    pub permanent: bool,
    pub reason: String,
}

pub enum Mailer {
    /// The transport, and one permit per connection it may hold: lettre's pool keeps idle
    /// connections up to its size but opens more when asked, so sends wait for a permit.
    Smtp(AsyncSmtpTransport<Tokio1Executor>, Semaphore),
    Files(AsyncFileTransport<Tokio1Executor>),
}

impl Mailer {
    /// Builds the transport. With `pool`, lettre spawns a task: call it inside the runtime.
    pub fn new(config: &MailConfig) -> Result<Mailer, String> {
        let Some(smtp) = &config.smtp else {
            std::fs::create_dir_all(&config.mail_dir).map_err(|e| {
                format!(
                    "cannot create the mail directory {}: {e}",
                    config.mail_dir.display()
                )
            })?;
            return Ok(Mailer::Files(AsyncFileTransport::new(&config.mail_dir)));
        };
        let builder = match smtp.tls {
            SmtpTls::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&smtp.host)
                .map_err(|e| e.to_string())?,
            SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&smtp.host)
                .map_err(|e| e.to_string())?,
            SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host),
        };
        let mut builder = builder
            .port(smtp.port)
            .timeout(Some(Duration::from_secs(30)))
            .pool_config(PoolConfig::new().max_size(smtp.connections));
        if let Some((user, password)) = &smtp.credentials {
            builder =
                builder.credentials(Credentials::new(user.clone(), password.expose().to_owned()));
        }
        let connections = usize::try_from(smtp.connections).unwrap_or(1);
        Ok(Mailer::Smtp(builder.build(), Semaphore::new(connections)))
    }

    /// Sends one message of the outbox. Its Message-ID is stable (the row's id), so that a
    /// message sent again after a crash is recognised as the same one.
    pub async fn send(&self, from: &str, message: &outbox::Message) -> Result<(), SendFailure> {
        let permanent = |reason: String| SendFailure {
            permanent: true,
            reason,
        };
        let from: Mailbox = from
            .parse()
            .map_err(|e| permanent(format!("sender: {e}")))?;
        let to: Mailbox = message
            .recipient
            .parse()
            .map_err(|e| permanent(format!("recipient: {e}")))?;
        let text = SinglePart::plain(message.body.clone());
        let body = match &message.html {
            Some(html) => MultiPart::alternative()
                .singlepart(text)
                .singlepart(SinglePart::html(html.clone())),
            None => MultiPart::mixed().singlepart(text),
        };
        let email = Message::builder()
            .from(from)
            .to(to)
            .subject(&message.subject)
            .message_id(Some(format!("<{}@simpa>", message.id)))
            .multipart(body)
            .map_err(|e| permanent(format!("message: {e}")))?;
        match self {
            Mailer::Smtp(transport, connections) => {
                let _connection = connections.acquire().await.map_err(|e| SendFailure {
                    permanent: false,
                    reason: e.to_string(),
                })?;
                transport
                    .send(email)
                    .await
                    .map(|_| ())
                    .map_err(|e| SendFailure {
                        permanent: e.is_permanent(),
                        reason: e.to_string(),
                    })
            }
            Mailer::Files(transport) => {
                transport
                    .send(email)
                    .await
                    .map(|_| ())
                    .map_err(|e| SendFailure {
                        permanent: false,
                        reason: e.to_string(),
                    })
            }
        }
    }
}
