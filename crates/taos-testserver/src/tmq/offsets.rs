//! Where consumers are: a consumer's position in a topic, and the offsets consumer groups
//! committed, kept by the server across connections.

use std::collections::HashMap;
use std::sync::Mutex;

/// Committed offsets by (group id, topic), shared by every connection.
/// (when the topic was created, committed offset, exact position if committed from one).
type Committed = (i64, i64, Option<Position>);

#[derive(Default)]
pub struct TmqGroups {
    /// By (group, topic): when the topic was created (dropping a topic drops its groups' offsets,
    /// so entries of an earlier topic of the same name are ignored), the offset, and the exact
    /// position when it was committed from one (rows inserted later into tables already consumed
    /// must not shift it).
    committed: Mutex<HashMap<(String, String), Committed>>,
}

impl TmqGroups {
    pub(super) fn entry(&self, group: &str, topic: &str, created: Option<i64>) -> Option<(i64, Option<Position>)> {
        let m = self.committed.lock().ok()?;
        let (at, offset, pos) = m.get(&(group.to_string(), topic.to_string()))?;
        (Some(*at) == created).then(|| (*offset, pos.clone()))
    }
    pub(super) fn set(&self, group: &str, topic: &str, created: Option<i64>, offset: i64, position: Option<Position>) {
        let Some(created) = created else { return };
        if let Ok(mut m) = self.committed.lock() {
            m.insert((group.to_string(), topic.to_string()), (created, offset, position));
        }
    }
}

/// Where a consumer is in one topic.
#[derive(Default, Clone)]
pub struct Position {
    /// Rows handed out so far (the offset).
    pub(super) offset: i64,
    /// Where the last message began, or where subscribe/seek put the consumer: what `assignment`
    /// reports as `offset` (recorded: still 0 after a message of 3 rows was polled and committed).
    pub(super) begin: i64,
    /// Last timestamp handed out, per table (what `SqlBackend::topic_rows` resumes from).
    pub(super) after: HashMap<String, i64>,
}
