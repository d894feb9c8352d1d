//! `#[dynorm::test(tables(User, Order))]`: an async test with its own embedded database.
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
use syn::spanned::Spanned;

use crate::util::{Errors, error};

const TABLES: &str = "tables";

pub(crate) fn expand(args: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let mut errors = Errors::default();
    let mut tables: Vec<syn::Path> = Vec::new();
    let mut seen_tables = false;
    let parser = syn::meta::parser(|meta| {
        if meta.path.is_ident(TABLES) {
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
            let hint = if crate::util::closest(&name, [TABLES]).is_some() {
                "; did you mean `tables`?"
            } else {
                ""
            };
            Err(error(
                meta.path.span(),
                format!("unknown option `{name}` of `#[dynorm::test]`{hint}"),
                "write `#[dynorm::test]` or `#[dynorm::test(tables(User, Order))]`",
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
    Ok(quote! {
        #[::core::prelude::v1::test]
        #(#attrs)*
        #vis fn #name() #output {
            async fn #name(#inputs) #output #body
            ::dynorm::testing::run_test(
                &[#(<#tables as ::dynorm::Table>::definition()),*],
                #call,
            )
        }
    })
}
