//! A change stream record as it came from any source (the embedded engine, DynamoDB Streams,
//! a Lambda event), before it is decoded into a Rust type.

use chrono::{DateTime, Utc};

use crate::Item;
use crate::definition::StreamViewType;

/// What happened to the item a stream record describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventName {
    /// A new item was written.
    Insert,
    /// An existing item was changed.
    Modify,
    /// An item was deleted (or expired by TTL).
    Remove,
}

impl EventName {
    /// DynamoDB's name: `INSERT`, `MODIFY` or `REMOVE`.
    pub fn as_str(self) -> &'static str {
        match self {
            EventName::Insert => "INSERT",
            EventName::Modify => "MODIFY",
            EventName::Remove => "REMOVE",
        }
    }

    /// The event DynamoDB names `name`, if it is one.
    pub fn from_name(name: &str) -> Option<Self> {
        [Self::Insert, Self::Modify, Self::Remove]
            .into_iter()
            .find(|e| e.as_str() == name)
    }
}

/// One record of a table's change stream, as stored: keys and images are raw items.
///
/// Decode it into a typed [`Change`](super::Change) with [`Change::from_record`](super::Change::from_record),
/// or into one enum over a single table's entity types with
/// [`EntityChanges`](super::EntityChanges).
#[derive(Debug, Clone, PartialEq)]
pub struct StreamRecord {
    /// The table whose stream it is.
    pub table: String,
    /// The record's unique id (`eventID`).
    pub event_id: String,
    /// `INSERT`, `MODIFY` or `REMOVE`, as the source spelt it.
    pub event_name: String,
    /// The record's sequence number within its shard (empty when the source gave none).
    pub sequence_number: String,
    /// The item's key attributes.
    pub keys: Item,
    /// The item after the change, when the view type carries it.
    pub new_image: Option<Item>,
    /// The item before the change, when the view type carries it.
    pub old_image: Option<Item>,
    /// The stream's view type, when the source says.
    pub view_type: Option<StreamViewType>,
    /// When the change was made, approximately.
    pub approximate_creation: Option<DateTime<Utc>>,
}

impl StreamRecord {
    /// The sequence number, or the event id when the record carries no sequence number: what
    /// errors and batch-failure reports name the record by.
    pub fn position(&self) -> &str {
        if self.sequence_number.is_empty() {
            &self.event_id
        } else {
            &self.sequence_number
        }
    }

    /// The event, if the name is one DynamoDB uses.
    pub fn event(&self) -> Option<EventName> {
        EventName::from_name(&self.event_name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_names_round_trip_and_unknown_ones_are_none() {
        for e in [EventName::Insert, EventName::Modify, EventName::Remove] {
            assert_eq!(EventName::from_name(e.as_str()), Some(e));
        }
        assert_eq!(EventName::from_name("insert"), None);
    }
}
