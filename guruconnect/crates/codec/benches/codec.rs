//! Codec benchmark at 1920×1080 on a synthetic office desktop (windows of text-like glyphs on
//! flat backgrounds): key frame, idle frames with and without damage hints, a typed character,
//! a terminal scroll with and without scroll detection and with a source's move hint (as DXGI
//! reports it), a window dragged sideways with and without that hint, and two kinds of full
//! motion (noise, and a video-like scene) encoded frame after frame as a playing video would be,
//! by default (large rectangles switch to a fast zstd level) and at zstd level 1 throughout.
//! Prints a Markdown table for BENCHMARKS.md. Encode time is measured twice: wall clock, and the
//! CPU time the encoding thread itself used (Linux), which other work on a shared machine
//! inflates less.
//!
//! `cargo bench -p guruconnect-codec --bench codec` runs it (`-- --levels` adds full motion at
//! each fast level from -1 to -5); `cargo test` runs a tiny smoke pass.

use guruconnect_codec::{Decoder, EncodedFrame, Encoder, EncoderConfig, Frame, MoveHint, Rect};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

const GLYPH_W: u32 = 8;
const GLYPH_H: u32 = 16;

/// A deterministic xorshift generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn fill(frame: &mut Frame, r: Rect, bgr: [u8; 3]) {
    let stride = frame.stride();
    for y in r.y..r.y + r.height {
        for x in r.x..r.x + r.width {
            let i = y as usize * stride + x as usize * 4;
            frame.pixels_mut()[i..i + 4].copy_from_slice(&[bgr[0], bgr[1], bgr[2], 0xff]);
        }
    }
}

/// Draws one glyph-like 8×16 cell: a random sparse bitmap in `ink` over whatever is there.
fn glyph(frame: &mut Frame, x: u32, y: u32, ink: [u8; 3], rng: &mut Rng) {
    let bits = rng.next() ^ (rng.next() << 1);
    for gy in 2..GLYPH_H - 2 {
        for gx in 1..GLYPH_W - 1 {
            if bits >> ((gy * 7 + gx * 3) % 64) & 1 == 1 && (gx + gy) % 3 != 0 {
                fill(frame, Rect::new(x + gx, y + gy, 1, 1), ink);
            }
        }
    }
}

/// Lines of text in a window: `lines` rows of glyphs, ragged right.
fn text(frame: &mut Frame, area: Rect, first_line: u64, lines: u32) {
    for line in 0..lines.min(area.height / GLYPH_H) {
        let mut rng = Rng((first_line + u64::from(line)) * 0x9e37_79b9 + 1);
        let len = (rng.next() % u64::from(area.width / GLYPH_W)) as u32;
        for col in 0..len {
            glyph(
                frame,
                area.x + col * GLYPH_W,
                area.y + line * GLYPH_H,
                [30, 30, 30],
                &mut rng,
            );
        }
    }
}

/// A 1080p desktop: a teal background, a taskbar, an editor window and a terminal.
fn desktop(scroll_lines: u64) -> (Frame, Rect) {
    let mut frame = Frame::black(1920, 1080).expect("frame");
    fill(&mut frame, Rect::new(0, 0, 1920, 1080), [128, 128, 0]);
    fill(&mut frame, Rect::new(0, 1040, 1920, 40), [40, 40, 40]);
    let editor = Rect::new(60, 40, 800, 960);
    fill(&mut frame, editor, [255, 255, 255]);
    text(&mut frame, Rect::new(70, 80, 780, 900), 1_000, 56);
    let terminal = Rect::new(920, 60, 960, 912);
    fill(&mut frame, terminal, [250, 250, 250]);
    text(
        &mut frame,
        terminal,
        scroll_lines,
        terminal.height / GLYPH_H,
    );
    (frame, terminal)
}

/// `frame` with `window` dragged `dx` pixels to the right, the strip it uncovers showing the
/// desktop's background.
fn dragged(frame: &Frame, window: Rect, dx: u32) -> Frame {
    let mut out = frame.clone();
    let row = window.width as usize * 4;
    let stride = frame.stride();
    for y in window.y..window.y + window.height {
        let from = y as usize * stride + window.x as usize * 4;
        let to = from + dx as usize * 4;
        out.pixels_mut()[to..to + row].copy_from_slice(&frame.pixels()[from..from + row]);
    }
    fill(
        &mut out,
        Rect::new(window.x, window.y, dx, window.height),
        [128, 128, 0],
    );
    out
}

/// Full-motion noise: every pixel changes every frame (a moving gradient with 3 bits of noise in
/// the blue channel), which zstd barely compresses.
fn motion(t: u64) -> Frame {
    let mut frame = Frame::black(1920, 1080).expect("frame");
    let mut rng = Rng(t * 7 + 3);
    for (i, px) in frame.pixels_mut().chunks_exact_mut(4).enumerate() {
        let (x, y) = ((i % 1920) as u64, (i / 1920) as u64);
        let noise = rng.next() as u8 & 7;
        px[0] = (x + t * 3) as u8 ^ noise;
        px[1] = (y + t * 2) as u8;
        px[2] = ((x + y) / 4 + t) as u8;
    }
    frame
}

/// A disc moving through the video-like scene, bouncing off the picture's edges.
struct Disc {
    x: i64,
    y: i64,
    radius: i64,
    bgr: [i64; 3],
}

/// `start + speed * t`, reflected back into `0..limit` like a ball bouncing between two walls.
fn bounce(start: i64, speed: i64, t: i64, limit: i64) -> i64 {
    let p = (start + speed * t).rem_euclid(2 * limit);
    if p < limit {
        p
    } else {
        2 * limit - 1 - p
    }
}

/// Video-like full motion (a film or a game): a smooth gradient drifting under seven shaded
/// discs that move at their own speeds, with one bit of noise per colour channel (sensor grain,
/// a video decoder's dither). Every pixel changes every frame; zstd compresses it partly, about
/// 1.6× at level 1, where real video lands, unlike pure noise. Deterministic in `t`.
fn video(t: u64) -> Frame {
    let (w, h, t) = (1920i64, 1080i64, t as i64);
    let discs: Vec<Disc> = (0..7)
        .map(|k| Disc {
            x: bounce(300 + k * 230, 5 + k * 3, t, w),
            y: bounce(200 + k * 110, 3 + k, t, h),
            radius: 80 + k * 25,
            bgr: [40 + k * 30, 200 - k * 20, 90 + k * 15],
        })
        .collect();
    let mut frame = Frame::black(1920, 1080).expect("frame");
    let mut rng = Rng((t as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    for (i, px) in frame.pixels_mut().chunks_exact_mut(4).enumerate() {
        let (x, y) = (i as i64 % w, i as i64 / w);
        let mut bgr = [
            x * 200 / w + t * 2,
            y * 180 / h + t,
            (x + y) * 120 / (w + h) + t * 3,
        ];
        for d in &discs {
            let d2 = (x - d.x).pow(2) + (y - d.y).pow(2);
            if d2 < d.radius * d.radius {
                let shade = d2 * 80 / (d.radius * d.radius);
                bgr = [d.bgr[0] - shade, d.bgr[1] - shade, d.bgr[2] - shade / 2];
            }
        }
        let noise = rng.next();
        for (c, (out, v)) in px.iter_mut().zip(bgr).enumerate() {
            *out = (v + (noise >> (c * 8) & 1) as i64).clamp(0, 255) as u8;
        }
    }
    frame
}

struct Row {
    case: String,
    encode: Duration,
    encode_cpu: Option<Duration>,
    decode: Duration,
    bytes: usize,
    raw: usize,
}

fn median<T: Ord + Copy>(mut samples: Vec<T>) -> T {
    samples.sort();
    samples[samples.len() / 2]
}

/// CPU time this thread has used, from Linux's scheduler statistics; `None` elsewhere. The
/// yield first makes the kernel account the slice the thread is running in, which it otherwise
/// adds only at the next tick or switch (milliseconds late).
fn thread_cpu() -> Option<Duration> {
    std::thread::yield_now();
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let nanos = stat.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(nanos))
}

/// What reading `thread_cpu` twice costs by itself (tens of µs: a file read), measured once and
/// taken off every CPU time so that sub-millisecond rows stay readable.
fn cpu_overhead() -> Duration {
    static OVERHEAD: OnceLock<Duration> = OnceLock::new();
    *OVERHEAD
        .get_or_init(|| median((0..9).map(|_| cpu_between(|| ()).1).collect()).unwrap_or_default())
}

/// `work`'s result and the thread CPU time it took, overhead included.
fn cpu_between<T>(work: impl FnOnce() -> T) -> (T, Option<Duration>) {
    let before = thread_cpu();
    let out = work();
    let used = thread_cpu()
        .zip(before)
        .map(|(after, before)| after.saturating_sub(before));
    (out, used)
}

/// Wall-clock and thread CPU time of `work`.
fn timed<T>(work: impl FnOnce() -> T) -> (T, Duration, Option<Duration>) {
    let overhead = cpu_overhead();
    let ((out, wall), cpu) = cpu_between(|| {
        let started = Instant::now();
        (work(), started.elapsed())
    });
    (out, wall, cpu.map(|c| c.saturating_sub(overhead)))
}

/// Encodes `next` after `base` `reps` times (fresh encoder state each time) and decodes it.
fn measure(
    case: &'static str,
    config: EncoderConfig,
    base: &Frame,
    next: &Frame,
    damage: Option<&[Rect]>,
    moves: &[MoveHint],
    reps: usize,
) -> Row {
    let (mut encodes, mut cpus, mut decodes) = (Vec::new(), Vec::new(), Vec::new());
    let mut bytes = 0;
    let mut raw = 0;
    for _ in 0..reps {
        let mut encoder = Encoder::new(config).expect("encoder");
        let mut decoder = Decoder::new().expect("decoder");
        let key = encoder
            .encode(base.clone(), None, &[])
            .expect("encode")
            .expect("key");
        decoder.apply(&key).expect("decode key");
        let input = next.clone();
        let (frame, wall, cpu) = timed(|| encoder.encode(input, damage, moves).expect("encode"));
        encodes.push(wall);
        cpus.push(cpu);
        let Some(frame) = frame else {
            decodes.push(Duration::ZERO);
            (bytes, raw) = (0, 0);
            continue;
        };
        let started = Instant::now();
        decoder.apply(&frame).expect("decode");
        decodes.push(started.elapsed());
        assert!(
            decoder.picture().expect("picture").same_colours(next),
            "{case}: lossless"
        );
        (bytes, raw) = (frame.payload_bytes(), raw_bytes(&frame));
    }
    Row {
        case: case.to_owned(),
        encode: median(encodes),
        encode_cpu: median(cpus),
        decode: median(decodes),
        bytes,
        raw,
    }
}

/// Full motion as it plays: a key frame of `scene(0)`, then `frames` frames in a row through one
/// encoder and one decoder, each checked lossless; medians per frame. The encoder's state
/// carries from frame to frame, as it does in the agent.
fn measure_motion(case: &str, config: EncoderConfig, scene: fn(u64) -> Frame, frames: u64) -> Row {
    let mut encoder = Encoder::new(config).expect("encoder");
    let mut decoder = Decoder::new().expect("decoder");
    let key = encoder
        .encode(scene(0), None, &[])
        .expect("encode")
        .expect("key");
    decoder.apply(&key).expect("decode key");
    let (mut encodes, mut cpus, mut decodes) = (Vec::new(), Vec::new(), Vec::new());
    let (mut bytes, mut raw) = (Vec::new(), 0);
    for t in 1..=frames {
        let picture = scene(t);
        let input = picture.clone();
        let (frame, wall, cpu) = timed(|| encoder.encode(input, None, &[]).expect("encode"));
        let frame = frame.expect("every pixel changed");
        encodes.push(wall);
        cpus.push(cpu);
        let started = Instant::now();
        decoder.apply(&frame).expect("decode");
        decodes.push(started.elapsed());
        assert!(
            decoder.picture().expect("picture").same_colours(&picture),
            "{case}: lossless at frame {t}"
        );
        bytes.push(frame.payload_bytes());
        raw = raw_bytes(&frame);
    }
    Row {
        case: case.to_owned(),
        encode: median(encodes),
        encode_cpu: median(cpus),
        decode: median(decodes),
        bytes: median(bytes),
        raw,
    }
}

fn raw_bytes(frame: &EncodedFrame) -> usize {
    frame.rects.iter().map(|r| r.rect.area() as usize * 4).sum()
}

fn key_row(frame: &Frame, reps: usize) -> Row {
    let (mut encodes, mut cpus, mut decodes) = (Vec::new(), Vec::new(), Vec::new());
    let mut bytes = 0;
    for _ in 0..reps {
        let mut encoder = Encoder::new(EncoderConfig::default()).expect("encoder");
        let input = frame.clone();
        let (key, wall, cpu) = timed(|| encoder.encode(input, None, &[]).expect("encode"));
        let key = key.expect("key");
        encodes.push(wall);
        cpus.push(cpu);
        let mut decoder = Decoder::new().expect("decoder");
        let started = Instant::now();
        decoder.apply(&key).expect("decode");
        decodes.push(started.elapsed());
        bytes = key.payload_bytes();
    }
    Row {
        case: "key frame, office desktop".to_owned(),
        encode: median(encodes),
        encode_cpu: median(cpus),
        decode: median(decodes),
        bytes,
        raw: 1920 * 1080 * 4,
    }
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let levels = std::env::args().any(|a| a == "--levels");
    let reps = if full { 15 } else { 1 };
    // Two frames at least, so the smoke pass also encodes a frame after a delta frame.
    let motion_frames = reps.max(2) as u64;
    let (base, terminal) = desktop(0);
    let scroll_off = EncoderConfig {
        detect_scroll: false,
        ..EncoderConfig::default()
    };
    let on = EncoderConfig::default();

    let mut typed = base.clone();
    let mut rng = Rng(42);
    glyph(
        &mut typed,
        70 + 40 * GLYPH_W,
        80 + 10 * GLYPH_H,
        [0, 0, 200],
        &mut rng,
    );
    let typed_damage = [Rect::new(
        70 + 40 * GLYPH_W,
        80 + 10 * GLYPH_H,
        GLYPH_W,
        GLYPH_H,
    )];
    let (scrolled, _) = desktop(3);
    let scroll_damage = [terminal];
    // What DXGI reports for that scroll: all but the 3 new lines moved up by 3 lines.
    let scroll_hint = [MoveHint {
        src_x: terminal.x,
        src_y: terminal.y + 3 * GLYPH_H,
        dest: Rect::new(
            terminal.x,
            terminal.y,
            terminal.width,
            (terminal.height / GLYPH_H - 3) * GLYPH_H,
        ),
    }];
    let editor = Rect::new(60, 40, 800, 960);
    let drag = dragged(&base, editor, 40);
    let drag_damage = [Rect::new(
        editor.x,
        editor.y,
        editor.width + 40,
        editor.height,
    )];
    let drag_hint = [MoveHint {
        src_x: editor.x,
        src_y: editor.y,
        dest: Rect::new(editor.x + 40, editor.y, editor.width, editor.height),
    }];

    let rows = vec![
        key_row(&base, reps),
        measure(
            "unchanged, no damage hints (full compare)",
            on,
            &base,
            &base,
            None,
            &[],
            reps,
        ),
        measure(
            "unchanged, empty damage hints",
            on,
            &base,
            &base,
            Some(&[]),
            &[],
            reps,
        ),
        measure(
            "one typed character, no hints",
            on,
            &base,
            &typed,
            None,
            &[],
            reps,
        ),
        measure(
            "one typed character, damage hint",
            on,
            &base,
            &typed,
            Some(&typed_damage),
            &[],
            reps,
        ),
        measure(
            "terminal scrolls 3 lines, detection on",
            on,
            &base,
            &scrolled,
            Some(&scroll_damage),
            &[],
            reps,
        ),
        measure(
            "terminal scrolls 3 lines, detection off",
            scroll_off,
            &base,
            &scrolled,
            Some(&scroll_damage),
            &[],
            reps,
        ),
        measure(
            "terminal scrolls 3 lines, source's move hint",
            on,
            &base,
            &scrolled,
            Some(&scroll_damage),
            &scroll_hint,
            reps,
        ),
        measure(
            "editor dragged 40 px right, no hint",
            on,
            &base,
            &drag,
            Some(&drag_damage),
            &[],
            reps,
        ),
        measure(
            "editor dragged 40 px right, source's move hint",
            on,
            &base,
            &drag,
            Some(&drag_damage),
            &drag_hint,
            reps,
        ),
    ];
    let one_level = EncoderConfig {
        fast_zstd_level: None,
        ..on
    };
    let mut rows = rows;
    for (scene, frames) in [
        ("noise (every pixel changes)", motion as fn(u64) -> Frame),
        ("video-like scene", video),
    ] {
        let case = format!("full motion, {scene}");
        rows.push(measure_motion(&case, on, frames, motion_frames));
        let case = format!("full motion, {scene}, zstd level 1 throughout");
        rows.push(measure_motion(&case, one_level, frames, motion_frames));
        // `--levels`: every fast level from -1 to -5, to choose the default from.
        for level in (-5..=-1).rev().filter(|_| levels) {
            let config = EncoderConfig {
                fast_zstd_level: Some(level),
                ..on
            };
            let case = format!("full motion, {scene}, fast level {level}");
            rows.push(measure_motion(&case, config, frames, motion_frames));
        }
    }
    if !full {
        assert!(
            rows[1].bytes == 0 && rows[2].bytes == 0,
            "idle frames send nothing"
        );
        assert!(
            rows[5].bytes < rows[6].bytes,
            "scroll detection saves bytes"
        );
        assert!(rows[7].bytes < rows[6].bytes, "a scroll hint saves bytes");
        assert!(rows[9].bytes < rows[8].bytes, "a drag hint saves bytes");
        for (fast, one) in [(10, 11), (12, 13)] {
            assert!(
                rows[fast].bytes != rows[one].bytes,
                "{}: the fast level took over",
                rows[fast].case
            );
        }
    }
    println!("\nCodec at 1920×1080, medians of {reps} run(s); bytes are the frame's compressed pixel payload\n");
    println!("| case | encode | encode CPU | decode | bytes | raw BGRA of the rects | ratio |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for r in rows {
        let ratio = if r.bytes == 0 {
            "–".to_owned()
        } else {
            format!("{:.1}×", r.raw as f64 / r.bytes as f64)
        };
        let cpu = r.encode_cpu.map_or("–".to_owned(), |d| {
            format!("{:.2} ms", d.as_secs_f64() * 1e3)
        });
        println!(
            "| {} | {:.2} ms | {cpu} | {:.2} ms | {} | {} | {ratio} |",
            r.case,
            r.encode.as_secs_f64() * 1e3,
            r.decode.as_secs_f64() * 1e3,
            r.bytes,
            r.raw,
        );
    }
}
