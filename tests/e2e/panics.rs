//! A panic is a bug answered 500, never an outage: the transaction it happened in is rolled
//! back, and the server goes on serving and saving, on both databases.

use crate::requests::{City, act, create_draft, id, ready_association};
use serde_json::json;
use simpa_api::faults::LOST_ACCOUNT;
use simpa_domain::contact::EmailAddress;
use simpa_persistence::accounts;
use simpa_tests::client::PASSWORD;
use simpa_tests::{Backend, TestApp, on_both_backends};

const METRICS_TOKEN: &str = "jeton-des-pannes";

fn registration(email: &str, display_name: &str) -> serde_json::Value {
    json!({"email": email, "password": PASSWORD, "display_name": display_name})
}

fn is_registered(app: &TestApp, email: &str) -> bool {
    let email = EmailAddress::parse(email).expect("e-mail");
    app.second_connection()
        .read(move |conn| accounts::email_taken(conn, &email))
        .expect("read apart")
}

/// The panics the node counted so far.
fn panics_counted(app: &TestApp) -> f64 {
    let scraped = app.get("/metrics", Some(METRICS_TOKEN));
    assert_eq!(scraped.status, 200);
    scraped
        .text
        .lines()
        .find_map(|l| l.strip_prefix("simpa_panics_total "))
        .and_then(|v| v.trim().parse().ok())
        .expect("simpa_panics_total")
}

fn a_panic_inside_a_use_case_loses_nothing_and_the_server_keeps_saving(backend: Backend) {
    let app = TestApp::start_with(backend, &[("SIMPA_METRICS_TOKEN", METRICS_TOKEN)]);
    // The counter is the process's: other tests' panics count too, hence the difference.
    let panics_before = panics_counted(&app);
    // A use case that panics inside its transaction, after writing an account.
    let reply = app.post("/faults/panic-after-writing", None, &json!({}));
    reply.expect_problem(500, "internal");
    assert!(reply.header("x-request-id").is_some());
    assert_eq!(reply.header("retry-after"), None, "a bug is not an outage");
    // A handler that panics.
    let reply = app.get("/faults/panic", None);
    reply.expect_problem(500, "internal");
    assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));

    // Other callers, more at once than the pool has connections (4): every one is saved.
    let emails: Vec<String> = (0..12).map(|i| format!("apres{i}@exemple.org")).collect();
    std::thread::scope(|scope| {
        for email in &emails {
            scope.spawn(|| app.register(email));
        }
    });
    let president = app.new_user("presidente@exemple.org");
    let association = app.create_association(
        &president,
        &simpa_tests::client::association_body(
            "Association d'après la panne",
            &simpa_tests::client::rna(31),
            &simpa_tests::client::siret(31),
        ),
    );
    assert!(!is_registered(&app, LOST_ACCOUNT));
    for email in &emails {
        assert!(is_registered(&app, email), "{email} committed");
    }

    assert!(panics_counted(&app) - panics_before >= 2.0);
    let scraped = app.get("/metrics", Some(METRICS_TOKEN));
    assert!(
        scraped.text.contains(
            r#"simpa_http_requests_total{method="POST",route="/faults/panic-after-writing",status="500"} 1"#
        ),
        "{}",
        scraped.text
    );

    // And after a restart, everything saved is there.
    let app = app.restart();
    for email in &emails {
        app.sign_in(email, PASSWORD).expect(200);
    }
    app.sign_in(LOST_ACCOUNT, PASSWORD)
        .expect_problem(401, "auth.invalid_credentials");
    let signed_in = app.signed_in(president.id.clone(), "presidente@exemple.org");
    app.get(
        &format!("/api/v1/associations/{}", id(&association)),
        Some(&signed_in.access),
    )
    .expect(200);
}

/// A panic in the outbox worker (a bug in sending) ends one round, not the worker: what is
/// queued afterwards is still sent.
fn a_panic_in_the_outbox_worker_leaves_it_sending(backend: Backend) {
    let app = TestApp::start_with(backend, &[("SIMPA_METRICS_TOKEN", METRICS_TOKEN)]);
    let admin = app.admin();
    app.register("deja@exemple.org");
    let panics_before = panics_counted(&app);
    app.post("/faults/panic-in-worker", None, &json!({}))
        .expect(204);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while app.get("/faults/panic-in-worker", None).expect(200)["armed"] == true {
        assert!(
            std::time::Instant::now() < deadline,
            "no round of the worker took the panic"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(panics_counted(&app) > panics_before);
    // Registering a taken address tells its owner by e-mail: the worker must send it.
    app.post(
        "/api/v1/accounts",
        None,
        &registration("deja@exemple.org", "Autre"),
    )
    .expect(202);
    let outbox = app.outbox_settled(&admin, std::time::Duration::from_secs(10));
    let told = outbox
        .iter()
        .find(|m| {
            m["recipient"]
                .as_str()
                .is_some_and(|r| r.contains("deja@exemple.org"))
        })
        .expect("the owner's e-mail");
    assert_eq!(told["status"], "sent", "{told}");
}

/// The probe's trigger: a display name with a line break reached an e-mail header, and the
/// e-mail's queueing panicked inside the submission's transaction.
fn a_line_break_in_a_name_is_refused_and_one_stored_before_breaks_no_e_mail(backend: Backend) {
    let city = City::start(backend);
    let app = &city.app;
    let reply = app.post(
        "/api/v1/accounts",
        None,
        &registration("eve@exemple.org", "Eve\r\nBcc: tous@exemple.org"),
    );
    reply.expect_problem(422, "validation.failed");
    assert_eq!(
        reply.field_errors(),
        vec![(
            "display_name".to_owned(),
            "text.control_character".to_owned()
        )]
    );
    // A name stored before the rule (or by hand) still makes no e-mail panic.
    let campaign = city.campaign(&city.bureau, "PANNE_2027", "central", None);
    let (president, association) = ready_association(app, 32);
    let line_break = match backend {
        Backend::Sqlite => "char(13) || char(10)",
        Backend::Postgres => "chr(13) || chr(10)",
    };
    let changed = app
        .execute_sql(format!(
            "UPDATE accounts SET display_name = 'Eve' || {line_break} || 'Bcc: tous@exemple.org' WHERE id = '{}'",
            president.id
        ))
        .expect("update");
    assert_eq!(changed, 1);
    let draft = create_draft(app, &president, &campaign, &association);
    let submitted = act(app, &president, &id(&draft), json!({"action": "submit"}));
    assert_eq!(submitted.expect(200)["state"], "submitted");
    let outbox = app.outbox_settled(&city.admin, std::time::Duration::from_secs(10));
    let to_president: Vec<&str> = outbox
        .iter()
        .filter_map(|m| m["recipient"].as_str())
        .filter(|r| r.contains("president32@exemple.org"))
        .collect();
    assert!(!to_president.is_empty(), "{outbox:?}");
    for recipient in to_president {
        assert!(!recipient.contains(['\r', '\n']), "{recipient:?}");
    }
}

on_both_backends!(
    a_panic_inside_a_use_case_loses_nothing_and_the_server_keeps_saving,
    a_panic_in_the_outbox_worker_leaves_it_sending,
    a_line_break_in_a_name_is_refused_and_one_stored_before_breaks_no_e_mail,
);
