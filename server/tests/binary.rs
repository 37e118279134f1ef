//! The `simpa` binary as a new user runs it: no configuration, an empty directory.

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

fn simpa(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_simpa"));
    // Nothing from the developer's environment: the embedded defaults only.
    command
        .current_dir(dir)
        .env_clear()
        .env("SIMPA_LOG", "warn");
    command
}

fn run(command: &mut Command) -> Output {
    command.output().expect("simpa runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Kills the server however the test ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn an_empty_directory_gets_an_embedded_database_with_demo_data_and_serves_it() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let loaded = run(simpa(dir.path()).args(["fixtures", "load", "--size", "demo"]));
    assert!(
        loaded.status.success(),
        "{}",
        String::from_utf8_lossy(&loaded.stderr)
    );
    let report = stdout(&loaded);
    let created = |what: &str| -> usize {
        let before = report.split(what).next().unwrap_or_default();
        before
            .split_whitespace()
            .last()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    assert!(created(" associations") >= 50, "{report}");
    assert!(created(" requests,") >= 100, "{report}");
    assert!(created(" juries,") >= 3, "{report}");
    assert!(created(" deliberations,") >= 3, "{report}");
    assert!(created(" payments,") >= 10, "{report}");
    assert!(created(" final reports") >= 5, "{report}");
    assert!(
        report.contains("admin@demo.simpa.fr") && report.contains("president@demo.simpa.fr"),
        "{report}"
    );
    assert!(report.contains("simpa-demo-2026"), "{report}");
    assert!(
        dir.path().join("data/simpa.db").is_file(),
        "the default database is ./data/simpa.db"
    );
    assert!(
        dir.path().join("data/jwt-secret").is_file(),
        "a signing secret is generated and kept"
    );

    let again = run(simpa(dir.path()).args(["fixtures", "load"]));
    assert!(
        stdout(&again).contains(
            "0 accounts, 0 associations, 0 requests, 0 juries, 0 deliberations, 0 agreements signed, 0 payments, 0 final reports and 0 files closed created (already loaded)"
        ),
        "{}",
        stdout(&again)
    );

    // As `make run` serves the demo: its staff sign in with their password alone, and the
    // server says so.
    let mut child = simpa(dir.path())
        .arg("serve")
        .env("SIMPA_BIND", "127.0.0.1:0")
        .env("SIMPA_STAFF_TWO_FACTOR", "off")
        .stdout(Stdio::piped())
        .spawn()
        .expect("serve");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut line = || lines.next().expect("a line").expect("text");
    let first_line = line();
    let _docs = line();
    let portal = line();
    assert!(portal.contains("Portal: http://"), "{portal}");
    assert!(
        line().contains("Two-factor authentication of staff is OFF"),
        "serve says the demo's staff need no second factor"
    );
    let _server = Server(child);
    let base = first_line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .expect("the address")
        .to_owned();

    let http = reqwest::blocking::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    let ready: Value = http
        .get(format!("{base}/readyz"))
        .send()
        .expect("readyz")
        .json()
        .expect("json");
    assert_eq!(ready, json!({"status": "ok", "database": "sqlite"}));
    // The portal's home page shows the demo's open campaigns.
    let home = http.get(&base).send().expect("home").text().expect("html");
    assert!(
        home.contains("Les campagnes ouvertes") && home.contains("Campagne de démonstration"),
        "{home}"
    );
    let tokens: Value = http
        .post(format!("{base}/api/v1/auth/token"))
        .json(&json!({"grant_type": "password", "email": "bureau@demo.simpa.fr", "password": "simpa-demo-2026"}))
        .send()
        .expect("token")
        .json()
        .expect("json");
    let access = tokens["access_token"]
        .as_str()
        .expect("the demo bureau account signs in");
    assert_eq!(tokens.get("second_factor_enrolment_required"), None);
    let list: Value = http
        .get(format!("{base}/api/v1/associations?limit=200"))
        .bearer_auth(access)
        .send()
        .expect("list")
        .json()
        .expect("json");
    assert_eq!(
        list["items"].as_array().map(Vec::len),
        Some(created(" associations"))
    );
    // Every worklist has work: the bureau's holds a submitted request to check.
    let work: Value = http
        .get(format!("{base}/api/v1/worklist"))
        .bearer_auth(access)
        .send()
        .expect("worklist")
        .json()
        .expect("json");
    assert_eq!(work["items"][0]["state"], "submitted", "{work}");
    let requests: Value = http
        .get(format!("{base}/api/v1/requests?limit=200"))
        .bearer_auth(access)
        .send()
        .expect("requests")
        .json()
        .expect("json");
    let mut states: Vec<&str> = requests["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|r| r["state"].as_str())
        .collect();
    states.sort_unstable();
    states.dedup();
    // The city never sees an association's drafts.
    assert!(!states.contains(&"draft"), "{states:?}");
    for state in ["in_instruction", "instructed", "submitted"] {
        assert!(states.contains(&state), "{states:?}");
    }
    let docs = http.get(format!("{base}/docs/")).send().expect("docs");
    assert_eq!(docs.status(), 200);
}

#[test]
fn admin_create_takes_the_password_from_standard_input_once_per_email() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let create = |password: &str| {
        let mut child = simpa(dir.path())
            .args(["admin", "create", "--email", "admin@ville.test"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(format!("{password}\n").as_bytes())
            .expect("write");
        child.wait_with_output().expect("output")
    };
    let short = create("short");
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("au moins 12 caractères"));
    let created = create("a long enough password");
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    assert!(stdout(&created).contains("admin account"));
    let twice = create("a long enough password");
    assert!(!twice.status.success());
    assert!(String::from_utf8_lossy(&twice.stderr).contains("existe déjà"));
}

#[test]
fn gc_removes_stored_bytes_no_row_refers_to_once_old_enough() {
    let dir = tempfile::tempdir().expect("temporary directory");
    assert!(run(simpa(dir.path()).arg("migrate")).status.success());
    let orphan_hash = "ab".repeat(32);
    let folder = dir.path().join("data/blobs/ab");
    std::fs::create_dir_all(&folder).expect("folder");
    let orphan = folder.join(&orphan_hash);
    std::fs::write(&orphan, b"bytes whose row never committed").expect("write");

    let recent = run(simpa(dir.path()).arg("gc"));
    assert!(recent.status.success());
    assert!(
        orphan.exists(),
        "within the grace period it may belong to an upload in progress"
    );
    assert!(stdout(&recent).contains("removed 0"), "{}", stdout(&recent));

    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(2 * 3600);
    std::fs::File::options()
        .append(true)
        .open(&orphan)
        .expect("open")
        .set_modified(old)
        .expect("age it");
    let collected = run(simpa(dir.path()).arg("gc"));
    assert!(
        collected.status.success(),
        "{}",
        String::from_utf8_lossy(&collected.stderr)
    );
    assert!(
        stdout(&collected).contains("removed 1 unreferenced files (31 bytes)"),
        "{}",
        stdout(&collected)
    );
    assert!(!orphan.exists());
}

#[test]
fn a_database_url_without_a_known_scheme_is_refused_before_anything_is_created() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let refused = run(simpa(dir.path())
        .arg("migrate")
        .env("DATABASE_URL", "elsewhere.db"));
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("sqlite://"));
    assert!(!dir.path().join("elsewhere.db").exists());
    assert!(!dir.path().join("data").exists());
}
