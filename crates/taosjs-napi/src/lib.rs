//! napi-rs binding of taosjs (see docs/architecture.md).
#![deny(clippy::all)]
