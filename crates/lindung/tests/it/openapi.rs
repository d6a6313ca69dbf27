//! The OpenAPI document covers every `/api/v1` route of the endpoint table, with a success
//! response and the error responses its access implies; the server serves exactly that
//! document; and it matches the snapshot in `docs/openapi.json`, so review sees each change.
//! After a deliberate change to the API, refresh the snapshot with
//! `LINDUNG_UPDATE_SNAPSHOTS=1 cargo test -p lindung --test it openapi`.

use serde_json::Value;

use crate::support;
use crate::support::files::repo;
use crate::support::server::Server;

fn document() -> Value {
    serde_json::to_value(lindung::app::openapi()).expect("the document is JSON")
}

#[test]
fn every_api_route_is_in_the_document_with_its_responses() {
    let doc = document();
    let endpoints = lindung::app::endpoints();
    let api: Vec<_> = endpoints
        .iter()
        .filter(|e| e.path.starts_with("/api/v1"))
        .collect();
    assert!(api.len() >= 60, "the table lists the API: {}", api.len());
    let mut missing = Vec::new();
    for endpoint in &api {
        let method = endpoint.method.as_str().to_ascii_lowercase();
        let operation = &doc["paths"][endpoint.path.as_str()][method.as_str()];
        if !operation.is_object() {
            missing.push(format!("{} {}", endpoint.method, endpoint.path));
            continue;
        }
        let responses = operation["responses"]
            .as_object()
            .unwrap_or_else(|| panic!("{endpoint:?}: responses"));
        assert!(
            responses.keys().any(|s| s.starts_with('2')),
            "{endpoint:?}: a success response: {responses:?}"
        );
        assert!(responses.contains_key("500"), "{endpoint:?}");
        if endpoint.access.roles().is_some() {
            for status in ["401", "403"] {
                assert_eq!(
                    responses[status]["content"]["application/json"]["schema"]["$ref"],
                    "#/components/schemas/ErrorBody",
                    "{endpoint:?}: {status} in the error shape"
                );
            }
            assert!(
                operation["security"].is_array(),
                "{endpoint:?}: says it needs a token"
            );
        }
        if endpoint.path.contains('{') {
            assert!(responses.contains_key("404"), "{endpoint:?}");
        }
    }
    assert!(missing.is_empty(), "not in the document: {missing:?}");
    // And nothing in the document that the router does not serve.
    let served: Vec<(String, String)> = api
        .iter()
        .map(|e| (e.path.clone(), e.method.as_str().to_ascii_lowercase()))
        .collect();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("item").keys() {
            assert!(
                served.contains(&(path.clone(), method.clone())),
                "{method} {path} is documented but not routed"
            );
        }
    }
    // Every schema a route names is in the components.
    let text = doc.to_string();
    let schemas = doc["components"]["schemas"].as_object().expect("schemas");
    for reference in text.split("\"#/components/schemas/").skip(1) {
        let name = reference.split('"').next().unwrap_or_default();
        assert!(
            schemas.contains_key(name),
            "{name} is referenced but not defined"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_server_serves_the_document_and_it_matches_the_snapshot() {
    let doc = document();
    if let Some(t) = support::stores("openapi").await.into_iter().next() {
        let server = Server::start(&t.location);
        let (status, served) = server.get("/api/v1/openapi.json", None);
        assert_eq!(status, 200);
        assert_eq!(served, doc, "the served document is the generated one");
    }
    let path = repo().join("docs/openapi.json");
    let pretty = format!("{}\n", serde_json::to_string_pretty(&doc).expect("pretty"));
    if std::env::var_os("LINDUNG_UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, &pretty).expect("write the snapshot");
        return;
    }
    let kept = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        kept == pretty,
        "docs/openapi.json differs from the API; after a deliberate change, run \
         LINDUNG_UPDATE_SNAPSHOTS=1 cargo test -p lindung --test it openapi and review the diff"
    );
}

/// The document's closed vocabularies list the values the API sends and takes (`private`,
/// `case_plan`), not the Rust names of the variants (`Private`, `CasePlan`): a client generated
/// from the document must understand the API's answers (schemathesis found the difference).
#[test]
fn vocabularies_list_the_values_on_the_wire() {
    let doc = document();
    let schemas = doc["components"]["schemas"].as_object().expect("schemas");
    let mut enums = 0;
    for (name, schema) in schemas {
        let Some(values) = schema["enum"].as_array() else {
            continue;
        };
        enums += 1;
        for value in values {
            let value = value.as_str().unwrap_or_default();
            assert!(
                value
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                "{name}: {value:?} is not a value the API sends"
            );
        }
    }
    assert!(enums >= 8, "{enums} vocabularies");
    // As docs/api.md describes a bank's sharing scope.
    assert_eq!(
        schemas["BankSharing"]["enum"],
        serde_json::json!(["private", "platforms"])
    );
}
