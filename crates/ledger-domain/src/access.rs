//! Who may do what: the roles of the people who use the ledger.
//!
//! Each command says which roles may run it ([`crate::command::Command::ROLES`]) and, for the
//! ones a unit reporter may run, which unit the change is for: a reporter acts for its own unit
//! only. The command path checks both before anything is decided, from the token and from the
//! log (never from read models).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// What a caller may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Văn phòng, thư ký: adopts programmes, issues plans, assigns tasks, accepts or returns
    /// reports.
    Secretariat,
    /// Cán bộ báo cáo: reports, raises obstacles and answers recommendations for its own unit
    /// only.
    UnitReporter,
    /// Cơ quan giám sát: reads everything; conducts supervisions and issues recommendations.
    Supervisor,
    /// Cơ quan kiểm tra: reads everything, including the audit log and actor details.
    Inspector,
    /// Văn thư lưu trữ: enters records from the archive, each attested by a document; every
    /// command, as a historical record.
    Archivist,
}

impl Role {
    /// Every role.
    pub const ALL: [Self; 5] = [
        Self::Secretariat,
        Self::UnitReporter,
        Self::Supervisor,
        Self::Inspector,
        Self::Archivist,
    ];

    /// The name used in tokens, in the log and on the command line.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Secretariat => "secretariat",
            Self::UnitReporter => "unit_reporter",
            Self::Supervisor => "supervisor",
            Self::Inspector => "inspector",
            Self::Archivist => "archivist",
        }
    }

    /// The role's name in Vietnamese.
    #[must_use]
    pub fn vi(self) -> &'static str {
        match self {
            Self::Secretariat => "văn phòng (thư ký)",
            Self::UnitReporter => "cán bộ báo cáo của đơn vị",
            Self::Supervisor => "cơ quan giám sát",
            Self::Inspector => "cơ quan kiểm tra",
            Self::Archivist => "văn thư lưu trữ",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "unknown role {s:?}: secretariat, unit_reporter, supervisor, inspector or archivist"
                )
            })
    }
}
