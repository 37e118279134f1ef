//! Every outcome told, to the right people, through a real SMTP server: a document rejected,
//! the request put to the vote, the grant and why it needs an agreement, the agreement to sign
//! and signed by the city, each payment, the final report filed (to its reviewers) and
//! accepted, the file closed.

use crate::grants::{carried_out, grant_path, granted_today, submit_asking};
use crate::requests::{City, campaign_body, path, ready_association};
use serde_json::{Value, json};
use simpa_tests::smtp::{Delivery, SmtpSink};
use simpa_tests::{Backend, TestApp, User, on_both_backends};
use std::time::Duration;

on_both_backends!(
    every_outcome_of_a_grant_is_told_to_whom_it_concerns,
    reminders_recall_agreements_late_steps_and_final_reports_once_each,
);

/// What `to` received whose subject starts with `subject`, waiting a little for it.
fn received(sink: &SmtpSink, to: &str, subject: &str) -> Vec<Delivery> {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let found: Vec<Delivery> = sink
            .deliveries()
            .into_iter()
            .filter(|d| d.to.iter().any(|t| t == to) && d.subject().starts_with(subject))
            .collect();
        if !found.is_empty() || std::time::Instant::now() > deadline {
            return found;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Whether `to` received nothing whose subject starts with `subject`, once the outbox sent
/// everything queued.
fn nothing_like(city: &City, sink: &SmtpSink, to: &str, subject: &str) -> bool {
    city.app
        .outbox_settled(&city.admin, Duration::from_secs(10));
    !sink
        .deliveries()
        .iter()
        .any(|d| d.to.iter().any(|t| t == to) && d.subject().starts_with(subject))
}

/// The plain text of the one e-mail `to` received with this subject.
fn told(sink: &SmtpSink, to: &str, subject: &str) -> String {
    let found = received(sink, to, subject);
    assert_eq!(
        found.len(),
        1,
        "one e-mail « {subject} » to {to}: {found:?}"
    );
    found[0].body("text/plain")
}

/// Signs the agreement at `agreement` (`what`: `sign` or `countersign`) as `user`, on the
/// version read: the answer's status.
fn sign(app: &TestApp, user: &User, agreement: &str, what: &str) -> u16 {
    let tag = app
        .get(agreement, Some(&user.access))
        .header("etag")
        .expect("an ETag")
        .to_owned();
    let sent = app.send(
        app.request(reqwest::Method::POST, &format!("{agreement}/{what}"))
            .bearer_auth(&user.access)
            .header("If-Match", tag)
            .json(&json!({})),
    );
    sent.status
}

/// A city whose e-mails reach `sink`.
fn city_mailing_to(backend: Backend, sink: &SmtpSink) -> City {
    let port = sink.port().to_string();
    City::start_with(
        backend,
        &[
            ("SIMPA_SMTP_HOST", "127.0.0.1"),
            ("SIMPA_SMTP_PORT", &port),
            ("SIMPA_SMTP_TLS", "none"),
            ("SIMPA_MAIL_FROM", "Ville <subventions@ville.test>"),
            ("SIMPA_OUTBOX_POLL_MS", "50"),
        ],
    )
}

fn every_outcome_of_a_grant_is_told_to_whom_it_concerns(backend: Backend) {
    let sink = SmtpSink::start();
    let city = city_mailing_to(backend, &sink);
    let app = &city.app;
    let finance = app.staff(
        &city.admin,
        "finance@ville.test",
        json!({"kind": "finance"}),
    );
    let campaign = crate::grants::published_campaign(
        &city,
        campaign_body(app, "ANNUELLE_2027", "central", None),
    );
    let (president, association) = ready_association(app, 1);
    let request = submit_asking(app, &president, &association, &campaign, 3_000_000, None);
    let association = association["id"].as_str().expect("id").to_owned();
    let me = president.email.as_str();

    // A document rejected: what, why, and where to file another.
    let documents = format!("/api/v1/associations/{association}/documents");
    let statutes = app.get(&documents, Some(&president.access)).expect(200)["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|v| v["kind"] == "statuts")
        .map(|v| v["id"].as_str().expect("id").to_owned())
        .expect("statutes");
    app.post(
        &format!("{documents}/{statutes}/review"),
        Some(&city.bureau.access),
        &json!({"decision": "rejected", "reason": "Les statuts ne sont pas signés."}),
    )
    .expect(200);
    let text = told(
        &sink,
        me,
        "Un document de votre association est refusé : Statuts",
    );
    assert!(text.contains("Les statuts ne sont pas signés."), "{text}");
    assert!(
        text.contains(&format!("/associations/{association}/documents")),
        "{text}"
    );

    // Put to the vote (with the session's day), granted: 30,000 € needs an agreement, said why;
    // then the agreement to sign, to the president.
    granted_today(&city, "2027 DAC 1", &[(&request, 3_000_000)]);
    let text = told(&sink, me, "Votre demande est soumise au vote");
    assert!(text.contains("en séance du"), "{text}");
    let text = told(&sink, me, "Votre subvention est accordée");
    assert!(
        text.contains("la subvention (30\u{202f}000\u{a0}€) dépasse 23\u{202f}000\u{a0}€"),
        "{text}"
    );
    assert!(!text.contains("Au-delà de 23 000 €"), "{text}");
    let text = told(&sink, me, "Une convention attend la signature");
    assert!(
        text.contains(&format!("/demandes/{request}/convention")),
        "{text}"
    );

    // Signed by the president, then by the city: the association hears the city signed.
    let grant = app.get(&grant_path(&request), Some(&president.access));
    let agreement = grant.expect(200)["agreement"]["id"]
        .as_str()
        .expect("an agreement")
        .to_owned();
    let agreement = format!("/api/v1/agreements/{agreement}");
    assert_eq!(sign(app, &president, &agreement, "sign"), 200);
    assert!(nothing_like(&city, &sink, me, "La convention est signée"));
    assert_eq!(sign(app, &city.bureau, &agreement, "countersign"), 200);
    told(&sink, me, "La convention est signée par la Ville");

    // Each payment: how much, when, its reference, what is left.
    let today = app.today();
    let pay = |cents: i64, reference: &str| {
        app.post(
            &format!("{}/payments", grant_path(&request)),
            Some(&finance.access),
            &json!({"amount_cents": cents, "paid_on": today, "reference": reference}),
        )
    };
    pay(3_000_000, "MDT-1").expect(201);
    let text = told(&sink, me, "Un versement de votre subvention est enregistré");
    assert!(
        text.contains("30\u{202f}000\u{a0}€") && text.contains("MDT-1"),
        "{text}"
    );
    assert!(text.contains("entièrement versée"), "{text}");

    // The final report, filed: its reviewer (the lead direction) hears of it; accepted: the
    // association does; the file closes on it, and the association is told that too.
    let report = json!({
        "budget": carried_out(3_000_000),
        "indicators": [{"name": "Jeunes accompagnés", "achieved": 72}],
        "summary": "Ateliers d'écriture chaque mercredi au centre social.",
        "beneficiaries_reached": 72,
        "annex": "Un troisième animateur a été recruté en septembre."
    });
    let report_path = format!("{}/final-report", path(&request));
    app.put(&report_path, Some(&president.access), None, &report)
        .expect(200);
    let text = told(
        &sink,
        "dac@ville.test",
        "Un compte rendu financier attend votre examen",
    );
    assert!(
        text.contains("Association 1 a déposé le compte rendu financier"),
        "{text}"
    );
    assert!(nothing_like(
        &city,
        &sink,
        "bureau@ville.test",
        "Un compte rendu financier"
    ));
    app.post(
        &format!("{report_path}/accept"),
        Some(&city.dac.access),
        &json!({}),
    )
    .expect(200);
    told(&sink, me, "Votre compte rendu financier est accepté");
    let text = told(&sink, me, "Votre dossier est clos");
    assert!(text.contains("entièrement versée"), "{text}");
    let state: Value = app
        .get(&path(&request), Some(&president.access))
        .expect(200)["state"]
        .clone();
    assert_eq!(state, "closed");
}

fn reminders_recall_agreements_late_steps_and_final_reports_once_each(backend: Backend) {
    let sink = SmtpSink::start();
    let city = city_mailing_to(backend, &sink);
    let app = &city.app;
    let campaign = crate::grants::published_campaign(
        &city,
        campaign_body(app, "ANNUELLE_2027", "central", None),
    );
    // A: granted 30,000 €, its agreement drawn up today. B: submitted, with the bureau.
    let (president, association) = ready_association(app, 1);
    let granted = submit_asking(app, &president, &association, &campaign, 3_000_000, None);
    granted_today(&city, "2027 DAC 2", &[(&granted, 3_000_000)]);
    let (_, _, waiting) = crate::requests::submitted(app, 2, &campaign);
    let number = app
        .get(&path(&waiting), Some(&city.bureau.access))
        .expect(200)["number"]
        .as_str()
        .expect("number")
        .to_owned();
    let daily = || {
        simpa_api::jobs::daily(&app.services.state)
            .expect("daily jobs")
            .reminders
    };
    let me = president.email.as_str();

    let first = daily();
    assert_eq!((first.agreements, first.late, first.reports), (0, 0, 0));

    // Sixteen days on: the agreement waits for its president; B is past its 15 days.
    app.clock.advance(chrono::TimeDelta::days(16));
    let later = daily();
    assert_eq!((later.agreements, later.late, later.reports), (1, 1, 0));
    let text = told(
        &sink,
        me,
        "Une convention attend toujours une signature : Association 1",
    );
    assert!(
        text.contains("la signature du président ou de la présidente"),
        "{text}"
    );
    let text = told(
        &sink,
        "bureau@ville.test",
        "Des demandes qui vous attendent ont dépassé leur délai (1)",
    );
    assert!(text.contains(&number), "{text}");
    let again = daily();
    assert_eq!(
        (again.agreements, again.late),
        (0, 0),
        "never twice for the same fact"
    );

    // Signed by the president: a week on, the city's signature is recalled to the bureau.
    let grant = app.get(&grant_path(&granted), Some(&president.access));
    let agreement = format!(
        "/api/v1/agreements/{}",
        grant.expect(200)["agreement"]["id"]
            .as_str()
            .expect("an agreement")
    );
    assert_eq!(sign(app, &president, &agreement, "sign"), 200);
    app.clock.advance(chrono::TimeDelta::days(8));
    let city_side = daily();
    assert_eq!((city_side.agreements, city_side.late), (1, 0));
    let text = told(
        &sink,
        "bureau@ville.test",
        "Une convention attend toujours une signature",
    );
    assert!(text.contains("attend la signature de la Ville"), "{text}");
    assert_eq!(sign(app, &city.bureau, &agreement, "countersign"), 200);

    // The final report: a month before its day, on its day; filed, it is recalled no more.
    let due_on = chrono::NaiveDate::parse_from_str(
        app.get(&grant_path(&granted), Some(&president.access))
            .expect(200)["final_report_due_on"]
            .as_str()
            .expect("a day"),
        "%Y-%m-%d",
    )
    .expect("a date");
    let to_soon = (due_on - app.today()).num_days() - 10;
    app.clock.advance(chrono::TimeDelta::days(to_soon));
    let soon = daily();
    assert_eq!((soon.reports, soon.agreements), (1, 0));
    let text = told(&sink, me, "Votre compte rendu financier est attendu");
    assert!(text.contains("est attendu d'ici le 30 juin"), "{text}");
    assert!(
        text.contains(&format!("/demandes/{granted}/compte-rendu")),
        "{text}"
    );
    assert_eq!(daily().reports, 0, "once a month before");
    app.clock.advance(chrono::TimeDelta::days(10));
    assert_eq!(daily().reports, 1, "on its day");
    let report = json!({
        "budget": carried_out(3_000_000),
        "indicators": [{"name": "Jeunes accompagnés", "achieved": 72}],
        "summary": "Ateliers d'écriture chaque mercredi.",
        "beneficiaries_reached": 72,
        "annex": "Un troisième animateur a été recruté."
    });
    app.put(
        &format!("{}/final-report", path(&granted)),
        Some(&president.access),
        None,
        &report,
    )
    .expect(200);
    app.clock.advance(chrono::TimeDelta::days(1));
    assert_eq!(daily().reports, 0, "filed: no reminder of it late");
}
