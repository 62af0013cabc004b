// Writes images/icon.png (128x128 RGBA): a white shield with a keyhole on PostgreSQL's
// elephant blue, rounded corners. Only node:zlib — no image libraries, no network.
// Usage: node scripts/make-icon.mjs
import { mkdirSync, writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

const SIZE = 128;
const SAMPLES = 4; // SAMPLES x SAMPLES supersampling per pixel for anti-aliased edges
const BLUE = [0x33, 0x67, 0x91];
const WHITE = [0xff, 0xff, 0xff];

// Shapes as predicates on normalized coordinates: x, y in [-1, 1], y pointing down.

function inRoundedSquare(x, y) {
  const r = 0.3;
  const dx = Math.max(Math.abs(x) - (1 - r), 0);
  const dy = Math.max(Math.abs(y) - (1 - r), 0);
  return dx * dx + dy * dy <= r * r;
}

function inShield(x, y) {
  const half = 0.62; // half width of the straight part
  const top = -0.72 + 0.1 * (1 - (x / half) ** 2); // dips slightly towards the middle
  const shoulder = 0.05; // sides are straight down to here, then curve to the point
  const bottom = 0.82;
  if (y < top || y > bottom) return false;
  if (y <= shoulder) return Math.abs(x) <= half;
  const t = (y - shoulder) / (bottom - shoulder);
  return Math.abs(x) <= half * Math.cos((t * Math.PI) / 2) ** 0.85;
}

function inKeyhole(x, y) {
  const cy = -0.12;
  if (x * x + (y - cy) ** 2 <= 0.17 ** 2) return true;
  // Trapezoid below the circle, widening downwards.
  if (y >= cy && y <= 0.42) return Math.abs(x) <= 0.07 + 0.09 * ((y - cy) / (0.42 - cy));
  return false;
}

function colorAt(x, y) {
  if (!inRoundedSquare(x, y)) return null;
  if (inShield(x, y) && !inKeyhole(x, y)) return WHITE;
  return BLUE;
}

// RGBA rows, each prefixed with PNG filter type 0 (none).
const raw = Buffer.alloc(SIZE * (SIZE * 4 + 1));
for (let py = 0; py < SIZE; py++) {
  const row = py * (SIZE * 4 + 1);
  raw[row] = 0;
  for (let px = 0; px < SIZE; px++) {
    let r = 0, g = 0, b = 0, a = 0;
    for (let sy = 0; sy < SAMPLES; sy++) {
      for (let sx = 0; sx < SAMPLES; sx++) {
        const x = ((px + (sx + 0.5) / SAMPLES) / SIZE) * 2 - 1;
        const y = ((py + (sy + 0.5) / SAMPLES) / SIZE) * 2 - 1;
        const c = colorAt(x, y);
        if (!c) continue;
        r += c[0]; g += c[1]; b += c[2]; a += 1;
      }
    }
    const o = row + 1 + px * 4;
    // Colour averaged over covered samples, coverage as alpha (straight alpha).
    raw[o] = a ? Math.round(r / a) : 0;
    raw[o + 1] = a ? Math.round(g / a) : 0;
    raw[o + 2] = a ? Math.round(b / a) : 0;
    raw[o + 3] = Math.round((255 * a) / (SAMPLES * SAMPLES));
  }
}

// CRC-32 as PNG chunks need it.
const CRC_TABLE = new Uint32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const byte of buf) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

const ihdr = Buffer.alloc(13);
ihdr.writeUInt32BE(SIZE, 0);
ihdr.writeUInt32BE(SIZE, 4);
ihdr[8] = 8; // bit depth
ihdr[9] = 6; // colour type RGBA
ihdr[10] = 0; // compression
ihdr[11] = 0; // filter
ihdr[12] = 0; // no interlace

const png = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  chunk('IHDR', ihdr),
  chunk('IDAT', deflateSync(raw, { level: 9 })),
  chunk('IEND', Buffer.alloc(0)),
]);

mkdirSync('images', { recursive: true });
writeFileSync('images/icon.png', png);
console.log(`images/icon.png: ${SIZE}x${SIZE}, ${png.length} bytes`);
