//! The committed `openapi/openapi.json` must be what the code produces, and declare the rules
//! the server checks.

#[test]
fn the_committed_openapi_document_matches_the_code() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi.json");
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == simpa_openapi::render(),
        "{} is stale: run `make openapi` and commit the result",
        path.display()
    );
}

#[test]
fn every_operation_documents_its_errors_as_problems() {
    let document: serde_json::Value = serde_json::from_str(&simpa_openapi::render()).expect("JSON");
    let paths = document["paths"].as_object().expect("paths");
    assert!(paths.len() >= 19, "{} paths", paths.len());
    for (path, item) in paths {
        for (method, operation) in item.as_object().expect("operations") {
            let responses = operation["responses"].as_object().expect("responses");
            for status in ["500", "503"] {
                assert!(
                    responses.contains_key(status),
                    "{method} {path} lacks {status}"
                );
            }
            let protected = operation.get("security").is_some();
            if protected {
                assert!(
                    responses.contains_key("401"),
                    "{method} {path} is protected but does not document 401"
                );
            }
        }
    }
}

/// Every value of `key` in `value`'s tree, with the object that holds it.
fn holders<'a>(value: &'a serde_json::Value, key: &str, found: &mut Vec<&'a serde_json::Value>) {
    match value {
        serde_json::Value::Object(map) => {
            if map.contains_key(key) {
                found.push(value);
            }
            map.values().for_each(|v| holders(v, key, found));
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| holders(v, key, found)),
        _ => {}
    }
}

#[test]
fn the_document_declares_the_rules_the_server_checks() {
    use simpa_domain::account::{PASSWORD_MAX_CHARS, PASSWORD_MIN_CHARS};
    let document: serde_json::Value = serde_json::from_str(&simpa_openapi::render()).expect("JSON");
    // Every new password a client sends: the length the domain asks (the current one is
    // whatever it was).
    let schemas = &document["components"]["schemas"];
    let mut passwords = 0;
    for (name, schema) in schemas.as_object().expect("schemas") {
        for (field, property) in schema["properties"].as_object().into_iter().flatten() {
            if field == "password" || field == "new_password" {
                passwords += 1;
                assert_eq!(
                    (&property["minLength"], &property["maxLength"]),
                    (
                        &serde_json::json!(PASSWORD_MIN_CHARS),
                        &serde_json::json!(PASSWORD_MAX_CHARS)
                    ),
                    "{name}.{field}"
                );
            }
        }
    }
    assert!(passwords >= 3, "{passwords} passwords");
    // Every page size: what the pagination accepts.
    let mut parameters = vec![];
    holders(&document["paths"], "in", &mut parameters);
    let limits: Vec<_> = parameters.iter().filter(|p| p["name"] == "limit").collect();
    assert!(limits.len() >= 8, "{} limits", limits.len());
    for limit in limits {
        assert_eq!(
            (&limit["schema"]["minimum"], &limit["schema"]["maximum"]),
            (
                &serde_json::json!(1),
                &serde_json::json!(simpa_api::pagination::MAX_LIMIT)
            ),
            "{limit}"
        );
    }
}
