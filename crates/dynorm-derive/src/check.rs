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

pub(crate) fn check(input: &syn::DeriveInput) -> syn::Result<Model<'_>> {
    let mut errors = Errors::default();

    let named = match &input.data {
        syn::Data::Struct(syn::DataStruct {
            fields: syn::Fields::Named(named),
            ..
        }) => named,
        syn::Data::Struct(_) => {
            return Err(error(
                input.ident.span(),
                "`#[derive(Table)]` needs a struct with named fields",
                "each field is an attribute: write `struct Name { id: String, ... }`",
            ));
        }
        syn::Data::Enum(e) => {
            return Err(error(
                e.enum_token.span,
                "`#[derive(Table)]` works on structs, not enums",
                "write `struct Name { id: String, ... }`; store an enum in a field with `#[dynorm(json)]`",
            ));
        }
        syn::Data::Union(u) => {
            return Err(error(
                u.union_token.span,
                "`#[derive(Table)]` works on structs, not unions",
                "write `struct Name { id: String, ... }`",
            ));
        }
    };
    if !input.generics.params.is_empty() || input.generics.where_clause.is_some() {
        errors.at(
            input.generics.span(),
            "`#[derive(Table)]` does not support generic structs",
            "a table has one fixed schema: use concrete field types (a generic payload can go in a `Json<T>` field of a concrete struct)",
        );
    }

    let table_attrs = attr::parse_table(&input.attrs, &mut errors);
    let compat = table_attrs.compat.as_ref().map(|c| c.value);
    let da_vinci = compat == Some(Compat::DaVinci);
    let rule = table_attrs
        .rename_all
        .as_ref()
        .map(|r| r.value)
        .or(da_vinci.then_some(RenameRule::Pascal));
    let stored_name = |rename: Option<&Sp<String>>, name: &str| match (rename, rule) {
        (Some(r), _) => r.value.clone(),
        (None, Some(rule)) => rule.apply(name),
        (None, None) => name.to_owned(),
    };

    let table = match &table_attrs.table {
        Some(t) => t.value.clone(),
        None => {
            errors.at(
                input.ident.span(),
                format!("`{}` has no table name", input.ident),
                "add `#[dynorm(table = \"table_name\")]` to the struct",
            );
            String::new()
        }
    };

    // Fields.
    let mut fields = Vec::with_capacity(named.named.len());
    let mut field_attrs = Vec::with_capacity(named.named.len());
    let mut ttl_field: Option<Sp<String>> = None;
    for f in &named.named {
        let Some(ident) = f.ident.as_ref() else {
            continue;
        };
        let a = attr::parse_field(&f.attrs, &mut errors);
        let name = ident.unraw().to_string();
        let option = option_inner(&f.ty).is_some();

        if a.skip.is_some() {
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
        if let (Some(_), Some(sk)) = (a.partition_key, a.sort_key) {
            errors.at(
                sk,
                format!("`{name}` cannot be both the partition key and the sort key"),
                "mark one field `#[dynorm(partition_key)]` and another `#[dynorm(sort_key)]`",
            );
        }
        if let Some(ttl) = a.ttl {
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
                ttl_field = Some(Sp::new(name.clone(), ttl));
            }
        }

        let codec = codec_model(&a, &f.ty, da_vinci);
        let default = default_model(&a);
        if let (Some(span), true) = (a.immutable, a.skip.is_some()) {
            errors.at(
                span,
                format!("`{name}` is skipped (not stored), so it cannot be immutable"),
                "remove `immutable` or `skip`",
            );
        }

        fields.push(Field {
            ident,
            stored: stored_name(a.rename.as_ref(), &name),
            name,
            ty: &f.ty,
            kind: if a.skip.is_some() {
                FieldKind::Skip
            } else {
                FieldKind::Stored
            },
            codec,
            default,
            option,
            description: a
                .description
                .as_ref()
                .map(|d| d.value.clone())
                .or_else(|| doc_text(&f.attrs)),
            key: false,
            immutable: a.immutable.is_some(),
            mutate: a.mutate.as_ref().map(|m| m.value.to_token_stream()),
        });
        field_attrs.push(a);
    }
    let field_names: Vec<String> = fields.iter().map(|f| f.name.clone()).collect();
    let find_field = |name: &str| field_names.iter().position(|f| f == name);

    // Composites.
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
        if find_field(&name.value).is_some() {
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
        let index = composites.len();
        let mut parts = Vec::new();
        match &c.fields {
            None => errors.at(
                c.span,
                format!("composite `{}` names no fields", name.value),
                "list its parts: `fields(order_id, user_id)`",
            ),
            Some(list_) if list_.value.is_empty() => errors.at(
                list_.span,
                format!("composite `{}` names no fields", name.value),
                "list its parts: `fields(order_id, user_id)`",
            ),
            Some(list_) => {
                for part in &list_.value {
                    let Some(i) = find_field(&part.value) else {
                        errors.push(unknown_field(part, &field_names, &[]));
                        continue;
                    };
                    let a = &field_attrs[i];
                    let f = &mut fields[i];
                    let broken = if let Some(k) = a.partition_key.or(a.sort_key) {
                        Some((
                            k,
                            format!(
                                "`{}` is a key field, so it cannot be a part of composite `{}`",
                                f.name, name.value
                            ),
                            "remove the field's key option; the composite is the key".to_owned(),
                        ))
                    } else if f.option {
                        Some((
                            f.ty.span(),
                            format!("`{}` is optional, but composite parts are always present", f.name),
                            "use a non-`Option` type for composite parts".to_owned(),
                        ))
                    } else if a.skip.is_some() {
                        Some((
                            part.span,
                            format!(
                                "`{}` is skipped (not stored), so it cannot be a composite part",
                                f.name
                            ),
                            "remove `skip` or leave the field out of the composite".to_owned(),
                        ))
                    } else if let FieldKind::Part(other) = f.kind {
                        let other = composite_names.get(other).cloned().unwrap_or_default();
                        Some((
                            part.span,
                            if other == name.value {
                                format!("`{}` is listed twice in composite `{}`", f.name, name.value)
                            } else {
                                format!("`{}` is already a part of composite `{other}`", f.name)
                            },
                            "a field can be a part of one composite only".to_owned(),
                        ))
                    } else if let Some(d) = &a.default {
                        Some((
                            d.span,
                            format!(
                                "`{}` is a part of composite `{}`, which is always present, so a default has no effect",
                                f.name, name.value
                            ),
                            "remove `default`".to_owned(),
                        ))
                    } else if let Some(t) = a.ttl {
                        Some((
                            t,
                            format!(
                                "`{}` is stored inside composite `{}`, so it cannot be the TTL attribute",
                                f.name, name.value
                            ),
                            "use a field of its own for TTL".to_owned(),
                        ))
                    } else {
                        None
                    };
                    match broken {
                        Some((span, message, help)) => errors.at(span, message, help),
                        None => {
                            f.kind = FieldKind::Part(index);
                            parts.push(i);
                        }
                    }
                }
            }
        }
        let separator = match &c.separator {
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
        };
        composite_names.push(name.value.clone());
        composites.push(Composite {
            stored: stored_name(c.rename.as_ref(), &name.value),
            parts,
            separator,
            escaped: c.escaped.as_ref().map(|e| e.value).unwrap_or(!da_vinci),
            description: c.description.as_ref().map(|d| d.value.clone()),
        });
    }

    // Stored attributes in order; stored names unique.
    let mut stored = Vec::new();
    let mut seen: Vec<(String, Span)> = Vec::new();
    for (i, f) in fields.iter().enumerate() {
        let entry = match f.kind {
            FieldKind::Stored => Stored::Field(i),
            FieldKind::Part(c) if !stored.contains(&Stored::Composite(c)) => Stored::Composite(c),
            _ => continue,
        };
        stored.push(entry);
    }
    for s in &stored {
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
        if seen.iter().any(|(n, _)| n == name) {
            errors.at(
                span,
                format!("two attributes are stored as `{name}`"),
                "give one of them another name with `rename = \"...\"`",
            );
        } else {
            seen.push((name.clone(), span));
        }
    }

    // Resolves a name written in an index, `ttl` or `include(...)`.
    let resolve = |name: &Sp<String>, errors: &mut Errors| -> Option<Target> {
        if let Some(c) = composite_names.iter().position(|c| *c == name.value) {
            return Some(Target::Composite(c));
        }
        let Some(i) = fields.iter().position(|f| f.name == name.value) else {
            errors.push(unknown_field(name, &field_names, &composite_names));
            return None;
        };
        match fields[i].kind {
            FieldKind::Stored => Some(Target::Field(i)),
            FieldKind::Skip => {
                errors.at(
                    name.span,
                    format!("`{}` is skipped, so it is not stored", name.value),
                    "remove `skip` from the field, or name another field",
                );
                None
            }
            FieldKind::Part(c) => {
                errors.at(
                    name.span,
                    format!(
                        "`{}` is stored inside composite `{}`, not as an attribute of its own",
                        name.value, composite_names[c]
                    ),
                    format!("name the composite `{}` instead", composite_names[c]),
                );
                None
            }
        }
    };
    let target_stored = |t: Target| match t {
        Target::Field(i) => fields[i].stored.clone(),
        Target::Composite(c) => composites[c].stored.clone(),
    };

    // Table keys.
    let mut key_marks: Vec<(Stored, Span, bool)> = Vec::new(); // (what, where, is partition key)
    for (i, a) in field_attrs.iter().enumerate() {
        if fields[i].kind == FieldKind::Skip {
            continue;
        }
        if let Some(s) = a.partition_key {
            key_marks.push((Stored::Field(i), s, true));
        }
        if let Some(s) = a.sort_key
            && a.partition_key.is_none()
        {
            key_marks.push((Stored::Field(i), s, false));
        }
    }
    {
        let mut c_index = 0;
        for c in &table_attrs.composites {
            if c.name.is_none() {
                continue;
            }
            if let Some(s) = c.partition_key {
                key_marks.push((Stored::Composite(c_index), s, true));
            }
            if let Some(s) = c.sort_key {
                if c.partition_key.is_some() {
                    errors.at(
                        s,
                        "a composite cannot be both the partition key and the sort key",
                        "keep `partition_key` or `sort_key`",
                    );
                } else {
                    key_marks.push((Stored::Composite(c_index), s, false));
                }
            }
            c_index += 1;
        }
    }
    let stored_display = |s: Stored| match s {
        Stored::Field(i) => fields[i].name.clone(),
        Stored::Composite(c) => composite_names[c].clone(),
    };
    let pick = |partition: bool, errors: &mut Errors| -> Option<Stored> {
        let what = if partition { "partition key" } else { "sort key" };
        let mut found: Option<Stored> = None;
        for (s, span, p) in &key_marks {
            if *p != partition {
                continue;
            }
            match found {
                Some(first) => errors.at(
                    *span,
                    format!(
                        "two {what}s: `{}` and `{}`",
                        stored_display(first),
                        stored_display(*s)
                    ),
                    format!(
                        "a table has one {what}; remove one of the `{}` options",
                        what.replace(' ', "_")
                    ),
                ),
                None => found = Some(*s),
            }
        }
        found
    };
    let partition_key = pick(true, &mut errors);
    let sort_key = pick(false, &mut errors);
    if partition_key.is_none() {
        errors.at(
            input.ident.span(),
            format!("`{}` has no partition key", input.ident),
            "mark the key field with `#[dynorm(partition_key)]` (or give a composite `partition_key`)",
        );
    }

    // Key fields: never optional (but index keys may be), no default, a scalar type.
    let mut is_key = vec![false; fields.len()];
    let mut key_types = Vec::new();
    for (s, _, partition) in &key_marks {
        if let Stored::Field(i) = *s {
            let role = if *partition {
                "the partition key"
            } else {
                "the sort key"
            };
            mark_key(
                &fields[i],
                &field_attrs[i],
                role,
                false,
                &mut is_key[i],
                &mut key_types,
                &mut errors,
            );
        }
    }

    // Indexes.
    let provisioned = matches!(
        table_attrs.billing.as_ref().map(|b| b.value),
        Some(Billing::Provisioned { .. })
    );
    let mut index_names: Vec<String> = Vec::new();
    let mut check_index_name = |name: &Sp<String>, errors: &mut Errors| {
        if index_names.contains(&name.value) {
            errors.at(
                name.span,
                format!("two indexes are named `{}`", name.value),
                "give each index a name of its own",
            );
        } else {
            index_names.push(name.value.clone());
        }
    };
    let mut key_targets: Vec<(Target, String, Span)> = Vec::new();
    let projection = |p: &Option<Sp<Projection>>, errors: &mut Errors| -> ProjectionModel {
        match p.as_ref().map(|p| &p.value) {
            None | Some(Projection::All) => ProjectionModel::All,
            Some(Projection::KeysOnly) => ProjectionModel::KeysOnly,
            Some(Projection::Include(names)) => ProjectionModel::Include(
                names
                    .iter()
                    .filter_map(|n| resolve(n, errors).map(target_stored))
                    .collect(),
            ),
        }
    };

    let mut gsis = Vec::new();
    for (n, g) in table_attrs.gsis.iter().enumerate() {
        if n == MAX_GLOBAL_INDEXES {
            errors.at(
                g.span,
                format!(
                    "{} global secondary indexes, more than DynamoDB's limit of {MAX_GLOBAL_INDEXES}",
                    table_attrs.gsis.len()
                ),
                "remove indexes, or overload one index's keys for several access patterns",
            );
        }
        let name = match &g.name {
            Some(name) => {
                check_index_name(name, &mut errors);
                name.value.clone()
            }
            None => {
                errors.at(
                    g.span,
                    "a global secondary index needs a name",
                    "write `gsi(name = \"email_index\", partition_key = email)`",
                );
                String::new()
            }
        };
        let pk = match &g.partition_key {
            Some(pk) => resolve(pk, &mut errors).map(|t| {
                key_targets.push((t, format!("the partition key of index `{name}`"), pk.span));
                target_stored(t)
            }),
            None => {
                errors.at(
                    g.span,
                    "a global secondary index needs a partition key",
                    "write `gsi(name = \"email_index\", partition_key = email)`",
                );
                None
            }
        };
        let sk = g.sort_key.as_ref().and_then(|sk| {
            resolve(sk, &mut errors).map(|t| {
                key_targets.push((t, format!("the sort key of index `{name}`"), sk.span));
                target_stored(t)
            })
        });
        let capacity = match (&g.read, &g.write) {
            (Some(r), Some(w)) => {
                if !provisioned {
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
        };
        gsis.push(Index {
            name,
            partition_key: Some(pk.unwrap_or_default()),
            has_sort_key: sk.is_some(),
            sort_key: sk.unwrap_or_default(),
            projection: projection(&g.projection, &mut errors),
            capacity,
        });
    }

    let mut lsis = Vec::new();
    for (n, l) in table_attrs.lsis.iter().enumerate() {
        if n == MAX_LOCAL_INDEXES {
            errors.at(
                l.span,
                format!(
                    "{} local secondary indexes, more than DynamoDB's limit of {MAX_LOCAL_INDEXES}",
                    table_attrs.lsis.len()
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
        let name = match &l.name {
            Some(name) => {
                check_index_name(name, &mut errors);
                name.value.clone()
            }
            None => {
                errors.at(
                    l.span,
                    "a local secondary index needs a name",
                    "write `lsi(name = \"by_timestamp\", sort_key = timestamp)`",
                );
                String::new()
            }
        };
        let sk = match &l.sort_key {
            Some(sk) => resolve(sk, &mut errors).and_then(|t| {
                let same = matches!(
                    (t, sort_key),
                    (Target::Field(a), Some(Stored::Field(b))) if a == b
                ) || matches!(
                    (t, sort_key),
                    (Target::Composite(a), Some(Stored::Composite(b))) if a == b
                );
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
                key_targets.push((t, format!("the sort key of index `{name}`"), sk.span));
                Some(target_stored(t))
            }),
            None => {
                errors.at(
                    l.span,
                    "a local secondary index needs a sort key",
                    "write `lsi(name = \"by_timestamp\", sort_key = timestamp)`",
                );
                None
            }
        };
        lsis.push(Index {
            name,
            partition_key: None,
            has_sort_key: true,
            sort_key: sk.unwrap_or_default(),
            projection: projection(&l.projection, &mut errors),
            capacity: None,
        });
    }
    for (t, role, _) in key_targets {
        if let Target::Field(i) = t {
            mark_key(
                &fields[i],
                &field_attrs[i],
                &role,
                true,
                &mut is_key[i],
                &mut key_types,
                &mut errors,
            );
        }
    }

    // TTL.
    let ttl_name = table_attrs.ttl.clone().or(ttl_field);
    let ttl = ttl_name.and_then(|t| resolve(&t, &mut errors).map(target_stored));

    // Tags.
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

    let billing = match table_attrs.billing.as_ref().map(|b| b.value) {
        Some(Billing::Provisioned { read, write }) => {
            if (read == 0 || write == 0)
                && let Some(b) = &table_attrs.billing
            {
                {
                    errors.at(
                        b.span,
                        "provisioned capacity must be at least 1 read and 1 write unit",
                        "write `billing(provisioned(read = 5, write = 5))`",
                    );
                }
            }
            Billing::Provisioned { read, write }
        }
        _ => Billing::OnDemand,
    };

    let hooks = hooks(&mut fields, &field_attrs, &is_key, &mut errors);

    for (f, k) in fields.iter_mut().zip(is_key) {
        // An optional index key is left out when `None` (a sparse index).
        f.key = k && !f.option;
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
        key_types,
        version: hooks[0],
        created_at: hooks[1],
        updated_at: hooks[2],
    })
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
            if let Some(prev) = first_here {
                errors.at(
                    span,
                    format!(
                        "`{}` is already the `{prev}` field, so it cannot also be `{option}`",
                        f.name
                    ),
                    format!("use a field of its own for `{option}`"),
                );
                continue;
            }
            first_here = Some(option);
            if let Some(prev) = found[k] {
                errors.at(
                    span,
                    format!("two `{option}` fields: `{}` and `{}`", fields[prev].name, f.name),
                    format!("a table has one `{option}` field; remove one of the `{option}` options"),
                );
                continue;
            }
            let broken = if f.kind != FieldKind::Stored {
                Some(format!(
                    "`{}` is not stored as an attribute of its own, so it cannot be the `{option}` field",
                    f.name
                ))
            } else if is_key[i] {
                Some(format!(
                    "`{}` is a key, so it cannot be the `{option}` field (keys never change)",
                    f.name
                ))
            } else if a.ttl.is_some() {
                Some(format!(
                    "`{}` is the TTL attribute, so it cannot be the `{option}` field",
                    f.name
                ))
            } else {
                None
            };
            if let Some(message) = broken {
                errors.at(span, message, format!("put `{option}` on another field"));
                continue;
            }
            if k == 0 {
                if f.option {
                    errors.at(
                        f.ty.span(),
                        format!("`{}` is the version, which is never optional", f.name),
                        "use an integer type such as `u64`; an absent version reads as 0",
                    );
                    continue;
                }
                if let Some(c) = &a.codec {
                    errors.at(
                        c.span,
                        format!("`{}` is the version, which is stored as a number", f.name),
                        "remove the codec",
                    );
                    continue;
                }
            } else {
                let inner = option_inner(f.ty).unwrap_or(f.ty);
                let codec_ok = match a.codec.as_ref().map(|c| &c.value) {
                    None => true,
                    Some(Codec::Shorthand(s)) => *s == "epoch_seconds",
                    Some(Codec::With(_)) => false,
                };
                if !(is_datetime(inner) || is_epoch_seconds(inner)) || !codec_ok {
                    errors.at(
                        f.ty.span(),
                        format!("the `{option}` field `{}` must be a timestamp", f.name),
                        "use `DateTime<Utc>`, `Option<DateTime<Utc>>` or `EpochSeconds`, stored as is or with `epoch_seconds`",
                    );
                    continue;
                }
            }
            found[k] = Some(i);
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

/// Checks a field used as a key of the table or of an index.
fn mark_key<'a>(
    f: &Field<'a>,
    a: &attr::FieldAttrs,
    role: &str,
    index: bool,
    is_key: &mut bool,
    key_types: &mut Vec<&'a syn::Type>,
    errors: &mut Errors,
) {
    if *is_key {
        return;
    }
    *is_key = true;
    // An index key may be absent: the item is then not in the index (a sparse index).
    if f.option && index {
        if a.default.is_none() && f.codec.is_none() {
            key_types.push(option_inner(f.ty).unwrap_or(f.ty));
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
        key_types.push(f.ty);
    }
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
