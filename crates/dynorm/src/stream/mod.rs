//! Change streams, typed: a table's stream records decoded into [`Change`]s of its Rust type
//! (or, for a single table, into one enum over its entity types with [`EntityChanges`]), read
//! from any engine with [`ChangeStream`], or from the events Lambda hands a function
//! (`lambda`, feature `lambda`).
//!
//! Decode errors are [`Error::StreamDecode`](crate::Error::StreamDecode), naming the table, the
//! record's sequence number and the attribute.

mod change;
mod consumer;
mod entities;
#[cfg(feature = "lambda")]
pub mod lambda;
mod record;

pub use change::{Change, ChangeRecord, Image};
pub use consumer::{Backoff, Batch, ChangeStream, Checkpoint, StartAt};
pub use entities::EntityChanges;
pub use record::{EventName, StreamRecord};
