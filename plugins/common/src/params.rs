//! Parameter building blocks every Ferrite plugin uses the same way: dB gains, the dry/wet mix,
//! their smoothing time, and filling per-sample buffers from a smoother.

use std::sync::Arc;

use nice_plug::prelude::*;

/// Smoothing time of continuous parameters: long enough that automating them never zippers,
/// short enough to feel immediate.
pub const SMOOTHING_MS: f32 = 20.0;

/// A dB parameter smoothed linearly in dB (perceptually even) and shown with one decimal.
pub fn db_param(name: &str, default: f32, min: f32, max: f32) -> FloatParam {
    FloatParam::new(name, default, FloatRange::Linear { min, max })
        .with_smoother(SmoothingStyle::Linear(SMOOTHING_MS))
        .with_step_size(0.1)
        .with_unit(" dB")
        .with_value_to_string(formatters::v2s_f32_rounded(1))
        .with_string_to_value(parse_with_unit(&[("db", 1.0)]))
}

/// What nice-plug's `with_string_to_value` takes: text to a plain value.
pub type TextParser = Arc<dyn Fn(&str) -> Option<f32> + Send + Sync>;

/// A parser for values typed with or without their unit, in any case and spacing: with
/// `units = [("khz", 1000.0), ("hz", 1.0)]`, `2 kHz`, `2kHz`, `2000 Hz` and `2000` all read 2000.
/// The first matching suffix wins, so list longer suffixes first. Non-finite numbers are refused.
pub fn parse_with_unit(units: &'static [(&'static str, f32)]) -> TextParser {
    Arc::new(move |text| {
        let lower = text.trim().to_ascii_lowercase();
        let (number, scale) = units
            .iter()
            .find_map(|&(suffix, scale)| lower.strip_suffix(suffix).map(|n| (n, scale)))
            .unwrap_or((lower.as_str(), 1.0));
        number.trim().parse::<f32>().ok().map(|v| v * scale).filter(|v| v.is_finite())
    })
}

/// Frequencies as hosts show them and users type them: `2 kHz`, `2k`, `2000 Hz`, `2000`.
pub fn parse_hz() -> TextParser {
    parse_with_unit(&[("khz", 1000.0), ("hz", 1.0), ("k", 1000.0)])
}

/// A 0-to-1 parameter shown as a percentage in hosts (the plain value, used on the command line
/// and in presets, stays 0 to 1 as docs/interfaces.md, "Parameters" fixes it), smoothed linearly.
pub fn fraction_param(name: &str, default: f32) -> FloatParam {
    FloatParam::new(name, default, FloatRange::Linear { min: 0.0, max: 1.0 })
        .with_smoother(SmoothingStyle::Linear(SMOOTHING_MS))
        .with_value_to_string(Arc::new(|v| format!("{:.0}%", v * 100.0)))
        .with_string_to_value(Arc::new(|s| s.trim().trim_end_matches('%').trim().parse::<f32>().ok().map(|v| v / 100.0)))
}

/// A MIDI key parameter (0 to 127, 60 = C4), shown as the key number with the unit "key"
/// ("60 key": hosts such as pedalboard read a parameter whose texts are a number and one unit as
/// numeric, and "60 (C4)" or "C4" as a list of strings; editors add the note name). Typed as a
/// number ("60", "60 key") or a note name ("C4", "F#3", "c 4"). Not smoothed: an engine glides
/// what it derives.
pub fn key_param(name: &str, default: i32) -> IntParam {
    let names = formatters::s2v_i32_key_formatter();
    IntParam::new(name, default, IntRange::Linear { min: 0, max: 127 })
        .with_unit(" key")
        .with_string_to_value(Arc::new(move |text| {
            let text = text.trim();
            let lower = text.to_ascii_lowercase();
            let number = lower.strip_suffix("key").unwrap_or(&lower).trim();
            number.parse::<i32>().ok().or_else(|| names(text)).filter(|k| (0..=127).contains(k))
        }))
}

/// The note name of MIDI key `key` ("C4" for 60), for editors.
pub fn key_name(key: i32) -> String {
    formatters::v2s_i32_key_formatter()(key)
}

/// The pitch wheel's range: semitones for a full throw either way, 0 to 24, default 2 (the
/// General MIDI default). Not smoothed: an engine glides the pitch it derives.
pub fn bend_range_param() -> IntParam {
    IntParam::new("Bend Range", 2, IntRange::Linear { min: 0, max: 24 })
        .with_unit(" st")
        .with_string_to_value(Arc::new(|text| {
            let lower = text.trim().to_ascii_lowercase();
            let number = lower.strip_suffix("semitones").or_else(|| lower.strip_suffix("st")).unwrap_or(&lower);
            number.trim().parse::<i32>().ok()
        }))
}

/// Fill `out` with the parameter's smoothed values mapped through `map`, calling `map` once per
/// sample while the smoother moves and once per block otherwise (so dB-to-gain and similar
/// conversions cost nothing while a knob rests).
pub fn fill_mapped(param: &FloatParam, out: &mut [f32], map: impl Fn(f32) -> f32) {
    if param.smoothed.is_smoothing() {
        param.smoothed.next_block(out, out.len());
        for v in out.iter_mut() {
            *v = map(*v);
        }
    } else {
        out.fill(map(param.smoothed.next()));
    }
}

/// Declares an oversampling-factor enum parameter type: one variant per factor, each with the
/// ID and name `"<factor>x"`, in increasing order from 1×, with `log2()` and `from_log2()` for
/// the model. Each plugin lists the factors it offers.
#[macro_export]
macro_rules! oversampling_choice {
    ($(#[$meta:meta])* $vis:vis enum $name:ident { $($variant:ident = $label:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(nice_plug::prelude::Enum, Debug, Clone, Copy, PartialEq, Eq)]
        $vis enum $name {
            $(
                #[id = $label]
                #[name = $label]
                $variant,
            )+
        }

        impl $name {
            /// Every factor, smallest first.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// log2 of the factor.
            pub fn log2(self) -> usize {
                self as usize
            }

            /// The choice for a factor of 2^`log2` (clamped to the largest offered).
            pub const fn from_log2(log2: usize) -> Self {
                let last = Self::ALL.len() - 1;
                Self::ALL[if log2 < last { log2 } else { last }]
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_values_parse_with_or_without_their_units() {
        let hz = parse_hz();
        for text in ["2 kHz", "2kHz", "2 KHZ", " 2k ", "2000 Hz", "2000hz", "2000"] {
            assert_eq!(hz(text), Some(2000.0), "{text}");
        }
        assert_eq!(hz("0.1 Hz"), Some(0.1));
        for bad in ["", "kHz", "two kHz", "inf Hz", "NaN", "1e39 kHz"] {
            assert_eq!(hz(bad), None, "{bad}");
        }
        let gain = db_param("Gain", 0.0, -24.0, 24.0);
        for text in ["-6 dB", "-6dB", "-6 db", "-6"] {
            assert_eq!(gain.string_to_normalized_value(text), Some(gain.preview_normalized(-6.0)), "{text}");
        }
        assert_eq!(gain.string_to_normalized_value("loud"), None);
    }

    #[test]
    fn keys_read_as_names_or_numbers_and_show_as_names() {
        let key = key_param("Key", 60);
        assert_eq!(key.normalized_value_to_string(key.preview_normalized(60), true), "60 key");
        assert_eq!((key_name(60), key_name(69)), ("C4".to_owned(), "A4".to_owned()));
        for (text, k) in [("C4", 60), ("60", 60), ("60 key", 60), ("60key", 60), (" a4 ", 69), ("F#3", 54), ("C-1", 0), ("c 4", 60)] {
            assert_eq!(key.string_to_normalized_value(text), Some(key.preview_normalized(k)), "{text}");
        }
        for bad in ["", "H4", "128", "loud"] {
            assert_eq!(key.string_to_normalized_value(bad), None, "{bad}");
        }
        let bend = bend_range_param();
        for text in ["12", "12 st", "12st", "12 semitones"] {
            assert_eq!(bend.string_to_normalized_value(text), Some(bend.preview_normalized(12)), "{text}");
        }
    }
}
