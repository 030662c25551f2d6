//! The little the client reads in SQL text itself: how many `?` placeholders a statement has,
//! so that a statement without any is run as plain SQL and never sent through stmt2 (binding
//! nothing and executing kills taosAdapter 3.3.7.5), before any I/O.

/// The number of `?` outside quoted text (`'…'`, `"…"`, `` `…` ``, with `\` escapes and doubled
/// quotes) and comments (`-- …`, `# …` to the end of the line, `/* … */`).
pub fn placeholders(sql: &str) -> usize {
    let b = sql.as_bytes();
    let mut count = 0;
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
            }
            b'-' if b.get(i + 1) == Some(&b'-') => i = line_end(b, i),
            b'#' => i = line_end(b, i),
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i < b.len() && !(b[i] == b'*' && b.get(i + 1) == Some(&b'/')) {
                    i += 1;
                }
                i += 1;
            }
            b'?' => count += 1,
            _ => {}
        }
        i += 1;
    }
    count
}

fn line_end(b: &[u8], from: usize) -> usize {
    b[from..].iter().position(|&c| c == b'\n').map_or(b.len(), |p| from + p)
}

#[cfg(test)]
mod tests {
    use super::placeholders;

    #[test]
    fn question_marks_in_text_and_comments_are_not_placeholders() {
        assert_eq!(placeholders("insert into t values (1700000000000, 1)"), 0);
        assert_eq!(placeholders("insert into ? using st tags (?) values (?, ?)"), 4);
        assert_eq!(placeholders("select * from t where s = '?' and v > ?"), 1);
        assert_eq!(placeholders(r#"select "a?b", `c?`, 'it''s ?', 'x\'?' from t where v = ?"#), 1);
        assert_eq!(placeholders("select 1 -- why?\n, ? /* what? */ # and?"), 1);
        assert_eq!(placeholders("select '?"), 0, "an unterminated quote swallows the rest");
    }
}
