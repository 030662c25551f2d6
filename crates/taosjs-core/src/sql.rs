//! The little the client reads in SQL text itself: how many `?` placeholders a statement has,
//! so that a statement without any is run as plain SQL and never sent through stmt2 (binding
//! nothing and executing kills taosAdapter 3.3.7.5), before any I/O; and whether a statement may
//! be sent again after a reconnect ([`replay_safety`]) and which database a `use` selects.

/// Calls `code` with each byte of `sql` outside quoted text (`'…'`, `"…"`, `` `…` ``, with `\`
/// escapes and doubled quotes) and comments (`-- …`, `# …` to the end of the line, `/* … */`);
/// each quoted text or comment is reported as one space (it separates words).
fn scan_code(sql: &str, mut code: impl FnMut(u8)) {
    let b = sql.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            q @ (b'\'' | b'"' | b'`') => {
                i += 1;
                while i < b.len() {
                    if b[i] == b'\\' && q != b'`' {
                        i += 2;
                        continue;
                    }
                    if b[i] == q {
                        if b.get(i + 1) == Some(&q) {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    i += 1;
                }
                code(b' ');
            }
            b'-' if b.get(i + 1) == Some(&b'-') => {
                i = line_end(b, i);
                code(b' ');
            }
            b'#' => {
                i = line_end(b, i);
                code(b' ');
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i < b.len() && !(b[i] == b'*' && b.get(i + 1) == Some(&b'/')) {
                    i += 1;
                }
                i += 1;
                code(b' ');
            }
            c => code(c),
        }
        i += 1;
    }
}

/// The number of `?` outside quoted text and comments.
pub fn placeholders(sql: &str) -> usize {
    let mut count = 0;
    scan_code(sql, |c| count += usize::from(c == b'?'));
    count
}

/// The words (letters, digits, `_`; lowercased) of `sql` outside quoted text and comments.
fn code_words(sql: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    scan_code(sql, |c| {
        if c.is_ascii_alphanumeric() || c == b'_' {
            word.push(char::from(c.to_ascii_lowercase()));
        } else if !word.is_empty() {
            words.push(std::mem::take(&mut word));
        }
    });
    if !word.is_empty() {
        words.push(word);
    }
    words
}

fn line_end(b: &[u8], from: usize) -> usize {
    b[from..].iter().position(|&c| c == b'\n').map_or(b.len(), |p| from + p)
}

/// Whether a statement may be sent again after the connection dropped before its answer came
/// (it may or may not have run): see [`replay_safety`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplaySafety {
    /// Reads, or sets what `use` sets: running it twice changes nothing.
    ReadOnly,
    /// A write whose second run leaves the data as the first did: an INSERT whose rows all
    /// carry explicit timestamps (TDengine overwrites a row with the same timestamp),
    /// `CREATE … IF NOT EXISTS`, `DROP … IF EXISTS`.
    Idempotent,
    /// Running it twice may write twice or differently; the text says why.
    Unsafe(&'static str),
}

impl ReplaySafety {
    pub fn is_safe(self) -> bool {
        !matches!(self, ReplaySafety::Unsafe(_))
    }
}

/// Classifies `sql` for replay after a reconnect (conservatively: what is not recognised is
/// unsafe).
pub fn replay_safety(sql: &str) -> ReplaySafety {
    let words = code_words(sql);
    let first = words.first().map(String::as_str).unwrap_or("");
    let has = |w: &str| words.iter().any(|x| x == w);
    match first {
        "select" | "show" | "describe" | "desc" | "explain" | "use" => ReplaySafety::ReadOnly,
        "insert" => {
            if has("now") || has("today") {
                ReplaySafety::Unsafe("its timestamps are not all explicit (now/today)")
            } else if has("select") {
                ReplaySafety::Unsafe("it inserts the rows of a query")
            } else if has("file") {
                ReplaySafety::Unsafe("it inserts from a file")
            } else {
                ReplaySafety::Idempotent
            }
        }
        "create" if words.windows(3).any(|w| w == ["if", "not", "exists"]) => ReplaySafety::Idempotent,
        "drop" if words.windows(2).any(|w| w == ["if", "exists"]) => ReplaySafety::Idempotent,
        _ => ReplaySafety::Unsafe("it is neither a query nor a write known to be repeatable"),
    }
}

/// The database a `use <db>` statement selects (`None` for any other statement).
pub fn used_database(sql: &str) -> Option<String> {
    let t = sql.trim_start();
    let (head, rest) = t.split_at_checked(3)?;
    if !head.eq_ignore_ascii_case("use") || !rest.starts_with(|c: char| c.is_whitespace()) {
        return None;
    }
    let name = rest.trim().trim_end_matches(';').trim_end();
    let name = name.strip_prefix('`').and_then(|n| n.strip_suffix('`')).unwrap_or(name);
    (!name.is_empty() && !name.contains(char::is_whitespace)).then(|| name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn question_marks_in_text_and_comments_are_not_placeholders() {
        assert_eq!(placeholders("insert into t values (1700000000000, 1)"), 0);
        assert_eq!(placeholders("insert into ? using st tags (?) values (?, ?)"), 4);
        assert_eq!(placeholders("select * from t where s = '?' and v > ?"), 1);
        assert_eq!(placeholders(r#"select "a?b", `c?`, 'it''s ?', 'x\'?' from t where v = ?"#), 1);
        assert_eq!(placeholders("select 1 -- why?\n, ? /* what? */ # and?"), 1);
        assert_eq!(placeholders("select '?"), 0, "an unterminated quote swallows the rest");
    }

    #[test]
    fn reads_and_writes_with_explicit_timestamps_may_be_repeated_after_a_reconnect() {
        use ReplaySafety::*;
        assert_eq!(replay_safety("select * from t"), ReadOnly);
        assert_eq!(replay_safety("  /* hi */ SHOW databases"), ReadOnly);
        assert_eq!(replay_safety("use db1"), ReadOnly);
        assert_eq!(replay_safety("insert into t values (1700000000000, 1) (1700000000001, 2)"), Idempotent);
        assert_eq!(replay_safety("INSERT INTO t VALUES ('2024-01-01 00:00:00', 'now')"), Idempotent, "quoted now is data");
        assert!(matches!(replay_safety("insert into t values (now, 1)"), Unsafe(w) if w.contains("now")));
        assert!(matches!(replay_safety("insert into t values (NOW() + 1s, 1)"), Unsafe(_)));
        assert!(matches!(replay_safety("insert into t values (today(), 1)"), Unsafe(_)));
        assert!(matches!(replay_safety("insert into t select * from u"), Unsafe(w) if w.contains("query")));
        assert!(matches!(replay_safety("insert into t file '/tmp/a.csv'"), Unsafe(_)));
        assert_eq!(replay_safety("create table if not exists t (ts timestamp, v int)"), Idempotent);
        assert_eq!(replay_safety("drop database if exists d"), Idempotent);
        assert!(matches!(replay_safety("create table t (ts timestamp, v int)"), Unsafe(_)));
        assert!(matches!(replay_safety("delete from t"), Unsafe(_)));
        assert!(matches!(replay_safety("alter table t add column c int"), Unsafe(_)));
    }

    #[test]
    fn use_statements_name_their_database() {
        assert_eq!(used_database("use db1").as_deref(), Some("db1"));
        assert_eq!(used_database("  USE `Power`;").as_deref(), Some("Power"));
        assert_eq!(used_database("user_x"), None);
        assert_eq!(used_database("select 1"), None);
        assert_eq!(used_database("use "), None);
    }
}
