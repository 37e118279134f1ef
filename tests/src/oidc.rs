//! A real OpenID provider on loopback (`tests/oidc/provider.mjs`: the OpenID-certified
//! `oidc-provider` package under the machine's Node.js, which `make test` installs and names
//! in `SIMPA_OIDC_PROVIDER`).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

pub const CLIENT_ID: &str = "simpa";
pub const CLIENT_SECRET: &str = "secret de test : ne sert qu'ici";
/// Where the provider sends browsers back: Simpa's callback, whatever the port of the test
/// server (the browser goes to the test server's own address).
pub const REDIRECT_URI: &str = "http://simpa.test/api/v1/auth/oidc/callback";

/// The provider's process, stopped when dropped.
pub struct OidcProvider {
    child: Child,
    pub issuer: String,
}

impl OidcProvider {
    /// Starts the provider, with Simpa as its one client; `None` when the provider is not
    /// installed (a failure under CI).
    pub fn start() -> Option<OidcProvider> {
        let script = crate::installed_tool(
            "SIMPA_OIDC_PROVIDER",
            "single sign-on cannot go untested against a real provider",
        )?;
        let mut child = Command::new("node")
            .arg(script)
            .env("OIDC_CLIENT_ID", CLIENT_ID)
            .env("OIDC_CLIENT_SECRET", CLIENT_SECRET)
            .env("OIDC_REDIRECT_URI", REDIRECT_URI)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("node starts the OpenID provider");
        let mut issuer = String::new();
        let mut stdout = BufReader::new(child.stdout.take().expect("its stdout"));
        stdout
            .read_line(&mut issuer)
            .expect("the provider says its issuer");
        // What it prints later (the package's notices) must find a reader: a closed pipe
        // would kill it.
        std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
        let issuer = issuer.trim().to_owned();
        assert!(issuer.starts_with("http://127.0.0.1:"), "{issuer:?}");
        Some(OidcProvider { child, issuer })
    }

    /// What Simpa is configured with to use this provider.
    pub fn simpa_settings(&self) -> Vec<(&'static str, String)> {
        vec![
            ("SIMPA_OIDC_ISSUER", self.issuer.clone()),
            ("SIMPA_OIDC_CLIENT_ID", CLIENT_ID.into()),
            ("SIMPA_OIDC_CLIENT_SECRET", CLIENT_SECRET.into()),
            ("SIMPA_OIDC_REDIRECT_URL", REDIRECT_URI.into()),
        ]
    }

    /// The next ID token the provider gives is re-signed with `change` (`{"aud": …}` or
    /// `{"expired": true}`).
    pub fn tamper_next_id_token(&self, change: serde_json::Value) {
        let answer = reqwest::blocking::Client::new()
            .post(format!("{}/_test/next-id-token", self.issuer))
            .json(&change)
            .send()
            .expect("the provider answers");
        assert_eq!(answer.status(), 204);
    }

    /// Stops the provider, as when it is down.
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        self.stop();
    }
}
