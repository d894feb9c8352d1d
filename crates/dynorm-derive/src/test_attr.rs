//! `#[dynorm::test(tables(User, Order))]`: an async test with its own embedded database (or, in
//! endpoint mode, its own prefixed tables on the endpoint). `requires(embedded)` declares a
//! capability the test needs; without it the test is skipped with the reason printed.
//!
//! ```text
//! #[dynorm::test(tables(User))]
//! async fn name(db: dynorm::Client) -> R { body }
//! ```
//! becomes
//! ```text
//! #[test]
//! fn name() -> R {
//!     async fn name(db: dynorm::Client) -> R { body }
//!     ::dynorm::testing::run_test(&[<User as ::dynorm::Table>::definition()], name)
//! }
//! ```

use proc_macro2::TokenStream;
use quote::quote;
use syn::parse::Parse;
use syn::spanned::Spanned;

use crate::util::{Errors, error};

const TABLES: &str = "tables";
const REQUIRES: &str = "requires";
/// The capabilities `requires(...)` accepts, each a `dynorm::testing::Capability` variant.
const CAPABILITIES: &[(&str, &str)] = &[("embedded", "Embedded"), ("streams", "Streams")];

pub(crate) fn expand(args: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let mut errors = Errors::default();
    let mut tables: Vec<syn::Path> = Vec::new();
    let mut seen_tables = false;
    let mut requires: Vec<syn::Ident> = Vec::new();
    let parser = syn::meta::parser(|meta| {
        if meta.path.is_ident(REQUIRES) {
            let content;
            syn::parenthesized!(content in meta.input);
            let list = content.parse_terminated(syn::Ident::parse, syn::Token![,])?;
            for name in list {
                requires.push(capability(&name)?);
            }
            Ok(())
        } else if meta.path.is_ident(TABLES) {
            if seen_tables {
                errors.at(
                    meta.path.span(),
                    "duplicate option `tables`",
                    "list every table in one `tables(...)`",
                );
            }
            seen_tables = true;
            let content;
            syn::parenthesized!(content in meta.input);
            let list = content.parse_terminated(syn::Path::parse_mod_style, syn::Token![,])?;
            tables.extend(list);
            Ok(())
        } else {
            let name = meta.path.get_ident().map(ToString::to_string).unwrap_or_default();
            let hint = crate::util::closest(&name, [TABLES, REQUIRES])
                .map(|c| format!("; did you mean `{c}`?"))
                .unwrap_or_default();
            Err(error(
                meta.path.span(),
                format!("unknown option `{name}` of `#[dynorm::test]`{hint}"),
                "write `#[dynorm::test]`, `#[dynorm::test(tables(User, Order))]` or `#[dynorm::test(tables(User), requires(embedded))]`",
            ))
        }
    });
    syn::parse::Parser::parse2(parser, args)?;

    let func: syn::ItemFn = syn::parse2(item)?;
    let sig = &func.sig;
    if sig.asyncness.is_none() {
        errors.at(
            sig.fn_token.span,
            "`#[dynorm::test]` runs an async function",
            "write `async fn name(db: dynorm::Client) { ... }`",
        );
    }
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        errors.at(
            sig.generics.span(),
            "a test function cannot be generic",
            "write `async fn name(db: dynorm::Client) { ... }`",
        );
    }
    if sig.inputs.len() > 1 {
        errors.at(
            sig.inputs.span(),
            "a `#[dynorm::test]` function takes at most one argument, the client",
            "write `async fn name(db: dynorm::Client) { ... }`",
        );
    }
    if let Some(syn::FnArg::Receiver(r)) = sig.inputs.first() {
        errors.at(
            r.span(),
            "a test function cannot take `self`",
            "write `async fn name(db: dynorm::Client) { ... }`",
        );
    }
    for attr in &func.attrs {
        if attr.path().is_ident("test") {
            errors.at(
                attr.span(),
                "`#[dynorm::test]` already makes this a test",
                "remove `#[test]`",
            );
        }
    }
    errors.finish()?;

    let attrs = &func.attrs;
    let vis = &func.vis;
    let name = &sig.ident;
    let output = &sig.output;
    let inputs = &sig.inputs;
    let body = &func.block;
    let call = if sig.inputs.is_empty() {
        quote!(|_: ::dynorm::Client| #name())
    } else {
        quote!(#name)
    };
    let run = if requires.is_empty() {
        quote!(::dynorm::testing::run_test(
            &[#(<#tables as ::dynorm::Table>::definition()),*],
            #call,
        ))
    } else {
        quote!(::dynorm::testing::run_test_requiring(
            ::core::concat!(::core::module_path!(), "::", ::core::stringify!(#name)),
            &[#(::dynorm::testing::Capability::#requires),*],
            &[#(<#tables as ::dynorm::Table>::definition()),*],
            #call,
        ))
    };
    Ok(quote! {
        #[::core::prelude::v1::test]
        #(#attrs)*
        #vis fn #name() #output {
            async fn #name(#inputs) #output #body
            #run
        }
    })
}

/// The `Capability` variant a name in `requires(...)` stands for.
fn capability(name: &syn::Ident) -> syn::Result<syn::Ident> {
    let text = name.to_string();
    match CAPABILITIES.iter().find(|(spelled, _)| *spelled == text) {
        Some((_, variant)) => Ok(syn::Ident::new(variant, name.span())),
        None => Err(error(
            name.span(),
            format!("unknown capability `{text}` in `requires(...)`"),
            "the capabilities are: embedded, streams",
        )),
    }
}
