//! Derive macros for [dynorm](https://docs.rs/dynorm). Use them through the `dynorm` crate:
//! `#[derive(dynorm::Table)]` and `#[dynorm::test]`.
//!
//! This crate is thin: each entry point parses its input, calls an `expand` function that works on
//! `proc_macro2` tokens, and turns every error into `compile_error!` invocations spanned at the
//! offending tokens.

mod attr;
mod case;
mod check;
mod expand;
mod test_attr;
mod util;

use proc_macro::TokenStream;

/// Implements `dynorm::Table` for a struct with named fields: its table definition, item
/// encoding and decoding, and a `key(...)` constructor. See the `dynorm` documentation for the
/// `#[dynorm(...)]` options.
#[proc_macro_derive(Table, attributes(dynorm))]
pub fn derive_table(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    expand::derive_table(&input)
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
