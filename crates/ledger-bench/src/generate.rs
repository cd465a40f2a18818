//! A generator of large, realistic ledgers for benchmarks.
//!
//! The log follows the shape of the demo scenario at provincial scale: units (some renamed,
//! some merged or dissolved with successors in 2025), one programme with eight solution groups,
//! plans requiring unit plans, and then, until the wanted size is reached, tasks with their
//! lives (assignment, progress reports, reminders, the odd extension or transfer, completion or
//! cancellation), quarterly reports (submitted, sometimes returned and corrected, accepted),
//! obstacles and supervisions. Every payload is built from the domain's event types, so it
//! decodes exactly as the aggregates' events do. Appends go straight to the store (no command
//! checks): the point is volume, generated deterministically (same size, same log).

use cqrs_es::DomainEvent;
use ledger_domain::command::Tagged;
use ledger_domain::obstacle::ObstacleEvent;
use ledger_domain::plan::{Implements, PlanEvent, RequiredPlan};
use ledger_domain::programme::{ProgrammeEvent, SolutionGroup};
use ledger_domain::report::{AttestedReceipt, ReportContent, ReportEvent};
use ledger_domain::supervision::SupervisionEvent;
use ledger_domain::task::TaskEvent;
use ledger_domain::unit::{UnitEvent, UnitKind};
use ledger_domain::value::{
    Date, DocumentNumber, GroupNumber, LongText, Percent, PeriodKind, ReportingPeriod,
    ReportingRegime, Title,
};
use ledger_store::{
    Actor, AppendRequest, EventStore, ExpectedVersion, Metadata, NewEvent, StreamAppend, Timestamp,
};
use serde::Serialize;
use std::collections::HashMap;

/// Events per append request (the store's limit is 1,000).
const REQUEST: usize = 1_000;

/// A tiny deterministic generator (SplitMix64): the same log on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// True `percent`% of the time.
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

fn parse<T, E: std::fmt::Debug>(r: Result<T, E>) -> T {
    r.unwrap_or_else(|e| panic!("generator built an invalid value: {e:?}"))
}

fn title(text: &str) -> Title {
    parse(Title::parse(text))
}

fn long(text: &str) -> LongText {
    parse(LongText::parse(text))
}

fn number(text: &str) -> DocumentNumber {
    parse(DocumentNumber::parse(text))
}

fn date(y: i32, m: u32, d: u32) -> Date {
    Date::from_ymd(y, m, d).unwrap_or(Date::MIN)
}

/// `on` plus `days` days.
fn after(on: Date, days: u64) -> Date {
    on.add_days(i64::try_from(days).unwrap_or(0)).unwrap_or(on)
}

/// Buffers events into append requests of [`REQUEST`] events.
struct Writer<'a, S: EventStore> {
    store: &'a S,
    metadata: Metadata,
    pending: Vec<StreamAppend>,
    index: HashMap<String, usize>,
    pending_events: usize,
    written: u64,
    target: u64,
    report: &'a mut dyn FnMut(u64, u64),
}

impl<S: EventStore> Writer<'_, S> {
    fn full(&self) -> bool {
        self.written + self.pending_events as u64 >= self.target
    }

    async fn push<E: Serialize + DomainEvent + Tagged>(
        &mut self,
        stream_type: &str,
        id: &str,
        event: &E,
        on: Date,
    ) {
        if self.full() {
            return;
        }
        let payload = parse(serde_json::to_value(event));
        let event_type = payload
            .get("type")
            .and_then(|t| t.as_str())
            .unwrap_or("Unknown")
            .to_owned();
        let effective = on
            .get()
            .and_hms_opt(8, 0, 0)
            .and_then(|t| Timestamp::from_datetime(t.and_utc()).ok());
        let mut new = NewEvent::new(event_type, payload);
        new.effective_at = effective;
        new.schema_version = parse(event.event_version().parse());
        new.tags = event.tags();
        let event = new;
        // A stream appears once per request: a second event joins the first one's entry.
        let stream_id = format!("{stream_type}/{id}");
        if let Some(&i) = self.index.get(&stream_id) {
            self.pending[i].events.push(event);
        } else {
            self.index.insert(stream_id.clone(), self.pending.len());
            self.pending.push(StreamAppend {
                stream_id,
                stream_type: stream_type.to_owned(),
                expected: ExpectedVersion::Any,
                events: vec![event],
            });
        }
        self.pending_events += 1;
        if self.pending_events >= REQUEST || self.full() {
            self.flush().await;
        }
    }

    async fn flush(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let request = AppendRequest {
            streams: std::mem::take(&mut self.pending),
            metadata: self.metadata.clone(),
            condition: None,
            idempotency_digest: None,
        };
        self.index.clear();
        let result = self.store.append(request).await;
        parse(result);
        self.written += self.pending_events as u64;
        self.pending_events = 0;
        (self.report)(self.written, self.target);
    }
}

/// Appends about `events` generated events (exactly that many) to an empty `store`, calling
/// `report(written, target)` after every append request.
///
/// # Panics
/// When the store refuses an append (the benchmark cannot go on).
pub async fn generate<S: EventStore>(store: &S, events: u64, report: &mut dyn FnMut(u64, u64)) {
    let mut rng = Rng(0x5EED_1000);
    let mut metadata = Metadata::new(Actor {
        subject: "generator".into(),
        display_name: "Bộ sinh dữ liệu".into(),
        role: "secretariat".into(),
    });
    metadata.reason = Some("Dữ liệu đo hiệu năng".into());
    let mut w = Writer {
        store,
        metadata,
        pending: Vec::new(),
        index: HashMap::new(),
        pending_events: 0,
        written: 0,
        target: events,
        report,
    };
    let start = date(2020, 10, 1);
    let basis = number("72/2025/QH15");

    // Units: 300, a tenth of them districts dissolved in 2025 with a successor.
    let units: Vec<String> = (0..300).map(|i| format!("don-vi-{i}")).collect();
    for (i, id) in units.iter().enumerate() {
        let kind = match i % 5 {
            0 => UnitKind::Locality,
            1 => UnitKind::PartyOrgan,
            2 => UnitKind::JudicialBody,
            3 => UnitKind::MassOrganisation,
            _ => UnitKind::StateBody,
        };
        let e = UnitEvent::UnitRegistered {
            id: parse(id.parse()),
            kind,
            name: title(&format!("Đơn vị số {i} tỉnh Thái Nguyên")),
            parent: (i > 0).then(|| parse(units[0].parse())),
            established_on: start,
            basis: None,
        };
        w.push("unit", id, &e, start).await;
    }
    // Programme with eight groups, then 30 plans each requiring ten unit plans.
    let groups = (1..=8u8)
        .map(|n| SolutionGroup {
            number: parse(GroupNumber::new(n)),
            title: title(&format!("Nhóm nhiệm vụ, giải pháp {n}")),
        })
        .collect();
    let adopted = date(2021, 12, 1);
    let programme = ProgrammeEvent::ProgrammeAdopted {
        id: parse("de-an-10-da-tu".parse()),
        document: number("10-ĐA/TU"),
        issuer: parse(units[0].parse()),
        title: title("Nâng cao chất lượng, hiệu quả công tác cải cách tư pháp 2021-2025"),
        objectives: long("Xây dựng nền tư pháp chuyên nghiệp, hiện đại, công bằng, liêm chính"),
        from_year: 2021,
        to_year: 2025,
        groups,
        adopted_on: adopted,
    };
    w.push("programme", "de-an-10-da-tu", &programme, adopted)
        .await;
    let plans: Vec<String> = (0..30).map(|i| format!("ke-hoach-{i}")).collect();
    let issued = date(2021, 12, 15);
    for (i, id) in plans.iter().enumerate() {
        let required: Vec<RequiredPlan> = (0..10)
            .map(|k| RequiredPlan {
                unit: parse(units[(i * 10 + k) % 300].parse()),
                due: date(2022, 2, 28),
            })
            .collect();
        let e = PlanEvent::PlanIssued {
            id: parse(id.parse()),
            document: number(&format!("{}-KH/TU", 44 + i)),
            issuer: parse(units[1].parse()),
            title: title(&format!("Kế hoạch thực hiện Đề án số {i}")),
            implements: if i == 0 {
                Implements::Programme(parse("de-an-10-da-tu".parse()))
            } else {
                Implements::Plan(parse(plans[0].parse()))
            },
            required_unit_plans: required.clone(),
            issued_on: issued,
        };
        w.push("plan", id, &e, issued).await;
        for r in &required {
            if !rng.chance(90) {
                continue;
            }
            let on = after(issued, rng.below(60) + 1);
            let e = PlanEvent::UnitPlanRecorded {
                unit: r.unit.clone(),
                plan: parse(format!("{}-{}", id, r.unit).parse()),
                on,
            };
            w.push("plan", id, &e, on).await;
        }
    }

    // Until the target: tasks with their lives, and every 20 tasks a quarter's reports from
    // ten units, an obstacle now and then, a supervision every 500 tasks.
    let regime = ReportingRegime::decree_09_2019();
    let mut versions: HashMap<String, u32> = HashMap::new();
    let mut task = 0u64;
    while !w.full() {
        let id = format!("nhiem-vu-{task}");
        let plan = &plans[usize::try_from(task % 30).unwrap_or(0)];
        let lead = &units[usize::try_from(rng.below(300)).unwrap_or(0)];
        let assigned = after(issued, rng.below(1000));
        let mut deadline = after(assigned, 90 + rng.below(360));
        let assign = TaskEvent::TaskAssigned {
            id: parse(id.parse()),
            plan: parse(plan.parse()),
            group: Some(parse(GroupNumber::new(
                u8::try_from(task % 8 + 1).unwrap_or(1),
            ))),
            title: title(&format!("Nhiệm vụ cải cách tư pháp số {task}")),
            lead: parse(lead.parse()),
            coordinating: vec![parse(
                units[usize::try_from((task * 7) % 300).unwrap_or(1)].parse(),
            )]
            .into_iter()
            .filter(|u: &ledger_domain::value::UnitId| u.as_str() != lead)
            .collect(),
            deadline,
            deliverable: Some(title("Báo cáo kết quả")),
            assigned_on: assigned,
            basis: number(&format!("{}-KH/TU", 44 + task % 30)),
        };
        w.push("task", &id, &assign, assigned).await;
        let mut on = assigned;
        for step in 0..(2 + rng.below(5)) {
            on = after(on, 30 + rng.below(60));
            let e = TaskEvent::ProgressReported {
                by: parse(lead.parse()),
                percent: parse(Percent::new(
                    u8::try_from((step + 1) * 15).unwrap_or(100).min(95),
                )),
                note: long("Đã triển khai theo kế hoạch"),
                on,
            };
            w.push("task", &id, &e, on).await;
            if rng.chance(15) {
                let e = TaskEvent::ReminderIssued {
                    on,
                    note: Some(long("Đề nghị đẩy nhanh tiến độ")),
                    basis: None,
                };
                w.push("task", &id, &e, on).await;
            }
        }
        if rng.chance(10) {
            let to = after(deadline, 90);
            let e = TaskEvent::DeadlineExtended {
                from: deadline,
                to,
                on,
                reason: long("Chờ hướng dẫn của cơ quan cấp trên"),
                basis: number("350/STP-BTTP"),
            };
            deadline = to;
            w.push("task", &id, &e, on).await;
        }
        if rng.chance(3) {
            let e = TaskEvent::ResponsibilityTransferred {
                from: parse(lead.parse()),
                to: parse(units[0].parse()),
                on,
                reason: long("Kết thúc hoạt động của đơn vị hành chính cấp huyện"),
                basis: basis.clone(),
            };
            w.push("task", &id, &e, on).await;
        }
        if rng.chance(60) {
            let done = after(on, rng.below(30));
            let e = TaskEvent::TaskCompleted {
                by: parse(lead.parse()),
                deliverable: number(&format!("{}/BC-UBND", 100 + task % 900)),
                on: done,
            };
            w.push("task", &id, &e, done).await;
        } else if rng.chance(5) {
            let e = TaskEvent::TaskCancelled {
                on,
                reason: long("Không còn phù hợp"),
                basis: number("2100/QĐ-UBND"),
            };
            w.push("task", &id, &e, on).await;
        }
        if rng.chance(2) {
            let oid = format!("vuong-mac-{task}");
            let raised = after(assigned, 20);
            let e = ObstacleEvent::ObstacleRaised {
                id: parse(oid.parse()),
                task: parse(id.parse()),
                by: parse(lead.parse()),
                description: long("Thiếu biên chế, kinh phí"),
                raised_on: raised,
            };
            w.push("obstacle", &oid, &e, raised).await;
            let e = ObstacleEvent::ObstacleEscalated {
                to: parse(units[1].parse()),
                on: after(raised, 7),
                note: None,
            };
            w.push("obstacle", &oid, &e, after(raised, 7)).await;
            if rng.chance(70) {
                let e = ObstacleEvent::ObstacleResolved {
                    on: after(raised, 60),
                    resolution: long("Bổ sung kinh phí"),
                    basis: number("1620/QĐ-UBND"),
                };
                w.push("obstacle", &oid, &e, after(raised, 60)).await;
            }
        }
        if task % 20 == 19 {
            // Ten units report for one quarter.
            let round = task / 20;
            let year = 2022 + i32::try_from((round / 4) % 4).unwrap_or(0);
            let quarter = u32::try_from(round % 4).unwrap_or(0) + 1;
            let period = parse(ReportingPeriod::new(PeriodKind::Quarter, year, quarter));
            let deadline = regime.deadline(&period);
            for k in 0..10 {
                let unit = &units[usize::try_from((round * 10 + k) % 300).unwrap_or(0)];
                let rid = format!("{unit}-{}-{round}", period.to_string().to_lowercase());
                let submitted = after(deadline.add_days(-3).unwrap_or(deadline), rng.below(8));
                let e = ReportEvent::ReportSubmitted {
                    id: parse(rid.parse()),
                    unit: parse(unit.parse()),
                    plan: parse(plans[0].parse()),
                    period,
                    regime: regime.clone(),
                    submitted_on: submitted,
                    content: ReportContent {
                        items: Vec::new(),
                        achievements: Some(long("Triển khai các nhiệm vụ theo kế hoạch")),
                        shortcomings: None,
                        causes: None,
                        obstacles: None,
                        proposals: None,
                    },
                    // Records of past quarters, as the archive's register received them.
                    attested: Some(AttestedReceipt {
                        received_on: submitted,
                        document: number("01/BB-VPTU"),
                    }),
                    discrepancies: Vec::new(),
                };
                w.push("report", &rid, &e, submitted).await;
                let revision = versions.entry(rid.clone()).or_insert(1);
                if rng.chance(5) {
                    let e = ReportEvent::ReportReturned {
                        revision: *revision,
                        by: parse(units[1].parse()),
                        on: after(submitted, 2),
                        reason: long("Thiếu số liệu"),
                        discrepancies: Vec::new(),
                    };
                    w.push("report", &rid, &e, after(submitted, 2)).await;
                    let e = ReportEvent::ReportCorrected {
                        revision: *revision + 1,
                        corrects: *revision,
                        reason: long("Bổ sung số liệu"),
                        discrepancies: Vec::new(),
                        submitted_on: after(submitted, 4),
                        content: ReportContent {
                            items: Vec::new(),
                            achievements: Some(long("Bổ sung số liệu theo yêu cầu")),
                            shortcomings: None,
                            causes: None,
                            obstacles: None,
                            proposals: None,
                        },
                    };
                    *revision += 1;
                    w.push("report", &rid, &e, after(submitted, 4)).await;
                }
                let e = ReportEvent::ReportAccepted {
                    revision: *revision,
                    by: parse(units[1].parse()),
                    on: after(submitted, 6),
                    discrepancies: Vec::new(),
                };
                w.push("report", &rid, &e, after(submitted, 6)).await;
            }
        }
        if task % 500 == 499 {
            let sid = format!("giam-sat-{task}");
            let opened = assigned;
            let e = SupervisionEvent::SupervisionOpened {
                id: parse(sid.parse()),
                body: parse(units[3].parse()),
                subject: title("Giám sát chuyên đề công tác tư pháp"),
                supervised: vec![parse(units[4].parse()), parse(units[5].parse())],
                opened_on: opened,
                basis: number("45/KH-HĐND"),
            };
            w.push("supervision", &sid, &e, opened).await;
            for n in 1..=2u32 {
                let e = SupervisionEvent::RecommendationMade {
                    number: n,
                    to: parse(units[3 + usize::try_from(n).unwrap_or(1)].parse()),
                    text: long("Nâng cao chất lượng công tác"),
                    respond_by: after(opened, 90),
                    on: after(opened, 10),
                };
                w.push("supervision", &sid, &e, after(opened, 10)).await;
            }
        }
        task += 1;
    }
    w.flush().await;
}
