//! Importing a scenario through the command path, on every backend: applied once, skipped when
//! run again, and errors that name the line and field or the refused step.

// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used)]

use ledger_app::scenario::{Progress, ScenarioActor, ScenarioError, import, parse};
use ledger_app::{CommandPath, load};
use ledger_domain::unit::Unit;
use ledger_domain::value::Date;
use ledger_store::{EventStore, ReadStream};
use ledger_tests::backends::{Backend, Memory, Postgres, Sqlite};

/// A small story with every kind of step: units, Đề án 10-ĐA/TU and Kế hoạch 44-KH/TU, the
/// quarter-I 2022 briefing and Phổ Yên's change to a city (sourced); the task, report, focus
/// programme, obstacle and supervision details are illustrative.
const SCENARIO: &str = r#"{
  "name": "mini-10-da-tu",
  "description": "Đề án 10-ĐA/TU and Kế hoạch 44-KH/TU (sourced); task and report illustrative.",
  "actor": { "subject": "import", "display_name": "Nhập dữ liệu mẫu", "role": "archivist" },
  "source_document": "01/BB-VPTU",
  "steps": [
    { "register_unit": { "id": "tinh-uy", "kind": "party_organ", "name": "Tỉnh ủy Thái Nguyên",
        "parent": null, "established_on": "2020-10-01", "basis": null } },
    { "register_unit": { "id": "ban-thuong-vu", "kind": "party_organ", "name": "Ban Thường vụ Tỉnh ủy",
        "parent": "tinh-uy", "established_on": "2020-10-01", "basis": null } },
    { "register_unit": { "id": "so-tu-phap", "kind": "state_body", "name": "Sở Tư pháp",
        "parent": null, "established_on": "2020-10-01", "basis": null } },
    { "register_unit": { "id": "pho-yen", "kind": "locality", "name": "Thị xã Phổ Yên",
        "parent": null, "established_on": "2020-10-01", "basis": null } },
    { "adopt_programme": { "id": "de-an-10-da-tu", "document": "10-ĐA/TU", "issuer": "tinh-uy",
        "title": "Nâng cao chất lượng, hiệu quả công tác cải cách tư pháp trên địa bàn tỉnh giai đoạn 2021-2025",
        "objectives": "Xây dựng nền tư pháp chuyên nghiệp, hiện đại, công bằng, văn minh, liêm chính",
        "from_year": 2021, "to_year": 2025,
        "groups": [ { "number": 1, "title": "Tăng cường sự lãnh đạo của các cấp ủy Đảng" },
                    { "number": 2, "title": "Nâng cao hiệu lực, hiệu quả hoạt động của các cơ quan tư pháp" } ],
        "adopted_on": "2021-12-01" } },
    { "issue_plan": { "id": "kh-44-kh-tu", "document": "44-KH/TU", "issuer": "ban-thuong-vu",
        "title": "Kế hoạch triển khai thực hiện Đề án 10-ĐA/TU",
        "implements": { "kind": "programme", "id": "de-an-10-da-tu" },
        "required_unit_plans": [ { "unit": "so-tu-phap", "due": "2022-01-31" } ],
        "issued_on": "2021-12-15" } },
    { "assign_task": { "id": "huong-dan-luat-su", "plan": "kh-44-kh-tu", "group": 2,
        "title": "Hướng dẫn về hoạt động bổ trợ tư pháp", "lead": "so-tu-phap",
        "deadline": "2022-06-30", "deliverable": "Hướng dẫn", "assigned_on": "2021-12-15",
        "basis": "44-KH/TU" } },
    { "submit_report": { "id": "so-tu-phap-2022-q1", "unit": "so-tu-phap", "plan": "kh-44-kh-tu",
        "period": "2022-Q1", "submitted_on": "2022-03-18",
        "content": { "items": [ { "task": "huong-dan-luat-su", "status": "in_progress", "percent": 40 } ],
                     "achievements": "Đã xây dựng dự thảo hướng dẫn" } } },
    { "return_report": { "id": "so-tu-phap-2022-q1", "by": "ban-thuong-vu", "on": "2022-03-21",
        "reason": "Thiếu số liệu về tổ chức hành nghề luật sư" } },
    { "rename_unit": { "id": "pho-yen", "name": "Thành phố Phổ Yên", "on": "2022-04-10",
        "basis": "469/NQ-UBTVQH15" } },
    { "register_unit": { "id": "ban-chi-dao", "kind": "party_organ", "name": "Ban Chỉ đạo cải cách tư pháp tỉnh",
        "parent": "tinh-uy", "established_on": "2020-10-01", "basis": null } },
    { "register_unit": { "id": "thuong-truc-hdnd", "kind": "elected_body", "name": "Thường trực HĐND tỉnh",
        "parent": null, "established_on": "2021-06-01", "basis": null } },
    { "adopt_focus_programme": { "id": "ctr-trong-tam-2022", "programme": "de-an-10-da-tu", "year": 2022,
        "by": "ban-chi-dao", "document": "05-CTr/BCĐ", "adopted_on": "2022-01-28",
        "priorities": [ { "group": 2, "title": "Bổ trợ tư pháp", "tasks": ["huong-dan-luat-su"] } ] } },
    { "hold_briefing": { "id": "giao-ban-noi-chinh-2022-q1",
        "title": "Hội nghị giao ban Quý I năm 2022 khối Nội chính và khối Dân vận",
        "chaired_by": "ban-thuong-vu", "period": "2022-Q1", "participants": ["so-tu-phap"],
        "held_on": "2022-04-08" } },
    { "issue_conclusion": { "briefing": "giao-ban-noi-chinh-2022-q1", "document": "210-TB/TU",
        "on": "2022-04-12", "conclusions": "Tiếp tục triển khai Kế hoạch 44-KH/TU",
        "follow_up": ["huong-dan-luat-su"] } },
    { "correct_report": { "id": "so-tu-phap-2022-q1", "corrects": 1, "reason": "Bổ sung số liệu",
        "submitted_on": "2022-03-24",
        "content": { "items": [ { "task": "huong-dan-luat-su", "status": "in_progress", "percent": 45 } ] } } },
    { "accept_report": { "id": "so-tu-phap-2022-q1", "by": "ban-thuong-vu", "on": "2022-03-25" } },
    { "extend_deadline": { "task": "huong-dan-luat-su", "deadline": "2022-09-30", "on": "2022-06-20",
        "reason": "Chờ hướng dẫn của Bộ Tư pháp", "basis": "120-CV/BNCTU" } },
    { "raise_obstacle": { "id": "thieu-bien-che", "task": "huong-dan-luat-su", "by": "so-tu-phap",
        "description": "Thiếu biên chế", "raised_on": "2022-07-01" } },
    { "escalate_obstacle": { "id": "thieu-bien-che", "to": "ban-chi-dao", "on": "2022-07-05", "note": null } },
    { "resolve_obstacle": { "id": "thieu-bien-che", "on": "2022-08-01", "resolution": "Bổ sung biên chế",
        "basis": "1234/QĐ-UBND" } },
    { "open_supervision": { "id": "hdnd-giam-sat-2023", "body": "thuong-truc-hdnd",
        "subject": "Phiên chất vấn về công tác tư pháp", "supervised": ["so-tu-phap"],
        "opened_on": "2023-05-23", "basis": "45/KH-HĐND" } },
    { "recommend": { "supervision": "hdnd-giam-sat-2023", "to": "so-tu-phap",
        "text": "Nâng cao chất lượng hoạt động bổ trợ tư pháp", "respond_by": "2023-08-31",
        "on": "2023-05-30" } },
    { "answer_recommendation": { "supervision": "hdnd-giam-sat-2023", "number": 1, "by": "so-tu-phap",
        "answer": "Đã ban hành kế hoạch khắc phục", "on": "2023-08-20", "basis": null } },
    { "close_supervision": { "id": "hdnd-giam-sat-2023", "on": "2023-09-01",
        "conclusion": "Cơ bản hoàn thành", "basis": "60/TB-HĐND" } },
    { "transfer_task": { "task": "huong-dan-luat-su", "to": "ban-thuong-vu", "on": "2022-08-10",
        "reason": "Điều chỉnh phân công", "basis": "44-KH/TU" } },
    { "complete_task": { "task": "huong-dan-luat-su", "by": "ban-thuong-vu",
        "deliverable": "15-HD/TU", "on": "2022-09-15" } }
  ]
}"#;

async fn imports_once<B: Backend>() {
    let backend = B::new().await;
    let ledger = CommandPath::new(backend.store().clone());
    let scenario = parse(SCENARIO).unwrap();
    let mut seen = Vec::new();
    let first = import(&ledger, &scenario, |p| seen.push(p)).await.unwrap();
    assert_eq!(
        first,
        Progress {
            done: 27,
            total: 27,
            skipped: 0
        }
    );
    assert_eq!(seen.len(), 27, "progress after every step");
    let head = backend.store().head().await.unwrap();
    assert_eq!(head.size, 27);
    // Run again: every step is found in the log and skipped; nothing is written.
    let again = import(&ledger, &scenario, |_| {}).await.unwrap();
    assert_eq!(
        again,
        Progress {
            done: 27,
            total: 27,
            skipped: 27
        }
    );
    assert_eq!(backend.store().head().await.unwrap(), head);
    // The facts landed through the command path, with the import's context.
    let (pho_yen, _) = load::<Unit, _>(backend.store(), "unit/pho-yen")
        .await
        .unwrap();
    let day = Date::parse("2022-04-10").unwrap();
    assert_eq!(pho_yen.name_on(day).unwrap().as_str(), "Thành phố Phổ Yên");
    let obstacle = backend
        .store()
        .read_stream("obstacle/thieu-bien-che", ReadStream::default())
        .await
        .unwrap();
    assert_eq!(obstacle.len(), 3);
    let types: Vec<_> = backend
        .store()
        .read_all(&ledger_store::ReadAll::after(0, 100))
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.stream_type)
        .collect();
    for kind in [
        "unit",
        "programme",
        "plan",
        "task",
        "report",
        "focus_programme",
        "briefing",
        "obstacle",
        "supervision",
    ] {
        assert!(types.iter().any(|t| t == kind), "{kind}");
    }
    let report = backend
        .store()
        .read_stream("report/so-tu-phap-2022-q1", ReadStream::default())
        .await
        .unwrap();
    assert_eq!(report[1].event_type, "ReportReturned");
    assert_eq!(report[1].metadata.actor.subject, "import");
    assert_eq!(
        report[1].metadata.idempotency_key.as_deref(),
        Some("import:mini-10-da-tu:8")
    );
    // Effective from the start of its day in Việt Nam (UTC+7).
    assert_eq!(
        report[1].effective_at.to_string(),
        "2022-03-20T17:00:00.000000Z"
    );
    // Every step is a record from the archive, attested by the scenario's document.
    assert_eq!(
        report[1].metadata.dating,
        Some(ledger_store::Dating::Historical)
    );
    assert_eq!(
        report[1].metadata.source_document.as_deref(),
        Some("01/BB-VPTU")
    );
    backend.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scenario_imports_once_in_memory() {
    imports_once::<Memory>().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scenario_imports_once_on_sqlite() {
    imports_once::<Sqlite>().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scenario_imports_once_on_postgres() {
    imports_once::<Postgres>().await;
}

#[test]
fn malformed_files_name_the_line_and_the_field() {
    let bad_date = SCENARIO.replace("\"2022-04-10\"", "\"10/4/2022\"");
    match parse(&bad_date) {
        Err(ScenarioError::Malformed { line, field, .. }) => {
            assert_eq!(field, "steps[9].rename_unit.on");
            let bad_line = bad_date
                .lines()
                .position(|l| l.contains("10/4/2022"))
                .unwrap()
                + 1;
            assert_eq!(line, bad_line, "the line of the bad value");
        }
        other => panic!("expected a malformed-file error, got {other:?}"),
    }
    let bad_number = SCENARIO.replace("\"10-ĐA/TU\"", "\"ĐA 10\"");
    match parse(&bad_number) {
        Err(ScenarioError::Malformed { field, message, .. }) => {
            assert_eq!(field, "steps[4].adopt_programme.document");
            assert!(
                message.contains("must start with the document's number"),
                "{message}"
            );
        }
        other => panic!("expected a malformed-file error, got {other:?}"),
    }
    let unknown = SCENARIO.replace("\"assign_task\"", "\"asign_task\"");
    assert!(matches!(
        parse(&unknown),
        Err(ScenarioError::Malformed { .. })
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_step_is_named_and_a_later_run_resumes_there() {
    let store = ledger_store::MemoryStore::new();
    let ledger = CommandPath::new(store.clone());
    // A report by a unit that was never registered is refused at its step.
    let broken = SCENARIO.replace(
        "\"unit\": \"so-tu-phap\", \"plan\"",
        "\"unit\": \"chua-co\", \"plan\"",
    );
    let scenario = parse(&broken).unwrap();
    match import(&ledger, &scenario, |_| {}).await {
        Err(ScenarioError::Step {
            index,
            label,
            error,
        }) => {
            assert_eq!(index, 7);
            assert_eq!(label, "submit_report so-tu-phap-2022-q1");
            assert!(error.vi().contains("chua-co"), "{}", error.vi());
        }
        other => panic!("expected the refused step, got {other:?}"),
    }
    assert_eq!(
        store.head().await.unwrap().size,
        7,
        "the steps before it stay applied"
    );
    // Fixed, the import resumes: seven steps skipped, three applied.
    let fixed = parse(SCENARIO).unwrap();
    let resumed = import(&ledger, &fixed, |_| {}).await.unwrap();
    assert_eq!(
        resumed,
        Progress {
            done: 27,
            total: 27,
            skipped: 7
        }
    );
    assert_eq!(store.head().await.unwrap().size, 27);
}

/// The demo scenario of Đề án 10-ĐA/TU, imported on a real backend: the counts the issue asks
/// for, Phổ Yên's change to a city, the 2025 dissolution with successors and transfers, a
/// report received late, and a second import that writes nothing.
async fn demo_scenario<B: Backend>() {
    use ledger_domain::unit::UnitStatus;
    use ledger_domain::value::{ReportingPeriod, ReportingRegime};

    let backend = B::new().await;
    let store = backend.store().clone();
    let ledger = CommandPath::new(store.clone());
    let text = ledger_app::scenario::DEMO;
    let scenario = parse(text).unwrap();
    let mut printed = Vec::new();
    let done = import(
        &ledger,
        &scenario,
        ledger_app::scenario::print_progress(&mut printed),
    )
    .await
    .unwrap();
    assert_eq!(done.skipped, 0);
    let printed = String::from_utf8(printed).unwrap();
    assert_eq!(printed.lines().count(), 10, "{printed}");
    assert!(
        printed.ends_with("imported 506/506 steps (0 already there)\n"),
        "{printed}"
    );
    let mut events = Vec::new();
    loop {
        let page = store
            .read_all(&ledger_store::ReadAll::after(events.len() as u64, 1000))
            .await
            .unwrap();
        if page.is_empty() {
            break;
        }
        events.extend(page);
    }
    let count = |t: &str| events.iter().filter(|e| e.event_type == t).count();
    assert!(
        count("UnitRegistered") >= 25,
        "units: {}",
        count("UnitRegistered")
    );
    assert!(
        count("TaskAssigned") >= 40,
        "tasks: {}",
        count("TaskAssigned")
    );
    assert!(
        count("ReportSubmitted") >= 150,
        "reports: {}",
        count("ReportSubmitted")
    );
    assert_eq!(count("ProgrammeAdopted"), 1);
    assert!(count("ReportReturned") >= 1 && count("ObstacleResolved") >= 1);
    assert_eq!(count("SupervisionOpened"), 1);
    // Phổ Yên: a town until 9/4/2022, a city from 10/4/2022, dissolved on 1/7/2025.
    let (pho_yen, _) = load::<Unit, _>(&store, "unit/pho-yen").await.unwrap();
    let on = |y, m, d| Date::from_ymd(y, m, d).unwrap();
    assert_eq!(
        pho_yen.name_on(on(2022, 4, 9)).unwrap().as_str(),
        "Thị xã Phổ Yên"
    );
    assert_eq!(
        pho_yen.name_on(on(2022, 4, 10)).unwrap().as_str(),
        "Thành phố Phổ Yên"
    );
    assert_eq!(
        pho_yen.status(),
        &UnitStatus::Dissolved { on: on(2025, 7, 1) }
    );
    assert_eq!(pho_yen.successors()[0].value.as_str(), "ubnd-tinh");
    // Bắc Kạn merged into the province.
    let (bac_kan, _) = load::<Unit, _>(&store, "unit/ubnd-tinh-bac-kan")
        .await
        .unwrap();
    assert!(matches!(bac_kan.status(), UnitStatus::Merged { .. }));
    // Võ Nhai never issued its plan; its task moved to the province by explicit transfer.
    let transfer = store
        .read_stream(
            "task/kh44-kh-don-vi-vo-nhai",
            ledger_store::ReadStream::default(),
        )
        .await
        .unwrap();
    assert_eq!(
        transfer.last().unwrap().event_type,
        "ResponsibilityTransferred"
    );
    // Đại Từ's 2022-Q1 report reached the secretariat after the deadline, as the archive's
    // register attests.
    let report = store
        .read_stream("report/dai-tu-2022-q1", ledger_store::ReadStream::default())
        .await
        .unwrap();
    let period: ReportingPeriod = "2022-Q1".parse().unwrap();
    let deadline = ReportingRegime::decree_09_2019().deadline(&period);
    let received: Date =
        serde_json::from_value(report[0].payload["attested"]["received_on"].clone()).unwrap();
    assert!(received > deadline, "{received} after {deadline}");
    // Importing again writes nothing.
    let head = store.head().await.unwrap();
    let again = import(&ledger, &scenario, |_| {}).await.unwrap();
    assert_eq!(again.skipped, again.total);
    assert_eq!(store.head().await.unwrap(), head);
    backend.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_scenario_on_sqlite() {
    demo_scenario::<Sqlite>().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_scenario_on_postgres() {
    demo_scenario::<Postgres>().await;
}

const TASKS_CSV: &str = "\
id,plan,group,title,lead,coordinating,deadline,deliverable,assigned_on,basis
tuyen-truyen-phap-luat,kh-44-kh-tu,7,\"Tuyên truyền, phổ biến pháp luật về cải cách tư pháp\",so-tu-phap,pho-yen;tinh-uy,2022-12-31,Kế hoạch,2022-01-10,44-KH/TU
ra-soat-van-ban,kh-44-kh-tu,,Rà soát văn bản quy phạm pháp luật,so-tu-phap,,2022-06-30,,2022-01-10,44-KH/TU
";

const PLANS_CSV: &str = "\
id,document,issuer,title,programme,parent_plan,issued_on,required_units,required_by
kh-so-tu-phap-2022,15/KH-STP,so-tu-phap,Kế hoạch thực hiện Đề án của Sở Tư pháp,,kh-44-kh-tu,2022-01-20,,
";

/// The archive enters past plans and tasks from a spreadsheet: each row rests on its own
/// document (the plan's number, the task's basis).
fn csv_actor() -> ScenarioActor {
    ScenarioActor {
        subject: "csv-import".into(),
        display_name: "Nhập CSV".into(),
        role: ledger_domain::access::Role::Archivist,
        unit: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plans_and_tasks_from_csv() {
    use ledger_app::scenario::{CsvKind, from_csv};

    let store = ledger_store::MemoryStore::new();
    let ledger = CommandPath::new(store.clone());
    import(&ledger, &parse(SCENARIO).unwrap(), |_| {})
        .await
        .unwrap();
    let before = store.head().await.unwrap().size;
    let plans = from_csv(CsvKind::Plans, "plans-2022", csv_actor(), PLANS_CSV).unwrap();
    let tasks = from_csv(CsvKind::Tasks, "tasks-2022", csv_actor(), TASKS_CSV).unwrap();
    assert_eq!((plans.steps.len(), tasks.steps.len()), (1, 2));
    import(&ledger, &plans, |_| {}).await.unwrap();
    import(&ledger, &tasks, |_| {}).await.unwrap();
    assert_eq!(store.head().await.unwrap().size, before + 3);
    let task = store
        .read_stream("task/tuyen-truyen-phap-luat", ReadStream::default())
        .await
        .unwrap();
    assert_eq!(
        task[0].payload["coordinating"],
        serde_json::json!(["pho-yen", "tinh-uy"])
    );
    assert_eq!(
        task[0].payload["title"],
        "Tuyên truyền, phổ biến pháp luật về cải cách tư pháp"
    );
    let second = store
        .read_stream("task/ra-soat-van-ban", ReadStream::default())
        .await
        .unwrap();
    assert!(second[0].payload["group"].is_null() && second[0].payload["deliverable"].is_null());
    // Again: nothing new.
    let again = import(&ledger, &tasks, |_| {}).await.unwrap();
    assert_eq!(again.skipped, 2);
}

#[test]
fn csv_errors_name_the_line_and_the_column() {
    use ledger_app::scenario::{CsvKind, from_csv};

    let bad_date = TASKS_CSV.replace("2022-06-30", "30/06/2022");
    match from_csv(CsvKind::Tasks, "t", csv_actor(), &bad_date) {
        Err(ScenarioError::Malformed { line, field, .. }) => {
            assert_eq!((line, field.as_str()), (3, "deadline"));
        }
        other => panic!("expected a malformed CSV error, got {other:?}"),
    }
    let bad_unit = TASKS_CSV.replace("pho-yen;tinh-uy", "pho-yen;Tỉnh ủy");
    match from_csv(CsvKind::Tasks, "t", csv_actor(), &bad_unit) {
        Err(ScenarioError::Malformed { line, field, .. }) => {
            assert_eq!((line, field.as_str()), (2, "coordinating"));
        }
        other => panic!("expected a malformed CSV error, got {other:?}"),
    }
    let both = PLANS_CSV.replace(",,kh-44-kh-tu,", ",de-an-10-da-tu,kh-44-kh-tu,");
    match from_csv(CsvKind::Plans, "p", csv_actor(), &both) {
        Err(ScenarioError::Malformed { line, field, .. }) => {
            assert_eq!((line, field.as_str()), (2, "programme"));
        }
        other => panic!("expected a malformed CSV error, got {other:?}"),
    }
    let extra_column = TASKS_CSV.replace("basis\n", "basis,extra\n");
    assert!(from_csv(CsvKind::Tasks, "t", csv_actor(), &extra_column).is_err());
}
