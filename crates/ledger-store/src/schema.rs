//! How a database's schema stands against what this version of the ledger needs: commands
//! other than `ledger migrate` open a database without changing it, and say what to run when
//! it is not current.

/// The schema's state, from the migrations a database has applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchemaState {
    /// Every migration this version needs, and no other.
    Current,
    /// No migration at all: not a ledger's database (or a new, empty one).
    Empty,
    /// Some migrations this version needs are missing: run `ledger migrate`.
    Behind {
        /// The newest migration applied.
        applied: i64,
        /// The newest this version needs.
        needed: i64,
    },
    /// Migrations this version does not know were applied: a newer ledger wrote it.
    Ahead {
        /// The newest migration applied.
        applied: i64,
        /// The newest this version knows.
        needed: i64,
    },
}

impl SchemaState {
    /// The state from the versions applied and the versions needed.
    #[must_use]
    pub fn of(applied: &[i64], needed: &[i64]) -> Self {
        let newest = |v: &[i64]| v.iter().copied().max().unwrap_or(0);
        if applied.is_empty() {
            Self::Empty
        } else if applied.iter().any(|v| !needed.contains(v)) {
            Self::Ahead {
                applied: newest(applied),
                needed: newest(needed),
            }
        } else if needed.iter().any(|v| !applied.contains(v)) {
            Self::Behind {
                applied: newest(applied),
                needed: newest(needed),
            }
        } else {
            Self::Current
        }
    }

    /// What an operator should do, for a database named `what`; `None` when current.
    #[must_use]
    pub fn advice(&self, what: &str) -> Option<String> {
        match self {
            Self::Current => None,
            Self::Empty => Some(format!(
                "{what} holds no ledger: create it with `ledger migrate --database-url …` (as the owner role), or check the URL"
            )),
            Self::Behind { applied, needed } => Some(format!(
                "{what} is at schema version {applied}; this ledger needs {needed}: run `ledger migrate --database-url …` (as the owner role)"
            )),
            Self::Ahead { applied, needed } => Some(format!(
                "{what} is at schema version {applied}, newer than this ledger knows ({needed}): use the newer ledger"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_state_says_what_to_do() {
        assert_eq!(
            SchemaState::of(&[1, 2, 3], &[1, 2, 3]),
            SchemaState::Current
        );
        assert_eq!(SchemaState::of(&[], &[1, 2]), SchemaState::Empty);
        assert_eq!(
            SchemaState::of(&[1], &[1, 2]),
            SchemaState::Behind {
                applied: 1,
                needed: 2
            }
        );
        assert_eq!(
            SchemaState::of(&[1, 2, 3], &[1, 2]),
            SchemaState::Ahead {
                applied: 3,
                needed: 2
            }
        );
        assert!(SchemaState::Current.advice("x").is_none());
        assert!(
            SchemaState::Empty
                .advice("x")
                .is_some_and(|a| a.contains("ledger migrate"))
        );
    }
}
