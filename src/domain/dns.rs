//! DNS TXT lookups, for proving control of a domain (`org::domains`). One
//! resolver per check, through `hickory-resolver`: the configured server
//! (`CANOPY_DNS_RESOLVER`) or the system's (`/etc/resolv.conf`), no cache
//! (a check asks now, never an answer from before the record was published),
//! one attempt with a short timeout, so that a dead server cannot hold a
//! request for long.

use std::net::SocketAddr;
use std::time::Duration;

use hickory_resolver::config::{
    ConnectionConfig, NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts,
};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::rr::RData;
use hickory_resolver::{Resolver, TokioResolver};

/// How long one lookup may take before it counts as failed.
pub const TIMEOUT: Duration = Duration::from_secs(3);

/// What a TXT lookup found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TxtAnswer {
    /// The TXT records at the name, each one's strings joined (RFC 7208 3.3).
    Records(Vec<String>),
    /// The name has no TXT record (or does not exist).
    None,
    /// The lookup itself failed: the reason, in a few words.
    Failed(String),
}

/// Looks up the TXT records of `name` (a domain name, without the final dot)
/// at `server`, or at the system's resolvers when `None`.
pub async fn txt(server: Option<SocketAddr>, name: &str) -> TxtAnswer {
    let resolver = match resolver(server) {
        Ok(r) => r,
        Err(reason) => return TxtAnswer::Failed(reason),
    };
    // Fully qualified: no search domain is ever appended.
    let lookup = tokio::time::timeout(TIMEOUT * 2, resolver.txt_lookup(format!("{name}.")));
    match lookup.await {
        Err(_) => TxtAnswer::Failed("the DNS server did not answer in time".into()),
        Ok(Err(e)) if e.is_no_records_found() || e.is_nx_domain() => TxtAnswer::None,
        Ok(Err(e)) => {
            log::info!("dns: TXT lookup of {name} failed: {e}");
            TxtAnswer::Failed(match e {
                hickory_resolver::net::NetError::Timeout => {
                    "the DNS server did not answer in time".into()
                }
                _ => "the DNS server gave no usable answer".into(),
            })
        }
        Ok(Ok(found)) => {
            let records: Vec<String> = found
                .answers()
                .iter()
                .filter_map(|r| match &r.data {
                    RData::TXT(txt) => Some(
                        txt.txt_data
                            .iter()
                            .map(|part| String::from_utf8_lossy(part).into_owned())
                            .collect::<String>(),
                    ),
                    _ => None,
                })
                .collect();
            if records.is_empty() {
                TxtAnswer::None
            } else {
                TxtAnswer::Records(records)
            }
        }
    }
}

fn resolver(server: Option<SocketAddr>) -> Result<TokioResolver, String> {
    let builder = match server {
        Some(addr) => {
            let connections = [ConnectionConfig::udp(), ConnectionConfig::tcp()]
                .into_iter()
                .map(|mut c| {
                    c.port = addr.port();
                    c
                })
                .collect();
            let config = ResolverConfig::from_name_servers(vec![NameServerConfig::new(
                addr.ip(),
                true,
                connections,
            )]);
            Resolver::builder_with_config(config, TokioRuntimeProvider::default())
        }
        None => TokioResolver::builder_tokio().map_err(|e| {
            log::warn!("dns: cannot read the system's resolver configuration: {e}");
            "no DNS resolver is configured".to_string()
        })?,
    };
    let mut opts = ResolverOpts::default();
    opts.timeout = TIMEOUT;
    opts.attempts = 1;
    opts.cache_size = 0;
    opts.use_hosts_file = ResolveHosts::Never;
    opts.ndots = 0;
    builder.with_options(opts).build().map_err(|e| {
        log::warn!("dns: cannot build the resolver: {e}");
        "no DNS resolver is configured".to_string()
    })
}
