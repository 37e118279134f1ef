//! Single sign-on for staff (OpenID Connect): what an ID token must say to sign someone in,
//! and which Simpa account it signs in. The identity provider says who the person is; Simpa's
//! roles say what they may do.

use crate::contact::EmailAddress;
use crate::error::DomainError;
use crate::ids::AccountId;
use chrono::{DateTime, Duration, Utc};

/// How long a sign-in started at the provider may take to come back.
pub fn login_lifetime() -> Duration {
    Duration::minutes(10)
}

/// How far the provider's clock may be from ours.
const CLOCK_SKEW_SECONDS: i64 = 60;

/// The claims of an ID token that Simpa reads (OpenID Connect Core §2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdTokenClaims {
    pub iss: String,
    pub sub: String,
    pub aud: Vec<String>,
    pub azp: Option<String>,
    pub exp: i64,
    pub iat: i64,
    pub nonce: Option<String>,
    pub email: Option<String>,
    pub email_verified: Option<bool>,
    pub name: Option<String>,
}

/// What the ID token of one sign-in must match.
pub struct Expected<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub nonce: &'a str,
    pub now: DateTime<Utc>,
}

/// Who the provider says signed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub issuer: String,
    pub subject: String,
    /// Their address, only when the provider verified it.
    pub verified_email: Option<EmailAddress>,
    pub name: Option<String>,
}

fn refused(code: &'static str, message: &str) -> DomainError {
    DomainError::Unauthenticated {
        code,
        message: format!(
            "{message} Recommencez la connexion ; si cela se reproduit, prévenez l'administration de Simpa."
        ),
    }
}

/// Checks an ID token whose signature was verified (OpenID Connect Core §3.1.3.7): issued by
/// the provider, for Simpa, not expired nor issued in the future, for this very sign-in (its
/// nonce). Returns who signed in.
pub fn check_id_token(
    claims: IdTokenClaims,
    expected: &Expected<'_>,
) -> Result<Identity, DomainError> {
    if claims.iss != expected.issuer {
        return Err(refused(
            "auth.sso_wrong_issuer",
            "Le jeton d'identité ne vient pas du fournisseur d'identité configuré.",
        ));
    }
    let for_us = claims.aud.iter().any(|a| a == expected.client_id)
        && (claims.aud.len() == 1 || claims.azp.is_some())
        && claims
            .azp
            .as_deref()
            .is_none_or(|azp| azp == expected.client_id);
    if !for_us {
        return Err(refused(
            "auth.sso_wrong_audience",
            "Le jeton d'identité a été délivré pour une autre application que Simpa.",
        ));
    }
    let now = expected.now.timestamp();
    if claims.exp + CLOCK_SKEW_SECONDS <= now || claims.iat - CLOCK_SKEW_SECONDS > now {
        return Err(refused(
            "auth.sso_token_expired",
            "Le jeton d'identité a expiré (ou les horloges du fournisseur et de Simpa divergent).",
        ));
    }
    if claims.nonce.as_deref() != Some(expected.nonce) {
        return Err(refused(
            "auth.sso_nonce_mismatch",
            "Le jeton d'identité n'appartient pas à cette connexion.",
        ));
    }
    if claims.sub.trim().is_empty() {
        return Err(refused(
            "auth.sso_no_subject",
            "Le jeton d'identité ne dit pas qui s'est connecté.",
        ));
    }
    let verified_email = match (claims.email, claims.email_verified) {
        (Some(email), Some(true)) => EmailAddress::parse(&email).ok(),
        _ => None,
    };
    Ok(Identity {
        issuer: claims.iss,
        subject: claims.sub,
        verified_email,
        name: claims.name.filter(|n| !n.trim().is_empty()),
    })
}

/// Which account a sign-in opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    /// The account linked to this subject before.
    Linked(AccountId),
    /// The account of the verified address: linked to the subject from now on.
    ByEmail(AccountId),
    /// No account: one is made for the verified address (the city allowed it).
    Provision,
}

/// The account of the address an identity gives, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByEmail {
    None,
    /// Its owner proved the address in Simpa, and it is linked to no other identity of
    /// this provider.
    Linkable(AccountId),
    /// There is one, but it may not be taken over this way: its address was never proved in
    /// Simpa (anyone may register any address), or it is another identity's of this provider
    /// (an address given again to someone else).
    Unlinkable,
}

/// Decides the account of an identity: the one its subject was linked to; else the one of its
/// address, when both the provider and Simpa verified it; else a new one when the city allows
/// it. A person unknown to Simpa is refused: the provider says who they are, Simpa what they
/// may do.
pub fn link(
    identity: &Identity,
    by_subject: Option<AccountId>,
    by_email: ByEmail,
    provisioning: bool,
) -> Result<Link, DomainError> {
    match (by_subject, by_email, &identity.verified_email) {
        (Some(account), _, _) => Ok(Link::Linked(account)),
        (None, ByEmail::Linkable(account), Some(_)) => Ok(Link::ByEmail(account)),
        (None, ByEmail::Unlinkable, Some(email)) => Err(DomainError::NotPermitted {
            code: "auth.sso_cannot_link",
            message: format!(
                "Un compte Simpa existe pour {email}, mais il ne peut pas être lié à cette identité sans vérification (adresse jamais confirmée dans Simpa, ou déjà liée à une autre identité) : demandez à l'administration de Simpa."
            ),
        }),
        (None, ByEmail::None, Some(_)) if provisioning => Ok(Link::Provision),
        (None, _, email) => Err(DomainError::NotPermitted {
            code: "auth.sso_unknown_person",
            message: match email {
                Some(email) => format!(
                    "Aucun compte Simpa n'est ouvert pour {email} : demandez à l'administration de Simpa de vous en créer un."
                ),
                None => "Le fournisseur d'identité ne donne pas d'adresse e-mail vérifiée, et cette identité n'est liée à aucun compte Simpa : demandez à l'administration de Simpa de la lier.".into(),
            },
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn claims() -> IdTokenClaims {
        IdTokenClaims {
            iss: "https://idp.ville.test".into(),
            sub: "agent-42".into(),
            aud: vec!["simpa".into()],
            azp: None,
            exp: 1_800_000_300,
            iat: 1_800_000_000,
            nonce: Some("n0nce".into()),
            email: Some("Marie@Ville.test".into()),
            email_verified: Some(true),
            name: Some("Marie Curie".into()),
        }
    }

    fn expected(now: i64) -> Expected<'static> {
        Expected {
            issuer: "https://idp.ville.test",
            client_id: "simpa",
            nonce: "n0nce",
            now: Utc.timestamp_opt(now, 0).unwrap(),
        }
    }

    fn code(result: Result<Identity, DomainError>) -> &'static str {
        match result {
            Err(DomainError::Unauthenticated { code, .. }) => code,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_id_token_is_checked_claim_by_claim() {
        let identity = check_id_token(claims(), &expected(1_800_000_100)).unwrap();
        assert_eq!(identity.subject, "agent-42");
        assert_eq!(
            identity.verified_email.map(|e| e.key()),
            Some("marie@ville.test".to_owned())
        );
        let with = |change: fn(&mut IdTokenClaims)| {
            let mut c = claims();
            change(&mut c);
            c
        };
        let at = expected(1_800_000_100);
        assert_eq!(
            code(check_id_token(
                with(|c| c.iss = "https://autre.test".into()),
                &at
            )),
            "auth.sso_wrong_issuer"
        );
        assert_eq!(
            code(check_id_token(with(|c| c.aud = vec!["autre".into()]), &at)),
            "auth.sso_wrong_audience"
        );
        // Several audiences: Simpa must be the party it was issued to.
        assert_eq!(
            code(check_id_token(
                with(|c| c.aud = vec!["simpa".into(), "autre".into()]),
                &at
            )),
            "auth.sso_wrong_audience"
        );
        let shared = with(|c| {
            c.aud = vec!["simpa".into(), "autre".into()];
            c.azp = Some("simpa".into());
        });
        assert!(check_id_token(shared, &at).is_ok());
        // One audience, but issued to another party.
        assert_eq!(
            code(check_id_token(with(|c| c.azp = Some("autre".into())), &at)),
            "auth.sso_wrong_audience"
        );
        assert_eq!(
            code(check_id_token(claims(), &expected(1_800_000_360))),
            "auth.sso_token_expired"
        );
        assert!(check_id_token(claims(), &expected(1_800_000_359)).is_ok());
        assert_eq!(
            code(check_id_token(claims(), &expected(1_799_999_900))),
            "auth.sso_token_expired"
        );
        assert_eq!(
            code(check_id_token(with(|c| c.nonce = None), &at)),
            "auth.sso_nonce_mismatch"
        );
        assert_eq!(
            code(check_id_token(
                with(|c| c.nonce = Some("autre".into())),
                &at
            )),
            "auth.sso_nonce_mismatch"
        );
        assert_eq!(
            code(check_id_token(with(|c| c.sub = " ".into()), &at)),
            "auth.sso_no_subject"
        );
        let unverified = check_id_token(with(|c| c.email_verified = Some(false)), &at).unwrap();
        assert_eq!(unverified.verified_email, None);
    }

    #[test]
    fn an_identity_opens_its_linked_account_then_its_addresss() {
        let identity = check_id_token(claims(), &expected(1_800_000_100)).unwrap();
        let (a, b) = (
            AccountId::from_uuid(uuid::Uuid::now_v7()),
            AccountId::from_uuid(uuid::Uuid::now_v7()),
        );
        let linkable = ByEmail::Linkable(b);
        assert_eq!(
            link(&identity, Some(a), linkable, false),
            Ok(Link::Linked(a))
        );
        assert_eq!(link(&identity, None, linkable, false), Ok(Link::ByEmail(b)));
        assert_eq!(
            link(&identity, None, ByEmail::None, true),
            Ok(Link::Provision)
        );
        let refused = |result: Result<Link, DomainError>| match result {
            Err(DomainError::NotPermitted { code, .. }) => code,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            refused(link(&identity, None, ByEmail::None, false)),
            "auth.sso_unknown_person"
        );
        // An account whose address Simpa never verified is neither taken over nor made twice.
        assert_eq!(
            refused(link(&identity, None, ByEmail::Unlinkable, true)),
            "auth.sso_cannot_link"
        );
        let unverified = Identity {
            verified_email: None,
            ..identity
        };
        assert!(link(&unverified, None, linkable, true).is_err());
        assert!(link(&unverified, None, ByEmail::None, true).is_err());
        assert_eq!(
            link(&unverified, Some(a), ByEmail::None, false),
            Ok(Link::Linked(a))
        );
    }
}
