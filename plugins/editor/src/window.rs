//! The editor window: a nice-plug [`Editor`] around nice-plug-egui that keeps its size in the
//! plugin state, follows the host's scale factor, and opens the audio thread's editor data
//! path only while a window exists.

use std::error::Error;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use ferrite_plugin_common::editor_data::{EditorData, Windows};
use nice_plug::context::gui::GuiContext;
use nice_plug::editor::dpi::{LogicalSize, NativeSize, Size};
use nice_plug::editor::{
    Editor, EditorHandle, HostMethods, Modifiers, ParentWindowHandle, ResizeHint, SpawnedEditor, VirtualKeyCode,
};
use nice_plug::params::persist::PersistentField;
use nice_plug::prelude::ParamSetter;
use nice_plug_egui::baseview::WindowSize;
use nice_plug_egui::{create_egui_editor, EguiEditorHandle, EguiEditorState, EguiNiceSettings, NiceEguiApp};

use crate::preset_bar::{PresetBar, PresetSource};
use crate::theme;

/// The largest editor side accepted from a saved state (logical points).
pub const MAX_SIDE: u32 = 4096;

/// One plugin's editor contents, drawn every frame.
pub trait EditorApp: Send + 'static {
    /// The sample windows this editor reads from its [`EditorData`] (a spectrum needs them;
    /// meters and readouts do not). The audio thread fills only these while the editor is open.
    const WINDOWS: Windows = Windows::NONE;

    /// Draws a frame into `ui`, editing parameters through `setter`.
    fn ui(&mut self, ui: &mut egui::Ui, setter: &ParamSetter);
}

/// The editor's size in logical points, kept in the plugin state (`#[persist = "editor-size"]`)
/// so a project reopens its editors at the size the user left them. Values from a state are
/// clamped to the editor's minimum and [`MAX_SIDE`].
#[derive(Clone, Debug)]
pub struct EditorSize {
    size: Arc<[AtomicU32; 2]>,
    min: (u32, u32),
}

impl EditorSize {
    /// A size starting at `default` and never smaller than `min`.
    pub fn new(default: (u32, u32), min: (u32, u32)) -> Self {
        let size = Self { size: Arc::new([AtomicU32::new(0), AtomicU32::new(0)]), min };
        size.set_size(default);
        size
    }

    /// The current size (width, height).
    pub fn get(&self) -> (u32, u32) {
        (self.size[0].load(Ordering::Relaxed), self.size[1].load(Ordering::Relaxed))
    }

    /// The smallest size allowed.
    pub fn min(&self) -> (u32, u32) {
        self.min
    }

    /// Sets the size, clamped to the allowed range.
    pub fn set_size(&self, (w, h): (u32, u32)) {
        self.size[0].store(w.clamp(self.min.0, MAX_SIDE.max(self.min.0)), Ordering::Relaxed);
        self.size[1].store(h.clamp(self.min.1, MAX_SIDE.max(self.min.1)), Ordering::Relaxed);
    }
}

impl PersistentField<'_, (u32, u32)> for EditorSize {
    fn set(&self, new_value: (u32, u32)) {
        self.set_size(new_value);
    }

    fn map<F, R>(&self, f: F) -> R
    where
        F: Fn(&(u32, u32)) -> R,
    {
        f(&self.get())
    }
}

/// A Ferrite editor: `make` builds the contents each time the window opens.
pub struct FerriteEditor<A: EditorApp> {
    title: String,
    size: EditorSize,
    data: Arc<EditorData>,
    /// The last scale factor the window or host reported, as f32 bits.
    scale: Arc<AtomicU32>,
    make: Arc<dyn Fn() -> A + Send + Sync>,
    /// The plugin's presets, for the preset bar above the contents.
    presets: Option<PresetSource>,
}

impl<A: EditorApp> FerriteEditor<A> {
    /// An editor titled `title`, sized by `size`, that opens `data` while shown.
    pub fn new(title: &str, size: EditorSize, data: Arc<EditorData>, make: impl Fn() -> A + Send + Sync + 'static) -> Self {
        Self {
            title: title.to_owned(),
            size,
            data,
            scale: Arc::new(AtomicU32::new(1f32.to_bits())),
            make: Arc::new(make),
            presets: None,
        }
    }

    /// The same editor with the preset bar for `presets` above its contents.
    pub fn with_presets(mut self, presets: PresetSource) -> Self {
        self.presets = Some(presets);
        self
    }

    /// A fresh preset bar, as a window gets when it opens (`None` without presets).
    pub fn make_preset_bar(&self) -> Option<PresetBar> {
        self.presets.clone().map(PresetBar::new)
    }

    /// A fresh copy of the editor's contents, as a window would get when it opens (for
    /// benchmarks and headless tests that draw without a window).
    pub fn make_app(&self) -> A {
        (self.make)()
    }

    fn scale(&self) -> f64 {
        f32::from_bits(self.scale.load(Ordering::Relaxed)) as f64
    }
}

/// How every editor window paints: egui's OpenGL settings without dithering (the theme's
/// colours are flat, and the noise is shader work on every pixel of every frame).
pub fn graphics() -> nice_plug_egui::GraphicsConfig {
    nice_plug_egui::GraphicsConfig { dithering: false, ..Default::default() }
}

/// What the window shows, in the kit's panel: the preset bar (if the plugin has presets) above
/// the app's contents. Tests and benchmarks draw editors through this too.
pub fn contents<A: EditorApp>(ui: &mut egui::Ui, presets: Option<&mut PresetBar>, app: &mut A, setter: &ParamSetter) {
    theme::central_panel(ui, |ui| {
        if let Some(bar) = presets {
            bar.ui(ui, setter);
            ui.separator();
        }
        app.ui(ui, setter)
    });
}

/// Wraps the app with what every editor does: the theme, the parameter setter, size tracking.
struct Shell<A> {
    app: A,
    presets: Option<PresetBar>,
    gui: Option<GuiContext>,
    size: EditorSize,
    scale: Arc<AtomicU32>,
}

impl<A: EditorApp> NiceEguiApp for Shell<A> {
    fn build(
        &mut self,
        egui_ctx: egui::Context,
        gui: GuiContext,
        frame: &mut nice_plug_egui::Frame,
    ) -> Result<(), nice_plug_egui::baseview::HandlerError> {
        theme::apply(&egui_ctx);
        frame.set_clear_color(theme::clear_color());
        self.gui = Some(gui);
        Ok(())
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut nice_plug_egui::Frame) {
        let Some(gui) = &self.gui else { return };
        let setter = gui.param_setter();
        contents(ui, self.presets.as_mut(), &mut self.app, &setter);
        // Meters and spectra move with the audio: draw at the display rate while open.
        ui.ctx().request_repaint();
    }

    fn resized(&mut self, size: WindowSize) {
        self.size.set_size((size.logical.width.round() as u32, size.logical.height.round() as u32));
        if size.scale_factor.is_finite() && size.scale_factor > 0.0 {
            self.scale.store((size.scale_factor as f32).to_bits(), Ordering::Relaxed);
        }
    }

    fn editor_closed(&mut self) {
        self.gui = None;
    }
}

impl<A: EditorApp> Editor for FerriteEditor<A> {
    type Handle = FerriteEditorHandle;

    fn spawn(
        &self,
        parent: Option<ParentWindowHandle>,
        wait_for_parent: bool,
        fallback_scale_factor: Option<f64>,
        gui_context: GuiContext,
        host: Option<HostMethods>,
    ) -> Result<SpawnedEditor<Self::Handle>, Box<dyn Error>> {
        if let Some(scale) = fallback_scale_factor.filter(|s| s.is_finite() && *s > 0.0) {
            self.scale.store((scale as f32).to_bits(), Ordering::Relaxed);
        }
        let (w, h) = self.size.get();
        let (min_w, min_h) = self.size.min();
        let state = EguiEditorState::from_size(Size::Logical(LogicalSize::new(w as f64, h as f64)), 1.0);
        let mut settings = EguiNiceSettings::new().with_tile(self.title.clone()).with_resize_hint(
            ResizeHint::RESIZABLE.with_min_max_logical_size(
                Some(LogicalSize::new(min_w as f32, min_h as f32)),
                Some(LogicalSize::new(MAX_SIDE as f32, MAX_SIDE as f32)),
            ),
        );
        settings.graphics = graphics();
        let shell = Shell { app: (self.make)(), presets: self.make_preset_bar(), gui: None, size: self.size.clone(), scale: self.scale.clone() };
        let repaint = nice_plug_egui::RepaintNotifier::new();
        let editor = create_egui_editor(state, repaint, settings, shell).ok_or("the egui editor could not be created")?;
        let spawned = editor.spawn(parent, wait_for_parent, fallback_scale_factor, gui_context, host)?;
        // From here until the handle is dropped the audio thread feeds the editor.
        self.data.set_windows(A::WINDOWS);
        self.data.set_open(true);
        Ok(SpawnedEditor { handle: FerriteEditorHandle { inner: spawned.handle, data: self.data.clone() }, window: spawned.window })
    }

    fn size(&self) -> NativeSize<u32> {
        let (w, h) = self.size.get();
        NativeSize::from_size(Size::Logical(LogicalSize::new(w as f64, h as f64)), self.scale())
    }

    fn resize_hint(&self) -> ResizeHint {
        let (min_w, min_h) = self.size.min();
        ResizeHint::RESIZABLE.with_min_max_logical_size(
            Some(LogicalSize::new(min_w as f32, min_h as f32)),
            Some(LogicalSize::new(MAX_SIDE as f32, MAX_SIDE as f32)),
        )
    }

    unsafe fn assume_standalone_in_process(&self) {
        // Safety: the caller upholds baseview's invariant (one window, in this process).
        unsafe { nice_plug_egui::baseview::assume_standalone_in_process() }
    }
}

/// The handle of an open Ferrite editor: nice-plug-egui's, plus closing the data path when
/// the window goes away.
pub struct FerriteEditorHandle {
    inner: EguiEditorHandle,
    data: Arc<EditorData>,
}

impl Drop for FerriteEditorHandle {
    fn drop(&mut self) {
        self.data.set_open(false);
    }
}

impl EditorHandle for FerriteEditorHandle {
    type Window = <EguiEditorHandle as EditorHandle>::Window;
    type Error = <EguiEditorHandle as EditorHandle>::Error;

    fn run_until_closed(window: Self::Window) -> Result<(), Self::Error> {
        EguiEditorHandle::run_until_closed(window)
    }

    fn set_parent(&self, parent: ParentWindowHandle, window: &Self::Window) -> Result<(), Self::Error> {
        self.inner.set_parent(parent, window)
    }

    fn show(&self, window: &Self::Window) -> Result<(), Self::Error> {
        self.inner.show(window)
    }

    fn hide(&self, window: &Self::Window) -> Result<(), Self::Error> {
        self.inner.hide(window)
    }

    fn set_size(&self, new_size: NativeSize<u32>, window: &Self::Window) -> Result<(), Self::Error> {
        self.inner.set_size(new_size, window)
    }

    fn host_main_thread_callback(&self, window: &Self::Window) {
        self.inner.host_main_thread_callback(window)
    }

    fn adjust_size(&self, new_size: NativeSize<u32>, window: &Self::Window) -> Option<NativeSize<u32>> {
        self.inner.adjust_size(new_size, window)
    }

    fn set_fallback_scale_factor(&self, scale_factor: f64, window: &Self::Window) -> Result<(), Self::Error> {
        self.inner.set_fallback_scale_factor(scale_factor, window)
    }

    fn on_virtual_key_from_host(&self, key_code: VirtualKeyCode, is_down: bool, modifiers: Modifiers) -> bool {
        self.inner.on_virtual_key_from_host(key_code, is_down, modifiers)
    }

    fn state_changed(&self) {
        self.inner.state_changed()
    }

    fn param_value_changed(&self, id: &str, normalized_value: f32) {
        self.inner.param_value_changed(id, normalized_value)
    }

    fn param_modulation_changed(&self, id: &str, modulation_offset: f32) {
        self.inner.param_modulation_changed(id, modulation_offset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_size_round_trips_through_the_state_and_is_clamped() {
        let size = EditorSize::new((640, 400), (480, 300));
        let saved = size.map(|s| nice_plug::params::persist::serialize_field(s).unwrap());
        let other = EditorSize::new((640, 400), (480, 300));
        other.set(nice_plug::params::persist::deserialize_field(&saved).unwrap());
        assert_eq!(other.get(), (640, 400));
        // A corrupt or hostile state cannot make a 0 × 0 or a 10⁹-point window.
        other.set((0, u32::MAX));
        assert_eq!(other.get(), (480, MAX_SIDE));
    }
}
