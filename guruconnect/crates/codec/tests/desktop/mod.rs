//! A simulated desktop for the round-trip properties: the changes it goes through (fills,
//! noise, video-like grain, scrolls, window drags, resizes, idle frames, key requests), applied
//! to a picture, and the move hints a capturer would report for them, right or wrong.

use guruconnect_codec::{Frame, MoveHint, Rect};
use proptest::prelude::*;

#[derive(Debug, Clone)]
pub enum Change {
    Fill {
        area: (u32, u32, u32, u32),
        colour: [u8; 3],
    },
    Noise {
        area: (u32, u32, u32, u32),
        seed: u64,
    },
    /// Video-like content: a gradient with one bit of noise per channel, which zstd compresses
    /// partly (what the encoder's fast level is for).
    Grain {
        area: (u32, u32, u32, u32),
        seed: u64,
    },
    Scroll {
        area: (u32, u32, u32, u32),
        dy: i32,
        seed: u64,
    },
    /// A window dragged by (dx, dy); what it uncovers is new content.
    Drag {
        area: (u32, u32, u32, u32),
        dx: i32,
        dy: i32,
        seed: u64,
    },
    Resize {
        width: u32,
        height: u32,
        seed: u64,
    },
    Nothing,
    KeyRequest,
}

pub fn change() -> impl Strategy<Value = Change> {
    let area = (0u32..160, 0u32..160, 1u32..160, 1u32..160);
    prop_oneof![
        (area.clone(), any::<[u8; 3]>()).prop_map(|(area, colour)| Change::Fill { area, colour }),
        (area.clone(), any::<u64>()).prop_map(|(area, seed)| Change::Noise { area, seed }),
        (area.clone(), -60i32..60, any::<u64>()).prop_map(|(area, dy, seed)| Change::Scroll {
            area,
            dy,
            seed
        }),
        (area, -60i32..60, -60i32..60, any::<u64>())
            .prop_map(|(area, dx, dy, seed)| { Change::Drag { area, dx, dy, seed } }),
        (1u32..160, 1u32..160, any::<u64>()).prop_map(|(width, height, seed)| Change::Resize {
            width,
            height,
            seed
        }),
        Just(Change::Nothing),
        Just(Change::KeyRequest),
    ]
}

/// Changes on pictures large enough for full motion (a quarter of the picture in large
/// rectangles): video-like grain, noise and fills over all or part of it, and key requests, so
/// that the encoder switches between its zstd levels in every order.
pub fn motion_change() -> impl Strategy<Value = Change> {
    let part = (0u32..640, 0u32..400, 1u32..640, 1u32..400);
    let whole = Just((0, 0, 640, 400));
    prop_oneof![
        (whole, any::<u64>()).prop_map(|(area, seed)| Change::Grain { area, seed }),
        (part.clone(), any::<u64>()).prop_map(|(area, seed)| Change::Grain { area, seed }),
        (whole, any::<u64>()).prop_map(|(area, seed)| Change::Noise { area, seed }),
        (part, any::<[u8; 3]>()).prop_map(|(area, colour)| Change::Fill { area, colour }),
        Just(Change::KeyRequest),
    ]
}

/// A small deterministic generator, so failures reproduce from the proptest seed alone.
pub struct Noise(u64);

impl Noise {
    fn next(&mut self) -> u8 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 24) as u8
    }
}

pub fn noisy(width: u32, height: u32, seed: u64) -> Frame {
    let mut frame = Frame::black(width, height).expect("size");
    fill_noise(&mut frame, Rect::new(0, 0, width, height), seed);
    frame
}

pub fn clip(frame: &Frame, (x, y, w, h): (u32, u32, u32, u32)) -> Option<Rect> {
    Rect::new(x, y, w, h).intersect(&Rect::new(0, 0, frame.width(), frame.height()))
}

pub fn set(frame: &mut Frame, x: u32, y: u32, bgr: [u8; 3]) {
    let stride = frame.stride();
    let i = y as usize * stride + x as usize * 4;
    frame.pixels_mut()[i..i + 4].copy_from_slice(&[bgr[0], bgr[1], bgr[2], 0xff]);
}

pub fn fill_noise(frame: &mut Frame, r: Rect, seed: u64) {
    let mut noise = Noise(seed | 1);
    for y in r.y..r.y + r.height {
        for x in r.x..r.x + r.width {
            set(frame, x, y, [noise.next(), noise.next(), noise.next()]);
        }
    }
}

/// Applies a change to the desktop; returns the region it touched (the damage hint).
pub fn apply(frame: &mut Frame, change: &Change) -> Option<Rect> {
    match *change {
        Change::Fill { area, colour } => {
            let r = clip(frame, area)?;
            for y in r.y..r.y + r.height {
                for x in r.x..r.x + r.width {
                    set(frame, x, y, colour);
                }
            }
            Some(r)
        }
        Change::Noise { area, seed } => {
            let r = clip(frame, area)?;
            fill_noise(frame, r, seed);
            Some(r)
        }
        Change::Grain { area, seed } => {
            let r = clip(frame, area)?;
            let mut noise = Noise(seed | 1);
            for y in r.y..r.y + r.height {
                for x in r.x..r.x + r.width {
                    let v = (x + 2 * y) as u8 ^ seed as u8;
                    set(frame, x, y, [v ^ (noise.next() & 1), v / 2, !v]);
                }
            }
            Some(r)
        }
        Change::Scroll { area, dy, seed } => {
            let r = clip(frame, area)?;
            let before = frame.clone();
            for y in r.y..r.y + r.height {
                let src = i64::from(y) + i64::from(dy);
                for x in r.x..r.x + r.width {
                    if src >= i64::from(r.y) && src < i64::from(r.y + r.height) {
                        let [b, g, red, _] = before.pixel(x, src as u32);
                        set(frame, x, y, [b, g, red]);
                    }
                }
            }
            // The rows scrolled into view are new content.
            let fresh = if dy > 0 {
                let n = (dy as u32).min(r.height);
                Rect::new(r.x, r.y + r.height - n, r.width, n)
            } else {
                Rect::new(r.x, r.y, r.width, (dy.unsigned_abs()).min(r.height))
            };
            if !fresh.is_empty() {
                fill_noise(frame, fresh, seed);
            }
            Some(r)
        }
        Change::Drag { area, dx, dy, seed } => {
            let r = clip(frame, area)?;
            let before = frame.clone();
            fill_noise(frame, r, seed);
            let Some(dest) = shifted(frame, r, dx, dy) else {
                return Some(r);
            };
            for y in dest.y..dest.y + dest.height {
                for x in dest.x..dest.x + dest.width {
                    let from = (
                        (i64::from(x) - i64::from(dx)) as u32,
                        (i64::from(y) - i64::from(dy)) as u32,
                    );
                    let [b, g, red, _] = before.pixel(from.0, from.1);
                    set(frame, x, y, [b, g, red]);
                }
            }
            Some(union(r, dest))
        }
        Change::Resize {
            width,
            height,
            seed,
        } => {
            *frame = noisy(width, height, seed);
            None
        }
        Change::Nothing | Change::KeyRequest => Some(Rect::new(0, 0, 0, 0)),
    }
}

/// `r` moved by (dx, dy), clipped to the picture.
pub fn shifted(frame: &Frame, r: Rect, dx: i32, dy: i32) -> Option<Rect> {
    let (dx, dy) = (i64::from(dx), i64::from(dy));
    let x0 = (i64::from(r.x) + dx).max(0);
    let y0 = (i64::from(r.y) + dy).max(0);
    let x1 = (r.right() as i64 + dx).min(i64::from(frame.width()));
    let y1 = (r.bottom() as i64 + dy).min(i64::from(frame.height()));
    (x0 < x1 && y0 < y1)
        .then(|| Rect::new(x0 as u32, y0 as u32, (x1 - x0) as u32, (y1 - y0) as u32))
}

pub fn union(a: Rect, b: Rect) -> Rect {
    let (x0, y0) = (a.x.min(b.x), a.y.min(b.y));
    let (x1, y1) = (a.right().max(b.right()), a.bottom().max(b.bottom()));
    Rect::new(
        x0,
        y0,
        (x1 - u64::from(x0)) as u32,
        (y1 - u64::from(y0)) as u32,
    )
}

/// The move hint a capturer would report for `change` made to `frame`: what DXGI says for a
/// dragged window or a scrolled view.
pub fn true_hint(frame: &Frame, change: &Change) -> Option<MoveHint> {
    let (r, dx, dy) = match *change {
        Change::Drag { area, dx, dy, .. } => (clip(frame, area)?, dx, dy),
        // Row y shows what row y + dy showed, inside the area: the area's content moved by -dy.
        Change::Scroll { area, dy, .. } => (clip(frame, area)?, 0, -dy),
        _ => return None,
    };
    let dest = shifted(frame, r, dx, dy)?;
    let dest = match change {
        Change::Scroll { .. } => dest.intersect(&r)?,
        _ => dest,
    };
    Some(MoveHint {
        src_x: (i64::from(dest.x) - i64::from(dx)) as u32,
        src_y: (i64::from(dest.y) - i64::from(dy)) as u32,
        dest,
    })
}

/// A move hint as a capturer might get it wrong, or right.
#[derive(Debug, Clone)]
pub enum HintKind {
    /// The change's own hint (none for changes that move nothing).
    True,
    /// The change's hint with its source off by a little.
    Shifted { dx: i32, dy: i32 },
    /// The change's hint with a destination too large or too small.
    Resized { dw: i32, dh: i32 },
    /// Anything at all, often outside the picture.
    Junk {
        src: (u32, u32),
        dest: (u32, u32, u32, u32),
    },
}

pub fn hint_kind() -> impl Strategy<Value = HintKind> {
    let coord = prop_oneof![8 => 0u32..200, 1 => Just(u32::MAX)];
    prop_oneof![
        Just(HintKind::True),
        (-3i32..4, -3i32..4).prop_map(|(dx, dy)| HintKind::Shifted { dx, dy }),
        (-20i32..20, -20i32..20).prop_map(|(dw, dh)| HintKind::Resized { dw, dh }),
        (
            (coord.clone(), coord.clone()),
            (coord.clone(), coord.clone(), coord.clone(), coord)
        )
            .prop_map(|(src, dest)| HintKind::Junk { src, dest }),
    ]
}

pub fn offset(v: u32, by: i32) -> u32 {
    v.saturating_add_signed(by)
}

/// The hints handed to the encoder for one change.
pub fn hints_for(truth: Option<MoveHint>, kinds: &[HintKind]) -> Vec<MoveHint> {
    kinds
        .iter()
        .filter_map(|kind| match *kind {
            HintKind::True => truth,
            HintKind::Shifted { dx, dy } => truth.map(|t| MoveHint {
                src_x: offset(t.src_x, dx),
                src_y: offset(t.src_y, dy),
                ..t
            }),
            HintKind::Resized { dw, dh } => truth.map(|t| MoveHint {
                dest: Rect::new(
                    t.dest.x,
                    t.dest.y,
                    offset(t.dest.width, dw),
                    offset(t.dest.height, dh),
                ),
                ..t
            }),
            HintKind::Junk {
                src,
                dest: (x, y, w, h),
            } => Some(MoveHint {
                src_x: src.0,
                src_y: src.1,
                dest: Rect::new(x, y, w, h),
            }),
        })
        .collect()
}
