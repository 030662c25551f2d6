//! Sans-IO protocol core of taosjs (see docs/architecture.md).
