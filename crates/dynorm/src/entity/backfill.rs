//! Rewriting the composed key attributes of stored items after an entity's templates change.
