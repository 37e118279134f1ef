//! A small SMTP server for the tests, on loopback: it keeps every message it accepts, can
//! refuse recipients, can be slow, and can be stopped and started again on the same port.

use std::io::{BufRead, BufReader, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One message accepted.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub from: String,
    pub to: Vec<String>,
    pub raw: String,
}

impl Delivery {
    fn parsed(&self) -> mailparse::ParsedMail<'_> {
        mailparse::parse_mail(self.raw.as_bytes()).expect("a well-formed message")
    }

    fn header(&self, name: &str) -> String {
        use mailparse::MailHeaderMap;
        self.parsed()
            .headers
            .get_first_value(name)
            .unwrap_or_default()
    }

    pub fn subject(&self) -> String {
        self.header("Subject")
    }

    pub fn message_id(&self) -> String {
        self.header("Message-ID")
    }

    /// The decoded text of the part of this type (`text/plain`, `text/html`).
    pub fn body(&self, mime: &str) -> String {
        fn find(part: &mailparse::ParsedMail<'_>, mime: &str) -> Option<String> {
            if part.ctype.mimetype == mime {
                return part.get_body().ok();
            }
            part.subparts.iter().find_map(|p| find(p, mime))
        }
        find(&self.parsed(), mime).unwrap_or_default()
    }
}

#[derive(Default)]
struct Shared {
    deliveries: Mutex<Vec<Delivery>>,
    stopping: AtomicBool,
    /// Milliseconds to wait before accepting a message's data.
    slow_ms: AtomicU64,
    /// Messages whose data arrived and are held back by `slow_ms`.
    held: AtomicU64,
    /// Subjects of messages a test is not about: kept out of `deliveries`.
    ignored: Mutex<Vec<String>>,
}

pub struct SmtpSink {
    port: u16,
    shared: Arc<Shared>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl SmtpSink {
    pub fn start() -> SmtpSink {
        SmtpSink::start_on(0).expect("a free port")
    }

    /// A port nobody listens on now, for a server started later: taken below the range the
    /// system gives to `bind(0)` (32768 and up on Linux), so that the other tests' servers,
    /// which all bind port 0, cannot take it meanwhile; and never handed out twice.
    pub fn free_port_for_later() -> u16 {
        static GIVEN: Mutex<Vec<u16>> = Mutex::new(Vec::new());
        let mut given = GIVEN.lock().unwrap_or_else(|p| p.into_inner());
        let start = 20_000 + u16::try_from(std::process::id() % 5_000).unwrap_or(0);
        let port = (start..32_000)
            .chain(20_000..start)
            .find(|port| !given.contains(port) && TcpListener::bind(("127.0.0.1", *port)).is_ok())
            .expect("a free port below 32000");
        given.push(port);
        port
    }

    pub fn start_on(port: u16) -> std::io::Result<SmtpSink> {
        let listener = TcpListener::bind(("127.0.0.1", port))?;
        let port = listener.local_addr()?.port();
        let shared = Arc::new(Shared::default());
        let serving = shared.clone();
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if serving.stopping.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(stream) = stream {
                    let shared = serving.clone();
                    std::thread::spawn(move || {
                        let _ = converse(stream, &shared);
                    });
                }
            }
        });
        Ok(SmtpSink {
            port,
            shared,
            thread: Some(thread),
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Waits this long before accepting each message's data.
    pub fn slow_down(&self, by: Duration) {
        self.shared.slow_ms.store(
            u64::try_from(by.as_millis()).unwrap_or(u64::MAX),
            Ordering::SeqCst,
        );
    }

    /// Waits until a message is being held back by `slow_down` (its sender waits for the
    /// answer), failing past the deadline.
    pub fn wait_for_held(&self, within: Duration) {
        let deadline = Instant::now() + within;
        while self.shared.held.load(Ordering::SeqCst) == 0 {
            assert!(Instant::now() < deadline, "no message was held back");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Leaves the messages whose subject starts so out of `deliveries` and `wait_for`, for a test
    /// about other messages (the links that verify the addresses of the people it registers,
    /// say).
    pub fn ignore_subject(&self, subject: &str) {
        self.shared
            .ignored
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(subject.to_owned());
    }

    pub fn deliveries(&self) -> Vec<Delivery> {
        let ignored = self
            .shared
            .ignored
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        self.shared
            .deliveries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .filter(|d| {
                let subject = d.subject();
                !ignored.iter().any(|i| subject.starts_with(i.as_str()))
            })
            .cloned()
            .collect()
    }

    /// Waits until at least `count` messages arrived (or the deadline passes), and returns all.
    pub fn wait_for(&self, count: usize, within: Duration) -> Vec<Delivery> {
        let deadline = Instant::now() + within;
        loop {
            let deliveries = self.deliveries();
            if deliveries.len() >= count || Instant::now() > deadline {
                return deliveries;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        // Wakes the accepting thread so that it sees it must stop.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn address(argument: &str) -> String {
    argument
        .split_once(':')
        .map(|(_, a)| {
            a.trim()
                .trim_start_matches('<')
                .split('>')
                .next()
                .unwrap_or("")
                .to_owned()
        })
        .unwrap_or_default()
}

/// Whether the client hung up (checked before accepting a message it may no longer await).
fn hung_up(stream: &TcpStream) -> bool {
    let _ = stream.set_nonblocking(true);
    let mut probe = [0u8; 1];
    let gone = matches!(stream.peek(&mut probe), Ok(0));
    let _ = stream.set_nonblocking(false);
    gone
}

fn converse(stream: TcpStream, shared: &Shared) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut out = stream.try_clone()?;
    let mut reader = BufReader::new(stream.try_clone()?);
    out.write_all(b"220 sink.test ESMTP\r\n")?;
    let (mut from, mut to) = (String::new(), Vec::new());
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 || shared.stopping.load(Ordering::SeqCst) {
            return Ok(());
        }
        let command = line.trim_end().to_owned();
        let verb = command
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_uppercase();
        match verb.as_str() {
            "EHLO" => out.write_all(b"250-sink.test\r\n250 8BITMIME\r\n")?,
            "HELO" | "NOOP" => out.write_all(b"250 OK\r\n")?,
            "RSET" => {
                (from, to) = (String::new(), Vec::new());
                out.write_all(b"250 OK\r\n")?;
            }
            "MAIL" => {
                from = address(&command);
                out.write_all(b"250 OK\r\n")?;
            }
            "RCPT" => {
                let recipient = address(&command);
                if recipient.starts_with("refused") {
                    out.write_all(b"550 5.1.1 No such mailbox\r\n")?;
                } else {
                    to.push(recipient);
                    out.write_all(b"250 OK\r\n")?;
                }
            }
            "DATA" => {
                out.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")?;
                let mut raw = String::new();
                loop {
                    line.clear();
                    if reader.read_line(&mut line)? == 0 {
                        return Ok(());
                    }
                    if line == ".\r\n" || line == ".\n" {
                        break;
                    }
                    raw.push_str(
                        line.strip_prefix('.')
                            .filter(|_| line.starts_with(".."))
                            .unwrap_or(&line),
                    );
                }
                let slow = shared.slow_ms.load(Ordering::SeqCst);
                if slow > 0 {
                    shared.held.fetch_add(1, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(slow));
                    shared.held.fetch_sub(1, Ordering::SeqCst);
                }
                // A client gone meanwhile never learns the message was accepted: it is not.
                if hung_up(&out) || shared.stopping.load(Ordering::SeqCst) {
                    return Ok(());
                }
                shared
                    .deliveries
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(Delivery {
                        from: std::mem::take(&mut from),
                        to: std::mem::take(&mut to),
                        raw,
                    });
                out.write_all(b"250 OK queued\r\n")?;
            }
            "QUIT" => {
                out.write_all(b"221 Bye\r\n")?;
                let _ = out.shutdown(Shutdown::Both);
                return Ok(());
            }
            _ => out.write_all(b"502 Command not implemented\r\n")?,
        }
    }
}
