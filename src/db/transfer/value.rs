//! One value of one column, the same whichever backend or dump it came from:
//! each column's declared type names a [`Kind`], every value is read into the
//! kind's canonical form, and the checksum is taken over that form. So an
//! SQLite `0`/`1` and a PostgreSQL `false`/`true` are the same `Bool`, and an
//! SQLite timestamp text and a PostgreSQL `timestamp` the same instant.

use chrono::{NaiveDate, NaiveDateTime};
use serde_json::Value as Json;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// What a column holds, by its declared type on either backend.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Int,
    Real,
    Text,
    Bool,
    Timestamp,
    Date,
    Bytes,
}

impl Kind {
    /// The kind of an SQLite declared type (`pragma table_info`), by SQLite's
    /// own affinity rules, except that the types Diesel maps (`BOOLEAN`,
    /// `TIMESTAMP`, `DATE`) are told apart first.
    pub fn of_sqlite(declared: &str) -> Option<Kind> {
        let t = declared.to_ascii_uppercase();
        Some(if t.contains("BOOL") {
            Kind::Bool
        } else if t.contains("TIMESTAMP") || t.contains("DATETIME") {
            Kind::Timestamp
        } else if t == "DATE" {
            Kind::Date
        } else if t.contains("INT") {
            Kind::Int
        } else if t.contains("CHAR") || t.contains("CLOB") || t.contains("TEXT") {
            Kind::Text
        } else if t.contains("BLOB") {
            Kind::Bytes
        } else if t.contains("REAL") || t.contains("FLOA") || t.contains("DOUB") {
            Kind::Real
        } else {
            return None;
        })
    }

    /// The kind of a PostgreSQL `information_schema.columns.data_type`.
    pub fn of_postgres(data_type: &str) -> Option<Kind> {
        Some(match data_type {
            "bigint" | "integer" | "smallint" => Kind::Int,
            "double precision" | "real" => Kind::Real,
            "text" | "character varying" | "character" => Kind::Text,
            "boolean" => Kind::Bool,
            "timestamp without time zone" => Kind::Timestamp,
            "date" => Kind::Date,
            "bytea" => Kind::Bytes,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Kind::Int => "int",
            Kind::Real => "real",
            Kind::Text => "text",
            Kind::Bool => "bool",
            Kind::Timestamp => "timestamp",
            Kind::Date => "date",
            Kind::Bytes => "bytes",
        }
    }

    pub fn from_name(name: &str) -> Option<Kind> {
        [
            Kind::Int,
            Kind::Real,
            Kind::Text,
            Kind::Bool,
            Kind::Timestamp,
            Kind::Date,
            Kind::Bytes,
        ]
        .into_iter()
        .find(|k| k.name() == name)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Bool(bool),
    Timestamp(NaiveDateTime),
    Date(NaiveDate),
    Bytes(Vec<u8>),
}

/// Timestamps as both backends and the dump write them: SQLite's text (space
/// or `T`), PostgreSQL's JSON (`T`), with or without fractional seconds.
fn timestamp(text: &str) -> Option<NaiveDateTime> {
    let text = text.trim_end_matches('Z');
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f"))
        .ok()
}

impl Value {
    /// Reads a value of `kind` from the JSON a database (`json_array`,
    /// `json_build_array`, binary columns hex-encoded) or a dump wrote.
    pub fn from_json(kind: Kind, json: Json) -> Option<Value> {
        if json.is_null() {
            return Some(Value::Null);
        }
        Some(match (kind, json) {
            (Kind::Int, Json::Number(n)) => Value::Int(n.as_i64()?),
            (Kind::Real, Json::Number(n)) => Value::Real(n.as_f64()?),
            (Kind::Text, Json::String(s)) => Value::Text(s),
            (Kind::Bool, Json::Bool(b)) => Value::Bool(b),
            // SQLite keeps booleans as 0 and 1.
            (Kind::Bool, Json::Number(n)) => Value::Bool(n.as_i64()? != 0),
            (Kind::Timestamp, Json::String(s)) => Value::Timestamp(timestamp(&s)?),
            (Kind::Date, Json::String(s)) => {
                Value::Date(NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok()?)
            }
            (Kind::Bytes, Json::String(s)) => Value::Bytes(hex::decode(s).ok()?),
            _ => return None,
        })
    }

    /// The value as the dump writes it (read back by [`Value::from_json`]).
    pub fn to_json(&self) -> Json {
        match self {
            Value::Null => Json::Null,
            Value::Int(i) => Json::from(*i),
            Value::Real(f) => Json::from(*f),
            Value::Text(s) => Json::from(s.as_str()),
            Value::Bool(b) => Json::from(*b),
            Value::Timestamp(t) => Json::from(t.format("%Y-%m-%dT%H:%M:%S%.6f").to_string()),
            Value::Date(d) => Json::from(d.format("%Y-%m-%d").to_string()),
            Value::Bytes(b) => Json::from(hex::encode(b)),
        }
    }

    /// Feeds the canonical form to a hash: a tag, then the value, texts and
    /// bytes with their length first so no two rows run together.
    fn hash_into(&self, h: &mut Sha256) {
        let mut sized = |tag: u8, bytes: &[u8]| {
            h.update([tag]);
            h.update((bytes.len() as u64).to_le_bytes());
            h.update(bytes);
        };
        match self {
            Value::Null => sized(0, &[]),
            Value::Int(i) => sized(1, &i.to_le_bytes()),
            Value::Real(f) => sized(2, &f.to_bits().to_le_bytes()),
            Value::Text(s) => sized(3, s.as_bytes()),
            Value::Bool(b) => sized(4, &[u8::from(*b)]),
            Value::Timestamp(t) => {
                sized(5, t.format("%Y-%m-%dT%H:%M:%S%.6f").to_string().as_bytes())
            }
            Value::Date(d) => sized(6, d.format("%Y-%m-%d").to_string().as_bytes()),
            Value::Bytes(b) => sized(7, b),
        }
    }
}

/// Reads one row from a JSON array, a value per column of `kinds`; `what`
/// names the place for the message.
pub fn row_from_json(kinds: &[Kind], json: Json, what: &dyn Fn() -> String) -> Result<Vec<Value>> {
    let Json::Array(items) = json else {
        return Err(Error::BadRequest(format!(
            "{}: a row is not a list",
            what()
        )));
    };
    if items.len() != kinds.len() {
        return Err(Error::BadRequest(format!(
            "{}: a row has {} values for {} columns",
            what(),
            items.len(),
            kinds.len()
        )));
    }
    items
        .into_iter()
        .zip(kinds)
        .map(|(item, kind)| {
            let shown = item.to_string();
            Value::from_json(*kind, item).ok_or_else(|| {
                let short: String = shown.chars().take(60).collect();
                Error::BadRequest(format!("{}: {short} is not a {}", what(), kind.name()))
            })
        })
        .collect()
}

/// A table's row count and checksum. The checksum is the sum (mod 2^128) of
/// each row's SHA-256 (first 16 bytes) over its canonical values in column
/// name order: the same whatever order the rows are read in and whatever
/// order either backend keeps the columns in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sum {
    pub rows: u64,
    pub checksum: u128,
}

impl Sum {
    pub fn checksum_hex(&self) -> String {
        format!("{:032x}", self.checksum)
    }

    pub fn parse_hex(text: &str) -> Option<u128> {
        (text.len() == 32)
            .then(|| u128::from_str_radix(text, 16).ok())
            .flatten()
    }
}

/// Adds rows of one table to its [`Sum`].
pub struct Summer {
    /// Column names in name order, with their place in a row.
    order: Vec<(String, usize)>,
    pub sum: Sum,
}

impl Summer {
    pub fn new(columns: &[String]) -> Summer {
        let mut order: Vec<(String, usize)> = columns
            .iter()
            .cloned()
            .enumerate()
            .map(|(i, n)| (n, i))
            .collect();
        order.sort();
        Summer {
            order,
            sum: Sum::default(),
        }
    }

    pub fn add(&mut self, row: &[Value]) {
        let mut h = Sha256::new();
        for (name, i) in &self.order {
            h.update(name.as_bytes());
            h.update([0]);
            row[*i].hash_into(&mut h);
        }
        let digest = h.finalize();
        let mut first = [0u8; 16];
        first.copy_from_slice(&digest[..16]);
        self.sum.rows += 1;
        self.sum.checksum = self.sum.checksum.wrapping_add(u128::from_be_bytes(first));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_backends_spellings_read_as_one_value() {
        let sqlite =
            Value::from_json(Kind::Timestamp, Json::from("2026-12-04 20:21:12.5")).unwrap();
        let pg = Value::from_json(Kind::Timestamp, Json::from("2026-12-04T20:21:12.500")).unwrap();
        assert_eq!(sqlite, pg);
        assert_eq!(
            Value::from_json(Kind::Bool, Json::from(1)),
            Value::from_json(Kind::Bool, Json::from(true))
        );
        assert_eq!(
            Value::from_json(Kind::Bytes, Json::from("0AFF")),
            Some(Value::Bytes(vec![10, 255]))
        );
        assert_eq!(Value::from_json(Kind::Int, Json::from("7")), None);
    }

    #[test]
    fn the_checksum_ignores_row_and_column_order_but_not_values() {
        let rows = [
            vec![Value::Int(1), Value::Text("a".into())],
            vec![Value::Int(2), Value::Null],
        ];
        let mut one = Summer::new(&["id".into(), "name".into()]);
        rows.iter().for_each(|r| one.add(r));
        let mut other = Summer::new(&["name".into(), "id".into()]);
        for r in rows.iter().rev() {
            other.add(&[r[1].clone(), r[0].clone()]);
        }
        assert_eq!(one.sum, other.sum);
        let mut changed = Summer::new(&["id".into(), "name".into()]);
        changed.add(&rows[0]);
        changed.add(&[Value::Int(2), Value::Text(String::new())]);
        assert_ne!(one.sum, changed.sum);
        assert_eq!(
            Sum::parse_hex(&one.sum.checksum_hex()),
            Some(one.sum.checksum)
        );
    }

    #[test]
    fn every_value_survives_the_dump() {
        let values = [
            (Kind::Int, Value::Int(-5)),
            (Kind::Real, Value::Real(1.5)),
            (Kind::Text, Value::Text("é \"q\"".into())),
            (Kind::Bool, Value::Bool(true)),
            (
                Kind::Timestamp,
                Value::Timestamp(timestamp("2026-12-04 20:21:12.123456").unwrap()),
            ),
            (
                Kind::Date,
                Value::Date(NaiveDate::from_ymd_opt(2026, 2, 28).unwrap()),
            ),
            (Kind::Bytes, Value::Bytes(vec![0, 1, 254])),
            (Kind::Date, Value::Null),
        ];
        for (kind, value) in values {
            assert_eq!(Value::from_json(kind, value.to_json()), Some(value));
            assert_eq!(Kind::from_name(kind.name()), Some(kind));
        }
    }
}
