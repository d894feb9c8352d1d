//! `#[derive(Entity)]`: an entity type stored in a shared single table, its keys composed from
//! its fields by templates. Parsing, checks (all errors at once, each at its token) and expansion.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::ext::IdentExt;
use syn::meta::ParseNestedMeta;
use syn::spanned::Spanned;

use crate::attr::{
    boolean, each_option, name_list, once as set, option_name, skip_value, string as lit_string,
};
use crate::check::{self, Field, FieldKind};
use crate::expand::{decode_field, encode_field, typed_paths_of};
use crate::util::{Errors, Sp, closest, doc_text, error, list, option_inner};
use dynorm_template::{Segment, Template};

/// An unknown option of an entity attribute (no "belongs elsewhere" hint for entities).
fn unknown(meta: &ParseNestedMeta, what: &str, valid: &[&str]) -> syn::Error {
    crate::attr::unknown(meta, what, valid, None)
}

const TABLE: &str = "table";
const ENTITY: &str = "entity";
const PK: &str = "pk";
const SK: &str = "sk";
const INDEX: &str = "index";
const NAME: &str = "name";
const JOIN: &str = "join";
const ATTRIBUTE: &str = "attribute";
const FIELDS: &str = "fields";
const SEPARATOR: &str = "separator";
const STORE_ALIASES: &str = "store_aliases";
const STORM: &str = "storm";
use crate::attr::{SCHEMA_VERSION, UPGRADES};
const SUFFIX: &str = "suffix";

const STRUCT_OPTIONS: &[&str] = &[
    TABLE,
    ENTITY,
    PK,
    SK,
    INDEX,
    JOIN,
    STORE_ALIASES,
    STORM,
    SCHEMA_VERSION,
    UPGRADES,
];
const INDEX_OPTIONS: &[&str] = &[NAME, PK, SK];
const JOIN_OPTIONS: &[&str] = &[ATTRIBUTE, FIELDS, SEPARATOR];

#[derive(Default)]
struct Attrs {
    table: Option<syn::Path>,
    entity: Option<Sp<String>>,
    pk: Option<Sp<String>>,
    sk: Option<Sp<String>>,
    indexes: Vec<IndexAttr>,
    /// Indexes whose keys are field lists (`pk(a, b)`): multi-attribute global indexes.
    multi: Vec<IndexAttr>,
    joins: Vec<JoinAttr>,
    store_aliases: Option<Sp<bool>>,
    /// `storm` / `storm(suffix = "..")`: keys from single-table-orm's field flags.
    storm: Option<Sp<Option<Sp<String>>>>,
    /// `schema_version = N`: the version of the shape this entity stores.
    schema_version: Option<Sp<u32>>,
    /// `upgrades(V1, V2, ..)`: the entity types of the older versions, oldest first.
    upgrades: Option<Sp<Vec<syn::Path>>>,
}

/// `join(attribute = "..", fields(a, b), separator = "~")`.
struct JoinAttr {
    span: Span,
    attribute: Option<Sp<String>>,
    fields: Option<Sp<Vec<Sp<String>>>>,
    separator: Option<Sp<String>>,
}

/// A joined attribute, checked: its sources as field indexes.
struct JoinModel {
    attribute: String,
    sources: Vec<usize>,
    separator: String,
}

struct IndexAttr {
    span: Span,
    name: Option<Sp<String>>,
    pk: Option<Sp<String>>,
    sk: Option<Sp<String>>,
    /// `pk(a, b)`: the fields of a multi-attribute partition key.
    pk_fields: Option<Sp<Vec<Sp<String>>>>,
    /// `sk(c, d)`: the fields of a multi-attribute sort key.
    sk_fields: Option<Sp<Vec<Sp<String>>>>,
}

/// A multi-attribute index, checked: its key fields (by index, with the token naming each).
struct MultiModel {
    name: Sp<String>,
    pk: Vec<(usize, Span)>,
    sk: Vec<(usize, Span)>,
}

fn parse_attrs(input: &syn::DeriveInput, errors: &mut Errors) -> Attrs {
    let mut a = Attrs::default();
    each_option(&input.attrs, errors, |meta, name, errors| {
        let span = meta.path.span();
        match name {
            TABLE => {
                let path: syn::Path = meta.value()?.parse().map_err(|e| {
                    error(
                        e.span(),
                        "`table` takes the path of a type implementing `dynorm::entity::SingleTable`",
                        "write `table = AppTable`",
                    )
                })?;
                set(&mut a.table, path, name, span, errors);
            }
            ENTITY => set(
                &mut a.entity,
                lit_string(meta, name, "\"Integration\"")?,
                name,
                span,
                errors,
            ),
            PK => set(
                &mut a.pk,
                lit_string(meta, name, "\"T#{tenant_name}\"")?,
                name,
                span,
                errors,
            ),
            SK => set(
                &mut a.sk,
                lit_string(meta, name, "\"I#{integration_id}\"")?,
                name,
                span,
                errors,
            ),
            INDEX => {
                let index = parse_index(meta, span, errors)?;
                if index.pk_fields.is_some() || index.sk_fields.is_some() {
                    a.multi.push(index);
                } else {
                    a.indexes.push(index);
                }
            }
            JOIN => a.joins.push(parse_join(meta, span, errors)?),
            STORE_ALIASES => set(&mut a.store_aliases, boolean(meta, name)?, name, span, errors),
            STORM => set(
                &mut a.storm,
                Sp::new(storm_suffix(meta, errors)?, span),
                name,
                span,
                errors,
            ),
            SCHEMA_VERSION => set(
                &mut a.schema_version,
                crate::attr::schema_version(meta)?,
                name,
                span,
                errors,
            ),
            UPGRADES => set(
                &mut a.upgrades,
                crate::attr::upgrades(meta, span)?,
                name,
                span,
                errors,
            ),
            _ => {
                errors.push(unknown(meta, "entity", STRUCT_OPTIONS));
                skip_value(meta)?;
            }
        }
        Ok(())
    });
    a
}

/// `index(name = "..", pk = "..", sk = "..")`: its options, each at most once.
fn parse_index(meta: &ParseNestedMeta, span: Span, errors: &mut Errors) -> syn::Result<IndexAttr> {
    let mut index = IndexAttr {
        span,
        name: None,
        pk: None,
        sk: None,
        pk_fields: None,
        sk_fields: None,
    };
    meta.parse_nested_meta(|inner| {
        let n = option_name(&inner);
        let s = inner.path.span();
        match n.as_str() {
            NAME => set(
                &mut index.name,
                lit_string(&inner, NAME, "\"gsi1\"")?,
                NAME,
                s,
                errors,
            ),
            PK if inner.input.peek(syn::token::Paren) => {
                set(&mut index.pk_fields, name_list(&inner, PK)?, PK, s, errors);
            }
            SK if inner.input.peek(syn::token::Paren) => {
                set(&mut index.sk_fields, name_list(&inner, SK)?, SK, s, errors);
            }
            PK => set(
                &mut index.pk,
                lit_string(&inner, PK, "\"USER#{user_id}\"")?,
                PK,
                s,
                errors,
            ),
            SK => set(
                &mut index.sk,
                lit_string(&inner, SK, "\"ORDER#{order_id}\"")?,
                SK,
                s,
                errors,
            ),
            _ => {
                errors.push(unknown(&inner, "index", INDEX_OPTIONS));
                skip_value(&inner)?;
            }
        }
        Ok(())
    })?;
    Ok(index)
}

/// `join(attribute = "..", fields(a, b), separator = "~")`: its options, each at most once.
fn parse_join(meta: &ParseNestedMeta, span: Span, errors: &mut Errors) -> syn::Result<JoinAttr> {
    let mut join = JoinAttr {
        span,
        attribute: None,
        fields: None,
        separator: None,
    };
    meta.parse_nested_meta(|inner| {
        let n = option_name(&inner);
        let s = inner.path.span();
        match n.as_str() {
            ATTRIBUTE => set(
                &mut join.attribute,
                lit_string(&inner, ATTRIBUTE, "\"user_action\"")?,
                ATTRIBUTE,
                s,
                errors,
            ),
            FIELDS => set(&mut join.fields, name_list(&inner, FIELDS)?, FIELDS, s, errors),
            SEPARATOR => set(
                &mut join.separator,
                lit_string(&inner, SEPARATOR, "\"~\"")?,
                SEPARATOR,
                s,
                errors,
            ),
            _ => {
                errors.push(unknown(&inner, "join", JOIN_OPTIONS));
                skip_value(&inner)?;
            }
        }
        Ok(())
    })?;
    Ok(join)
}

/// One key to compose: where it goes and its template.
struct KeyModel {
    /// `None`: the table's own key.
    index: Option<Sp<String>>,
    role: &'static str,
    template: Sp<String>,
    /// The template parsed (by the grammar the runtime uses), compiled into the entity.
    segments: Vec<Segment>,
    /// Fields and joins read, each once, in order.
    fields: Vec<Placed>,
}

/// What a placeholder reads: a field or a joined attribute (by index).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Placed {
    Field(usize),
    Join(usize),
}

/// Checks one key template: it parses (with the grammar the runtime uses) and each placeholder
/// names a stored field or a joined attribute (a table key never an `Option` field). `None`
/// when it does not parse; other problems are reported and the key kept, to check the rest.
fn check_template(
    template: &Sp<String>,
    index: Option<&Sp<String>>,
    role: &'static str,
    targets: (&[Field<'_>], &[JoinModel], &[&str]),
    errors: &mut Errors,
) -> Option<KeyModel> {
    let (fields, joins, names) = targets;
    let parsed = match Template::parse(&template.value) {
        Ok(p) => p,
        Err(e) => {
            errors.at(
                template.span,
                format!(
                    "malformed key template `{}`: {}",
                    template.value,
                    e.reason().unwrap_or_default()
                ),
                "write literal text and `{field}` placeholders, as in `\"ORDER#{order_id:08}\"`",
            );
            return None;
        }
    };
    let mut used = Vec::new();
    let placeholders = parsed.segments().iter().filter_map(|s| match s {
        Segment::Field { name, .. } => Some(name.as_str()),
        Segment::Literal(_) => None,
    });
    for name in placeholders {
        let target = match fields
            .iter()
            .position(|f| f.name == name && f.kind == FieldKind::Stored)
        {
            Some(i) => Some(Placed::Field(i)),
            None => joins.iter().position(|j| j.attribute == name).map(Placed::Join),
        };
        match target {
            Some(Placed::Join(j)) => {
                if !used.contains(&Placed::Join(j)) {
                    used.push(Placed::Join(j));
                }
            }
            Some(Placed::Field(i)) => {
                if fields[i].option && index.is_none() {
                    errors.at(
                        template.span,
                        format!(
                            "`{{{name}}}` in the table's {role} reads `Option` field `{name}`, but table keys are always present"
                        ),
                        "make the field required, or use it only in index keys (an index over absent fields is sparse)",
                    );
                }
                if !used.contains(&Placed::Field(i)) {
                    used.push(Placed::Field(i));
                }
            }
            None => {
                let hint = closest(name, names.iter().copied())
                    .map(|s| format!("did you mean `{{{s}}}`?"))
                    .unwrap_or_else(|| format!("the fields are: {}", list(names)));
                errors.at(
                    template.span,
                    format!(
                        "`{{{name}}}` in template `{}` names no field or joined attribute",
                        template.value
                    ),
                    hint,
                );
            }
        }
    }
    Some(KeyModel {
        index: index.cloned(),
        role,
        template: template.clone(),
        segments: parsed.segments().to_vec(),
        fields: used,
    })
}

pub(crate) fn derive_entity(input: &syn::DeriveInput) -> syn::Result<TokenStream> {
    let mut errors = Errors::default();
    let mut attrs = parse_attrs(input, &mut errors);
    let named = named_fields(input, &mut errors);
    let (mut fields, field_attrs) = parse_fields(named, &mut errors);
    storm_templates(&mut attrs, &input.ident, (&fields, &field_attrs), &mut errors);
    check_stored_names(&fields, &mut errors);

    // Joined attributes: templates may read them like fields.
    let stored_fields: Vec<&str> = fields
        .iter()
        .filter(|f| f.kind == FieldKind::Stored)
        .map(|f| f.name.as_str())
        .collect();
    let joins = check_joins(&attrs, &fields, &stored_fields, &mut errors);
    check_required(&attrs, &mut errors);

    let names: Vec<&str> = stored_fields
        .iter()
        .copied()
        .chain(joins.iter().map(|j| j.attribute.as_str()))
        .collect();
    let keys = check_keys(&attrs, (&fields, &joins, &names), &mut errors);
    let multi = check_multi_indexes(&attrs, &fields, &stored_fields, &mut errors);
    // Version and timestamps, checked as on tables; a field a key reads never changes.
    let is_key = read_by_keys(&keys, &joins, fields.len());
    let hooks = check::hooks(&mut fields, &field_attrs, &is_key, &mut errors);
    let schema = check::schema(
        attrs.schema_version.as_ref(),
        attrs.upgrades.as_ref(),
        &mut errors,
    );
    errors.finish()?;
    let (Some(table), Some(_)) = (&attrs.table, &attrs.pk) else {
        return Err(syn::Error::new(Span::call_site(), "unreachable: checked above"));
    };

    Ok(expand(
        input,
        table,
        &attrs,
        (&fields, &joins),
        (&keys, &multi),
        hooks,
        schema.as_ref(),
    ))
}

/// `storm` or `storm(suffix = "Integrations")`: the suffix, if given.
fn storm_suffix(meta: &ParseNestedMeta, errors: &mut Errors) -> syn::Result<Option<Sp<String>>> {
    let mut suffix = None;
    if meta.input.peek(syn::token::Paren) {
        meta.parse_nested_meta(|inner| {
            if option_name(&inner) == SUFFIX {
                let v = lit_string(&inner, SUFFIX, "\"Integrations\"")?;
                set(&mut suffix, v, SUFFIX, inner.path.span(), errors);
            } else {
                errors.push(unknown(&inner, "storm", &[SUFFIX]));
                skip_value(&inner)?;
            }
            Ok(())
        })?;
    }
    Ok(suffix)
}

/// single-table-orm's keys from its field flags, as templates: `PK` joins each `storm(pk)`
/// field's identifier and value, then the suffix (the struct's name unless given); `SK` the same
/// over `storm(sk)` fields without the suffix; `GSI1PK` over `storm(gsi)` fields with the
/// suffix. An identifier is the stored name's first letter upper-cased unless given.
fn storm_templates(
    a: &mut Attrs,
    ident: &syn::Ident,
    (fields, field_attrs): (&[Field<'_>], &[crate::attr::FieldAttrs]),
    errors: &mut Errors,
) {
    let Some(storm) = &a.storm else {
        for fa in field_attrs {
            if let Some(part) = &fa.storm {
                errors.at(
                    part.span,
                    "`storm(..)` fields need `#[dynorm(storm)]` on the struct",
                    "add `#[dynorm(storm)]` (or `storm(suffix = \"..\")`) next to `table`",
                );
            }
        }
        return;
    };
    let span = storm.span;
    if a.pk.is_some() || a.sk.is_some() || !a.indexes.is_empty() {
        errors.at(
            span,
            "with `storm`, keys come from the fields' `storm(pk | sk | gsi)` flags",
            "remove `pk`, `sk` and `index(..)` from the struct",
        );
        return;
    }
    let suffix = storm
        .value
        .as_ref()
        .map_or_else(|| ident.unraw().to_string(), |s| s.value.clone());
    let parts = |key: &str| -> Vec<String> {
        fields
            .iter()
            .zip(field_attrs)
            .filter_map(|(f, fa)| {
                let part = fa
                    .storm
                    .as_ref()
                    .filter(|p| p.key.as_ref().is_some_and(|k| k.value == key))?;
                let identifier = part.identifier.as_ref().map_or_else(
                    || {
                        f.stored
                            .chars()
                            .next()
                            .map(|c| c.to_uppercase().collect())
                            .unwrap_or_default()
                    },
                    |i| i.value.clone(),
                );
                Some(format!("{}#{{{}}}", literal(&identifier), f.name))
            })
            .collect()
    };
    let with_suffix = |mut p: Vec<String>| {
        p.push(literal(&suffix));
        p.join("#")
    };
    let (pk, sk, gsi) = (parts("pk"), parts("sk"), parts("gsi"));
    for (empty, key) in [(pk.is_empty(), "pk"), (sk.is_empty(), "sk")] {
        if empty {
            errors.at(
                span,
                format!("a single-table-orm entity needs a `storm({key})` field"),
                format!("mark the fields of its {key} with `#[dynorm(storm({key}))]` (an empty key cannot be stored)"),
            );
        }
    }
    a.pk = Some(Sp::new(with_suffix(pk), span));
    a.sk = Some(Sp::new(sk.join("#"), span));
    if !gsi.is_empty() {
        a.indexes.push(IndexAttr {
            span,
            name: Some(Sp::new("GSI1".to_owned(), span)),
            pk: Some(Sp::new(with_suffix(gsi), span)),
            sk: None,
            pk_fields: None,
            sk_fields: None,
        });
    }
}

/// Text written as a template literal (braces doubled).
fn literal(text: &str) -> String {
    text.replace('{', "{{").replace('}', "}}")
}

/// The named fields of the struct; reports any other shape, and generics.
fn named_fields<'a>(input: &'a syn::DeriveInput, errors: &mut Errors) -> Option<&'a syn::FieldsNamed> {
    let named = match &input.data {
        syn::Data::Struct(syn::DataStruct {
            fields: syn::Fields::Named(named),
            ..
        }) => Some(named),
        _ => {
            errors.at(
                input.ident.span(),
                "`#[derive(Entity)]` needs a struct with named fields",
                "write `struct Integration { tenant_name: String, ... }`",
            );
            None
        }
    };
    if !input.generics.params.is_empty() {
        errors.at(
            input.generics.span(),
            "`#[derive(Entity)]` does not support generic types",
            "give the entity concrete field types",
        );
    }
    named
}

/// Each field's options, checked for an entity, and its model.
fn parse_fields<'a>(
    named: Option<&'a syn::FieldsNamed>,
    errors: &mut Errors,
) -> (Vec<Field<'a>>, Vec<crate::attr::FieldAttrs>) {
    let mut fields: Vec<Field<'_>> = Vec::new();
    let mut field_attrs = Vec::new();
    let mut extra: Option<String> = None;
    for f in named.iter().flat_map(|n| n.named.iter()) {
        let Some(ident) = &f.ident else { continue };
        let name = ident.unraw().to_string();
        let a = crate::attr::parse_field(&f.attrs, errors);
        reject_table_options(&a, errors);
        check::check_extra_field(&name, &a, &mut extra, errors);
        if a.skip.is_some() {
            check_skipped(&a, &name, errors);
        }
        fields.push(field_model(f, ident, name, &a));
        field_attrs.push(a);
    }
    (fields, field_attrs)
}

/// Reports the field options of tables that have no meaning on an entity.
fn reject_table_options(a: &crate::attr::FieldAttrs, errors: &mut Errors) {
    for (span, option, hint) in [
        (
            a.partition_key,
            "partition_key",
            "entity keys come from templates: write `#[dynorm(pk = \"...{field}...\")]` on the struct",
        ),
        (
            a.sort_key,
            "sort_key",
            "entity keys come from templates: write `#[dynorm(sk = \"...{field}...\")]` on the struct",
        ),
        (
            a.ttl,
            "ttl",
            "an entity has no TTL of its own; store the expiry in a field the table's TTL names",
        ),
    ] {
        if let Some(span) = span {
            errors.at(span, format!("`{option}` is not an entity field option"), hint);
        }
    }
}

/// Reports the options of a skipped field that would have no effect.
fn check_skipped(a: &crate::attr::FieldAttrs, name: &str, errors: &mut Errors) {
    for (span, what) in [
        (a.rename.as_ref().map(|r| r.span), "rename"),
        (a.codec.as_ref().map(|c| c.span), "a codec"),
        (a.immutable, "immutable"),
        (a.mutate.as_ref().map(|m| m.span), "mutate"),
    ] {
        if let Some(span) = span {
            errors.at(
                span,
                format!("`{name}` is skipped (not stored), so {what} has no effect"),
                "remove it, or `skip`",
            );
        }
    }
}

/// The model of one field from its options.
fn field_model<'a>(
    f: &'a syn::Field,
    ident: &'a syn::Ident,
    name: String,
    a: &crate::attr::FieldAttrs,
) -> Field<'a> {
    Field {
        ident,
        stored: a
            .rename
            .as_ref()
            .map_or_else(|| name.clone(), |r| r.value.clone()),
        ty: &f.ty,
        kind: check::field_kind(a),
        codec: check::codec_model(a, &f.ty, false),
        default: check::default_model(a),
        option: option_inner(&f.ty).is_some(),
        description: a
            .description
            .as_ref()
            .map(|d| d.value.clone())
            .or_else(|| doc_text(&f.attrs)),
        key: false,
        immutable: a.immutable.is_some(),
        mutate: a
            .mutate
            .as_ref()
            .map(|m| quote::ToTokens::to_token_stream(&m.value)),
        name,
    }
}

/// Reports two stored fields with the same stored name.
fn check_stored_names(fields: &[Field<'_>], errors: &mut Errors) {
    for (i, f) in fields.iter().enumerate() {
        if f.kind == FieldKind::Stored
            && let Some(other) = fields[..i]
                .iter()
                .find(|o| o.kind == FieldKind::Stored && o.stored == f.stored)
        {
            errors.at(
                f.ident.span(),
                format!(
                    "fields `{}` and `{}` are both stored as `{}`",
                    other.name, f.name, f.stored
                ),
                "give each field its own stored name",
            );
        }
    }
}

/// The joined attributes, checked: each named apart from fields and other joins, its sources
/// stored fields.
fn check_joins(
    attrs: &Attrs,
    fields: &[Field<'_>],
    stored_fields: &[&str],
    errors: &mut Errors,
) -> Vec<JoinModel> {
    let mut joins: Vec<JoinModel> = Vec::new();
    for j in &attrs.joins {
        let Some(attribute) = &j.attribute else {
            errors.at(
                j.span,
                "a join needs its `attribute`",
                "write `join(attribute = \"user_action\", fields(user_id, action))`",
            );
            continue;
        };
        if fields
            .iter()
            .any(|f| f.name == attribute.value || f.stored == attribute.value)
            || joins.iter().any(|o| o.attribute == attribute.value)
        {
            errors.at(
                attribute.span,
                format!(
                    "joined attribute `{}` has the name of a field or another join",
                    attribute.value
                ),
                "give the joined attribute a name of its own",
            );
            continue;
        }
        joins.push(JoinModel {
            attribute: attribute.value.clone(),
            sources: join_sources(j, attribute, fields, stored_fields, errors),
            separator: j
                .separator
                .as_ref()
                .map_or_else(|| "~".to_owned(), |s| s.value.clone()),
        });
    }
    joins
}

/// The sources of a join as field indexes; reports a missing list and unknown fields.
fn join_sources(
    j: &JoinAttr,
    attribute: &Sp<String>,
    fields: &[Field<'_>],
    stored_fields: &[&str],
    errors: &mut Errors,
) -> Vec<usize> {
    let mut sources = Vec::new();
    match &j.fields {
        Some(list_) if !list_.value.is_empty() => {
            for part in &list_.value {
                match fields
                    .iter()
                    .position(|f| f.name == part.value && f.kind == FieldKind::Stored)
                {
                    Some(i) => sources.push(i),
                    None => {
                        let hint = closest(&part.value, stored_fields.iter().copied())
                            .map(|s| format!("did you mean `{s}`?"))
                            .unwrap_or_else(|| format!("the stored fields are: {}", list(stored_fields)));
                        errors.at(
                            part.span,
                            format!(
                                "join `{}` names no stored field `{}`",
                                attribute.value, part.value
                            ),
                            hint,
                        );
                    }
                }
            }
        }
        _ => errors.at(
            j.span,
            format!("join `{}` names no fields", attribute.value),
            "list its sources: `fields(user_id, action)`",
        ),
    }
    sources
}

/// Reports a missing `table` or `pk`.
fn check_required(attrs: &Attrs, errors: &mut Errors) {
    if attrs.table.is_none() {
        errors.at(
            Span::call_site(),
            "missing `table`: an entity is stored in a shared table",
            "write `#[dynorm(table = AppTable)]`, where `AppTable` implements `dynorm::entity::SingleTable`",
        );
    }
    if attrs.pk.is_none() {
        errors.at(
            Span::call_site(),
            "missing `pk`: the template of the entity's partition key",
            "write `#[dynorm(pk = \"T#{tenant_name}\")]`",
        );
    }
}

/// The key templates, checked: the table's, then each index's in order.
fn check_keys(
    attrs: &Attrs,
    targets: (&[Field<'_>], &[JoinModel], &[&str]),
    errors: &mut Errors,
) -> Vec<KeyModel> {
    let mut keys: Vec<KeyModel> = Vec::new();
    if let Some(pk) = &attrs.pk {
        keys.extend(check_template(pk, None, "partition key", targets, errors));
    }
    if let Some(sk) = &attrs.sk {
        keys.extend(check_template(sk, None, "sort key", targets, errors));
    }
    let mut index_names: Vec<String> = Vec::new();
    for index in &attrs.indexes {
        check_index(index, &mut index_names, &mut keys, targets, errors);
    }
    keys
}

/// Checks one index: named, once, with a template; adds its keys. `index_names`: the indexes
/// seen so far.
fn check_index(
    index: &IndexAttr,
    index_names: &mut Vec<String>,
    keys: &mut Vec<KeyModel>,
    targets: (&[Field<'_>], &[JoinModel], &[&str]),
    errors: &mut Errors,
) {
    let Some(name) = &index.name else {
        errors.at(
            index.span,
            "an index needs its `name`",
            "write `index(name = \"gsi1\", pk = \"...\", sk = \"...\")`",
        );
        return;
    };
    if index_names.contains(&name.value) {
        errors.at(
            name.span,
            format!("index `{}` is given twice", name.value),
            "give each index's templates once",
        );
        return;
    }
    index_names.push(name.value.clone());
    if index.pk.is_none() && index.sk.is_none() {
        errors.at(
            index.span,
            format!("index `{}` gives no key template", name.value),
            "write `pk = \"...\"` and/or `sk = \"...\"`",
        );
    }
    if let Some(pk) = &index.pk {
        keys.extend(check_template(pk, Some(name), "partition key", targets, errors));
    }
    if let Some(sk) = &index.sk {
        keys.extend(check_template(sk, Some(name), "sort key", targets, errors));
    }
}

/// The multi-attribute indexes, checked: each named, once (templates' indexes included), with
/// field lists only, `pk(..)` of 1 to 4 stored fields and `sk(..)` of at most 4, none twice.
fn check_multi_indexes(
    attrs: &Attrs,
    fields: &[Field<'_>],
    stored_fields: &[&str],
    errors: &mut Errors,
) -> Vec<MultiModel> {
    let mut out: Vec<MultiModel> = Vec::new();
    for index in &attrs.multi {
        let Some(name) = &index.name else {
            errors.at(
                index.span,
                "an index needs its `name`",
                "write `index(name = \"by_region\", pk(tenant, region), sk(created))`",
            );
            continue;
        };
        let taken = attrs
            .indexes
            .iter()
            .filter_map(|i| i.name.as_ref().map(|n| n.value.as_str()))
            .chain(out.iter().map(|m| m.name.value.as_str()))
            .any(|n| n == name.value);
        if taken {
            errors.at(
                name.span,
                format!("index `{}` is given twice", name.value),
                "give each index once",
            );
            continue;
        }
        if index.pk.is_some() || index.sk.is_some() {
            errors.at(
                index.span,
                format!("index `{}` mixes key templates and field lists", name.value),
                "a multi-attribute index stores its fields whole: write `pk(a, b)` and `sk(c)`, no templates",
            );
            continue;
        }
        let mut seen: Vec<usize> = Vec::new();
        let mut part = |list: Option<&Sp<Vec<Sp<String>>>>, role: &str, errors: &mut Errors| {
            key_field_list(
                list,
                (&name.value, role),
                (fields, stored_fields),
                &mut seen,
                errors,
            )
        };
        let pk = part(index.pk_fields.as_ref(), "pk", errors);
        let sk = part(index.sk_fields.as_ref(), "sk", errors);
        if index.pk_fields.is_none() {
            errors.at(
                index.span,
                format!("index `{}` gives `sk(..)` but no `pk(..)`", name.value),
                "list the fields of its partition key: `pk(tenant, region)`",
            );
        }
        out.push(MultiModel {
            name: name.clone(),
            pk,
            sk,
        });
    }
    out
}

/// One key's field list, checked: 1 to 4 stored fields (DynamoDB's limit), none already used by
/// the index; each with the token naming it.
fn key_field_list(
    list_: Option<&Sp<Vec<Sp<String>>>>,
    (index, role): (&str, &str),
    (fields, stored_fields): (&[Field<'_>], &[&str]),
    seen: &mut Vec<usize>,
    errors: &mut Errors,
) -> Vec<(usize, Span)> {
    let Some(list_) = list_ else { return Vec::new() };
    if list_.value.is_empty() || list_.value.len() > 4 {
        errors.at(
            list_.span,
            format!(
                "`{role}` of index `{index}` lists {} fields; DynamoDB allows 1 to 4",
                list_.value.len()
            ),
            "a multi-attribute key has one to four attributes",
        );
    }
    let mut out = Vec::new();
    for part in &list_.value {
        let Some(i) = fields
            .iter()
            .position(|f| f.name == part.value && f.kind == FieldKind::Stored)
        else {
            let hint = closest(&part.value, stored_fields.iter().copied())
                .map(|s| format!("did you mean `{s}`?"))
                .unwrap_or_else(|| format!("the stored fields are: {}", list(stored_fields)));
            errors.at(
                part.span,
                format!("index `{index}` names no stored field `{}`", part.value),
                hint,
            );
            continue;
        };
        if seen.contains(&i) {
            errors.at(
                part.span,
                format!("index `{index}` names field `{}` twice", part.value),
                "each field is one attribute of the key, once",
            );
            continue;
        }
        seen.push(i);
        out.push((i, part.span));
    }
    out
}

/// Which fields a key reads, directly or through a join.
fn read_by_keys(keys: &[KeyModel], joins: &[JoinModel], len: usize) -> Vec<bool> {
    let mut is_key = vec![false; len];
    for k in keys {
        for p in &k.fields {
            match *p {
                Placed::Field(i) => is_key[i] = true,
                Placed::Join(j) => joins[j].sources.iter().for_each(|&i| is_key[i] = true),
            }
        }
    }
    is_key
}

/// A template segment as a `::dynorm::entity::TemplatePart` constant.
fn template_part(segment: &Segment) -> TokenStream {
    match segment {
        Segment::Literal(text) => quote!(::dynorm::entity::TemplatePart::Literal(#text)),
        Segment::Field { name, width } => {
            let width = match width {
                Some(w) => quote!(::core::option::Option::Some(#w)),
                None => quote!(::core::option::Option::None),
            };
            quote!(::dynorm::entity::TemplatePart::Field { name: #name, width: #width })
        }
    }
}

/// What the expansion reads, gathered once.
struct Gen<'a> {
    input: &'a syn::DeriveInput,
    table: &'a syn::Path,
    attrs: &'a Attrs,
    fields: &'a [Field<'a>],
    joins: &'a [JoinModel],
    keys: &'a [KeyModel],
    multi: &'a [MultiModel],
    /// The entity type's name as stored.
    entity: String,
    /// The stored fields, in order.
    stored: Vec<&'a Field<'a>>,
    /// The name of the item being built or read, as tokens and as an ident.
    item: TokenStream,
    item_ident: syn::Ident,
    /// `schema_version` and `upgrades`, checked.
    schema: Option<&'a check::Schema>,
}

impl Gen<'_> {
    fn placed_name(&self, p: &Placed) -> &str {
        match *p {
            Placed::Field(i) => self.fields[i].name.as_str(),
            Placed::Join(j) => self.joins[j].attribute.as_str(),
        }
    }

    /// The fields a placeholder depends on (a join: its sources).
    fn placed_fields(&self, p: &Placed) -> Vec<usize> {
        match *p {
            Placed::Field(i) => vec![i],
            Placed::Join(j) => self.joins[j].sources.clone(),
        }
    }
}

fn expand(
    input: &syn::DeriveInput,
    table: &syn::Path,
    attrs: &Attrs,
    (fields, joins): (&[Field<'_>], &[JoinModel]),
    (keys, multi): (&[KeyModel], &[MultiModel]),
    hooks: [Option<usize>; 3],
    schema: Option<&check::Schema>,
) -> TokenStream {
    let entity = attrs
        .entity
        .as_ref()
        .map_or_else(|| input.ident.unraw().to_string(), |e| e.value.clone());
    let g = Gen {
        input,
        table,
        attrs,
        fields,
        joins,
        keys,
        multi,
        entity,
        stored: fields.iter().filter(|f| f.kind == FieldKind::Stored).collect(),
        item: quote!(__dynorm_item),
        item_ident: syn::Ident::new("__dynorm_item", Span::call_site()),
        schema,
    };
    let typed = typed_paths_of(
        &input.ident,
        &input.vis,
        fields,
        &format!("entity `{}`", g.entity),
        &quote!(__LAYOUT.name),
        &g.item_ident,
    );
    let layout = layout_items(&g);
    let join_fns = join_items(&g);
    let entity_impl = entity_impl(&g);
    let table_impl = table_impl(&g, hooks);
    let key_impl = key_impl(&g);

    // Generated names follow the user's field names (dynamojo's camelCase too): no naming lint.
    quote! {
        #[allow(non_snake_case)]
        const _: () = {
            #typed

            #layout

            #join_fns

            #entity_impl

            #table_impl

            #key_impl
        };
    }
}

/// The layout, the key templates, the const checks against the layout and the key type asserts.
fn layout_items(g: &Gen<'_>) -> TokenStream {
    let table = g.table;
    let key_consts = g.keys.iter().map(|k| key_const(g, k));
    let index_consts = g.multi.iter().map(|m| multi_index_const(g, m));
    let mut checks = layout_checks(g);
    checks.extend(g.multi.iter().flat_map(|m| multi_index_checks(g, m)));
    let asserts = key_asserts(g);
    quote! {
        const __LAYOUT: ::dynorm::entity::Layout = <#table as ::dynorm::entity::SingleTable>::LAYOUT;
        const __KEYS: &[::dynorm::entity::KeyTemplate] = &[#(#key_consts),*];
        const __INDEXES: &[::dynorm::entity::MultiAttributeIndex] = &[#(#index_consts),*];
        const _: () = { #(#checks)* };

        fn __dynorm_assert_key<T: ::dynorm::KeyAttribute>() {}
        #[allow(dead_code)]
        fn __dynorm_assert_keys() { #(#asserts)* }
    }
}

/// Const checks against the table's layout, each spanned at the option it checks: the sort key
/// given exactly when the layout has one, and an index given only one template must not need
/// the other.
fn layout_checks(g: &Gen<'_>) -> Vec<TokenStream> {
    let entity = &g.entity;
    let mut checks = Vec::new();
    let sk_check = if let Some(sk) = &g.attrs.sk {
        let msg = format!("entity `{entity}` gives `sk`, but the table's layout has no sort key");
        let span = sk.span;
        quote_spanned!(span=> if __LAYOUT.sort_key.is_none() { ::core::panic!(#msg) })
    } else {
        let msg = format!("entity `{entity}` needs `sk = \"...\"`: the table's layout has a sort key");
        quote!(if __LAYOUT.sort_key.is_some() {
            ::core::panic!(#msg)
        })
    };
    checks.push(sk_check);
    for index in &g.attrs.indexes {
        let Some(name) = &index.name else { continue };
        let n = &name.value;
        let span = name.span;
        if index.pk.is_none() {
            let msg = format!("entity `{entity}`: global index `{n}` needs `pk = \"...\"`");
            checks.push(
                quote_spanned!(span=> if let ::core::option::Option::Some(i) = __LAYOUT.index(#n)
                && i.partition_key.is_some() { ::core::panic!(#msg) }),
            );
        }
        if index.sk.is_none() {
            let msg = format!("entity `{entity}`: index `{n}` has its own sort key; give `sk = \"...\"`");
            checks.push(
                quote_spanned!(span=> if let ::core::option::Option::Some(i) = __LAYOUT.index(#n)
                && let ::core::option::Option::Some(a) = i.sort_key
                && !(match __LAYOUT.sort_key {
                    ::core::option::Option::Some(t) => ::dynorm::entity::str_eq(a, t),
                    ::core::option::Option::None => false,
                }) { ::core::panic!(#msg) }),
            );
        }
        if index.pk.is_none() && index.sk.is_none() {
            let msg = format!("entity `{entity}`: `{n}` is not an index of the table's layout");
            checks.push(quote_spanned!(span=> if __LAYOUT.index(#n).is_none() { ::core::panic!(#msg) }));
        }
    }
    checks
}

/// One `MultiAttributeIndex` constant; each attribute's key type is evaluated at compile time,
/// a const panic at the field's token when the field is not stored as a string, number or binary.
fn multi_index_const(g: &Gen<'_>, m: &MultiModel) -> TokenStream {
    let n = &m.name.value;
    let entity = &g.entity;
    let part = |keys: &[(usize, Span)]| -> Vec<TokenStream> {
        keys.iter()
            .map(|&(i, span)| {
                let f = &g.fields[i];
                let (field, stored) = (&f.name, &f.stored);
                let attribute_type = crate::expand::attribute_type(f);
                let msg = format!(
                    "entity `{entity}`: index `{n}` reads field `{field}`, which is not stored as a string, number or binary (a key attribute's types)"
                );
                quote_spanned! {span=>
                    ::dynorm::entity::IndexField {
                        field: #field,
                        attribute: #stored,
                        key_type: match (#attribute_type).scalar_type() {
                            ::core::option::Option::Some(t) => t,
                            ::core::option::Option::None => ::core::panic!(#msg),
                        },
                    }
                }
            })
            .collect()
    };
    let (pk, sk) = (part(&m.pk), part(&m.sk));
    quote! {
        ::dynorm::entity::MultiAttributeIndex { name: #n, partition_key: &[#(#pk),*], sort_key: &[#(#sk),*] }
    }
}

/// Const checks of a multi-attribute index against the layout, each at its token: the name is
/// not one of the layout's indexes (global with templates, or local), no attribute is a key
/// attribute of the layout, and no `Option` field is read when the layout stores `None` as NULL
/// (DynamoDB refuses NULL in an index key).
fn multi_index_checks(g: &Gen<'_>, m: &MultiModel) -> Vec<TokenStream> {
    let entity = &g.entity;
    let n = &m.name.value;
    let taken = format!(
        "entity `{entity}`: `{n}` is an index of the table's layout (keys from templates, or a local index); multi-attribute keys are global indexes of the entity's own: give it another name"
    );
    let mut checks =
        vec![quote_spanned!(m.name.span=> if __LAYOUT.index(#n).is_some() { ::core::panic!(#taken) })];
    for &(i, span) in m.pk.iter().chain(&m.sk) {
        let f = &g.fields[i];
        let stored = &f.stored;
        let key = format!(
            "entity `{entity}`: index `{n}` reads field `{}`, stored as `{stored}`, a key attribute of the table's layout (written from templates)",
            f.name
        );
        checks.push(quote_spanned!(span=> if __LAYOUT.is_key_attribute(#stored) { ::core::panic!(#key) }));
        if f.option {
            let null = format!(
                "entity `{entity}`: index `{n}` reads `Option` field `{}`, but the layout's stored form writes `None` as NULL, which DynamoDB refuses in an index key",
                f.name
            );
            checks.push(quote_spanned!(span=> if matches!(__LAYOUT.form.none, ::dynorm::format::NoneForm::Null) { ::core::panic!(#null) }));
        }
    }
    checks
}

/// One `KeyTemplate` constant.
fn key_const(g: &Gen<'_>, k: &KeyModel) -> TokenStream {
    let template = &k.template.value;
    let field_names: Vec<&str> = k.fields.iter().map(|p| g.placed_name(p)).collect();
    let (index, attribute, sparse) = match &k.index {
        None => {
            let attribute = if k.role == "partition key" {
                quote!(__LAYOUT.partition_key)
            } else {
                quote!(match __LAYOUT.sort_key {
                    ::core::option::Option::Some(a) => a,
                    ::core::option::Option::None => "",
                })
            };
            (quote!(::core::option::Option::None), attribute, false)
        }
        Some(name) => {
            let n = &name.value;
            let attribute = index_key_attribute(g, k, name);
            (
                quote!(::core::option::Option::Some(#n)),
                attribute,
                index_sparse(g, n),
            )
        }
    };
    let parts = k.segments.iter().map(template_part);
    quote! {
        ::dynorm::entity::KeyTemplate {
            index: #index,
            attribute: #attribute,
            template: #template,
            parts: &[#(#parts),*],
            fields: &[#(#field_names),*],
            sparse: #sparse,
            form: __LAYOUT.form,
        }
    }
}

/// The attribute an index key is stored in, read from the layout at compile time; a const
/// panic (spanned at the index's name) when the layout's index does not fit the template.
fn index_key_attribute(g: &Gen<'_>, k: &KeyModel, name: &Sp<String>) -> TokenStream {
    let entity = &g.entity;
    let n = &name.value;
    let span = name.span;
    let unknown = format!("entity `{entity}`: `{n}` is not an index of the table's layout");
    if k.role == "partition key" {
        let local = format!(
            "entity `{entity}`: `{n}` is a local index, which shares the table's partition key; leave out `pk`"
        );
        quote_spanned!(span=> match __LAYOUT.index(#n) {
            ::core::option::Option::Some(i) => match i.partition_key {
                ::core::option::Option::Some(a) => a,
                ::core::option::Option::None => ::core::panic!(#local),
            },
            ::core::option::Option::None => ::core::panic!(#unknown),
        })
    } else {
        let none = format!("entity `{entity}`: index `{n}` has no sort key; leave out `sk`");
        let shared = format!(
            "entity `{entity}`: index `{n}` sorts on the table's sort key, which the entity's `sk` composes; leave out the index's `sk`"
        );
        quote_spanned!(span=> match __LAYOUT.index(#n) {
            ::core::option::Option::Some(i) => match i.sort_key {
                ::core::option::Option::Some(a) => {
                    if let ::core::option::Option::Some(t) = __LAYOUT.sort_key
                        && ::dynorm::entity::str_eq(a, t)
                    {
                        ::core::panic!(#shared)
                    }
                    a
                }
                ::core::option::Option::None => ::core::panic!(#none),
            },
            ::core::option::Option::None => ::core::panic!(#unknown),
        })
    }
}

/// Every key of an index is sparse when any field of the index is optional.
fn index_sparse(g: &Gen<'_>, n: &str) -> bool {
    g.keys
        .iter()
        .filter(|o| o.index.as_ref().is_some_and(|o| o.value == *n))
        // A joined attribute is never absent (a missing source joins as "").
        .any(|o| {
            o.fields
                .iter()
                .any(|p| matches!(p, Placed::Field(i) if g.fields[*i].option))
        })
}

/// Key fields must be key attribute types (a field with a codec is checked when rendered).
fn key_asserts(g: &Gen<'_>) -> Vec<TokenStream> {
    let mut asserts = Vec::new();
    let mut asserted = Vec::new();
    let read_by_keys = g
        .keys
        .iter()
        .flat_map(|k| k.fields.iter().flat_map(|p| g.placed_fields(p)));
    let read_by_joins = g.joins.iter().flat_map(|j| j.sources.iter().copied());
    for i in read_by_keys.chain(read_by_joins) {
        if asserted.contains(&i) || g.fields[i].codec.is_some() {
            continue;
        }
        asserted.push(i);
        let f = &g.fields[i];
        let ty = option_inner(f.ty).unwrap_or(f.ty);
        asserts.push(quote_spanned!(ty.span()=> __dynorm_assert_key::<#ty>();));
    }
    asserts
}

/// Match arms from a placeholder's name to the attribute it reads in an item: a stored field
/// or a joined attribute.
fn lookup_arms(g: &Gen<'_>) -> Vec<TokenStream> {
    let item = &g.item;
    g.stored
        .iter()
        .map(|f| {
            let name = &f.name;
            let stored = &f.stored;
            quote!(#name => #item.get(#stored),)
        })
        .chain(g.joins.iter().map(|j| {
            let name = &j.attribute;
            quote!(#name => #item.get(#name),)
        }))
        .collect()
}

/// The joined attributes, and the functions adding them to an item and building the table key
/// of an item.
fn join_items(g: &Gen<'_>) -> TokenStream {
    let item = &g.item;
    let fields = g.fields;
    let join_consts = g.joins.iter().map(|j| {
        let attribute = &j.attribute;
        let sources = j.sources.iter().map(|&i| fields[i].name.as_str());
        let separator = &j.separator;
        quote!(::dynorm::entity::JoinedAttribute { attribute: #attribute, fields: &[#(#sources),*], separator: #separator })
    });
    let join_lookup = g.stored.iter().map(|f| {
        let name = &f.name;
        let stored = &f.stored;
        quote!(#name => #item.get(#stored).cloned(),)
    });
    let lookup_arms = lookup_arms(g);
    let table_keys: usize = if g.attrs.sk.is_some() { 2 } else { 1 };
    quote! {
        const __JOINED: &[::dynorm::entity::JoinedAttribute] = &[#(#join_consts),*];

        /// Adds the joined attributes, computed from the stored fields.
        fn __dynorm_join(#item: &mut ::dynorm::Item) -> ::core::result::Result<(), ::dynorm::EncodeError> {
            for join in __JOINED {
                let text = join
                    .render(|name| match name {
                        #(#join_lookup)*
                        _ => ::core::option::Option::None,
                    })
                    .map_err(|e| e.at(__LAYOUT.name, join.attribute))?;
                #item.insert(::std::borrow::ToOwned::to_owned(join.attribute), ::dynorm::AttributeValue::S(text));
            }
            ::core::result::Result::Ok(())
        }

        fn __dynorm_table_key(
            #item: &::dynorm::Item,
        ) -> ::core::result::Result<::dynorm::Item, ::dynorm::EncodeError> {
            let mut #item = #item.clone();
            __dynorm_join(&mut #item)?;
            let mut __dynorm_key = ::dynorm::Item::new();
            ::dynorm::entity::put_keys(&mut __dynorm_key, &__KEYS[..#table_keys], &__LAYOUT, |name| match name {
                #(#lookup_arms)*
                _ => ::core::option::Option::None,
            })?;
            ::core::result::Result::Ok(__dynorm_key)
        }
    }
}

/// `impl Entity`: its constants, the mutators, `to_entity_item` and the decoding.
fn entity_impl(g: &Gen<'_>) -> TokenStream {
    let ident = &g.input.ident;
    let table = g.table;
    let entity = &g.entity;
    let item = &g.item;
    let field_infos = g.stored.iter().map(|f| {
        let name = &f.name;
        let stored = &f.stored;
        let optional = f.option;
        let immutable = f.immutable;
        quote!(::dynorm::entity::FieldInfo { name: #name, stored: #stored, optional: #optional, immutable: #immutable })
    });
    let mutate_arms = mutate_arms(g);
    let to_entity_item = to_entity_item(g);
    let decodes = decodes(g);
    let upgrade = g.schema.map(|schema| {
        crate::expand::upgrade_on_read(
            schema,
            &g.item_ident,
            |old| quote!(<#old as ::dynorm::entity::Entity>::from_item_checked(#item, ownership)),
        )
    });
    let store_aliases = g.attrs.store_aliases.as_ref().filter(|s| !s.value).map(|_| {
        quote!(
            const STORE_ALIASES: bool = false;
        )
    });
    quote! {
        impl ::dynorm::entity::Entity for #ident {
            type Table = #table;
            const ENTITY_TYPE: &'static str = #entity;
            const KEYS: &'static [::dynorm::entity::KeyTemplate] = __KEYS;
            const FIELDS: &'static [::dynorm::entity::FieldInfo] = &[#(#field_infos),*];
            const JOINED: &'static [::dynorm::entity::JoinedAttribute] = __JOINED;
            const VERSIONED_BY: ::core::option::Option<&'static str> =
                <Self as ::dynorm::Table>::VERSION_ATTRIBUTE;
            const INDEXES: &'static [::dynorm::entity::MultiAttributeIndex] = __INDEXES;
            #store_aliases

            fn mutate_stored(
                field: &str,
                value: ::dynorm::AttributeValue,
            ) -> ::core::result::Result<::core::option::Option<::dynorm::AttributeValue>, ::dynorm::EncodeError> {
                match field {
                    #(#mutate_arms)*
                    _ => ::core::result::Result::Ok(::core::option::Option::Some(value)),
                }
            }

            #to_entity_item

            fn entity_definition() -> ::dynorm::entity::EntityDefinition {
                let mut definition = ::dynorm::entity::EntityDefinition::of::<Self>();
                definition.schema_version = <Self as ::dynorm::Table>::SCHEMA_VERSION;
                definition
            }

            fn from_item_checked(
                mut #item: ::dynorm::Item,
                ownership: ::dynorm::entity::Ownership,
            ) -> ::core::result::Result<Self, ::dynorm::DecodeError> {
                ::dynorm::entity::check_entity_type(&#item, &__LAYOUT, #entity, ownership)?;
                #upgrade
                ::dynorm::entity::restore_fields::<Self>(&mut #item)?;
                ::core::result::Result::Ok(Self { #(#decodes)* })
            }
        }
    }
}

/// `mutate_stored`'s arms: a field with a mutator decoded, and encoded again (which mutates).
fn mutate_arms(g: &Gen<'_>) -> Vec<TokenStream> {
    let item = &g.item;
    g.stored
        .iter()
        .filter(|f| f.mutate.is_some())
        .map(|f| {
            let name = &f.name;
            let stored_name = &f.stored;
            let ty = f.ty;
            let decoded = syn::Ident::new("__dynorm_decoded", Span::call_site());
            let decode = decode_field(f, &g.item_ident, &quote!(&mut #item), quote!(__LAYOUT.name));
            let encode = encode_field(f, quote!(&#decoded));
            quote! {
                #name => {
                    let mut #item = ::dynorm::Item::new();
                    #item.insert(::std::borrow::ToOwned::to_owned(#stored_name), value);
                    let #decoded: #ty = (|| -> ::core::result::Result<#ty, ::dynorm::DecodeError> {
                        let #decoded: #ty = #decode;
                        ::core::result::Result::Ok(#decoded)
                    })()
                    .map_err(|e| ::dynorm::EncodeError::new(::std::string::ToString::to_string(&e)))?;
                    #encode
                }
            }
        })
        .collect()
}

/// `to_entity_item`: the stored fields, the joins, every key and the entity type.
fn to_entity_item(g: &Gen<'_>) -> TokenStream {
    let item = &g.item;
    let entity = &g.entity;
    let puts = g.stored.iter().map(|f| {
        let fi = f.ident;
        let name = &f.stored;
        let value = encode_field(f, quote!(&self.#fi));
        quote!(::dynorm::__private::put(&mut #item, __LAYOUT.name, #name, #value)?;)
    });
    let lookup_arms = lookup_arms(g);
    let capacity = g.stored.len() + g.joins.len() + g.keys.len() + 1;
    let extra = g
        .fields
        .iter()
        .filter(|f| f.kind == FieldKind::Extra)
        .map(|f| crate::expand::put_extra(f, &g.item_ident, quote!(__LAYOUT.name)));
    let stamp = g.schema.map(|s| {
        let current = s.version;
        quote!(::dynorm::__private::put_schema_version(&mut #item, #current);)
    });
    quote! {
        fn to_entity_item(&self) -> ::core::result::Result<::dynorm::Item, ::dynorm::EncodeError> {
            // Fields, joins, keys and the entity type: sized once.
            let mut #item = ::dynorm::Item::with_capacity(#capacity);
            #(#puts)*
            __dynorm_join(&mut #item)?;
            let mut __dynorm_keys = ::dynorm::Item::with_capacity(__KEYS.len());
            ::dynorm::entity::put_keys(&mut __dynorm_keys, __KEYS, &__LAYOUT, |name| match name {
                #(#lookup_arms)*
                _ => ::core::option::Option::None,
            })?;
            #item.extend(__dynorm_keys);
            if let ::core::option::Option::Some(a) = __LAYOUT.entity_attribute {
                #item.insert(::std::borrow::ToOwned::to_owned(a), ::dynorm::AttributeValue::S(::std::borrow::ToOwned::to_owned(#entity)));
            }
            #(#extra)*
            #stamp
            ::dynorm::entity::finish_item::<Self>(&mut #item);
            ::core::result::Result::Ok(#item)
        }
    }
}

/// Each field's initialiser when decoding: a skipped field its default, a stored one decoded.
fn decodes(g: &Gen<'_>) -> Vec<TokenStream> {
    let item = &g.item;
    // The extra field last (a struct literal evaluates in the order written): it keeps what the
    // other fields left.
    let extra = g.fields.iter().filter(|f| f.kind == FieldKind::Extra).map(|f| {
        let fi = f.ident;
        let value = crate::expand::take_extra(f, &g.item_ident);
        quote!(#fi: #value,)
    });
    g.fields
        .iter()
        .filter(|f| f.kind != FieldKind::Extra)
        .map(|f| {
            let fi = f.ident;
            let ty = f.ty;
            if f.kind == FieldKind::Skip {
                let value = f.default.as_ref().map_or_else(
                    || quote_spanned!(ty.span()=> ::core::default::Default::default()),
                    |d| d.expr.clone(),
                );
                return quote!(#fi: #value,);
            }
            let value = decode_field(f, &g.item_ident, &quote!(&mut #item), quote!(__LAYOUT.name));
            quote!(#fi: #value,)
        })
        .chain(extra)
        .collect()
}

/// The fields the table keys read (through joins too), in order, each once.
fn key_fields(g: &Gen<'_>) -> Vec<usize> {
    let mut key_fields: Vec<usize> = Vec::new();
    for k in g.keys.iter().filter(|k| k.index.is_none()) {
        for i in k.fields.iter().flat_map(|p| g.placed_fields(p)) {
            if !key_fields.contains(&i) {
                key_fields.push(i);
            }
        }
    }
    key_fields
}

/// Puts of the key fields into the item, each read by `value` (given the field and its type).
fn key_field_puts(
    g: &Gen<'_>,
    key_fields: &[usize],
    value: impl Fn(&syn::Ident, &syn::Type) -> TokenStream,
) -> Vec<TokenStream> {
    let item = &g.item;
    key_fields
        .iter()
        .map(|&i| {
            let f = &g.fields[i];
            let stored = &f.stored;
            let value = encode_field(f, value(f.ident, f.ty));
            quote!(::dynorm::__private::put(&mut #item, __LAYOUT.name, #stored, #value)?;)
        })
        .collect()
}

/// `impl Table`: the hooks, the definition from the layout, and the rest through `Entity`.
fn table_impl(g: &Gen<'_>, hooks: [Option<usize>; 3]) -> TokenStream {
    let ident = &g.input.ident;
    let item = &g.item;
    let table_hooks = crate::expand::hook_items(g.fields, hooks);
    let key_self_puts = key_field_puts(g, &key_fields(g), |fi, _| quote!(&self.#fi));
    let schema_items = g.schema.map(crate::expand::schema_table_items);
    let entity = &g.entity;
    quote! {
        impl ::dynorm::Table for #ident {
            #table_hooks
            #schema_items
            const STORED_FORM: ::dynorm::StoredForm = __LAYOUT.form;
            const ENTITY_NAME: ::core::option::Option<&'static str> = ::core::option::Option::Some(#entity);

            fn owns_stored(item: &::dynorm::Item) -> bool {
                ::dynorm::entity::owns_item::<Self>(item)
            }

            fn definition() -> &'static ::dynorm::TableDefinition {
                static DEFINITION: ::dynorm::__private::OnceLock<::dynorm::TableDefinition> =
                    ::dynorm::__private::OnceLock::new();
                DEFINITION.get_or_init(::dynorm::entity::definition_of::<Self>)
            }

            fn to_item(&self) -> ::core::result::Result<::dynorm::Item, ::dynorm::EncodeError> {
                <Self as ::dynorm::entity::Entity>::to_entity_item(self)
            }

            fn from_item(item: ::dynorm::Item) -> ::core::result::Result<Self, ::dynorm::DecodeError> {
                <Self as ::dynorm::entity::Entity>::from_entity_item(item)
            }

            fn stored_attributes() -> ::std::vec::Vec<&'static str> {
                ::dynorm::entity::stored_attributes::<Self>()
            }

            fn complete_update(
                key: &::dynorm::Item,
                update: &::dynorm::expr::Update,
            ) -> ::core::result::Result<::dynorm::expr::Update, ::dynorm::Error> {
                ::dynorm::entity::complete_update::<Self>(key, update)
            }

            fn key_item(&self) -> ::core::result::Result<::dynorm::Item, ::dynorm::EncodeError> {
                let mut #item = ::dynorm::Item::new();
                #(#key_self_puts)*
                __dynorm_table_key(&#item)
            }
        }
    }
}

/// The key builder: `Entity::key(..)` from the fields the table keys read.
fn key_impl(g: &Gen<'_>) -> TokenStream {
    let ident = &g.input.ident;
    let vis = &g.input.vis;
    let item = &g.item;
    let key_fields = key_fields(g);
    let params = key_fields.iter().map(|&i| {
        let f = &g.fields[i];
        let fi = f.ident;
        let ty = f.ty;
        quote!(#fi: impl ::core::convert::Into<#ty>)
    });
    let key_puts = key_field_puts(
        g,
        &key_fields,
        |fi, ty| quote!(&::core::convert::Into::<#ty>::into(#fi)),
    );
    let key_doc = format!(
        "The primary key of an `{}` from its key fields: {}.",
        g.entity,
        key_fields
            .iter()
            .map(|&i| format!("`{}`", g.fields[i].name))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let index_keys = g.multi.iter().map(|m| {
        let found: Vec<&Field<'_>> = m.pk.iter().map(|&(i, _)| &g.fields[i]).collect();
        crate::expand::index_key_function(vis, &m.name.value, &found)
    });
    quote! {
        impl #ident {
            #(#index_keys)*

            #[doc = #key_doc]
            #[allow(dead_code)]
            #vis fn key(#(#params),*) -> ::dynorm::Key<Self> {
                let build = || -> ::core::result::Result<::dynorm::Item, ::dynorm::EncodeError> {
                    let mut #item = ::dynorm::Item::new();
                    #(#key_puts)*
                    __dynorm_table_key(&#item)
                };
                ::dynorm::Key::from_result(build())
            }
        }
    }
}
