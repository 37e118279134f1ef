//! Writes Simpa's OpenAPI document to `openapi/openapi.json` (`make openapi`).

use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi.json");
    let document = simpa_openapi::render();
    match std::fs::write(&path, document) {
        Ok(()) => {
            println!("wrote {}", path.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("cannot write {}: {e}", path.display());
            ExitCode::FAILURE
        }
    }
}
