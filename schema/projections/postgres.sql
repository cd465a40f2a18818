-- Read-model tables, generation 1, as `ledger-projections` creates them (postgres.sql).
-- Generated from crates/ledger-projections/src/tables.rs: do not edit; run
-- UPDATE_PROJECTION_SCHEMA=1 cargo test -p ledger-projections checked_in_ddl
-- A rebuild creates generation g+1 with the same shape (`rm{g}_…`).

CREATE TABLE rm_meta (name TEXT PRIMARY KEY, generation BIGINT NOT NULL, position BIGINT NOT NULL);

CREATE TABLE rm1_units (id TEXT NOT NULL, kind TEXT NOT NULL, name TEXT NOT NULL, parent TEXT, established_on TEXT NOT NULL, status TEXT NOT NULL, ended_on TEXT, merged_into TEXT, successors BIGINT NOT NULL, basis TEXT, valid_from BIGINT NOT NULL, valid_to BIGINT);
CREATE UNIQUE INDEX rm1_units_version ON rm1_units (id, valid_from);
CREATE UNIQUE INDEX rm1_units_open ON rm1_units (id) WHERE valid_to IS NULL;

CREATE TABLE rm1_unit_names (unit_id TEXT NOT NULL, name TEXT NOT NULL, from_date TEXT NOT NULL, basis TEXT, valid_from BIGINT NOT NULL);
CREATE INDEX rm1_unit_names_i0 ON rm1_unit_names (unit_id, from_date);

CREATE TABLE rm1_unit_parents (unit_id TEXT NOT NULL, parent TEXT, from_date TEXT NOT NULL, valid_from BIGINT NOT NULL);
CREATE INDEX rm1_unit_parents_i0 ON rm1_unit_parents (unit_id, from_date);

CREATE TABLE rm1_unit_successors (unit_id TEXT NOT NULL, successor TEXT NOT NULL, on_date TEXT NOT NULL, kind TEXT NOT NULL, basis TEXT NOT NULL, valid_from BIGINT NOT NULL);
CREATE INDEX rm1_unit_successors_i0 ON rm1_unit_successors (unit_id, on_date);
CREATE INDEX rm1_unit_successors_i1 ON rm1_unit_successors (successor);

CREATE TABLE rm1_documents (id TEXT NOT NULL, number TEXT NOT NULL, issuer TEXT NOT NULL, numbering TEXT NOT NULL, title TEXT NOT NULL, signed_by TEXT, issued_on TEXT NOT NULL, valid_from BIGINT NOT NULL, valid_to BIGINT);
CREATE UNIQUE INDEX rm1_documents_version ON rm1_documents (id, valid_from);
CREATE UNIQUE INDEX rm1_documents_open ON rm1_documents (id) WHERE valid_to IS NULL;
CREATE INDEX rm1_documents_i0 ON rm1_documents (number) WHERE valid_to IS NULL;

CREATE TABLE rm1_programmes (id TEXT NOT NULL, document TEXT NOT NULL, issuer TEXT NOT NULL, title TEXT NOT NULL, objectives TEXT NOT NULL, from_year BIGINT NOT NULL, to_year BIGINT NOT NULL, status TEXT NOT NULL, adopted_on TEXT NOT NULL, amendments BIGINT NOT NULL, midterm_on TEXT, final_on TEXT, closed_on TEXT, valid_from BIGINT NOT NULL, valid_to BIGINT);
CREATE UNIQUE INDEX rm1_programmes_version ON rm1_programmes (id, valid_from);
CREATE UNIQUE INDEX rm1_programmes_open ON rm1_programmes (id) WHERE valid_to IS NULL;

CREATE TABLE rm1_groups (id TEXT NOT NULL, programme_id TEXT NOT NULL, number BIGINT NOT NULL, title TEXT NOT NULL, valid_from BIGINT NOT NULL, valid_to BIGINT);
CREATE UNIQUE INDEX rm1_groups_version ON rm1_groups (id, valid_from);
CREATE UNIQUE INDEX rm1_groups_open ON rm1_groups (id) WHERE valid_to IS NULL;
CREATE INDEX rm1_groups_i0 ON rm1_groups (programme_id) WHERE valid_to IS NULL;

CREATE TABLE rm1_plans (id TEXT NOT NULL, document TEXT NOT NULL, issuer TEXT NOT NULL, title TEXT NOT NULL, implements_kind TEXT NOT NULL, implements_id TEXT NOT NULL, programme_id TEXT, issued_on TEXT NOT NULL, status TEXT NOT NULL, superseded_by TEXT, superseded_on TEXT, valid_from BIGINT NOT NULL, valid_to BIGINT);
CREATE UNIQUE INDEX rm1_plans_version ON rm1_plans (id, valid_from);
CREATE UNIQUE INDEX rm1_plans_open ON rm1_plans (id) WHERE valid_to IS NULL;

CREATE TABLE rm1_plan_units (id TEXT NOT NULL, plan_id TEXT NOT NULL, unit_id TEXT NOT NULL, due TEXT NOT NULL, unit_plan TEXT, recorded_on TEXT, valid_from BIGINT NOT NULL, valid_to BIGINT);
CREATE UNIQUE INDEX rm1_plan_units_version ON rm1_plan_units (id, valid_from);
CREATE UNIQUE INDEX rm1_plan_units_open ON rm1_plan_units (id) WHERE valid_to IS NULL;
CREATE INDEX rm1_plan_units_i0 ON rm1_plan_units (plan_id) WHERE valid_to IS NULL;
CREATE INDEX rm1_plan_units_i1 ON rm1_plan_units (unit_id) WHERE valid_to IS NULL;

CREATE TABLE rm1_focus_programmes (id TEXT NOT NULL, programme_id TEXT NOT NULL, year BIGINT NOT NULL, adopted_by TEXT NOT NULL, document TEXT NOT NULL, adopted_on TEXT NOT NULL, priorities TEXT NOT NULL, amended_on TEXT, valid_from BIGINT NOT NULL, valid_to BIGINT);
CREATE UNIQUE INDEX rm1_focus_programmes_version ON rm1_focus_programmes (id, valid_from);
CREATE UNIQUE INDEX rm1_focus_programmes_open ON rm1_focus_programmes (id) WHERE valid_to IS NULL;

CREATE TABLE rm1_tasks (id TEXT NOT NULL, plan_id TEXT NOT NULL, programme_id TEXT, group_number BIGINT, title TEXT NOT NULL, lead TEXT NOT NULL, coordinating TEXT NOT NULL, deadline TEXT NOT NULL, deliverable TEXT, assigned_on TEXT NOT NULL, basis TEXT NOT NULL, status TEXT NOT NULL, completed_on TEXT, completion_document TEXT, cancelled_on TEXT, reminders BIGINT NOT NULL, extensions BIGINT NOT NULL, transfers BIGINT NOT NULL, closed_dating TEXT, valid_from BIGINT NOT NULL, valid_to BIGINT);
CREATE UNIQUE INDEX rm1_tasks_version ON rm1_tasks (id, valid_from);
CREATE UNIQUE INDEX rm1_tasks_open ON rm1_tasks (id) WHERE valid_to IS NULL;
CREATE INDEX rm1_tasks_i0 ON rm1_tasks (plan_id) WHERE valid_to IS NULL;
CREATE INDEX rm1_tasks_i1 ON rm1_tasks (lead) WHERE valid_to IS NULL;
CREATE INDEX rm1_tasks_i2 ON rm1_tasks (programme_id, group_number) WHERE valid_to IS NULL;

CREATE TABLE rm1_task_deadlines (task_id TEXT NOT NULL, deadline TEXT NOT NULL, from_date TEXT NOT NULL, basis TEXT NOT NULL, dating TEXT, valid_from BIGINT NOT NULL);
CREATE INDEX rm1_task_deadlines_i0 ON rm1_task_deadlines (task_id, from_date);

CREATE TABLE rm1_task_progress (task_id TEXT NOT NULL, by_unit TEXT NOT NULL, percent BIGINT NOT NULL, on_date TEXT NOT NULL, dating TEXT, valid_from BIGINT NOT NULL);
CREATE INDEX rm1_task_progress_i0 ON rm1_task_progress (task_id, on_date);

CREATE TABLE rm1_task_leads (task_id TEXT NOT NULL, lead TEXT NOT NULL, from_date TEXT NOT NULL, dating TEXT, valid_from BIGINT NOT NULL);
CREATE INDEX rm1_task_leads_i0 ON rm1_task_leads (task_id, from_date);

CREATE TABLE rm1_reports (id TEXT NOT NULL, unit_id TEXT NOT NULL, plan_id TEXT NOT NULL, period TEXT NOT NULL, deadline TEXT NOT NULL, submitted_on TEXT NOT NULL, received_on TEXT NOT NULL, receipt TEXT NOT NULL, attested_by TEXT, late BIGINT NOT NULL, revision BIGINT NOT NULL, revision_on TEXT NOT NULL, review TEXT NOT NULL, reviewed_by TEXT, reviewed_on TEXT, return_reason TEXT, discrepancies BIGINT NOT NULL, valid_from BIGINT NOT NULL, valid_to BIGINT);
CREATE UNIQUE INDEX rm1_reports_version ON rm1_reports (id, valid_from);
CREATE UNIQUE INDEX rm1_reports_open ON rm1_reports (id) WHERE valid_to IS NULL;
CREATE INDEX rm1_reports_i0 ON rm1_reports (unit_id, period) WHERE valid_to IS NULL;
CREATE INDEX rm1_reports_i1 ON rm1_reports (plan_id, period) WHERE valid_to IS NULL;

CREATE TABLE rm1_report_steps (report_id TEXT NOT NULL, revision BIGINT NOT NULL, step TEXT NOT NULL, on_date TEXT NOT NULL, by_unit TEXT, valid_from BIGINT NOT NULL);
CREATE INDEX rm1_report_steps_i0 ON rm1_report_steps (report_id, on_date);

CREATE TABLE rm1_obstacles (id TEXT NOT NULL, task_id TEXT NOT NULL, raised_by TEXT NOT NULL, description TEXT NOT NULL, raised_on TEXT NOT NULL, status TEXT NOT NULL, escalated_to TEXT, escalated_on TEXT, resolved_on TEXT, resolution TEXT, resolution_basis TEXT, valid_from BIGINT NOT NULL, valid_to BIGINT);
CREATE UNIQUE INDEX rm1_obstacles_version ON rm1_obstacles (id, valid_from);
CREATE UNIQUE INDEX rm1_obstacles_open ON rm1_obstacles (id) WHERE valid_to IS NULL;
CREATE INDEX rm1_obstacles_i0 ON rm1_obstacles (task_id) WHERE valid_to IS NULL;

CREATE TABLE rm1_supervisions (id TEXT NOT NULL, body TEXT NOT NULL, subject TEXT NOT NULL, supervised TEXT NOT NULL, opened_on TEXT NOT NULL, basis TEXT NOT NULL, status TEXT NOT NULL, closed_on TEXT, conclusion TEXT, valid_from BIGINT NOT NULL, valid_to BIGINT);
CREATE UNIQUE INDEX rm1_supervisions_version ON rm1_supervisions (id, valid_from);
CREATE UNIQUE INDEX rm1_supervisions_open ON rm1_supervisions (id) WHERE valid_to IS NULL;

CREATE TABLE rm1_recommendations (id TEXT NOT NULL, supervision_id TEXT NOT NULL, number BIGINT NOT NULL, to_unit TEXT NOT NULL, text TEXT NOT NULL, respond_by TEXT NOT NULL, made_on TEXT NOT NULL, answered_on TEXT, answer TEXT, valid_from BIGINT NOT NULL, valid_to BIGINT);
CREATE UNIQUE INDEX rm1_recommendations_version ON rm1_recommendations (id, valid_from);
CREATE UNIQUE INDEX rm1_recommendations_open ON rm1_recommendations (id) WHERE valid_to IS NULL;
CREATE INDEX rm1_recommendations_i0 ON rm1_recommendations (supervision_id) WHERE valid_to IS NULL;
CREATE INDEX rm1_recommendations_i1 ON rm1_recommendations (to_unit) WHERE valid_to IS NULL;

CREATE TABLE rm1_briefings (id TEXT NOT NULL, title TEXT NOT NULL, chaired_by TEXT NOT NULL, period TEXT, participants TEXT NOT NULL, held_on TEXT NOT NULL, conclusion_document TEXT, concluded_on TEXT, valid_from BIGINT NOT NULL, valid_to BIGINT);
CREATE UNIQUE INDEX rm1_briefings_version ON rm1_briefings (id, valid_from);
CREATE UNIQUE INDEX rm1_briefings_open ON rm1_briefings (id) WHERE valid_to IS NULL;

CREATE TABLE rm1_citations (number TEXT NOT NULL, stream_id TEXT NOT NULL, event_type TEXT NOT NULL, role TEXT NOT NULL, on_date TEXT NOT NULL, valid_from BIGINT NOT NULL);
CREATE INDEX rm1_citations_i0 ON rm1_citations (number);
CREATE INDEX rm1_citations_i1 ON rm1_citations (stream_id);

CREATE TABLE rm1_audit (stream_id TEXT NOT NULL, stream_type TEXT NOT NULL, stream_version BIGINT NOT NULL, event_type TEXT NOT NULL, actor TEXT NOT NULL, actor_name TEXT NOT NULL, actor_role TEXT NOT NULL, acting_unit TEXT, correlation_id TEXT NOT NULL, reason TEXT, source_document TEXT, dating TEXT, recorded_at TEXT NOT NULL, effective_at TEXT NOT NULL, valid_from BIGINT NOT NULL);
CREATE UNIQUE INDEX rm1_audit_position ON rm1_audit (valid_from);
CREATE INDEX rm1_audit_i0 ON rm1_audit (stream_id, valid_from);
CREATE INDEX rm1_audit_i1 ON rm1_audit (event_type, valid_from);
CREATE INDEX rm1_audit_i2 ON rm1_audit (actor, valid_from);
CREATE INDEX rm1_audit_i3 ON rm1_audit (acting_unit, valid_from);
CREATE INDEX rm1_audit_i4 ON rm1_audit (effective_at);
CREATE INDEX rm1_audit_i5 ON rm1_audit (dating, valid_from) WHERE dating IS NOT NULL;

CREATE TABLE rm1_report_revisions (report_id TEXT NOT NULL, revision BIGINT NOT NULL, on_date TEXT NOT NULL, reason TEXT, achievements TEXT, shortcomings TEXT, causes TEXT, obstacles TEXT, proposals TEXT, valid_from BIGINT NOT NULL);
CREATE INDEX rm1_report_revisions_i0 ON rm1_report_revisions (report_id, revision);

CREATE TABLE rm1_report_items (report_id TEXT NOT NULL, revision BIGINT NOT NULL, task_id TEXT NOT NULL, status TEXT NOT NULL, percent BIGINT NOT NULL, valid_from BIGINT NOT NULL);
CREATE INDEX rm1_report_items_i0 ON rm1_report_items (report_id, revision);
CREATE INDEX rm1_report_items_i1 ON rm1_report_items (task_id);

CREATE TABLE rm1_report_discrepancies (report_id TEXT NOT NULL, revision BIGINT NOT NULL, step TEXT NOT NULL, task_id TEXT NOT NULL, kind TEXT NOT NULL, claimed_status TEXT NOT NULL, claimed_percent BIGINT NOT NULL, ledger_status TEXT, ledger_percent BIGINT, on_date TEXT NOT NULL, valid_from BIGINT NOT NULL);
CREATE INDEX rm1_report_discrepancies_i0 ON rm1_report_discrepancies (report_id, revision);

