//! The OpenAPI document as served and checked in: what utoipa derives, with one correction so
//! the types generated from it are exact. utoipa lists an `Option` field as not required, which
//! is true of a request (the field may be left out) but not of a response, where serde writes
//! `null`. So in every schema only responses use, a property that can be null is required; a
//! response field that is left out instead (`skip_serializing_if`) is declared
//! `#[schema(nullable = false)]` and stays optional. And refusals that come from the shared
//! layers, not the handler, are added to each operation (`refusals`).

use serde_json::{Map, Value};
use std::collections::BTreeSet;

/// `spec` as JSON, with the nullable properties of response-only schemas marked required and
/// the shared layers' refusals listed on every operation that can meet them.
pub fn served_document(spec: &utoipa::openapi::OpenApi) -> Value {
    let mut doc = responses_as_sent(serde_json::to_value(spec).unwrap_or_default());
    super::refusals::document_shared_refusals(&mut doc);
    doc
}

fn responses_as_sent(mut doc: Value) -> Value {
    let schemas = doc["components"]["schemas"].clone();
    let responses = reachable(&schemas, roots(&doc["paths"], Side::Response));
    let requests = reachable(&schemas, roots(&doc["paths"], Side::Request));
    if let Some(all) = doc["components"]["schemas"].as_object_mut() {
        for name in responses.difference(&requests) {
            if let Some(schema) = all.get_mut(name) {
                require_nullable_properties(schema);
            }
        }
    }
    doc
}

#[derive(Clone, Copy)]
enum Side {
    Request,
    Response,
}

/// The schemas named directly by the operations' request bodies and parameters, or by their
/// responses.
fn roots(paths: &Value, side: Side) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for operation in paths.as_object().into_iter().flat_map(Map::values) {
        for detail in operation.as_object().into_iter().flat_map(Map::values) {
            match side {
                Side::Request => {
                    collect_refs(&detail["requestBody"], &mut names);
                    collect_refs(&detail["parameters"], &mut names);
                }
                Side::Response => collect_refs(&detail["responses"], &mut names),
            }
        }
    }
    names
}

/// The component schemas `part` of `doc` refers to, directly or through other schemas (what a
/// document cut down to some of its paths must keep).
pub fn referenced_schemas(doc: &Value, part: &Value) -> BTreeSet<String> {
    let mut start = BTreeSet::new();
    collect_refs(part, &mut start);
    reachable(&doc["components"]["schemas"], start)
}

/// `start` and every schema they refer to, transitively.
fn reachable(schemas: &Value, start: BTreeSet<String>) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut queue: Vec<String> = start.into_iter().collect();
    while let Some(name) = queue.pop() {
        if seen.insert(name.clone()) {
            let mut next = BTreeSet::new();
            collect_refs(&schemas[&name], &mut next);
            queue.extend(next.into_iter().filter(|n| !seen.contains(n)));
        }
    }
    seen
}

fn collect_refs(value: &Value, names: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            if let Some(name) = map
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix("#/components/schemas/"))
            {
                names.insert(name.to_owned());
            }
            map.values().for_each(|v| collect_refs(v, names));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, names)),
        _ => {}
    }
}

/// In `schema` and in every object written inline in it (an `allOf` arm, which utoipa derives
/// for `#[serde(flatten)]`, or a generic's argument such as a page's items).
fn require_nullable_properties(schema: &mut Value) {
    if let Some(map) = schema.as_object_mut() {
        for (key, inner) in map.iter_mut() {
            match key.as_str() {
                "allOf" | "oneOf" => inner
                    .as_array_mut()
                    .into_iter()
                    .flatten()
                    .for_each(require_nullable_properties),
                "properties" => inner
                    .as_object_mut()
                    .into_iter()
                    .flat_map(|m| m.values_mut())
                    .for_each(require_nullable_properties),
                "items" | "additionalProperties" => require_nullable_properties(inner),
                _ => {}
            }
        }
    }
    let nullable: Vec<String> = schema["properties"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(_, property)| can_be_null(property))
        .map(|(name, _)| name.clone())
        .collect();
    if nullable.is_empty() {
        return;
    }
    let Some(object) = schema.as_object_mut() else {
        return;
    };
    let required = object
        .entry("required")
        .or_insert_with(|| Value::Array(Vec::new()));
    if let Some(list) = required.as_array_mut() {
        for name in nullable {
            if !list.iter().any(|v| v == name.as_str()) {
                list.push(Value::String(name));
            }
        }
    }
}

/// OpenAPI 3.1 spells "may be null" as a type list with `null` or a `oneOf` with a null arm.
fn can_be_null(property: &Value) -> bool {
    let null_type = |v: &Value| v == "null";
    match &property["type"] {
        Value::Array(types) if types.iter().any(null_type) => return true,
        _ => {}
    }
    property["oneOf"]
        .as_array()
        .is_some_and(|arms| arms.iter().any(|arm| null_type(&arm["type"])))
}

#[cfg(test)]
#[path = "document_tests.rs"]
mod tests;
