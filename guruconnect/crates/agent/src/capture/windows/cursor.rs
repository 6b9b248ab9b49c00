//! The pointer's position and shape: GetCursorInfo, then the cursor's bitmaps (GetIconInfo) read
//! as top-down 32-bit DIBs. Colour cursors keep their alpha (or take it from the mask when the
//! bitmap has none); monochrome cursors are drawn from their AND/XOR masks. Shapes are cached by
//! cursor handle, so an unchanged pointer costs one GetCursorInfo per poll.

use crate::capture::{CaptureError, CursorState};
use windows::Win32::Graphics::Gdi::{
    CreateCompatibleDC, DeleteDC, DeleteObject, GetDIBits, GetObjectW, BITMAP, BITMAPINFO,
    BITMAPINFOHEADER, BI_RGB, DIB_RGB_COLORS, HBITMAP, HDC,
};
use windows::Win32::UI::WindowsAndMessaging::{
    GetCursorInfo, GetIconInfo, CURSORINFO, CURSOR_SHOWING, HCURSOR, ICONINFO,
};

/// The last shape read, by cursor handle.
#[derive(Default)]
pub struct CursorCache {
    handle: usize,
    shape: Option<Shape>,
}

#[derive(Clone)]
struct Shape {
    width: u32,
    height: u32,
    hotspot: (u32, u32),
    bgra: Vec<u8>,
}

impl CursorCache {
    pub fn cursor(&mut self) -> Result<Option<CursorState>, CaptureError> {
        let mut info = CURSORINFO {
            cbSize: std::mem::size_of::<CURSORINFO>() as u32,
            ..Default::default()
        };
        // SAFETY: `info` is a CURSORINFO with cbSize set.
        if unsafe { GetCursorInfo(&mut info) }.is_err() || info.flags.0 & CURSOR_SHOWING.0 == 0 {
            return Ok(None);
        }
        let handle = info.hCursor.0 as usize;
        if handle != self.handle || self.shape.is_none() {
            self.handle = handle;
            self.shape = read_shape(info.hCursor);
        }
        let shape = self.shape.clone().unwrap_or(Shape {
            width: 0,
            height: 0,
            hotspot: (0, 0),
            bgra: Vec::new(),
        });
        Ok(Some(CursorState {
            x: info.ptScreenPos.x,
            y: info.ptScreenPos.y,
            serial: handle as u64,
            width: shape.width,
            height: shape.height,
            hotspot_x: shape.hotspot.0,
            hotspot_y: shape.hotspot.1,
            bgra: shape.bgra,
        }))
    }
}

fn read_shape(cursor: HCURSOR) -> Option<Shape> {
    let mut icon = ICONINFO::default();
    // SAFETY: GetIconInfo fills `icon` and hands us two bitmaps, deleted below.
    unsafe { GetIconInfo(cursor.into(), &mut icon) }.ok()?;
    // SAFETY: a memory DC for GetDIBits, deleted before returning.
    let dc = unsafe { CreateCompatibleDC(None) };
    let shape = if icon.hbmColor.is_invalid() {
        monochrome(dc, icon.hbmMask, (icon.xHotspot, icon.yHotspot))
    } else {
        colour(
            dc,
            icon.hbmColor,
            icon.hbmMask,
            (icon.xHotspot, icon.yHotspot),
        )
    };
    // SAFETY: the DC and bitmaps are ours and no longer used.
    unsafe {
        let _ = DeleteDC(dc);
        if !icon.hbmColor.is_invalid() {
            let _ = DeleteObject(icon.hbmColor.into());
        }
        let _ = DeleteObject(icon.hbmMask.into());
    }
    shape
}

/// A bitmap's size and its pixels as top-down 32-bit rows.
fn pixels(dc: HDC, bitmap: HBITMAP) -> Option<(u32, u32, Vec<u8>)> {
    let mut header = BITMAP::default();
    // SAFETY: `header` is a BITMAP and we pass its size.
    let got = unsafe {
        GetObjectW(
            bitmap.into(),
            std::mem::size_of::<BITMAP>() as i32,
            Some(&mut header as *mut BITMAP as *mut _),
        )
    };
    if got == 0
        || header.bmWidth <= 0
        || header.bmHeight <= 0
        || header.bmWidth > 256
        || header.bmHeight > 512
    {
        return None;
    }
    let (w, h) = (header.bmWidth, header.bmHeight);
    let mut data = vec![0u8; w as usize * h as usize * 4];
    let mut info = BITMAPINFO {
        bmiHeader: BITMAPINFOHEADER {
            biSize: std::mem::size_of::<BITMAPINFOHEADER>() as u32,
            biWidth: w,
            biHeight: -h,
            biPlanes: 1,
            biBitCount: 32,
            biCompression: BI_RGB.0,
            ..Default::default()
        },
        ..Default::default()
    };
    // SAFETY: `data` holds h rows of w 32-bit pixels, which is what `info` asks for.
    let rows = unsafe {
        GetDIBits(
            dc,
            bitmap,
            0,
            h as u32,
            Some(data.as_mut_ptr().cast()),
            &mut info,
            DIB_RGB_COLORS,
        )
    };
    (rows == h).then_some((w as u32, h as u32, data))
}

fn colour(dc: HDC, colour: HBITMAP, mask: HBITMAP, hotspot: (u32, u32)) -> Option<Shape> {
    let (width, height, mut bgra) = pixels(dc, colour)?;
    if bgra.chunks_exact(4).all(|p| p[3] == 0) {
        // No alpha channel: the AND mask says which pixels are transparent.
        let (_, _, and) = pixels(dc, mask)?;
        for (p, m) in bgra.chunks_exact_mut(4).zip(and.chunks_exact(4)) {
            p[3] = if m[0] == 0 { 0xff } else { 0 };
        }
    }
    Some(Shape {
        width,
        height,
        hotspot,
        bgra,
    })
}

/// Monochrome cursors: the mask bitmap is the AND mask over the XOR mask, twice the height.
fn monochrome(dc: HDC, mask: HBITMAP, hotspot: (u32, u32)) -> Option<Shape> {
    let (width, double, masks) = pixels(dc, mask)?;
    let height = double / 2;
    let plane = width as usize * height as usize * 4;
    let (and, xor) = masks.split_at(plane);
    let bgra = and
        .chunks_exact(4)
        .zip(xor.chunks_exact(4))
        .flat_map(|(a, x)| match (a[0] != 0, x[0] != 0) {
            (true, false) => [0, 0, 0, 0],             // transparent
            (false, false) => [0, 0, 0, 0xff],         // black
            (false, true) => [0xff, 0xff, 0xff, 0xff], // white
            (true, true) => [0, 0, 0, 0x80],           // screen-inverting: a dark shade
        })
        .collect();
    Some(Shape {
        width,
        height,
        hotspot,
        bgra,
    })
}
