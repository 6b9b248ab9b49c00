//! Single sign-on as a person meets it, for both servers: a real OpenID Connect provider (npm's
//! oidc-provider, `kit/oidc-provider`, installed by `scripts/oidc-deps.sh`) started for the
//! test, and a browser that walks the redirects between the server and the provider, signs in
//! on the provider's form and keeps each site's cookies; and the scenarios both products run
//! with them (`scenarios`).

pub mod scenarios;

use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// A person the provider knows.
#[derive(Debug, Clone)]
pub struct Person {
    /// What they type on the provider's sign-in form (their subject there).
    pub login: &'static str,
    pub email: &'static str,
    pub email_verified: bool,
}

/// The provider, running until dropped.
pub struct TestProvider {
    pub issuer: String,
    _child: Child,
}

/// The client registration both sides are given.
pub const CLIENT_ID: &str = "console";
pub const CLIENT_SECRET: &str = "a client secret long enough for a provider";

impl TestProvider {
    /// Starts the provider with one client allowed to return to `redirect_uri`.
    pub async fn start(redirect_uri: &str, people: &[Person]) -> Self {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../oidc-provider");
        assert!(
            std::path::Path::new(dir).join("node_modules/oidc-provider").is_dir(),
            "the test identity provider is not installed: run scripts/oidc-deps.sh (./dev test does)"
        );
        let clients = json!([{"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                              "redirect_uris": [redirect_uri]}]);
        let accounts: serde_json::Map<String, Value> = people
            .iter()
            .map(|p| {
                let claims = json!({"email": p.email, "email_verified": p.email_verified,
                                    "name": p.login});
                (p.login.to_owned(), claims)
            })
            .collect();
        let mut child = Command::new("node")
            .arg("provider.mjs")
            .current_dir(dir)
            .env("OIDC_CLIENTS", clients.to_string())
            .env("OIDC_ACCOUNTS", Value::Object(accounts).to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("node runs the test identity provider");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut first = String::new();
        tokio::time::timeout(Duration::from_secs(30), stdout.read_line(&mut first))
            .await
            .expect("the identity provider starts within 30 s")
            .expect("its first line");
        // It logs notices to standard output later: keep reading, or it dies writing to a
        // closed pipe.
        tokio::spawn(async move { tokio::io::copy(&mut stdout, &mut tokio::io::sink()).await });
        let ready: Value = serde_json::from_str(&first).expect("{\"issuer\": …}");
        Self {
            issuer: ready["issuer"].as_str().expect("issuer").to_owned(),
            _child: child,
        }
    }
}

/// A free loopback port for a server whose address the provider must know before it starts.
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

/// A browser: no automatic redirects (each hop is checked), cookies kept per origin.
#[derive(Default)]
pub struct Browser {
    client: reqwest::Client,
    jar: HashMap<String, HashMap<String, String>>,
}

impl Browser {
    pub fn new() -> Self {
        Self {
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            jar: HashMap::new(),
        }
    }

    /// From the server's `start` to where the server's callback sends the browser, signing in
    /// at the provider as `login`. The final `Location` (e.g. `/?sso=finish`).
    pub async fn single_sign_on(&mut self, server: &str, login: &str) -> String {
        let callback = self.to_callback(server, login).await;
        self.follow(&callback).await
    }

    /// From the server's `start` through the provider's sign-in form as `login`, stopping at the
    /// callback URL the provider sends the browser to.
    pub async fn to_callback(&mut self, server: &str, login: &str) -> String {
        self.to_callback_from(server, "/api/auth/sso/start", login)
            .await
    }

    /// As [`Browser::to_callback`], starting at `start` (a path with its query).
    pub async fn to_callback_from(&mut self, server: &str, start: &str, login: &str) -> String {
        let at_provider = self.follow(&format!("{server}{start}")).await;
        assert!(
            at_provider.contains("/auth?"),
            "sent to the provider: {at_provider}"
        );
        let form = self.follow(&at_provider).await;
        let form_url = absolute(&at_provider, &form);
        let res = self
            .request(reqwest::Method::POST, &form_url)
            .form(&[("prompt", "login"), ("login", login), ("password", "any")])
            .send()
            .await
            .expect("sign in at the provider");
        let mut next = absolute(&form_url, &self.keep(&form_url, res).await);
        // The provider may take a few hops of its own (resuming, ending an earlier session).
        for _ in 0..5 {
            if next.starts_with(server) {
                return next;
            }
            next = absolute(&next, &self.follow(&next).await);
        }
        panic!("never sent back to the server: {next}");
    }

    /// GETs `url`, keeps its cookies and returns where it redirects.
    pub async fn follow(&mut self, url: &str) -> String {
        let res = self
            .request(reqwest::Method::GET, url)
            .send()
            .await
            .expect("GET");
        self.keep(url, res).await
    }

    /// A request carrying the cookies kept for `url`'s origin.
    pub fn request(&self, method: reqwest::Method, url: &str) -> reqwest::RequestBuilder {
        let cookies = self
            .jar
            .get(&origin(url))
            .map(|c| {
                c.iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join("; ")
            })
            .unwrap_or_default();
        let request = self.client.request(method, url);
        if cookies.is_empty() {
            request
        } else {
            request.header(COOKIE, cookies)
        }
    }

    /// Keeps the cookies a response set (removing those it cleared); its redirect target. A
    /// page whose script posts a form at once (the provider's, ending a session before another
    /// person signs in) is posted, as a browser would, and its answer followed.
    pub async fn keep(&mut self, url: &str, res: Response) -> String {
        self.take_cookies(url, &res);
        let status = res.status();
        let location = res
            .headers()
            .get(LOCATION)
            .map(|l| l.to_str().expect("ascii").to_owned());
        if let Some(location) = location.filter(|_| status.is_redirection()) {
            return location;
        }
        let page = res.text().await.unwrap_or_default();
        let Some((action, fields)) = self_posting_form(&page) else {
            panic!("{url}: {status}, not a redirect: {page}");
        };
        let target = absolute(url, &action);
        let posted = self
            .request(reqwest::Method::POST, &target)
            .form(&fields)
            .send()
            .await
            .expect("the page's own form");
        Box::pin(self.keep(&target, posted)).await
    }

    /// Keeps the cookies a response set.
    pub fn take_cookies(&mut self, url: &str, res: &Response) {
        let jar = self.jar.entry(origin(url)).or_default();
        for set in res.headers().get_all(SET_COOKIE) {
            let set = set.to_str().expect("ascii");
            let Some((name, rest)) = set.split_once('=') else {
                continue;
            };
            let value = rest.split(';').next().unwrap_or_default();
            if value.is_empty() || set.contains("Max-Age=0") || set.contains("max-age=0") {
                jar.remove(name);
            } else {
                jar.insert(name.to_owned(), value.to_owned());
            }
        }
    }

    /// The cookie `name` kept for `url`'s origin.
    pub fn cookie(&self, url: &str, name: &str) -> Option<String> {
        self.jar.get(&origin(url))?.get(name).cloned()
    }

    /// POSTs the login page's finishing call; the answer's status and JSON.
    pub async fn finish(&mut self, server: &str, body: Value) -> (StatusCode, Value) {
        let url = format!("{server}/api/auth/sso/finish");
        let res = self
            .request(reqwest::Method::POST, &url)
            .json(&body)
            .send()
            .await
            .expect("finish");
        self.take_cookies(&url, &res);
        let status = res.status();
        (status, res.json().await.unwrap_or(Value::Null))
    }
}

/// The action and hidden fields of a page that submits its form on load.
fn self_posting_form(page: &str) -> Option<(String, Vec<(String, String)>)> {
    if !page.contains("document.forms[0].submit()") {
        return None;
    }
    let attribute = |tag: &str, name: &str| {
        let start = tag.find(&format!("{name}=\""))? + name.len() + 2;
        let end = tag[start..].find('"')? + start;
        Some(tag[start..end].to_owned())
    };
    let form = &page[page.find("<form")?..];
    let action = attribute(&form[..form.find('>')?], "action")?;
    let fields = form
        .split("<input")
        .skip(1)
        .filter_map(|tag| Some((attribute(tag, "name")?, attribute(tag, "value")?)))
        .collect();
    Some((action, fields))
}

fn origin(url: &str) -> String {
    let parsed = reqwest::Url::parse(url).expect("absolute URL");
    parsed.origin().ascii_serialization()
}

fn absolute(base: &str, location: &str) -> String {
    reqwest::Url::parse(base)
        .and_then(|b| b.join(location))
        .expect("a URL")
        .into()
}
