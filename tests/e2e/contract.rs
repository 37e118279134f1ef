//! The contract: schemathesis drives every operation of the served OpenAPI document, as each
//! role in turn, over the demo data (`tests/schemathesis.toml` says how). No answer may be a
//! server error, break the documented schema, carry an undocumented status or content type,
//! accept what the schema forbids, or ignore a missing token.

use crate::fixtures;
use simpa_tests::{Backend, TestApp, on_both_backends, schemathesis};
use std::process::Command;

on_both_backends!(schemathesis_finds_no_breach_of_the_contract_for_any_role);

const METRICS_TOKEN: &str = "scraper-token-of-the-contract-test";

/// The demo's people, from the least to the most powerful: the admin comes last, since what
/// it fuzzes (staff roles, API clients) could take away what others sign in with.
const PEOPLE: [&str; 9] = [
    "president@demo.simpa.fr",
    "tresoriere@demo.simpa.fr",
    "jure@demo.simpa.fr",
    "mairie11@demo.simpa.fr",
    "dac@demo.simpa.fr",
    "djs@demo.simpa.fr",
    "finances@demo.simpa.fr",
    "bureau@demo.simpa.fr",
    "admin@demo.simpa.fr",
];

fn schemathesis_finds_no_breach_of_the_contract_for_any_role(backend: Backend) {
    let Some(schemathesis) = schemathesis() else {
        return;
    };
    let app = TestApp::start_with(
        backend,
        &[
            ("SIMPA_METRICS_TOKEN", METRICS_TOKEN),
            // Fuzzed sign-ins must not lock the test's own out.
            ("SIMPA_LOGIN_MAX_FAILURES", "1000000"),
            ("SIMPA_LOGIN_MAX_FAILURES_PER_ADDRESS", "1000000"),
        ],
    );
    fixtures::load(&app);
    // A seed per database: every operation is fuzzed as every role with two seeds, so that
    // a change cannot be tuned to one.
    let seed = match backend {
        Backend::Sqlite => "20261128",
        Backend::Postgres => "20261204",
    };
    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/schemathesis.toml");
    let workdir = tempfile::tempdir().expect("a directory for schemathesis's files");
    let run = |role: &str, token: Option<&str>| {
        let mut command = Command::new(&schemathesis);
        command
            .current_dir(workdir.path())
            .env("NO_COLOR", "1")
            .args(["--config-file", config, "run", "--seed", seed])
            .arg(app.url("/openapi.json"));
        if let Some(token) = token {
            command.args(["--header", &format!("Authorization: Bearer {token}")]);
        }
        let output = command.output().expect("run schemathesis");
        let report = String::from_utf8_lossy(&output.stdout);
        let tested = report
            .lines()
            .find(|l| l.contains(" generated, "))
            .unwrap_or("no summary")
            .trim()
            .to_owned();
        eprintln!("schemathesis as {role}: {tested}");
        assert!(
            output.status.success(),
            "schemathesis as {role} found breaches of the contract:\n{report}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(
            tested.ends_with("passed") || tested.contains(" passed, "),
            "schemathesis as {role} tested nothing: {report}"
        );
    };

    run("anonymous", None);
    run("the metrics scraper", Some(METRICS_TOKEN));
    for email in PEOPLE {
        run(email, Some(&app.demo_user(email).access));
        if email == "dac@demo.simpa.fr" {
            let (_, client) = app.api_client(&app.admin(), "DAC");
            run("the DAC's API client", Some(&client));
        }
    }
}
