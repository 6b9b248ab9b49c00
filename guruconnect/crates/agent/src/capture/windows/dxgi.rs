//! DXGI Desktop Duplication of one output: each acquired frame comes with the output's own dirty
//! and move rectangles, which become the damage and the move hints handed to the encoder
//! (converted and clipped by `capture::dxgi_metadata`).

use super::super::fallback::Failure;
use crate::capture::dxgi_metadata::{self, Edges, Metadata, MoveRect};
use crate::capture::DisplayInfo;
use guruconnect_codec::Frame;
use windows::core::Interface;
use windows::Win32::Foundation::{HMODULE, RECT};
use windows::Win32::Graphics::Direct3D::D3D_DRIVER_TYPE_UNKNOWN;
use windows::Win32::Graphics::Direct3D11::{
    D3D11CreateDevice, ID3D11Device, ID3D11DeviceContext, ID3D11Texture2D, D3D11_CPU_ACCESS_READ,
    D3D11_CREATE_DEVICE_BGRA_SUPPORT, D3D11_MAPPED_SUBRESOURCE, D3D11_MAP_READ, D3D11_SDK_VERSION,
    D3D11_TEXTURE2D_DESC, D3D11_USAGE_STAGING,
};
use windows::Win32::Graphics::Dxgi::Common::{
    DXGI_MODE_ROTATION_IDENTITY, DXGI_MODE_ROTATION_UNSPECIFIED,
};
use windows::Win32::Graphics::Dxgi::{
    CreateDXGIFactory1, IDXGIFactory1, IDXGIOutput1, IDXGIOutputDuplication, IDXGIResource,
    DXGI_ERROR_ACCESS_LOST, DXGI_ERROR_NOT_CURRENTLY_AVAILABLE, DXGI_ERROR_UNSUPPORTED,
    DXGI_ERROR_WAIT_TIMEOUT, DXGI_OUTDUPL_DESC, DXGI_OUTDUPL_FRAME_INFO, DXGI_OUTDUPL_MOVE_RECT,
};

pub struct Duplication {
    context: ID3D11DeviceContext,
    duplication: IDXGIOutputDuplication,
    staging: Option<ID3D11Texture2D>,
    width: u32,
    height: u32,
    _device: ID3D11Device,
}

fn classify(e: &windows::core::Error) -> Failure {
    let code = e.code();
    if code == DXGI_ERROR_UNSUPPORTED || code == DXGI_ERROR_NOT_CURRENTLY_AVAILABLE {
        Failure::Unavailable
    } else {
        Failure::Transient
    }
}

impl Duplication {
    /// Opens duplication on the output whose desktop rectangle is `display`'s.
    pub fn open(display: &DisplayInfo) -> Result<Self, Failure> {
        // SAFETY: plain COM calls on interfaces we own; out-parameters are initialised locals.
        unsafe {
            let factory: IDXGIFactory1 = CreateDXGIFactory1().map_err(|e| classify(&e))?;
            for a in 0.. {
                let Ok(adapter) = factory.EnumAdapters1(a) else {
                    break;
                };
                for o in 0.. {
                    let Ok(output) = adapter.EnumOutputs(o) else {
                        break;
                    };
                    let desc = output.GetDesc().map_err(|e| classify(&e))?;
                    let r = desc.DesktopCoordinates;
                    if (r.left, r.top) != (display.x, display.y) {
                        continue;
                    }
                    let mut device = None;
                    let mut context = None;
                    D3D11CreateDevice(
                        &adapter,
                        D3D_DRIVER_TYPE_UNKNOWN,
                        HMODULE::default(),
                        D3D11_CREATE_DEVICE_BGRA_SUPPORT,
                        None,
                        D3D11_SDK_VERSION,
                        Some(&mut device),
                        None,
                        Some(&mut context),
                    )
                    .map_err(|e| classify(&e))?;
                    let (Some(device), Some(context)) = (device, context) else {
                        return Err(Failure::Unavailable);
                    };
                    let output1: IDXGIOutput1 = output.cast().map_err(|_| Failure::Unavailable)?;
                    let duplication = output1.DuplicateOutput(&device).map_err(|e| classify(&e))?;
                    // A rotated output's image comes unrotated, and so do its rectangles: GDI
                    // captures it in desktop orientation instead.
                    let desc: DXGI_OUTDUPL_DESC = duplication.GetDesc();
                    if desc.Rotation != DXGI_MODE_ROTATION_IDENTITY
                        && desc.Rotation != DXGI_MODE_ROTATION_UNSPECIFIED
                    {
                        return Err(Failure::Unavailable);
                    }
                    return Ok(Self {
                        context,
                        duplication,
                        staging: None,
                        width: (r.right - r.left).max(0) as u32,
                        height: (r.bottom - r.top).max(0) as u32,
                        _device: device,
                    });
                }
            }
        }
        Err(Failure::Unavailable)
    }

    /// The next frame and what changed, `None` when nothing did since the last one.
    pub fn acquire(&mut self) -> Result<Option<(Frame, Metadata)>, Failure> {
        let mut info = DXGI_OUTDUPL_FRAME_INFO::default();
        let mut resource: Option<IDXGIResource> = None;
        // SAFETY: out-parameters are initialised locals; the frame is released below.
        let acquired = unsafe {
            self.duplication
                .AcquireNextFrame(0, &mut info, &mut resource)
        };
        match acquired {
            Err(e) if e.code() == DXGI_ERROR_WAIT_TIMEOUT => return Ok(None),
            Err(e) if e.code() == DXGI_ERROR_ACCESS_LOST => return Err(Failure::Transient),
            Err(e) => return Err(classify(&e)),
            Ok(()) => {}
        }
        let result = self.read(&info, resource);
        // SAFETY: a frame was acquired above and must be released exactly once.
        let _ = unsafe { self.duplication.ReleaseFrame() };
        result
    }

    fn read(
        &mut self,
        info: &DXGI_OUTDUPL_FRAME_INFO,
        resource: Option<IDXGIResource>,
    ) -> Result<Option<(Frame, Metadata)>, Failure> {
        if info.LastPresentTime == 0 && info.TotalMetadataBufferSize == 0 {
            return Ok(None); // only the pointer changed
        }
        let metadata = self.metadata(info.TotalMetadataBufferSize)?;
        let texture: ID3D11Texture2D = resource
            .ok_or(Failure::Transient)?
            .cast()
            .map_err(|_| Failure::Transient)?;
        let frame = self.copy_out(&texture)?;
        Ok(Some((frame, metadata)))
    }

    /// The frame's dirty and move rectangles, as damage and move hints for the encoder.
    fn metadata(&self, metadata_bytes: u32) -> Result<Metadata, Failure> {
        let dirty = self.dirty_rects(metadata_bytes)?;
        let moves = self.move_rects(metadata_bytes)?;
        let dirty: Vec<Edges> = dirty.iter().map(edges).collect();
        let moves: Vec<MoveRect> = moves
            .iter()
            .map(|m| MoveRect {
                source: (m.SourcePoint.x, m.SourcePoint.y),
                dest: edges(&m.DestinationRect),
            })
            .collect();
        Ok(dxgi_metadata::convert(
            &dirty,
            &moves,
            self.width,
            self.height,
        ))
    }

    fn dirty_rects(&self, metadata_bytes: u32) -> Result<Vec<RECT>, Failure> {
        let size = std::mem::size_of::<RECT>();
        let mut rects = vec![RECT::default(); metadata_bytes as usize / size + 1];
        let mut used = 0u32;
        // SAFETY: the buffer holds `rects.len()` elements and we pass its size in bytes.
        unsafe {
            self.duplication
                .GetFrameDirtyRects((rects.len() * size) as u32, rects.as_mut_ptr(), &mut used)
                .map_err(|e| classify(&e))?;
        }
        rects.truncate(used as usize / size);
        Ok(rects)
    }

    fn move_rects(&self, metadata_bytes: u32) -> Result<Vec<DXGI_OUTDUPL_MOVE_RECT>, Failure> {
        let size = std::mem::size_of::<DXGI_OUTDUPL_MOVE_RECT>();
        let mut moves = vec![DXGI_OUTDUPL_MOVE_RECT::default(); metadata_bytes as usize / size + 1];
        let mut used = 0u32;
        // SAFETY: the buffer holds `moves.len()` elements and we pass its size in bytes.
        unsafe {
            self.duplication
                .GetFrameMoveRects((moves.len() * size) as u32, moves.as_mut_ptr(), &mut used)
                .map_err(|e| classify(&e))?;
        }
        moves.truncate(used as usize / size);
        Ok(moves)
    }

    /// Copies the GPU texture into a CPU-readable staging texture and reads its rows.
    fn copy_out(&mut self, texture: &ID3D11Texture2D) -> Result<Frame, Failure> {
        // SAFETY: COM calls on live interfaces; the mapping is read within its row pitch and
        // height, then unmapped before returning.
        unsafe {
            if self.staging.is_none() {
                let mut desc = D3D11_TEXTURE2D_DESC::default();
                texture.GetDesc(&mut desc);
                // The rows read below are `self.width` × `self.height`: the texture must be
                // exactly that big, or the read would leave the mapping.
                if (desc.Width, desc.Height) != (self.width, self.height) {
                    return Err(Failure::Unavailable);
                }
                desc.Usage = D3D11_USAGE_STAGING;
                desc.CPUAccessFlags = D3D11_CPU_ACCESS_READ.0 as u32;
                desc.BindFlags = 0;
                desc.MiscFlags = 0;
                let mut staging = None;
                self._device
                    .CreateTexture2D(&desc, None, Some(&mut staging))
                    .map_err(|e| classify(&e))?;
                self.staging = staging;
            }
            let staging = self.staging.as_ref().ok_or(Failure::Transient)?;
            self.context.CopyResource(staging, texture);
            let mut mapped = D3D11_MAPPED_SUBRESOURCE::default();
            self.context
                .Map(staging, 0, D3D11_MAP_READ, 0, Some(&mut mapped))
                .map_err(|e| classify(&e))?;
            let pitch = mapped.RowPitch as usize;
            let data =
                std::slice::from_raw_parts(mapped.pData as *const u8, pitch * self.height as usize);
            let frame = Frame::from_strided(self.width, self.height, pitch, data);
            self.context.Unmap(staging, 0);
            frame.map_err(|_| Failure::Transient)
        }
    }
}

fn edges(r: &RECT) -> Edges {
    Edges {
        left: r.left,
        top: r.top,
        right: r.right,
        bottom: r.bottom,
    }
}
