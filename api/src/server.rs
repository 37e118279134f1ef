//! The HTTP server: actix-web's application over HTTP/1.1, as `HttpServer` would run it, but on
//! connections that keep one promise `HttpServer` cannot: every answer is problem+json with the
//! security headers, even to a request that cannot be parsed at all. actix-http answers those
//! itself (an empty 400 for a request line over 64 KB or garbage, 431 for too many headers,
//! 408 for a head that never ends) before any route or middleware; [`Guarded`] follows the
//! answers written on the connection and replaces those with a problem.

use crate::Services;
use crate::problem::Problem;
use actix_http::HttpService;
use actix_service::{IntoServiceFactory, ServiceFactoryExt, fn_service, map_config};
use actix_web::dev::AppConfig;
use actix_web::http::StatusCode;
use std::io;
use std::net::TcpListener;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// How the server runs.
pub struct ServerOptions {
    /// Worker threads (the number of cores when `None`).
    pub workers: Option<usize>,
    /// Whether SIGTERM and SIGINT stop it gracefully (not in tests).
    pub signals: bool,
}

/// Serves the application on `listener` until stopped.
pub fn serve(
    services: Services,
    listener: TcpListener,
    options: ServerOptions,
) -> io::Result<actix_server::Server> {
    let address = listener.local_addr()?;
    let hsts = services.state.config.hsts;
    let builder = actix_server::Server::build();
    // On a graceful stop, connections idle between two requests close at once (as
    // `HttpServer` does), instead of holding the stop until their keep-alive ends.
    let stopping = builder.graceful_shutdown_signal();
    let mut builder = builder.listen("simpa", listener, move || {
        let stopping = stopping.clone();
        let application = crate::app(services.clone())
            .into_factory()
            .map_err(|e: actix_web::Error| e.error_response());
        fn_service(move |io: actix_rt::net::TcpStream| async move {
            let peer = io.peer_addr().ok();
            Ok::<_, actix_http::error::DispatchError>((Guarded::new(io, hsts), peer))
        })
        .and_then(
            HttpService::build()
                .graceful_shutdown_signal(move || {
                    let stopping = stopping.clone();
                    async move { stopping.notified().await }
                })
                .keep_alive(Duration::from_secs(5))
                .client_request_timeout(Duration::from_secs(5))
                .client_disconnect_timeout(Duration::from_secs(1))
                .local_addr(address)
                .h1(map_config(application, |_| AppConfig::default())),
        )
    })?;
    if let Some(workers) = options.workers {
        builder = builder.workers(workers);
    }
    if !options.signals {
        builder = builder.disable_signals();
    }
    Ok(builder.run())
}

/// Ends the connection after an answer to HEAD: what follows such an answer on its
/// connection cannot be told from its length, so [`Guarded`] could not follow it.
pub async fn close_after_head(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody>,
) -> Result<actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    let head = req.method() == actix_web::http::Method::HEAD;
    let mut response = next.call(req).await?;
    if head {
        response
            .response_mut()
            .head_mut()
            .set_connection_type(actix_web::http::ConnectionType::Close);
    }
    Ok(response)
}

/// A connection whose answers are followed, response after response (heads, then bodies by
/// their length or chunks), so that only heads are ever looked at. A head that actix-http
/// wrote on its own (a 4xx or 5xx with nothing but `content-length: 0`, `connection` and
/// `date`; our answers all carry a body and the security headers) is replaced by a problem.
/// Once the framing cannot be followed (a body until the connection closes, an answer to
/// `HEAD`, which closes its connection for this reason), answers pass untouched.
pub struct Guarded<T> {
    io: T,
    hsts: bool,
    framing: Framing,
    /// What was taken from the writer but not yet written: a head being read, or its
    /// replacement.
    held: Vec<u8>,
    /// How much of `held` is written, once it is complete.
    written: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    /// Reading a head into `held`.
    Head,
    /// Writing `held` (a head, or its replacement), then what follows it.
    Flushing(After),
    /// Passing the bytes of a body of known length.
    Body(u64),
    /// Passing a chunked body.
    Chunked(Chunk),
    /// Passing everything untouched.
    Untouched,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum After {
    Head,
    Body(u64),
    Chunked(Chunk),
    Untouched,
}

/// Where a chunked body is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Chunk {
    /// Reading a size line: the size read so far, and whether the digits ended (extensions).
    Size { size: u64, digits_done: bool },
    /// Passing a chunk's data.
    Data(u64),
    /// After a chunk's data, up to the end of its line.
    DataEnd,
    /// After the last chunk: trailers, up to an empty line.
    Trailers { line_empty: bool },
}

impl Chunk {
    const START: Chunk = Chunk::Size {
        size: 0,
        digits_done: false,
    };
}

/// Follows `bytes` of a chunked body from `chunk`: how many belong to it, and where it is
/// after them (`None`: the body ended there). `Err` when the framing cannot be followed.
fn scan_chunks(mut chunk: Chunk, bytes: &[u8]) -> Result<(usize, Option<Chunk>), ()> {
    let mut i = 0;
    while i < bytes.len() {
        let byte = bytes[i];
        chunk = match chunk {
            Chunk::Data(0) => Chunk::DataEnd,
            Chunk::Data(left) => {
                let skip =
                    usize::try_from(left).map_or(bytes.len() - i, |l| l.min(bytes.len() - i));
                i += skip;
                chunk = Chunk::Data(left - skip as u64);
                continue;
            }
            Chunk::DataEnd if byte == b'\n' => Chunk::START,
            Chunk::DataEnd => Chunk::DataEnd,
            Chunk::Size { size, digits_done } => match byte {
                b'\n' if size == 0 => Chunk::Trailers { line_empty: true },
                b'\n' => Chunk::Data(size),
                _ if digits_done => chunk,
                _ => match (byte as char).to_digit(16) {
                    Some(digit) => Chunk::Size {
                        size: size
                            .checked_mul(16)
                            .and_then(|s| s.checked_add(u64::from(digit)))
                            .ok_or(())?,
                        digits_done: false,
                    },
                    None => Chunk::Size {
                        size,
                        digits_done: true,
                    },
                },
            },
            Chunk::Trailers { line_empty } => match byte {
                b'\r' => chunk,
                b'\n' if line_empty => return Ok((i + 1, None)),
                b'\n' => Chunk::Trailers { line_empty: true },
                _ => Chunk::Trailers { line_empty: false },
            },
        };
        i += 1;
    }
    Ok((bytes.len(), Some(chunk)))
}

/// The longest head followed; a longer one is passed untouched.
const MAX_HEAD: usize = 64 * 1024;

impl<T> Guarded<T> {
    pub fn new(io: T, hsts: bool) -> Guarded<T> {
        Guarded {
            io,
            hsts,
            framing: Framing::Head,
            held: Vec::new(),
            written: 0,
        }
    }

    /// A flush with part of a head held: the writer means it to go out now, so it does, and
    /// what follows is no longer followed (heads are written whole, this cannot be one).
    fn give_up_an_unfinished_head(&mut self) {
        if self.framing == Framing::Head && !self.held.is_empty() {
            self.framing = Framing::Flushing(After::Untouched);
        }
    }

    /// Takes bytes of a head; once it ends, decides what to write for it and what follows.
    fn read_head(&mut self, buf: &[u8]) -> usize {
        let start = self.held.len().saturating_sub(3);
        self.held.extend_from_slice(buf);
        let Some(end) = find(&self.held[start..], b"\r\n\r\n").map(|at| start + at + 4) else {
            if self.held.len() > MAX_HEAD {
                self.framing = Framing::Flushing(After::Untouched);
            }
            return buf.len();
        };
        let mut taken = buf.len() - (self.held.len() - end);
        self.held.truncate(end);
        let head = parse_head(&self.held);
        let mut after = match &head {
            None => After::Untouched,
            Some(head) => head.after(),
        };
        if let Some(head) = head.filter(Head::is_bare_refusal) {
            self.held = refusal(&head, self.hsts);
        } else if let After::Body(length) = after {
            // The body that came with its head goes out with it, in one write: a head sent
            // alone would make the body wait for the client's delayed ACK (Nagle's algorithm).
            let with = usize::try_from(length)
                .map_or(MAX_HEAD, |l| l.min(MAX_HEAD))
                .min(buf.len() - taken);
            self.held.extend_from_slice(&buf[taken..taken + with]);
            taken += with;
            after = After::Body(length - with as u64);
        } else if let After::Chunked(chunk) = after {
            let rest = &buf[taken..];
            let window = &rest[..rest.len().min(MAX_HEAD)];
            after = match scan_chunks(chunk, window) {
                Ok((used, state)) => {
                    self.held.extend_from_slice(&window[..used]);
                    taken += used;
                    state.map_or(After::Head, After::Chunked)
                }
                Err(()) => After::Untouched,
            };
        }
        self.framing = Framing::Flushing(after);
        taken
    }
}

impl<T: AsyncWrite + Unpin> Guarded<T> {
    /// Writes what is held; `Ready` once all of it is.
    fn poll_held(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while let Framing::Flushing(after) = self.framing {
            if self.written == self.held.len() {
                self.held.clear();
                self.written = 0;
                self.framing = match after {
                    After::Head => Framing::Head,
                    After::Body(0) => Framing::Head,
                    After::Body(length) => Framing::Body(length),
                    After::Chunked(chunk) => Framing::Chunked(chunk),
                    After::Untouched => Framing::Untouched,
                };
                break;
            }
            let n = ready!(Pin::new(&mut self.io).poll_write(cx, &self.held[self.written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.written += n;
        }
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Guarded<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        ready!(this.poll_held(cx))?;
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        match this.framing {
            Framing::Head => {
                let taken = this.read_head(buf);
                // What is held goes out now if it can; the bytes are taken either way, and
                // the next call writes the rest first.
                if let Poll::Ready(Err(e)) = this.poll_held(cx) {
                    return Poll::Ready(Err(e));
                }
                Poll::Ready(Ok(taken))
            }
            Framing::Body(left) => {
                let part = usize::try_from(left).map_or(buf.len(), |l| l.min(buf.len()));
                let n = ready!(Pin::new(&mut this.io).poll_write(cx, &buf[..part]))?;
                let left = left - n as u64;
                this.framing = if left == 0 {
                    Framing::Head
                } else {
                    Framing::Body(left)
                };
                Poll::Ready(Ok(n))
            }
            Framing::Chunked(chunk) => {
                let Ok((part, _)) = scan_chunks(chunk, buf) else {
                    this.framing = Framing::Untouched;
                    return Pin::new(&mut this.io).poll_write(cx, buf);
                };
                let n = ready!(Pin::new(&mut this.io).poll_write(cx, &buf[..part]))?;
                this.framing = match scan_chunks(chunk, &buf[..n]) {
                    Ok((_, Some(chunk))) => Framing::Chunked(chunk),
                    Ok((_, None)) => Framing::Head,
                    Err(()) => Framing::Untouched,
                };
                Poll::Ready(Ok(n))
            }
            // `poll_held` is done with these.
            Framing::Flushing(_) | Framing::Untouched => Pin::new(&mut this.io).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.give_up_an_unfinished_head();
        ready!(this.poll_held(cx))?;
        Pin::new(&mut this.io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.give_up_an_unfinished_head();
        ready!(this.poll_held(cx))?;
        Pin::new(&mut this.io).poll_shutdown(cx)
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Guarded<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_read(cx, buf)
    }
}

/// What a response head says of itself.
struct Head {
    status: u16,
    /// Header names (lower case) and values.
    headers: Vec<(String, String)>,
}

fn parse_head(bytes: &[u8]) -> Option<Head> {
    let text = std::str::from_utf8(bytes).ok()?;
    let mut lines = text.split("\r\n");
    let status_line = lines.next()?;
    let status = status_line
        .strip_prefix("HTTP/1.1 ")
        .or_else(|| status_line.strip_prefix("HTTP/1.0 "))?
        .get(..3)?
        .parse()
        .ok()?;
    let headers = lines
        .take_while(|l| !l.is_empty())
        .filter_map(|l| {
            let (name, value) = l.split_once(':')?;
            Some((name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        })
        .collect();
    Some(Head { status, headers })
}

impl Head {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// What follows this head on the connection.
    fn after(&self) -> After {
        let closes = self
            .header("connection")
            .is_some_and(|c| c.eq_ignore_ascii_case("close"));
        if closes || self.status == 101 {
            // The last answer (an answer to HEAD closes its connection, its length is not
            // what follows), or another protocol.
            return After::Untouched;
        }
        if (100..200).contains(&self.status) || self.status == 204 || self.status == 304 {
            return After::Head;
        }
        if self
            .header("transfer-encoding")
            .is_some_and(|t| t.to_ascii_lowercase().ends_with("chunked"))
        {
            return After::Chunked(Chunk::START);
        }
        match self.header("content-length").map(str::parse::<u64>) {
            Some(Ok(length)) => After::Body(length),
            _ => After::Untouched,
        }
    }

    /// An answer actix-http wrote without the application: a refusal of the request with an
    /// empty body and no header but these.
    fn is_bare_refusal(&self) -> bool {
        (400..500).contains(&self.status)
            && self.header("content-length") == Some("0")
            && self
                .headers
                .iter()
                .all(|(name, _)| matches!(name.as_str(), "content-length" | "connection" | "date"))
    }
}

/// The problem that replaces a bare refusal, with the security headers, closing the
/// connection.
fn refusal(head: &Head, hsts: bool) -> Vec<u8> {
    let status = StatusCode::from_u16(head.status).unwrap_or(StatusCode::BAD_REQUEST);
    let (code, detail) = match head.status {
        408 => (
            "request.timeout",
            "La requête n'est pas arrivée à temps : la connexion est fermée.",
        ),
        431 => (
            "request.headers_too_large",
            "Les en-têtes de la requête sont trop nombreux ou trop longs.",
        ),
        _ => (
            "request.unreadable",
            "Cette requête HTTP est illisible : ligne de requête ou en-têtes mal formés, ou adresse trop longue (64 Ko au plus).",
        ),
    };
    let problem = Problem::new(status, code, detail);
    let body = serde_json::to_vec(&*problem).unwrap_or_default();
    let mut answer = format!(
        "HTTP/1.1 {} {}\r\ncontent-type: application/problem+json\r\ncontent-length: {}\r\nconnection: close\r\ncache-control: no-store\r\n",
        status.as_u16(),
        status.canonical_reason().unwrap_or("Error"),
        body.len()
    );
    for (name, value) in crate::security::api_headers(hsts) {
        answer.push_str(&format!("{name}: {value}\r\n"));
    }
    if let Some(date) = head.header("date") {
        answer.push_str(&format!("date: {date}\r\n"));
    }
    answer.push_str("\r\n");
    tracing::info!(
        status = status.as_u16(),
        code,
        "an unreadable request was refused"
    );
    let mut bytes = answer.into_bytes();
    bytes.extend_from_slice(&body);
    bytes
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    /// Writes `parts` through a guarded connection, as actix-http would, and returns what
    /// reached the socket.
    fn through(parts: &[&[u8]]) -> String {
        actix_rt::System::new().block_on(async {
            let mut guarded = Guarded::new(Vec::new(), false);
            for part in parts {
                guarded.write_all(part).await.expect("written");
            }
            guarded.flush().await.expect("flushed");
            String::from_utf8(guarded.io).expect("text")
        })
    }

    const BARE: &[u8] =
        b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\ndate: Fri, 04 Dec 2026 22:26:37 GMT\r\n\r\n";

    #[test]
    fn a_bare_refusal_becomes_a_problem_with_the_security_headers() {
        let out = through(&[BARE]);
        assert!(out.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{out}");
        assert!(out.contains("content-type: application/problem+json\r\n"));
        assert!(out.contains("x-content-type-options: nosniff\r\n"));
        assert!(out.contains("date: Fri, 04 Dec 2026 22:26:37 GMT\r\n"));
        let (head, body) = out.split_once("\r\n\r\n").expect("a head");
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length: "))
            .and_then(|l| l.parse().ok())
            .expect("a length");
        assert_eq!(body.len(), length);
        let problem: serde_json::Value = serde_json::from_str(body).expect("JSON");
        assert_eq!(problem["code"], "request.unreadable");
        assert_eq!(problem["status"], 400);
    }

    #[test]
    fn answers_of_the_application_pass_as_they_are_and_a_refusal_after_them_is_replaced() {
        let ok = b"HTTP/1.1 200 OK\r\ncontent-length: 15\r\nx-content-type-options: nosniff\r\ncontent-type: application/json\r\n\r\n{\"status\":\"ok\"}";
        // A body holding what looks like a bare refusal is a body.
        let tricky_body = [
            b"HTTP/1.1 200 OK\r\ncontent-length: ".as_slice(),
            BARE.len().to_string().as_bytes(),
            b"\r\ncontent-type: application/pdf\r\n\r\n",
            BARE,
        ]
        .concat();
        let chunked = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\ncontent-type: text/csv\r\n\r\n5\r\na;b\r\n\r\n7\r\nc;d;e\r\n\r\n0\r\n\r\n";
        let empty = b"HTTP/1.1 204 No Content\r\nx-content-type-options: nosniff\r\n\r\n";
        let out = through(&[ok, &tricky_body, chunked, empty, BARE]);
        let expected_start = [ok.as_slice(), &tricky_body, chunked, empty].concat();
        assert!(out.as_bytes().starts_with(&expected_start), "{out}");
        let last = &out[expected_start.len()..];
        assert!(
            last.contains("application/problem+json") && last.contains("request.unreadable"),
            "{last}"
        );
    }

    #[test]
    fn a_chunked_body_is_followed_across_writes() {
        let parts: [&[u8]; 5] = [
            b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n1a\r\nabcdefghij",
            b"klmnopqrstuvwxyz\r\n",
            b"3\r\n\r\n\r\n\r\n",
            b"0\r\n\r\n",
            BARE,
        ];
        let out = through(&parts);
        let body = parts[..4].concat();
        assert!(out.as_bytes().starts_with(&body), "{out}");
        assert!(out[body.len()..].contains("request.unreadable"), "{out}");
    }

    #[test]
    fn heads_split_across_writes_are_read_whole() {
        let out = through(&[&BARE[..10], &BARE[10..40], &BARE[40..]]);
        assert!(out.contains("request.unreadable"), "{out}");
        let timeout = b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\nconnection: close\r\ndate: x\r\n\r\n";
        assert!(through(&[timeout]).contains("request.timeout"));
    }

    #[test]
    fn after_an_answer_that_closes_or_streams_to_the_end_nothing_is_touched() {
        let head =
            b"HTTP/1.1 405 Method Not Allowed\r\ncontent-length: 120\r\nconnection: close\r\n\r\n";
        let out = through(&[head, BARE]);
        assert_eq!(out.as_bytes(), [head.as_slice(), BARE].concat());
        // Bytes that are no head are written when flushed, not held.
        let broken = b"HTTP/1.1 200 OK\r\ncontent-type: te";
        assert_eq!(through(&[broken]).as_bytes(), broken);
        // A bare 5xx is not a refusal of the request: it is left as it is.
        let bare_500 =
            b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\ndate: x\r\n\r\n";
        assert_eq!(through(&[bare_500]).as_bytes(), bare_500);
        let endless = b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\nsome bytes ";
        let out = through(&[endless, BARE]);
        assert_eq!(out.as_bytes(), [endless.as_slice(), BARE].concat());
    }
}
