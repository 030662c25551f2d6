//! tokio driver for taosjs-core (see docs/architecture.md).
