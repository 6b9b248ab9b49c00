//! Every refusal a route can give, in its document. Some come from the shared layers rather
//! than the handler, so no handler lists them: a body or parameter that cannot be read (400) or
//! is invalid (422, the kit's extractors), no valid credential (401) and a credential that may
//! not do this (403: another role, an integration that is off, a second factor still to set up,
//! all from the extractors). This adds them to each operation that can give them, so a client
//! generated from the document, and a conformance test reading it, expects what is sent.

use serde_json::{json, Value};

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// Adds the shared layers' refusals to every operation of `doc` that can meet them.
pub fn document_shared_refusals(doc: &mut Value) {
    let Some(paths) = doc["paths"].as_object_mut() else {
        return;
    };
    for item in paths.values_mut() {
        for method in METHODS {
            if let Some(operation) = item.get_mut(method) {
                add_refusals(operation);
            }
        }
    }
}

fn add_refusals(operation: &mut Value) {
    let reads_input = operation.get("requestBody").is_some()
        || operation["parameters"]
            .as_array()
            .is_some_and(|p| !p.is_empty());
    let secured = operation["security"].as_array().is_some_and(|s| {
        s.iter()
            .any(|scheme| scheme.as_object().is_some_and(|o| !o.is_empty()))
    });
    let mut refusals = Vec::new();
    if reads_input {
        refusals.push((
            "400",
            "The request could not be read (malformed JSON, a parameter of the wrong type).",
        ));
        refusals.push(("422", "A value was read but is not valid."));
    }
    if secured {
        refusals.push((
            "401",
            "No valid credential: missing, expired, revoked or not of this route's kind.",
        ));
        refusals.push(("403", "The credential may not do this (another role, a feature that is off, a second factor still to set up)."));
    }
    let Some(responses) = operation
        .get_mut("responses")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    for (status, description) in refusals {
        responses.entry(status).or_insert_with(|| {
            json!({
                "description": description,
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorEnvelope"}}}
            })
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_operation_gets_the_refusals_it_can_meet_and_keeps_its_own() {
        let mut doc = json!({"paths": {
            "/health": {"get": {"responses": {"200": {"description": "ok"}}}},
            "/api/things": {"post": {
                "security": [{"bearer": []}],
                "requestBody": {"content": {}},
                "responses": {"201": {"description": "made"}, "403": {"description": "admins only"}}
            }},
            "/api/public": {"get": {
                "parameters": [{"name": "q", "in": "query"}],
                "responses": {"200": {"description": "ok"}}
            }}
        }});
        document_shared_refusals(&mut doc);
        let statuses = |path: &str, method: &str| -> Vec<String> {
            doc["paths"][path][method]["responses"]
                .as_object()
                .expect("responses")
                .keys()
                .cloned()
                .collect()
        };
        assert_eq!(statuses("/health", "get"), ["200"]);
        assert_eq!(statuses("/api/public", "get"), ["200", "400", "422"]);
        assert_eq!(
            statuses("/api/things", "post"),
            ["201", "400", "401", "403", "422"]
        );
        let things = &doc["paths"]["/api/things"]["post"]["responses"];
        assert_eq!(
            things["403"]["description"], "admins only",
            "a handler's own words stay"
        );
        assert_eq!(
            things["401"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/ErrorEnvelope"
        );
    }
}
