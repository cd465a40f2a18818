//! The value types as GraphQL scalars (feature `graphql`): a command's input is parsed by the
//! same parser as the scenario files, and a refusal says what is wrong in English and, in
//! `extensions.messageVi`, in Vietnamese, with `extensions.code` `BAD_USER_INPUT`.

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};

use super::{
    BriefingId, Date, DocumentNumber, FocusProgrammeId, GroupNumber, ObstacleId, Percent, PlanId,
    ProgrammeId, ReportId, ReportingPeriod, SupervisionId, TaskId, Text, UnitId, ValueError,
};

/// A value the parser refused, for the GraphQL error.
fn refused<T: async_graphql::InputType>(e: &ValueError) -> InputValueError<T> {
    InputValueError::custom(e)
        .with_extension("code", "BAD_USER_INPUT")
        .with_extension("messageVi", format!("giá trị không hợp lệ: {}", e.vi()))
}

/// Parses a string scalar with `parse`.
fn from_string<T: async_graphql::InputType>(
    value: Value,
    parse: impl FnOnce(&str) -> Result<T, ValueError>,
) -> InputValueResult<T> {
    match &value {
        Value::String(s) => parse(s).map_err(|e| refused(&e)),
        _ => Err(InputValueError::expected_type(value)),
    }
}

/// Parses an integer scalar with `make`.
fn from_small_int<T: async_graphql::InputType>(
    value: Value,
    what: &'static str,
    make: impl FnOnce(u8) -> Result<T, ValueError>,
) -> InputValueResult<T> {
    let number = match &value {
        Value::Number(n) => n.as_i64(),
        _ => None,
    };
    let Some(number) = number else {
        return Err(InputValueError::expected_type(value));
    };
    let small = u8::try_from(number).map_err(|_| {
        refused(&ValueError::new(
            what,
            &number.to_string(),
            "is out of range",
            "nằm ngoài giới hạn cho phép",
        ))
    })?;
    make(small).map_err(|e| refused(&e))
}

/// A calendar day, `YYYY-MM-DD` (ngày).
#[Scalar(name = "Date")]
impl ScalarType for Date {
    fn parse(value: Value) -> InputValueResult<Self> {
        from_string(value, Date::parse)
    }
    fn to_value(&self) -> Value {
        Value::String(self.to_string())
    }
}

macro_rules! string_scalar {
    ($($ty:ty => $name:literal),* $(,)?) => {$(
        #[Scalar(name = $name)]
        impl ScalarType for $ty {
            fn parse(value: Value) -> InputValueResult<Self> {
                from_string(value, |s| s.parse())
            }
            fn is_valid(value: &Value) -> bool {
                matches!(value, Value::String(_))
            }
            fn to_value(&self) -> Value {
                Value::String(self.to_string())
            }
        }
    )*};
}

string_scalar! {
    UnitId => "UnitId",
    TaskId => "TaskId",
    PlanId => "PlanId",
    ReportId => "ReportId",
    ObstacleId => "ObstacleId",
    ProgrammeId => "ProgrammeId",
    SupervisionId => "SupervisionId",
    FocusProgrammeId => "FocusProgrammeId",
    BriefingId => "BriefingId",
    DocumentNumber => "DocumentNumber",
    ReportingPeriod => "ReportingPeriod",
}

/// A title or name: at most 500 characters, normalised to Unicode NFC.
#[Scalar(name = "Title")]
impl ScalarType for Text<500> {
    fn parse(value: Value) -> InputValueResult<Self> {
        from_string(value, Text::parse)
    }
    fn to_value(&self) -> Value {
        Value::String(self.to_string())
    }
}

/// A report section, a reason or a note: at most 20,000 characters, normalised to NFC.
#[Scalar(name = "LongText")]
impl ScalarType for Text<20_000> {
    fn parse(value: Value) -> InputValueResult<Self> {
        from_string(value, Text::parse)
    }
    fn to_value(&self) -> Value {
        Value::String(self.to_string())
    }
}

/// A whole percentage, 0 to 100.
#[Scalar(name = "Percent")]
impl ScalarType for Percent {
    fn parse(value: Value) -> InputValueResult<Self> {
        from_small_int(value, "percent", Percent::new)
    }
    fn to_value(&self) -> Value {
        Value::Number(self.get().into())
    }
}

/// The number of a programme's solution group, 1 to 99.
#[Scalar(name = "GroupNumber")]
impl ScalarType for GroupNumber {
    fn parse(value: Value) -> InputValueResult<Self> {
        from_small_int(value, "solution group", GroupNumber::new)
    }
    fn to_value(&self) -> Value {
        Value::Number(self.get().into())
    }
}
