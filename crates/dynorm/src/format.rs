//! Stored forms: the few choices where libraries sharing a table write the same data
//! differently, made once per table layout so every write route follows them.
//!
//! dynorm's own form ([`StoredForm::DYNORM`]) escapes key values so keys always read back, leaves
//! `None` out, keeps a sparse index all-or-nothing and writes stamps as ISO 8601 UTC. The forms
//! of [single-table-orm](StoredForm::STORM), [dynamojo](StoredForm::DYNAMOJO) and
//! [dynamo_query](StoredForm::DYNAMO_QUERY) reproduce what those libraries write, byte for byte
//! (checked against fixtures the real libraries wrote, `interop/fixtures`).

use chrono::{DateTime, Timelike, Utc};

pub use dynorm_template::Escaping;

/// How a table's items are written where libraries differ. Each field is one rule; the ready
/// forms are the constants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredForm {
    /// How placeholder values are written into composed keys. [`Escaping::Verbatim`] keys are
    /// read back only when exactly one split fits (otherwise a typed `Ambiguous` error).
    pub key_escaping: Escaping,
    /// `Some(sep)`: an empty placeholder value is left out of a composed key together with one
    /// `sep` beside it (single-table-orm: `T#{tenant}#Model` with `""` is `T#Model`).
    pub drop_empty_key_values: Option<char>,
    /// How an optional field holding `None` is stored.
    pub none: NoneForm,
    /// Which key attributes of an index are left out when a source is absent.
    pub sparse_keys: SparseKeys,
    /// The text of `created_at` / `updated_at` stamps.
    pub stamps: StampForm,
    /// What an upsert does with a field holding `None`.
    pub upsert_none: UpsertNone,
}

/// How `None` is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoneForm {
    /// The attribute is left out (dynorm, PynamoDB).
    Absent,
    /// `{"NULL": true}` (boto3's `TypeSerializer`: single-table-orm, dynamojo).
    Null,
}

/// What is left out of an index whose key has an absent (or NULL) source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SparseKeys {
    /// Every key attribute of that index: the item is simply not in it (dynorm).
    WholeIndex,
    /// Only that key attribute; the index's other key is still written (dynamojo's
    /// `drop_null_index_keys`, which leaves e.g. a lone `gsi1_sk`).
    EachKey,
}

/// The text of creation / modification stamps (number attributes always hold epoch seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StampForm {
    /// ISO 8601 UTC with a zone: `2024-05-01T12:00:00.123456789Z` (fraction only when not zero).
    Utc,
    /// Python's naive `datetime.utcnow().isoformat()`: no zone, microseconds only when not zero
    /// (`2024-05-01T12:00:00.123456`, `2024-05-01T12:00:00`), as dynamo_query writes.
    NaiveMicros,
}

/// What an upsert does with a field the value leaves `None`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpsertNone {
    /// The stored attribute is removed: the item ends up as the value says (dynorm).
    Remove,
    /// The stored attribute is left alone (dynamo_query's `upsert_record` drops `None` keys
    /// from the record before writing).
    Keep,
}

impl StoredForm {
    /// dynorm's own form.
    pub const DYNORM: Self = Self {
        key_escaping: dynorm_template::KEY_ESCAPING,
        drop_empty_key_values: None,
        none: NoneForm::Absent,
        sparse_keys: SparseKeys::WholeIndex,
        stamps: StampForm::Utc,
        upsert_none: UpsertNone::Remove,
    };

    /// single-table-orm 0.2.x: keys joined with `#` unescaped, empty parts dropped, `None` as
    /// NULL.
    pub const STORM: Self = Self {
        key_escaping: Escaping::Verbatim,
        drop_empty_key_values: Some('#'),
        none: NoneForm::Null,
        ..Self::DYNORM
    };

    /// dynamojo 1.x: index keys and joined attributes unescaped, `None` as NULL, each null
    /// index key dropped on its own.
    pub const DYNAMOJO: Self = Self {
        key_escaping: Escaping::Verbatim,
        none: NoneForm::Null,
        sparse_keys: SparseKeys::EachKey,
        ..Self::DYNORM
    };

    /// dynamo_query 2.x: naive stamps, upserts leave stored attributes alone where the record
    /// has `None`.
    pub const DYNAMO_QUERY: Self = Self {
        key_escaping: Escaping::Verbatim,
        stamps: StampForm::NaiveMicros,
        upsert_none: UpsertNone::Keep,
        ..Self::DYNORM
    };
}

impl StoredForm {
    /// The ready forms by name, as schema files and entity definitions write them.
    pub const NAMED: [(&'static str, Self); 4] = [
        ("dynorm", Self::DYNORM),
        ("single_table_orm", Self::STORM),
        ("dynamojo", Self::DYNAMOJO),
        ("dynamo_query", Self::DYNAMO_QUERY),
    ];

    /// The ready form with this name.
    pub fn named(name: &str) -> Option<Self> {
        Self::NAMED.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
    }

    /// This form's name, if it is one of the ready forms.
    pub fn name(&self) -> Option<&'static str> {
        Self::NAMED.iter().find(|(_, f)| f == self).map(|(n, _)| *n)
    }
}

impl Default for StoredForm {
    fn default() -> Self {
        Self::DYNORM
    }
}

impl StampForm {
    /// The text of a stamp at `at` in this form.
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use dynorm::format::StampForm;
    /// let t = Utc.with_ymd_and_hms(2026, 12, 3, 22, 44, 42).unwrap()
    ///     + chrono::Duration::nanoseconds(163_678_624);
    /// assert_eq!(StampForm::NaiveMicros.text(t), "2026-12-03T22:44:42.163678");
    /// assert_eq!(StampForm::Utc.text(t), "2026-12-03T22:44:42.163678624Z");
    /// ```
    pub fn text(self, at: DateTime<Utc>) -> String {
        match self {
            Self::Utc => at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
            Self::NaiveMicros => naive_micros(at),
        }
    }
}

/// Python's naive `isoformat()` of a UTC instant (digits below the microsecond are cut).
pub(crate) fn naive_micros(at: DateTime<Utc>) -> String {
    let micros = at.nanosecond() % 1_000_000_000 / 1_000;
    let base = at.naive_utc().format("%Y-%m-%dT%H:%M:%S");
    if micros == 0 {
        base.to_string()
    } else {
        format!("{base}.{micros:06}")
    }
}
