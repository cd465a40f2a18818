//! Requests every GraphQL test runs, at the schema level (`tests/schema.rs`) and over HTTP on
//! both backends (`tests/http.rs` at the workspace root includes this file): one call of every
//! mutation with the roles allowed to make it, and bad input. Values are the demo's.

use ledger_graphql::auth::Role;

/// One call of every mutation, on the demo's data, in an order in which each succeeds for the
/// first role [`allowed`] names (the unit reporter acts for so-tu-phap). Today is
/// 1 December 2026: every change is dated within its grace, or scheduled ahead.
pub const MUTATIONS: &[(&str, &str)] = &[
    (
        "registerUnit",
        r#"{ id: "don-vi-moi", kind: STATE_BODY, name: "Đơn vị mới", establishedOn: "2026-11-30" }"#,
    ),
    (
        "renameUnit",
        r#"{ id: "so-tai-chinh", name: "Sở Tài chính tỉnh Thái Nguyên", on: "2026-11-30", basis: "100/QĐ-UBND" }"#,
    ),
    (
        "reparentUnit",
        r#"{ id: "doan-luat-su", parent: "so-tu-phap", on: "2026-11-30", basis: "100/QĐ-UBND" }"#,
    ),
    (
        "mergeUnit",
        r#"{ id: "ubmttq-tinh", into: "ubnd-tinh", on: "2026-11-30", basis: "100/QĐ-UBND" }"#,
    ),
    (
        "dissolveUnit",
        r#"{ id: "doan-luat-su", on: "2026-11-30", basis: "100/QĐ-UBND" }"#,
    ),
    (
        "declareSuccessor",
        r#"{ id: "doan-luat-su", successor: "so-tu-phap", on: "2026-12-01", basis: "100/QĐ-UBND" }"#,
    ),
    (
        "registerDocument",
        r#"{ identity: { issuer: "tinh-uy", numbering: { term: { from: 2025, to: 2030 } }, number: "01-KH/TU" }, title: "Kế hoạch mới", issuedOn: "2026-11-30" }"#,
    ),
    (
        "adoptProgramme",
        r#"{ id: "de-an-moi", document: "20-ĐA/TU", issuer: "tinh-uy", title: "Đề án mới", objectives: "Mục tiêu", fromYear: 2026, toYear: 2030, groups: [{ number: 1, title: "Nhóm 1" }], adoptedOn: "2026-11-30" }"#,
    ),
    (
        "issuePlan",
        r#"{ id: "kh-moi", document: "50-KH/TU", issuer: "ban-thuong-vu-tinh-uy", title: "Kế hoạch mới", implements: { programme: "de-an-10-da-tu" }, requiredUnitPlans: [], issuedOn: "2026-11-30" }"#,
    ),
    (
        "recordUnitPlan",
        r#"{ plan: "kh-44-kh-tu", unit: "dong-hy", unitPlan: "kh-dong-hy", on: "2026-11-30" }"#,
    ),
    (
        "amendPlan",
        r#"{ id: "kh-44-kh-tu", title: "Kế hoạch 44 (sửa đổi)", on: "2026-11-30", basis: "45-KH/TU" }"#,
    ),
    (
        "supersedePlan",
        r#"{ id: "kh-44-kh-tu", by: "kh-moi", on: "2027-01-01", basis: "46-KH/TU" }"#,
    ),
    (
        "amendProgramme",
        r#"{ id: "de-an-10-da-tu", title: "Đề án 10 (sửa đổi)", on: "2026-11-30", basis: "21-ĐA/TU" }"#,
    ),
    (
        "reviewProgramme",
        r#"{ id: "de-an-10-da-tu", kind: FINAL, on: "2026-12-01", basis: "22-BC/TU", summary: "Tổng kết" }"#,
    ),
    (
        "closeProgramme",
        r#"{ id: "de-an-10-da-tu", on: "2026-12-01", basis: "23-KL/TU" }"#,
    ),
    (
        "adoptFocusProgramme",
        r#"{ id: "ctr-trong-tam-2027", programme: "de-an-moi", year: 2027, by: "ban-chi-dao-cctp", document: "05-CTr/BCĐ", priorities: [{ group: 1, title: "Ưu tiên", tasks: ["co-so-vat-chat"] }], adoptedOn: "2026-11-30" }"#,
    ),
    (
        "amendFocusProgramme",
        r#"{ id: "ctr-trong-tam-2027", priorities: [{ group: 1, title: "Ưu tiên hàng đầu", tasks: ["co-so-vat-chat", "hop-tac-quoc-te"] }], on: "2026-12-01", basis: "06-CTr/BCĐ" }"#,
    ),
    (
        "assignTask",
        r#"{ id: "nhiem-vu-moi", plan: "kh-44-kh-tu", group: 2, title: "Nhiệm vụ mới", lead: "so-tu-phap", coordinating: [], deadline: "2027-06-30", assignedOn: "2026-11-30", basis: "44-KH/TU" }"#,
    ),
    (
        "reportProgress",
        r#"{ task: "boi-duong-can-bo", by: "so-tu-phap", percent: 95, note: "Gần xong", on: "2026-11-30" }"#,
    ),
    (
        "raiseObstacle",
        r#"{ id: "vuong-mac-moi", task: "boi-duong-can-bo", by: "so-tu-phap", description: "Thiếu kinh phí", raisedOn: "2026-11-30" }"#,
    ),
    (
        "completeTask",
        r#"{ task: "boi-duong-can-bo", by: "so-tu-phap", deliverable: "12/BC-STP", on: "2026-12-01" }"#,
    ),
    (
        "extendDeadline",
        r#"{ task: "co-so-vat-chat", deadline: "2027-03-31", on: "2026-11-30", reason: "Chờ vốn", basis: "100/QĐ-UBND" }"#,
    ),
    (
        "transferTask",
        r#"{ task: "co-so-vat-chat", to: "so-tai-chinh", on: "2026-11-30", reason: "Phân công lại", basis: "100/QĐ-UBND" }"#,
    ),
    (
        "issueReminder",
        r#"{ task: "hop-tac-quoc-te", on: "2026-11-30", note: "Đề nghị khẩn trương" }"#,
    ),
    (
        "cancelTask",
        r#"{ task: "hop-tac-quoc-te", on: "2026-12-01", reason: "Không còn phù hợp", basis: "100/QĐ-UBND" }"#,
    ),
    (
        "submitReport",
        r#"{ id: "so-tu-phap-2026-q4", unit: "so-tu-phap", plan: "kh-44-kh-tu", period: "2026-Q4", submittedOn: "2026-11-30", content: { achievements: "Kết quả quý 4" } }"#,
    ),
    (
        "returnReport",
        r#"{ id: "so-tu-phap-2026-q4", by: "ban-noi-chinh-tinh-uy", on: "2026-11-30", reason: "Thiếu số liệu" }"#,
    ),
    (
        "correctReport",
        r#"{ id: "so-tu-phap-2026-q4", corrects: 1, reason: "Bổ sung", submittedOn: "2026-12-01", content: { achievements: "Bổ sung số liệu" } }"#,
    ),
    (
        "acceptReport",
        r#"{ id: "so-tu-phap-2026-q4", by: "ban-noi-chinh-tinh-uy", on: "2026-12-01" }"#,
    ),
    (
        "escalateObstacle",
        r#"{ id: "phan-mem-quan-ly-an", to: "ban-chi-dao-cctp", on: "2026-11-30" }"#,
    ),
    (
        "resolveObstacle",
        r#"{ id: "phan-mem-quan-ly-an", on: "2026-12-01", resolution: "Đã mua phần mềm", basis: "2200/QĐ-UBND" }"#,
    ),
    (
        "openSupervision",
        r#"{ id: "giam-sat-2026", body: "hdnd-tinh", subject: "Giám sát", supervised: ["so-tu-phap"], openedOn: "2026-11-30", basis: "10/KH-HĐND" }"#,
    ),
    (
        "recommend",
        r#"{ supervision: "giam-sat-2026", to: "so-tu-phap", text: "Đề nghị", respondBy: "2027-03-31", on: "2026-11-30" }"#,
    ),
    (
        "answerRecommendation",
        r#"{ supervision: "giam-sat-2026", number: 1, by: "so-tu-phap", answer: "Trả lời", on: "2026-12-01" }"#,
    ),
    (
        "closeSupervision",
        r#"{ id: "giam-sat-2026", on: "2026-12-01", conclusion: "Kết luận", basis: "11/TB-HĐND" }"#,
    ),
    (
        "holdBriefing",
        r#"{ id: "giao-ban-2026", title: "Giao ban", chairedBy: "ban-noi-chinh-tinh-uy", participants: ["so-tu-phap"], heldOn: "2026-11-30" }"#,
    ),
    (
        "issueConclusion",
        r#"{ briefing: "giao-ban-2026", document: "200-TB/TU", on: "2026-12-01", conclusions: "Kết luận", followUp: [] }"#,
    ),
];

/// Which roles each mutation allows: the role whose work it is, then the archivist, who may
/// enter any record from the archive (attested by a document; the matrix's calls, made
/// again by the archivist, are refused by the domain's rules, not for the role).
pub fn allowed(mutation: &str) -> &'static [Role] {
    match mutation {
        "reportProgress"
        | "completeTask"
        | "submitReport"
        | "correctReport"
        | "raiseObstacle"
        | "answerRecommendation" => &[Role::UnitReporter, Role::Archivist],
        "openSupervision" | "recommend" | "closeSupervision" => {
            &[Role::Supervisor, Role::Archivist]
        }
        _ => &[Role::Secretariat, Role::Archivist],
    }
}

/// Mutations a unit reporter (acting for so-tu-phap) may not make for another unit.
pub const OUT_OF_SCOPE: &[&str] = &[
    // Another unit's progress, another unit's report, another unit's correction.
    r#"mutation { reportProgress(input: { task: "chat-luong-dieu-tra", by: "cong-an-tinh", percent: 90, note: "x", on: "2026-11-30" }) { lastPosition } }"#,
    r#"mutation { submitReport(input: { id: "cong-an-tinh-2026-q4", unit: "cong-an-tinh", plan: "kh-44-kh-tu", period: "2026-Q4", submittedOn: "2026-11-30", content: {} }) { lastPosition } }"#,
    r#"mutation { correctReport(input: { id: "cong-an-tinh-2025-q2", corrects: 1, reason: "x", submittedOn: "2026-11-30", content: {} }) { lastPosition } }"#,
];

/// Bad input, each refused with one coded error (`BAD_USER_INPUT` or `NOT_FOUND`) and nothing
/// written: (query, what is wrong).
pub const BAD_INPUT: &[(&str, &str)] = &[
    (
        r#"mutation { assignTask(input: { id: "x-1", plan: "kh-44-kh-tu", title: "T", lead: "so-tu-phap", coordinating: [], deadline: "2027-06-30", assignedOn: "2026-11-30", basis: "44-KH/TU khong hop le" }) { lastPosition } }"#,
        "malformed document number",
    ),
    (
        r#"mutation { assignTask(input: { id: "x-2", plan: "kh-44-kh-tu", title: "T", lead: "so-tu-phap", coordinating: [], deadline: "2027-02-30", assignedOn: "2026-11-30", basis: "44-KH/TU" }) { lastPosition } }"#,
        "impossible date",
    ),
    (
        r#"mutation { registerUnit(input: { id: "Không hợp lệ", kind: STATE_BODY, name: "X", establishedOn: "2026-11-30" }) { lastPosition } }"#,
        "bad id",
    ),
    (
        r#"mutation { registerUnit(input: { id: "x-3", kind: STATE_BODY, name: "", establishedOn: "2026-11-30" }) { lastPosition } }"#,
        "empty name",
    ),
    (
        r#"mutation { registerUnit(input: { id: "x-3", kind: "state_body", name: "X", establishedOn: "2026-11-30" }) { lastPosition } }"#,
        "a kind that is not one of the enum's values",
    ),
    (
        r#"mutation { assignTask(input: { id: "x-4", plan: "kh-44-kh-tu", title: "T", lead: "khong-ton-tai", coordinating: [], deadline: "2027-06-30", assignedOn: "2026-11-30", basis: "44-KH/TU" }) { lastPosition } }"#,
        "unknown unit",
    ),
    (
        "mutation { registerUnit(input: { id: \"kho\u{0302}ng-nfc\", kind: STATE_BODY, name: \"X\", establishedOn: \"2026-11-30\" }) { lastPosition } }",
        "an id not in NFC (and not a slug)",
    ),
    (
        r#"mutation { issuePlan(input: { id: "kh-x", document: "51-KH/TU", issuer: "tinh-uy", title: "T", implements: { programme: "de-an-10-da-tu", plan: "kh-44-kh-tu" }, issuedOn: "2026-11-30" }) { lastPosition } }"#,
        "a plan implementing two things at once",
    ),
    (
        r#"{ tasks(first: 5, after: "bm90IGEgY3Vyc29y") { totalCount } }"#,
        "a cursor this API did not issue",
    ),
    (r#"{ tasks(first: 500) { totalCount } }"#, "a page over 100"),
    (
        r#"{ tasks(on: "2025-13-01") { totalCount } }"#,
        "an impossible day",
    ),
    // What comes with a mutation: reason and idempotency key (these were INTERNAL).
    (
        "mutation { renameUnit(input: { id: \"so-tu-phap\", name: \"Sở\", on: \"2026-11-30\", basis: \"44-KH/TU\" }, reason: \"có\\u0000NUL\") { lastPosition } }",
        "a NUL in the reason",
    ),
    (
        r#"mutation { renameUnit(input: { id: "so-tu-phap", name: "Sở", on: "2026-11-30", basis: "44-KH/TU" }, reason: "   ") { lastPosition } }"#,
        "a blank reason",
    ),
    (
        r#"mutation { renameUnit(input: { id: "so-tu-phap", name: "Sở", on: "2026-11-30", basis: "44-KH/TU" }, reason: "") { lastPosition } }"#,
        "an empty reason",
    ),
    (
        OVERLONG_REASON,
        "a reason over the 4,000 bytes the envelope keeps",
    ),
    (
        r#"mutation { renameUnit(input: { id: "so-tu-phap", name: "Sở", on: "2026-11-30", basis: "44-KH/TU" }, idempotencyKey: "") { lastPosition } }"#,
        "an empty idempotency key",
    ),
    (
        r#"mutation { renameUnit(input: { id: "so-tu-phap", name: "Sở", on: "2026-11-30", basis: "44-KH/TU" }, idempotencyKey: "  ") { lastPosition } }"#,
        "a blank idempotency key",
    ),
    (
        "mutation { renameUnit(input: { id: \"so-tu-phap\", name: \"Sở\", on: \"2026-11-30\", basis: \"44-KH/TU\" }, idempotencyKey: \"kho\u{0302}a\") { lastPosition } }",
        "an idempotency key not in NFC",
    ),
    (OVERLONG_KEY, "an idempotency key over 200 bytes"),
];

/// A reason of 1,500 three-byte characters: within a LongText, over what the envelope keeps.
pub const OVERLONG_REASON: &str = concat!(
    r#"mutation { renameUnit(input: { id: "so-tu-phap", name: "Sở", on: "2026-11-30", basis: "44-KH/TU" }, reason: ""#,
    include_str!("overlong.txt"),
    r#"") { lastPosition } }"#
);

/// An idempotency key of 300 bytes.
pub const OVERLONG_KEY: &str = concat!(
    r#"mutation { renameUnit(input: { id: "so-tu-phap", name: "Sở", on: "2026-11-30", basis: "44-KH/TU" }, idempotencyKey: ""#,
    include_str!("overlong-key.txt"),
    r#"") { lastPosition } }"#
);

/// Requests the rules about time, reports and keys refuse, each with nothing written: (role,
/// query, the code it is refused with, what is wrong). Today is 1 December 2026.
pub const REFUSED: &[(Role, &str, &str, &str)] = &[
    (
        Role::UnitReporter,
        r#"mutation { raiseObstacle(input: { id: "vuong-mac-cu", task: "hop-tac-quoc-te", by: "so-tu-phap", description: "Thiếu kinh phí", raisedOn: "2026-01-05" }) { lastPosition } }"#,
        "BAD_USER_INPUT",
        "a unit dating its own record back beyond the grace",
    ),
    (
        Role::UnitReporter,
        r#"mutation { raiseObstacle(input: { id: "vuong-mac-sau", task: "hop-tac-quoc-te", by: "so-tu-phap", description: "Thiếu kinh phí", raisedOn: "2027-01-05" }) { lastPosition } }"#,
        "BAD_USER_INPUT",
        "a record dated after today",
    ),
    (
        Role::Secretariat,
        r#"mutation { registerUnit(input: { id: "don-vi-cu", kind: STATE_BODY, name: "Đơn vị cũ", establishedOn: "2026-01-05" }) { lastPosition } }"#,
        "BAD_USER_INPUT",
        "a backdated change without its reason and document",
    ),
    (
        Role::UnitReporter,
        r#"mutation { submitReport(input: { id: "so-tu-phap-2025-q3-bis", unit: "so-tu-phap", plan: "kh-44-kh-tu", period: "2025-Q3", submittedOn: "2026-11-30", content: {} }) { lastPosition } }"#,
        "ALREADY_EXISTS",
        "a second report of the unit for the same plan and period",
    ),
    (
        Role::UnitReporter,
        r#"mutation { submitReport(input: { id: "so-tu-phap-2025-q4", unit: "so-tu-phap", plan: "kh-44-kh-tu", period: "2025-Q4", submittedOn: "2026-11-30", content: {}, attested: { receivedOn: "2026-01-10", document: "02/BB-VPTU" } }) { lastPosition } }"#,
        "BAD_USER_INPUT",
        "a unit claiming when its own report was received",
    ),
    (
        Role::Archivist,
        r#"mutation { registerUnit(input: { id: "don-vi-luu-tru", kind: STATE_BODY, name: "Đơn vị", establishedOn: "2021-01-05" }) { lastPosition } }"#,
        "BAD_USER_INPUT",
        "a record from the archive without the document that attests it",
    ),
];
