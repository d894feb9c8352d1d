//! Derive macros for [dynorm](https://docs.rs/dynorm). Use them through the `dynorm` crate:
//! `#[derive(dynorm::Table)]` and `#[dynorm::test]`.
//!
//! This crate is thin: each entry point parses its input, calls an `expand` function that works on
//! `proc_macro2` tokens, and turns every error into `compile_error!` invocations spanned at the
//! offending tokens.

mod attr;
mod case;
mod check;
mod entity;
mod expand;
#[cfg(test)]
mod expansion_tests;
mod projection;
mod test_attr;
mod util;

use proc_macro::TokenStream;

/// Implements `dynorm::Table` for a struct with named fields: its table definition (built once),
/// item encoding and decoding, and an inherent `key(...)` constructor taking the key fields in
/// order (partition key, then sort key; a composite key's parts in its place).
///
/// ```ignore
/// /// User table for storing user profiles          (becomes the table's description)
/// #[derive(dynorm::Table)]
/// #[dynorm(table = "users", rename_all = "PascalCase")]
/// #[dynorm(gsi(name = "email_index", partition_key = email))]
/// struct User {
///     /// Unique user identifier                   (becomes the attribute's description)
///     #[dynorm(partition_key)]
///     user_id: String,
///     #[dynorm(sort_key)]
///     created: i64,
///     #[dynorm(rename = "mail")]
///     email: String,
/// }
/// let key = User::key("user-1", 1_700_000_000);
/// ```
///
/// Struct options, in any number of `#[dynorm(...)]` attributes:
///
/// | option | meaning |
/// |---|---|
/// | `table = "name"` | the table name (required) |
/// | `description = "..."` | the table's description (default: the struct's doc comment) |
/// | `rename_all = "PascalCase"` | stored names from field names: `PascalCase`, `camelCase`, `snake_case`, `SCREAMING_SNAKE_CASE`, `kebab-case`, `lowercase`, `UPPERCASE` |
/// | `gsi(name = "..", partition_key = f, sort_key = f, projection = .., read = n, write = n)` | a global secondary index; `sort_key`, `projection` and capacity are optional |
/// | `lsi(name = "..", sort_key = f, projection = ..)` | a local secondary index |
/// | `projection = "all"` / `"keys_only"` / `projection(include(a, b))` | what an index holds (default `all`) |
/// | `billing = "on_demand"` / `billing(provisioned(read = n, write = n))` | billing mode (default on demand) |
/// | `stream = "new_and_old_images"` | `keys_only`, `new_image`, `old_image`, `new_and_old_images` |
/// | `ttl = field` | the TTL attribute (or `#[dynorm(ttl)]` on the field) |
/// | `deletion_protection` | the table refuses deletion |
/// | `tag(key = "..", value = "..")` | a resource tag (repeatable) |
/// | `compat = "da_vinci"` | Da Vinci's stored form: PascalCase names, its datetime / optional string / JSON forms, composites joined with `-` unescaped |
/// | `compat = "dynamo_query"` | dynamo_query's stored form (`dynorm::StoredForm::DYNAMO_QUERY`): `created_at` / `updated_at` stamps as its naive `2024-05-01T12:00:00.123456`, upserts leave a stored attribute alone where the value is `None` |
/// | `strict` / `strict = "warn"` | reads of this type report attributes it does not name (`dynorm::strict`): the read fails, or a warning event |
/// | `composite(name = n, fields(a, b), separator = "#", escaped = true, partition_key)` | one string attribute built from several fields; `partition_key` or `sort_key` makes it a key (repeatable) |
/// | `schema_version = N, upgrades(V1, ..)` | the version of the shape it stores (kept in `_schema_version`) and the types of the older ones, oldest first, each `From` (or `TryFrom`) the one before: older items are upgraded as they are read (`dynorm::evolve`) |
///
/// Names in these options (`partition_key = email`) are Rust field names or composite names,
/// written as identifiers or strings.
///
/// Field options:
///
/// | option | meaning |
/// |---|---|
/// | `partition_key`, `sort_key` | the table's keys (never `Option`; an index key may be `Option`: the index is then sparse) |
/// | `rename = "Stored"` | the stored attribute name |
/// | `description = "..."` | the attribute's description (default: the field's doc comment) |
/// | `default`, `default = expr` | an absent attribute reads as `Default::default()` or `expr` |
/// | `with = path` | a codec module with `ATTRIBUTE_TYPE`, `encode` and `decode` (an `Option` field is wrapped: `None` is left out) |
/// | `json`, `json_string`, `epoch_seconds`, `binary`, `string_set`, `number_set` | shorthands for `with = ::dynorm::codec::<name>` |
/// | `skip` | not stored; reads as `Default::default()` (or its `default`) |
/// | `ttl` | this field is the TTL attribute |
/// | `version` | the optimistic-locking version (an integer; not a key; an absent version reads as 0) |
/// | `created_at`, `updated_at` | timestamps stamped on create / every write (`DateTime<Utc>`, its `Option`, or `EpochSeconds`; plain or `epoch_seconds`) |
/// | `immutable` | written once: puts, updates, upserts and transaction writes that would change it fail with `Error::ImmutableAttribute` |
/// | `mutate = path` | a `fn(T) -> T` (on the inner type of an `Option`) normalising the value on every write, key and typed condition |
///
/// The derive also generates `Self::fields()`, typed paths to the stored attributes
/// (`User::fields().age.gt(21)`, see `dynorm::expr::TypedPath`).
///
/// Mistakes are compile errors at the offending token, with a hint of the right form.
#[proc_macro_derive(Table, attributes(dynorm))]
pub fn derive_table(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    expand::derive_table(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Implements `dynorm::Projection` for a struct holding some fields of a `#[derive(Table)]`
/// type: what a get or query with a projection decodes into.
///
/// ```ignore
/// #[derive(dynorm::Projection)]
/// #[dynorm(table = User)]
/// struct UserEmail {
///     user_id: String,
///     #[dynorm(field = "email")]      // the table field it reads, when the names differ
///     address: Option<String>,         // the table field's type, or its `Option`
/// }
/// ```
///
/// Every field names a stored field of the table (same Rust name, or `field = "name"`); its
/// stored name, codec and default are the table's. A field that does not exist, or a type that
/// differs from the table field's type (other than wrapping it in `Option`), is a compile error.
#[proc_macro_derive(Projection, attributes(dynorm))]
pub fn derive_projection(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    projection::derive_projection(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Runs an async test against its own embedded database with the given tables created:
/// `#[dynorm::test(tables(User, Order))] async fn name(db: dynorm::Client) { ... }`.
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    test_attr::expand(args.into(), item.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Implements `dynorm::entity::Entity` (and `dynorm::Table`) for a struct stored in a shared
/// single table, its keys composed from its fields by templates.
///
/// ```ignore
/// #[derive(dynorm::Entity)]
/// #[dynorm(table = AppTable, entity = "Integration")]
/// #[dynorm(pk = "T#{tenant_name}#Integrations", sk = "I#{integration_id}")]
/// #[dynorm(index(name = "gsi1", pk = "RUN#{last_run}", sk = "T#{tenant_name}"))]
/// struct Integration {
///     tenant_name: String,
///     integration_id: String,
///     last_run: Option<String>, // gsi1 is sparse: left out while `None`
/// }
/// let key = Integration::key("tenant-2", "INT0001");
/// ```
///
/// | option | meaning |
/// |---|---|
/// | `table = Path` | a type implementing `dynorm::entity::SingleTable` (required) |
/// | `entity = "Name"` | the stored entity type (default: the struct's name) |
/// | `pk = "..."`, `sk = "..."` | templates of the table's keys (`sk` exactly when the table has one) |
/// | `index(name = "..", pk = "..", sk = "..")` | templates of an index's keys (a local index has no `pk`) |
/// | `join(attribute = "..", fields(a, b), separator = "~")` | dynamojo's joined attribute, stored and readable by templates (`{attribute}`) |
/// | `schema_version = N, upgrades(V1, ..)` | the version of the shape it stores and the entity types of the older ones, oldest first, each `From` (or `TryFrom`) the one before: older items are upgraded as they are read |
///
/// Field options are those of `#[derive(Table)]` except the key options and `ttl` (keys come
/// from templates): `rename`, `description`, `default`, `skip`, codecs, `version`, `created_at`,
/// `updated_at`, `immutable`, `mutate`. Every stored field is its own attribute; placeholders
/// must name fields (or joins) whose types are key attributes, never `Option` in the table's
/// keys (an index over an `Option` field is sparse). Unknown indexes and layout mismatches are
/// compile errors. The derive also generates `Self::fields()` typed paths, as for tables.
#[proc_macro_derive(Entity, attributes(dynorm))]
pub fn derive_entity(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    entity::derive_entity(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
