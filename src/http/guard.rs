//! Over-long request lines answered with a body.
//!
//! actix-http answers a request it cannot parse (a target over the `http`
//! crate's 65,534-byte URI limit, above all) with an empty 400 before any app
//! code runs, so no middleware can give it the API's JSON error or a page.
//! [`Guarded`] wraps each accepted connection and watches the bytes the client
//! sends: it follows every request on the connection (request line, head, a
//! `Content-Length` body) and, when a request line grows past
//! [`MAX_REQUEST_LINE`] bytes, stops passing data on (actix sees the client
//! close its side), lets actix finish what it was answering, then answers 414
//! itself (JSON error under `/api/`, a short page elsewhere), closes its
//! sending side and reads what the client still sends for a moment so the
//! close does not reset the answer away. Anything it cannot follow (chunked or
//! other transfer codings, upgrades, `CONNECT`, folded or malformed headers)
//! makes it stop watching that connection: actix then answers as it always did.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Sleep;

/// The longest request line (method, target, version; not counting its CR LF)
/// served.
/// Four times the longest query value the app takes (4,096 characters, see
/// `http::input`), so such values still get the 422 naming their field; well
/// under actix's own limits (65,534-byte target, 128 KiB head) so the 414
/// comes first; longer than browsers send and than nginx (8 KiB) or Apache
/// (8,190 bytes) accept by default.
pub const MAX_REQUEST_LINE: usize = 16 * 1024;

/// A header line longer than this is not examined: the guard stops watching.
const MAX_HEADER_LINE: usize = 8 * 1024;
/// The first bytes of a request line kept to tell an API request from a page.
const LINE_START: usize = 64;
/// After answering, what the client still sends is read and dropped for at
/// most this long / this much, so closing does not reset the connection
/// before the client has read the answer.
const DRAIN_TIME: Duration = Duration::from_millis(800);
const DRAIN_BYTES: u64 = 1 << 20;

/// Where the watcher is in the client's byte stream.
#[derive(Debug, PartialEq)]
enum State {
    /// Inside (or before) a request line: `len` bytes so far, the first of them.
    Line { len: usize, start: Vec<u8> },
    /// Inside the head, after the request line.
    Headers { line: Vec<u8>, length: Option<u64> },
    /// Inside a `Content-Length` body: `left` bytes to go.
    Body { left: u64 },
    /// Not watching any more (something it cannot follow).
    Off,
    /// A request line was too long.
    TooLong { api: bool },
}

/// Follows the requests in the bytes a client sends.
#[derive(Debug)]
pub struct Watch {
    state: State,
}

impl Default for Watch {
    fn default() -> Self {
        Watch {
            state: State::Line {
                len: 0,
                start: Vec::new(),
            },
        }
    }
}

impl Watch {
    /// Takes the next bytes; `Some(api)` once a request line is too long
    /// (`api`: its target is under `/api/`).
    pub fn feed(&mut self, mut bytes: &[u8]) -> Option<bool> {
        loop {
            match &mut self.state {
                State::TooLong { api } => return Some(*api),
                State::Off => return None,
                _ if bytes.is_empty() => return None,
                State::Body { left } => {
                    let n = usize::try_from(*left)
                        .unwrap_or(usize::MAX)
                        .min(bytes.len());
                    *left -= n as u64;
                    bytes = &bytes[n..];
                    if *left == 0 {
                        self.state = Watch::default().state;
                    }
                }
                State::Line { len, start } => {
                    let end = bytes.iter().position(|&b| b == b'\n');
                    let taken = end.unwrap_or(bytes.len());
                    let keep = LINE_START.saturating_sub(start.len()).min(taken);
                    start.extend_from_slice(&bytes[..keep]);
                    *len += taken;
                    // The line may end in CR LF or a bare LF: its CR is allowed for.
                    if *len > MAX_REQUEST_LINE + 1 {
                        let api = targets_api(start);
                        self.state = State::TooLong { api };
                        continue;
                    }
                    let end = end?; // the line goes on in the next bytes
                    bytes = &bytes[end + 1..];
                    self.state = if *len == 0 || start.as_slice() == b"\r" {
                        // Empty lines before a request line are skipped.
                        Watch::default().state
                    } else if start.starts_with(b"CONNECT ") {
                        State::Off
                    } else {
                        State::Headers {
                            line: Vec::new(),
                            length: None,
                        }
                    };
                }
                State::Headers { line, length } => {
                    let end = bytes.iter().position(|&b| b == b'\n');
                    let taken = end.unwrap_or(bytes.len());
                    if line.len() + taken > MAX_HEADER_LINE {
                        self.state = State::Off;
                        continue;
                    }
                    line.extend_from_slice(&bytes[..taken]);
                    let end = end?; // the line goes on in the next bytes
                    bytes = &bytes[end + 1..];
                    let text = line.strip_suffix(b"\r").unwrap_or(line);
                    if text.is_empty() {
                        self.state = match *length {
                            Some(left) if left > 0 => State::Body { left },
                            _ => Watch::default().state,
                        };
                        continue;
                    }
                    match header_effect(text, *length) {
                        Some(new_length) => {
                            *length = new_length;
                            line.clear();
                        }
                        None => self.state = State::Off,
                    }
                }
            }
        }
    }
}

/// What a header line means for following the stream: the (new) body length,
/// or `None` when the guard cannot follow the request.
fn header_effect(text: &[u8], length: Option<u64>) -> Option<Option<u64>> {
    if text[0] == b' ' || text[0] == b'\t' {
        return None; // obsolete line folding
    }
    let colon = text.iter().position(|&b| b == b':')?;
    let (name, value) = (&text[..colon], text[colon + 1..].trim_ascii());
    if name.eq_ignore_ascii_case(b"content-length") {
        if value.is_empty() || !value.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let n: u64 = std::str::from_utf8(value).ok()?.parse().ok()?;
        return match length {
            Some(earlier) if earlier != n => None,
            _ => Some(Some(n)),
        };
    }
    if name.eq_ignore_ascii_case(b"transfer-encoding") || name.eq_ignore_ascii_case(b"upgrade") {
        return None;
    }
    Some(length)
}

/// Whether a request line (its first bytes) targets `/api/…`, in origin form
/// (`GET /api/…`) or absolute form (`GET http://host/api/…`).
fn targets_api(start: &[u8]) -> bool {
    let Some(space) = start.iter().position(|&b| b == b' ') else {
        return false;
    };
    let target = &start[space + 1..];
    let path = match target.windows(3).position(|w| w == b"://") {
        Some(i) if !target[..i].contains(&b'/') => {
            let rest = &target[i + 3..];
            match rest.iter().position(|&b| b == b'/') {
                Some(slash) => &rest[slash..],
                None => return false,
            }
        }
        _ => target,
    };
    path.starts_with(b"/api/")
}

/// The whole 414 answer, head and body, closing the connection.
pub fn too_long_answer(api: bool) -> Vec<u8> {
    let (content_type, body) = if api {
        (
            "application/json",
            r#"{"error":{"code":"uri_too_long","message":"the request line is longer than the server accepts"}}"#,
        )
    } else {
        (
            "text/html; charset=utf-8",
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
             <title>Address too long - Canopy</title></head><body><main>\
             <h1>Address too long</h1><p>This address is longer than Canopy accepts. \
             Go back and shorten the search.</p><p><a href=\"/\">Home</a></p>\
             </main></body></html>\n",
        )
    };
    let mut head = format!(
        "HTTP/1.1 414 URI Too Long\r\ncontent-type: {content_type}\r\n\
         content-length: {}\r\nconnection: close\r\n",
        body.len()
    );
    for (name, value) in super::SECURITY_HEADERS {
        head.push_str(&format!("{}: {value}\r\n", name.to_ascii_lowercase()));
    }
    head.push_str("\r\n");
    let mut answer = head.into_bytes();
    answer.extend_from_slice(body.as_bytes());
    answer
}

/// A connection whose over-long request lines get a 414 with a body.
pub struct Guarded<S> {
    io: S,
    watch: Watch,
    refusal: Option<Refusal>,
}

struct Refusal {
    answer: Vec<u8>,
    written: usize,
    step: Step,
    drained: u64,
    deadline: Option<Pin<Box<Sleep>>>,
}

#[derive(Clone, Copy)]
enum Step {
    Write,
    Flush,
    Close,
    Drain,
    Done,
}

impl<S> Guarded<S> {
    pub fn new(io: S) -> Self {
        Guarded {
            io,
            watch: Watch::default(),
            refusal: None,
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for Guarded<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.refusal.is_some() {
            return Poll::Ready(Ok(())); // the end, as far as actix is concerned
        }
        let before = buf.filled().len();
        ready!(Pin::new(&mut this.io).poll_read(cx, buf))?;
        if let Some(api) = this.watch.feed(&buf.filled()[before..]) {
            buf.set_filled(before);
            log::info!(
                "414: a request line over {MAX_REQUEST_LINE} bytes (api: {api}); closing the connection"
            );
            this.refusal = Some(Refusal {
                answer: too_long_answer(api),
                written: 0,
                step: Step::Write,
                drained: 0,
                deadline: None,
            });
        }
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for Guarded<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    /// After a refusal, actix has answered everything before it: the 414 goes
    /// out, the sending side closes and what the client still sends is read
    /// and dropped for a moment.
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let Some(refusal) = this.refusal.as_mut() else {
            return Pin::new(&mut this.io).poll_shutdown(cx);
        };
        let mut io = Pin::new(&mut this.io);
        loop {
            match refusal.step {
                Step::Write => {
                    while refusal.written < refusal.answer.len() {
                        let n = ready!(
                            io.as_mut()
                                .poll_write(cx, &refusal.answer[refusal.written..])
                        )?;
                        if n == 0 {
                            return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
                        }
                        refusal.written += n;
                    }
                    refusal.step = Step::Flush;
                }
                Step::Flush => {
                    ready!(io.as_mut().poll_flush(cx))?;
                    refusal.step = Step::Close;
                }
                Step::Close => {
                    ready!(io.as_mut().poll_shutdown(cx))?;
                    refusal.deadline = Some(Box::pin(tokio::time::sleep(DRAIN_TIME)));
                    refusal.step = Step::Drain;
                }
                Step::Drain => {
                    let timed_out = refusal
                        .deadline
                        .as_mut()
                        .is_none_or(|d| d.as_mut().poll(cx).is_ready());
                    if timed_out || refusal.drained >= DRAIN_BYTES {
                        refusal.step = Step::Done;
                        continue;
                    }
                    let mut scratch = [0u8; 8192];
                    let mut rb = ReadBuf::new(&mut scratch);
                    match ready!(io.as_mut().poll_read(cx, &mut rb)) {
                        Ok(()) if !rb.filled().is_empty() => {
                            refusal.drained += rb.filled().len() as u64;
                        }
                        _ => refusal.step = Step::Done,
                    }
                }
                Step::Done => return Poll::Ready(Ok(())),
            }
        }
    }
}

#[cfg(test)]
#[path = "guard_tests.rs"]
mod tests;
