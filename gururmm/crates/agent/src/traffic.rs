//! Which interfaces the network metric adds up: the machine's own traffic on the wire, each
//! byte once.
//!
//! Loopback never leaves the machine and reports every byte both received and sent (the
//! metric showed rx = tx). Virtual links count traffic that also crosses a physical one: a
//! container's bytes pass its veth, the docker0 bridge and eth0; a VPN's pass tun0 or wg0 and,
//! encrypted, eth0; ifb devices mirror a NIC's ingress for shaping; bonds and VLANs sum their
//! members. So on Linux only interfaces backed by a device (`/sys/class/net/<if>/device`) are
//! counted. A machine with no such interface (a container, some virtual servers) counts every
//! link except loopback rather than report nothing. Elsewhere sysinfo already lists only
//! hardware interfaces on Windows; loopback is left out by its addresses.

use std::net::IpAddr;
use std::path::Path;

/// ARPHRD_LOOPBACK, the `type` Linux reports for a loopback interface.
const ARPHRD_LOOPBACK: &str = "772";

/// What the selection needs to know about one interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Link {
    pub loopback: bool,
    /// Backed by hardware (or a hypervisor's virtual NIC), not a software link.
    pub physical: bool,
}

/// Linux: what sysfs (`sysfs_net` is normally `/sys/class/net`) says about `name`.
pub fn link_from_sysfs(sysfs_net: &Path, name: &str) -> Link {
    let dir = sysfs_net.join(name);
    let kind = std::fs::read_to_string(dir.join("type")).unwrap_or_default();
    Link {
        loopback: kind.trim() == ARPHRD_LOOPBACK,
        physical: dir.join("device").exists(),
    }
}

/// Elsewhere: an interface whose addresses are all loopback ones is loopback; the rest count.
pub fn link_from_addresses(addresses: &[IpAddr]) -> Link {
    let loopback = !addresses.is_empty() && addresses.iter().all(IpAddr::is_loopback);
    Link {
        loopback,
        physical: !loopback,
    }
}

/// The names to count: the physical interfaces, or, when there is none, all but loopback.
pub fn counted(links: &[(String, Link)]) -> Vec<&str> {
    let any_physical = links.iter().any(|(_, l)| l.physical && !l.loopback);
    links
        .iter()
        .filter(|(_, l)| !l.loopback && (l.physical || !any_physical))
        .map(|(name, _)| name.as_str())
        .collect()
}

/// Received and sent bytes summed over the counted interfaces; `deltas` is (name, rx, tx).
pub fn total<'a>(
    links: &[(String, Link)],
    deltas: impl IntoIterator<Item = (&'a str, u64, u64)>,
) -> (u64, u64) {
    let counted = counted(links);
    deltas
        .into_iter()
        .filter(|(name, _, _)| counted.contains(name))
        .fold((0u64, 0u64), |(r, t), (_, rx, tx)| {
            (r.saturating_add(rx), t.saturating_add(tx))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    /// A sysfs net directory as Linux lays it out: `type`, and `device` for hardware.
    fn fake_sysfs(links: &[(&str, &str, bool)]) -> tempfile::TempDir {
        let root = tempfile::tempdir().expect("tempdir");
        for (name, kind, physical) in links {
            let dir = root.path().join(name);
            fs::create_dir_all(&dir).expect("dir");
            fs::write(dir.join("type"), format!("{kind}\n")).expect("type");
            if *physical {
                fs::create_dir(dir.join("device")).expect("device");
            }
        }
        root
    }

    fn read(root: &Path, names: &[&str]) -> Vec<(String, Link)> {
        names
            .iter()
            .map(|n| ((*n).to_owned(), link_from_sysfs(root, n)))
            .collect()
    }

    #[test]
    fn only_physical_interfaces_count_on_a_host_with_bridges_tunnels_and_loopback() {
        let names = ["lo", "eth0", "wlan0", "docker0", "veth1a2b", "wg0", "ifb0"];
        let sysfs = fake_sysfs(&[
            ("lo", "772", false),
            ("eth0", "1", true),
            ("wlan0", "1", true),
            ("docker0", "1", false),
            ("veth1a2b", "1", false),
            ("wg0", "65534", false),
            ("ifb0", "1", false),
        ]);
        let links = read(sysfs.path(), &names);
        assert_eq!(counted(&links), ["eth0", "wlan0"]);
        // Loopback's equal rx and tx and the virtual links' copies of eth0's bytes are left out.
        let deltas = [
            ("lo", 5_000, 5_000),
            ("eth0", 300, 100),
            ("wlan0", 20, 10),
            ("docker0", 300, 100),
            ("veth1a2b", 300, 100),
            ("wg0", 50, 50),
            ("ifb0", 300, 0),
        ];
        assert_eq!(total(&links, deltas), (320, 110));
    }

    #[test]
    fn a_machine_without_hardware_links_counts_all_but_loopback() {
        let sysfs = fake_sysfs(&[("lo", "772", false), ("eth0", "1", false)]);
        let links = read(sysfs.path(), &["lo", "eth0"]);
        assert_eq!(counted(&links), ["eth0"]);
        assert_eq!(total(&links, [("lo", 9, 9), ("eth0", 4, 2)]), (4, 2));
    }

    #[test]
    fn without_sysfs_loopback_is_known_by_its_addresses() {
        let lo =
            link_from_addresses(&["127.0.0.1".parse().expect("ip"), "::1".parse().expect("ip")]);
        let en0 = link_from_addresses(&[
            "192.168.1.5".parse().expect("ip"),
            "::1".parse().expect("ip"),
        ]);
        assert!(lo.loopback && !lo.physical);
        assert!(!en0.loopback && en0.physical);
        let links = vec![("lo0".to_owned(), lo), ("en0".to_owned(), en0)];
        assert_eq!(counted(&links), ["en0"]);
    }

    /// This machine's own sysfs: its loopback is never counted.
    #[cfg(target_os = "linux")]
    #[test]
    fn this_machines_loopback_is_not_counted() {
        let sysfs = Path::new("/sys/class/net");
        let names: Vec<String> = fs::read_dir(sysfs)
            .expect("sysfs")
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .collect();
        let links: Vec<(String, Link)> = names
            .iter()
            .map(|n| (n.clone(), link_from_sysfs(sysfs, n)))
            .collect();
        assert!(links.iter().any(|(n, l)| n == "lo" && l.loopback));
        assert!(!counted(&links).contains(&"lo"));
    }
}
