//! What a plugin says about itself, as `ferrite-X params --json` prints it: the one source of
//! the host-level tests' expectations (name, CLAP ID and features, every parameter's ID, range,
//! default and kind). `docs/parameters.md` holds the same for every plugin, checked against the
//! plugins by a test (`ferrite-tests`), so nothing here can change without that file changing.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// The kind of a parameter (nice-plug's parameter types).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Float,
    Integer,
    Bool,
    Choice,
}

/// One parameter, as the plugin defines it. Plain values; for enums and booleans `min`, `max`
/// and `default` are indices into `choices`.
#[derive(Clone, Debug)]
pub struct ParamSpec {
    /// The `#[id = "..."]` string.
    pub id: String,
    /// The display name.
    pub name: String,
    pub kind: Kind,
    /// The unit as the plugin shows it, trimmed ("Hz", "dB"; may be empty).
    pub unit: String,
    pub min: f64,
    pub max: f64,
    pub default: f64,
    /// The default as the plugin displays it, with its unit ("440 Hz", "Circuit").
    pub default_text: String,
    /// Floats: plain values spread linearly over the normalized range.
    pub linear: bool,
    /// Stepped parameters: the number of steps (choices - 1 for enums and booleans).
    pub step_count: Option<usize>,
    /// Enums and booleans: the value IDs `--set` takes (lower case), in order.
    pub choices: Vec<String>,
    /// Enums and booleans: the values as displayed, in the same order.
    pub choice_names: Vec<String>,
}

impl ParamSpec {
    /// The default's ID, for enums and booleans.
    pub fn default_choice(&self) -> Option<&str> {
        self.choices.get(self.default as usize).map(String::as_str)
    }
}

/// One plugin: what `params --json` prints.
#[derive(Clone, Debug)]
pub struct PluginSpec {
    /// The display name ("Ferrite Ring").
    pub name: String,
    /// The binary / package name ("ferrite-ring").
    pub binary: String,
    pub clap_id: String,
    pub clap_features: Vec<String>,
    /// In declaration order.
    pub params: Vec<ParamSpec>,
}

impl PluginSpec {
    /// Parses the output of `params --json`.
    pub fn parse(json: &str) -> Result<Self, String> {
        let v: Value = serde_json::from_str(json).map_err(|e| format!("not JSON: {e}"))?;
        let params = v["params"]
            .as_array()
            .ok_or("no \"params\" array")?
            .iter()
            .map(parse_param)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            name: string(&v, "name")?,
            binary: string(&v, "binary")?,
            clap_id: string(&v, "clap_id")?,
            clap_features: strings(&v, "clap_features")?,
            params,
        })
    }

    /// Runs `binary params --json` and parses what it prints.
    pub fn from_binary(binary: &Path) -> Result<Self, String> {
        let out = Command::new(binary)
            .args(["params", "--json"])
            .output()
            .map_err(|e| format!("cannot run `{} params --json`: {e}", binary.display()))?;
        if !out.status.success() {
            return Err(format!(
                "`{} params --json` failed ({}): {}",
                binary.display(),
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        let text = String::from_utf8(out.stdout).map_err(|e| format!("`{} params --json`: {e}", binary.display()))?;
        Self::parse(&text).map_err(|e| format!("`{} params --json`: {e}", binary.display()))
    }

    /// The parameter `id`.
    pub fn param(&self, id: &str) -> Option<&ParamSpec> {
        self.params.iter().find(|p| p.id == id)
    }
}

/// The standalone/offline binary that sits next to a bundle in the bundle folder
/// (`target/bundled/ferrite-ring.clap` → `target/bundled/ferrite-ring`).
pub fn binary_next_to(bundle: &Path) -> PathBuf {
    let stem = bundle.file_stem().unwrap_or_default();
    let mut binary = bundle.with_file_name(stem);
    if cfg!(windows) {
        binary.set_extension("exe");
    }
    binary
}

fn string(v: &Value, key: &str) -> Result<String, String> {
    v[key].as_str().map(str::to_owned).ok_or_else(|| format!("no string \"{key}\""))
}

fn strings(v: &Value, key: &str) -> Result<Vec<String>, String> {
    v[key]
        .as_array()
        .ok_or_else(|| format!("no array \"{key}\""))?
        .iter()
        .map(|s| s.as_str().map(str::to_owned).ok_or_else(|| format!("a non-string in \"{key}\"")))
        .collect()
}

fn number(v: &Value, key: &str) -> Result<f64, String> {
    v[key].as_f64().ok_or_else(|| format!("no number \"{key}\""))
}

fn parse_param(v: &Value) -> Result<ParamSpec, String> {
    let id = string(v, "id")?;
    let inner = || -> Result<ParamSpec, String> {
        let kind = match string(v, "kind")?.as_str() {
            "float" => Kind::Float,
            "integer" => Kind::Integer,
            "bool" => Kind::Bool,
            "choice" => Kind::Choice,
            other => return Err(format!("unknown kind {other:?}")),
        };
        let step_count = match &v["step_count"] {
            Value::Null => None,
            s => Some(s.as_u64().ok_or("\"step_count\" is not a count")? as usize),
        };
        let p = ParamSpec {
            id: id.clone(),
            name: string(v, "name")?,
            kind,
            unit: string(v, "unit")?,
            min: number(v, "min")?,
            max: number(v, "max")?,
            default: number(v, "default")?,
            default_text: string(v, "default_text")?,
            linear: v["linear"].as_bool().ok_or("no bool \"linear\"")?,
            step_count,
            choices: strings(v, "choices")?,
            choice_names: strings(v, "choice_names")?,
        };
        if p.choices.len() != p.choice_names.len() {
            return Err("\"choices\" and \"choice_names\" differ in length".into());
        }
        Ok(p)
    };
    inner().map_err(|e| format!("parameter {id:?}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_params_json_prints() {
        let json = r#"{
  "name": "Ferrite Ring",
  "binary": "ferrite-ring",
  "clap_id": "org.ferrite-audio.ring",
  "clap_features": ["audio-effect", "distortion"],
  "params": [
    {"id": "model", "name": "Model", "kind": "choice", "unit": "", "min": 0, "max": 1, "default": 0, "default_text": "Circuit", "linear": true, "step_count": 1, "choices": ["circuit", "parker"], "choice_names": ["Circuit", "Parker"]},
    {"id": "carrier_freq", "name": "Carrier Freq", "kind": "float", "unit": "Hz", "min": 0.1, "max": 10000, "default": 440, "default_text": "440 Hz", "linear": false, "step_count": null, "choices": [], "choice_names": []}
  ]
}
"#;
        let spec = PluginSpec::parse(json).unwrap();
        assert_eq!(spec.clap_features, ["audio-effect", "distortion"]);
        assert_eq!(spec.param("model").unwrap().default_choice(), Some("circuit"));
        let f = spec.param("carrier_freq").unwrap();
        assert_eq!((f.kind, f.min, f.max, f.default, f.linear, f.step_count), (Kind::Float, 0.1, 10000.0, 440.0, false, None));
        assert!(PluginSpec::parse("{}").is_err());
        assert_eq!(binary_next_to(Path::new("/b/ferrite-ring.clap")), Path::new("/b/ferrite-ring"));
    }
}
