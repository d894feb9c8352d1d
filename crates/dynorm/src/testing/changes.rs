//! A test helper for change streams: start recording a table's stream, run some operations,
//! then assert the typed changes they produced, in order.

use std::fmt;

use crate::stream::{Change, ChangeStream, StartAt, StreamRecord};
use crate::{Client, Result, Table};

/// The changes of one table from the moment it was started.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> dynorm::Result<()> {
/// use dynorm::stream::{Change, Image};
/// use dynorm::testing::ChangeLog;
/// use dynorm::{Client, Table};
///
/// #[derive(Table, Debug, Clone, PartialEq)]
/// #[dynorm(table = "users", stream = "new_and_old_images")]
/// struct User {
///     #[dynorm(partition_key)]
///     id: String,
///     name: String,
/// }
///
/// let db = Client::embedded()?;
/// let users = db.table::<User>();
/// users.create().await?;
/// let mut log = ChangeLog::of::<User>(&db).await?;
///
/// let ada = User { id: "u1".into(), name: "Ada".into() };
/// users.put(&ada).await?;
/// users.delete(User::key("u1")).await?;
///
/// log.assert_changes(&[Change::Insert(Image::Item(ada.clone())), Change::Remove(Image::Item(ada))])
///     .await;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct ChangeLog {
    stream: ChangeStream,
}

impl ChangeLog {
    /// Starts recording table `table`'s stream: only changes made from now on are seen.
    pub async fn start(client: &Client, table: impl Into<String>) -> Result<Self> {
        let mut stream = ChangeStream::new(client, table)?.start_at(StartAt::Latest);
        // Reading once fixes the position at the stream's end now, not at the first assertion.
        stream.read_available().await?;
        Ok(Self { stream })
    }

    /// Starts recording `T`'s table.
    pub async fn of<T: Table>(client: &Client) -> Result<Self> {
        Self::start(client, T::definition().name.clone()).await
    }

    /// The records written since the last call (or the start), in order.
    pub async fn records(&mut self) -> Result<Vec<StreamRecord>> {
        self.stream.read_available().await
    }

    /// The changes written since the last call (or the start), decoded as `T`, in order.
    pub async fn changes<T: Table>(&mut self) -> Result<Vec<Change<T>>> {
        self.records().await?.iter().map(Change::from_record).collect()
    }

    /// Asserts that the changes written since the last call (or the start) are `expected`, in
    /// order.
    ///
    /// # Panics
    ///
    /// When they differ (listing both, one change a line), or the stream cannot be read.
    pub async fn assert_changes<T: Table + PartialEq + fmt::Debug>(&mut self, expected: &[Change<T>]) {
        let found = match self.changes::<T>().await {
            Ok(found) => found,
            Err(e) => panic!(
                "could not read the changes of table `{}`: {e}",
                self.stream.table()
            ),
        };
        if found != expected {
            panic!(
                "the changes of table `{}` differ\nexpected:\n{}\nfound:\n{}",
                self.stream.table(),
                lines(expected),
                lines(&found)
            );
        }
    }
}

fn lines<T: fmt::Debug>(changes: &[Change<T>]) -> String {
    changes
        .iter()
        .enumerate()
        .map(|(i, c)| format!("  {i}: {c:?}"))
        .collect::<Vec<_>>()
        .join("\n")
}
