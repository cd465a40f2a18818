//! Time: what the ledger saw versus what a caller claims (`docs/domain.md`, "Time").
//!
//! Every change has two times: the day it takes effect in the world (the command's date, a
//! claim) and the moment the ledger recorded it (the store's clock, not a claim). The policy
//! judges the claim against the day of recording in Asia/Ho_Chi_Minh:
//! - nothing takes effect after the day it is recorded, except the commands whose nature is to
//!   schedule a change ([`crate::command::Command::SCHEDULED`]: a merger decided in June for
//!   1 July, a document that takes effect later);
//! - a change dated more than its kind's grace before the day it is recorded is **backdated**:
//!   allowed to the secretariat and supervisors only, with a reason and a source document, and
//!   marked so in the log and in every answer derived from it. A unit reporter can never
//!   backdate, so a unit cannot make itself look on time by claiming a date;
//! - the archive's records (the archivist's role) are **historical**: dated in the past and
//!   attested by a source document.

use std::collections::BTreeMap;

use crate::access::Role;
use crate::value::Date;

/// How a change's date relates to the day it was recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dating {
    /// Dated within the grace of the day it was recorded (or scheduled ahead).
    Contemporaneous,
    /// A live change dated earlier than its grace allows.
    Backdated,
    /// A record entered from the archive.
    Historical,
}

/// Roles that may record a change dated before its grace, with a reason and a document.
pub const BACKDATING_ROLES: &[Role] = &[Role::Secretariat, Role::Supervisor];

/// Days of grace when a command's kind names none.
pub const DEFAULT_GRACE_DAYS: u32 = 7;

/// The temporal policy: how many days before the day of recording a change may be dated and
/// still count as recorded on time, per kind of command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemporalPolicy {
    /// Grace for kinds not listed.
    pub default_grace_days: u32,
    /// Grace per command name (`report_progress`, `extend_deadline`, …).
    pub grace_days: BTreeMap<String, u32>,
}

impl Default for TemporalPolicy {
    fn default() -> Self {
        Self {
            default_grace_days: DEFAULT_GRACE_DAYS,
            grace_days: BTreeMap::new(),
        }
    }
}

/// What a command claims about its time, and who claims it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Claim<'a> {
    /// The command's name.
    pub command: &'a str,
    /// Whether it may take effect after the day it is recorded.
    pub scheduled: bool,
    /// The caller's role.
    pub role: Role,
    /// The day it claims to take effect.
    pub effective: Date,
    /// The day it is recorded, in Việt Nam.
    pub today: Date,
    /// Whether it carries a reason (the caller's or the command's own).
    pub reason: bool,
    /// Whether it carries a source document.
    pub source_document: bool,
}

/// Why a command's date was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// Dated after the day it is recorded, and not a command that schedules.
    #[error("{command} cannot take effect after today ({today}): it is dated {effective}")]
    InFuture {
        /// The command.
        command: String,
        /// Its date.
        effective: Date,
        /// The day of recording.
        today: Date,
    },
    /// Dated before the grace, by a role that may not backdate.
    #[error(
        "a {role} may not record a change dated {effective}: the earliest date allowed today is {earliest}"
    )]
    BackdatingNotAllowed {
        /// The caller's role.
        role: Role,
        /// Its date.
        effective: Date,
        /// The earliest date within the grace.
        earliest: Date,
    },
    /// A backdated change without its reason or source document.
    #[error("a change dated {effective}, before {earliest}, is backdated: give a {missing} for it")]
    BackdatedWithout {
        /// `reason` or `source document`.
        missing: &'static str,
        /// Its date.
        effective: Date,
        /// The earliest date within the grace.
        earliest: Date,
    },
    /// An archival record without the document that attests it.
    #[error("a record from the archive needs the document that attests it (source document)")]
    HistoricalWithoutDocument,
    /// A receipt date attested by a role that does not keep the archive.
    #[error(
        "only the archive attests when a report was received; the ledger records the receipt of live submissions itself"
    )]
    AttestationNotAllowed,
}

impl PolicyError {
    /// The message in Vietnamese.
    #[must_use]
    pub fn vi(&self) -> String {
        match self {
            Self::InFuture {
                command,
                effective,
                today,
            } => format!(
                "thao tác {command} không thể có hiệu lực sau hôm nay ({}): ngày ghi là {}",
                today.vi(),
                effective.vi()
            ),
            Self::BackdatingNotAllowed {
                role,
                effective,
                earliest,
            } => format!(
                "{} không được ghi thay đổi lùi ngày về {}: ngày sớm nhất được phép hôm nay là {}",
                role.vi(),
                effective.vi(),
                earliest.vi()
            ),
            Self::BackdatedWithout {
                missing,
                effective,
                earliest,
            } => format!(
                "thay đổi ghi ngày {}, trước {}, là thay đổi lùi ngày: cần nêu {}",
                effective.vi(),
                earliest.vi(),
                if *missing == "reason" {
                    "lý do"
                } else {
                    "văn bản làm căn cứ"
                }
            ),
            Self::HistoricalWithoutDocument => {
                "hồ sơ lưu trữ nhập vào sổ cần văn bản xác nhận (văn bản làm căn cứ)".to_owned()
            }
            Self::AttestationNotAllowed => "chỉ văn thư lưu trữ mới xác nhận ngày nhận báo cáo; với báo cáo gửi trực tiếp, sổ tự ghi ngày nhận".to_owned(),
        }
    }
}

impl TemporalPolicy {
    /// The grace of a command, in days.
    #[must_use]
    pub fn grace(&self, command: &str) -> u32 {
        self.grace_days
            .get(command)
            .copied()
            .unwrap_or(self.default_grace_days)
    }

    /// Judges a claim: how the change is dated, or why it is refused.
    ///
    /// # Errors
    /// [`PolicyError`].
    pub fn judge(&self, claim: &Claim<'_>) -> Result<Dating, PolicyError> {
        if claim.effective > claim.today && !claim.scheduled {
            return Err(PolicyError::InFuture {
                command: claim.command.to_owned(),
                effective: claim.effective,
                today: claim.today,
            });
        }
        if claim.role == Role::Archivist {
            if !claim.source_document {
                return Err(PolicyError::HistoricalWithoutDocument);
            }
            return Ok(Dating::Historical);
        }
        let earliest = claim
            .today
            .add_days(-i64::from(self.grace(claim.command)))
            .unwrap_or(claim.today);
        if claim.effective >= earliest {
            return Ok(Dating::Contemporaneous);
        }
        if !BACKDATING_ROLES.contains(&claim.role) {
            return Err(PolicyError::BackdatingNotAllowed {
                role: claim.role,
                effective: claim.effective,
                earliest,
            });
        }
        let missing = match (claim.reason, claim.source_document) {
            (true, true) => return Ok(Dating::Backdated),
            (false, _) => "reason",
            (true, false) => "source document",
        };
        Err(PolicyError::BackdatedWithout {
            missing,
            effective: claim.effective,
            earliest,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    fn claim(role: Role, effective: &str) -> Claim<'static> {
        Claim {
            command: "extend_deadline",
            scheduled: false,
            role,
            effective: day(effective),
            today: day("2026-12-01"),
            reason: true,
            source_document: true,
        }
    }

    #[test]
    fn given_a_change_dated_within_the_grace_then_it_is_contemporaneous() {
        let policy = TemporalPolicy::default();
        for role in [Role::Secretariat, Role::UnitReporter, Role::Supervisor] {
            let c = Claim {
                reason: false,
                source_document: false,
                ..claim(role, "2026-11-24")
            };
            assert_eq!(policy.judge(&c), Ok(Dating::Contemporaneous), "{role}");
        }
    }

    #[test]
    fn given_a_future_date_then_only_scheduling_commands_take_it() {
        let policy = TemporalPolicy::default();
        let future = claim(Role::Secretariat, "2026-12-02");
        assert!(matches!(
            policy.judge(&future),
            Err(PolicyError::InFuture { .. })
        ));
        let merger = Claim {
            command: "merge_unit",
            scheduled: true,
            ..future
        };
        assert_eq!(policy.judge(&merger), Ok(Dating::Contemporaneous));
        let reporter = claim(Role::UnitReporter, "2030-12-31");
        assert!(matches!(
            policy.judge(&reporter),
            Err(PolicyError::InFuture { .. })
        ));
    }

    #[test]
    fn given_a_date_before_the_grace_then_only_named_roles_backdate_with_reason_and_document() {
        let policy = TemporalPolicy::default();
        assert_eq!(
            policy.judge(&claim(Role::Secretariat, "2025-11-30")),
            Ok(Dating::Backdated)
        );
        assert_eq!(
            policy.judge(&claim(Role::Supervisor, "2026-11-23")),
            Ok(Dating::Backdated)
        );
        let refused = policy.judge(&claim(Role::UnitReporter, "2025-11-30"));
        assert_eq!(
            refused,
            Err(PolicyError::BackdatingNotAllowed {
                role: Role::UnitReporter,
                effective: day("2025-11-30"),
                earliest: day("2026-11-24"),
            })
        );
        assert!(refused.unwrap_err().vi().contains("24/11/2026"));
        let no_reason = Claim {
            reason: false,
            ..claim(Role::Secretariat, "2025-11-30")
        };
        assert!(matches!(
            policy.judge(&no_reason),
            Err(PolicyError::BackdatedWithout {
                missing: "reason",
                ..
            })
        ));
        let no_document = Claim {
            source_document: false,
            ..claim(Role::Secretariat, "2025-11-30")
        };
        assert!(matches!(
            policy.judge(&no_document),
            Err(PolicyError::BackdatedWithout {
                missing: "source document",
                ..
            })
        ));
    }

    #[test]
    fn given_a_grace_per_kind_then_it_applies_to_that_kind_only() {
        let policy = TemporalPolicy {
            default_grace_days: 3,
            grace_days: BTreeMap::from([("extend_deadline".to_owned(), 30)]),
        };
        assert_eq!(
            policy.judge(&claim(Role::UnitReporter, "2026-11-05")),
            Ok(Dating::Contemporaneous)
        );
        let other = Claim {
            command: "report_progress",
            ..claim(Role::UnitReporter, "2026-11-05")
        };
        assert!(policy.judge(&other).is_err());
    }

    #[test]
    fn given_the_archive_then_records_are_historical_and_attested() {
        let policy = TemporalPolicy::default();
        assert_eq!(
            policy.judge(&claim(Role::Archivist, "2022-03-15")),
            Ok(Dating::Historical)
        );
        let unattested = Claim {
            source_document: false,
            ..claim(Role::Archivist, "2022-03-15")
        };
        assert_eq!(
            policy.judge(&unattested),
            Err(PolicyError::HistoricalWithoutDocument)
        );
    }
}
