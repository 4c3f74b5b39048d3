//! The one service every request passes before routing: the Host and Origin checks, CORS for
//! browser requests, the token, and closing a connection whose body was refused.
//!
//! One hand-written service instead of a stack of `middleware::from_fn` layers: each of those
//! boxed a future and cloned the stack beneath it on every request, which cost about a tenth of
//! the CPU of a trigger.

use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Router;
use futures_util::future::{self, BoxFuture, Either, FutureExt, Ready};
use tower::{Layer, Service};
use tower_http::cors::Cors;

use super::security::Security;

/// What tower-http's CORS layer adds to each answer it handles, so answers to requests without
/// an Origin (which skip that layer) are cached the same way.
const VARY: HeaderValue =
    HeaderValue::from_static("origin, access-control-request-method, access-control-request-headers");

#[derive(Clone)]
pub struct FrontDoor {
    security: Arc<Security>,
    /// Requests without an Origin header: no browser reads their answers across origins.
    plain: Gate,
    /// Browser requests, preflights included: the CORS layer answers those before the token is asked for.
    cors: Cors<Gate>,
}

impl FrontDoor {
    pub fn new(security: Arc<Security>, routes: Router) -> Self {
        let plain = Gate { security: security.clone(), routes };
        let cors = security.cors_layer().layer(plain.clone());
        Self { security, plain, cors }
    }
}

impl Service<Request> for FrontDoor {
    type Response = Response;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Response, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        // The router beneath is always ready.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let headers = request.headers();
        let has_body = headers.get(header::CONTENT_LENGTH).is_some_and(|length| length.as_bytes() != b"0")
            || headers.contains_key(header::TRANSFER_ENCODING);
        let from_browser = headers.contains_key(header::ORIGIN);
        if let Err(refused) = self.security.admit(&request) {
            return future::ready(Ok(close_if_refused(refused.into_response(), has_body))).boxed();
        }
        let answer =
            if from_browser { Either::Left(self.cors.call(request)) } else { Either::Right(self.plain.call(request)) };
        answer
            .map(move |answer| {
                let mut response = answer.unwrap_or_else(|never| match never {});
                if !from_browser {
                    response.headers_mut().append(header::VARY, VARY);
                }
                Ok(close_if_refused(response, has_body))
            })
            .boxed()
    }
}

/// A request refused before its body was read (401, 403, 413, 415, …) leaves that body on the
/// connection, so hyper closes it after the answer. Say so in the answer: otherwise a
/// keep-alive client sends its next request on the dying connection and gets a transport error.
fn close_if_refused(mut response: Response, has_body: bool) -> Response {
    if has_body && response.status().is_client_error() {
        response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// Asks for the token where the route needs one, then routes.
#[derive(Clone)]
struct Gate {
    security: Arc<Security>,
    routes: Router,
}

impl Service<Request> for Gate {
    type Response = Response;
    type Error = Infallible;
    type Future = Either<Ready<Result<Response, Infallible>>, <Router as Service<Request>>::Future>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request) -> Self::Future {
        match self.security.authorize(&request) {
            Ok(()) => Either::Right(self.routes.call(request)),
            Err(refused) => Either::Left(future::ready(Ok(refused.into_response()))),
        }
    }
}
