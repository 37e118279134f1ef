//! What the OpenAPI document promises of every call before its handler runs, read from the
//! document itself so that a route cannot escape it:
//! - a known path called with a method it does not have (`OPTIONS` included, but for a
//!   browser's preflight to a public route): 405 with `Allow`;
//! - an operation that requires the `bearer` scheme: the call must carry a valid access token
//!   (401 otherwise), before its path, query or body are read.
//!
//! The handlers still ask the one policy (`access::require`) what the caller may do; this only
//! makes authentication come first whatever the order of a handler's extractors.

use crate::problem::Problem;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ResourceDef, ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{ResponseError, web};
use simpa_domain::policy;
use utoipa::openapi::OpenApi;
use utoipa::openapi::security::SecurityRequirement;

/// The security scheme of people's and API clients' access tokens.
pub const BEARER: &str = "bearer";

/// One path of the document, with its operations.
struct Path {
    pattern: ResourceDef,
    /// Whether the path has no parameter.
    literal: bool,
    operations: Vec<(Method, Operation)>,
}

#[derive(Clone, Copy)]
struct Operation {
    needs_token: bool,
}

/// The paths and operations of the OpenAPI document.
pub struct Contract {
    paths: Vec<Path>,
    /// The first segments of the document's paths (`api`, `healthz`…): a call's path that
    /// begins otherwise (a page of the portal) is none of them, and is not matched against
    /// each. `None` when a path begins with a parameter.
    firsts: Option<Vec<String>>,
}

/// The first segment of a path.
fn first_segment(path: &str) -> &str {
    path.trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or_default()
}

impl Contract {
    pub fn of(document: &OpenApi) -> Contract {
        let paths = document
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let operations = [
                    (Method::GET, &item.get),
                    (Method::PUT, &item.put),
                    (Method::POST, &item.post),
                    (Method::DELETE, &item.delete),
                    (Method::PATCH, &item.patch),
                ]
                .into_iter()
                .filter_map(|(method, operation)| {
                    let operation = operation.as_ref()?;
                    let bearer = SecurityRequirement::new(BEARER, Vec::<String>::new());
                    let needs_token = operation
                        .security
                        .as_ref()
                        .is_some_and(|all| *all == [bearer]);
                    Some((method, Operation { needs_token }))
                })
                .collect();
                Path {
                    pattern: ResourceDef::new(path.as_str()),
                    literal: !path.contains('{'),
                    operations,
                }
            })
            .collect();
        let mut firsts: Vec<String> = document
            .paths
            .paths
            .keys()
            .map(|path| first_segment(path).to_owned())
            .collect();
        firsts.dedup();
        let firsts = (!firsts.iter().any(|f| f.contains('{'))).then_some(firsts);
        Contract { paths, firsts }
    }

    /// The paths of the document a call's path is: a literal one alone, when there is one
    /// (`/requests/changes`, not `/requests/{request_id}`).
    fn matching(&self, path: &str) -> Vec<&Path> {
        if let Some(firsts) = &self.firsts
            && !firsts.iter().any(|f| f == first_segment(path))
        {
            return vec![];
        }
        let mut matching: Vec<&Path> = self
            .paths
            .iter()
            .filter(|p| p.pattern.is_match(path))
            .collect();
        if matching.iter().any(|p| p.literal) {
            matching.retain(|p| p.literal);
        }
        matching
    }

    /// The path of the document a call's path is, for the metrics of the calls answered
    /// before or without the router.
    pub fn template(&self, path: &str) -> Option<&str> {
        self.matching(path)
            .first()
            .and_then(|p| p.pattern.pattern())
    }

    /// The operation a call reaches; `Err` with the allowed methods when its path is known
    /// but not its method; `Ok(None)` for a path the document does not know.
    fn operation(&self, method: &Method, path: &str) -> Result<Option<Operation>, Vec<Method>> {
        let matching = self.matching(path);
        let found = matching.iter().find_map(|p| {
            p.operations
                .iter()
                .find(|(m, _)| m == method)
                .map(|(_, operation)| *operation)
        });
        match found {
            Some(operation) => Ok(Some(operation)),
            None if matching.is_empty() => Ok(None),
            None => {
                let mut allowed: Vec<Method> = matching
                    .iter()
                    .flat_map(|p| p.operations.iter().map(|(m, _)| m.clone()))
                    .collect();
                allowed.sort_by(|a, b| a.as_str().cmp(b.as_str()));
                allowed.dedup();
                Err(allowed)
            }
        }
    }
}

/// The route of a call answered before the router named it (refused here, or whose handler
/// panicked), for the metrics.
pub struct RouteTemplate(pub String);

pub async fn enforce(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    // Preflights to the public routes belong to their CORS; any other OPTIONS is a method
    // like the others (405 with `Allow` on a known path).
    if crate::cors::is_public_preflight(&req) {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body);
    }
    let refusal = match req.app_data::<web::Data<Contract>>() {
        None => None,
        // The path as the router reads it: percent-decoded.
        Some(contract) => match contract.operation(req.method(), req.match_info().as_str()) {
            Ok(Some(operation)) if operation.needs_token => {
                authenticated(&req).err().map(|problem| (problem, None))
            }
            Ok(_) => None,
            Err(allowed) => Some((not_allowed(&req, &allowed), Some(methods(&allowed)))),
        },
    };
    match refusal {
        None => next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body),
        Some((problem, allow)) => {
            let template = req
                .app_data::<web::Data<Contract>>()
                .and_then(|c| c.template(req.match_info().as_str()).map(str::to_owned));
            if let Some(template) = template {
                actix_web::HttpMessage::extensions_mut(&req).insert(RouteTemplate(template));
            }
            let mut response = problem.error_response();
            if let Some(value) = allow.and_then(|a| header::HeaderValue::from_str(&a).ok()) {
                response.headers_mut().insert(header::ALLOW, value);
            }
            Ok(req.into_response(response).map_into_right_body())
        }
    }
}

/// A valid access token, or the 401 the policy gives the anonymous.
fn authenticated(req: &ServiceRequest) -> Result<(), Problem> {
    match crate::auth::caller::bearer(req.request())? {
        Some(_) => Ok(()),
        None => Err(policy::authentication_required().into()),
    }
}

fn not_allowed(req: &ServiceRequest, allowed: &[Method]) -> Problem {
    Problem::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method.not_allowed",
        format!(
            "Cette adresse n'accepte pas la méthode {} ; méthodes permises : {}.",
            req.method(),
            methods(allowed)
        ),
    )
}

fn methods(allowed: &[Method]) -> String {
    allowed
        .iter()
        .map(Method::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::Contract;

    /// The portal's pages are matched against no path of the API's document.
    #[test]
    fn only_the_api_s_paths_are_matched() {
        let (_, document) = crate::routed(actix_web::App::new(), &[]);
        let contract = Contract::of(&document);
        assert_eq!(
            contract.firsts,
            Some(vec![
                "api".into(),
                "healthz".into(),
                "metrics".into(),
                "readyz".into()
            ])
        );
        assert!(contract.matching("/demandes/0197").is_empty());
        assert!(contract.matching("/api/v1").is_empty());
        assert_eq!(contract.matching("/healthz").len(), 1);
        let request = contract.matching("/api/v1/requests/0197");
        assert_eq!(
            request.first().and_then(|p| p.pattern.pattern()),
            Some("/api/v1/requests/{request_id}")
        );
    }
}
