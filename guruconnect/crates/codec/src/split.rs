//! Finds the parts of one colour inside large changed rectangles, so they travel as fills: a
//! window background, a page of a document, a desktop repainted in one colour, around the bit
//! of content that is not flat. A rectangle without such parts is left whole (full motion keeps
//! its few large rectangles and the encoder's choice of zstd level for them).

use crate::frame::Frame;
use crate::geometry::Rect;
use crate::stream::solid_colour;

/// Rectangles smaller than this are not looked into: their fill check is the one that counts.
const SPLIT_AREA: u64 = 1 << 14;

/// One horizontal run of cells in a band: one colour, or mixed content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Run {
    rect: Rect,
    colour: Option<[u8; 3]>,
}

/// `rects` with every large one that holds a `cell`×`cell` square of one colour cut into bands
/// of `cell` rows and runs of cells: runs of one colour, and the mixed runs between them. Runs
/// of one colour that continue one another from band to band are joined again.
pub fn split_solid(frame: &Frame, rects: Vec<Rect>, cell: u32) -> Vec<Rect> {
    let mut out = Vec::with_capacity(rects.len());
    for rect in rects {
        if rect.area() < SPLIT_AREA || cell == 0 {
            out.push(rect);
            continue;
        }
        let bands = bands(frame, rect, cell);
        if bands.iter().flatten().all(|run| run.colour.is_none()) {
            out.push(rect);
            continue;
        }
        out.extend(join_vertically(bands).into_iter().map(|run| run.rect));
    }
    out
}

fn bands(frame: &Frame, rect: Rect, cell: u32) -> Vec<Vec<Run>> {
    let mut bands = Vec::new();
    let mut y = rect.y;
    while y < rect.y + rect.height {
        let rows = cell.min(rect.y + rect.height - y);
        let mut runs: Vec<Run> = Vec::new();
        let mut x = rect.x;
        while x < rect.x + rect.width {
            let cols = cell.min(rect.x + rect.width - x);
            let square = Rect::new(x, y, cols, rows);
            let colour = solid_colour(frame, square);
            match runs.last_mut() {
                Some(run) if run.colour == colour => run.rect.width += cols,
                _ => runs.push(Run {
                    rect: square,
                    colour,
                }),
            }
            x += cols;
        }
        bands.push(runs);
        y += rows;
    }
    bands
}

/// Joins each run with the one right above it when both have the same columns and colour.
fn join_vertically(bands: Vec<Vec<Run>>) -> Vec<Run> {
    let mut done: Vec<Run> = Vec::new();
    let mut open: Vec<Run> = Vec::new();
    for band in bands {
        let mut next = Vec::with_capacity(band.len());
        for run in band {
            let above = open.iter().position(|o| {
                o.colour == run.colour
                    && o.rect.x == run.rect.x
                    && o.rect.width == run.rect.width
                    && o.rect.y + o.rect.height == run.rect.y
            });
            match above {
                Some(i) => {
                    let mut joined = open.swap_remove(i);
                    joined.rect.height += run.rect.height;
                    next.push(joined);
                }
                None => next.push(run),
            }
        }
        done.append(&mut open);
        open = next;
    }
    done.append(&mut open);
    done
}

#[cfg(test)]
mod tests {
    use super::*;

    fn picture(width: u32, height: u32, noise: Rect) -> Frame {
        let mut pixels = Vec::with_capacity((width * height * 4) as usize);
        for y in 0..height {
            for x in 0..width {
                let inside = x >= noise.x
                    && x < noise.x + noise.width
                    && y >= noise.y
                    && y < noise.y + noise.height;
                let v = if inside { (x * 7 + y * 13) as u8 } else { 0x40 };
                pixels.extend_from_slice(&[v, 0x80, 0xc0, 0xff]);
            }
        }
        Frame::from_bgra(width, height, pixels).expect("frame")
    }

    fn covered(rects: &[Rect]) -> u64 {
        rects.iter().map(Rect::area).sum()
    }

    #[test]
    fn a_flat_area_around_some_content_becomes_fills_around_the_content() {
        let whole = Rect::new(0, 0, 256, 128);
        let frame = picture(256, 128, Rect::new(40, 10, 30, 20));
        let rects = split_solid(&frame, vec![whole], 32);
        assert_eq!(covered(&rects), whole.area(), "tiles the rectangle exactly");
        let mixed: Vec<_> = rects
            .iter()
            .filter(|r| solid_colour(&frame, **r).is_none())
            .collect();
        assert_eq!(
            mixed,
            vec![&Rect::new(32, 0, 64, 32)],
            "only the cells the content touches stay pixels"
        );
        assert!(rects.len() <= 4, "runs above and below join up: {rects:?}");
    }

    #[test]
    fn content_without_flat_cells_and_small_rectangles_are_left_whole() {
        let noisy = picture(256, 128, Rect::new(0, 0, 256, 128));
        let whole = Rect::new(0, 0, 256, 128);
        assert_eq!(split_solid(&noisy, vec![whole], 32), vec![whole]);
        let flat = picture(256, 128, Rect::new(0, 0, 0, 0));
        let small = Rect::new(0, 0, 100, 100);
        assert_eq!(split_solid(&flat, vec![small], 32), vec![small]);
    }

    #[test]
    fn edges_that_do_not_fill_a_cell_are_kept() {
        let frame = picture(250, 100, Rect::new(100, 40, 10, 10));
        let whole = Rect::new(3, 5, 247, 95);
        let rects = split_solid(&frame, vec![whole], 32);
        assert_eq!(covered(&rects), whole.area());
        for r in &rects {
            assert!(r.intersect(&whole) == Some(*r), "{r:?} inside {whole:?}");
        }
    }
}
