//! Opens the platform's capturer and input injector: X11 on Linux, DXGI/GDI and SendInput on
//! Windows.

use crate::capture::{CaptureError, Capturer};
use crate::input::{InputError, InputInjector};

/// Where the agent's screen and input are.
#[derive(Debug, Clone, Default)]
pub struct Platform {
    /// X11 display name (e.g. ":0"); `None` uses `$DISPLAY`.
    pub x11_display: Option<String>,
}

impl Platform {
    /// Who to ask before an attended session streams.
    pub fn consent_prompt(&self) -> Box<dyn crate::consent::ConsentPrompt> {
        #[cfg(target_os = "linux")]
        return Box::new(crate::consent::x11::X11Prompt {
            display: self.x11_display.clone(),
        });
        #[cfg(windows)]
        return Box::new(crate::consent::windows::WtsPrompt);
        #[cfg(not(any(target_os = "linux", windows)))]
        return Box::new(crate::consent::NobodyToAsk);
    }

    #[cfg(target_os = "linux")]
    pub fn capturer(&self) -> Result<Box<dyn Capturer + Send>, CaptureError> {
        let capturer = crate::capture::x11::X11Capturer::connect(self.x11_display.as_deref())?;
        Ok(Box::new(capturer))
    }

    #[cfg(target_os = "linux")]
    pub fn injector(&self) -> Result<Box<dyn InputInjector + Send>, InputError> {
        let injector = crate::input::x11::X11Injector::connect(self.x11_display.as_deref())?;
        Ok(Box::new(injector))
    }

    #[cfg(windows)]
    pub fn capturer(&self) -> Result<Box<dyn Capturer + Send>, CaptureError> {
        Ok(Box::new(crate::capture::windows::WindowsCapturer::new()))
    }

    #[cfg(windows)]
    pub fn injector(&self) -> Result<Box<dyn InputInjector + Send>, InputError> {
        Ok(Box::new(crate::input::windows::WindowsInjector::new()))
    }

    #[cfg(not(any(target_os = "linux", windows)))]
    pub fn capturer(&self) -> Result<Box<dyn Capturer + Send>, CaptureError> {
        Err(CaptureError::Unsupported(
            "screen capture on this platform".into(),
        ))
    }

    #[cfg(not(any(target_os = "linux", windows)))]
    pub fn injector(&self) -> Result<Box<dyn InputInjector + Send>, InputError> {
        Err(InputError::Failed(
            "input injection on this platform".into(),
        ))
    }
}
