//! Sending e-mail (lettre): through SMTP when a server is configured, else as `.eml` files in
//! the data directory, so that `make run` needs nothing.

use crate::config::{MailConfig, SmtpConfig, SmtpTls};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::PoolConfig;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use simpa_persistence::outbox;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// Why a message was not sent: worth retrying, or not.
#[derive(Debug)]
pub struct SendFailure {
    pub permanent: bool,
    pub reason: String,
}

/// How long a call to the SMTP server may take.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// How long a connection stays open unused (servers close theirs after a few minutes).
const IDLE_FOR: Duration = Duration::from_secs(60);

pub enum Mailer {
    /// A relay in plain SMTP or STARTTLS, on connections of our own.
    Relay(Relay),
    /// Implicit TLS (port 465): lettre's transport, and one permit per connection it may hold
    /// (its pool keeps idle connections up to its size but opens more when asked).
    Tls(AsyncSmtpTransport<Tokio1Executor>, Semaphore),
    Files(AsyncFileTransport<Tokio1Executor>),
}

/// Connections to an SMTP relay, opened with Nagle's algorithm off, kept and reused. (lettre
/// leaves the algorithm on and writes a message's final dot apart, so that each message
/// waited for the server's delayed acknowledgement, about 40 ms: 22 messages a second per
/// connection.)
pub struct Relay {
    host: String,
    port: u16,
    starttls: bool,
    credentials: Option<Credentials>,
    /// One permit per connection the relay may hold.
    permits: Semaphore,
    /// Connections not in use, with when they were last used.
    idle: std::sync::Mutex<Vec<(AsyncSmtpConnection, Instant)>>,
}

type SmtpResult<T> = Result<T, SendFailure>;

fn transient(reason: impl ToString) -> SendFailure {
    SendFailure {
        permanent: false,
        reason: reason.to_string(),
    }
}

fn smtp_failure(error: lettre::transport::smtp::Error) -> SendFailure {
    SendFailure {
        permanent: error.is_permanent(),
        reason: error.to_string(),
    }
}

impl Relay {
    fn new(smtp: &SmtpConfig) -> Relay {
        Relay {
            host: smtp.host.clone(),
            port: smtp.port,
            starttls: smtp.tls == SmtpTls::StartTls,
            credentials: smtp.credentials.as_ref().map(|(user, password)| {
                Credentials::new(user.clone(), password.expose().to_owned())
            }),
            permits: Semaphore::new(usize::try_from(smtp.connections).unwrap_or(1)),
            idle: std::sync::Mutex::default(),
        }
    }

    /// A new connection: greeted, upgraded to TLS when asked, authenticated.
    async fn connect(&self) -> SmtpResult<AsyncSmtpConnection> {
        let stream = tokio::net::TcpStream::connect((self.host.as_str(), self.port))
            .await
            .map_err(transient)?;
        stream.set_nodelay(true).map_err(transient)?;
        let hello = ClientId::default();
        let mut connection = AsyncSmtpConnection::connect_with_transport(Box::new(stream), &hello)
            .await
            .map_err(smtp_failure)?;
        if self.starttls {
            let tls = TlsParameters::new(self.host.clone()).map_err(smtp_failure)?;
            connection
                .starttls(tls, &hello)
                .await
                .map_err(smtp_failure)?;
        }
        if let Some(credentials) = &self.credentials {
            connection
                .auth(&[Mechanism::Plain, Mechanism::Login], credentials)
                .await
                .map_err(smtp_failure)?;
        }
        Ok(connection)
    }

    /// A connection used recently, if one is free.
    fn reuse(&self) -> Option<AsyncSmtpConnection> {
        let mut idle = self
            .idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        idle.retain(|(_, since)| since.elapsed() < IDLE_FOR);
        idle.pop().map(|(connection, _)| connection)
    }

    async fn send(&self, email: &Message) -> SmtpResult<()> {
        let _permit = self.permits.acquire().await.map_err(transient)?;
        let (envelope, formatted) = (email.envelope(), email.formatted());
        let reused = self.reuse();
        let fresh = reused.is_none();
        let mut connection = match reused {
            Some(connection) => connection,
            None => self.connect().await?,
        };
        let mut sent = connection.send(envelope, &formatted).await;
        // The server may have closed a connection that waited: once more on a new one.
        if sent.is_err() && connection.has_broken() && !fresh {
            connection = self.connect().await?;
            sent = connection.send(envelope, &formatted).await;
        }
        if !connection.has_broken() {
            let mut idle = self
                .idle
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            idle.push((connection, Instant::now()));
        }
        sent.map(|_| ()).map_err(smtp_failure)
    }
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
        if smtp.tls != SmtpTls::Tls {
            return Ok(Mailer::Relay(Relay::new(smtp)));
        }
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::relay(&smtp.host)
            .map_err(|e| e.to_string())?
            .port(smtp.port)
            .timeout(Some(SMTP_TIMEOUT))
            .pool_config(PoolConfig::new().max_size(smtp.connections));
        if let Some((user, password)) = &smtp.credentials {
            builder =
                builder.credentials(Credentials::new(user.clone(), password.expose().to_owned()));
        }
        let connections = usize::try_from(smtp.connections).unwrap_or(1);
        Ok(Mailer::Tls(builder.build(), Semaphore::new(connections)))
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
            Mailer::Relay(relay) => tokio::time::timeout(SMTP_TIMEOUT, relay.send(&email))
                .await
                .map_err(transient)?,
            Mailer::Tls(transport, connections) => {
                let _connection = connections.acquire().await.map_err(transient)?;
                transport
                    .send(email)
                    .await
                    .map(|_| ())
                    .map_err(smtp_failure)
            }
            Mailer::Files(transport) => transport.send(email).await.map(|_| ()).map_err(transient),
        }
    }
}
