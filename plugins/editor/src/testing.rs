//! For tests of editors (headless, with egui_kittest): a stand-in for the host's GUI context
//! that applies every edit to the parameter, as a host does, and records the gestures so a
//! test can check each edit was wrapped in begin/end.

use std::sync::{Arc, Mutex};

use nice_plug::context::gui::GuiContext;
use nice_plug::prelude::{GuiContextInner, ParamPtr, PluginApi, PluginState};

/// One call the editor made on the host.
#[derive(Clone, Debug, PartialEq)]
pub enum HostCall {
    /// `begin_set_parameter` for the parameter with this name.
    Begin(String),
    /// `set_parameter_normalized` with this value.
    Set(String, f32),
    /// `end_set_parameter`.
    End(String),
}

/// A recording host context; [`RecordingHost::context`] gives the [`GuiContext`] an editor
/// draws with.
#[derive(Clone, Default)]
pub struct RecordingHost {
    calls: Arc<Mutex<Vec<HostCall>>>,
}

struct Inner(Arc<Mutex<Vec<HostCall>>>);

impl RecordingHost {
    /// The context to hand the editor.
    pub fn context(&self) -> GuiContext {
        GuiContext::new(Arc::new(Inner(self.calls.clone())))
    }

    /// Every call so far (and clears the log).
    pub fn take(&self) -> Vec<HostCall> {
        std::mem::take(&mut *self.calls.lock().unwrap())
    }

    /// Checks that `calls` are well-formed gestures (each `Set` inside a `Begin`/`End` of the
    /// same parameter, every `Begin` ended) and returns the last value set per parameter name.
    pub fn gestures(calls: &[HostCall]) -> Result<Vec<(String, f32)>, String> {
        let mut open: Option<&str> = None;
        let mut last: Vec<(String, f32)> = Vec::new();
        for call in calls {
            match call {
                HostCall::Begin(name) if open.is_none() => open = Some(name),
                HostCall::Begin(name) => return Err(format!("begin {name} inside an open gesture {open:?}")),
                HostCall::Set(name, v) if open == Some(name.as_str()) => {
                    match last.iter_mut().find(|(n, _)| n == name) {
                        Some(slot) => slot.1 = *v,
                        None => last.push((name.clone(), *v)),
                    }
                }
                HostCall::Set(name, _) => return Err(format!("set {name} outside its gesture ({open:?} open)")),
                HostCall::End(name) if open == Some(name.as_str()) => open = None,
                HostCall::End(name) => return Err(format!("end {name} without its begin ({open:?} open)")),
            }
        }
        match open {
            Some(name) => Err(format!("gesture on {name} never ended")),
            None => Ok(last),
        }
    }
}

impl GuiContextInner for Inner {
    fn plugin_api(&self) -> PluginApi {
        PluginApi::Clap
    }

    unsafe fn raw_begin_set_parameter(&self, param: ParamPtr) {
        // Safety: the pointer comes from a live `Params` object the test owns.
        let name = unsafe { param.name() }.to_owned();
        self.0.lock().unwrap().push(HostCall::Begin(name));
    }

    unsafe fn raw_set_parameter_normalized(&self, param: ParamPtr, normalized: f32) {
        // Safety: as above; the host applies the value as nice-plug's wrappers do.
        let name = unsafe {
            param._internal_set_normalized_value(normalized);
            param.name()
        }
        .to_owned();
        self.0.lock().unwrap().push(HostCall::Set(name, normalized));
    }

    unsafe fn raw_end_set_parameter(&self, param: ParamPtr) {
        // Safety: as above.
        let name = unsafe { param.name() }.to_owned();
        self.0.lock().unwrap().push(HostCall::End(name));
    }

    fn get_state(&self) -> PluginState {
        unimplemented!("editors do not read the whole state")
    }

    fn set_state(&self, _state: PluginState) {
        unimplemented!("editors do not write the whole state")
    }

    fn request_restart(&self) {}
}
