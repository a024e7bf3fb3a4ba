//! A small HTTP/1.1 server for failure modes no real service produces (a registry that refuses
//! or over-sends, an API server that drips its answer or loops its continue token): one thread
//! per connection, `Connection: close`, the handler writes the whole answer.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// A request's method and path (with its query), and its `Authorization` header; the other
/// headers are read and dropped.
pub(crate) struct Request {
    pub(crate) method: String,
    pub(crate) path: String,
    #[cfg_attr(not(feature = "kube"), allow(dead_code))]
    pub(crate) authorization: Option<String>,
}

impl Request {
    /// The path without its query string.
    pub(crate) fn route(&self) -> &str {
        self.path.split('?').next().unwrap_or_default()
    }
}

/// The answer's connection, and whether the server is stopping (for answers that last).
pub(crate) struct Answer<'a> {
    pub(crate) stream: &'a mut TcpStream,
    pub(crate) stopping: &'a AtomicBool,
}

impl Answer<'_> {
    /// A whole answer; a HEAD request gets the headers only.
    pub(crate) fn send(
        &mut self,
        request: &Request,
        status: &str,
        content_type: &str,
        extra_headers: &str,
        body: &[u8],
    ) {
        let head = format!(
            "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
             {extra_headers}Connection: close\r\n\r\n",
            body.len()
        );
        let _ = self.stream.write_all(head.as_bytes());
        if request.method != "HEAD" {
            let _ = self.stream.write_all(body);
        }
    }

    /// A whole answer sent in `chunks` equal parts, `pause` apart: a healthy server on a slow
    /// link, whose every read completes but whose whole answer takes a while.
    #[cfg(feature = "image")]
    pub(crate) fn send_steadily(
        &mut self,
        content_type: &str,
        body: &[u8],
        chunks: usize,
        pause: Duration,
    ) {
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n",
            body.len()
        );
        if self.stream.write_all(head.as_bytes()).is_err() {
            return;
        }
        for (i, chunk) in body.chunks(body.len().div_ceil(chunks)).enumerate() {
            if i > 0 {
                std::thread::sleep(pause);
            }
            if self
                .stream
                .write_all(chunk)
                .and_then(|()| self.stream.flush())
                .is_err()
            {
                return;
            }
        }
    }

    /// Headers promising 100 kB, `first` at once, then a space every 200 ms: each read
    /// completes well inside any request timeout, so only a deadline on the whole request ends
    /// it. Stops when the client hangs up, the server stops, or after a minute (so a client
    /// without a deadline still lets its test end).
    pub(crate) fn drip(&mut self, content_type: &str, first: &str) {
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: 100000\r\n\
             Connection: close\r\n\r\n{first}"
        );
        if self.stream.write_all(head.as_bytes()).is_err() {
            return;
        }
        let started = Instant::now();
        while !self.stopping.load(Ordering::Relaxed) && started.elapsed() < Duration::from_secs(60)
        {
            std::thread::sleep(Duration::from_millis(200));
            if self
                .stream
                .write_all(b" ")
                .and_then(|()| self.stream.flush())
                .is_err()
            {
                return;
            }
        }
    }
}

pub(crate) struct FakeHttp {
    /// `127.0.0.1:PORT`.
    pub(crate) host: String,
    stop: Arc<AtomicBool>,
    /// The accepting thread; taken by [`FakeHttp::stop`] or the drop.
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FakeHttp {
    pub(crate) fn start(
        handler: impl Fn(&Request, &mut Answer<'_>) + Send + Sync + 'static,
    ) -> FakeHttp {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let host = listener.local_addr().unwrap().to_string();
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = Arc::clone(&stop);
        let handler = Arc::new(handler);
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopping.load(Ordering::Relaxed) {
                    return;
                }
                let Ok(mut stream) = stream else { return };
                let (stopping, handler) = (Arc::clone(&stopping), Arc::clone(&handler));
                std::thread::spawn(move || {
                    if let Some(request) = read_request(&stream) {
                        handler(
                            &request,
                            &mut Answer {
                                stream: &mut stream,
                                stopping: &stopping,
                            },
                        );
                    }
                });
            }
        });
        FakeHttp {
            host,
            stop,
            thread: Some(thread),
        }
    }

    /// Stops accepting and ends the answers that last (a drip); panics if the server did.
    pub(crate) fn stop(mut self) {
        if let Some(thread) = self.halt() {
            thread.join().unwrap();
        }
    }

    fn halt(&mut self) -> Option<std::thread::JoinHandle<()>> {
        self.stop.store(true, Ordering::Relaxed);
        let thread = self.thread.take()?;
        // Wakes the accepting thread, which then sees `stop`.
        let _ = TcpStream::connect(&self.host);
        Some(thread)
    }
}

/// A test that panics before [`FakeHttp::stop`] still stops its server: no thread is left
/// accepting, nor dripping for a minute, while the other tests run.
impl Drop for FakeHttp {
    fn drop(&mut self) {
        if let Some(thread) = self.halt() {
            let _ = thread.join();
        }
    }
}

fn read_request(stream: &TcpStream) -> Option<Request> {
    // A client that connects and never finishes its request must not hold the thread for ever.
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .ok()?;
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut first = String::new();
    reader.read_line(&mut first).ok()?;
    let mut authorization = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("authorization")
        {
            authorization = Some(value.trim().to_owned());
        }
    }
    let mut parts = first.split_whitespace();
    Some(Request {
        method: parts.next()?.to_owned(),
        path: parts.next()?.to_owned(),
        authorization,
    })
}
