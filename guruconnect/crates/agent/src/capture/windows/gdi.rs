//! GDI capture: BitBlt of the display's area of the screen into a 32-bit top-down DIB. Slower
//! than duplication and blind to what changed, but it works where duplication does not.

use crate::capture::{CaptureError, DisplayInfo};
use guruconnect_codec::Frame;
use windows::Win32::Graphics::Gdi::{
    BitBlt, CreateCompatibleBitmap, CreateCompatibleDC, DeleteDC, DeleteObject, GetDC, GetDIBits,
    ReleaseDC, SelectObject, BITMAPINFO, BITMAPINFOHEADER, BI_RGB, CAPTUREBLT, DIB_RGB_COLORS,
    SRCCOPY,
};

pub fn capture(display: &DisplayInfo) -> Result<Frame, CaptureError> {
    let (w, h) = (display.width as i32, display.height as i32);
    let mut pixels = vec![0u8; display.width as usize * display.height as usize * 4];
    // SAFETY: every handle created here is released before returning; `pixels` is large enough
    // for `h` rows of `w` 32-bit pixels, which is what the BITMAPINFO asks GetDIBits for.
    let copied = unsafe {
        let screen = GetDC(None);
        let memory = CreateCompatibleDC(Some(screen));
        let bitmap = CreateCompatibleBitmap(screen, w, h);
        let previous = SelectObject(memory, bitmap.into());
        let blit = BitBlt(
            memory,
            0,
            0,
            w,
            h,
            Some(screen),
            display.x,
            display.y,
            SRCCOPY | CAPTUREBLT,
        );
        let mut info = BITMAPINFO {
            bmiHeader: BITMAPINFOHEADER {
                biSize: std::mem::size_of::<BITMAPINFOHEADER>() as u32,
                biWidth: w,
                biHeight: -h, // negative: rows top-down, as Frame wants them
                biPlanes: 1,
                biBitCount: 32,
                biCompression: BI_RGB.0,
                ..Default::default()
            },
            ..Default::default()
        };
        let rows = GetDIBits(
            memory,
            bitmap,
            0,
            h as u32,
            Some(pixels.as_mut_ptr().cast()),
            &mut info,
            DIB_RGB_COLORS,
        );
        SelectObject(memory, previous);
        let _ = DeleteObject(bitmap.into());
        let _ = DeleteDC(memory);
        ReleaseDC(None, screen);
        blit.is_ok() && rows == h
    };
    if !copied {
        return Err(CaptureError::Failed("GDI BitBlt/GetDIBits failed".into()));
    }
    Frame::from_bgra(display.width, display.height, pixels)
        .map_err(|e| CaptureError::Failed(e.to_string()))
}
