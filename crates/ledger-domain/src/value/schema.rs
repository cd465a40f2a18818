//! JSON Schemas of the value types, for the event schemas outside auditors read
//! (`schema/events/`). Each says what the parser accepts.

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};

use super::{DocumentNumber, GroupNumber, Percent, ReportingPeriod, Text};

impl<const MAX: usize> JsonSchema for Text<MAX> {
    fn schema_name() -> Cow<'static, str> {
        format!("Text{MAX}").into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "minLength": 1,
            "maxLength": MAX,
            "description": "Unicode NFC text, trimmed, white space folded to single spaces",
        })
    }
}

impl JsonSchema for Percent {
    fn schema_name() -> Cow<'static, str> {
        "Percent".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "integer", "minimum": 0, "maximum": 100 })
    }
}

impl JsonSchema for GroupNumber {
    fn schema_name() -> Cow<'static, str> {
        "GroupNumber".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "integer",
            "minimum": 1,
            "maximum": 99,
            "description": "number of a programme's solution group (nhóm nhiệm vụ, giải pháp)",
        })
    }
}

impl JsonSchema for DocumentNumber {
    fn schema_name() -> Cow<'static, str> {
        "DocumentNumber".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "description": "canonical document symbol: Party 10-ĐA/TU, legal 09/2019/NĐ-CP, administrative 130/KH-UBND or letter 1445/UBND-NCPC",
            "examples": ["10-ĐA/TU", "09/2019/NĐ-CP", "130/KH-UBND"],
        })
    }
}

impl JsonSchema for ReportingPeriod {
    fn schema_name() -> Cow<'static, str> {
        "ReportingPeriod".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": "^[0-9]{4}(-(0[1-9]|1[0-2]|Q[1-4]|H[12]))?$",
            "description": "a month 2022-03, a quarter 2022-Q1, a half year 2022-H1 or a year 2022",
        })
    }
}
