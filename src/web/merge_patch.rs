//! JSON merge patch (RFC 7396) over a resource's view: the fields sent change, the others stay, and
//! the result is validated exactly like a creation, so a patch cannot reach a state a create could not.

use axum::http::StatusCode;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use super::error::ApiError;
use super::extract::parse_json;

/// Applies `patch` to `target` as RFC 7396 says: objects merge recursively, `null` removes.
pub fn merge(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (key, value) in p {
                if value.is_null() {
                    t.remove(key);
                } else {
                    merge(t.entry(key.clone()).or_insert(Value::Null), value);
                }
            }
        }
        (target, patch) => *target = strip_nulls(patch),
    }
}

/// A value replacing another keeps no `null` members inside its objects (RFC 7396 §2).
fn strip_nulls(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), strip_nulls(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The input a patch amounts to: the current view, patched, without its read-only fields.
pub fn merged_input<V: Serialize, T: DeserializeOwned>(
    view: &V,
    read_only: &[&str],
    body: &[u8],
) -> Result<T, ApiError> {
    let patch: Value = parse_json(body)?;
    let Value::Object(fields) = &patch else {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "patch_not_object",
            "Una modifica (merge patch) deve essere un oggetto JSON con i soli campi da cambiare.",
        ));
    };
    let mut current = serde_json::to_value(view).map_err(|_| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "Errore interno.",
        )
    })?;
    let errors: Vec<_> = read_only
        .iter()
        .filter(|key| {
            fields
                .get(**key)
                .is_some_and(|sent| current.get(**key) != Some(sent))
        })
        .map(|key| crate::domain::FieldError {
            field: (*key).to_owned(),
            code: "read_only".into(),
            message: "campo in sola lettura: non può essere modificato".into(),
        })
        .collect();
    if !errors.is_empty() {
        return Err(ApiError::invalid(errors));
    }
    merge(&mut current, &patch);
    if let Value::Object(map) = &mut current {
        for key in read_only {
            map.remove(*key);
        }
    }
    let bytes = serde_json::to_vec(&current).map_err(|_| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "Errore interno.",
        )
    })?;
    parse_json(&bytes)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn follows_rfc_7396_examples() {
        let cases = [
            (json!({"a": "b"}), json!({"a": "c"}), json!({"a": "c"})),
            (
                json!({"a": "b"}),
                json!({"b": "c"}),
                json!({"a": "b", "b": "c"}),
            ),
            (json!({"a": "b"}), json!({"a": null}), json!({})),
            (
                json!({"a": [{"b": "c"}]}),
                json!({"a": [1]}),
                json!({"a": [1]}),
            ),
            (
                json!({"e": null}),
                json!({"a": 1}),
                json!({"e": null, "a": 1}),
            ),
            (
                json!({}),
                json!({"a": {"bb": {"ccc": null}}}),
                json!({"a": {"bb": {}}}),
            ),
        ];
        for (mut target, patch, expected) in cases {
            super::merge(&mut target, &patch);
            assert_eq!(target, expected);
        }
    }
}
