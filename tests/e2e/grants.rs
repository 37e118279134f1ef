//! What follows a vote, over HTTP, on both databases: the grant and its schedule, the
//! agreement required above 23,000 € (its text as HTML and PDF, its signatures), payments
//! never beyond what is due, and the worklist of payments due with the days late.

use crate::requests::{
    City, act, campaign_body, create_draft, draft_body, id, opinion, path, ready_association,
};
use chrono::{Datelike, NaiveDate, TimeDelta};
use serde_json::{Value, json};
use simpa_domain::money::euros;
use simpa_tests::{Backend, TestApp, User, on_both_backends};

/// A submitted request of a new association asking for `requested` cents, its budget
/// balanced around it.
pub(crate) fn submitted_asking(
    app: &TestApp,
    n: u32,
    campaign: &Value,
    requested: i64,
) -> (User, String) {
    let (president, association) = ready_association(app, n);
    let request = submit_asking(app, &president, &association, campaign, requested, None);
    (president, request)
}

pub(crate) fn submit_asking(
    app: &TestApp,
    president: &User,
    association: &Value,
    campaign: &Value,
    requested: i64,
    period: Option<(NaiveDate, NaiveDate)>,
) -> String {
    let mut body = draft_body(campaign, association);
    if let Some((start, end)) = period {
        body["start_date"] = json!(start);
        body["end_date"] = json!(end);
    }
    body["requested_cents"] = json!(requested);
    body["budget"][0]["amount_cents"] = json!(requested + 200_000);
    body["budget"][3]["amount_cents"] = json!(requested);
    let draft = app.post("/api/v1/requests", Some(&president.access), &body);
    let request = id(draft.expect(201));
    act(app, president, &request, json!({"action": "submit"})).expect(200);
    request
}

/// Instructs the requests (the DAC proposing what they ask), puts them on a deliberation and
/// votes it today.
pub(crate) fn granted_today(city: &City, reference: &str, requests: &[(&str, i64)]) {
    let app = &city.app;
    for (request, cents) in requests {
        city.admit_and_dispatch(request, "DAC", &[]);
        act(app, &city.dac, request, opinion("favourable", *cents)).expect(200);
    }
    let deliberation = app.post(
        "/api/v1/deliberations",
        Some(&city.bureau.access),
        &json!({"reference": reference, "council": "conseil_de_paris",
                "session_on": chrono::Utc::now().date_naive(), "title": "Subventions"}),
    );
    let base = format!("/api/v1/deliberations/{}", id(deliberation.expect(201)));
    for (request, _) in requests {
        let line = json!({"request_id": request});
        app.post(&format!("{base}/lines"), Some(&city.bureau.access), &line)
            .expect(200);
    }
    let vote = json!({"outcome": "adopted", "voted_on": chrono::Utc::now().date_naive()});
    app.post(&format!("{base}/vote"), Some(&city.bureau.access), &vote)
        .expect(200);
}

pub(crate) fn published_campaign(city: &City, body: Value) -> Value {
    let created = city
        .app
        .post("/api/v1/campaigns", Some(&city.bureau.access), &body);
    let campaign = id(created.expect(201));
    city.app
        .post(
            &format!("/api/v1/campaigns/{campaign}/publish"),
            Some(&city.bureau.access),
            &json!({}),
        )
        .expect(200)
        .clone()
}

fn last_message(app: &TestApp, user: &User, request: &str) -> String {
    app.get(&path(request), Some(&user.access)).expect(200)["timeline"]
        .as_array()
        .and_then(|t| t.last())
        .and_then(|e| e["message"].as_str())
        .expect("a message")
        .to_owned()
}

/// Who holds the request (`holder.kind`) and what happens next, as `user` reads them.
fn standing(app: &TestApp, user: &User, request: &str) -> (String, String) {
    let read = app.get(&path(request), Some(&user.access));
    let read = read.expect(200);
    (
        read["holder"]["kind"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        read["next_step"].as_str().unwrap_or_default().to_owned(),
    )
}

pub(crate) fn grant_path(request: &str) -> String {
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
                "session_on": chrono::Utc::now().date_naive(), "title": "Subventions à deux associations"}),
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
    let today = app.today();
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

    // No agreement under the threshold: finance pays, nothing is said of an agreement.
    let (holder, next) = standing(app, &president_small, &small);
    assert_eq!(holder, "finance", "{next}");
    assert!(
        next.contains(&euros(400_000)) && !next.contains("convention"),
        "{next}"
    );

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
            ("amount_cents".to_owned(), "amount.not_positive".to_owned()),
            ("paid_on".to_owned(), "payment.paid_on".to_owned()),
            ("reference".to_owned(), "text.required".to_owned()),
        ]
    );
    pay(&finance, &small, 0, notified_on, "MDT-1").expect_problem(422, "validation.failed");
    let paid = pay(&finance, &small, 150_000, notified_on, "MDT-2027-0001");
    let paid = paid.expect(201).clone();
    // The same payment order sent again is not paid twice.
    pay(&finance, &small, 150_000, notified_on, "MDT-2027-0001")
        .expect_problem(409, "payment.reference_taken");
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
    let (holder, next) = standing(app, &president_big, &big);
    assert_eq!(holder, "association", "{next}");
    assert!(next.contains("signature du président"), "{next}");

    // Finance finds it among the grants although nothing is due on it yet: the payments due
    // do not list it, the grants do (with what is left to pay).
    let due = app.get("/api/v1/payments/due", Some(&finance.access));
    assert!(
        !due.expect(200)["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|d| d["request_id"] == json!(big)),
        "nothing is due before the agreement is signed"
    );
    let listed = app.get(
        "/api/v1/grants?unpaid=true&year=2027",
        Some(&finance.access),
    );
    let listed: Vec<(Value, Value, Value, Value)> = listed.expect(200)["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|g| {
            (
                g["request_id"].clone(),
                g["association"]["name"].clone(),
                g["granted_cents"].clone(),
                g["paid_cents"].clone(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            (
                json!(big),
                json!("Association 1"),
                json!(3_000_000),
                json!(0)
            ),
            (
                json!(small),
                json!("Association 2"),
                json!(400_000),
                json!(150_000)
            ),
        ]
    );
    let page = app.get("/api/v1/grants?limit=1", Some(&bureau.access));
    let page = page.expect(200).clone();
    assert_eq!(page["items"].as_array().map(Vec::len), Some(1));
    let cursor = page["next_cursor"].as_str().expect("a second page");
    let next = app.get(
        &format!("/api/v1/grants?limit=1&cursor={cursor}"),
        Some(&bureau.access),
    );
    assert_eq!(next.expect(200)["items"][0]["request_id"], json!(small));
    for outsider in [&city.dac, &president_big] {
        app.get("/api/v1/grants", Some(&outsider.access))
            .expect_problem(403, "access.forbidden");
    }
    assert_eq!(
        app.get("/api/v1/grants?year=2026", Some(&finance.access))
            .expect(200)["items"],
        json!([])
    );

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
    // Amounts whose sum would overflow are refused, each by its field (this panicked once).
    let huge = app.put(
        &schedule_path,
        Some(&finance.access),
        Some(&tag),
        &json!({"installments": [{"cents": i64::MAX, "due": "on_notification"}, {"cents": i64::MAX, "due": "after_final_report"}]}),
    );
    huge.expect_problem(422, "validation.failed");
    assert_eq!(
        huge.field_errors(),
        [
            (
                "installments[0].cents".to_owned(),
                "amount.too_large".to_owned()
            ),
            (
                "installments[1].cents".to_owned(),
                "amount.too_large".to_owned()
            )
        ]
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
        "au plus tard le 30 juin 2028".to_owned(),
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
    let (status, _, _) = app.download(
        &format!("{agreement_path}/document.pdf"),
        Some(&president_small.access),
        &[],
    );
    assert_eq!(
        status, 404,
        "another association reads no other's agreement"
    );
    for path in ["/api/v1/payments/due", "/api/v1/agreements?status=drafted"] {
        app.get(path, Some(&president_big.access))
            .expect_problem(403, "access.forbidden");
    }

    // The association's president signs, then the city; in that order only, each on the
    // version read (If-Match).
    let sign_on = |user: &User, what: &str, tag: &str| {
        app.send(
            app.request(reqwest::Method::POST, &format!("{agreement_path}/{what}"))
                .bearer_auth(&user.access)
                .header("If-Match", tag)
                .json(&json!({})),
        )
    };
    let sign = |user: &User, what: &str| sign_on(user, what, "*");
    let read_tag = etag(app, &president_big, &agreement_path);
    // The bureau changes the delay after the president read the terms: that signature is
    // refused, the president reads again.
    let mut later = terms.clone();
    later["payment_days"] = json!(45);
    let relaxed = app.put(
        &agreement_path,
        Some(&bureau.access),
        Some(&read_tag),
        &later,
    );
    relaxed.expect(200);
    sign_on(&president_big, "sign", &read_tag).expect_problem(412, "version.stale");
    // Nobody else signs for the association: not its treasurer, not the city, not others.
    let treasurer = app.new_user("tresorier1@exemple.org");
    let association = json!({"id": grant["association"]["id"]});
    let token = crate::members::invite(
        app,
        &president_big,
        &association,
        "tresorier1@exemple.org",
        "treasurer",
    );
    crate::members::accept(app, &treasurer, &token).expect(201);
    sign(&treasurer, "sign").expect_problem(403, "access.forbidden");
    sign(&finance, "countersign").expect_problem(403, "access.forbidden");
    sign(bureau, "countersign").expect_problem(409, "agreement.association_signature_missing");
    sign(bureau, "sign").expect_problem(403, "access.forbidden");
    sign(&president_small, "sign").expect_problem(404, "agreement.not_found");
    let signed = sign_on(
        &president_big,
        "sign",
        &etag(app, &president_big, &agreement_path),
    );
    let signed = signed.expect(200).clone();
    assert_eq!(signed["status"], "signed_by_association");
    assert!(signed["association_signature"]["name"].is_string());
    sign(&president_big, "sign").expect_problem(409, "agreement.already_signed");
    sign(&president_big, "countersign").expect_problem(403, "access.forbidden");
    let (holder, next) = standing(app, &president_big, &big);
    assert_eq!(holder, "bureau", "{next}");
    assert!(next.contains("La Ville signe à son tour"), "{next}");
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

    // Signed: the advance is due within the agreement's 45 days (its last terms); the balance waits for the
    // final report.
    let grant = app.get(&grant_path(&big), Some(&finance.access));
    let grant = grant.expect(200).clone();
    assert_eq!(grant["payable_cents"], 2_000_000);
    assert_eq!(
        date(&grant["due_on"]),
        date(&grant["notified_on"]).max(today) + TimeDelta::days(45)
    );
    assert_eq!(standing(app, &president_big, &big).0, "finance");
    pay(&finance, &big, 2_000_000, notified_on, "MDT-5").expect(201);
    let balance = pay(&finance, &big, 1, notified_on, "MDT-6");
    balance.expect_problem(409, "payment.not_due");
    // The advance paid, the final report is awaited; its acceptance releases the balance.
    let (holder, next) = standing(app, &president_big, &big);
    assert_eq!(holder, "association", "{next}");
    assert!(
        next.contains("compte rendu financier") && next.contains(&euros(1_000_000)),
        "{next}"
    );

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
    // The order that completed the grant, sent again, is known by its reference first.
    pay(&finance, &small, 250_000, notified_on, "MDT-2027-0002")
        .expect_problem(409, "payment.reference_taken");
    let due = app.get("/api/v1/payments/due?overdue=true", Some(&finance.access));
    assert_eq!(due.expect(200)["items"], json!([]));
    // Paid in full: only the final report is awaited, no payment is spoken of.
    let (holder, next) = standing(app, &city.dac, &small);
    assert_eq!(holder, "association", "{next}");
    assert!(
        next.contains("compte rendu financier") && !next.contains("versé"),
        "{next}"
    );
}

fn grant_due(app: &TestApp, user: &User, request: &str) -> Value {
    app.get(&grant_path(request), Some(&user.access))
        .expect(200)["due_on"]
        .clone()
}

/// The budget carried out for a request asking `requested`: purchases a little under plan,
/// the animators half again as much, the rest as planned.
pub(crate) fn carried_out(requested: i64) -> Value {
    json!([
        {"account": "60", "label": "Achats", "amount_cents": requested},
        {"account": "64", "label": "Rémunération des animateurs", "amount_cents": 600_000},
        {"account": "70", "label": "Participation des familles", "amount_cents": 200_000},
        {"account": "74", "funder": "commune", "label": "Ville de Paris", "amount_cents": requested},
        {"account": "74", "funder": "etat", "label": "DRAC", "amount_cents": 400_000},
        {"account": "864", "label": "Bénévolat", "amount_cents": 100_000},
        {"account": "870", "label": "Bénévolat", "amount_cents": 100_000}
    ])
}

fn a_final_report_makes_the_balance_due_and_closes_the_file_and_a_repayment_settles_another(
    backend: Backend,
) {
    let city = City::start(backend);
    let app = &city.app;
    let finance = app.staff(
        &city.admin,
        "finance@ville.test",
        json!({"kind": "finance"}),
    );
    // Last year's subsidies: their final reports are due on 30 June this year.
    let year = chrono::Utc::now().year() - 1;
    let mut past = campaign_body(app, "PROJETS_PASSES", "central", None);
    past["budget_year"] = json!(year);
    let past = published_campaign(&city, past);
    let (president, association) = ready_association(app, 1);
    let reported = submit_asking(app, &president, &association, &past, 2_000_000, None);
    // The other project runs for a year that began a hundred days ago.
    let started = chrono::Utc::now().date_naive() - TimeDelta::days(100);
    let (president_b, association_b) = ready_association(app, 2);
    let repaid = submit_asking(
        app,
        &president_b,
        &association_b,
        &past,
        1_000_000,
        Some((started, started + TimeDelta::days(364))),
    );
    granted_today(
        &city,
        &format!("{year} DAC 7"),
        &[(&reported, 2_000_000), (&repaid, 1_000_000)],
    );
    let grant = app.get(&grant_path(&reported), Some(&president.access));
    let due_on = date(&grant.expect(200)["final_report_due_on"]);
    assert_eq!(due_on, NaiveDate::from_ymd_opt(year + 1, 6, 30).unwrap());
    // Time passes until the report is overdue; a campaign requiring reports opens then.
    let ahead = ((due_on - chrono::Utc::now().date_naive()).num_days() + 1).max(0);
    app.clock.advance(TimeDelta::days(ahead));
    let now = chrono::Utc::now() + TimeDelta::days(ahead);
    let today = app.today();
    let mut strict = campaign_body(app, "ANNUELLE", "central", None);
    strict["budget_year"] = json!(now.year() + 1);
    strict["opens_at"] = json!((now - TimeDelta::days(1)).to_rfc3339());
    strict["closes_at"] = json!((now + TimeDelta::days(60)).to_rfc3339());
    strict["eligibility"] = json!({"final_reports_delivered": true});
    let strict = published_campaign(&city, strict);
    let pay = |request: &str, cents: i64| {
        app.post(
            &format!("{}/payments", grant_path(request)),
            Some(&finance.access),
            &json!({"amount_cents": cents, "paid_on": today, "reference": format!("MDT-{cents}")}),
        )
    };

    // An advance of 12,000 €, the 8,000 € balance after the final report.
    let tag = etag(app, &finance, &grant_path(&reported));
    app.put(
        &format!("{}/schedule", grant_path(&reported)),
        Some(&finance.access),
        Some(&tag),
        &json!({"installments": [{"cents": 1_200_000, "due": "on_notification"}, {"cents": 800_000, "due": "after_final_report"}]}),
    )
    .expect(200);
    pay(&reported, 1_200_000).expect(201);
    pay(&reported, 100).expect_problem(409, "payment.not_due");

    // The overdue report keeps the association out of a campaign that requires them.
    let draft = create_draft(app, &president, &strict, &association);
    let blocked = act(app, &president, &id(&draft), json!({"action": "submit"}));
    blocked.expect_problem(422, "request.not_submittable");
    assert!(
        blocked.field_errors().contains(&(
            "association.final_reports".to_owned(),
            "eligibility.final_reports_overdue".to_owned()
        )),
        "{:?}",
        blocked.field_errors()
    );

    // The report: 404 until filed; every unmet rule listed at once.
    let report_path = format!("{}/final-report", path(&reported));
    app.get(&report_path, Some(&president.access))
        .expect_problem(404, "final_report.not_found");
    let mut unbalanced = carried_out(2_000_000);
    unbalanced[0]["amount_cents"] = json!(1_900_000);
    let refused = app.put(
        &report_path,
        Some(&president.access),
        None,
        &json!({"budget": unbalanced, "indicators": [], "summary": "Ateliers tenus.",
                "attachment_ids": [uuid::Uuid::nil()]}),
    );
    refused.expect_problem(422, "validation.failed");
    let mut fields = refused.field_errors();
    fields.sort();
    assert_eq!(
        fields,
        [
            ("annex", "final_report.annex_required"),
            ("attachment_ids[0]", "final_report.attachment_unknown"),
            ("budget", "budget.unbalanced"),
            ("indicators", "final_report.indicator_missing"),
        ]
        .map(|(f, c)| (f.to_owned(), c.to_owned()))
    );
    let report = json!({
        "budget": carried_out(2_000_000),
        "indicators": [{"name": "Jeunes accompagnés", "achieved": 72}],
        "summary": "Ateliers d'écriture chaque mercredi au centre social, de janvier à décembre.",
        "beneficiaries_reached": 72,
        "annex": "Un troisième animateur a été recruté en septembre ; les achats ont été moindres."
    });
    // Only the association files it; others may not even see another's grant.
    app.put(&report_path, Some(&city.dac.access), None, &report)
        .expect_problem(403, "request.not_your_turn");
    app.put(&report_path, Some(&president_b.access), None, &report)
        .expect_problem(404, "grant.not_found");
    let filed = app.put(&report_path, Some(&president.access), None, &report);
    let filed = filed.expect(200).clone();
    assert_eq!(filed["status"], "filed");
    assert_eq!(filed["times_filed"], 1);
    let animators = filed["lines"]
        .as_array()
        .and_then(|l| l.iter().find(|l| l["account"] == "64"))
        .expect("line 64")
        .clone();
    assert_eq!(
        (
            &animators["planned_cents"],
            &animators["actual_cents"],
            &animators["achieved_percent"],
            &animators["significant_variance"]
        ),
        (
            &json!(400_000),
            &json!(600_000),
            &json!(150.0),
            &json!(true)
        )
    );
    assert_eq!(
        filed["indicators"],
        json!([{"name": "Jeunes accompagnés", "unit": "personnes", "target": 80, "achieved": 72}])
    );
    app.put(&report_path, Some(&president.access), None, &report)
        .expect_problem(409, "final_report.under_review");
    // The report waits in the DAC's worklist until reviewed.
    let in_worklist = |user: &User| {
        app.get("/api/v1/worklist?limit=200", Some(&user.access))
            .expect(200)["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|r| r["id"] == json!(reported))
    };
    assert!(in_worklist(&city.dac));
    assert!(!in_worklist(&city.djs));
    // Filed: the association may file new requests again.
    act(app, &president, &id(&draft), json!({"action": "submit"})).expect(200);

    // The direction reviews it: not the association, not finance.
    for user in [&president, &finance] {
        app.post(
            &format!("{report_path}/accept"),
            Some(&user.access),
            &json!({}),
        )
        .expect_problem(403, "request.not_your_turn");
    }
    let sent_back = app.post(
        &format!("{report_path}/ask-changes"),
        Some(&city.dac.access),
        &json!({"reason": "Joignez le détail des frais de personnel."}),
    );
    let sent_back = sent_back.expect(200).clone();
    assert_eq!(sent_back["status"], "changes_asked");
    assert_eq!(
        sent_back["review"]["reason"],
        "Joignez le détail des frais de personnel."
    );
    assert!(
        last_message(app, &president, &reported).contains("Joignez le détail"),
        "the association reads why"
    );
    let refiled = app.put(&report_path, Some(&president.access), None, &report);
    assert_eq!(refiled.expect(200)["times_filed"], 2);
    let (holder, next) = standing(app, &president, &reported);
    assert_eq!(
        holder, "instructors",
        "the lead direction reviews it: {next}"
    );
    assert!(next.contains("en cours d'examen"), "{next}");
    let accepted = app.post(
        &format!("{report_path}/accept"),
        Some(&city.dac.access),
        &json!({}),
    );
    assert!(!in_worklist(&city.dac), "reviewed");
    assert_eq!(accepted.expect(200)["status"], "accepted");
    app.post(
        &format!("{report_path}/accept"),
        Some(&city.dac.access),
        &json!({}),
    )
    .expect_problem(409, "final_report.not_filed");
    let grant = app.get(&grant_path(&reported), Some(&finance.access));
    let grant = grant.expect(200).clone();
    assert_eq!(grant["payable_cents"], 2_000_000);
    assert_eq!(grant["owed_cents"], 800_000);
    let (holder, next) = standing(app, &president, &reported);
    assert_eq!(holder, "finance", "{next}");
    assert!(next.contains(&euros(800_000)), "{next}");
    assert!(
        last_message(app, &president, &reported).contains(&euros(800_000)),
        "the balance is announced"
    );

    // The balance paid, the file closes.
    pay(&reported, 800_000).expect(201);
    let closed = app.get(&path(&reported), Some(&president.access));
    assert_eq!(closed.expect(200)["state"], "closed");
    assert!(last_message(app, &president, &reported).starts_with("Dossier clos"));
    pay(&reported, 100).expect_problem(409, "payment.exceeds_grant");

    // The other project stops today, a hundred days in, for a breach of the contrat
    // d'engagement républicain: paid in full, it repays the part of the year still to run.
    pay(&repaid, 1_000_000).expect(201);
    let repayments = format!("{}/repayments", grant_path(&repaid));
    app.post(
        &repayments,
        Some(&city.dac.access),
        &json!({"amount_cents": 100, "breach_on": "2027-07-01", "reason": "x"}),
    )
    .expect_problem(422, "validation.failed");
    app.post(
        &repayments,
        Some(&city.dac.access),
        &json!({"amount_cents": 1_000_001, "reason": "Projet non réalisé."}),
    )
    .expect_problem(409, "repayment.exceeds_paid");
    // A direction that does not instruct it is told the grant does not exist.
    app.post(
        &repayments,
        Some(&city.djs.access),
        &json!({"amount_cents": 100, "reason": "Projet non réalisé."}),
    )
    .expect_problem(404, "grant.not_found");
    for what in ["accept", "ask-changes"] {
        app.post(
            &format!("{report_path}/{what}"),
            Some(&city.djs.access),
            &json!({"reason": "x"}),
        )
        .expect_problem(404, "grant.not_found");
    }
    app.get(&report_path, Some(&city.djs.access))
        .expect_problem(404, "grant.not_found");
    let ordered = app.post(
        &repayments,
        Some(&city.dac.access),
        &json!({"breach_on": started + TimeDelta::days(100), "reason": "Manquement au contrat d'engagement républicain."}),
    );
    let ordered = ordered.expect(201).clone();
    // 265 of the 365 days still to run, rounded down to the cent.
    let due_back = 1_000_000 * 265 / 365;
    assert_eq!(ordered["repayments"][0]["cents"], due_back);
    assert!(
        last_message(app, &president_b, &repaid).contains(&euros(due_back)),
        "the association is told what to repay"
    );
    pay(&repaid, 100).expect_problem(409, "payment.repayment_ordered");
    let (holder, next) = standing(app, &president_b, &repaid);
    assert_eq!(holder, "association", "{next}");
    assert!(
        next.contains("reversement") && next.contains(&euros(due_back)),
        "{next}"
    );
    let settle = format!(
        "{repayments}/{}/settle",
        ordered["repayments"][0]["id"].as_str().expect("id")
    );
    let tomorrow = json!({"settled_on": today + TimeDelta::days(1)});
    let refused = app.post(&settle, Some(&finance.access), &tomorrow);
    refused.expect_problem(422, "validation.failed");
    assert_eq!(
        refused.field_errors(),
        [("settled_on".to_owned(), "repayment.settled_on".to_owned())]
    );
    let settled = json!({"settled_on": today});
    app.post(&settle, Some(&city.dac.access), &settled)
        .expect_problem(403, "access.forbidden");
    app.post(&settle, Some(&finance.access), &settled)
        .expect(200);
    app.post(&settle, Some(&finance.access), &settled)
        .expect_problem(409, "repayment.settled");
    // A part of what was paid came back: the association still accounts for the rest in its
    // final report, overdue since 30 June; the file closes once the report is accepted.
    let open = app.get(&path(&repaid), Some(&president_b.access));
    assert_eq!(open.expect(200)["state"], "granted");
    let (holder, next) = standing(app, &president_b, &repaid);
    assert_eq!(holder, "association", "{next}");
    assert!(
        next.contains("compte rendu financier") && !next.contains("solde"),
        "{next}"
    );
    assert!(
        !last_message(app, &president_b, &repaid).starts_with("Dossier clos"),
        "not closed on a partial repayment"
    );
    let draft_b = id(&create_draft(app, &president_b, &strict, &association_b));
    let blocked = act(app, &president_b, &draft_b, json!({"action": "submit"}));
    blocked.expect_problem(422, "request.not_submittable");
    assert!(
        blocked.field_errors().contains(&(
            "association.final_reports".to_owned(),
            "eligibility.final_reports_overdue".to_owned()
        )),
        "the report is still overdue: {:?}",
        blocked.field_errors()
    );
    let report_b = format!("{}/final-report", path(&repaid));
    let mut partly = report.clone();
    partly["budget"] = carried_out(1_000_000);
    app.put(&report_b, Some(&president_b.access), None, &partly)
        .expect(200);
    app.post(
        &format!("{report_b}/accept"),
        Some(&city.dac.access),
        &json!({}),
    )
    .expect(200);
    let closed = app.get(&path(&repaid), Some(&president_b.access));
    assert_eq!(closed.expect(200)["state"], "closed");
    assert!(
        last_message(app, &president_b, &repaid).contains(&euros(due_back)),
        "closed on the report, with what was repaid"
    );
    let outbox = app.outbox_settled(&city.admin, std::time::Duration::from_secs(20));
    for subject in [
        "Votre compte rendu financier est à reprendre",
        "Un reversement vous est demandé",
        "Votre reversement est enregistré",
        "Votre dossier est clos",
    ] {
        assert!(
            outbox
                .iter()
                .any(|m| m["subject"].as_str().is_some_and(|s| s.contains(subject))),
            "{subject}"
        );
    }
}

/// Grants to one association add up over twelve months; a signed multi-year agreement covers
/// the grant of its next year, which is paid at once.
fn grants_add_up_over_twelve_months_and_a_multi_year_agreement_covers_its_next_year(
    backend: Backend,
) {
    let city = City::start(backend);
    let app = &city.app;
    let finance = app.staff(
        &city.admin,
        "finance@ville.test",
        json!({"kind": "finance"}),
    );
    let year = chrono::Utc::now().year() + 1;
    let campaign = |code: &str, budget_year: i32| {
        let mut body = campaign_body(app, code, "central", None);
        body["budget_year"] = json!(budget_year);
        published_campaign(&city, body)
    };
    let (this_year, next_year) = (campaign("ANNUELLE", year), campaign("SUIVANTE", year + 1));
    let (president_a, association_a) = ready_association(app, 1);
    let (president_b, association_b) = ready_association(app, 2);
    let first = submit_asking(
        app,
        &president_a,
        &association_a,
        &this_year,
        1_500_000,
        None,
    );
    let opened = submit_asking(
        app,
        &president_b,
        &association_b,
        &this_year,
        3_000_000,
        None,
    );
    granted_today(
        &city,
        &format!("{year} DAC 1"),
        &[(&first, 1_500_000), (&opened, 3_000_000)],
    );
    let grant = app.get(&grant_path(&first), Some(&president_a.access));
    assert_eq!(
        grant.expect(200)["agreement_required"],
        false,
        "15,000 € alone"
    );

    // Association B's agreement covers two years, 30,000 € each; both sign.
    let grant = app.get(&grant_path(&opened), Some(&president_b.access));
    let agreement = grant.expect(200)["agreement"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let agreement_path = format!("/api/v1/agreements/{agreement}");
    let terms = json!({"object": "Ateliers d'écriture, deux saisons.", "payment_days": 60,
        "years": [{"year": year, "cents": 3_000_000}, {"year": year + 1, "cents": 3_000_000}]});
    let tag = etag(app, &city.bureau, &agreement_path);
    app.put(
        &agreement_path,
        Some(&city.bureau.access),
        Some(&tag),
        &terms,
    )
    .expect(200);
    for (user, what) in [(&president_b, "sign"), (&city.bureau, "countersign")] {
        let tag = etag(app, user, &agreement_path);
        let signed = app.send(
            app.request(reqwest::Method::POST, &format!("{agreement_path}/{what}"))
                .bearer_auth(&user.access)
                .header("If-Match", tag)
                .json(&json!({})),
        );
        signed.expect(200);
    }

    // Next year: 9,000 € more for A makes 24,000 € in twelve months, so an agreement; B's
    // 25,000 € fall within the signed agreement's second year.
    let second = submit_asking(app, &president_a, &association_a, &next_year, 900_000, None);
    let covered = submit_asking(
        app,
        &president_b,
        &association_b,
        &next_year,
        2_500_000,
        None,
    );
    granted_today(
        &city,
        &format!("{year} DAC 2"),
        &[(&second, 900_000), (&covered, 2_500_000)],
    );
    let grant = app.get(&grant_path(&second), Some(&president_a.access));
    let grant = grant.expect(200).clone();
    assert_eq!(grant["agreement_required"], true, "{grant}");
    assert_eq!(grant["agreement"]["status"], "drafted");
    let grant = app.get(&grant_path(&covered), Some(&finance.access));
    let grant = grant.expect(200).clone();
    assert_eq!(grant["agreement"]["id"], json!(agreement));
    assert_eq!(grant["agreement"]["status"], "signed");
    assert_eq!(grant["payable_cents"], 2_500_000);
    let today = date(&grant["notified_on"]);
    app.post(
        &format!("{}/payments", grant_path(&covered)),
        Some(&finance.access),
        &json!({"amount_cents": 2_500_000, "paid_on": today, "reference": "MDT-2"}),
    )
    .expect(201);
    // The agreement lists both grants to the association; the terms keep covering them.
    let read = app.get(&agreement_path, Some(&president_b.access));
    assert_eq!(read.expect(200)["grants"].as_array().map(Vec::len), Some(2));
}

/// Late in the evening in UTC it is already tomorrow in Paris: the city signing an agreement
/// then, its payment delay counts from Paris's day and its text dates the signature so; an
/// invitation sent then is valid until a day of Paris too.
fn days_are_the_citys_when_a_moment_falls_near_midnight(backend: Backend) {
    use simpa_app::clock::Clock;
    use simpa_domain::french::long_french_date;
    let city = City::start(backend);
    let app = &city.app;
    let campaign = city.campaign(&city.bureau, "ANNUELLE_2027", "central", None);
    let (president, request) = submitted_asking(app, 1, &campaign, 3_000_000);
    granted_today(&city, "2027 DAC 90", &[(&request, 2_500_000)]);
    let grant = app.get(&grant_path(&request), Some(&president.access));
    let agreement = grant.expect(200)["agreement"]["id"].clone();
    let agreement_path = format!("/api/v1/agreements/{}", agreement.as_str().expect("id"));
    let sign = |user: &User, what: &str| {
        app.send(
            app.request(reqwest::Method::POST, &format!("{agreement_path}/{what}"))
                .bearer_auth(&user.access)
                .header("If-Match", "*")
                .json(&json!({})),
        )
    };
    sign(&president, "sign").expect(200);

    // 23:30 UTC, the next day in Paris (UTC+1 in winter, +2 in summer).
    let now = app.clock.now();
    let evening = now
        .date_naive()
        .and_hms_opt(23, 30, 0)
        .expect("a time")
        .and_utc();
    let evening = if evening > now {
        evening
    } else {
        evening + TimeDelta::days(1)
    };
    app.clock.advance(evening - now);
    let in_paris = |at: chrono::DateTime<chrono::Utc>| {
        at.with_timezone(&chrono_tz::Europe::Paris).date_naive()
    };
    let paris_day = in_paris(evening);
    assert_eq!(paris_day, evening.date_naive() + TimeDelta::days(1));
    let signed = sign(&city.bureau, "countersign").expect(200).clone();
    assert_eq!(signed["status"], "signed");
    let days = signed["payment_days"].as_i64().expect("the delay");
    let grant = app.get(&grant_path(&request), Some(&president.access));
    let grant = grant.expect(200).clone();
    assert_eq!(
        date(&grant["due_on"]),
        date(&grant["notified_on"]).max(paris_day) + TimeDelta::days(days),
        "{grant}"
    );
    let (status, _, html) = app.download(
        &format!("{agreement_path}/document.html"),
        Some(&president.access),
        &[],
    );
    assert_eq!(status, 200);
    let html = String::from_utf8(html)
        .expect("HTML")
        .replace("&#x2f;", "/");
    let said = format!(", le {}.", long_french_date(paris_day));
    let city_part = html.split("Pour la Ville de Paris").nth(1).expect("signed");
    assert!(city_part.contains(&said), "{said}: {html}");

    // An invitation sent now: valid for 30 days, until a day of Paris.
    let association = json!({"id": grant["association"]["id"]});
    crate::members::invite(
        app,
        &president,
        &association,
        "minuit@exemple.org",
        "manager",
    );
    let mail = app.mailed("minuit@exemple.org", "%");
    let until = long_french_date(in_paris(evening + TimeDelta::days(30)));
    assert!(
        mail.contains(&format!("valable jusqu'au {until}")),
        "{until}: {mail}"
    );
}

/// The council voted 16,000 € of the 20,000 € asked: the final report's city line is judged
/// against the 16,000 € voted, so receiving them asks the association for no explanation;
/// receiving less than 85 % of them does.
fn the_citys_own_line_is_judged_against_the_amount_voted(backend: Backend) {
    let city = City::start(backend);
    let app = &city.app;
    let campaign = city.campaign(&city.bureau, "PROJETS", "central", None);
    let (president, request) = submitted_asking(app, 1, &campaign, 2_000_000);
    granted_today(&city, "2027 DAC 9", &[(&request, 1_600_000)]);
    let report_path = format!("{}/final-report", path(&request));
    // Every other line within 15 % of its plan (70 and the State's at the very edge).
    let report = |commune: i64, purchases: i64| {
        json!({
            "budget": [
                {"account": "60", "label": "Achats", "amount_cents": purchases},
                {"account": "64", "label": "Rémunération des animateurs", "amount_cents": 400_000},
                {"account": "70", "label": "Participation des familles", "amount_cents": 230_000},
                {"account": "74", "funder": "commune", "label": "Ville de Paris", "amount_cents": commune},
                {"account": "74", "funder": "etat", "label": "DRAC", "amount_cents": 460_000},
                {"account": "864", "label": "Bénévolat", "amount_cents": 100_000},
                {"account": "870", "label": "Bénévolat", "amount_cents": 100_000}
            ],
            "indicators": [{"name": "Jeunes accompagnés", "achieved": 80}],
            "summary": "Ateliers d'écriture chaque mercredi au centre social."
        })
    };
    // 12,000 € received of the 16,000 € voted is 75 %: that, the association explains.
    let short = app.put(
        &report_path,
        Some(&president.access),
        None,
        &report(1_200_000, 1_490_000),
    );
    short.expect_problem(422, "validation.failed");
    assert_eq!(
        short.field_errors(),
        [("annex".to_owned(), "final_report.annex_required".to_owned())]
    );
    let said = short.body["errors"][0]["detail"]
        .as_str()
        .unwrap_or_default();
    assert!(said.contains("75\u{a0}% du voté"), "{said}");

    let filed = app.put(
        &report_path,
        Some(&president.access),
        None,
        &report(1_600_000, 1_890_000),
    );
    let filed = filed.expect(200).clone();
    let commune = filed["lines"]
        .as_array()
        .and_then(|l| l.iter().find(|l| l["funder"] == "commune"))
        .expect("the city's line")
        .clone();
    assert_eq!(
        (
            &commune["planned_cents"],
            &commune["voted_cents"],
            &commune["actual_cents"],
            &commune["achieved_percent"],
            &commune["significant_variance"]
        ),
        (
            &json!(2_000_000),
            &json!(1_600_000),
            &json!(1_600_000),
            &json!(100.0),
            &json!(false)
        )
    );
    let purchases = filed["lines"][0].clone();
    assert_eq!(
        (
            &purchases["voted_cents"],
            &purchases["significant_variance"]
        ),
        (&Value::Null, &json!(false))
    );
    // The association's page shows the amount voted beside the amount asked.
    let browser = crate::portal_requests::browser_of(app, "president1@exemple.org");
    let (status, _, page) = browser.go(&app.url(&format!("/demandes/{request}/compte-rendu")));
    assert_eq!(status, 200, "{page}");
    assert!(
        crate::portal::shown(&page).contains(&format!(
            "voté : <span class=\"simpa-nowrap\">{}</span>",
            euros(1_600_000)
        )),
        "{page}"
    );
}

on_both_backends!(
    the_citys_own_line_is_judged_against_the_amount_voted,
    days_are_the_citys_when_a_moment_falls_near_midnight,
    grants_add_up_over_twelve_months_and_a_multi_year_agreement_covers_its_next_year,
    a_grant_above_23000_euros_waits_for_its_agreement_and_payments_never_exceed_what_is_due,
    a_final_report_makes_the_balance_due_and_closes_the_file_and_a_repayment_settles_another
);
