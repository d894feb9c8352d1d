//! Changes of a single table: one enum over its entity types, each record decoded into the type
//! that wrote it, and the records of no known type kept raw instead of failing the batch.

use std::fmt;

use super::change::{Change, ChangeRecord};
use super::record::StreamRecord;
use crate::entity::classify::{Candidate, classify};
use crate::entity::{Entity, Ownership, SingleTable};
use crate::{Item, Result, Table};

type DecodeVariant<U> = Box<dyn Fn(&StreamRecord, Ownership) -> Result<U> + Send + Sync>;

struct Variant<U> {
    candidate: Candidate,
    decode: DecodeVariant<U>,
}

/// Decodes the change records of a shared table into one type `U`, usually an enum with a
/// variant per entity type and one for records of no registered type.
///
/// A record's type is read from the layout's entity-type attribute of its image, or (keys-only
/// streams, items written without one) from the first registered type whose key templates read
/// its keys back — the same rule as [`Collection`](crate::entity::Collection).
///
/// ```
/// use dynorm::entity::{Layout, SingleTable};
/// use dynorm::stream::{Change, EntityChanges, StreamRecord};
/// # use dynorm::Table as _;
///
/// struct App;
/// impl SingleTable for App {
///     const LAYOUT: Layout = Layout::new("app", "pk", Some("sk"));
/// }
/// #[derive(dynorm::Entity, Debug, Clone, PartialEq)]
/// #[dynorm(table = App, pk = "T#{tenant}", sk = "U#{user}")]
/// struct User { tenant: String, user: String }
///
/// #[derive(Debug)]
/// enum AppChange {
///     User(Change<User>),
///     Unknown(StreamRecord),
/// }
///
/// let decoder = EntityChanges::<App, AppChange>::new(AppChange::Unknown).variant(AppChange::User);
/// let item = User { tenant: "acme".into(), user: "ann".into() }.to_item().unwrap();
/// let record = StreamRecord {
///     table: "app".into(),
///     event_id: "1".into(),
///     event_name: "INSERT".into(),
///     sequence_number: "100000000000000000001".into(),
///     keys: item.iter().filter(|(k, _)| *k == "pk" || *k == "sk").map(|(k, v)| (k.clone(), v.clone())).collect(),
///     new_image: Some(item),
///     old_image: None,
///     view_type: None,
///     approximate_creation: None,
/// };
/// let change = decoder.decode(&record).unwrap();
/// assert!(matches!(change.change, AppChange::User(Change::Insert(_))));
/// ```
pub struct EntityChanges<Tb, U> {
    variants: Vec<Variant<U>>,
    unknown: fn(StreamRecord) -> U,
    table: std::marker::PhantomData<fn() -> Tb>,
}

impl<Tb, U> fmt::Debug for EntityChanges<Tb, U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EntityChanges")
            .field(
                "entities",
                &self.variants.iter().map(|v| v.candidate.0).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl<Tb: SingleTable, U: 'static> EntityChanges<Tb, U> {
    /// A decoder that wraps the records of no registered type with `unknown` (an enum variant
    /// such as `AppChange::Unknown`), so they are kept rather than failing the batch.
    pub fn new(unknown: fn(StreamRecord) -> U) -> Self {
        Self {
            variants: Vec::new(),
            unknown,
            table: std::marker::PhantomData,
        }
    }

    /// Decodes the records of entity type `A` and wraps their changes with `wrap` (an enum
    /// variant such as `AppChange::User`).
    pub fn variant<A>(mut self, wrap: fn(Change<A>) -> U) -> Self
    where
        A: Entity<Table = Tb> + Table + 'static,
    {
        self.variants.push(Variant {
            candidate: (A::ENTITY_TYPE, A::KEYS),
            decode: Box::new(move |record, ownership| {
                let decode = |item: Item| A::from_item_checked(item, ownership);
                Change::decode_with(record, decode).map(wrap)
            }),
        });
        self
    }

    /// Decodes one record: into the registered type that wrote it, or `unknown`.
    ///
    /// A record of a registered type that does not decode is an
    /// [`Error::StreamDecode`](crate::Error::StreamDecode) naming the table, the sequence number
    /// and the attribute.
    pub fn decode(&self, record: &StreamRecord) -> Result<ChangeRecord<U>> {
        let image = [&record.new_image, &record.old_image]
            .into_iter()
            .flatten()
            .find(|i| !i.is_empty())
            .unwrap_or(&record.keys);
        let found = classify(&Tb::LAYOUT, self.variants.iter().map(|v| v.candidate), image);
        let change = match found {
            Some((i, ownership)) => (self.variants[i].decode)(record, ownership)?,
            None => (self.unknown)(record.clone()),
        };
        Ok(ChangeRecord::new(record, change))
    }

    /// Decodes every record, in order; the first that fails stops the decoding.
    pub fn decode_all<'r>(
        &self,
        records: impl IntoIterator<Item = &'r StreamRecord>,
    ) -> Result<Vec<ChangeRecord<U>>> {
        records.into_iter().map(|r| self.decode(r)).collect()
    }
}
