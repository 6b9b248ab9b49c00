//! Reaching the X server of the desktop to share. A user's agent has `$DISPLAY` and its
//! `~/.Xauthority`; the systemd service has neither. So the display defaults to the first X
//! socket in /tmp/.X11-unix, and when the usual credentials are refused, the agent (as root)
//! uses the cookie the server itself was started with: the file after its `-auth` argument,
//! found through the process that listens on the display's socket — how display managers
//! (GDM, LightDM, SDDM) and `Xvfb -auth` hand out access.

use std::path::{Path, PathBuf};
use x11rb::reexports::x11rb_protocol::parse_display::parse_display;
use x11rb::rust_connection::{DefaultStream, RustConnection};

const SOCKET_DIR: &str = "/tmp/.X11-unix";
const COOKIE_NAME: &[u8] = b"MIT-MAGIC-COOKIE-1";
/// Xauthority address families that match a local connection.
const FAMILY_LOCAL: u16 = 256;
const FAMILY_WILD: u16 = 65535;

/// The display to share: the configured one, else `$DISPLAY`, else the lowest-numbered X
/// socket on this machine (the console's server, for a service started without a session).
pub fn display_name(configured: Option<&str>) -> Option<String> {
    configured
        .map(str::to_owned)
        .or_else(|| std::env::var("DISPLAY").ok().filter(|d| !d.is_empty()))
        .or_else(first_local_display)
}

/// Connects to `display` (see `display_name`) with the caller's credentials, falling back to
/// the X server's own cookie.
pub fn connect(display: Option<&str>) -> Result<(RustConnection, usize), String> {
    let name = display_name(display)
        .ok_or_else(|| "no X display: set `display` or $DISPLAY (no X server found)".to_owned())?;
    let first = match RustConnection::connect(Some(&name)) {
        Ok(connected) => return Ok(connected),
        Err(e) => e.to_string(),
    };
    let Some(number) = display_number(&name) else {
        return Err(first);
    };
    let cookie = server_auth_file(number)
        .and_then(|file| std::fs::read(file).ok())
        .and_then(|bytes| cookie_for(&bytes, number));
    match cookie {
        Some(cookie) => connect_with_cookie(&name, cookie)
            .map_err(|e| format!("{first}; with the X server's own cookie: {e}")),
        None => Err(first),
    }
}

fn connect_with_cookie(name: &str, cookie: Vec<u8>) -> Result<(RustConnection, usize), String> {
    let parsed = parse_display(Some(name)).map_err(|e| e.to_string())?;
    let screen = usize::from(parsed.screen);
    let mut last = String::from("no address to connect to");
    for address in parsed.connect_instruction() {
        match DefaultStream::connect(&address) {
            Ok((stream, _)) => {
                let conn = RustConnection::connect_to_stream_with_auth_info(
                    stream,
                    screen,
                    COOKIE_NAME.to_vec(),
                    cookie,
                )
                .map_err(|e| e.to_string())?;
                return Ok((conn, screen));
            }
            Err(e) => last = e.to_string(),
        }
    }
    Err(last)
}

/// ":0" → 0, "host:1.0" → 1.
pub fn display_number(display: &str) -> Option<u32> {
    let (_, after) = display.rsplit_once(':')?;
    after.split('.').next()?.parse().ok()
}

fn first_local_display() -> Option<String> {
    let mut numbers: Vec<u32> = std::fs::read_dir(SOCKET_DIR)
        .ok()?
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.strip_prefix('X')?.parse().ok())
        .collect();
    numbers.sort_unstable();
    numbers.first().map(|n| format!(":{n}"))
}

/// The `-auth` file of the process listening on display `number`'s socket.
fn server_auth_file(number: u32) -> Option<PathBuf> {
    let table = std::fs::read_to_string("/proc/net/unix").ok()?;
    let inodes = listening_inodes(&table, number);
    if inodes.is_empty() {
        return None;
    }
    let wanted: Vec<String> = inodes.iter().map(|i| format!("socket:[{i}]")).collect();
    for process in std::fs::read_dir("/proc").ok()?.flatten() {
        let path = process.path();
        if !holds_any(&path.join("fd"), &wanted) {
            continue;
        }
        if let Some(file) = std::fs::read(path.join("cmdline"))
            .ok()
            .and_then(|c| auth_argument(&c))
        {
            return Some(file);
        }
    }
    None
}

fn holds_any(fd_dir: &Path, wanted: &[String]) -> bool {
    let Ok(fds) = std::fs::read_dir(fd_dir) else {
        return false;
    };
    fds.flatten().any(|fd| {
        std::fs::read_link(fd.path())
            .is_ok_and(|target| wanted.iter().any(|w| target.as_os_str() == w.as_str()))
    })
}

/// Inodes of the sockets in /proc/net/unix bound to display `number` (the path and its
/// abstract twin).
fn listening_inodes(table: &str, number: u32) -> Vec<u64> {
    let path = format!("{SOCKET_DIR}/X{number}");
    table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let bound = fields.get(7)?.trim_start_matches('@');
            (bound == path)
                .then(|| fields.get(6)?.parse().ok())
                .flatten()
        })
        .collect()
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
    fn listening_sockets_are_found_by_path_and_abstract_name() {
        let table = "Num       RefCount Protocol Flags    Type St Inode Path\n\
            00000000ac391abb: 00000003 00000000 00000000 0001 03 54979\n\
            00000000d7fb94d5: 00000002 00000000 00010000 0001 01 74198 /tmp/.X11-unix/X77\n\
            00000000b305ae45: 00000002 00000000 00010000 0001 01 74197 @/tmp/.X11-unix/X77\n\
            00000000b305ae46: 00000002 00000000 00010000 0001 01 74199 /tmp/.X11-unix/X7\n";
        assert_eq!(listening_inodes(table, 77), [74198, 74197]);
        assert_eq!(listening_inodes(table, 7), [74199]);
        assert!(listening_inodes(table, 0).is_empty());
    }

    #[test]
    fn display_names_give_their_number() {
        assert_eq!(display_number(":0"), Some(0));
        assert_eq!(display_number(":12.0"), Some(12));
        assert_eq!(display_number("localhost:3"), Some(3));
        assert_eq!(display_number("tty7"), None);
    }
}
