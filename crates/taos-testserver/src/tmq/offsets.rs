//! Where consumers are: a consumer's position in a topic, and the offsets consumer groups
//! committed, kept by the server across connections.

use std::collections::HashMap;
use std::sync::Mutex;

/// (when the topic was created, committed offset, the position it was committed from if any).
type Committed = (i64, i64, Option<Position>);

/// Committed offsets by (group id, topic, vgroup), shared by every connection: a vgroup that
/// moves to another consumer of the group goes on from there.
#[derive(Default)]
pub struct TmqGroups {
    /// By (group, topic, vgroup): when the topic was created (dropping a topic drops its groups'
    /// offsets, so entries of an earlier topic of the same name are ignored), the offset (a log
    /// version), and the position it was committed from, if any: its `begin`, where the last
    /// message began, is what `assignment` reports to the consumer that takes the vgroup over.
    committed: Mutex<HashMap<(String, String, i32), Committed>>,
}

impl TmqGroups {
    pub(super) fn entry(&self, group: &str, topic: &str, vgroup: i32, created: Option<i64>) -> Option<(i64, Option<Position>)> {
        let m = self.committed.lock().ok()?;
        let (at, offset, pos) = m.get(&(group.to_string(), topic.to_string(), vgroup))?;
        (Some(*at) == created).then(|| (*offset, pos.clone()))
    }
    pub(super) fn set(&self, group: &str, topic: &str, vgroup: i32, created: Option<i64>, offset: i64, position: Option<Position>) {
        let Some(created) = created else { return };
        if let Ok(mut m) = self.committed.lock() {
            m.insert((group.to_string(), topic.to_string(), vgroup), (created, offset, position));
        }
    }
}

/// Where a consumer is in one vgroup of a topic.
#[derive(Default, Clone)]
pub struct Position {
    /// The log version of the next message (the offset).
    pub(super) offset: i64,
    /// Where the last message began, or where subscribe/seek put the consumer: what `assignment`
    /// reports as `offset` (recorded: still 0 after a message of 3 rows was polled and committed).
    pub(super) begin: i64,
}
