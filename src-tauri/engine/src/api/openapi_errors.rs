//! Adds the error answers every route can give to the OpenAPI document, so clients and
//! schema checkers (schemathesis) see the statuses the middleware and extractors really send,
//! without repeating them on each `#[utoipa::path]`.

use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, ResponseBuilder};

/// Adds, where an operation does not document them itself:
/// 403 (Host or Origin refused) everywhere, 401 on routes that need the token,
/// 400/413/415/422 on routes with a body, 404 and 400 on routes with a path id,
/// and 422 on routes with query parameters.
pub fn complete(document: &mut OpenApi) {
    for item in document.paths.paths.values_mut() {
        let operations =
            [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch, &mut item.head];
        for operation in operations.into_iter().flatten() {
            complete_operation(operation);
        }
    }
}

fn complete_operation(operation: &mut Operation) {
    add(operation, "403", "The Host header does not name Hooky's loopback address, or the Origin is foreign");
    if operation.security.as_ref().is_some_and(|s| !s.is_empty()) {
        add(operation, "401", "The bearer token is missing or wrong");
    }
    if operation.request_body.is_some() {
        add(operation, "400", "The body is not valid JSON");
        add(operation, "413", "The body is larger than the limit");
        add(operation, "415", "The body is not declared as JSON");
        add(operation, "422", "A field is invalid; `field` names it");
    }
    let parameters = operation.parameters.as_deref().unwrap_or_default();
    let has_in = |place: ParameterIn| parameters.iter().any(|p| p.parameter_in == place);
    let (in_path, in_query) = (has_in(ParameterIn::Path), has_in(ParameterIn::Query));
    if in_path {
        add(operation, "400", "The path is malformed");
        add(operation, "404", "Nothing has this id");
    }
    if in_query {
        add(operation, "422", "A query parameter is invalid");
    }
}

fn add(operation: &mut Operation, status: &str, description: &str) {
    operation.responses.responses.entry(status.to_owned()).or_insert_with(|| {
        let body = ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build();
        RefOr::T(ResponseBuilder::new().description(description).content("application/json", body).build())
    });
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_documented_route_lists_its_error_statuses() {
        let document = super::super::openapi();
        let item = &document.paths.paths["/api/v1/endpoints/{id}"];
        let patch = item.patch.as_ref().expect("PATCH /endpoints/{id}");
        for status in ["400", "401", "403", "404", "413", "415", "422"] {
            assert!(patch.responses.responses.contains_key(status), "PATCH /endpoints/{{id}} lacks {status}");
        }
        let info = document.paths.paths["/api/v1/info"].get.as_ref().expect("GET /info");
        assert!(info.responses.responses.contains_key("401"));
        let health = document.paths.paths["/api/v1/health"].get.as_ref().expect("GET /health");
        assert!(!health.responses.responses.contains_key("401"), "health needs no token");
    }
}
