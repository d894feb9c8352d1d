//! Cross-field rules: turns the parsed attributes into a resolved [`Model`] (stored names, keys,
//! indexes, codecs), or reports every rule broken, each at the token concerned.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::ext::IdentExt;
use syn::spanned::Spanned;

use crate::attr::{self, Billing, Codec, Compat, Projection};
use crate::case::RenameRule;
use crate::util::{
    Errors, Sp, closest, doc_text, error, is_datetime, is_epoch_seconds, is_string, list, option_inner,
    source_text,
};

/// DynamoDB's limits, also checked at run time by `TableDefinition::validate`.
const MAX_GLOBAL_INDEXES: usize = 20;
/// DynamoDB's limit on the attributes of a global index's partition key, and of its sort key.
const MAX_INDEX_KEY_ATTRIBUTES: usize = 4;
const MAX_LOCAL_INDEXES: usize = 5;

pub(crate) struct Model<'a> {
    pub(crate) ident: &'a syn::Ident,
    pub(crate) vis: &'a syn::Visibility,
    pub(crate) table: String,
    pub(crate) description: Option<String>,
    pub(crate) fields: Vec<Field<'a>>,
    pub(crate) composites: Vec<Composite>,
    /// Every stored attribute, in declaration order.
    pub(crate) stored: Vec<Stored>,
    pub(crate) partition_key: Stored,
    pub(crate) sort_key: Option<Stored>,
    pub(crate) gsis: Vec<Index>,
    pub(crate) lsis: Vec<Index>,
    pub(crate) billing: Billing,
    pub(crate) ttl: Option<String>,
    pub(crate) stream: Option<&'static str>,
    pub(crate) tags: Vec<(String, String)>,
    pub(crate) deletion_protection: bool,
    /// Field types that must implement `KeyAttribute` (key fields without a codec).
    pub(crate) key_types: Vec<&'a syn::Type>,
    /// The `#[dynorm(version)]` field.
    pub(crate) version: Option<usize>,
    /// The `#[dynorm(created_at)]` field.
    pub(crate) created_at: Option<usize>,
    /// The `#[dynorm(updated_at)]` field.
    pub(crate) updated_at: Option<usize>,
    /// `compat = "dynamo_query"`: the table is written in dynamo_query's stored form.
    pub(crate) dynamo_query: bool,
    /// `#[dynorm(strict)]`: the `Strict` variant of the type's reads.
    pub(crate) strict: Option<&'static str>,
    /// `schema_version = N` with `upgrades(..)`: items stored at older versions are decoded by
    /// the older types and upgraded through `From`.
    pub(crate) schema: Option<Schema>,
}

/// The stored shape's version and the types of the older ones, oldest first.
pub(crate) struct Schema {
    pub(crate) version: u32,
    pub(crate) older: Vec<syn::Path>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stored {
    Field(usize),
    Composite(usize),
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum FieldKind {
    /// Stored as its own attribute.
    Stored,
    /// Stored inside the composite with this index.
    Part(usize),
    /// Not stored.
    Skip,
    /// `#[dynorm(extra)]`: holds the attributes the type does not name.
    Extra,
}

pub(crate) struct Field<'a> {
    pub(crate) ident: &'a syn::Ident,
    pub(crate) name: String,
    pub(crate) ty: &'a syn::Type,
    pub(crate) stored: String,
    pub(crate) kind: FieldKind,
    pub(crate) codec: Option<CodecModel>,
    pub(crate) default: Option<DefaultModel>,
    /// The type is syntactically `Option<..>`.
    pub(crate) option: bool,
    pub(crate) description: Option<String>,
    /// A key of the table or of an index: always present.
    pub(crate) key: bool,
    /// Once written, the value cannot change.
    pub(crate) immutable: bool,
    /// The mutator normalising the value on write (`fn(T) -> T`, on the inner type of an
    /// `Option`).
    pub(crate) mutate: Option<TokenStream>,
}

pub(crate) struct CodecModel {
    /// The module path.
    pub(crate) path: TokenStream,
    /// The module encodes the whole field type, `Option` included (otherwise an `Option` field
    /// is wrapped: `None` is left out, an absent or NULL attribute reads as `None`).
    pub(crate) whole: bool,
    /// The codec leaves an empty value out (sets), so an absent attribute reads as
    /// `Default::default()`.
    pub(crate) empty_when_missing: bool,
}

pub(crate) struct DefaultModel {
    pub(crate) expr: TokenStream,
    pub(crate) text: String,
}

pub(crate) struct Composite {
    pub(crate) stored: String,
    pub(crate) parts: Vec<usize>,
    pub(crate) separator: String,
    pub(crate) escaped: bool,
    pub(crate) description: Option<String>,
}

pub(crate) struct Index {
    pub(crate) name: String,
    pub(crate) partition_key: Option<String>,
    pub(crate) sort_key: String,
    pub(crate) has_sort_key: bool,
    /// The further attributes of a global index's multi-attribute partition key.
    pub(crate) more_partition_keys: Vec<String>,
    /// The further attributes of a global index's multi-attribute sort key.
    pub(crate) more_sort_keys: Vec<String>,
    pub(crate) projection: ProjectionModel,
    pub(crate) capacity: Option<(u64, u64)>,
}

pub(crate) enum ProjectionModel {
    All,
    KeysOnly,
    Include(Vec<String>),
}

/// What a name in an index, `ttl` or `include(...)` refers to.
#[derive(Clone, Copy)]
enum Target {
    Field(usize),
    Composite(usize),
}

/// Turns a `#[derive(Table)]` input into its [`Model`]. Each rule is a function of its own; all
/// of them run and push into one [`Errors`], so every broken rule is reported at once (the order
/// of the calls is the order of the messages).
pub(crate) fn check(input: &syn::DeriveInput) -> syn::Result<Model<'_>> {
    let named = named_fields(input)?;
    let mut errors = Errors::default();
    check_not_generic(input, &mut errors);

    let table_attrs = attr::parse_table(&input.attrs, &mut errors);
    let naming = Naming::new(&table_attrs);
    let table = table_name(input, &table_attrs, &mut errors);

    let (mut fields, field_attrs, ttl_field) = fields(named, &table_attrs, &naming, &mut errors);
    let field_names: Vec<String> = fields.iter().map(|f| f.name.clone()).collect();
    let (composites, composite_names) = composites(
        &table_attrs,
        &naming,
        &mut fields,
        &field_attrs,
        &field_names,
        &mut errors,
    );
    let stored = stored_attributes(&fields);
    check_unique_stored_names(
        &stored,
        &fields,
        &field_attrs,
        &composites,
        &table_attrs,
        &mut errors,
    );

    let names = Names {
        fields: &fields,
        composites: &composites,
        field_names: &field_names,
        composite_names: &composite_names,
    };
    let marks = key_marks(&fields, &field_attrs, &table_attrs, &mut errors);
    let partition_key = pick_key(&marks, true, &names, &mut errors);
    let sort_key = pick_key(&marks, false, &names, &mut errors);
    check_has_partition_key(input, partition_key, &mut errors);

    let mut keys = Keys::new(fields.len());
    keys.mark_table_keys(&marks, &fields, &field_attrs, &mut errors);
    let (gsis, lsis, index_keys) =
        Indexes::new(&names, &table_attrs).read(&table_attrs, (partition_key, sort_key), &mut errors);
    keys.mark_index_keys(index_keys, &fields, &field_attrs, &mut errors);

    let ttl = table_attrs
        .ttl
        .clone()
        .or(ttl_field)
        .and_then(|t| names.resolve(&t, &mut errors).map(|t| names.stored(t)));
    let tags = tags(&table_attrs, &mut errors);
    let billing = billing(&table_attrs, &mut errors);
    let schema = schema(
        table_attrs.schema_version.as_ref(),
        table_attrs.upgrades.as_ref(),
        &mut errors,
    );
    let hooks = hooks(&mut fields, &field_attrs, &keys.is_key, &mut errors);
    for (f, k) in fields.iter_mut().zip(&keys.is_key) {
        // An optional index key is left out when `None` (a sparse index).
        f.key = *k && !f.option;
    }

    errors.finish()?;
    let partition_key =
        partition_key.ok_or_else(|| syn::Error::new(Span::call_site(), "no partition key"))?;
    Ok(Model {
        ident: &input.ident,
        vis: &input.vis,
        table,
        description: table_attrs
            .description
            .as_ref()
            .map(|d| d.value.clone())
            .or_else(|| doc_text(&input.attrs)),
        fields,
        composites,
        stored,
        partition_key,
        sort_key,
        gsis,
        lsis,
        billing,
        ttl,
        stream: table_attrs.stream.as_ref().map(|s| s.value),
        tags,
        deletion_protection: table_attrs.deletion_protection.as_ref().is_some_and(|d| d.value),
        key_types: keys.types,
        version: hooks[0],
        created_at: hooks[1],
        updated_at: hooks[2],
        dynamo_query: table_attrs.compat.as_ref().map(|c| c.value) == Some(Compat::DynamoQuery),
        strict: table_attrs.strict.as_ref().map(|s| s.value),
        schema,
    })
}

/// Rule: `schema_version = N` names one type per older version in `upgrades(..)` (N - 1 of
/// them), and `upgrades` needs a version.
pub(crate) fn schema(
    version: Option<&Sp<u32>>,
    older: Option<&Sp<Vec<syn::Path>>>,
    errors: &mut Errors,
) -> Option<Schema> {
    let Some(version) = version else {
        if let Some(u) = older {
            errors.at(
                u.span,
                "`upgrades(..)` needs the current version",
                "add `schema_version = N`, N being one more than the types listed",
            );
        }
        return None;
    };
    let types = older.map(|u| u.value.clone()).unwrap_or_default();
    if types.len() + 1 != version.value as usize {
        errors.at(
            older.map_or(version.span, |u| u.span),
            format!(
                "`schema_version = {}` needs {} older type(s) in `upgrades(..)`, found {}",
                version.value,
                version.value - 1,
                types.len()
            ),
            "list the type of each older version, oldest first: `upgrades(UserV1, UserV2)`, each `From` the one before",
        );
    }
    Some(Schema {
        version: version.value,
        older: types,
    })
}

/// Rule: the input is a struct with named fields (nothing else can be checked otherwise).
fn named_fields(input: &syn::DeriveInput) -> syn::Result<&syn::FieldsNamed> {
    match &input.data {
        syn::Data::Struct(syn::DataStruct {
            fields: syn::Fields::Named(named),
            ..
        }) => Ok(named),
        syn::Data::Struct(_) => Err(error(
            input.ident.span(),
            "`#[derive(Table)]` needs a struct with named fields",
            "each field is an attribute: write `struct Name { id: String, ... }`",
        )),
        syn::Data::Enum(e) => Err(error(
            e.enum_token.span,
            "`#[derive(Table)]` works on structs, not enums",
            "write `struct Name { id: String, ... }`; store an enum in a field with `#[dynorm(json)]`",
        )),
        syn::Data::Union(u) => Err(error(
            u.union_token.span,
            "`#[derive(Table)]` works on structs, not unions",
            "write `struct Name { id: String, ... }`",
        )),
    }
}

/// Rule: no generics (a table has one fixed schema).
fn check_not_generic(input: &syn::DeriveInput, errors: &mut Errors) {
    if !input.generics.params.is_empty() || input.generics.where_clause.is_some() {
        errors.at(
            input.generics.span(),
            "`#[derive(Table)]` does not support generic structs",
            "a table has one fixed schema: use concrete field types (a generic payload can go in a `Json<T>` field of a concrete struct)",
        );
    }
}

/// Rule: the struct names its table.
fn table_name(input: &syn::DeriveInput, table_attrs: &attr::TableAttrs, errors: &mut Errors) -> String {
    match &table_attrs.table {
        Some(t) => t.value.clone(),
        None => {
            errors.at(
                input.ident.span(),
                format!("`{}` has no table name", input.ident),
                "add `#[dynorm(table = \"table_name\")]` to the struct",
            );
            String::new()
        }
    }
}

/// How stored names follow from Rust names: `rename`, else `rename_all`, else Da Vinci's
/// PascalCase under `compat = "da_vinci"`, else the name itself.
struct Naming {
    da_vinci: bool,
    rule: Option<RenameRule>,
}

impl Naming {
    fn new(table_attrs: &attr::TableAttrs) -> Self {
        let da_vinci = table_attrs.compat.as_ref().map(|c| c.value) == Some(Compat::DaVinci);
        let rule = table_attrs
            .rename_all
            .as_ref()
            .map(|r| r.value)
            .or(da_vinci.then_some(RenameRule::Pascal));
        Self { da_vinci, rule }
    }

    fn stored(&self, rename: Option<&Sp<String>>, name: &str) -> String {
        match (rename, self.rule) {
            (Some(r), _) => r.value.clone(),
            (None, Some(rule)) => rule.apply(name),
            (None, None) => name.to_owned(),
        }
    }
}

/// The struct's fields with their parsed options (each field's own rules checked), and the
/// field marked `#[dynorm(ttl)]`, if any.
fn fields<'a>(
    named: &'a syn::FieldsNamed,
    table_attrs: &attr::TableAttrs,
    naming: &Naming,
    errors: &mut Errors,
) -> (Vec<Field<'a>>, Vec<attr::FieldAttrs>, Option<Sp<String>>) {
    let mut fields = Vec::with_capacity(named.named.len());
    let mut field_attrs = Vec::with_capacity(named.named.len());
    let mut ttl_field: Option<Sp<String>> = None;
    let mut extra: Option<String> = None;
    for f in &named.named {
        let Some(ident) = f.ident.as_ref() else {
            continue;
        };
        let a = attr::parse_field(&f.attrs, errors);
        let name = ident.unraw().to_string();
        check_skipped_options(&name, &a, errors);
        check_not_both_keys(&name, &a, errors);
        check_one_ttl_field(&name, &a, table_attrs, &mut ttl_field, errors);
        check_skipped_immutable(&name, &a, errors);
        if let Some(part) = &a.storm {
            errors.at(
                part.span,
                "`storm(..)` is an entity field option",
                "single-table-orm's keys are composed by `#[derive(Entity)]` with `#[dynorm(storm)]`",
            );
        }
        check_extra_field(&name, &a, &mut extra, errors);
        fields.push(Field {
            ident,
            stored: naming.stored(a.rename.as_ref(), &name),
            ty: &f.ty,
            kind: field_kind(&a),
            codec: codec_model(&a, &f.ty, naming.da_vinci),
            default: default_model(&a),
            option: option_inner(&f.ty).is_some(),
            description: a
                .description
                .as_ref()
                .map(|d| d.value.clone())
                .or_else(|| doc_text(&f.attrs)),
            key: false,
            immutable: a.immutable.is_some(),
            mutate: a.mutate.as_ref().map(|m| m.value.to_token_stream()),
            name,
        });
        field_attrs.push(a);
    }
    (fields, field_attrs, ttl_field)
}

/// Rule: at most one field is `extra`, and it takes no other option (it holds whole attributes
/// under their own names, never a key or a hook). `seen` is the first extra field's name.
pub(crate) fn check_extra_field(
    name: &str,
    a: &attr::FieldAttrs,
    seen: &mut Option<String>,
    errors: &mut Errors,
) {
    let Some(extra) = a.extra else { return };
    if let Some(first) = seen {
        errors.at(
            extra,
            format!("`{first}` already keeps the attributes the type does not name"),
            "mark one field `extra`",
        );
    }
    seen.get_or_insert_with(|| name.to_owned());
    let options = [
        (a.partition_key, "partition_key"),
        (a.sort_key, "sort_key"),
        (a.rename.as_ref().map(|r| r.span), "rename"),
        (a.description.as_ref().map(|d| d.span), "description"),
        (a.default.as_ref().map(|d| d.span), "default"),
        (a.codec.as_ref().map(|c| c.span), "a codec"),
        (a.skip, "skip"),
        (a.ttl, "ttl"),
        (a.version, "version"),
        (a.created_at, "created_at"),
        (a.updated_at, "updated_at"),
        (a.immutable, "immutable"),
        (a.mutate.as_ref().map(|m| m.span), "mutate"),
    ];
    for (span, option) in options {
        if let Some(span) = span {
            errors.at(
                span,
                format!("`{name}` is `extra` (it keeps the attributes the type does not name), so it cannot take `{option}`"),
                format!("remove `{option}`, or give it a field of its own"),
            );
        }
    }
}

/// The kind of a field from its options.
pub(crate) fn field_kind(a: &attr::FieldAttrs) -> FieldKind {
    if a.extra.is_some() {
        FieldKind::Extra
    } else if a.skip.is_some() {
        FieldKind::Skip
    } else {
        FieldKind::Stored
    }
}

/// Rule: a skipped field is not a key, not the TTL attribute, not renamed, has no codec.
fn check_skipped_options(name: &str, a: &attr::FieldAttrs, errors: &mut Errors) {
    if a.skip.is_none() {
        return;
    }
    for (span, what) in [
        (a.partition_key, "a key"),
        (a.sort_key, "a key"),
        (a.ttl, "the TTL attribute"),
    ] {
        if let Some(span) = span {
            errors.at(
                span,
                format!("`{name}` is skipped (not stored), so it cannot be {what}"),
                "remove `skip`, or this option",
            );
        }
    }
    if let Some(r) = &a.rename {
        errors.at(
            r.span,
            format!("`{name}` is skipped, so `rename` has no effect"),
            "remove `rename` or `skip`",
        );
    }
    if let Some(c) = &a.codec {
        errors.at(
            c.span,
            format!("`{name}` is skipped, so its codec has no effect"),
            "remove the codec or `skip`",
        );
    }
}

/// Rule: a field is not both the partition key and the sort key.
fn check_not_both_keys(name: &str, a: &attr::FieldAttrs, errors: &mut Errors) {
    if let (Some(_), Some(sk)) = (a.partition_key, a.sort_key) {
        errors.at(
            sk,
            format!("`{name}` cannot be both the partition key and the sort key"),
            "mark one field `#[dynorm(partition_key)]` and another `#[dynorm(sort_key)]`",
        );
    }
}

/// Rule: the TTL attribute is given once, on the struct or on one field.
fn check_one_ttl_field(
    name: &str,
    a: &attr::FieldAttrs,
    table_attrs: &attr::TableAttrs,
    ttl_field: &mut Option<Sp<String>>,
    errors: &mut Errors,
) {
    let Some(ttl) = a.ttl else { return };
    if let Some(prev) = &table_attrs.ttl {
        errors.at(
            ttl,
            format!(
                "duplicate option `ttl`: the struct already names `{}`",
                prev.value
            ),
            "give the TTL attribute once, on the struct or on the field",
        );
    } else if ttl_field.is_some() {
        errors.at(
            ttl,
            "duplicate option `ttl`",
            "only one field can be the TTL attribute",
        );
    } else {
        *ttl_field = Some(Sp::new(name.to_owned(), ttl));
    }
}

/// Rule: a skipped field is not immutable (it is never written).
fn check_skipped_immutable(name: &str, a: &attr::FieldAttrs, errors: &mut Errors) {
    if let (Some(span), true) = (a.immutable, a.skip.is_some()) {
        errors.at(
            span,
            format!("`{name}` is skipped (not stored), so it cannot be immutable"),
            "remove `immutable` or `skip`",
        );
    }
}

/// The composites, and their names (in the same order). Marks each part's field
/// [`FieldKind::Part`].
fn composites(
    table_attrs: &attr::TableAttrs,
    naming: &Naming,
    fields: &mut [Field<'_>],
    field_attrs: &[attr::FieldAttrs],
    field_names: &[String],
    errors: &mut Errors,
) -> (Vec<Composite>, Vec<String>) {
    let mut composites = Vec::new();
    let mut composite_names: Vec<String> = Vec::new();
    for c in &table_attrs.composites {
        let Some(name) = &c.name else {
            errors.at(
                c.span,
                "a composite needs a name",
                "write `composite(name = \"composite_key\", fields(order_id, user_id))`",
            );
            continue;
        };
        check_composite_name(name, field_names, &composite_names, errors);
        let parts = CompositeParts {
            name: &name.value,
            index: composites.len(),
            field_names,
            composite_names: &composite_names,
        }
        .resolve(c, fields, field_attrs, errors);
        let separator = composite_separator(c, naming.da_vinci, errors);
        composite_names.push(name.value.clone());
        composites.push(Composite {
            stored: naming.stored(c.rename.as_ref(), &name.value),
            parts,
            separator,
            escaped: c.escaped.as_ref().map(|e| e.value).unwrap_or(!naming.da_vinci),
            description: c.description.as_ref().map(|d| d.value.clone()),
        });
    }
    (composites, composite_names)
}

/// Rule: a composite's name is its own (not a field's, not another composite's).
fn check_composite_name(
    name: &Sp<String>,
    field_names: &[String],
    composite_names: &[String],
    errors: &mut Errors,
) {
    if field_names.contains(&name.value) {
        errors.at(
            name.span,
            format!("composite `{}` has the name of a field", name.value),
            "give the composite a name of its own",
        );
    } else if composite_names.contains(&name.value) {
        errors.at(
            name.span,
            format!("two composites are named `{}`", name.value),
            "give each composite a name of its own",
        );
    }
}

/// Rule: a composite separator is not empty (default `#`, or `-` under Da Vinci).
fn composite_separator(c: &attr::CompositeAttr, da_vinci: bool, errors: &mut Errors) -> String {
    match &c.separator {
        Some(s) if s.value.is_empty() => {
            errors.at(
                s.span,
                "a composite separator cannot be empty",
                "write `separator = \"#\"`",
            );
            String::new()
        }
        Some(s) => s.value.clone(),
        None if da_vinci => "-".to_owned(),
        None => "#".to_owned(),
    }
}

/// The composite whose parts are being resolved.
struct CompositeParts<'n> {
    name: &'n str,
    index: usize,
    field_names: &'n [String],
    /// The composites before this one.
    composite_names: &'n [String],
}

impl CompositeParts<'_> {
    /// Rule: a composite names at least one field, and each part is a field it may hold.
    fn resolve(
        &self,
        c: &attr::CompositeAttr,
        fields: &mut [Field<'_>],
        field_attrs: &[attr::FieldAttrs],
        errors: &mut Errors,
    ) -> Vec<usize> {
        let list_ = match &c.fields {
            Some(list_) if !list_.value.is_empty() => list_,
            other => {
                errors.at(
                    other.as_ref().map_or(c.span, |l| l.span),
                    format!("composite `{}` names no fields", self.name),
                    "list its parts: `fields(order_id, user_id)`",
                );
                return Vec::new();
            }
        };
        let mut parts = Vec::new();
        for part in &list_.value {
            let Some(i) = self.field_names.iter().position(|f| *f == part.value) else {
                errors.push(unknown_field(part, self.field_names, &[]));
                continue;
            };
            match self.part_problem(part, &fields[i], &field_attrs[i]) {
                Some((span, message, help)) => errors.at(span, message, help),
                None => {
                    fields[i].kind = FieldKind::Part(self.index);
                    parts.push(i);
                }
            }
        }
        parts
    }

    /// Rule: a part is not a key, not optional, not skipped, in no other composite, without
    /// a default, not the TTL attribute. The first rule broken, as (where, message, help).
    fn part_problem(
        &self,
        part: &Sp<String>,
        f: &Field<'_>,
        a: &attr::FieldAttrs,
    ) -> Option<(Span, String, &'static str)> {
        let (field, name) = (&f.name, self.name);
        if let Some(k) = a.partition_key.or(a.sort_key) {
            return Some((
                k,
                format!("`{field}` is a key field, so it cannot be a part of composite `{name}`"),
                "remove the field's key option; the composite is the key",
            ));
        }
        if f.option {
            return Some((
                f.ty.span(),
                format!("`{field}` is optional, but composite parts are always present"),
                "use a non-`Option` type for composite parts",
            ));
        }
        if a.skip.is_some() {
            return Some((
                part.span,
                format!("`{field}` is skipped (not stored), so it cannot be a composite part"),
                "remove `skip` or leave the field out of the composite",
            ));
        }
        if let FieldKind::Part(other) = f.kind {
            let other = self.composite_names.get(other).cloned().unwrap_or_default();
            let message = if other == name {
                format!("`{field}` is listed twice in composite `{name}`")
            } else {
                format!("`{field}` is already a part of composite `{other}`")
            };
            return Some((part.span, message, "a field can be a part of one composite only"));
        }
        if let Some(d) = &a.default {
            return Some((
                d.span,
                format!(
                    "`{field}` is a part of composite `{name}`, which is always present, so a default has no effect"
                ),
                "remove `default`",
            ));
        }
        a.ttl.map(|t| {
            (
                t,
                format!("`{field}` is stored inside composite `{name}`, so it cannot be the TTL attribute"),
                "use a field of its own for TTL",
            )
        })
    }
}

/// Every stored attribute in declaration order: a field of its own, or a composite at the
/// place of its first part.
fn stored_attributes(fields: &[Field<'_>]) -> Vec<Stored> {
    let mut stored = Vec::new();
    for (i, f) in fields.iter().enumerate() {
        let entry = match f.kind {
            FieldKind::Stored => Stored::Field(i),
            FieldKind::Part(c) if !stored.contains(&Stored::Composite(c)) => Stored::Composite(c),
            _ => continue,
        };
        stored.push(entry);
    }
    stored
}

/// Rule: no two attributes share a stored name.
fn check_unique_stored_names(
    stored: &[Stored],
    fields: &[Field<'_>],
    field_attrs: &[attr::FieldAttrs],
    composites: &[Composite],
    table_attrs: &attr::TableAttrs,
    errors: &mut Errors,
) {
    let mut seen: Vec<&str> = Vec::new();
    for s in stored {
        let (name, span) = match *s {
            Stored::Field(i) => (
                &fields[i].stored,
                field_attrs[i]
                    .rename
                    .as_ref()
                    .map(|r| r.span)
                    .unwrap_or(fields[i].ident.span()),
            ),
            Stored::Composite(c) => {
                // Composites without a name were dropped, so the c-th named one is this one.
                let attr_ = table_attrs.composites.iter().filter(|c| c.name.is_some()).nth(c);
                (
                    &composites[c].stored,
                    attr_
                        .and_then(|a| a.name.as_ref())
                        .map(|n| n.span)
                        .unwrap_or(Span::call_site()),
                )
            }
        };
        if seen.contains(&name.as_str()) {
            errors.at(
                span,
                format!("two attributes are stored as `{name}`"),
                "give one of them another name with `rename = \"...\"`",
            );
        } else {
            seen.push(name);
        }
    }
}

/// The fields and composites, for resolving names written in options.
struct Names<'m, 'a> {
    fields: &'m [Field<'a>],
    composites: &'m [Composite],
    field_names: &'m [String],
    composite_names: &'m [String],
}

impl Names<'_, '_> {
    /// Rule: a name in an index, `ttl` or `include(...)` is a composite or a field stored as an
    /// attribute of its own.
    fn resolve(&self, name: &Sp<String>, errors: &mut Errors) -> Option<Target> {
        if let Some(c) = self.composite_names.iter().position(|c| *c == name.value) {
            return Some(Target::Composite(c));
        }
        let Some(i) = self.fields.iter().position(|f| f.name == name.value) else {
            errors.push(unknown_field(name, self.field_names, self.composite_names));
            return None;
        };
        match self.fields[i].kind {
            FieldKind::Stored => Some(Target::Field(i)),
            FieldKind::Skip => {
                errors.at(
                    name.span,
                    format!("`{}` is skipped, so it is not stored", name.value),
                    "remove `skip` from the field, or name another field",
                );
                None
            }
            FieldKind::Extra => {
                errors.at(
                    name.span,
                    format!(
                        "`{}` is `extra`: it keeps the attributes the type does not name, not an attribute of its own",
                        name.value
                    ),
                    "name a stored field",
                );
                None
            }
            FieldKind::Part(c) => {
                let composite = &self.composite_names[c];
                errors.at(
                    name.span,
                    format!(
                        "`{}` is stored inside composite `{composite}`, not as an attribute of its own",
                        name.value
                    ),
                    format!("name the composite `{composite}` instead"),
                );
                None
            }
        }
    }

    /// The stored attribute name of a target.
    fn stored(&self, t: Target) -> String {
        match t {
            Target::Field(i) => self.fields[i].stored.clone(),
            Target::Composite(c) => self.composites[c].stored.clone(),
        }
    }

    /// The Rust-side name of a stored attribute, for messages.
    fn display(&self, s: Stored) -> String {
        match s {
            Stored::Field(i) => self.fields[i].name.clone(),
            Stored::Composite(c) => self.composite_names[c].clone(),
        }
    }
}

/// A `partition_key` or `sort_key` option on a field or a composite.
struct KeyMark {
    what: Stored,
    span: Span,
    partition: bool,
}

/// The table key options, in declaration order (fields, then composites). Rule: a composite
/// is not both keys.
fn key_marks(
    fields: &[Field<'_>],
    field_attrs: &[attr::FieldAttrs],
    table_attrs: &attr::TableAttrs,
    errors: &mut Errors,
) -> Vec<KeyMark> {
    let mut marks = Vec::new();
    let mut mark = |what, span, partition| {
        marks.push(KeyMark {
            what,
            span,
            partition,
        })
    };
    for (i, a) in field_attrs.iter().enumerate() {
        // A skipped or extra key was reported with the field; a both-keys field as its sort key.
        if matches!(fields[i].kind, FieldKind::Skip | FieldKind::Extra) {
            continue;
        }
        if let Some(s) = a.partition_key {
            mark(Stored::Field(i), s, true);
        }
        if let Some(s) = a.sort_key
            && a.partition_key.is_none()
        {
            mark(Stored::Field(i), s, false);
        }
    }
    // Composites without a name were dropped: number the named ones.
    for (c, composite) in table_attrs
        .composites
        .iter()
        .filter(|c| c.name.is_some())
        .enumerate()
    {
        if let Some(s) = composite.partition_key {
            mark(Stored::Composite(c), s, true);
        }
        if let Some(s) = composite.sort_key {
            if composite.partition_key.is_some() {
                errors.at(
                    s,
                    "a composite cannot be both the partition key and the sort key",
                    "keep `partition_key` or `sort_key`",
                );
            } else {
                mark(Stored::Composite(c), s, false);
            }
        }
    }
    marks
}

/// Rule: at most one partition key and one sort key. Returns the first of its kind.
fn pick_key(
    marks: &[KeyMark],
    partition: bool,
    names: &Names<'_, '_>,
    errors: &mut Errors,
) -> Option<Stored> {
    let what = if partition { "partition key" } else { "sort key" };
    let mut found: Option<Stored> = None;
    for mark in marks.iter().filter(|m| m.partition == partition) {
        match found {
            Some(first) => errors.at(
                mark.span,
                format!(
                    "two {what}s: `{}` and `{}`",
                    names.display(first),
                    names.display(mark.what)
                ),
                format!(
                    "a table has one {what}; remove one of the `{}` options",
                    what.replace(' ', "_")
                ),
            ),
            None => found = Some(mark.what),
        }
    }
    found
}

/// Rule: the table has a partition key.
fn check_has_partition_key(input: &syn::DeriveInput, partition_key: Option<Stored>, errors: &mut Errors) {
    if partition_key.is_none() {
        errors.at(
            input.ident.span(),
            format!("`{}` has no partition key", input.ident),
            "mark the key field with `#[dynorm(partition_key)]` (or give a composite `partition_key`)",
        );
    }
}

/// Which fields are keys (of the table or an index), and the types that must implement
/// `KeyAttribute`.
struct Keys<'a> {
    is_key: Vec<bool>,
    types: Vec<&'a syn::Type>,
}

impl<'a> Keys<'a> {
    fn new(fields: usize) -> Self {
        Self {
            is_key: vec![false; fields],
            types: Vec::new(),
        }
    }

    /// The table's key fields, each checked as a key.
    fn mark_table_keys(
        &mut self,
        marks: &[KeyMark],
        fields: &[Field<'a>],
        field_attrs: &[attr::FieldAttrs],
        errors: &mut Errors,
    ) {
        for mark in marks {
            if let Stored::Field(i) = mark.what {
                let role = if mark.partition {
                    "the partition key"
                } else {
                    "the sort key"
                };
                self.mark(&fields[i], &field_attrs[i], i, role, false, errors);
            }
        }
    }

    /// The fields used as index keys (after the table's, so a table key is checked as such).
    fn mark_index_keys(
        &mut self,
        targets: Vec<(Target, String)>,
        fields: &[Field<'a>],
        field_attrs: &[attr::FieldAttrs],
        errors: &mut Errors,
    ) {
        for (t, role) in targets {
            if let Target::Field(i) = t {
                self.mark(&fields[i], &field_attrs[i], i, &role, true, errors);
            }
        }
    }

    /// Rule: a key is never optional (an index key may be: the index is then sparse) and has
    /// no default. Field `i` is checked once, at its first role.
    fn mark(
        &mut self,
        f: &Field<'a>,
        a: &attr::FieldAttrs,
        i: usize,
        role: &str,
        index: bool,
        errors: &mut Errors,
    ) {
        if self.is_key[i] {
            return;
        }
        self.is_key[i] = true;
        // An index key may be absent: the item is then not in the index (a sparse index).
        if f.option && index {
            if a.default.is_none() && f.codec.is_none() {
                self.types.push(option_inner(f.ty).unwrap_or(f.ty));
            }
            return;
        }
        if f.option {
            errors.at(
                f.ty.span(),
                format!(
                    "`{}` is {role}, but its type is optional: keys are never optional",
                    f.name
                ),
                "use the inner type, e.g. `String` instead of `Option<String>`",
            );
        } else if let Some(d) = &a.default {
            errors.at(
                d.span,
                format!(
                    "`{}` is {role}, so it is always present and cannot have a default",
                    f.name
                ),
                "remove `default`",
            );
        } else if f.codec.is_none() {
            self.types.push(f.ty);
        }
    }
}

/// Index checking state: names seen so far and the attributes used as index keys.
struct Indexes<'n, 'm, 'a> {
    names: &'n Names<'m, 'a>,
    provisioned: bool,
    /// How many global and local indexes the table declares.
    counts: (usize, usize),
    index_names: Vec<String>,
    /// (what, its role, where): fields among them are marked keys once all indexes are read.
    key_targets: Vec<(Target, String)>,
}

impl<'n, 'm, 'a> Indexes<'n, 'm, 'a> {
    fn new(names: &'n Names<'m, 'a>, table_attrs: &attr::TableAttrs) -> Self {
        Self {
            names,
            provisioned: matches!(
                table_attrs.billing.as_ref().map(|b| b.value),
                Some(Billing::Provisioned { .. })
            ),
            counts: (table_attrs.gsis.len(), table_attrs.lsis.len()),
            index_names: Vec::new(),
            key_targets: Vec::new(),
        }
    }

    /// Every index, global then local, and the attributes used as their keys.
    fn read(
        mut self,
        table_attrs: &attr::TableAttrs,
        table_keys: (Option<Stored>, Option<Stored>),
        errors: &mut Errors,
    ) -> (Vec<Index>, Vec<Index>, Vec<(Target, String)>) {
        let gsis = table_attrs
            .gsis
            .iter()
            .enumerate()
            .map(|(n, g)| self.gsi(n, g, errors))
            .collect();
        let lsis = table_attrs
            .lsis
            .iter()
            .enumerate()
            .map(|(n, l)| self.lsi(n, l, table_keys, errors))
            .collect();
        (gsis, lsis, self.key_targets)
    }

    /// The `n`-th `gsi(...)`: within DynamoDB's limit, named, with a partition key.
    fn gsi(&mut self, n: usize, g: &attr::Gsi, errors: &mut Errors) -> Index {
        if n == MAX_GLOBAL_INDEXES {
            errors.at(
                g.span,
                format!(
                    "{} global secondary indexes, more than DynamoDB's limit of {MAX_GLOBAL_INDEXES}",
                    self.counts.0
                ),
                "remove indexes, or overload one index's keys for several access patterns",
            );
        }
        let name = self.name(
            g.name.as_ref(),
            g.span,
            "a global secondary index needs a name",
            "write `gsi(name = \"email_index\", partition_key = email)`",
            errors,
        );
        let pk = match &g.partition_key {
            Some(pk) => self.key(pk, format!("the partition key of index `{name}`"), errors),
            None => {
                errors.at(
                    g.span,
                    "a global secondary index needs a partition key",
                    "write `gsi(name = \"email_index\", partition_key = email)`",
                );
                None
            }
        };
        let sk = g
            .sort_key
            .as_ref()
            .and_then(|sk| self.key(sk, format!("the sort key of index `{name}`"), errors));
        let (more_partition_keys, more_sort_keys) = self.more_keys(g, &name, errors);
        let capacity = self.capacity(g, &name, errors);
        Index {
            partition_key: Some(pk.unwrap_or_default()),
            has_sort_key: sk.is_some(),
            sort_key: sk.unwrap_or_default(),
            more_partition_keys,
            more_sort_keys,
            projection: self.projection(&g.projection, errors),
            capacity,
            name,
        }
    }

    /// The `n`-th `lsi(...)`: within DynamoDB's limit, on a table with a sort key, named, with a
    /// sort key of its own.
    fn lsi(
        &mut self,
        n: usize,
        l: &attr::Lsi,
        (partition_key, sort_key): (Option<Stored>, Option<Stored>),
        errors: &mut Errors,
    ) -> Index {
        if n == MAX_LOCAL_INDEXES {
            errors.at(
                l.span,
                format!(
                    "{} local secondary indexes, more than DynamoDB's limit of {MAX_LOCAL_INDEXES}",
                    self.counts.1
                ),
                "remove local indexes (a global secondary index can serve the same query)",
            );
        }
        if sort_key.is_none() && partition_key.is_some() {
            errors.at(
                l.span,
                "a local secondary index needs a table with a sort key",
                "mark a field `#[dynorm(sort_key)]`, or make this a `gsi(...)` with the same partition key",
            );
        }
        let name = self.name(
            l.name.as_ref(),
            l.span,
            "a local secondary index needs a name",
            "write `lsi(name = \"by_timestamp\", sort_key = timestamp)`",
            errors,
        );
        let sk = match &l.sort_key {
            Some(sk) => self.lsi_sort_key(sk, &name, sort_key, errors),
            None => {
                errors.at(
                    l.span,
                    "a local secondary index needs a sort key",
                    "write `lsi(name = \"by_timestamp\", sort_key = timestamp)`",
                );
                None
            }
        };
        Index {
            name,
            partition_key: None,
            has_sort_key: true,
            more_partition_keys: Vec::new(),
            more_sort_keys: Vec::new(),
            sort_key: sk.unwrap_or_default(),
            projection: self.projection(&l.projection, errors),
            capacity: None,
        }
    }

    /// Rule: an index is named, and no two indexes share a name.
    fn name(
        &mut self,
        name: Option<&Sp<String>>,
        span: Span,
        missing: &str,
        help: &str,
        errors: &mut Errors,
    ) -> String {
        let Some(name) = name else {
            errors.at(span, missing, help);
            return String::new();
        };
        if self.index_names.contains(&name.value) {
            errors.at(
                name.span,
                format!("two indexes are named `{}`", name.value),
                "give each index a name of its own",
            );
        } else {
            self.index_names.push(name.value.clone());
        }
        name.value.clone()
    }

    /// An index key: a name that resolves, remembered as a key for `role`.
    /// Rule: a multi-attribute key has at most 4 attributes each for the partition and the sort
    /// key, each a field of its own, none named twice in the index. Returns the stored names of
    /// the attributes after the first.
    fn more_keys(&mut self, g: &attr::Gsi, name: &str, errors: &mut Errors) -> (Vec<String>, Vec<String>) {
        let mut seen: Vec<String> = g
            .partition_key
            .iter()
            .chain(&g.sort_key)
            .map(|k| k.value.clone())
            .collect();
        if let (Some(pk), Some(sk)) = (&g.partition_key, &g.sort_key)
            && pk.value == sk.value
            && (!g.more_partition_keys.is_empty() || !g.more_sort_keys.is_empty())
        {
            errors.at(
                sk.span,
                format!("index `{name}` names `{}` twice", sk.value),
                "each key attribute appears once in an index",
            );
        }
        let mut resolve = |keys: &[Sp<String>], role: &str, errors: &mut Errors| -> Vec<String> {
            let mut out = Vec::new();
            for (n, key) in keys.iter().enumerate() {
                if n + 1 == MAX_INDEX_KEY_ATTRIBUTES {
                    errors.at(
                        key.span,
                        format!(
                            "the {role} of index `{name}` has {} attributes, more than DynamoDB's limit of {MAX_INDEX_KEY_ATTRIBUTES}",
                            keys.len() + 1
                        ),
                        "a multi-attribute key has 1 to 4 attributes",
                    );
                }
                if seen.contains(&key.value) {
                    errors.at(
                        key.span,
                        format!("index `{name}` names `{}` twice", key.value),
                        "each key attribute appears once in an index",
                    );
                    continue;
                }
                seen.push(key.value.clone());
                out.extend(self.key(key, format!("the {role} of index `{name}`"), errors));
            }
            out
        };
        let partition = resolve(&g.more_partition_keys, "partition key", errors);
        let sort = resolve(&g.more_sort_keys, "sort key", errors);
        (partition, sort)
    }

    fn key(&mut self, name: &Sp<String>, role: String, errors: &mut Errors) -> Option<String> {
        let t = self.names.resolve(name, errors)?;
        self.key_targets.push((t, role));
        Some(self.names.stored(t))
    }

    /// Rule: a local index sorts by another attribute than the table's sort key.
    fn lsi_sort_key(
        &mut self,
        sk: &Sp<String>,
        name: &str,
        table_sort_key: Option<Stored>,
        errors: &mut Errors,
    ) -> Option<String> {
        let t = self.names.resolve(sk, errors)?;
        let same = match (t, table_sort_key) {
            (Target::Field(a), Some(Stored::Field(b))) => a == b,
            (Target::Composite(a), Some(Stored::Composite(b))) => a == b,
            _ => false,
        };
        if same {
            errors.at(
                sk.span,
                format!(
                    "local index `{name}` uses the table's own sort key `{}`",
                    sk.value
                ),
                "a local index sorts by another attribute; name a different field",
            );
            return None;
        }
        self.key_targets
            .push((t, format!("the sort key of index `{name}`")));
        Some(self.names.stored(t))
    }

    /// Rule: an index's capacity has both `read` and `write`, on a provisioned table.
    fn capacity(&self, g: &attr::Gsi, name: &str, errors: &mut Errors) -> Option<(u64, u64)> {
        match (&g.read, &g.write) {
            (Some(r), Some(w)) => {
                if !self.provisioned {
                    errors.at(
                        r.span,
                        format!("index `{name}` sets capacity, but the table is billed on demand"),
                        "add `#[dynorm(billing(provisioned(read = 5, write = 5)))]` to the struct, or remove `read`/`write`",
                    );
                }
                Some((r.value, w.value))
            }
            (Some(x), None) | (None, Some(x)) => {
                errors.at(
                    x.span,
                    "an index's capacity needs both `read` and `write`",
                    "write `read = 5, write = 5`",
                );
                None
            }
            (None, None) => None,
        }
    }

    /// Rule: `include(...)` names stored attributes.
    fn projection(&self, p: &Option<Sp<Projection>>, errors: &mut Errors) -> ProjectionModel {
        match p.as_ref().map(|p| &p.value) {
            None | Some(Projection::All) => ProjectionModel::All,
            Some(Projection::KeysOnly) => ProjectionModel::KeysOnly,
            Some(Projection::Include(names)) => ProjectionModel::Include(
                names
                    .iter()
                    .filter_map(|n| self.names.resolve(n, errors).map(|t| self.names.stored(t)))
                    .collect(),
            ),
        }
    }
}

/// Rule: each tag key is given once.
fn tags(table_attrs: &attr::TableAttrs, errors: &mut Errors) -> Vec<(String, String)> {
    let mut tags: Vec<(String, String)> = Vec::new();
    for t in &table_attrs.tags {
        if tags.iter().any(|(k, _)| *k == t.key) {
            errors.at(
                t.span,
                format!("tag `{}` is given twice", t.key),
                "give each tag key once",
            );
        } else {
            tags.push((t.key.clone(), t.value.clone()));
        }
    }
    tags
}

/// Rule: provisioned capacity is at least one unit each way.
fn billing(table_attrs: &attr::TableAttrs, errors: &mut Errors) -> Billing {
    let Some(b) = &table_attrs.billing else {
        return Billing::OnDemand;
    };
    match b.value {
        Billing::Provisioned { read, write } => {
            if read == 0 || write == 0 {
                errors.at(
                    b.span,
                    "provisioned capacity must be at least 1 read and 1 write unit",
                    "write `billing(provisioned(read = 5, write = 5))`",
                );
            }
            Billing::Provisioned { read, write }
        }
        Billing::OnDemand => Billing::OnDemand,
    }
}

/// Checks the `version`, `created_at` and `updated_at` fields (at most one of each, stored as
/// an attribute of its own, not a key, of a fitting type) and returns their indexes.
pub(crate) fn hooks(
    fields: &mut [Field<'_>],
    field_attrs: &[attr::FieldAttrs],
    is_key: &[bool],
    errors: &mut Errors,
) -> [Option<usize>; 3] {
    let mut found: [Option<usize>; 3] = [None; 3];
    let options = [attr::VERSION, attr::CREATED_AT, attr::UPDATED_AT];
    for (i, a) in field_attrs.iter().enumerate() {
        let marks = [a.version, a.created_at, a.updated_at];
        let mut first_here: Option<&str> = None;
        for (k, (mark, option)) in marks.into_iter().zip(options).enumerate() {
            let Some(span) = mark else { continue };
            let f = &fields[i];
            let problem = match (first_here, found[k]) {
                (Some(prev), _) => Some(hook_taken(f, prev, option, span)),
                (None, Some(prev)) => Some(hook_twice(&fields[prev], f, option, span)),
                (None, None) => {
                    hook_placement(f, a, is_key[i], option, span).or_else(|| hook_type(f, a, k, option))
                }
            };
            first_here = first_here.or(Some(option));
            match problem {
                Some(e) => errors.push(e),
                None => found[k] = Some(i),
            }
        }
    }
    // An item written by another tool may have no version yet: it reads as version 0.
    if let Some(i) = found[0]
        && fields[i].default.is_none()
    {
        fields[i].default = Some(DefaultModel {
            expr: quote!(::core::default::Default::default()),
            text: "Default::default()".to_owned(),
        });
    }
    found
}

/// Rule: a field holds one hook (`version`, `created_at`, `updated_at`) only.
fn hook_taken(f: &Field<'_>, prev: &str, option: &str, span: Span) -> syn::Error {
    error(
        span,
        format!(
            "`{}` is already the `{prev}` field, so it cannot also be `{option}`",
            f.name
        ),
        format!("use a field of its own for `{option}`"),
    )
}

/// Rule: a table has one field of each hook.
fn hook_twice(prev: &Field<'_>, f: &Field<'_>, option: &str, span: Span) -> syn::Error {
    error(
        span,
        format!("two `{option}` fields: `{}` and `{}`", prev.name, f.name),
        format!("a table has one `{option}` field; remove one of the `{option}` options"),
    )
}

/// Rule: a hook is stored as an attribute of its own, not a key, not the TTL attribute.
fn hook_placement(
    f: &Field<'_>,
    a: &attr::FieldAttrs,
    is_key: bool,
    option: &str,
    span: Span,
) -> Option<syn::Error> {
    let message = if f.kind != FieldKind::Stored {
        format!(
            "`{}` is not stored as an attribute of its own, so it cannot be the `{option}` field",
            f.name
        )
    } else if is_key {
        format!(
            "`{}` is a key, so it cannot be the `{option}` field (keys never change)",
            f.name
        )
    } else if a.ttl.is_some() {
        format!(
            "`{}` is the TTL attribute, so it cannot be the `{option}` field",
            f.name
        )
    } else {
        return None;
    };
    Some(error(span, message, format!("put `{option}` on another field")))
}

/// Rule: the version (`k == 0`) is a plain number, never optional; a timestamp is a
/// `DateTime<Utc>` or `EpochSeconds` (optional or not), stored as is or with `epoch_seconds`.
fn hook_type(f: &Field<'_>, a: &attr::FieldAttrs, k: usize, option: &str) -> Option<syn::Error> {
    if k == 0 {
        if f.option {
            return Some(error(
                f.ty.span(),
                format!("`{}` is the version, which is never optional", f.name),
                "use an integer type such as `u64`; an absent version reads as 0",
            ));
        }
        return a.codec.as_ref().map(|c| {
            error(
                c.span,
                format!("`{}` is the version, which is stored as a number", f.name),
                "remove the codec",
            )
        });
    }
    let inner = option_inner(f.ty).unwrap_or(f.ty);
    let codec_ok = match a.codec.as_ref().map(|c| &c.value) {
        None => true,
        Some(Codec::Shorthand(s)) => *s == "epoch_seconds",
        Some(Codec::With(_)) => false,
    };
    if (is_datetime(inner) || is_epoch_seconds(inner)) && codec_ok {
        return None;
    }
    Some(error(
        f.ty.span(),
        format!("the `{option}` field `{}` must be a timestamp", f.name),
        "use `DateTime<Utc>`, `Option<DateTime<Utc>>` or `EpochSeconds`, stored as is or with `epoch_seconds`",
    ))
}

fn unknown_field(name: &Sp<String>, fields: &[String], composites: &[String]) -> syn::Error {
    let candidates = fields
        .iter()
        .map(String::as_str)
        .chain(composites.iter().map(String::as_str));
    let suggestion = closest(&name.value, candidates)
        .map(|s| format!("; did you mean `{s}`?"))
        .unwrap_or_default();
    let mut known = list(fields);
    if !composites.is_empty() {
        known.push_str(&format!("; composites are: {}", list(composites)));
    }
    error(
        name.span,
        format!("no field `{}`{suggestion}", name.value),
        format!("fields are: {known}"),
    )
}

/// The codec a field's options (or the Da Vinci compatibility rules) give it.
pub(crate) fn codec_model(a: &attr::FieldAttrs, ty: &syn::Type, da_vinci: bool) -> Option<CodecModel> {
    let option = option_inner(ty).is_some();
    match &a.codec {
        Some(Sp {
            value: Codec::With(path),
            ..
        }) => Some(CodecModel {
            path: path.to_token_stream(),
            whole: false,
            empty_when_missing: false,
        }),
        Some(Sp {
            value: Codec::Shorthand(short),
            span,
        }) => {
            let ident = syn::Ident::new(short, *span);
            let path = if da_vinci && matches!(*short, "json" | "json_string") {
                quote_spanned!(*span=> ::dynorm::codec::da_vinci::#ident)
            } else {
                quote_spanned!(*span=> ::dynorm::codec::#ident)
            };
            Some(CodecModel {
                path,
                whole: false,
                empty_when_missing: matches!(*short, "string_set" | "number_set"),
            })
        }
        None if da_vinci && a.skip.is_none() => {
            let inner = option_inner(ty).unwrap_or(ty);
            if is_datetime(inner) && option {
                // Da Vinci stores an absent datetime as `0`.
                Some(CodecModel {
                    path: quote!(::dynorm::codec::da_vinci::optional_datetime),
                    whole: true,
                    empty_when_missing: false,
                })
            } else if is_datetime(inner) {
                Some(CodecModel {
                    path: quote!(::dynorm::codec::da_vinci::datetime),
                    whole: false,
                    empty_when_missing: false,
                })
            } else if option && is_string(inner) {
                Some(CodecModel {
                    path: quote!(::dynorm::codec::da_vinci::optional_string),
                    whole: true,
                    empty_when_missing: false,
                })
            } else {
                None
            }
        }
        None => None,
    }
}

/// The default a field's `default` option gives it.
pub(crate) fn default_model(a: &attr::FieldAttrs) -> Option<DefaultModel> {
    a.default.as_ref().map(|d| match &d.value {
        attr::Default::Trait => DefaultModel {
            expr: quote_spanned!(d.span=> ::core::default::Default::default()),
            text: "Default::default()".to_owned(),
        },
        attr::Default::Expr(e) => DefaultModel {
            expr: e.to_token_stream(),
            text: source_text(e.to_token_stream()),
        },
    })
}
