//! Moves: parts of the new picture that are the previous picture's pixels from elsewhere (a
//! scrolled view, a dragged window). Whether the scroll detector found them or the capturer
//! reported them (DXGI move rectangles), they travel as copy rectangles instead of pixels. A
//! reported move is a hint, checked pixel for pixel before use: a wrong hint costs a compare,
//! never a wrong picture on the viewer.

use crate::frame::{copy_rows, Frame, BYTES_PER_PIXEL};
use crate::geometry::Rect;

/// A capturer's claim that `dest` of the new picture holds what the previous picture had in the
/// same-sized rectangle whose top-left corner is (`src_x`, `src_y`), in any direction: the shape
/// of DXGI's `DXGI_OUTDUPL_MOVE_RECT`. Nothing is trusted: the encoder clips it to the picture
/// and copies only rows it has compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MoveHint {
    pub src_x: u32,
    pub src_y: u32,
    pub dest: Rect,
}

/// A checked move: `dest` of the current picture equals the previous picture's rectangle of the
/// same size at (`src_x`, `src_y`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Move {
    pub dest: Rect,
    pub src_x: u32,
    pub src_y: u32,
}

/// Hints looked at per frame: DXGI reports a handful; the cap bounds what a misbehaving source
/// can make the encoder compare.
pub const MAX_MOVE_HINTS: usize = 64;

/// Rows a verified run must have to become a copy (unless the whole hint is shorter): a window
/// dragged with a blinking caret in it still moves as copies around the caret's rows, while a
/// hint that matches only in scattered rows does not turn into a swarm of tiny copies.
const MIN_RUN_ROWS: u32 = 8;

/// The parts of `hints` that hold: for each hint, clipped to the picture, the runs of rows whose
/// pixels equal the previous picture's at the source, where they change something.
pub fn verify(hints: &[MoveHint], previous: &Frame, current: &Frame) -> Vec<Move> {
    hints
        .iter()
        .take(MAX_MOVE_HINTS)
        .filter_map(|hint| clip(hint, current.width(), current.height()))
        .flat_map(|m| matching_runs(previous, current, m))
        .filter(|m| changes_something(previous, current, m.dest))
        .collect()
}

/// The largest part of `hint` whose destination and source both lie inside a `width` ×
/// `height` picture; `None` when nothing is left or the hint does not move anything.
pub fn clip(hint: &MoveHint, width: u32, height: u32) -> Option<Move> {
    let (x, src_x, w) = clip_axis(hint.dest.x, hint.dest.width, hint.src_x, width)?;
    let (y, src_y, h) = clip_axis(hint.dest.y, hint.dest.height, hint.src_y, height)?;
    if (x, y) == (src_x, src_y) {
        return None;
    }
    Some(Move {
        dest: Rect::new(x, y, w, h),
        src_x,
        src_y,
    })
}

/// One axis of `clip`: the span [`dest`, `dest + len`) shortened so that it and the span shifted
/// to start at `src` both end inside `size`. Returns (dest start, source start, length).
fn clip_axis(dest: u32, len: u32, src: u32, size: u32) -> Option<(u32, u32, u32)> {
    let (dest, len, src, size) = (
        i64::from(dest),
        i64::from(len),
        i64::from(src),
        i64::from(size),
    );
    // Both starts are at least 0 already; only the ends can stick out.
    let end = (dest + len).min(size).min(size - (src - dest));
    // In range: dest < end <= size and src < src + (end - dest) <= size, all below 2^32.
    (dest < end).then(|| (dest as u32, src as u32, (end - dest) as u32))
}

/// The runs of rows of `m` whose pixels match, each at least `MIN_RUN_ROWS` rows tall (or all
/// of `m` when it is shorter).
fn matching_runs(previous: &Frame, current: &Frame, m: Move) -> Vec<Move> {
    let min_rows = MIN_RUN_ROWS.min(m.dest.height);
    let mut runs = Vec::new();
    let mut start = None;
    for i in 0..=m.dest.height {
        let matches = i < m.dest.height
            && current.row_span(m.dest.x, m.dest.y + i, m.dest.width)
                == previous.row_span(m.src_x, m.src_y + i, m.dest.width);
        match (matches, start) {
            (true, None) => start = Some(i),
            (false, Some(first)) => {
                if i - first >= min_rows {
                    runs.push(Move {
                        dest: Rect::new(m.dest.x, m.dest.y + first, m.dest.width, i - first),
                        src_x: m.src_x,
                        src_y: m.src_y + first,
                    });
                }
                start = None;
            }
            _ => {}
        }
    }
    runs
}

/// True when `rect` differs between the pictures: a copy onto pixels that did not change would
/// be sent for nothing.
fn changes_something(previous: &Frame, current: &Frame, rect: Rect) -> bool {
    (rect.y..rect.bottom() as u32).any(|y| {
        previous.row_span(rect.x, y, rect.width) != current.row_span(rect.x, y, rect.width)
    })
}

/// Applies moves to `frame` as the decoder will: every source is read before any destination is
/// written, so all moves read the picture as it was.
pub fn apply_moves(frame: &mut Frame, moves: &[Move]) {
    let sources: Vec<Vec<u8>> = moves
        .iter()
        .map(|m| copy_rows(frame, m.src_x, m.src_y, m.dest.width, m.dest.height))
        .collect();
    for (m, source) in moves.iter().zip(sources) {
        let row = m.dest.width as usize * BYTES_PER_PIXEL;
        for (i, chunk) in source.chunks_exact(row).enumerate() {
            frame
                .row_span_mut(m.dest.x, m.dest.y + i as u32, m.dest.width)
                .copy_from_slice(chunk);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A picture whose every pixel differs from its neighbours, so any misplaced copy shows.
    fn distinct(width: u32, height: u32, salt: u32) -> Frame {
        let mut frame = Frame::black(width, height).expect("frame");
        for y in 0..height {
            for (x, px) in frame
                .row_span_mut(0, y, width)
                .chunks_exact_mut(BYTES_PER_PIXEL)
                .enumerate()
            {
                let v = (y * width + x as u32 + salt).wrapping_mul(2_654_435_761);
                px[..3].copy_from_slice(&v.to_le_bytes()[..3]);
            }
        }
        frame
    }

    fn hint(src_x: u32, src_y: u32, dest: Rect) -> MoveHint {
        MoveHint { src_x, src_y, dest }
    }

    /// `previous` with its `dest` rectangle replaced by the pixels at (src_x, src_y).
    fn moved(previous: &Frame, m: Move) -> Frame {
        let mut current = previous.clone();
        apply_moves(&mut current, &[m]);
        current
    }

    #[test]
    fn clipping_keeps_both_ends_inside_the_picture() {
        // Destination runs off the right edge: cut to the picture.
        assert_eq!(
            clip(&hint(0, 0, Rect::new(90, 10, 20, 5)), 100, 50),
            Some(Move {
                dest: Rect::new(90, 10, 10, 5),
                src_x: 0,
                src_y: 0
            })
        );
        // Source runs off the bottom: the destination shrinks with it.
        assert_eq!(
            clip(&hint(5, 40, Rect::new(0, 0, 10, 20)), 100, 50),
            Some(Move {
                dest: Rect::new(0, 0, 10, 10),
                src_x: 5,
                src_y: 40
            })
        );
        // Entirely outside, empty, or not moving at all: nothing.
        assert_eq!(clip(&hint(0, 0, Rect::new(100, 0, 5, 5)), 100, 50), None);
        assert_eq!(clip(&hint(200, 0, Rect::new(0, 0, 5, 5)), 100, 50), None);
        assert_eq!(clip(&hint(0, 0, Rect::new(10, 10, 0, 5)), 100, 50), None);
        assert_eq!(clip(&hint(10, 10, Rect::new(10, 10, 5, 5)), 100, 50), None);
        // Values near u32::MAX cannot overflow into the picture.
        assert_eq!(
            clip(&hint(u32::MAX, 0, Rect::new(0, 0, u32::MAX, 1)), 100, 50),
            None
        );
        assert_eq!(
            clip(&hint(0, 0, Rect::new(u32::MAX, 0, u32::MAX, 1)), 100, 50),
            None
        );
    }

    #[test]
    fn a_true_hint_in_any_direction_is_kept_whole() {
        let previous = distinct(120, 80, 0);
        for (src_x, src_y) in [(30, 20), (10, 20), (20, 30), (20, 10), (5, 5), (40, 35)] {
            let m = Move {
                dest: Rect::new(20, 20, 50, 40),
                src_x,
                src_y,
            };
            let current = moved(&previous, m);
            let found = verify(&[hint(src_x, src_y, m.dest)], &previous, &current);
            assert_eq!(found, vec![m], "from ({src_x}, {src_y})");
        }
    }

    #[test]
    fn a_wrong_hint_is_dropped() {
        let previous = distinct(120, 80, 0);
        let m = Move {
            dest: Rect::new(20, 20, 50, 40),
            src_x: 30,
            src_y: 25,
        };
        let current = moved(&previous, m);
        // Off by one pixel either way, or pointing at content that did not move.
        for (src_x, src_y) in [(31, 25), (30, 24), (0, 0)] {
            assert_eq!(
                verify(&[hint(src_x, src_y, m.dest)], &previous, &current),
                vec![]
            );
        }
        // A hint onto pixels that did not change sends nothing, even though it matches.
        let flat = Frame::black(120, 80).expect("frame");
        assert_eq!(
            verify(&[hint(0, 0, Rect::new(50, 50, 10, 10))], &flat, &flat),
            vec![]
        );
    }

    #[test]
    fn rows_that_changed_after_the_move_are_left_to_the_pixels() {
        let previous = distinct(120, 80, 0);
        let m = Move {
            dest: Rect::new(10, 10, 60, 50),
            src_x: 40,
            src_y: 20,
        };
        let mut current = moved(&previous, m);
        // A caret blinks in rows 30..32 of the moved window, and in row 57 (too close to the
        // bottom to leave a useful run below it).
        for y in [30, 31, 57] {
            current.row_span_mut(35, y, 1)[0] ^= 0xff;
        }
        let found = verify(&[hint(40, 20, m.dest)], &previous, &current);
        assert_eq!(
            found,
            vec![
                Move {
                    dest: Rect::new(10, 10, 60, 20),
                    src_x: 40,
                    src_y: 20
                },
                Move {
                    dest: Rect::new(10, 32, 60, 25),
                    src_x: 40,
                    src_y: 42
                },
            ]
        );
    }

    #[test]
    fn moves_read_the_picture_as_it_was() {
        // Two moves swapping halves: each must read the other's untouched source.
        let previous = distinct(40, 10, 0);
        let left = Move {
            dest: Rect::new(0, 0, 20, 10),
            src_x: 20,
            src_y: 0,
        };
        let right = Move {
            dest: Rect::new(20, 0, 20, 10),
            src_x: 0,
            src_y: 0,
        };
        let mut swapped = previous.clone();
        apply_moves(&mut swapped, &[left, right]);
        for y in 0..10 {
            assert_eq!(swapped.pixel(0, y), previous.pixel(20, y));
            assert_eq!(swapped.pixel(20, y), previous.pixel(0, y));
        }
    }
}
