//! Forgeries and confusions a token check must refuse, tried against real signed tokens.

use super::*;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Deserialize;

const ACCESS: TokenKind = TokenKind {
    issuer: "kit",
    audience: "kit-api",
    typ: "access",
    key_label: "kit/jwt/access/v1",
};
const VIEWER: TokenKind = TokenKind {
    issuer: "kit",
    audience: "kit-viewer",
    typ: "viewer",
    key_label: "kit/jwt/viewer/v1",
};

/// `exp` optional here, so a token without one would parse: only the required-claims check
/// can refuse it.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct TestClaims {
    sub: String,
    typ: String,
    aud: String,
    iss: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    exp: Option<u64>,
}

impl Claims for TestClaims {
    fn typ(&self) -> &str {
        &self.typ
    }
}

fn claims(kind: TokenKind, exp: u64) -> TestClaims {
    TestClaims {
        sub: "user-1".into(),
        typ: kind.typ.into(),
        aud: kind.audience.into(),
        iss: kind.issuer.into(),
        exp: Some(exp),
    }
}

fn in_an_hour() -> u64 {
    now_secs() + 3600
}

#[test]
fn a_token_verifies_with_its_own_key_only() {
    let key = TokenKey::derive(b"master-a", ACCESS);
    let token = key.sign(&claims(ACCESS, in_an_hour())).expect("sign");
    let back: TestClaims = key.verify(&token).expect("verify");
    assert_eq!(back.sub, "user-1");
    let other_install = TokenKey::derive(b"master-b", ACCESS);
    assert!(other_install.verify::<TestClaims>(&token).is_err());
}

#[test]
fn one_kind_never_passes_for_another() {
    let access = TokenKey::derive(b"master", ACCESS);
    let viewer = TokenKey::derive(b"master", VIEWER);
    let viewer_token = viewer.sign(&claims(VIEWER, in_an_hour())).expect("sign");
    assert!(
        access.verify::<TestClaims>(&viewer_token).is_err(),
        "other key"
    );
    // Even signed with the right key, each of audience, issuer and typ gives it away alone.
    let mut wrong_aud = claims(ACCESS, in_an_hour());
    wrong_aud.aud = VIEWER.audience.into();
    let token = access.sign(&wrong_aud).expect("sign");
    assert!(matches!(
        access.verify::<TestClaims>(&token),
        Err(TokenError::Invalid(_))
    ));
    let mut wrong_iss = claims(ACCESS, in_an_hour());
    wrong_iss.iss = "someone-else".into();
    let token = access.sign(&wrong_iss).expect("sign");
    assert!(access.verify::<TestClaims>(&token).is_err(), "issuer");
    let mut wrong_typ = claims(ACCESS, in_an_hour());
    wrong_typ.typ = "viewer".into();
    let token = access.sign(&wrong_typ).expect("sign");
    assert!(matches!(
        access.verify::<TestClaims>(&token),
        Err(TokenError::WrongType)
    ));
}

#[test]
fn an_unsigned_token_is_refused() {
    let key = TokenKey::derive(b"master", ACCESS);
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let body =
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims(ACCESS, in_an_hour())).expect("json"));
    for token in [format!("{header}.{body}."), format!("{header}.{body}")] {
        assert!(key.verify::<TestClaims>(&token).is_err(), "{token}");
    }
}

#[test]
fn expiry_is_required_and_enforced_beyond_the_leeway() {
    let key = TokenKey::derive(b"master", ACCESS);
    let now = now_secs();
    let within = key
        .sign(&claims(ACCESS, now - LEEWAY_SECS + 2))
        .expect("sign");
    assert!(
        key.verify::<TestClaims>(&within).is_ok(),
        "inside the leeway"
    );
    let expired = key
        .sign(&claims(ACCESS, now - LEEWAY_SECS - 2))
        .expect("sign");
    assert!(key.verify::<TestClaims>(&expired).is_err());

    let mut no_expiry = claims(ACCESS, 0);
    no_expiry.exp = None;
    let token = key.sign(&no_expiry).expect("sign");
    assert!(key.verify::<TestClaims>(&token).is_err(), "no exp");
}

#[test]
fn another_algorithm_under_the_same_secret_is_refused() {
    let key = TokenKey::derive(b"master", ACCESS);
    let secret = hmac_hex(b"master", ACCESS.key_label);
    for algorithm in [Algorithm::HS384, Algorithm::HS512] {
        let token = encode(
            &Header::new(algorithm),
            &claims(ACCESS, in_an_hour()),
            &EncodingKey::from_secret(secret.as_bytes()),
        )
        .expect("sign");
        assert!(key.verify::<TestClaims>(&token).is_err(), "{algorithm:?}");
    }
    // The same claims under HS256 pass: the algorithm alone was refused.
    let token = encode(
        &Header::new(Algorithm::HS256),
        &claims(ACCESS, in_an_hour()),
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .expect("sign");
    assert!(key.verify::<TestClaims>(&token).is_ok());
}

#[test]
fn debug_never_prints_the_key() {
    let key = TokenKey::derive(b"master", ACCESS);
    let secret = hmac_hex(b"master", ACCESS.key_label);
    assert!(!format!("{key:?}").contains(&secret[..16]));
}
