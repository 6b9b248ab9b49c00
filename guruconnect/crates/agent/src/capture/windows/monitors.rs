//! Monitors from EnumDisplayMonitors.

use crate::capture::{CaptureError, DisplayInfo};
use windows::core::BOOL;
use windows::Win32::Foundation::{LPARAM, RECT};
use windows::Win32::Graphics::Gdi::{
    EnumDisplayMonitors, GetMonitorInfoW, HDC, HMONITOR, MONITORINFO, MONITORINFOEXW,
};

/// MONITORINFOF_PRIMARY: the monitor at the desktop's origin.
const PRIMARY: u32 = 1;

pub fn list() -> Result<Vec<DisplayInfo>, CaptureError> {
    let mut handles: Vec<HMONITOR> = Vec::new();
    // SAFETY: the callback only runs during this call and `handles` outlives it; the LPARAM
    // carries a pointer to it and nothing else.
    let ok = unsafe {
        EnumDisplayMonitors(
            None,
            None,
            Some(collect),
            LPARAM(&mut handles as *mut Vec<HMONITOR> as isize),
        )
    };
    if !ok.as_bool() {
        return Err(CaptureError::Failed("EnumDisplayMonitors failed".into()));
    }
    let mut displays: Vec<DisplayInfo> = handles.iter().filter_map(|h| describe(*h)).collect();
    displays.sort_by_key(|d| (!d.primary, d.x, d.y));
    for (i, d) in displays.iter_mut().enumerate() {
        d.id = i.to_string();
    }
    Ok(displays)
}

unsafe extern "system" fn collect(monitor: HMONITOR, _: HDC, _: *mut RECT, data: LPARAM) -> BOOL {
    // SAFETY: `data` is the `&mut Vec<HMONITOR>` passed by `list`, alive for the enumeration.
    let handles = unsafe { &mut *(data.0 as *mut Vec<HMONITOR>) };
    handles.push(monitor);
    BOOL(1)
}

fn describe(monitor: HMONITOR) -> Option<DisplayInfo> {
    let mut info = MONITORINFOEXW::default();
    info.monitorInfo.cbSize = std::mem::size_of::<MONITORINFOEXW>() as u32;
    // SAFETY: `info` is a MONITORINFOEXW with cbSize set, which GetMonitorInfoW accepts through
    // a MONITORINFO pointer.
    let ok = unsafe {
        GetMonitorInfoW(
            monitor,
            &mut info as *mut MONITORINFOEXW as *mut MONITORINFO,
        )
    };
    if !ok.as_bool() {
        return None;
    }
    let r = info.monitorInfo.rcMonitor;
    let name_len = info
        .szDevice
        .iter()
        .position(|c| *c == 0)
        .unwrap_or(info.szDevice.len());
    Some(DisplayInfo {
        id: String::new(),
        name: String::from_utf16_lossy(&info.szDevice[..name_len]),
        x: r.left,
        y: r.top,
        width: (r.right - r.left).max(0) as u32,
        height: (r.bottom - r.top).max(0) as u32,
        primary: info.monitorInfo.dwFlags & PRIMARY != 0,
    })
}
