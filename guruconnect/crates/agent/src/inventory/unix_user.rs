//! Who sits at an X display on Linux, and whether they may administer the machine. The agent
//! usually runs as root (a systemd service), so its own user says nothing: the display
//! manager's login record in utmp names the user of the display, and a rootless X server's
//! socket belongs to its user. Parsers take the files' contents, so they are tested on
//! fixtures.

use crate::x11_connect::display_number;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

const UTMP: &str = "/var/run/utmp";
const PASSWD: &str = "/etc/passwd";
const GROUP: &str = "/etc/group";
/// Groups whose members may become root (Debian/Ubuntu, Fedora/Arch, older Ubuntu).
const ADMIN_GROUPS: &[&str] = &["sudo", "wheel", "admin"];

/// glibc's `struct utmp` on x86-64 Linux: fixed-size records of 384 bytes (other
/// architectures lay it out differently; there the login record is not read).
const RECORD: usize = 384;
const USER_PROCESS: i16 = 7;
const LINE: std::ops::Range<usize> = 8..40;
const USER: std::ops::Range<usize> = 44..76;
const HOST: std::ops::Range<usize> = 76..332;
/// `ut_tv.tv_sec`, a 32-bit count of seconds.
const TV_SEC: usize = 340;

/// The user of X `display` (":0", "host:0.1"): its login record, else the owner of its
/// socket, else the agent's own user unless that is root.
pub fn display_user(display: &str) -> String {
    let number = display_number(display);
    if let (true, Some(n), Ok(utmp)) = (cfg!(target_arch = "x86_64"), number, std::fs::read(UTMP)) {
        if let Some(user) = login_on_display(&utmp, n) {
            return user;
        }
    }
    let passwd = std::fs::read_to_string(PASSWD).unwrap_or_default();
    if let Some(n) = number {
        let socket = format!("/tmp/.X11-unix/X{n}");
        if let Some(user) = owner_unless_root(Path::new(&socket), &passwd) {
            return user;
        }
    }
    owner_unless_root(Path::new("/proc/self"), &passwd).unwrap_or_default()
}

/// Whether `user` is root or in a group that may become root.
pub fn is_admin(user: &str) -> bool {
    if user.is_empty() {
        return false;
    }
    let passwd = std::fs::read_to_string(PASSWD).unwrap_or_default();
    let group = std::fs::read_to_string(GROUP).unwrap_or_default();
    user_is_admin(user, &passwd, &group)
}

/// The newest user process logged in on display `n`, from utmp records.
fn login_on_display(utmp: &[u8], n: u32) -> Option<String> {
    utmp.chunks_exact(RECORD)
        .filter(|r| i16::from_ne_bytes([r[0], r[1]]) == USER_PROCESS)
        .filter(|r| {
            [&r[LINE], &r[HOST]]
                .iter()
                .any(|field| display_number(&c_string(field)) == Some(n))
        })
        .filter(|r| !c_string(&r[USER]).is_empty())
        // Slots are reused, so file order says nothing: the latest login wins.
        .max_by_key(|r| {
            i32::from_ne_bytes([r[TV_SEC], r[TV_SEC + 1], r[TV_SEC + 2], r[TV_SEC + 3]])
        })
        .map(|r| c_string(&r[USER]))
}

fn c_string(field: &[u8]) -> String {
    let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
    String::from_utf8_lossy(&field[..end]).trim().to_owned()
}

fn owner_unless_root(path: &Path, passwd: &str) -> Option<String> {
    let uid = std::fs::metadata(path).ok()?.uid();
    (uid != 0).then(|| user_name(uid, passwd)).flatten()
}

fn user_name(uid: u32, passwd: &str) -> Option<String> {
    passwd.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        (fields.len() > 3 && fields[2].parse() == Ok(uid)).then(|| fields[0].to_owned())
    })
}

fn user_is_admin(user: &str, passwd: &str, group: &str) -> bool {
    let entry = passwd.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        (fields.len() > 3 && fields[0] == user)
            .then(|| (fields[2].to_owned(), fields[3].to_owned()))
    });
    if entry.as_ref().is_some_and(|(uid, _)| uid == "0") {
        return true;
    }
    group.lines().any(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        if fields.len() < 4 || !ADMIN_GROUPS.contains(&fields[0]) {
            return false;
        }
        let primary = entry.as_ref().is_some_and(|(_, gid)| gid == fields[2]);
        primary || fields[3].split(',').any(|member| member.trim() == user)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(kind: i16, line: &str, user: &str, host: &str) -> Vec<u8> {
        record_at(kind, line, user, host, 1_700_000_000)
    }

    fn record_at(kind: i16, line: &str, user: &str, host: &str, at: i32) -> Vec<u8> {
        let mut r = vec![0u8; RECORD];
        r[TV_SEC..TV_SEC + 4].copy_from_slice(&at.to_ne_bytes());
        r[..2].copy_from_slice(&kind.to_ne_bytes());
        r[LINE.start..LINE.start + line.len()].copy_from_slice(line.as_bytes());
        r[USER.start..USER.start + user.len()].copy_from_slice(user.as_bytes());
        r[HOST.start..HOST.start + host.len()].copy_from_slice(host.as_bytes());
        r
    }

    #[test]
    fn the_login_record_of_the_display_names_its_user() {
        let mut utmp = record(2, "~", "reboot", "6.1.0");
        utmp.extend(record(USER_PROCESS, "pts/0", "ops", "10.0.0.5"));
        utmp.extend(record(USER_PROCESS, "tty7", "alice", ":0"));
        utmp.extend(record(USER_PROCESS, ":1", "bob", ""));
        utmp.extend(record(USER_PROCESS, "pts/1", "mallory", "::1")); // IPv6, not display 1
        utmp.extend(record(8, ":0", "carol", ":0")); // DEAD_PROCESS: logged out
        assert_eq!(login_on_display(&utmp, 0).as_deref(), Some("alice"));
        assert_eq!(login_on_display(&utmp, 1).as_deref(), Some("bob"));
        assert_eq!(login_on_display(&utmp, 2), None);
        assert_eq!(login_on_display(&utmp[..100], 0), None, "a torn record");
        // A later login on :0 in an earlier (reused) slot wins.
        let mut reused = record_at(USER_PROCESS, ":0", "newer", "", 1_800_000_000);
        reused.extend(record_at(USER_PROCESS, ":0", "older", "", 1_600_000_000));
        assert_eq!(login_on_display(&reused, 0).as_deref(), Some("newer"));
    }

    const PASSWD_FIXTURE: &str = "root:x:0:0:root:/root:/bin/bash\n\
        alice:x:1000:1000:Alice:/home/alice:/bin/bash\n\
        bob:x:1001:1001::/home/bob:/bin/sh\n\
        wheelie:x:1002:10::/home/w:/bin/sh\n";
    const GROUP_FIXTURE: &str = "root:x:0:\nwheel:x:10:\nsudo:x:27:alice,carol\nbob:x:1001:\n";

    #[test]
    fn admins_are_root_and_members_of_the_sudo_groups() {
        assert!(user_is_admin("root", PASSWD_FIXTURE, GROUP_FIXTURE));
        assert!(user_is_admin("alice", PASSWD_FIXTURE, GROUP_FIXTURE));
        assert!(
            user_is_admin("wheelie", PASSWD_FIXTURE, GROUP_FIXTURE),
            "primary group"
        );
        assert!(!user_is_admin("bob", PASSWD_FIXTURE, GROUP_FIXTURE));
        assert!(!user_is_admin("nobody", PASSWD_FIXTURE, GROUP_FIXTURE));
        assert!(!user_is_admin("sudo", PASSWD_FIXTURE, GROUP_FIXTURE));
    }

    #[test]
    fn user_names_come_from_passwd() {
        assert_eq!(user_name(1001, PASSWD_FIXTURE).as_deref(), Some("bob"));
        assert_eq!(user_name(4242, PASSWD_FIXTURE), None);
    }
}
