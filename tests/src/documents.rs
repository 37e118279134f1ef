//! Filing documents over HTTP, as an association does.

use crate::{Reply, TestApp, User};
use reqwest::blocking::multipart::{Form, Part};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// A small but real PDF (it opens: its cross-reference table leads to its catalog); `tag`
/// makes its bytes unique.
pub fn pdf(tag: &str) -> Vec<u8> {
    simpa_fixtures::pdf::one_page(&[format!("Pièce de test : {tag}")])
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub fn documents_path(association: &Value) -> String {
    format!(
        "/api/v1/associations/{}/documents",
        association["id"].as_str().expect("id")
    )
}

/// Files a document as `user`: text fields, and a file when given.
pub fn file(
    app: &TestApp,
    user: Option<&User>,
    association: &Value,
    fields: &[(&str, &str)],
    upload: Option<(&str, Vec<u8>)>,
) -> Reply {
    let mut form = Form::new();
    for (name, value) in fields {
        form = form.text(name.to_string(), value.to_string());
    }
    if let Some((name, bytes)) = upload {
        form = form.part("file", Part::bytes(bytes).file_name(name.to_owned()));
    }
    let mut request = app
        .request(reqwest::Method::POST, &documents_path(association))
        .multipart(form);
    if let Some(user) = user {
        request = request.bearer_auth(&user.access);
    }
    app.send(request)
}

/// Files a new version of a kind of document (a RIB with its bank details, in the
/// association's name) as `user`, its bytes made unique by `tag`.
pub fn file_kind(app: &TestApp, user: &User, association: &Value, kind: &str, tag: &str) {
    let name = association["name"].as_str().expect("name").to_owned();
    let mut fields = vec![("kind", kind)];
    if kind == "rib" {
        fields.extend([
            ("iban", "FR76 3000 6000 0112 3456 7890 189"),
            ("bic", "AGRIFRPP"),
            ("account_holder", name.as_str()),
        ]);
    }
    let upload = (&format!("{kind}.pdf")[..], pdf(&format!("{tag} {kind}")));
    file(
        app,
        Some(user),
        association,
        &fields,
        Some((upload.0, upload.1)),
    )
    .expect(201);
}

/// Files what the profile and a request need (statutes, officers, prefecture receipt, RIB)
/// and has the president sign the contrat d'engagement républicain.
pub fn file_everything(app: &TestApp, president: &User, association: &Value, tag: &str) {
    for kind in ["statuts", "liste_dirigeants", "recepisse_prefecture", "rib"] {
        file_kind(app, president, association, kind, tag);
    }
    app.post(
        &format!(
            "/api/v1/associations/{}/attestations",
            association["id"].as_str().expect("id")
        ),
        Some(&president.access),
        &serde_json::json!({"kind": "contrat_engagement_republicain"}),
    )
    .expect(201);
}
