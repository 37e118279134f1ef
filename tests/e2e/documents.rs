use serde_json::{Value, json};
use simpa_tests::client::association_body;
use simpa_tests::documents::{documents_path, file, pdf, sha256_hex};
use simpa_tests::{Backend, TestApp, User, on_both_backends};
use std::io::Write;
use std::time::{Duration, Instant};

fn status(app: &TestApp, user: &User, association: &Value, on: &str) -> Value {
    app.get(
        &format!("{}/status?on={on}", documents_path(association)),
        Some(&user.access),
    )
    .expect(200)
    .clone()
}

fn kind_status(vault: &Value, kind: &str) -> String {
    vault["kinds"]
        .as_array()
        .expect("kinds")
        .iter()
        .find(|k| k["kind"] == kind)
        .map(|k| k["status"].as_str().unwrap_or("?").to_owned())
        .expect(kind)
}

/// An association whose president is signed in.
fn association(app: &TestApp, email: &str, name: &str, rna: &str, siret: &str) -> (User, Value) {
    let president = app.new_user(email);
    let association = app.create_association(&president, &association_body(name, rna, siret));
    (president, association)
}

fn a_document_round_trips_byte_for_byte_and_identical_bytes_are_stored_once(backend: Backend) {
    let app = TestApp::start(backend);
    let (alice, theatre) = association(
        &app,
        "alice@exemple.org",
        "Théâtre du Faubourg",
        "W751000001",
        "52499120500013",
    );
    let bytes = pdf("statuts du théâtre");
    let filed = file(
        &app,
        Some(&alice),
        &theatre,
        &[("kind", "statuts")],
        Some(("Statuts signés.pdf", bytes.clone())),
    );
    let version = filed.expect(201)["version"].clone();
    assert_eq!(version["kind"], "statuts");
    assert_eq!(version["file"]["sha256"], sha256_hex(&bytes));
    assert_eq!(version["file"]["size_bytes"], bytes.len());
    assert_eq!(version["file"]["media_type"], "application/pdf");
    assert_eq!(version["file"]["name"], "Statuts signés.pdf");
    assert_eq!(version["review"]["state"], "pending");
    assert_eq!(version["filed_by"], alice.id);
    assert_eq!(filed.body["warnings"], json!([]));

    let href = version["file"]["href"].as_str().expect("href");
    let (code, headers, downloaded) = app.download(href, Some(&alice.access), &[]);
    assert_eq!(code, 200);
    assert_eq!(downloaded, bytes, "byte for byte");
    assert_eq!(sha256_hex(&downloaded), version["file"]["sha256"]);
    assert_eq!(
        headers.get("content-type").and_then(|v| v.to_str().ok()),
        Some("application/pdf")
    );
    let etag = format!("\"{}\"", sha256_hex(&bytes));
    assert_eq!(
        headers.get("etag").and_then(|v| v.to_str().ok()),
        Some(etag.as_str())
    );
    let disposition = headers
        .get("content-disposition")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(
        disposition.starts_with("attachment")
            && disposition.contains("filename*=UTF-8''Statuts%20sign%C3%A9s.pdf"),
        "{disposition}"
    );
    assert_eq!(
        app.download(href, Some(&alice.access), &[("If-None-Match", &etag)])
            .0,
        304
    );

    // Another association files the very same bytes: stored once.
    let (bob, club) = association(
        &app,
        "bob@exemple.org",
        "Club de Belleville",
        "W751000002",
        "38033590100027",
    );
    let again = file(
        &app,
        Some(&bob),
        &club,
        &[("kind", "statuts")],
        Some(("statuts.pdf", bytes.clone())),
    );
    assert_eq!(
        again.expect(201)["version"]["file"]["sha256"],
        version["file"]["sha256"]
    );
    assert_eq!(app.stored_files().len(), 1, "{:?}", app.stored_files());
    let other = file(
        &app,
        Some(&bob),
        &club,
        &[("kind", "liste_dirigeants")],
        Some(("liste.pdf", pdf("liste"))),
    );
    other.expect(201);
    assert_eq!(app.stored_files().len(), 2);
}

fn a_new_filing_supersedes_the_previous_one_which_stays_readable(backend: Backend) {
    let app = TestApp::start(backend);
    let (alice, theatre) = association(
        &app,
        "alice@exemple.org",
        "Théâtre du Faubourg",
        "W751000001",
        "52499120500013",
    );
    let first = file(
        &app,
        Some(&alice),
        &theatre,
        &[("kind", "statuts")],
        Some(("v1.pdf", pdf("v1"))),
    )
    .expect(201)["version"]
        .clone();
    let second = file(
        &app,
        Some(&alice),
        &theatre,
        &[("kind", "statuts")],
        Some(("v2.pdf", pdf("v2"))),
    )
    .expect(201)["version"]
        .clone();
    let vault = status(&app, &alice, &theatre, "2026-11-23");
    let statuts = vault["kinds"]
        .as_array()
        .expect("kinds")
        .iter()
        .find(|k| k["kind"] == "statuts")
        .expect("statuts")
        .clone();
    assert_eq!(
        statuts["version_id"], second["id"],
        "the latest filing is in force"
    );
    assert_eq!(statuts["status"], "pending_review");
    let listed = app.get(&documents_path(&theatre), Some(&alice.access));
    let ids: Vec<&Value> = listed.expect(200)["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|v| &v["id"])
        .collect();
    assert_eq!(ids, [&second["id"], &first["id"]], "history, newest first");
    let (code, _, bytes) = app.download(
        first["file"]["href"].as_str().expect("href"),
        Some(&alice.access),
        &[],
    );
    assert_eq!(
        (code, bytes),
        (200, pdf("v1")),
        "the superseded version is still there"
    );
}

fn only_those_who_may_see_an_association_read_or_file_its_documents(backend: Backend) {
    let app = TestApp::start(backend);
    let (alice, theatre) = association(
        &app,
        "alice@exemple.org",
        "Théâtre du Faubourg",
        "W751000001",
        "52499120500013",
    );
    let href = file(
        &app,
        Some(&alice),
        &theatre,
        &[("kind", "statuts")],
        Some(("s.pdf", pdf("s"))),
    )
    .expect(201)["version"]["file"]["href"]
        .as_str()
        .expect("href")
        .to_owned();
    let admin = app.admin();
    let dac = app.direction_id("DAC");
    let outsider = app.new_user("mallory@exemple.org");
    let instructor = app.staff(
        &admin,
        "dac@ville.test",
        json!({"kind": "instructor", "direction_id": dac}),
    );
    let eleventh = app.staff(
        &admin,
        "mairie11@ville.test",
        json!({"kind": "district", "district_number": 11}),
    );
    let fifth = app.staff(
        &admin,
        "mairie5@ville.test",
        json!({"kind": "district", "district_number": 5}),
    );
    let bureau = app.staff(&admin, "bureau@ville.test", json!({"kind": "bureau"}));
    let finance = app.staff(&admin, "finances@ville.test", json!({"kind": "finance"}));
    let list = documents_path(&theatre);

    for (who, user) in [
        ("bureau", &bureau),
        ("finance", &finance),
        ("town hall of the 11th", &eleventh),
        ("admin", &admin),
    ] {
        assert_eq!(app.get(&list, Some(&user.access)).status, 200, "{who}");
        assert_eq!(app.download(&href, Some(&user.access), &[]).0, 200, "{who}");
    }
    app.get(&list, Some(&outsider.access))
        .expect_problem(404, "association.not_found");
    assert_eq!(app.download(&href, Some(&outsider.access), &[]).0, 404);
    // Whoever may not read them is told they do not exist.
    app.get(&list, Some(&instructor.access))
        .expect_problem(404, "association.not_found");
    app.get(&list, Some(&fifth.access))
        .expect_problem(404, "association.not_found");
    assert_eq!(app.download(&href, Some(&instructor.access), &[]).0, 404);

    // A version of the theatre asked for through another association's path does not exist.
    let (zoe, club) = association(
        &app,
        "zoe@exemple.org",
        "Club de Belleville",
        "W751000002",
        "38033590100027",
    );
    let version = href.split('/').nth(6).expect("version id").to_owned();
    let through_club = format!("{}/{version}/file", documents_path(&club));
    let (code, _, body) = app.download(&through_club, Some(&zoe.access), &[]);
    assert_eq!(code, 404, "{}", String::from_utf8_lossy(&body));
    assert!(String::from_utf8_lossy(&body).contains("document.not_found"));
    app.get(&list, None).expect_problem(401, "auth.required");
    assert_eq!(app.download(&href, None, &[]).0, 401);

    let before = app.stored_files().len();
    file(
        &app,
        Some(&outsider),
        &theatre,
        &[("kind", "statuts")],
        Some(("x.pdf", pdf("intrus"))),
    )
    .expect_problem(404, "association.not_found");
    file(
        &app,
        Some(&bureau),
        &theatre,
        &[("kind", "statuts")],
        Some(("x.pdf", pdf("bureau"))),
    )
    .expect_problem(403, "access.forbidden");
    file(
        &app,
        None,
        &theatre,
        &[("kind", "statuts")],
        Some(("x.pdf", pdf("anonyme"))),
    )
    .expect_problem(401, "auth.required");
    assert_eq!(
        app.stored_files().len(),
        before,
        "refused before a byte is stored"
    );
    let missing = format!("/api/v1/associations/{}/documents", uuid::Uuid::now_v7());
    app.get(&missing, Some(&admin.access))
        .expect_problem(404, "association.not_found");
}

fn an_interrupted_upload_leaves_no_row_and_no_file(backend: Backend) {
    let app = TestApp::start(backend);
    let (alice, theatre) = association(
        &app,
        "alice@exemple.org",
        "Théâtre du Faubourg",
        "W751000001",
        "52499120500013",
    );
    let boundary = "simpa-test-boundary";
    let head = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\nstatuts\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"statuts.pdf\"\r\nContent-Type: application/pdf\r\n\r\n"
    );
    let address = app.base.trim_start_matches("http://").to_owned();
    let mut stream = std::net::TcpStream::connect(&address).expect("connect");
    let request = format!(
        "POST {} HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {}\r\nContent-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: 5000000\r\n\r\n",
        documents_path(&theatre),
        alice.access
    );
    stream.write_all(request.as_bytes()).expect("headers");
    stream.write_all(head.as_bytes()).expect("form start");
    let chunk = pdf("a long document").repeat(2000);
    stream.write_all(&chunk).expect("some of the file");
    stream.flush().expect("flush");
    // The server is receiving: its partial file exists.
    let deadline = Instant::now() + Duration::from_secs(10);
    while app.stored_files().is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(app.stored_files().len(), 1, "the upload was under way");
    // The client goes away in the middle of the file.
    stream.shutdown(std::net::Shutdown::Both).expect("abort");
    drop(stream);

    let deadline = Instant::now() + Duration::from_secs(10);
    while !app.stored_files().is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(
        app.stored_files(),
        Vec::<std::path::PathBuf>::new(),
        "no file left, not even a partial one"
    );
    let listed = app.get(&documents_path(&theatre), Some(&alice.access));
    assert_eq!(listed.expect(200)["items"], json!([]), "no row");
    // The server is fine afterwards.
    file(
        &app,
        Some(&alice),
        &theatre,
        &[("kind", "statuts")],
        Some(("s.pdf", pdf("after"))),
    )
    .expect(201);
}

fn bad_uploads_are_refused_with_the_reason_and_leave_nothing(backend: Backend) {
    let app = TestApp::start_with(backend, &[("SIMPA_UPLOAD_LIMIT_BYTES", "65536")]);
    let (alice, theatre) = association(
        &app,
        "alice@exemple.org",
        "Théâtre du Faubourg",
        "W751000001",
        "52499120500013",
    );
    let statuts = [("kind", "statuts")];

    let big = pdf("big").repeat(2000);
    assert!(big.len() > 65536);
    file(
        &app,
        Some(&alice),
        &theatre,
        &statuts,
        Some(("big.pdf", big)),
    )
    .expect_problem(413, "file.too_large");
    let text = file(
        &app,
        Some(&alice),
        &theatre,
        &statuts,
        Some((
            "statuts.pdf",
            b"I am not a PDF, whatever my name says".to_vec(),
        )),
    );
    text.expect_problem(415, "file.unsupported_type");
    let exe = file(
        &app,
        Some(&alice),
        &theatre,
        &statuts,
        Some((
            "statuts.pdf",
            [b"MZ\x90\x00".as_slice(), &[0u8; 9000]].concat(),
        )),
    );
    exe.expect_problem(415, "file.unsupported_type");
    // A name that reads backwards from a point on (U+202E) would hide its real extension.
    let disguised = file(
        &app,
        Some(&alice),
        &theatre,
        &statuts,
        Some(("statuts\u{202e}gpj.pdf", pdf("disguised"))),
    );
    disguised.expect_problem(422, "validation.failed");
    assert_eq!(
        disguised.field_errors(),
        vec![("file".to_owned(), "text.bidi_control".to_owned())]
    );
    // A PDF named like a Word file is a PDF.
    let misnamed = file(
        &app,
        Some(&alice),
        &theatre,
        &statuts,
        Some(("statuts.docx", pdf("misnamed"))),
    );
    assert_eq!(
        misnamed.expect(201)["version"]["file"]["media_type"],
        "application/pdf"
    );
    let png = include_bytes!("../../docs/request-page.png").to_vec();
    assert_eq!(
        file(
            &app,
            Some(&alice),
            &theatre,
            &[("kind", "liste_dirigeants")],
            Some(("liste.png", png))
        )
        .expect(201)["version"]["file"]["media_type"],
        "image/png"
    );

    let json = app.post(
        &documents_path(&theatre),
        Some(&alice.access),
        &json!({"kind": "statuts"}),
    );
    json.expect_problem(415, "content_type.unsupported");
    let garbage = app.send(
        app.request(reqwest::Method::POST, &documents_path(&theatre))
            .bearer_auth(&alice.access)
            .header("Content-Type", "multipart/form-data; boundary=xyz")
            .body("this is not a multipart body at all"),
    );
    garbage.expect_problem(400, "multipart.malformed");

    let errors = |fields: &[(&str, &str)], upload: Option<(&str, Vec<u8>)>| {
        let reply = file(&app, Some(&alice), &theatre, fields, upload);
        reply.expect_problem(422, "validation.failed");
        reply.field_errors()
    };
    let pair = |f: &str, c: &str| (f.to_owned(), c.to_owned());
    assert_eq!(
        errors(&[("kind", "diplome")], Some(("d.pdf", pdf("d")))),
        [pair("kind", "kind.unknown")]
    );
    assert_eq!(
        errors(&[("kind", "statuts")], None),
        [pair("file", "field.required")]
    );
    assert_eq!(
        errors(
            &[("kind", "statuts"), ("comment", "hello")],
            Some(("s.pdf", pdf("s")))
        ),
        [pair("comment", "field.unknown")]
    );
    assert_eq!(
        errors(
            &[("kind", "statuts"), ("kind", "rib")],
            Some(("s.pdf", pdf("s")))
        ),
        [pair("kind", "field.duplicate")]
    );
    assert_eq!(
        errors(
            &[("kind", "comptes_annuels"), ("fiscal_year", "1999")],
            Some(("c.pdf", pdf("c")))
        ),
        [pair("fiscal_year", "fiscal_year.out_of_range")]
    );
    assert_eq!(
        errors(
            &[("kind", "comptes_annuels"), ("fiscal_year", "l'an dernier")],
            Some(("c.pdf", pdf("c")))
        ),
        [pair("fiscal_year", "field.invalid_value")]
    );
    assert_eq!(
        errors(
            &[("kind", "attestation_assurance")],
            Some(("a.pdf", pdf("a")))
        ),
        [pair("valid_until", "field.required")]
    );
    assert_eq!(
        errors(
            &[
                ("kind", "rib"),
                ("iban", "FR7630006000011234567890188"),
                ("bic", "BNPAFR"),
                ("account_holder", "Théâtre du Faubourg")
            ],
            Some(("rib.pdf", pdf("rib")))
        ),
        [
            pair("iban", "iban.invalid_checksum"),
            pair("bic", "bic.invalid_format")
        ]
    );
    assert_eq!(
        errors(
            &[("kind", "contrat_engagement_republicain")],
            Some(("c.pdf", pdf("cer")))
        ),
        [pair("kind", "kind.is_an_attestation")]
    );

    // A RIB in another name is filed, with a warning.
    let rib = file(
        &app,
        Some(&alice),
        &theatre,
        &[
            ("kind", "rib"),
            ("iban", "FR76 3000 6000 0112 3456 7890 189"),
            ("bic", "AGRIFRPP"),
            ("account_holder", "M. Dominique Leroy"),
        ],
        Some(("rib.pdf", pdf("rib"))),
    );
    let rib = rib.expect(201);
    assert_eq!(
        rib["version"]["bank_details"],
        json!({"iban": "FR7630006000011234567890189", "bic": "AGRIFRPP", "account_holder": "M. Dominique Leroy"})
    );
    assert_eq!(rib["warnings"][0]["code"], "rib.holder_mismatch");

    // Only the three accepted filings remain, and only their bytes.
    let listed = app.get(&documents_path(&theatre), Some(&alice.access));
    assert_eq!(
        listed.expect(200)["items"].as_array().map(Vec::len),
        Some(3)
    );
    assert_eq!(app.stored_files().len(), 3, "{:?}", app.stored_files());
}

fn the_city_reviews_documents_and_the_profile_status_follows(backend: Backend) {
    let app = TestApp::start(backend);
    let (alice, theatre) = association(
        &app,
        "alice@exemple.org",
        "Théâtre du Faubourg",
        "W751000001",
        "52499120500013",
    );
    let today = app.today().to_string();
    let vault = status(&app, &alice, &theatre, &today);
    assert_eq!(
        (
            vault["profile_status"].as_str(),
            vault["profile_status_label"].as_str()
        ),
        (Some("a_completer"), Some("À compléter"))
    );
    assert_eq!(kind_status(&vault, "statuts"), "missing");
    assert_eq!(vault["kinds"].as_array().map(Vec::len), Some(11));

    let mut ids = Vec::new();
    for kind in ["statuts", "liste_dirigeants", "recepisse_prefecture"] {
        ids.push(
            file(
                &app,
                Some(&alice),
                &theatre,
                &[("kind", kind)],
                Some((&format!("{kind}.pdf"), pdf(kind))),
            )
            .expect(201)["version"]["id"]
                .as_str()
                .expect("id")
                .to_owned(),
        );
    }
    let vault = status(&app, &alice, &theatre, &today);
    assert_eq!(
        vault["profile_status"], "a_jour",
        "documents awaiting review count as filed"
    );
    assert_eq!(
        kind_status(&vault, "recepisse_prefecture"),
        "pending_review"
    );

    let admin = app.admin();
    let bureau = app.staff(&admin, "bureau@ville.test", json!({"kind": "bureau"}));
    let eleventh = app.staff(
        &admin,
        "mairie11@ville.test",
        json!({"kind": "district", "district_number": 11}),
    );
    let fifth = app.staff(
        &admin,
        "mairie5@ville.test",
        json!({"kind": "district", "district_number": 5}),
    );
    let review = |user: &User, id: &str, body: Value| {
        app.post(
            &format!("{}/{id}/review", documents_path(&theatre)),
            Some(&user.access),
            &body,
        )
    };

    let refused = review(&bureau, &ids[0], json!({"decision": "rejected"}));
    refused.expect_problem(422, "validation.failed");
    assert_eq!(
        refused.field_errors(),
        vec![("reason".to_owned(), "review.reason_required".to_owned())]
    );
    review(&alice, &ids[0], json!({"decision": "accepted"}))
        .expect_problem(403, "access.forbidden");
    review(&fifth, &ids[0], json!({"decision": "accepted"}))
        .expect_problem(403, "access.forbidden");
    // Nobody reviews the documents of an association they belong to, even from the bureau.
    app.post(
        &format!("/api/v1/accounts/{}/staff-roles", alice.id),
        Some(&admin.access),
        &json!({"kind": "bureau"}),
    )
    .expect(201);
    review(&alice, &ids[0], json!({"decision": "accepted"}))
        .expect_problem(403, "access.forbidden");
    review(
        &bureau,
        &uuid::Uuid::now_v7().to_string(),
        json!({"decision": "accepted"}),
    )
    .expect_problem(404, "document.not_found");

    let rejected = review(
        &bureau,
        &ids[0],
        json!({"decision": "rejected", "reason": "Statuts non signés"}),
    );
    let rejected = rejected.expect(200);
    assert_eq!(
        (
            rejected["review"]["state"].as_str(),
            rejected["review"]["reason"].as_str()
        ),
        (Some("rejected"), Some("Statuts non signés"))
    );
    let vault = status(&app, &alice, &theatre, &today);
    assert_eq!(kind_status(&vault, "statuts"), "rejected");
    assert_eq!(
        vault["profile_status"], "a_completer",
        "a rejected document counts as missing"
    );

    // The town hall of the association's district reviews too.
    assert_eq!(
        review(&eleventh, &ids[1], json!({"decision": "accepted"})).expect(200)["review"]["state"],
        "accepted"
    );
    assert_eq!(
        kind_status(&status(&app, &alice, &theatre, &today), "liste_dirigeants"),
        "valid"
    );
}

fn validity_follows_dates_years_and_the_auditor_threshold(backend: Backend) {
    let app = TestApp::start(backend);
    let (alice, theatre) = association(
        &app,
        "alice@exemple.org",
        "Théâtre du Faubourg",
        "W751000001",
        "52499120500013",
    );
    let admin = app.admin();
    let accept = |version: &Value| {
        let path = format!(
            "{}/{}/review",
            documents_path(&theatre),
            version["id"].as_str().expect("id")
        );
        app.post(&path, Some(&admin.access), &json!({"decision": "accepted"}))
            .expect(200);
    };
    let insurance = file(
        &app,
        Some(&alice),
        &theatre,
        &[
            ("kind", "attestation_assurance"),
            ("valid_until", "2026-12-31"),
        ],
        Some(("a.pdf", pdf("assurance"))),
    );
    accept(&insurance.expect(201)["version"]);
    let on = |date: &str| {
        kind_status(
            &status(&app, &alice, &theatre, date),
            "attestation_assurance",
        )
    };
    assert_eq!(
        (
            on("2026-12-01"),
            on("2026-12-02"),
            on("2026-12-31"),
            on("2027-01-01")
        ),
        (
            "valid".into(),
            "expiring".into(),
            "expiring".into(),
            "expired".into()
        )
    );
    // The kind's status and the version say the same last valid day.
    let insured = status(&app, &alice, &theatre, "2026-12-02");
    let insured = insured["kinds"]
        .as_array()
        .expect("kinds")
        .iter()
        .find(|k| k["kind"] == "attestation_assurance")
        .expect("insurance")
        .clone();
    assert_eq!(insured["valid_until"], "2026-12-31");

    let accounts = file(
        &app,
        Some(&alice),
        &theatre,
        &[("kind", "comptes_annuels"), ("fiscal_year", "2025")],
        Some(("c.pdf", pdf("comptes"))),
    );
    accept(&accounts.expect(201)["version"]);
    let vault = status(&app, &alice, &theatre, "2026-11-23");
    let comptes = vault["kinds"]
        .as_array()
        .expect("kinds")
        .iter()
        .find(|k| k["kind"] == "comptes_annuels")
        .expect("comptes")
        .clone();
    assert_eq!(
        (
            comptes["status"].as_str(),
            comptes["required_fiscal_year"].as_i64(),
            comptes["valid_until"].as_str()
        ),
        (Some("valid"), Some(2025), Some("2027-06-30"))
    );
    assert_eq!(
        kind_status(
            &status(&app, &alice, &theatre, "2027-07-01"),
            "comptes_annuels"
        ),
        "expired"
    );

    // The auditor's report: required only above 153,000 € of public cash subsidies.
    let funding = format!(
        "/api/v1/associations/{}/public-funding/2025",
        theatre["id"].as_str().expect("id")
    );
    assert_eq!(
        kind_status(
            &status(&app, &alice, &theatre, "2026-11-23"),
            "rapport_commissaire_comptes"
        ),
        "not_required"
    );
    assert_eq!(
        app.put(
            &funding,
            Some(&alice.access),
            None,
            &json!({"cash_subsidies_cents": 15_300_000})
        )
        .status,
        204
    );
    assert_eq!(
        kind_status(
            &status(&app, &alice, &theatre, "2026-11-23"),
            "rapport_commissaire_comptes"
        ),
        "not_required",
        "153,000 € is not above"
    );
    assert_eq!(
        app.put(
            &funding,
            Some(&alice.access),
            None,
            &json!({"cash_subsidies_cents": 15_300_001})
        )
        .status,
        204
    );
    assert_eq!(
        kind_status(
            &status(&app, &alice, &theatre, "2026-11-23"),
            "rapport_commissaire_comptes"
        ),
        "missing"
    );
    let negative = app.put(
        &funding,
        Some(&alice.access),
        None,
        &json!({"cash_subsidies_cents": -1}),
    );
    assert_eq!(
        negative.field_errors(),
        vec![(
            "cash_subsidies_cents".to_owned(),
            "amount.not_positive".to_owned()
        )]
    );
    let huge = app.put(
        &funding,
        Some(&alice.access),
        None,
        &json!({"cash_subsidies_cents": i64::MAX}),
    );
    assert_eq!(
        huge.field_errors(),
        vec![(
            "cash_subsidies_cents".to_owned(),
            "amount.too_large".to_owned()
        )]
    );
    let mallory = app.new_user("mallory@exemple.org");
    app.put(
        &funding,
        Some(&mallory.access),
        None,
        &json!({"cash_subsidies_cents": 0}),
    )
    .expect_problem(404, "association.not_found");
    let bad_date = app.get(
        &format!("{}/status?on=31/12/2026", documents_path(&theatre)),
        Some(&alice.access),
    );
    bad_date.expect_problem(400, "query.invalid");
    assert_eq!(bad_date.field_errors()[0].0, "on");
}

fn the_president_signs_the_republican_engagement_contract(backend: Backend) {
    let app = TestApp::start(backend);
    let (alice, theatre) = association(
        &app,
        "alice@exemple.org",
        "Théâtre du Faubourg",
        "W751000001",
        "52499120500013",
    );
    let bob = app.new_user("bob@exemple.org");
    let invite = format!(
        "/api/v1/associations/{}/members",
        theatre["id"].as_str().expect("id")
    );
    let token = app
        .post(
            &invite,
            Some(&alice.access),
            &json!({"email": "bob@exemple.org", "role": "treasurer"}),
        )
        .expect(201)["token"]
        .clone();
    app.post(
        "/api/v1/invitations/accept",
        Some(&bob.access),
        &json!({"token": token}),
    )
    .expect(201);
    let attest = format!(
        "/api/v1/associations/{}/attestations",
        theatre["id"].as_str().expect("id")
    );
    let cer = json!({"kind": "contrat_engagement_republicain"});

    app.post(&attest, Some(&bob.access), &cer)
        .expect_problem(403, "access.forbidden");
    let not_one = app.post(&attest, Some(&alice.access), &json!({"kind": "statuts"}));
    assert_eq!(
        not_one.field_errors(),
        vec![("kind".to_owned(), "kind.not_an_attestation".to_owned())]
    );
    let signed = app.post(&attest, Some(&alice.access), &cer);
    let signed = signed.expect(201);
    assert_eq!(
        (
            signed["kind"].as_str(),
            signed["filed_by"].as_str(),
            signed["review"]["state"].as_str()
        ),
        (
            Some("contrat_engagement_republicain"),
            Some(alice.id.as_str()),
            Some("accepted")
        )
    );
    assert_eq!(signed["file"], Value::Null);
    let today = app.today().to_string();
    assert_eq!(
        kind_status(
            &status(&app, &alice, &theatre, &today),
            "contrat_engagement_republicain"
        ),
        "valid"
    );
}

fn profiles_unconfirmed_for_a_year_are_to_update(backend: Backend) {
    let app = TestApp::start(backend);
    let (alice, theatre) = association(
        &app,
        "alice@exemple.org",
        "Théâtre du Faubourg",
        "W751000001",
        "52499120500013",
    );
    for kind in ["statuts", "liste_dirigeants", "recepisse_prefecture"] {
        file(
            &app,
            Some(&alice),
            &theatre,
            &[("kind", kind)],
            Some((&format!("{kind}.pdf"), pdf(kind))),
        )
        .expect(201);
    }
    let in_days = |days: i64| {
        (chrono::Utc::now() + chrono::Duration::days(days))
            .date_naive()
            .to_string()
    };
    assert_eq!(
        status(&app, &alice, &theatre, &in_days(300))["profile_status"],
        "a_jour"
    );
    assert_eq!(
        status(&app, &alice, &theatre, &in_days(400))["profile_status"],
        "a_actualiser"
    );
    let confirmation = format!(
        "/api/v1/associations/{}/confirmation",
        theatre["id"].as_str().expect("id")
    );
    let mallory = app.new_user("mallory@exemple.org");
    app.post(&confirmation, Some(&mallory.access), &json!({}))
        .expect_problem(404, "association.not_found");
    let before = status(&app, &alice, &theatre, &in_days(0))["confirmed_at"]
        .as_str()
        .expect("confirmed_at")
        .to_owned();
    assert_eq!(
        app.post(&confirmation, Some(&alice.access), &json!({}))
            .status,
        204
    );
    let after = status(&app, &alice, &theatre, &in_days(0))["confirmed_at"]
        .as_str()
        .expect("confirmed_at")
        .to_owned();
    let parse = |t: &str| chrono::DateTime::parse_from_rfc3339(t).expect("a time");
    assert!(
        parse(&after) > parse(&before),
        "confirming moves the date: {before} then {after}"
    );
}

fn admins_edit_the_kinds_of_documents(backend: Backend) {
    let app = TestApp::start(backend);
    let kinds = app.get("/api/v1/document-kinds", None);
    let items = kinds.expect(200)["items"]
        .as_array()
        .expect("items")
        .clone();
    assert_eq!(items.len(), 11);
    let pv = items
        .iter()
        .find(|k| k["code"] == "pv_assemblee_generale")
        .expect("pv")
        .clone();
    assert_eq!(
        (pv["validity_rule"].as_str(), pv["max_age_months"].as_i64()),
        (Some("dated"), Some(18))
    );

    let admin = app.admin();
    let alice = app.new_user("alice@exemple.org");
    let path = "/api/v1/document-kinds/pv_assemblee_generale";
    let edit = json!({"label": "Procès-verbal de la dernière AG", "validity_rule": "dated", "max_age_months": 15});
    app.put(path, Some(&alice.access), None, &edit)
        .expect_problem(403, "access.forbidden");
    let edited = app.put(path, Some(&admin.access), None, &edit);
    assert_eq!(edited.expect(200)["max_age_months"], 15);
    let no_age = app.put(
        path,
        Some(&admin.access),
        None,
        &json!({"label": "PV", "validity_rule": "dated"}),
    );
    assert_eq!(
        no_age.field_errors(),
        vec![(
            "max_age_months".to_owned(),
            "kind.max_age_required".to_owned()
        )]
    );
    app.put(
        "/api/v1/document-kinds/diplome",
        Some(&admin.access),
        None,
        &edit,
    )
    .expect_problem(404, "document_kind.not_found");
    let reread = app.get("/api/v1/document-kinds", None).body["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|k| k["code"] == "pv_assemblee_generale")
        .cloned();
    assert_eq!(
        reread.expect("pv")["label"],
        "Procès-verbal de la dernière AG"
    );
}

/// An office archive with these entries (the first stored, the others deflated).
fn zipped(entries: &[(&str, &str)]) -> Vec<u8> {
    use std::io::Write;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (i, (name, text)) in entries.iter().enumerate() {
        let method = if i == 0 {
            zip::CompressionMethod::Stored
        } else {
            zip::CompressionMethod::Deflated
        };
        let options = zip::write::SimpleFileOptions::default().compression_method(method);
        zip.start_file(*name, options).expect("entry");
        zip.write_all(text.as_bytes()).expect("written");
    }
    zip.finish().expect("archive").into_inner()
}

/// A file that starts like a PDF, an image or an office document but does not open is
/// refused at its field, and nothing of it is kept.
fn files_that_do_not_open_are_refused_as_damaged_and_leave_nothing(backend: Backend) {
    let app = TestApp::start(backend);
    let (alice, theatre) = association(
        &app,
        "alice@exemple.org",
        "Théâtre du Faubourg",
        "W751000001",
        "52499120500013",
    );
    let statuts = [("kind", "statuts")];
    let upload = |name: &str, bytes: Vec<u8>| {
        file(&app, Some(&alice), &theatre, &statuts, Some((name, bytes)))
    };
    let docx = zipped(&[
        (
            "[Content_Types].xml",
            r#"<?xml version="1.0"?><Types><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#,
        ),
        ("_rels/.rels", "<Relationships/>"),
        ("word/document.xml", "<w:document/>"),
        ("word/styles.xml", "<w:styles/>"),
    ]);
    let valid = pdf("valide");
    let at = valid
        .windows(9)
        .rposition(|w| w == b"startxref")
        .expect("startxref");
    let moved = [&valid[..at], b"startxref\n999999\n%%EOF\n".as_slice()].concat();
    let png = include_bytes!("../../docs/request-page.png");
    let jfif = [b"\xff\xd8\xff\xe0\x00\x10JFIF\x00".as_slice(), &[0u8; 200]].concat();
    let refused: Vec<(&str, Vec<u8>)> = vec![
        ("court.pdf", b"%PDF-1.4\ntrailer\n%%EOF".to_vec()),
        ("coupe.pdf", valid[..valid.len() / 2].to_vec()),
        ("deplace.pdf", moved),
        ("coupee.png", png[..4096].to_vec()),
        ("vide.jpg", jfif),
        ("coupe.docx", docx[..docx.len() - 30].to_vec()),
        (
            "seul.odt",
            zipped(&[("mimetype", "application/vnd.oasis.opendocument.text")]),
        ),
    ];
    for (name, bytes) in refused {
        let reply = upload(name, bytes);
        reply.expect_problem(422, "validation.failed");
        assert_eq!(
            reply.field_errors(),
            [("file".to_owned(), "file.damaged".to_owned())],
            "{name}"
        );
        let said = reply.body["errors"][0]["detail"]
            .as_str()
            .unwrap_or_default();
        assert!(said.contains("endommagé ou incomplet"), "{name}: {said}");
    }
    assert_eq!(
        app.stored_files(),
        Vec::<std::path::PathBuf>::new(),
        "nothing kept"
    );
    let kinds: Vec<Value> = [
        ("statuts.pdf", valid),
        ("statuts.png", png.to_vec()),
        ("statuts.docx", docx),
    ]
    .into_iter()
    .map(|(name, bytes)| upload(name, bytes).expect(201)["version"]["file"]["media_type"].clone())
    .collect();
    assert_eq!(
        kinds,
        [
            json!("application/pdf"),
            json!("image/png"),
            json!("application/vnd.openxmlformats-officedocument.wordprocessingml.document")
        ]
    );
    assert_eq!(app.stored_files().len(), 3);
}

on_both_backends!(
    files_that_do_not_open_are_refused_as_damaged_and_leave_nothing,
    a_document_round_trips_byte_for_byte_and_identical_bytes_are_stored_once,
    a_new_filing_supersedes_the_previous_one_which_stays_readable,
    only_those_who_may_see_an_association_read_or_file_its_documents,
    an_interrupted_upload_leaves_no_row_and_no_file,
    bad_uploads_are_refused_with_the_reason_and_leave_nothing,
    the_city_reviews_documents_and_the_profile_status_follows,
    validity_follows_dates_years_and_the_auditor_threshold,
    the_president_signs_the_republican_engagement_contract,
    profiles_unconfirmed_for_a_year_are_to_update,
    admins_edit_the_kinds_of_documents,
);
