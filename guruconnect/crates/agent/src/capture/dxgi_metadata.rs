//! What DXGI Desktop Duplication says about a frame, turned into what the encoder takes: dirty
//! rectangles become damage, move rectangles become move hints (and damage). Plain numbers in,
//! codec types out, so this is tested on every platform; `windows/dxgi.rs` reads the Win32
//! structs and calls it. DXGI's rectangles are relative to the duplicated output, whose origin is
//! the display's, so converting is clipping: nothing handed on lies outside the display.

use guruconnect_codec::{MoveHint, Rect};

/// A Win32 `RECT`: edges in pixels, right and bottom exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edges {
    pub left: i32,
    pub top: i32,
    pub right: i32,
    pub bottom: i32,
}

/// A `DXGI_OUTDUPL_MOVE_RECT`: the pixels at `source` (top-left corner) now fill `dest`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MoveRect {
    pub source: (i32, i32),
    pub dest: Edges,
}

/// One frame's metadata, ready for `Encoder::encode`.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Metadata {
    /// Dirty rectangles and move destinations, clipped to the display.
    pub damage: Vec<Rect>,
    /// The moves whose source and destination both reach onto the display, clipped so they do.
    pub moves: Vec<MoveHint>,
}

/// Converts one frame's dirty and move rectangles for a `width` × `height` display.
pub fn convert(dirty: &[Edges], moves: &[MoveRect], width: u32, height: u32) -> Metadata {
    let damage = dirty
        .iter()
        .chain(moves.iter().map(|m| &m.dest))
        .filter_map(|e| clip_rect(e, width, height))
        .collect();
    let moves = moves
        .iter()
        .filter_map(|m| move_hint(m, width, height))
        .collect();
    Metadata { damage, moves }
}

/// `edges` clipped to the display; `None` when nothing is left (or the rectangle is inverted).
pub fn clip_rect(edges: &Edges, width: u32, height: u32) -> Option<Rect> {
    let (x, w) = clip_span(edges.left, edges.right, width)?;
    let (y, h) = clip_span(edges.top, edges.bottom, height)?;
    Some(Rect::new(x, y, w, h))
}

/// The move, cut down to the part whose destination and source both lie on the display.
pub fn move_hint(m: &MoveRect, width: u32, height: u32) -> Option<MoveHint> {
    let (x, src_x, w) = clip_move_span(m.dest.left, m.dest.right, m.source.0, width)?;
    let (y, src_y, h) = clip_move_span(m.dest.top, m.dest.bottom, m.source.1, height)?;
    Some(MoveHint {
        src_x,
        src_y,
        dest: Rect::new(x, y, w, h),
    })
}

/// [`start`, `end`) cut to [0, `size`): (start, length), or `None` when empty.
fn clip_span(start: i32, end: i32, size: u32) -> Option<(u32, u32)> {
    let first = i64::from(start).max(0);
    let last = i64::from(end).min(i64::from(size));
    // Both lie in [0, size] here, so they fit u32.
    (first < last).then(|| (first as u32, (last - first) as u32))
}

/// One axis of a move: destination [`start`, `end`) whose source begins at `source`, cut so
/// both spans lie in [0, `size`). Returns (destination start, source start, length).
fn clip_move_span(start: i32, end: i32, source: i32, size: u32) -> Option<(u32, u32, u32)> {
    let shift = i64::from(source) - i64::from(start);
    let size = i64::from(size);
    let first = i64::from(start).max(0).max(-shift);
    let last = i64::from(end).min(size).min(size - shift);
    // first >= 0 and first + shift >= 0; last <= size and last + shift <= size.
    (first < last).then(|| (first as u32, (first + shift) as u32, (last - first) as u32))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edges(left: i32, top: i32, right: i32, bottom: i32) -> Edges {
        Edges {
            left,
            top,
            right,
            bottom,
        }
    }

    fn hint(src_x: u32, src_y: u32, dest: Rect) -> MoveHint {
        MoveHint { src_x, src_y, dest }
    }

    #[test]
    fn dirty_rectangles_are_clipped_to_the_display() {
        assert_eq!(
            clip_rect(&edges(10, 20, 110, 70), 1920, 1080),
            Some(Rect::new(10, 20, 100, 50))
        );
        // Hanging off the top-left and bottom-right corners: only the part on the display,
        // not a rectangle shifted onto it.
        assert_eq!(
            clip_rect(&edges(-10, -5, 10, 5), 1920, 1080),
            Some(Rect::new(0, 0, 10, 5))
        );
        assert_eq!(
            clip_rect(&edges(1900, 1070, 2000, 1100), 1920, 1080),
            Some(Rect::new(1900, 1070, 20, 10))
        );
        // Off the display, empty, inverted, or at the extremes of i32: nothing, no overflow.
        assert_eq!(clip_rect(&edges(1920, 0, 2000, 10), 1920, 1080), None);
        assert_eq!(clip_rect(&edges(5, 5, 5, 10), 1920, 1080), None);
        assert_eq!(clip_rect(&edges(50, 5, 10, 10), 1920, 1080), None);
        assert_eq!(
            clip_rect(&edges(i32::MIN, i32::MIN, i32::MAX, i32::MAX), 1920, 1080),
            Some(Rect::new(0, 0, 1920, 1080))
        );
    }

    #[test]
    fn a_move_inside_the_display_is_kept_as_it_is() {
        // A window dragged 30 px left and 40 px down.
        let m = MoveRect {
            source: (300, 200),
            dest: edges(270, 240, 670, 540),
        };
        assert_eq!(
            move_hint(&m, 1920, 1080),
            Some(hint(300, 200, Rect::new(270, 240, 400, 300)))
        );
    }

    #[test]
    fn a_move_is_cut_where_either_end_leaves_the_display() {
        // Destination hangs off the left edge: its first 20 columns (and their source) go.
        let m = MoveRect {
            source: (100, 50),
            dest: edges(-20, 50, 80, 150),
        };
        assert_eq!(
            move_hint(&m, 1920, 1080),
            Some(hint(120, 50, Rect::new(0, 50, 80, 100)))
        );
        // Source hangs off the bottom: the destination's last rows go with it.
        let m = MoveRect {
            source: (0, 1000),
            dest: edges(0, 900, 200, 1000),
        };
        assert_eq!(
            move_hint(&m, 1920, 1080),
            Some(hint(0, 1000, Rect::new(0, 900, 200, 80)))
        );
        // Source above the top: the destination's first rows go.
        let m = MoveRect {
            source: (10, -30),
            dest: edges(10, 0, 60, 100),
        };
        assert_eq!(
            move_hint(&m, 1920, 1080),
            Some(hint(10, 0, Rect::new(10, 30, 50, 70)))
        );
    }

    #[test]
    fn moves_with_nothing_on_the_display_are_dropped() {
        let cases = [
            // Source entirely off the display.
            MoveRect {
                source: (5000, 0),
                dest: edges(0, 0, 100, 100),
            },
            // Destination entirely off it.
            MoveRect {
                source: (0, 0),
                dest: edges(-200, 0, -100, 100),
            },
            // Empty and inverted destinations.
            MoveRect {
                source: (0, 0),
                dest: edges(10, 10, 10, 50),
            },
            MoveRect {
                source: (0, 0),
                dest: edges(50, 10, 10, 50),
            },
            // Extremes of i32 cannot overflow into a valid-looking hint.
            MoveRect {
                source: (i32::MIN, i32::MAX),
                dest: edges(i32::MAX, i32::MIN, i32::MIN, i32::MAX),
            },
        ];
        for m in cases {
            assert_eq!(move_hint(&m, 1920, 1080), None, "{m:?}");
        }
    }

    #[test]
    fn a_frame_gives_damage_for_dirt_and_moves_and_hints_for_moves() {
        let dirty = [edges(0, 0, 10, 10), edges(3000, 0, 3010, 10)];
        let moves = [
            MoveRect {
                source: (100, 100),
                dest: edges(100, 80, 300, 280),
            },
            // Its source is off the display, yet its destination changed.
            MoveRect {
                source: (-500, 0),
                dest: edges(400, 0, 420, 20),
            },
        ];
        let metadata = convert(&dirty, &moves, 1920, 1080);
        assert_eq!(
            metadata.damage,
            vec![
                Rect::new(0, 0, 10, 10),
                Rect::new(100, 80, 200, 200),
                Rect::new(400, 0, 20, 20),
            ]
        );
        assert_eq!(
            metadata.moves,
            vec![hint(100, 100, Rect::new(100, 80, 200, 200))]
        );
    }
}
