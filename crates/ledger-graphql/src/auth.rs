//! Who is asking: bearer JWTs with a subject, a display name, a role and a unit.
//!
//! Production keys are EdDSA (Ed25519) or RS256 public keys; HS256 with a shared secret is for
//! the demo. The actor of every event is taken from the verified token, never from input.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

pub use ledger_app::Principal;
pub use ledger_domain::access::Role;

/// The claims of a ledger token.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Claims {
    sub: String,
    name: String,
    role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    unit: Option<ledger_domain::value::UnitId>,
    iat: i64,
    exp: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    nbf: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    aud: Option<String>,
    iss: String,
}

/// Why a token was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    /// Not a bearer token, a bad signature, expired, or for another issuer.
    #[error("invalid token: {0}")]
    Invalid(String),
    /// These keys cannot sign (a public key only).
    #[error("these keys verify tokens but cannot issue them (no private key)")]
    CannotSign,
}

/// The issuer written into and required of every token.
pub const ISSUER: &str = "progress-ledger";
/// Clock skew allowed between the token issuer and this server, in seconds, unless said
/// ([`Keys::with_leeway`]): for `exp`, `nbf` and `iat`.
pub const DEFAULT_LEEWAY_SECONDS: u64 = 5;

/// Keys that verify (and, with a private or shared key, issue) tokens.
#[derive(Clone)]
pub struct Keys {
    algorithm: Algorithm,
    encoding: Option<EncodingKey>,
    decoding: DecodingKey,
    leeway: u64,
    audience: Option<String>,
}

impl Keys {
    /// HS256 with a shared secret: for the demo and tests only.
    #[must_use]
    pub fn hs256(secret: &[u8]) -> Self {
        Self {
            algorithm: Algorithm::HS256,
            encoding: Some(EncodingKey::from_secret(secret)),
            decoding: DecodingKey::from_secret(secret),
            leeway: DEFAULT_LEEWAY_SECONDS,
            audience: None,
        }
    }

    /// EdDSA (Ed25519) from PEM: a public key verifies; with the private key it also issues.
    ///
    /// # Errors
    /// When a PEM does not parse.
    pub fn ed25519(public_pem: &[u8], private_pem: Option<&[u8]>) -> Result<Self, TokenError> {
        let bad = |e: jsonwebtoken::errors::Error| TokenError::Invalid(e.to_string());
        Ok(Self {
            algorithm: Algorithm::EdDSA,
            encoding: private_pem
                .map(EncodingKey::from_ed_pem)
                .transpose()
                .map_err(bad)?,
            decoding: DecodingKey::from_ed_pem(public_pem).map_err(bad)?,
            leeway: DEFAULT_LEEWAY_SECONDS,
            audience: None,
        })
    }

    /// RS256 from PEM: a public key verifies; with the private key it also issues.
    ///
    /// # Errors
    /// When a PEM does not parse.
    pub fn rs256(public_pem: &[u8], private_pem: Option<&[u8]>) -> Result<Self, TokenError> {
        let bad = |e: jsonwebtoken::errors::Error| TokenError::Invalid(e.to_string());
        Ok(Self {
            algorithm: Algorithm::RS256,
            encoding: private_pem
                .map(EncodingKey::from_rsa_pem)
                .transpose()
                .map_err(bad)?,
            decoding: DecodingKey::from_rsa_pem(public_pem).map_err(bad)?,
            leeway: DEFAULT_LEEWAY_SECONDS,
            audience: None,
        })
    }

    /// Allows `seconds` of clock skew for `exp`, `nbf` and `iat`.
    #[must_use]
    pub fn with_leeway(mut self, seconds: u64) -> Self {
        self.leeway = seconds;
        self
    }

    /// Requires tokens to name `audience` in `aud` (and writes it into issued ones).
    #[must_use]
    pub fn with_audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(audience.into());
        self
    }

    /// Issues a token for `principal`, valid for `ttl_seconds`.
    ///
    /// # Errors
    /// [`TokenError::CannotSign`] without a private or shared key.
    pub fn issue(&self, principal: &Principal, ttl_seconds: i64) -> Result<String, TokenError> {
        let key = self.encoding.as_ref().ok_or(TokenError::CannotSign)?;
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: principal.subject.clone(),
            name: principal.name.clone(),
            role: principal.role,
            unit: principal.unit.clone(),
            iat: now,
            exp: now + ttl_seconds,
            nbf: None,
            aud: self.audience.clone(),
            iss: ISSUER.to_owned(),
        };
        jsonwebtoken::encode(&Header::new(self.algorithm), &claims, key)
            .map_err(|e| TokenError::Invalid(e.to_string()))
    }

    /// Verifies a token (signature, algorithm, expiry, not-before, issued-at, issuer, and the
    /// audience when one is required) and returns its principal.
    ///
    /// # Errors
    /// [`TokenError::Invalid`], saying why.
    pub fn verify(&self, token: &str) -> Result<Principal, TokenError> {
        self.verify_until(token).map(|(principal, _)| principal)
    }

    /// As [`Keys::verify`], with the token's expiry (seconds since the epoch): a subscription
    /// is closed when its token expires.
    ///
    /// # Errors
    /// [`TokenError::Invalid`], saying why.
    pub fn verify_until(&self, token: &str) -> Result<(Principal, i64), TokenError> {
        let mut validation = Validation::new(self.algorithm);
        validation.set_issuer(&[ISSUER]);
        validation.validate_nbf = true;
        validation.leeway = self.leeway;
        match &self.audience {
            Some(audience) => {
                validation.set_audience(&[audience]);
                validation.set_required_spec_claims(&["exp", "iss", "sub", "aud"]);
            }
            None => {
                validation.validate_aud = false;
                validation.set_required_spec_claims(&["exp", "iss", "sub"]);
            }
        }
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)
            .map_err(|e| TokenError::Invalid(describe(&e)))?;
        let c = data.claims;
        let now = chrono::Utc::now().timestamp();
        if c.iat > now.saturating_add(i64::try_from(self.leeway).unwrap_or(i64::MAX)) {
            return Err(TokenError::Invalid("issued in the future (iat)".into()));
        }
        if c.sub.trim().is_empty() || c.name.trim().is_empty() {
            return Err(TokenError::Invalid("empty subject or name".into()));
        }
        if c.role == Role::UnitReporter && c.unit.is_none() {
            return Err(TokenError::Invalid(
                "a unit reporter's token must name its unit".into(),
            ));
        }
        Ok((
            Principal {
                subject: c.sub,
                name: c.name,
                role: c.role,
                unit: c.unit,
            },
            c.exp,
        ))
    }

    /// Verifies an HTTP `Authorization` header value (`Bearer …`).
    ///
    /// # Errors
    /// [`TokenError::Invalid`] when it is not a bearer token or the token is refused.
    pub fn verify_header(&self, header: &str) -> Result<Principal, TokenError> {
        self.verify_header_until(header)
            .map(|(principal, _)| principal)
    }

    /// As [`Keys::verify_header`], with the token's expiry.
    ///
    /// # Errors
    /// As [`Keys::verify_header`].
    pub fn verify_header_until(&self, header: &str) -> Result<(Principal, i64), TokenError> {
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .ok_or_else(|| {
                TokenError::Invalid("expected `Authorization: Bearer <token>`".into())
            })?;
        self.verify_until(token.trim())
    }
}

/// Why a token was refused, in words (never the library's type names).
fn describe(e: &jsonwebtoken::errors::Error) -> String {
    use jsonwebtoken::errors::ErrorKind as K;
    match e.kind() {
        K::ExpiredSignature => "the token has expired".into(),
        K::ImmatureSignature => "the token is not valid yet (nbf)".into(),
        K::InvalidSignature => "the token's signature does not verify".into(),
        K::InvalidIssuer => "the token was issued for another service (iss)".into(),
        K::InvalidAudience => "the token is meant for another audience (aud)".into(),
        K::InvalidAlgorithm | K::InvalidAlgorithmName => {
            "the token is signed with an algorithm this server does not accept".into()
        }
        K::MissingRequiredClaim(claim) => format!("the token lacks the {claim} claim"),
        K::Json(_) => "the token's claims are not what a ledger token holds".into(),
        _ => "not a well-formed token".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reporter() -> Principal {
        Principal {
            subject: "stp-01".into(),
            name: "Nguyễn Văn A".into(),
            role: Role::UnitReporter,
            unit: Some(
                ledger_domain::value::UnitId::parse("so-tu-phap").unwrap_or_else(|e| panic!("{e}")),
            ),
        }
    }

    #[test]
    fn issued_tokens_verify_and_others_do_not() {
        let keys = Keys::hs256(b"demo secret, long enough for HS256 use");
        let token = keys.issue(&reporter(), 3600).unwrap_or_default();
        assert_eq!(keys.verify(&token), Ok(reporter()));
        assert_eq!(
            keys.verify_header(&format!("Bearer {token}")),
            Ok(reporter())
        );
        let other = Keys::hs256(b"another secret, also long enough here");
        assert!(other.verify(&token).is_err());
        let expired = keys.issue(&reporter(), -3600).unwrap_or_default();
        assert!(
            matches!(keys.verify(&expired), Err(TokenError::Invalid(m)) if m.contains("expired"))
        );
        assert!(keys.verify_header(&token).is_err());
        assert!(keys.verify("not.a.token").is_err());
    }

    /// A constructor of production keys: public PEM, optional private PEM.
    type MakeKeys = fn(&[u8], Option<&[u8]>) -> Result<Keys, TokenError>;

    #[test]
    fn production_keys_issue_and_verify_and_public_keys_only_verify() {
        let pairs: [(&[u8], &[u8], MakeKeys); 2] = [
            (
                include_bytes!("../testdata/ed25519-test-only.pub.pem"),
                include_bytes!("../testdata/ed25519-test-only.pem"),
                Keys::ed25519,
            ),
            (
                include_bytes!("../testdata/rsa-test-only.pub.pem"),
                include_bytes!("../testdata/rsa-test-only.pem"),
                Keys::rs256,
            ),
        ];
        for (public, private, make) in pairs {
            let signer = make(public, Some(private)).unwrap_or_else(|e| panic!("{e}"));
            let verifier = make(public, None).unwrap_or_else(|e| panic!("{e}"));
            let token = signer.issue(&reporter(), 600).unwrap_or_default();
            assert_eq!(verifier.verify(&token), Ok(reporter()));
            assert_eq!(
                verifier.issue(&reporter(), 600),
                Err(TokenError::CannotSign)
            );
            // A token signed with HS256 under the public key's bytes is refused (algorithm
            // confusion).
            let forged = Keys::hs256(public)
                .issue(&reporter(), 600)
                .unwrap_or_default();
            assert!(verifier.verify(&forged).is_err());
        }
        assert!(Keys::ed25519(b"not a key", None).is_err());
    }

    #[test]
    fn a_reporter_without_a_unit_is_refused() {
        let keys = Keys::hs256(b"demo secret, long enough for HS256 use");
        let token = keys
            .issue(
                &Principal {
                    unit: None,
                    ..reporter()
                },
                60,
            )
            .unwrap_or_default();
        assert!(keys.verify(&token).is_err());
    }

    /// A token with these times (relative to now) signed with `secret`.
    fn token_at(secret: &[u8], iat: i64, nbf: Option<i64>, exp: i64, aud: Option<&str>) -> String {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: "stp-01".into(),
            name: "Nguyễn Văn A".into(),
            role: Role::Inspector,
            unit: None,
            iat: now + iat,
            exp: now + exp,
            nbf: nbf.map(|n| now + n),
            aud: aud.map(str::to_owned),
            iss: ISSUER.into(),
        };
        jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(secret),
        )
        .unwrap_or_default()
    }

    #[test]
    fn times_and_audience_are_checked_with_a_few_seconds_of_leeway() {
        let secret = b"demo secret, long enough for HS256 use";
        let keys = Keys::hs256(secret);
        let refused = |token: &str, why: &str| {
            let e = keys.verify(token).unwrap_err().to_string();
            assert!(e.contains(why), "{e} should say {why}");
        };
        assert!(keys.verify(&token_at(secret, 0, None, 600, None)).is_ok());
        // Not yet valid; issued in the future; expired 30 s ago (the old leeway let it in).
        refused(&token_at(secret, 0, Some(120), 600, None), "not valid yet");
        refused(
            &token_at(secret, 120, None, 600, None),
            "issued in the future",
        );
        refused(&token_at(secret, -600, None, -30, None), "has expired");
        // Within the leeway: a clock 3 s apart.
        assert!(
            keys.verify(&token_at(secret, 3, Some(3), 600, None))
                .is_ok()
        );
        assert!(keys.verify(&token_at(secret, -600, None, -3, None)).is_ok());
        assert!(
            keys.clone()
                .with_leeway(0)
                .verify(&token_at(secret, -600, None, -3, None))
                .is_err()
        );
        // An audience, when required, must be named.
        let scoped = keys.clone().with_audience("ledger.thainguyen.gov.vn");
        assert!(
            scoped
                .verify(&token_at(
                    secret,
                    0,
                    None,
                    600,
                    Some("ledger.thainguyen.gov.vn")
                ))
                .is_ok()
        );
        assert!(
            scoped
                .verify(&token_at(secret, 0, None, 600, Some("other")))
                .is_err()
        );
        assert!(
            scoped
                .verify(&token_at(secret, 0, None, 600, None))
                .is_err()
        );
        let issued = scoped.issue(&reporter(), 60).unwrap_or_default();
        assert!(scoped.verify(&issued).is_ok());
        let (_, exp) = keys
            .verify_header_until(&format!("Bearer {}", token_at(secret, 0, None, 600, None)))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!((exp - chrono::Utc::now().timestamp() - 600).abs() <= 2);
    }
}
