//! The table definition of a shared table: its [`Layout`]'s keys and indexes, plus the global
//! indexes with multi-attribute keys that its entities declare over their own fields — merged,
//! so entities sharing an index must agree on it.

use super::model::{EntityDefinition, EntityIndex};
use super::{Entity, Layout};
use crate::definition::{
    AttributeDefinition, AttributeType, GlobalSecondaryIndex, ScalarType, TableDefinition,
};

/// Two declarations of one multi-attribute index (or of one of its attributes) that disagree:
/// the entity that declared it first (or the layout) and the one that declared it differently.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "table `{table}`: entity `{entity}` declares index `{index}` as {found}, but {first} declares it as {expected}"
)]
pub struct IndexConflict {
    /// The shared table.
    pub table: String,
    /// The index.
    pub index: String,
    /// The entity whose declaration disagrees.
    pub entity: String,
    /// Who declared it first: `entity `A`` or `the layout`.
    pub first: String,
    /// The first declaration (attributes and types, or the attribute in question).
    pub expected: String,
    /// The disagreeing declaration.
    pub found: String,
}

/// The definition of a shared table: the layout's, with the multi-attribute global indexes of
/// `entities` added (their attributes declared with their key types, optional: an item missing
/// one is not in the index). Entities may share an index if they declare the same attributes,
/// of the same types, in the same order; otherwise, or when the layout already has an index of
/// that name, or one attribute is given two types, the error (boxed: it is large) names both
/// declarations.
///
/// ```
/// use dynorm::entity::{Entity as _, Layout, SingleTable, table_definition};
///
/// struct Games;
/// impl SingleTable for Games {
///     const LAYOUT: Layout = Layout::new("games", "pk", Some("sk"));
/// }
///
/// #[derive(dynorm::Entity)]
/// #[dynorm(table = Games, pk = "T#{tournament}", sk = "M#{id}")]
/// #[dynorm(index(name = "by_region", pk(tournament, region), sk(round)))]
/// struct Game { tournament: String, id: String, region: Option<String>, round: u32 }
///
/// #[derive(dynorm::Entity)]
/// #[dynorm(table = Games, pk = "T#{tournament}", sk = "B#{id}")]
/// #[dynorm(index(name = "by_region", pk(tournament, region), sk(round)))]
/// struct Bye { tournament: String, id: String, region: String, round: u32 }
///
/// let table = table_definition(&Games::LAYOUT, &[Game::entity_definition(), Bye::entity_definition()])?;
/// let by_region = table.global_secondary_indexes.iter().find(|g| g.name == "by_region").unwrap();
/// assert_eq!(by_region.partition_keys(), ["tournament", "region"]);
/// # Ok::<(), Box<dynorm::entity::IndexConflict>>(())
/// ```
pub fn table_definition(
    layout: &Layout,
    entities: &[EntityDefinition],
) -> Result<TableDefinition, Box<IndexConflict>> {
    let mut merged = Merged {
        definition: layout.definition(),
        owners: Vec::new(),
    };
    for entity in entities {
        for index in &entity.indexes {
            merged.add(layout, entity, index)?;
        }
    }
    Ok(merged.definition)
}

/// The definition of one derived entity's table: [`table_definition`] of its layout and itself
/// (what `Table::definition` returns for an entity).
pub fn definition_of<E: Entity>() -> TableDefinition {
    let layout = E::layout();
    // The derive refuses at compile time every conflict one entity could have with its layout
    // (an index name of the layout, an attribute that is a layout key), so this is the merge.
    table_definition(layout, &[EntityDefinition::of::<E>()]).unwrap_or_else(|_| layout.definition())
}

/// A table definition being merged, with the entity that declared each index.
struct Merged {
    definition: TableDefinition,
    owners: Vec<(String, String)>,
}

type Shape = [Vec<(String, ScalarType)>; 2];

fn describe([partition, sort]: &Shape) -> String {
    let part = |keys: &[(String, ScalarType)]| {
        keys.iter()
            .map(|(n, t)| format!("`{n}` ({})", t.as_str()))
            .collect::<Vec<_>>()
            .join(" + ")
    };
    if sort.is_empty() {
        format!("partition key {}", part(partition))
    } else {
        format!("partition key {}, sort key {}", part(partition), part(sort))
    }
}

impl Merged {
    fn owner(&self, index: &str) -> String {
        self.owners
            .iter()
            .find(|(i, _)| i == index)
            .map_or_else(|| "the layout".to_owned(), |(_, e)| format!("entity `{e}`"))
    }

    fn shape_of(&self, g: &GlobalSecondaryIndex) -> Shape {
        let typed = |names: Vec<&str>| {
            names
                .into_iter()
                .map(|n| {
                    let t = self.definition.key_type(n).unwrap_or(ScalarType::S);
                    (n.to_owned(), t)
                })
                .collect()
        };
        [typed(g.partition_keys()), typed(g.sort_keys())]
    }

    fn add(
        &mut self,
        layout: &Layout,
        entity: &EntityDefinition,
        index: &EntityIndex,
    ) -> Result<(), Box<IndexConflict>> {
        let shape = entity.index_attributes(index);
        let conflict = |first: String, expected: String| {
            Box::new(IndexConflict {
                table: self.definition.name.clone(),
                index: index.name.clone(),
                entity: entity.name.clone(),
                first,
                expected,
                found: describe(&shape),
            })
        };
        if layout.index(&index.name).is_some() {
            let expected = "an index of key templates".to_owned();
            return Err(conflict("the layout".to_owned(), expected));
        }
        if let Some(g) = self
            .definition
            .global_secondary_indexes
            .iter()
            .find(|g| g.name == index.name)
        {
            let existing = self.shape_of(g);
            return if existing == shape {
                Ok(())
            } else {
                Err(conflict(self.owner(&index.name), describe(&existing)))
            };
        }
        for (attribute, key_type) in shape.iter().flatten() {
            if let Some(found) = self.definition.key_type(attribute).filter(|t| t != key_type) {
                let first = self.attribute_owner(attribute);
                return Err(conflict(
                    first,
                    format!("attribute `{attribute}` of type {}", found.as_str()),
                ));
            }
        }
        self.insert(layout, &index.name, shape);
        self.owners.push((index.name.clone(), entity.name.clone()));
        Ok(())
    }

    /// Who declared a key attribute first: the entity of an index reading it, or the layout.
    fn attribute_owner(&self, attribute: &str) -> String {
        self.definition
            .global_secondary_indexes
            .iter()
            .find(|g| g.key_attributes().contains(&attribute))
            .map_or_else(|| "the layout".to_owned(), |g| self.owner(&g.name))
    }

    fn insert(&mut self, layout: &Layout, name: &str, [partition, sort]: Shape) {
        for (attribute, key_type) in partition.iter().chain(&sort) {
            if self.definition.attribute(attribute).is_none() {
                let attribute_type = match key_type {
                    ScalarType::S => AttributeType::String,
                    ScalarType::N => AttributeType::Number,
                    ScalarType::B => AttributeType::Binary,
                };
                let mut a = AttributeDefinition::new(attribute.clone(), attribute_type);
                a.optional = true;
                self.definition.attributes.push(a);
            }
        }
        let names = |keys: Vec<(String, ScalarType)>| keys.into_iter().map(|(n, _)| n).collect::<Vec<_>>();
        let mut index = GlobalSecondaryIndex::multi(name, names(partition), names(sort));
        index.capacity = layout
            .provisioned
            .map(|(read, write)| crate::Capacity { read, write });
        self.definition.global_secondary_indexes.push(index);
    }
}
