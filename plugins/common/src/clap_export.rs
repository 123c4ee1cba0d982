//! The CLAP entry point of every Ferrite plugin: nice-plug's CLAP wrapper, plus the presets in
//! the host's own browser.
//!
//! nice-plug 0.4.2 offers neither CLAP's preset-discovery factory nor the `preset-load`
//! extension, so hosts (Bitwig, REAPER) could not list Ferrite's presets. [`export_clap!`]
//! exports a `clap_entry` equivalent to `nice_export_clap!` for one plugin, and adds:
//!
//! - **`clap.preset-discovery-factory/2`** (and its draft ID): one provider that declares the
//!   `.preset` file type, the factory presets as a location inside the plugin (each preset's
//!   load key is its name; flagged factory content, with its category as a feature and its
//!   description), and the user preset folder (`crate::presets::user_dir`) as a file location
//!   when it exists. A user preset file is checked against the parameters before it is listed;
//!   one that does not parse is reported to the indexer with `on_error`.
//! - **`clap.preset-load/2`** on every instance: nice-plug's `clap_plugin` gets its
//!   `get_extension` replaced by one that answers `preset-load` and hands every other ID to
//!   nice-plug's own. Loading a preset builds the state the editor's preset bar would make
//!   (every parameter from the preset, the persisted fields kept, the preset's name in
//!   `preset`) and hands it to nice-plug's `set_state_object_from_gui`, which applies it between
//!   process calls and tells the host to rescan the values; the host's `preset-load.loaded`
//!   is then called (or `on_error` with a one-line reason, and `false`).
//!
//! A bundle exports exactly one plugin, so the few process-wide values (nice-plug's original
//! `get_extension` and `destroy`, the host of each instance) live in statics of this module.
//! Nothing here runs on the audio thread.

use std::collections::BTreeMap;
use std::ffi::{c_char, c_void, CStr, CString};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use clap_sys::ext::preset_load::{
    clap_host_preset_load, clap_plugin_preset_load, CLAP_EXT_PRESET_LOAD, CLAP_EXT_PRESET_LOAD_COMPAT,
};
use clap_sys::factory::preset_discovery::{
    clap_preset_discovery_factory, clap_preset_discovery_filetype, clap_preset_discovery_indexer,
    clap_preset_discovery_location, clap_preset_discovery_metadata_receiver, clap_preset_discovery_provider,
    clap_preset_discovery_provider_descriptor, CLAP_PRESET_DISCOVERY_IS_FACTORY_CONTENT,
    CLAP_PRESET_DISCOVERY_IS_USER_CONTENT, CLAP_PRESET_DISCOVERY_LOCATION_FILE, CLAP_PRESET_DISCOVERY_LOCATION_PLUGIN,
};
use clap_sys::host::clap_host;
use clap_sys::plugin::clap_plugin;
use clap_sys::universal_plugin_id::clap_universal_plugin_id;
use clap_sys::version::CLAP_VERSION;
use nice_plug::prelude::*;
use nice_plug::wrapper::clap::Wrapper;
use nice_plug::plugin::{ParamValue, PluginState};

use crate::cli::FerritePlugin;
use crate::presets::{self, FactoryPreset, EXTENSION};

/// Re-exports for [`export_clap!`](crate::export_clap), so plugin crates need nothing else.
#[doc(hidden)]
pub mod reexport {
    pub use clap_sys::entry::clap_plugin_entry;
    pub use clap_sys::factory::plugin_factory::{clap_plugin_factory, CLAP_PLUGIN_FACTORY_ID};
    pub use clap_sys::factory::preset_discovery::{
        clap_preset_discovery_factory, CLAP_PRESET_DISCOVERY_FACTORY_ID, CLAP_PRESET_DISCOVERY_FACTORY_ID_COMPAT,
    };
    pub use clap_sys::host::clap_host;
    pub use clap_sys::plugin::{clap_plugin, clap_plugin_descriptor};
    pub use clap_sys::version::CLAP_VERSION;
    pub use nice_plug::wrapper::clap::PluginDescriptor;
    pub use nice_plug::wrapper::setup_logger;
}

/// The persisted field holding the editor's current preset name (`#[persist = "preset"]`).
pub const PRESET_FIELD: &str = "preset";

type GetExtensionFn = unsafe extern "C" fn(*const clap_plugin, *const c_char) -> *const c_void;
type DestroyFn = unsafe extern "C" fn(*const clap_plugin);

/// nice-plug's own `get_extension` and `destroy` (the same for every instance of the plugin).
static ORIGINAL: OnceLock<(GetExtensionFn, DestroyFn)> = OnceLock::new();
/// The host of each live instance (plugin pointer, host pointer), for `preset-load`'s replies.
static HOSTS: Mutex<Vec<(usize, usize)>> = Mutex::new(Vec::new());

/// Creates an instance of `P` with nice-plug's wrapper and gives it the `preset-load`
/// extension (see the module doc).
///
/// # Safety
/// `host` is the host's pointer, as `clap_plugin_factory.create_plugin` receives it.
pub unsafe fn create_plugin<P: ClapPlugin + FerritePlugin>(host: *const clap_host) -> *const clap_plugin {
    // SAFETY: nice-plug's constructor, as its own factory calls it; the Arc is released in
    // nice-plug's `destroy`, which ours calls.
    let wrapper = unsafe { Wrapper::<P>::new(host) };
    let plugin = Arc::into_raw(wrapper);
    // SAFETY: `plugin` lives until `destroy`; nothing else holds a borrow of its descriptor yet.
    let raw = unsafe { (*plugin).clap_plugin.as_ptr() };
    // SAFETY: `raw` points to nice-plug's `clap_plugin` for this instance.
    unsafe {
        let (Some(get_extension), Some(destroy)) = ((*raw).get_extension, (*raw).destroy) else {
            return raw.cast_const().cast();
        };
        let original = *ORIGINAL.get_or_init(|| (get_extension, destroy));
        // Only the plugin the statics were made for (one per bundle) is patched.
        if original == (get_extension, destroy) {
            (*raw).get_extension = Some(get_extension_with_presets::<P>);
            (*raw).destroy = Some(destroy_and_forget);
            if let Ok(mut hosts) = HOSTS.lock() {
                hosts.push((raw as usize, host as usize));
            }
        }
        raw.cast_const().cast()
    }
}

/// `clap_plugin.get_extension`: `preset-load` here, everything else from nice-plug.
unsafe extern "C" fn get_extension_with_presets<P: ClapPlugin + FerritePlugin>(
    plugin: *const clap_plugin,
    id: *const c_char,
) -> *const c_void {
    if !id.is_null() {
        // SAFETY: the host passes a NUL-terminated ID.
        let id = unsafe { CStr::from_ptr(id) };
        if id == CLAP_EXT_PRESET_LOAD || id == CLAP_EXT_PRESET_LOAD_COMPAT {
            return (&PresetLoad::<P>::EXTENSION as *const clap_plugin_preset_load).cast();
        }
    }
    match ORIGINAL.get() {
        // SAFETY: nice-plug's own function with the host's arguments.
        Some((get_extension, _)) => unsafe { get_extension(plugin, id.cast()) },
        None => std::ptr::null(),
    }
}

/// `clap_plugin.destroy`: forgets the instance's host, then nice-plug's own.
unsafe extern "C" fn destroy_and_forget(plugin: *const clap_plugin) {
    if let Ok(mut hosts) = HOSTS.lock() {
        hosts.retain(|(p, _)| *p != plugin as usize);
    }
    if let Some((_, destroy)) = ORIGINAL.get() {
        // SAFETY: nice-plug's own function with the host's argument.
        unsafe { destroy(plugin) }
    }
}

/// The `preset-load` extension of plugin `P`.
struct PresetLoad<P>(std::marker::PhantomData<P>);

impl<P: ClapPlugin + FerritePlugin> PresetLoad<P> {
    const EXTENSION: clap_plugin_preset_load = clap_plugin_preset_load { from_location: Some(Self::from_location) };

    unsafe extern "C" fn from_location(
        plugin: *const clap_plugin,
        location_kind: u32,
        location: *const c_char,
        load_key: *const c_char,
    ) -> bool {
        if plugin.is_null() {
            return false;
        }
        // SAFETY: the host passes NUL-terminated strings or null.
        let (location_str, key) = unsafe { (opt_str(location), opt_str(load_key)) };
        // One fresh set of parameters: the preset is checked against it, then applied to it.
        let params = P::default().params();
        let loaded = load_preset::<P>(params.as_ref(), location_kind, location_str.as_deref(), key.as_deref()).map(
            |(name, settings)| {
                // SAFETY: `plugin_data` is nice-plug's wrapper of this instance (see `create_plugin`).
                let wrapper = unsafe { &*((*plugin).plugin_data as *const Wrapper<P>) };
                wrapper.set_state_object_from_gui(preset_state(params.as_ref(), wrapper.get_state_object(), &name, &settings));
            },
        );
        let host = HOSTS.lock().ok().and_then(|h| h.iter().find(|(p, _)| *p == plugin as usize).map(|(_, h)| *h));
        let host_ext = host.and_then(|h| {
            let host = h as *const clap_host;
            // SAFETY: the host pointer given at creation, valid while the instance lives.
            unsafe {
                let get = (*host).get_extension?;
                let ext = get(host, CLAP_EXT_PRESET_LOAD.as_ptr()) as *const clap_host_preset_load;
                let ext =
                    if ext.is_null() { get(host, CLAP_EXT_PRESET_LOAD_COMPAT.as_ptr()) as *const clap_host_preset_load } else { ext };
                (!ext.is_null()).then_some((host, ext))
            }
        });
        match loaded {
            Ok(()) => {
                if let Some((host, ext)) = host_ext {
                    // SAFETY: the host's own extension, called on the main thread as the spec asks.
                    unsafe {
                        if let Some(f) = (*ext).loaded {
                            f(host, location_kind, location, load_key);
                        }
                    }
                }
                true
            }
            Err(message) => {
                if let Some((host, ext)) = host_ext {
                    let message = CString::new(message.replace('\0', " ")).unwrap_or_default();
                    // SAFETY: as above.
                    unsafe {
                        if let Some(f) = (*ext).on_error {
                            f(host, location_kind, location, load_key, 0, message.as_ptr());
                        }
                    }
                }
                false
            }
        }
    }
}

/// A host string, if any.
///
/// # Safety
/// `s` is null or NUL-terminated.
unsafe fn opt_str(s: *const c_char) -> Option<String> {
    // SAFETY: as the caller promises.
    (!s.is_null()).then(|| unsafe { CStr::from_ptr(s) }.to_string_lossy().into_owned())
}

/// The preset at a location the discovery declared: its name and every parameter's setting,
/// checked against `params` (a set of `P`'s parameters; only read).
pub fn load_preset<P: ClapPlugin + FerritePlugin>(
    params: &dyn Params,
    location_kind: u32,
    location: Option<&str>,
    load_key: Option<&str>,
) -> Result<(String, Vec<crate::settings::Setting>), String> {
    let (name, text) = match location_kind {
        CLAP_PRESET_DISCOVERY_LOCATION_PLUGIN => {
            let key = load_key.ok_or("a factory preset needs a load key")?;
            let p = P::factory_presets().iter().find(|p| p.name == key).ok_or_else(|| format!("no factory preset '{key}'"))?;
            (p.name.to_owned(), p.text.to_owned())
        }
        CLAP_PRESET_DISCOVERY_LOCATION_FILE => {
            let path = Path::new(location.ok_or("a preset file needs a path")?);
            let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read preset '{}': {e}", path.display()))?;
            let name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
            (name, text)
        }
        other => return Err(format!("unknown preset location kind {other}")),
    };
    let settings = presets::complete(params, &text).map_err(|e| format!("preset '{name}': {e:#}"))?;
    Ok((name, settings))
}

/// Every parameter's value as nice-plug's state holds it, with `settings` applied to `params`
/// (a set of the plugin's parameters that is not the instance's own, changed by this; with
/// `settings` from [`load_preset`], every parameter is set): floats and integers as plain
/// values, switches as booleans, choices by their stable ID where they have one, else by index
/// (what nice-plug writes).
pub fn state_params(params: &dyn Params, settings: &[crate::settings::Setting]) -> BTreeMap<String, ParamValue> {
    crate::settings::apply(params, settings);
    params
        .param_map()
        .into_iter()
        .map(|(id, ptr, _)| {
            // SAFETY: `ptr` points into `params`, alive for this call.
            let value = unsafe {
                match ptr {
                    ParamPtr::FloatParam(p) => ParamValue::F32((*p).unmodulated_plain_value()),
                    ParamPtr::IntParam(p) => ParamValue::I32((*p).unmodulated_plain_value()),
                    ParamPtr::BoolParam(p) => ParamValue::Bool((*p).unmodulated_plain_value()),
                    ParamPtr::EnumParam(p) => match (*p).unmodulated_plain_id() {
                        Some(id) => ParamValue::String(id.to_owned()),
                        None => ParamValue::I32((*p).unmodulated_plain_value()),
                    },
                }
            };
            (id, value)
        })
        .collect()
}

/// A state with every parameter from `settings` (applied to `params`, see [`state_params`])
/// and the preset's name, the other persisted fields kept from `current` (what a preset load
/// hands nice-plug).
pub fn preset_state(
    params: &dyn Params,
    mut current: PluginState,
    name: &str,
    settings: &[crate::settings::Setting],
) -> PluginState {
    current.params = state_params(params, settings);
    current.fields.insert(PRESET_FIELD.to_owned(), serde_json::to_string(name).unwrap_or_default());
    current
}

/// The strings the discovery factory hands out, made once (a bundle holds one plugin).
struct Strings {
    provider_id: CString,
    provider_name: CString,
    vendor: CString,
    clap_id: CString,
    factory_location: CString,
    user_location: CString,
    filetype_name: CString,
    filetype_description: CString,
    extension: CString,
    creator: CString,
    /// Per factory preset: its name, category and description.
    factory: Vec<(CString, CString, CString)>,
}

static STRINGS: OnceLock<Strings> = OnceLock::new();
static DESCRIPTOR: OnceLock<SyncDescriptor> = OnceLock::new();

/// The provider descriptor (raw pointers into [`STRINGS`], which lives as long as the library).
struct SyncDescriptor(clap_preset_discovery_provider_descriptor);
// SAFETY: the pointers are to immutable, never-freed strings.
unsafe impl Send for SyncDescriptor {}
// SAFETY: as above.
unsafe impl Sync for SyncDescriptor {}

fn cstring(s: &str) -> CString {
    CString::new(s.replace('\0', " ")).unwrap_or_default()
}

/// The description of a factory preset: its first comment line after `NAME:`.
fn description(p: &FactoryPreset) -> String {
    let first = p.text.lines().next().unwrap_or("").trim_start_matches('#').trim();
    first.strip_prefix(p.name).map(|r| r.trim_start_matches(':').trim()).unwrap_or(first).to_owned()
}

fn strings<P: ClapPlugin + FerritePlugin>() -> &'static Strings {
    STRINGS.get_or_init(|| Strings {
        provider_id: cstring(&format!("{}.presets", P::CLAP_ID)),
        provider_name: cstring(&format!("{} presets", P::NAME)),
        vendor: cstring(P::VENDOR),
        clap_id: cstring(P::CLAP_ID),
        factory_location: cstring(&format!("{} factory presets", P::NAME)),
        user_location: cstring(&format!("{} user presets", P::NAME)),
        filetype_name: cstring("Ferrite preset"),
        filetype_description: cstring("ID = VALUE lines, one per parameter"),
        extension: cstring(EXTENSION),
        creator: cstring(P::VENDOR),
        factory: P::factory_presets()
            .iter()
            .map(|p| (cstring(p.name), cstring(&p.category.to_lowercase()), cstring(&description(p))))
            .collect(),
    })
}

/// The preset-discovery factory of plugin `P`.
pub struct Discovery<P>(std::marker::PhantomData<P>);

impl<P: ClapPlugin + FerritePlugin> Discovery<P> {
    /// The factory `clap_entry.get_factory` returns for the preset-discovery IDs.
    pub const FACTORY: clap_preset_discovery_factory = clap_preset_discovery_factory {
        count: Some(Self::count),
        get_descriptor: Some(Self::get_descriptor),
        create: Some(Self::create),
    };

    fn descriptor() -> *const clap_preset_discovery_provider_descriptor {
        let s = strings::<P>();
        &DESCRIPTOR
            .get_or_init(|| {
                SyncDescriptor(clap_preset_discovery_provider_descriptor {
                    clap_version: CLAP_VERSION,
                    id: s.provider_id.as_ptr(),
                    name: s.provider_name.as_ptr(),
                    vendor: s.vendor.as_ptr(),
                })
            })
            .0
    }

    unsafe extern "C" fn count(_factory: *const clap_preset_discovery_factory) -> u32 {
        1
    }

    unsafe extern "C" fn get_descriptor(
        _factory: *const clap_preset_discovery_factory,
        index: u32,
    ) -> *const clap_preset_discovery_provider_descriptor {
        if index == 0 {
            Self::descriptor()
        } else {
            std::ptr::null()
        }
    }

    unsafe extern "C" fn create(
        _factory: *const clap_preset_discovery_factory,
        indexer: *const clap_preset_discovery_indexer,
        provider_id: *const c_char,
    ) -> *const clap_preset_discovery_provider {
        if indexer.is_null() || provider_id.is_null() {
            return std::ptr::null();
        }
        // SAFETY: the host passes a NUL-terminated ID.
        if unsafe { CStr::from_ptr(provider_id) } != strings::<P>().provider_id.as_c_str() {
            return std::ptr::null();
        }
        let provider = Box::new(Provider {
            raw: clap_preset_discovery_provider {
                desc: Self::descriptor(),
                provider_data: std::ptr::null_mut(),
                init: Some(Self::init),
                destroy: Some(Self::destroy),
                get_metadata: Some(Self::get_metadata),
                get_extension: Some(Self::provider_extension),
            },
            indexer,
            user_dir: presets::user_dir(P::CLI_NAME).filter(|d| d.is_dir()).and_then(|d| Some(cstring(d.to_str()?))),
        });
        let provider = Box::into_raw(provider);
        // SAFETY: just allocated; `provider_data` points back to the box for the callbacks.
        unsafe {
            (*provider).raw.provider_data = provider.cast();
            &(*provider).raw
        }
    }

    /// The provider behind a host's pointer.
    ///
    /// # Safety
    /// `provider` came from [`Self::create`] and was not destroyed.
    unsafe fn provider<'a>(provider: *const clap_preset_discovery_provider) -> Option<&'a Provider> {
        // SAFETY: as the caller promises.
        unsafe { provider.as_ref().and_then(|p| (p.provider_data as *const Provider).as_ref()) }
    }

    unsafe extern "C" fn init(provider: *const clap_preset_discovery_provider) -> bool {
        // SAFETY: the host's provider, from `create`.
        let Some(p) = (unsafe { Self::provider(provider) }) else { return false };
        let s = strings::<P>();
        // SAFETY: the indexer the host passed to `create`, valid until `destroy`.
        let indexer = unsafe { &*p.indexer };
        let filetype = clap_preset_discovery_filetype {
            name: s.filetype_name.as_ptr(),
            description: s.filetype_description.as_ptr(),
            file_extension: s.extension.as_ptr(),
        };
        let factory = clap_preset_discovery_location {
            flags: CLAP_PRESET_DISCOVERY_IS_FACTORY_CONTENT,
            name: s.factory_location.as_ptr(),
            kind: CLAP_PRESET_DISCOVERY_LOCATION_PLUGIN,
            location: std::ptr::null(),
        };
        // SAFETY: the host's callbacks, with pointers valid for the call.
        unsafe {
            let (Some(declare_filetype), Some(declare_location)) = (indexer.declare_filetype, indexer.declare_location) else {
                return false;
            };
            if !declare_filetype(indexer, &filetype) || !declare_location(indexer, &factory) {
                return false;
            }
            if let Some(dir) = &p.user_dir {
                let user = clap_preset_discovery_location {
                    flags: CLAP_PRESET_DISCOVERY_IS_USER_CONTENT,
                    name: s.user_location.as_ptr(),
                    kind: CLAP_PRESET_DISCOVERY_LOCATION_FILE,
                    location: dir.as_ptr(),
                };
                if !declare_location(indexer, &user) {
                    return false;
                }
            }
        }
        true
    }

    unsafe extern "C" fn destroy(provider: *const clap_preset_discovery_provider) {
        // SAFETY: the host's provider, from `create`; freed once, here.
        unsafe {
            if let Some(p) = provider.as_ref() {
                drop(Box::from_raw(p.provider_data as *mut Provider));
            }
        }
    }

    unsafe extern "C" fn get_metadata(
        provider: *const clap_preset_discovery_provider,
        location_kind: u32,
        location: *const c_char,
        receiver: *const clap_preset_discovery_metadata_receiver,
    ) -> bool {
        // SAFETY: the host's provider and receiver, valid for the call.
        let (Some(_), Some(r)) = (unsafe { Self::provider(provider) }, unsafe { receiver.as_ref() }) else {
            return false;
        };
        let s = strings::<P>();
        let plugin_id = clap_universal_plugin_id { abi: c"clap".as_ptr(), id: s.clap_id.as_ptr() };
        // SAFETY: the receiver's callbacks with pointers valid for each call.
        unsafe {
            let Some(begin) = r.begin_preset else { return false };
            let describe = |flags: u32| {
                if let Some(f) = r.add_plugin_id {
                    f(r, &plugin_id);
                }
                if let Some(f) = r.set_flags {
                    f(r, flags);
                }
                if let Some(f) = r.add_creator {
                    f(r, s.creator.as_ptr());
                }
            };
            match location_kind {
                CLAP_PRESET_DISCOVERY_LOCATION_PLUGIN => {
                    for (name, category, description) in &s.factory {
                        // The name is the load key.
                        if !begin(r, name.as_ptr(), name.as_ptr()) {
                            break;
                        }
                        describe(CLAP_PRESET_DISCOVERY_IS_FACTORY_CONTENT);
                        if let Some(f) = r.set_description {
                            f(r, description.as_ptr());
                        }
                        if let Some(f) = r.add_feature {
                            f(r, category.as_ptr());
                        }
                    }
                    true
                }
                CLAP_PRESET_DISCOVERY_LOCATION_FILE => {
                    let path = opt_str(location).map(PathBuf::from);
                    let load = |p: &Path| load_preset::<P>(P::default().params().as_ref(), location_kind, p.to_str(), None);
                    match path.as_deref().map(|p| (p, load(p))) {
                        Some((_, Ok((name, _)))) => {
                            let name = cstring(&name);
                            // One preset per file: no load key.
                            if begin(r, name.as_ptr(), std::ptr::null()) {
                                describe(CLAP_PRESET_DISCOVERY_IS_USER_CONTENT);
                            }
                            true
                        }
                        Some((_, Err(message))) => {
                            if let Some(f) = r.on_error {
                                let message = cstring(&message);
                                f(r, 0, message.as_ptr());
                            }
                            false
                        }
                        None => false,
                    }
                }
                _ => false,
            }
        }
    }

    unsafe extern "C" fn provider_extension(
        _provider: *const clap_preset_discovery_provider,
        _id: *const c_char,
    ) -> *const c_void {
        std::ptr::null()
    }
}

/// One provider the host created.
struct Provider {
    raw: clap_preset_discovery_provider,
    indexer: *const clap_preset_discovery_indexer,
    /// The user preset folder, if it exists.
    user_dir: Option<CString>,
}

/// The CLAP entry point for one plugin: nice-plug's plugin factory (its wrapper makes each
/// instance, given the `preset-load` extension here), and the preset-discovery factory.
#[macro_export]
macro_rules! export_clap {
    ($plugin:ty) => {
        #[doc(hidden)]
        mod ferrite_clap {
            use super::*;
            use $crate::clap_export::reexport::*;
            use ::std::ffi::{c_char, c_void, CStr};
            use ::std::sync::OnceLock;

            static DESCRIPTOR: OnceLock<PluginDescriptor> = OnceLock::new();

            fn descriptor() -> &'static PluginDescriptor {
                DESCRIPTOR.get_or_init(PluginDescriptor::for_plugin::<$plugin>)
            }

            const PLUGIN_FACTORY: clap_plugin_factory = clap_plugin_factory {
                get_plugin_count: Some(get_plugin_count),
                get_plugin_descriptor: Some(get_plugin_descriptor),
                create_plugin: Some(create_plugin),
            };

            const PRESET_FACTORY: clap_preset_discovery_factory =
                $crate::clap_export::Discovery::<$plugin>::FACTORY;

            unsafe extern "C" fn get_plugin_count(_factory: *const clap_plugin_factory) -> u32 {
                1
            }

            unsafe extern "C" fn get_plugin_descriptor(
                _factory: *const clap_plugin_factory,
                index: u32,
            ) -> *const clap_plugin_descriptor {
                if index == 0 {
                    descriptor().clap_plugin_descriptor()
                } else {
                    ::std::ptr::null()
                }
            }

            unsafe extern "C" fn create_plugin(
                _factory: *const clap_plugin_factory,
                host: *const clap_host,
                plugin_id: *const c_char,
            ) -> *const clap_plugin {
                if host.is_null() || plugin_id.is_null() {
                    return ::std::ptr::null();
                }
                // SAFETY: the host passes a NUL-terminated ID.
                if unsafe { CStr::from_ptr(plugin_id) } != descriptor().clap_id() {
                    return ::std::ptr::null();
                }
                // SAFETY: the host's pointer, as nice-plug's factory takes it.
                unsafe { $crate::clap_export::create_plugin::<$plugin>(host) }
            }

            pub extern "C" fn init(_plugin_path: *const c_char) -> bool {
                setup_logger::<$plugin>();
                true
            }

            pub extern "C" fn deinit() {}

            pub extern "C" fn get_factory(factory_id: *const c_char) -> *const c_void {
                if factory_id.is_null() {
                    return ::std::ptr::null();
                }
                // SAFETY: the host passes a NUL-terminated ID.
                let id = unsafe { CStr::from_ptr(factory_id) };
                if id == CLAP_PLUGIN_FACTORY_ID {
                    &PLUGIN_FACTORY as *const _ as *const c_void
                } else if id == CLAP_PRESET_DISCOVERY_FACTORY_ID || id == CLAP_PRESET_DISCOVERY_FACTORY_ID_COMPAT {
                    &PRESET_FACTORY as *const _ as *const c_void
                } else {
                    ::std::ptr::null()
                }
            }
        }

        /// The CLAP plugin's entry point.
        #[unsafe(no_mangle)]
        #[used]
        pub static clap_entry: $crate::clap_export::reexport::clap_plugin_entry =
            $crate::clap_export::reexport::clap_plugin_entry {
                clap_version: $crate::clap_export::reexport::CLAP_VERSION,
                init: Some(self::ferrite_clap::init),
                deinit: Some(self::ferrite_clap::deinit),
                get_factory: Some(self::ferrite_clap::get_factory),
            };
    };
}
