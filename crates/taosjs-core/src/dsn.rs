//! Connection settings from a DSN (`ws://user:pass@h1:6041,h2:6042/db?timezone=UTC`, or
//! `taos://user:pass@host:6030/db` for the native client library) plus explicit overrides.
//!
//! We parse DSNs ourselves instead of with `mdsn`: its errors echo the whole input (password
//! included) and it panics on a bad percent escape in an address.

use std::collections::BTreeMap;
use std::fmt;

use crate::error::{Error, Result};

pub const DEFAULT_HOST: &str = "localhost";
pub const DEFAULT_PORT: u16 = 6041;
/// taosd's own port, which the native client library (`taos://`) talks to.
pub const DEFAULT_NATIVE_PORT: u16 = 6030;
pub const DEFAULT_USER: &str = "root";
pub const DEFAULT_PASSWORD: &str = "taosdata";
/// The official Rust client also waits 10 s for the login.
pub const DEFAULT_CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scheme {
    #[default]
    Ws,
    Wss,
    /// `taos://`: TDengine's client library (libtaos) talking to taosd directly. A DSN without
    /// a host leaves the endpoints empty: the library then uses `firstEp` of its `taos.cfg`.
    Native,
}

impl Scheme {
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Ws => "ws",
            Scheme::Wss => "wss",
            Scheme::Native => "taos",
        }
    }

    /// The port of an endpoint written without one.
    pub fn default_port(self) -> u16 {
        match self {
            Scheme::Ws | Scheme::Wss => DEFAULT_PORT,
            Scheme::Native => DEFAULT_NATIVE_PORT,
        }
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
    pub connect_timeout: std::time::Duration,
    /// PEM certificates trusted for `wss://` besides the public web roots (a private CA).
    pub tls_ca_pem: Option<String>,
    /// DSN parameters not understood above, kept for later features.
    pub params: BTreeMap<String, String>,
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
            .field("params", &self.params)
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
            tls_ca_pem: None,
            params: BTreeMap::new(),
        }
    }
}

impl ConnectConfig {
    /// Parses a DSN; the defaults fill what it leaves out.
    pub fn from_dsn(dsn: &str) -> Result<ConnectConfig> {
        parse_dsn(dsn)
    }

    /// A DSN (optional) with overrides applied on top.
    pub fn from_parts(dsn: Option<&str>, overrides: ConnectOverrides) -> Result<ConnectConfig> {
        let mut c = match dsn {
            Some(d) => parse_dsn(d)?,
            None => ConnectConfig::default(),
        };
        c.apply(overrides);
        Ok(c)
    }

    pub fn apply(&mut self, o: ConnectOverrides) {
        if let Some(v) = o.user {
            self.user = v;
        }
        if let Some(v) = o.password {
            self.password = v;
        }
        match (o.host, o.port) {
            (Some(host), port) => {
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
    }

    /// The upgrade URL for one endpoint (`ws://host:port/ws[?token=…]`).
    pub fn url(&self, endpoint: &Endpoint) -> String {
        let mut url = format!("{}://{}/ws", self.scheme.as_str(), endpoint);
        if let Some(token) = &self.token {
            url.push_str("?token=");
            url.push_str(&percent_encode(token));
        }
        url
    }
}

fn invalid(detail: impl fmt::Display) -> Error {
    Error::interface(format!("invalid DSN: {detail}"))
}

fn parse_dsn(dsn: &str) -> Result<ConnectConfig> {
    let dsn = dsn.trim();
    let (scheme_str, rest) =
        dsn.split_once("://").ok_or_else(|| invalid("expected <scheme>://…, e.g. ws://localhost:6041"))?;
    let scheme = match scheme_str.to_ascii_lowercase().as_str() {
        "ws" | "taosws" => Scheme::Ws,
        "wss" | "taoswss" => Scheme::Wss,
        "taos" => Scheme::Native,
        other => {
            return Err(Error::not_supported(format!(
                "DSN scheme `{other}` is not supported (use ws://, wss:// or taosws:// through taosAdapter, or taos:// for the native client library)"
            )))
        }
    };
    let mut config = ConnectConfig { scheme, ..ConnectConfig::default() };
    if scheme == Scheme::Native {
        // No host in the DSN: the client library's taos.cfg (firstEp) decides.
        config.endpoints.clear();
    }

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
                continue;
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
                _ => {
                    config.params.insert(k, v);
                }
            }
        }
    }
    Ok(config)
}

fn parse_endpoint(item: &str, default_port: u16) -> Result<Endpoint> {
    let (host, port) = if let Some(rest) = item.strip_prefix('[') {
        let (h, after) = rest.split_once(']').ok_or_else(|| invalid(format!("address `{item}` lacks ']'")))?;
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
    if host.chars().any(|c| c.is_whitespace() || "/?#@".contains(c)) {
        return Err(invalid(format!("host `{host}` contains an invalid character")));
    }
    Ok(Endpoint { host, port })
}

fn percent_decode(s: &str) -> std::result::Result<String, String> {
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

fn percent_encode(s: &str) -> String {
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
        let c = ConnectConfig::from_dsn("ws://alice:p%40ss%3Aw@db.example:6042/power?timezone=Asia/Shanghai&x=1").unwrap();
        assert_eq!(c.scheme, Scheme::Ws);
        assert_eq!(c.user, "alice");
        assert_eq!(c.password, "p@ss:w");
        assert_eq!(c.endpoints, vec![ep("db.example", 6042)]);
        assert_eq!(c.database.as_deref(), Some("power"));
        assert_eq!(c.timezone.as_deref(), Some("Asia/Shanghai"));
        assert_eq!(c.params.get("x").map(String::as_str), Some("1"));
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
        let e = ConnectConfig::from_dsn("http://h").unwrap_err();
        assert_eq!(e.kind, crate::error::ErrorKind::NotSupported);
        assert!(ConnectConfig::from_dsn("localhost:6041").is_err());
        let c = ConnectConfig::from_dsn("ws://root:s3cret@h").unwrap();
        assert!(!format!("{c:?}").contains("s3cret"));
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
}
