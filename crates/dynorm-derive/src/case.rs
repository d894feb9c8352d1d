//! `rename_all` rules, applied to snake_case Rust field names (as serde does).

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RenameRule {
    Pascal,
    Camel,
    Snake,
    ScreamingSnake,
    Kebab,
    Lower,
    Upper,
}

impl RenameRule {
    pub(crate) const NAMES: &'static [&'static str] = &[
        "PascalCase",
        "camelCase",
        "snake_case",
        "SCREAMING_SNAKE_CASE",
        "kebab-case",
        "lowercase",
        "UPPERCASE",
    ];

    pub(crate) fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "PascalCase" => Self::Pascal,
            "camelCase" => Self::Camel,
            "snake_case" => Self::Snake,
            "SCREAMING_SNAKE_CASE" => Self::ScreamingSnake,
            "kebab-case" => Self::Kebab,
            "lowercase" => Self::Lower,
            "UPPERCASE" => Self::Upper,
            _ => return None,
        })
    }

    pub(crate) fn apply(self, field: &str) -> String {
        match self {
            Self::Pascal | Self::Camel => {
                let mut out = String::with_capacity(field.len());
                let mut upper = self == Self::Pascal;
                for c in field.chars() {
                    if c == '_' {
                        upper = !out.is_empty() || self == Self::Pascal;
                    } else if upper {
                        out.extend(c.to_uppercase());
                        upper = false;
                    } else {
                        out.push(c);
                    }
                }
                out
            }
            Self::Snake | Self::Lower => field.to_owned(),
            Self::ScreamingSnake | Self::Upper => field.to_ascii_uppercase(),
            Self::Kebab => field.replace('_', "-"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RenameRule::*;

    #[test]
    fn rules() {
        assert_eq!(Pascal.apply("user_id"), "UserId");
        assert_eq!(Pascal.apply("id"), "Id");
        assert_eq!(Pascal.apply("created_at_2"), "CreatedAt2");
        assert_eq!(Camel.apply("user_id"), "userId");
        assert_eq!(Camel.apply("id"), "id");
        assert_eq!(Snake.apply("user_id"), "user_id");
        assert_eq!(ScreamingSnake.apply("user_id"), "USER_ID");
        assert_eq!(Kebab.apply("user_id"), "user-id");
        assert_eq!(Lower.apply("user_id"), "user_id");
        assert_eq!(Upper.apply("user_id"), "USER_ID");
    }
}
