//! Typed changes: a [`StreamRecord`] decoded into the Rust type of its table.

use std::fmt;

use chrono::{DateTime, Utc};

use super::record::{EventName, StreamRecord};
use crate::definition::StreamViewType;
use crate::error::DecodeError;
use crate::{Error, Item, Key, Result, Table};

/// One side of a change: the item, when the stream's view type carries it, or else its key.
///
/// A `KEYS_ONLY` stream gives keys on every side; `NEW_IMAGE` gives the item after the change
/// and the key before it; `OLD_IMAGE` the other way round; `NEW_AND_OLD_IMAGES` both items.
pub enum Image<T> {
    /// The whole item, decoded.
    Item(T),
    /// Only the key: the view type leaves the item out.
    Key(Key<T>),
}

impl<T> Image<T> {
    /// The item, when the record carried it.
    pub fn item(&self) -> Option<&T> {
        match self {
            Image::Item(item) => Some(item),
            Image::Key(_) => None,
        }
    }

    /// The item, when the record carried it.
    pub fn into_item(self) -> Option<T> {
        match self {
            Image::Item(item) => Some(item),
            Image::Key(_) => None,
        }
    }
}

impl<T: PartialEq> PartialEq for Image<T> {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Image::Item(a), Image::Item(b)) => a == b,
            (Image::Key(a), Image::Key(b)) => a == b,
            _ => false,
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for Image<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Image::Item(item) => f.debug_tuple("Item").field(item).finish(),
            Image::Key(key) => f.debug_tuple("Key").field(key).finish(),
        }
    }
}

impl<T: Clone> Clone for Image<T> {
    fn clone(&self) -> Self {
        match self {
            Image::Item(item) => Image::Item(item.clone()),
            Image::Key(key) => Image::Key(key.clone()),
        }
    }
}

/// A change to an item of table `T`, decoded from a stream record.
#[derive(Debug, Clone, PartialEq)]
pub enum Change<T> {
    /// A new item (`INSERT`).
    Insert(Image<T>),
    /// A changed item (`MODIFY`): before and after.
    Modify {
        /// The item before the change.
        old: Image<T>,
        /// The item after the change.
        new: Image<T>,
    },
    /// A deleted item (`REMOVE`).
    Remove(Image<T>),
}

impl<T> Change<T> {
    /// The event: insert, modify or remove.
    pub fn event(&self) -> EventName {
        match self {
            Change::Insert(_) => EventName::Insert,
            Change::Modify { .. } => EventName::Modify,
            Change::Remove(_) => EventName::Remove,
        }
    }

    /// The item after the change (none after a remove, or when the view type leaves it out).
    pub fn new_item(&self) -> Option<&T> {
        match self {
            Change::Insert(new) | Change::Modify { new, .. } => new.item(),
            Change::Remove(_) => None,
        }
    }

    /// The item before the change (none before an insert, or when the view type leaves it out).
    pub fn old_item(&self) -> Option<&T> {
        match self {
            Change::Modify { old, .. } | Change::Remove(old) => old.item(),
            Change::Insert(_) => None,
        }
    }
}

impl<T: Table> Change<T> {
    /// Decodes a record with [`Table::from_item`].
    ///
    /// Refused with [`Error::StreamDecode`] (naming the table, the sequence number and the
    /// attribute) when an image does not decode, the event is not one DynamoDB sends, the record
    /// has no keys, or an image the stream's view type promises is missing.
    pub fn from_record(record: &StreamRecord) -> Result<Self> {
        Self::decode_with(record, T::from_item)
    }

    /// Decodes a record, each image with `decode`.
    pub fn decode_with(
        record: &StreamRecord,
        decode: impl Fn(Item) -> std::result::Result<T, DecodeError>,
    ) -> Result<Self> {
        let event = record
            .event()
            .ok_or_else(|| stream_error(record, None, format!("unknown event `{}`", record.event_name)))?;
        if record.keys.is_empty() {
            return Err(stream_error(
                record,
                None,
                "the record carries no Keys".to_owned(),
            ));
        }
        let new = || image(record, Side::New, &decode);
        let old = || image(record, Side::Old, &decode);
        Ok(match event {
            EventName::Insert => Change::Insert(new()?),
            EventName::Modify => Change::Modify {
                old: old()?,
                new: new()?,
            },
            EventName::Remove => Change::Remove(old()?),
        })
    }
}

/// A typed change with where it sits in the stream.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeRecord<C> {
    /// The record's sequence number (the checkpoint to resume after).
    pub sequence_number: String,
    /// The record's unique id.
    pub event_id: String,
    /// When the change was made, approximately.
    pub approximate_creation: Option<DateTime<Utc>>,
    /// The change.
    pub change: C,
}

impl<C> ChangeRecord<C> {
    /// Wraps a decoded change with the record's position.
    pub fn new(record: &StreamRecord, change: C) -> Self {
        Self {
            sequence_number: record.sequence_number.clone(),
            event_id: record.event_id.clone(),
            approximate_creation: record.approximate_creation,
            change,
        }
    }
}

#[derive(Clone, Copy)]
enum Side {
    New,
    Old,
}

/// One image of `record`: the decoded item when present, the key when the view type leaves it
/// out, and an error when the view type promises it and it is missing.
fn image<T: Table>(
    record: &StreamRecord,
    side: Side,
    decode: &impl Fn(Item) -> std::result::Result<T, DecodeError>,
) -> Result<Image<T>> {
    let (stored, name, promised) = match side {
        Side::New => (
            &record.new_image,
            "NewImage",
            record.view_type.is_some_and(StreamViewType::has_new_image),
        ),
        Side::Old => (
            &record.old_image,
            "OldImage",
            record.view_type.is_some_and(StreamViewType::has_old_image),
        ),
    };
    match stored {
        Some(item) if !item.is_empty() => decode(item.clone())
            .map(Image::Item)
            .map_err(|e| decode_error(record, name, e)),
        _ if promised => Err(stream_error(
            record,
            None,
            format!(
                "the record carries no {name} though the stream's view type is {}",
                record.view_type.map_or("unknown", StreamViewType::as_str)
            ),
        )),
        _ => Ok(Image::Key(Key::from_item(record.keys.clone()))),
    }
}

/// An image that did not decode, naming the attribute the decoder named.
pub(crate) fn decode_error(record: &StreamRecord, image: &str, error: DecodeError) -> Error {
    let attribute = error.attribute.clone();
    stream_error(record, attribute, format!("{image}: {}", error.kind))
}

/// [`Error::StreamDecode`] for `record`.
pub(crate) fn stream_error(record: &StreamRecord, attribute: Option<String>, reason: String) -> Error {
    Error::StreamDecode {
        table: record.table.clone(),
        sequence_number: record.position().to_owned(),
        attribute,
        reason,
    }
}
