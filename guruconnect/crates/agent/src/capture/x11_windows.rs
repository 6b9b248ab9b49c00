//! Where the top-level windows are, for move hints. XDamage reports a dragged window as damage
//! at its old and new places, never as a move, so each step of a drag would travel as pixels;
//! the server does say when a window moves (ConfigureNotify on the root's children). A window
//! that kept its size and changed place since the last picture becomes a `MoveHint`, which the
//! encoder checks row by row before sending a copy (so a hint about a covered window costs a
//! comparison, never a wrong picture).

use super::{CaptureError, DisplayInfo};
use guruconnect_codec::{MoveHint, Rect};
use std::collections::HashMap;
use x11rb::connection::Connection;
use x11rb::protocol::xproto::{ChangeWindowAttributesAux, ConnectionExt as _, EventMask, Window};
use x11rb::protocol::Event;
use x11rb::rust_connection::RustConnection;

/// A window's outer rectangle (border included) in root coordinates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placement {
    pub x: i32,
    pub y: i32,
    pub width: u32,
    pub height: u32,
}

impl Placement {
    fn new(x: i16, y: i16, width: u16, height: u16, border: u16) -> Self {
        Self {
            x: i32::from(x),
            y: i32::from(y),
            width: u32::from(width) + 2 * u32::from(border),
            height: u32::from(height) + 2 * u32::from(border),
        }
    }
}

/// The root's children: where each was when the last picture was taken, and where it is now.
#[derive(Debug, Default)]
pub struct WindowTracker {
    root: Window,
    at_last_picture: HashMap<Window, Placement>,
    now: HashMap<Window, Placement>,
}

fn failed(e: impl std::fmt::Display) -> CaptureError {
    CaptureError::Failed(e.to_string())
}

impl WindowTracker {
    /// Asks for the root's structure events and reads where its children are.
    pub fn start(conn: &RustConnection, root: Window) -> Result<Self, CaptureError> {
        let notify = ChangeWindowAttributesAux::new().event_mask(EventMask::SUBSTRUCTURE_NOTIFY);
        conn.change_window_attributes(root, &notify)
            .map_err(failed)?;
        let children = conn
            .query_tree(root)
            .map_err(failed)?
            .reply()
            .map_err(failed)?
            .children;
        // All requests first, then the replies: one round trip, not one per window.
        let cookies: Vec<_> = children
            .iter()
            .map(|&w| conn.get_geometry(w).map(|c| (w, c)))
            .collect::<Result<_, _>>()
            .map_err(failed)?;
        let mut now = HashMap::new();
        for (window, cookie) in cookies {
            // A window gone in between has no geometry; it is simply not tracked.
            if let Ok(g) = cookie.reply() {
                now.insert(
                    window,
                    Placement::new(g.x, g.y, g.width, g.height, g.border_width),
                );
            }
        }
        conn.flush().map_err(failed)?;
        Ok(Self {
            root,
            at_last_picture: now.clone(),
            now,
        })
    }

    /// Follows one event from the server; events about anything but the root's children are
    /// ignored.
    pub fn event(&mut self, event: &Event) {
        match event {
            Event::ConfigureNotify(e) if e.event == self.root => {
                let placed = Placement::new(e.x, e.y, e.width, e.height, e.border_width);
                self.now.insert(e.window, placed);
            }
            Event::CreateNotify(e) if e.parent == self.root => {
                let placed = Placement::new(e.x, e.y, e.width, e.height, e.border_width);
                self.now.insert(e.window, placed);
            }
            Event::DestroyNotify(e) if e.event == self.root => self.forget(e.window),
            // Taken under a window manager's frame: no longer a child of the root.
            Event::ReparentNotify(e) if e.event == self.root && e.parent != self.root => {
                self.forget(e.window)
            }
            // Its size is unknown until it is configured: until then it is no move.
            Event::ReparentNotify(e) if e.parent == self.root => {
                let placed = Placement::new(e.x, e.y, 0, 0, 0);
                self.now.insert(e.window, placed);
            }
            _ => {}
        }
    }

    fn forget(&mut self, window: Window) {
        self.now.remove(&window);
        self.at_last_picture.remove(&window);
    }

    /// The windows of `display` that moved, same size, since the last picture, as hints in
    /// display coordinates; the current places become the reference for the next picture.
    pub fn moves_since_last_picture(&mut self, display: &DisplayInfo) -> Vec<MoveHint> {
        let moves = self
            .now
            .iter()
            .filter_map(|(window, to)| {
                let from = self.at_last_picture.get(window)?;
                let same_size = (from.width, from.height) == (to.width, to.height);
                (same_size && (from.x, from.y) != (to.x, to.y) && to.width > 0)
                    .then(|| hint(display, *from, *to))
                    .flatten()
            })
            .collect();
        self.picture_taken();
        moves
    }

    /// A picture was handed out: later moves are relative to it.
    pub fn picture_taken(&mut self) {
        self.at_last_picture.clone_from(&self.now);
    }
}

/// The part of a window's move that lies on `display` at both ends, in display coordinates.
fn hint(display: &DisplayInfo, from: Placement, to: Placement) -> Option<MoveHint> {
    let (dx, dy) = (i64::from(to.x - from.x), i64::from(to.y - from.y));
    let (left, top) = (i64::from(display.x), i64::from(display.y));
    let (right, bottom) = (
        left + i64::from(display.width),
        top + i64::from(display.height),
    );
    // The destination, clipped so that it and its source (shifted back by the move) both stay
    // on the display.
    let x0 = i64::from(to.x).max(left).max(left + dx);
    let y0 = i64::from(to.y).max(top).max(top + dy);
    let x1 = (i64::from(to.x) + i64::from(to.width))
        .min(right)
        .min(right + dx);
    let y1 = (i64::from(to.y) + i64::from(to.height))
        .min(bottom)
        .min(bottom + dy);
    if x0 >= x1 || y0 >= y1 {
        return None;
    }
    let local = |v: i64, origin: i64| u32::try_from(v - origin).ok();
    Some(MoveHint {
        src_x: local(x0 - dx, left)?,
        src_y: local(y0 - dy, top)?,
        dest: Rect::new(
            local(x0, left)?,
            local(y0, top)?,
            u32::try_from(x1 - x0).ok()?,
            u32::try_from(y1 - y0).ok()?,
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn display(x: i32, width: u32) -> DisplayInfo {
        DisplayInfo {
            id: "d".into(),
            name: String::new(),
            x,
            y: 0,
            width,
            height: 600,
            primary: true,
        }
    }

    fn placed(x: i32, y: i32) -> Placement {
        Placement {
            x,
            y,
            width: 200,
            height: 100,
        }
    }

    #[test]
    fn a_move_inside_the_display_is_the_whole_window() {
        let h = hint(&display(0, 800), placed(10, 20), placed(50, 70)).expect("hint");
        assert_eq!((h.src_x, h.src_y), (10, 20));
        assert_eq!(h.dest, Rect::new(50, 70, 200, 100));
    }

    #[test]
    fn a_move_half_off_the_edge_keeps_only_what_is_on_screen_at_both_ends() {
        // From x=-50 (50 columns off the left edge) to x=100: the first 50 columns of the
        // window were never on screen, so only columns 50..200 can be copied.
        let h = hint(&display(0, 800), placed(-50, 0), placed(100, 0)).expect("hint");
        assert_eq!((h.src_x, h.dest.x, h.dest.width), (0, 150, 150));
        // Towards the right edge: the part that left the display is not a destination.
        let h = hint(&display(0, 800), placed(500, 0), placed(700, 0)).expect("hint");
        assert_eq!((h.src_x, h.dest.x, h.dest.width), (500, 700, 100));
    }

    #[test]
    fn display_coordinates_are_relative_to_the_monitor() {
        let right_monitor = display(800, 800);
        let h = hint(&right_monitor, placed(900, 0), placed(1000, 10)).expect("hint");
        assert_eq!((h.src_x, h.src_y, h.dest.x, h.dest.y), (100, 0, 200, 10));
        assert!(
            hint(&right_monitor, placed(10, 0), placed(20, 0)).is_none(),
            "a move on the other monitor is no hint here"
        );
    }

    #[test]
    fn only_windows_that_kept_their_size_and_changed_place_are_moves() {
        let mut tracker = WindowTracker::default();
        tracker.now.insert(1, placed(0, 0));
        tracker.now.insert(2, placed(300, 0));
        tracker.now.insert(3, placed(0, 300));
        tracker.picture_taken();
        tracker.now.insert(1, placed(40, 0)); // moved
        tracker.now.insert(
            2,
            Placement {
                width: 250,
                ..placed(310, 0)
            },
        ); // resized
        let moves = tracker.moves_since_last_picture(&display(0, 800));
        assert_eq!(moves.len(), 1, "{moves:?}");
        assert_eq!((moves[0].src_x, moves[0].dest.x), (0, 40));
        assert!(
            tracker
                .moves_since_last_picture(&display(0, 800))
                .is_empty(),
            "the next picture is compared with where the windows are now"
        );
    }
}
