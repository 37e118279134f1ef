//! Every message Simpa writes for people reads as French (`simpa_domain::french::slips`): no
//! "à le", "de le X", "de A…", no "(s)" placeholder, no English word of a program, no API
//! path. They are read where they are written: the string literals of the sources that speak
//! French (an accented letter, a « or an apostrophe between letters), outside tests, logs and
//! panics, with their placeholders filled; and the text of every e-mail and page template.
//! What a message fills in at run time (a name, a council) goes through `french::de` and
//! `french::a`, which the domain tests; the e-mails are rendered with awkward names in
//! `simpa_app::notify`'s tests.

use simpa_domain::french::slips;
use std::path::{Path, PathBuf};

fn files_under(dir: &Path, extension: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(files_under(&path, extension));
        } else if path.extension().is_some_and(|e| e == extension) {
            found.push(path);
        }
    }
    found.sort();
    found
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace")
        .to_owned()
}

/// The string literals of a line of code (escapes kept as written).
fn literals(line: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut current: Option<String> = None;
    let mut escaped = false;
    for c in line.chars() {
        match (&mut current, c) {
            (Some(text), _) if escaped => {
                text.push(c);
                escaped = false;
            }
            (Some(_), '\\') => escaped = true,
            (Some(_), '"') => found.extend(current.take()),
            (Some(text), _) => text.push(c),
            (None, '"') => current = Some(String::new()),
            (None, _) => {}
        }
    }
    found
}

/// Whether a literal is French meant for a person.
fn speaks_french(literal: &str) -> bool {
    literal.contains(' ')
        && literal
            .chars()
            .any(|c| "éèêàâçôîûù«".contains(c) || c == '\'')
}

/// What lies between `open` and `close` replaced by `by`.
fn filled_with(text: &str, open: &str, close: &str, by: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find(open) {
        out.push_str(&rest[..start]);
        out.push_str(by);
        rest = match rest[start + open.len()..].find(close) {
            Some(end) => &rest[start + open.len() + end + close.len()..],
            None => "",
        };
    }
    out.push_str(rest);
    out
}

/// Placeholders filled with a name that elides nothing.
fn filled(text: &str, open: &str, close: &str) -> String {
    filled_with(text, open, close, "Xavier")
}

/// The CERFA's own labels of the funders ("Région(s)", "Commune(s)…") are quoted as the form
/// prints them.
fn cerfa_free(literal: &str) -> String {
    [
        "Région(s)",
        "Département(s)",
        "Intercommunalité(s)",
        "Commune(s)",
    ]
    .iter()
    .fold(literal.to_owned(), |text, label| {
        text.replace(label, "Xavier")
    })
}

#[test]
fn the_messages_of_the_sources_read_as_french() {
    let root = workspace();
    let mut found = Vec::new();
    for krate in ["domain", "app", "api", "web", "files", "fixtures"] {
        // The OpenAPI document's descriptions are for developers, in English.
        let files = files_under(&root.join(krate).join("src"), "rs")
            .into_iter()
            .filter(|f| !f.ends_with("api/src/openapi.rs"));
        for file in files {
            let source = std::fs::read_to_string(&file).expect("a source");
            // Tests come last in a file: what they write is not shown to anyone.
            let shown = source.split("#[cfg(test)]").next().unwrap_or_default();
            for (number, line) in shown.lines().enumerate() {
                let code = line.trim_start();
                let silent = [
                    "//",
                    "tracing::",
                    "debug!",
                    "info!",
                    "warn!",
                    "panic!",
                    "assert",
                ]
                .iter()
                .any(|s| code.starts_with(s))
                    || code.contains(".expect(")
                    || code.contains("StoreError::")
                    // The OpenAPI document's answers, for developers.
                    || code.contains("description = ");
                if silent {
                    continue;
                }
                for literal in literals(line).into_iter().filter(|l| speaks_french(l)) {
                    let slips = slips(&filled(&cerfa_free(&literal), "{", "}"));
                    if !slips.is_empty() {
                        found.push(format!(
                            "{}:{}: {slips:?} in {literal}",
                            file.strip_prefix(&root).unwrap_or(&file).display(),
                            number + 1
                        ));
                    }
                }
            }
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn the_templates_read_as_french() {
    let root = workspace();
    let mut found = Vec::new();
    for dir in ["app/templates", "web/templates"] {
        for extension in ["html", "txt"] {
            // The administrators' page about API clients says how a system signs in.
            let files = files_under(&root.join(dir), extension)
                .into_iter()
                .filter(|f| !f.ends_with("admin_clients.html"));
            for file in files {
                let source = std::fs::read_to_string(&file).expect("a template");
                let text = filled_with(&source, "{#", "#}", " ");
                let text = filled_with(&text, "{%", "%}", " ");
                let text = filled_with(&filled(&text, "{{", "}}"), "<", ">", " ");
                for (number, line) in text.lines().enumerate() {
                    let slips = slips(line);
                    if !slips.is_empty() {
                        found.push(format!(
                            "{}:{}: {slips:?} in {line}",
                            file.strip_prefix(&root).unwrap_or(&file).display(),
                            number + 1
                        ));
                    }
                }
            }
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}
