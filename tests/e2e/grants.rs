//! What follows a vote, over HTTP, on both databases: the grant and its schedule, the
//! agreement required above 23,000 € (its text as HTML and PDF, its signatures), payments
//! never beyond what is due, and the worklist of payments due with the days late.

use crate::requests::{City, act, draft_body, id, opinion, path, ready_association};
use chrono::{NaiveDate, TimeDelta};
use serde_json::{Value, json};
use simpa_domain::money::euros;
use simpa_tests::{Backend, TestApp, User, on_both_backends};

/// A submitted request of a new association asking for `requested` cents, its budget
/// balanced around it.
fn submitted_asking(app: &TestApp, n: u32, campaign: &Value, requested: i64) -> (User, String) {
    let (president, association) = ready_association(app, n);
    let mut body = draft_body(campaign, &association);
    body["requested_cents"] = json!(requested);
    body["budget"][0]["amount_cents"] = json!(requested + 200_000);
    body["budget"][3]["amount_cents"] = json!(requested);
    let draft = app.post("/api/v1/requests", Some(&president.access), &body);
    let request = id(draft.expect(201));
    act(app, &president, &request, json!({"action": "submit"})).expect(200);
    (president, request)
}

fn grant_path(request: &str) -> String {
    format!("{}/grant", path(request))
}

fn date(value: &Value) -> NaiveDate {
    value
        .as_str()
        .and_then(|d| d.parse().ok())
        .unwrap_or_else(|| panic!("a date: {value}"))
}

fn etag(app: &TestApp, user: &User, path: &str) -> String {
    app.get(path, Some(&user.access))
        .header("etag")
        .expect("ETag")
        .to_owned()
}

/// The text a PDF reader finds in `bytes` (poppler's pdftotext).
fn pdf_text(bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().expect("temporary directory");
    let file = dir.path().join("agreement.pdf");
    std::fs::write(&file, bytes).expect("PDF written");
    let out = std::process::Command::new("pdftotext")
        .arg(&file)
        .arg("-")
        .output()
        .expect("pdftotext runs (Debian's poppler-utils; `make test` installs it)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 text")
}

fn a_grant_above_23000_euros_waits_for_its_agreement_and_payments_never_exceed_what_is_due(
    backend: Backend,
) {
    let city = City::start(backend);
    let app = &city.app;
    let bureau = &city.bureau;
    let finance = app.staff(
        &city.admin,
        "finance@ville.test",
        json!({"kind": "finance"}),
    );
    let campaign = city.campaign(bureau, "ANNUELLE_2027", "central", None);
    // 30,000 € needs an agreement; 4,000 € does not.
    let (president_big, big) = submitted_asking(app, 1, &campaign, 3_000_000);
    let (president_small, small) = submitted_asking(app, 2, &campaign, 400_000);
    for (request, cents) in [(&big, 3_000_000), (&small, 400_000)] {
        city.admit_and_dispatch(request, "DAC", &[]);
        act(app, &city.dac, request, opinion("favourable", cents)).expect(200);
    }
    // Before any vote there is no grant.
    app.get(&grant_path(&small), Some(&president_small.access))
        .expect_problem(404, "grant.not_found");

    let deliberation = app.post(
        "/api/v1/deliberations",
        Some(&bureau.access),
        &json!({"reference": "2027 DAC 40", "council": "conseil_de_paris",
                "session_on": "2027-02-10", "title": "Subventions à deux associations"}),
    );
    let base = format!("/api/v1/deliberations/{}", id(deliberation.expect(201)));
    for request in [&big, &small] {
        app.post(
            &format!("{base}/lines"),
            Some(&bureau.access),
            &json!({"request_id": request}),
        )
        .expect(200);
    }
    let today = chrono::Utc::now().date_naive();
    app.post(
        &format!("{base}/vote"),
        Some(&bureau.access),
        &json!({"outcome": "adopted", "voted_on": today}),
    )
    .expect(200);

    // Under the threshold: one payment on notification, due 60 days later.
    let grant = app.get(&grant_path(&small), Some(&president_small.access));
    let grant = grant.expect(200).clone();
    assert_eq!(grant["granted_cents"], 400_000);
    assert_eq!(grant["agreement_required"], false);
    assert_eq!(grant["agreement"], Value::Null);
    assert_eq!(grant["deliberation"]["reference"], "2027 DAC 40");
    assert_eq!(
        grant["installments"],
        json!([{"position": 1, "cents": 400_000, "due": "on_notification", "due_label": "À la notification"}])
    );
    assert_eq!(grant["payable_cents"], 400_000);
    assert_eq!(grant["owed_cents"], 400_000);
    let notified_on = date(&grant["notified_on"]);
    assert_eq!(date(&grant["due_on"]), notified_on + TimeDelta::days(60));
    assert_eq!(grant["days_late"], 0);
    // The budget year 2027 ends on 31 December: the final report is due on 30 June 2028.
    assert_eq!(grant["final_report_due_on"], "2028-06-30");

    // Who reads a grant: the association, the staff who read the request, finance.
    for reader in [&city.dac, bureau, &finance] {
        let read = app.get(&grant_path(&small), Some(&reader.access));
        assert_eq!(read.expect(200)["request_id"], json!(small));
    }
    for outsider in [&president_big, &city.djs] {
        app.get(&grant_path(&small), Some(&outsider.access))
            .expect_problem(404, "grant.not_found");
    }
    app.get(
        &grant_path(&uuid::Uuid::nil().to_string()),
        Some(&finance.access),
    )
    .expect_problem(404, "grant.not_found");
    app.get(&grant_path(&small), None)
        .expect_problem(401, "auth.required");

    // Finance records payments; nobody else does.
    let pay = |user: &User, request: &str, cents: i64, paid_on: NaiveDate, reference: &str| {
        app.post(
            &format!("{}/payments", grant_path(request)),
            Some(&user.access),
            &json!({"amount_cents": cents, "paid_on": paid_on, "reference": reference}),
        )
    };
    for user in [bureau, &president_small, &city.dac] {
        pay(user, &small, 100_000, notified_on, "MDT-1").expect_problem(403, "access.forbidden");
    }
    let invalid = pay(&finance, &small, 0, notified_on + TimeDelta::days(400), " ");
    invalid.expect_problem(422, "validation.failed");
    let mut fields = invalid.field_errors();
    fields.sort();
    assert_eq!(
        fields,
        [
            ("paid_on".to_owned(), "payment.paid_on".to_owned()),
            ("reference".to_owned(), "text.required".to_owned()),
        ]
    );
    pay(&finance, &small, 0, notified_on, "MDT-1").expect_problem(422, "validation.failed");
    let paid = pay(&finance, &small, 150_000, notified_on, "MDT-2027-0001");
    let paid = paid.expect(201).clone();
    assert_eq!(paid["paid_cents"], 150_000);
    assert_eq!(paid["owed_cents"], 250_000);
    assert_eq!(paid["payments"][0]["reference"], "MDT-2027-0001");
    let over = pay(&finance, &small, 250_001, notified_on, "MDT-2027-0002");
    let over = over.expect_problem(409, "payment.exceeds_grant");
    assert!(
        over["detail"]
            .as_str()
            .is_some_and(|d| d.contains(&euros(250_000))),
        "{over}"
    );
    // A schedule changes no more once something is paid.
    let tag = etag(app, &finance, &grant_path(&small));
    app.put(
        &format!("{}/schedule", grant_path(&small)),
        Some(&finance.access),
        Some(&tag),
        &json!({"installments": [{"cents": 400_000, "due": "on_notification"}]}),
    )
    .expect_problem(409, "schedule.locked");
    // The association sees its payment.
    let seen = app.get(&grant_path(&small), Some(&president_small.access));
    assert_eq!(seen.expect(200)["payments"][0]["cents"], 150_000);

    // Above the threshold: an agreement drafted from the template, nothing payable yet.
    let grant = app.get(&grant_path(&big), Some(&president_big.access));
    let grant = grant.expect(200).clone();
    assert_eq!(grant["agreement_required"], true);
    assert_eq!(grant["agreement"]["status"], "drafted");
    assert_eq!(grant["payable_cents"], 0);
    assert_eq!(grant["due_on"], Value::Null);
    let agreement_path = format!(
        "/api/v1/agreements/{}",
        grant["agreement"]["id"].as_str().expect("id")
    );
    pay(&finance, &big, 100_000, notified_on, "MDT-3")
        .expect_problem(409, "payment.agreement_unsigned");

    // Finance splits it: 20,000 € on notification, the 10,000 € balance after the final
    // report. A schedule that does not add up is refused.
    let schedule_path = format!("{}/schedule", grant_path(&big));
    let tag = etag(app, &finance, &grant_path(&big));
    let wrong = app.put(
        &schedule_path,
        Some(&finance.access),
        Some(&tag),
        &json!({"installments": [{"cents": 2_000_000, "due": "on_notification"}, {"cents": 999_999, "due": "after_final_report"}]}),
    );
    wrong.expect_problem(422, "validation.failed");
    assert_eq!(
        wrong.field_errors(),
        [("installments".to_owned(), "schedule.total".to_owned())]
    );
    let split = json!({"installments": [{"cents": 2_000_000, "due": "on_notification"}, {"cents": 1_000_000, "due": "after_final_report"}]});
    app.put(&schedule_path, Some(&bureau.access), Some(&tag), &split)
        .expect_problem(403, "access.forbidden");
    let scheduled = app.put(&schedule_path, Some(&finance.access), Some(&tag), &split);
    assert_eq!(
        scheduled.expect(200)["installments"][1]["due"],
        "after_final_report"
    );
    app.put(&schedule_path, Some(&finance.access), Some(&tag), &split)
        .expect_problem(412, "version.stale");

    // The bureau makes it a two-year agreement paid within 30 days; bad terms are refused.
    let agreement_tag = etag(app, bureau, &agreement_path);
    let refused = app.put(
        &agreement_path,
        Some(&bureau.access),
        Some(&agreement_tag),
        &json!({"object": "", "years": [{"year": 2027, "cents": 2_500_000}, {"year": 2029, "cents": 100}], "payment_days": 0}),
    );
    refused.expect_problem(422, "validation.failed");
    let mut fields = refused.field_errors();
    fields.sort();
    assert_eq!(
        fields,
        [
            ("object", "text.required"),
            ("payment_days", "agreement.payment_days"),
            ("years[0].cents", "agreement.first_year_amount"),
            ("years[1].year", "agreement.years_consecutive"),
        ]
        .map(|(f, c)| (f.to_owned(), c.to_owned()))
    );
    let terms = json!({
        "object": "Ateliers d'écriture pour 80 jeunes du 11e arrondissement, en 2027 et 2028.",
        "years": [{"year": 2027, "cents": 3_000_000}, {"year": 2028, "cents": 3_200_000}],
        "payment_days": 30
    });
    app.put(
        &agreement_path,
        Some(&city.dac.access),
        Some(&agreement_tag),
        &terms,
    )
    .expect_problem(403, "access.forbidden");
    let edited = app.put(
        &agreement_path,
        Some(&bureau.access),
        Some(&agreement_tag),
        &terms,
    );
    let edited = edited.expect(200).clone();
    assert_eq!(edited["total_cents"], 6_200_000);
    assert_eq!(edited["grants"][0]["request_id"], json!(big));

    // Its text, as a page and as a PDF a reader opens.
    let (status, headers, html) = app.download(
        &format!("{agreement_path}/document.html"),
        Some(&president_big.access),
        &[],
    );
    assert_eq!(status, 200);
    assert!(
        headers["content-type"]
            .to_str()
            .is_ok_and(|t| t.starts_with("text/html"))
    );
    let html = String::from_utf8(html).expect("UTF-8");
    // The template escapes what it is given; a browser shows the text unescaped.
    assert!(
        html.contains("Ateliers d&#x27;écriture pour 80 jeunes"),
        "{html}"
    );
    let shown = html.replace("&#x27;", "'").replace("&#x2f;", "/");
    for expected in [
        "Association 1".to_owned(),
        format!("subvention de {} pour l'année 2027", euros(3_000_000)),
        format!("soit {} au total", euros(6_200_000)),
        format!("Versement 2 : {}, après acceptation", euros(1_000_000)),
        "dans les 30 jours".to_owned(),
        "au plus tard le 30/06/2028".to_owned(),
        "Non signée.".to_owned(),
    ] {
        assert!(shown.contains(&expected), "{expected} not in {html}");
    }
    let (status, headers, pdf) = app.download(
        &format!("{agreement_path}/document.pdf"),
        Some(&bureau.access),
        &[],
    );
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "application/pdf");
    let text = pdf_text(&pdf);
    // Accents, dashes, apostrophes and the euro sign survive; amounts keep their digits
    // together.
    for expected in [
        "Convention d'objectifs",
        "Article 6 — Reversement",
        "délibération 2027 DAC 40",
        "Ateliers d'écriture pour 80 jeunes",
        "30 000 €",
    ] {
        assert!(
            text.replace('\u{a0}', " ").contains(expected),
            "{expected} not in {text}"
        );
    }
    assert_eq!(
        app.download(
            &format!("{agreement_path}/document.doc"),
            Some(&bureau.access),
            &[]
        )
        .0,
        404
    );
    app.get(&agreement_path, Some(&president_small.access))
        .expect_problem(404, "agreement.not_found");

    // The association's president signs, then the city; in that order only.
    let sign = |user: &User, what: &str| {
        app.post(
            &format!("{agreement_path}/{what}"),
            Some(&user.access),
            &json!({}),
        )
    };
    sign(bureau, "countersign").expect_problem(409, "agreement.association_signature_missing");
    sign(bureau, "sign").expect_problem(403, "access.forbidden");
    sign(&president_small, "sign").expect_problem(404, "agreement.not_found");
    let signed = sign(&president_big, "sign");
    let signed = signed.expect(200).clone();
    assert_eq!(signed["status"], "signed_by_association");
    assert!(signed["association_signature"]["name"].is_string());
    sign(&president_big, "sign").expect_problem(409, "agreement.already_signed");
    sign(&president_big, "countersign").expect_problem(403, "access.forbidden");
    app.put(
        &agreement_path,
        Some(&bureau.access),
        Some(&etag(app, bureau, &agreement_path)),
        &terms,
    )
    .expect_problem(409, "agreement.signed");
    app.put(
        &schedule_path,
        Some(&finance.access),
        Some(&etag(app, &finance, &grant_path(&big))),
        &split,
    )
    .expect_problem(409, "schedule.locked");
    pay(&finance, &big, 100_000, notified_on, "MDT-4")
        .expect_problem(409, "payment.agreement_unsigned");
    let countersigned = sign(bureau, "countersign");
    assert_eq!(countersigned.expect(200)["status"], "signed");
    let listed = app.get("/api/v1/agreements?status=signed", Some(&bureau.access));
    assert_eq!(listed.expect(200)["items"][0]["id"], signed["id"]);
    app.get("/api/v1/agreements?status=signed", Some(&finance.access))
        .expect_problem(403, "access.forbidden");
    let text = pdf_text(
        &app.download(
            &format!("{agreement_path}/document.pdf"),
            Some(&president_big.access),
            &[],
        )
        .2,
    );
    assert!(
        text.contains("Pour l'association") && text.contains("Pour la Ville de Paris"),
        "{text}"
    );

    // Signed: the advance is due within the agreement's 30 days; the balance waits for the
    // final report.
    let grant = app.get(&grant_path(&big), Some(&finance.access));
    let grant = grant.expect(200).clone();
    assert_eq!(grant["payable_cents"], 2_000_000);
    assert_eq!(
        date(&grant["due_on"]),
        date(&grant["notified_on"]).max(today) + TimeDelta::days(30)
    );
    pay(&finance, &big, 2_000_000, notified_on, "MDT-5").expect(201);
    let balance = pay(&finance, &big, 1, notified_on, "MDT-6");
    balance.expect_problem(409, "payment.not_due");

    // The worklist of payments due: the small grant still owes 2,500 €; overdue after 60
    // days, with the days late.
    let due = app.get("/api/v1/payments/due", Some(&finance.access));
    let due = due.expect(200)["items"].as_array().expect("items").clone();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0]["request_id"], json!(small));
    assert_eq!(due[0]["owed_cents"], 250_000);
    assert_eq!(due[0]["days_late"], 0);
    let overdue = app.get("/api/v1/payments/due?overdue=true", Some(&bureau.access));
    assert_eq!(overdue.expect(200)["items"], json!([]));
    app.get("/api/v1/payments/due", Some(&city.dac.access))
        .expect_problem(403, "access.forbidden");
    app.clock.advance(TimeDelta::days(63));
    let overdue = app.get("/api/v1/payments/due?overdue=true", Some(&bureau.access));
    let overdue = overdue.expect(200)["items"]
        .as_array()
        .expect("items")
        .clone();
    assert_eq!(overdue.len(), 1);
    assert_eq!(overdue[0]["due_on"], grant_due(app, &finance, &small));
    assert_eq!(overdue[0]["days_late"], 3);
    let late = app.get(&grant_path(&small), Some(&president_small.access));
    assert_eq!(late.expect(200)["days_late"], 3);
    pay(&finance, &small, 250_000, notified_on, "MDT-2027-0002").expect(201);
    let due = app.get("/api/v1/payments/due?overdue=true", Some(&finance.access));
    assert_eq!(due.expect(200)["items"], json!([]));
}

fn grant_due(app: &TestApp, user: &User, request: &str) -> Value {
    app.get(&grant_path(request), Some(&user.access))
        .expect(200)["due_on"]
        .clone()
}

on_both_backends!(
    a_grant_above_23000_euros_waits_for_its_agreement_and_payments_never_exceed_what_is_due
);
