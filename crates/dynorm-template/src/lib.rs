#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![warn(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

mod error;
mod join;
mod parse;
mod plan;

pub use error::TemplateError;
pub use join::{ESCAPE, Escaping, KEY_ESCAPING, escape_into, join};
pub use parse::{MAX_WIDTH, Segment, Template};
pub use plan::{Plan, Value};
