//! Change detection: which tiles differ from the previous picture, merged into rectangles.
//! Only tiles inside the damage hints are compared, so an idle screen costs nothing.

use crate::frame::Frame;
use crate::geometry::Rect;

/// A grid of tiles over a picture, with a dirty flag per tile.
pub struct DirtyGrid {
    tile: u32,
    cols: u32,
    rows: u32,
    dirty: Vec<bool>,
}

impl DirtyGrid {
    pub fn new(width: u32, height: u32, tile: u32) -> Self {
        let cols = width.div_ceil(tile);
        let rows = height.div_ceil(tile);
        Self {
            tile,
            cols,
            rows,
            dirty: vec![false; cols as usize * rows as usize],
        }
    }

    fn index(&self, col: u32, row: u32) -> usize {
        row as usize * self.cols as usize + col as usize
    }

    pub fn any(&self) -> bool {
        self.dirty.iter().any(|d| *d)
    }

    /// Marks every tile.
    pub fn mark_all(&mut self) {
        self.dirty.iter_mut().for_each(|d| *d = true);
    }

    /// Compares `current` with `previous` (same size) in the tiles touching `area`.
    pub fn compare(&mut self, previous: &Frame, current: &Frame, area: Rect) {
        let (w, h) = (current.width(), current.height());
        let Some(area) = area.intersect(&Rect::new(0, 0, w, h)) else {
            return;
        };
        let t = self.tile;
        for row in area.y / t..=(area.bottom() as u32 - 1) / t {
            for col in area.x / t..=(area.right() as u32 - 1) / t {
                let i = self.index(col, row);
                if self.dirty[i] {
                    continue;
                }
                let tile = self.tile_rect(col, row, w, h);
                self.dirty[i] = tile_differs(previous, current, tile);
            }
        }
    }

    fn tile_rect(&self, col: u32, row: u32, width: u32, height: u32) -> Rect {
        let (x, y) = (col * self.tile, row * self.tile);
        Rect::new(x, y, self.tile.min(width - x), self.tile.min(height - y))
    }

    /// Dirty tiles as rectangles: runs along each tile row, stacked downwards while the run
    /// below has the same span, up to `max_area` pixels per rectangle. Clipped to the picture.
    pub fn rects(&self, width: u32, height: u32, max_area: u64) -> Vec<Rect> {
        let mut open: Vec<Rect> = Vec::new();
        let mut done = Vec::new();
        for row in 0..self.rows {
            let runs = self.runs(row, width, height);
            let mut next_open = Vec::with_capacity(runs.len());
            for run in runs {
                let grown = open.iter().position(|r| {
                    r.x == run.x
                        && r.width == run.width
                        && r.bottom() == u64::from(run.y)
                        && r.area() + run.area() <= max_area
                });
                match grown {
                    Some(i) => {
                        let mut r = open.swap_remove(i);
                        r.height += run.height;
                        next_open.push(r);
                    }
                    None => next_open.push(run),
                }
            }
            done.append(&mut open);
            open = next_open;
        }
        done.append(&mut open);
        done
    }

    /// Horizontal runs of dirty tiles in one tile row, each at most `max_run` tiles wide.
    fn runs(&self, row: u32, width: u32, height: u32) -> Vec<Rect> {
        let mut runs = Vec::new();
        let mut col = 0;
        while col < self.cols {
            if !self.dirty[self.index(col, row)] {
                col += 1;
                continue;
            }
            let start = col;
            while col < self.cols && self.dirty[self.index(col, row)] {
                col += 1;
            }
            let first = self.tile_rect(start, row, width, height);
            let last = self.tile_rect(col - 1, row, width, height);
            runs.push(Rect::new(
                first.x,
                first.y,
                last.x + last.width - first.x,
                first.height,
            ));
        }
        runs
    }
}

impl DirtyGrid {
    /// Bounding boxes of the 4-connected groups of dirty tiles, clipped to the picture: the
    /// regions in which a scroll may have happened.
    pub fn components(&self, width: u32, height: u32) -> Vec<Rect> {
        let mut seen = vec![false; self.dirty.len()];
        let mut boxes = Vec::new();
        for start in 0..self.dirty.len() {
            if !self.dirty[start] || seen[start] {
                continue;
            }
            seen[start] = true;
            let mut stack = vec![start];
            let (mut c0, mut r0, mut c1, mut r1) = (u32::MAX, u32::MAX, 0, 0);
            while let Some(i) = stack.pop() {
                let (col, row) = (
                    (i % self.cols as usize) as u32,
                    (i / self.cols as usize) as u32,
                );
                (c0, r0, c1, r1) = (c0.min(col), r0.min(row), c1.max(col), r1.max(row));
                for (dc, dr) in [(-1i64, 0i64), (1, 0), (0, -1), (0, 1)] {
                    let (nc, nr) = (i64::from(col) + dc, i64::from(row) + dr);
                    if nc < 0 || nr < 0 || nc >= i64::from(self.cols) || nr >= i64::from(self.rows)
                    {
                        continue;
                    }
                    let n = self.index(nc as u32, nr as u32);
                    if self.dirty[n] && !seen[n] {
                        seen[n] = true;
                        stack.push(n);
                    }
                }
            }
            let first = self.tile_rect(c0, r0, width, height);
            let last = self.tile_rect(c1, r1, width, height);
            boxes.push(Rect::new(
                first.x,
                first.y,
                last.x + last.width - first.x,
                last.y + last.height - first.y,
            ));
        }
        boxes
    }
}

fn tile_differs(previous: &Frame, current: &Frame, tile: Rect) -> bool {
    (tile.y..tile.bottom() as u32).any(|y| {
        previous.row_span(tile.x, y, tile.width) != current.row_span(tile.x, y, tile.width)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paint(frame: &mut Frame, x: u32, y: u32) {
        frame.row_span_mut(x, y, 1)[0] ^= 0xff;
    }

    #[test]
    fn a_single_changed_pixel_dirties_one_tile() {
        let previous = Frame::black(100, 70).expect("frame");
        let mut current = previous.clone();
        paint(&mut current, 40, 33);
        let mut grid = DirtyGrid::new(100, 70, 32);
        grid.compare(&previous, &current, Rect::new(0, 0, 100, 70));
        assert_eq!(
            grid.rects(100, 70, u64::MAX),
            vec![Rect::new(32, 32, 32, 32)]
        );
    }

    #[test]
    fn edge_tiles_are_clipped_and_adjacent_tiles_merge() {
        let previous = Frame::black(100, 70).expect("frame");
        let mut current = previous.clone();
        for (x, y) in [(70, 10), (99, 10), (70, 40), (99, 40), (70, 69), (99, 69)] {
            paint(&mut current, x, y);
        }
        let mut grid = DirtyGrid::new(100, 70, 32);
        grid.compare(&previous, &current, Rect::new(0, 0, 100, 70));
        // Columns 2..4 in tile rows 0, 1 and 2 (the last row and column are short).
        assert_eq!(
            grid.rects(100, 70, u64::MAX),
            vec![Rect::new(64, 0, 36, 70)]
        );
    }

    #[test]
    fn changes_outside_the_hint_are_not_looked_at() {
        let previous = Frame::black(64, 64).expect("frame");
        let mut current = previous.clone();
        paint(&mut current, 50, 50);
        let mut grid = DirtyGrid::new(64, 64, 32);
        grid.compare(&previous, &current, Rect::new(0, 0, 10, 10));
        assert!(!grid.any());
    }

    #[test]
    fn separate_changes_form_separate_components() {
        let previous = Frame::black(128, 128).expect("frame");
        let mut current = previous.clone();
        for (x, y) in [(1, 1), (40, 1), (100, 100)] {
            paint(&mut current, x, y);
        }
        let mut grid = DirtyGrid::new(128, 128, 32);
        grid.compare(&previous, &current, Rect::new(0, 0, 128, 128));
        let mut boxes = grid.components(128, 128);
        boxes.sort_by_key(|r| (r.y, r.x));
        assert_eq!(
            boxes,
            vec![Rect::new(0, 0, 64, 32), Rect::new(96, 96, 32, 32)]
        );
    }

    #[test]
    fn merged_rectangles_respect_the_area_cap() {
        let mut grid = DirtyGrid::new(64, 256, 32);
        grid.mark_all();
        let rects = grid.rects(64, 256, 64 * 64);
        assert_eq!(rects.len(), 4);
        assert!(rects.iter().all(|r| r.area() <= 64 * 64));
    }
}
