//! Hooks, typed paths and `#[derive(Projection)]` in a crate with strict lints.
#![deny(warnings, missing_docs, unreachable_pub, unused_qualifications)]
#![deny(clippy::all, clippy::pedantic)]

use chrono::{DateTime, Utc};
use dynorm::{EpochSeconds, Projection, Table};

/// A versioned, timestamped document.
#[derive(Table, Debug, Clone, PartialEq)]
#[dynorm(table = "documents", rename_all = "camelCase")]
pub struct Document {
    /// The id.
    #[dynorm(partition_key)]
    pub id: String,
    /// The version.
    #[dynorm(version)]
    pub version: u64,
    /// Created.
    #[dynorm(created_at, rename = "created")]
    pub created_at: Option<DateTime<Utc>>,
    /// Updated.
    #[dynorm(updated_at)]
    pub updated_at: EpochSeconds,
    /// Views.
    pub views: i64,
    /// The type.
    pub r#type: String,
    /// A field of a private type.
    meta: dynorm::Json<Meta>,
}

#[derive(serde::Serialize, serde::Deserialize, Debug, Clone, PartialEq)]
struct Meta {
    tag: String,
}

/// A private table in a private module.
mod private {
    use dynorm::Table;

    #[derive(Table)]
    #[dynorm(table = "notes")]
    pub(crate) struct Note {
        #[dynorm(partition_key)]
        pub(crate) id: String,
        #[dynorm(version)]
        pub(crate) revision: u32,
        #[dynorm(updated_at, epoch_seconds)]
        pub(crate) touched: chrono::DateTime<chrono::Utc>,
    }

    #[derive(dynorm::Projection)]
    #[dynorm(table = Note)]
    pub(crate) struct NoteId {
        pub(crate) id: String,
    }
}

/// The id and views of a document.
#[derive(Projection, Debug)]
#[dynorm(table = Document)]
pub struct DocumentViews {
    /// The id.
    #[dynorm(field = "id")]
    pub document: String,
    /// The views.
    pub views: Option<i64>,
    /// The type.
    pub r#type: String,
}

fn main() {
    assert_eq!(Document::VERSION_ATTRIBUTE, Some("version"));
    assert_eq!(Document::CREATED_AT_ATTRIBUTE, Some("created"));
    assert_eq!(Document::UPDATED_AT_ATTRIBUTE, Some("updatedAt"));
    assert_eq!(private::Note::VERSION_ATTRIBUTE, Some("revision"));
    assert_eq!(<private::NoteId as Projection>::attributes(), ["id"]);
    assert_eq!(DocumentViews::attributes(), ["id", "views", "type"]);
    let f = Document::fields();
    let _ = f.views.gt(3) & f.r#type.eq("memo");
    let _ = f.views.add(1).merge(f.version.set(2));
    let _ = private::Note::fields().revision.eq(1);
    let _ = f.meta.key("tag").eq("x");
    let _ = f.meta.set(dynorm::Json(Meta { tag: "y".into() }));
    let mut d = Document {
        id: "d".into(),
        version: 0,
        created_at: None,
        updated_at: EpochSeconds(DateTime::<Utc>::UNIX_EPOCH),
        views: 0,
        r#type: "memo".into(),
        meta: dynorm::Json(Meta { tag: "t".into() }),
    };
    d.set_version(1);
    assert_eq!(d.version(), Some(1));
    assert_eq!(d.meta.0.tag, "t");
}
