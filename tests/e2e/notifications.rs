//! E-mail through the transactional outbox, to a real SMTP server on loopback.

use crate::requests::{City, act, create_draft, id, ready_association, submitted};
use serde_json::json;
use simpa_tests::client::PASSWORD;
use simpa_tests::smtp::{Delivery, SmtpSink};
use simpa_tests::{Backend, TestApp, User, on_both_backends};
use std::time::{Duration, Instant};

/// Configuration sending through the sink on `port`, quickly.
fn smtp_vars(port: u16) -> Vec<(&'static str, String)> {
    vec![
        ("SIMPA_SMTP_HOST", "127.0.0.1".into()),
        ("SIMPA_SMTP_PORT", port.to_string()),
        ("SIMPA_SMTP_TLS", "none".into()),
        (
            "SIMPA_MAIL_FROM",
            "Ville de Paris <subventions@ville.test>".into(),
        ),
        (
            "SIMPA_REQUEST_LINK",
            "https://subventions.ville.test/demandes/{id}".into(),
        ),
        ("SIMPA_OUTBOX_POLL_MS", "50".into()),
        ("SIMPA_OUTBOX_FIRST_RETRY_SECONDS", "1".into()),
        ("SIMPA_OUTBOX_LEASE_SECONDS", "2".into()),
    ]
}

fn city_with(backend: Backend, vars: &[(&'static str, String)]) -> City {
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    City::start_with(backend, &vars)
}

/// The subject of the links that verify the addresses of the people a test registers: this
/// file is about other messages.
const VERIFY: &str = "Confirmez votre adresse e-mail";

/// What is no notice about requests: the links verifying addresses, the invitations to join
/// an association (subjects start so).
const NOT_NOTICES: [&str; 2] = [VERIFY, "Vous êtes invité·e à rejoindre une association"];

/// A sink that leaves out what is no notice about requests.
fn notices_sink() -> SmtpSink {
    let sink = SmtpSink::start();
    for subject in NOT_NOTICES {
        sink.ignore_subject(subject);
    }
    sink
}

/// The outbox's messages that are notices about requests.
fn notices(items: Vec<serde_json::Value>) -> Vec<serde_json::Value> {
    items
        .into_iter()
        .filter(|m| {
            let subject = m["subject"].as_str().unwrap_or_default();
            !NOT_NOTICES.iter().any(|n| subject.starts_with(n))
        })
        .collect()
}

fn addressed<'a>(deliveries: &'a [Delivery], email: &str) -> Vec<&'a Delivery> {
    deliveries
        .iter()
        .filter(|d| d.to.iter().any(|t| t == email))
        .collect()
}

fn register_declining_emails(app: &TestApp, email: &str) -> User {
    let account = app.post(
        "/api/v1/accounts",
        None,
        &json!({"email": email, "password": PASSWORD, "display_name": "Bob Trésorier", "request_emails": false}),
    );
    account.expect(202);
    app.verify_address(email);
    app.signed_in_as(email, PASSWORD)
}

fn every_step_reaches_the_association_and_new_work_the_staff(backend: Backend) {
    let sink = notices_sink();
    let city = city_with(backend, &smtp_vars(sink.port()));
    let app = &city.app;
    let campaign = city.campaign(&city.bureau, "ANNUELLE_2027", "central", None);
    let (alice, association) = ready_association(app, 1);
    let bob = register_declining_emails(app, "bob@exemple.org");
    let invitation = app.post(
        &format!("/api/v1/associations/{}/members", id(&association)),
        Some(&alice.access),
        &json!({"email": "bob@exemple.org", "role": "treasurer"}),
    );
    let token = invitation.expect(201)["token"].clone();
    app.post(
        "/api/v1/invitations/accept",
        Some(&bob.access),
        &json!({"token": token}),
    )
    .expect(201);
    let daily = json!({"request_emails": true, "work_emails": "daily"});
    assert_eq!(
        app.put(
            "/api/v1/me/preferences",
            Some(&city.dac.access),
            None,
            &daily
        )
        .expect(200),
        &daily
    );

    let request = id(&create_draft(app, &alice, &campaign, &association));
    act(app, &alice, &request, json!({"action": "submit"})).expect(200);
    let mail = sink.wait_for(2, Duration::from_secs(10));
    let receipt = addressed(&mail, &alice.email);
    assert_eq!(receipt.len(), 1, "{mail:?}");
    let receipt = receipt[0];
    assert_eq!(
        receipt.subject(),
        "Accusé de réception de votre demande — demande 2027_00001"
    );
    assert_eq!(receipt.from, "subventions@ville.test");
    let text = receipt.body("text/plain");
    assert!(
        text.starts_with("Bonjour Test president1@exemple.org,"),
        "{text}"
    );
    assert!(text.contains("Numéro de dossier : 2027_00001"), "{text}");
    assert!(
        text.contains("Montant demandé : 4\u{202f}000\u{a0}€"),
        "{text}"
    );
    assert!(
        text.contains("- Statuts (statuts.pdf)")
            && text.contains("- Relevé d'identité bancaire (RIB) (rib.pdf)"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "https://subventions.ville.test/demandes/{request}"
        )),
        "{text}"
    );
    assert!(
        receipt
            .body("text/html")
            .contains("<strong>2027_00001</strong>")
    );
    assert!(
        receipt.message_id().ends_with("@simpa>"),
        "{}",
        receipt.message_id()
    );
    let work = addressed(&mail, &city.bureau.email);
    assert_eq!(work.len(), 1, "{mail:?}");
    assert_eq!(
        work[0].subject(),
        "Une demande vous attend : 2027_00001 « Ateliers d'écriture »"
    );
    assert!(
        addressed(&mail, "bob@exemple.org").is_empty(),
        "Bob declined e-mails"
    );

    city.admit_and_dispatch(&request, "DAC", &["DJS"]);
    let mail = sink.wait_for(5, Duration::from_secs(10));
    let to_alice: Vec<String> = addressed(&mail, &alice.email)
        .iter()
        .map(|d| d.subject())
        .collect();
    assert_eq!(
        to_alice,
        [
            "Accusé de réception de votre demande — demande 2027_00001",
            "Votre demande est recevable — demande 2027_00001",
            "Votre demande est en instruction — demande 2027_00001",
        ]
    );
    let dispatched = addressed(&mail, &alice.email)[2].body("text/plain");
    assert!(
        dispatched
            .contains("Direction des Affaires Culturelles, Direction de la Jeunesse et des Sports"),
        "{dispatched}"
    );
    assert_eq!(
        addressed(&mail, &city.djs.email).len(),
        1,
        "DJS hears at once"
    );
    assert!(
        addressed(&mail, &city.dac.email).is_empty(),
        "DAC chose a daily digest"
    );

    let report = simpa_api::jobs::daily(&app.services.state).expect("daily jobs");
    assert_eq!(report.digests, 1);
    let mail = sink.wait_for(6, Duration::from_secs(10));
    let digest = addressed(&mail, &city.dac.email);
    assert_eq!(digest.len(), 1, "{mail:?}");
    assert_eq!(digest[0].subject(), "Les demandes qui vous attendent (1)");
    assert!(
        digest[0]
            .body("text/plain")
            .contains("2027_00001 « Ateliers d'écriture »")
    );
    assert_eq!(
        simpa_api::jobs::daily(&app.services.state)
            .expect("daily jobs")
            .digests,
        0,
        "once"
    );

    // Decisions reach the president even when she declined the rest.
    let quiet = json!({"request_emails": false, "work_emails": "immediate"});
    app.put("/api/v1/me/preferences", Some(&alice.access), None, &quiet)
        .expect(200);
    let second = id(&create_draft(app, &alice, &campaign, &association));
    act(app, &alice, &second, json!({"action": "submit"})).expect(200);
    act(app, &city.bureau, &second, json!({"action": "reject_inadmissible", "reason": "Le projet relève d'une autre campagne."})).expect(200);
    let mail = sink.wait_for(8, Duration::from_secs(10));
    let to_alice: Vec<&Delivery> = addressed(&mail, &alice.email);
    assert_eq!(
        to_alice.len(),
        4,
        "no receipt, but the refusal: {:?}",
        to_alice.iter().map(|d| d.subject()).collect::<Vec<_>>()
    );
    assert_eq!(
        to_alice[3].subject(),
        "Votre demande a été refusée — demande 2027_00002"
    );
    assert!(
        to_alice[3]
            .body("text/plain")
            .contains("Motif : Le projet relève d'une autre campagne.")
    );
    assert!(addressed(&mail, "bob@exemple.org").is_empty());

    let statuses = notices(app.outbox_settled(&city.admin, Duration::from_secs(10)));
    assert!(
        statuses
            .iter()
            .all(|m| m["status"] == "sent" && m["attempts"] == 1),
        "{statuses:?}"
    );
    assert_eq!(statuses.len(), mail.len());
    let ids: std::collections::HashSet<String> = mail.iter().map(Delivery::message_id).collect();
    assert_eq!(ids.len(), mail.len(), "one Message-ID per message");
}

fn messages_wait_for_a_server_down_and_go_out_once_it_is_back(backend: Backend) {
    let port = SmtpSink::free_port_for_later();
    let city = city_with(backend, &smtp_vars(port));
    let app = &city.app;
    let campaign = city.campaign(&city.bureau, "ANNUELLE_2027", "central", None);
    let (_, _, _) = submitted(app, 1, &campaign);
    // Nobody listens: both messages are retried, not lost.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let pending = serde_json::Value::from(notices(
            app.get("/api/v1/outbox?status=pending", Some(&city.admin.access))
                .expect(200)["items"]
                .as_array()
                .expect("items")
                .clone(),
        ));
        let tried = pending
            .as_array()
            .expect("items")
            .iter()
            .filter(|m| m["attempts"].as_u64() >= Some(1))
            .count();
        if tried == 2 {
            assert!(
                pending[0]["last_error"]
                    .as_str()
                    .is_some_and(|e| !e.is_empty()),
                "{pending}"
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no failed attempt seen: {pending}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let sink = SmtpSink::start_on(port).expect("the port again");
    for subject in NOT_NOTICES {
        sink.ignore_subject(subject);
    }
    let mail = sink.wait_for(2, Duration::from_secs(15));
    // Settled: every message was accepted before it was marked sent, and nothing is left to
    // send, so what arrived is final.
    let statuses = notices(app.outbox_settled(&city.admin, Duration::from_secs(10)));
    let mail_after = sink.deliveries();
    assert_eq!((mail.len(), mail_after.len()), (2, 2), "every message once");
    assert!(
        statuses
            .iter()
            .all(|m| m["status"] == "sent" && m["attempts"].as_u64() >= Some(2)),
        "{statuses:?}"
    );
}

/// A node stopped while sending: what it had sent is not sent again; the message it was
/// sending arrives, but was not recorded as sent, so the next worker sends it again under the
/// same Message-ID and the receiving side keeps one (at least once, never a new message).
fn a_worker_stopped_mid_batch_sends_nothing_twice(backend: Backend) {
    let sink = notices_sink();
    let mut vars = smtp_vars(sink.port());
    vars.push(("SIMPA_OUTBOX_BATCH", "10".into()));
    let city = city_with(backend, &vars);
    let (admin, bureau) = (city.admin.clone(), city.bureau.clone());
    let campaign = city.campaign(&city.bureau, "ANNUELLE_2027", "central", None);
    let (_, _, request) = submitted(&city.app, 1, &campaign);
    let sent_before: Vec<String> = sink
        .wait_for(2, Duration::from_secs(10))
        .iter()
        .map(Delivery::message_id)
        .collect();
    assert_eq!(sent_before.len(), 2);
    sink.slow_down(Duration::from_millis(1500));
    act(
        &city.app,
        &bureau,
        &request,
        json!({"action": "declare_admissible"}),
    )
    .expect(200);
    let due_on = (chrono::Utc::now() + chrono::Duration::days(20))
        .date_naive()
        .to_string();
    let ask = json!({"action": "ask_documents", "items": [{"field": "budget", "reason": "incorrect"}], "message": "Budget à préciser.", "due_on": due_on});
    act(&city.app, &bureau, &request, ask).expect(200);
    // The worker is in the middle of a slow one when the node stops.
    sink.wait_for_held(Duration::from_secs(10));
    let app = city.app.restart();
    sink.slow_down(Duration::ZERO);
    let statuses = notices(app.outbox_settled(&admin, Duration::from_secs(15)));
    assert!(
        statuses.len() == 4 && statuses.iter().all(|m| m["status"] == "sent"),
        "{statuses:?}"
    );
    let ids: Vec<String> = sink
        .wait_for(4, Duration::from_secs(10))
        .iter()
        .map(Delivery::message_id)
        .collect();
    let distinct: std::collections::HashSet<&String> = ids.iter().collect();
    assert_eq!(distinct.len(), 4, "every message arrived: {ids:?}");
    for id in &sent_before {
        assert_eq!(
            ids.iter().filter(|i| *i == id).count(),
            1,
            "{id} was sent before the stop: {ids:?}"
        );
    }
    // The stopping worker let the send in flight finish (the server accepted it within the
    // grace) and recorded it, then gave the rest back: nothing went twice.
    std::thread::sleep(Duration::from_millis(500));
    let ids: Vec<String> = sink.deliveries().iter().map(Delivery::message_id).collect();
    assert_eq!(ids.len(), 4, "a message went twice: {ids:?}");
}

fn without_smtp_messages_are_written_as_files(backend: Backend) {
    let city = City::start(backend);
    let app = &city.app;
    let campaign = city.campaign(&city.bureau, "ANNUELLE_2027", "central", None);
    submitted(app, 1, &campaign);
    let statuses = notices(app.outbox_settled(&city.admin, Duration::from_secs(10)));
    assert!(
        statuses.iter().all(|m| m["status"] == "sent"),
        "{statuses:?}"
    );
    let files: Vec<std::path::PathBuf> = std::fs::read_dir(app.data_dir().join("mail"))
        .expect("the mail directory")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    let subjects: Vec<String> = files
        .iter()
        .map(|f| {
            let raw = std::fs::read(f).expect("a file");
            use mailparse::MailHeaderMap;
            mailparse::parse_mail(&raw)
                .expect("a message")
                .headers
                .get_first_value("Subject")
                .unwrap_or_default()
        })
        .filter(|s| s != VERIFY)
        .collect();
    assert_eq!(subjects.len(), 2, "{subjects:?}");
    assert!(
        subjects
            .iter()
            .any(|s| s == "Accusé de réception de votre demande — demande 2027_00001"),
        "{subjects:?}"
    );
}

fn undeliverable_messages_are_given_up_and_shown_to_admins(backend: Backend) {
    let sink = notices_sink();
    let city = city_with(backend, &smtp_vars(sink.port()));
    let app = &city.app;
    let campaign = city.campaign(&city.bureau, "ANNUELLE_2027", "central", None);
    let refused = app.new_user("refused@exemple.org");
    let association = app.create_association(
        &refused,
        &simpa_tests::client::association_body(
            "Association refusée",
            &simpa_tests::client::rna(9),
            &simpa_tests::client::siret(9),
        ),
    );
    simpa_tests::documents::file_everything(app, &refused, &association, "refusée");
    let request = id(&create_draft(app, &refused, &campaign, &association));
    act(app, &refused, &request, json!({"action": "submit"})).expect(200);
    let statuses = notices(app.outbox_settled(&city.admin, Duration::from_secs(10)));
    let failed = app.get("/api/v1/outbox?status=failed", Some(&city.admin.access));
    let failed = notices(
        failed.expect(200)["items"]
            .as_array()
            .expect("items")
            .clone(),
    );
    assert_eq!(failed.len(), 1, "{statuses:?}");
    assert!(
        failed[0]["recipient"]
            .as_str()
            .is_some_and(|r| r.contains("refused@exemple.org"))
    );
    assert!(
        failed[0]["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("550")),
        "{}",
        failed[0]
    );
    assert_eq!(
        failed[0]["attempts"], 1,
        "a permanent refusal is not retried"
    );
    assert_eq!(
        sink.wait_for(1, Duration::from_secs(5)).len(),
        1,
        "the bureau's still went out"
    );
    app.get("/api/v1/outbox", Some(&refused.access))
        .expect_problem(403, "access.forbidden");
    app.get("/api/v1/outbox", Some(&city.bureau.access))
        .expect_problem(403, "access.forbidden");
    app.get("/api/v1/outbox", None)
        .expect_problem(401, "auth.required");
}

fn reminders_go_out_once_for_expiring_documents_and_waiting_requests(backend: Backend) {
    let sink = notices_sink();
    let city = city_with(backend, &smtp_vars(sink.port()));
    let app = &city.app;
    let campaign = city.campaign(&city.bureau, "ANNUELLE_2027", "central", None);
    let (alice, association, request) = submitted(app, 1, &campaign);
    let today = app.today();
    let until = (today + chrono::Days::new(20)).to_string();
    simpa_tests::documents::file(
        app,
        Some(&alice),
        &association,
        &[("kind", "attestation_assurance"), ("valid_until", &until)],
        Some(("assurance.pdf", simpa_tests::documents::pdf("assurance"))),
    )
    .expect(201);
    let due_on = (today + chrono::Days::new(30)).to_string();
    let ask = json!({"action": "ask_documents", "items": [{"document_kind": "rib", "reason": "outdated"}], "message": "RIB à jour.", "due_on": due_on});
    act(app, &city.bureau, &request, ask).expect(200);
    app.outbox_settled(&city.admin, Duration::from_secs(10));
    let before = sink.deliveries().len();
    // The request for documents names them, why, and the day, as people write it.
    let asked = sink.deliveries();
    let asked = addressed(&asked, &alice.email)
        .into_iter()
        .find(|m| m.subject().starts_with("Pièces ou informations demandées"))
        .map(|m| m.body("text/plain"))
        .expect("the request for documents");
    let due = simpa_domain::french::long_french_date(today + chrono::Days::new(30));
    assert!(
        asked.contains("Relevé d'identité bancaire (RIB)")
            && asked.contains("périmé")
            && asked.contains(&format!("avant le {due}")),
        "{asked}"
    );

    let state = &app.services.state;
    let first = simpa_api::jobs::daily(state).expect("daily jobs");
    assert_eq!(
        (first.reminders.documents, first.reminders.requests),
        (1, 0)
    );
    app.clock.advance(chrono::Duration::days(16));
    let second = simpa_api::jobs::daily(state).expect("daily jobs");
    assert_eq!(
        (second.reminders.documents, second.reminders.requests),
        (0, 1),
        "the document was recalled already"
    );
    let third = simpa_api::jobs::daily(state).expect("daily jobs");
    assert_eq!(
        (third.reminders.documents, third.reminders.requests),
        (0, 0),
        "never twice"
    );

    let mail = sink.wait_for(before + 2, Duration::from_secs(10));
    let reminders: Vec<String> = mail[before..].iter().map(Delivery::subject).collect();
    assert_eq!(
        reminders,
        [
            "Une pièce de votre association expire bientôt : Attestation d'assurance",
            "Votre demande attend toujours des pièces — demande 2027_00001",
        ]
    );
    let expiring = mail[before].body("text/plain");
    // The last valid day, as filed.
    let last_valid_day = simpa_domain::french::long_french_date(today + chrono::Days::new(20));
    assert!(
        expiring.contains(&format!("est valable jusqu'au {last_valid_day}.")),
        "{expiring}"
    );
    // It leads to the association's documents, and says where to choose one's e-mails.
    assert!(
        expiring.contains(&format!("/associations/{}/documents", id(&association))),
        "{expiring}"
    );
    assert!(expiring.contains("/compte/preferences"), "{expiring}");
    assert!(mail[before..].iter().all(|d| d.to == [alice.email.clone()]));
}

fn people_choose_what_they_hear(backend: Backend) {
    let app = TestApp::start(backend);
    let alice = app.new_user("alice@exemple.org");
    let defaults = app.get("/api/v1/me/preferences", Some(&alice.access));
    assert_eq!(
        defaults.expect(200),
        &json!({"request_emails": true, "work_emails": "immediate"})
    );
    let quiet = json!({"request_emails": false, "work_emails": "none"});
    app.put("/api/v1/me/preferences", Some(&alice.access), None, &quiet)
        .expect(200);
    assert_eq!(
        app.get("/api/v1/me/preferences", Some(&alice.access))
            .expect(200),
        &quiet
    );
    let weekly = app.put(
        "/api/v1/me/preferences",
        Some(&alice.access),
        None,
        &json!({"request_emails": true, "work_emails": "weekly"}),
    );
    assert_eq!(
        weekly.field_errors(),
        [("work_emails".to_owned(), "field.unknown_value".to_owned())]
    );
    app.get("/api/v1/me/preferences", None)
        .expect_problem(401, "auth.required");
}

fn a_deactivated_account_gets_no_digest(backend: Backend) {
    let sink = notices_sink();
    let city = city_with(backend, &smtp_vars(sink.port()));
    let app = &city.app;
    let daily = json!({"request_emails": true, "work_emails": "daily"});
    app.put(
        "/api/v1/me/preferences",
        Some(&city.dac.access),
        None,
        &daily,
    )
    .expect(200);
    let campaign = city.campaign(&city.bureau, "ANNUELLE_2027", "central", None);
    let (_, _, request) = submitted(app, 1, &campaign);
    city.admit_and_dispatch(&request, "DAC", &[]);
    app.post(
        &format!("/api/v1/accounts/{}/deactivate", city.dac.id),
        Some(&city.admin.access),
        &json!({}),
    )
    .expect(200);
    let report = simpa_api::jobs::daily(&app.services.state).expect("daily jobs");
    assert_eq!(report.digests, 0, "nobody active waits for one");
    let statuses = notices(app.outbox_settled(&city.admin, Duration::from_secs(10)));
    assert!(
        statuses.iter().all(|m| !m["recipient"]
            .as_str()
            .is_some_and(|r| r.contains(&city.dac.email))),
        "{statuses:?}"
    );
    assert!(addressed(&sink.deliveries(), &city.dac.email).is_empty());
}

on_both_backends!(
    a_deactivated_account_gets_no_digest,
    every_step_reaches_the_association_and_new_work_the_staff,
    messages_wait_for_a_server_down_and_go_out_once_it_is_back,
    a_worker_stopped_mid_batch_sends_nothing_twice,
    without_smtp_messages_are_written_as_files,
    undeliverable_messages_are_given_up_and_shown_to_admins,
    people_choose_what_they_hear,
    reminders_go_out_once_for_expiring_documents_and_waiting_requests,
);
