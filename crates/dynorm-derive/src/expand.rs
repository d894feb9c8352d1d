//! Code generation for `#[derive(Table)]` from a checked [`Model`].
//!
//! Everything is generated inside `const _: () = { ... };` with `::dynorm` paths; local
//! variables use mixed-site spans so user expressions (defaults) cannot see or shadow them. The
//! per-attribute work is delegated to small `#[inline]` helpers in `dynorm::__private`, which
//! keeps the generated code short.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;

use crate::attr::Billing;
use crate::check::{self, CodecModel, Composite, Field, FieldKind, Index, Model, ProjectionModel, Stored};

pub(crate) fn derive_table(input: &syn::DeriveInput) -> syn::Result<TokenStream> {
    let model = check::check(input)?;
    Ok(expand(&model))
}

fn string(s: &str) -> TokenStream {
    quote!(::std::string::String::from(#s))
}

fn opt_string(s: Option<&str>) -> TokenStream {
    match s {
        Some(s) => {
            let s = string(s);
            quote!(::core::option::Option::Some(#s))
        }
        None => quote!(::core::option::Option::None),
    }
}

fn local(name: &str) -> syn::Ident {
    syn::Ident::new(name, Span::mixed_site())
}

fn expand(m: &Model<'_>) -> TokenStream {
    let ident = m.ident;
    let item = local("item");
    let definition = definition(m);
    let capacity = m.stored.len();
    let puts = puts(m, &item);
    let decodes = decodes(m, &item);
    let inits = m.fields.iter().map(|f| {
        let ident = f.ident;
        let var = var(f);
        quote!(#ident: #var)
    });
    let self_args = key_fields(m).into_iter().map(|i| {
        let ident = m.fields[i].ident;
        quote!(&self.#ident)
    });
    let hooks = hooks(m);
    let (schema_put, schema_read, schema_items) = schema(m, &item);
    let typed = typed_paths(m, &item);
    let key = key_functions(m, &item);
    let index_keys = index_key_functions(m);
    let key_asserts = m
        .key_types
        .iter()
        .map(|ty| quote_spanned!(ty.span()=> const _: fn() = __dynorm_assert_key::<#ty>;));

    // Generated names follow the user's field names (dynamojo's camelCase too): no naming lint.
    quote! {
        #[allow(unused_qualifications, non_snake_case)]
        const _: () = {
            #[automatically_derived]
            impl ::dynorm::Table for #ident {
                fn definition() -> &'static ::dynorm::TableDefinition {
                    static DEFINITION: ::dynorm::__private::OnceLock<::dynorm::TableDefinition> =
                        ::dynorm::__private::OnceLock::new();
                    DEFINITION.get_or_init(|| #definition)
                }

                fn to_item(&self) -> ::core::result::Result<::dynorm::Item, ::dynorm::EncodeError> {
                    let mut #item = ::dynorm::Item::with_capacity(#capacity);
                    #(#puts)*
                    #schema_put
                    ::core::result::Result::Ok(#item)
                }

                fn from_item(mut #item: ::dynorm::Item) -> ::core::result::Result<Self, ::dynorm::DecodeError> {
                    #schema_read
                    #(#decodes)*
                    ::core::result::Result::Ok(Self { #(#inits),* })
                }

                fn key_item(&self) -> ::core::result::Result<::dynorm::Item, ::dynorm::EncodeError> {
                    __dynorm_key_item(#(#self_args),*)
                }

                #hooks
                #schema_items
            }

            #typed

            #key

            #index_keys

            fn __dynorm_assert_key<T: ::dynorm::KeyAttribute>() {}
            #(#key_asserts)*
        };
    }
}

/// `to_item`'s statements: every stored attribute put into `item` (keys with `put_key`, which
/// refuses an empty value).
fn puts(m: &Model<'_>, item: &syn::Ident) -> Vec<TokenStream> {
    let table = &m.table;
    m.stored
        .iter()
        .map(|s| {
            let (stored, value, key) = match *s {
                Stored::Field(i) => {
                    let f = &m.fields[i];
                    let ident = f.ident;
                    (&f.stored, encode_field(f, quote!(&self.#ident)), f.key)
                }
                Stored::Composite(c) => {
                    let comp = &m.composites[c];
                    let key = m.partition_key == *s || m.sort_key == Some(*s);
                    (
                        &comp.stored,
                        encode_composite(m, comp, |f| {
                            let ident = f.ident;
                            quote!(&self.#ident)
                        }),
                        key,
                    )
                }
            };
            let put = if key { quote!(put_key) } else { quote!(put) };
            quote!(::dynorm::__private::#put(&mut #item, #table, #stored, #value)?;)
        })
        .chain(
            m.fields
                .iter()
                .filter(|f| f.kind == FieldKind::Extra)
                .map(|f| put_extra(f, item, quote!(#table))),
        )
        .collect()
}

/// Puts the attributes of the `extra` field `f` into `item` (refusing one the type names).
pub(crate) fn put_extra(f: &Field<'_>, item: &syn::Ident, table: TokenStream) -> TokenStream {
    let ident = f.ident;
    let put = quote_spanned!(f.ty.span()=> ::dynorm::__private::put_extra::<Self, _>);
    quote!(#put(&mut #item, #table, &self.#ident)?;)
}

/// The value of the `extra` field `f`: what is left of `item` once every field took its
/// attribute, less the attributes the type computes (keys, joins, the entity type).
pub(crate) fn take_extra(f: &Field<'_>, item: &syn::Ident) -> TokenStream {
    let ty = f.ty;
    quote_spanned!(ty.span()=> ::dynorm::__private::take_extra::<Self, #ty>(#item))
}

/// `from_item`'s statements: one `let` per field, in declaration order (a composite is split
/// at its first part).
fn decodes(m: &Model<'_>, item: &syn::Ident) -> Vec<TokenStream> {
    let table = &m.table;
    let mut decodes = Vec::new();
    let mut done = vec![false; m.composites.len()];
    for f in &m.fields {
        let (var, ty) = (var(f), f.ty);
        match f.kind {
            FieldKind::Stored => {
                let value = decode_field(f, item, &quote!(&mut #item), table);
                decodes.push(quote!(let #var: #ty = #value;));
            }
            FieldKind::Skip => {
                let value = match &f.default {
                    Some(d) => d.expr.clone(),
                    None => quote_spanned!(f.ty.span()=> ::core::default::Default::default()),
                };
                decodes.push(quote!(let #var: #ty = #value;));
            }
            FieldKind::Part(c) if !done[c] => {
                done[c] = true;
                decodes.extend(decode_composite(m, &m.composites[c], item));
            }
            FieldKind::Part(_) | FieldKind::Extra => {}
        }
    }
    // Last: it keeps what the other fields left.
    for f in m.fields.iter().filter(|f| f.kind == FieldKind::Extra) {
        let (var, ty, value) = (var(f), f.ty, take_extra(f, item));
        decodes.push(quote!(let #var: #ty = #value;));
    }
    decodes
}

/// Statements taking a composite out of `item` and decoding each of its parts into its field's
/// variable.
fn decode_composite(m: &Model<'_>, comp: &Composite, item: &syn::Ident) -> Vec<TokenStream> {
    let table = &m.table;
    let stored = &comp.stored;
    let separator = &comp.separator;
    let escaped = comp.escaped;
    let n = comp.parts.len();
    let texts: Vec<_> = (0..n).map(|k| local(&format!("part{k}"))).collect();
    let mut decodes = vec![quote! {
        let [#(#texts),*] = ::dynorm::__private::take_composite::<#n>(
            &mut #item, #table, #stored, #separator, #escaped,
        )?;
    }];
    for (text, &p) in texts.iter().zip(&comp.parts) {
        let pf = &m.fields[p];
        let var = var(pf);
        let ty = pf.ty;
        let part_name = &pf.name;
        let value = match &pf.codec {
            Some(CodecModel { path, .. }) => quote! {
                ::dynorm::__private::part_with(#text, #table, #stored, #part_name, #path::ATTRIBUTE_TYPE, #path::decode)?
            },
            None => {
                let part = quote_spanned!(ty.span()=> ::dynorm::__private::part::<#ty>);
                quote!(#part(#text, #table, #stored, #part_name)?)
            }
        };
        decodes.push(quote!(let #var: #ty = #value;));
    }
    decodes
}

/// `__dynorm_key_item` (the key from references to the key fields, shared by `key_item` and
/// `key`) and the inherent `key(...)` constructor.
fn key_functions(m: &Model<'_>, item: &syn::Ident) -> TokenStream {
    let table = &m.table;
    let key_fields = key_fields(m);
    let key_params = key_fields.iter().map(|&i| {
        let f = &m.fields[i];
        let (ident, ty) = (f.ident, f.ty);
        quote!(#ident: &#ty)
    });
    let key_puts = [Some(m.partition_key), m.sort_key]
        .into_iter()
        .flatten()
        .map(|s| {
            let (stored, value) = match s {
                Stored::Field(i) => {
                    let f = &m.fields[i];
                    let ident = f.ident;
                    (&f.stored, encode_field(f, quote!(#ident)))
                }
                Stored::Composite(c) => {
                    let comp = &m.composites[c];
                    (
                        &comp.stored,
                        encode_composite(m, comp, |f| {
                            let ident = f.ident;
                            quote!(#ident)
                        }),
                    )
                }
            };
            quote!(::dynorm::__private::put_key(&mut #item, #table, #stored, #value)?;)
        });
    let key_count = 1 + usize::from(m.sort_key.is_some());
    let new_params = key_fields.iter().map(|&i| {
        let f = &m.fields[i];
        let (ident, ty) = (f.ident, f.ty);
        quote!(#ident: impl ::core::convert::Into<#ty>)
    });
    let new_args = key_fields.iter().map(|&i| {
        let f = &m.fields[i];
        let (ident, ty) = (f.ident, f.ty);
        quote!(&::core::convert::Into::<#ty>::into(#ident))
    });
    let key_doc = format!(
        "The key of the `{table}` item with this {}.",
        key_fields
            .iter()
            .map(|&i| format!("`{}`", m.fields[i].name))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let ident = m.ident;
    let vis = m.vis;
    let partition_fn = composite_partition_fn(m);
    quote! {
        #partition_fn

        fn __dynorm_key_item(#(#key_params),*) -> ::core::result::Result<::dynorm::Item, ::dynorm::EncodeError> {
            let mut #item = ::dynorm::Item::with_capacity(#key_count);
            #(#key_puts)*
            ::core::result::Result::Ok(#item)
        }

        #[automatically_derived]
        impl #ident {
            #[doc = #key_doc]
            #[allow(dead_code, clippy::too_many_arguments)]
            #vis fn key(#(#new_params),*) -> ::dynorm::Key<Self> {
                ::dynorm::Key::from_result(__dynorm_key_item(#(#new_args),*))
            }
        }
    }
}

/// When the partition key is a composite (Da Vinci's form), `Self::partition(parts..)`: the
/// stored partition key from its parts, for `query_partition`, without joining it by hand.
fn composite_partition_fn(m: &Model<'_>) -> TokenStream {
    let Stored::Composite(c) = m.partition_key else {
        return TokenStream::new();
    };
    let (table, comp, vis, ident) = (&m.table, &m.composites[c], m.vis, m.ident);
    let stored = &comp.stored;
    let params = comp.parts.iter().map(|&p| {
        let (part, ty) = (m.fields[p].ident, m.fields[p].ty);
        quote!(#part: impl ::core::convert::Into<#ty>)
    });
    let converts = comp.parts.iter().map(|&p| {
        let (part, ty) = (m.fields[p].ident, m.fields[p].ty);
        quote!(let #part: #ty = ::core::convert::Into::into(#part);)
    });
    let value = encode_composite(m, comp, |f| {
        let part = f.ident;
        quote!(&#part)
    });
    let doc = format!(
        "The partition key `{stored}` of `{table}` from its parts {}, joined as stored: give it to `query_partition`.",
        comp.parts
            .iter()
            .map(|&p| format!("`{}`", m.fields[p].name))
            .collect::<Vec<_>>()
            .join(", ")
    );
    quote! {
        #[automatically_derived]
        impl #ident {
            #[doc = #doc]
            #[allow(dead_code, clippy::too_many_arguments)]
            #vis fn partition(#(#params),*) -> ::dynorm::expr::Value {
                #(#converts)*
                ::dynorm::expr::Value::from_result(
                    #value.map_err(|e| e.at(#table, #stored)),
                )
            }
        }
    }
}

/// For each global index with a multi-attribute key whose partition attributes are all plain
/// fields, `Self::<index>_key(..)`: the key condition with an equality on every partition
/// attribute, in order, each value of its field's type — so leaving one out, or passing a value
/// of the wrong type, does not compile. Sort-key conditions are added with `and_sort_eq` and the
/// `sort_*` methods (their order is checked when the query runs).
fn index_key_functions(m: &Model<'_>) -> TokenStream {
    let mut fns = Vec::new();
    for g in m
        .gsis
        .iter()
        .filter(|g| !g.more_partition_keys.is_empty() || !g.more_sort_keys.is_empty())
    {
        let names = g.partition_key.iter().chain(&g.more_partition_keys);
        let found: Option<Vec<&Field<'_>>> = names
            .map(|n| {
                m.fields
                    .iter()
                    .find(|f| f.kind == FieldKind::Stored && &f.stored == n)
            })
            .collect();
        // A composite attribute in the key has no single field type: no typed function.
        let Some(found) = found else {
            continue;
        };
        fns.push(index_key_function(m.vis, &g.name, &found));
    }
    if fns.is_empty() {
        return TokenStream::new();
    }
    let ident = m.ident;
    quote! {
        #[automatically_derived]
        impl #ident {
            #(#fns)*
        }
    }
}

/// `Self::<index>_key(..)` of a global index with a multi-attribute key whose partition
/// attributes are the fields `found`, in order: the key condition with an equality on each,
/// each value of its field's type (tables and entities alike).
pub(crate) fn index_key_function(vis: &syn::Visibility, index: &str, found: &[&Field<'_>]) -> TokenStream {
    let fields = local("fields");
    let name = format_ident!("{}_key", rust_name(index));
    let params = found.iter().map(|f| {
        let (ident, ty) = (f.ident, f.ty);
        quote!(#ident: impl ::dynorm::expr::FieldValue<#ty>)
    });
    let mut condition = TokenStream::new();
    for (n, f) in found.iter().enumerate() {
        let (ident, stored) = (f.ident, &f.stored);
        let value = quote!(#fields.#ident.value(#ident));
        condition = if n == 0 {
            quote!(::dynorm::expr::KeyCondition::partition(#stored, #value))
        } else {
            quote!(#condition.and_partition(#stored, #value))
        };
    }
    let doc = format!(
        "A key condition on index `{}`: an equality on each of its partition-key attributes ({}). Add sort-key conditions in order with `and_sort_eq` and one `sort_*` method.",
        index,
        found
            .iter()
            .map(|f| format!("`{}`", f.stored))
            .collect::<Vec<_>>()
            .join(", ")
    );
    quote! {
        #[doc = #doc]
        #[allow(dead_code)]
        #vis fn #name(#(#params),*) -> ::dynorm::expr::KeyCondition {
            let #fields = <Self as ::dynorm::expr::HasFields>::typed_fields();
            #condition
        }
    }
}

/// An index name as a Rust identifier: lower case, `_` for anything but letters and digits.
fn rust_name(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert_str(0, "index_");
    }
    out
}

/// The `Table` items for `version`, `created_at` and `updated_at`.
/// For a type with `schema_version`: the statement of `to_item` storing the version, the
/// statements of `from_item` upgrading an older item, and the `Table` items naming the version.
fn schema(m: &Model<'_>, item: &syn::Ident) -> (TokenStream, TokenStream, TokenStream) {
    let Some(schema) = &m.schema else {
        return (TokenStream::new(), TokenStream::new(), TokenStream::new());
    };
    let current = schema.version;
    (
        quote!(::dynorm::__private::put_schema_version(&mut #item, #current);),
        upgrade_on_read(
            schema,
            item,
            |old| quote!(<#old as ::dynorm::Table>::from_item(#item)),
        ),
        schema_table_items(schema),
    )
}

/// The statements of a decoding that read an item stored at an older version: its version
/// (newer than `schema.version`: refused), and for an older one, the item decoded with the
/// older type (`decode_old`) and upgraded through each step (`TryFrom`, so `From` too) to
/// `Self`, returned; each failure names the type, the key and both versions. Shared by
/// `#[derive(Table)]` and `#[derive(Entity)]`.
pub(crate) fn upgrade_on_read(
    schema: &crate::check::Schema,
    item: &syn::Ident,
    decode_old: impl Fn(&syn::Path) -> TokenStream,
) -> TokenStream {
    let current = schema.version;
    let value = local("value");
    let upgrading = local("upgrading");
    let arms = schema.older.iter().enumerate().map(|(i, old)| {
        let stored = u32::try_from(i + 1).unwrap_or(u32::MAX);
        // Each step spanned at the type it upgrades from: a missing `From` is reported there.
        let steps = schema.older[i..].windows(2).map(|pair| {
            let (from, next) = (&pair[0], &pair[1]);
            quote_spanned!(from.span()=> let #value: #next = #upgrading.step(#value)?;)
        });
        let last = schema.older.last().unwrap_or(old);
        let finish = quote_spanned!(last.span()=> return #upgrading.step::<_, Self>(#value););
        let decode = decode_old(old);
        quote! {
            #stored => {
                let #value: #old = #upgrading.decoded(#decode)?;
                #(#steps)*
                #finish
            }
        }
    });
    quote! {
        let __dynorm_stored_version = ::dynorm::__private::stored_schema_version::<Self>(&#item, #current)?;
        if __dynorm_stored_version != #current {
            let #upgrading = ::dynorm::__private::Upgrading::new::<Self>(&#item, __dynorm_stored_version, #current);
            match __dynorm_stored_version {
                #(#arms)*
                // `stored_schema_version` refuses versions above the current one.
                _ => {}
            }
        }
    }
}

/// The `Table` items of a type with `schema_version`: the version, and the attributes its
/// older versions store (what an upgrade may remove).
pub(crate) fn schema_table_items(schema: &crate::check::Schema) -> TokenStream {
    let current = schema.version;
    let older = &schema.older;
    quote! {
        const SCHEMA_VERSION: ::core::option::Option<u32> = ::core::option::Option::Some(#current);

        fn earlier_stored_attributes() -> ::std::vec::Vec<&'static str> {
            let mut names = ::std::vec::Vec::new();
            #(names.extend(<#older as ::dynorm::Table>::stored_attributes());)*
            names
        }

        fn attributes_of_every_version() -> ::std::vec::Vec<&'static str> {
            let mut names = <Self as ::dynorm::Table>::stored_attributes();
            #(
                let older = <#older as ::dynorm::Table>::stored_attributes();
                names.retain(|n| older.contains(n));
            )*
            names
        }
    }
}

fn hooks(m: &Model<'_>) -> TokenStream {
    let mut out = hook_items(&m.fields, [m.version, m.created_at, m.updated_at]);
    if m.dynamo_query {
        out.extend(quote! {
            const STORED_FORM: ::dynorm::StoredForm = ::dynorm::StoredForm::DYNAMO_QUERY;
        });
    }
    if let Some(mode) = m.strict {
        let mode = format_ident!("{}", mode);
        out.extend(quote! {
            const STRICT_READS: ::core::option::Option<::dynorm::strict::Strict> =
                ::core::option::Option::Some(::dynorm::strict::Strict::#mode);
        });
    }
    out
}

/// The `Table` items for immutable attributes and the `version`, `created_at` and `updated_at`
/// fields (by index), for any derived type.
pub(crate) fn hook_items(
    fields: &[Field<'_>],
    [version, created_at, updated_at]: [Option<usize>; 3],
) -> TokenStream {
    let mut out = TokenStream::new();
    let immutable: Vec<&str> = fields
        .iter()
        .filter(|f| f.immutable)
        .map(|f| f.stored.as_str())
        .collect();
    if !immutable.is_empty() {
        out.extend(quote! {
            const IMMUTABLE_ATTRIBUTES: &'static [&'static str] = &[#(#immutable),*];
        });
    }
    if let Some(i) = version {
        let f = &fields[i];
        let (ident, ty, stored) = (f.ident, f.ty, &f.stored);
        let version = local("version");
        let trait_ = quote_spanned!(ty.span()=> <#ty as ::dynorm::__private::VersionField>);
        out.extend(quote! {
            const VERSION_ATTRIBUTE: ::core::option::Option<&'static str> = ::core::option::Option::Some(#stored);

            fn version(&self) -> ::core::option::Option<u64> {
                ::core::option::Option::Some(#trait_::to_version(self.#ident))
            }

            fn set_version(&mut self, #version: u64) {
                self.#ident = #trait_::from_version(#version);
            }
        });
    }
    for (hook, name) in [
        (created_at, "CREATED_AT_ATTRIBUTE"),
        (updated_at, "UPDATED_AT_ATTRIBUTE"),
    ] {
        if let Some(i) = hook {
            let stored = &fields[i].stored;
            let name = syn::Ident::new(name, Span::call_site());
            out.extend(quote! {
                const #name: ::core::option::Option<&'static str> = ::core::option::Option::Some(#stored);
            });
        }
    }
    out
}

/// Typed paths: an encoder and a decoder per stored field, the struct of paths `fields()`
/// returns, and the `HasFields` impl.
fn typed_paths(m: &Model<'_>, item: &syn::Ident) -> TokenStream {
    let doc = format!("table `{}`", m.table);
    typed_paths_of(m.ident, m.vis, &m.fields, &doc, &m.table.as_str(), item)
}

/// Typed paths of any derived type: `table_doc` names the table in docs, `table` is the
/// expression of its name in errors.
pub(crate) fn typed_paths_of(
    ident: &syn::Ident,
    vis: &syn::Visibility,
    fields: &[Field<'_>],
    table_doc: &str,
    table: &dyn quote::ToTokens,
    item: &syn::Ident,
) -> TokenStream {
    let fields_ty = format_ident!("{}Fields", ident);
    let value = local("value");
    let mut fns = Vec::new();
    let mut members = Vec::new();
    let mut inits = Vec::new();
    for f in fields.iter().filter(|f| f.kind == FieldKind::Stored) {
        let (field, ty, stored) = (f.ident, f.ty, &f.stored);
        let encode_fn = format_ident!("__dynorm_encode_{}", f.name, span = Span::mixed_site());
        let decode_fn = format_ident!("__dynorm_decode_{}", f.name, span = Span::mixed_site());
        let encode = encode_field(f, quote!(#value));
        let decode = decode_field(f, item, &quote!(#item), table);
        fns.push(quote! {
            // Its signature is `TypedPath`'s encoder type: `fn(&FieldType)`.
            #[allow(clippy::ptr_arg)]
            fn #encode_fn(#value: &#ty) -> ::core::result::Result<::core::option::Option<::dynorm::AttributeValue>, ::dynorm::EncodeError> {
                #encode
            }

            fn #decode_fn(#item: &mut ::dynorm::Item) -> ::core::result::Result<#ty, ::dynorm::DecodeError> {
                let #value: #ty = #decode;
                ::core::result::Result::Ok(#value)
            }
        });
        let doc = format!("The attribute `{stored}`.");
        members.push(quote! {
            #[doc = #doc]
            #vis #field: ::dynorm::expr::TypedPath<#ty>
        });
        inits.push(quote! {
            #field: ::dynorm::expr::TypedPath::__new(#stored, #encode_fn, #decode_fn)
        });
    }
    let struct_doc = format!("The typed attribute paths of {table_doc}: see `{ident}::fields()`.");
    let fields_doc = format!(
        "Typed paths to the attributes of {table_doc}, one per stored field: `{ident}::fields().field.eq(value)`."
    );
    quote! {
        #(#fns)*

        #[doc = #struct_doc]
        #[derive(::core::clone::Clone, ::core::marker::Copy, ::core::fmt::Debug)]
        // A public table may have fields of less visible types; their paths are still usable.
        #[allow(private_interfaces)]
        #vis struct #fields_ty {
            #(#members,)*
        }

        #[automatically_derived]
        impl #ident {
            #[doc = #fields_doc]
            #[must_use]
            #[allow(dead_code)]
            #vis const fn fields() -> #fields_ty {
                #fields_ty { #(#inits,)* }
            }
        }

        #[automatically_derived]
        impl ::dynorm::expr::HasFields for #ident {
            type Fields = #fields_ty;

            fn typed_fields() -> #fields_ty {
                Self::fields()
            }
        }
    }
}

/// The local variable holding a decoded field.
fn var(f: &Field<'_>) -> syn::Ident {
    format_ident!("field_{}", f.name, span = Span::mixed_site())
}

/// The fields `key(...)` takes: the key fields, with a composite key's parts in its place.
fn key_fields(m: &Model<'_>) -> Vec<usize> {
    let mut out = Vec::new();
    for s in [Some(m.partition_key), m.sort_key].into_iter().flatten() {
        match s {
            Stored::Field(i) => out.push(i),
            Stored::Composite(c) => out.extend(&m.composites[c].parts),
        }
    }
    out
}

/// `Result<Option<AttributeValue>, EncodeError>` for a field value given by reference.
/// A field's mutator runs first (on a copy).
pub(crate) fn encode_field(f: &Field<'_>, value: TokenStream) -> TokenStream {
    let ty = f.ty;
    let value = match &f.mutate {
        None => value,
        Some(mutate) if f.option => {
            quote!(&::core::option::Option::map(::core::clone::Clone::clone(#value), #mutate))
        }
        Some(mutate) => quote!(&#mutate(::core::clone::Clone::clone(#value))),
    };
    match &f.codec {
        None => {
            let encode = quote_spanned!(ty.span()=> <#ty as ::dynorm::Attribute>::encode);
            quote!(#encode(#value))
        }
        Some(CodecModel { path, whole, .. }) if f.option && !whole => {
            let inner = local("inner");
            quote! {
                match #value {
                    ::core::option::Option::Some(#inner) => #path::encode(#inner),
                    ::core::option::Option::None => ::core::result::Result::Ok(::core::option::Option::None),
                }
            }
        }
        Some(CodecModel { path, .. }) => quote!(#path::encode(#value)),
    }
}

/// `Result<Option<AttributeValue>, EncodeError>` for a composite: its parts encoded and joined.
fn encode_composite(
    m: &Model<'_>,
    comp: &Composite,
    value: impl Fn(&Field<'_>) -> TokenStream,
) -> TokenStream {
    let parts = comp.parts.iter().map(|&p| {
        let f = &m.fields[p];
        let name = &f.name;
        let encoded = encode_field(f, value(f));
        quote!((#name, #encoded))
    });
    let separator = &comp.separator;
    let escaped = comp.escaped;
    quote!(::dynorm::__private::composite([#(#parts),*], #separator, #escaped))
}

/// The decoded value of a stored field (an expression that may use `?`).
pub(crate) fn decode_field(
    f: &Field<'_>,
    item: &syn::Ident,
    item_ref: &TokenStream,
    table: impl quote::ToTokens,
) -> TokenStream {
    let ty = f.ty;
    let stored = &f.stored;
    let value = local("value");
    let decode = match &f.codec {
        None => {
            let decode = quote_spanned!(ty.span()=> <#ty as ::dynorm::Attribute>::decode);
            quote!(#decode(#value))
        }
        Some(CodecModel { path, whole, .. }) if f.option && !whole => {
            quote!(::dynorm::__private::decode_option_with(#value, #path::decode))
        }
        Some(CodecModel { path, .. }) => quote!(#path::decode(#value)),
    };
    let default = match (&f.default, &f.codec) {
        (Some(d), _) => Some(d.expr.clone()),
        // An absent `Option` reads as `None`, whatever its codec.
        (None, Some(_)) if f.option => Some(quote!(::core::option::Option::None)),
        // Sets leave an empty value out.
        (None, Some(c)) if c.empty_when_missing => {
            Some(quote_spanned!(ty.span()=> ::core::default::Default::default()))
        }
        _ => None,
    };
    match (default, &f.codec) {
        (Some(default), _) => quote! {
            match #item.remove(#stored) {
                ::core::option::Option::Some(#value) => ::dynorm::__private::decoded(#decode, #table, #stored)?,
                ::core::option::Option::None => #default,
            }
        },
        (None, None) => {
            let take = quote_spanned!(ty.span()=> ::dynorm::__private::take::<#ty>);
            quote!(#take(#item_ref, #table, #stored)?)
        }
        (None, Some(CodecModel { path, .. })) => {
            quote!(::dynorm::__private::take_with(#item_ref, #table, #stored, #path::decode)?)
        }
    }
}

fn definition(m: &Model<'_>) -> TokenStream {
    let name = string(&m.table);
    let description = opt_string(m.description.as_deref());
    let stored_of = |s: Stored| match s {
        Stored::Field(i) => m.fields[i].stored.as_str(),
        Stored::Composite(c) => m.composites[c].stored.as_str(),
    };
    let partition_key = string(stored_of(m.partition_key));
    let sort_key = opt_string(m.sort_key.map(stored_of));
    let attributes = m.stored.iter().map(|s| match *s {
        Stored::Field(i) => field_definition(&m.fields[i]),
        Stored::Composite(c) => composite_definition(m, &m.composites[c]),
    });
    let gsis = m.gsis.iter().map(gsi_definition);
    let lsis = m.lsis.iter().map(lsi_definition);
    let billing = billing(m.billing);
    let ttl = opt_string(m.ttl.as_deref());
    let stream = match m.stream {
        Some(variant) => {
            let variant = syn::Ident::new(variant, Span::call_site());
            quote!(::core::option::Option::Some(::dynorm::StreamViewType::#variant))
        }
        None => quote!(::core::option::Option::None),
    };
    let tags = if m.tags.is_empty() {
        quote!(::std::collections::BTreeMap::new())
    } else {
        let pairs = m.tags.iter().map(|(k, v)| {
            let (k, v) = (string(k), string(v));
            quote!((#k, #v))
        });
        quote!(::std::collections::BTreeMap::from([#(#pairs),*]))
    };
    let deletion_protection = m.deletion_protection;
    let version_attribute = opt_string(m.version.map(|i| m.fields[i].stored.as_str()));
    let schema_version = match &m.schema {
        Some(s) => {
            let v = s.version;
            quote!(::core::option::Option::Some(#v))
        }
        None => quote!(::core::option::Option::None),
    };
    quote! {
        ::dynorm::TableDefinition {
            name: #name,
            description: #description,
            partition_key: #partition_key,
            sort_key: #sort_key,
            attributes: ::std::vec![#(#attributes),*],
            global_secondary_indexes: ::std::vec![#(#gsis),*],
            local_secondary_indexes: ::std::vec![#(#lsis),*],
            billing: #billing,
            ttl_attribute: #ttl,
            stream: #stream,
            tags: #tags,
            deletion_protection: #deletion_protection,
            version_attribute: #version_attribute,
            schema_version: #schema_version,
        }
    }
}

/// A field's stored `AttributeType`, as a constant expression: its codec's, or its type's.
pub(crate) fn attribute_type(f: &Field<'_>) -> TokenStream {
    let ty = f.ty;
    match &f.codec {
        Some(CodecModel { path, .. }) => quote!(#path::ATTRIBUTE_TYPE),
        None => quote_spanned!(ty.span()=> <#ty as ::dynorm::Attribute>::TYPE),
    }
}

fn field_definition(f: &Field<'_>) -> TokenStream {
    let name = string(&f.stored);
    let field = opt_string((f.name != f.stored).then_some(f.name.as_str()));
    let attribute_type = attribute_type(f);
    let description = opt_string(f.description.as_deref());
    let optional = f.option || f.default.is_some();
    let default = opt_string(f.default.as_ref().map(|d| d.text.as_str()));
    quote! {
        ::dynorm::AttributeDefinition {
            name: #name,
            field: #field,
            attribute_type: #attribute_type,
            description: #description,
            optional: #optional,
            default: #default,
            composite: ::core::option::Option::None,
        }
    }
}

fn composite_definition(m: &Model<'_>, c: &Composite) -> TokenStream {
    let name = string(&c.stored);
    let description = opt_string(c.description.as_deref());
    let parts = c.parts.iter().map(|&p| string(&m.fields[p].stored));
    let separator = string(&c.separator);
    let escaped = c.escaped;
    quote! {
        ::dynorm::AttributeDefinition {
            name: #name,
            field: ::core::option::Option::None,
            attribute_type: ::dynorm::AttributeType::CompositeString,
            description: #description,
            optional: false,
            default: ::core::option::Option::None,
            composite: ::core::option::Option::Some(::dynorm::definition::Composite {
                fields: ::std::vec![#(#parts),*],
                separator: #separator,
                escaped: #escaped,
            }),
        }
    }
}

fn projection(p: &ProjectionModel) -> TokenStream {
    match p {
        ProjectionModel::All => quote!(::dynorm::definition::Projection::All),
        ProjectionModel::KeysOnly => quote!(::dynorm::definition::Projection::KeysOnly),
        ProjectionModel::Include(names) => {
            let names = names.iter().map(|n| string(n));
            quote!(::dynorm::definition::Projection::Include(
                ::std::vec![#(#names),*]
            ))
        }
    }
}

fn gsi_definition(g: &Index) -> TokenStream {
    let name = string(&g.name);
    let partition_key = string(g.partition_key.as_deref().unwrap_or_default());
    let sort_key = opt_string(g.has_sort_key.then_some(g.sort_key.as_str()));
    let projection = projection(&g.projection);
    let capacity = match g.capacity {
        Some((read, write)) => {
            quote!(::core::option::Option::Some(::dynorm::Capacity { read: #read, write: #write }))
        }
        None => quote!(::core::option::Option::None),
    };
    let more_partition = g.more_partition_keys.iter().map(|k| string(k));
    let more_sort = g.more_sort_keys.iter().map(|k| string(k));
    quote! {
        ::dynorm::GlobalSecondaryIndex {
            name: #name,
            partition_key: #partition_key,
            sort_key: #sort_key,
            additional_partition_keys: ::std::vec![#(#more_partition),*],
            additional_sort_keys: ::std::vec![#(#more_sort),*],
            projection: #projection,
            capacity: #capacity,
        }
    }
}

fn lsi_definition(l: &Index) -> TokenStream {
    let name = string(&l.name);
    let sort_key = string(&l.sort_key);
    let projection = projection(&l.projection);
    quote! {
        ::dynorm::LocalSecondaryIndex {
            name: #name,
            sort_key: #sort_key,
            projection: #projection,
        }
    }
}

fn billing(b: Billing) -> TokenStream {
    match b {
        Billing::OnDemand => quote!(::dynorm::BillingMode::OnDemand),
        Billing::Provisioned { read, write } => {
            quote!(::dynorm::BillingMode::Provisioned(::dynorm::Capacity { read: #read, write: #write }))
        }
    }
}
