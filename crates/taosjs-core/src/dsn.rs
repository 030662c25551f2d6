//! Connection settings from a DSN (`ws://user:pass@h1:6041,h2:6042/db?timezone=UTC`, or
//! `taos://user:pass@host:6030/db` for the native client library, `http://user:pass@host:6041/db`
//! for taosAdapter's REST API) plus explicit overrides.
//!
//! We parse DSNs ourselves instead of with `mdsn`: its errors echo the whole input (password
//! included) and it panics on a bad percent escape in an address.

use std::fmt;
use std::time::Duration;

use crate::error::{Error, Result};

pub const DEFAULT_HOST: &str = "localhost";
pub const DEFAULT_PORT: u16 = 6041;
/// taosd's own port, which the native client library (`taos://`) talks to.
pub const DEFAULT_NATIVE_PORT: u16 = 6030;
pub const DEFAULT_USER: &str = "root";
pub const DEFAULT_PASSWORD: &str = "taosdata";
/// The official Rust client also waits 10 s for the login.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a call may wait for its answer unless it says otherwise (`requestTimeoutMs`):
/// long enough for heavy analytical queries, short enough that nothing waits forever.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(300);
/// An idle connection pings the server after this long (`keepaliveMs`; 0 = off). A dead peer is
/// noticed within three intervals.
pub const DEFAULT_KEEPALIVE: Duration = Duration::from_secs(10);
/// Reconnect attempts after a connection is lost (`retries`; 0 = never reconnect).
pub const DEFAULT_RETRIES: u32 = 5;
/// Wait before the second reconnect attempt (the first is immediate); doubled each attempt
/// (`retryBackoffMs`) up to [`DEFAULT_RETRY_BACKOFF_MAX`] (`retryBackoffMaxMs`).
pub const DEFAULT_RETRY_BACKOFF: Duration = Duration::from_millis(200);
pub const DEFAULT_RETRY_BACKOFF_MAX: Duration = Duration::from_secs(2);
/// Results a connection may hold open on the server at once (`maxOpenResults`).
pub const DEFAULT_MAX_OPEN_RESULTS: u32 = 1000;
/// REST: sockets a connection keeps open at once, busy or idle (`maxSockets`).
pub const DEFAULT_MAX_SOCKETS: u32 = 10;

/// The connection settings that are numbers, by the name they have as a connect option and a
/// DSN parameter. Integers ≥ 0; what each accepts is checked by [`ConnectConfig::set_number`].
pub const NUMERIC_SETTINGS: [&str; 8] = [
    "connectTimeoutMs",
    "requestTimeoutMs",
    "keepaliveMs",
    "retries",
    "retryBackoffMs",
    "retryBackoffMaxMs",
    "maxOpenResults",
    "maxSockets",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scheme {
    #[default]
    Ws,
    Wss,
    /// `taos://`: TDengine's client library (libtaos) talking to taosd directly. A DSN without
    /// a host leaves the endpoints empty: the library then uses `firstEp` of its `taos.cfg`.
    Native,
    /// taosAdapter's REST API (`/rest/sql`): stateless SQL over HTTP.
    Http,
    /// REST over TLS.
    Https,
}

impl Scheme {
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Ws => "ws",
            Scheme::Wss => "wss",
            Scheme::Native => "taos",
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }

    /// The port of an endpoint written without one.
    pub fn default_port(self) -> u16 {
        match self {
            Scheme::Ws | Scheme::Wss | Scheme::Http | Scheme::Https => DEFAULT_PORT,
            Scheme::Native => DEFAULT_NATIVE_PORT,
        }
    }

    /// Whether this is the REST API (no WebSocket: no statements, schemaless or TMQ).
    pub fn is_rest(self) -> bool {
        matches!(self, Scheme::Http | Scheme::Https)
    }

    /// Whether the connection uses TLS.
    pub fn is_tls(self) -> bool {
        matches!(self, Scheme::Wss | Scheme::Https)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub host: String,
    pub port: u16,
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// Values that take precedence over the DSN (what the TS `connect({...})` options carry).
#[derive(Clone, Default)]
pub struct ConnectOverrides {
    pub user: Option<String>,
    pub password: Option<String>,
    /// Replaces every DSN endpoint with this host.
    pub host: Option<String>,
    /// Port for `host`, or for every DSN endpoint when `host` is not given.
    pub port: Option<u16>,
    pub database: Option<String>,
    pub timezone: Option<String>,
    pub token: Option<String>,
    pub bearer_token: Option<String>,
    pub connector: Option<String>,
    /// Settings of [`NUMERIC_SETTINGS`] by name (checked like DSN parameters).
    pub numbers: Vec<(String, u64)>,
    /// PEM certificates trusted for `wss://` besides the system's (`ca`).
    pub tls_ca_pem: Option<String>,
    /// Client certificate chain and key for `wss://` (`cert`, `key`).
    pub tls_cert_pem: Option<String>,
    pub tls_key_pem: Option<String>,
    /// `rejectUnauthorized`.
    pub tls_verify: Option<bool>,
}

impl fmt::Debug for ConnectOverrides {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectOverrides")
            .field("user", &self.user)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("database", &self.database)
            .field("timezone", &self.timezone)
            .field("connector", &self.connector)
            .field("numbers", &self.numbers)
            .finish_non_exhaustive()
    }
}

/// Everything needed to open a connection.
#[derive(Clone, PartialEq, Eq)]
pub struct ConnectConfig {
    pub scheme: Scheme,
    /// Tried in order until one accepts the WebSocket.
    pub endpoints: Vec<Endpoint>,
    pub user: String,
    pub password: String,
    pub database: Option<String>,
    pub timezone: Option<String>,
    /// TDengine Cloud gateway token, sent as `?token=` on the upgrade URL.
    pub token: Option<String>,
    /// Token auth (adapter ≥ 3.4), sent in `conn`.
    pub bearer_token: Option<String>,
    pub connector: Option<String>,
    /// How long one endpoint may take to accept the WebSocket, and then the login.
    pub connect_timeout: Duration,
    /// The deadline of a call that sets none.
    pub request_timeout: Duration,
    /// Keepalive ping cadence; `None` = off.
    pub keepalive: Option<Duration>,
    /// Reconnect attempts after a lost connection (0 = off).
    pub retries: u32,
    pub retry_backoff: Duration,
    pub retry_backoff_max: Duration,
    pub max_open_results: u32,
    /// REST (`http://`, `https://`): sockets open at once; more requests wait for one.
    pub max_sockets: u32,
    /// PEM certificates trusted for `wss://` besides the system's roots (a private CA, or the
    /// server's own self-signed certificate).
    pub tls_ca_pem: Option<String>,
    /// PEM client certificate chain and private key, for servers that ask for one.
    pub tls_cert_pem: Option<String>,
    pub tls_key_pem: Option<String>,
    /// Verify the server's certificate (`rejectUnauthorized`, default true).
    pub tls_verify: bool,
}

impl fmt::Debug for ConnectConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectConfig")
            .field("scheme", &self.scheme)
            .field("endpoints", &self.endpoints)
            .field("user", &self.user)
            .field("database", &self.database)
            .field("timezone", &self.timezone)
            .field("connector", &self.connector)
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("keepalive", &self.keepalive)
            .field("retries", &self.retries)
            .field("retry_backoff", &self.retry_backoff)
            .field("retry_backoff_max", &self.retry_backoff_max)
            .field("max_open_results", &self.max_open_results)
            .field("max_sockets", &self.max_sockets)
            .field("tls_verify", &self.tls_verify)
            .finish_non_exhaustive()
    }
}

impl Default for ConnectConfig {
    fn default() -> Self {
        ConnectConfig {
            scheme: Scheme::Ws,
            endpoints: vec![Endpoint { host: DEFAULT_HOST.into(), port: DEFAULT_PORT }],
            user: DEFAULT_USER.into(),
            password: DEFAULT_PASSWORD.into(),
            database: None,
            timezone: None,
            token: None,
            bearer_token: None,
            connector: None,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            keepalive: Some(DEFAULT_KEEPALIVE),
            retries: DEFAULT_RETRIES,
            retry_backoff: DEFAULT_RETRY_BACKOFF,
            retry_backoff_max: DEFAULT_RETRY_BACKOFF_MAX,
            max_open_results: DEFAULT_MAX_OPEN_RESULTS,
            max_sockets: DEFAULT_MAX_SOCKETS,
            tls_ca_pem: None,
            tls_cert_pem: None,
            tls_key_pem: None,
            tls_verify: true,
        }
    }
}

impl ConnectConfig {
    /// Parses a DSN; the defaults fill what it leaves out.
    pub fn from_dsn(dsn: &str) -> Result<ConnectConfig> {
        let c = parse_dsn(dsn)?;
        c.check()?;
        Ok(c)
    }

    /// A REST URL (`http://[user:pass@]host[:port][/db]`, also `https://`) with overrides applied
    /// on top: unlike a DSN, it must name its host and use a REST scheme.
    pub fn from_rest_url(url: &str, overrides: ConnectOverrides) -> Result<ConnectConfig> {
        let url = url.trim();
        let parts = split_dsn(url).map_err(|_| Error::programming("invalid REST URL: expected http://host:6041 or https://host:6041"))?;
        if parts.hosts.split(',').all(|h| h.is_empty() || h.starts_with(':')) {
            return Err(Error::programming(format!(
                "invalid REST URL: no host after `{}://` (expected e.g. {}://localhost:6041)",
                parts.scheme, parts.scheme
            )));
        }
        let config = ConnectConfig::from_parts(Some(url), overrides)?;
        if !config.scheme.is_rest() {
            return Err(Error::programming(format!(
                "a REST URL starts with http:// or https://, not {}:// (use connect() for WebSocket)",
                config.scheme.as_str()
            )));
        }
        Ok(config)
    }

    /// A DSN (optional) with overrides applied on top.
    pub fn from_parts(dsn: Option<&str>, overrides: ConnectOverrides) -> Result<ConnectConfig> {
        let mut c = match dsn {
            Some(d) => parse_dsn(d)?,
            None => ConnectConfig::default(),
        };
        c.apply(overrides)?;
        c.check()?;
        Ok(c)
    }

    /// Sets one of [`NUMERIC_SETTINGS`]; the error names the setting and the value.
    pub fn set_number(&mut self, name: &str, value: u64) -> Result<()> {
        let ms = Duration::from_millis(value);
        let positive = |what: &str| -> Result<Duration> {
            if value == 0 {
                Err(Error::programming(format!("{name} must be a positive number of milliseconds ({what}), got 0")))
            } else {
                Ok(ms)
            }
        };
        match name {
            "connectTimeoutMs" => self.connect_timeout = positive("the time one endpoint may take to connect and log in")?,
            "requestTimeoutMs" => self.request_timeout = positive("how long a call may wait for its answer")?,
            "keepaliveMs" => self.keepalive = (value != 0).then_some(ms),
            "retries" => self.retries = u32::try_from(value).unwrap_or(u32::MAX),
            "retryBackoffMs" => self.retry_backoff = ms,
            "retryBackoffMaxMs" => self.retry_backoff_max = ms,
            "maxOpenResults" => {
                self.max_open_results = u32::try_from(value)
                    .ok()
                    .filter(|&n| n > 0)
                    .ok_or_else(|| Error::programming(format!("maxOpenResults must be between 1 and 4294967295, got {value}")))?
            }
            "maxSockets" => {
                self.max_sockets = u32::try_from(value)
                    .ok()
                    .filter(|&n| n > 0)
                    .ok_or_else(|| Error::programming(format!("maxSockets must be between 1 and 4294967295, got {value}")))?
            }
            other => return Err(unknown_setting(other)),
        }
        Ok(())
    }

    /// Checks what no single setting can: backoff bounds in order.
    fn check(&self) -> Result<()> {
        if self.retry_backoff_max < self.retry_backoff {
            return Err(Error::programming(format!(
                "retryBackoffMaxMs ({} ms) must not be less than retryBackoffMs ({} ms)",
                self.retry_backoff_max.as_millis(),
                self.retry_backoff.as_millis()
            )));
        }
        Ok(())
    }

    pub fn apply(&mut self, o: ConnectOverrides) -> Result<()> {
        if let Some(v) = o.user {
            self.user = v;
        }
        if let Some(v) = o.password {
            self.password = v;
        }
        match (o.host, o.port) {
            (Some(host), port) => {
                check_host(&host).map_err(|e| Error::programming(format!("option host: {e}")))?;
                self.endpoints = vec![Endpoint { host, port: port.unwrap_or(self.scheme.default_port()) }];
            }
            (None, Some(port)) => self.endpoints.iter_mut().for_each(|e| e.port = port),
            (None, None) => {}
        }
        if o.database.is_some() {
            self.database = o.database.filter(|d| !d.is_empty());
        }
        if o.timezone.is_some() {
            self.timezone = o.timezone;
        }
        if o.token.is_some() {
            self.token = o.token;
        }
        if o.bearer_token.is_some() {
            self.bearer_token = o.bearer_token;
        }
        if o.connector.is_some() {
            self.connector = o.connector;
        }
        for (name, value) in &o.numbers {
            self.set_number(name, *value)?;
        }
        if o.tls_ca_pem.is_some() {
            self.tls_ca_pem = o.tls_ca_pem;
        }
        if o.tls_cert_pem.is_some() {
            self.tls_cert_pem = o.tls_cert_pem;
        }
        if o.tls_key_pem.is_some() {
            self.tls_key_pem = o.tls_key_pem;
        }
        if let Some(verify) = o.tls_verify {
            self.tls_verify = verify;
        }
        if self.tls_cert_pem.is_some() != self.tls_key_pem.is_some() {
            return Err(Error::programming("options cert and key go together: give both or neither"));
        }
        Ok(())
    }

    /// The same server and database as a WebSocket DSN, without credentials (`ws://host:6041/db`):
    /// what to use for the features REST does not have.
    pub fn websocket_alternative(&self) -> String {
        let scheme = if self.scheme.is_tls() { "wss" } else { "ws" };
        let hosts: Vec<String> = self.endpoints.iter().map(Endpoint::to_string).collect();
        let mut dsn = format!("{scheme}://{}", hosts.join(","));
        if let Some(db) = &self.database {
            dsn.push('/');
            dsn.push_str(&percent_encode(db));
        }
        dsn
    }

    /// The error for a feature REST does not have: NotSupported, naming the WebSocket DSN to
    /// use instead (never the credentials).
    pub fn rest_lacks(&self, feature: &str) -> Error {
        rest_lacks(feature, self.scheme, &self.websocket_alternative())
    }

    /// The upgrade URL of the SQL session for one endpoint (`ws://host:port/ws[?token=…]`).
    pub fn url(&self, endpoint: &Endpoint) -> String {
        self.url_for(endpoint, "/ws")
    }

    /// The upgrade URL of `path` (`/ws`, `/rest/tmq`) on one endpoint, with the cloud token.
    pub fn url_for(&self, endpoint: &Endpoint, path: &str) -> String {
        let mut url = format!("{}://{}{}", self.scheme.as_str(), endpoint, path);
        if let Some(token) = &self.token {
            url.push_str("?token=");
            url.push_str(&percent_encode(token));
        }
        url
    }
}

/// What REST cannot do, and the DSN that can (see [`ConnectConfig::rest_lacks`]).
pub(crate) fn rest_lacks(feature: &str, scheme: Scheme, websocket_dsn: &str) -> Error {
    Error::not_supported(format!(
        "{feature} is not available over REST ({}://…): connect with {websocket_dsn} (WebSocket) instead",
        scheme.as_str()
    ))
}

fn invalid(detail: impl fmt::Display) -> Error {
    Error::programming(format!("invalid DSN: {detail}"))
}

/// DSN parameters besides [`NUMERIC_SETTINGS`].
const TEXT_PARAMETERS: [&str; 5] = ["timezone", "tz", "token", "bearer_token", "connector"];

fn unknown_setting(name: &str) -> Error {
    Error::programming(format!(
        "unknown DSN parameter `{name}` (known: {}, {})",
        TEXT_PARAMETERS.join(", "),
        NUMERIC_SETTINGS.join(", ")
    ))
}

/// A DSN cut at its seams: `scheme://[userinfo@]hosts[/path][?query][#fragment]`.
struct DsnParts<'a> {
    scheme: &'a str,
    userinfo: Option<&'a str>,
    hosts: &'a str,
    path: Option<&'a str>,
    query: Option<&'a str>,
}

fn split_dsn(dsn: &str) -> Result<DsnParts<'_>> {
    let (scheme, rest) =
        dsn.split_once("://").ok_or_else(|| invalid("expected <scheme>://…, e.g. ws://localhost:6041"))?;
    // The credentials end at the last '@', found before anything else is split off: a raw '@',
    // '?', '#' or '/' inside a password must neither be parsed as a host, database or parameter
    // nor ever be repeated in an error (errors quote only what follows the credentials).
    let (userinfo, after_userinfo) = match rest.rfind('@') {
        Some(i) => (Some(&rest[..i]), &rest[i + 1..]),
        None => (None, rest),
    };
    let after_userinfo = after_userinfo.split_once('#').map_or(after_userinfo, |(a, _fragment)| a);
    let (hostpart, query) = match after_userinfo.split_once('?') {
        Some((a, q)) => (a, Some(q)),
        None => (after_userinfo, None),
    };
    let (hosts, path) = match hostpart.split_once('/') {
        Some((h, p)) => (h, Some(p)),
        None => (hostpart, None),
    };
    Ok(DsnParts { scheme, userinfo, hosts, path, query })
}

fn parse_dsn(dsn: &str) -> Result<ConnectConfig> {
    let dsn = dsn.trim();
    let DsnParts { scheme: scheme_str, userinfo, hosts, path, query } = split_dsn(dsn)?;
    let scheme = match scheme_str.to_ascii_lowercase().as_str() {
        "ws" | "taosws" => Scheme::Ws,
        "wss" | "taoswss" => Scheme::Wss,
        "taos" => Scheme::Native,
        "http" => Scheme::Http,
        "https" => Scheme::Https,
        other => {
            return Err(Error::not_supported(format!(
                "DSN scheme `{other}` is not supported (use ws://, wss:// or taosws:// for WebSocket, http:// or https:// for REST, taos:// for the native client library)"
            )))
        }
    };
    let mut config = ConnectConfig { scheme, ..ConnectConfig::default() };
    if scheme == Scheme::Native {
        // No host in the DSN: the client library's taos.cfg (firstEp) decides.
        config.endpoints.clear();
    }

    if let Some(info) = userinfo {
        let (user, password) = match info.split_once(':') {
            Some((u, p)) => (u, Some(p)),
            None => (info, None),
        };
        let user = percent_decode(user).map_err(|e| invalid(format!("user name: {e}")))?;
        if !user.is_empty() {
            config.user = user;
        }
        if let Some(p) = password {
            // Never echo the password: the error names only the problem.
            config.password = percent_decode(p).map_err(|_| invalid("password has a bad percent escape"))?;
        }
    }
    if !hosts.is_empty() {
        let mut endpoints = Vec::new();
        for item in hosts.split(',') {
            if item.is_empty() {
                return Err(invalid(format!("the endpoint list `{hosts}` has an empty entry")));
            }
            endpoints.push(parse_endpoint(item, scheme.default_port())?);
        }
        if !endpoints.is_empty() {
            config.endpoints = endpoints;
        }
    }
    if let Some(path) = path {
        let db = percent_decode(path.trim_end_matches('/')).map_err(|e| invalid(format!("database: {e}")))?;
        if db.contains('/') {
            return Err(invalid(format!("database name `{db}` contains '/'")));
        }
        if !db.is_empty() {
            config.database = Some(db);
        }
    }
    if let Some(q) = query {
        for pair in q.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let k = percent_decode(k).map_err(|e| invalid(format!("parameter name: {e}")))?;
            let v = percent_decode(v).map_err(|_| invalid(format!("value of parameter `{k}` has a bad percent escape")))?;
            match k.as_str() {
                "timezone" | "tz" => config.timezone = Some(v),
                "token" => config.token = Some(v),
                "bearer_token" => config.bearer_token = Some(v),
                "connector" => config.connector = Some(v),
                name if NUMERIC_SETTINGS.contains(&name) => {
                    let n = v.trim().parse::<u64>().map_err(|_| {
                        Error::programming(format!("DSN parameter {name} must be a non-negative integer, got `{v}`"))
                    })?;
                    config.set_number(name, n)?;
                }
                other => return Err(unknown_setting(other)),
            }
        }
    }
    Ok(config)
}

fn parse_endpoint(item: &str, default_port: u16) -> Result<Endpoint> {
    let (host, port) = if let Some(rest) = item.strip_prefix('[') {
        let (h, after) = rest.split_once(']').ok_or_else(|| invalid(format!("address `{item}` lacks ']'")))?;
        if h.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(invalid(format!("`[{h}]` in `{item}` is not an IPv6 address")));
        }
        if !(after.is_empty() || after.starts_with(':')) {
            return Err(invalid(format!("address `{item}` has `{after}` after ']' (expected :port)")));
        }
        (h.to_string(), after.strip_prefix(':'))
    } else {
        match item.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), Some(p)),
            None => (item.to_string(), None),
        }
    };
    let port = match port {
        None | Some("") => default_port,
        Some(p) => p
            .parse::<u16>()
            .ok()
            .filter(|&p| p != 0)
            .ok_or_else(|| invalid(format!("port `{p}` of `{item}` is not a number in 1..65535")))?,
    };
    let host = if host.is_empty() { DEFAULT_HOST.to_string() } else { host };
    if !item.starts_with('[') {
        check_host(&host).map_err(|e| invalid(format!("endpoint `{item}`: {e}")))?;
    }
    Ok(Endpoint { host, port })
}

/// A host name or an IP address; what a URL would refuse is refused here, before any I/O.
pub fn check_host(host: &str) -> std::result::Result<(), String> {
    if host.is_empty() {
        return Err("the host is empty".into());
    }
    if host.parse::<std::net::IpAddr>().is_ok() {
        return Ok(());
    }
    if let Some(c) = host.chars().find(|c| !(c.is_ascii_alphanumeric() || "-._".contains(*c))) {
        return Err(format!("host `{host}` contains {c:?}, which no host name or address may contain"));
    }
    if host.split('.').any(|label| label.is_empty() || label.starts_with('-') || label.ends_with('-')) {
        return Err(format!("host `{host}` is not a valid host name (empty label, or one that starts or ends with '-')"));
    }
    Ok(())
}

pub(crate) fn percent_decode(s: &str) -> std::result::Result<String, String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = b
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("bad percent escape at position {i}"))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "percent escapes do not form UTF-8".to_string())
}

pub(crate) fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ep(host: &str, port: u16) -> Endpoint {
        Endpoint { host: host.into(), port }
    }

    #[test]
    fn full_dsn() {
        let c = ConnectConfig::from_dsn("ws://alice:p%40ss%3Aw@db.example:6042/power?timezone=Asia/Shanghai&retries=3").unwrap();
        assert_eq!(c.scheme, Scheme::Ws);
        assert_eq!(c.user, "alice");
        assert_eq!(c.password, "p@ss:w");
        assert_eq!(c.endpoints, vec![ep("db.example", 6042)]);
        assert_eq!(c.database.as_deref(), Some("power"));
        assert_eq!(c.timezone.as_deref(), Some("Asia/Shanghai"));
        assert_eq!(c.retries, 3);
    }

    #[test]
    fn defaults_fill_a_bare_dsn() {
        let c = ConnectConfig::from_dsn("taosws://").unwrap();
        assert_eq!(c.endpoints, vec![ep("localhost", 6041)]);
        assert_eq!((c.user.as_str(), c.password.as_str()), ("root", "taosdata"));
        assert_eq!(c.database, None);
        assert_eq!(ConnectConfig::from_dsn("wss://h").unwrap().scheme, Scheme::Wss);
    }

    #[test]
    fn several_endpoints_keep_their_order() {
        let c = ConnectConfig::from_dsn("ws://h1:6041,h2:6042,h3,[::1]:7000/db").unwrap();
        assert_eq!(c.endpoints, vec![ep("h1", 6041), ep("h2", 6042), ep("h3", 6041), ep("::1", 7000)]);
        assert_eq!(c.url(&c.endpoints[3]), "ws://[::1]:7000/ws");
    }

    #[test]
    fn overrides_win() {
        let o = ConnectOverrides {
            user: Some("bob".into()),
            password: Some("pw".into()),
            port: Some(7000),
            database: Some("other".into()),
            token: Some("a b".into()),
            ..Default::default()
        };
        let c = ConnectConfig::from_parts(Some("ws://u:p@h1,h2:6042/db"), o).unwrap();
        assert_eq!(c.user, "bob");
        assert_eq!(c.password, "pw");
        assert_eq!(c.endpoints, vec![ep("h1", 7000), ep("h2", 7000)]);
        assert_eq!(c.database.as_deref(), Some("other"));
        assert_eq!(c.url(&c.endpoints[0]), "ws://h1:7000/ws?token=a%20b");
        let c = ConnectConfig::from_parts(None, ConnectOverrides { host: Some("x".into()), ..Default::default() }).unwrap();
        assert_eq!(c.endpoints, vec![ep("x", 6041)]);
    }

    #[test]
    fn raw_question_marks_hashes_and_slashes_in_a_password_stay_in_the_password() {
        for password in ["Secret?x", "Se#cret", "Se/cret", "a?b#c/d@e", "?"] {
            let c = ConnectConfig::from_dsn(&format!("ws://alice:{password}@db.example:6042/power?timezone=UTC")).unwrap();
            assert_eq!((c.user.as_str(), c.password.as_str()), ("alice", password));
            assert_eq!(c.endpoints, vec![ep("db.example", 6042)]);
            assert_eq!(c.database.as_deref(), Some("power"));
            assert_eq!(c.timezone.as_deref(), Some("UTC"));
        }
        let c = ConnectConfig::from_dsn("ws://alice:Secret?x@host").unwrap();
        assert_eq!((c.password.as_str(), c.endpoints[0].host.as_str()), ("Secret?x", "host"));
    }

    #[test]
    fn errors_never_repeat_what_stands_before_the_last_at() {
        for dsn in ["ws://alice:Secret?x@host:notaport", "ws://alice:Se#cret@[::1", "ws://alice:Se/cret@h:0/a/b", "ws://alice:S%zzecret@h"] {
            let e = ConnectConfig::from_dsn(dsn).unwrap_err();
            assert!(!e.message.contains("ecret"), "{dsn}: {}", e.message);
            assert!(!e.to_string().contains("ecret"), "{dsn}: {e}");
        }
    }

    #[test]
    fn errors_name_the_problem_but_never_the_password() {
        let secret = "s3cr%zzet";
        let e = ConnectConfig::from_dsn(&format!("ws://root:{secret}@h:6041")).unwrap_err();
        assert!(e.message.contains("password"), "{e}");
        assert!(!e.message.contains("s3cr"), "{e}");
        let e = ConnectConfig::from_dsn("ws://root:s3cret@h:99999").unwrap_err();
        assert!(e.message.contains("99999") && !e.message.contains("s3cret"), "{e}");
        let e = ConnectConfig::from_dsn("mysql://h").unwrap_err();
        assert_eq!(e.kind, crate::error::ErrorKind::NotSupported);
        assert!(e.message.contains("`mysql`") && e.message.contains("http://"), "{e}");
        assert!(ConnectConfig::from_dsn("localhost:6041").is_err());
        let c = ConnectConfig::from_dsn("ws://root:s3cret@h").unwrap();
        assert!(!format!("{c:?}").contains("s3cret"));
    }

    #[test]
    fn resilience_settings_come_from_the_dsn_and_the_options() {
        let c = ConnectConfig::from_dsn("ws://h/db?connectTimeoutMs=1500&requestTimeoutMs=9000&keepaliveMs=0&retries=0&retryBackoffMs=50&retryBackoffMaxMs=400&maxOpenResults=7").unwrap();
        assert_eq!(c.connect_timeout, Duration::from_millis(1500));
        assert_eq!(c.request_timeout, Duration::from_secs(9));
        assert_eq!(c.keepalive, None);
        assert_eq!((c.retries, c.retry_backoff, c.retry_backoff_max), (0, Duration::from_millis(50), Duration::from_millis(400)));
        assert_eq!(c.max_open_results, 7);
        let o = ConnectOverrides { numbers: vec![("retries".into(), 9), ("keepaliveMs".into(), 250)], ..Default::default() };
        let c = ConnectConfig::from_parts(Some("ws://h?retries=1"), o).unwrap();
        assert_eq!((c.retries, c.keepalive), (9, Some(Duration::from_millis(250))));
        let d = ConnectConfig::default();
        assert_eq!((d.retries, d.request_timeout, d.keepalive), (DEFAULT_RETRIES, DEFAULT_REQUEST_TIMEOUT, Some(DEFAULT_KEEPALIVE)));
    }

    #[test]
    fn unknown_or_bad_settings_are_programming_errors_naming_them() {
        use crate::error::ErrorKind::Programming;
        for (dsn, words) in [
            ("ws://h?timeout=5", "unknown DSN parameter `timeout`"),
            ("ws://h?requestTimeoutMs=-1", "requestTimeoutMs must be a non-negative integer, got `-1`"),
            ("ws://h?connectTimeoutMs=abc", "connectTimeoutMs"),
            ("ws://h?requestTimeoutMs=0", "requestTimeoutMs must be a positive number"),
            ("ws://h?maxOpenResults=0", "maxOpenResults"),
            ("ws://h?retryBackoffMs=500&retryBackoffMaxMs=100", "retryBackoffMaxMs (100 ms) must not be less than retryBackoffMs (500 ms)"),
            ("ws://h1,,h2", "empty entry"),
            ("ws://h1,bad host:6041", "contains ' '"),
            ("ws://h1,ex_ample..com", "not a valid host name"),
            ("ws://[not-v6]:6041", "not an IPv6 address"),
            ("ws://h1,-h2", "not a valid host name"),
        ] {
            let e = ConnectConfig::from_dsn(dsn).unwrap_err();
            assert_eq!(e.kind, Programming, "{dsn}");
            assert!(e.message.contains(words), "{dsn}: {e}");
        }
        let o = ConnectOverrides { host: Some("a b".into()), ..Default::default() };
        assert!(ConnectConfig::from_parts(None, o).unwrap_err().message.contains("option host"));
        let o = ConnectOverrides { tls_cert_pem: Some("x".into()), ..Default::default() };
        assert!(ConnectConfig::from_parts(None, o).unwrap_err().message.contains("cert and key"));
        // The value of an unknown parameter is never repeated (it could be a secret).
        let e = ConnectConfig::from_dsn("ws://h?password=hunter2").unwrap_err();
        assert!(!e.message.contains("hunter2"), "{e}");
        assert!(ConnectConfig::from_dsn("ws://[::1]:7000,127.0.0.1,db-1.example.com").is_ok());
    }

    #[test]
    fn taos_dsns_name_the_native_library_with_taosd_s_port_or_its_taos_cfg() {
        let c = ConnectConfig::from_dsn("taos://alice:p%40ss@db1.example:6031,db2.example/power?timezone=UTC").unwrap();
        assert_eq!(c.scheme, Scheme::Native);
        assert_eq!(c.endpoints, vec![ep("db1.example", 6031), ep("db2.example", 6030)]);
        assert_eq!((c.user.as_str(), c.password.as_str()), ("alice", "p@ss"));
        assert_eq!(c.database.as_deref(), Some("power"));
        assert_eq!(c.timezone.as_deref(), Some("UTC"));
        // No host: the library's taos.cfg (firstEp) decides.
        let c = ConnectConfig::from_dsn("taos://root:taosdata@/db").unwrap();
        assert!(c.endpoints.is_empty());
        assert_eq!(ConnectConfig::from_dsn("taos://").unwrap().endpoints, vec![]);
        let o = ConnectOverrides { host: Some("h".into()), ..Default::default() };
        assert_eq!(ConnectConfig::from_parts(Some("taos://"), o).unwrap().endpoints, vec![ep("h", 6030)]);
    }

    #[test]
    fn http_dsns_are_rest_with_the_websocket_dsn_as_the_way_to_the_rest() {
        let c = ConnectConfig::from_dsn("http://alice:s3cret@db.example:6042/power?timezone=Asia/Shanghai").unwrap();
        assert_eq!(c.scheme, Scheme::Http);
        assert!(c.scheme.is_rest() && !c.scheme.is_tls());
        assert_eq!((c.user.as_str(), c.password.as_str()), ("alice", "s3cret"));
        assert_eq!(c.endpoints, vec![ep("db.example", 6042)]);
        assert_eq!(c.database.as_deref(), Some("power"));
        assert_eq!(c.websocket_alternative(), "ws://db.example:6042/power");
        let e = c.rest_lacks("stmt2");
        assert_eq!(e.kind, crate::error::ErrorKind::NotSupported);
        assert!(e.message.contains("stmt2") && e.message.contains("ws://db.example:6042/power"), "{e}");
        assert!(!e.message.contains("s3cret") && !e.message.contains("alice"), "{e}");
        for no_host in ["http://", "http:///db", "https://u:p@", "http://root:s3cret@:6041/db", "http://?timezone=UTC"] {
            let e = ConnectConfig::from_rest_url(no_host, ConnectOverrides::default()).unwrap_err();
            assert_eq!(e.kind, crate::error::ErrorKind::Programming, "{no_host}");
            assert!(e.message.contains("no host") && !e.message.contains("s3cret"), "{no_host}: {e}");
        }
        assert_eq!(ConnectConfig::from_rest_url("ws://h:6041", ConnectOverrides::default()).unwrap_err().kind, crate::error::ErrorKind::Programming);
        assert_eq!(ConnectConfig::from_rest_url(" http://u:p@h:7000/db ", ConnectOverrides::default()).unwrap().endpoints, vec![ep("h", 7000)]);
        let c = ConnectConfig::from_dsn("HTTPS://h").unwrap();
        assert_eq!((c.scheme, c.endpoints.clone()), (Scheme::Https, vec![ep("h", 6041)]));
        assert_eq!(c.websocket_alternative(), "wss://h:6041");
    }
}
