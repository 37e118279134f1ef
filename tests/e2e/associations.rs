use serde_json::{Value, json};
use simpa_tests::client::association_body;
use simpa_tests::{Backend, TestApp, on_both_backends};

fn id_of(value: &Value) -> String {
    value["id"].as_str().expect("an id").to_owned()
}

fn association_lifecycle_with_optimistic_concurrency(backend: Backend) {
    let app = TestApp::start(backend);
    let alice = app.new_user("alice@exemple.org");

    let created = app.post(
        "/api/v1/associations",
        Some(&alice.access),
        &association_body("Théâtre du Faubourg", "w751000001", "524 991 205 00013"),
    );
    let body = created.expect(201).clone();
    let id = id_of(&body);
    let path = format!("/api/v1/associations/{id}");
    assert_eq!(created.header("etag"), Some("\"1\""));
    assert_eq!(created.header("location"), Some(path.as_str()));
    assert_eq!(body["name"], "Théâtre du Faubourg");
    assert_eq!(body["rna"], "W751000001", "RNA is upper-cased");
    assert_eq!(body["siret"], "52499120500013", "spaces are dropped");
    assert_eq!(body["siren"], "524991205");
    assert_eq!(body["district_number"], 11, "75011 is in the 11th");
    assert_eq!(body["sectors"], json!(["culture_arts"]));
    assert_eq!(body["directory_consent"], false);
    assert_eq!(body["legal_representative"]["name"], "Dominique Leroy");
    assert_eq!(body["version"], 1);

    // The creator is the president.
    let me = app.get("/api/v1/me", Some(&alice.access));
    let memberships = &me.expect(200)["memberships"];
    assert_eq!(
        memberships,
        &json!([{"association_id": id, "association_name": "Théâtre du Faubourg", "role": "president", "role_label": "Président·e"}])
    );

    let read = app.get(&path, Some(&alice.access));
    assert_eq!(read.expect(200), &body);
    assert_eq!(read.header("etag"), Some("\"1\""));

    // An edit on the version read is applied; the district follows the postal code.
    let mut edit = association_body(
        "Théâtre du Faubourg Saint-Antoine",
        "W751000001",
        "52499120500013",
    );
    edit["address"]["postal_code"] = json!("75116");
    edit["sectors"] = json!(["culture_arts", "education_formation"]);
    edit["website"] = Value::Null;
    let updated = app.put(&path, Some(&alice.access), Some("\"1\""), &edit);
    let after = updated.expect(200).clone();
    assert_eq!(updated.header("etag"), Some("\"2\""));
    assert_eq!(after["version"], 2);
    assert_eq!(after["name"], "Théâtre du Faubourg Saint-Antoine");
    assert_eq!(
        after["district_number"], 16,
        "75116 is the north of the 16th"
    );
    assert_eq!(
        after["sectors"],
        json!(["culture_arts", "education_formation"])
    );
    assert_eq!(
        after["website"],
        Value::Null,
        "a field sent empty is cleared"
    );
    assert_eq!(after["created_at"], body["created_at"]);

    // A second edit made on version 1 is refused and changes nothing.
    let mut late = edit.clone();
    late["name"] = json!("Nom écrit sur une version périmée");
    let stale = app.put(&path, Some(&alice.access), Some("\"1\""), &late);
    stale.expect_problem(412, "version.stale");
    assert_eq!(stale.body["current_version"], 2);
    assert_eq!(stale.header("etag"), Some("\"2\""));
    assert_eq!(app.get(&path, Some(&alice.access)).expect(200), &after);

    // An edit that does not say which version it read is refused; a weak tag matches nothing.
    app.put(&path, Some(&alice.access), None, &late)
        .expect_problem(428, "precondition.required");
    app.put(&path, Some(&alice.access), Some("W/\"2\""), &late)
        .expect_problem(412, "version.stale");
    app.put(&path, None, Some("\"2\""), &late)
        .expect_problem(401, "auth.required");
    app.post("/api/v1/associations", None, &late)
        .expect_problem(401, "auth.required");

    // Someone else cannot learn that the association exists.
    let bob = app.new_user("bob@exemple.org");
    let hidden = app.get(&path, Some(&bob.access));
    hidden.expect_problem(404, "association.not_found");
    assert!(!hidden.text.contains("Faubourg"));
    app.put(&path, Some(&bob.access), Some("\"2\""), &late)
        .expect_problem(404, "association.not_found");
    app.get(&format!("{path}/members"), Some(&bob.access))
        .expect_problem(404, "association.not_found");
    // Nor can anyone unsigned.
    app.get(&path, None).expect_problem(401, "auth.required");
    assert_eq!(app.get(&path, Some(&alice.access)).body["version"], 2);
}

fn invalid_identifiers_are_named_field_by_field(backend: Backend) {
    let app = TestApp::start(backend);
    let alice = app.new_user("alice@exemple.org");
    let cases: &[(&str, &str, Value, &str)] = &[
        ("rna", "/rna", json!("W12"), "rna.invalid_format"),
        ("rna", "/rna", json!("X751000001"), "rna.invalid_format"),
        (
            "siret",
            "/siret",
            json!("52499120500014"),
            "siret.invalid_checksum",
        ),
        (
            "siret",
            "/siret",
            json!("5249912050001"),
            "siret.invalid_format",
        ),
        (
            "address.postal_code",
            "/address/postal_code",
            json!("7501"),
            "postal_code.invalid_format",
        ),
        (
            "email",
            "/email",
            json!("contact-at-exemple.org"),
            "email.invalid",
        ),
        ("phone", "/phone", json!("12"), "phone.invalid"),
        ("website", "/website", json!("exemple.org"), "url.invalid"),
        ("name", "/name", json!("   "), "text.required"),
        (
            "name",
            "/name",
            json!("Théâtre\u{0}"),
            "text.control_character",
        ),
        (
            "object",
            "/object",
            json!("Objet\u{7}"),
            "text.control_character",
        ),
        (
            "creation_date",
            "/creation_date",
            json!("2999-01-01"),
            "creation_date.in_future",
        ),
        (
            "sectors",
            "/sectors",
            json!(["sport", "sante", "social", "culture_arts"]),
            "sectors.too_many",
        ),
        (
            "sectors[1]",
            "/sectors",
            json!(["sport", "cuisine"]),
            "sectors.unknown",
        ),
        (
            "legal_representative.email",
            "/legal_representative/email",
            json!("nope"),
            "email.invalid",
        ),
    ];
    for (field, pointer, value, code) in cases {
        let mut body = association_body("Association test", "W751000002", "38033590100027");
        *body.pointer_mut(pointer).expect("pointer") = value.clone();
        let reply = app.post("/api/v1/associations", Some(&alice.access), &body);
        reply.expect_problem(422, "validation.failed");
        assert_eq!(
            reply.field_errors(),
            vec![(field.to_string(), code.to_string())],
            "{field} = {value}"
        );
        let detail = reply.body["errors"][0]["detail"]
            .as_str()
            .unwrap_or_default();
        assert!(!detail.is_empty(), "each error explains its rule in French");
    }

    // Every invalid field is reported at once.
    let mut body = association_body("Association test", "W12", "52499120500014");
    body["address"]["postal_code"] = json!("7501");
    let reply = app.post("/api/v1/associations", Some(&alice.access), &body);
    reply.expect_problem(422, "validation.failed");
    let fields: Vec<String> = reply.field_errors().into_iter().map(|(f, _)| f).collect();
    assert_eq!(fields, ["rna", "siret", "address.postal_code"]);

    // Values of the wrong type, too many sectors with an unknown one among them, and the
    // rules the other fields break: all in one answer, and nothing kept.
    let mut body = association_body("   ", "W751000002", "38033590100027");
    body["sectors"] = json!(["sport", "sante", "social", "cuisine"]);
    body["directory_consent"] = json!("oui");
    body["creation_date"] = json!(20_040_315);
    let reply = app.post("/api/v1/associations", Some(&alice.access), &body);
    reply.expect_problem(422, "validation.failed");
    let mut errors = reply.field_errors();
    errors.sort();
    assert_eq!(
        errors,
        [
            ("creation_date", "field.invalid_type"),
            ("directory_consent", "field.invalid_type"),
            ("name", "text.required"),
            ("sectors", "sectors.too_many"),
            ("sectors[3]", "sectors.unknown"),
        ]
        .map(|(f, c)| (f.to_owned(), c.to_owned()))
    );
    // Only a value of the wrong type: the rest was right, and still nothing is kept.
    let mut body = association_body("Association test", "W751000002", "38033590100027");
    body["directory_consent"] = json!("oui");
    let reply = app.post("/api/v1/associations", Some(&alice.access), &body);
    assert_eq!(
        reply.field_errors(),
        [(
            "directory_consent".to_owned(),
            "field.invalid_type".to_owned()
        )]
    );

    // Nothing was written.
    let me = app.get("/api/v1/me", Some(&alice.access));
    assert_eq!(me.expect(200)["memberships"], json!([]));
}

fn duplicate_siret_or_rna_is_a_conflict_naming_the_field(backend: Backend) {
    let app = TestApp::start(backend);
    let alice = app.new_user("alice@exemple.org");
    let bob = app.new_user("bob@exemple.org");
    app.create_association(
        &alice,
        &association_body("Première", "W751000001", "52499120500013"),
    );

    let same_siret = app.post(
        "/api/v1/associations",
        Some(&bob.access),
        &association_body("Seconde", "W751000002", "52499120500013"),
    );
    same_siret.expect_problem(409, "association.siret_taken");
    assert_eq!(
        same_siret.field_errors(),
        vec![("siret".to_owned(), "association.siret_taken".to_owned())]
    );

    let same_rna = app.post(
        "/api/v1/associations",
        Some(&bob.access),
        &association_body("Seconde", "w751000001", "38033590100027"),
    );
    same_rna.expect_problem(409, "association.rna_taken");
    assert_eq!(
        same_rna.field_errors(),
        vec![("rna".to_owned(), "association.rna_taken".to_owned())]
    );

    // Taking another's identifier by an edit is refused too; keeping one's own is fine.
    let mine = app.create_association(
        &bob,
        &association_body("Seconde", "W751000002", "38033590100027"),
    );
    let path = format!("/api/v1/associations/{}", id_of(&mine));
    app.put(
        &path,
        Some(&bob.access),
        Some("\"1\""),
        &association_body("Seconde", "W751000002", "52499120500013"),
    )
    .expect_problem(409, "association.siret_taken");
    app.put(
        &path,
        Some(&bob.access),
        Some("\"1\""),
        &association_body("Seconde bis", "W751000002", "38033590100027"),
    )
    .expect(200);

    let memberships = app.get("/api/v1/me", Some(&bob.access)).expect(200)["memberships"].clone();
    assert_eq!(
        memberships.as_array().map(Vec::len),
        Some(1),
        "the refused creations left nothing behind"
    );
}

fn a_retried_create_with_the_same_idempotency_key_creates_once(backend: Backend) {
    let app = TestApp::start(backend);
    let alice = app.new_user("alice@exemple.org");
    let body = association_body("Théâtre du Faubourg", "W751000001", "52499120500013");
    let post = |key: &str, body: &Value| {
        app.send(
            app.request(reqwest::Method::POST, "/api/v1/associations")
                .bearer_auth(&alice.access)
                .header("Idempotency-Key", key)
                .json(body),
        )
    };
    let first = post("create-theatre-1", &body);
    first.expect(201);
    let again = post("create-theatre-1", &body);
    assert_eq!(
        again.expect(201),
        &first.body,
        "the retry gets the first answer"
    );
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.header("etag"), Some("\"1\""));
    assert_eq!(again.header("location"), first.header("location"));
    assert!(
        first
            .header("location")
            .is_some_and(|l| l.ends_with(first.body["id"].as_str().unwrap_or("?")))
    );

    let mut other = body.clone();
    other["name"] = json!("Autre nom");
    let reused = post("create-theatre-1", &other);
    reused.expect_problem(422, "validation.failed");
    assert_eq!(
        reused.field_errors(),
        vec![(
            "Idempotency-Key".to_owned(),
            "idempotency_key.reused".to_owned()
        )]
    );

    let memberships = app.get("/api/v1/me", Some(&alice.access)).expect(200)["memberships"].clone();
    assert_eq!(
        memberships.as_array().map(Vec::len),
        Some(1),
        "created once"
    );
}

fn staff_search_ignores_accents_and_case_and_pages_with_a_cursor(backend: Backend) {
    let app = TestApp::start(backend);
    let alice = app.new_user("alice@exemple.org");
    let mut ecole = association_body(
        "École de musique des Batignolles",
        "W751000002",
        "38033590100027",
    );
    ecole["address"]["postal_code"] = json!("75017");
    ecole["sectors"] = json!(["education_formation", "culture_arts"]);
    let mut club = association_body(
        "Club de football de Belleville",
        "W751000003",
        "37939422400016",
    );
    club["address"]["postal_code"] = json!("75020");
    club["sectors"] = json!(["sport"]);
    let mut faubourg = association_body("Théâtre du Faubourg", "W751000001", "52499120500013");
    faubourg["acronym"] = json!("TDF");
    let ids: Vec<String> = [&ecole, &club, &faubourg]
        .into_iter()
        .map(|body| {
            app.create_association(&alice, body)["id"]
                .as_str()
                .expect("id")
                .to_owned()
        })
        .collect();
    let admin = app.admin();
    let bureau = app.staff(&admin, "bureau@ville.test", json!({"kind": "bureau"}));
    let names = |query: &str| -> Vec<String> {
        let reply = app.get(
            &format!("/api/v1/associations{query}"),
            Some(&bureau.access),
        );
        reply.expect(200)["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|a| a["name"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    assert_eq!(
        names(""),
        [
            "Club de football de Belleville",
            "École de musique des Batignolles",
            "Théâtre du Faubourg"
        ]
    );
    assert_eq!(names("?q=theatre"), ["Théâtre du Faubourg"]);
    assert_eq!(names("?q=ECOLE"), ["École de musique des Batignolles"]);
    assert_eq!(
        names("?q=tdf"),
        ["Théâtre du Faubourg"],
        "acronyms are searched"
    );
    assert_eq!(
        names("?q=379394224"),
        ["Club de football de Belleville"],
        "SIRETs are searched"
    );
    assert_eq!(
        names("?q=50%25"),
        Vec::<String>::new(),
        "LIKE wildcards are plain text"
    );
    assert_eq!(names("?district=20"), ["Club de football de Belleville"]);
    assert_eq!(
        names("?sector=culture_arts"),
        ["École de musique des Batignolles", "Théâtre du Faubourg"]
    );
    assert_eq!(
        names("?sector=culture_arts&district=17"),
        ["École de musique des Batignolles"]
    );

    let first = app.get("/api/v1/associations?limit=2", Some(&bureau.access));
    let page = first.expect(200);
    assert_eq!(page["items"].as_array().map(Vec::len), Some(2));
    let cursor = page["next_cursor"].as_str().expect("a next page");
    let second = app.get(
        &format!("/api/v1/associations?limit=2&cursor={cursor}"),
        Some(&bureau.access),
    );
    let rest = second.expect(200);
    assert_eq!(rest["items"][0]["name"], "Théâtre du Faubourg");
    assert_eq!(rest["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(rest["next_cursor"], Value::Null);

    let nul = app.get("/api/v1/associations?q=th%00eatre", Some(&bureau.access));
    nul.expect_problem(400, "query.invalid");
    assert_eq!(
        nul.field_errors(),
        vec![("q".to_owned(), "text.control_character".to_owned())]
    );
    let bad = app.get("/api/v1/associations?cursor=%%%", Some(&bureau.access));
    bad.expect_problem(400, "query.invalid");
    assert_eq!(bad.field_errors()[0].0, "cursor");
    let bad = app.get("/api/v1/associations?limit=0", Some(&bureau.access));
    assert_eq!(
        bad.field_errors(),
        vec![("limit".to_owned(), "limit.out_of_range".to_owned())]
    );
    let bad = app.get("/api/v1/associations?limit=many", Some(&bureau.access));
    bad.expect_problem(400, "query.invalid");
    assert_eq!(bad.field_errors()[0].0, "limit");

    // The list is for staff only.
    app.get("/api/v1/associations", Some(&alice.access))
        .expect_problem(403, "access.forbidden");
    app.get("/api/v1/associations", None)
        .expect_problem(401, "auth.required");

    // A renamed association is found by its new name only.
    let path = format!("/api/v1/associations/{}", ids[2]);
    let read = app.get(&path, Some(&alice.access));
    let version = read.header("etag").expect("ETag").to_owned();
    let mut renamed = read.expect(200).clone();
    renamed["name"] = json!("Compagnie des Lilas");
    renamed["acronym"] = json!("CDL");
    app.put(&path, Some(&alice.access), Some(&version), &renamed)
        .expect(200);
    assert_eq!(names("?q=theatre"), Vec::<String>::new());
    assert_eq!(names("?q=tdf"), Vec::<String>::new());
    assert_eq!(names("?q=lilas%20cdl"), ["Compagnie des Lilas"]);
    assert_eq!(
        names("?q=52499120500013"),
        ["Compagnie des Lilas"],
        "its SIRET still finds it"
    );
}

fn staff_read_profiles_but_only_central_staff_and_members_edit_them(backend: Backend) {
    let app = TestApp::start(backend);
    let alice = app.new_user("alice@exemple.org");
    let created = app.create_association(
        &alice,
        &association_body("Théâtre du Faubourg", "W751000001", "52499120500013"),
    );
    let path = format!("/api/v1/associations/{}", id_of(&created));
    let admin = app.admin();
    let direction = app.direction_id("DAC");
    let instructor = app.staff(
        &admin,
        "dac@ville.test",
        json!({"kind": "instructor", "direction_id": direction}),
    );
    let bureau = app.staff(&admin, "bureau@ville.test", json!({"kind": "bureau"}));

    assert_eq!(
        app.get(&path, Some(&instructor.access)).expect(200)["name"],
        "Théâtre du Faubourg"
    );
    let edit = association_body("Renommée par la DAC", "W751000001", "52499120500013");
    app.put(&path, Some(&instructor.access), Some("\"1\""), &edit)
        .expect_problem(403, "access.forbidden");
    app.get(&format!("{path}/members"), Some(&instructor.access))
        .expect_problem(403, "access.forbidden");
    let fixed = app.put(
        &path,
        Some(&bureau.access),
        Some("\"1\""),
        &association_body(
            "Théâtre du Faubourg (corrigé)",
            "W751000001",
            "52499120500013",
        ),
    );
    assert_eq!(fixed.expect(200)["name"], "Théâtre du Faubourg (corrigé)");
}

/// Two identical calls with the same key, at the same moment, still create once; both get
/// the same answer.
fn concurrent_retries_with_one_key_create_once(backend: Backend) {
    let app = TestApp::start(backend);
    let alice = app.new_user("alice@exemple.org");
    let sirets = [
        "52499120500013",
        "38033590100027",
        "37939422400016",
        "42901366700028",
        "40772080400019",
    ];
    for (round, siret) in sirets.iter().enumerate() {
        let body = association_body(
            &format!("Association {round}"),
            &format!("W75100000{round}"),
            siret,
        );
        let key = format!("retry-{round}");
        let (first, second) = std::thread::scope(|scope| {
            let post = || {
                app.send(
                    app.request(reqwest::Method::POST, "/api/v1/associations")
                        .bearer_auth(&alice.access)
                        .header("Idempotency-Key", &key)
                        .json(&body),
                )
            };
            let a = scope.spawn(post);
            let b = scope.spawn(post);
            (a.join().expect("a"), b.join().expect("b"))
        });
        assert_eq!(
            (first.status, second.status),
            (201, 201),
            "round {round}: {} / {}",
            first.text,
            second.text
        );
        assert_eq!(
            first.body["id"], second.body["id"],
            "round {round}: one association"
        );
    }
    let memberships = app.get("/api/v1/me", Some(&alice.access)).expect(200)["memberships"].clone();
    assert_eq!(memberships.as_array().map(Vec::len), Some(sirets.len()));
}

/// Names equal once folded sort as one: the id breaks the tie, and pages neither skip nor
/// repeat anyone.
fn equal_names_page_in_id_order(backend: Backend) {
    let app = TestApp::start(backend);
    let alice = app.new_user("alice@exemple.org");
    let sirets = [
        "52499120500013",
        "38033590100027",
        "37939422400016",
        "42901366700028",
    ];
    let mut created = Vec::new();
    for (n, name) in [
        "Théâtre du Faubourg",
        "THEATRE DU FAUBOURG",
        "théâtre du faubourg",
        "Theatre du Faubourg",
    ]
    .iter()
    .enumerate()
    {
        let body = association_body(name, &format!("W75100000{n}"), sirets[n]);
        created.push(id_of(&app.create_association(&alice, &body)));
    }
    created.sort();
    let admin = app.admin();
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let query = cursor
            .as_ref()
            .map_or("/api/v1/associations?limit=1".to_owned(), |c| {
                format!("/api/v1/associations?limit=1&cursor={c}")
            });
        let page = app.get(&query, Some(&admin.access)).expect(200).clone();
        seen.extend(page["items"].as_array().expect("items").iter().map(id_of));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, created, "one page per association, in id order");
}

on_both_backends!(
    concurrent_retries_with_one_key_create_once,
    equal_names_page_in_id_order,
    association_lifecycle_with_optimistic_concurrency,
    invalid_identifiers_are_named_field_by_field,
    duplicate_siret_or_rna_is_a_conflict_naming_the_field,
    a_retried_create_with_the_same_idempotency_key_creates_once,
    staff_search_ignores_accents_and_case_and_pages_with_a_cursor,
    staff_read_profiles_but_only_central_staff_and_members_edit_them,
);
