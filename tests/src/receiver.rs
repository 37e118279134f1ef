//! A webhook receiver for the tests: an actix-web server on loopback that keeps every call it
//! gets and answers with the status it is told to.

use actix_web::dev::ServerHandle;
use actix_web::http::StatusCode;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One call received.
#[derive(Debug, Clone)]
pub struct Call {
    /// Header names in lower case.
    pub headers: HashMap<String, String>,
    pub body: String,
}

impl Call {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map_or("", String::as_str)
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).expect("a JSON body")
    }
}

struct Shared {
    calls: Mutex<Vec<Call>>,
    status: AtomicU16,
}

pub struct Receiver {
    port: u16,
    shared: Arc<Shared>,
    handle: ServerHandle,
    thread: Option<std::thread::JoinHandle<()>>,
}

async fn receive(request: HttpRequest, body: String, shared: web::Data<Shared>) -> HttpResponse {
    let headers = request
        .headers()
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                value.to_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    shared
        .calls
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push(Call { headers, body });
    let status = StatusCode::from_u16(shared.status.load(Ordering::SeqCst))
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    HttpResponse::build(status).finish()
}

impl Receiver {
    /// A receiver answering 204.
    pub fn start() -> Receiver {
        let shared = Arc::new(Shared {
            calls: Mutex::new(Vec::new()),
            status: AtomicU16::new(204),
        });
        let data = web::Data::from(shared.clone());
        let (started, ready) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server = HttpServer::new(move || {
                    App::new()
                        .app_data(data.clone())
                        .default_service(web::to(receive))
                })
                .workers(1)
                .disable_signals()
                .bind(("127.0.0.1", 0))
                .expect("a free port");
                let port = server.addrs()[0].port();
                let server = server.run();
                started
                    .send((port, server.handle()))
                    .expect("the test waits");
                let _ = server.await;
            });
        });
        let (port, handle) = ready.recv().expect("the receiver starts");
        Receiver {
            port,
            shared,
            handle,
            thread: Some(thread),
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Answers every next call with this status.
    pub fn answer_with(&self, status: u16) {
        self.shared.status.store(status, Ordering::SeqCst);
    }

    pub fn calls(&self) -> Vec<Call> {
        self.shared
            .calls
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Waits until at least `count` calls arrived (or the deadline passes), and returns all.
    pub fn wait_for(&self, count: usize, within: Duration) -> Vec<Call> {
        let deadline = Instant::now() + within;
        loop {
            let calls = self.calls();
            if calls.len() >= count || Instant::now() > deadline {
                return calls;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        // `stop` only asks; the thread ends once the server has stopped.
        let stopped = self.handle.stop(false);
        drop(stopped);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
