//! Single sign-on against a provider this test serves itself, so it can answer what a real
//! one never would: tokens signed by another key, with another nonce or audience, HMAC-signed
//! with the client secret. (Both products' integration suites run the flow against a real
//! provider, npm's oidc-provider.)

use super::*;
use crate::crypto::random_bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use sha2::Digest;
use std::collections::HashMap;
use std::sync::Mutex as StdMutex;

const CLIENT: &str = "console";
const SECRET: &str = "client secret: with % and space";

/// An ES256 key and its public JWK.
struct Signer {
    key: EncodingKey,
    jwk: serde_json::Value,
}

impl Signer {
    fn new(kid: &str) -> Self {
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .expect("test setup");
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
            .expect("test setup");
        let point = pair.public_key().as_ref();
        let jwk = serde_json::json!({
            "kty": "EC", "crv": "P-256", "kid": kid, "use": "sig", "alg": "ES256",
            "x": URL_SAFE_NO_PAD.encode(&point[1..33]),
            "y": URL_SAFE_NO_PAD.encode(&point[33..65]),
        });
        Self {
            key: EncodingKey::from_ec_der(pkcs8.as_ref()),
            jwk,
        }
    }

    fn sign(&self, kid: &str, claims: &serde_json::Value) -> String {
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(kid.into());
        encode(&header, claims, &self.key).expect("test setup")
    }
}

/// What the provider under test answers, and what it was sent.
#[derive(Default)]
struct Script {
    issuer: String,
    discovery_issuer: Option<String>,
    id_token: String,
    userinfo: serde_json::Value,
    exchanges: Vec<(String, HashMap<String, String>)>,
}

type Shared = Arc<StdMutex<Script>>;

async fn serve_provider(signer_jwk: serde_json::Value) -> (Shared, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("test setup");
    let issuer = format!("http://{}", listener.local_addr().expect("test setup"));
    let script: Shared = Arc::new(StdMutex::new(Script {
        issuer: issuer.clone(),
        ..Script::default()
    }));
    let jwks = serde_json::json!({ "keys": [signer_jwk] });
    let app = Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/jwks", get(move || async move { Json(jwks) }))
        .route("/token", post(token))
        .route("/userinfo", get(userinfo))
        .with_state(script.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (script, issuer)
}

async fn discovery(State(s): State<Shared>) -> Json<serde_json::Value> {
    let s = s.lock().expect("script");
    let base = &s.issuer;
    Json(serde_json::json!({
        "issuer": s.discovery_issuer.clone().unwrap_or_else(|| base.clone()),
        "authorization_endpoint": format!("{base}/auth"),
        "token_endpoint": format!("{base}/token"),
        "jwks_uri": format!("{base}/jwks"),
        "userinfo_endpoint": format!("{base}/userinfo"),
    }))
}

async fn token(
    State(s): State<Shared>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Json<serde_json::Value> {
    let mut s = s.lock().expect("script");
    let auth = headers
        .get("authorization")
        .map(|v| v.to_str().expect("test setup").to_owned())
        .unwrap_or_default();
    s.exchanges.push((auth, form));
    Json(
        serde_json::json!({"id_token": s.id_token, "access_token": "at-1", "token_type": "Bearer"}),
    )
}

async fn userinfo(State(s): State<Shared>) -> Json<serde_json::Value> {
    Json(s.lock().expect("script").userinfo.clone())
}

struct Flow {
    sso: Sso,
    script: Shared,
    signer: Signer,
    issuer: String,
}

impl Flow {
    async fn new() -> Self {
        let signer = Signer::new("k1");
        let (script, issuer) = serve_provider(signer.jwk.clone()).await;
        let config = SsoConfig {
            issuer: issuer.clone(),
            client_id: CLIENT.into(),
            client_secret: crate::SecretString::new(SECRET),
            name: None,
        };
        let sso =
            Sso::new(config, "https://console.example", &random_bytes::<32>()).expect("test setup");
        Self {
            sso,
            script,
            signer,
            issuer,
        }
    }

    /// Claims a real provider would issue for this flow's nonce.
    fn claims(&self, nonce: &str) -> serde_json::Value {
        let now = crate::jwt::now_secs();
        serde_json::json!({
            "iss": self.issuer, "sub": "person-1", "aud": CLIENT, "nonce": nonce,
            "iat": now, "exp": now + 300,
            "email": "Alice@Example.com", "email_verified": true, "name": "Alice",
        })
    }

    /// Starts a sign-in; the pending cookie and the query the provider was sent.
    async fn begin(&self) -> (String, HashMap<String, String>) {
        let started = self.sso.begin(false).await.expect("starts");
        let url = reqwest::Url::parse(&started.location).expect("test setup");
        assert!(started
            .location
            .starts_with(&format!("{}/auth?", self.issuer)));
        (started.pending, url.query_pairs().into_owned().collect())
    }

    /// The provider answering the flow with `id_token`.
    async fn finish_with(&self, id_token: String) -> Result<Identity, SsoError> {
        let (pending, query) = self.begin().await;
        self.script.lock().expect("script").id_token = id_token;
        self.sso.finish(Some(&pending), &answer(&query)).await
    }
}

fn answer(query: &HashMap<String, String>) -> Callback {
    Callback {
        code: Some("code-1".into()),
        state: query.get("state").cloned(),
        iss: None,
        error: None,
    }
}

#[tokio::test]
async fn a_verified_token_gives_the_identity_after_a_pkce_exchange_as_this_client() {
    let flow = Flow::new().await;
    let (pending, query) = flow.begin().await;
    assert_eq!(query["client_id"], CLIENT);
    assert_eq!(
        query["redirect_uri"],
        "https://console.example/api/auth/sso/callback"
    );
    assert_eq!(query["code_challenge_method"], "S256");
    let token = flow.signer.sign("k1", &flow.claims(&query["nonce"]));
    flow.script.lock().expect("script").id_token = token;

    let identity = flow
        .sso
        .finish(Some(&pending), &answer(&query))
        .await
        .expect("signs in");
    assert_eq!(identity.subject, "person-1");
    assert_eq!(identity.issuer, flow.issuer);
    assert_eq!(identity.email.as_deref(), Some("Alice@Example.com"));
    assert_eq!(
        Links::linkable_email(&identity).as_deref(),
        Some("alice@example.com")
    );

    let script = flow.script.lock().expect("script");
    let (auth, form) = &script.exchanges[0];
    let verifier = &form["code_verifier"];
    let challenge = URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()));
    assert_eq!(
        challenge, query["code_challenge"],
        "the verifier proves the challenge"
    );
    assert_eq!(form["code"], "code-1");
    let basic = base64::engine::general_purpose::STANDARD
        .decode(auth.trim_start_matches("Basic "))
        .expect("test setup");
    let basic = String::from_utf8(basic).expect("test setup");
    assert_eq!(basic, "console:client+secret%3A+with+%25+and+space");
}

#[tokio::test]
async fn forged_tokens_are_refused() {
    let flow = Flow::new().await;
    let (_, query) = flow.begin().await;
    let nonce = query["nonce"].clone();
    let good = flow.claims(&nonce);
    let with = |key: &str, value: serde_json::Value| {
        let mut claims = good.clone();
        claims[key] = value;
        claims
    };
    let intruder = Signer::new("k1");
    let hmac = encode(
        &Header::new(Algorithm::HS256),
        &good,
        &EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .expect("test setup");
    let unsigned = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"none","kid":"k1"}"#),
        URL_SAFE_NO_PAD.encode(good.to_string())
    );
    let now = crate::jwt::now_secs();
    let forgeries = [
        ("another key under the same id", intruder.sign("k1", &good)),
        ("HMAC under the client secret", hmac),
        ("alg none", unsigned),
        (
            "another nonce",
            flow.signer.sign("k1", &with("nonce", "n-2".into())),
        ),
        (
            "no nonce",
            flow.signer
                .sign("k1", &with("nonce", serde_json::Value::Null)),
        ),
        (
            "another audience",
            flow.signer.sign("k1", &with("aud", "other".into())),
        ),
        (
            "another issuer",
            flow.signer.sign("k1", &with("iss", "https://evil".into())),
        ),
        (
            "expired",
            flow.signer.sign("k1", &with("exp", (now - 600).into())),
        ),
        ("an unpublished key id", flow.signer.sign("k2", &good)),
        (
            "several audiences, azp another",
            flow.signer
                .sign("k1", &with("aud", serde_json::json!([CLIENT, "other"]))),
        ),
    ];
    for (what, token) in forgeries {
        let refused = flow.finish_with(token).await;
        assert!(
            matches!(refused, Err(SsoError::BadToken(_))),
            "{what}: {refused:?}"
        );
    }
    let good_again = flow.finish_with(flow.signer.sign("k1", &good)).await;
    assert!(good_again.is_err(), "the nonce belongs to another flow");
}

#[tokio::test]
async fn an_answer_this_browser_did_not_ask_for_is_refused_before_any_exchange() {
    let flow = Flow::new().await;
    let (pending, query) = flow.begin().await;
    let other = Sso::new(
        SsoConfig {
            issuer: flow.issuer.clone(),
            client_id: CLIENT.into(),
            client_secret: crate::SecretString::new(SECRET),
            name: None,
        },
        "https://console.example",
        &random_bytes::<32>(),
    )
    .expect("test setup");
    let mut wrong_state = answer(&query);
    wrong_state.state = Some("attacker-state".into());
    let mut wrong_iss = answer(&query);
    wrong_iss.iss = Some("https://evil.example".into());
    let cases = [
        ("no cookie", flow.sso.finish(None, &answer(&query)).await),
        (
            "another state",
            flow.sso.finish(Some(&pending), &wrong_state).await,
        ),
        (
            "another server's cookie",
            other.finish(Some(&pending), &answer(&query)).await,
        ),
        (
            "another issuer",
            flow.sso.finish(Some(&pending), &wrong_iss).await,
        ),
    ];
    for (what, refused) in cases {
        assert!(
            matches!(refused, Err(SsoError::NotStarted | SsoError::WrongProvider)),
            "{what}: {refused:?}"
        );
    }
    assert!(flow.script.lock().expect("script").exchanges.is_empty());
}

#[tokio::test]
async fn userinfo_fills_in_the_email_only_for_the_same_subject() {
    let flow = Flow::new().await;
    flow.script.lock().expect("script").userinfo =
        serde_json::json!({"sub": "person-1", "email": "a@example.com", "email_verified": "true"});
    let (pending, query) = flow.begin().await;
    let mut claims = flow.claims(&query["nonce"]);
    claims.as_object_mut().expect("test setup").remove("email");
    flow.script.lock().expect("script").id_token = flow.signer.sign("k1", &claims);
    let identity = flow
        .sso
        .finish(Some(&pending), &answer(&query))
        .await
        .expect("signs in");
    assert_eq!(identity.email.as_deref(), Some("a@example.com"));
    assert!(identity.email_verified);

    let (pending, query) = flow.begin().await;
    let mut claims = flow.claims(&query["nonce"]);
    claims.as_object_mut().expect("test setup").remove("email");
    flow.script.lock().expect("script").id_token = flow.signer.sign("k1", &claims);
    flow.script.lock().expect("script").userinfo = serde_json::json!({"sub": "someone-else", "email": "b@example.com", "email_verified": true});
    let refused = flow.sso.finish(Some(&pending), &answer(&query)).await;
    assert!(matches!(refused, Err(SsoError::BadToken(_))), "{refused:?}");
}

#[tokio::test]
async fn a_discovery_document_naming_another_issuer_is_refused() {
    let flow = Flow::new().await;
    flow.script.lock().expect("script").discovery_issuer =
        Some("https://login.evil.example".into());
    let refused = flow.sso.begin(false).await;
    assert!(
        matches!(refused, Err(SsoError::ProviderUnavailable(_))),
        "{refused:?}"
    );
}

#[test]
fn unverified_addresses_never_link() {
    let identity = Identity {
        issuer: "https://idp".into(),
        subject: "s".into(),
        email: Some("admin@example.com".into()),
        email_verified: false,
        name: None,
    };
    assert_eq!(Links::linkable_email(&identity), None);
}

#[test]
fn providers_must_be_https_except_on_loopback() {
    let config = |issuer: &str| SsoConfig {
        issuer: issuer.into(),
        client_id: "c".into(),
        client_secret: crate::SecretString::new("s"),
        name: None,
    };
    assert!(config("https://login.example.com/tenant/v2.0")
        .check()
        .is_ok());
    assert!(config("http://127.0.0.1:9000").check().is_ok());
    assert!(config("http://login.example.com").check().is_err());
    assert!(config("ftp://login.example.com").check().is_err());
    let mut empty = config("https://login.example.com");
    empty.client_id = " ".into();
    assert!(empty.check().is_err());
}

#[test]
fn a_ticket_signs_in_once_and_only_while_it_lives() {
    let tickets = Tickets::default();
    let ticket = tickets.issue("user-1").expect("test setup");
    assert_eq!(tickets.holder(&ticket).as_deref(), Some("user-1"));
    assert_eq!(tickets.holder("sso_guess"), None);
    assert!(tickets.spend(&ticket));
    assert!(!tickets.spend(&ticket), "spent once");
    assert_eq!(tickets.holder(&ticket), None);
}

#[test]
fn the_environment_sets_all_three_or_none() {
    let from = |vars: &[(&str, &str)]| {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let env = crate::config::Env::new(move |k: &str| vars.get(k).cloned(), &[])
            .expect("no renamed variables");
        SsoConfig::from_env(&env, "GURUX")
    };
    assert!(matches!(from(&[]), Ok(None)));
    let half = from(&[("GURUX_SSO_ISSUER", "https://idp.example.com")]);
    let message = half.expect_err("half a setting").to_string();
    assert!(message.contains("GURUX_SSO_CLIENT_SECRET"), "{message}");
    let whole = from(&[
        ("GURUX_SSO_ISSUER", "https://idp.example.com"),
        ("GURUX_SSO_CLIENT_ID", "console"),
        ("GURUX_SSO_CLIENT_SECRET", "s3cret"),
    ])
    .expect("valid")
    .expect("configured");
    assert_eq!(whole.display_name(), "single sign-on");
    assert!(
        !format!("{whole:?}").contains("s3cret"),
        "the secret never prints"
    );
}

#[tokio::test]
async fn a_person_can_ask_the_provider_to_sign_in_again() {
    let flow = Flow::new().await;
    let usual = flow.sso.begin(false).await.expect("starts");
    assert!(!usual.location.contains("prompt="), "{}", usual.location);
    let again = flow.sso.begin(true).await.expect("starts");
    assert!(
        again.location.contains("&prompt=login"),
        "{}",
        again.location
    );
}

#[tokio::test]
async fn a_flow_finishes_once_and_a_replay_never_reaches_the_provider() {
    let flow = Flow::new().await;
    let (pending, query) = flow.begin().await;
    let token = flow.signer.sign("k1", &flow.claims(&query["nonce"]));
    flow.script.lock().expect("script").id_token = token;
    let first = flow.sso.finish(Some(&pending), &answer(&query)).await;
    assert!(first.is_ok(), "{first:?}");
    let replay = flow.sso.finish(Some(&pending), &answer(&query)).await;
    assert_eq!(replay, Err(SsoError::NotStarted));
    assert_eq!(flow.script.lock().expect("script").exchanges.len(), 1);
}

#[tokio::test]
async fn an_address_whose_sign_ons_keep_failing_waits_and_others_do_not() {
    let flow = Flow::new().await;
    let flooder: std::net::IpAddr = "203.0.113.7".parse().expect("ip");
    let neighbour: std::net::IpAddr = "203.0.113.8".parse().expect("ip");
    for _ in 0..FAILURES_PER_ADDRESS {
        assert!(flow.sso.admit(Some(flooder)).is_ok());
        flow.sso.failed(Some(flooder));
    }
    let refused = flow.sso.admit(Some(flooder));
    assert!(
        matches!(refused, Err(SsoError::TooManyFailures(_))),
        "{refused:?}"
    );
    assert!(flow.sso.admit(Some(neighbour)).is_ok());
}
