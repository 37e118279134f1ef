//! The OpenAPI document as committed: pretty JSON with a final newline.

pub fn render() -> String {
    let json = serde_json::to_string_pretty(&simpa_api::openapi_document())
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    format!("{json}\n")
}
