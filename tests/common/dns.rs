//! `TestDns`: a real DNS server for domain verification's tests — hickory-server's `Catalog`
//! with an in-memory, authoritative zone `example.`, answering over UDP and TCP on
//! 127.0.0.1:<free port>. The portal under test asks it through `DNS_RESOLVER`; the test adds,
//! changes and removes TXT records while it runs, and can stop it (a dead nameserver).

use std::{net::SocketAddr, sync::Arc, time::Duration};

use hickory_server::{
    net::runtime::TokioRuntimeProvider,
    proto::rr::{
        rdata::{SOA, TXT},
        LowerName, Name, RData, Record, RecordType, RrKey,
    },
    store::in_memory::InMemoryZoneHandler,
    zone_handler::{AxfrPolicy, Catalog, ZoneHandler, ZoneType},
    Server,
};

/// The zone the server is authoritative for: every test domain ends in `.example`.
pub const ZONE: &str = "example.";

pub struct TestDns {
    address: SocketAddr,
    zone: Arc<InMemoryZoneHandler<TokioRuntimeProvider>>,
    server: Option<Server<Catalog>>,
    serial: std::sync::atomic::AtomicU32,
}

fn name(fqdn: &str) -> Name {
    let fqdn = if fqdn.ends_with('.') { fqdn.to_string() } else { format!("{fqdn}.") };
    Name::from_ascii(&fqdn).unwrap()
}

impl TestDns {
    /// Starts the server with an empty zone (its SOA only).
    pub async fn start() -> TestDns {
        let origin = name(ZONE);
        let zone = Arc::new(InMemoryZoneHandler::<TokioRuntimeProvider>::empty(
            origin.clone(),
            ZoneType::Primary,
            AxfrPolicy::Deny,
        ));
        let soa = SOA::new(name("ns.example."), name("hostmaster.example."), 1, 3600, 600, 86400, 0);
        assert!(zone.upsert(Record::from_rdata(origin.clone(), 0, RData::SOA(soa)), 1).await);
        let mut catalog = Catalog::new();
        catalog.upsert(LowerName::new(&origin), vec![zone.clone() as Arc<dyn ZoneHandler>]);

        // TCP on the same port: a resolver falls back to it for answers too large for UDP. A
        // free UDP port may be taken for TCP (by another test's connection): try another.
        let mut attempts = 0;
        let (udp, tcp, address) = loop {
            let udp = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
            let address = udp.local_addr().unwrap();
            match tokio::net::TcpListener::bind(address).await {
                Ok(tcp) => break (udp, tcp, address),
                Err(e) if attempts < 50 => {
                    attempts += 1;
                    let _ = e;
                }
                Err(e) => panic!("no port free for both UDP and TCP after 50 tries: {e}"),
            }
        };
        let mut server = Server::new(catalog);
        server.register_socket(udp);
        server.register_listener(tcp, Duration::from_secs(5), 4096);
        TestDns { address, zone, server: Some(server), serial: 2.into() }
    }

    /// `ip:port`, for `DNS_RESOLVER`.
    pub fn address(&self) -> String {
        self.address.to_string()
    }

    fn next_serial(&self) -> u32 {
        self.serial.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    }

    /// Publishes one TXT record at `fqdn` per entry of `records` (each a record's strings),
    /// replacing the TXT records there.
    pub async fn set_txt(&self, fqdn: &str, records: &[&[&str]]) {
        self.remove_txt(fqdn).await;
        for strings in records {
            let txt = TXT::new(strings.iter().map(|s| s.to_string()).collect());
            let record = Record::from_rdata(name(fqdn), 0, RData::TXT(txt));
            assert!(self.zone.upsert(record, self.next_serial()).await, "TXT {fqdn} added");
        }
    }

    /// Removes every TXT record at `fqdn`.
    pub async fn remove_txt(&self, fqdn: &str) {
        let key = RrKey::new(LowerName::new(&name(fqdn)), RecordType::TXT);
        self.zone.records_mut().await.remove(&key);
    }

    /// Stops answering: the port is closed, as when the nameserver is down.
    pub async fn stop(&mut self) {
        if let Some(mut server) = self.server.take() {
            let _ = server.shutdown_gracefully().await;
        }
    }
}

/// An address where no DNS server listens (a port just freed).
pub fn dead_address() -> String {
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.local_addr().unwrap().to_string()
}
