//! The consent prompt on X11: a plain window drawn with core X requests (no toolkit), the
//! question, a countdown, and two buttons. Accept needs a click on Accept; Escape, Decline,
//! closing or the timeout decline. Nothing is pre-selected, so a stray Enter accepts nothing.

use super::{Answer, ConsentPrompt, Prompt};
use std::time::{Duration, Instant};
use x11rb::connection::Connection;
use x11rb::protocol::xproto::{
    AtomEnum, ConfigureWindowAux, ConnectionExt as _, CreateGCAux, CreateWindowAux, EventMask,
    PropMode, Rectangle, StackMode, Window, WindowClass,
};
use x11rb::protocol::Event;
use x11rb::rust_connection::RustConnection;
use x11rb::wrapper::ConnectionExt as _;

pub const WIDTH: u16 = 480;
pub const HEIGHT: u16 = 190;
/// Button rectangles inside the window: (x, y, width, height).
pub const DECLINE_BUTTON: (i16, i16, u16, u16) = (60, 136, 140, 36);
pub const ACCEPT_BUTTON: (i16, i16, u16, u16) = (280, 136, 140, 36);
/// The X keycode of Escape (evdev 1 + 8).
const ESCAPE_KEYCODE: u8 = 9;

/// Asks on the X display the agent shares.
pub struct X11Prompt {
    pub display: Option<String>,
}

impl ConsentPrompt for X11Prompt {
    fn ask(&self, prompt: &Prompt) -> Answer {
        match show(self.display.as_deref(), prompt) {
            Ok(answer) => answer,
            Err(e) => {
                tracing::warn!(error = %e, "could not show the consent prompt: declined");
                Answer::Declined
            }
        }
    }
}

struct Dialog<'a> {
    conn: &'a RustConnection,
    window: Window,
    text_gc: u32,
    button_gc: u32,
}

fn show(display: Option<&str>, prompt: &Prompt) -> anyhow::Result<Answer> {
    let (conn, screen_num) = crate::x11_connect::connect(display).map_err(anyhow::Error::msg)?;
    let screen = &conn.setup().roots[screen_num];
    let window = conn.generate_id()?;
    let x = (screen.width_in_pixels.saturating_sub(WIDTH) / 2) as i16;
    let y = (screen.height_in_pixels.saturating_sub(HEIGHT) / 3) as i16;
    conn.create_window(
        x11rb::COPY_DEPTH_FROM_PARENT,
        window,
        screen.root,
        x,
        y,
        WIDTH,
        HEIGHT,
        2,
        WindowClass::INPUT_OUTPUT,
        x11rb::COPY_FROM_PARENT,
        &CreateWindowAux::new()
            .background_pixel(screen.white_pixel)
            .border_pixel(screen.black_pixel)
            .event_mask(EventMask::EXPOSURE | EventMask::BUTTON_PRESS | EventMask::KEY_PRESS),
    )?;
    conn.change_property8(
        PropMode::REPLACE,
        window,
        AtomEnum::WM_NAME,
        AtomEnum::STRING,
        prompt.title().as_bytes(),
    )?;
    let font = conn.generate_id()?;
    conn.open_font(font, b"fixed")?;
    let text_gc = conn.generate_id()?;
    conn.create_gc(
        text_gc,
        window,
        &CreateGCAux::new()
            .foreground(screen.black_pixel)
            .background(screen.white_pixel)
            .font(font),
    )?;
    let grey = conn
        .alloc_color(screen.default_colormap, 0xd000, 0xd8d8, 0xe000)?
        .reply()?
        .pixel;
    let button_gc = conn.generate_id()?;
    conn.create_gc(button_gc, window, &CreateGCAux::new().foreground(grey))?;
    conn.map_window(window)?;
    conn.configure_window(
        window,
        &ConfigureWindowAux::new().stack_mode(StackMode::ABOVE),
    )?;
    conn.flush()?;
    let dialog = Dialog {
        conn: &conn,
        window,
        text_gc,
        button_gc,
    };
    let answer = dialog.run(prompt);
    conn.destroy_window(window)?;
    conn.flush()?;
    answer
}

impl Dialog<'_> {
    fn run(&self, prompt: &Prompt) -> anyhow::Result<Answer> {
        let deadline = Instant::now() + prompt.timeout;
        let mut shown_secs = u64::MAX;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(Answer::TimedOut);
            }
            let secs = left.as_secs() + 1;
            if secs != shown_secs {
                shown_secs = secs;
                self.draw(prompt, secs)?;
            }
            while let Some(event) = self.conn.poll_for_event()? {
                match event {
                    Event::Expose(_) => self.draw(prompt, secs)?,
                    Event::ButtonPress(e) if inside(ACCEPT_BUTTON, e.event_x, e.event_y) => {
                        return Ok(Answer::Accepted)
                    }
                    Event::ButtonPress(e) if inside(DECLINE_BUTTON, e.event_x, e.event_y) => {
                        return Ok(Answer::Declined)
                    }
                    Event::KeyPress(e) if e.detail == ESCAPE_KEYCODE => {
                        return Ok(Answer::Declined)
                    }
                    _ => {}
                }
            }
            std::thread::sleep(Duration::from_millis(40));
        }
    }

    fn draw(&self, prompt: &Prompt, secs_left: u64) -> anyhow::Result<()> {
        let conn = self.conn;
        conn.clear_area(false, self.window, 0, 0, 0, 0)?;
        let mut lines = vec!["GuruConnect remote support".to_owned(), String::new()];
        lines.extend(prompt.lines());
        lines.push(format!("Declining by itself in {secs_left} s."));
        for (i, line) in lines.iter().enumerate() {
            let y = 24 + 16 * i as i16;
            conn.image_text8(self.window, self.text_gc, 20, y, &latin1(line))?;
        }
        for ((x, y, w, h), label) in [(DECLINE_BUTTON, "Decline"), (ACCEPT_BUTTON, "Accept")] {
            let rect = Rectangle {
                x,
                y,
                width: w,
                height: h,
            };
            conn.poly_fill_rectangle(self.window, self.button_gc, &[rect])?;
            conn.poly_rectangle(self.window, self.text_gc, &[rect])?;
            let text_x = x + (w as i16 - 6 * label.len() as i16) / 2;
            conn.image_text8(self.window, self.text_gc, text_x, y + 23, label.as_bytes())?;
        }
        conn.flush()?;
        Ok(())
    }
}

fn inside((x, y, w, h): (i16, i16, u16, u16), px: i16, py: i16) -> bool {
    px >= x && py >= y && px < x + w as i16 && py < y + h as i16
}

/// The core "fixed" font is Latin-1: other characters show as '?'; at most 255 bytes.
fn latin1(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
        .take(255)
        .collect()
}
