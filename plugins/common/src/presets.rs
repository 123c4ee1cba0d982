//! Presets: one text format for every preset, the `ID = VALUE` lines of [`crate::settings`].
//!
//! - **Factory presets** ([`FactoryPreset`]) are compiled into each plugin (its
//!   `Effect::FACTORY_PRESETS`, the files under `plugins/<name>/presets/`), with a name and a
//!   category.
//! - **User presets** are files `NAME.preset` in the plugin's folder under the XDG data folder:
//!   `$XDG_DATA_HOME/ferrite/presets/<plugin>/`, or `~/.local/share/ferrite/presets/<plugin>/`
//!   when `XDG_DATA_HOME` is not set (`<plugin>` is the app's name without `ferrite-`: `ring`,
//!   `vcf`, `phaser`, `reverb`). They are written with every parameter, so a preset means the
//!   same sound whatever the plugin's defaults become.
//! - A preset sets **every** parameter: the ones its text does not name take their defaults
//!   ([`complete`]), so loading one never leaves a value behind from the sound before.
//! - A name is looked up among the user presets first, then the factory presets, ignoring case
//!   ([`find`]); `render --preset` also takes a file's path.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use nice_plug::prelude::*;

use crate::settings::{self, Setting};

/// A preset compiled into the plugin.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FactoryPreset {
    /// The name users see and type (`render --preset "Metallic Voice"`).
    pub name: &'static str,
    /// The group it is listed under in the editor's menu.
    pub category: &'static str,
    /// `ID = VALUE` lines; parameters it does not name take their defaults.
    pub text: &'static str,
}

/// The category every user preset is listed under.
pub const USER_CATEGORY: &str = "User";

/// File extension of user presets.
pub const EXTENSION: &str = "preset";

/// Longest preset name, in characters.
pub const MAX_NAME_CHARS: usize = 64;

/// Where a listed preset comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// Compiled into the plugin.
    Factory,
    /// A file in the user preset folder.
    User(PathBuf),
}

/// One preset as [`list`] gives it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PresetEntry {
    /// Its name.
    pub name: String,
    /// Its category ([`USER_CATEGORY`] for user presets).
    pub category: String,
    /// Where it comes from.
    pub source: Source,
}

impl PresetEntry {
    /// Its `ID = VALUE` text (read from the file for a user preset).
    pub fn text(&self, factory: &[FactoryPreset]) -> Result<String> {
        match &self.source {
            Source::Factory => factory
                .iter()
                .find(|p| p.name == self.name)
                .map(|p| p.text.to_owned())
                .ok_or_else(|| anyhow!("no factory preset '{}'", self.name)),
            Source::User(path) => {
                std::fs::read_to_string(path).with_context(|| format!("cannot read preset '{}'", path.display()))
            }
        }
    }
}

/// The plugin's folder name under `ferrite/presets/`: its app name without `ferrite-`.
pub fn folder_name(cli_name: &str) -> &str {
    cli_name.strip_prefix("ferrite-").unwrap_or(cli_name)
}

/// The user preset folder of the plugin whose app is `cli_name`, from `XDG_DATA_HOME`, else
/// `HOME`; `None` when neither is set to an absolute path (XDG's rule: a relative
/// `XDG_DATA_HOME` is ignored).
pub fn user_dir(cli_name: &str) -> Option<PathBuf> {
    user_dir_from(std::env::var_os("XDG_DATA_HOME"), std::env::var_os("HOME"), cli_name)
}

/// [`user_dir`] from the values of `XDG_DATA_HOME` and `HOME`.
fn user_dir_from(xdg_data_home: Option<OsString>, home: Option<OsString>, cli_name: &str) -> Option<PathBuf> {
    let absolute = |v: Option<OsString>| v.map(PathBuf::from).filter(|p| p.is_absolute());
    let data = absolute(xdg_data_home).or_else(|| absolute(home).map(|h| h.join(".local/share")))?;
    Some(data.join("ferrite/presets").join(folder_name(cli_name)))
}

/// Every preset: the factory presets in their order, then the user presets by name. A user
/// folder that does not exist holds no presets; files that are not `*.preset` are ignored.
pub fn list(cli_name: &str, factory: &[FactoryPreset]) -> Vec<PresetEntry> {
    let mut entries: Vec<PresetEntry> = factory
        .iter()
        .map(|p| PresetEntry { name: p.name.to_owned(), category: p.category.to_owned(), source: Source::Factory })
        .collect();
    entries.extend(user_dir(cli_name).map(|dir| list_user(&dir)).unwrap_or_default());
    entries
}

/// The user presets in `dir`, sorted by name (case-insensitively).
pub fn list_user(dir: &Path) -> Vec<PresetEntry> {
    let Ok(read) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut user: Vec<PresetEntry> = read
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == EXTENSION) && p.is_file())
        .filter_map(|p| {
            let name = p.file_stem()?.to_str()?.to_owned();
            Some(PresetEntry { name, category: USER_CATEGORY.to_owned(), source: Source::User(p) })
        })
        .collect();
    user.sort_by_key(|e| e.name.to_lowercase());
    user
}

/// The preset called `name` (ignoring case): a user preset of that name first, then a factory
/// preset. The error lists the names there are.
pub fn find(entries: &[PresetEntry], name: &str) -> Result<PresetEntry> {
    let wanted = name.trim().to_lowercase();
    let matching = |user: bool| {
        entries.iter().find(|e| matches!(e.source, Source::User(_)) == user && e.name.to_lowercase() == wanted)
    };
    if let Some(e) = matching(true).or_else(|| matching(false)) {
        return Ok(e.clone());
    }
    let names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
    if names.is_empty() {
        bail!("no preset '{name}' (there are no presets)");
    }
    bail!("no preset '{name}' (presets: {})", names.join(", "))
}

/// `--preset VALUE`: a file when `value` names one that exists (or looks like a path: it has a
/// `/` or ends in `.preset`), else a preset's name ([`find`]). Returns what to call it in
/// messages and its text.
pub fn resolve(cli_name: &str, factory: &[FactoryPreset], value: &str) -> Result<(String, String)> {
    let path = Path::new(value);
    let looks_like_path = value.contains('/') || path.extension().is_some_and(|x| x == EXTENSION);
    if path.is_file() || looks_like_path {
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read preset '{}'", path.display()))?;
        return Ok((format!("preset '{}'", path.display()), text));
    }
    let entry = find(&list(cli_name, factory), value)?;
    let text = entry.text(factory)?;
    let what = match &entry.source {
        Source::Factory => format!("factory preset '{}'", entry.name),
        Source::User(p) => format!("preset '{}' ({})", entry.name, p.display()),
    };
    Ok((what, text))
}

/// Parse a preset's text against `params` and complete it: every parameter, in the plugin's
/// order, the ones the text does not name at their defaults.
pub fn complete(params: &dyn Params, text: &str) -> Result<Vec<Setting>> {
    let given = settings::parse_preset(params, text)?;
    Ok(params
        .param_map()
        .into_iter()
        .map(|(id, ptr, _)| {
            let normalized = given
                .iter()
                .rev()
                .find(|s| s.id == id)
                .map(|s| s.normalized)
                // SAFETY: `ptr` comes from `params`, which outlives this call.
                .unwrap_or_else(|| unsafe { ptr.default_normalized_value() });
            Setting { id, normalized }
        })
        .collect())
}

/// The parameters' current values as preset text: a comment line with the name, then every
/// parameter as `ID = VALUE` in plain values (enums and switches by name), exact enough to
/// read back to the same normalized values.
pub fn to_text(params: &dyn Params, name: &str) -> String {
    let mut text = format!("# {name}\n");
    for (id, ptr, _) in params.param_map() {
        // SAFETY: `ptr` comes from `params`, which outlives this call.
        let (info, normalized, plain) = unsafe {
            let n = ptr.unmodulated_normalized_value();
            (settings::param_info(id, ptr), n, ptr.preview_plain(n))
        };
        let value = match info.step_count {
            Some(steps) if !info.choices.is_empty() => {
                let index = if steps == 0 { 0 } else { (normalized * steps as f32).round() as usize };
                info.choices.get(index).cloned().unwrap_or_default()
            }
            _ => format!("{plain}"),
        };
        text.push_str(&format!("{} = {value}\n", info.id));
    }
    text
}

/// Checks a name for a user preset: not empty, at most [`MAX_NAME_CHARS`] characters, usable as
/// a file name on every system (no `/ \ : * ? " < > |`, no control characters, not starting
/// with a dot). Returns it trimmed.
pub fn check_name(name: &str) -> Result<&str> {
    let name = name.trim();
    if name.is_empty() {
        bail!("a preset needs a name");
    }
    if name.chars().count() > MAX_NAME_CHARS {
        bail!("a preset name has at most {MAX_NAME_CHARS} characters");
    }
    if name.starts_with('.') {
        bail!("a preset name cannot start with a dot");
    }
    if let Some(c) = name.chars().find(|c| c.is_control() || r#"/\:*?"<>|"#.contains(*c)) {
        bail!("a preset name cannot contain '{}'", c.escape_default());
    }
    Ok(name)
}

/// Writes `text` as the user preset `name` in `dir` (created if missing), replacing a preset of
/// that name: written to a temporary file, then renamed into place, so a failed write never
/// leaves half a preset. Returns the file's path.
pub fn save_user(dir: &Path, name: &str, text: &str) -> Result<PathBuf> {
    let name = check_name(name)?;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create the preset folder '{}'", dir.display()))?;
    let path = dir.join(format!("{name}.{EXTENSION}"));
    let tmp = dir.join(format!(".{name}.{EXTENSION}.tmp"));
    std::fs::write(&tmp, text).with_context(|| format!("cannot write preset '{}'", tmp.display()))?;
    std::fs::rename(&tmp, &path).with_context(|| {
        let _ = std::fs::remove_file(&tmp);
        format!("cannot write preset '{}'", path.display())
    })?;
    Ok(path)
}

/// Deletes the user preset file `path`.
pub fn delete_user(path: &Path) -> Result<()> {
    std::fs::remove_file(path).with_context(|| format!("cannot delete preset '{}'", path.display()))
}

/// Whether the parameters are as `settings` (a completed preset) would set them: each
/// normalized value within 10⁻⁵ of the preset's (what saving and reading back keeps).
pub fn matches(params: &dyn Params, settings: &[Setting]) -> bool {
    let map = params.param_map();
    settings.iter().all(|s| {
        map.iter().find(|(id, _, _)| *id == s.id).is_none_or(|(_, ptr, _)| {
            // SAFETY: `ptr` comes from `params`, which outlives this call.
            let now = unsafe { ptr.unmodulated_normalized_value() };
            (now - s.normalized).abs() <= 1e-5
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const FACTORY: &[FactoryPreset] = &[
        FactoryPreset { name: "Warm", category: "Filter", text: "a = 1\n" },
        FactoryPreset { name: "Bright", category: "Filter", text: "a = 2\n" },
    ];

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("ferrite-presets-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn names_that_cannot_be_files_everywhere_are_refused() {
        assert_eq!(check_name("  My Pad 2 ").unwrap(), "My Pad 2");
        for bad in ["", "   ", ".hidden", "a/b", "a\\b", "what?", "tab\there", &"x".repeat(65)] {
            assert!(check_name(bad).is_err(), "{bad:?} accepted");
        }
        assert!(check_name(&"é".repeat(64)).is_ok(), "64 characters, not bytes");
    }

    #[test]
    fn user_presets_are_saved_listed_found_before_factory_ones_and_deleted() {
        let dir = scratch("save");
        assert!(list_user(&dir).is_empty(), "a missing folder holds no presets");
        let path = save_user(&dir, "bright", "a = 3\n").unwrap();
        save_user(&dir, "Alpha", "a = 4\n").unwrap();
        std::fs::write(dir.join("readme.txt"), "x").unwrap();
        let user = list_user(&dir);
        assert_eq!(user.iter().map(|e| e.name.as_str()).collect::<Vec<_>>(), ["Alpha", "bright"]);
        assert!(user.iter().all(|e| e.category == USER_CATEGORY));
        // No temporary file left behind.
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 3);

        let mut entries: Vec<PresetEntry> = FACTORY
            .iter()
            .map(|p| PresetEntry { name: p.name.into(), category: p.category.into(), source: Source::Factory })
            .collect();
        entries.extend(user);
        let found = find(&entries, "BRIGHT").unwrap();
        assert_eq!(found.source, Source::User(path.clone()), "the user's preset of a factory name comes first");
        assert_eq!(found.text(FACTORY).unwrap(), "a = 3\n");
        assert_eq!(find(&entries, "warm").unwrap().text(FACTORY).unwrap(), "a = 1\n");
        let e = find(&entries, "cold").unwrap_err().to_string();
        assert!(e.contains("no preset 'cold'") && e.contains("Warm, Bright, Alpha, bright"), "{e}");

        // Saving again replaces; deleting removes.
        save_user(&dir, "bright", "a = 5\n").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "a = 5\n");
        delete_user(&path).unwrap();
        assert_eq!(list_user(&dir).len(), 1);
        assert!(save_user(&dir, "a/b", "").is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_value_that_looks_like_a_path_is_read_as_a_file() {
        let dir = scratch("resolve");
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("mine.preset");
        std::fs::write(&file, "a = 9\n").unwrap();
        let (what, text) = resolve("ferrite-test", FACTORY, file.to_str().unwrap()).unwrap();
        assert_eq!(text, "a = 9\n");
        assert!(what.contains("mine.preset"));
        let e = resolve("ferrite-test", FACTORY, "missing.preset").unwrap_err();
        assert!(format!("{e:#}").contains("cannot read preset 'missing.preset'"), "{e:#}");
        let (what, text) = resolve("ferrite-test", FACTORY, "warm").unwrap();
        assert_eq!((what.as_str(), text.as_str()), ("factory preset 'Warm'", "a = 1\n"));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_user_folder_follows_xdg() {
        assert_eq!(folder_name("ferrite-reverb"), "reverb");
        let dir = |xdg: Option<&str>, home: Option<&str>| user_dir_from(xdg.map(Into::into), home.map(Into::into), "ferrite-ring");
        assert_eq!(dir(Some("/data"), Some("/home/u")).unwrap(), Path::new("/data/ferrite/presets/ring"));
        // A relative XDG_DATA_HOME is ignored, as XDG says.
        assert_eq!(dir(Some("relative"), Some("/home/u")).unwrap(), Path::new("/home/u/.local/share/ferrite/presets/ring"));
        assert_eq!(dir(None, Some("/home/u")).unwrap(), Path::new("/home/u/.local/share/ferrite/presets/ring"));
        assert_eq!(dir(None, None), None);
    }
}
