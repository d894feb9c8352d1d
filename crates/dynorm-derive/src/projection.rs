//! `#[derive(Projection)]`: a type holding some fields of a `#[derive(Table)]` type.
//!
//! Each projection field is read through the table's typed path of the same name
//! (`User::fields().email`), so a misspelt field is a compile error at the field, the stored name
//! and codec are the table's, and the field's type must be the table field's type or its
//! `Option` (checked by the `FromField` bound, also at compile time).

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::ext::IdentExt;
use syn::spanned::Spanned;

use crate::attr::DYNORM;
use crate::util::{Errors, Sp, error};

const TABLE: &str = "table";
const FIELD: &str = "field";

pub(crate) fn derive_projection(input: &syn::DeriveInput) -> syn::Result<TokenStream> {
    let named = named_fields(input)?;
    let mut errors = Errors::default();
    if !input.generics.params.is_empty() || input.generics.where_clause.is_some() {
        errors.at(
            input.generics.span(),
            "`#[derive(Projection)]` does not support generic structs",
            "use the concrete field types of the table",
        );
    }
    let table = table_option(input, &mut errors);
    let fields = fields(named, &mut errors);
    errors.finish()?;
    let Some(table) = table else {
        return Err(syn::Error::new(Span::call_site(), "no table"));
    };
    expand(input, &table, &fields)
}

/// Rule: a projection is a struct with named fields.
fn named_fields(input: &syn::DeriveInput) -> syn::Result<&syn::FieldsNamed> {
    match &input.data {
        syn::Data::Struct(syn::DataStruct {
            fields: syn::Fields::Named(named),
            ..
        }) => Ok(named),
        _ => Err(error(
            input.ident.span(),
            "`#[derive(Projection)]` needs a struct with named fields",
            "write `struct UserEmail { user_id: String, email: String }`",
        )),
    }
}

/// Rule: the struct names its table once, with `#[dynorm(table = Type)]`, and nothing else.
fn table_option(input: &syn::DeriveInput, errors: &mut Errors) -> Option<syn::Path> {
    let mut table: Option<syn::Path> = None;
    for attr in input.attrs.iter().filter(|a| a.path().is_ident(DYNORM)) {
        let result = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident(TABLE) {
                let path: syn::Path = meta
                    .value()?
                    .parse()
                    .map_err(|e| error(e.span(), "`table` takes the table's type", "write `table = User`"))?;
                if table.is_some() {
                    errors.at(meta.path.span(), "duplicate option `table`", "give `table` once");
                } else {
                    table = Some(path);
                }
                Ok(())
            } else {
                Err(error(
                    meta.path.span(),
                    "unknown projection option",
                    "a projection takes one option: `#[dynorm(table = User)]`",
                ))
            }
        });
        if let Err(e) = result {
            errors.push(e);
        }
    }
    if table.is_none() {
        errors.at(
            input.ident.span(),
            format!("`{}` does not name its table", input.ident),
            "add `#[dynorm(table = User)]` (the type with `#[derive(Table)]`)",
        );
    }
    table
}

/// Each projection field with the table field it reads (its own name unless `field = ..`).
/// Rule: no table field is read twice.
fn fields<'a>(named: &'a syn::FieldsNamed, errors: &mut Errors) -> Vec<(&'a syn::Field, Sp<String>)> {
    let mut fields: Vec<(&syn::Field, Sp<String>)> = Vec::new();
    for f in &named.named {
        let Some(ident) = f.ident.as_ref() else {
            continue;
        };
        let target =
            field_option(f, errors).unwrap_or_else(|| Sp::new(ident.unraw().to_string(), ident.span()));
        if fields.iter().any(|(_, t)| t.value == target.value) {
            errors.at(
                target.span,
                format!("table field `{}` is read twice", target.value),
                "read each table field into one projection field",
            );
        }
        fields.push((f, target));
    }
    fields
}

/// Rule: a projection field takes one option, `field = name` (an identifier or a string), once.
fn field_option(f: &syn::Field, errors: &mut Errors) -> Option<Sp<String>> {
    let mut target: Option<Sp<String>> = None;
    for attr in f.attrs.iter().filter(|a| a.path().is_ident(DYNORM)) {
        let result = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident(FIELD) {
                let input = meta.value()?;
                let name = if input.peek(syn::LitStr) {
                    let lit: syn::LitStr = input.parse()?;
                    Sp::new(lit.value(), lit.span())
                } else {
                    let i = syn::Ident::parse_any(input)?;
                    Sp::new(i.unraw().to_string(), i.span())
                };
                if target.is_some() {
                    errors.at(meta.path.span(), "duplicate option `field`", "give `field` once");
                } else {
                    target = Some(name);
                }
                Ok(())
            } else {
                Err(error(
                    meta.path.span(),
                    "unknown projection field option",
                    "a projection field takes one option: `#[dynorm(field = \"table_field\")]`; stored names, codecs and defaults come from the table",
                ))
            }
        });
        if let Err(e) = result {
            errors.push(e);
        }
    }
    target
}

/// The table's typed path to a field: `<Table>::fields().name`, spanned at the name so a
/// misspelt field is reported there.
fn path_of(table: &syn::Path, target: &Sp<String>) -> syn::Result<TokenStream> {
    let mut member = syn::parse_str::<syn::Ident>(&target.value)
        .or_else(|_| syn::parse_str::<syn::Ident>(&format!("r#{}", target.value)))
        .map_err(|_| {
            error(
                target.span,
                format!("`{}` is not a field name", target.value),
                "write `field = \"table_field\"` with the Rust name of a field of the table",
            )
        })?;
    member.set_span(target.span);
    Ok(quote_spanned!(target.span=> <#table>::fields().#member))
}

fn expand(
    input: &syn::DeriveInput,
    table: &syn::Path,
    fields: &[(&syn::Field, Sp<String>)],
) -> syn::Result<TokenStream> {
    let ident = &input.ident;
    let item = syn::Ident::new("item", Span::mixed_site());
    let mut names = Vec::new();
    let mut decodes = Vec::new();
    let mut inits = Vec::new();
    for (f, t) in fields {
        let Some(field) = f.ident.as_ref() else {
            continue;
        };
        let var = format_ident!("field_{}", field.unraw(), span = Span::mixed_site());
        let ty = &f.ty;
        let path = path_of(table, t)?;
        names.push(quote!(#path.name()));
        let project = quote_spanned!(ty.span()=> __project::<#ty>);
        decodes.push(quote!(let #var: #ty = #path.#project(&mut #item)?;));
        inits.push(quote!(#field: #var));
    }
    Ok(quote! {
        #[allow(unused_qualifications, non_snake_case)]
        const _: () = {
            #[automatically_derived]
            impl ::dynorm::Projection for #ident {
                type Table = #table;

                fn attributes() -> &'static [&'static str] {
                    const ATTRIBUTES: &[&str] = &[#(#names),*];
                    ATTRIBUTES
                }

                fn from_item(mut #item: ::dynorm::Item) -> ::core::result::Result<Self, ::dynorm::DecodeError> {
                    #(#decodes)*
                    ::core::result::Result::Ok(Self { #(#inits),* })
                }
            }
        };
    })
}
