//! Browsers for the portal's tests: one without a screen (keeps its cookies, follows no
//! redirect by itself, posts forms), and Debian's Chromium driven by playwright-core
//! (`tests/browser/visit.mjs`, which `make test` installs and names in `SIMPA_BROWSER`).

/// A browser: keeps its cookies, follows no redirect by itself.
pub struct Browser {
    pub http: reqwest::blocking::Client,
}

impl Default for Browser {
    fn default() -> Self {
        Browser {
            http: reqwest::blocking::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("a browser"),
        }
    }
}

impl Browser {
    /// Posts a form to `url`, saying it comes from `origin` when given (browsers do): the
    /// answer's status and body.
    pub fn post_form(
        &self,
        url: &str,
        fields: &[(&str, &str)],
        origin: Option<&str>,
    ) -> (u16, String) {
        let sent = self.submit(url, fields, origin);
        (sent.status, sent.body)
    }

    /// Posts a form to `url` as [`Browser::post_form`] does: the whole answer.
    pub fn submit(&self, url: &str, fields: &[(&str, &str)], origin: Option<&str>) -> Sent {
        let mut request = self.http.post(url).form(fields);
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        Sent::of(url, request.send().expect("an answer"))
    }

    /// Posts a `multipart/form-data` form (text fields, and a file named `file` when given),
    /// as a browser sends a form with a file input.
    pub fn post_multipart(
        &self,
        url: &str,
        fields: &[(&str, &str)],
        file: Option<(&str, Vec<u8>)>,
        origin: &str,
    ) -> Sent {
        let mut form = reqwest::blocking::multipart::Form::new();
        for (name, value) in fields {
            form = form.text(name.to_string(), value.to_string());
        }
        if let Some((name, bytes)) = file {
            let part = reqwest::blocking::multipart::Part::bytes(bytes).file_name(name.to_owned());
            form = form.part("file", part);
        }
        let request = self.http.post(url).multipart(form).header("origin", origin);
        Sent::of(url, request.send().expect("an answer"))
    }

    /// Goes to `url`: the answer's status, where it sends the browser, and its body.
    pub fn go(&self, url: &str) -> (u16, Option<String>, String) {
        let sent = Sent::of(url, self.http.get(url).send().expect("an answer"));
        (sent.status, sent.location, sent.body)
    }
}

/// An answer as a browser sees it.
#[derive(Debug)]
pub struct Sent {
    pub status: u16,
    /// Where it sends the browser (made absolute).
    pub location: Option<String>,
    /// Its `Set-Cookie` headers.
    pub cookies: Vec<String>,
    /// Its `Cache-Control` header.
    pub cache_control: Option<String>,
    pub body: String,
}

impl Sent {
    fn of(url: &str, answer: reqwest::blocking::Response) -> Sent {
        let status = answer.status().as_u16();
        let location = answer
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .map(|l| match l.starts_with('/') {
                true => {
                    let base = url.split('/').take(3).collect::<Vec<_>>().join("/");
                    format!("{base}{l}")
                }
                false => l.to_owned(),
            });
        let cookies = answer
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|c| c.to_str().ok().map(str::to_owned))
            .collect();
        let cache_control = answer
            .headers()
            .get("cache-control")
            .and_then(|c| c.to_str().ok())
            .map(str::to_owned);
        Sent {
            status,
            location,
            cookies,
            cache_control,
            body: answer.text().unwrap_or_default(),
        }
    }

    /// The `Set-Cookie` header of the cookie `name`.
    pub fn cookie(&self, name: &str) -> Option<&str> {
        let prefix = format!("{name}=");
        self.cookies
            .iter()
            .find(|c| c.starts_with(&prefix))
            .map(String::as_str)
    }
}

/// What a page visited in Chromium showed.
#[derive(Debug, serde::Deserialize)]
pub struct Visited {
    pub name: String,
    /// Where the page is (after the redirections its form led to).
    pub url: String,
    pub status: u16,
    pub title: String,
    /// How wide the page is drawn in a 375-pixel window: 375 unless something sticks out.
    pub phone_width: u32,
    /// What the page's live region says once its fields were typed in (`#type:`).
    pub live: Option<String>,
    /// Who sent the form that led here: `browser`, or `script` (the page's own, which sends
    /// files and says how much is sent); none when no form was sent.
    pub sent: Option<String>,
    /// The status that answered the form itself, before the redirections it led to.
    pub posted: Option<u16>,
    /// What the page's Content-Security-Policy refused (`directive address`), enforced by the
    /// browser: nothing on the portal's own pages.
    pub blocked: Vec<String>,
    pub violations: Vec<Violation>,
}

impl Visited {
    /// The rules of accessibility the page breaks with a serious or critical impact.
    pub fn serious_violations(&self) -> Vec<&Violation> {
        self.violations
            .iter()
            .filter(|v| matches!(v.impact.as_deref(), Some("serious" | "critical")))
            .collect()
    }
}

/// A rule of accessibility (axe-core) that a page breaks.
#[derive(Debug, serde::Deserialize)]
pub struct Violation {
    pub id: String,
    /// `minor`, `moderate`, `serious` or `critical`.
    pub impact: Option<String>,
    pub nodes: usize,
}

/// What Chromium and the Nu Html Checker found on the pages visited.
#[derive(Debug)]
pub struct Visits {
    pub pages: Vec<Visited>,
    /// The Nu Html Checker's errors on the HTML as served, `page: line N: message`.
    pub html_errors: Vec<String>,
}

/// Visits `pages` (a name, and an address; `…#submit` presses its form's button with the
/// fields empty) in one headless Chromium: what axe-core found on each, with screenshots at
/// 1280 and 375 pixels wide in `target/screenshots/`, and what the Nu Html Checker finds in
/// their HTML. `None` when the browser is not installed (a failure under CI).
pub fn visit(pages: &[(&str, String)]) -> Option<Visits> {
    let mut journey = Journey::start()?;
    for (name, address) in pages {
        journey.visit(name, address);
    }
    Some(journey.end())
}

/// One headless Chromium visiting pages one at a time (see `tests/browser/visit.mjs`), each
/// visit answered before the next is asked: a journey whose next step depends on what the
/// last one did (an e-mail's link, the city's answer through the API). The browser keeps its
/// cookies from one visit to the next.
pub struct Journey {
    node: std::process::Child,
    pages: std::io::BufReader<std::process::ChildStdout>,
    screenshots: std::path::PathBuf,
    checker: std::path::PathBuf,
    visited: Vec<Visited>,
}

impl Journey {
    /// The browser started; `None` when it is not installed (a failure under CI).
    pub fn start() -> Option<Journey> {
        let script = crate::installed_tool(
            "SIMPA_BROWSER",
            "the portal's pages cannot go unchecked in a real browser",
        )?;
        let screenshots =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/screenshots");
        let mut node = std::process::Command::new("node")
            .arg(&script)
            .arg("-")
            .env("SCREENSHOTS", &screenshots)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("node runs the browser");
        let pages = std::io::BufReader::new(node.stdout.take().expect("the browser's output"));
        let checker = script
            .parent()
            .expect("the script's folder")
            .join("node_modules/vnu-jar/build/dist/vnu.jar");
        Some(Journey {
            node,
            pages,
            screenshots,
            checker,
            visited: vec![],
        })
    }

    /// Visits `address` as the page `name` (see `visit.mjs` for `#submit:…` and the others):
    /// what the browser saw there.
    pub fn visit(&mut self, name: &str, address: &str) -> &Visited {
        use std::io::{BufRead, Read, Write};
        let stdin = self.node.stdin.as_mut().expect("the browser's input");
        writeln!(stdin, "{name}={address}").expect("the browser reads its next page");
        stdin.flush().expect("the browser reads its next page");
        let mut line = String::new();
        self.pages
            .read_line(&mut line)
            .expect("the browser's report");
        if line.is_empty() {
            let mut error = String::new();
            if let Some(stderr) = self.node.stderr.as_mut() {
                stderr.read_to_string(&mut error).ok();
            }
            panic!("the browser failed at {name}: {error}");
        }
        self.visited
            .push(serde_json::from_str(&line).expect("a page's report"));
        self.visited.last().expect("just visited")
    }

    /// Closes the browser: every page visited, and what the Nu Html Checker finds in them.
    pub fn end(mut self) -> Visits {
        drop(self.node.stdin.take());
        let output = self.node.wait_with_output().expect("the browser ends");
        assert!(
            output.status.success(),
            "the browser failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let checked = std::process::Command::new("java")
            .arg("-jar")
            .arg(&self.checker)
            .args(["--errors-only", "--format", "json"])
            .args(
                self.visited
                    .iter()
                    .map(|page| self.screenshots.join(format!("{}.html", page.name))),
            )
            .output()
            .expect("java runs the Nu Html Checker");
        // It reports on standard error, and exits 1 when it found errors.
        let report: serde_json::Value =
            serde_json::from_slice(&checked.stderr).expect("the checker's JSON report");
        let html_errors = report["messages"]
            .as_array()
            .expect("messages")
            .iter()
            .map(|m| format!("{}: line {}: {}", m["url"], m["lastLine"], m["message"]))
            .collect();
        Visits {
            pages: self.visited,
            html_errors,
        }
    }
}
