//! The committed `openapi/openapi.json` must be what the code produces.

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
