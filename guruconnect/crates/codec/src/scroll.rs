//! Scroll detection: finds a vertical offset at which a run of rows in a changed region equals
//! rows of the previous picture, so those rows travel as a copy instead of pixels. A terminal
//! or a document scrolling by a line then costs one copy rectangle and one line of pixels.
//! This is the encoder's own search, for what no capturer reported as a move (`moves.rs`).

use crate::frame::{Frame, BYTES_PER_PIXEL};
use crate::geometry::Rect;
use crate::moves::Move;
use std::collections::{HashMap, HashSet};

/// Rows sampled from a region to propose offsets.
const SAMPLES: u32 = 12;
/// A sample row whose hash occurs more often than this in the search window (blank lines) says
/// nothing about the offset.
const MAX_SAMPLE_MATCHES: usize = 4;

/// The longest run of at least `min_rows` rows of `region` that moved vertically, if any.
pub fn detect_vertical(
    previous: &Frame,
    current: &Frame,
    region: Rect,
    min_rows: u32,
) -> Option<Move> {
    if region.height < min_rows || region.width == 0 {
        return None;
    }
    // Search the previous picture up to one region height above and below.
    let top = region.y.saturating_sub(region.height);
    let bottom = (region.bottom() + u64::from(region.height)).min(u64::from(previous.height()));
    let window = top..bottom as u32;
    let step = (region.height / SAMPLES).max(1);
    // A row of one colour (a blank line, a solid fill) reappears wherever the colour does and
    // says nothing about an offset; when every sample is one, nothing is hashed at all.
    let samples: Vec<u32> = (0..region.height)
        .step_by(step as usize)
        .filter(|i| !one_colour(current.row_span(region.x, region.y + i, region.width)))
        .collect();
    if samples.is_empty() {
        return None;
    }
    // Full motion (video, a game) changes every row: there the whole search would hash both
    // pictures for nothing, so a cheap look at a few words per row rules it out first.
    if !any_sample_may_match(previous, current, region, window.clone(), &samples) {
        return None;
    }
    let prev_hashes = row_hashes(previous, region.x, region.width, window);
    let offsets = proposed_offsets(current, region, &samples, &prev_hashes, top);
    if offsets.is_empty() {
        return None;
    }
    let cur_hashes = row_hashes(
        current,
        region.x,
        region.width,
        region.y..region.bottom() as u32,
    );
    let mut best: Option<Move> = None;
    for dy in offsets {
        if let Some(found) = longest_run(
            previous,
            current,
            region,
            dy,
            &cur_hashes,
            &prev_hashes,
            top,
        ) {
            if found.dest.height >= min_rows
                && best.is_none_or(|b| found.dest.height > b.dest.height)
            {
                best = Some(found);
            }
        }
    }
    best
}

/// Width of the strips `detect_vertical_in_strips` falls back to.
pub const STRIP_WIDTH: u32 = 128;

/// Vertical moves in `region`: one across its whole width when that covers at least half of
/// it, else the moves found in strips `STRIP_WIDTH` wide, side by side ones of the same offset
/// and rows merged. A terminal being resized scrolls its text by a line while its edge moves
/// sideways: no whole row of the changed box reappears, but most of the box did move.
pub fn detect_vertical_in_strips(
    previous: &Frame,
    current: &Frame,
    region: Rect,
    min_rows: u32,
) -> Vec<Move> {
    let whole = detect_vertical(previous, current, region, min_rows);
    let area = |m: &Move| u64::from(m.dest.width) * u64::from(m.dest.height);
    if whole.is_some_and(|m| 2 * area(&m) >= region.area()) || region.width <= STRIP_WIDTH {
        return whole.into_iter().collect();
    }
    let mut strips: Vec<Move> = Vec::new();
    for x in (region.x..region.right() as u32).step_by(STRIP_WIDTH as usize) {
        let width = STRIP_WIDTH.min(region.right() as u32 - x);
        let strip = Rect::new(x, region.y, width, region.height);
        let Some(found) = detect_vertical(previous, current, strip, min_rows) else {
            continue;
        };
        match strips.last_mut() {
            Some(left)
                if left.dest.right() == u64::from(x)
                    && (left.dest.y, left.dest.height, left.src_y)
                        == (found.dest.y, found.dest.height, found.src_y) =>
            {
                left.dest.width += found.dest.width;
            }
            _ => strips.push(found),
        }
    }
    let by_strips: u64 = strips.iter().map(area).sum();
    match whole {
        Some(m) if area(&m) >= by_strips => vec![m],
        _ => strips,
    }
}

fn one_colour(row: &[u8]) -> bool {
    let mut pixels = row.chunks_exact(BYTES_PER_PIXEL);
    let first = pixels.next().map(|p| &p[..3]);
    pixels.all(|p| Some(&p[..3]) == first)
}

/// False only when no sampled row of `region` (offsets `samples` from its top) can equal any row
/// of the previous picture in `window`: equal rows have equal fingerprints, so this never hides
/// a scroll, it only spares hashing when nothing moved.
fn any_sample_may_match(
    previous: &Frame,
    current: &Frame,
    region: Rect,
    window: std::ops::Range<u32>,
    samples: &[u32],
) -> bool {
    let wanted: HashSet<u64> = samples
        .iter()
        .map(|i| fingerprint(current.row_span(region.x, region.y + i, region.width)))
        .collect();
    window
        .map(|y| fingerprint(previous.row_span(region.x, y, region.width)))
        .any(|f| wanted.contains(&f))
}

/// Offsets (previous row minus current row) at which a sampled row of `region` reappears in
/// the previous picture's rows hashed in `prev_hashes` (the first of them is row `top`).
fn proposed_offsets(
    current: &Frame,
    region: Rect,
    samples: &[u32],
    prev_hashes: &[u64],
    top: u32,
) -> Vec<i64> {
    let mut rows_by_hash: HashMap<u64, Vec<u32>> = HashMap::new();
    for (i, h) in prev_hashes.iter().enumerate() {
        rows_by_hash.entry(*h).or_default().push(top + i as u32);
    }
    let mut offsets: Vec<i64> = Vec::new();
    for &i in samples {
        let y = region.y + i;
        let hash = row_hash(current.row_span(region.x, y, region.width));
        let Some(rows) = rows_by_hash.get(&hash) else {
            continue;
        };
        if rows.len() > MAX_SAMPLE_MATCHES {
            continue;
        }
        for &prev_y in rows {
            let dy = i64::from(prev_y) - i64::from(y);
            if dy != 0 && !offsets.contains(&dy) {
                offsets.push(dy);
            }
        }
    }
    offsets
}

/// `row_hash` of the span (`x`, `width`) of each row in `rows`.
fn row_hashes(frame: &Frame, x: u32, width: u32, rows: std::ops::Range<u32>) -> Vec<u64> {
    rows.map(|y| row_hash(frame.row_span(x, y, width)))
        .collect()
}

/// The longest run of rows of `region` equal to the previous picture's rows `dy` away, checked
/// byte for byte (hashes only propose).
fn longest_run(
    previous: &Frame,
    current: &Frame,
    region: Rect,
    dy: i64,
    cur_hashes: &[u64],
    prev_hashes: &[u64],
    top: u32,
) -> Option<Move> {
    let mut best: Option<(u32, u32)> = None; // (first row, length)
    let mut run: Option<(u32, u32)> = None;
    for i in 0..region.height {
        let y = region.y + i;
        let src = i64::from(y) + dy;
        let matches = src >= i64::from(top)
            && ((src - i64::from(top)) as usize) < prev_hashes.len()
            && prev_hashes[(src - i64::from(top)) as usize] == cur_hashes[i as usize]
            && previous.row_span(region.x, src as u32, region.width)
                == current.row_span(region.x, y, region.width);
        run = match (matches, run) {
            (true, Some((start, len))) => Some((start, len + 1)),
            (true, None) => Some((y, 1)),
            (false, _) => None,
        };
        if let Some((start, len)) = run {
            if best.is_none_or(|(_, l)| len > l) {
                best = Some((start, len));
            }
        }
    }
    best.map(|(start, len)| Move {
        dest: Rect::new(region.x, start, region.width, len),
        src_x: region.x,
        src_y: (i64::from(start) + dy) as u32,
    })
}

/// The tight bounding box of the pixels that differ inside `region`: a scrolled window rarely
/// lines up with the tile grid, and columns that did not move would spoil every row match.
pub fn changed_bounds(previous: &Frame, current: &Frame, region: Rect) -> Option<Rect> {
    let (mut x0, mut y0, mut x1, mut y1) = (u32::MAX, u32::MAX, 0u32, 0u32);
    for y in region.y..region.bottom() as u32 {
        let before = previous.row_span(region.x, y, region.width);
        let after = current.row_span(region.x, y, region.width);
        let Some(first) = before.iter().zip(after).position(|(a, b)| a != b) else {
            continue;
        };
        let last = before
            .iter()
            .zip(after)
            .rposition(|(a, b)| a != b)
            .unwrap_or(first);
        let (first, last) = (
            (first / BYTES_PER_PIXEL) as u32,
            (last / BYTES_PER_PIXEL) as u32,
        );
        (x0, x1) = (x0.min(region.x + first), x1.max(region.x + last + 1));
        (y0, y1) = (y0.min(y), y + 1);
    }
    (x0 < x1).then(|| Rect::new(x0, y0, x1 - x0, y1 - y0))
}

const HASH_K: u64 = 0x9e37_79b9_7f4a_7c15;

/// One multiply-rotate step of the row hashes.
fn mix(h: u64, word: u64) -> u64 {
    (h.rotate_left(5) ^ word).wrapping_mul(HASH_K)
}

fn word_at(bytes: &[u8], at: usize) -> u64 {
    let mut word = [0u8; 8];
    word.copy_from_slice(&bytes[at..at + 8]);
    u64::from_le_bytes(word)
}

/// A fast, non-cryptographic hash of a row of pixels: proposals only, always verified. Four
/// lanes take turns over the words, because a single chain of multiplies, each waiting for the
/// last, ran at a quarter of the speed the loads allow.
fn row_hash(bytes: &[u8]) -> u64 {
    let len = bytes.len() as u64;
    let mut lanes = [len, len ^ 1, len ^ 2, len ^ 3];
    let mut blocks = bytes.chunks_exact(32);
    for block in &mut blocks {
        for (k, lane) in lanes.iter_mut().enumerate() {
            *lane = mix(*lane, word_at(block, k * 8));
        }
    }
    let mut h = lanes.into_iter().fold(0, mix);
    let mut words = blocks.remainder().chunks_exact(8);
    for word in &mut words {
        h = mix(h, word_at(word, 0));
    }
    words
        .remainder()
        .iter()
        .fold(h, |h, &b| mix(h, u64::from(b)))
}

/// Words read from a row to tell rows apart before hashing them whole: enough spread along the
/// row that margins and blank stretches shared by many rows rarely make them look alike.
const FINGERPRINT_WORDS: usize = 8;

/// A cheap summary of a row: a few words spread along it (all of it when short). Equal rows have
/// equal fingerprints; unequal ones usually differ.
fn fingerprint(bytes: &[u8]) -> u64 {
    if bytes.len() < 8 * FINGERPRINT_WORDS {
        return row_hash(bytes);
    }
    let last = bytes.len() - 8;
    (0..FINGERPRINT_WORDS)
        .map(|k| word_at(bytes, k * last / (FINGERPRINT_WORDS - 1)))
        .fold(bytes.len() as u64, mix)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A picture whose every row is distinct, like lines of text.
    fn striped(width: u32, height: u32, shift: u32) -> Frame {
        let mut frame = Frame::black(width, height).expect("frame");
        for y in 0..height {
            let v = (y + shift).wrapping_mul(2_654_435_761);
            for (i, b) in frame.row_span_mut(0, y, width).iter_mut().enumerate() {
                *b = (v >> (i % 4 * 8)) as u8 ^ i as u8;
            }
        }
        frame
    }

    #[test]
    fn a_scroll_by_some_lines_is_found() {
        let previous = striped(64, 200, 0);
        let current = striped(64, 200, 17); // content moved up by 17 rows
        let found = detect_vertical(&previous, &current, Rect::new(0, 0, 64, 200), 32)
            .expect("scroll found");
        assert_eq!(found.dest, Rect::new(0, 0, 64, 183));
        assert_eq!((found.src_x, found.src_y), (0, 17));
    }

    #[test]
    fn a_scroll_beside_a_moving_edge_is_found_in_strips() {
        // Text scrolled up by 19 rows in the left 384 columns while the 64 columns right of it
        // changed unrelatedly (a window edge sliding over during a resize).
        let previous = striped(448, 300, 0);
        let mut current = striped(448, 300, 19);
        let noise = striped(64, 300, 1000);
        for y in 0..300 {
            current
                .row_span_mut(384, y, 64)
                .copy_from_slice(noise.row_span(0, y, 64));
        }
        let region = Rect::new(0, 0, 448, 300);
        assert!(
            detect_vertical(&previous, &current, region, 64).is_none(),
            "no whole row of the box reappears"
        );
        let found = detect_vertical_in_strips(&previous, &current, region, 64);
        assert_eq!(found.len(), 1, "three strips of one move merged: {found:?}");
        assert_eq!(found[0].dest, Rect::new(0, 0, 384, 281));
        assert_eq!((found[0].src_x, found[0].src_y), (0, 19));
    }

    #[test]
    fn one_colour_rows_propose_nothing() {
        let solid = Frame::black(256, 256).expect("frame");
        let mut lit = solid.clone();
        lit.pixels_mut().iter_mut().for_each(|b| *b = 0x80);
        assert!(detect_vertical(&solid, &lit, Rect::new(0, 0, 256, 256), 64).is_none());
        assert!(one_colour(lit.row_span(0, 5, 256)));
        assert!(!one_colour(striped(8, 1, 0).row_span(0, 0, 8)));
    }

    #[test]
    fn a_whole_width_scroll_stays_one_move() {
        let previous = striped(448, 300, 0);
        let current = striped(448, 300, 19);
        let found = detect_vertical_in_strips(&previous, &current, Rect::new(0, 0, 448, 300), 64);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].dest, Rect::new(0, 0, 448, 281));
    }

    #[test]
    fn changed_bounds_are_tight() {
        let previous = striped(64, 64, 0);
        let mut current = previous.clone();
        current
            .row_span_mut(10, 20, 5)
            .iter_mut()
            .for_each(|b| *b ^= 1);
        current
            .row_span_mut(3, 30, 1)
            .iter_mut()
            .for_each(|b| *b ^= 1);
        let bounds = changed_bounds(&previous, &current, Rect::new(0, 0, 64, 64));
        assert_eq!(bounds, Some(Rect::new(3, 20, 12, 11)));
        assert_eq!(
            changed_bounds(&previous, &previous, Rect::new(0, 0, 64, 64)),
            None
        );
    }

    #[test]
    fn unrelated_content_is_not_a_scroll() {
        let previous = striped(64, 200, 0);
        let mut current = previous.clone();
        current
            .pixels_mut()
            .iter_mut()
            .for_each(|b| *b = b.wrapping_add(1));
        assert_eq!(
            detect_vertical(&previous, &current, Rect::new(0, 0, 64, 200), 32),
            None
        );
    }

    #[test]
    fn every_byte_of_a_row_counts_in_its_hash() {
        // Lanes, leftover words and leftover bytes: a byte the hash skipped would make rows that
        // differ only there look alike.
        for len in 0..100usize {
            let row: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            for at in 0..len {
                let mut other = row.clone();
                other[at] ^= 0x10;
                assert_ne!(row_hash(&row), row_hash(&other), "len {len}, byte {at}");
            }
        }
    }

    #[test]
    fn full_motion_is_ruled_out_before_hashing_and_a_scroll_is_not() {
        let region = Rect::new(0, 0, 64, 200);
        let samples: Vec<u32> = (0..200).step_by(16).collect();
        let previous = striped(64, 200, 0);
        let mut moving = previous.clone();
        moving
            .pixels_mut()
            .iter_mut()
            .for_each(|b| *b = b.wrapping_add(1));
        assert!(!any_sample_may_match(
            &previous,
            &moving,
            region,
            0..200,
            &samples
        ));
        let scrolled = striped(64, 200, 17);
        assert!(any_sample_may_match(
            &previous,
            &scrolled,
            region,
            0..200,
            &samples
        ));
    }

    #[test]
    fn rows_alike_where_the_fingerprint_looks_still_scroll() {
        // Rows that differ only between the words a fingerprint reads: the cheap check cannot
        // tell them apart, so the search runs in full and finds the scroll.
        let line = |v: u32| {
            let mut row = vec![0xeeu8; 256 * BYTES_PER_PIXEL];
            row[100..104].copy_from_slice(&v.wrapping_mul(2_654_435_761).to_le_bytes());
            row
        };
        let picture = |shift: u32| {
            let rows: Vec<u8> = (0..120).flat_map(|y| line(y + shift)).collect();
            Frame::from_bgra(256, 120, rows).expect("frame")
        };
        let (previous, current) = (picture(0), picture(5));
        let row = |f: &Frame, y| fingerprint(f.row_span(0, y, 256));
        assert_eq!(row(&previous, 0), row(&previous, 1), "fingerprints alike");
        let found = detect_vertical(&previous, &current, Rect::new(0, 0, 256, 120), 32)
            .expect("scroll found");
        assert_eq!(found.dest, Rect::new(0, 0, 256, 115));
        assert_eq!((found.src_x, found.src_y), (0, 5));
    }
}
