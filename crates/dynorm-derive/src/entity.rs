//! `#[derive(Entity)]`: an entity type stored in a shared single table, its keys composed from
//! its fields by templates. Parsing, checks (all errors at once, each at its token) and expansion.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::ext::IdentExt;
use syn::meta::ParseNestedMeta;
use syn::spanned::Spanned;

use crate::attr::{each_option, name_list, once as set, option_name, skip_value, string as lit_string};
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

const STRUCT_OPTIONS: &[&str] = &[TABLE, ENTITY, PK, SK, INDEX, JOIN];
const INDEX_OPTIONS: &[&str] = &[NAME, PK, SK];
const JOIN_OPTIONS: &[&str] = &[ATTRIBUTE, FIELDS, SEPARATOR];

#[derive(Default)]
struct Attrs {
    table: Option<syn::Path>,
    entity: Option<Sp<String>>,
    pk: Option<Sp<String>>,
    sk: Option<Sp<String>>,
    indexes: Vec<IndexAttr>,
    joins: Vec<JoinAttr>,
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
                let mut index = IndexAttr {
                    span,
                    name: None,
                    pk: None,
                    sk: None,
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
                a.indexes.push(index);
            }
            JOIN => {
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
                a.joins.push(join);
            }
            _ => {
                errors.push(unknown(meta, "entity", STRUCT_OPTIONS));
                skip_value(meta)?;
            }
        }
        Ok(())
    });
    a
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
    let attrs = parse_attrs(input, &mut errors);

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

    let mut fields: Vec<Field<'_>> = Vec::new();
    let mut field_attrs = Vec::new();
    for f in named.iter().flat_map(|n| n.named.iter()) {
        let Some(ident) = &f.ident else { continue };
        let name = ident.unraw().to_string();
        let a = crate::attr::parse_field(&f.attrs, &mut errors);
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
        let skipped = a.skip.is_some();
        if skipped {
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
        fields.push(Field {
            ident,
            stored: a
                .rename
                .as_ref()
                .map_or_else(|| name.clone(), |r| r.value.clone()),
            ty: &f.ty,
            kind: if skipped {
                FieldKind::Skip
            } else {
                FieldKind::Stored
            },
            codec: check::codec_model(&a, &f.ty, false),
            default: check::default_model(&a),
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
        });
        field_attrs.push(a);
    }
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

    // Joined attributes: templates may read them like fields.
    let stored_fields: Vec<&str> = fields
        .iter()
        .filter(|f| f.kind == FieldKind::Stored)
        .map(|f| f.name.as_str())
        .collect();
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
                                .unwrap_or_else(|| {
                                    format!("the stored fields are: {}", list(&stored_fields))
                                });
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
        joins.push(JoinModel {
            attribute: attribute.value.clone(),
            sources,
            separator: j
                .separator
                .as_ref()
                .map_or_else(|| "~".to_owned(), |s| s.value.clone()),
        });
    }

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

    let names: Vec<&str> = stored_fields
        .iter()
        .copied()
        .chain(joins.iter().map(|j| j.attribute.as_str()))
        .collect();
    let targets = (fields.as_slice(), joins.as_slice(), names.as_slice());
    let mut keys: Vec<KeyModel> = Vec::new();
    if let Some(pk) = &attrs.pk {
        keys.extend(check_template(pk, None, "partition key", targets, &mut errors));
    }
    if let Some(sk) = &attrs.sk {
        keys.extend(check_template(sk, None, "sort key", targets, &mut errors));
    }
    let mut index_names: Vec<String> = Vec::new();
    for index in &attrs.indexes {
        let Some(name) = &index.name else {
            errors.at(
                index.span,
                "an index needs its `name`",
                "write `index(name = \"gsi1\", pk = \"...\", sk = \"...\")`",
            );
            continue;
        };
        if index_names.contains(&name.value) {
            errors.at(
                name.span,
                format!("index `{}` is given twice", name.value),
                "give each index's templates once",
            );
            continue;
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
            keys.extend(check_template(
                pk,
                Some(name),
                "partition key",
                targets,
                &mut errors,
            ));
        }
        if let Some(sk) = &index.sk {
            keys.extend(check_template(sk, Some(name), "sort key", targets, &mut errors));
        }
    }
    // Version and timestamps, checked as on tables; a field a key reads never changes.
    let mut is_key = vec![false; fields.len()];
    for k in &keys {
        for p in &k.fields {
            match *p {
                Placed::Field(i) => is_key[i] = true,
                Placed::Join(j) => joins[j].sources.iter().for_each(|&i| is_key[i] = true),
            }
        }
    }
    let hooks = check::hooks(&mut fields, &field_attrs, &is_key, &mut errors);
    errors.finish()?;
    let (Some(table), Some(_)) = (&attrs.table, &attrs.pk) else {
        return Err(syn::Error::new(Span::call_site(), "unreachable: checked above"));
    };

    Ok(expand(input, table, &attrs, &fields, &joins, &keys, hooks))
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

fn expand(
    input: &syn::DeriveInput,
    table: &syn::Path,
    attrs: &Attrs,
    fields: &[Field<'_>],
    joins: &[JoinModel],
    keys: &[KeyModel],
    hooks: [Option<usize>; 3],
) -> TokenStream {
    let placed_name = |p: &Placed| match *p {
        Placed::Field(i) => fields[i].name.as_str(),
        Placed::Join(j) => joins[j].attribute.as_str(),
    };
    // The fields a placeholder depends on (a join: its sources).
    let placed_fields = |p: &Placed| match *p {
        Placed::Field(i) => vec![i],
        Placed::Join(j) => joins[j].sources.clone(),
    };
    let ident = &input.ident;
    let vis = &input.vis;
    let entity = attrs
        .entity
        .as_ref()
        .map_or_else(|| ident.unraw().to_string(), |e| e.value.clone());
    let has_sk = attrs.sk.is_some();

    // Const checks against the table's layout, each spanned at the option it checks.
    let mut checks = Vec::new();
    let sk_check = if has_sk {
        let msg = format!("entity `{entity}` gives `sk`, but the table's layout has no sort key");
        let span = attrs.sk.as_ref().map_or_else(Span::call_site, |s| s.span);
        quote_spanned!(span=> if __LAYOUT.sort_key.is_none() { ::core::panic!(#msg) })
    } else {
        let msg = format!("entity `{entity}` needs `sk = \"...\"`: the table's layout has a sort key");
        quote!(if __LAYOUT.sort_key.is_some() {
            ::core::panic!(#msg)
        })
    };
    checks.push(sk_check);

    let mut key_consts = Vec::new();
    for k in keys {
        let template = &k.template.value;
        let field_names: Vec<&str> = k.fields.iter().map(placed_name).collect();
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
                let span = name.span;
                let unknown = format!("entity `{entity}`: `{n}` is not an index of the table's layout");
                let attribute = if k.role == "partition key" {
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
                };
                // Every key of an index is sparse when any field of the index is optional.
                let sparse = keys
                    .iter()
                    .filter(|o| o.index.as_ref().is_some_and(|o| o.value == *n))
                    // A joined attribute is never absent (a missing source joins as "").
                    .any(|o| {
                        o.fields
                            .iter()
                            .any(|p| matches!(p, Placed::Field(i) if fields[*i].option))
                    });
                (quote!(::core::option::Option::Some(#n)), attribute, sparse)
            }
        };
        let parts = k.segments.iter().map(template_part);
        key_consts.push(quote! {
            ::dynorm::entity::KeyTemplate {
                index: #index,
                attribute: #attribute,
                template: #template,
                parts: &[#(#parts),*],
                fields: &[#(#field_names),*],
                sparse: #sparse,
            }
        });
    }
    // An index given only one template must not need the other.
    for index in &attrs.indexes {
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

    // Key fields must be key attribute types (a field with a codec is checked when rendered).
    let mut asserts = Vec::new();
    let mut asserted = Vec::new();
    let read_by_keys = keys.iter().flat_map(|k| k.fields.iter().flat_map(placed_fields));
    let read_by_joins = joins.iter().flat_map(|j| j.sources.iter().copied());
    for i in read_by_keys.chain(read_by_joins) {
        if asserted.contains(&i) || fields[i].codec.is_some() {
            continue;
        }
        asserted.push(i);
        let f = &fields[i];
        let ty = option_inner(f.ty).unwrap_or(f.ty);
        asserts.push(quote_spanned!(ty.span()=> __dynorm_assert_key::<#ty>();));
    }

    let item = quote!(__dynorm_item);
    let item_ident = syn::Ident::new("__dynorm_item", Span::call_site());
    let stored: Vec<&Field<'_>> = fields.iter().filter(|f| f.kind == FieldKind::Stored).collect();
    let puts = stored.iter().map(|f| {
        let fi = f.ident;
        let name = &f.stored;
        let value = encode_field(f, quote!(&self.#fi));
        quote!(::dynorm::__private::put(&mut #item, __LAYOUT.name, #name, #value)?;)
    });
    let lookup_arms: Vec<TokenStream> = stored
        .iter()
        .map(|f| {
            let name = &f.name;
            let stored = &f.stored;
            quote!(#name => #item.get(#stored),)
        })
        .chain(joins.iter().map(|j| {
            let name = &j.attribute;
            quote!(#name => #item.get(#name),)
        }))
        .collect();
    let decodes = fields.iter().map(|f| {
        let fi = f.ident;
        let ty = f.ty;
        if f.kind == FieldKind::Skip {
            let value = f.default.as_ref().map_or_else(
                || quote_spanned!(ty.span()=> ::core::default::Default::default()),
                |d| d.expr.clone(),
            );
            return quote!(#fi: #value,);
        }
        let value = decode_field(f, &item_ident, &quote!(&mut #item), quote!(__LAYOUT.name));
        quote!(#fi: #value,)
    });

    // Joined attributes, computed from the stored fields of an item.
    let join_consts = joins.iter().map(|j| {
        let attribute = &j.attribute;
        let sources = j.sources.iter().map(|&i| fields[i].name.as_str());
        let separator = &j.separator;
        quote!(::dynorm::entity::JoinedAttribute { attribute: #attribute, fields: &[#(#sources),*], separator: #separator })
    });
    let join_lookup: Vec<TokenStream> = stored
        .iter()
        .map(|f| {
            let name = &f.name;
            let stored = &f.stored;
            quote!(#name => #item.get(#stored).cloned(),)
        })
        .collect();

    // Key builder: the fields the table keys read (through joins too), in order, each once.
    let table_keys: usize = if has_sk { 2 } else { 1 };
    let mut key_fields: Vec<usize> = Vec::new();
    for k in keys.iter().filter(|k| k.index.is_none()) {
        for i in k.fields.iter().flat_map(placed_fields) {
            if !key_fields.contains(&i) {
                key_fields.push(i);
            }
        }
    }
    let params = key_fields.iter().map(|&i| {
        let f = &fields[i];
        let fi = f.ident;
        let ty = f.ty;
        quote!(#fi: impl ::core::convert::Into<#ty>)
    });
    let key_puts = key_fields.iter().map(|&i| {
        let f = &fields[i];
        let fi = f.ident;
        let ty = f.ty;
        let stored = &f.stored;
        let value = encode_field(f, quote!(&::core::convert::Into::<#ty>::into(#fi)));
        quote!(::dynorm::__private::put(&mut #item, __LAYOUT.name, #stored, #value)?;)
    });
    let key_self_puts = key_fields.iter().map(|&i| {
        let f = &fields[i];
        let fi = f.ident;
        let stored = &f.stored;
        let value = encode_field(f, quote!(&self.#fi));
        quote!(::dynorm::__private::put(&mut #item, __LAYOUT.name, #stored, #value)?;)
    });
    let key_doc = format!(
        "The primary key of an `{entity}` from its key fields: {}.",
        key_fields
            .iter()
            .map(|&i| format!("`{}`", fields[i].name))
            .collect::<Vec<_>>()
            .join(", ")
    );

    let field_infos = stored.iter().map(|f| {
        let name = &f.name;
        let stored = &f.stored;
        let optional = f.option;
        let immutable = f.immutable;
        quote!(::dynorm::entity::FieldInfo { name: #name, stored: #stored, optional: #optional, immutable: #immutable })
    });
    let table_hooks = crate::expand::hook_items(fields, hooks);
    let capacity = stored.len() + joins.len() + keys.len() + 1;
    let mutate_arms = stored.iter().filter(|f| f.mutate.is_some()).map(|f| {
        let name = &f.name;
        let stored_name = &f.stored;
        let ty = f.ty;
        let decoded = syn::Ident::new("__dynorm_decoded", Span::call_site());
        let decode = decode_field(f, &item_ident, &quote!(&mut #item), quote!(__LAYOUT.name));
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
    });

    let typed = typed_paths_of(
        &input.ident,
        vis,
        fields,
        &format!("entity `{entity}`"),
        &quote!(__LAYOUT.name),
        &item_ident,
    );

    quote! {
        const _: () = {
            #typed

            const __LAYOUT: ::dynorm::entity::Layout = <#table as ::dynorm::entity::SingleTable>::LAYOUT;
            const __KEYS: &[::dynorm::entity::KeyTemplate] = &[#(#key_consts),*];
            const _: () = { #(#checks)* };

            fn __dynorm_assert_key<T: ::dynorm::KeyAttribute>() {}
            #[allow(dead_code)]
            fn __dynorm_assert_keys() { #(#asserts)* }

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
                ::dynorm::entity::put_keys(&mut __dynorm_key, &__KEYS[..#table_keys], __LAYOUT.name, |name| match name {
                    #(#lookup_arms)*
                    _ => ::core::option::Option::None,
                })?;
                ::core::result::Result::Ok(__dynorm_key)
            }

            impl ::dynorm::entity::Entity for #ident {
                type Table = #table;
                const ENTITY_TYPE: &'static str = #entity;
                const KEYS: &'static [::dynorm::entity::KeyTemplate] = __KEYS;
                const FIELDS: &'static [::dynorm::entity::FieldInfo] = &[#(#field_infos),*];
                const JOINED: &'static [::dynorm::entity::JoinedAttribute] = __JOINED;

                fn mutate_stored(
                    field: &str,
                    value: ::dynorm::AttributeValue,
                ) -> ::core::result::Result<::core::option::Option<::dynorm::AttributeValue>, ::dynorm::EncodeError> {
                    match field {
                        #(#mutate_arms)*
                        _ => ::core::result::Result::Ok(::core::option::Option::Some(value)),
                    }
                }

                fn to_entity_item(&self) -> ::core::result::Result<::dynorm::Item, ::dynorm::EncodeError> {
                    // Fields, joins, keys and the entity type: sized once.
                    let mut #item = ::dynorm::Item::with_capacity(#capacity);
                    #(#puts)*
                    __dynorm_join(&mut #item)?;
                    let mut __dynorm_keys = ::dynorm::Item::with_capacity(__KEYS.len());
                    ::dynorm::entity::put_keys(&mut __dynorm_keys, __KEYS, __LAYOUT.name, |name| match name {
                        #(#lookup_arms)*
                        _ => ::core::option::Option::None,
                    })?;
                    #item.extend(__dynorm_keys);
                    if let ::core::option::Option::Some(a) = __LAYOUT.entity_attribute {
                        #item.insert(::std::borrow::ToOwned::to_owned(a), ::dynorm::AttributeValue::S(::std::borrow::ToOwned::to_owned(#entity)));
                    }
                    ::core::result::Result::Ok(#item)
                }

                fn from_item_checked(
                    mut #item: ::dynorm::Item,
                    ownership: ::dynorm::entity::Ownership,
                ) -> ::core::result::Result<Self, ::dynorm::DecodeError> {
                    ::dynorm::entity::check_entity_type(&#item, &__LAYOUT, #entity, ownership)?;
                    ::core::result::Result::Ok(Self { #(#decodes)* })
                }
            }

            impl ::dynorm::Table for #ident {
                #table_hooks

                fn definition() -> &'static ::dynorm::TableDefinition {
                    static DEFINITION: ::dynorm::__private::OnceLock<::dynorm::TableDefinition> =
                        ::dynorm::__private::OnceLock::new();
                    DEFINITION.get_or_init(|| __LAYOUT.definition())
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

            impl #ident {
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
        };
    }
}
