//! Real windows under a virtual X server, for the window tests (feature `x11`):
//!
//! - [`Xvfb`]: a private `Xvfb` on a display number the server picks itself (`-displayfd`), so
//!   parallel test binaries never collide; stopped when dropped. Mesa's software OpenGL renders
//!   into it (`LIBGL_ALWAYS_SOFTWARE=1`, see [`Xvfb::env`]).
//! - [`Display`]: an X connection (x11rb, core protocol only) to look at windows: the top-level
//!   windows and their geometry, a parent window for embedding (as a host creates one), closing
//!   a window as a window manager does, and [`Image`] screenshots of a window.
//! - [`Image`]: the pixels, whether they are blank, and a PNG file (what `cargo xtask
//!   screenshots` puts in the docs).
//!
//! `cargo xtask test` installs `xvfb` and Mesa's `libgl1-mesa-dri` (Debian/Ubuntu packages).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use x11rb::connection::Connection;
use x11rb::protocol::xproto::{
    ClientMessageEvent, ConnectionExt as _, CreateWindowAux, EventMask, ImageFormat, MapState,
    WindowClass,
};
use x11rb::rust_connection::RustConnection;
use x11rb::wrapper::ConnectionExt as _;

/// A private virtual X server, stopped (SIGTERM, then SIGKILL) when dropped.
pub struct Xvfb {
    child: Child,
    display: String,
}

impl Xvfb {
    /// Starts `Xvfb` with one screen of `width`×`height`, 24-bit colour, no TCP, on a free display
    /// number the server chooses (it writes it to our pipe: `-displayfd 1`).
    pub fn start(width: u32, height: u32) -> Result<Self, String> {
        let mut child = Command::new("Xvfb")
            .args(["-displayfd", "1", "-screen", "0", &format!("{width}x{height}x24"), "-nolisten", "tcp", "-noreset"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| {
                format!(
                    "cannot run Xvfb ({e}); the window tests need it: `cargo xtask test` installs it as \
                     root, or: sudo apt-get install -y xvfb libgl1-mesa-dri"
                )
            })?;
        let stdout = child.stdout.take().expect("piped");
        // Read the display number on a thread, so a server that never answers cannot hang us.
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = match rx.recv_timeout(Duration::from_secs(20)) {
            Ok(line) => line,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err("Xvfb did not report its display within 20 s".into());
            }
        };
        let number: u32 = match line.trim().parse() {
            Ok(n) => n,
            Err(_) => {
                let status = child.wait().map(|s| s.to_string()).unwrap_or_default();
                return Err(format!("Xvfb failed to start ({status}); it printed {line:?}"));
            }
        };
        Ok(Self { child, display: format!(":{number}") })
    }

    /// The display name (`:N`), for `DISPLAY`.
    pub fn display(&self) -> &str {
        &self.display
    }

    /// The environment a program needs to draw into this server with Mesa's software OpenGL.
    pub fn env(&self) -> [(&'static str, String); 2] {
        [("DISPLAY", self.display.clone()), ("LIBGL_ALWAYS_SOFTWARE", "1".into())]
    }

    /// A connection to this server.
    pub fn connect(&self) -> Result<Display, String> {
        Display::connect(&self.display)
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A window's place and state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WindowInfo {
    pub id: u32,
    pub x: i16,
    pub y: i16,
    pub width: u16,
    pub height: u16,
    /// Mapped, with every ancestor mapped.
    pub viewable: bool,
}

/// An X connection for looking at and making windows.
pub struct Display {
    conn: RustConnection,
    screen: usize,
}

impl Display {
    /// Connects to `display` (`:N`).
    pub fn connect(display: &str) -> Result<Self, String> {
        let (conn, screen) = x11rb::connect(Some(display)).map_err(|e| format!("cannot connect to X display {display}: {e}"))?;
        Ok(Self { conn, screen })
    }

    /// The root window.
    pub fn root(&self) -> u32 {
        self.conn.setup().roots[self.screen].root
    }

    /// The children of `parent` (bottom to top), with their geometry.
    pub fn children(&self, parent: u32) -> Result<Vec<WindowInfo>, String> {
        let tree = self.conn.query_tree(parent).map_err(e)?.reply().map_err(e)?;
        let mut out = Vec::new();
        for id in tree.children {
            // A window may go away between the two requests; skip it then.
            let Ok(geometry) = self.conn.get_geometry(id).map_err(e)?.reply() else { continue };
            let Ok(attributes) = self.conn.get_window_attributes(id).map_err(e)?.reply() else { continue };
            out.push(WindowInfo {
                id,
                x: geometry.x,
                y: geometry.y,
                width: geometry.width,
                height: geometry.height,
                viewable: attributes.map_state == MapState::VIEWABLE,
            });
        }
        Ok(out)
    }

    /// The viewable top-level windows.
    pub fn viewable_top_levels(&self) -> Result<Vec<WindowInfo>, String> {
        Ok(self.children(self.root())?.into_iter().filter(|w| w.viewable).collect())
    }

    /// Waits up to `timeout` for `found` to return something from the viewable top-level windows.
    pub fn wait_for<T>(&self, timeout: Duration, mut found: impl FnMut(&[WindowInfo]) -> Option<T>) -> Result<Option<T>, String> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(t) = found(&self.viewable_top_levels()?) {
                return Ok(Some(t));
            }
            if Instant::now() >= deadline {
                return Ok(None);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Creates and maps a top-level window of `width`×`height` at (0, 0) filled with black, as a
    /// host creates the window it embeds a plugin's editor in.
    pub fn create_parent(&self, width: u16, height: u16) -> Result<u32, String> {
        let screen = &self.conn.setup().roots[self.screen];
        let id = self.conn.generate_id().map_err(e)?;
        self.conn
            .create_window(
                screen.root_depth,
                id,
                screen.root,
                0,
                0,
                width,
                height,
                0,
                WindowClass::INPUT_OUTPUT,
                screen.root_visual,
                &CreateWindowAux::new().background_pixel(screen.black_pixel).event_mask(EventMask::STRUCTURE_NOTIFY),
            )
            .map_err(e)?;
        self.conn.map_window(id).map_err(e)?;
        self.conn.sync().map_err(e)?;
        Ok(id)
    }

    /// Destroys a window made by [`Self::create_parent`].
    pub fn destroy(&self, window: u32) -> Result<(), String> {
        self.conn.destroy_window(window).map_err(e)?;
        self.conn.sync().map_err(e)
    }

    /// Asks `window` to close as a window manager does (`WM_DELETE_WINDOW`).
    pub fn request_close(&self, window: u32) -> Result<(), String> {
        let atom = |name: &str| -> Result<u32, String> {
            Ok(self.conn.intern_atom(false, name.as_bytes()).map_err(e)?.reply().map_err(e)?.atom)
        };
        let (protocols, delete) = (atom("WM_PROTOCOLS")?, atom("WM_DELETE_WINDOW")?);
        let event = ClientMessageEvent::new(32, window, protocols, [delete, x11rb::CURRENT_TIME, 0, 0, 0]);
        self.conn.send_event(false, window, EventMask::NO_EVENT, event).map_err(e)?;
        self.conn.sync().map_err(e)?;
        Ok(())
    }

    /// The pixels of `window` (its whole area; child windows included, as on screen).
    pub fn capture(&self, window: u32) -> Result<Image, String> {
        let geometry = self.conn.get_geometry(window).map_err(e)?.reply().map_err(e)?;
        let (width, height) = (geometry.width as usize, geometry.height as usize);
        let reply = self
            .conn
            .get_image(ImageFormat::Z_PIXMAP, window, 0, 0, geometry.width, geometry.height, !0)
            .map_err(e)?
            .reply()
            .map_err(e)?;
        let setup = self.conn.setup();
        let format = setup
            .pixmap_formats
            .iter()
            .find(|f| f.depth == reply.depth)
            .ok_or_else(|| format!("no pixmap format for depth {}", reply.depth))?;
        if format.bits_per_pixel != 32 || reply.depth < 24 {
            return Err(format!("unsupported pixel format: depth {}, {} bits per pixel", reply.depth, format.bits_per_pixel));
        }
        let stride = reply.data.len() / height.max(1);
        if stride < width * 4 {
            return Err(format!("short image: {} bytes for {width}×{height}", reply.data.len()));
        }
        let little = setup.image_byte_order == x11rb::protocol::xproto::ImageOrder::LSB_FIRST;
        let mut rgb = Vec::with_capacity(width * height * 3);
        for row in reply.data.chunks(stride).take(height) {
            for px in row[..width * 4].chunks_exact(4) {
                // 0x00RRGGBB in the server's byte order (the TrueColor visual of a 24-bit screen).
                let v = if little { u32::from_le_bytes([px[0], px[1], px[2], px[3]]) } else { u32::from_be_bytes([px[0], px[1], px[2], px[3]]) };
                rgb.extend_from_slice(&[(v >> 16) as u8, (v >> 8) as u8, v as u8]);
            }
        }
        Ok(Image { width, height, rgb })
    }
}

fn e(err: impl std::fmt::Display) -> String {
    format!("X11: {err}")
}

/// An RGB screenshot.
#[derive(Clone, Debug)]
pub struct Image {
    pub width: usize,
    pub height: usize,
    /// Rows top to bottom, 3 bytes a pixel.
    pub rgb: Vec<u8>,
}

impl Image {
    /// How many different colours the image has (counting stops at `limit`).
    pub fn distinct_colours(&self, limit: usize) -> usize {
        let mut seen = std::collections::HashSet::new();
        for px in self.rgb.chunks_exact(3) {
            seen.insert([px[0], px[1], px[2]]);
            if seen.len() >= limit {
                break;
            }
        }
        seen.len()
    }

    /// The colour at column `x`, row `y` (None outside the image).
    pub fn pixel(&self, x: usize, y: usize) -> Option<[u8; 3]> {
        if x >= self.width || y >= self.height {
            return None;
        }
        let i = 3 * (y * self.width + x);
        Some([self.rgb[i], self.rgb[i + 1], self.rgb[i + 2]])
    }

    /// The most common colour (the background) and how many pixels have it.
    pub fn most_common_colour(&self) -> ([u8; 3], usize) {
        let mut counts = std::collections::HashMap::new();
        for px in self.rgb.chunks_exact(3) {
            *counts.entry([px[0], px[1], px[2]]).or_insert(0usize) += 1;
        }
        counts.into_iter().max_by_key(|&(_, n)| n).unwrap_or(([0; 3], 0))
    }

    /// The share of pixels that differ from the most common colour (the background).
    pub fn non_background_share(&self) -> f64 {
        let (_, most) = self.most_common_colour();
        let total = self.width * self.height;
        if total == 0 {
            return 0.0;
        }
        1.0 - most as f64 / total as f64
    }

    /// Why the image looks blank (one colour, or almost nothing drawn), if it does: an editor
    /// draws text, controls and plots in several colours over a good part of its area.
    pub fn blank_reason(&self) -> Option<String> {
        let colours = self.distinct_colours(64);
        let drawn = self.non_background_share();
        if colours < 8 {
            Some(format!("only {colours} colour(s)"))
        } else if drawn < 0.01 {
            Some(format!("only {:.2} % of the pixels differ from the background", drawn * 100.0))
        } else {
            None
        }
    }

    /// Writes the image as an 8-bit RGB PNG.
    pub fn write_png(&self, path: &Path) -> Result<(), String> {
        let fail = |e: &dyn std::fmt::Display| format!("cannot write {}: {e}", path.display());
        let file = std::io::BufWriter::new(std::fs::File::create(path).map_err(|e| fail(&e))?);
        let mut encoder = png::Encoder::new(file, self.width as u32, self.height as u32);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_compression(png::Compression::High);
        let mut writer = encoder.write_header().map_err(|e| fail(&e))?;
        writer.write_image_data(&self.rgb).map_err(|e| fail(&e))?;
        writer.finish().map_err(|e| fail(&e))
    }
}
