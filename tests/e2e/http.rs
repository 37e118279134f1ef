use serde_json::{Value, json};
use simpa_tests::client::{association_body, rna, siret};
use simpa_tests::{Backend, TestApp, on_both_backends};

fn bad_input_gets_a_problem_naming_the_field_never_a_500(backend: Backend) {
    let app = TestApp::start_with(backend, &[("SIMPA_JSON_LIMIT_BYTES", "4096")]);
    let alice = app.new_user("alice@exemple.org");
    let post_raw = |content_type: &str, body: String| {
        app.send(
            app.request(reqwest::Method::POST, "/api/v1/associations")
                .bearer_auth(&alice.access)
                .header("Content-Type", content_type)
                .body(body),
        )
    };
    post_raw("application/json", "{\"name\": ".into()).expect_problem(400, "json.malformed");
    post_raw(
        "application/json",
        format!(
            "{} trailing",
            association_body("A", "W751000001", "52499120500013")
        ),
    )
    .expect_problem(400, "json.malformed");
    post_raw(
        "text/plain",
        association_body("A", "W751000001", "52499120500013").to_string(),
    )
    .expect_problem(415, "content_type.unsupported");
    let mut huge = association_body("A", "W751000001", "52499120500013");
    huge["object"] = json!("x".repeat(5000));
    post_raw("application/json", huge.to_string()).expect_problem(413, "body.too_large");

    let cases: &[(&str, Value, &str, &str)] = &[
        ("/name", json!(42), "name", "field.invalid_type"),
        // Names are one visible line, read as they are written.
        (
            "/name",
            json!("\u{200b}\u{200b}\u{200b}"),
            "name",
            "text.required",
        ),
        (
            "/name",
            json!("Théâtre\u{202e}ertaéhT"),
            "name",
            "text.bidi_control",
        ),
        (
            "/name",
            json!("Théâtre\nBcc: x@y.fr"),
            "name",
            "text.control_character",
        ),
        (
            "/acronym",
            json!("TD\u{202e}F"),
            "acronym",
            "text.bidi_control",
        ),
        (
            "/directory_consent",
            json!("yes"),
            "directory_consent",
            "field.invalid_type",
        ),
        ("/sectors", json!("sport"), "sectors", "field.invalid_type"),
        (
            "/creation_date",
            json!("15/03/2004"),
            "creation_date",
            "field.invalid_value",
        ),
    ];
    for (pointer, value, field, code) in cases {
        let mut body = association_body("A", "W751000001", "52499120500013");
        *body.pointer_mut(pointer).expect("pointer") = value.clone();
        let reply = app.post("/api/v1/associations", Some(&alice.access), &body);
        reply.expect_problem(422, "validation.failed");
        assert_eq!(
            reply.field_errors(),
            vec![(field.to_string(), code.to_string())],
            "{pointer}"
        );
    }
    let mut missing = association_body("A", "W751000001", "52499120500013");
    missing.as_object_mut().expect("object").remove("address");
    assert_eq!(
        app.post("/api/v1/associations", Some(&alice.access), &missing)
            .field_errors(),
        vec![("address".to_owned(), "field.required".to_owned())]
    );
    let mut nested = association_body("A", "W751000001", "52499120500013");
    nested["address"]
        .as_object_mut()
        .expect("object")
        .remove("city");
    assert_eq!(
        app.post("/api/v1/associations", Some(&alice.access), &nested)
            .field_errors(),
        vec![("address.city".to_owned(), "field.required".to_owned())]
    );
    let grant = app.post(
        "/api/v1/auth/token",
        None,
        &json!({"grant_type": "magic", "email": "a@b.fr"}),
    );
    grant.expect_problem(422, "validation.failed");

    // A request's body: its target and its fields are read apart, so that an error in a field
    // is named even though the body holds both; every such error at once.
    let target = json!({"campaign_id": uuid::Uuid::now_v7(), "association_id": uuid::Uuid::now_v7(), "title": "T"});
    for (field, value, code) in [
        ("start_date", json!(""), "field.invalid_value"),
        ("renews_request_id", json!(""), "field.invalid_value"),
        ("nature", json!("bogus"), "field.unknown_value"),
        ("requested_cents", json!(12.5), "field.invalid_type"),
    ] {
        let mut body = target.clone();
        body[field] = value;
        let reply = app.post("/api/v1/requests", Some(&alice.access), &body);
        reply.expect_problem(422, "validation.failed");
        assert_eq!(
            reply.field_errors(),
            vec![(field.to_owned(), code.to_owned())],
            "{field}"
        );
    }
    let both = app.post(
        "/api/v1/requests",
        Some(&alice.access),
        &json!({"campaign_id": "x", "association_id": uuid::Uuid::now_v7(), "title": "T", "nature": "bogus"}),
    );
    assert_eq!(
        both.field_errors(),
        vec![
            ("campaign_id".to_owned(), "field.invalid_value".to_owned()),
            ("nature".to_owned(), "field.unknown_value".to_owned())
        ]
    );
    // An integer written as a number with a zero fraction is that integer (JSON Schema's
    // reading): the body goes past the parsing, to the rules (here, no such campaign).
    let mut integral = target.clone();
    integral["requested_cents"] = json!(1430035.0);
    app.post("/api/v1/requests", Some(&alice.access), &integral)
        .expect_problem(404, "association.not_found");

    app.get("/api/v1/associations/not-a-uuid", Some(&alice.access))
        .expect_problem(404, "resource.not_found");
    app.get("/api/v1/nothing-here", None)
        .expect_problem(404, "route.not_found");
    let memberships = app.get("/api/v1/me", Some(&alice.access)).expect(200)["memberships"].clone();
    assert_eq!(
        memberships,
        json!([]),
        "none of the bad requests wrote anything"
    );
}

fn every_answer_carries_a_request_id(backend: Backend) {
    let app = TestApp::start(backend);
    let generated = app.get("/healthz", None);
    let id = generated.header("x-request-id").expect("a request id");
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");
    let echoed = app.send(
        app.request(reqwest::Method::GET, "/api/v1/nothing")
            .header("X-Request-Id", "trace-1234"),
    );
    assert_eq!(echoed.header("x-request-id"), Some("trace-1234"));
    let refused = app.send(
        app.request(reqwest::Method::GET, "/healthz")
            .header("X-Request-Id", "bad id with spaces"),
    );
    let replaced = refused.header("x-request-id").expect("a request id");
    assert!(
        uuid::Uuid::parse_str(replaced).is_ok(),
        "an unusable id is replaced by a new one: {replaced}"
    );
}

/// The security headers of an answer: (nosniff, frame options, referrer policy, CSP, HSTS,
/// Server).
fn security_headers(reply: &simpa_tests::client::Reply) -> [Option<&str>; 6] {
    [
        reply.header("x-content-type-options"),
        reply.header("x-frame-options"),
        reply.header("referrer-policy"),
        reply.header("content-security-policy"),
        reply.header("strict-transport-security"),
        reply.header("server"),
    ]
}

fn every_answer_carries_the_security_headers(backend: Backend) {
    let app = TestApp::start(backend);
    let strict = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
    let expected = |policy| {
        [
            Some("nosniff"),
            Some("DENY"),
            Some("no-referrer"),
            Some(policy),
            None,
            None,
        ]
    };
    // JSON, a problem, a public CSV, whatever the status.
    for path in [
        "/api/v1/districts",
        "/api/v1/nothing",
        "/api/v1/requests",
        "/api/v1/open-data/subsidies.csv",
    ] {
        assert_eq!(
            security_headers(&app.get(path, None)),
            expected(strict),
            "{path}"
        );
    }
    // Swagger UI runs its own scripts, and nothing else.
    let docs = app.get("/docs/", None);
    assert_eq!(
        security_headers(&docs),
        expected(
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
        )
    );
    assert!(
        !docs.text.contains("<script>"),
        "no inline script for the policy to block: {}",
        docs.text
    );
    // Behind an HTTPS proxy, browsers are told to keep to HTTPS.
    let app = app.restart_with(&[("SIMPA_HSTS", "true")]);
    assert_eq!(
        app.get("/healthz", None)
            .header("strict-transport-security"),
        Some("max-age=31536000; includeSubDomains")
    );
}

/// How many associations a database holds.
fn associations_in(db: &simpa_persistence::Db) -> i64 {
    use diesel::prelude::*;
    use simpa_persistence::schema::associations;
    db.read(|conn| {
        associations::table
            .count()
            .get_result(conn)
            .map_err(simpa_persistence::StoreError::from)
    })
    .expect("count")
}

fn a_backup_copies_the_embedded_database_while_it_serves(backend: Backend) {
    let app = TestApp::start(backend);
    let user = app.new_user("sauvegarde@exemple.org");
    app.create_association(
        &user,
        &association_body("Association sauvegardée", &rna(7), &siret(7)),
    );
    let target = app.data_dir().join("sauvegarde.db");
    if backend == Backend::Postgres {
        let refused = app.db.backup_into(&target).expect_err("pg_dump's work");
        assert!(refused.to_string().contains("pg_dump"), "{refused}");
        assert!(!target.exists());
        return;
    }
    app.db.backup_into(&target).expect("a backup");
    let url = simpa_persistence::DatabaseUrl::parse(&format!("sqlite://{}", target.display()))
        .expect("url");
    let copy = simpa_persistence::Db::open(&url, simpa_persistence::PoolOptions::default())
        .expect("the backup opens");
    assert_eq!(associations_in(&copy), associations_in(&app.db));
    assert_eq!(associations_in(&copy), 1);
    let again = app.db.backup_into(&target).expect_err("never over a file");
    assert!(again.to_string().contains("exists"), "{again}");
}

/// The value of a series in Prometheus's text format (`name{labels} value`).
fn series(text: &str, name_and_labels: &str) -> Option<f64> {
    text.lines().find_map(|l| {
        l.strip_prefix(name_and_labels)?
            .strip_prefix(' ')?
            .parse()
            .ok()
    })
}

fn metrics_count_requests_per_route_for_a_scraper_with_the_token(backend: Backend) {
    let app = TestApp::start(backend);
    app.get("/metrics", None)
        .expect_problem(404, "resource.not_found");
    let app = app.restart_with(&[("SIMPA_METRICS_TOKEN", "jeton-de-prometheus")]);
    app.get("/metrics", None)
        .expect_problem(401, "auth.required");
    app.get("/metrics", Some("un-autre-jeton"))
        .expect_problem(401, "auth.required");
    for _ in 0..3 {
        app.get("/api/v1/districts", None).expect(200);
    }
    let user = app.new_user("metriques@exemple.org");
    let association = app.create_association(
        &user,
        &association_body("Association mesurée", &rna(8), &siret(8)),
    );
    let id = association["id"].as_str().expect("id");
    app.get(&format!("/api/v1/associations/{id}"), Some(&user.access))
        .expect(200);
    app.get("/api/v1/nothing", None);
    // Refused before the router: still counted under their route.
    app.get(&format!("/api/v1/associations/{id}"), None)
        .expect_problem(401, "auth.required");
    app.send(app.request(reqwest::Method::DELETE, "/api/v1/districts"))
        .expect_problem(405, "method.not_allowed");
    let run_before = app.db.statements_run();
    let scraped = app.get("/metrics", Some("jeton-de-prometheus"));
    let run_after = app.db.statements_run();
    assert_eq!(scraped.status, 200, "{}", scraped.text);
    let text = &scraped.text;
    let count = |labels: &str| series(text, &format!("simpa_http_requests_total{{{labels}}}"));
    assert_eq!(
        count(r#"method="GET",route="/api/v1/districts",status="200""#),
        Some(3.0),
        "{text}"
    );
    assert_eq!(
        count(r#"method="GET",route="/api/v1/associations/{association_id}",status="200""#),
        Some(1.0),
        "ids do not multiply the series: {text}"
    );
    assert_eq!(
        count(r#"method="GET",route="unmatched",status="404""#),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        count(r#"method="GET",route="/api/v1/associations/{association_id}",status="401""#),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        count(r#"method="DELETE",route="/api/v1/districts",status="405""#),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        series(
            text,
            r#"simpa_http_request_duration_seconds_count{method="GET",route="/api/v1/districts"}"#
        ),
        Some(3.0)
    );
    assert!(series(text, r#"simpa_db_pool_connections{state="open"}"#).is_some_and(|n| n >= 1.0));
    // Every statement the pool ran until the scrape counted them (its own reads included).
    let statements = series(text, "simpa_db_statements_total").expect("statements counted");
    assert!(
        (run_before as f64..=run_after as f64).contains(&statements) && statements > 0.0,
        "{run_before} <= {statements} <= {run_after}"
    );
    // Registering sent a welcome e-mail? Whatever is queued is counted, and nothing failed.
    assert!(
        series(
            text,
            r#"simpa_outbox_messages{channel="email",status="pending"}"#
        )
        .is_some()
    );
    assert_eq!(
        series(
            text,
            r#"simpa_outbox_messages{channel="webhook",status="failed"}"#
        ),
        Some(0.0)
    );
}

fn health_and_readiness(backend: Backend) {
    let app = TestApp::start(backend);
    assert_eq!(
        app.get("/healthz", None).expect(200),
        &json!({"status": "ok"})
    );
    let expected = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    assert_eq!(
        app.get("/readyz", None).expect(200),
        &json!({"status": "ok", "database": expected})
    );
}

fn reference_data_is_public(backend: Backend) {
    let app = TestApp::start(backend);
    let districts = app.get("/api/v1/districts", None).expect(200)["items"]
        .as_array()
        .expect("items")
        .clone();
    assert_eq!(districts.len(), 20);
    let sixteenth = districts.iter().find(|d| d["number"] == 16).expect("16th");
    assert_eq!(sixteenth["postal_codes"], json!(["75016", "75116"]));
    assert_eq!(sixteenth["insee_code"], "75116");
    assert_eq!(districts[0]["town_hall"], "Mairie de Paris Centre");
    assert_eq!(
        districts[10],
        json!({"number": 11, "name": "11e arrondissement", "insee_code": "75111", "town_hall": "Mairie du 11e arrondissement", "postal_codes": ["75011"]})
    );

    let directions = app.get("/api/v1/directions", None).expect(200)["items"]
        .as_array()
        .expect("items")
        .clone();
    let find = |code: &str| {
        directions
            .iter()
            .find(|d| d["code"] == code)
            .cloned()
            .expect(code)
    };
    assert_eq!(find("DAC")["name"], "Direction des Affaires Culturelles");
    assert_eq!(find("DSOL")["active"], true);
    assert_eq!(find("DASES")["active"], false, "DASES became DSOL in 2022");
    for code in [
        "DDCT", "DJS", "DAE", "DFPE", "DASCO", "DPMP", "DGRI", "DEVE", "DPE", "DU", "DLH", "DVD",
        "DRH", "DSP", "DTEC",
    ] {
        assert_eq!(find(code)["active"], true, "{code}");
    }

    let sectors = app.get("/api/v1/sectors", None).expect(200)["items"]
        .as_array()
        .expect("items")
        .clone();
    assert_eq!(sectors.len(), 18);
    assert!(sectors.contains(&json!({"code": "culture_arts", "label": "Culture & Arts"})));
}

fn the_documentation_is_served_offline(backend: Backend) {
    let app = TestApp::start(backend);
    let document = app.get("/openapi.json", None).expect(200).clone();
    assert_eq!(document["openapi"], "3.1.0");
    assert_eq!(
        document,
        serde_json::to_value(simpa_api::openapi_document()).expect("json"),
        "the served document is the built one"
    );
    assert!(
        document["paths"]["/api/v1/associations/{association_id}"]["put"]["responses"]["412"]
            .is_object()
    );
    let docs = app.get("/docs/", None);
    assert_eq!(docs.status, 200);
    assert!(
        docs.text.to_lowercase().contains("swagger"),
        "{}",
        &docs.text[..docs.text.len().min(200)]
    );
    let no_redirects = reqwest::blocking::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let redirect = no_redirects.get(app.url("/docs")).send().expect("answer");
    assert_eq!(redirect.status(), 308);
    assert_eq!(
        redirect
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok()),
        Some("/docs/")
    );
}

/// What the OpenAPI document promises before any handler runs: a known path with another
/// method gets 405 and `Allow`; an operation that needs a token refuses a call without a valid
/// one before reading its input.
fn the_contract_is_kept_before_any_handler_runs(backend: Backend) {
    let app = TestApp::start_with(backend, &[("SIMPA_PUBLIC_ORIGINS", "https://www.paris.fr")]);
    let send =
        |method: &str, path: &str| app.send(app.request(method.parse().expect("method"), path));
    for (method, path, allow) in [
        ("DELETE", "/api/v1/requests", "GET, POST"),
        ("TRACE", "/api/v1/districts", "GET"),
        // Its own path, though `/requests/{request_id}` would take it and has PUT.
        ("PUT", "/api/v1/requests/changes", "GET"),
        ("POST", "/api/v1/open-data/subsidies.csv", "GET"),
        ("PATCH", "/healthz", "GET"),
    ] {
        let refused = send(method, path);
        let problem = refused.expect_problem(405, "method.not_allowed");
        assert!(
            problem["detail"]
                .as_str()
                .is_some_and(|d| d.contains(method)),
            "{problem}"
        );
        assert_eq!(refused.header("allow"), Some(allow), "{method} {path}");
    }
    send("DELETE", "/api/v1/nothing").expect_problem(404, "route.not_found");
    assert_eq!(send("DELETE", "/api/v1/nothing").header("allow"), None);

    // Without a token: 401, whatever the body, query or preconditions would have said.
    let malformed = app.send(
        app.request(reqwest::Method::POST, "/api/v1/requests")
            .header("content-type", "application/json")
            .body("{not json"),
    );
    malformed.expect_problem(401, "auth.required");
    assert_eq!(malformed.header("www-authenticate"), Some("Bearer"));
    app.get("/api/v1/agreements?status=nonsense", None)
        .expect_problem(401, "auth.required");
    app.get("/api/v1/requests/changes?since=-1&limit=0", None)
        .expect_problem(401, "auth.required");
    // The path as the router reads it, percent-decoded.
    app.get("/api/v1/%61udit-events?action=nonsense", None)
        .expect_problem(401, "auth.required");
    let unconditional = app.post(
        &format!("/api/v1/agreements/{}/sign", uuid::Uuid::new_v4()),
        None,
        &json!({}),
    );
    unconditional.expect_problem(401, "auth.required");
    // A token that is not valid: 401 too, before the body.
    let forged = app.send(
        app.request(reqwest::Method::POST, "/api/v1/requests")
            .bearer_auth("not-a-token")
            .header("content-type", "application/json")
            .body("{not json"),
    );
    forged.expect_problem(401, "auth.invalid_token");
    // With a valid token, the input is read as before.
    let alice = app.new_user("alice@exemple.org");
    let read = app.send(
        app.request(reqwest::Method::POST, "/api/v1/requests")
            .bearer_auth(&alice.access)
            .header("content-type", "application/json")
            .body("{not json"),
    );
    read.expect_problem(400, "json.malformed");
    // Public operations take anyone.
    app.get("/api/v1/campaigns", None).expect(200);
    // The CORS preflight of the public directory still reaches its CORS.
    let preflight = app.send(
        app.request(reqwest::Method::OPTIONS, "/api/v1/directory/associations")
            .header("origin", "https://www.paris.fr")
            .header("access-control-request-method", "GET"),
    );
    assert_eq!(preflight.status, 200, "{}", preflight.text);
    assert_eq!(
        preflight.header("access-control-allow-origin"),
        Some("https://www.paris.fr")
    );
    // A preflight it refuses is answered like every other refusal.
    for (origin, method, code) in [
        ("https://ailleurs.example", "GET", "cors.origin_not_allowed"),
        ("https://www.paris.fr", "DELETE", "cors.method_not_allowed"),
    ] {
        let refused = app.send(
            app.request(reqwest::Method::OPTIONS, "/api/v1/open-data/subsidies.csv")
                .header("origin", origin)
                .header("access-control-request-method", method),
        );
        refused.expect_problem(400, code);
        assert_eq!(refused.header("x-content-type-options"), Some("nosniff"));
    }
    // OPTIONS is a method like the others elsewhere: 405 with `Allow` on a known path.
    let options = send("OPTIONS", "/api/v1/requests");
    options.expect_problem(405, "method.not_allowed");
    assert_eq!(options.header("allow"), Some("GET, POST"));
    let private_preflight = app.send(
        app.request(reqwest::Method::OPTIONS, "/api/v1/me")
            .header("origin", "https://www.paris.fr")
            .header("access-control-request-method", "GET"),
    );
    private_preflight.expect_problem(405, "method.not_allowed");
    assert_eq!(private_preflight.header("allow"), Some("GET"));
    assert_eq!(
        private_preflight.header("access-control-allow-origin"),
        None
    );
    send("OPTIONS", "/api/v1/nothing").expect_problem(404, "route.not_found");
}

/// Sends raw bytes on a new connection and returns all that comes back until it closes.
fn raw_exchange(app: &TestApp, bytes: &[u8]) -> String {
    use std::io::{Read, Write};
    let address = app.base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).expect("connect");
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .expect("timeout");
    // The server may answer and close before reading everything: a failed write is fine.
    let _ = stream.write_all(bytes);
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

/// The problem of the answer that starts at `from`, with its status line and headers.
fn problem_at(answers: &str, from: usize) -> (String, Value) {
    let answer = &answers[from..];
    let (head, body) = answer.split_once("\r\n\r\n").expect("a head");
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length: "))
        .and_then(|l| l.parse().ok())
        .expect("a length");
    let problem = serde_json::from_str(&body[..length]).expect("JSON");
    (head.to_owned(), problem)
}

/// A request actix-http cannot even parse is answered by itself, before any route: those
/// answers are problems too, with the security headers.
fn unreadable_requests_get_a_problem_too(backend: Backend) {
    let app = TestApp::start(backend);
    let long_line = [
        b"GET /".as_slice(),
        &vec![b'a'; 70_000],
        b" HTTP/1.1\r\nHost: x\r\n\r\n",
    ]
    .concat();
    let many_headers: String = (0..100).map(|i| format!("X-En-Tete-{i}: v\r\n")).collect();
    for (request, status, code) in [
        (long_line.clone(), 400, "request.unreadable"),
        (
            b"DES OCTETS QUI NE SONT PAS HTTP\r\n\r\n".to_vec(),
            400,
            "request.unreadable",
        ),
        (
            format!("GET /healthz HTTP/1.1\r\nHost: x\r\n{many_headers}\r\n").into_bytes(),
            431,
            "request.headers_too_large",
        ),
    ] {
        let answer = raw_exchange(&app, &request);
        let (head, problem) = problem_at(&answer, 0);
        assert!(head.starts_with(&format!("HTTP/1.1 {status} ")), "{head}");
        assert!(
            head.contains("content-type: application/problem+json"),
            "{head}"
        );
        assert!(head.contains("x-content-type-options: nosniff"), "{head}");
        assert!(
            head.contains("content-security-policy: default-src 'none'"),
            "{head}"
        );
        assert_eq!(
            (problem["status"].as_u64(), problem["code"].as_str()),
            (Some(status), Some(code))
        );
    }
    // After answers of the application on the same connection, too.
    let pipelined = [
        b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /api/v1/districts HTTP/1.1\r\nHost: x\r\n\r\n".as_slice(),
        &long_line,
    ]
    .concat();
    let answers = raw_exchange(&app, &pipelined);
    assert!(answers.starts_with("HTTP/1.1 200 OK"), "{answers}");
    let last = answers.rfind("HTTP/1.1 ").expect("answers");
    assert_eq!(
        answers[..last].matches("HTTP/1.1 200 OK").count(),
        2,
        "{answers}"
    );
    let (head, problem) = problem_at(&answers, last);
    assert!(head.starts_with("HTTP/1.1 400 "), "{head}");
    assert_eq!(problem["code"], "request.unreadable");
    // An answer to HEAD ends its connection: what follows it cannot be told from its length.
    let head = raw_exchange(&app, b"HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    assert!(head.contains("connection: close"), "{head}");
}

on_both_backends!(
    unreadable_requests_get_a_problem_too,
    the_contract_is_kept_before_any_handler_runs,
    bad_input_gets_a_problem_naming_the_field_never_a_500,
    every_answer_carries_a_request_id,
    every_answer_carries_the_security_headers,
    a_backup_copies_the_embedded_database_while_it_serves,
    metrics_count_requests_per_route_for_a_scraper_with_the_token,
    health_and_readiness,
    reference_data_is_public,
    the_documentation_is_served_offline,
);
