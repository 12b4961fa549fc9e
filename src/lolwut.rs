//! LOLWUT (Redis `lolwut.c`, `lolwut5.c`, `lolwut6.c`): a version banner,
//! and for `VERSION 5` and `VERSION 6` a piece of generative art.
//!
//! # What it prints
//! Redis 7.0 has no art of its own: plain `LOLWUT` replies
//! `Redis ver. 7.0.15` and a newline. `LOLWUT VERSION 5 [cols] [per-row]
//! [per-col]` draws Georg Nees's *Schotter* (1968): a grid of squares
//! whose rotation and displacement grow randomly row after row, plotted on
//! a canvas of 2×4-dot Braille cells (U+2800..U+28FF). `LOLWUT VERSION 6
//! [cols] [rows]` draws a city skyline with lit windows in the four gray
//! levels of a color terminal (ANSI escapes, one space per pixel). Both
//! are random, as in Redis, so only their shape is deterministic. The
//! sizes are clamped (1..=1000 columns, 1..=200 squares, 1..=1000 rows) so
//! the command stays cheap.

use rand::RngExt;

use crate::commands::Handler;
use crate::networking::Client;
use crate::server::Server;

/// The LOLWUT command.
pub static HANDLERS: &[(&str, Handler)] = &[("lolwut", lolwut_command)];

/// The version LOLWUT reports.
const VERSION: &str = "7.0.15";

/// A grid of pixels, each a color index (0 = background for Schotter).
struct Canvas {
    width: i64,
    height: i64,
    pixels: Vec<u8>,
}

impl Canvas {
    fn new(width: i64, height: i64, color: u8) -> Canvas {
        Canvas {
            width,
            height,
            pixels: vec![color; (width * height).max(0) as usize],
        }
    }

    /// Sets a pixel; coordinates outside the canvas are ignored.
    fn set(&mut self, x: i64, y: i64, color: u8) {
        if (0..self.width).contains(&x) && (0..self.height).contains(&y) {
            self.pixels[(x + y * self.width) as usize] = color;
        }
    }

    /// A pixel's color; 0 outside the canvas.
    fn get(&self, x: i64, y: i64) -> u8 {
        if (0..self.width).contains(&x) && (0..self.height).contains(&y) {
            self.pixels[(x + y * self.width) as usize]
        } else {
            0
        }
    }

    /// A straight line between two points (Bresenham's algorithm).
    fn line(&mut self, (mut x, mut y): (i64, i64), (x2, y2): (i64, i64), color: u8) {
        let (dx, dy) = ((x2 - x).abs(), (y2 - y).abs());
        let sx = if x < x2 { 1 } else { -1 };
        let sy = if y < y2 { 1 } else { -1 };
        let mut err = dx - dy;
        loop {
            self.set(x, y, color);
            if x == x2 && y == y2 {
                break;
            }
            let e2 = err * 2;
            if e2 > -dy {
                err -= dy;
                x += sx;
            }
            if e2 < dx {
                err += dx;
                y += sy;
            }
        }
    }

    /// A square of side `side` centered on (x, y), turned by `angle`
    /// radians: its corners lie on the circle through them, 90° apart.
    fn square(&mut self, x: i64, y: i64, side: f32, angle: f32, color: u8) {
        let radius = (side / std::f32::consts::SQRT_2).round();
        let corner = |j: usize| {
            let k = std::f32::consts::FRAC_PI_4 + angle + j as f32 * std::f32::consts::FRAC_PI_2;
            (
                (k.sin() * radius + x as f32).round() as i64,
                (k.cos() * radius + y as f32).round() as i64,
            )
        };
        for j in 0..4 {
            self.line(corner(j), corner((j + 1) % 4), color);
        }
    }
}

/// LOLWUT [VERSION version] [art arguments...] → verbatim text: the art of
/// that Redis version (5 and 6 have some) and the version line. Error: `ERR
/// value is not an integer or out of range` for a bad version or size.
pub fn lolwut_command(_srv: &mut Server, c: &mut Client) {
    let mut art_args: &[bytes::Bytes] = &[];
    let mut version: Option<u32> = None;
    let argv = c.argv.clone();
    if argv.len() >= 3 && argv[1].eq_ignore_ascii_case(b"version") {
        let Some(v) = crate::db::get_long_long_or_reply(c, &argv[2], None) else {
            return;
        };
        // Redis prints the version as an unsigned int.
        version = Some(v as u32);
        art_args = &argv[3..];
    }
    let text = match version {
        Some(5) => {
            let Some(a) = parse_sizes(c, art_args, &[66, 8, 12]) else {
                return;
            };
            let cols = a[0].clamp(1, 1000);
            let per_row = a[1].clamp(1, 200);
            let per_col = a[2].clamp(1, 200);
            let mut s = render_braille(&draw_schotter(cols, per_row, per_col));
            s.push_str("\nGeorg Nees - schotter, plotter on paper, 1968. Redis ver. ");
            s.push_str(VERSION);
            s.push('\n');
            s
        }
        Some(6) => {
            let Some(a) = parse_sizes(c, art_args, &[80, 20]) else {
                return;
            };
            let cols = a[0].clamp(1, 1000);
            let rows = a[1].clamp(1, 1000);
            let mut canvas = Canvas::new(cols, rows, 3);
            draw_skyline(&mut canvas);
            let mut s = render_grays(&canvas);
            s.push_str("\nDedicated to the 8 bit game developers of past and present.\nOriginal 8 bit image from Plaguemon by hikikomori. Redis ver. ");
            s.push_str(VERSION);
            s.push('\n');
            s
        }
        _ => format!("Redis ver. {}\n", VERSION),
    };
    c.add_reply_verbatim(text.as_bytes(), "txt");
}

/// Reads up to `defaults.len()` integer arguments over the defaults;
/// replies the integer error and returns None on a bad one.
fn parse_sizes(c: &mut Client, args: &[bytes::Bytes], defaults: &[i64]) -> Option<Vec<i64>> {
    let mut out = defaults.to_vec();
    for (slot, a) in out.iter_mut().zip(args) {
        *slot = crate::db::get_long_long_or_reply(c, a, None)?;
    }
    Some(out)
}

// ---- Version 5: Schotter ----

/// The Schotter canvas for a terminal of `cols` columns (two dots per
/// column): `per_row` × `per_col` squares with a 2-dot margin; from the
/// third row on each square is turned and shifted by random amounts that
/// grow with the row.
fn draw_schotter(cols: i64, per_row: i64, per_col: i64) -> Canvas {
    let width = cols * 2;
    let padding = if width > 4 { 2 } else { 0 };
    let side = (width - padding * 2) as f32 / per_row as f32;
    let height = (side * per_col as f32) as i64 + padding * 2;
    let mut canvas = Canvas::new(width, height, 0);
    let mut rng = rand::rng();
    for y in 0..per_col {
        for x in 0..per_row {
            let mut sx = (x as f32 * side + side / 2.0 + padding as f32) as i64;
            let mut sy = (y as f32 * side + side / 2.0 + padding as f32) as i64;
            let mut angle = 0.0f32;
            if y > 1 {
                let mut r = || {
                    let v = rng.random::<f32>() / per_col as f32 * y as f32;
                    if rng.random_bool(0.5) { -v } else { v }
                };
                angle = r();
                let (dx, dy) = (r(), r());
                sx = (sx as f32 + dx * side / 3.0) as i64;
                sy = (sy as f32 + dy * side / 3.0) as i64;
            }
            canvas.square(sx, sy, side, angle, 1);
        }
    }
    canvas
}

/// The canvas as lines of Braille characters, each standing for 2×4 dots
/// (dots 1-2-3 and 4-5-6 down the two columns, 7 and 8 on the bottom row),
/// with no newline after the last line.
fn render_braille(canvas: &Canvas) -> String {
    let mut out = String::new();
    let mut y = 0;
    while y < canvas.height {
        let mut x = 0;
        while x < canvas.width {
            let dots = [
                (0, 0, 0),
                (0, 1, 1),
                (0, 2, 2),
                (1, 0, 3),
                (1, 1, 4),
                (1, 2, 5),
                (0, 3, 6),
                (1, 3, 7),
            ];
            let bits = dots
                .iter()
                .filter(|(dx, dy, _)| canvas.get(x + dx, y + dy) != 0)
                .fold(0u32, |acc, (_, _, bit)| acc | (1 << bit));
            out.push(char::from_u32(0x2800 + bits).unwrap_or(' '));
            x += 2;
        }
        if y != canvas.height - 1 {
            out.push('\n');
        }
        y += 4;
    }
    out
}

// ---- Version 6: skyline ----

/// One building of the skyline.
struct Building {
    xoff: i64,
    width: i64,
    height: i64,
    windows: bool,
    color: u8,
}

/// Draws a building standing on the bottom row: its roof two pixels
/// narrower on each side, and with `windows`, two-pixel-wide windows on
/// every other row, lit in a random gray different from the wall.
fn draw_building(canvas: &mut Canvas, b: &Building, rng: &mut impl rand::Rng) {
    let bottom = canvas.height - 1;
    let top = bottom - b.height + 1;
    let mut y = bottom;
    while y >= top {
        for x in b.xoff..b.xoff + b.width {
            if y == top && (x <= b.xoff + 1 || x >= b.xoff + b.width - 2) {
                continue;
            }
            let mut color = b.color;
            let inner = x > b.xoff + 1 && x < b.xoff + b.width - 2 && y > top + 1 && y < bottom - 1;
            if b.windows && inner {
                let relx = x - (b.xoff + 1);
                let rely = y - (top + 1);
                if (relx / 2) % 2 != 0 && rely % 2 != 0 {
                    color = if relx % 2 != 0 {
                        // The window's second pixel matches its first.
                        canvas.get(x - 1, y)
                    } else if b.color == 1 {
                        2
                    } else if b.color == 2 {
                        1
                    } else {
                        rng.random_range(1..=2u8)
                    };
                }
            }
            canvas.set(x, y, color);
        }
        y -= 1;
    }
}

/// A skyline in three layers: light gray buildings behind darker ones,
/// both without windows, then black buildings with lit windows in front.
fn draw_skyline(canvas: &mut Canvas) {
    let mut rng = rand::rng();
    let (w, h) = (canvas.width, canvas.height);
    for color in [2u8, 1] {
        let mut offset = -10;
        while offset < w {
            offset += rng.random_range(0..8);
            let width = 10 + rng.random_range(0..9);
            let height = if color == 2 {
                h / 2 + rng.random_range(0..h.max(1)) / 2
            } else {
                h / 2 + rng.random_range(0..h.max(1)) / 3
            };
            let b = Building {
                xoff: offset,
                width,
                height,
                windows: false,
                color,
            };
            draw_building(canvas, &b, &mut rng);
            offset += if color == 2 { width / 2 } else { width + 1 };
        }
    }
    let mut offset = -10;
    while offset < w {
        offset += rng.random_range(0..8);
        let mut width = 5 + rng.random_range(0..14);
        if width % 4 != 0 {
            width += width % 3;
        }
        let height = h / 3 + rng.random_range(0..h.max(1)) / 2;
        let b = Building {
            xoff: offset,
            width,
            height,
            windows: true,
            color: 0,
        };
        draw_building(canvas, &b, &mut rng);
        offset += width + 5;
    }
}

/// The canvas as lines of spaces colored by ANSI escapes: black, dark
/// gray, light gray and white for colors 0..=3, foreground and background
/// both set; no newline after the last line.
fn render_grays(canvas: &Canvas) -> String {
    let mut out = String::new();
    for y in 0..canvas.height {
        for x in 0..canvas.width {
            let esc = match canvas.get(x, y) {
                1 => "0;90;100m",
                2 => "0;37;47m",
                3 => "0;97;107m",
                _ => "0;30;40m",
            };
            out.push_str("\x1b[");
            out.push_str(esc);
            out.push_str(" \x1b[0m");
        }
        if y != canvas.height - 1 {
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schotter_shape() {
        let canvas = draw_schotter(66, 8, 12);
        let s = render_braille(&canvas);
        // 132 dots wide, (128 / 8) * 12 + 4 = 196 dots tall → 49 lines of
        // 66, each ending in a newline (Redis omits it only after a line
        // starting on the canvas's last dot row).
        assert_eq!(canvas.height, 196);
        assert!(s.ends_with('\n'));
        let lines: Vec<&str> = s.trim_end_matches('\n').split('\n').collect();
        assert_eq!(lines.len(), 49);
        assert!(lines.iter().all(|l| l.chars().count() == 66));
        // The first two rows of squares are never turned: the top edge of
        // the first square is a straight line.
        assert!(canvas.pixels.iter().any(|&p| p != 0));
    }

    #[test]
    fn skyline_shape() {
        let mut canvas = Canvas::new(80, 20, 3);
        draw_skyline(&mut canvas);
        let s = render_grays(&canvas);
        assert_eq!(s.split('\n').count(), 20);
        assert_eq!(s.matches(" \x1b[0m").count(), 80 * 20);
        // Buildings stand on the bottom row; the top row is sky.
        assert!((0..80).any(|x| canvas.get(x, 19) != 3));
        assert!((0..80).all(|x| canvas.get(x, 0) == 3 || canvas.get(x, 0) == 2));
    }
}
