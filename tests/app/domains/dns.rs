//! A small DNS responder on a localhost UDP port, for the domain checks: it
//! answers TXT queries with the records a test sets, `NXDOMAIN` for any other
//! name, and `SERVFAIL` for names a test makes fail. Messages are read and
//! written by `hickory-proto`; the app asks it through `CANOPY_DNS_RESOLVER`.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::rdata::TXT;
use hickory_proto::rr::{RData, Record, RecordType};
use tokio::net::UdpSocket;

#[derive(Default)]
struct Zone {
    txt: HashMap<String, Vec<String>>,
    failing: HashSet<String>,
}

pub struct FakeDns {
    pub addr: SocketAddr,
    zone: Arc<Mutex<Zone>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeDns {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeDns {
    /// Listens on `127.0.0.1:0` and answers until dropped.
    pub async fn start() -> FakeDns {
        let socket = UdpSocket::bind("127.0.0.1:0").await.expect("UDP socket");
        let addr = socket.local_addr().unwrap();
        let zone = Arc::new(Mutex::new(Zone::default()));
        let served = zone.clone();
        let task = tokio::spawn(async move {
            let mut buf = vec![0u8; 4096];
            loop {
                let Ok((n, from)) = socket.recv_from(&mut buf).await else {
                    return;
                };
                let Ok(query) = Message::from_vec(&buf[..n]) else {
                    continue;
                };
                let answer = respond(&query, &served.lock().unwrap());
                if let Ok(bytes) = answer.to_vec() {
                    let _ = socket.send_to(&bytes, from).await;
                }
            }
        });
        FakeDns { addr, zone, task }
    }

    /// The `CANOPY_DNS_RESOLVER` setting that points the app here.
    pub fn setting(&self) -> String {
        self.addr.to_string()
    }

    /// Publishes TXT records at `name` (replacing any there).
    pub fn set_txt(&self, name: &str, values: &[&str]) {
        let values = values.iter().map(|v| v.to_string()).collect();
        self.zone
            .lock()
            .unwrap()
            .txt
            .insert(name.to_lowercase(), values);
    }

    /// Makes every query for `name` answer `SERVFAIL`.
    pub fn fail(&self, name: &str) {
        self.zone
            .lock()
            .unwrap()
            .failing
            .insert(name.to_lowercase());
    }
}

fn respond(query: &Message, zone: &Zone) -> Message {
    let mut answer = Message::response(query.metadata.id, query.metadata.op_code);
    answer.metadata.recursion_desired = query.metadata.recursion_desired;
    answer.metadata.recursion_available = true;
    answer.metadata.authoritative = true;
    answer.queries = query.queries.clone();
    let Some(q) = query.queries.first() else {
        answer.metadata.response_code = ResponseCode::FormErr;
        return answer;
    };
    let name = q.name().to_string().trim_end_matches('.').to_lowercase();
    if zone.failing.contains(&name) {
        answer.metadata.response_code = ResponseCode::ServFail;
        return answer;
    }
    match zone.txt.get(&name) {
        Some(values) if q.query_type() == RecordType::TXT => {
            for value in values {
                answer.answers.push(Record::from_rdata(
                    q.name().clone(),
                    60,
                    RData::TXT(TXT::new(vec![value.clone()])),
                ));
            }
        }
        Some(_) => {}
        None => answer.metadata.response_code = ResponseCode::NXDomain,
    }
    answer
}
