//! `TestSmtp`: a small real SMTP server on 127.0.0.1 that the portal's lettre transport talks
//! to. It keeps every message it accepts (envelope and raw data), can be taken down and
//! brought back on the same port, answers 550 to recipients containing "reject" and 451 to
//! those containing "defer". [`TestSmtp::hold_replies`] keeps each message's final reply
//! back until [`TestSmtp::release_replies`], to catch a sender in the middle of a send.

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use mail_parser::{MessageParser, MimeHeaders, PartType};
use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::{TcpListener, TcpStream},
    sync::watch,
    task::JoinHandle,
};

/// One message as the server received it.
#[derive(Clone, Debug)]
pub struct Received {
    pub mail_from: String,
    pub rcpt_to: Vec<String>,
    /// The DATA section, dot-unstuffed, without the final `.` line.
    pub data: Vec<u8>,
}

impl Received {
    fn parsed(&self) -> mail_parser::Message<'_> {
        MessageParser::default().parse(&self.data).expect("a parsable MIME message")
    }

    /// Address of the `To` header.
    pub fn to(&self) -> String {
        let m = self.parsed();
        m.to().and_then(|a| a.first()).and_then(|a| a.address()).unwrap_or_default().to_string()
    }

    /// Address of the `From` header.
    pub fn from(&self) -> String {
        let m = self.parsed();
        m.from().and_then(|a| a.first()).and_then(|a| a.address()).unwrap_or_default().to_string()
    }

    pub fn subject(&self) -> String {
        self.parsed().subject().unwrap_or_default().to_string()
    }

    /// The Message-ID, without angle brackets.
    pub fn message_id(&self) -> String {
        self.parsed().message_id().unwrap_or_default().to_string()
    }

    /// `type/subtype` of the whole message.
    pub fn content_type(&self) -> String {
        let m = self.parsed();
        m.content_type().map(|c| format!("{}/{}", c.ctype(), c.subtype().unwrap_or_default())).unwrap_or_default()
    }

    /// The decoded text/plain part (not a conversion of the HTML one).
    pub fn text(&self) -> Option<String> {
        let m = self.parsed();
        let part = m.parts.iter().find(|p| {
            matches!(p.body, PartType::Text(_))
                && p.content_type().is_some_and(|c| c.ctype() == "text" && c.subtype() == Some("plain"))
        })?;
        match &part.body {
            PartType::Text(t) => Some(t.to_string()),
            _ => None,
        }
    }

    /// The decoded text/html part.
    pub fn html(&self) -> Option<String> {
        let m = self.parsed();
        m.parts.iter().find_map(|p| match &p.body {
            PartType::Html(h) => Some(h.to_string()),
            _ => None,
        })
    }

    /// The first URL in the text part that starts with `prefix`.
    pub fn link(&self, prefix: &str) -> Option<String> {
        let text = self.text()?;
        text.split_whitespace()
            .find(|w| w.starts_with(prefix))
            .map(|w| w.trim_end_matches(['.', ',', ')', '>']).to_string())
    }
}

#[derive(Default)]
struct Shared {
    messages: Mutex<Vec<Received>>,
    /// Replies to the end of DATA wait while this holds.
    hold: Mutex<bool>,
    /// Messages whose reply is being held back now.
    holding: Mutex<usize>,
    released: tokio::sync::Notify,
}

pub struct TestSmtp {
    port: u16,
    shared: Arc<Shared>,
    /// Bumped by `down()`: open connections see it and hang up.
    cut: watch::Sender<u64>,
    acceptor: Mutex<Option<JoinHandle<()>>>,
}

impl TestSmtp {
    pub async fn start() -> TestSmtp {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (cut, _) = watch::channel(0u64);
        let smtp = TestSmtp { port, shared: Arc::default(), cut, acceptor: Mutex::new(None) };
        smtp.serve(listener);
        smtp
    }

    /// For `SMTP_URL`: plain SMTP, no TLS.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn messages(&self) -> Vec<Received> {
        self.shared.messages.lock().unwrap().clone()
    }

    /// Waits until at least `n` messages arrived (polling every 50 ms); panics after `timeout`.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Received> {
        let start = Instant::now();
        loop {
            let got = self.messages();
            if got.len() >= n {
                return got;
            }
            assert!(start.elapsed() < timeout, "expected {n} message(s) within {timeout:?}, got {}", got.len());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// From now on, the reply to each message's data waits until `release_replies`.
    pub fn hold_replies(&self) {
        *self.shared.hold.lock().unwrap() = true;
    }

    /// Sends the replies held back, and no longer holds any.
    pub fn release_replies(&self) {
        *self.shared.hold.lock().unwrap() = false;
        self.shared.released.notify_waiters();
    }

    /// Waits until `n` messages are waiting for their reply (polling every 50 ms); panics after
    /// `timeout`.
    pub async fn wait_for_held(&self, n: usize, timeout: Duration) {
        let start = Instant::now();
        while *self.shared.holding.lock().unwrap() < n {
            assert!(start.elapsed() < timeout, "expected {n} held message(s) within {timeout:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Stops listening (connections are refused) and hangs up every open connection.
    pub async fn down(&self) {
        let handle = self.acceptor.lock().unwrap().take();
        if let Some(handle) = handle {
            handle.abort();
            let _ = handle.await; // the listener is closed once the task is gone
        }
        self.cut.send_modify(|n| *n += 1);
    }

    /// Listens again, on the same port.
    pub async fn up(&self) {
        let start = Instant::now();
        let listener = loop {
            match TcpListener::bind(("127.0.0.1", self.port)).await {
                Ok(l) => break l,
                Err(e) if start.elapsed() < Duration::from_secs(5) => {
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(e) => panic!("cannot listen on port {} again: {e}", self.port),
            }
        };
        self.serve(listener);
    }

    fn serve(&self, listener: TcpListener) {
        let shared = self.shared.clone();
        let cut = self.cut.subscribe();
        let handle = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { continue };
                let shared = shared.clone();
                let mut cut = cut.clone();
                cut.borrow_and_update();
                tokio::spawn(async move {
                    tokio::select! {
                        _ = session(stream, shared) => {}
                        _ = cut.changed() => {}
                    }
                });
            }
        });
        *self.acceptor.lock().unwrap() = Some(handle);
    }
}

/// The address between `<` and `>` of `MAIL FROM:<a>` / `RCPT TO:<a>`.
fn angle_address(arg: &str) -> String {
    let start = arg.find('<').map(|i| i + 1).unwrap_or(0);
    let end = arg[start..].find('>').map(|i| start + i).unwrap_or(arg.len());
    arg[start..end].trim().to_string()
}

async fn session(stream: TcpStream, shared: Arc<Shared>) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    write.write_all(b"220 test-smtp ESMTP ready\r\n").await?;
    let mut mail_from: Option<String> = None;
    let mut rcpt_to: Vec<String> = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        if read.read_until(b'\n', &mut line).await? == 0 {
            return Ok(());
        }
        let text = String::from_utf8_lossy(&line).trim_end().to_string();
        let verb = text.split_whitespace().next().unwrap_or("").to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" => b"250-test-smtp greets you\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 OK\r\n",
            "HELO" => b"250 test-smtp\r\n",
            "MAIL" => {
                mail_from = Some(angle_address(&text));
                rcpt_to.clear();
                b"250 2.1.0 OK\r\n"
            }
            "RCPT" if mail_from.is_none() => b"503 5.5.1 MAIL first\r\n",
            "RCPT" => {
                let to = angle_address(&text);
                if to.contains("reject") {
                    b"550 5.1.1 No such user here\r\n"
                } else if to.contains("defer") {
                    b"451 4.3.0 Try again later\r\n"
                } else {
                    rcpt_to.push(to);
                    b"250 2.1.5 OK\r\n"
                }
            }
            "DATA" if rcpt_to.is_empty() => b"503 5.5.1 RCPT first\r\n",
            "DATA" => {
                write.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n").await?;
                let mut data = Vec::new();
                loop {
                    line.clear();
                    if read.read_until(b'\n', &mut line).await? == 0 {
                        return Ok(()); // hung up mid-message: nothing accepted
                    }
                    if line == b".\r\n" || line == b".\n" {
                        break;
                    }
                    // Dot-unstuffing (RFC 5321 4.5.2).
                    let content = if line.starts_with(b"..") { &line[1..] } else { &line[..] };
                    data.extend_from_slice(content);
                }
                loop {
                    let released = shared.released.notified();
                    tokio::pin!(released);
                    released.as_mut().enable();
                    if !*shared.hold.lock().unwrap() {
                        break;
                    }
                    *shared.holding.lock().unwrap() += 1;
                    released.await;
                    *shared.holding.lock().unwrap() -= 1;
                }
                shared.messages.lock().unwrap().push(Received {
                    mail_from: mail_from.take().unwrap_or_default(),
                    rcpt_to: std::mem::take(&mut rcpt_to),
                    data,
                });
                b"250 2.0.0 OK queued\r\n"
            }
            "RSET" => {
                mail_from = None;
                rcpt_to.clear();
                b"250 2.0.0 OK\r\n"
            }
            "NOOP" => b"250 2.0.0 OK\r\n",
            "QUIT" => {
                write.write_all(b"221 2.0.0 Bye\r\n").await?;
                return Ok(());
            }
            _ => b"502 5.5.2 Command not recognised\r\n",
        };
        write.write_all(reply).await?;
    }
}
