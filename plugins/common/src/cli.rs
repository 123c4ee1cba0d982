//! The command line every Ferrite plugin binary shares (docs/interfaces.md, "Command line"):
//!
//! ```text
//! NAME render IN.wav OUT.wav [--set ID=VALUE]... [--preset FILE] [--sidechain SC.wav]
//!             [--ir IR.wav] [--block N] [--tail SECONDS]
//! NAME params [--json | --markdown]
//! NAME [standalone options] [--set ID=VALUE]... [--no-editor]
//! ```
//!
//! `params` lists the parameters for people; `params --json` describes the plugin (name, CLAP ID
//! and features, and every parameter) for programs: the host-level tests take their expectations
//! from it; `params --markdown` is the plugin's section of `docs/parameters.md`.
//!
//! `render` drives the plugin's own `process` through [`OfflineHost`], so its audio is what a
//! host produces with the same parameter values; the reported latency is compensated so the
//! output is time-aligned with the input. Every kind of bad input fails before anything is
//! written, with one line naming the problem and exit status 2.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{anyhow, bail, Context, Result};
use nice_plug::prelude::*;

use crate::host::{layout_for_channels, OfflineHost};
use crate::settings::{self, fmt_num, Setting};
use crate::standalone::{self, BackendChoice, JackGuard, JackGuardError};
use crate::wav::{self, Audio};

/// What a Ferrite plugin adds to nice-plug's `Plugin` for the command line.
pub trait FerritePlugin: Plugin {
    /// The binary's name (`ferrite-ring`), used in messages.
    const CLI_NAME: &'static str;

    /// Load an impulse response for `render --ir`. Plugins without one refuse it.
    fn load_impulse_response(&mut self, _path: &Path) -> Result<()> {
        bail!("{} does not use an impulse response (--ir)", Self::CLI_NAME)
    }

    /// Runs nice-plug's standalone wrapper with `args` as instance `instance` (0-based; see
    /// [`crate::standalone`]). A plugin with a single instance ignores it.
    fn run_standalone(_instance: u8, args: Vec<String>) -> bool {
        nice_export_standalone_with_args::<Self, _>(args)
    }
}

/// Exit status for bad usage or bad input.
const EXIT_USAGE: i32 = 2;
/// Exit status when processing itself fails.
const EXIT_FAILURE: i32 = 1;
/// Default host block size for `render`.
const DEFAULT_BLOCK: usize = 512;
/// Largest `--block`: the biggest block size hosts use, times four.
const MAX_BLOCK: usize = 16384;
/// Longest `--tail`, seconds.
const MAX_TAIL_SECONDS: f64 = 3600.0;

/// The whole `main` of a plugin binary: `render`, `params`, or the standalone app.
pub fn main<P: FerritePlugin + ClapPlugin>() -> ! {
    let args: Vec<String> = std::env::args().collect();
    let code = match args.get(1).map(String::as_str) {
        Some("render") => match render::<P>(&args[2..]) {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("{}: error: {}", P::CLI_NAME, one_line(&e));
                e.downcast_ref::<ProcessingFailed>().map_or(EXIT_USAGE, |_| EXIT_FAILURE)
            }
        },
        Some("params") => match args.get(2).map(String::as_str) {
            None if args.len() == 2 => {
                print!("{}", params_table(P::default().params().as_ref()));
                0
            }
            Some("--json") if args.len() == 3 => {
                print!("{}", params_json::<P>());
                0
            }
            Some("--markdown") if args.len() == 3 => {
                print!("{}", params_markdown::<P>());
                0
            }
            _ => {
                eprintln!("{}: error: usage: params [--json | --markdown]", P::CLI_NAME);
                EXIT_USAGE
            }
        },
        _ => standalone::<P>(args),
    };
    std::process::exit(code);
}

/// Marks an error that happened while processing (exit 1) rather than in the input (exit 2).
#[derive(Debug)]
struct ProcessingFailed(String);
impl std::fmt::Display for ProcessingFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for ProcessingFailed {}

/// An error chain on one line: "context: cause: cause".
fn one_line(e: &anyhow::Error) -> String {
    e.chain().map(|c| c.to_string().replace('\n', " ")).collect::<Vec<_>>().join(": ")
}

/// The real-time app: nice-plug's standalone wrapper, plus `--set ID=VALUE`, which it does not
/// have. The settings are validated first (a bad one exits with status 2 before any audio device
/// is opened) and applied by the plugin's `Default` to the instance the wrapper creates.
fn standalone<P: FerritePlugin>(args: Vec<String>) -> i32 {
    let mut rest = Vec::with_capacity(args.len());
    let mut raw_settings = Vec::new();
    let mut iter = args.into_iter();
    while let Some(arg) = iter.next() {
        if arg == "--set" {
            match iter.next() {
                Some(v) => raw_settings.push(v),
                None => {
                    eprintln!("{}: error: --set needs ID=VALUE", P::CLI_NAME);
                    return EXIT_USAGE;
                }
            }
        } else if let Some(v) = arg.strip_prefix("--set=") {
            raw_settings.push(v.to_owned());
        } else {
            rest.push(arg);
        }
    }
    crate::headless::take_no_editor_flag(&mut rest);
    let guard_args = match standalone::take_guard_args(&mut rest) {
        Ok(g) => g,
        Err(e) => {
            eprintln!("{}: error: {e}", P::CLI_NAME);
            return EXIT_USAGE;
        }
    };
    let help = rest.iter().any(|a| a == "--help" || a == "-h");
    if help {
        println!(
            "{name}: also `{name} render IN.wav OUT.wav [--set ID=VALUE]... [--preset FILE] \
             [--sidechain SC.wav] [--ir IR.wav] [--block N] [--tail SECONDS]`, \
             `{name} params [--json | --markdown]`, \
             and `--set ID=VALUE` (repeatable) in real-time mode.\n\n\
             {flag} PORT[,PORT...]: with JACK, connect the sidechain (auxiliary) inputs to PORT, \
             or to the listed ports in order, as --connect-jack-inputs does for the main inputs.\n\n\
             On JACK, several copies of the app can run at once: the second is '{plugin} 2' \
             (client {client}_2), and so on up to {max}. If the JACK server stops, the app \
             exits with status 1; so it does with ALSA when the output device stops \
             delivering audio (about a second later).\n",
            name = P::CLI_NAME,
            flag = standalone::SIDECHAIN_FLAG,
            plugin = P::NAME,
            client = standalone::jack_client_name(P::NAME),
            max = standalone::INSTANCES,
        );
    }
    let layout = match standalone::resolve_layout(P::AUDIO_IO_LAYOUTS, guard_args.layout.as_deref()) {
        Ok(layout) => layout,
        Err(list) => {
            eprintln!("{}: error: {list}", P::CLI_NAME);
            return EXIT_USAGE;
        }
    };
    if guard_args.sidechain.is_some() {
        if layout.aux_input_ports.is_empty() {
            eprintln!("{}: error: {} has no sidechain input ({})", P::CLI_NAME, P::NAME, standalone::SIDECHAIN_FLAG);
            return EXIT_USAGE;
        }
        if matches!(guard_args.backend, BackendChoice::Alsa | BackendChoice::Other) {
            eprintln!("{}: error: {} needs the JACK backend", P::CLI_NAME, standalone::SIDECHAIN_FLAG);
            return EXIT_USAGE;
        }
    }
    let params = P::default().params();
    let mut settings = Vec::new();
    for raw in &raw_settings {
        match settings::parse_setting(params.as_ref(), raw) {
            Ok(s) => settings.push(s),
            Err(e) => {
                eprintln!("{}: error: {}", P::CLI_NAME, one_line(&e));
                return EXIT_USAGE;
            }
        }
    }
    settings::set_startup_settings(settings);
    // The guard around nice-plug's wrapper (see `standalone`): on JACK, our own client picks
    // the instance, watches the server and makes the sidechain connections.
    let mut instance = 0;
    let mut jack_guard = None;
    if !help && guard_args.backend == BackendChoice::Alsa && guard_args.output_device.is_none() {
        if let Err(e) = standalone::check_alsa_output() {
            eprintln!("{}: error: {e}", P::CLI_NAME);
            return EXIT_FAILURE;
        }
    }
    if !help && matches!(guard_args.backend, BackendChoice::Jack | BackendChoice::Auto) {
        match JackGuard::start(P::CLI_NAME, P::NAME) {
            Ok(guard) => {
                if let Some(ports) = &guard_args.sidechain {
                    guard.connect_sidechain(P::CLI_NAME, &layout, ports);
                }
                instance = guard.instance;
                jack_guard = Some(guard);
            }
            // `auto` goes on to ALSA.
            Err(JackGuardError::NoServer(_)) if guard_args.backend == BackendChoice::Auto => {}
            Err(JackGuardError::NoServer(e) | JackGuardError::AllTaken(e)) => {
                eprintln!("{}: error: {e}", P::CLI_NAME);
                return EXIT_FAILURE;
            }
        }
    }
    if !help {
        standalone::start_signal_guard();
        // ALSA: chosen, or what `auto` turns to without a JACK server (its last resort, the
        // dummy backend, delivers blocks steadily, so the watchdog stays quiet there).
        let alsa = match guard_args.backend {
            BackendChoice::Alsa => true,
            BackendChoice::Auto => jack_guard.is_none(),
            BackendChoice::Jack | BackendChoice::Other => false,
        };
        if alsa {
            let stall = standalone::alsa_stall_timeout(guard_args.period_size, guard_args.sample_rate);
            standalone::start_alsa_watchdog(P::CLI_NAME, guard_args.output_device.as_deref(), stall);
        }
    }
    // The exit status must come from the wrapper's own verdict (a backend that fails to start
    // returns false).
    let ok = P::run_standalone(instance, rest);
    drop(jack_guard);
    if ok {
        0
    } else {
        EXIT_FAILURE
    }
}

/// Options of `render`.
#[derive(Debug, Default)]
struct RenderArgs {
    input: PathBuf,
    output: PathBuf,
    sets: Vec<String>,
    preset: Option<PathBuf>,
    sidechain: Option<PathBuf>,
    ir: Option<PathBuf>,
    block: usize,
    tail_seconds: f64,
}

fn parse_render_args(args: &[String]) -> Result<RenderArgs> {
    let mut out = RenderArgs { block: DEFAULT_BLOCK, ..Default::default() };
    let mut positional = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let arg = args[i].as_str();
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n, Some(v.to_owned())),
            _ => (arg, None),
        };
        let mut value = |what: &str| -> Result<String> {
            if let Some(v) = inline.clone() {
                return Ok(v);
            }
            i += 1;
            args.get(i).cloned().ok_or_else(|| anyhow!("{name} needs {what}"))
        };
        match name {
            "--set" => out.sets.push(value("ID=VALUE")?),
            "--preset" => out.preset = Some(value("a file")?.into()),
            "--sidechain" => out.sidechain = Some(value("a WAV file")?.into()),
            "--ir" => out.ir = Some(value("a WAV file")?.into()),
            "--block" => {
                let v = value("a block size")?;
                out.block = v
                    .parse()
                    .ok()
                    .filter(|b| (1..=MAX_BLOCK).contains(b))
                    .ok_or_else(|| anyhow!("invalid --block '{v}' (1 to {MAX_BLOCK})"))?;
            }
            "--tail" => {
                let v = value("seconds")?;
                out.tail_seconds = v
                    .parse::<f64>()
                    .ok()
                    .filter(|t| t.is_finite() && (0.0..=MAX_TAIL_SECONDS).contains(t))
                    .ok_or_else(|| anyhow!("invalid --tail '{v}' (0 to {MAX_TAIL_SECONDS} seconds)"))?;
            }
            a if a.starts_with('-') && a.len() > 1 => bail!("unknown option '{a}'"),
            _ => positional.push(arg.to_owned()),
        }
        i += 1;
    }
    match positional.as_slice() {
        [input, output] => {
            out.input = input.into();
            out.output = output.into();
        }
        _ => bail!("usage: render IN.wav OUT.wav [--set ID=VALUE]... [--preset FILE] [--sidechain SC.wav] [--ir IR.wav] [--block N] [--tail SECONDS]"),
    }
    Ok(out)
}

/// `render`: everything is validated (arguments, files, parameter values, layout) before any
/// processing, and the output is written atomically at the very end.
pub fn render<P: FerritePlugin>(args: &[String]) -> Result<()> {
    let args = parse_render_args(args)?;
    if wav::same_file(&args.input, &args.output) {
        bail!("the output '{}' is the input file", args.output.display());
    }
    if args.output.is_dir() {
        bail!("the output '{}' is a folder", args.output.display());
    }
    let input = wav::read_wav(&args.input)?;
    let sidechain = args.sidechain.as_deref().map(wav::read_wav).transpose()?;

    let mut host = OfflineHost::<P>::new();
    let mut settings: Vec<Setting> = Vec::new();
    if let Some(preset) = &args.preset {
        let text = std::fs::read_to_string(preset)
            .with_context(|| format!("cannot read preset '{}'", preset.display()))?;
        settings.extend(
            settings::parse_preset(host.params().as_ref(), &text)
                .with_context(|| format!("preset '{}'", preset.display()))?,
        );
    }
    for raw in &args.sets {
        settings.push(settings::parse_setting(host.params().as_ref(), raw)?);
    }
    settings::apply(host.params().as_ref(), &settings);

    let n_channels = input.channels.len();
    let layout = layout_for_channels::<P>(n_channels).ok_or_else(|| {
        let supported: Vec<String> = P::AUDIO_IO_LAYOUTS
            .iter()
            .filter_map(|l| l.main_input_channels.map(|c| c.get().to_string()))
            .collect();
        anyhow!(
            "'{}' has {n_channels} channels; {} takes {}",
            args.input.display(),
            P::CLI_NAME,
            supported.join(" or ")
        )
    })?;
    let aux_channels = layout.aux_input_ports.first().map(|c| c.get() as usize);
    if let Some(sc) = &sidechain {
        let Some(aux_channels) = aux_channels else {
            bail!("{} has no sidechain input", P::CLI_NAME);
        };
        if sc.sample_rate != input.sample_rate {
            bail!(
                "the sidechain '{}' is at {} Hz but the input is at {} Hz",
                args.sidechain.as_ref().unwrap().display(),
                sc.sample_rate,
                input.sample_rate
            );
        }
        // A mono file feeds every channel of the port; a file with as many channels as the port
        // feeds them one to one; a stereo file on a mono port feeds it its first (left) channel.
        let fits = sc.channels.len() == 1
            || sc.channels.len() == aux_channels
            || (aux_channels == 1 && sc.channels.len() == 2);
        if !fits {
            let usable = if aux_channels == 1 { "1 or 2".to_string() } else { format!("1 or {aux_channels}") };
            bail!(
                "the sidechain '{}' has {} channels; use {usable}",
                args.sidechain.as_ref().unwrap().display(),
                sc.channels.len()
            );
        }
    }
    if let Some(ir) = &args.ir {
        host.plugin().load_impulse_response(ir)?;
    }
    host.activate(layout, input.sample_rate as f32, args.block)?;

    let output = run_offline(&mut host, &input, sidechain.as_ref(), args.block, args.tail_seconds)?;
    wav::write_wav_atomic(&args.output, &output)?;
    Ok(())
}

/// Run `input` (and the optional sidechain) through an activated host in blocks of `block`,
/// compensate the reported latency, and return `input length + tail` samples per channel.
pub fn run_offline<P: Plugin>(
    host: &mut OfflineHost<P>,
    input: &Audio,
    sidechain: Option<&Audio>,
    block: usize,
    tail_seconds: f64,
) -> Result<Audio> {
    let frames = input.frames();
    let tail = (tail_seconds * input.sample_rate as f64).round() as usize;
    let latency = host.latency() as usize;
    let total = frames + tail + latency;
    let n_channels = input.channels.len();
    let mut processed = vec![Vec::with_capacity(total); n_channels];

    let started = Instant::now();
    let progress = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new(total as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {percent:>3}% {elapsed} (eta {eta})")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });

    let mut pos = 0;
    while pos < total {
        let len = block.min(total - pos);
        let (main, aux) = host.buffers_mut();
        for (buf, src) in main.iter_mut().zip(&input.channels) {
            for (i, s) in buf[..len].iter_mut().enumerate() {
                *s = src.get(pos + i).copied().unwrap_or(0.0);
            }
        }
        if let Some(port) = aux.first_mut() {
            for (c, buf) in port.iter_mut().enumerate() {
                for (i, s) in buf[..len].iter_mut().enumerate() {
                    *s = sidechain
                        .and_then(|sc| sc.channels.get(c).or_else(|| sc.channels.first()))
                        .and_then(|ch| ch.get(pos + i))
                        .copied()
                        .unwrap_or(0.0);
                }
            }
        }
        if let ProcessStatus::Error(e) = host.process(len) {
            return Err(ProcessingFailed(format!("the plugin failed while processing: {e}")).into());
        }
        let (main, _) = host.buffers_mut();
        for (out, buf) in processed.iter_mut().zip(main.iter()) {
            out.extend_from_slice(&buf[..len]);
        }
        pos += len;
        if let Some(bar) = &progress {
            bar.set_position(pos as u64);
        }
    }
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    let elapsed = started.elapsed().as_secs_f64();
    let audio_seconds = total as f64 / input.sample_rate as f64;
    eprintln!(
        "rendered {:.2} s of audio ({} Hz, {} ch) in {:.2} s: {:.1}x realtime",
        audio_seconds,
        input.sample_rate,
        n_channels,
        elapsed,
        audio_seconds / elapsed.max(1e-9)
    );
    let channels = processed.into_iter().map(|c| c[latency..latency + frames + tail].to_vec()).collect();
    Ok(Audio { sample_rate: input.sample_rate, channels })
}

/// The `params` listing: every ID with its range, unit and default.
pub fn params_table(params: &dyn Params) -> String {
    let infos = settings::describe(params);
    let mut rows = vec![["ID".to_owned(), "NAME".to_owned(), "RANGE".to_owned(), "UNIT".to_owned(), "DEFAULT".to_owned()]];
    for p in infos {
        let (range, default) = if !p.choices.is_empty() {
            // The plain value of a choice or a bool is its index.
            let default = p.choices.get(p.default.max(0.0) as usize).cloned().unwrap_or_default();
            (p.choices.join(" | "), default)
        } else {
            (format!("{} to {}", fmt_num(p.min), fmt_num(p.max)), fmt_num(p.default))
        };
        let unit = if p.unit.is_empty() { "-".to_owned() } else { p.unit.clone() };
        rows.push([p.id, p.name, range, unit, format!("{default}  ({})", p.default_text)]);
    }
    let widths: Vec<usize> = (0..5).map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0)).collect();
    let mut out = String::new();
    for r in rows {
        for (c, cell) in r.iter().enumerate() {
            if c == 4 {
                out.push_str(cell);
            } else {
                out.push_str(&format!("{:<w$}  ", cell, w = widths[c]));
            }
        }
        out.push('\n');
    }
    out
}

/// Everything [`params_json`] and [`params_markdown`] say about one parameter.
struct ParamDescription {
    info: settings::ParamInfo,
    /// Floats: whether plain values are spread linearly over the normalized range (nice-plug's
    /// `FloatRange::Linear`); hosts and tests can then set a plain value by simple scaling.
    linear: bool,
    /// The plain range as declared (`describe` maps normalized 0 and 1 through the range, which
    /// can be an f32 rounding step off: -0.99 + 1.98 = 0.98999995).
    min: f32,
    max: f32,
    /// Enums and booleans: the values as the plugin displays them ("Circuit", "On").
    choice_names: Vec<String>,
}

/// The parameters of `params` in declaration order, with what `describe` leaves out.
fn param_descriptions(params: &dyn Params) -> Vec<ParamDescription> {
    let map = params.param_map();
    settings::describe(params)
        .into_iter()
        .zip(map)
        .map(|(info, (id, ptr, _))| {
            debug_assert_eq!(info.id, id);
            // SAFETY: `ptr` comes from `params`, which outlives this call.
            let (linear, (min, max), choice_names) = unsafe {
                let (linear, range) = match ptr {
                    ParamPtr::FloatParam(p) => match (*p).range() {
                        FloatRange::Linear { min, max } => (true, (min, max)),
                        FloatRange::Skewed { min, max, .. } | FloatRange::SymmetricalSkewed { min, max, .. } => {
                            (false, (min, max))
                        }
                        FloatRange::Reversed(_) => (false, (info.min, info.max)),
                    },
                    _ => (true, (info.min, info.max)),
                };
                let steps = info.step_count.unwrap_or(0);
                let names = (0..info.choices.len())
                    .map(|i| {
                        let n = if steps == 0 { 0.0 } else { i as f32 / steps as f32 };
                        ptr.normalized_value_to_string(n, false)
                    })
                    .collect();
                (linear, range, names)
            };
            ParamDescription { info, linear, min, max, choice_names }
        })
        .collect()
}

/// A JSON string literal.
fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn json_strings<S: AsRef<str>>(items: &[S]) -> String {
    let items: Vec<String> = items.iter().map(|s| json_string(s.as_ref())).collect();
    format!("[{}]", items.join(", "))
}

/// A plain value exactly (the shortest text that reads back as the same `f32`).
fn exact(x: f32) -> String {
    format!("{x}")
}

/// `params --json`: the plugin and every parameter, for programs (the host-level tests take
/// their expectations from it). Plain values are exact; `min`/`max`/`default` of an enum or a
/// boolean are indices into `choices`. One object:
///
/// ```text
/// {"name", "binary", "clap_id", "clap_features": [..], "params": [{"id", "name", "kind"
///  ("float" | "integer" | "bool" | "choice"), "unit", "min", "max", "default", "default_text",
///  "linear", "step_count" (null for floats), "choices" (IDs), "choice_names" (as displayed)}]}
/// ```
pub fn params_json<P: FerritePlugin + ClapPlugin>() -> String {
    let params = P::default().params();
    let features: Vec<&str> = P::CLAP_FEATURES.iter().map(|f| f.as_str()).collect();
    let rows: Vec<String> = param_descriptions(params.as_ref())
        .into_iter()
        .map(|d| {
            let p = &d.info;
            format!(
                "    {{\"id\": {}, \"name\": {}, \"kind\": {}, \"unit\": {}, \"min\": {}, \"max\": {}, \
                 \"default\": {}, \"default_text\": {}, \"linear\": {}, \"step_count\": {}, \"choices\": {}, \
                 \"choice_names\": {}}}",
                json_string(&p.id),
                json_string(&p.name),
                json_string(p.kind),
                json_string(&p.unit),
                exact(d.min),
                exact(d.max),
                exact(p.default),
                json_string(&p.default_text),
                d.linear,
                p.step_count.map_or("null".to_owned(), |s| s.to_string()),
                json_strings(&p.choices),
                json_strings(&d.choice_names),
            )
        })
        .collect();
    format!(
        "{{\n  \"name\": {},\n  \"binary\": {},\n  \"clap_id\": {},\n  \"clap_features\": {},\n  \"params\": [\n{}\n  ]\n}}\n",
        json_string(P::NAME),
        json_string(P::CLI_NAME),
        json_string(P::CLAP_ID),
        json_strings(&features),
        rows.join(",\n")
    )
}

/// A Markdown table cell: `|` escaped.
fn md_cell(s: &str) -> String {
    s.replace('|', "\\|")
}

/// `params --markdown`: the plugin's section of `docs/parameters.md` (which a test keeps equal
/// to this output for every plugin): its identity, then one row per parameter with its ID,
/// display name, kind, range, unit and default (plain values exact; the default also as the
/// plugin displays it).
pub fn params_markdown<P: FerritePlugin + ClapPlugin>() -> String {
    let params = P::default().params();
    let features: Vec<String> = P::CLAP_FEATURES.iter().map(|f| format!("`{}`", f.as_str())).collect();
    let mut out = format!(
        "## {}\n\n`{}`: CLAP ID `{}`, CLAP features {}.\n\n\
         | ID | name | kind | range | unit | default |\n|---|---|---|---|---|---|\n",
        P::NAME,
        P::CLI_NAME,
        P::CLAP_ID,
        features.join(", ")
    );
    for d in param_descriptions(params.as_ref()) {
        let p = &d.info;
        let (kind, range, default) = if p.choices.is_empty() {
            let kind = match (p.kind, d.linear) {
                ("float", false) => "float, skewed".to_owned(),
                (kind, _) => kind.to_owned(),
            };
            (kind, format!("{} to {}", exact(d.min), exact(d.max)), exact(p.default))
        } else {
            let choices: Vec<String> = p.choices.iter().map(|c| format!("`{c}`")).collect();
            let default = p.choices.get(p.default.max(0.0) as usize).cloned().unwrap_or_default();
            (p.kind.to_owned(), choices.join(" | "), format!("`{default}`"))
        };
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {} | {} ({}) |\n",
            p.id,
            md_cell(&p.name),
            kind,
            md_cell(&range),
            md_cell(&p.unit),
            default,
            md_cell(&p.default_text)
        ));
    }
    out
}
