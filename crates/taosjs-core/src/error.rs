//! Errors of the client, one kind per TypeScript error class.

use std::fmt;

/// Which TS error class an [`Error`] becomes (`src/errors.ts`); the mapping is 1:1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    Interface,
    Database,
    Data,
    Operational,
    Integrity,
    Internal,
    Programming,
    NotSupported,
    Connection,
    Query,
    Statement,
    Result,
    Schemaless,
    Tmq,
    /// A call got no answer within its deadline (`timeoutMs`, `requestTimeoutMs`).
    Timeout,
    /// The caller gave up on a call (an `AbortSignal`).
    Aborted,
}

impl ErrorKind {
    /// The TS class name, which is also the `code` an error carries across N-API.
    pub fn class_name(self) -> &'static str {
        match self {
            ErrorKind::Interface => "InterfaceError",
            ErrorKind::Database => "DatabaseError",
            ErrorKind::Data => "DataError",
            ErrorKind::Operational => "OperationalError",
            ErrorKind::Integrity => "IntegrityError",
            ErrorKind::Internal => "InternalError",
            ErrorKind::Programming => "ProgrammingError",
            ErrorKind::NotSupported => "NotSupportedError",
            ErrorKind::Connection => "ConnectionError",
            ErrorKind::Query => "QueryError",
            ErrorKind::Statement => "StatementError",
            ErrorKind::Result => "ResultError",
            ErrorKind::Schemaless => "SchemalessError",
            ErrorKind::Tmq => "TmqError",
            ErrorKind::Timeout => "TimeoutError",
            ErrorKind::Aborted => "AbortError",
        }
    }
}

/// A client error: its class, TDengine's code when the server gave one, and a message that names
/// the problem (never a password).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub kind: ErrorKind,
    /// TDengine's error code as sent on the wire (low 16 bits, e.g. 9728), when there is one.
    pub errno: Option<i32>,
    pub message: String,
}

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error { kind, errno: None, message: message.into() }
    }

    pub fn with_code(kind: ErrorKind, errno: i32, message: impl Into<String>) -> Self {
        Error { kind, errno: Some(errno), message: message.into() }
    }

    pub fn connection(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Connection, message)
    }

    pub fn programming(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Programming, message)
    }

    pub fn interface(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Interface, message)
    }

    pub fn not_supported(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::NotSupported, message)
    }

    pub fn result(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Result, message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Internal, message)
    }

    pub fn timeout(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Timeout, message)
    }

    pub fn aborted(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Aborted, message)
    }

    /// A TDengine error reported by the server for a statement.
    pub fn query(code: i32, message: impl Into<String>) -> Self {
        Error::with_code(ErrorKind::Query, code, message)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.errno {
            Some(code) => write!(f, "[0x{:04X}] {}", code, self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for Error {}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_shows_code_in_hex_like_tdengine() {
        let e = Error::query(9728, "syntax error near \"selec\"");
        assert_eq!(e.to_string(), "[0x2600] syntax error near \"selec\"");
        assert_eq!(e.kind.class_name(), "QueryError");
        assert_eq!(Error::connection("closed").to_string(), "closed");
    }
}
