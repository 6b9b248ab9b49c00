use super::{referenced_schemas, responses_as_sent, served_document};
use serde_json::{json, Value};
use utoipa::{PartialSchema, ToSchema};

/// A response with a field serde writes as null and one it leaves out.
#[derive(serde::Serialize, ToSchema)]
struct Reply {
    id: String,
    ended_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    upstream: Option<String>,
    inner: Option<Inner>,
}

#[derive(serde::Serialize, ToSchema)]
struct Inner {
    note: Option<String>,
}

/// A response extending another by flattening it: utoipa derives `allOf`.
#[derive(serde::Serialize, ToSchema)]
struct Listed {
    #[serde(flatten)]
    inner: Inner,
    hostname: Option<String>,
}

/// A page of replies, written inline the way utoipa writes a generic's argument.
fn page_of_replies() -> Value {
    json!({"type": "object", "required": ["items"], "properties": {
        "items": {"type": "array", "items": schema_json::<Inner>()}
    }})
}

/// A request body: a missing optional field is accepted, so it stays optional.
#[derive(serde::Deserialize, ToSchema)]
#[allow(dead_code)] // read only by the schema derive
struct Ask {
    name: String,
    notes: Option<String>,
}

fn schema_json<T: ToSchema>() -> Value {
    serde_json::to_value(T::schema()).expect("json")
}

fn document(paths: Value) -> Value {
    json!({
        "openapi": "3.1.0",
        "paths": paths,
        "components": {"schemas": {
            "Reply": schema_json::<Reply>(),
            "Inner": schema_json::<Inner>(),
            "Ask": schema_json::<Ask>(),
            "Listed": schema_json::<Listed>(),
            "Page": page_of_replies(),
        }}
    })
}

fn body(name: &str) -> Value {
    json!({"content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{name}")}}}})
}

fn required(doc: &Value, schema: &str) -> Vec<String> {
    let list = doc["components"]["schemas"][schema]["required"].as_array();
    let mut names: Vec<String> = list
        .into_iter()
        .flatten()
        .map(|v| v.as_str().unwrap_or_default().to_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn nullable_fields_of_responses_are_required_and_left_out_fields_are_not() {
    let doc = responses_as_sent(document(json!({
        "/things": {
            "post": {"requestBody": body("Ask"), "responses": {"200": body("Reply")}}
        }
    })));
    assert_eq!(required(&doc, "Reply"), ["ended_at", "id", "inner"]);
    assert_eq!(required(&doc, "Inner"), ["note"], "reached through Reply");
    assert_eq!(
        required(&doc, "Ask"),
        ["name"],
        "a request may leave notes out"
    );
}

#[test]
fn nullable_fields_beside_a_flattened_response_are_required_too() {
    let doc = responses_as_sent(document(json!({
        "/listed": {"get": {"responses": {"200": body("Listed")}}}
    })));
    let arms = doc["components"]["schemas"]["Listed"]["allOf"]
        .as_array()
        .expect("allOf");
    let own = arms
        .iter()
        .find(|arm| arm["properties"]["hostname"].is_object());
    assert_eq!(
        own.map(|arm| arm["required"].clone()),
        Some(json!(["hostname"]))
    );
}

#[test]
fn a_schema_that_is_also_a_request_body_is_left_as_derived() {
    let doc = responses_as_sent(document(json!({
        "/echo": {"put": {"requestBody": body("Reply"), "responses": {"200": body("Reply")}}}
    })));
    assert_eq!(required(&doc, "Reply"), ["id"]);
}

#[test]
fn utoipa_spells_option_and_its_opt_out_as_this_module_reads_them() {
    let reply = schema_json::<Reply>();
    assert_eq!(
        reply["properties"]["ended_at"]["type"],
        json!(["string", "null"])
    );
    assert_eq!(reply["properties"]["upstream"]["type"], json!("string"));
    assert!(reply["properties"]["inner"]["oneOf"][0]["type"] == "null");
}

#[test]
fn the_served_document_is_the_corrected_one() {
    let spec = utoipa::openapi::OpenApiBuilder::new()
        .components(Some(
            utoipa::openapi::ComponentsBuilder::new()
                .schema("Inner", Inner::schema())
                .build(),
        ))
        .build();
    // No operation uses Inner: it is neither side's, so nothing changes.
    let doc = served_document(&spec);
    assert_eq!(required(&doc, "Inner"), Vec::<String>::new());
}

#[test]
fn nullable_fields_of_objects_written_inline_are_required_too() {
    let doc = responses_as_sent(document(json!({
        "/page": {"get": {"responses": {"200": body("Page")}}}
    })));
    let item = &doc["components"]["schemas"]["Page"]["properties"]["items"]["items"];
    assert_eq!(item["required"], json!(["note"]));
}

#[test]
fn the_schemas_a_part_refers_to_include_those_it_reaches_through_others() {
    let doc = document(json!({}));
    let part = json!({"get": {"responses": {"200": body("Listed")}}});
    let names: Vec<String> = referenced_schemas(&doc, &part).into_iter().collect();
    assert_eq!(names, ["Inner", "Listed"], "Listed flattens Inner");
}
