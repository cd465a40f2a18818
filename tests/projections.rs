//! The read models over the demo scenario, on SQLite and PostgreSQL: what each read model says,
//! as of past positions, recorded times and effective dates; that a projector killed between or
//! inside batches ends where an uninterrupted one does; and that a rebuild, even one racing a
//! live projector and new appends, reproduces incremental projection row for row.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use chrono::NaiveDate;
use ledger_app::scenario::{DEMO, Scenario, import, parse};
use ledger_app::{CommandPath, Principal, Request};
use ledger_domain::access::Role;
use ledger_domain::document::{DocumentIdentity, Numbering, RegisterDocument, Term};
use ledger_domain::value::{Date, DocumentNumber, PeriodKind, ReportingRegime, Title, UnitId};
use ledger_projections::query::{AuditFilter, RollupBy};
use ledger_projections::{
    AsOf, CrashPoint, Db, Error, Projector, ProjectorOptions, ReadModels, rebuild,
};
use ledger_store::{EventStore, Timestamp};
use ledger_tests::backends::{Postgres, Sqlite};
use ledger_tests::projections::ReadModelBackend;

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

fn demo() -> Scenario {
    parse(DEMO).unwrap()
}

/// The demo's steps `range`, as a scenario of its own name.
fn part(name: &str, range: std::ops::Range<usize>) -> Scenario {
    let mut s = demo();
    s.name = name.to_owned();
    s.steps = s.steps[range].to_vec();
    s
}

async fn import_all<S: EventStore>(store: &S, scenario: &Scenario) {
    import(&CommandPath::new(store.clone()), scenario, |_| {})
        .await
        .unwrap();
}

fn options(batch_size: usize) -> ProjectorOptions {
    ProjectorOptions {
        batch_size,
        poll_interval: Duration::from_millis(50),
        crash: None,
    }
}

async fn project<S: EventStore>(store: &S, db: &Db, batch_size: usize) -> u64 {
    db.migrate().await.unwrap();
    Projector::new(store.clone(), db.clone(), options(batch_size))
        .catch_up()
        .await
        .unwrap()
}

type Dump = Vec<(String, Vec<Vec<ledger_projections::value::Value>>)>;

async fn dump(db: &Db, as_of: AsOf, history: bool) -> Dump {
    let mut snap = ReadModels::new(db.clone()).snapshot(as_of).await.unwrap();
    let out = snap.dump(history).await.unwrap();
    snap.close().await.unwrap();
    out
}

/// Asserts two dumps are equal, naming the first table that differs.
fn assert_same(left: &Dump, right: &Dump, what: &str) {
    assert_eq!(left.len(), right.len());
    for ((name, a), (_, b)) in left.iter().zip(right) {
        assert_eq!(
            a.len(),
            b.len(),
            "{what}: table {name} has a different row count"
        );
        assert_eq!(a, b, "{what}: table {name} differs");
    }
}

async fn demo_read_models<B: ReadModelBackend>() {
    let backend = B::new().await;
    let store = backend.store().clone();
    import_all(&store, &demo()).await;
    let db = backend.read_db();
    let head = store.head().await.unwrap().size;
    assert_eq!(project(&store, &db, 5_000).await, head);
    let mut s = ReadModels::new(db.clone())
        .snapshot(AsOf::Present)
        .await
        .unwrap();
    assert_eq!(s.position(), head);

    // Units: names over time, the 2025 merger's successor chains.
    assert_eq!(s.units().await.unwrap().len(), 30);
    let pho_yen = s.unit("pho-yen").await.unwrap().unwrap();
    assert_eq!(pho_yen.name, "Thành phố Phổ Yên");
    assert_eq!(pho_yen.status, "dissolved");
    assert_eq!(pho_yen.ended_on.as_deref(), Some("2025-07-01"));
    assert_eq!(
        s.unit_name_on("pho-yen", day("2022-04-09"))
            .await
            .unwrap()
            .as_deref(),
        Some("Thị xã Phổ Yên")
    );
    assert_eq!(
        s.unit_name_on("pho-yen", day("2022-04-10"))
            .await
            .unwrap()
            .as_deref(),
        Some("Thành phố Phổ Yên")
    );
    assert_eq!(
        s.unit_name_on("pho-yen", day("2019-01-01")).await.unwrap(),
        None
    );
    assert_eq!(
        s.successor_chain("dai-tu", day("2025-07-01"))
            .await
            .unwrap(),
        ["dai-tu", "ubnd-tinh"]
    );
    assert_eq!(
        s.successor_chain("dai-tu", day("2025-06-30"))
            .await
            .unwrap(),
        ["dai-tu"]
    );
    assert_eq!(
        s.successor_chain("tand-huyen-phu-binh", day("2025-12-31"))
            .await
            .unwrap(),
        ["tand-huyen-phu-binh", "tand-khu-vuc-3"]
    );
    assert_eq!(s.predecessors("ubnd-tinh").await.unwrap().len(), 10);
    let merged = s.unit("ubnd-tinh-bac-kan").await.unwrap().unwrap();
    assert_eq!(
        (merged.status.as_str(), merged.merged_into.as_deref()),
        ("merged", Some("ubnd-tinh"))
    );

    // Programme, groups, plan and the unit plans it requires.
    let programmes = s.programmes().await.unwrap();
    assert_eq!(programmes.len(), 1);
    assert_eq!(programmes[0].document, "10-ĐA/TU");
    assert_eq!(s.groups("de-an-10-da-tu").await.unwrap().len(), 8);
    let plans = s.plans().await.unwrap();
    assert_eq!(plans.len(), 1);
    assert_eq!(plans[0].programme_id.as_deref(), Some("de-an-10-da-tu"));
    assert_eq!(s.child_plans("de-an-10-da-tu").await.unwrap().len(), 1);
    assert_eq!(
        s.required_unit_plans("kh-44-kh-tu").await.unwrap().len(),
        18
    );
    let missing = |rows: Vec<ledger_projections::query::MissingUnitPlan>| {
        rows.into_iter()
            .map(|r| r.required.unit_id)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        missing(
            s.missing_unit_plans("kh-44-kh-tu", day("2022-03-01"))
                .await
                .unwrap()
        ),
        ["dinh-hoa", "dong-hy", "phu-luong", "vo-nhai"]
    );
    assert_eq!(
        missing(
            s.missing_unit_plans("kh-44-kh-tu", day("2025-12-31"))
                .await
                .unwrap()
        ),
        ["dong-hy", "vo-nhai"]
    );
    // The two districts ended on 1 July 2025: the duty passed to the province that day.
    let passed = s
        .missing_unit_plans("kh-44-kh-tu", day("2025-12-31"))
        .await
        .unwrap();
    assert!(
        passed
            .iter()
            .all(|m| m.responsible == "ubnd-tinh" && m.passed_on.as_deref() == Some("2025-07-01"))
    );
    let before = s
        .missing_unit_plans("kh-44-kh-tu", day("2025-06-30"))
        .await
        .unwrap();
    assert!(
        before
            .iter()
            .all(|m| m.responsible == m.required.unit_id && m.passed_on.is_none())
    );
    assert_eq!(s.focus_programmes().await.unwrap().len(), 4);

    // Tasks: status, overdue on a date (counts worked out from the scenario file by hand).
    let tasks = s.tasks().await.unwrap();
    assert_eq!(tasks.len(), 40);
    assert_eq!(tasks.iter().filter(|t| t.status == "completed").count(), 27);
    for (on, count) in [("2022-07-01", 2), ("2024-12-31", 5), ("2025-12-31", 13)] {
        assert_eq!(
            s.overdue_tasks(day(on)).await.unwrap().len(),
            count,
            "overdue on {on}"
        );
    }
    let extended = s.task("huong-dan-bo-tro-tu-phap").await.unwrap().unwrap();
    assert_eq!(
        (extended.deadline.as_str(), extended.extensions),
        ("2022-09-30", 1)
    );
    let percent_on = |tasks: &[ledger_projections::query::TaskOn], id: &str| {
        tasks.iter().find(|t| t.task.id == id).map(|t| t.percent)
    };
    let mid_2023 = s.tasks_on(day("2023-06-30")).await.unwrap();
    let end_2025 = s.tasks_on(day("2025-12-31")).await.unwrap();
    assert_eq!(percent_on(&mid_2023, "giam-an-ton-dong"), Some(30));
    assert_eq!(percent_on(&end_2025, "giam-an-ton-dong"), Some(85));
    assert_eq!(percent_on(&end_2025, "huong-dan-bo-tro-tu-phap"), Some(100));

    // Roll-ups: by group, by plan, by unit across the merger.
    let by_group = s.rollup(RollupBy::Group, day("2025-12-31")).await.unwrap();
    assert_eq!(
        by_group
            .iter()
            .map(|r| r.total.tasks + r.total.cancelled)
            .sum::<u64>(),
        40
    );
    assert_eq!(
        by_group
            .iter()
            .find(|r| r.key == "de-an-10-da-tu#1")
            .unwrap()
            .total
            .tasks,
        24
    );
    let by_plan = s.rollup(RollupBy::Plan, day("2025-12-31")).await.unwrap();
    assert_eq!(by_plan.len(), 1);
    assert_eq!(by_plan[0].total.completed, 27);
    let before = s.rollup(RollupBy::Unit, day("2025-06-30")).await.unwrap();
    let after = s.rollup(RollupBy::Unit, day("2025-07-01")).await.unwrap();
    // Đại Từ's work stays credited to it after the district ended.
    for rows in [&before, &after] {
        let dai_tu = rows.iter().find(|r| r.key == "dai-tu").unwrap();
        assert_eq!((dai_tu.own.tasks, dai_tu.inherited.tasks), (1, 0));
    }
    let tasks_of = |rows: &[ledger_projections::query::Rollup], key: &str| {
        rows.iter()
            .find(|r| r.key == key)
            .map_or(0, |r| r.total.tasks)
    };
    // Nine districts lead one task each; on 1 July 2025 all nine roll up into the province:
    // its own task, the two transferred to it that day (steps 486, 487: Đồng Hỷ, Võ Nhai),
    // and seven inherited from the districts it succeeded.
    assert_eq!(tasks_of(&before, "ubnd-tinh"), 1);
    assert_eq!(tasks_of(&after, "ubnd-tinh"), 10);
    let province = after.iter().find(|r| r.key == "ubnd-tinh").unwrap();
    assert_eq!((province.own.tasks, province.inherited.tasks), (3, 7));

    // Reports and the compliance matrix.
    assert_eq!(s.reports(None, None).await.unwrap().len(), 162);
    assert_eq!(s.reports(Some("so-tu-phap"), None).await.unwrap().len(), 14);
    let regime = ReportingRegime::decree_09_2019();
    let matrix = s
        .compliance_matrix(
            "kh-44-kh-tu",
            PeriodKind::Quarter,
            &regime,
            day("2025-12-31"),
        )
        .await
        .unwrap();
    assert_eq!(matrix.periods.first().map(String::as_str), Some("2022-Q1"));
    assert_eq!(matrix.periods.len(), 17);
    assert_eq!(matrix.rows.len(), 18);
    let count = |m: &ledger_projections::query::ComplianceMatrix, status: &str| {
        m.rows
            .iter()
            .flat_map(|r| &r.cells)
            .filter(|c| c.status == status)
            .count()
    };
    assert_eq!(count(&matrix, "accepted"), 162);
    assert_eq!(count(&matrix, "ended"), 27);
    assert_eq!(count(&matrix, "not_due"), 9);
    assert_eq!(count(&matrix, "missing"), 108);
    // On 20 June 2022 the police's Q2 report had been returned (18 June), not yet corrected.
    let june = s
        .compliance_matrix(
            "kh-44-kh-tu",
            PeriodKind::Quarter,
            &regime,
            day("2022-06-20"),
        )
        .await
        .unwrap();
    let police = june
        .rows
        .iter()
        .find(|r| r.unit_id == "cong-an-tinh")
        .unwrap();
    let q2 = police.cells.iter().find(|c| c.period == "2022-Q2").unwrap();
    assert_eq!(q2.status, "returned");

    // What reports say, and where they contradict the ledger: seven 2025-Q2 lines claim tasks
    // completed that the ledger has open (steps 456-465), acknowledged on acceptance.
    let discrepancies = s.report_discrepancies("kh-44-kh-tu", None).await.unwrap();
    let lines: Vec<(&str, &str)> = discrepancies
        .iter()
        .map(|(r, d)| (r.id.as_str(), d.task_id.as_str()))
        .collect();
    assert_eq!(
        lines,
        [
            ("cong-an-tinh-2025-q2", "chat-luong-dieu-tra"),
            ("cuc-thads-tinh-2025-q2", "thi-hanh-an-ton-dong"),
            ("so-tu-phap-2025-q2", "boi-duong-can-bo"),
            ("so-tu-phap-2025-q2", "hop-tac-quoc-te"),
            ("tand-tinh-2025-q2", "giam-an-ton-dong"),
            ("ubmttq-tinh-2025-q2", "giam-sat-mttq"),
            ("vksnd-tinh-2025-q2", "chat-luong-kiem-sat"),
        ]
    );
    assert!(
        discrepancies
            .iter()
            .all(|(r, d)| d.kind == "claimed_completed"
                && d.step == "accepted"
                && r.period == "2025-Q2")
    );
    assert!(
        s.report_discrepancies("kh-44-kh-tu", Some("2025-Q1"))
            .await
            .unwrap()
            .is_empty()
    );
    // The police's 2022-Q2 report: returned, then corrected; both revisions kept with their
    // lines.
    let revisions = s.report_revisions("cong-an-tinh-2022-q2").await.unwrap();
    assert_eq!(
        revisions
            .iter()
            .map(|r| r.revision.revision)
            .collect::<Vec<_>>(),
        [1, 2]
    );
    assert!(revisions.iter().all(|r| !r.items.is_empty()));
    // Two district plans were completed after their deadlines.
    let late: Vec<String> = end_2025
        .iter()
        .filter(|t| t.completed_late)
        .map(|t| t.task.id.clone())
        .collect();
    assert_eq!(
        late,
        ["kh44-kh-don-vi-dinh-hoa", "kh44-kh-don-vi-phu-luong"]
    );

    // Obstacles and recommendations.
    let obstacles = s.obstacles_on(day("2025-12-31")).await.unwrap();
    assert_eq!(obstacles.len(), 3);
    assert_eq!(obstacles.iter().filter(|o| o.open).count(), 1);
    let staff = obstacles
        .iter()
        .find(|o| o.obstacle.id == "thieu-bien-che-chap-hanh-vien")
        .unwrap();
    assert_eq!(staff.age_days, 94);
    let september = s.recommendations_on(day("2023-09-01")).await.unwrap();
    assert_eq!(
        (
            september.len(),
            september.iter().filter(|r| r.answered).count(),
            september.iter().filter(|r| r.overdue).count()
        ),
        (3, 1, 2)
    );
    let year_end = s.recommendations_on(day("2023-12-31")).await.unwrap();
    let overdue: Vec<i64> = year_end
        .iter()
        .filter(|r| r.overdue)
        .map(|r| r.recommendation.number)
        .collect();
    assert_eq!(overdue, [2]);
    // Recommendation 3 was answered on 20 September 2023, after its 31 August deadline.
    let answered_late: Vec<i64> = year_end
        .iter()
        .filter(|r| r.answered_late)
        .map(|r| r.recommendation.number)
        .collect();
    assert_eq!(answered_late, [3]);
    assert_eq!(s.supervisions().await.unwrap()[0].status, "closed");
    assert_eq!(s.briefings().await.unwrap().len(), 1);

    // The audit index and citations.
    let completed = s
        .audit(&AuditFilter {
            event_types: vec!["TaskCompleted".into()],
            limit: 1000,
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(completed.len(), 27);
    assert!(completed.iter().all(|e| e.entry.actor == "demo-archivist"));
    // Every record came from the archive: historical, none backdated.
    let historical = AuditFilter {
        historical: Some(true),
        limit: 1000,
        ..AuditFilter::default()
    };
    assert_eq!(s.audit_count(&historical).await.unwrap(), head);
    let backdated = AuditFilter {
        backdated: Some(true),
        limit: 1000,
        ..AuditFilter::default()
    };
    assert_eq!(s.audit_count(&backdated).await.unwrap(), 0);
    let page = s
        .audit(&AuditFilter {
            after: 10,
            limit: 5,
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(
        page.iter().map(|e| e.position).collect::<Vec<_>>(),
        [11, 12, 13, 14, 15]
    );
    assert!(matches!(
        s.audit(&AuditFilter::default()).await,
        Err(Error::Invalid { field: "limit", .. })
    ));
    // A number finds the registered document and what carries it.
    let named = s.documents_named("44-KH/TU").await.unwrap();
    assert!(named.iter().any(|d| d.kind == "registered"), "{named:?}");
    assert!(named.iter().any(|d| d.kind == "plan"), "{named:?}");
    let cited = s.citations("44-KH/TU").await.unwrap();
    assert!(
        cited
            .iter()
            .any(|c| c.role == "document" && c.event_type == "PlanIssued")
    );
    assert!(
        cited
            .iter()
            .filter(|c| c.event_type == "TaskAssigned")
            .count()
            > 10
    );
    s.close().await.unwrap();
    backend.cleanup().await;
}

async fn documents_by_identity_and_number<B: ReadModelBackend>() {
    let backend = B::new().await;
    let store = backend.store().clone();
    let path = CommandPath::new(store.clone());
    let archivist = Principal {
        subject: "van-thu".into(),
        name: "Văn thư".into(),
        role: Role::Archivist,
        unit: None,
    };
    let attested = Request {
        source_document: Some(DocumentNumber::parse("01/BB-VPTU").unwrap()),
        ..Request::default()
    };
    let issuer = ledger_domain::unit::RegisterUnit {
        id: UnitId::parse("tinh-uy-thai-nguyen").unwrap(),
        kind: ledger_domain::unit::UnitKind::PartyOrgan,
        name: Title::parse("Tỉnh ủy Thái Nguyên").unwrap(),
        parent: None,
        established_on: Date::from_ymd(2010, 1, 1).unwrap(),
        basis: None,
    };
    path.execute(&archivist, &attested, issuer).await.unwrap();
    // The same number in two congress terms: two documents.
    for (from, to, title) in [
        (2015, 2020, "Kế hoạch khóa XIX"),
        (2020, 2025, "Kế hoạch khóa XX"),
    ] {
        let register = RegisterDocument {
            identity: DocumentIdentity {
                issuer: UnitId::parse("tinh-uy-thai-nguyen").unwrap(),
                numbering: Numbering::Term(Term { from, to }),
                number: DocumentNumber::parse("44-KH/TU").unwrap(),
            },
            title: Title::parse(title).unwrap(),
            signed_by: None,
            issued_on: Date::from_ymd(from + 1, 6, 1).unwrap(),
        };
        path.execute(&archivist, &attested, register).await.unwrap();
    }
    let db = backend.read_db();
    project(&store, &db, 100).await;
    let mut s = ReadModels::new(db).snapshot(AsOf::Present).await.unwrap();
    let found = s.documents_by_number("44-KH/TU").await.unwrap();
    assert_eq!(found.len(), 2);
    assert_eq!(
        found
            .iter()
            .map(|d| d.numbering.as_str())
            .collect::<Vec<_>>(),
        ["2015-2020", "2020-2025"]
    );
    let one = s.document(&found[1].id).await.unwrap().unwrap();
    assert_eq!(one.title, "Kế hoạch khóa XX");
    assert_eq!(s.citations("44-KH/TU").await.unwrap().len(), 2);
    s.close().await.unwrap();
    backend.cleanup().await;
}

/// As of position P, every read model equals a projection of the log's first P events.
async fn as_of_equals_prefix<B: ReadModelBackend>() {
    let backend = B::new().await;
    let store = backend.store().clone();
    import_all(&store, &demo()).await;
    let db = backend.read_db();
    let head = project(&store, &db, 5_000).await;
    let other = B::other_db().await;
    other.db.migrate().await.unwrap();
    let prefix = Projector::new(store.clone(), other.db.clone(), options(64));
    for p in [1, 57, 150, 333, head - 1, head] {
        assert_eq!(prefix.catch_up_to(p).await.unwrap(), p);
        let past = dump(&db, AsOf::Position(p), false).await;
        let fresh = dump(&other.db, AsOf::Present, false).await;
        assert_same(&past, &fresh, &format!("as of position {p}"));
    }
    other.cleanup().await;
    backend.cleanup().await;
}

/// "As recorded then, what was overdue on that day?" differs from "as recorded now".
async fn as_of_recorded_time_and_effective_date<B: ReadModelBackend>() {
    let backend = B::new().await;
    let store = backend.store().clone();
    // Step 152 extends the deadline of `huong-dan-bo-tro-tu-phap` from 30 June to 30 September
    // 2022, decided on 20 June; step 128 renames Phổ Yên.
    import_all(&store, &part("demo-a", 0..152)).await;
    let before_extension = store.head().await.unwrap().size;
    let recorded_then = Timestamp::now();
    import_all(&store, &part("demo-b", 152..506)).await;
    let db = backend.read_db();
    let head = project(&store, &db, 5_000).await;
    let models = ReadModels::new(db);

    let overdue = |mut s: ledger_projections::Snapshot| async move {
        let ids: Vec<String> = s
            .overdue_tasks(day("2022-07-15"))
            .await
            .unwrap()
            .into_iter()
            .map(|t| t.task.id)
            .collect();
        (s.position(), ids)
    };
    let (p, then) = overdue(
        models
            .snapshot(AsOf::RecordedAt(recorded_then))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(p, before_extension);
    assert!(then.contains(&"huong-dan-bo-tro-tu-phap".to_owned()));
    let (p, by_position) = overdue(
        models
            .snapshot(AsOf::Position(before_extension))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((p, &by_position), (before_extension, &then));
    let (p, now) = overdue(models.snapshot(AsOf::Present).await.unwrap()).await;
    assert_eq!(p, head);
    assert!(!now.contains(&"huong-dan-bo-tro-tu-phap".to_owned()));
    // Before 20 June the old deadline was in force, whatever was recorded later.
    let mut s = models.snapshot(AsOf::Present).await.unwrap();
    let june = s.tasks_on(day("2022-06-19")).await.unwrap();
    let task = june
        .iter()
        .find(|t| t.task.id == "huong-dan-bo-tro-tu-phap")
        .unwrap();
    assert_eq!(task.deadline, "2022-06-30");
    s.close().await.unwrap();

    // Names as recorded: before step 128 was recorded, Phổ Yên was still a town.
    let audit = {
        let mut s = models.snapshot(AsOf::Present).await.unwrap();
        let a = s
            .audit(&AuditFilter {
                event_types: vec!["UnitRenamed".into()],
                limit: 10,
                ..AuditFilter::default()
            })
            .await
            .unwrap();
        s.close().await.unwrap();
        a
    };
    let renamed_at = audit[0].position;
    let mut s = models
        .snapshot(AsOf::Position(renamed_at - 1))
        .await
        .unwrap();
    assert_eq!(
        s.unit("pho-yen").await.unwrap().unwrap().name,
        "Thị xã Phổ Yên"
    );
    s.close().await.unwrap();
    let mut s = models.snapshot(AsOf::Position(renamed_at)).await.unwrap();
    assert_eq!(
        s.unit("pho-yen").await.unwrap().unwrap().name,
        "Thành phố Phổ Yên"
    );
    s.close().await.unwrap();

    // Before anything was recorded, nothing; beyond the checkpoint, a clear refusal.
    let mut s = models
        .snapshot(AsOf::RecordedAt(
            Timestamp::parse("2000-01-01T00:00:00Z").unwrap(),
        ))
        .await
        .unwrap();
    assert_eq!((s.position(), s.units().await.unwrap().len()), (0, 0));
    s.close().await.unwrap();
    assert!(matches!(
        models.snapshot(AsOf::Position(head + 1)).await,
        Err(Error::NotYetProjected { asked, checkpoint }) if asked == head + 1 && checkpoint == head
    ));
    backend.cleanup().await;
}

/// A projector killed between or inside batches, then restarted, ends exactly where an
/// uninterrupted one does.
async fn crash_and_resume<B: ReadModelBackend>() {
    let backend = B::new().await;
    let store = backend.store().clone();
    import_all(&store, &demo()).await;
    let reference = backend.read_db();
    let head = project(&store, &reference, 5_000).await;
    let expected = dump(&reference, AsOf::Present, true).await;

    for crash in [
        CrashPoint::BetweenBatches(0),
        CrashPoint::InsideBatch(0),
        CrashPoint::BetweenBatches(4),
        CrashPoint::InsideBatch(4),
        CrashPoint::InsideBatch(9),
    ] {
        let other = B::other_db().await;
        other.db.migrate().await.unwrap();
        let crashing = Projector::new(
            store.clone(),
            other.db.clone(),
            ProjectorOptions {
                crash: Some(crash),
                ..options(37)
            },
        );
        assert!(matches!(crashing.catch_up().await, Err(Error::Crashed(_))));
        let committed = other.db.live().await.unwrap().position;
        let batches = match crash {
            CrashPoint::BetweenBatches(n) | CrashPoint::InsideBatch(n) => n as u64,
        };
        // Only committed batches count: a batch cut inside left nothing behind.
        assert!(
            committed <= batches * 37,
            "{crash:?}: checkpoint {committed}"
        );
        let resumed = Projector::new(store.clone(), other.db.clone(), options(37));
        assert_eq!(resumed.catch_up().await.unwrap(), head);
        assert_same(
            &dump(&other.db, AsOf::Present, true).await,
            &expected,
            &format!("after {crash:?}"),
        );
        other.cleanup().await;
    }

    // A real kill: abort the running task at whatever point it has reached.
    let other = B::other_db().await;
    other.db.migrate().await.unwrap();
    let running = Projector::new(store.clone(), other.db.clone(), options(11));
    let mut checkpoint = running.checkpoint();
    let task = tokio::spawn(async move { running.run(std::future::pending()).await });
    checkpoint.wait_for(|p| *p >= 100).await.unwrap();
    task.abort();
    assert!(task.await.unwrap_err().is_cancelled());
    let resumed = Projector::new(store.clone(), other.db.clone(), options(11));
    assert_eq!(
        resumed.catch_up().await.map_err(|e| e.to_string()),
        Ok(head)
    );
    assert_same(
        &dump(&other.db, AsOf::Present, true).await,
        &expected,
        "after an abort",
    );
    other.cleanup().await;
    backend.cleanup().await;
}

/// A rebuild reproduces incremental projection exactly, also while a live projector runs and
/// events keep arriving; the live projector follows the swap.
async fn rebuild_equals_incremental<B: ReadModelBackend>() {
    let backend = B::new().await;
    let store = backend.store().clone();
    let db = backend.read_db();
    db.migrate().await.unwrap();
    let live = std::sync::Arc::new(Projector::new(store.clone(), db.clone(), options(29)));
    let runner = {
        let live = live.clone();
        tokio::spawn(async move { live.run(std::future::pending()).await })
    };
    import_all(&store, &part("demo-a", 0..300)).await;
    let mut progress = Vec::new();
    let mut record = |p: &ledger_projections::Progress| progress.push(*p);
    let rebuild_options = options(100);
    let rest = part("demo-b", 300..506);
    let (summary, ()) = tokio::join!(
        rebuild(&store, &db, &rebuild_options, &mut record),
        import_all(&store, &rest),
    );
    let summary = summary.unwrap();
    assert_eq!(summary.generation, 2);
    assert!(progress.iter().any(|p| p.phase == "bulk load"));
    assert!(progress.iter().any(|p| p.phase == "swap"));
    let head = store.head().await.unwrap().size;
    live.wait_for(head, Duration::from_secs(60)).await.unwrap();
    assert_eq!(
        db.live().await.unwrap(),
        ledger_projections::Meta {
            generation: 2,
            position: head
        }
    );
    runner.abort();

    // The same log projected incrementally elsewhere, in small batches.
    let other = B::other_db().await;
    let reference_head = project(&store, &other.db, 13).await;
    assert_eq!(reference_head, head);
    let expected = dump(&other.db, AsOf::Present, true).await;
    assert_same(
        &dump(&db, AsOf::Present, true).await,
        &expected,
        "rebuilt vs incremental",
    );

    // A second rebuild with nothing appended meanwhile gives the same rows again.
    let summary = rebuild(&store, &db, &options(5_000), &mut |_| {})
        .await
        .unwrap();
    assert_eq!((summary.generation, summary.position), (3, head));
    assert_same(
        &dump(&db, AsOf::Present, true).await,
        &expected,
        "second rebuild",
    );
    other.cleanup().await;
    backend.cleanup().await;
}

/// A running projector: its lag, a client waiting for its own write, and a second instance
/// competing on the same database without any event taking effect twice.
async fn live_lag_read_your_writes_and_two_instances<B: ReadModelBackend>() {
    let backend = B::new().await;
    let store = backend.store().clone();
    let db = backend.read_db();
    db.migrate().await.unwrap();
    import_all(&store, &part("demo-a", 0..100)).await;
    let first = std::sync::Arc::new(Projector::new(store.clone(), db.clone(), options(17)));
    let lag = first.lag().await.unwrap();
    assert_eq!((lag.checkpoint, lag.events()), (0, lag.head));
    assert!(lag.head >= 100);
    let second = Projector::new(store.clone(), db.clone(), options(23));
    let runners = [
        tokio::spawn({
            let first = first.clone();
            async move { first.run(std::future::pending()).await }
        }),
        tokio::spawn(async move { second.run(std::future::pending()).await }),
    ];
    import_all(&store, &part("demo-b", 100..506)).await;
    let head = store.head().await.unwrap().size;
    // Read your writes: wait for the position the last append returned, then ask.
    first.wait_for(head, Duration::from_secs(60)).await.unwrap();
    let mut s = ReadModels::new(db.clone())
        .snapshot(AsOf::Position(head))
        .await
        .unwrap();
    assert_eq!(s.tasks().await.unwrap().len(), 40);
    s.close().await.unwrap();
    assert_eq!(first.lag().await.unwrap().events(), 0);
    assert!(matches!(
        first.wait_for(head + 1, Duration::from_millis(100)).await,
        Err(Error::Timeout(p)) if p == head + 1
    ));
    for runner in runners {
        runner.abort();
    }
    // Two projectors took turns; every event took effect once.
    let other = B::other_db().await;
    project(&store, &other.db, 5_000).await;
    assert_same(
        &dump(&db, AsOf::Present, true).await,
        &dump(&other.db, AsOf::Present, true).await,
        "two competing projectors vs one",
    );
    other.cleanup().await;
    backend.cleanup().await;
}

/// The way the read side once froze: the database ends the server's sessions (an
/// administrator's `pg_terminate_backend`, a failover: SQLSTATE 57P01) while writers append.
/// The projector retries, says so in its health, and catches up without a restart to exactly
/// what a fresh projection of the same log holds.
async fn survives_terminated_connections<B: ReadModelBackend>() {
    let backend = B::new().await;
    let store = backend.store().clone();
    let db = backend.read_db();
    db.migrate().await.unwrap();
    let projector = std::sync::Arc::new(Projector::new(store.clone(), db.clone(), options(7)));
    let runner = tokio::spawn({
        let projector = projector.clone();
        async move { projector.run(std::future::pending()).await }
    });
    // Writers import the demo; an import cut off by a terminated session is run again, and its
    // idempotency keys make it resume where it stopped.
    let writer = tokio::spawn({
        let store = store.clone();
        async move {
            let path = CommandPath::new(store);
            let scenario = demo();
            let mut failures = 0;
            while import(&path, &scenario, |_| {}).await.is_err() {
                failures += 1;
                assert!(failures < 1_000, "the import never got through");
            }
            failures
        }
    });
    // Terminate every session of the database each time the read models have moved on (at
    // most two seconds apart: a frozen projector must not stall the test), thirty times or
    // until the writers are done.
    let mut checkpoint = projector.checkpoint();
    let (mut terminations, mut rounds) = (0, 0);
    while !writer.is_finished() && rounds < 30 {
        rounds += 1;
        let before = *checkpoint.borrow_and_update();
        terminations += backend.drop_connections().await;
        let _ = tokio::time::timeout(Duration::from_secs(2), checkpoint.wait_for(|p| *p > before))
            .await;
    }
    let failures = writer.await.unwrap();
    let head = store.head().await.unwrap().size;
    assert!(head >= 506, "the demo is in the log ({head} events)");
    projector
        .wait_for(head, Duration::from_secs(60))
        .await
        .unwrap_or_else(|e| {
            panic!(
                "no catch-up after {terminations} terminations: {e}; health {:?}",
                projector.health()
            )
        });
    assert_eq!(projector.health(), ledger_projections::Health::Following);
    assert!(!runner.is_finished(), "the projector is still running");
    runner.abort();
    eprintln!("{terminations} sessions terminated, {failures} imports interrupted");
    let other = B::other_db().await;
    project(&store, &other.db, 5_000).await;
    assert_same(
        &dump(&db, AsOf::Present, true).await,
        &dump(&other.db, AsOf::Present, true).await,
        "after terminations vs fresh",
    );
    other.cleanup().await;
    backend.cleanup().await;
}

macro_rules! on_both_backends {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name::<Sqlite>().await;
                }
            )+
        }
        mod postgres {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name::<Postgres>().await;
                }
            )+
        }
    };
}

on_both_backends!(
    demo_read_models,
    documents_by_identity_and_number,
    as_of_equals_prefix,
    as_of_recorded_time_and_effective_date,
    crash_and_resume,
    rebuild_equals_incremental,
    live_lag_read_your_writes_and_two_instances,
    survives_terminated_connections,
);
