//! The QR code of a booking number for the confirmation mail: the front desk's scanner reads it as
//! if the number were typed. Rendered as a small greyscale PNG (written here: signature, IHDR, one
//! zlib-compressed IDAT, IEND), so no image library is needed.

use std::io::Write;

use qrcode::{Color, EcLevel, QrCode};

/// Pixels per module and the quiet zone around the code, in modules.
const SCALE: usize = 6;
const QUIET: usize = 4;

/// The code of `text` as a square greyscale raster (0 black, 255 white) and its side in pixels.
pub fn raster(text: &str) -> Option<(Vec<u8>, usize)> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).ok()?;
    let modules = code.width();
    let colors = code.to_colors();
    let side = (modules + 2 * QUIET) * SCALE;
    let mut px = vec![255u8; side * side];
    for y in 0..modules {
        for x in 0..modules {
            if colors[y * modules + x] == Color::Dark {
                for dy in 0..SCALE {
                    let row = ((y + QUIET) * SCALE + dy) * side;
                    px[row + (x + QUIET) * SCALE..row + (x + QUIET + 1) * SCALE].fill(0);
                }
            }
        }
    }
    Some((px, side))
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&u32::try_from(data.len()).unwrap_or(0).to_be_bytes());
    let mut crc = flate2::Crc::new();
    crc.update(kind);
    crc.update(data);
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    out.extend_from_slice(&crc.sum().to_be_bytes());
}

/// A greyscale PNG of a square raster.
pub fn png(px: &[u8], side: usize) -> Vec<u8> {
    let mut raw = Vec::with_capacity(px.len() + side);
    for row in px.chunks(side) {
        raw.push(0); // filter: none
        raw.extend_from_slice(row);
    }
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    let _ = z.write_all(&raw);
    let idat = z.finish().unwrap_or_default();
    let side32 = u32::try_from(side).unwrap_or(0).to_be_bytes();
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&side32);
    ihdr.extend_from_slice(&side32);
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]); // 8 bit, greyscale, deflate, no filter method, no interlace
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &idat);
    chunk(&mut out, b"IEND", &[]);
    out
}

/// The PNG of a booking number's QR code (`None` only for text no QR code can hold).
pub fn booking_png(number: &str) -> Option<Vec<u8>> {
    raster(number).map(|(px, side)| png(&px, side))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn the_code_reads_back_as_the_booking_number() {
        let (px, side) = raster("KL7Q2MXA").unwrap_or_default();
        let mut img = rqrr::PreparedImage::prepare_from_greyscale(side, side, |x, y| px[y * side + x]);
        let grids = img.detect_grids();
        assert_eq!(grids.len(), 1);
        let text = grids[0].decode().map(|(_, t)| t).unwrap_or_default();
        assert_eq!(text, "KL7Q2MXA");
    }

    #[test]
    fn the_png_has_its_signature_size_and_the_raster_inside() {
        let (px, side) = raster("ABCDEFGH").unwrap_or_default();
        let file = png(&px, side);
        assert!(file.starts_with(b"\x89PNG\r\n\x1a\n"));
        assert_eq!(&file[12..16], b"IHDR");
        assert_eq!(u32::from_be_bytes([file[16], file[17], file[18], file[19]]) as usize, side);
        assert!(
            file.ends_with(&[0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xae, 0x42, 0x60, 0x82]),
            "IEND with its fixed CRC"
        );
        let idat_len = u32::from_be_bytes([file[33], file[34], file[35], file[36]]) as usize;
        let mut inflated = vec![];
        let _ = flate2::read::ZlibDecoder::new(&file[41..41 + idat_len]).read_to_end(&mut inflated);
        assert_eq!(inflated.len(), side * (side + 1));
        assert_eq!(&inflated[1..=side], &px[..side]);
    }
}
