//! The few column types read models use, the same on PostgreSQL and SQLite, and the `row!`
//! macro that declares a table's row type once for writing, loading and querying.
//!
//! Dates are stored as ISO `YYYY-MM-DD` text (text order is date order on both backends),
//! times as the log's fixed-width RFC 3339 text, flags as 0/1 integers.

use crate::error::{Error, Result};

/// A column's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    /// 64-bit integer.
    Int,
    /// UTF-8 text.
    Text,
}

impl Ty {
    /// The SQL type on PostgreSQL.
    #[must_use]
    pub fn postgres(self) -> &'static str {
        match self {
            Self::Int => "BIGINT",
            Self::Text => "TEXT",
        }
    }

    /// The SQL type on SQLite.
    #[must_use]
    pub fn sqlite(self) -> &'static str {
        match self {
            Self::Int => "INTEGER",
            Self::Text => "TEXT",
        }
    }
}

/// One SQL value.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Value {
    /// SQL NULL.
    Null,
    /// An integer.
    Int(i64),
    /// Text.
    Text(String),
}

impl Value {
    /// The integer, if this is one.
    #[must_use]
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Self::Int(v) => Some(*v),
            _ => None,
        }
    }
}

/// A Rust type stored in one column.
pub trait SqlField: Sized {
    /// Its column type.
    const TY: Ty;
    /// Whether the column admits NULL.
    const NULLABLE: bool = false;
    /// To a SQL value.
    fn to_value(&self) -> Value;
    /// To a SQL value, moving it.
    fn into_value(self) -> Value {
        self.to_value()
    }
    /// From a SQL value.
    ///
    /// # Errors
    /// [`Error::Corrupt`] when the value has another type.
    fn from_value(value: Value, column: &str) -> Result<Self>;
}

fn mismatch(column: &str, value: &Value) -> Error {
    Error::Corrupt(format!("column {column}: unexpected value {value:?}"))
}

impl SqlField for String {
    const TY: Ty = Ty::Text;
    fn to_value(&self) -> Value {
        Value::Text(self.clone())
    }
    fn into_value(self) -> Value {
        Value::Text(self)
    }
    fn from_value(value: Value, column: &str) -> Result<Self> {
        match value {
            Value::Text(s) => Ok(s),
            other => Err(mismatch(column, &other)),
        }
    }
}

impl SqlField for i64 {
    const TY: Ty = Ty::Int;
    fn to_value(&self) -> Value {
        Value::Int(*self)
    }
    fn from_value(value: Value, column: &str) -> Result<Self> {
        match value {
            Value::Int(v) => Ok(v),
            other => Err(mismatch(column, &other)),
        }
    }
}

impl SqlField for bool {
    const TY: Ty = Ty::Int;
    fn to_value(&self) -> Value {
        Value::Int(i64::from(*self))
    }
    fn from_value(value: Value, column: &str) -> Result<Self> {
        match value {
            Value::Int(v) => Ok(v != 0),
            other => Err(mismatch(column, &other)),
        }
    }
}

impl<T: SqlField> SqlField for Option<T> {
    const TY: Ty = T::TY;
    const NULLABLE: bool = true;
    fn to_value(&self) -> Value {
        self.as_ref().map_or(Value::Null, SqlField::to_value)
    }
    fn into_value(self) -> Value {
        self.map_or(Value::Null, SqlField::into_value)
    }
    fn from_value(value: Value, column: &str) -> Result<Self> {
        match value {
            Value::Null => Ok(None),
            other => T::from_value(other, column).map(Some),
        }
    }
}

/// A column: name, type, nullability.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// Its name.
    pub name: &'static str,
    /// Its type.
    pub ty: Ty,
    /// Whether it admits NULL.
    pub nullable: bool,
}

/// A read-model row type: its columns in order and its conversion to and from SQL values.
pub trait Row: Sized + Clone + PartialEq + std::fmt::Debug {
    /// The data columns (without the validity range).
    const COLUMNS: &'static [Column];
    /// The values in column order.
    fn to_values(&self) -> Vec<Value>;
    /// The values in column order, moving the row's fields.
    fn into_values(self) -> Vec<Value>;
    /// Reads a row from values in column order.
    ///
    /// # Errors
    /// [`Error::Corrupt`] when the values do not fit.
    fn from_values(values: Vec<Value>) -> Result<Self>;
}

/// Declares a row struct with its [`Row`] implementation.
macro_rules! row {
    ($(#[$meta:meta])* $name:ident { $($(#[$fmeta:meta])* $field:ident : $ty:ty),+ $(,)? }) => {
        #[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
        #[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
        $(#[$meta])*
        pub struct $name {
            $($(#[$fmeta])* pub $field: $ty,)+
        }

        impl $crate::value::Row for $name {
            const COLUMNS: &'static [$crate::value::Column] = &[
                $($crate::value::Column {
                    name: stringify!($field),
                    ty: <$ty as $crate::value::SqlField>::TY,
                    nullable: <$ty as $crate::value::SqlField>::NULLABLE,
                },)+
            ];

            fn to_values(&self) -> Vec<$crate::value::Value> {
                vec![$($crate::value::SqlField::to_value(&self.$field),)+]
            }

            fn into_values(self) -> Vec<$crate::value::Value> {
                vec![$($crate::value::SqlField::into_value(self.$field),)+]
            }

            fn from_values(values: Vec<$crate::value::Value>) -> $crate::error::Result<Self> {
                let mut values = values.into_iter();
                Ok(Self {
                    $($field: <$ty as $crate::value::SqlField>::from_value(
                        values.next().ok_or_else(|| $crate::error::Error::Corrupt(
                            format!("row {}: missing column {}", stringify!($name), stringify!($field))
                        ))?,
                        stringify!($field),
                    )?,)+
                })
            }
        }
    };
}

pub(crate) use row;
