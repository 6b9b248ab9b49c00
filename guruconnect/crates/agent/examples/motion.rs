//! A full-screen animation for the display benchmarks (`guruconnect/web/e2e/bench`): a gradient
//! that moves every frame, with the time it was drawn (milliseconds since the Unix epoch) written
//! into its top-left corner as 48 black or white 16×16 squares, most significant bit first, so
//! a viewer's canvas can be read back for how old the picture it shows is. With `--solid` the
//! whole screen is one colour, a different one every frame.
//!
//! `motion [--fps 30] [--seconds 10] [--solid]` on `$DISPLAY`.

#[cfg(target_os = "linux")]
fn main() -> Result<(), Box<dyn std::error::Error>> {
    animation::run(std::env::args().skip(1).collect())
}

#[cfg(not(target_os = "linux"))]
fn main() {
    eprintln!("motion draws on an X server: Linux only");
}

#[cfg(target_os = "linux")]
mod animation {
    use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
    use x11rb::connection::Connection;
    use x11rb::protocol::xproto::{
        ConnectionExt as _, CreateGCAux, CreateWindowAux, ImageFormat, WindowClass,
    };
    use x11rb::wrapper::ConnectionExt as _;

    /// Side of one timestamp square, and how many bits the stamp has.
    pub const SQUARE: usize = 16;
    pub const BITS: usize = 48;

    struct Options {
        fps: u32,
        seconds: u64,
        solid: bool,
    }

    fn options(args: Vec<String>) -> Result<Options, String> {
        let mut o = Options {
            fps: 30,
            seconds: 10,
            solid: false,
        };
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let mut value = |name: &str| {
                args.next()
                    .and_then(|v| v.parse::<u64>().ok())
                    .ok_or(format!("{name} needs a number"))
            };
            match arg.as_str() {
                "--fps" => o.fps = value("--fps")?.clamp(1, 240) as u32,
                "--seconds" => o.seconds = value("--seconds")?,
                "--solid" => o.solid = true,
                other => return Err(format!("unknown argument {other}")),
            }
        }
        Ok(o)
    }

    pub fn run(args: Vec<String>) -> Result<(), Box<dyn std::error::Error>> {
        let options = options(args)?;
        let (conn, screen_no) = x11rb::connect(None)?;
        let screen = &conn.setup().roots[screen_no];
        let (width, height) = (
            usize::from(screen.width_in_pixels),
            usize::from(screen.height_in_pixels),
        );
        let window = conn.generate_id()?;
        conn.create_window(
            screen.root_depth,
            window,
            screen.root,
            0,
            0,
            screen.width_in_pixels,
            screen.height_in_pixels,
            0,
            WindowClass::INPUT_OUTPUT,
            0,
            &CreateWindowAux::new().override_redirect(1),
        )?;
        conn.map_window(window)?;
        let gc = conn.generate_id()?;
        conn.create_gc(gc, window, &CreateGCAux::new())?;
        // One row twice as wide as the screen, shown from a moving offset, so every pixel
        // changes every frame without computing the picture again.
        let wide: Vec<u8> = (0..width * 2)
            .flat_map(|x| {
                let v = (x * 255 / width) as u8;
                [v, v.wrapping_mul(3), 255 - v, 0]
            })
            .collect();
        let mut picture = vec![0u8; width * height * 4];
        let interval = Duration::from_secs(1) / options.fps;
        let start = Instant::now();
        let mut frame = 0usize;
        while start.elapsed() < Duration::from_secs(options.seconds) {
            let due = start + interval * frame as u32;
            if let Some(wait) = due.checked_duration_since(Instant::now()) {
                std::thread::sleep(wait);
            }
            draw(&mut picture, &wide, width, height, frame, options.solid);
            stamp(&mut picture, width, now_ms());
            conn.put_image(
                ImageFormat::Z_PIXMAP,
                window,
                gc,
                width as u16,
                height as u16,
                0,
                0,
                0,
                screen.root_depth,
                &picture,
            )?;
            conn.sync()?;
            frame += 1;
        }
        let secs = start.elapsed().as_secs_f64();
        eprintln!(
            "motion: {frame} frames in {secs:.1} s ({:.1} fps)",
            frame as f64 / secs
        );
        Ok(())
    }

    fn draw(picture: &mut [u8], wide: &[u8], width: usize, height: usize, n: usize, solid: bool) {
        let row = width * 4;
        if solid {
            let colour = [(n * 37) as u8, (n * 91) as u8, (n * 53) as u8, 0];
            let line = colour.repeat(width);
            for y in 0..height {
                picture[y * row..(y + 1) * row].copy_from_slice(&line);
            }
            return;
        }
        // Rows slide sideways 8 pixels a frame, each at its own phase (3 pixels apart, so no row
        // ever equals another frame's row at another height: nothing here is a vertical
        // scroll, and X11 reports no moves).
        for y in 0..height {
            let offset = ((n * 8 + y * 3) % width) * 4;
            picture[y * row..(y + 1) * row].copy_from_slice(&wide[offset..offset + row]);
        }
    }

    /// Writes `ms` as `BITS` squares along the top edge: white for 1, black for 0.
    fn stamp(picture: &mut [u8], width: usize, ms: u64) {
        for bit in 0..BITS {
            let on = (ms >> (BITS - 1 - bit)) & 1 == 1;
            let value = if on { 255 } else { 0 };
            for y in 0..SQUARE {
                let start = (y * width + bit * SQUARE) * 4;
                picture[start..start + SQUARE * 4].fill(value);
            }
        }
    }

    fn now_ms() -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64)
    }
}
