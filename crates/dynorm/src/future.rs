//! The boxed future the builders' `IntoFuture` implementations and the engine boundary return.

use std::future::Future;
use std::pin::Pin;

/// A boxed future, as the builders' [`IntoFuture`](std::future::IntoFuture) implementations return.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;
