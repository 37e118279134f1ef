//! The city's identity provider, as an OpenID Connect client sees it: its discovery document,
//! the address a browser is sent to (authorization code flow with PKCE, state and nonce), and
//! the exchange of the code it sends back for an ID token whose signature is checked against
//! the provider's published keys (the claims are the domain's rule: `simpa_domain::sso`).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use simpa_domain::DomainError;
use simpa_domain::digest::sha256;
use simpa_domain::sso::{Expected, IdTokenClaims, Identity, check_id_token};
use std::time::Duration;

/// How the city's provider is reached (`SIMPA_OIDC_*`).
#[derive(Clone)]
pub struct OidcConfig {
    /// The issuer, as its discovery document and ID tokens name it.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    /// Where the provider sends the browser back (registered at the provider).
    pub redirect_uri: String,
    pub scopes: String,
    /// Whether a person the provider knows and Simpa does not gets an account (without role).
    pub provisioning: bool,
}

impl std::fmt::Debug for OidcConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcConfig")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("client_secret", &"***")
            .field("redirect_uri", &self.redirect_uri)
            .field("scopes", &self.scopes)
            .field("provisioning", &self.provisioning)
            .finish()
    }
}

/// Why a sign-in through the provider failed.
#[derive(Debug)]
pub enum SsoError {
    /// The provider cannot be reached, or answers what is not OpenID Connect: nothing was
    /// written, the person may try again later.
    Unavailable(String),
    /// The provider or the rules refused the sign-in.
    Refused(DomainError),
}

impl From<DomainError> for SsoError {
    fn from(e: DomainError) -> Self {
        SsoError::Refused(e)
    }
}

/// What a sign-in sends the browser to the provider with, kept until it comes back.
pub struct LoginStart {
    pub state: String,
    pub nonce: String,
    pub code_verifier: String,
}

/// The PKCE challenge of a verifier (RFC 7636 §4.2, S256).
pub fn pkce_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(sha256(verifier.as_bytes()))
}

#[derive(Deserialize)]
struct Discovery {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
}

#[derive(Deserialize)]
struct TokenAnswer {
    id_token: Option<String>,
}

#[derive(Deserialize)]
struct TokenError {
    error: String,
    error_description: Option<String>,
}

/// `aud` is one string or several (RFC 7519 §4.1.3).
#[derive(Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize)]
struct RawClaims {
    iss: String,
    sub: String,
    aud: Audience,
    azp: Option<String>,
    exp: i64,
    iat: i64,
    nonce: Option<String>,
    email: Option<String>,
    email_verified: Option<bool>,
    name: Option<String>,
}

/// The algorithms an ID token may be signed with: the provider's keys, never a shared secret
/// nor `none`.
const ALGORITHMS: [Algorithm; 8] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
];

/// The provider, reached over HTTP.
#[derive(Clone)]
pub struct OidcClient {
    pub config: OidcConfig,
    http: reqwest::Client,
}

fn unavailable(what: &str, error: impl std::fmt::Display) -> SsoError {
    SsoError::Unavailable(format!("{what}: {error}"))
}

fn refused(code: &'static str, message: String) -> SsoError {
    SsoError::Refused(DomainError::Unauthenticated { code, message })
}

impl OidcClient {
    pub fn new(config: OidcConfig) -> Result<OidcClient, String> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("le client HTTP du fournisseur d'identité : {e}"))?;
        Ok(OidcClient { config, http })
    }

    /// The provider's discovery document (OpenID Connect Discovery §4), checked to be the
    /// configured issuer's.
    async fn discover(&self) -> Result<Discovery, SsoError> {
        let url = format!(
            "{}/.well-known/openid-configuration",
            self.config.issuer.trim_end_matches('/')
        );
        let discovery: Discovery = self.get_json(&url, "discovery document").await?;
        if discovery.issuer != self.config.issuer {
            return Err(unavailable(
                "discovery document",
                format!("issuer {} is not {}", discovery.issuer, self.config.issuer),
            ));
        }
        Ok(discovery)
    }

    async fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        url: &str,
        what: &str,
    ) -> Result<T, SsoError> {
        let answer = self
            .http
            .get(url)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| unavailable(what, e))?;
        answer.json().await.map_err(|e| unavailable(what, e))
    }

    /// The provider's authorization endpoint, where a sign-in sends the browser.
    pub async fn authorization_endpoint(&self) -> Result<reqwest::Url, SsoError> {
        let discovery = self.discover().await?;
        reqwest::Url::parse(&discovery.authorization_endpoint)
            .map_err(|e| unavailable("authorization endpoint", e))
    }

    /// The address the browser is sent to for this sign-in.
    pub fn authorization_url(&self, endpoint: &reqwest::Url, start: &LoginStart) -> String {
        let mut url = endpoint.clone();
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.config.client_id)
            .append_pair("redirect_uri", &self.config.redirect_uri)
            .append_pair("scope", &self.config.scopes)
            .append_pair("state", &start.state)
            .append_pair("nonce", &start.nonce)
            .append_pair("code_challenge", &pkce_challenge(&start.code_verifier))
            .append_pair("code_challenge_method", "S256");
        url.into()
    }

    /// Exchanges the code the provider sent back for its ID token (the client authenticated
    /// with HTTP Basic, the PKCE verifier proving the same sign-in), checks its signature with
    /// the provider's keys and its claims with the domain's rules: who signed in.
    pub async fn identify(
        &self,
        code: &str,
        code_verifier: &str,
        nonce: &str,
        now: DateTime<Utc>,
    ) -> Result<Identity, SsoError> {
        let discovery = self.discover().await?;
        let answer = self
            .http
            .post(&discovery.token_endpoint)
            .basic_auth(
                form_encoded(&self.config.client_id),
                Some(form_encoded(&self.config.client_secret)),
            )
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", &self.config.redirect_uri),
                ("code_verifier", code_verifier),
            ])
            .send()
            .await
            .map_err(|e| unavailable("token endpoint", e))?;
        let status = answer.status();
        if status.is_server_error() {
            return Err(unavailable("token endpoint", status));
        }
        if !status.is_success() {
            let error: TokenError = answer
                .json()
                .await
                .map_err(|e| unavailable("token endpoint", e))?;
            tracing::warn!(error = %error.error, description = ?error.error_description, "the identity provider refused the code");
            return Err(refused(
                "auth.sso_refused",
                "Le fournisseur d'identité a refusé de finir la connexion : recommencez-la depuis Simpa.".into(),
            ));
        }
        let answer: TokenAnswer = answer
            .json()
            .await
            .map_err(|e| unavailable("token endpoint", e))?;
        let id_token = answer
            .id_token
            .ok_or_else(|| unavailable("token endpoint", "no id_token in the answer"))?;
        let keys: JwkSet = self.get_json(&discovery.jwks_uri, "keys (JWKS)").await?;
        let claims = verified_claims(&id_token, &keys)?;
        let expected = Expected {
            issuer: &self.config.issuer,
            client_id: &self.config.client_id,
            nonce,
            now,
        };
        Ok(check_id_token(claims, &expected)?)
    }
}

/// The client's id and secret as HTTP Basic carries them (RFC 6749 §2.3.1).
fn form_encoded(value: &str) -> String {
    reqwest::Url::parse_with_params("x:", [("v", value)])
        .ok()
        .and_then(|url| url.query().map(|q| q.trim_start_matches("v=").to_owned()))
        .unwrap_or_default()
}

/// The claims of an ID token signed by one of the provider's keys (the one its header names),
/// with an algorithm of the provider's keys; refused otherwise.
fn verified_claims(id_token: &str, keys: &JwkSet) -> Result<IdTokenClaims, SsoError> {
    let bad_signature = |detail: String| {
        tracing::warn!(%detail, "an ID token was refused");
        refused(
            "auth.sso_bad_signature",
            "Le jeton d'identité n'est pas signé par le fournisseur d'identité configuré. Recommencez la connexion.".into(),
        )
    };
    let header = jsonwebtoken::decode_header(id_token).map_err(|e| bad_signature(e.to_string()))?;
    if !ALGORITHMS.contains(&header.alg) {
        return Err(bad_signature(format!("algorithm {:?}", header.alg)));
    }
    let jwk = match &header.kid {
        Some(kid) => keys.find(kid),
        None if keys.keys.len() == 1 => keys.keys.first(),
        None => None,
    }
    .ok_or_else(|| bad_signature(format!("no key {:?}", header.kid)))?;
    let key = DecodingKey::from_jwk(jwk).map_err(|e| bad_signature(e.to_string()))?;
    let mut validation = Validation::new(header.alg);
    // The claims are checked by the domain's rules, at the application's clock.
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_aud = false;
    let raw = jsonwebtoken::decode::<RawClaims>(id_token, &key, &validation)
        .map_err(|e| bad_signature(e.to_string()))?
        .claims;
    Ok(IdTokenClaims {
        iss: raw.iss,
        sub: raw.sub,
        aud: match raw.aud {
            Audience::One(one) => vec![one],
            Audience::Many(many) => many,
        },
        azp: raw.azp,
        exp: raw.exp,
        iat: raw.iat,
        nonce: raw.nonce,
        email: raw.email,
        email_verified: raw.email_verified,
        name: raw.name,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn pkce_challenges_are_rfc_7636s() {
        // RFC 7636, appendix B.
        assert_eq!(
            super::pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        assert_eq!(super::form_encoded("a b:c"), "a+b%3Ac");
    }
}
