//! A report streamed to the client as it is read, as CSV or as the API's JSON
//! `{name, columns, rows}`: the download behind both the report pages' CSV link
//! and `GET /api/v1/reports/{name}` without paging.

use actix_web::HttpResponse;
use actix_web::web::Bytes;

use crate::db::Db;
use crate::domain::report::{Cell, Format, Prepared};
use crate::error::Error;

/// Bytes gathered before they go to the client.
const CHUNK: usize = 32 * 1024;
/// Chunks waiting for a slow client before the database read waits too.
const CHUNKS_AHEAD: usize = 4;

/// Writes a report's rows as CSV or as the API's JSON `{name, columns, rows}`.
struct Writer {
    format: Format,
    buf: Vec<u8>,
    first: bool,
}

/// One CSV field, quoted when it holds a comma, a quote or a line break
/// (quotes doubled), as the `csv` crate writes it.
fn csv_field(out: &mut Vec<u8>, field: &str) {
    if field.contains([',', '"', '\n', '\r']) {
        out.push(b'"');
        out.extend_from_slice(field.replace('"', "\"\"").as_bytes());
        out.push(b'"');
    } else {
        out.extend_from_slice(field.as_bytes());
    }
}

fn csv_record<S: AsRef<str>>(out: &mut Vec<u8>, fields: impl Iterator<Item = S>) {
    for (i, f) in fields.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        csv_field(out, f.as_ref());
    }
    out.push(b'\n');
}

impl Writer {
    fn start(format: Format, prepared: &Prepared) -> Result<Writer, Error> {
        let mut w = Writer {
            format,
            buf: Vec::with_capacity(CHUNK + 1024),
            first: true,
        };
        match format {
            Format::Csv => csv_record(&mut w.buf, prepared.columns.iter()),
            Format::Json => {
                let head = serde_json::json!({"name": prepared.name, "columns": prepared.columns});
                let mut text = serde_json::to_string(&head).map_err(Error::internal)?;
                text.pop(); // the closing brace: the rows follow
                w.buf.extend_from_slice(text.as_bytes());
                w.buf.extend_from_slice(b",\"rows\":[");
            }
        }
        Ok(w)
    }

    fn row(&mut self, row: &[Cell]) -> Result<(), Error> {
        match self.format {
            Format::Csv => {
                csv_record(&mut self.buf, row.iter().map(Cell::display));
                Ok(())
            }
            Format::Json => {
                if !self.first {
                    self.buf.push(b',');
                }
                self.first = false;
                let cells: Vec<serde_json::Value> = row.iter().map(Cell::json).collect();
                serde_json::to_writer(&mut self.buf, &cells).map_err(Error::internal)
            }
        }
    }

    /// The bytes ready to send, when there are enough (or `all`).
    fn take(&mut self, all: bool) -> Option<Bytes> {
        if self.buf.is_empty() || (!all && self.buf.len() < CHUNK) {
            return None;
        }
        Some(Bytes::from(std::mem::replace(
            &mut self.buf,
            Vec::with_capacity(CHUNK + 1024),
        )))
    }

    fn finish(&mut self) -> Option<Bytes> {
        if self.format == Format::Json {
            self.buf.extend_from_slice(b"]}");
        }
        self.take(true)
    }
}

/// The whole report as a download: rows go to the client as they are read
/// (a blocking task walks the statement and hands chunks over a bounded
/// channel), so neither the report nor its text is ever held whole. A client
/// that goes away stops the walk.
pub fn download(db: Db, prepared: Prepared, format: Format) -> HttpResponse {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(CHUNKS_AHEAD);
    let name = prepared.name;
    tokio::task::spawn_blocking(move || {
        let send = |bytes: Bytes| {
            tx.blocking_send(Ok(bytes))
                .map_err(|_| Error::BadRequest("the client went away".into()))
        };
        let outcome = db.read_sync(|conn| {
            let mut w = Writer::start(format, &prepared)?;
            prepared.for_each(conn, &mut |row| {
                w.row(&row)?;
                if let Some(bytes) = w.take(false) {
                    send(bytes)?;
                }
                Ok(())
            })?;
            if let Some(bytes) = w.finish() {
                send(bytes)?;
            }
            Ok(())
        });
        if let Err(e) = outcome {
            crate::http::log_if_internal(&e);
            // Cuts the response short: a download that ends early is not
            // mistaken for a whole one.
            let _ = tx.blocking_send(Err(std::io::Error::other(e.to_string())));
        }
    });
    let body = futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx));
    let mut response = HttpResponse::Ok();
    match format {
        Format::Csv => response
            .content_type("text/csv; charset=utf-8")
            .insert_header((
                "Content-Disposition",
                format!("attachment; filename=\"{name}.csv\""),
            )),
        Format::Json => response.content_type("application/json"),
    };
    response.streaming(body)
}
