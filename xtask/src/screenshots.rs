//! `cargo xtask screenshots`: PNGs of every plugin's editor for the README, taken from the real
//! standalone windows: bundles every plugin, runs the standalone window test
//! (`tests/tests/standalone_window.rs`, under its own Xvfb with Mesa's software OpenGL) with
//! `FERRITE_SCREENSHOT_DIR` set, so that it leaves one `<app>.ppm` per editor, and writes each as
//! `docs/screenshots/<app>.png`.

use anyhow::{bail, Context, Result};
use std::path::Path;
use std::process::Command;

use crate::bundle::bundle;
use crate::system::{check_system_libraries, DEB_PACKAGES, TEST_DEB_PACKAGES};
use crate::{cargo, workspace};

/// Where the PNGs go, relative to the workspace root.
pub const SCREENSHOT_DIR: &str = "docs/screenshots";

pub fn screenshots() -> Result<()> {
    let metadata = workspace()?;
    let packages: Vec<&'static str> = DEB_PACKAGES.iter().chain(TEST_DEB_PACKAGES).copied().collect();
    check_system_libraries(&packages)?;
    bundle(Vec::new())?;
    let bundle_dir = metadata.target_directory.join("bundled");
    let raw_dir = metadata.target_directory.join("screenshots");
    let _ = std::fs::remove_dir_all(&raw_dir);
    std::fs::create_dir_all(&raw_dir).with_context(|| format!("cannot create {raw_dir}"))?;

    // The same cargo command line as `cargo xtask test` (the workspace without xtask), so the
    // bundles' build is reused, narrowed to the one test that opens the windows.
    let status = Command::new(cargo())
        .args(["test", "--release", "--workspace", "--exclude", "xtask", "--test", "standalone_window", "--"])
        .args(["every_standalone_opens_its_editor_window", "--exact", "--nocapture"])
        .env("FERRITE_BUNDLE_DIR", &bundle_dir)
        .env("FERRITE_SCREENSHOT_DIR", &raw_dir)
        .status()
        .context("could not run cargo test")?;

    let mut written = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(&raw_dir)?.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    std::fs::create_dir_all(SCREENSHOT_DIR)?;
    for ppm in entries.iter().filter(|p| p.extension().is_some_and(|x| x == "ppm")) {
        let name = ppm.file_stem().unwrap().to_string_lossy().into_owned();
        let png = Path::new(SCREENSHOT_DIR).join(format!("{name}.png"));
        let (width, height, rgb) = read_ppm(ppm)?;
        std::fs::write(&png, encode_png(width, height, &rgb)).with_context(|| format!("cannot write {}", png.display()))?;
        eprintln!("screenshots: {} ({width}×{height})", png.display());
        written.push(name);
    }
    if !status.success() {
        bail!("the standalone window test failed ({status}); screenshots written: {}", written.len());
    }
    if written.is_empty() {
        eprintln!("screenshots: no plugin has an editor yet, nothing written");
    }
    Ok(())
}

/// A binary PPM (`P6`, maxval 255) as written by the test kit: width, height, RGB bytes.
fn read_ppm(path: &Path) -> Result<(u32, u32, Vec<u8>)> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    // The header: four whitespace-separated fields ("P6", width, height, 255), then one byte.
    let mut fields = Vec::new();
    let mut i = 0;
    while fields.len() < 4 {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let start = i;
        while i < bytes.len() && !bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if start == i {
            bail!("{}: truncated PPM header", path.display());
        }
        fields.push(String::from_utf8_lossy(&bytes[start..i]).into_owned());
    }
    let data = &bytes[(i + 1).min(bytes.len())..];
    let (width, height): (u32, u32) = (fields[1].parse()?, fields[2].parse()?);
    if fields[0] != "P6" || fields[3] != "255" || data.len() != width as usize * height as usize * 3 {
        bail!("{}: not an 8-bit binary PPM of {width}×{height}", path.display());
    }
    Ok((width, height, data.to_vec()))
}

/// An 8-bit RGB PNG (each row filtered with `Sub`, which turns the editors' flat areas into runs
/// of zeros; zlib by miniz_oxide).
fn encode_png(width: u32, height: u32, rgb: &[u8]) -> Vec<u8> {
    let stride = width as usize * 3;
    let mut filtered = Vec::with_capacity((stride + 1) * height as usize);
    for row in rgb.chunks_exact(stride) {
        filtered.push(1); // Sub: each byte minus the same channel of the pixel to its left.
        for (i, &b) in row.iter().enumerate() {
            filtered.push(if i >= 3 { b.wrapping_sub(row[i - 3]) } else { b });
        }
    }
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8 bits, truecolour, deflate, no interlace
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut png, b"IHDR", &ihdr);
    chunk(&mut png, b"IDAT", &miniz_oxide::deflate::compress_to_vec_zlib(&filtered, 9));
    chunk(&mut png, b"IEND", &[]);
    png
}

fn chunk(png: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    png.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let start = png.len();
    png.extend_from_slice(kind);
    png.extend_from_slice(data);
    let crc = crc32(&png[start..]);
    png.extend_from_slice(&crc.to_be_bytes());
}

/// CRC-32 (IEEE), as PNG chunks use.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_matches_the_standard_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn png_rows_decode_back_to_the_pixels() {
        let (w, h) = (5u32, 3u32);
        let rgb: Vec<u8> = (0..w * h * 3).map(|i| (i * 37 % 251) as u8).collect();
        let png = encode_png(w, h, &rgb);
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        // The IDAT chunk follows the 25-byte IHDR chunk.
        let idat_len = u32::from_be_bytes(png[33..37].try_into().unwrap()) as usize;
        assert_eq!(&png[37..41], b"IDAT");
        let raw = miniz_oxide::inflate::decompress_to_vec_zlib(&png[41..41 + idat_len]).unwrap();
        let stride = w as usize * 3;
        for (y, row) in raw.chunks_exact(stride + 1).enumerate() {
            assert_eq!(row[0], 1);
            let mut decoded = vec![0u8; stride];
            for i in 0..stride {
                decoded[i] = row[1 + i].wrapping_add(if i >= 3 { decoded[i - 3] } else { 0 });
            }
            assert_eq!(decoded, &rgb[y * stride..(y + 1) * stride]);
        }
    }
}
