//! What the OpenAPI document says the server requires, made exact. The input types keep their
//! fields optional in Rust on purpose (a missing field becomes an Italian field error alongside all
//! the others, not a serde failure), so what the server requires is declared here, once: which
//! fields each input must carry, the shapes of money, dates, rates, codes and ids, and that every
//! error is `application/problem+json`. A client generator or a fuzzer (schemathesis in CI) reading
//! the document then sends what the server accepts.

use serde_json::{json, Value};

/// The fields each input requires (absent or null: a `required` field error).
const REQUIRED: &[(&str, &[&str])] = &[
    (
        "CallInput",
        &[
            "name",
            "funder",
            "act",
            "contribution_rate",
            "eligibility_start",
            "eligibility_end",
            "categories",
        ],
    ),
    ("CategoryInput", &["code", "name"]),
    (
        "ProjectInput",
        &[
            "call_id",
            "title",
            "lead_entity",
            "granted_contribution",
            "budget",
        ],
    ),
    ("BudgetLineInput", &["category", "amount"]),
    ("EntityInput", &["name"]),
    (
        "ExpenseInput",
        &[
            "entity_id",
            "supplier_name",
            "document_number",
            "document_date",
            "document_type",
            "net_amount",
            "vat_amount",
        ],
    ),
    ("VariationInput", &["act", "date", "changes"]),
    ("ChangeInput", &["category", "amount"]),
    ("VariationStatusInput", &["status"]),
    ("ExtensionInput", &["act", "date"]),
    ("MilestoneInput", &["name", "due_date"]),
    ("TrancheInput", &["amount", "date", "act"]),
    ("SectionInput", &["title", "body"]),
    ("IndicatorInput", &["name", "value"]),
];

/// Money as the API writes it: a decimal string with two places.
const MONEY: &str = r"^[0-9]{1,9}\.[0-9]{2}$";
/// An amount that must be above zero (a cost, a grant, a tranche).
const POSITIVE_MONEY: &str = r"^[1-9][0-9]{0,8}\.[0-9]{2}$";
/// A change of a budget line: up or down.
const SIGNED_MONEY: &str = r"^[-+]?[0-9]{1,9}\.[0-9]{2}$";
/// Free text: no control characters but new lines and tabs (the server refuses them).
const TEXT: &str = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$";
/// Required free text: as [`TEXT`], and not blank (blank counts as missing).
const REQUIRED_TEXT: &str = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*[^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$";
/// A share between 0 and 1, e.g. `0.70`.
const RATE: &str = r"^0\.[0-9]{2}$";
/// An ISO date in the plausible range (1990–2099); days up to 28 so that every match exists.
const DATE: &str = r"^(199[0-9]|20[0-9]{2})-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])$";
/// An id of ours in a path or a reference.
const ID: &str = r"^[1-9][0-9]{0,17}$";

/// The schema of a field, by its input and name: the same name means the same thing in every
/// input but where the input says otherwise.
fn field_shape(input: &str, name: &str) -> Option<Value> {
    let pattern = |p: &str| Some(json!({"type": "string", "pattern": p}));
    let choice = |values: &[&str]| Some(json!({"type": "string", "enum": values}));
    match (input, name) {
        ("ChangeInput", "amount") => return pattern(SIGNED_MONEY),
        ("TrancheInput", "kind") => return choice(&["advance", "balance"]),
        ("VariationInput" | "VariationStatusInput", "status") => {
            return choice(&["requested", "approved", "rejected"])
        }
        ("UserInput", "email") => {
            return Some(json!({"type": "string", "format": "email", "maxLength": 254}))
        }
        ("UserInput", "password") => {
            return Some(json!({"type": "string", "minLength": 10, "maxLength": 1024}))
        }
        _ => {}
    }
    match name {
        "vat_amount" => pattern(MONEY),
        "net_amount"
        | "claimed_amount"
        | "amount"
        | "granted_contribution"
        | "max_contribution"
        | "ceiling_amount" => pattern(POSITIVE_MONEY),
        "contribution_rate" | "ceiling_share" | "min_realisation_share" | "drift_tolerance" => {
            pattern(RATE)
        }
        "document_date" | "payment_order_date" | "payment_date" | "date" | "end_date"
        | "start_date" | "due_date" | "eligibility_start" | "eligibility_end"
        | "payment_deadline" | "reporting_deadline" | "as_of" => {
            Some(json!({"type": "string", "format": "date", "pattern": DATE}))
        }
        "entity_id" | "call_id" => pattern(ID),
        "cup" => pattern(r"^[A-Z][0-9]{2}[A-Z][0-9A-Z]{11}$"),
        "cig" => pattern(r"^[0-9A-Z]{10}$"),
        "code" | "category" => pattern(r"^[a-z][a-z0-9_]{0,39}$"),
        "document_type" => choice(&["invoice", "credit_note", "receipt", "other"]),
        "nature" => choice(&["current", "capital"]),
        "value" => pattern(r"^-?[0-9]{1,9}(\.[0-9]{1,4})?$"),
        _ => None,
    }
}

/// Whole examples of the inputs that refer to other data: the worked example of the Region's call
/// (call 1 with categories `design_training` and `technology`, the project's first entity). The
/// demo holds exactly these, so a client trying the examples against it sees them accepted.
fn example_of(input: &str) -> Option<Value> {
    match input {
        "ProjectInput" => Some(json!({
            "call_id": "1", "title": "Terre d'Argine Smart", "cup": "E91B20000580002",
            "lead_entity": "Unione delle Terre d'Argine", "granted_contribution": "105000.00",
            "budget": [{"category": "design_training", "amount": "105000.00"},
                       {"category": "technology", "amount": "45000.00"}]
        })),
        "VariationInput" => Some(json!({
            "act": "Determinazione n. 412 del 10/11/2020", "date": "2020-11-10",
            "changes": [{"category": "design_training", "amount": "-5000.00"},
                        {"category": "technology", "amount": "5000.00"}]
        })),
        "ExpenseInput" => Some(json!({
            "entity_id": "1", "category": "design_training", "supplier_name": "Formazione Emilia S.r.l.",
            "supplier_vat": "IT01234567897", "document_type": "invoice", "document_number": "FT 2020/118",
            "document_date": "2020-10-15", "description": "Corso sul lavoro agile per i dirigenti",
            "net_amount": "1000.00", "vat_amount": "220.00", "payment_order_number": "4021",
            "payment_order_date": "2020-11-02", "payment_date": "2020-11-05"
        })),
        _ => None,
    }
}

/// OpenAPI links: what a client can do next with what a create returned (the new object's `id`
/// from the body, the project's from the request's path). A fuzzer follows them to build real
/// sequences instead of guessing ids.
const LINKS: &[(&str, &[(&str, &str)])] = &[
    (
        "/api/v1/projects",
        &[
            ("/api/v1/projects/{id}", "get"),
            ("/api/v1/projects/{id}", "patch"),
            ("/api/v1/projects/{id}/entities", "post"),
            ("/api/v1/projects/{id}/expenses", "post"),
            ("/api/v1/projects/{id}/variations", "post"),
            ("/api/v1/projects/{id}/extensions", "post"),
            ("/api/v1/projects/{id}/milestones", "post"),
            ("/api/v1/projects/{id}/tranches", "post"),
            ("/api/v1/projects/{id}/narrative", "post"),
            ("/api/v1/projects/{id}/indicators", "post"),
            ("/api/v1/projects/{id}/summary", "get"),
            ("/api/v1/projects/{id}/submissions", "post"),
        ],
    ),
    ("/api/v1/calls", &[("/api/v1/calls/{id}", "get")]),
    ("/api/v1/users", &[("/api/v1/users/{id}", "get")]),
    (
        "/api/v1/projects/{id}/expenses",
        &[
            ("/api/v1/expenses/{id}", "get"),
            ("/api/v1/expenses/{id}", "patch"),
            ("/api/v1/expenses/{id}", "delete"),
            ("/api/v1/expenses/{id}/ready", "post"),
            ("/api/v1/expenses/{id}/verify", "post"),
            ("/api/v1/expenses/{id}/reject", "post"),
            ("/api/v1/expenses/{id}/history", "get"),
            ("/api/v1/expenses/{id}/attachments", "get"),
        ],
    ),
    (
        "/api/v1/projects/{id}/narrative",
        &[
            ("/api/v1/projects/{id}/narrative/{sid}", "get"),
            ("/api/v1/projects/{id}/narrative/{sid}", "patch"),
            ("/api/v1/projects/{id}/narrative/{sid}", "delete"),
        ],
    ),
    (
        "/api/v1/projects/{id}/indicators",
        &[
            ("/api/v1/projects/{id}/indicators/{iid}", "get"),
            ("/api/v1/projects/{id}/indicators/{iid}", "patch"),
            ("/api/v1/projects/{id}/indicators/{iid}", "delete"),
        ],
    ),
    (
        "/api/v1/projects/{id}/milestones",
        &[
            ("/api/v1/projects/{id}/milestones/{mid}", "get"),
            ("/api/v1/projects/{id}/milestones/{mid}", "patch"),
        ],
    ),
    (
        "/api/v1/projects/{id}/variations",
        &[
            ("/api/v1/projects/{id}/variations/{vid}", "get"),
            ("/api/v1/projects/{id}/variations/{vid}", "patch"),
        ],
    ),
];

/// The link from a create at `producer` to `consumer`: each path parameter of the consumer comes
/// from the same parameter of the producer's path, or (the one it lacks) from the new object's id.
fn link(producer: &str, consumer: &str, method: &str) -> Value {
    let pointer = consumer.replace('~', "~0").replace('/', "~1");
    let mut parameters = serde_json::Map::new();
    for name in consumer
        .split('/')
        .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
    {
        let from = if producer.contains(&format!("{{{name}}}")) {
            format!("$request.path.{name}")
        } else {
            "$response.body#/id".to_owned()
        };
        parameters.insert(name.to_owned(), json!(from));
    }
    json!({"operationRef": format!("#/paths/{pointer}/{method}"), "parameters": parameters})
}

fn add_links(paths: &mut serde_json::Map<String, Value>) {
    for (producer, consumers) in LINKS {
        let mut links = serde_json::Map::new();
        for (consumer, method) in *consumers {
            if paths.get(*consumer).and_then(|p| p.get(*method)).is_none() {
                continue;
            }
            let name = format!("{}{}", method, consumer.replace(['/', '{', '}', '.'], "_"));
            links.insert(name, link(producer, consumer, method));
        }
        if let Some(created) = paths
            .get_mut(*producer)
            .and_then(|p| p.get_mut("post"))
            .and_then(|op| op.pointer_mut("/responses/201"))
        {
            created["links"] = Value::Object(links);
        }
    }
}

/// Applies the contract to the document utoipa generated.
pub fn apply(doc: &mut Value) {
    if let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        for (name, schema) in schemas.iter_mut() {
            if name.ends_with("Input") {
                shape_input(name, schema);
                if let Some(example) = example_of(name) {
                    schema["example"] = example;
                }
            }
        }
    }
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        add_links(paths);
        for operation in paths.values_mut().filter_map(Value::as_object_mut) {
            for op in operation.values_mut() {
                shape_operation(op);
            }
        }
    }
}

fn shape_input(name: &str, schema: &mut Value) {
    let required: &[&str] = REQUIRED
        .iter()
        .find(|(n, _)| *n == name)
        .map_or(&[], |(_, fields)| fields);
    let Some(properties) = schema.get_mut("properties").and_then(Value::as_object_mut) else {
        return;
    };
    for (field, property) in properties.iter_mut() {
        let nullable = !required.contains(&field.as_str());
        if let Some(mut shape) = field_shape(name, field) {
            keep_description(property, &mut shape);
            if nullable {
                make_nullable(&mut shape);
            }
            *property = shape;
            continue;
        }
        if !nullable {
            drop_null(property);
            // A required list may not be empty.
            if property.get("type") == Some(&json!("array")) {
                property["minItems"] = json!(1);
            }
        }
        let is_text = property.get("type") == Some(&json!("string"))
            || property.get("type") == Some(&json!(["string", "null"]));
        if is_text {
            property["pattern"] = json!(if nullable { TEXT } else { REQUIRED_TEXT });
        }
    }
    if !required.is_empty() {
        schema["required"] = json!(required);
    }
}

/// Carries the field's documentation and example over to its new shape.
fn keep_description(old: &Value, shape: &mut Value) {
    for key in ["description", "example", "examples"] {
        if let Some(v) = old.get(key) {
            shape[key] = v.clone();
        }
    }
}

fn make_nullable(shape: &mut Value) {
    if let Some(kind) = shape.get("type").and_then(Value::as_str) {
        shape["type"] = json!([kind, "null"]);
    }
    if let Some(values) = shape.get_mut("enum").and_then(Value::as_array_mut) {
        values.push(Value::Null);
    }
}

fn drop_null(property: &mut Value) {
    let kinds: Option<Vec<Value>> = property
        .get("type")
        .and_then(Value::as_array)
        .map(|kinds| kinds.iter().filter(|k| *k != "null").cloned().collect());
    match kinds.as_deref() {
        Some([one]) => property["type"] = one.clone(),
        Some(_) => {
            if let Some(k) = kinds {
                property["type"] = Value::Array(k);
            }
        }
        None => {
            // `oneOf: [{"type": "null"}, X]` (an optional reference).
            if let Some(variants) = property.get_mut("oneOf").and_then(Value::as_array_mut) {
                variants.retain(|v| v.get("type") != Some(&json!("null")));
                if variants.len() == 1 {
                    let only = variants.remove(0);
                    *property = only;
                }
            }
        }
    }
}

/// Errors as `application/problem+json`; ids in paths as our ids.
fn shape_operation(op: &mut Value) {
    if let Some(parameters) = op.get_mut("parameters").and_then(Value::as_array_mut) {
        for parameter in parameters.iter_mut() {
            let in_path = parameter.get("in") == Some(&json!("path"));
            let is_id = parameter
                .get("name")
                .and_then(Value::as_str)
                .is_some_and(|n| n == "id" || (n.len() == 3 && n.ends_with("id")));
            if in_path && is_id {
                parameter["schema"] = json!({"type": "string", "pattern": ID});
            }
        }
    }
    let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
        return;
    };
    for (status, response) in responses.iter_mut() {
        let is_error = status.starts_with('4') || status.starts_with('5');
        let Some(content) = response.get_mut("content").and_then(Value::as_object_mut) else {
            continue;
        };
        if is_error {
            if let Some(body) = content.remove("application/json") {
                content.insert("application/problem+json".into(), body);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_fields_lose_null_and_errors_become_problems() {
        let mut doc = json!({
            "components": {"schemas": {"EntityInput": {"type": "object", "properties": {
                "name": {"type": ["string", "null"], "description": "Il nome"},
                "tax_code": {"type": ["string", "null"]}
            }}}},
            "paths": {"/api/v1/projects/{id}/entities": {"post": {
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
                "responses": {
                    "201": {"content": {"application/json": {"schema": {}}}},
                    "422": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
                }
            }}}
        });
        apply(&mut doc);
        let input = &doc["components"]["schemas"]["EntityInput"];
        assert_eq!(input["required"], json!(["name"]));
        assert_eq!(input["properties"]["name"]["type"], "string");
        assert_eq!(input["properties"]["name"]["description"], "Il nome");
        assert_eq!(
            input["properties"]["tax_code"]["type"],
            json!(["string", "null"])
        );
        let post = &doc["paths"]["/api/v1/projects/{id}/entities"]["post"];
        assert!(post["responses"]["422"]["content"]["application/problem+json"].is_object());
        assert!(post["responses"]["201"]["content"]["application/json"].is_object());
        assert_eq!(post["parameters"][0]["schema"]["pattern"], ID);
    }

    #[test]
    fn money_and_dates_have_their_shapes() {
        let mut doc = json!({"components": {"schemas": {"TrancheInput": {"properties": {
            "amount": {"type": ["string", "null"], "example": "1000.00"},
            "date": {"type": ["string", "null"]},
            "act": {"type": ["string", "null"]}
        }}}}});
        apply(&mut doc);
        let p = &doc["components"]["schemas"]["TrancheInput"]["properties"];
        assert_eq!(p["amount"]["pattern"], POSITIVE_MONEY);
        assert_eq!(p["amount"]["example"], "1000.00");
        assert_eq!(p["date"]["format"], "date");
        // Required: not nullable, and not blank.
        assert_eq!(p["act"]["type"], "string");
        assert_eq!(p["act"]["pattern"], REQUIRED_TEXT);
    }
}
