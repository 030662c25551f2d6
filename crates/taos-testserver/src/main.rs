//! `taos-testserver` binary: prints `taos-testserver listening on http://HOST:PORT` once ready and
//! exits cleanly on SIGINT/SIGTERM.

use taos_testserver::{start, ServerConfig};

const USAGE: &str = "usage: taos-testserver [--host H] [--port P] [--user USER:PASSWORD]... [--block-rows N] [--timezone TZ] [--max-message-bytes N] [--server-version V] [--server-info TEXT] [--ping-interval SECS]
  --host H               address to bind (default 127.0.0.1)
  --port P               TCP port for /ws and /rest/sql (default 6041; 0 picks a free port)
  --user USER:PASSWORD   add a user (repeatable; root:taosdata always exists unless overridden as --user root:OTHER)
  --block-rows N         rows per result block (default 4096)
  --timezone TZ          server timezone (IANA name, default the system's, as TDengine)
  --max-message-bytes N  largest WebSocket message accepted (default 268435456)
  --server-version V     version reported by `version`, `conn`, get_server_info and server_version()
                         (default 3.3.7.5; the wire recordings were made against 3.3.7.5.alpha)
  --server-info TEXT     text of get_server_info (default ver:<version>, the recorded TDengine build, gitinfo)
  --ping-interval SECS   WebSocket keep-alive ping interval (default 54, like taosAdapter; 0 = never)";

fn parse_args(args: &[String]) -> Result<ServerConfig, String> {
    let mut config = ServerConfig::default();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v.to_string())),
            _ => (arg.as_str(), None),
        };
        if flag == "--help" || flag == "-h" {
            return Err(String::new());
        }
        let mut value = || inline.clone().or_else(|| it.next().cloned()).ok_or(format!("{flag} needs a value"));
        match flag {
            "--host" => config.host = value()?,
            "--port" | "-P" => config.port = value()?.parse().map_err(|_| "--port: not a port number".to_string())?,
            "--user" => {
                let v = value()?;
                let (u, p) = v.split_once(':').ok_or("--user expects USER:PASSWORD")?;
                if u.is_empty() {
                    return Err("--user: empty user name".into());
                }
                config.users.retain(|(name, _)| name != u);
                config.users.push((u.to_string(), p.to_string()));
            }
            "--block-rows" => {
                let n: usize = value()?.parse().map_err(|_| "--block-rows: not a number".to_string())?;
                if n == 0 {
                    return Err("--block-rows must be at least 1".into());
                }
                config.block_rows = n;
            }
            "--timezone" => {
                let v = value()?;
                config.engine = config
                    .engine
                    .clone()
                    .with_timezone(&v)
                    .ok_or_else(|| format!("--timezone: unknown time zone {v}"))?;
            }
            "--max-message-bytes" => {
                config.max_message_bytes =
                    value()?.parse().map_err(|_| "--max-message-bytes: not a number".to_string())?;
            }
            "--server-version" => config.engine.server_version = value()?,
            "--server-info" => config.server_info = Some(value()?),
            "--ping-interval" => {
                let secs: u64 = value()?.parse().map_err(|_| "--ping-interval: not a number of seconds".to_string())?;
                config.ping_interval = (secs > 0).then(|| std::time::Duration::from_secs(secs));
            }
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok(config)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let config = match parse_args(&args) {
        Ok(c) => c,
        Err(msg) => {
            if msg.is_empty() {
                println!("{USAGE}");
                std::process::exit(0);
            }
            eprintln!("taos-testserver: {msg}\n{USAGE}");
            std::process::exit(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("taos-testserver: cannot start runtime: {e}");
            std::process::exit(1);
        }
    };
    let code = runtime.block_on(async move {
        // Handlers first: a signal sent as soon as the ready line is read must not kill us.
        let signals = Signals::install();
        let server = match start(config).await {
            Ok(s) => s,
            Err(e) => {
                eprintln!("taos-testserver: cannot listen: {e}");
                return 1;
            }
        };
        {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "taos-testserver listening on {}", server.url());
            let _ = out.flush();
        }
        signals.wait().await;
        server.shutdown().await;
        0
    });
    std::process::exit(code);
}

/// SIGINT/SIGTERM listeners, registered before the server announces itself.
struct Signals {
    #[cfg(unix)]
    streams: Option<(tokio::signal::unix::Signal, tokio::signal::unix::Signal)>,
}

impl Signals {
    fn install() -> Signals {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            let streams = match (signal(SignalKind::interrupt()), signal(SignalKind::terminate())) {
                (Ok(int), Ok(term)) => Some((int, term)),
                _ => None,
            };
            Signals { streams }
        }
        #[cfg(not(unix))]
        {
            Signals {}
        }
    }

    async fn wait(self) {
        #[cfg(unix)]
        if let Some((mut int, mut term)) = self.streams {
            tokio::select! {
                _ = int.recv() => {}
                _ = term.recv() => {}
            }
            return;
        }
        let _ = tokio::signal::ctrl_c().await;
    }
}
