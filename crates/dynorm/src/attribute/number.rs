//! Numbers: every integer width, floats, and the exact decimal [`Number`].

/// An exact decimal number within DynamoDB's limits (38 significant digits, magnitude 1E-130 to
/// 9.99…E+125).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Number(String);
