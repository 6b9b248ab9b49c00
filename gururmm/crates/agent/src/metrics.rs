//! Metrics (RMM-5) via `sysinfo`: CPU, memory, disks, network counters (the machine's own
//! traffic: which interfaces count is `traffic`'s rule); and the network configuration with
//! hash-based change detection, so it is sent only when it changes.

use crate::config::MetricsConfig;
use crate::traffic;
use gururmm_protocol::{
    DiskMetrics, MemoryMetrics, MetricsReport, NetworkCounters, NetworkInterface, NetworkState,
};
use sha2::{Digest, Sha256};
use sysinfo::{Disks, Networks, System};

pub struct Collector {
    system: System,
    disks: Disks,
    networks: Networks,
    cpu_primed: bool,
}

impl Default for Collector {
    fn default() -> Self {
        Self::new()
    }
}

impl Collector {
    pub fn new() -> Self {
        Self {
            system: System::new(),
            disks: Disks::new_with_refreshed_list(),
            networks: Networks::new_with_refreshed_list(),
            cpu_primed: false,
        }
    }

    /// One sample. CPU usage is measured between two refreshes, so the very first call waits
    /// the minimum interval sysinfo needs.
    pub async fn sample(&mut self, cfg: &MetricsConfig) -> MetricsReport {
        let mut report = MetricsReport {
            timestamp_ms: now_ms(),
            uptime_seconds: System::uptime(),
            ..MetricsReport::default()
        };
        if cfg.collect_cpu {
            if !self.cpu_primed {
                self.system.refresh_cpu_usage();
                tokio::time::sleep(sysinfo::MINIMUM_CPU_UPDATE_INTERVAL).await;
                self.cpu_primed = true;
            }
            self.system.refresh_cpu_usage();
            report.cpu_percent = Some(self.system.global_cpu_usage());
        }
        if cfg.collect_memory {
            self.system.refresh_memory();
            report.memory = Some(MemoryMetrics {
                used_bytes: self.system.used_memory(),
                total_bytes: self.system.total_memory(),
            });
        }
        if cfg.collect_disk {
            self.disks.refresh(true);
            report.disks = self
                .disks
                .list()
                .iter()
                .map(|d| DiskMetrics {
                    mount: d.mount_point().to_string_lossy().into_owned(),
                    total_bytes: d.total_space(),
                    used_bytes: d.total_space().saturating_sub(d.available_space()),
                })
                .collect();
        }
        if cfg.collect_network {
            // `received()` is the delta since the previous refresh.
            self.networks.refresh(true);
            let links = self.links();
            let (rx, tx) = traffic::total(
                &links,
                self.networks
                    .list()
                    .iter()
                    .map(|(name, n)| (name.as_str(), n.received(), n.transmitted())),
            );
            report.network = Some(NetworkCounters {
                rx_bytes: rx,
                tx_bytes: tx,
            });
        }
        report
    }

    /// What the traffic selection needs to know of each listed interface (`traffic`).
    fn links(&self) -> Vec<(String, traffic::Link)> {
        self.networks
            .list()
            .iter()
            .map(|(name, data)| {
                let link = if cfg!(target_os = "linux") {
                    traffic::link_from_sysfs(std::path::Path::new("/sys/class/net"), name)
                } else {
                    let addresses: Vec<_> = data.ip_networks().iter().map(|n| n.addr).collect();
                    traffic::link_from_addresses(&addresses)
                };
                (name.clone(), link)
            })
            .collect()
    }

    /// The interface list in canonical order, with its hash.
    pub fn network_state(&mut self) -> NetworkState {
        self.networks.refresh(true);
        let interfaces = self
            .networks
            .list()
            .iter()
            .map(|(name, data)| {
                let mut addresses: Vec<String> = data
                    .ip_networks()
                    .iter()
                    .map(|n| format!("{}/{}", n.addr, n.prefix))
                    .collect();
                addresses.sort();
                NetworkInterface {
                    name: name.clone(),
                    mac: data.mac_address().to_string(),
                    addresses,
                }
            })
            .collect();
        network_state_of(interfaces)
    }
}

/// Sorts the interfaces and hashes their canonical JSON.
pub fn network_state_of(mut interfaces: Vec<NetworkInterface>) -> NetworkState {
    interfaces.sort();
    let canonical = serde_json::to_string(&interfaces).unwrap_or_default();
    NetworkState {
        hash: hex::encode(Sha256::digest(canonical.as_bytes())),
        interfaces,
    }
}

/// Remembers the last hash sent; `changed` is true only for a new configuration.
#[derive(Debug, Default)]
pub struct ChangeDetector {
    last: Option<String>,
}

impl ChangeDetector {
    pub fn changed(&mut self, state: &NetworkState) -> bool {
        if self.last.as_deref() == Some(state.hash.as_str()) {
            return false;
        }
        self.last = Some(state.hash.clone());
        true
    }

    /// After a reconnect the server may have missed the last state: send the next one again.
    pub fn reset(&mut self) {
        self.last = None;
    }
}

pub fn now_ms() -> i64 {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iface(name: &str, addr: &str) -> NetworkInterface {
        NetworkInterface {
            name: name.into(),
            mac: "00:00:00:00:00:00".into(),
            addresses: vec![addr.into()],
        }
    }

    #[test]
    fn the_hash_ignores_order_and_changes_with_content() {
        let a = network_state_of(vec![
            iface("eth0", "10.0.0.1/24"),
            iface("lo", "127.0.0.1/8"),
        ]);
        let b = network_state_of(vec![
            iface("lo", "127.0.0.1/8"),
            iface("eth0", "10.0.0.1/24"),
        ]);
        let c = network_state_of(vec![
            iface("eth0", "10.0.0.2/24"),
            iface("lo", "127.0.0.1/8"),
        ]);
        assert_eq!(a.hash, b.hash);
        assert_ne!(a.hash, c.hash);
        let mut detector = ChangeDetector::default();
        assert!(detector.changed(&a));
        assert!(
            !detector.changed(&b),
            "same configuration is not sent twice"
        );
        assert!(detector.changed(&c));
        detector.reset();
        assert!(detector.changed(&c));
    }

    /// Bytes sent over loopback between two samples do not show as the machine's traffic.
    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn loopback_traffic_is_not_counted() {
        use std::io::{Read, Write};
        const BYTES: usize = 64 << 20;
        let cfg = MetricsConfig {
            collect_cpu: false,
            collect_memory: false,
            collect_disk: false,
            ..MetricsConfig::default()
        };
        let mut collector = Collector::new();
        collector.sample(&cfg).await;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let reader = std::thread::spawn(move || {
            let (mut socket, _) = listener.accept().expect("accept");
            let mut sink = Vec::new();
            socket.read_to_end(&mut sink).expect("read");
            sink.len()
        });
        let mut socket = std::net::TcpStream::connect(addr).expect("connect");
        socket.write_all(&vec![7u8; BYTES]).expect("write");
        drop(socket);
        assert_eq!(reader.join().expect("reader"), BYTES);
        let network = collector.sample(&cfg).await.network.expect("network");
        // 64 MiB crossed lo in both directions; what eth0 did meanwhile is far less.
        let limit = u64::try_from(BYTES / 2).expect("size");
        assert!(network.rx_bytes < limit, "{network:?}");
        assert!(network.tx_bytes < limit, "{network:?}");
    }

    #[tokio::test]
    async fn a_real_sample_has_memory_and_disks() {
        let mut collector = Collector::new();
        let report = collector.sample(&MetricsConfig::default()).await;
        let memory = report.memory.expect("memory");
        assert!(memory.total_bytes > 0 && memory.used_bytes <= memory.total_bytes);
        assert!(report.cpu_percent.is_some());
        let state = collector.network_state();
        assert_eq!(state.hash.len(), 64);
    }
}
