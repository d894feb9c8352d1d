//! [`ProjectionExpression`]: the attributes a read returns.

use super::render::{ExpressionAttributes, Render};
use super::{Path, invalid};
use crate::Result;

/// A `ProjectionExpression`: the attributes (or document paths) to read.
///
/// ```
/// use dynorm::expr::{ExpressionAttributes, Path, ProjectionExpression};
///
/// let projection = ProjectionExpression::new(["name", "size"]).with(Path::parse("meta.tags[0]")?);
/// let mut attributes = ExpressionAttributes::new();
/// assert_eq!(projection.render(&mut attributes)?, "#n0, #n1, #n2.#n3[0]");
/// # Ok::<(), dynorm::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
#[must_use]
pub struct ProjectionExpression {
    paths: Vec<Path>,
}

impl ProjectionExpression {
    /// A projection of these paths.
    pub fn new<P: Into<Path>>(paths: impl IntoIterator<Item = P>) -> Self {
        Self {
            paths: paths.into_iter().map(Into::into).collect(),
        }
    }

    /// This projection with one more path.
    pub fn with(mut self, path: impl Into<Path>) -> Self {
        self.paths.push(path.into());
        self
    }

    /// The projected paths.
    pub fn paths(&self) -> &[Path] {
        &self.paths
    }

    /// Renders `#n0, #n1.#n2`; an empty projection is an error.
    pub fn render(&self, attributes: &mut ExpressionAttributes) -> Result<String> {
        if self.paths.is_empty() {
            return Err(invalid("a projection names no attributes"));
        }
        let mut out = String::new();
        for (i, path) in self.paths.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            path.write(&mut out, attributes)?;
        }
        Ok(out)
    }
}

impl Render for ProjectionExpression {
    fn render(&self, attributes: &mut ExpressionAttributes) -> Result<String> {
        ProjectionExpression::render(self, attributes)
    }
}
