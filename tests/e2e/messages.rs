//! Talking about a request over HTTP: the association's thread with the city, the city's
//! internal notes, files, read marks, the search, and the e-mails that tell the other side.

use crate::requests::{City, create_draft, id, path, submitted};
use reqwest::blocking::multipart::{Form, Part};
use serde_json::{Value, json};
use simpa_tests::documents::{documents_path, pdf};
use simpa_tests::smtp::SmtpSink;
use simpa_tests::{Backend, Reply, TestApp, User, on_both_backends};
use std::time::Duration;

on_both_backends!(
    a_thread_carries_words_and_files_both_ways_and_says_who_read_what,
    messages_within_minutes_reach_the_other_side_in_one_email,
);

/// Writes in a request's thread as `user`: text fields (`document_version_ids` may come
/// several times) and maybe a file.
fn write(
    app: &TestApp,
    user: &User,
    request: &str,
    fields: &[(&str, &str)],
    file: Option<(&str, Vec<u8>)>,
) -> Reply {
    let mut form = Form::new();
    for (name, value) in fields {
        form = form.text(name.to_string(), value.to_string());
    }
    if let Some((name, bytes)) = file {
        form = form.part("file", Part::bytes(bytes).file_name(name.to_owned()));
    }
    let request = app
        .request(
            reqwest::Method::POST,
            &format!("{}/messages", path(request)),
        )
        .bearer_auth(&user.access)
        .multipart(form);
    app.send(request)
}

fn thread(app: &TestApp, user: &User, request: &str) -> Vec<Value> {
    app.get(&format!("{}/messages", path(request)), Some(&user.access))
        .expect(200)["items"]
        .as_array()
        .expect("items")
        .clone()
}

fn texts(messages: &[Value]) -> Vec<&str> {
    messages.iter().filter_map(|m| m["text"].as_str()).collect()
}

fn a_thread_carries_words_and_files_both_ways_and_says_who_read_what(backend: Backend) {
    let city = City::start(backend);
    let app = &city.app;
    let campaign = city.campaign(&city.bureau, "ANNUELLE_2027", "central", None);
    let (alice, association, request) = submitted(app, 1, &campaign);
    let (stranger, other, _) = submitted(app, 2, &campaign);
    let before = app.get(&path(&request), Some(&alice.access));
    let etag = before.header("etag").expect("an ETag").to_owned();

    // A draft has no thread yet: the city does not see it.
    let draft = id(&create_draft(app, &stranger, &campaign, &other));
    write(app, &stranger, &draft, &[("text", "Bonjour")], None)
        .expect_problem(409, "message.draft");

    // The association writes, with a file and one of its documents.
    let devis = pdf("devis-atelier");
    let sent = write(
        app,
        &alice,
        &request,
        &[("text", "Bonjour,\nvoici notre devis.")],
        Some(("devis.pdf", devis.clone())),
    );
    let first = sent.expect(201).clone();
    assert_eq!(first["side"], "association");
    assert_eq!(first["thread"], "association");
    assert_eq!(first["text"], "Bonjour,\nvoici notre devis.");
    assert_eq!(first["attachments"][0]["file_name"], "devis.pdf");
    let statutes = app
        .get(&documents_path(&association), Some(&alice.access))
        .expect(200)["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|v| v["kind"] == "statuts")
        .expect("statutes filed")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let second = write(
        app,
        &alice,
        &request,
        &[
            ("text", "Et nos statuts."),
            ("document_version_ids", &statutes),
        ],
        None,
    );
    assert_eq!(
        second.expect(201)["attachments"][0]["document_version_id"],
        statutes.as_str()
    );
    // Every wrong field at once, named as sent.
    let refused = write(
        app,
        &alice,
        &request,
        &[("text", "  "), ("document_version_ids", "pas-un-id")],
        None,
    );
    refused.expect(422);
    let fields: Vec<String> = refused.field_errors().into_iter().map(|(f, _)| f).collect();
    assert_eq!(
        fields,
        ["text", "document_version_ids[0]"],
        "{:?}",
        refused.body
    );
    let empty = write(app, &alice, &request, &[("text", "  ")], None);
    assert_eq!(
        empty.field_errors(),
        [("text".to_owned(), "text.required".to_owned())],
        "{:?}",
        empty.body
    );
    // A message changes nothing of the request: whoever edits it is not stale.
    let after = app.get(&path(&request), Some(&alice.access));
    assert_eq!(after.header("etag"), Some(etag.as_str()));

    // The bureau reads both, new to it, then marks them read: the association sees it.
    let read = thread(app, &city.bureau, &request);
    assert_eq!(
        texts(&read),
        ["Bonjour,\nvoici notre devis.", "Et nos statuts."]
    );
    assert!(read.iter().all(|m| m["unread"] == true), "{read:?}");
    assert!(read.iter().all(|m| m["read_by_other_side_at"].is_null()));
    let last = read[1]["seq"].as_i64().expect("seq");
    app.post(
        &format!("{}/messages/read", path(&request)),
        Some(&city.bureau.access),
        &json!({"seq": last}),
    )
    .expect(204);
    app.post(
        &format!("{}/messages/read", path(&request)),
        Some(&city.bureau.access),
        &json!({"seq": 999}),
    )
    .expect_problem(422, "validation.failed");
    let seen = thread(app, &alice, &request);
    assert!(
        seen.iter().all(|m| m["read_by_other_side_at"].is_string()),
        "{seen:?}"
    );
    assert!(
        thread(app, &city.bureau, &request)
            .iter()
            .all(|m| m["unread"] == false)
    );

    // The city answers, and leaves a note the association never sees.
    write(
        app,
        &city.bureau,
        &request,
        &[("text", "Merci, c'est noté.")],
        None,
    )
    .expect(201);
    let note = write(
        app,
        &city.bureau,
        &request,
        &[
            ("text", "Devis à comparer avec 2026."),
            ("thread", "internal"),
        ],
        Some(("comparatif.pdf", pdf("comparatif"))),
    );
    let note = note.expect(201).clone();
    let seen = thread(app, &alice, &request);
    assert_eq!(
        texts(&seen),
        [
            "Bonjour,\nvoici notre devis.",
            "Et nos statuts.",
            "Merci, c'est noté."
        ]
    );
    assert_eq!(seen[2]["side"], "city");
    assert_eq!(seen[2]["unread"], true);
    let internal = format!("{}/messages?thread=internal", path(&request));
    app.get(&internal, Some(&alice.access))
        .expect_problem(404, "thread.not_found");
    write(
        app,
        &alice,
        &request,
        &[("text", "x"), ("thread", "internal")],
        None,
    )
    .expect_problem(404, "thread.not_found");
    let notes = app.get(&internal, Some(&city.bureau.access)).expect(200)["items"].clone();
    assert_eq!(notes[0]["text"], "Devis à comparer avec 2026.");

    // Files: read by whoever reads their thread.
    let href = first["attachments"][0]["href"]
        .as_str()
        .expect("href")
        .to_owned();
    let (status, _, bytes) = app.download(&href, Some(&alice.access), &[]);
    assert_eq!((status, bytes), (200, devis));
    app.get(&href, Some(&stranger.access))
        .expect_problem(404, "thread.not_found");
    let note_file = note["attachments"][0]["href"].as_str().expect("href");
    app.get(note_file, Some(&alice.access))
        .expect_problem(404, "thread.not_found");
    app.get(
        &format!("{}/messages", path(&request)),
        Some(&stranger.access),
    )
    .expect_problem(404, "thread.not_found");
    app.get(
        &format!("{}/messages", path(&request)),
        Some(&city.dac.access),
    )
    .expect_problem(404, "thread.not_found");

    // Messages are in the history, and its chain holds.
    let verified = app
        .get(
            &format!("{}/history/verify", path(&request)),
            Some(&city.bureau.access),
        )
        .expect(200)
        .clone();
    assert_eq!(verified["intact"], true, "{verified:?}");
    assert_eq!(verified["consistent"], true, "{verified:?}");

    // The staff search, accents and case aside, within what each follows.
    let found = app.get("/api/v1/messages?q=NOTE", Some(&city.bureau.access));
    let found: Vec<&str> = found.expect(200)["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|f| f["message"]["text"].as_str())
        .collect();
    assert_eq!(found, ["Merci, c'est noté."]);
    let none = app.get("/api/v1/messages?q=devis", Some(&city.dac.access));
    assert_eq!(none.expect(200)["items"], json!([]));
    app.get("/api/v1/messages?q=devis", Some(&alice.access))
        .expect(403);
}

fn messages_within_minutes_reach_the_other_side_in_one_email(backend: Backend) {
    let sink = SmtpSink::start();
    let port = sink.port().to_string();
    let city = City::start_with(
        backend,
        &[
            ("SIMPA_SMTP_HOST", "127.0.0.1"),
            ("SIMPA_SMTP_PORT", &port),
            ("SIMPA_SMTP_TLS", "none"),
            ("SIMPA_MAIL_FROM", "Ville <subventions@ville.test>"),
            ("SIMPA_OUTBOX_POLL_MS", "50"),
        ],
    );
    let app = &city.app;
    let campaign = city.campaign(&city.bureau, "ANNUELLE_2027", "central", None);
    let (alice, _, request) = submitted(app, 1, &campaign);
    let about_messages = |to: &str| {
        sink.deliveries()
            .into_iter()
            .filter(|d| d.to.iter().any(|t| t == to) && d.subject().contains("message"))
            .collect::<Vec<_>>()
    };
    write(app, &alice, &request, &[("text", "Premier message.")], None).expect(201);
    write(app, &alice, &request, &[("text", "Second message.")], None).expect(201);
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        about_messages("bureau@ville.test").is_empty(),
        "waits for more"
    );
    app.clock.advance(chrono::TimeDelta::minutes(6));
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while about_messages("bureau@ville.test").is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let mails = about_messages("bureau@ville.test");
    assert_eq!(mails.len(), 1, "one e-mail for both");
    assert_eq!(
        mails[0].subject(),
        "2 nouveaux messages sur la demande 2027_00001"
    );
    let text = mails[0].body("text/plain");
    assert!(
        text.contains("Premier message.") && text.contains("Second message."),
        "{text}"
    );
    assert!(text.contains("/agents/demandes/"), "{text}");
    assert!(
        about_messages(&alice.email).is_empty(),
        "nobody is told of their own words"
    );

    // The city's answer reaches the association, once its minutes passed.
    write(app, &city.bureau, &request, &[("text", "Bien reçu.")], None).expect(201);
    app.clock.advance(chrono::TimeDelta::minutes(6));
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while about_messages(&alice.email).is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let mails = about_messages(&alice.email);
    assert_eq!(mails.len(), 1);
    assert_eq!(
        mails[0].subject(),
        "Nouveau message sur une demande : demande 2027_00001"
    );
    let text = mails[0].body("text/plain");
    assert!(
        text.contains("Bien reçu.") && !text.contains("Premier message."),
        "{text}"
    );
    assert!(
        text.contains(&format!("/demandes/{request}/messages")),
        "{text}"
    );
}
