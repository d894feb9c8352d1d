//! [`TableStatus`]: where a live table is in its lifecycle, as DynamoDB reports it.

use std::fmt;

/// A live table's status (DynamoDB's `TableStatus`), from [`Client::table_status`](crate::Client::table_status)
/// or [`TableClient::status`](crate::TableClient::status) — dynamo_query's `get_table_status`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TableStatus {
    /// Ready for reads and writes (`ACTIVE`).
    Active,
    /// Being created (`CREATING`).
    Creating,
    /// Being updated: indexes, capacity, streams (`UPDATING`).
    Updating,
    /// Being deleted (`DELETING`).
    Deleting,
    /// Being archived after its encryption key became inaccessible (`ARCHIVING`).
    Archiving,
    /// Archived (`ARCHIVED`).
    Archived,
    /// Its encryption key is inaccessible (`INACCESSIBLE_ENCRYPTION_CREDENTIALS`).
    InaccessibleEncryptionCredentials,
    /// A status this version of dynorm does not know, as DynamoDB spelled it.
    Other(String),
}

impl TableStatus {
    /// DynamoDB's spelling: `ACTIVE`, `CREATING`, ...
    pub fn as_str(&self) -> &str {
        match self {
            Self::Active => "ACTIVE",
            Self::Creating => "CREATING",
            Self::Updating => "UPDATING",
            Self::Deleting => "DELETING",
            Self::Archiving => "ARCHIVING",
            Self::Archived => "ARCHIVED",
            Self::InaccessibleEncryptionCredentials => "INACCESSIBLE_ENCRYPTION_CREDENTIALS",
            Self::Other(text) => text,
        }
    }

    /// The status DynamoDB spells `text`.
    ///
    /// ```
    /// use dynorm::TableStatus;
    /// assert_eq!(TableStatus::from_name("CREATING"), TableStatus::Creating);
    /// assert_eq!(TableStatus::from_name("RESTING").as_str(), "RESTING");
    /// ```
    pub fn from_name(text: &str) -> Self {
        match text {
            "ACTIVE" => Self::Active,
            "CREATING" => Self::Creating,
            "UPDATING" => Self::Updating,
            "DELETING" => Self::Deleting,
            "ARCHIVING" => Self::Archiving,
            "ARCHIVED" => Self::Archived,
            "INACCESSIBLE_ENCRYPTION_CREDENTIALS" => Self::InaccessibleEncryptionCredentials,
            other => Self::Other(other.to_owned()),
        }
    }

    /// Whether the table takes reads and writes.
    pub fn is_active(&self) -> bool {
        *self == Self::Active
    }
}

impl fmt::Display for TableStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
