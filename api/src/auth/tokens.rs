//! Short-lived access tokens: JWTs signed with HS256 and the configured secret.

use crate::problem::Problem;
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};
use simpa_domain::policy::Subject;
use utoipa::ToSchema;
use uuid::Uuid;

const ISSUER: &str = "simpa";

/// What a sign-in answers.
#[derive(Serialize, ToSchema)]
pub struct TokenResponse {
    /// Bearer token for the `Authorization` header.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Lifetime of the access token, in seconds.
    pub expires_in: i64,
    /// For people: exchange it for new tokens before it expires. Absent for API clients.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// The person's staff role requires a second factor they have not added yet: until they
    /// do (`POST /me/two-factor`, then `/me/two-factor/confirm`), the access token serves
    /// only that and reading their own account; other routes answer 403
    /// `auth.second_factor_enrolment_required`. Renew the tokens once it is added.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub second_factor_enrolment_required: bool,
}

/// The claims of an access token. Roles are not in the token: they are read at each request,
/// so a revoked role or a deactivated account stops working at once.
#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub sub: String,
    /// `person` or `service`.
    pub kind: String,
    pub iat: i64,
    pub exp: i64,
    pub jti: String,
    /// The person signed in with a password alone but their role requires a second factor:
    /// the token serves only to add one (and to read one's own account).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub enrol: bool,
}

/// What a valid access token says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bearer {
    pub subject: Subject,
    /// Good only to add the second factor the person's role requires.
    pub must_enrol: bool,
}

pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    pub access_ttl: chrono::Duration,
}

impl TokenKeys {
    /// The tokens of a sign-in: an access token, and the refresh token of people's sessions.
    pub fn respond(
        &self,
        subject: Subject,
        refresh_token: Option<String>,
        must_enrol: bool,
        now: DateTime<Utc>,
    ) -> Result<TokenResponse, Problem> {
        Ok(TokenResponse {
            access_token: self.issue(subject, must_enrol, now)?,
            second_factor_enrolment_required: must_enrol,
            token_type: "Bearer",
            expires_in: self.access_ttl.num_seconds(),
            refresh_token,
        })
    }

    pub fn new(secret: &[u8], access_ttl: chrono::Duration) -> TokenKeys {
        // Only HS256 is accepted: `alg: none` and every other algorithm are refused.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);
        validation.leeway = 5;
        TokenKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            access_ttl,
        }
    }

    /// An access token for `subject`, valid from `now` for the configured lifetime (only to
    /// add a second factor when `must_enrol`).
    pub fn issue(
        &self,
        subject: Subject,
        must_enrol: bool,
        now: DateTime<Utc>,
    ) -> Result<String, Problem> {
        let (kind, sub) = match subject {
            Subject::Person(id) => ("person", id.to_string()),
            Subject::Service(id) => ("service", id.to_string()),
        };
        let claims = Claims {
            iss: ISSUER.into(),
            sub,
            kind: kind.into(),
            iat: now.timestamp(),
            exp: (now + self.access_ttl).timestamp(),
            jti: Uuid::now_v7().to_string(),
            enrol: must_enrol,
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).map_err(|e| {
            tracing::error!(error = %e, "cannot sign an access token");
            Problem::internal()
        })
    }

    /// What a valid token says; 401 for an expired, tampered, foreign or malformed one.
    pub fn verify(&self, token: &str) -> Result<Bearer, Problem> {
        let refused = || {
            Problem::unauthenticated(
                "auth.invalid_token",
                "Jeton d'accès invalide ou expiré : reconnectez-vous.",
            )
        };
        let claims = decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|_| refused())?
            .claims;
        let subject = match claims.kind.as_str() {
            "person" => claims.sub.parse().map(Subject::Person),
            "service" => claims.sub.parse().map(Subject::Service),
            _ => return Err(refused()),
        }
        .map_err(|_| refused())?;
        Ok(Bearer {
            subject,
            must_enrol: claims.enrol,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use simpa_domain::ids::AccountId;

    #[test]
    fn issued_tokens_verify_and_others_do_not() {
        let keys = TokenKeys::new(
            b"0123456789abcdef0123456789abcdef",
            chrono::Duration::minutes(15),
        );
        let subject = Subject::Person(AccountId::from_uuid(Uuid::now_v7()));
        let token = keys.issue(subject, false, Utc::now()).unwrap();
        let bearer = keys.verify(&token).unwrap();
        assert_eq!((bearer.subject, bearer.must_enrol), (subject, false));
        let enrolling = keys.issue(subject, true, Utc::now()).unwrap();
        assert!(keys.verify(&enrolling).unwrap().must_enrol);

        let other = TokenKeys::new(
            b"another secret, 32 bytes at least!",
            chrono::Duration::minutes(15),
        );
        assert_eq!(other.verify(&token).unwrap_err().code, "auth.invalid_token");
        let expired = keys
            .issue(subject, false, Utc::now() - chrono::Duration::hours(1))
            .unwrap();
        assert_eq!(
            keys.verify(&expired).unwrap_err().code,
            "auth.invalid_token"
        );
        assert_eq!(
            keys.verify("not.a.token").unwrap_err().code,
            "auth.invalid_token"
        );
    }
}
