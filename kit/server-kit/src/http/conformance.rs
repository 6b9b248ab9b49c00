//! Whether a JSON value is what an OpenAPI schema promises, for the tests that hold real
//! responses to the served document (the web projects' types are generated from it, so a field
//! it calls required but a response leaves out is a bug a browser would meet). It reads the
//! schema forms utoipa derives: `$ref`, `allOf`, `oneOf`, `enum`, `type` (one or a list),
//! `properties`/`required`, `items`, `additionalProperties`.

use serde_json::Value;

/// `Ok` when `value` conforms to `schema`, references resolved in `doc`; else every place
/// where it does not, as `path: what`.
pub fn conforms(doc: &Value, schema: &Value, value: &Value) -> Result<(), Vec<String>> {
    let mut problems = Vec::new();
    check(doc, schema, value, "$", &mut problems);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// `Ok` when `body`, answered with `status` to `method path` (query ignored), is what `doc`
/// documents for that operation's JSON response.
pub fn documented_response(
    doc: &Value,
    method: &str,
    path: &str,
    status: u16,
    body: &Value,
) -> Result<(), Vec<String>> {
    let path = path.split('?').next().unwrap_or(path);
    let Some(template) = template_of(doc, path) else {
        return Err(vec![format!("{path}: no documented path matches")]);
    };
    let response =
        &doc["paths"][template][method.to_ascii_lowercase()]["responses"][status.to_string()];
    let schema = &response["content"]["application/json"]["schema"];
    if schema.is_null() {
        return Err(vec![format!(
            "{method} {template}: no JSON response documented for {status}"
        )]);
    }
    conforms(doc, schema, body).map_err(|problems| {
        problems
            .into_iter()
            .map(|p| format!("{method} {path}: {p}"))
            .collect()
    })
}

/// The documented path `path` is an instance of; of several, the one with the most literal
/// segments (`/api/agents/stats` before `/api/agents/{id}`).
fn template_of<'a>(doc: &'a Value, path: &str) -> Option<&'a str> {
    let segments: Vec<&str> = path.split('/').collect();
    let literal_matches = |template: &str| {
        let parts: Vec<&str> = template.split('/').collect();
        let fits = parts.len() == segments.len()
            && parts
                .iter()
                .zip(&segments)
                .all(|(t, s)| t == s || (t.starts_with('{') && t.ends_with('}')));
        fits.then(|| parts.iter().filter(|t| !t.starts_with('{')).count())
    };
    doc["paths"]
        .as_object()?
        .keys()
        .filter_map(|t| literal_matches(t).map(|score| (score, t.as_str())))
        .max_by_key(|(score, _)| *score)
        .map(|(_, t)| t)
}

fn check(doc: &Value, schema: &Value, value: &Value, at: &str, problems: &mut Vec<String>) {
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.trim_start_matches("#/components/schemas/");
        let target = &doc["components"]["schemas"][name];
        if target.is_null() {
            problems.push(format!("{at}: no schema {reference}"));
        } else {
            check(doc, target, value, at, problems);
        }
        return;
    }
    if let Some(arms) = schema["allOf"].as_array() {
        arms.iter()
            .for_each(|arm| check(doc, arm, value, at, problems));
    }
    if let Some(arms) = schema["oneOf"].as_array() {
        if !arms.iter().any(|arm| conforms(doc, arm, value).is_ok()) {
            problems.push(format!("{at}: matches none of oneOf: {value}"));
        }
    }
    if let Some(words) = schema["enum"].as_array() {
        if !words.contains(value) {
            problems.push(format!("{at}: {value} is not one of {words:?}"));
        }
    }
    if !schema["type"].is_null() && !types_of(&schema["type"]).any(|t| has_type(value, t)) {
        problems.push(format!("{at}: {value} is not {}", schema["type"]));
    }
    match value {
        Value::Object(fields) => {
            for name in schema["required"].as_array().into_iter().flatten() {
                let name = name.as_str().unwrap_or_default();
                if !fields.contains_key(name) {
                    problems.push(format!("{at}: required `{name}` is missing"));
                }
            }
            for (name, field) in fields {
                let declared = &schema["properties"][name];
                let extra = &schema["additionalProperties"];
                if !declared.is_null() {
                    check(doc, declared, field, &format!("{at}.{name}"), problems);
                } else if extra.is_object() {
                    check(doc, extra, field, &format!("{at}.{name}"), problems);
                } else if extra == &Value::Bool(false) {
                    problems.push(format!("{at}: `{name}` is not allowed"));
                }
            }
        }
        Value::Array(items) if schema["items"].is_object() => {
            for (i, item) in items.iter().enumerate() {
                check(doc, &schema["items"], item, &format!("{at}[{i}]"), problems);
            }
        }
        _ => {}
    }
}

fn types_of(declared: &Value) -> impl Iterator<Item = &str> {
    let list: Vec<&str> = match declared {
        Value::String(one) => vec![one.as_str()],
        Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    list.into_iter()
}

fn has_type(value: &Value, declared: &str) -> bool {
    match declared {
        "string" => value.is_string(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        "null" => value.is_null(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        _ => false,
    }
}

#[cfg(test)]
#[path = "conformance_tests.rs"]
mod tests;
