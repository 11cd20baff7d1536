//! The JSON Schemas of the documents cifix writes, generated from the model types.
//! `schema/*.schema.json` at the repository root are these, checked in; a test keeps
//! them in step with the code.

use schemars::JsonSchema;

/// `(file name, schema)` of every published document.
pub fn all() -> Vec<(&'static str, serde_json::Value)> {
    vec![
        (
            "run-report.schema.json",
            of::<crate::RunReport>("cifix run report"),
        ),
        (
            "failure-report.schema.json",
            of::<crate::FailureReport>("cifix parse-logs --json"),
        ),
        (
            "reproduction.schema.json",
            of::<crate::Reproduction>("cifix reproduce --json"),
        ),
        (
            "stats.schema.json",
            of::<crate::Stats>("cifix stats --json"),
        ),
    ]
}

fn of<T: JsonSchema>(title: &str) -> serde_json::Value {
    let mut s = serde_json::to_value(schemars::schema_for!(T)).expect("a schema is JSON");
    s["title"] = title.into();
    s["x-cifix-schema-version"] = crate::SCHEMA_VERSION.into();
    s
}
