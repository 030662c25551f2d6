//! The consumer options of a `subscribe`, checked as taosAdapter 3.3.7.5 and taosc check them
//! before a consumer exists: the adapter parses `enable.auto.commit` (Go `ParseBool`) and
//! `auto.commit.interval.ms` (Go `ParseInt`) itself (65535 with Go's error text), then hands every
//! option to `tmq_conf_set` (clientTmq.c), whose refusals it answers as the result code itself:
//! an invalid value is −1 (65535 `fail`), an unknown key −2 (65534 `Unknown error 65534`).

use std::collections::BTreeMap;

/// `tmq_conf_set`'s verdict on one option.
#[derive(Debug, PartialEq)]
enum ConfSet {
    Ok,
    Invalid,
    Unknown,
}

/// C `strtoll` as taosc's `taosStr2int64` uses it: leading blanks and a sign, then at least one
/// digit; what follows the digits is ignored; overflow is an error.
pub(super) fn str2int64(s: &str) -> Option<i64> {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let n = digits.bytes().take_while(u8::is_ascii_digit).count();
    if n == 0 {
        return None;
    }
    let v: i128 = digits[..n].parse().ok()?;
    i64::try_from(if neg { -v } else { v }).ok()
}

fn boolean(v: &str) -> ConfSet {
    if v.eq_ignore_ascii_case("true") || v.eq_ignore_ascii_case("false") {
        ConfSet::Ok
    } else {
        ConfSet::Invalid
    }
}

fn in_range(v: &str, ok: impl Fn(i64) -> bool) -> ConfSet {
    match str2int64(v) {
        Some(n) if ok(n) => ConfSet::Ok,
        _ => ConfSet::Invalid,
    }
}

/// taosc's `tmq_conf_set` (keys compared without case); `session_timeout_ms` is the value in
/// force for `heartbeat.interval.ms`.
fn conf_set(key: &str, v: &str, session_timeout_ms: i64) -> ConfSet {
    match key.to_ascii_lowercase().as_str() {
        "group.id" if v.contains(':') => ConfSet::Invalid,
        "group.id" | "client.id" | "td.connect.ip" | "td.connect.user" | "td.connect.pass"
        | "td.connect.db" => ConfSet::Ok,
        // any text: a number other than 0 turns them on
        "msg.consume.excluded" | "msg.consume.rawdata" | "msg.enable.batchmeta" => ConfSet::Ok,
        "enable.auto.commit"
        | "msg.with.table.name"
        | "experimental.snapshot.enable"
        | "enable.replay" => boolean(v),
        "auto.offset.reset" => {
            if ["none", "earliest", "latest"]
                .iter()
                .any(|r| v.eq_ignore_ascii_case(r))
            {
                ConfSet::Ok
            } else {
                ConfSet::Invalid
            }
        }
        "auto.commit.interval.ms" => in_range(v, |n| n >= 0),
        "session.timeout.ms" => in_range(v, |n| (6000..=1_800_000).contains(&n)),
        "heartbeat.interval.ms" => in_range(v, |n| n >= 1000 && n < session_timeout_ms),
        "max.poll.interval.ms" => in_range(v, |n| (1000..=i32::MAX as i64).contains(&n)),
        "td.connect.port" => in_range(v, |n| (1..=65535).contains(&n)),
        "fetch.max.wait.ms" | "min.poll.rows" => {
            in_range(v, |n| (1..=i32::MAX as i64).contains(&n))
        }
        _ => ConfSet::Unknown,
    }
}

/// `config` keys the adapter drops (the connection's own credentials and address win).
const IGNORED_CONFIG_KEYS: &[&str] = &[
    "td.connect.user",
    "td.connect.pass",
    "td.connect.ip",
    "td.connect.port",
];

/// The options a subscribe hands to taosc: the named arguments that are not empty, under their
/// TMQ names, overridden by `config`.
pub(super) fn collect(
    named: &[(&str, Option<&str>)],
    config: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = named
        .iter()
        .filter_map(|(k, v)| {
            v.filter(|v| !v.is_empty())
                .map(|v| (k.to_string(), v.to_string()))
        })
        .collect();
    for (k, v) in config {
        if !IGNORED_CONFIG_KEYS.contains(&k.as_str()) {
            out.insert(k.clone(), v.clone());
        }
    }
    out
}

/// The refusal (code, message) of a subscribe's options, if any.
pub(super) fn check(options: &BTreeMap<String, String>) -> Result<(), (u16, String)> {
    if let Some(v) = options.get("enable.auto.commit") {
        if crate::goparse::parse_bool(v).is_none() {
            return Err((0xFFFF, crate::goparse::bool_error(v)));
        }
    }
    if let Some(v) = options.get("auto.commit.interval.ms") {
        crate::goparse::parse_int(v).map_err(|e| (0xFFFF, e))?;
    }
    let session_timeout_ms = options
        .get("session.timeout.ms")
        .and_then(|v| str2int64(v))
        .unwrap_or(12_000);
    // the adapter sets enable.auto.commit to "false" itself (it commits on its own timer)
    let verdicts = options
        .iter()
        .filter(|(k, _)| k.as_str() != "enable.auto.commit")
        .map(|(k, v)| conf_set(k, v, session_timeout_ms));
    // Go walks the options in random order; an unknown key is reported before a bad value here
    let verdicts: Vec<ConfSet> = verdicts.collect();
    if verdicts.contains(&ConfSet::Unknown) {
        return Err((0xFFFE, "Unknown error 65534".into()));
    }
    if verdicts.contains(&ConfSet::Invalid) {
        return Err((0xFFFF, "fail".into()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn values_taosc_refuses_fail_with_minus_one() {
        for (k, v) in [
            ("auto.offset.reset", "sometimes"),
            ("msg.with.table.name", "yes"),
            ("experimental.snapshot.enable", "1"),
            ("session.timeout.ms", "100"),
            ("max.poll.interval.ms", "abc"),
            ("group.id", "a:b"),
        ] {
            assert_eq!(
                check(&opts(&[(k, v)])),
                Err((0xFFFF, "fail".into())),
                "{k}={v}"
            );
        }
    }

    #[test]
    fn values_taosc_takes() {
        for (k, v) in [
            ("auto.offset.reset", "EARLIEST"),
            ("msg.with.table.name", "True"),
            ("session.timeout.ms", "6000"),
            ("msg.enable.batchmeta", "whatever"),
            ("max.poll.interval.ms", "1000ms"),
            ("enable.auto.commit", "1"),
        ] {
            assert_eq!(check(&opts(&[(k, v)])), Ok(()), "{k}={v}");
        }
    }

    #[test]
    fn the_adapter_parses_auto_commit_and_its_interval_with_go() {
        assert_eq!(
            check(&opts(&[("enable.auto.commit", "maybe")])),
            Err((
                0xFFFF,
                "strconv.ParseBool: parsing \"maybe\": invalid syntax".into()
            ))
        );
        assert_eq!(
            check(&opts(&[("auto.commit.interval.ms", "abc")])),
            Err((
                0xFFFF,
                "strconv.ParseInt: parsing \"abc\": invalid syntax".into()
            ))
        );
    }

    #[test]
    fn unknown_keys_are_minus_two_and_the_connection_keys_of_config_are_dropped() {
        assert_eq!(
            check(&opts(&[("no.such.key", "1")])),
            Err((0xFFFE, "Unknown error 65534".into()))
        );
        assert_eq!(
            check(&opts(&[("td.connect.token", "x")])),
            Err((0xFFFE, "Unknown error 65534".into()))
        );
        let config = opts(&[("td.connect.port", "0"), ("group.id", "g2")]);
        let all = collect(
            &[("group.id", Some("g1")), ("client.id", Some(""))],
            &config,
        );
        assert_eq!(all, opts(&[("group.id", "g2")]));
    }
}
