use std::io::Cursor;
use std::panic::{AssertUnwindSafe, catch_unwind};

use image::{DynamicImage, ImageFormat, ImageReader};
use pdq::{ImageRef, PixelFormat};

use crate::{Compat, Format, Limits, MediaError, sniff};

/// Decoded 8-bit pixels, grey or RGB (alpha is never kept: PDQ ignores it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    /// Packed pixels, rows without padding.
    pub pixels: Vec<u8>,
    /// Width in pixels.
    pub width: usize,
    /// Height in pixels.
    pub height: usize,
    /// `Grey` or `Rgb`.
    pub layout: PixelFormat,
    /// The file format the pixels came from.
    pub source_format: Format,
}

impl Decoded {
    /// Borrows the pixels for hashing.
    pub fn as_image_ref(&self) -> Result<ImageRef<'_>, pdq::Error> {
        ImageRef::new(&self.pixels, self.width, self.height, self.layout)
    }
}

/// Sniffs, checks the declared size against `limits`, and decodes. Never panics: a decoder
/// panic on hostile input becomes [`MediaError::Corrupt`].
pub fn decode(bytes: &[u8], limits: &Limits) -> Result<Decoded, MediaError> {
    decode_for(bytes, limits, Compat::Hma)
}

/// As [`decode`], reproducing another tool's pixel conversion where it differs. The only such
/// difference is 16-bit samples: the C++ CLI's loader (CImg) keeps their low byte, a truncating
/// cast; everyone else keeps the high byte.
pub fn decode_for(bytes: &[u8], limits: &Limits, compat: Compat) -> Result<Decoded, MediaError> {
    let format = sniff(bytes).ok_or(MediaError::UnknownFormat)?;
    let corrupt = |message: String| MediaError::Corrupt { format, message };
    let decoded = catch_unwind(AssertUnwindSafe(|| match format {
        Format::Jpeg => decode_jpeg(bytes, limits),
        other => decode_with_image(bytes, other, limits, compat),
    }))
    .map_err(|_| corrupt("the decoder failed on malformed data".into()))??;
    Ok(decoded)
}

fn check_pixels(
    format: Format,
    width: u64,
    height: u64,
    limits: &Limits,
) -> Result<(), MediaError> {
    if width == 0 || height == 0 {
        return Err(MediaError::Corrupt {
            format,
            message: format!("declared size {width}x{height} has no pixels"),
        });
    }
    if width.saturating_mul(height) > limits.max_pixels {
        return Err(MediaError::TooManyPixels {
            format,
            width,
            height,
            max: limits.max_pixels,
        });
    }
    Ok(())
}

fn decode_jpeg(bytes: &[u8], limits: &Limits) -> Result<Decoded, MediaError> {
    let format = Format::Jpeg;
    let corrupt = |e: turbojpeg::Error| MediaError::Corrupt {
        format,
        message: e.to_string(),
    };
    let header = turbojpeg::read_header(bytes).map_err(corrupt)?;
    check_pixels(format, header.width as u64, header.height as u64, limits)?;
    // Grey JPEGs stay one channel, as PIL's "L" mode and the reference's grey luma path: going
    // through RGB would change the float luma.
    let (tj_format, layout) = match header.colorspace {
        turbojpeg::Colorspace::Gray => (turbojpeg::PixelFormat::GRAY, PixelFormat::Grey),
        _ => (turbojpeg::PixelFormat::RGB, PixelFormat::Rgb),
    };
    let image = turbojpeg::decompress(bytes, tj_format).map_err(corrupt)?;
    let (width, height) = (image.width, image.height);
    let channels = layout.channels();
    // TurboJPEG may pad rows; repack them tightly.
    let pixels = if image.pitch == width * channels {
        image.pixels
    } else {
        image
            .pixels
            .chunks(image.pitch)
            .take(height)
            .flat_map(|row| row[..width * channels].iter().copied())
            .collect()
    };
    Ok(Decoded {
        pixels,
        width,
        height,
        layout,
        source_format: format,
    })
}

fn image_format(format: Format) -> ImageFormat {
    match format {
        Format::Jpeg => ImageFormat::Jpeg,
        Format::Png => ImageFormat::Png,
        Format::Gif => ImageFormat::Gif,
        Format::Webp => ImageFormat::WebP,
        Format::Bmp => ImageFormat::Bmp,
        Format::Tiff => ImageFormat::Tiff,
    }
}

fn decode_with_image(
    bytes: &[u8],
    format: Format,
    limits: &Limits,
    compat: Compat,
) -> Result<Decoded, MediaError> {
    let corrupt = |e: image::ImageError| MediaError::Corrupt {
        format,
        message: e.to_string(),
    };
    // PNG and GIF declare their size at a fixed offset; refuse a bomb on that alone, whatever
    // follows it (a header with nothing behind it is still a bomb, not a truncated file).
    if let Some((w, h)) = fixed_header_dimensions(bytes, format) {
        check_pixels(format, w, h, limits)?;
    }
    let reader = || ImageReader::with_format(Cursor::new(bytes), image_format(format));
    let (width, height) = reader().into_dimensions().map_err(corrupt)?;
    check_pixels(format, u64::from(width), u64::from(height), limits)?;
    let mut reader = reader();
    let mut image_limits = image::Limits::default();
    // Room for the largest layout a decoder may allocate (16-bit RGBA), and no more.
    image_limits.max_alloc = Some(limits.max_pixels.saturating_mul(8).saturating_add(1 << 20));
    reader.limits(image_limits);
    let image = reader.decode().map_err(corrupt)?;
    let reduce: fn(u16) -> u8 = match compat {
        Compat::Hma => |v| (v >> 8) as u8,
        Compat::MetaCli => |v| (v & 0xff) as u8,
    };
    Ok(to_8bit(image, format, reduce))
}

fn fixed_header_dimensions(bytes: &[u8], format: Format) -> Option<(u64, u64)> {
    let be = |at: usize| {
        Some(u64::from(u32::from_be_bytes(
            bytes.get(at..at + 4)?.try_into().ok()?,
        )))
    };
    let le16 = |at: usize| {
        Some(u64::from(u16::from_le_bytes(
            bytes.get(at..at + 2)?.try_into().ok()?,
        )))
    };
    match format {
        Format::Png if bytes.get(12..16) == Some(b"IHDR") => Some((be(16)?, be(20)?)),
        Format::Gif => Some((le16(6)?, le16(8)?)),
        _ => None,
    }
}

/// Converts whatever the decoder produced to 8-bit grey or RGB. Palette images arrive expanded
/// to RGB(A) and 1-bit images to 0/255 grey. 16-bit samples go through `reduce`.
fn to_8bit(image: DynamicImage, source_format: Format, reduce: fn(u16) -> u8) -> Decoded {
    let (width, height) = (image.width() as usize, image.height() as usize);
    let (pixels, layout) = match image {
        DynamicImage::ImageLuma8(buf) => (buf.into_raw(), PixelFormat::Grey),
        DynamicImage::ImageLumaA8(buf) => (
            buf.into_raw().chunks_exact(2).map(|p| p[0]).collect(),
            PixelFormat::Grey,
        ),
        DynamicImage::ImageRgb8(buf) => (buf.into_raw(), PixelFormat::Rgb),
        DynamicImage::ImageRgba8(buf) => (
            buf.into_raw()
                .chunks_exact(4)
                .flat_map(|p| [p[0], p[1], p[2]])
                .collect(),
            PixelFormat::Rgb,
        ),
        DynamicImage::ImageLuma16(buf) => (
            buf.into_raw().iter().map(|&v| reduce(v)).collect(),
            PixelFormat::Grey,
        ),
        DynamicImage::ImageLumaA16(buf) => (
            buf.into_raw()
                .chunks_exact(2)
                .map(|p| reduce(p[0]))
                .collect(),
            PixelFormat::Grey,
        ),
        DynamicImage::ImageRgb16(buf) => (
            buf.into_raw().iter().map(|&v| reduce(v)).collect(),
            PixelFormat::Rgb,
        ),
        DynamicImage::ImageRgba16(buf) => (
            buf.into_raw()
                .chunks_exact(4)
                .flat_map(|p| [reduce(p[0]), reduce(p[1]), reduce(p[2])])
                .collect(),
            PixelFormat::Rgb,
        ),
        other => (other.to_rgb8().into_raw(), PixelFormat::Rgb),
    };
    Decoded {
        pixels,
        width,
        height,
        layout,
        source_format,
    }
}

/// The C++ `pdq-photo-hasher` resize: over 512 pixels on either side becomes exactly 512x512 by
/// nearest neighbour (aspect ratio not kept); output pixel x reads source `floor(x * W / 512)`.
pub fn resize_meta_cli(image: Decoded) -> Decoded {
    const SIDE: usize = 512;
    if image.width <= SIDE && image.height <= SIDE {
        return image;
    }
    let channels = image.layout.channels();
    let src_x: Vec<usize> = (0..SIDE)
        .map(|x| ((x as f64 * image.width as f64) / SIDE as f64).floor() as usize)
        .collect();
    let mut pixels = Vec::with_capacity(SIDE * SIDE * channels);
    for y in 0..SIDE {
        let sy = ((y as f64 * image.height as f64) / SIDE as f64).floor() as usize;
        let row = &image.pixels[sy * image.width * channels..(sy + 1) * image.width * channels];
        for &sx in &src_x {
            pixels.extend_from_slice(&row[sx * channels..(sx + 1) * channels]);
        }
    }
    Decoded {
        pixels,
        width: SIDE,
        height: SIDE,
        ..image
    }
}
