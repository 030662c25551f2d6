//! Cross-origin requests, as taosAdapter answers them with its default configuration
//! (`cors.allowAllOrigins = true`; gin-contrib/cors, `config/cors.go`), checked against a real
//! taosAdapter 3.3.7.5: a page on another origin may call the REST API with `fetch`.
//!
//! - A preflight (`OPTIONS` with `Origin`), whatever the path and the headers it asks for:
//!   `204` with `Access-Control-Allow-Origin: *`, the allowed methods and headers
//!   (`Origin,Content-Length,Content-Type,Authorization`) and `Access-Control-Max-Age: 43200`.
//!   `OPTIONS` without `Origin` is no preflight: it is routed as any request (404).
//! - Any other request with an `Origin` that is not the server's own: its answer, with
//!   `Access-Control-Allow-Origin: *` and `Access-Control-Expose-Headers: Authorization`.
//!   A same-origin request (`Origin` = `http://<Host>`) gets no CORS header.

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{HeaderMap, HeaderValue};
use hyper::{Method, Response, StatusCode};

/// What CORS makes of a request, decided from its method and headers before it is routed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cors {
    /// No `Origin`, or the server's own: answer as usual.
    None,
    /// A preflight: answer it here.
    Preflight,
    /// A cross-origin request: add the headers to its answer.
    CrossOrigin,
}

pub(crate) fn classify(method: &Method, headers: &HeaderMap) -> Cors {
    let Some(origin) = headers.get(hyper::header::ORIGIN).and_then(|v| v.to_str().ok()) else { return Cors::None };
    if method == Method::OPTIONS {
        return Cors::Preflight;
    }
    let host = headers.get(hyper::header::HOST).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let same = origin.strip_prefix("http://").or_else(|| origin.strip_prefix("https://")).is_some_and(|o| o.eq_ignore_ascii_case(host));
    if same {
        Cors::None
    } else {
        Cors::CrossOrigin
    }
}

/// taosAdapter's answer to a preflight.
pub(crate) fn preflight() -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(Bytes::new()));
    *resp.status_mut() = StatusCode::NO_CONTENT;
    let h = resp.headers_mut();
    h.insert("access-control-allow-headers", HeaderValue::from_static("Origin,Content-Length,Content-Type,Authorization"));
    h.insert("access-control-allow-methods", HeaderValue::from_static("GET,POST,PUT,PATCH,DELETE,HEAD,OPTIONS"));
    h.insert("access-control-allow-origin", HeaderValue::from_static("*"));
    h.insert("access-control-max-age", HeaderValue::from_static("43200"));
    resp
}

/// The headers of a cross-origin answer.
pub(crate) fn allow(resp: &mut Response<Full<Bytes>>) {
    let h = resp.headers_mut();
    h.insert("access-control-allow-origin", HeaderValue::from_static("*"));
    h.insert("access-control-expose-headers", HeaderValue::from_static("Authorization"));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn only_requests_from_another_origin_are_cors() {
        let page = headers(&[("origin", "http://localhost:8080"), ("host", "localhost:6041")]);
        assert_eq!(classify(&Method::OPTIONS, &page), Cors::Preflight);
        assert_eq!(classify(&Method::POST, &page), Cors::CrossOrigin);
        assert_eq!(classify(&Method::POST, &headers(&[("host", "localhost:6041")])), Cors::None);
        assert_eq!(classify(&Method::OPTIONS, &headers(&[("host", "localhost:6041")])), Cors::None, "no Origin: no preflight");
        let same = headers(&[("origin", "http://localhost:6041"), ("host", "localhost:6041")]);
        assert_eq!(classify(&Method::POST, &same), Cors::None);
    }
}
