//! `ID=VALUE` settings against a plugin's parameters, in plain values (the unit shown by
//! `params`), as docs/interfaces.md ("Command line") fixes them for `--set`, presets and the
//! standalone.
//!
//! - Floats and integers: a number, optionally followed by the parameter's unit
//!   (`carrier_freq=440`, `drive=12 dB`), or any form the parameter itself displays and parses
//!   as in a host (`mix=50%`, `cutoff=2 kHz`); out of range is an error, never clamped silently.
//! - Enums: the variant's name, case-insensitively (`model=parker`, `oversampling=4x`); a
//!   factor also without its `x` (`oversampling=4`).
//! - Booleans: `true`/`false`, `on`/`off`, `1`/`0`.
//!
//! A preset file holds one `ID = VALUE` per line; blank lines and `#` comments are ignored.

use std::sync::{Arc, OnceLock};

use anyhow::{anyhow, bail, Context, Result};
use nice_plug::prelude::*;

/// One validated setting: the parameter's ID and the normalized value to give it.
#[derive(Clone, Debug, PartialEq)]
pub struct Setting {
    /// The parameter ID (`#[id = "..."]`).
    pub id: String,
    /// The normalized value (0..1) the plain value maps to.
    pub normalized: f32,
}

/// Describes one parameter for `params` and for error messages.
#[derive(Clone, Debug)]
pub struct ParamInfo {
    /// The parameter ID.
    pub id: String,
    /// Its display name.
    pub name: String,
    /// Its unit as the plugin shows it (may be empty).
    pub unit: String,
    /// Plain value at normalized 0.
    pub min: f32,
    /// Plain value at normalized 1.
    pub max: f32,
    /// Plain default value.
    pub default: f32,
    /// The default as the plugin displays it.
    pub default_text: String,
    /// For stepped parameters, the number of steps (variants − 1 for enums).
    pub step_count: Option<usize>,
    /// For enums and booleans: the accepted value names, in order.
    pub choices: Vec<String>,
    /// What kind of parameter this is.
    pub kind: &'static str,
}

/// Everything `params` prints about a plugin's parameters, in declaration order.
pub fn describe(params: &dyn Params) -> Vec<ParamInfo> {
    params
        .param_map()
        .into_iter()
        // SAFETY: `ptr` comes from `params`, which outlives this call.
        .map(|(id, ptr, _)| unsafe { param_info(id, ptr) })
        .collect()
}

/// The [`ParamInfo`] of the parameter `id` that `ptr` points to (an entry of a `param_map`).
///
/// # Safety
///
/// `ptr` must point into a `Params` object that is alive for the whole call.
pub(crate) unsafe fn param_info(id: String, ptr: ParamPtr) -> ParamInfo {
    // SAFETY: as the caller promises.
    unsafe {
        let step_count = ptr.step_count();
        let kind = match ptr {
            ParamPtr::FloatParam(_) => "float",
            ParamPtr::IntParam(_) => "integer",
            ParamPtr::BoolParam(_) => "bool",
            ParamPtr::EnumParam(_) => "choice",
        };
        let choices = match (ptr, step_count) {
            (ParamPtr::EnumParam(_) | ParamPtr::BoolParam(_), Some(steps)) => (0..=steps)
                .map(|i| {
                    let n = if steps == 0 { 0.0 } else { i as f32 / steps as f32 };
                    ptr.normalized_value_to_string(n, false).to_lowercase()
                })
                .collect(),
            _ => Vec::new(),
        };
        let default_n = ptr.default_normalized_value();
        ParamInfo {
            id,
            name: ptr.name().to_owned(),
            unit: ptr.unit().trim().to_owned(),
            min: ptr.preview_plain(0.0),
            max: ptr.preview_plain(1.0),
            default: ptr.default_plain_value(),
            default_text: ptr.normalized_value_to_string(default_n, true),
            step_count,
            choices,
            kind,
        }
    }
}

/// Parse `ID=VALUE` against `params`, returning the normalized value to set. Errors name the ID
/// and say what is accepted.
pub fn parse_setting(params: &dyn Params, text: &str) -> Result<Setting> {
    let (id, value) = text
        .split_once('=')
        .ok_or_else(|| anyhow!("'{text}' is not of the form ID=VALUE"))?;
    let (id, value) = (id.trim(), value.trim());
    let map = params.param_map();
    let Some((_, ptr, _)) = map.iter().find(|(pid, _, _)| pid == id) else {
        let known: Vec<&str> = map.iter().map(|(pid, _, _)| pid.as_str()).collect();
        bail!("unknown parameter '{id}' (known: {})", known.join(", "));
    };
    let info = describe_one(params, id).expect("the ID was just found");
    // SAFETY: `ptr` comes from `params`, which outlives this call.
    let normalized = unsafe {
        match ptr {
            ParamPtr::EnumParam(_) | ParamPtr::BoolParam(_) => {
                let wanted = value.to_lowercase();
                let wanted = match (&ptr, wanted.as_str()) {
                    (ParamPtr::BoolParam(_), "true" | "on" | "1" | "yes") => "on".to_owned(),
                    (ParamPtr::BoolParam(_), "false" | "off" | "0" | "no") => "off".to_owned(),
                    _ => wanted,
                };
                let steps = info.step_count.unwrap_or(0);
                // The name, or a factor's number without its `x` (`oversampling=8`).
                let index = info
                    .choices
                    .iter()
                    .position(|c| *c == wanted)
                    .or_else(|| info.choices.iter().position(|c| *c == format!("{wanted}x")))
                    .ok_or_else(|| {
                        anyhow!("invalid value '{value}' for {id} (one of: {})", info.choices.join(", "))
                    })?;
                if steps == 0 {
                    0.0
                } else {
                    index as f32 / steps as f32
                }
            }
            ParamPtr::FloatParam(_) | ParamPtr::IntParam(_) => {
                let number = strip_unit(value, &info.unit);
                let Ok(plain) = number.parse::<f64>() else {
                    // Not a plain number: the form the parameter displays (`50%`, `2 kHz`).
                    let shown = format!(
                        "{} to {}",
                        ptr.normalized_value_to_string(0.0, true),
                        ptr.normalized_value_to_string(1.0, true)
                    );
                    return match parse_displayed(ptr, value) {
                        Displayed::Value(normalized) => Ok(Setting { id: id.to_owned(), normalized }),
                        Displayed::OutOfRange => bail!("value {value} for {id} is out of range ({shown})"),
                        Displayed::NotAValue => bail!(
                            "invalid value '{value}' for {id}: expected a number{} or a value as shown ({shown})",
                            unit_hint(&info.unit)
                        ),
                    };
                };
                if !plain.is_finite() {
                    bail!("invalid value '{value}' for {id}: not a finite number");
                }
                if matches!(ptr, ParamPtr::IntParam(_)) && plain.fract() != 0.0 {
                    bail!("invalid value '{value}' for {id}: expected a whole number");
                }
                let (lo, hi) = (info.min.min(info.max) as f64, info.max.max(info.min) as f64);
                // Allow for the f32 rounding of the printed range ends.
                let slack = 1e-6 * (hi - lo).abs().max(1e-6);
                if plain < lo - slack || plain > hi + slack {
                    bail!(
                        "value {value} for {id} is out of range ({} to {}{})",
                        fmt_num(info.min),
                        fmt_num(info.max),
                        unit_hint(&info.unit)
                    );
                }
                ptr.preview_normalized(plain.clamp(lo, hi) as f32)
            }
        }
    };
    Ok(Setting { id: id.to_owned(), normalized })
}

/// What [`parse_displayed`] made of a text.
enum Displayed {
    /// A value in range, normalized.
    Value(f32),
    /// A value of the parameter, beyond its range.
    OutOfRange,
    /// Not a value of the parameter.
    NotAValue,
}

/// `text` through the parameter's own text conversion (what a host's text entry uses), with the
/// range check that conversion lacks: nice-plug clamps to the range, so a value at an end is
/// accepted only when nudging its number by 0.1 % inwards moves it off the end (it was at the
/// end, not beyond it).
///
/// # Safety
/// `ptr` must be valid.
unsafe fn parse_displayed(ptr: &ParamPtr, text: &str) -> Displayed {
    let Some(normalized) = ptr.string_to_normalized_value(text).filter(|n| n.is_finite()) else {
        return Displayed::NotAValue;
    };
    if normalized > 0.0 && normalized < 1.0 {
        return Displayed::Value(normalized);
    }
    // The leading number of the text, and the rest (its unit).
    let t = text.trim();
    let end = t
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_digit() || c == '.' || ((c == '-' || c == '+') && i == 0) || c == 'e' || c == 'E'))
        .map_or(t.len(), |(i, _)| i);
    let (number, rest) = t.split_at(end);
    let Ok(x) = number.parse::<f64>() else {
        return Displayed::NotAValue;
    };
    let nudge = 1e-3 * x.abs().max(1e-3);
    let at_end = [x - nudge, x + nudge].iter().any(|&probe| {
        ptr.string_to_normalized_value(&format!("{probe}{rest}"))
            .is_some_and(|n| n > 0.0 && n < 1.0)
    });
    if at_end {
        Displayed::Value(normalized)
    } else {
        Displayed::OutOfRange
    }
}

/// Parse a preset file's text: one `ID = VALUE` per line, `#` starts a comment.
pub fn parse_preset(params: &dyn Params, text: &str) -> Result<Vec<Setting>> {
    let mut settings = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        settings.push(parse_setting(params, line).with_context(|| format!("line {}", n + 1))?);
    }
    Ok(settings)
}

/// Apply validated settings to `params` directly (before activation: no smoothing involved).
pub fn apply(params: &dyn Params, settings: &[Setting]) {
    let map = params.param_map();
    for s in settings {
        if let Some((_, ptr, _)) = map.iter().find(|(id, _, _)| *id == s.id) {
            // SAFETY: `ptr` comes from `params`, which outlives this call.
            unsafe {
                ptr._internal_set_normalized_value(s.normalized);
            }
        }
    }
}

fn describe_one(params: &dyn Params, id: &str) -> Option<ParamInfo> {
    describe(params).into_iter().find(|p| p.id == id)
}

fn strip_unit<'a>(value: &'a str, unit: &str) -> &'a str {
    let v = value.trim();
    if !unit.is_empty() {
        if let Some(stripped) = v.strip_suffix(unit) {
            return stripped.trim();
        }
        let lower_v = v.to_lowercase();
        if lower_v.ends_with(&unit.to_lowercase()) {
            return v[..v.len() - unit.len()].trim();
        }
    }
    v
}

fn unit_hint(unit: &str) -> String {
    if unit.is_empty() {
        String::new()
    } else {
        format!(" {unit}")
    }
}

/// A compact number for messages: no trailing zeros.
pub fn fmt_num(x: f32) -> String {
    let s = format!("{x:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s.is_empty() || s == "-0" {
        "0".to_owned()
    } else {
        s.to_owned()
    }
}

/// Settings given on the standalone's command line (`--set`), applied by every plugin's
/// `Default` so the instance the standalone wrapper creates starts with them. Empty in a DAW.
static STARTUP_SETTINGS: OnceLock<Vec<Setting>> = OnceLock::new();

/// Record the standalone's `--set` values (once, before the wrapper creates the plugin).
pub fn set_startup_settings(settings: Vec<Setting>) {
    let _ = STARTUP_SETTINGS.set(settings);
}

/// Called from each plugin's `Default`: apply the standalone's `--set` values, if any.
pub fn apply_startup_settings(params: &Arc<impl Params + 'static>) {
    if let Some(settings) = STARTUP_SETTINGS.get() {
        apply(params.as_ref(), settings);
    }
}
