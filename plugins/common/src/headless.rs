//! Running the standalone app without its editor window.
//!
//! nice-plug's standalone wrapper always opens the plugin's editor when the plugin has one. For
//! headless use (servers, the JACK tests, machines without a display) the app takes
//! `--no-editor`, and on Linux without a display (`DISPLAY` unset or empty) it runs without the
//! window too, saying so in one line. Either way the choice is a process-wide flag that
//! [`EffectPlugin::editor`](crate::effect::EffectPlugin) reads: it then returns no editor, and
//! the wrapper runs until SIGINT or SIGTERM as for a plugin without an editor.
//!
//! Only the standalone app sets the flag ([`take_no_editor_flag`]); in a DAW it stays clear.

use std::sync::atomic::{AtomicU8, Ordering};

/// The command-line flag of the standalone app.
pub const NO_EDITOR_FLAG: &str = "--no-editor";

/// Why the editor is not opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoEditor {
    /// The user asked for it with `--no-editor`.
    Requested,
    /// There is no display to open a window on (Linux: `DISPLAY` unset or empty).
    NoDisplay,
}

/// 0: the editor may open; 1: [`NoEditor::Requested`]; 2: [`NoEditor::NoDisplay`].
static NO_EDITOR: AtomicU8 = AtomicU8::new(0);

/// Whether (and why) the editor is disabled in this process.
pub fn no_editor() -> Option<NoEditor> {
    match NO_EDITOR.load(Ordering::Relaxed) {
        1 => Some(NoEditor::Requested),
        2 => Some(NoEditor::NoDisplay),
        _ => None,
    }
}

/// Disables (`Some`) or re-enables (`None`) the editor for this process.
pub fn set_no_editor(reason: Option<NoEditor>) {
    let value = match reason {
        None => 0,
        Some(NoEditor::Requested) => 1,
        Some(NoEditor::NoDisplay) => 2,
    };
    NO_EDITOR.store(value, Ordering::Relaxed);
}

/// Whether this platform's windows need an X display that is not there.
fn display_missing() -> bool {
    if cfg!(all(unix, not(target_os = "macos"))) {
        std::env::var_os("DISPLAY").is_none_or(|d| d.is_empty())
    } else {
        false
    }
}

/// For the standalone app: removes every `--no-editor` from `args` (nice-plug's own option
/// parser does not know it) and sets the process-wide flag when one was there or when there
/// is no display. With `--help` among the arguments, describes the flag.
pub fn take_no_editor_flag(args: &mut Vec<String>) {
    let before = args.len();
    args.retain(|a| a != NO_EDITOR_FLAG);
    if args.len() != before {
        set_no_editor(Some(NoEditor::Requested));
    } else if display_missing() {
        set_no_editor(Some(NoEditor::NoDisplay));
    }
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!(
            "{NO_EDITOR_FLAG}: run without the editor window (until SIGINT or SIGTERM); also the \
             case on Linux when DISPLAY is not set.\n"
        );
    }
}

/// The one line the app prints when it has an editor but no display to show it on.
pub fn no_display_notice(cli_name: &str) -> String {
    format!("{cli_name}: no display (DISPLAY is not set): running without the editor window")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flag_is_taken_out_of_the_arguments_and_sets_the_process_flag() {
        let mut args: Vec<String> =
            ["ferrite-ring", "--backend", "dummy", "--no-editor", "--set", "drive=3"].map(String::from).to_vec();
        take_no_editor_flag(&mut args);
        assert_eq!(args, ["ferrite-ring", "--backend", "dummy", "--set", "drive=3"]);
        assert_eq!(no_editor(), Some(NoEditor::Requested));
        set_no_editor(None);
        assert_eq!(no_editor(), None);
    }
}
