//! Clearing one entity's records from a shared table: dynamo_query's `clear_records()`.

use super::Entity;
use crate::batch::Clear;
use crate::{Table, TableClient, expr};

impl<E: Entity + Table> TableClient<E> {
    /// Deletes every record of this entity, in every partition (dynamo_query's
    /// `clear_records()`): a keys-only Scan for the items whose sort key begins with the literal
    /// start of the entity's sort-key template (its `sort_key_prefix`: `user_` for
    /// `sk = "user_{email}"`) and, when the layout stores the entity type, that are of this
    /// type; then batch deletes. Like dynamo_query, an entity whose sort key starts with a
    /// field and whose layout stores no entity type matches every item of the table. Narrow it
    /// further with the [`Clear`] methods.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use dynorm::entity::formats::dynamo_query;
    /// use dynorm::Table as _;
    ///
    /// #[derive(dynorm::Entity, Debug)]
    /// #[dynorm(table = dynamo_query::Table, pk = "{project_id}", sk = "user_{email}")]
    /// struct User { project_id: String, email: String }
    ///
    /// #[derive(dynorm::Entity, Debug)]
    /// #[dynorm(table = dynamo_query::Table, pk = "{project_id}", sk = "group_{group}")]
    /// struct Group { project_id: String, group: String }
    ///
    /// let client = dynorm::Client::embedded()?;
    /// client.create_table(User::definition()).await?;
    /// let users = client.table::<User>();
    /// users.put(&User { project_id: "p1".into(), email: "ada@example.com".into() }).await?;
    /// users.put(&User { project_id: "p2".into(), email: "linus@example.com".into() }).await?;
    /// client.table::<Group>().put(&Group { project_id: "p1".into(), group: "admins".into() }).await?;
    ///
    /// assert_eq!(users.clear_records().await?.written, 2);
    /// assert_eq!(client.table::<Group>().scan().all().await?.len(), 1);
    /// # Ok(()) }
    /// ```
    pub fn clear_records(&self) -> Clear<E> {
        let layout = E::layout();
        let sort_key = E::KEYS
            .iter()
            .find(|k| k.index.is_none() && Some(k.attribute) == layout.sort_key);
        // The literal text before the first placeholder, as stored.
        let prefix = sort_key.and_then(|k| match k.plan().segments().first() {
            Some(super::Segment::Literal(text)) => Some(*text),
            _ => None,
        });
        let mut clear = self.clear();
        if let Some(prefix) = prefix.filter(|p| !p.is_empty()) {
            clear = clear.sort_begins_with(prefix);
        }
        if let Some(attribute) = layout.entity_attribute {
            clear = clear.filter(expr::attr(attribute).eq(E::ENTITY_TYPE));
        }
        clear
    }
}
