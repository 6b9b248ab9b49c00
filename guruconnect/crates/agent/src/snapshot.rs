//! `--test-capture out.png`: one capture per display written as PNG files, for troubleshooting
//! (does the agent see the screen at all?).

use crate::capture::Capturer;
use anyhow::Context;
use guruconnect_codec::Frame;
use std::path::{Path, PathBuf};

/// Writes `out.png` for the first display and `out-1.png`, `out-2.png`… for the others.
pub fn capture_all(capturer: &mut dyn Capturer, out: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let displays = capturer.displays().context("listing displays")?;
    let mut written = Vec::new();
    for (i, display) in displays.iter().enumerate() {
        let frame = capturer
            .capture(display)
            .with_context(|| format!("capturing display {}", display.name))?;
        let path = numbered(out, i);
        write_png(&frame, &path).with_context(|| format!("writing {}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}

fn numbered(out: &Path, i: usize) -> PathBuf {
    if i == 0 {
        return out.to_path_buf();
    }
    let stem = out
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("capture");
    out.with_file_name(format!("{stem}-{i}.png"))
}

/// Writes a frame as an RGB PNG.
pub fn write_png(frame: &Frame, path: &Path) -> anyhow::Result<()> {
    let file = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut encoder = png::Encoder::new(file, frame.width(), frame.height());
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let rgb: Vec<u8> = frame
        .pixels()
        .chunks_exact(4)
        .flat_map(|p| [p[2], p[1], p[0]])
        .collect();
    encoder.write_header()?.write_image_data(&rgb)?;
    Ok(())
}
