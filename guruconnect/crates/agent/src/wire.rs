//! Conversions from the agent's types to protocol messages.

use crate::capture::{CursorState, DisplayInfo};
use guruconnect_codec::{EncodedFrame, RectPayload};
use guruconnect_proto as proto;

pub fn video_frame(
    frame: EncodedFrame,
    display_id: &str,
    sequence: u64,
    capture_timestamp_us: u64,
) -> proto::VideoFrame {
    let rects = frame
        .rects
        .into_iter()
        .map(|r| {
            let rect = Some(proto::Rect {
                x: r.rect.x,
                y: r.rect.y,
                width: r.rect.width,
                height: r.rect.height,
            });
            match r.payload {
                RectPayload::Zstd(data) => proto::FrameRect {
                    rect,
                    data: data.into(),
                    ..Default::default()
                },
                RectPayload::Copy { src_x, src_y } => proto::FrameRect {
                    rect,
                    is_copy: true,
                    src_x,
                    src_y,
                    ..Default::default()
                },
                RectPayload::Fill([b, g, r]) => proto::FrameRect {
                    rect,
                    is_fill: true,
                    fill_bgr: u32::from(b) | u32::from(g) << 8 | u32::from(r) << 16,
                    ..Default::default()
                },
                RectPayload::Stream => proto::FrameRect {
                    rect,
                    in_stream: true,
                    ..Default::default()
                },
            }
        })
        .collect();
    proto::VideoFrame {
        encoding: proto::FrameEncoding::ZstdBgr as i32,
        display_id: display_id.into(),
        width: frame.width,
        height: frame.height,
        rects,
        key_frame: frame.key,
        sequence,
        capture_timestamp_us,
        stream: frame.stream.into(),
    }
}

pub fn display_list(displays: &[DisplayInfo], selected: &str) -> proto::DisplayList {
    proto::DisplayList {
        displays: displays
            .iter()
            .map(|d| proto::Display {
                id: d.id.clone(),
                name: d.name.clone(),
                x: d.x,
                y: d.y,
                width: d.width,
                height: d.height,
                primary: d.primary,
            })
            .collect(),
        selected_display_id: selected.into(),
    }
}

pub fn cursor_shape(cursor: &CursorState) -> proto::CursorShape {
    proto::CursorShape {
        shape_id: cursor.serial,
        width: cursor.width,
        height: cursor.height,
        hotspot_x: cursor.hotspot_x,
        hotspot_y: cursor.hotspot_y,
        bgra: cursor.bgra.clone().into(),
    }
}

/// The pointer relative to `display`; invisible when it is on another display.
pub fn cursor_position(cursor: &CursorState, display: &DisplayInfo) -> proto::CursorPosition {
    let (x, y) = (cursor.x - display.x, cursor.y - display.y);
    let inside = x >= 0 && y >= 0 && (x as u32) < display.width && (y as u32) < display.height;
    proto::CursorPosition {
        display_id: display.id.clone(),
        x,
        y,
        visible: inside,
        shape_id: cursor.serial,
    }
}

/// The codec frame inside a `VideoFrame` of our encoding (for viewers written in Rust and for
/// tests); `None` for other encodings.
pub fn encoded_frame(frame: &proto::VideoFrame) -> Option<EncodedFrame> {
    if frame.encoding != proto::FrameEncoding::ZstdBgr as i32 {
        return None;
    }
    let rects = frame
        .rects
        .iter()
        .map(|r| {
            let rect = r.rect.unwrap_or_default();
            guruconnect_codec::EncodedRect {
                rect: guruconnect_codec::Rect::new(rect.x, rect.y, rect.width, rect.height),
                payload: if r.is_copy {
                    RectPayload::Copy {
                        src_x: r.src_x,
                        src_y: r.src_y,
                    }
                } else if r.is_fill {
                    let [b, g, r, _] = r.fill_bgr.to_le_bytes();
                    RectPayload::Fill([b, g, r])
                } else if r.in_stream {
                    RectPayload::Stream
                } else {
                    RectPayload::Zstd(r.data.to_vec())
                },
            }
        })
        .collect();
    Some(EncodedFrame {
        width: frame.width,
        height: frame.height,
        key: frame.key_frame,
        rects,
        stream: frame.stream.to_vec(),
    })
}
