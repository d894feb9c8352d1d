//! Derive macros for dynorm. Use them through the `dynorm` crate.

use proc_macro::TokenStream;

/// Derives `dynorm::Table`.
#[proc_macro_derive(Table, attributes(dynorm))]
pub fn derive_table(_input: TokenStream) -> TokenStream {
    TokenStream::new()
}
