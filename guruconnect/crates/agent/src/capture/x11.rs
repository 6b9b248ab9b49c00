//! X11 capture: monitors from RandR, change regions from XDamage (so an idle screen is never
//! read), pictures over MIT-SHM (`x11_shm.rs`) or GetImage on the root window, and the pointer
//! from XFixes.

use super::x11_shm::ShmBuffer;
use super::x11_windows::WindowTracker;
use super::{CaptureError, Captured, Capturer, CursorState, DisplayInfo, Spare};
use guruconnect_codec::{Frame, Rect};
use std::collections::HashMap;
use x11rb::connection::{Connection, RequestConnection};
use x11rb::protocol::damage::{self, ConnectionExt as _};
use x11rb::protocol::randr::ConnectionExt as _;
use x11rb::protocol::xfixes::{self, ConnectionExt as _};
use x11rb::protocol::xproto::{ConnectionExt as _, ImageFormat, ImageOrder, Window};
use x11rb::rust_connection::RustConnection;

pub struct X11Capturer {
    conn: RustConnection,
    /// The display's name as given or from `$DISPLAY` (":0"), to find who is logged in on it.
    display_name: String,
    root: Window,
    damage: damage::Damage,
    region: xfixes::Region,
    /// The last picture of each display, refreshed only where damage says it changed.
    pictures: HashMap<String, Frame>,
    /// Memory for the next copy handed out.
    spare: Spare,
    /// Where the top-level windows are, for move hints.
    windows: WindowTracker,
    /// Shared-memory transfer of pictures when the server offers it; GetImage otherwise.
    shm: Option<ShmBuffer>,
}

impl Drop for X11Capturer {
    fn drop(&mut self) {
        if let Some(shm) = &self.shm {
            shm.detach(&self.conn);
        }
    }
}

/// Above this many damage rectangles, one GetImage of their bounding box is cheaper.
const MAX_DAMAGE_FETCHES: usize = 16;

impl std::fmt::Debug for X11Capturer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("X11Capturer")
            .field("root", &self.root)
            .finish()
    }
}

fn failed(e: impl std::fmt::Display) -> CaptureError {
    CaptureError::Failed(e.to_string())
}

impl X11Capturer {
    /// Connects to `display` (e.g. ":99"), or `$DISPLAY` when `None`, using MIT-SHM when the
    /// server offers it (unless `GURUCONNECT_X11_NO_SHM` is set).
    pub fn connect(display: Option<&str>) -> Result<Self, CaptureError> {
        Self::connect_with(
            display,
            std::env::var_os("GURUCONNECT_X11_NO_SHM").is_none(),
        )
    }

    /// Like `connect`, choosing whether to try MIT-SHM.
    pub fn connect_with(display: Option<&str>, try_shm: bool) -> Result<Self, CaptureError> {
        let (conn, screen) = crate::x11_connect::connect(display).map_err(CaptureError::Connect)?;
        let setup = conn.setup();
        if setup.image_byte_order != ImageOrder::LSB_FIRST {
            return Err(CaptureError::Unsupported("little-endian images".into()));
        }
        let root = setup.roots[screen].root;
        for ext in [damage::X11_EXTENSION_NAME, xfixes::X11_EXTENSION_NAME] {
            if conn.extension_information(ext).map_err(failed)?.is_none() {
                return Err(CaptureError::Unsupported(ext.into()));
            }
        }
        // Both extensions require the version handshake before any other request.
        conn.xfixes_query_version(5, 0)
            .map_err(failed)?
            .reply()
            .map_err(failed)?;
        conn.damage_query_version(1, 1)
            .map_err(failed)?
            .reply()
            .map_err(failed)?;
        let damage = conn.generate_id().map_err(failed)?;
        conn.damage_create(damage, root, damage::ReportLevel::NON_EMPTY)
            .map_err(failed)?;
        let region = conn.generate_id().map_err(failed)?;
        conn.xfixes_create_region(region, &[]).map_err(failed)?;
        let windows = WindowTracker::start(&conn, root)?;
        conn.flush().map_err(failed)?;
        let display_name = crate::x11_connect::display_name(display).unwrap_or_default();
        let mut capturer = Self {
            conn,
            display_name,
            root,
            damage,
            region,
            pictures: HashMap::new(),
            spare: Spare::default(),
            windows,
            shm: None,
        };
        if try_shm {
            let (width, height) = capturer.root_size()?;
            capturer.shm = ShmBuffer::create(&capturer.conn, width as usize * height as usize * 4)
                .unwrap_or_else(|e| {
                    tracing::info!(error = %e, "MIT-SHM unavailable; capturing with GetImage");
                    None
                });
        }
        Ok(capturer)
    }

    /// Whether pictures travel through shared memory.
    pub fn uses_shm(&self) -> bool {
        self.shm.is_some()
    }

    /// Reads `rect` of `display` into the same rectangle of `picture`, straight from the shared
    /// segment when there is one (a failing segment is given up for GetImage for good).
    fn read_into(
        &mut self,
        display: &DisplayInfo,
        rect: Rect,
        picture: &mut Frame,
    ) -> Result<(), CaptureError> {
        let (x, y) = (display.x + rect.x as i32, display.y + rect.y as i32);
        if let Some(shm) = &self.shm {
            let narrow = |v: i32| i16::try_from(v).map_err(failed);
            let area = (
                narrow(x)?,
                narrow(y)?,
                u16::try_from(rect.width).map_err(failed)?,
                u16::try_from(rect.height).map_err(failed)?,
            );
            match shm.get_image(&self.conn, self.root, area) {
                Ok(data) => {
                    return picture
                        .write_rect(rect, rect.width as usize * 4, data)
                        .map_err(failed)
                }
                Err(e) => {
                    tracing::warn!(error = %e, "MIT-SHM capture failed; using GetImage from now on");
                    shm.detach(&self.conn);
                    self.shm = None;
                }
            }
        }
        let (stride, data) = self.get_image_socket(x, y, rect.width, rect.height)?;
        picture.write_rect(rect, stride, &data).map_err(failed)
    }

    /// GetImage through the X socket.
    fn get_image_socket(
        &self,
        x: i32,
        y: i32,
        width: u32,
        height: u32,
    ) -> Result<(usize, Vec<u8>), CaptureError> {
        let narrow = |v: i32| i16::try_from(v).map_err(failed);
        let image = self
            .conn
            .get_image(
                ImageFormat::Z_PIXMAP,
                self.root,
                narrow(x)?,
                narrow(y)?,
                u16::try_from(width).map_err(failed)?,
                u16::try_from(height).map_err(failed)?,
                !0,
            )
            .map_err(failed)?
            .reply()
            .map_err(failed)?;
        if image.depth != 24 && image.depth != 32 {
            return Err(CaptureError::Unsupported(format!(
                "{}-bit colour (24 or 32 needed)",
                image.depth
            )));
        }
        let stride = image.data.len() / height.max(1) as usize;
        Ok((stride, image.data))
    }

    fn root_size(&self) -> Result<(u32, u32), CaptureError> {
        let geometry = self
            .conn
            .get_geometry(self.root)
            .map_err(failed)?
            .reply()
            .map_err(failed)?;
        Ok((u32::from(geometry.width), u32::from(geometry.height)))
    }

    fn atom_name(&self, atom: u32) -> String {
        self.conn
            .get_atom_name(atom)
            .ok()
            .and_then(|c| c.reply().ok())
            .map(|r| String::from_utf8_lossy(&r.name).into_owned())
            .unwrap_or_default()
    }
}

fn bounding_box(rects: &[Rect]) -> Rect {
    let x0 = rects.iter().map(|r| r.x).min().unwrap_or(0);
    let y0 = rects.iter().map(|r| r.y).min().unwrap_or(0);
    let x1 = rects.iter().map(|r| r.right()).max().unwrap_or(0) as u32;
    let y1 = rects.iter().map(|r| r.bottom()).max().unwrap_or(0) as u32;
    Rect::new(x0, y0, x1 - x0, y1 - y0)
}

/// Drops monitors that contain another monitor: a monitor spanning several others (an output
/// covering the whole screen beside user-defined monitors) is not a display of its own.
fn without_aggregates(monitors: Vec<DisplayInfo>) -> Vec<DisplayInfo> {
    let contains = |outer: &DisplayInfo, inner: &DisplayInfo| {
        outer.x <= inner.x
            && outer.y <= inner.y
            && i64::from(outer.x) + i64::from(outer.width)
                >= i64::from(inner.x) + i64::from(inner.width)
            && i64::from(outer.y) + i64::from(outer.height)
                >= i64::from(inner.y) + i64::from(inner.height)
            && outer != inner
    };
    monitors
        .iter()
        .filter(|m| !monitors.iter().any(|other| contains(m, other)))
        .cloned()
        .collect()
}

impl Capturer for X11Capturer {
    fn displays(&mut self) -> Result<Vec<DisplayInfo>, CaptureError> {
        let monitors = self
            .conn
            .randr_get_monitors(self.root, true)
            .map_err(failed)?
            .reply()
            .map_err(failed)?
            .monitors;
        let all: Vec<DisplayInfo> = monitors
            .iter()
            .map(|m| DisplayInfo {
                id: String::new(),
                name: self.atom_name(m.name),
                x: i32::from(m.x),
                y: i32::from(m.y),
                width: u32::from(m.width),
                height: u32::from(m.height),
                primary: m.primary,
            })
            .collect();
        let mut displays = without_aggregates(all);
        for (i, display) in displays.iter_mut().enumerate() {
            display.id = i.to_string();
        }
        if displays.is_empty() {
            let (width, height) = self.root_size()?;
            displays.push(DisplayInfo {
                id: "0".into(),
                name: "screen".into(),
                x: 0,
                y: 0,
                width,
                height,
                primary: true,
            });
        }
        displays.sort_by_key(|d| !d.primary);
        Ok(displays)
    }

    fn damage(&mut self, display: &DisplayInfo) -> Result<Option<Vec<Rect>>, CaptureError> {
        self.conn
            .damage_subtract(self.damage, x11rb::NONE, self.region)
            .map_err(failed)?;
        let fetched = self
            .conn
            .xfixes_fetch_region(self.region)
            .map_err(failed)?
            .reply()
            .map_err(failed)?;
        // Every event the server sent before this reply has arrived with it: the windows' moves
        // are known up to the damage just fetched. DamageNotify is not needed (we poll).
        while let Some(event) = self.conn.poll_for_event().map_err(failed)? {
            self.windows.event(&event);
        }
        let bounds = display.bounds();
        let damage = fetched
            .rectangles
            .iter()
            .filter(|r| r.x >= 0 && r.y >= 0)
            .filter_map(|r| {
                let rect = Rect::new(r.x as u32, r.y as u32, r.width.into(), r.height.into());
                rect.intersect(&bounds)
            })
            .map(|r| Rect::new(r.x - bounds.x, r.y - bounds.y, r.width, r.height))
            .collect();
        Ok(Some(damage))
    }

    fn capture(&mut self, display: &DisplayInfo) -> Result<Frame, CaptureError> {
        let mut picture = match self.pictures.remove(&display.id) {
            Some(p) if (p.width(), p.height()) == (display.width, display.height) => p,
            _ => Frame::black(display.width, display.height).map_err(failed)?,
        };
        let all = Rect::new(0, 0, display.width, display.height);
        self.read_into(display, all, &mut picture)?;
        self.windows.picture_taken();
        let copy = self.spare.copy_of(&picture);
        self.pictures.insert(display.id.clone(), picture);
        Ok(copy)
    }

    /// Reads only the damaged parts of the screen into the display's last picture.
    fn capture_changes(&mut self, display: &DisplayInfo) -> Result<Option<Captured>, CaptureError> {
        let damage = self.damage(display)?.unwrap_or_default();
        if damage.is_empty() {
            return Ok(None);
        }
        let kept = self.pictures.remove(&display.id);
        let same_size = |p: &Frame| (p.width(), p.height()) == (display.width, display.height);
        let Some(mut picture) = kept.filter(same_size) else {
            let frame = self.capture(display)?;
            return Ok(Some(Captured {
                frame,
                damage: None,
                moves: Vec::new(),
            }));
        };
        let fetches = if damage.len() > MAX_DAMAGE_FETCHES {
            vec![bounding_box(&damage)]
        } else {
            damage.clone()
        };
        for r in fetches {
            self.read_into(display, r, &mut picture)?;
        }
        let copy = self.spare.copy_of(&picture);
        self.pictures.insert(display.id.clone(), picture);
        // XDamage says where, never what moved: moved windows come from the structure events
        // (checked by the encoder), scrolls inside them the encoder finds itself.
        Ok(Some(Captured {
            frame: copy,
            damage: Some(damage),
            moves: self.windows.moves_since_last_picture(display),
        }))
    }

    fn recycle(&mut self, spent: Frame) {
        self.spare.put(spent);
    }

    fn idle_seconds(&mut self) -> Option<u32> {
        use x11rb::protocol::screensaver::ConnectionExt as _;
        let info = self
            .conn
            .screensaver_query_info(self.root)
            .ok()?
            .reply()
            .ok()?;
        Some(info.ms_since_user_input / 1000)
    }

    fn session_user(&mut self) -> String {
        crate::inventory::unix_user::display_user(&self.display_name)
    }

    fn cursor(&mut self) -> Result<Option<CursorState>, CaptureError> {
        let image = self
            .conn
            .xfixes_get_cursor_image()
            .map_err(failed)?
            .reply()
            .map_err(failed)?;
        // ARGB words in host order are B, G, R, A bytes on this little-endian wire.
        let bgra = image
            .cursor_image
            .iter()
            .flat_map(|p| p.to_le_bytes())
            .collect();
        Ok(Some(CursorState {
            x: i32::from(image.x),
            y: i32::from(image.y),
            serial: u64::from(image.cursor_serial),
            width: u32::from(image.width),
            height: u32::from(image.height),
            hotspot_x: u32::from(image.xhot),
            hotspot_y: u32::from(image.yhot),
            bgra,
        }))
    }
}
