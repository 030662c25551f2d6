//! A consumer's configuration: TDengine's consumer keys (`group.id`, `auto.offset.reset`, …)
//! given as text, checked here before any I/O. Every mistake is a Tmq error that names the key
//! (and the value, except a password's).
//!
//! Where a key's meaning and range come from TDengine (taosc `tmq_conf_set`), the same rules
//! apply: `auto.offset.reset` is `earliest | latest | none`, `session.timeout.ms` is 6000 ..=
//! 1800000, `max.poll.interval.ms` at least 1000. Booleans are `true`/`false` (also `1`/`0`),
//! never "any non-empty text".

use std::time::Duration;

use crate::dsn::{ConnectConfig, Endpoint, Scheme, DEFAULT_HOST};
use crate::error::{Error, ErrorKind, Result};

/// How long a request may wait for its answer (on top of a poll's own timeout).
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// TDengine's default auto-commit interval.
pub const DEFAULT_AUTO_COMMIT_INTERVAL: Duration = Duration::from_secs(5);

/// Where a consumer starts in a vgroup its group has no committed offset for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OffsetReset {
    Earliest,
    Latest,
    None,
}

impl OffsetReset {
    pub fn as_str(self) -> &'static str {
        match self {
            OffsetReset::Earliest => "earliest",
            OffsetReset::Latest => "latest",
            OffsetReset::None => "none",
        }
    }
}

/// What the consumer sends in `subscribe` and how it behaves (credentials are sent there and
/// nowhere else).
#[derive(Clone)]
pub struct ConsumerOptions {
    pub user: String,
    pub password: String,
    pub db: Option<String>,
    pub group_id: String,
    pub client_id: Option<String>,
    /// `None`: the server's default (TDengine: latest).
    pub offset_reset: Option<OffsetReset>,
    /// Emulated by the consumer itself: a `commit` before a poll once the interval has passed.
    pub auto_commit: bool,
    pub auto_commit_interval: Duration,
    /// Default on, as in the official WebSocket clients: blocks carry their table's name.
    pub with_table_name: bool,
    pub snapshot_enable: Option<bool>,
    pub batch_meta: Option<bool>,
    pub consume_excluded: Option<bool>,
    pub consume_rawdata: Option<bool>,
    pub session_timeout_ms: Option<u32>,
    pub max_poll_interval_ms: Option<u32>,
    pub connector: Option<String>,
    /// A request (subscribe, commit, …, and each step of a poll after its blocking time) must be
    /// answered within this time.
    pub request_timeout: Duration,
    /// The first answer (`version`) must arrive within this time after connecting.
    pub connect_timeout: Duration,
    /// Ping cadence of an idle connection (`None`: off); from the DSN's `keepaliveMs`.
    pub keepalive: Option<Duration>,
}

impl std::fmt::Debug for ConsumerOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsumerOptions")
            .field("user", &self.user)
            .field("group_id", &self.group_id)
            .field("client_id", &self.client_id)
            .field("offset_reset", &self.offset_reset)
            .field("auto_commit", &self.auto_commit)
            .field("request_timeout", &self.request_timeout)
            .finish_non_exhaustive()
    }
}

impl Default for ConsumerOptions {
    fn default() -> Self {
        ConsumerOptions {
            user: crate::dsn::DEFAULT_USER.into(),
            password: crate::dsn::DEFAULT_PASSWORD.into(),
            db: None,
            group_id: String::new(),
            client_id: None,
            offset_reset: None,
            auto_commit: true,
            auto_commit_interval: DEFAULT_AUTO_COMMIT_INTERVAL,
            with_table_name: true,
            snapshot_enable: None,
            batch_meta: None,
            consume_excluded: None,
            consume_rawdata: None,
            session_timeout_ms: None,
            max_poll_interval_ms: None,
            connector: None,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            connect_timeout: crate::dsn::DEFAULT_CONNECT_TIMEOUT,
            keepalive: Some(crate::dsn::DEFAULT_KEEPALIVE),
        }
    }
}

/// Where to connect and how to consume.
#[derive(Debug, Clone)]
pub struct ConsumerConfig {
    /// Endpoints, scheme, cloud token and timeouts (the user and password are copied into
    /// [`ConsumerOptions`], which sends them).
    pub connect: ConnectConfig,
    pub options: ConsumerOptions,
}

/// The keys a consumer understands, as the error for an unknown key lists them.
pub const KEYS: &[&str] = &[
    "group.id",
    "client.id",
    "host",
    "port",
    "td.connect.ip",
    "td.connect.port",
    "td.connect.user",
    "td.connect.pass",
    "td.connect.token",
    "td.connect.db",
    "td.connect.websocket.scheme",
    "auto.offset.reset",
    "enable.auto.commit",
    "auto.commit.interval.ms",
    "msg.with.table.name",
    "experimental.snapshot.enable",
    "msg.enable.batchmeta",
    "msg.consume.excluded",
    "msg.consume.rawdata",
    "session.timeout.ms",
    "max.poll.interval.ms",
    "request.timeout.ms",
    "connect.timeout.ms",
];

fn tmq_error(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Tmq, message)
}

fn invalid(key: &str, value: &str, expected: &str) -> Error {
    if key == "td.connect.pass" {
        return tmq_error(format!("invalid value for `{key}`: expected {expected}"));
    }
    tmq_error(format!("invalid value for `{key}`: expected {expected}, got {value:?}"))
}

fn boolean(key: &str, value: &str) -> Result<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(invalid(key, value, "true or false")),
    }
}

fn integer(key: &str, value: &str, min: i64, max: i64) -> Result<i64> {
    let range = if max == i64::MAX { format!("an integer ≥ {min}") } else { format!("an integer in {min}..={max}") };
    let n: i64 = value.trim().parse().map_err(|_| invalid(key, value, &range))?;
    if n < min || n > max {
        return Err(invalid(key, value, &range));
    }
    Ok(n)
}

fn text(key: &str, value: &str, max_len: usize) -> Result<String> {
    if value.len() > max_len {
        return Err(tmq_error(format!("`{key}` is longer than {max_len} bytes")));
    }
    Ok(value.to_owned())
}

/// Takes the consumer keys (`group.id=…`) out of a DSN's query: they are configuration entries;
/// the rest of the DSN (endpoints, credentials, connection parameters) is a connection's DSN.
fn split_consumer_params(dsn: &str) -> Result<(String, Vec<(String, String)>)> {
    // The credentials end at the last '@' (a password may hold '?'); the query starts after it.
    let after_scheme = dsn.find("://").map_or(0, |i| i + 3);
    let from = dsn[after_scheme..].rfind('@').map_or(after_scheme, |i| after_scheme + i + 1);
    let Some(q) = dsn[from..].find('?').map(|i| from + i) else { return Ok((dsn.to_owned(), Vec::new())) };
    let (base, query) = (&dsn[..q], &dsn[q + 1..]);
    let (query, fragment) = query.split_once('#').map_or((query, None), |(a, f)| (a, Some(f)));
    let mut keys = Vec::new();
    let mut rest = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let key = crate::dsn::percent_decode(k).map_err(|e| tmq_error(format!("consumer DSN: parameter name: {e}")))?;
        if KEYS.contains(&key.as_str()) {
            let value = crate::dsn::percent_decode(v)
                .map_err(|_| tmq_error(format!("consumer DSN: value of `{key}` has a bad percent escape")))?;
            keys.push((key, value));
        } else {
            rest.push(pair);
        }
    }
    let mut dsn = base.to_owned();
    if !rest.is_empty() {
        dsn.push('?');
        dsn.push_str(&rest.join("&"));
    }
    if let Some(f) = fragment {
        dsn.push('#');
        dsn.push_str(f);
    }
    Ok((dsn, keys))
}

impl ConsumerConfig {
    /// Reads `entries` (key, value as text) on top of the DSN's endpoint and credentials (the
    /// DSN's query parameters count as entries too, the explicit entries win). `group.id` is
    /// required, as TDengine requires it.
    pub fn parse(entries: &[(String, String)], dsn: Option<&str>) -> Result<ConsumerConfig> {
        let (dsn, dsn_params) = match dsn {
            Some(d) => {
                let (d, params) = split_consumer_params(d)?;
                (Some(d), params)
            }
            None => (None, Vec::new()),
        };
        let mut connect = match dsn {
            Some(d) => ConnectConfig::from_dsn(&d).map_err(|e| tmq_error(format!("consumer DSN: {}", e.message)))?,
            None => ConnectConfig::default(),
        };
        let mut options = ConsumerOptions {
            user: connect.user.clone(),
            password: connect.password.clone(),
            db: connect.database.clone(),
            connector: connect.connector.clone(),
            ..ConsumerOptions::default()
        };
        let mut host: Option<(String, String)> = None;
        let mut port: Option<(String, u16)> = None;
        let mut group = None;
        for (key, value) in dsn_params.iter().chain(entries) {
            let key = key.as_str();
            match key {
                "group.id" => group = Some(text(key, value, 192)?),
                "client.id" => options.client_id = Some(text(key, value, 255)?),
                "host" | "td.connect.ip" => {
                    let h = value.trim();
                    if h.is_empty() || h.chars().any(|c| c.is_whitespace() || "/?#@".contains(c)) {
                        return Err(invalid(key, value, "a host name or address"));
                    }
                    if let Some((other, previous)) = &host {
                        if previous != h && other != key {
                            return Err(tmq_error(format!("`{other}` and `{key}` name different hosts")));
                        }
                    }
                    host = Some((key.to_owned(), h.to_owned()));
                }
                "port" | "td.connect.port" => {
                    let p = integer(key, value, 1, 65535)? as u16;
                    if let Some((other, previous)) = &port {
                        if *previous != p && other != key {
                            return Err(tmq_error(format!("`{other}` and `{key}` name different ports")));
                        }
                    }
                    port = Some((key.to_owned(), p));
                }
                "td.connect.user" => options.user = text(key, value, 23)?,
                "td.connect.pass" => {
                    if value.len() > 255 {
                        return Err(tmq_error("`td.connect.pass` is longer than 255 bytes"));
                    }
                    options.password = value.clone();
                }
                "td.connect.token" => connect.token = Some(value.clone()).filter(|t| !t.is_empty()),
                "td.connect.db" => options.db = Some(value.clone()).filter(|d| !d.is_empty()),
                "td.connect.websocket.scheme" => {
                    connect.scheme = match value.trim().to_ascii_lowercase().as_str() {
                        "ws" => Scheme::Ws,
                        "wss" => Scheme::Wss,
                        _ => return Err(invalid(key, value, "ws or wss")),
                    }
                }
                "auto.offset.reset" => {
                    options.offset_reset = Some(match value.trim().to_ascii_lowercase().as_str() {
                        "earliest" => OffsetReset::Earliest,
                        "latest" => OffsetReset::Latest,
                        "none" => OffsetReset::None,
                        _ => return Err(invalid(key, value, "earliest, latest or none")),
                    })
                }
                "enable.auto.commit" => options.auto_commit = boolean(key, value)?,
                "auto.commit.interval.ms" => {
                    options.auto_commit_interval = Duration::from_millis(integer(key, value, 0, i32::MAX.into())? as u64)
                }
                "msg.with.table.name" => options.with_table_name = boolean(key, value)?,
                "experimental.snapshot.enable" => options.snapshot_enable = Some(boolean(key, value)?),
                "msg.enable.batchmeta" => options.batch_meta = Some(boolean(key, value)?),
                "msg.consume.excluded" => options.consume_excluded = Some(boolean(key, value)?),
                "msg.consume.rawdata" => options.consume_rawdata = Some(boolean(key, value)?),
                "session.timeout.ms" => options.session_timeout_ms = Some(integer(key, value, 6000, 1_800_000)? as u32),
                "max.poll.interval.ms" => {
                    options.max_poll_interval_ms = Some(integer(key, value, 1000, i32::MAX.into())? as u32)
                }
                "request.timeout.ms" => {
                    options.request_timeout = Duration::from_millis(integer(key, value, 1, i32::MAX.into())? as u64)
                }
                "connect.timeout.ms" => {
                    connect.connect_timeout = Duration::from_millis(integer(key, value, 1, i32::MAX.into())? as u64)
                }
                _ => {
                    return Err(tmq_error(format!(
                        "unknown configuration key `{key}` (a consumer takes {})",
                        KEYS.join(", ")
                    )))
                }
            }
        }
        options.group_id = match group {
            Some(g) if !g.trim().is_empty() => g,
            _ => return Err(tmq_error("`group.id` is required (the consumer group to consume as)")),
        };
        match (host, port) {
            (Some((_, h)), p) => {
                connect.endpoints = vec![Endpoint { host: h, port: p.map_or(connect.scheme.default_port(), |(_, p)| p) }];
            }
            (None, Some((_, p))) => connect.endpoints.iter_mut().for_each(|e| e.port = p),
            (None, None) => {}
        }
        if connect.endpoints.is_empty() {
            connect.endpoints = vec![Endpoint { host: DEFAULT_HOST.into(), port: connect.scheme.default_port() }];
        }
        if matches!(connect.scheme, Scheme::Http | Scheme::Https) {
            // REST has no TMQ: the same server's WebSocket has.
            return Err(connect.rest_lacks("TMQ (a consumer)"));
        }
        connect.user = options.user.clone();
        connect.password = options.password.clone();
        options.connect_timeout = connect.connect_timeout;
        options.keepalive = connect.keepalive;
        Ok(ConsumerConfig { connect, options })
    }

    /// The settings of this configuration under TDengine's own keys, as the client library's
    /// `tmq_conf_set` takes them (`taos://`); the endpoint and credentials go separately. Keys
    /// left to the server's default are not set.
    pub fn library_settings(&self) -> Vec<(String, String)> {
        let o = &self.options;
        let mut s: Vec<(&str, String)> = vec![("group.id", o.group_id.clone())];
        if let Some(id) = &o.client_id {
            s.push(("client.id", id.clone()));
        }
        if let Some(db) = &o.db {
            s.push(("td.connect.db", db.clone()));
        }
        if let Some(reset) = o.offset_reset {
            s.push(("auto.offset.reset", reset.as_str().to_owned()));
        }
        s.push(("enable.auto.commit", o.auto_commit.to_string()));
        s.push(("auto.commit.interval.ms", o.auto_commit_interval.as_millis().to_string()));
        s.push(("msg.with.table.name", o.with_table_name.to_string()));
        let flags = [
            ("experimental.snapshot.enable", o.snapshot_enable),
            ("msg.enable.batchmeta", o.batch_meta),
            ("msg.consume.excluded", o.consume_excluded),
            ("msg.consume.rawdata", o.consume_rawdata),
        ];
        s.extend(flags.into_iter().filter_map(|(k, v)| v.map(|v| (k, v.to_string()))));
        if let Some(ms) = o.session_timeout_ms {
            s.push(("session.timeout.ms", ms.to_string()));
        }
        if let Some(ms) = o.max_poll_interval_ms {
            s.push(("max.poll.interval.ms", ms.to_string()));
        }
        s.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn err(pairs: &[(&str, &str)]) -> Error {
        ConsumerConfig::parse(&entries(pairs), None).unwrap_err()
    }

    #[test]
    fn a_native_dsn_takes_port_6030_and_the_library_gets_tdengine_s_keys() {
        let c = ConsumerConfig::parse(
            &entries(&[("group.id", "g"), ("client.id", "c"), ("auto.offset.reset", "earliest"), ("enable.auto.commit", "false")]),
            Some("taos://bob:pw@h1"),
        )
        .unwrap();
        assert_eq!(c.connect.scheme, Scheme::Native);
        assert_eq!(c.connect.endpoints[0].to_string(), "h1:6030");
        let s = c.library_settings();
        let get = |k: &str| s.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
        assert_eq!(get("group.id"), Some("g"));
        assert_eq!(get("client.id"), Some("c"));
        assert_eq!(get("auto.offset.reset"), Some("earliest"));
        assert_eq!(get("enable.auto.commit"), Some("false"));
        assert_eq!(get("msg.with.table.name"), Some("true"));
        assert_eq!(get("td.connect.pass"), None, "credentials go separately");
        let c = ConsumerConfig::parse(&entries(&[("group.id", "g"), ("host", "h2")]), Some("taos://localhost")).unwrap();
        assert_eq!(c.connect.endpoints[0].to_string(), "h2:6030");
    }

    #[test]
    fn a_rest_dsn_is_not_supported_and_names_the_websocket_dsn() {
        let group = entries(&[("group.id", "g")]);
        for dsn in ["http://root:taosdata@db.example:6041/power", "https://root:taosdata@db.example:6041/power"] {
            let e = ConsumerConfig::parse(&group, Some(dsn)).unwrap_err();
            assert_eq!(e.kind, crate::ErrorKind::NotSupported, "{e}");
            assert!(e.message.contains("TMQ") && e.message.contains("ws") && e.message.contains("://db.example:6041/power"), "{e}");
            assert!(!e.message.contains("taosdata"), "never the password: {e}");
        }
    }

    #[test]
    fn every_key_of_the_reference_page_is_read() {
        let c = ConsumerConfig::parse(
            &entries(&[
                ("host", "db.example"),
                ("port", "6042"),
                ("group.id", "g1"),
                ("client.id", "c1"),
                ("td.connect.user", "alice"),
                ("td.connect.pass", "s3cret"),
                ("td.connect.token", "tok"),
                ("auto.offset.reset", "Earliest"),
                ("enable.auto.commit", "false"),
                ("auto.commit.interval.ms", "1000"),
                ("msg.with.table.name", "0"),
                ("experimental.snapshot.enable", "true"),
                ("session.timeout.ms", "12000"),
                ("max.poll.interval.ms", "30000"),
                ("request.timeout.ms", "2500"),
            ]),
            None,
        )
        .unwrap();
        let o = &c.options;
        assert_eq!(c.connect.endpoints, vec![Endpoint { host: "db.example".into(), port: 6042 }]);
        assert_eq!((o.user.as_str(), o.password.as_str()), ("alice", "s3cret"));
        assert_eq!(c.connect.token.as_deref(), Some("tok"));
        assert_eq!((o.group_id.as_str(), o.client_id.as_deref()), ("g1", Some("c1")));
        assert_eq!(o.offset_reset, Some(OffsetReset::Earliest));
        assert!(!o.auto_commit && !o.with_table_name);
        assert_eq!(o.auto_commit_interval, Duration::from_secs(1));
        assert_eq!(o.snapshot_enable, Some(true));
        assert_eq!((o.session_timeout_ms, o.max_poll_interval_ms), (Some(12000), Some(30000)));
        assert_eq!(o.request_timeout, Duration::from_millis(2500));
    }

    #[test]
    fn the_dsn_gives_endpoint_and_credentials_and_keys_win() {
        let c = ConsumerConfig::parse(
            &entries(&[("group.id", "g"), ("td.connect.port", "7000")]),
            Some("wss://bob:pw@h1:6041?client.id=from_dsn&auto.offset.reset=latest"),
        )
        .unwrap();
        assert_eq!(c.connect.scheme, Scheme::Wss);
        assert_eq!(c.connect.endpoints, vec![Endpoint { host: "h1".into(), port: 7000 }]);
        assert_eq!((c.options.user.as_str(), c.options.password.as_str()), ("bob", "pw"));
        assert_eq!(c.options.client_id.as_deref(), Some("from_dsn"));
        assert_eq!(c.options.offset_reset, Some(OffsetReset::Latest));
        let c = ConsumerConfig::parse(&entries(&[("group.id", "g")]), None).unwrap();
        assert_eq!(c.connect.endpoints, vec![Endpoint { host: "localhost".into(), port: 6041 }]);
        assert!(c.options.auto_commit && c.options.with_table_name, "TDengine's and the WebSocket clients' defaults");
    }

    #[test]
    fn booleans_given_as_text_are_parsed_not_taken_as_truthy() {
        for (v, want) in [("false", false), ("FALSE", false), ("0", false), ("true", true), ("1", true)] {
            let c = ConsumerConfig::parse(&entries(&[("group.id", "g"), ("enable.auto.commit", v)]), None).unwrap();
            assert_eq!(c.options.auto_commit, want, "{v}");
        }
        let e = err(&[("group.id", "g"), ("enable.auto.commit", "yes")]);
        assert_eq!(e.kind, ErrorKind::Tmq);
        assert!(e.message.contains("`enable.auto.commit`") && e.message.contains("\"yes\""), "{}", e.message);
    }

    #[test]
    fn wrong_values_and_unknown_keys_name_the_key() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[("group.id", "g"), ("auto.offset.reset", "smallest")], "`auto.offset.reset`"),
            (&[("group.id", "g"), ("auto.commit.interval.ms", "-1")], "`auto.commit.interval.ms`"),
            (&[("group.id", "g"), ("auto.commit.interval.ms", "5s")], "`auto.commit.interval.ms`"),
            (&[("group.id", "g"), ("session.timeout.ms", "100")], "`session.timeout.ms`"),
            (&[("group.id", "g"), ("port", "70000")], "`port`"),
            (&[("group.id", "g"), ("td.connect.websocket.scheme", "http")], "`td.connect.websocket.scheme`"),
            (&[("group.id", "g"), ("group.idd", "x")], "`group.idd`"),
            (&[("group.id", "g"), ("host", "a"), ("td.connect.ip", "b")], "`td.connect.ip`"),
            (&[], "`group.id`"),
            (&[("group.id", " ")], "`group.id`"),
        ];
        for (pairs, key) in cases {
            let e = err(pairs);
            assert_eq!(e.kind, ErrorKind::Tmq);
            assert!(e.message.contains(key), "{key}: {}", e.message);
        }
    }

    #[test]
    fn a_bad_password_value_is_never_repeated() {
        let long = "x".repeat(300);
        let e = err(&[("group.id", "g"), ("td.connect.pass", &long)]);
        assert!(!e.message.contains("xxx"), "{}", e.message);
        let e = ConsumerConfig::parse(&entries(&[("group.id", "g")]), Some("ws://u:p%zz@h")).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Tmq);
        assert!(!e.message.contains("p%zz"), "{}", e.message);
    }
}
