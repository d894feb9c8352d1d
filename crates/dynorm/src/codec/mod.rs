//! Codec modules for `#[dynorm(with = ...)]`.
