//! Reaching the X server of the desktop to share. An agent run by a user connects the usual
//! way (`$DISPLAY`, the user's `~/.Xauthority`). The systemd service runs as root with
//! neither, and as root it must not be fooled: /tmp/.X11-unix is writable by everybody, so any
//! local user can put a socket there, or bind its abstract name, and pose as the console's X
//! server, or name a cookie file only root may read. So, as root, for a local display:
//! - only the filesystem socket is used (never the abstract name), and only in a root-owned
//!   sticky /tmp/.X11-unix;
//! - the default display is the lowest-numbered one whose server runs as root (how display
//!   managers run X); a server run by anybody else is used only when `display` names it;
//! - when the server wants credentials root does not have, the agent uses the cookie from the
//!   `-auth` file of the very process it is connected to (SO_PEERCRED), and only when that file
//!   is a small regular file owned by that process's user. A server can only ever be handed its
//!   own cookie, and no other file is read.

use rustix::fs::{Mode, OFlags};
use std::io::Read;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use x11rb::reexports::x11rb_protocol::parse_display::parse_display;
use x11rb::reexports::x11rb_protocol::xauth::get_auth;
use x11rb::rust_connection::{DefaultStream, RustConnection};

const SOCKET_DIR: &str = "/tmp/.X11-unix";
const COOKIE_NAME: &[u8] = b"MIT-MAGIC-COOKIE-1";
/// Xauthority address families that match a local connection.
const FAMILY_LOCAL: u16 = 256;
const FAMILY_WILD: u16 = 65535;
/// Real Xauthority files hold a few records; anything bigger is not one.
const MAX_AUTH_FILE: u64 = 64 * 1024;

/// The display to share: the configured one, else `$DISPLAY`, else the lowest-numbered local
/// X server (as root: the lowest one run by root).
pub fn display_name(configured: Option<&str>) -> Option<String> {
    configured
        .map(str::to_owned)
        .or_else(|| std::env::var("DISPLAY").ok().filter(|d| !d.is_empty()))
        .or_else(default_local_display)
}

/// Connects to `display` (see `display_name`); as root, with the checks above.
pub fn connect(display: Option<&str>) -> Result<(RustConnection, usize), String> {
    let named = display.is_some() || std::env::var_os("DISPLAY").is_some();
    let name = display_name(display)
        .ok_or_else(|| "no X display: set `display` or $DISPLAY (no X server found)".to_owned())?;
    let local = local_display_number(&name);
    match local {
        Some(number) if running_as_root() => connect_as_root(&name, number, named),
        // A user's own agent, or a remote display the administrator asked for: the usual way,
        // with no cookie of ours offered.
        _ => RustConnection::connect(Some(&name)).map_err(|e| e.to_string()),
    }
}

fn connect_as_root(
    name: &str,
    number: u32,
    named: bool,
) -> Result<(RustConnection, usize), String> {
    check_socket_dir()?;
    let screen = parse_display(Some(name))
        .map(|p| usize::from(p.screen))
        .map_err(|e| e.to_string())?;
    let (stream, server) = open_socket(number)?;
    if server.uid != 0 && !named {
        return Err(format!(
            "the X server on :{number} is not run by root; set `display` to share it"
        ));
    }
    let first = connect_stream(stream, screen, number, None)
        .map_err(|e| format!("X server on :{number}: {e}"));
    let Err(refused) = first else {
        return first;
    };
    let cookie = server_cookie(&server, number).ok_or(refused.clone())?;
    let (stream, again) = open_socket(number)?;
    if again.pid != server.pid {
        return Err(format!(
            "the X server on :{number} changed while connecting"
        ));
    }
    connect_stream(stream, screen, number, Some(cookie))
        .map_err(|e| format!("{refused}; with the X server's own cookie: {e}"))
}

/// The X server's process behind a socket.
struct Server {
    pid: i32,
    uid: u32,
}

fn open_socket(number: u32) -> Result<(UnixStream, Server), String> {
    let path = format!("{SOCKET_DIR}/X{number}");
    let stream = UnixStream::connect(&path).map_err(|e| format!("connecting to {path}: {e}"))?;
    let peer = rustix::net::sockopt::socket_peercred(&stream)
        .map_err(|e| format!("asking who serves {path}: {e}"))?;
    let server = Server {
        pid: peer.pid.as_raw_nonzero().get(),
        uid: peer.uid.as_raw(),
    };
    Ok((stream, server))
}

/// Finishes the X11 handshake on `stream`: with `cookie`, or with what XAUTHORITY or root's
/// ~/.Xauthority hold for the display.
fn connect_stream(
    stream: UnixStream,
    screen: usize,
    number: u32,
    cookie: Option<Vec<u8>>,
) -> Result<(RustConnection, usize), String> {
    let (stream, (family, address)) =
        DefaultStream::from_unix_stream(stream).map_err(|e| e.to_string())?;
    let (auth_name, auth_data) = match cookie {
        Some(cookie) => (COOKIE_NAME.to_vec(), cookie),
        None => u16::try_from(number)
            .ok()
            .and_then(|n| get_auth(family, &address, n).ok().flatten())
            .unwrap_or_default(),
    };
    RustConnection::connect_to_stream_with_auth_info(stream, screen, auth_name, auth_data)
        .map(|conn| (conn, screen))
        .map_err(|e| e.to_string())
}

/// /tmp/.X11-unix must be root's and sticky, or anybody could replace a server's socket.
fn check_socket_dir() -> Result<(), String> {
    let meta = std::fs::symlink_metadata(SOCKET_DIR).map_err(|e| format!("{SOCKET_DIR}: {e}"))?;
    let sticky = meta.permissions().mode() & 0o1000 != 0;
    if meta.is_dir() && meta.uid() == 0 && sticky {
        Ok(())
    } else {
        Err(format!(
            "{SOCKET_DIR} is not a sticky directory owned by root; not trusting its X servers"
        ))
    }
}

/// The cookie `server` itself was started with (`-auth FILE`), when FILE is a regular file of
/// at most 64 KiB owned by the server's user.
fn server_cookie(server: &Server, number: u32) -> Option<Vec<u8>> {
    let cmdline = std::fs::read(format!("/proc/{}/cmdline", server.pid)).ok()?;
    let path = auth_argument(&cmdline)?;
    let bytes = read_owned_file(&path, server.uid)?;
    cookie_for(&bytes, number)
}

/// Reads `path` without following a symbolic link, blocking on a FIFO or reading a device,
/// and only when `owner` owns it.
fn read_owned_file(path: &Path, owner: u32) -> Option<Vec<u8>> {
    let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
    let fd = rustix::fs::open(path, flags, Mode::empty()).ok()?;
    let file = std::fs::File::from(fd);
    let meta = file.metadata().ok()?;
    if !meta.is_file() || meta.uid() != owner || meta.len() > MAX_AUTH_FILE {
        return None;
    }
    let mut bytes = Vec::new();
    file.take(MAX_AUTH_FILE).read_to_end(&mut bytes).ok()?;
    Some(bytes)
}

fn running_as_root() -> bool {
    rustix::process::geteuid().is_root()
}

/// The number of a local display (":0", "unix:1.0"), `None` for a remote one ("host:0").
fn local_display_number(display: &str) -> Option<u32> {
    let (host, _) = display.rsplit_once(':')?;
    matches!(host, "" | "unix")
        .then(|| display_number(display))
        .flatten()
}

/// ":0" → 0, "host:1.0" → 1. Exactly one colon: "::1" (an IPv6 address in utmp) is no display.
pub fn display_number(display: &str) -> Option<u32> {
    let (host, after) = display.split_once(':')?;
    if host.contains(':') || after.contains(':') {
        return None;
    }
    let mut parts = after.split('.');
    let number = parts.next()?.parse().ok()?;
    match (parts.next(), parts.next()) {
        (None, _) => Some(number),
        (Some(screen), None) if screen.parse::<u32>().is_ok() => Some(number),
        _ => None,
    }
}

/// The lowest-numbered local display; as root, the lowest whose server runs as root.
fn default_local_display() -> Option<String> {
    let mut numbers: Vec<u32> = std::fs::read_dir(SOCKET_DIR)
        .ok()?
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.strip_prefix('X')?.parse().ok())
        .collect();
    numbers.sort_unstable();
    let root = running_as_root();
    numbers
        .into_iter()
        .find(|&n| !root || open_socket(n).is_ok_and(|(_, server)| server.uid == 0))
        .map(|n| format!(":{n}"))
}

/// The argument after `-auth` in a NUL-separated command line.
fn auth_argument(cmdline: &[u8]) -> Option<PathBuf> {
    let mut args = cmdline.split(|&b| b == 0);
    args.by_ref().find(|a| *a == b"-auth")?;
    let file = args.next().filter(|f| !f.is_empty())?;
    Some(PathBuf::from(String::from_utf8_lossy(file).into_owned()))
}

/// The MIT-MAGIC-COOKIE-1 for display `number` in an Xauthority file: records of a big-endian
/// u16 family, then address, display number, name and data, each a big-endian u16 length and
/// its bytes.
fn cookie_for(file: &[u8], number: u32) -> Option<Vec<u8>> {
    let wanted = number.to_string();
    let mut rest = file;
    while !rest.is_empty() {
        let family = take_u16(&mut rest)?;
        let _address = take_field(&mut rest)?;
        let display = take_field(&mut rest)?;
        let name = take_field(&mut rest)?;
        let data = take_field(&mut rest)?;
        let for_display = display.is_empty() || display == wanted.as_bytes();
        let local = family == FAMILY_LOCAL || family == FAMILY_WILD;
        if for_display && local && name == COOKIE_NAME {
            return Some(data.to_vec());
        }
    }
    None
}

fn take_u16(rest: &mut &[u8]) -> Option<u16> {
    let (head, tail) = rest.split_at_checked(2)?;
    *rest = tail;
    Some(u16::from_be_bytes([head[0], head[1]]))
}

fn take_field<'a>(rest: &mut &'a [u8]) -> Option<&'a [u8]> {
    let len = usize::from(take_u16(rest)?);
    let (field, tail) = rest.split_at_checked(len)?;
    *rest = tail;
    Some(field)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(family: u16, address: &[u8], display: &str, name: &[u8], data: &[u8]) -> Vec<u8> {
        let mut r = family.to_be_bytes().to_vec();
        for field in [address, display.as_bytes(), name, data] {
            r.extend_from_slice(&(field.len() as u16).to_be_bytes());
            r.extend_from_slice(field);
        }
        r
    }

    #[test]
    fn the_cookie_of_the_display_is_picked() {
        let mut file = record(FAMILY_LOCAL, b"host", "1", COOKIE_NAME, b"one");
        file.extend(record(0, &[127, 0, 0, 1], "0", COOKIE_NAME, b"tcp"));
        file.extend(record(
            FAMILY_LOCAL,
            b"host",
            "0",
            b"XDM-AUTHORIZATION-1",
            b"x",
        ));
        file.extend(record(FAMILY_LOCAL, b"host", "0", COOKIE_NAME, b"zero"));
        assert_eq!(cookie_for(&file, 0).as_deref(), Some(&b"zero"[..]));
        assert_eq!(cookie_for(&file, 1).as_deref(), Some(&b"one"[..]));
        assert_eq!(cookie_for(&file, 2), None);
        let any = record(FAMILY_WILD, b"", "", COOKIE_NAME, b"any");
        assert_eq!(cookie_for(&any, 7).as_deref(), Some(&b"any"[..]));
    }

    #[test]
    fn truncated_xauthority_files_give_nothing_and_never_panic() {
        let file = record(FAMILY_LOCAL, b"host", "0", COOKIE_NAME, b"cookie");
        for cut in 0..file.len() {
            assert_eq!(cookie_for(&file[..cut], 0), None, "cut at {cut}");
        }
    }

    #[test]
    fn the_auth_argument_is_read_from_the_command_line() {
        let cmdline = b"/usr/lib/xorg/Xorg\0vt7\0-displayfd\0\x33\0-auth\0/run/user/120/gdm/Xauthority\0-nolisten\0tcp\0";
        assert_eq!(
            auth_argument(cmdline),
            Some(PathBuf::from("/run/user/120/gdm/Xauthority"))
        );
        assert_eq!(auth_argument(b"Xvfb\0:1\0"), None);
        assert_eq!(auth_argument(b"Xvfb\0-auth\0"), None);
    }

    #[test]
    fn display_names_give_their_number_and_ipv6_hosts_are_none() {
        assert_eq!(display_number(":0"), Some(0));
        assert_eq!(display_number(":12.0"), Some(12));
        assert_eq!(display_number("localhost:3"), Some(3));
        for not_a_display in [
            "tty7",
            "",
            "::1",
            "2001:db8::1",
            ":1.x",
            ":1.0.0",
            "10.0.0.5",
        ] {
            assert_eq!(display_number(not_a_display), None, "{not_a_display}");
        }
        assert_eq!(local_display_number(":3"), Some(3));
        assert_eq!(local_display_number("unix:4.0"), Some(4));
        assert_eq!(local_display_number("relay.example:0"), None, "remote");
    }

    /// An Xvfb run as `nobody` (root can start it so), killed when dropped, and its number.
    struct NobodysXvfb(std::process::Child);

    impl Drop for NobodysXvfb {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }

    /// Debian's `nobody` user and `nogroup` group.
    const NOBODY: u32 = 65534;

    fn xvfb_as_nobody() -> (NobodysXvfb, u32) {
        use std::io::BufRead;
        use std::os::unix::process::CommandExt;
        // The socket directory must exist as root's before nobody's server starts: on a fresh
        // machine (no X server yet, no tmpfiles.d run) the server would create it as nobody's,
        // and this agent rightly refuses every server behind a directory root does not own.
        if std::fs::metadata(SOCKET_DIR).is_err() {
            std::fs::create_dir_all(SOCKET_DIR).expect("create the X socket directory");
            std::fs::set_permissions(SOCKET_DIR, std::fs::Permissions::from_mode(0o1777))
                .expect("make it sticky and world-writable, as X expects");
        }
        // Started directly with nobody's ids (std drops the supplementary groups), not through
        // runuser, which forks: killing it would leave the server running. -noreset: the
        // refused connection below is the server's only client, and closing it would reset
        // the server under the next connection's handshake.
        let mut child = std::process::Command::new("Xvfb")
            .args(["-displayfd", "1", "-nolisten", "tcp", "-noreset"])
            .args(["-screen", "0", "64x64x24"])
            .uid(NOBODY)
            .gid(NOBODY)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("Xvfb as nobody (scripts/x11-deps.sh installs Xvfb)");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("display number");
        let number = line.trim().parse().expect("a display number");
        (NobodysXvfb(child), number)
    }

    #[test]
    fn as_root_a_server_run_by_another_user_is_used_only_when_named() {
        if !running_as_root() {
            assert_ne!(
                std::env::var("CI").as_deref(),
                Ok("true"),
                "CI runs as root: this is the service's case"
            );
            eprintln!("skipped: needs root, as the service runs");
            return;
        }
        let (_server, number) = xvfb_as_nobody();
        let name = format!(":{number}");
        let refused = connect_as_root(&name, number, false).expect_err("refused");
        assert!(refused.contains("not run by root"), "{refused}");
        connect_as_root(&name, number, true).expect("a display the administrator named is used");
    }

    #[test]
    fn only_a_small_regular_file_of_the_servers_user_is_read() {
        let dir = tempfile::tempdir().expect("dir");
        let owner = std::fs::metadata(dir.path()).expect("meta").uid();
        let good = dir.path().join("Xauthority");
        std::fs::write(&good, b"cookie").expect("write");
        assert_eq!(
            read_owned_file(&good, owner).as_deref(),
            Some(&b"cookie"[..])
        );
        assert_eq!(
            read_owned_file(&good, owner + 1),
            None,
            "another user's file"
        );
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&good, &link).expect("symlink");
        assert_eq!(read_owned_file(&link, owner), None, "a symbolic link");
        let big = dir.path().join("big");
        std::fs::write(&big, vec![0u8; MAX_AUTH_FILE as usize + 1]).expect("write");
        assert_eq!(
            read_owned_file(&big, owner),
            None,
            "too big for an Xauthority file"
        );
        assert_eq!(read_owned_file(dir.path(), owner), None, "a directory");
        assert_eq!(read_owned_file(Path::new("/dev/zero"), 0), None, "a device");
    }
}
