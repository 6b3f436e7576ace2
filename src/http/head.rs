//! `HEAD` wherever `GET` works (RFC 9110, section 9.3.2): the request is routed
//! as the `GET` it mirrors, so it passes the same session, permission and
//! validation steps and answers the same status and headers. The body is not
//! sent: the connection's codec remembers that the request line said `HEAD`
//! and writes the head of the answer alone, with the length the body would
//! have had. Handlers never see `HEAD`.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;

/// Middleware (with `actix_web::middleware::from_fn`): turns `HEAD` into `GET`.
pub async fn as_get(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if req.method() == Method::HEAD {
        req.head_mut().method = Method::GET;
    }
    next.call(req).await
}
