//! The command line every Ferrite plugin binary shares (docs/interfaces.md, "Command line"):
//!
//! ```text
//! NAME render IN OUT [--set ID=VALUE]... [--preset NAME|FILE] [--sidechain FILE] [--ir FILE]
//!             [--block N] [--tail SECONDS] [--bits 32|24|16]
//! NAME render IN... --out-dir DIR [--jobs N] [same options]
//! NAME params [--json | --markdown | --presets]
//! NAME [standalone options] [--preset NAME|FILE] [--set ID=VALUE]... [--no-editor]
//! NAME --version
//! ```
//!
//! `render` and `params` are parsed with clap (`--help` on each); their errors are one line
//! naming the problem, with exit status 2, like every other bad input. `params` lists the
//! parameters for people; `params --json` describes the plugin (name, CLAP ID and features, and
//! every parameter) for programs: the host-level tests take their expectations from it;
//! `params --markdown` is the plugin's section of `docs/parameters.md`.
//!
//! `render` (see [`crate::render`]) drives the plugin's own `process` through [`OfflineHost`],
//! so its audio is what a host produces with the same parameter values; the reported latency is
//! compensated so the output is time-aligned with the input.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::{bail, Result};
use clap::Parser;
use nice_plug::prelude::*;

use crate::audio_file::Bits;
use crate::presets::{self, FactoryPreset, Source};
use crate::render::{self, Interrupted, ProcessingFailed, RenderOptions, Tail};
use crate::settings::{self, fmt_num};
use crate::standalone::{self, BackendChoice, JackGuard, JackGuardError};

pub use crate::render::run_offline;

/// What a Ferrite plugin adds to nice-plug's `Plugin` for the command line.
pub trait FerritePlugin: Plugin {
    /// The binary's name (`ferrite-ring`), used in messages.
    const CLI_NAME: &'static str;

    /// Load an impulse response for `render --ir`. Plugins without one refuse it.
    fn load_impulse_response(&mut self, _path: &Path) -> Result<()> {
        bail!("{} does not use an impulse response (--ir)", Self::CLI_NAME)
    }

    /// Refuse, before anything is processed, settings `render` cannot honour (a convolution
    /// reverb without an impulse response: `has_ir` says whether `--ir` was given).
    fn check_render(&self, _has_ir: bool) -> Result<()> {
        Ok(())
    }

    /// Runs nice-plug's standalone wrapper with `args` as instance `instance` (0-based; see
    /// [`crate::standalone`]). A plugin with a single instance ignores it.
    fn run_standalone(_instance: u8, args: Vec<String>) -> bool {
        nice_export_standalone_with_args::<Self, _>(args)
    }

    /// The presets compiled into the plugin (see [`crate::presets`]).
    fn factory_presets() -> &'static [FactoryPreset] {
        &[]
    }
}

/// Exit status for bad usage or bad input.
const EXIT_USAGE: i32 = 2;
/// Exit status when processing itself fails.
const EXIT_FAILURE: i32 = 1;
/// Exit status after SIGINT/SIGTERM (128 + SIGINT, as shells report it).
const EXIT_INTERRUPTED: i32 = 130;
/// Largest `--block`: the biggest block size hosts use, times four.
const MAX_BLOCK: u32 = 16384;
/// Longest `--tail`, seconds (and the longest reported tail `render` follows).
pub const MAX_TAIL_SECONDS: f64 = 3600.0;
/// The version every binary reports.
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// `render`'s arguments.
#[derive(Parser, Debug)]
#[command(
    about = "Render audio files through the plugin, as a host would",
    long_about = "Render audio files through the plugin, as a host would: its own process() in blocks, \
                  the reported latency compensated so the output is time-aligned with the input. \
                  Inputs: WAV (8/16/24/32-bit integer, 32/64-bit float), FLAC, AIFF, Ogg Vorbis, MP3. \
                  Output: WAV at the input's rate. Everything is checked before any audio is processed, \
                  and an output appears only when it is complete."
)]
struct RenderCli {
    /// IN OUT; or, with --out-dir, one or more inputs
    #[arg(value_name = "FILE", required = true)]
    files: Vec<PathBuf>,
    /// Render every input into DIR as DIR/NAME.wav, several at once
    #[arg(long, value_name = "DIR")]
    out_dir: Option<PathBuf>,
    /// With --out-dir: how many files to render at once [default: one per core]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=256))]
    jobs: Option<u32>,
    /// Set a parameter, as a plain value (`mix=0.5`, `cutoff=2000`) or as shown (`mix=50%`,
    /// `cutoff=2 kHz`, `oversampling=8x`); repeatable, see `params`
    #[arg(long = "set", value_name = "ID=VALUE")]
    sets: Vec<String>,
    /// A preset, by name (a factory or user preset, see `params --presets`) or as a file of
    /// `ID = VALUE` lines; parameters it does not set take their defaults (applied before --set)
    #[arg(long, value_name = "NAME|FILE")]
    preset: Option<String>,
    /// The sidechain input (resampled to the input's rate; padded with silence if shorter)
    #[arg(long, value_name = "FILE")]
    sidechain: Option<PathBuf>,
    /// An impulse response (Ferrite Reverb's convolution)
    #[arg(long, value_name = "FILE")]
    ir: Option<PathBuf>,
    /// The host block size, in samples
    #[arg(long, value_name = "N", default_value_t = 512, value_parser = clap::value_parser!(u32).range(1..=MAX_BLOCK as i64))]
    block: u32,
    /// The tail after the input, in seconds [default: until the output falls below -120 dBFS,
    /// within the tail the plugin reports]
    #[arg(long, value_name = "SECONDS", value_parser = parse_tail, allow_negative_numbers = true)]
    tail: Option<f64>,
    /// The output's sample format: 32 (float), or 24 or 16 (integer, with TPDF dither)
    #[arg(long, value_name = "BITS", default_value = "32", value_parser = ["32", "24", "16"])]
    bits: String,
}

fn parse_tail(text: &str) -> std::result::Result<f64, String> {
    text.parse::<f64>()
        .ok()
        .filter(|t| t.is_finite() && (0.0..=MAX_TAIL_SECONDS).contains(t))
        .ok_or_else(|| format!("0 to {MAX_TAIL_SECONDS} seconds"))
}

/// `params`' arguments.
#[derive(Parser, Debug)]
#[command(about = "List the plugin's parameters: ID, name, range, unit and default")]
struct ParamsCli {
    /// Describe the plugin and every parameter as JSON, for programs
    #[arg(long, conflicts_with = "markdown")]
    json: bool,
    /// The plugin's section of docs/parameters.md
    #[arg(long, conflicts_with = "presets")]
    markdown: bool,
    /// List the presets instead: factory presets by category, then the user presets and the
    /// folder they are kept in
    #[arg(long, conflicts_with = "json")]
    presets: bool,
}

/// Parse `args` (after the subcommand) with clap as `NAME SUBCOMMAND`. `Err(code)`: help or
/// the version was printed (0), or the one-line error (2).
fn parse<T: Parser>(name: &str, subcommand: &'static str, args: &[String]) -> std::result::Result<T, i32> {
    let command = T::command().name(subcommand).bin_name(format!("{name} {subcommand}")).version(VERSION);
    let argv = std::iter::once(subcommand.to_owned()).chain(args.iter().cloned());
    match command.try_get_matches_from(argv).and_then(|m| T::from_arg_matches(&m)) {
        Ok(t) => Ok(t),
        Err(e) => match e.kind() {
            clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                let _ = e.print();
                Err(0)
            }
            _ => {
                eprintln!("{name}: error: {} (see '{name} {subcommand} --help')", clap_one_line(&e));
                Err(EXIT_USAGE)
            }
        },
    }
}

/// A clap error's message on one line: its first paragraph, without "error: ", the usage and
/// the tips.
fn clap_one_line(e: &clap::Error) -> String {
    let text = e.render().to_string();
    let paragraph: Vec<&str> = text.lines().take_while(|l| !l.trim().is_empty()).map(str::trim).collect();
    paragraph.join(" ").trim_start_matches("error: ").to_owned()
}

/// The whole `main` of a plugin binary: `render`, `params`, `--version`, or the standalone app.
pub fn main<P: FerritePlugin + ClapPlugin>() -> ! {
    let args: Vec<String> = std::env::args().collect();
    let code = match args.get(1).map(String::as_str) {
        Some("render") => match parse::<RenderCli>(P::CLI_NAME, "render", &args[2..]) {
            Ok(cli) => render_command::<P>(cli),
            Err(code) => code,
        },
        Some("params") => match parse::<ParamsCli>(P::CLI_NAME, "params", &args[2..]) {
            Ok(cli) => {
                if cli.presets {
                    print!("{}", presets_table::<P>());
                } else if cli.json {
                    print!("{}", params_json::<P>());
                } else if cli.markdown {
                    print!("{}", params_markdown::<P>());
                } else {
                    print!("{}", params_table(P::default().params().as_ref()));
                }
                0
            }
            Err(code) => code,
        },
        Some("--version" | "-V") if args.len() == 2 => {
            println!("{} {VERSION}", P::CLI_NAME);
            0
        }
        _ => standalone::<P>(args),
    };
    std::process::exit(code);
}

/// The exit status for a failed render: 1 when processing failed, 130 when interrupted, else 2.
fn exit_code(e: &anyhow::Error) -> i32 {
    if e.downcast_ref::<Interrupted>().is_some() {
        EXIT_INTERRUPTED
    } else if e.downcast_ref::<ProcessingFailed>().is_some() {
        EXIT_FAILURE
    } else {
        EXIT_USAGE
    }
}

/// An error chain on one line: "context: cause: cause".
fn one_line(e: &anyhow::Error) -> String {
    e.chain().map(|c| c.to_string().replace('\n', " ")).collect::<Vec<_>>().join(": ")
}

/// `render`, after parsing: one file, or a batch with `--out-dir`.
fn render_command<P: FerritePlugin>(cli: RenderCli) -> i32 {
    let name = P::CLI_NAME;
    let fail = |e: &anyhow::Error| {
        eprintln!("{name}: error: {}", one_line(e));
        exit_code(e)
    };
    let settings = match render::parse_settings::<P>(cli.preset.as_deref(), &cli.sets) {
        Ok(s) => s,
        Err(e) => return fail(&e),
    };
    let options = RenderOptions {
        settings,
        sidechain: cli.sidechain,
        ir: cli.ir,
        block: cli.block as usize,
        tail: cli.tail.map_or(Tail::Auto, Tail::Seconds),
        bits: Bits::from_bits(cli.bits.parse().unwrap_or(32)).unwrap_or(Bits::Float32),
    };
    render::catch_signals();
    let Some(dir) = cli.out_dir else {
        let [input, output] = cli.files.as_slice() else {
            eprintln!("{name}: error: render takes IN OUT, or IN... --out-dir DIR (see '{name} render --help')");
            return EXIT_USAGE;
        };
        if cli.jobs.is_some() {
            eprintln!("{name}: error: --jobs goes with --out-dir");
            return EXIT_USAGE;
        }
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::new(0);
            bar.set_style(
                indicatif::ProgressStyle::with_template("{bar:40} {percent:>3}% {elapsed} (eta {eta})")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            bar
        });
        let result = render::render_file::<P>(&options, input, output, bar.as_ref());
        if let Some(bar) = bar {
            bar.finish_and_clear();
        }
        return match result {
            Ok(report) => {
                for w in &report.warnings {
                    eprintln!("{name}: warning: {w}");
                }
                eprintln!("rendered {}", report.summary());
                0
            }
            Err(e) => fail(&e),
        };
    };
    let jobs = cli.jobs.map_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()), |j| j as usize);
    let results = match render::render_batch::<P>(&options, &cli.files, &dir, jobs) {
        Ok(r) => r,
        Err(e) => return fail(&e),
    };
    let mut code = 0;
    let mut failed = 0;
    for (input, output, result) in &results {
        match result {
            Ok(report) => {
                for w in &report.warnings {
                    eprintln!("{name}: warning: {}: {w}", input.display());
                }
                eprintln!("{} -> {}: {}", input.display(), output.display(), report.summary());
            }
            Err(e) => {
                failed += 1;
                code = code.max(exit_code(e));
                // Most errors name the file already.
                let message = one_line(e);
                let shown = input.display().to_string();
                if message.contains(&shown) {
                    eprintln!("{name}: error: {message}");
                } else {
                    eprintln!("{name}: error: {shown}: {message}");
                }
            }
        }
    }
    eprintln!(
        "rendered {} of {} files into '{}'{}",
        results.len() - failed,
        results.len(),
        dir.display(),
        if failed > 0 { format!("; {failed} failed") } else { String::new() }
    );
    code
}

/// nice-plug's MIDI input options silently do nothing where they do not apply; refuse them
/// instead: on a plugin that takes no notes, `--midi-input` (an ALSA sequencer port) with a
/// backend other than ALSA, and `--connect-jack-midi-input` with one other than JACK (`auto`
/// may become either).
fn check_midi_flags<P: FerritePlugin>(args: &standalone::GuardArgs) -> Result<(), String> {
    if !(args.midi_input || args.connect_jack_midi_input) {
        return Ok(());
    }
    let flag = if args.midi_input { "--midi-input" } else { "--connect-jack-midi-input" };
    if P::MIDI_INPUT == MidiConfig::None {
        return Err(format!("{} takes no notes ({flag})", P::NAME));
    }
    if args.midi_input && matches!(args.backend, BackendChoice::Jack | BackendChoice::Other) {
        return Err("--midi-input reads an ALSA MIDI port and needs the ALSA backend; with JACK, \
                    connect the app's midi_input port (--connect-jack-midi-input PORT)"
            .to_owned());
    }
    if args.connect_jack_midi_input && matches!(args.backend, BackendChoice::Alsa | BackendChoice::Other) {
        return Err("--connect-jack-midi-input needs the JACK backend; with ALSA, use --midi-input NAME".to_owned());
    }
    Ok(())
}

/// The real-time app: nice-plug's standalone wrapper, plus `--preset` and `--set ID=VALUE`,
/// which it does not have. The settings are validated first (a bad one exits with status 2
/// before any audio device is opened) and applied by the plugin's `Default` to the instance the
/// wrapper creates.
fn standalone<P: FerritePlugin>(args: Vec<String>) -> i32 {
    let mut rest = Vec::with_capacity(args.len());
    let mut raw_settings = Vec::new();
    let mut preset = None;
    let mut iter = args.into_iter();
    while let Some(arg) = iter.next() {
        if arg == "--set" || arg == "--preset" {
            match iter.next() {
                Some(v) if arg == "--set" => raw_settings.push(v),
                Some(v) => preset = Some(v),
                None => {
                    let what = if arg == "--set" { "ID=VALUE" } else { "NAME or FILE" };
                    eprintln!("{}: error: {arg} needs {what}", P::CLI_NAME);
                    return EXIT_USAGE;
                }
            }
        } else if let Some(v) = arg.strip_prefix("--set=") {
            raw_settings.push(v.to_owned());
        } else if let Some(v) = arg.strip_prefix("--preset=") {
            preset = Some(v.to_owned());
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
            "{name}: also `{name} render IN OUT [options]` and `{name} render IN... --out-dir DIR` \
             (files through the plugin; see `{name} render --help`), \
             `{name} params [--json | --markdown | --presets]`, \
             `{name} --version`, and in real-time mode `--preset NAME|FILE` (a factory or user preset, \
             see `{name} params --presets`, or a preset file) and `--set ID=VALUE` (repeatable, \
             applied after the preset).\n\n\
             {flag} PORT[,PORT...]: with JACK, connect the sidechain (auxiliary) inputs to PORT, \
             or to the listed ports in order, as --connect-jack-inputs does for the main inputs.\n\n\
             {record} FILE: record what the app sends to its outputs, sample for sample, to FILE \
             (WAV, 32-bit float, at the stream's sample rate, one channel per output; an existing \
             file is replaced). {record_inputs} FILE: record what reaches its inputs, before \
             processing, to FILE (the main inputs, then the sidechain inputs if the layout has them), \
             frame for frame in step with the outputs file: the dry take, to render again later with \
             other settings. Either or both; the recording runs from the first block to the end, \
             and the files are valid WAV throughout (the header is brought up to date twice a \
             second, and finally when the app ends, by SIGINT or a lost device too). A disk too slow \
             to keep up loses frames: they are counted and reported on stderr, never silently.\n\n\
             On JACK, several copies of the app can run at once: the second is '{plugin} 2' \
             (client {client}_2), and so on up to {max}. If the JACK server stops, the app \
             exits with status 1; so it does with ALSA when the output device stops \
             delivering audio (about a second later).\n",
            name = P::CLI_NAME,
            flag = standalone::SIDECHAIN_FLAG,
            record = crate::record::RECORD_FLAG,
            record_inputs = crate::record::RECORD_INPUTS_FLAG,
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
    if let Err(e) = check_midi_flags::<P>(&guard_args) {
        eprintln!("{}: error: {e}", P::CLI_NAME);
        return EXIT_USAGE;
    }
    let settings = match render::parse_settings::<P>(preset.as_deref(), &raw_settings) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{}: error: {}", P::CLI_NAME, one_line(&e));
            return EXIT_USAGE;
        }
    };
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
        // `--record`: the files are created now (one that cannot be is refused before any
        // audio), and the instance the wrapper builds next takes the tap.
        match crate::record::Session::create(P::CLI_NAME, guard_args.record.as_deref(), guard_args.record_inputs.as_deref()) {
            Ok(Some(session)) => crate::record::install(session),
            Ok(None) => {}
            Err(e) => {
                eprintln!("{}: error: {e}", P::CLI_NAME);
                return EXIT_USAGE;
            }
        }
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
    // The wrapper has stopped its audio: the recording gets all of it.
    crate::record::finish();
    drop(jack_guard);
    if ok {
        0
    } else {
        EXIT_FAILURE
    }
}

/// `params --presets`: the factory presets by category, then the user presets, with the folder
/// user presets are kept in (and whether it exists yet).
pub fn presets_table<P: FerritePlugin>() -> String {
    let entries = presets::list(P::CLI_NAME, P::factory_presets());
    let width = entries.iter().map(|e| e.name.chars().count()).max().unwrap_or(0).max(4);
    let mut out = format!("{:width$}  CATEGORY\n", "NAME");
    for e in &entries {
        let shadowed = matches!(e.source, Source::Factory)
            && entries.iter().any(|u| matches!(u.source, Source::User(_)) && u.name.eq_ignore_ascii_case(&e.name));
        let note = if shadowed { "  (a user preset of this name is taken first)" } else { "" };
        out.push_str(&format!("{:width$}  {}{note}\n", e.name, e.category));
    }
    match presets::user_dir(P::CLI_NAME) {
        Some(dir) if dir.is_dir() => out.push_str(&format!("\nuser presets: {}\n", dir.display())),
        Some(dir) => out.push_str(&format!("\nuser presets: {} (none saved yet)\n", dir.display())),
        None => out.push_str("\nuser presets: none (neither XDG_DATA_HOME nor HOME is set)\n"),
    }
    out
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
