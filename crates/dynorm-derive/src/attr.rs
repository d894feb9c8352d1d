//! Parsing of `#[dynorm(...)]` attributes into plain holders. Each option may be given once
//! (except the repeatable `gsi`, `lsi`, `tag` and `composite`); every problem is collected so that
//! all are reported at once. Cross-field rules live in `check`.

use proc_macro2::{Span, TokenStream};
use syn::ext::IdentExt;
use syn::meta::ParseNestedMeta;
use syn::parse::ParseStream;
use syn::spanned::Spanned;
use syn::{LitBool, LitInt, LitStr, Token};

use crate::case::RenameRule;
use crate::util::{Errors, Sp, closest, error, list};

/// The attribute's name: `#[dynorm(...)]`.
pub(crate) const DYNORM: &str = "dynorm";

// Struct options.
pub(crate) const TABLE: &str = "table";
pub(crate) const DESCRIPTION: &str = "description";
pub(crate) const RENAME_ALL: &str = "rename_all";
pub(crate) const GSI: &str = "gsi";
pub(crate) const LSI: &str = "lsi";
pub(crate) const BILLING: &str = "billing";
pub(crate) const STREAM: &str = "stream";
pub(crate) const TTL: &str = "ttl";
pub(crate) const DELETION_PROTECTION: &str = "deletion_protection";
pub(crate) const TAG: &str = "tag";
pub(crate) const COMPAT: &str = "compat";
pub(crate) const COMPOSITE: &str = "composite";
pub(crate) const STRICT: &str = "strict";
pub(crate) const SCHEMA_VERSION: &str = "schema_version";
pub(crate) const UPGRADES: &str = "upgrades";

// Field options (and options inside `gsi(...)`, `lsi(...)`, `composite(...)`).
pub(crate) const PARTITION_KEY: &str = "partition_key";
pub(crate) const SORT_KEY: &str = "sort_key";
pub(crate) const RENAME: &str = "rename";
pub(crate) const DEFAULT: &str = "default";
pub(crate) const WITH: &str = "with";
pub(crate) const SKIP: &str = "skip";
pub(crate) const NAME: &str = "name";
pub(crate) const PROJECTION: &str = "projection";
pub(crate) const READ: &str = "read";
pub(crate) const WRITE: &str = "write";
pub(crate) const FIELDS: &str = "fields";
pub(crate) const SEPARATOR: &str = "separator";
pub(crate) const ESCAPED: &str = "escaped";
pub(crate) const KEY: &str = "key";
pub(crate) const VALUE: &str = "value";
pub(crate) const VERSION: &str = "version";
pub(crate) const CREATED_AT: &str = "created_at";
pub(crate) const UPDATED_AT: &str = "updated_at";
pub(crate) const IMMUTABLE: &str = "immutable";
pub(crate) const MUTATE: &str = "mutate";
pub(crate) const STORM: &str = "storm";
pub(crate) const EXTRA: &str = "extra";

/// Field shorthands for `with = ::dynorm::codec::<name>`.
pub(crate) const SHORTHANDS: &[&str] = &[
    "json",
    "json_string",
    "epoch_seconds",
    "binary",
    "string_set",
    "number_set",
];

const STRUCT_OPTIONS: &[&str] = &[
    TABLE,
    DESCRIPTION,
    RENAME_ALL,
    GSI,
    LSI,
    BILLING,
    STREAM,
    TTL,
    DELETION_PROTECTION,
    TAG,
    COMPAT,
    COMPOSITE,
    STRICT,
    SCHEMA_VERSION,
    UPGRADES,
];

const FIELD_OPTIONS: &[&str] = &[
    PARTITION_KEY,
    SORT_KEY,
    RENAME,
    DESCRIPTION,
    DEFAULT,
    WITH,
    "json",
    "json_string",
    "epoch_seconds",
    "binary",
    "string_set",
    "number_set",
    SKIP,
    TTL,
    VERSION,
    CREATED_AT,
    UPDATED_AT,
    IMMUTABLE,
    MUTATE,
    STORM,
    EXTRA,
];

const STREAMS: &[(&str, &str)] = &[
    ("keys_only", "KeysOnly"),
    ("new_image", "NewImage"),
    ("old_image", "OldImage"),
    ("new_and_old_images", "NewAndOldImages"),
];

#[derive(Default)]
pub(crate) struct TableAttrs {
    pub(crate) table: Option<Sp<String>>,
    pub(crate) description: Option<Sp<String>>,
    pub(crate) rename_all: Option<Sp<RenameRule>>,
    pub(crate) gsis: Vec<Gsi>,
    pub(crate) lsis: Vec<Lsi>,
    pub(crate) billing: Option<Sp<Billing>>,
    /// The `StreamViewType` variant.
    pub(crate) stream: Option<Sp<&'static str>>,
    pub(crate) ttl: Option<Sp<String>>,
    pub(crate) deletion_protection: Option<Sp<bool>>,
    pub(crate) tags: Vec<Tag>,
    pub(crate) compat: Option<Sp<Compat>>,
    pub(crate) composites: Vec<CompositeAttr>,
    /// The `dynorm::strict::Strict` variant reads of the type use by default.
    pub(crate) strict: Option<Sp<&'static str>>,
    /// `schema_version = N`: the version of the shape this type stores.
    pub(crate) schema_version: Option<Sp<u32>>,
    /// `upgrades(V1, V2, ...)`: the types of the older versions, oldest first.
    pub(crate) upgrades: Option<Sp<Vec<syn::Path>>>,
}

pub(crate) struct Gsi {
    pub(crate) span: Span,
    pub(crate) name: Option<Sp<String>>,
    pub(crate) partition_key: Option<Sp<String>>,
    pub(crate) sort_key: Option<Sp<String>>,
    /// The further attributes of a multi-attribute partition key: `partition_key(a, b)`.
    pub(crate) more_partition_keys: Vec<Sp<String>>,
    /// The further attributes of a multi-attribute sort key: `sort_key(c, d)`.
    pub(crate) more_sort_keys: Vec<Sp<String>>,
    pub(crate) projection: Option<Sp<Projection>>,
    pub(crate) read: Option<Sp<u64>>,
    pub(crate) write: Option<Sp<u64>>,
}

pub(crate) struct Lsi {
    pub(crate) span: Span,
    pub(crate) name: Option<Sp<String>>,
    pub(crate) sort_key: Option<Sp<String>>,
    pub(crate) projection: Option<Sp<Projection>>,
}

pub(crate) enum Projection {
    All,
    KeysOnly,
    Include(Vec<Sp<String>>),
}

#[derive(Clone, Copy)]
pub(crate) enum Billing {
    OnDemand,
    Provisioned { read: u64, write: u64 },
}

pub(crate) struct Tag {
    pub(crate) span: Span,
    pub(crate) key: String,
    pub(crate) value: String,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Compat {
    DaVinci,
    DynamoQuery,
}

pub(crate) struct CompositeAttr {
    pub(crate) span: Span,
    pub(crate) name: Option<Sp<String>>,
    pub(crate) rename: Option<Sp<String>>,
    pub(crate) description: Option<Sp<String>>,
    pub(crate) fields: Option<Sp<Vec<Sp<String>>>>,
    pub(crate) separator: Option<Sp<String>>,
    pub(crate) escaped: Option<Sp<bool>>,
    pub(crate) partition_key: Option<Span>,
    pub(crate) sort_key: Option<Span>,
}

#[derive(Default)]
pub(crate) struct FieldAttrs {
    pub(crate) partition_key: Option<Span>,
    pub(crate) sort_key: Option<Span>,
    pub(crate) rename: Option<Sp<String>>,
    pub(crate) description: Option<Sp<String>>,
    pub(crate) default: Option<Sp<Default>>,
    pub(crate) codec: Option<Sp<Codec>>,
    pub(crate) skip: Option<Span>,
    pub(crate) ttl: Option<Span>,
    pub(crate) version: Option<Span>,
    pub(crate) created_at: Option<Span>,
    pub(crate) updated_at: Option<Span>,
    pub(crate) immutable: Option<Span>,
    pub(crate) mutate: Option<Sp<syn::Path>>,
    /// `storm(pk | sk | gsi, identifier = "X")`: a part of single-table-orm's keys.
    pub(crate) storm: Option<StormPart>,
    /// `extra`: the field keeps the attributes the type does not name.
    pub(crate) extra: Option<Span>,
}

/// Which of single-table-orm's keys a field is part of, and its identifier.
pub(crate) struct StormPart {
    pub(crate) span: Span,
    /// `pk`, `sk` or `gsi`.
    pub(crate) key: Option<Sp<&'static str>>,
    pub(crate) identifier: Option<Sp<String>>,
}

pub(crate) enum Default {
    /// `default`: `Default::default()`.
    Trait,
    /// `default = expr`.
    Expr(syn::Expr),
}

pub(crate) enum Codec {
    /// `with = path`.
    With(syn::Path),
    /// `json`, `json_string`, ...
    Shorthand(&'static str),
}

/// Sets an option once; a second occurrence is an error at the second one.
pub(crate) fn once<T>(slot: &mut Option<T>, value: T, name: &str, span: Span, errors: &mut Errors) {
    if slot.is_some() {
        errors.at(
            span,
            format!("duplicate option `{name}`"),
            format!("give `{name}` once"),
        );
    } else {
        *slot = Some(value);
    }
}

pub(crate) fn option_name(meta: &ParseNestedMeta) -> String {
    meta.path
        .get_ident()
        .map(|i| i.unraw().to_string())
        .unwrap_or_else(|| {
            let p = &meta.path;
            quote::quote!(#p).to_string().replace(' ', "")
        })
}

fn has_value(meta: &ParseNestedMeta) -> bool {
    meta.input.peek(Token![=]) || meta.input.peek(syn::token::Paren)
}

/// Consumes whatever follows an option's name (`= value` or `(...)`).
pub(crate) fn skip_value(meta: &ParseNestedMeta) -> syn::Result<()> {
    if meta.input.peek(Token![=]) {
        meta.input.parse::<Token![=]>()?;
        meta.input.parse::<syn::Expr>()?;
    } else if meta.input.peek(syn::token::Paren) {
        let content;
        syn::parenthesized!(content in meta.input);
        content.parse::<TokenStream>()?;
    }
    Ok(())
}

/// A flag option (`partition_key`): it takes no value.
fn flag(meta: &ParseNestedMeta, name: &str, errors: &mut Errors) -> syn::Result<Span> {
    let span = meta.path.span();
    if has_value(meta) {
        errors.at(
            span,
            format!("`{name}` takes no value"),
            format!("write `{name}` alone, as in `#[dynorm({name})]`"),
        );
        skip_value(meta)?;
    }
    Ok(span)
}

/// The path after `name =`, bare or quoted.
fn path_value(meta: &ParseNestedMeta, name: &str, example: &str) -> syn::Result<syn::Path> {
    let input = meta.value().map_err(|_| {
        error(
            meta.path.span(),
            format!("`{name}` needs a path"),
            format!("write `{name} = {example}`"),
        )
    })?;
    if input.peek(LitStr) {
        let lit: LitStr = input.parse()?;
        lit.parse::<syn::Path>()
    } else {
        input.parse::<syn::Path>()
    }
}

pub(crate) fn string(meta: &ParseNestedMeta, name: &str, example: &str) -> syn::Result<Sp<String>> {
    let input = meta.value().map_err(|_| {
        error(
            meta.path.span(),
            format!("`{name}` needs a value"),
            format!("write `{name} = {example}`"),
        )
    })?;
    let lit: LitStr = input.parse().map_err(|e| {
        error(
            e.span(),
            format!("`{name}` takes a string"),
            format!("write `{name} = {example}`"),
        )
    })?;
    Ok(Sp::new(lit.value(), lit.span()))
}

fn number(meta: &ParseNestedMeta, name: &str) -> syn::Result<Sp<u64>> {
    let input = meta.value().map_err(|_| {
        error(
            meta.path.span(),
            format!("`{name}` needs a value"),
            format!("write `{name} = 5`"),
        )
    })?;
    let lit: LitInt = input.parse().map_err(|e| {
        error(
            e.span(),
            format!("`{name}` takes a whole number of capacity units"),
            format!("write `{name} = 5`"),
        )
    })?;
    Ok(Sp::new(lit.base10_parse()?, lit.span()))
}

/// `upgrades(V1, V2, ..)`: the types of the older versions, oldest first.
pub(crate) fn upgrades(meta: &ParseNestedMeta, span: Span) -> syn::Result<Sp<Vec<syn::Path>>> {
    let mut types = Vec::new();
    meta.parse_nested_meta(|m| {
        types.push(m.path.clone());
        Ok(())
    })?;
    Ok(Sp::new(types, span))
}

/// `schema_version = N`, a whole number from 1.
pub(crate) fn schema_version(meta: &ParseNestedMeta) -> syn::Result<Sp<u32>> {
    let help = format!("write `{SCHEMA_VERSION} = 2`, with `{UPGRADES}(..)` naming the type of version 1");
    let input = meta.value().map_err(|_| {
        error(
            meta.path.span(),
            format!("`{SCHEMA_VERSION}` needs a value"),
            &help,
        )
    })?;
    let lit: LitInt = input.parse().map_err(|e| {
        error(
            e.span(),
            format!("`{SCHEMA_VERSION}` takes a whole number"),
            &help,
        )
    })?;
    match lit.base10_parse::<u32>() {
        Ok(v) if v >= 1 => Ok(Sp::new(v, lit.span())),
        _ => Err(error(lit.span(), "schema versions start at 1", &help)),
    }
}

pub(crate) fn boolean(meta: &ParseNestedMeta, name: &str) -> syn::Result<Sp<bool>> {
    if !meta.input.peek(Token![=]) {
        return Ok(Sp::new(true, meta.path.span()));
    }
    let lit: LitBool = meta.value()?.parse().map_err(|e| {
        error(
            e.span(),
            format!("`{name}` takes `true` or `false`"),
            format!("write `{name}` or `{name} = false`"),
        )
    })?;
    Ok(Sp::new(lit.value, lit.span))
}

/// A name of a field or composite, as an identifier or a string.
fn parse_name(input: ParseStream) -> syn::Result<Sp<String>> {
    if input.peek(LitStr) {
        let lit: LitStr = input.parse()?;
        Ok(Sp::new(lit.value(), lit.span()))
    } else {
        let ident = syn::Ident::parse_any(input)?;
        Ok(Sp::new(ident.unraw().to_string(), ident.span()))
    }
}

fn name_value(meta: &ParseNestedMeta, name: &str) -> syn::Result<Sp<String>> {
    let input = meta.value().map_err(|_| {
        error(
            meta.path.span(),
            format!("`{name}` needs a field name"),
            format!("write `{name} = field_name`"),
        )
    })?;
    parse_name(input).map_err(|e| {
        error(
            e.span(),
            format!("`{name}` takes a field name"),
            format!("write `{name} = field_name` or `{name} = \"field_name\"`"),
        )
    })
}

/// An index key: `key = field` (one attribute) or `key(a, b, ..)` (a multi-attribute key, in
/// order): the first name and the others.
fn key_names(meta: &ParseNestedMeta, name: &str) -> syn::Result<(Sp<String>, Vec<Sp<String>>)> {
    if !meta.input.peek(syn::token::Paren) {
        return Ok((name_value(meta, name)?, Vec::new()));
    }
    let names = name_list(meta, name)?;
    let mut names = names.value.into_iter();
    let first = names.next().ok_or_else(|| {
        error(
            meta.path.span(),
            format!("`{name}(..)` names no fields"),
            format!("write `{name}(field_a, field_b)`, up to 4 fields in order"),
        )
    })?;
    Ok((first, names.collect()))
}

/// `(a, b, c)`: names of fields.
pub(crate) fn name_list(meta: &ParseNestedMeta, name: &str) -> syn::Result<Sp<Vec<Sp<String>>>> {
    let span = meta.path.span();
    if !meta.input.peek(syn::token::Paren) {
        return Err(error(
            span,
            format!("`{name}` takes a list of field names"),
            format!("write `{name}(field_a, field_b)`"),
        ));
    }
    let content;
    syn::parenthesized!(content in meta.input);
    let names = content.parse_terminated(parse_name, Token![,])?;
    Ok(Sp::new(names.into_iter().collect(), span))
}

pub(crate) fn unknown(
    meta: &ParseNestedMeta,
    what: &str,
    valid: &[&str],
    elsewhere: Option<(&[&str], &str)>,
) -> syn::Error {
    let name = option_name(meta);
    let span = meta.path.span();
    if let Some((other, place)) = elsewhere
        && other.contains(&name.as_str())
    {
        return error(
            span,
            format!("`{name}` is not a {what} option"),
            format!("put `#[dynorm({name} ...)]` on the {place}"),
        );
    }
    let suggestion = closest(&name, valid.iter().copied())
        .map(|s| format!("; did you mean `{s}`?"))
        .unwrap_or_default();
    error(
        span,
        format!("unknown {what} option `{name}`{suggestion}"),
        format!("valid {what} options are: {}", list(valid)),
    )
}

/// Runs `f` over every option in every `#[dynorm(...)]` attribute, collecting errors.
pub(crate) fn each_option(
    attrs: &[syn::Attribute],
    errors: &mut Errors,
    mut f: impl FnMut(&ParseNestedMeta, &str, &mut Errors) -> syn::Result<()>,
) {
    for attr in attrs {
        if !attr.path().is_ident(DYNORM) {
            continue;
        }
        if let syn::Meta::Path(p) = &attr.meta {
            errors.at(
                p.span(),
                "`#[dynorm]` needs options",
                "write options in parentheses, as in `#[dynorm(table = \"users\")]`",
            );
            continue;
        }
        let mut local = Errors::default();
        let result = attr.parse_nested_meta(|meta| {
            let name = option_name(&meta);
            f(&meta, &name, &mut local)
        });
        if let Err(e) = result {
            local.push(e);
        }
        if let Err(e) = local.finish() {
            errors.push(e);
        }
    }
}

pub(crate) fn parse_table(attrs: &[syn::Attribute], errors: &mut Errors) -> TableAttrs {
    let mut out = TableAttrs::default();
    each_option(attrs, errors, |meta, name, errors| {
        let span = meta.path.span();
        match name {
            TABLE => {
                let v = string(meta, TABLE, "\"users\"")?;
                once(&mut out.table, v, name, span, errors);
            }
            DESCRIPTION => {
                let v = string(meta, DESCRIPTION, "\"what the table holds\"")?;
                once(&mut out.description, v, name, span, errors);
            }
            RENAME_ALL => {
                let v = string(meta, RENAME_ALL, "\"PascalCase\"")?;
                match RenameRule::from_name(&v.value) {
                    Some(rule) => once(&mut out.rename_all, Sp::new(rule, v.span), name, span, errors),
                    None => errors.at(
                        v.span,
                        format!("unknown `rename_all` rule \"{}\"", v.value),
                        format!("use one of {}", list(RenameRule::NAMES)),
                    ),
                }
            }
            GSI => out.gsis.push(parse_gsi(meta, errors)?),
            LSI => out.lsis.push(parse_lsi(meta, errors)?),
            BILLING => {
                let v = parse_billing(meta)?;
                once(&mut out.billing, v, name, span, errors);
            }
            STREAM => {
                let v = string(meta, STREAM, "\"new_and_old_images\"")?;
                match STREAMS.iter().find(|(k, _)| *k == v.value) {
                    Some((_, variant)) => {
                        once(&mut out.stream, Sp::new(*variant, v.span), name, span, errors)
                    }
                    None => errors.at(
                        v.span,
                        format!("unknown stream view type \"{}\"", v.value),
                        format!(
                            "use one of {}",
                            list(STREAMS.iter().map(|(k, _)| format!("\"{k}\"")))
                        ),
                    ),
                }
            }
            TTL => {
                let v = name_value(meta, TTL)?;
                once(&mut out.ttl, v, name, span, errors);
            }
            DELETION_PROTECTION => {
                let v = boolean(meta, DELETION_PROTECTION)?;
                once(&mut out.deletion_protection, v, name, span, errors);
            }
            TAG => {
                if let Some(tag) = parse_tag(meta, errors)? {
                    out.tags.push(tag);
                }
            }
            COMPAT => {
                let v = string(meta, COMPAT, "\"da_vinci\"")?;
                let mode = match v.value.as_str() {
                    "da_vinci" => Some(Compat::DaVinci),
                    "dynamo_query" => Some(Compat::DynamoQuery),
                    _ => None,
                };
                match mode {
                    Some(mode) => once(&mut out.compat, Sp::new(mode, v.span), name, span, errors),
                    None => errors.at(
                        v.span,
                        format!("unknown compatibility mode \"{}\"", v.value),
                        "the modes are `compat = \"da_vinci\"` (Da Vinci's stored form) and \
                         `compat = \"dynamo_query\"` (dynamo_query's stamps and upserts)",
                    ),
                }
            }
            COMPOSITE => out.composites.push(parse_composite(meta, errors)?),
            STRICT => {
                if let Some(v) = parse_strict(meta, errors)? {
                    once(&mut out.strict, v, name, span, errors);
                }
            }
            SCHEMA_VERSION => {
                let v = schema_version(meta)?;
                once(&mut out.schema_version, v, name, span, errors);
            }
            UPGRADES => once(&mut out.upgrades, upgrades(meta, span)?, name, span, errors),
            _ => {
                errors.push(unknown(
                    meta,
                    "struct",
                    STRUCT_OPTIONS,
                    Some((FIELD_OPTIONS, "field")),
                ));
                skip_value(meta)?;
            }
        }
        Ok(())
    });
    out
}

/// `strict` (refuse) or `strict = "refuse" | "warn"`: the `Strict` variant.
fn parse_strict(meta: &ParseNestedMeta, errors: &mut Errors) -> syn::Result<Option<Sp<&'static str>>> {
    if !meta.input.peek(Token![=]) {
        return Ok(Some(Sp::new("Refuse", meta.path.span())));
    }
    let v = string(meta, STRICT, "\"warn\"")?;
    Ok(match v.value.as_str() {
        "refuse" => Some(Sp::new("Refuse", v.span)),
        "warn" => Some(Sp::new("Warn", v.span)),
        other => {
            errors.at(
                v.span,
                format!("unknown strict mode \"{other}\""),
                "write `strict` (unknown attributes fail the read) or `strict = \"warn\"` (a warning event)",
            );
            None
        }
    })
}

/// `tag(key = "..", value = "..")`: both given, once each.
fn parse_tag(meta: &ParseNestedMeta, errors: &mut Errors) -> syn::Result<Option<Tag>> {
    let span = meta.path.span();
    let mut key = None;
    let mut value = None;
    meta.parse_nested_meta(|inner| {
        let inner_name = option_name(&inner);
        let inner_span = inner.path.span();
        match inner_name.as_str() {
            KEY => {
                let v = string(&inner, KEY, "\"team\"")?;
                once(&mut key, v, KEY, inner_span, errors);
            }
            VALUE => {
                let v = string(&inner, VALUE, "\"core\"")?;
                once(&mut value, v, VALUE, inner_span, errors);
            }
            _ => {
                errors.push(unknown(&inner, "tag", &[KEY, VALUE], None));
                skip_value(&inner)?;
            }
        }
        Ok(())
    })?;
    match (key, value) {
        (Some(k), Some(v)) => Ok(Some(Tag {
            span,
            key: k.value,
            value: v.value,
        })),
        _ => {
            errors.at(
                span,
                "a tag needs a key and a value",
                "write `tag(key = \"team\", value = \"core\")`",
            );
            Ok(None)
        }
    }
}

fn parse_projection(meta: &ParseNestedMeta) -> syn::Result<Sp<Projection>> {
    let span = meta.path.span();
    let help = "write `projection = \"all\"`, `projection = \"keys_only\"` or `projection(include(field_a, field_b))`";
    let bad = |span: Span, found: &str| {
        error(
            span,
            format!("unknown projection `{found}`; a projection is \"all\", \"keys_only\" or include(...)"),
            help,
        )
    };
    // One projection: "all" | "keys_only" | all | keys_only | include(a, b).
    let one = |input: ParseStream| -> syn::Result<Sp<Projection>> {
        if input.peek(LitStr) {
            let lit: LitStr = input.parse()?;
            return match lit.value().as_str() {
                "all" => Ok(Sp::new(Projection::All, lit.span())),
                "keys_only" => Ok(Sp::new(Projection::KeysOnly, lit.span())),
                other => Err(bad(lit.span(), other)),
            };
        }
        let ident = syn::Ident::parse_any(input)?;
        match ident.to_string().as_str() {
            "all" => Ok(Sp::new(Projection::All, ident.span())),
            "keys_only" => Ok(Sp::new(Projection::KeysOnly, ident.span())),
            "include" => {
                let content;
                syn::parenthesized!(content in input);
                let names = content.parse_terminated(parse_name, Token![,])?;
                Ok(Sp::new(
                    Projection::Include(names.into_iter().collect()),
                    ident.span(),
                ))
            }
            other => Err(bad(ident.span(), other)),
        }
    };
    if meta.input.peek(Token![=]) {
        one(meta.value()?)
    } else if meta.input.peek(syn::token::Paren) {
        let content;
        syn::parenthesized!(content in meta.input);
        let p = one(&content)?;
        if !content.is_empty() {
            return Err(error(
                content.span(),
                "a projection is one of \"all\", \"keys_only\" or include(...)",
                help,
            ));
        }
        Ok(p)
    } else {
        Err(error(span, "`projection` needs a value", help))
    }
}

fn parse_gsi(meta: &ParseNestedMeta, errors: &mut Errors) -> syn::Result<Gsi> {
    let mut gsi = Gsi {
        span: meta.path.span(),
        name: None,
        partition_key: None,
        sort_key: None,
        more_partition_keys: Vec::new(),
        more_sort_keys: Vec::new(),
        projection: None,
        read: None,
        write: None,
    };
    const VALID: &[&str] = &[NAME, PARTITION_KEY, SORT_KEY, PROJECTION, READ, WRITE];
    if !meta.input.peek(syn::token::Paren) {
        return Err(error(
            gsi.span,
            "`gsi` needs its settings",
            "write `gsi(name = \"email_index\", partition_key = email)`",
        ));
    }
    meta.parse_nested_meta(|inner| {
        let name = option_name(&inner);
        let span = inner.path.span();
        match name.as_str() {
            NAME => {
                let v = string(&inner, NAME, "\"email_index\"")?;
                once(&mut gsi.name, v, NAME, span, errors);
            }
            PARTITION_KEY => {
                let (first, more) = key_names(&inner, PARTITION_KEY)?;
                if gsi.partition_key.is_none() {
                    gsi.more_partition_keys = more;
                }
                once(&mut gsi.partition_key, first, PARTITION_KEY, span, errors);
            }
            SORT_KEY => {
                let (first, more) = key_names(&inner, SORT_KEY)?;
                if gsi.sort_key.is_none() {
                    gsi.more_sort_keys = more;
                }
                once(&mut gsi.sort_key, first, SORT_KEY, span, errors);
            }
            PROJECTION => {
                let v = parse_projection(&inner)?;
                once(&mut gsi.projection, v, PROJECTION, span, errors);
            }
            READ => {
                let v = number(&inner, READ)?;
                once(&mut gsi.read, v, READ, span, errors);
            }
            WRITE => {
                let v = number(&inner, WRITE)?;
                once(&mut gsi.write, v, WRITE, span, errors);
            }
            _ => {
                errors.push(unknown(&inner, "gsi", VALID, None));
                skip_value(&inner)?;
            }
        }
        Ok(())
    })?;
    Ok(gsi)
}

fn parse_lsi(meta: &ParseNestedMeta, errors: &mut Errors) -> syn::Result<Lsi> {
    let mut lsi = Lsi {
        span: meta.path.span(),
        name: None,
        sort_key: None,
        projection: None,
    };
    const VALID: &[&str] = &[NAME, SORT_KEY, PROJECTION];
    if !meta.input.peek(syn::token::Paren) {
        return Err(error(
            lsi.span,
            "`lsi` needs its settings",
            "write `lsi(name = \"by_timestamp\", sort_key = timestamp)`",
        ));
    }
    meta.parse_nested_meta(|inner| {
        let name = option_name(&inner);
        let span = inner.path.span();
        match name.as_str() {
            NAME => {
                let v = string(&inner, NAME, "\"by_timestamp\"")?;
                once(&mut lsi.name, v, NAME, span, errors);
            }
            SORT_KEY if inner.input.peek(syn::token::Paren) => {
                errors.at(
                    span,
                    "a local secondary index has a single sort-key attribute",
                    "multi-attribute keys are for global indexes: write `gsi(name = .., partition_key = .., sort_key(a, b))`",
                );
                // The first is kept, so the index is not also reported as lacking a sort key.
                let (first, _) = key_names(&inner, SORT_KEY)?;
                once(&mut lsi.sort_key, first, SORT_KEY, span, errors);
            }
            SORT_KEY => {
                let v = name_value(&inner, SORT_KEY)?;
                once(&mut lsi.sort_key, v, SORT_KEY, span, errors);
            }
            PROJECTION => {
                let v = parse_projection(&inner)?;
                once(&mut lsi.projection, v, PROJECTION, span, errors);
            }
            PARTITION_KEY => {
                errors.at(
                    span,
                    "a local secondary index has the table's partition key",
                    "give only `sort_key`; use `gsi(...)` for an index with another partition key",
                );
                skip_value(&inner)?;
            }
            _ => {
                errors.push(unknown(&inner, "lsi", VALID, None));
                skip_value(&inner)?;
            }
        }
        Ok(())
    })?;
    Ok(lsi)
}

fn parse_billing(meta: &ParseNestedMeta) -> syn::Result<Sp<Billing>> {
    let span = meta.path.span();
    let help = "write `billing = \"on_demand\"` or `billing(provisioned(read = 5, write = 5))`";
    if meta.input.peek(Token![=]) {
        let lit: LitStr = meta.value()?.parse()?;
        return match lit.value().as_str() {
            "on_demand" => Ok(Sp::new(Billing::OnDemand, lit.span())),
            "provisioned" => Err(error(
                lit.span(),
                "provisioned billing needs its capacity",
                "write `billing(provisioned(read = 5, write = 5))`",
            )),
            other => Err(error(
                lit.span(),
                format!("unknown billing mode \"{other}\""),
                help,
            )),
        };
    }
    if !meta.input.peek(syn::token::Paren) {
        return Err(error(span, "`billing` needs a value", help));
    }
    let mut billing = None;
    meta.parse_nested_meta(|inner| {
        let name = option_name(&inner);
        if billing.is_some() {
            return Err(error(inner.path.span(), "give one billing mode", help));
        }
        match name.as_str() {
            "on_demand" => billing = Some(Sp::new(Billing::OnDemand, inner.path.span())),
            "provisioned" => {
                let mut read = None;
                let mut write = None;
                let mut errors = Errors::default();
                inner.parse_nested_meta(|cap| {
                    let cap_span = cap.path.span();
                    match option_name(&cap).as_str() {
                        READ => {
                            let v = number(&cap, READ)?;
                            once(&mut read, v, READ, cap_span, &mut errors);
                        }
                        WRITE => {
                            let v = number(&cap, WRITE)?;
                            once(&mut write, v, WRITE, cap_span, &mut errors);
                        }
                        _ => return Err(unknown(&cap, "provisioned", &[READ, WRITE], None)),
                    }
                    Ok(())
                })?;
                errors.finish()?;
                match (read, write) {
                    (Some(r), Some(w)) => {
                        billing = Some(Sp::new(
                            Billing::Provisioned {
                                read: r.value,
                                write: w.value,
                            },
                            inner.path.span(),
                        ))
                    }
                    _ => {
                        return Err(error(
                            inner.path.span(),
                            "provisioned billing needs both read and write capacity",
                            "write `billing(provisioned(read = 5, write = 5))`",
                        ));
                    }
                }
            }
            other => {
                return Err(error(
                    inner.path.span(),
                    format!("unknown billing mode `{other}`"),
                    help,
                ));
            }
        }
        Ok(())
    })?;
    billing.ok_or_else(|| error(span, "`billing` needs a value", help))
}

fn parse_composite(meta: &ParseNestedMeta, errors: &mut Errors) -> syn::Result<CompositeAttr> {
    let mut c = CompositeAttr {
        span: meta.path.span(),
        name: None,
        rename: None,
        description: None,
        fields: None,
        separator: None,
        escaped: None,
        partition_key: None,
        sort_key: None,
    };
    const VALID: &[&str] = &[
        NAME,
        FIELDS,
        SEPARATOR,
        ESCAPED,
        PARTITION_KEY,
        SORT_KEY,
        RENAME,
        DESCRIPTION,
    ];
    let example = "write `composite(name = \"composite_key\", fields(order_id, user_id), partition_key)`";
    if !meta.input.peek(syn::token::Paren) {
        return Err(error(c.span, "`composite` needs its settings", example));
    }
    meta.parse_nested_meta(|inner| {
        let name = option_name(&inner);
        let span = inner.path.span();
        match name.as_str() {
            NAME => {
                let v = name_value(&inner, NAME)?;
                once(&mut c.name, v, NAME, span, errors);
            }
            RENAME => {
                let v = string(&inner, RENAME, "\"StoredName\"")?;
                once(&mut c.rename, v, RENAME, span, errors);
            }
            DESCRIPTION => {
                let v = string(&inner, DESCRIPTION, "\"what it holds\"")?;
                once(&mut c.description, v, DESCRIPTION, span, errors);
            }
            FIELDS => {
                let v = name_list(&inner, FIELDS)?;
                once(&mut c.fields, v, FIELDS, span, errors);
            }
            SEPARATOR => {
                let v = string(&inner, SEPARATOR, "\"#\"")?;
                once(&mut c.separator, v, SEPARATOR, span, errors);
            }
            ESCAPED => {
                let v = boolean(&inner, ESCAPED)?;
                once(&mut c.escaped, v, ESCAPED, span, errors);
            }
            PARTITION_KEY => {
                let v = flag(&inner, PARTITION_KEY, errors)?;
                once(&mut c.partition_key, v, PARTITION_KEY, span, errors);
            }
            SORT_KEY => {
                let v = flag(&inner, SORT_KEY, errors)?;
                once(&mut c.sort_key, v, SORT_KEY, span, errors);
            }
            _ => {
                errors.push(unknown(&inner, "composite", VALID, None));
                skip_value(&inner)?;
            }
        }
        Ok(())
    })?;
    Ok(c)
}

pub(crate) fn parse_field(attrs: &[syn::Attribute], errors: &mut Errors) -> FieldAttrs {
    let mut out = FieldAttrs::default();
    each_option(attrs, errors, |meta, name, errors| {
        let span = meta.path.span();
        match name {
            PARTITION_KEY => {
                let v = flag(meta, name, errors)?;
                once(&mut out.partition_key, v, name, span, errors);
            }
            SORT_KEY => {
                let v = flag(meta, name, errors)?;
                once(&mut out.sort_key, v, name, span, errors);
            }
            SKIP => {
                let v = flag(meta, name, errors)?;
                once(&mut out.skip, v, name, span, errors);
            }
            EXTRA => {
                let v = flag(meta, name, errors)?;
                once(&mut out.extra, v, name, span, errors);
            }
            TTL => {
                let v = flag(meta, name, errors)?;
                once(&mut out.ttl, v, name, span, errors);
            }
            VERSION => {
                let v = flag(meta, name, errors)?;
                once(&mut out.version, v, name, span, errors);
            }
            CREATED_AT => {
                let v = flag(meta, name, errors)?;
                once(&mut out.created_at, v, name, span, errors);
            }
            UPDATED_AT => {
                let v = flag(meta, name, errors)?;
                once(&mut out.updated_at, v, name, span, errors);
            }
            IMMUTABLE => {
                let v = flag(meta, name, errors)?;
                once(&mut out.immutable, v, name, span, errors);
            }
            STORM => {
                let part = storm_part(meta, span, errors)?;
                once(&mut out.storm, part, name, span, errors);
            }
            MUTATE => {
                let path = path_value(meta, MUTATE, "crate::normalize::lowercase")?;
                let path_span = path.span();
                once(&mut out.mutate, Sp::new(path, path_span), name, span, errors);
            }
            RENAME => {
                let v = string(meta, RENAME, "\"StoredName\"")?;
                once(&mut out.rename, v, name, span, errors);
            }
            DESCRIPTION => {
                let v = string(meta, DESCRIPTION, "\"what it holds\"")?;
                once(&mut out.description, v, name, span, errors);
            }
            DEFAULT => {
                let v = if meta.input.peek(Token![=]) {
                    Default::Expr(meta.value()?.parse()?)
                } else if meta.input.peek(syn::token::Paren) {
                    skip_value(meta)?;
                    errors.at(
                        span,
                        "`default` takes an expression after `=`",
                        "write `default` (for `Default::default()`) or `default = expression`",
                    );
                    return Ok(());
                } else {
                    Default::Trait
                };
                once(&mut out.default, Sp::new(v, span), name, span, errors);
            }
            WITH => {
                let path = path_value(meta, "with", "crate::path::to::codec")?;
                let codec_span = path.span();
                if out.codec.is_some() {
                    errors.at(
                        span,
                        "a field has one codec",
                        "keep either `with = ...` or the shorthand (`json`, ...)",
                    );
                } else {
                    out.codec = Some(Sp::new(Codec::With(path), codec_span));
                }
            }
            _ => {
                if let Some(short) = SHORTHANDS.iter().find(|s| **s == name) {
                    flag(meta, name, errors)?;
                    if out.codec.is_some() {
                        errors.at(
                            span,
                            "a field has one codec",
                            "keep either `with = ...` or one shorthand (`json`, `json_string`, ...)",
                        );
                    } else {
                        out.codec = Some(Sp::new(Codec::Shorthand(short), span));
                    }
                } else {
                    errors.push(unknown(
                        meta,
                        "field",
                        FIELD_OPTIONS,
                        Some((STRUCT_OPTIONS, "struct")),
                    ));
                    skip_value(meta)?;
                }
            }
        }
        Ok(())
    });
    out
}

/// `storm(pk)`, `storm(sk, identifier = "EMAIL")`, `storm(gsi)`.
fn storm_part(meta: &ParseNestedMeta, span: Span, errors: &mut Errors) -> syn::Result<StormPart> {
    let mut part = StormPart {
        span,
        key: None,
        identifier: None,
    };
    meta.parse_nested_meta(|inner| {
        let name = option_name(&inner);
        let s = inner.path.span();
        match name.as_str() {
            "pk" | "sk" | "gsi" => {
                let key = match name.as_str() {
                    "pk" => "pk",
                    "sk" => "sk",
                    _ => "gsi",
                };
                if part.key.is_some() {
                    errors.at(
                        s,
                        "a field is part of one single-table-orm key",
                        "give one of `pk`, `sk`, `gsi`",
                    );
                }
                part.key = Some(Sp::new(key, s));
            }
            "identifier" => {
                let v = string(&inner, "identifier", "\"EMAIL\"")?;
                once(&mut part.identifier, v, "identifier", s, errors);
            }
            _ => {
                errors.push(unknown(&inner, "storm", &["pk", "sk", "gsi", "identifier"], None));
                skip_value(&inner)?;
            }
        }
        Ok(())
    })?;
    if part.key.is_none() {
        errors.at(
            span,
            "`storm(..)` needs the key the field is part of",
            "write `storm(pk)`, `storm(sk)` or `storm(gsi)`",
        );
    }
    Ok(part)
}
