//! Go's `strconv` parsing as taosAdapter applies it to request parameters (REST query
//! parameters, TMQ subscribe options): what it accepts and its error texts.

/// Go's `strconv.ParseBool`.
pub(crate) fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// Go's `strconv.ParseInt(s, 10, 64)` error text.
pub(crate) fn parse_int(s: &str) -> Result<i64, String> {
    s.parse::<i64>().map_err(|_| {
        let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
        let why = if !digits.is_empty() && digits.bytes().all(|c| c.is_ascii_digit()) {
            "value out of range"
        } else {
            "invalid syntax"
        };
        format!("strconv.ParseInt: parsing \"{s}\": {why}")
    })
}

/// Go's `strconv.ParseBool` error text.
pub(crate) fn bool_error(s: &str) -> String {
    format!("strconv.ParseBool: parsing \"{s}\": invalid syntax")
}
