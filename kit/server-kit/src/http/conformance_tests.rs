use super::{conforms, documented_response};
use serde_json::{json, Value};

fn doc() -> Value {
    json!({"components": {"schemas": {
        "Agent": {
            "type": "object",
            "required": ["id", "status", "last_seen_at"],
            "properties": {
                "id": {"type": "string"},
                "status": {"$ref": "#/components/schemas/Status"},
                "last_seen_at": {"type": ["string", "null"]},
                "tags": {"type": "array", "items": {"type": "string"}},
                "site": {"oneOf": [{"type": "null"}, {"$ref": "#/components/schemas/Site"}]}
            }
        },
        "Status": {"type": "string", "enum": ["online", "offline"]},
        "Site": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}},
                 "additionalProperties": false},
        "Listed": {"allOf": [{"$ref": "#/components/schemas/Agent"},
                   {"type": "object", "required": ["host"], "properties": {"host": {"type": "string"}}}]}
    }}})
}

fn agent() -> Value {
    json!({"$ref": "#/components/schemas/Agent"})
}

#[test]
fn a_value_as_promised_conforms() {
    let value = json!({"id": "a", "status": "online", "last_seen_at": null, "tags": ["x"],
                       "site": {"name": "HQ"}});
    assert_eq!(conforms(&doc(), &agent(), &value), Ok(()));
}

#[test]
fn each_broken_promise_is_named_where_it_is() {
    let value =
        json!({"id": 7, "status": "asleep", "tags": ["x", 1], "site": {"name": "HQ", "x": 1}});
    let problems = conforms(&doc(), &agent(), &value).expect_err("broken");
    let text = problems.join("\n");
    for expected in [
        "$: required `last_seen_at` is missing",
        "$.id: 7 is not \"string\"",
        "$.status: \"asleep\" is not one of",
        "$.tags[1]: 1 is not \"string\"",
        "$.site: matches none of oneOf",
    ] {
        assert!(text.contains(expected), "{expected} in:\n{text}");
    }
}

#[test]
fn every_arm_of_all_of_must_hold() {
    let listed = json!({"$ref": "#/components/schemas/Listed"});
    let value = json!({"id": "a", "status": "offline", "last_seen_at": "t"});
    let problems = conforms(&doc(), &listed, &value).expect_err("no host");
    assert_eq!(problems, ["$: required `host` is missing"]);
}

#[test]
fn a_response_is_checked_against_its_operation_and_status() {
    let mut doc = doc();
    let body = |name: &str| json!({"content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{name}")}}}});
    doc["paths"] = json!({
        "/api/agents/{id}": {"get": {"responses": {"200": body("Agent")}}},
        "/api/agents/stats": {"get": {"responses": {"200": body("Site")}}}
    });
    let stats = json!({"name": "counts"});
    assert_eq!(
        documented_response(&doc, "GET", "/api/agents/stats?x=1", 200, &stats),
        Ok(())
    );
    let problems =
        documented_response(&doc, "GET", "/api/agents/a1", 200, &stats).expect_err("not an agent");
    assert!(
        problems[0].starts_with("GET /api/agents/a1: $: required `id`"),
        "{problems:?}"
    );
    let undocumented =
        documented_response(&doc, "GET", "/api/agents/a1", 404, &stats).expect_err("404");
    assert_eq!(
        undocumented,
        ["GET /api/agents/{id}: no JSON response documented for 404"]
    );
    assert!(documented_response(&doc, "GET", "/nowhere", 200, &stats).is_err());
}
