//! The role × endpoint matrix, read from the server's own OpenAPI document: each operation's
//! `security` says who may call it (`bearer` with no role: any signed-in user; `bearer` naming
//! `admin`: admins only; another scheme: no user token at all), and every operation is called
//! as a technician and as an admin to hold the server to it.

use crate::Api;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// An id no row has, put in every path parameter so no call changes anything.
const NO_SUCH_ID: &str = "00000000-0000-0000-0000-000000000000";

/// Who an operation admits, as its document entry says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admits {
    Anyone,
    SignedIn,
    Admins,
    /// Another credential (an agent's key, the integration key): no user token.
    OtherCredential,
}

/// What `security` of one operation admits.
pub fn admits(operation: &Value) -> Admits {
    let Some(requirements) = operation["security"].as_array().filter(|r| !r.is_empty()) else {
        return Admits::Anyone;
    };
    let bearer = requirements.iter().find_map(|r| r.get("bearer"));
    match bearer.and_then(Value::as_array) {
        Some(roles) if roles.iter().any(|r| r == "admin") => Admits::Admins,
        Some(_) => Admits::SignedIn,
        None => Admits::OtherCredential,
    }
}

impl Api {
    /// Calls every secured operation of the document (`{param}`s filled with an id no row
    /// has, `{}` as the body) with `technician` and `admin` tokens and checks each answer
    /// against what the operation admits: a refused caller gets 401 or 403 (a technician on an
    /// admins' route exactly 403), an admitted one neither. Operations whose path is in `skip`
    /// (they act on the caller's own sign-in) are left out. Returns each operation checked
    /// with what it admits, as `METHOD path`.
    pub async fn check_role_matrix(
        &self,
        technician: &str,
        admin: &str,
        skip: &[&str],
    ) -> Vec<(String, Admits)> {
        let document = self.document.clone();
        let mut checked = Vec::new();
        for (path, item) in document["paths"].as_object().expect("paths") {
            if skip.contains(&path.as_str()) {
                continue;
            }
            for (method, operation) in item.as_object().expect("operations") {
                let admits = admits(operation);
                if admits == Admits::Anyone {
                    continue;
                }
                let method: Method = method.to_uppercase().parse().expect("method");
                let concrete = fill_parameters(path);
                let as_technician = self.status_of(&method, &concrete, technician).await;
                let as_admin = self.status_of(&method, &concrete, admin).await;
                let what = format!("{method} {path}");
                let refused = |s: StatusCode| s == 401 || s == 403;
                match admits {
                    Admits::SignedIn => {
                        assert!(
                            !refused(as_technician),
                            "{what}: technician {as_technician}"
                        );
                        assert!(!refused(as_admin), "{what}: admin {as_admin}");
                    }
                    Admits::Admins => {
                        assert_eq!(as_technician, 403, "{what}: technician");
                        assert!(!refused(as_admin), "{what}: admin {as_admin}");
                    }
                    Admits::OtherCredential => {
                        assert!(refused(as_technician), "{what}: technician {as_technician}");
                        assert!(refused(as_admin), "{what}: admin {as_admin}");
                    }
                    Admits::Anyone => unreachable!(),
                }
                checked.push((what, admits));
            }
        }
        checked
    }

    /// The status alone: the body is dropped unread (an event stream never ends).
    async fn status_of(&self, method: &Method, path: &str, token: &str) -> StatusCode {
        let mut request = self
            .client
            .request(method.clone(), self.url(path))
            .bearer_auth(token);
        if *method != Method::GET && *method != Method::DELETE {
            request = request.json(&json!({}));
        }
        request.send().await.expect("request").status()
    }
}

fn fill_parameters(path: &str) -> String {
    let mut concrete = String::new();
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        concrete.push_str(&rest[..open]);
        concrete.push_str(NO_SUCH_ID);
        let close = rest[open..].find('}').expect("closing brace") + open;
        rest = &rest[close + 1..];
    }
    concrete.push_str(rest);
    concrete
}
