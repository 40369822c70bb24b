/**
 * Pictures for the media tests, made at test time (no binary fixtures in the repository): each carries
 * every kind of metadata its format can hold, with marker strings a byte search can find, plus bombs,
 * polyglots and files that are not pictures at all.
 *
 * Metadata sharp can write (EXIF with GPS, XMP, orientation) is written by sharp; the rest (JPEG COM and
 * IPTC APP13, PNG tEXt/iTXt/eXIf, GIF comment) is spliced into the bytes here, as a camera or an editor
 * would have left it. To add a case: make it here, then list it in tests/unit/media-process.test.ts.
 */
import { crc32, createDeflate, deflateSync } from 'node:zlib';
import sharp from 'sharp';

/** Strings placed in the fixtures' metadata: none may appear in any stored file. */
export const MARKERS = {
  make: 'MARKER-MAKE-CANIKON',
  model: 'MARKER-MODEL-EOS',
  artist: 'MARKER-ARTIST-JANE-DOE',
  gpsDatum: 'MARKER-GPS-DATUM',
  xmp: 'MARKER-XMP-CREATOR',
  iptc: 'MARKER-IPTC-BYLINE',
  comment: 'MARKER-COMMENT-SECRET-SOURCE',
  script: 'MARKER-SCRIPT',
} as const;

/** Byte strings that only metadata blocks hold (each at least four bytes, so random image data cannot match by chance). */
export const METADATA_SIGNATURES = [
  'Exif\0\0',
  'GPSLatitude',
  'GPSMapDatum',
  'http://ns.adobe.com/xap',
  '<x:xmpmeta',
  'XML:com.adobe.xmp',
  '8BIM',
  'Photoshop',
  'eXIf',
  'tEXt',
  'iTXt',
  'zTXt',
  'XMP ',
  '<script',
  'PK\u0003\u0004',
  ...Object.values(MARKERS),
];

const XMP = `<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:xap="http://ns.adobe.com/xap/1.0/"
 xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="48,51.4940N" exif:GPSLongitude="2,17.5800E">
<dc:creator><rdf:Seq><rdf:li>${MARKERS.xmp}</rdf:li></rdf:Seq></dc:creator></rdf:Description></rdf:RDF></x:xmpmeta>
<?xpacket end="w"?>`;

const EXIF = {
  IFD0: { Make: MARKERS.make, Model: MARKERS.model, Artist: MARKERS.artist, Copyright: MARKERS.artist },
  // GPS IFD: a position near the Eiffel Tower, and an ASCII field a byte search can find.
  IFD3: {
    GPSLatitudeRef: 'N',
    GPSLatitude: '48/1 51/1 2964/100',
    GPSLongitudeRef: 'E',
    GPSLongitude: '2/1 17/1 4080/100',
    GPSMapDatum: MARKERS.gpsDatum,
  },
};

/** A photo-like picture: smooth random shapes (noise at an eighth of the size, enlarged), cheap to encode like most photos. */
function photo(width: number, height: number): sharp.Sharp {
  const small = { width: Math.max(1, Math.round(width / 8)), height: Math.max(1, Math.round(height / 8)) };
  return sharp({ create: { ...small, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 50 } } }).resize(
    width,
    height,
    { kernel: 'cubic' },
  );
}

/** JPEG with EXIF (camera, artist, GPS), XMP, an IPTC APP13 block, a COM comment, and EXIF orientation 6 (turn 90° clockwise). */
export async function richJpeg(width = 800, height = 600): Promise<Buffer> {
  const base = await photo(width, height)
    .withMetadata({ orientation: 6 })
    .withExifMerge(EXIF)
    .withXmp(XMP)
    .jpeg({ quality: 85 })
    .toBuffer();
  return insertJpegSegments(base, [jpegSegment(0xed, photoshopIptc(MARKERS.iptc)), jpegSegment(0xfe, Buffer.from(MARKERS.comment))]);
}

/** PNG with eXIf (EXIF with GPS), iTXt XMP and a tEXt comment. */
export async function richPng(width = 640, height = 480): Promise<Buffer> {
  const base = await photo(width, height).png().toBuffer();
  return insertPngChunks(base, [
    pngChunk('eXIf', await exifTiff()),
    pngChunk('iTXt', Buffer.concat([Buffer.from('XML:com.adobe.xmp\0\0\0\0\0', 'latin1'), Buffer.from(XMP)])),
    pngChunk('tEXt', Buffer.from(`Comment\0${MARKERS.comment}`, 'latin1')),
  ]);
}

/** WebP with EXIF (GPS) and XMP chunks. */
export async function richWebp(width = 640, height = 480): Promise<Buffer> {
  return photo(width, height).withExif(EXIF).withXmp(XMP).webp({ quality: 80 }).toBuffer();
}

/** AVIF (HEIF with AV1) with EXIF (GPS) and XMP. */
export async function richAvif(width = 640, height = 480): Promise<Buffer> {
  return photo(width, height).withExif(EXIF).withXmp(XMP).avif({ quality: 50, effort: 0 }).toBuffer();
}

/**
 * The start of a HEIC (what iPhones save): sharp's libvips cannot write HEVC (patents), so an AVIF's
 * boxes are relabelled: brands heic/mif1, item type hvc1, codec box hvcC. The service must answer 415.
 */
export async function heic(): Promise<Buffer> {
  const file = Buffer.from(await photo(64, 48).avif({ effort: 0 }).toBuffer());
  const relabel = (from: string, to: string) => {
    for (let i = file.indexOf(from, 0, 'latin1'); i >= 0; i = file.indexOf(from, i + 4, 'latin1')) file.write(to, i, 'latin1');
  };
  relabel('avif', 'heic');
  relabel('av01', 'hvc1');
  relabel('av1C', 'hvcC');
  return file;
}

/** An animated GIF: `frames` frames, first red, then others; with a comment extension. */
export async function animatedGif(frames = 3, width = 320, height = 240): Promise<Buffer> {
  const colours = ['#d00000', '#00a000', '#0000d0', '#d0d000'];
  const parts = await Promise.all(
    Array.from({ length: frames }, (_, i) =>
      sharp({ create: { width, height, channels: 3, background: colours[i % colours.length] } })
        .png()
        .toBuffer(),
    ),
  );
  const gif = await sharp(parts, { join: { animated: true } })
    .gif({ delay: 100 })
    .toBuffer();
  return insertGifComment(gif, MARKERS.comment);
}

/** PNG whose alpha channel is used (half transparent): the fallback must stay PNG. */
export async function alphaPng(width = 500, height = 300): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 4, background: { r: 200, g: 40, b: 40, alpha: 0.5 } } })
    .png()
    .toBuffer();
}

export async function tiff(): Promise<Buffer> {
  return photo(64, 48).tiff().toBuffer();
}

export async function truncatedJpeg(): Promise<Buffer> {
  const jpeg = await photo(800, 600).jpeg().toBuffer();
  return jpeg.subarray(0, Math.floor(jpeg.length / 2));
}

export const TEXT = Buffer.from('Breaking: this is a text file, not a picture.\n');
export const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');
export const SVG_WITH_SCRIPT = Buffer.from(
  `<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100"><script>alert("${MARKERS.script}")</script><rect width="100" height="100"/></svg>`,
);

/** A JPEG followed by an HTML page with a script (a file that is a picture to one program, a page to another). */
export async function jpegHtmlPolyglot(): Promise<Buffer> {
  const jpeg = await photo(320, 240).jpeg().toBuffer();
  return Buffer.concat([jpeg, Buffer.from(`<html><body><script>alert("${MARKERS.script}")</script></body></html>`)]);
}

/** A GIFAR-like file: a JPEG with a ZIP archive appended (a JAR to Java, a picture to a browser). */
export async function jpegZipPolyglot(): Promise<Buffer> {
  const jpeg = await photo(320, 240).jpeg().toBuffer();
  return Buffer.concat([jpeg, storedZip('META-INF/MANIFEST.MF', Buffer.from(`Manifest-Version: 1.0\nX-Marker: ${MARKERS.script}\n`))]);
}

// ---- Bombs: small files claiming (or holding) far more pixels than MEDIA_LIMITS.pixels ----

/** 20000×20000 greyscale zeros (400 megapixels), real data, deflated to a few hundred kilobytes. */
export function pngBomb(): Buffer {
  const side = 20_000;
  const row = 1 + side / 8; // filter byte + 1-bit pixels
  return png(side, side, 1, 0, deflateSync(Buffer.alloc(row * side), { level: 9 }));
}

/** A PNG header claiming 100000×100000 with no picture data worth the name. */
export function pngHeaderBomb(): Buffer {
  return png(100_000, 100_000, 8, 2, deflateSync(Buffer.alloc(16)));
}

/** A real small JPEG whose frame header (SOF) is patched to claim 65000×65000. */
export async function jpegSofBomb(): Promise<Buffer> {
  const jpeg = Buffer.from(
    await sharp({ create: { width: 16, height: 16, channels: 3, background: '#fff' } })
      .jpeg()
      .toBuffer(),
  );
  for (let i = 2; i < jpeg.length - 9;) {
    if (jpeg[i] !== 0xff) throw new Error('unexpected JPEG layout');
    const marker = jpeg[i + 1];
    if (marker >= 0xc0 && marker <= 0xc2) {
      jpeg.writeUInt16BE(65_000, i + 5); // height
      jpeg.writeUInt16BE(65_000, i + 7); // width
      return jpeg;
    }
    i += 2 + jpeg.readUInt16BE(i + 2);
  }
  throw new Error('no SOF marker in the JPEG');
}

/**
 * An interlaced (Adam7) 16-bit RGBA PNG of 7070×7070 transparent black: 49.98 megapixels, under the pixel
 * limit, in 388 KB. libpng can only deliver an interlaced picture whole, so decoding it takes
 * 7070 × 7070 × 4 channels × 2 bytes = 400 MB at once (QA saw the service's RSS go from 384 to 792 MB).
 * Written byte by byte, the zeros deflated 1 MB at a time, so making it takes no such memory here.
 */
export async function interlacedPng16(width = 7070, height = 7070): Promise<Buffer> {
  const adam7 = [
    [0, 0, 8, 8],
    [4, 0, 8, 8],
    [0, 4, 4, 8],
    [2, 0, 4, 4],
    [0, 2, 2, 4],
    [1, 0, 2, 2],
    [0, 1, 1, 2],
  ];
  let bytes = 0; // each pass: rows of a filter byte and 8 bytes a pixel
  for (const [x0, y0, dx, dy] of adam7) {
    const passWidth = Math.ceil((width - x0) / dx);
    const passHeight = Math.ceil((height - y0) / dy);
    if (passWidth > 0 && passHeight > 0) bytes += passHeight * (1 + passWidth * 8);
  }
  const deflate = createDeflate({ level: 9 });
  const parts: Buffer[] = [];
  deflate.on('data', (part: Buffer) => parts.push(part));
  const ended = new Promise((resolve, reject) => deflate.on('end', resolve).on('error', reject));
  const zeros = Buffer.alloc(1 << 20);
  for (let left = bytes; left > 0; left -= zeros.length) {
    if (!deflate.write(zeros.subarray(0, Math.min(left, zeros.length)))) await new Promise((resolve) => deflate.once('drain', resolve));
  }
  deflate.end();
  await ended;
  return png(width, height, 16, 6, Buffer.concat(parts), true);
}

/** 8000×8000 (64 megapixels) of one colour, real LZW data: about 50 KB. */
export function gifBomb(side = 8000): Buffer {
  const header = Buffer.concat([
    Buffer.from('GIF89a', 'latin1'),
    u16(side),
    u16(side),
    Buffer.from([0x80, 0, 0]), // global colour table of 2 entries
    Buffer.from([0, 0, 0, 255, 255, 255]),
  ]);
  const image = Buffer.concat([Buffer.from([0x2c]), u16(0), u16(0), u16(side), u16(side), Buffer.from([0])]);
  const data = lzwConstant(side * side, 2);
  return Buffer.concat([header, image, Buffer.from([2]), subBlocks(data), Buffer.from([0x3b])]);
}

// ---- Checks ----

/** Every metadata signature or marker found in `bytes` (an empty list is what a stored file must give). */
export function metadataFound(bytes: Buffer): string[] {
  return METADATA_SIGNATURES.filter((signature) => bytes.includes(Buffer.from(signature, 'latin1')));
}

/** A JPEG's segments before the picture data (marker numbers), e.g. [0xe0] for a bare JFIF. */
export function jpegMarkers(jpeg: Buffer): number[] {
  const markers: number[] = [];
  for (let i = 2; i < jpeg.length - 3;) {
    const marker = jpeg[i + 1];
    markers.push(marker);
    if (marker === 0xda) break; // start of scan: picture data follows
    i += 2 + jpeg.readUInt16BE(i + 2);
  }
  return markers;
}

/** A PNG's chunk types in order. */
export function pngChunkTypes(png: Buffer): string[] {
  const types: string[] = [];
  for (let i = 8; i + 8 <= png.length;) {
    const length = png.readUInt32BE(i);
    types.push(png.toString('latin1', i + 4, i + 8));
    i += 12 + length;
  }
  return types;
}

// ---- Byte-level building blocks ----

function u16(value: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(value);
  return b;
}

function jpegSegment(marker: number, payload: Buffer): Buffer {
  const head = Buffer.from([0xff, marker, 0, 0]);
  head.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([head, payload]);
}

/** Inserted after the APPn segments the encoder wrote, before the tables and the frame. */
function insertJpegSegments(jpeg: Buffer, segments: Buffer[]): Buffer {
  let i = 2;
  while (jpeg[i] === 0xff && jpeg[i + 1] >= 0xe0 && jpeg[i + 1] <= 0xef) i += 2 + jpeg.readUInt16BE(i + 2);
  return Buffer.concat([jpeg.subarray(0, i), ...segments, jpeg.subarray(i)]);
}

/** Photoshop's APP13 block holding an IPTC-IIM record (2:80 By-line, 2:116 Copyright). */
function photoshopIptc(byline: string): Buffer {
  const dataset = (number: number, value: string) => {
    const text = Buffer.from(value, 'latin1');
    const head = Buffer.from([0x1c, 2, number, 0, 0]);
    head.writeUInt16BE(text.length, 3);
    return Buffer.concat([head, text]);
  };
  const iptc = Buffer.concat([dataset(80, byline), dataset(116, byline)]);
  const size = Buffer.alloc(4);
  size.writeUInt32BE(iptc.length);
  const padding = Buffer.alloc(iptc.length % 2); // resource data is padded to an even length
  return Buffer.concat([
    Buffer.from('Photoshop 3.0\0', 'latin1'),
    Buffer.from('8BIM', 'latin1'),
    Buffer.from([0x04, 0x04, 0, 0]),
    size,
    iptc,
    padding,
  ]);
}

/** The TIFF structure of an EXIF block (what PNG's eXIf chunk holds), taken from a JPEG sharp wrote. */
async function exifTiff(): Promise<Buffer> {
  const jpeg = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#000' } })
    .withExif(EXIF)
    .jpeg()
    .toBuffer();
  const exif = (await sharp(jpeg).metadata()).exif;
  if (!exif) throw new Error('sharp wrote no EXIF');
  return exif.subarray(exif.indexOf('Exif\0\0') + 6);
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** Inserted after IHDR (where cameras and editors put them). */
function insertPngChunks(file: Buffer, chunks: Buffer[]): Buffer {
  const afterHeader = 8 + 12 + file.readUInt32BE(8);
  return Buffer.concat([file.subarray(0, afterHeader), ...chunks, file.subarray(afterHeader)]);
}

function png(width: number, height: number, depth: number, colourType: number, idat: Buffer, interlaced = false): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.writeUInt8(depth, 8);
  ihdr.writeUInt8(colourType, 9);
  ihdr.writeUInt8(interlaced ? 1 : 0, 12); // Adam7
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', idat),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A comment extension, after the header and global colour table. */
function insertGifComment(gif: Buffer, comment: string): Buffer {
  const flags = gif[10];
  const tableSize = flags & 0x80 ? 3 * 2 ** ((flags & 7) + 1) : 0;
  const at = 13 + tableSize;
  const extension = Buffer.concat([Buffer.from([0x21, 0xfe]), subBlocks(Buffer.from(comment, 'latin1'))]);
  return Buffer.concat([gif.subarray(0, at), extension, gif.subarray(at)]);
}

/** GIF data sub-blocks: up to 255 bytes each, with a length byte, ended by a zero-length block. */
function subBlocks(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; i < data.length; i += 255) {
    const block = data.subarray(i, i + 255);
    parts.push(Buffer.from([block.length]), block);
  }
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

/**
 * GIF's LZW for `count` pixels of colour 0. On constant input LZW emits runs of 1, 2, 3, … pixels, each
 * emission adding the run one longer to the table, so the code for a run of L ≥ 2 is firstCode + L − 2.
 */
function lzwConstant(count: number, minCodeSize: number): Buffer {
  const clear = 1 << minCodeSize;
  const end = clear + 1;
  const first = clear + 2;
  const out: number[] = [];
  let bits = 0;
  let bitCount = 0;
  const emit = (code: number, size: number) => {
    bits |= code << bitCount;
    bitCount += size;
    while (bitCount >= 8) {
      out.push(bits & 0xff);
      bits >>>= 8;
      bitCount -= 8;
    }
  };
  let size = minCodeSize + 1;
  let next = first;
  let longest = 1; // the longest run the table holds
  emit(clear, size);
  let left = count;
  while (left > 0) {
    const run = Math.min(longest, left);
    emit(run === 1 ? 0 : first + run - 2, size);
    left -= run;
    if (left === 0) break;
    if (next === 4096) {
      emit(clear, size);
      size = minCodeSize + 1;
      next = first;
      longest = 1;
      continue;
    }
    // The entry this emission adds is the run one longer (the run was the longest: only the last one is shorter).
    if (next >= 1 << size) size += 1;
    next += 1;
    longest += 1;
  }
  emit(end, size);
  if (bitCount > 0) out.push(bits & 0xff);
  return Buffer.from(out);
}

/** A ZIP archive with one stored (uncompressed) file. */
function storedZip(name: string, content: Buffer): Buffer {
  const nameBytes = Buffer.from(name, 'latin1');
  const crc = crc32(content);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(10, 4);
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(content.length, 18);
  local.writeUInt32LE(content.length, 22);
  local.writeUInt16LE(nameBytes.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(10, 6);
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(content.length, 20);
  central.writeUInt32LE(content.length, 24);
  central.writeUInt16LE(nameBytes.length, 28);
  const localSize = local.length + nameBytes.length + content.length;
  const centralSize = central.length + nameBytes.length;
  const endRecord = Buffer.alloc(22);
  endRecord.writeUInt32LE(0x06054b50, 0);
  endRecord.writeUInt16LE(1, 8);
  endRecord.writeUInt16LE(1, 10);
  endRecord.writeUInt32LE(centralSize, 12);
  endRecord.writeUInt32LE(localSize, 16);
  return Buffer.concat([local, nameBytes, content, central, nameBytes, endRecord]);
}

/**
 * A JPEG whose pixels are red on the left half and blue on the right, stored with EXIF orientation 6
 * (shown turned 90° clockwise): upright, red is on top.
 */
export async function orientedHalves(width = 400, height = 300): Promise<Buffer> {
  const half = (colour: string) =>
    sharp({ create: { width: width / 2, height, channels: 3, background: colour } })
      .png()
      .toBuffer();
  return sharp({ create: { width, height, channels: 3, background: '#000' } })
    .composite([
      { input: await half('#ff0000'), left: 0, top: 0 },
      { input: await half('#0000ff'), left: width / 2, top: 0 },
    ])
    .withMetadata({ orientation: 6 })
    .jpeg()
    .toBuffer();
}
