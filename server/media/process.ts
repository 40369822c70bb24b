/**
 * Turns an uploaded picture into the files that are stored and served: srcset variants in AVIF, WebP and
 * a JPEG (or PNG, for a picture with transparency) fallback, plus the full-size picture a tap opens.
 *
 * Safety, in the order it happens:
 * - only the JPEG, PNG, WebP, GIF and HEIF (AVIF only) loaders of libvips can run at all (sharp.block
 *   below), so an SVG, a TIFF or a PDF never reaches a parser, whatever its name or Content-Type said;
 * - the type and the size come from the header (`metadata()` reads no pixels), and a picture over
 *   MEDIA_LIMITS.pixels is refused there, before anything is decoded (decompression bombs); so is one
 *   that fits the pixel limit but would have to be held whole in memory while it is decoded (an interlaced
 *   16-bit PNG, a progressive JPEG, a large AVIF) beyond DECODE_MEMORY_BUDGET;
 * - the picture is decoded once, turned upright (EXIF orientation), and reduced to raw pixels: every
 *   file is encoded from those pixels, so no metadata block (EXIF, GPS, XMP, IPTC, comments, ICC) of the
 *   upload can reach a stored file, and the uploaded bytes themselves are never kept;
 * - one picture at a time (a queue of one slot, bounded): see PictureQueue.
 */
import { createHash } from 'node:crypto';
import type Sharp from 'sharp';
import {
  FULL_SIZE_MAX_EDGE,
  MEDIA_LIMITS,
  type MediaFile,
  type MediaRecord,
  type UploadFormat,
  VARIANT_EXTENSIONS,
  VARIANT_WIDTHS,
  type VariantFormat,
} from './types';

let loaded: typeof Sharp | undefined;

/**
 * sharp (libvips), loaded with the first picture rather than at start: a process that only serves readers
 * never maps libvips (measured: the started service's RSS 141–143 MB instead of 150–160 MB).
 */
function sharp(): typeof Sharp {
  if (loaded) return loaded;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use, see above
  const library = require('sharp') as typeof Sharp;
  // libvips' own operation cache would keep decoded pictures in memory after their upload is done.
  library.cache(false);
  // sharp.concurrency (libvips threads per pipeline) is left at sharp's default, 1 on glibc Linux: with the
  // one-slot queue below, processing pictures takes one core at most, and readers keep the other.
  // Every loader off, then only the five formats an upload may be. GIF's loader is Nsgif; HEIF's loader
  // also reads HEIC, which is refused below by its compression (only AV1, i.e. AVIF, is accepted).
  library.block({ operation: ['VipsForeignLoad'] });
  library.unblock({
    operation: ['VipsForeignLoadJpeg', 'VipsForeignLoadPng', 'VipsForeignLoadWebp', 'VipsForeignLoadNsgif', 'VipsForeignLoadHeif'],
  });
  return (loaded = library);
}

export class PictureRefused extends Error {
  constructor(
    readonly status: 400 | 413 | 415 | 503,
    message: string,
  ) {
    super(message);
    this.name = 'PictureRefused';
  }
}

export interface ProcessedFile extends MediaFile {
  body: Buffer;
}

export interface ProcessedPicture {
  source: MediaRecord['source'];
  fallback: 'jpeg' | 'png';
  /** Of the largest srcset variant (what the page reserves). */
  width: number;
  height: number;
  /** AVIF, then WebP, then the fallback; narrowest first within each format. */
  variants: ProcessedFile[];
  full: ProcessedFile;
}

export interface PictureProcessor {
  /** Refuses with PictureRefused (400, 413, 415 or 503); any other error is a fault of this service. */
  process(input: Buffer): Promise<ProcessedPicture>;
  /** Pictures waiting for their turn (not counting the ones being processed). */
  readonly waiting: number;
  /** Whether a picture handed in now would be refused (503): the upload route then refuses before reading it. */
  readonly full: boolean;
}

export interface PictureProcessorOptions {
  /** Pictures processed at once. @default 1 */
  concurrency?: number;
  /** Pictures that may wait for a turn; one more is refused with 503. @default 8 */
  maxWaiting?: number;
  /** Longest one libvips pipeline (one decode or one encode) may run, in seconds. @default 30 */
  timeoutSeconds?: number;
}

/** Encoder settings, chosen from timings on a 2-core machine (docs/media-storage.md). */
const ENCODE = {
  // AVIF's default effort (4) costs 5–10× effort 2 for a few per cent of size.
  avif: { quality: 50, effort: 2 },
  webp: { quality: 80 },
  // The srcset JPEGs only reach browsers without WebP and AVIF (few): plain libjpeg with optimised Huffman
  // tables is ten times faster than mozjpeg there. The full-size JPEG is what every tap downloads, so it
  // gets mozjpeg (a tenth smaller) where the time pays back many times over.
  jpeg: { quality: 80, optimiseCoding: true },
  jpegFull: { quality: 80, mozjpeg: true },
  png: { compressionLevel: 9, adaptiveFiltering: true },
} as const;

/**
 * The most memory the decoding of one upload may hold at once, estimated from its header
 * (heldWhileDecoding): 256 MiB. Above it, 413. The rest of the processing needs up to ~200 MB whatever the
 * format (a 12 MP baseline JPEG grows RSS by ~170–205 MB), and the two overlap only in part: the uploads
 * this lets through grew RSS by 300 MB at most (measured), where the QA case (an interlaced 16-bit PNG,
 * 400 MB held) grew it by 471 MB. Figures per format: docs/media-storage.md.
 */
export const DECODE_MEMORY_BUDGET = 256 * 1024 * 1024;

const INPUT_OPTIONS = {
  limitInputPixels: MEDIA_LIMITS.pixels,
  // A warning (truncated data, a bad marker) is an error: such files are refused rather than half-decoded.
  failOn: 'warning',
  // The first frame only: an animated GIF or WebP becomes a still picture (docs/media-storage.md).
  pages: 1,
} as const;

export function createPictureProcessor(options: PictureProcessorOptions = {}): PictureProcessor {
  const queue = new PictureQueue(options.concurrency ?? 1, options.maxWaiting ?? 8);
  const timeoutSeconds = options.timeoutSeconds ?? 30;
  return {
    process: (input) => queue.run(() => processPicture(input, timeoutSeconds)),
    get waiting() {
      return queue.waiting;
    },
    get full() {
      return queue.full;
    },
  };
}

/**
 * At most `concurrency` pictures in libvips at once, and at most `maxWaiting` more waiting (503 beyond).
 *
 * Why a queue: sharp runs each pipeline on a thread of libuv's pool (4 threads by default), the same pool
 * fs, dns.lookup, zlib and crypto use. A few AVIF encodes at once held it for seconds (measured: a pbkdf2 +
 * fs.stat waited 4.8 s behind six jobs, 150 ms behind a one-slot queue), and every other request and the
 * fan-out to readers would have waited with them. Written here (20 lines) rather than a dependency:
 * p-limit has no bound on its wait list, and its current versions are ESM-only.
 */
class PictureQueue {
  private running = 0;
  private readonly queued: Array<() => void> = [];

  constructor(
    private readonly concurrency: number,
    private readonly maxWaiting: number,
  ) {}

  get waiting(): number {
    return this.queued.length;
  }

  get full(): boolean {
    return this.running >= this.concurrency && this.queued.length >= this.maxWaiting;
  }

  async run<T>(job: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) {
      if (this.queued.length >= this.maxWaiting) {
        throw new PictureRefused(503, 'Too many pictures are being processed; try again in a few seconds.');
      }
      // The slot is handed over by the job that finishes (below), so `running` never exceeds the bound.
      await new Promise<void>((resolve) => this.queued.push(resolve));
    } else {
      this.running += 1;
    }
    try {
      return await job();
    } finally {
      const next = this.queued.shift();
      if (next) next();
      else this.running -= 1;
    }
  }
}

async function processPicture(input: Buffer, timeoutSeconds: number): Promise<ProcessedPicture> {
  if (input.length > MEDIA_LIMITS.fileBytes) {
    throw new PictureRefused(413, `The file is over ${MEDIA_LIMITS.fileBytes / (1024 * 1024)} MB.`);
  }
  const source = await inspect(input);

  // Decoded once: upright, no larger than the full-size picture, 8 bits per channel, sRGB, raw pixels.
  const master = await refuseFaults(() =>
    sharp()(input, { ...INPUT_OPTIONS, autoOrient: true })
      .timeout({ seconds: timeoutSeconds })
      .resize({ width: FULL_SIZE_MAX_EDGE, height: FULL_SIZE_MAX_EDGE, fit: 'inside', withoutEnlargement: true })
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true }),
  );
  let data: Buffer = master.data;
  const { width, height } = master.info;
  let { channels } = master.info;
  // A fully opaque alpha channel (common in PNG and WebP) is dropped, so the fallback can be a JPEG.
  if ((channels === 2 || channels === 4) && isOpaque(data, channels)) {
    data = dropAlpha(data, channels);
    channels -= 1;
  }
  const raw = { width, height, channels: channels as 1 | 2 | 3 | 4 };
  const fallback: 'jpeg' | 'png' = channels === 2 || channels === 4 ? 'png' : 'jpeg';

  const encode = async (format: VariantFormat, targetWidth: number | null, full = false): Promise<ProcessedFile> => {
    let pipeline = sharp()(data, { raw }).timeout({ seconds: timeoutSeconds });
    if (targetWidth !== null && targetWidth !== width) pipeline = pipeline.resize({ width: targetWidth });
    if (format === 'avif') pipeline = pipeline.avif(ENCODE.avif);
    else if (format === 'webp') pipeline = pipeline.webp(ENCODE.webp);
    else if (format === 'jpeg') pipeline = pipeline.jpeg(full ? ENCODE.jpegFull : ENCODE.jpeg);
    else pipeline = pipeline.png(ENCODE.png);
    const { data: body, info } = await refuseFaults(() => pipeline.toBuffer({ resolveWithObject: true }), 'encoding');
    const hash = createHash('sha256').update(body).digest('hex').slice(0, 16);
    const name = `${full ? 'full' : info.width}-${hash}.${VARIANT_EXTENSIONS[format]}`;
    return { name, format, width: info.width, height: info.height, bytes: body.length, body };
  };

  const widths = variantWidths(width);
  const variants: ProcessedFile[] = [];
  // One at a time: the slot this picture holds is one thread of the pool, not several.
  for (const format of ['avif', 'webp', fallback] as const) {
    for (const w of widths) variants.push(await encode(format, w));
  }
  const full = await encode(fallback, null, true);
  const largest = variants[variants.length - 1];
  return { source: { ...source, bytes: input.length }, fallback, width: largest.width, height: largest.height, variants, full };
}

/** The srcset widths for a picture `width` wide: the standard ones it can fill, and its own width when it is narrower than the widest. */
export function variantWidths(width: number): number[] {
  const widths: number[] = VARIANT_WIDTHS.filter((w) => w <= width);
  if (width < VARIANT_WIDTHS[VARIANT_WIDTHS.length - 1] && !widths.includes(width)) widths.push(width);
  return widths;
}

/** The upload's format and upright size, from its header alone; refuses what is not to be decoded. */
async function inspect(input: Buffer): Promise<Omit<MediaRecord['source'], 'bytes'>> {
  // HEIC (iPhones' default) is refused by its brands, before libheif is asked: sharp's libheif has no
  // HEVC decoder, and a 415 that names the accepted types helps more than "could not be read".
  if (isHeifButNotAvif(input)) throw new PictureRefused(415, 'HEIC pictures are not accepted: JPEG, PNG, WebP, GIF or AVIF.');
  const meta = await refuseFaults(() => sharp()(input, INPUT_OPTIONS).metadata());
  const format = uploadFormat(meta.format, meta.compression);
  if (!format) throw new PictureRefused(415, 'Only JPEG, PNG, WebP, GIF and AVIF pictures can be uploaded.');
  if (!meta.width || !meta.height) throw new PictureRefused(400, 'The picture has no size.');
  // metadata() counts one page; a multi-page header's own size is checked here too, for any format.
  const pageHeight = meta.pageHeight ?? meta.height;
  if (meta.width * pageHeight > MEDIA_LIMITS.pixels) throw tooManyPixels();
  if (heldWhileDecoding({ ...meta, height: pageHeight }) > DECODE_MEMORY_BUDGET) {
    throw new PictureRefused(
      413,
      `The picture would take more than ${DECODE_MEMORY_BUDGET / (1024 * 1024)} MB of memory to decode; send it smaller, or as an ordinary (not interlaced or progressive) JPEG or PNG.`,
    );
  }
  const upright = meta.autoOrient ?? { width: meta.width, height: pageHeight };
  return { format, width: upright.width, height: upright.height };
}

/**
 * Bytes the decoder must hold at once for a picture of this header, beyond the few rows a streaming
 * decoder keeps. From what each loader does (libvips 8.18 / sharp 0.35), checked by measuring RSS
 * (docs/media-storage.md):
 * - PNG: libpng delivers an interlaced (Adam7) picture only whole, so libvips reads it into memory at
 *   its decoded format: pixels × channels × bytes per sample (2 for 16-bit). A plain PNG streams: 0.
 * - JPEG: a progressive JPEG's scans each refine the whole picture, so libjpeg keeps every DCT
 *   coefficient (2 bytes each) of every component, chroma at its subsampled size. A baseline JPEG streams.
 * - WebP: libwebp decodes the whole frame, as RGB or RGBA.
 * - GIF: libnsgif decodes into a whole RGBA frame.
 * - AVIF: libheif and libaom decode the whole picture, in several buffers (YUV planes with borders, then
 *   RGB): RSS grew by 17–18 bytes a pixel at 8 bits and 23–24 at 12 bits, of which ~3 are the rest of the
 *   processing (a baseline JPEG's slope): 15 and 20 are counted.
 */
export function heldWhileDecoding(
  meta: Pick<Sharp.Metadata, 'format' | 'width' | 'height' | 'channels' | 'depth'> &
    Partial<Pick<Sharp.Metadata, 'isProgressive' | 'chromaSubsampling'>>,
): number {
  const pixels = (meta.width ?? 0) * (meta.height ?? 0);
  const channels = meta.channels ?? 4;
  const bytesPerSample = meta.depth === 'uchar' || meta.depth === 'char' ? 1 : meta.depth === 'ushort' || meta.depth === 'short' ? 2 : 4;
  switch (meta.format) {
    case 'png':
      return meta.isProgressive ? pixels * channels * bytesPerSample : 0;
    case 'jpeg':
      return meta.isProgressive ? pixels * 2 * jpegComponents(channels, meta.chromaSubsampling) : 0;
    case 'webp':
      return pixels * channels;
    case 'gif':
      return pixels * 4;
    case 'heif':
      return pixels * (bytesPerSample > 1 ? 20 : 15);
    default:
      return pixels * channels * bytesPerSample;
  }
}

/**
 * A JPEG's components in luma-sized planes: 4:2:0 is 1 + 2 × ¼ = 1.5, 4:4:4 is 3, CMYK (4:4:4:4) 4,
 * grey 1. Unknown subsampling counts as none (the larger figure).
 */
function jpegComponents(channels: number, subsampling: string | undefined): number {
  if (channels < 3) return channels;
  const [j, a, b] = (subsampling ?? '').split(':').map(Number);
  const chroma = j > 0 && a >= 0 && b >= 0 && a + b <= 2 * j ? (a + b) / (2 * j) : 1;
  return 1 + 2 * chroma + (channels - 3);
}

/** An ISO-BMFF file (`ftyp` box first) none of whose brands is AVIF's: HEIC, HEIF of other codecs, MP4, … */
function isHeifButNotAvif(input: Buffer): boolean {
  if (input.length < 16 || input.toString('latin1', 4, 8) !== 'ftyp') return false;
  const boxEnd = Math.min(input.readUInt32BE(0), input.length);
  const brands = [input.toString('latin1', 8, 12)];
  for (let i = 16; i + 4 <= boxEnd; i += 4) brands.push(input.toString('latin1', i, i + 4));
  return !brands.includes('avif') && !brands.includes('avis');
}

function uploadFormat(format: string | undefined, compression: string | undefined): UploadFormat | null {
  if (format === 'jpeg' || format === 'png' || format === 'webp' || format === 'gif') return format;
  if (format === 'heif' && compression === 'av1') return 'avif';
  return null;
}

function tooManyPixels(): PictureRefused {
  return new PictureRefused(413, `The picture has more than ${MEDIA_LIMITS.pixels / 1_000_000} megapixels.`);
}

/**
 * libvips' errors, in words a person can act on. While reading the upload, anything unrecognised is a
 * corrupt file (400); while encoding our own raw pixels, it is a fault of this service and is rethrown.
 */
async function refuseFaults<T>(step: () => Promise<T>, stage: 'reading' | 'encoding' = 'reading'): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (error instanceof PictureRefused) throw error;
    const message = error instanceof Error ? error.message : String(error);
    if (/^timeout/i.test(message)) throw new PictureRefused(413, 'The picture took too long to process.');
    if (stage === 'encoding') throw error;
    if (/exceeds pixel limit/i.test(message)) throw tooManyPixels();
    if (/unsupported image format/i.test(message)) {
      throw new PictureRefused(415, 'Only JPEG, PNG, WebP, GIF and AVIF pictures can be uploaded.');
    }
    throw new PictureRefused(400, `The picture could not be read (${message.split('\n')[0]}).`);
  }
}

function isOpaque(data: Buffer, channels: number): boolean {
  for (let i = channels - 1; i < data.length; i += channels) if (data[i] !== 255) return false;
  return true;
}

function dropAlpha(data: Buffer, channels: number): Buffer {
  const kept = channels - 1;
  const out = Buffer.allocUnsafe((data.length / channels) * kept);
  for (let i = 0, o = 0; i < data.length; i += channels, o += kept) {
    for (let c = 0; c < kept; c++) out[o + c] = data[i + c];
  }
  return out;
}
