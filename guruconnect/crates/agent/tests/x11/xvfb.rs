//! A private Xvfb per test: started on a free display number, killed when dropped; helpers to
//! draw a known scene (override-redirect windows of solid colours, no window manager needed),
//! run X clients against it, and read the screen back with `xwd`, the X server's own dump.

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};
use x11rb::connection::Connection;
use x11rb::protocol::xproto::{ConnectionExt as _, CreateWindowAux, EventMask, WindowClass};
use x11rb::rust_connection::RustConnection;

pub struct Xvfb {
    child: Child,
    pub display: String,
    /// The `-auth` file of a locked server.
    _auth: Option<tempfile::TempDir>,
}

impl Xvfb {
    /// Starts Xvfb with one 24-bit screen of `width` × `height` on a display number the server
    /// picks itself (`-displayfd`), so parallel tests never share a server.
    pub fn start(width: u32, height: u32) -> Self {
        let x = Self::start_with(width, height, &[]);
        let deadline = Instant::now() + Duration::from_secs(10);
        while RustConnection::connect(Some(&x.display)).is_err() {
            assert!(
                Instant::now() < deadline,
                "Xvfb {} never accepted connections",
                x.display
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        x
    }

    /// Like `start`, but the server admits only clients presenting the cookie in its `-auth`
    /// file, as a display manager's server does.
    pub fn start_locked(width: u32, height: u32) -> Self {
        let dir = tempfile::tempdir().expect("auth dir");
        let file = dir.path().join("Xauthority");
        // One MIT-MAGIC-COOKIE-1 record for any address and display (family Wild): the server
        // loads every cookie in its -auth file.
        let mut record = 65535u16.to_be_bytes().to_vec();
        for field in [&b""[..], b"", b"MIT-MAGIC-COOKIE-1", &[0x5a; 16]] {
            record.extend_from_slice(&(field.len() as u16).to_be_bytes());
            record.extend_from_slice(field);
        }
        std::fs::write(&file, record).expect("write the cookie");
        let auth = file.to_str().expect("utf-8 path").to_owned();
        let mut x = Self::start_with(width, height, &["-auth", &auth]);
        x._auth = Some(dir);
        x
    }

    fn start_with(width: u32, height: u32, extra: &[&str]) -> Self {
        use std::io::BufRead;
        assert!(
            Path::new("/usr/bin/Xvfb").exists(),
            "Xvfb is not installed: run scripts/x11-deps.sh (./dev test does)"
        );
        let mut child = Command::new("Xvfb")
            .args([
                "-displayfd",
                "1",
                "-screen",
                "0",
                &format!("{width}x{height}x24"),
            ])
            .args(["-nolisten", "tcp", "-noreset"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn Xvfb");
        let stdout = child.stdout.take().expect("Xvfb stdout");
        let mut line = String::new();
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .expect("Xvfb prints its display number");
        // -displayfd: the number is written once the server accepts connections.
        let number: u32 = line.trim().parse().expect("a display number");
        Self {
            child,
            display: format!(":{number}"),
            _auth: None,
        }
    }

    pub fn connect(&self) -> (RustConnection, u32) {
        let (conn, screen) = RustConnection::connect(Some(&self.display)).expect("connect");
        let root = conn.setup().roots[screen].root;
        (conn, root)
    }

    /// Runs an X client on this display and waits for it.
    pub fn run(&self, program: &str, args: &[&str]) -> Output {
        let output = Command::new(program)
            .args(args)
            .env("DISPLAY", &self.display)
            .output()
            .unwrap_or_else(|e| panic!("run {program}: {e}"));
        assert!(
            output.status.success(),
            "{program} {args:?} failed: {output:?}"
        );
        output
    }

    /// Starts an X client on this display without waiting.
    pub fn spawn(&self, program: &str, args: &[&str]) -> Child {
        Command::new(program)
            .args(args)
            .env("DISPLAY", &self.display)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {program}: {e}"))
    }

    /// The whole screen as `xwd` dumps it: (width, height, BGR pixels row-major).
    pub fn xwd_root(&self) -> (u32, u32, Vec<[u8; 3]>) {
        parse_xwd(&self.run("xwd", &["-root", "-silent"]).stdout)
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Maps an override-redirect window filled with `rgb` at (x, y); returns its id.
pub fn solid_window(
    conn: &RustConnection,
    root: u32,
    (x, y, width, height): (i16, i16, u16, u16),
    rgb: u32,
    events: EventMask,
) -> u32 {
    let window = conn.generate_id().expect("id");
    let aux = CreateWindowAux::new()
        .background_pixel(rgb)
        .override_redirect(1)
        .event_mask(events);
    conn.create_window(
        0,
        window,
        root,
        x,
        y,
        width,
        height,
        0,
        WindowClass::INPUT_OUTPUT,
        0,
        &aux,
    )
    .expect("create window");
    conn.map_window(window).expect("map");
    conn.flush().expect("flush");
    conn.get_input_focus().expect("sync").reply().expect("sync");
    window
}

/// Polls `check` for up to ten seconds.
pub fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if check() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("timed out waiting for: {what}");
}

/// Reads an XWD (X Window Dump) file of a 24/32-bit ZPixmap in LSB byte order.
fn parse_xwd(data: &[u8]) -> (u32, u32, Vec<[u8; 3]>) {
    let field = |i: usize| u32::from_be_bytes(data[i * 4..i * 4 + 4].try_into().expect("field"));
    let (header_size, format, width, height) = (field(0), field(2), field(4), field(5));
    let (byte_order, bits_per_pixel, bytes_per_line, ncolors) =
        (field(7), field(11), field(12), field(19));
    assert_eq!(
        (format, byte_order, bits_per_pixel),
        (2, 0, 32),
        "ZPixmap, LSB, 32 bpp"
    );
    let start = header_size as usize + ncolors as usize * 12;
    let mut pixels = Vec::with_capacity(width as usize * height as usize);
    for y in 0..height as usize {
        let row = &data[start + y * bytes_per_line as usize..];
        for x in 0..width as usize {
            pixels.push([row[x * 4], row[x * 4 + 1], row[x * 4 + 2]]);
        }
    }
    (width, height, pixels)
}
