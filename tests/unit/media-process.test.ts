/**
 * The picture processor: what it accepts, what survives of an upload (pixels only, upright), what it
 * refuses and how fast, and how many pictures it works on at once.
 */
import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import {
  createPictureProcessor,
  DECODE_MEMORY_BUDGET,
  heldWhileDecoding,
  type PictureProcessor,
  PictureRefused,
  type ProcessedFile,
} from '../../server/media/process';
import { FULL_SIZE_MAX_EDGE, MEDIA_FILE_NAME, MEDIA_LIMITS, VARIANT_EXTENSIONS } from '../../server/media/types';
import * as pictures from '../helpers/pictures';

async function refusal(processor: PictureProcessor, input: Buffer): Promise<PictureRefused> {
  try {
    await processor.process(input);
  } catch (error) {
    if (error instanceof PictureRefused) return error;
    throw error;
  }
  throw new Error('the picture was accepted');
}

/** What a stored file must be: its own format, named by its hash, and nothing but pixels. */
async function expectClean(file: ProcessedFile): Promise<void> {
  expect(file.name).toMatch(MEDIA_FILE_NAME);
  expect(file.name).toContain(createHash('sha256').update(file.body).digest('hex').slice(0, 16));
  expect(file.name.endsWith(`.${VARIANT_EXTENSIONS[file.format]}`)).toBe(true);
  expect(file.bytes).toBe(file.body.length);
  expect({ name: file.name, found: pictures.metadataFound(file.body) }).toEqual({ name: file.name, found: [] });
  const meta = await sharp(file.body).metadata();
  expect(meta.format).toBe(file.format === 'avif' ? 'heif' : file.format);
  expect([meta.width, meta.height]).toEqual([file.width, file.height]);
  expect({
    exif: meta.exif,
    xmp: meta.xmp,
    iptc: meta.iptc,
    icc: meta.icc,
    comments: meta.comments,
    orientation: meta.orientation,
  }).toEqual({
    exif: undefined,
    xmp: undefined,
    iptc: undefined,
    icc: undefined,
    comments: undefined,
    orientation: undefined,
  });
  if (file.format === 'jpeg') {
    // Only JFIF's APP0, tables, frame and scan: no APP1 (EXIF/XMP), APP2 (ICC), APP13 (IPTC) or COM.
    expect(pictures.jpegMarkers(file.body).filter((m) => (m >= 0xe1 && m <= 0xef) || m === 0xfe)).toEqual([]);
  }
  if (file.format === 'png') {
    // pHYs (pixels per metre, written by libvips) is the only ancillary chunk allowed: it says nothing of anyone.
    const allowed = ['IHDR', 'PLTE', 'tRNS', 'pHYs', 'IDAT', 'IEND'];
    expect(pictures.pngChunkTypes(file.body).filter((type) => !allowed.includes(type))).toEqual([]);
  }
}

const ACCEPTED: Array<[string, () => Promise<Buffer>, string, 'jpeg' | 'png']> = [
  ['JPEG with EXIF, GPS, XMP, IPTC and a comment', () => pictures.richJpeg(), 'jpeg', 'jpeg'],
  ['PNG with eXIf, iTXt XMP and a tEXt comment', () => pictures.richPng(), 'png', 'jpeg'],
  ['WebP with EXIF and XMP', () => pictures.richWebp(), 'webp', 'jpeg'],
  ['AVIF with EXIF and XMP', () => pictures.richAvif(), 'avif', 'jpeg'],
  ['animated GIF with a comment', () => pictures.animatedGif(), 'gif', 'jpeg'],
  ['PNG with transparency', () => pictures.alphaPng(), 'png', 'png'],
  ['JPEG with an HTML page appended', () => pictures.jpegHtmlPolyglot(), 'jpeg', 'jpeg'],
  ['JPEG with a ZIP archive appended (GIFAR-like)', () => pictures.jpegZipPolyglot(), 'jpeg', 'jpeg'],
];

describe('accepted pictures', () => {
  it.each(ACCEPTED)('%s: re-encoded variants and full size, nothing but pixels', async (_, make, format, fallback) => {
    const input = await make();
    const processor = createPictureProcessor();
    const picture = await processor.process(input);
    expect(picture.source).toMatchObject({ format, bytes: input.length });
    expect(picture.fallback).toBe(fallback);
    const formats = [...new Set(picture.variants.map((file) => file.format))];
    expect(formats).toEqual(['avif', 'webp', fallback]);
    expect(picture.full.format).toBe(fallback);
    for (const file of [...picture.variants, picture.full]) await expectClean(file);
    // The record's size is the largest srcset variant's; none is wider than the picture.
    const widest = picture.variants.filter((file) => file.format === fallback).at(-1)!;
    expect([picture.width, picture.height]).toEqual([widest.width, widest.height]);
    expect(Math.max(...picture.variants.map((file) => file.width))).toBeLessThanOrEqual(picture.source.width);
  });

  it('the fixtures do carry what must be removed (so the checks above can fail)', async () => {
    for (const make of [pictures.richJpeg, pictures.richPng, pictures.richWebp, pictures.richAvif]) {
      const found = pictures.metadataFound(await make());
      expect(found).toEqual(expect.arrayContaining([pictures.MARKERS.gpsDatum, pictures.MARKERS.xmp, pictures.MARKERS.make]));
    }
    const jpeg = await pictures.richJpeg();
    expect(pictures.metadataFound(jpeg)).toEqual(
      expect.arrayContaining(['8BIM', 'Photoshop', pictures.MARKERS.iptc, pictures.MARKERS.comment]),
    );
    expect((await sharp(jpeg).metadata()).orientation).toBe(6);
    expect(pictures.metadataFound(await pictures.richPng())).toEqual(
      expect.arrayContaining(['eXIf', 'iTXt', 'tEXt', pictures.MARKERS.comment]),
    );
    expect(pictures.metadataFound(await pictures.animatedGif())).toEqual([pictures.MARKERS.comment]);
    expect(pictures.metadataFound(await pictures.jpegHtmlPolyglot())).toContain('<script');
    expect(pictures.metadataFound(await pictures.jpegZipPolyglot())).toContain('PK\u0003\u0004');
  });

  it('srcset widths: 480, 960 and 1600 for a large picture; a narrower one gets its own width, never enlarged', async () => {
    const processor = createPictureProcessor();
    const large = await processor.process(await pictures.richPng(2000, 1000));
    expect(large.variants.filter((file) => file.format === 'webp').map((file) => [file.width, file.height])).toEqual([
      [480, 240],
      [960, 480],
      [1600, 800],
    ]);
    expect([large.full.width, large.full.height]).toEqual([2000, 1000]);
    const narrow = await processor.process(await pictures.richPng(700, 350));
    expect(narrow.variants.filter((file) => file.format === 'avif').map((file) => file.width)).toEqual([480, 700]);
    const tiny = await processor.process(await pictures.richPng(200, 100));
    expect(tiny.variants.map((file) => file.width)).toEqual([200, 200, 200]);
  });

  it('turns the picture upright first: 4000×3000 with orientation 6 becomes portrait', async () => {
    const processor = createPictureProcessor();
    const picture = await processor.process(await pictures.richJpeg(4000, 3000));
    expect(picture.source).toMatchObject({ width: 3000, height: 4000 });
    expect([picture.full.width, picture.full.height]).toEqual([FULL_SIZE_MAX_EDGE * 0.75, FULL_SIZE_MAX_EDGE]);
    for (const file of picture.variants) expect(file.height).toBeGreaterThan(file.width);
    expect([picture.width, picture.height]).toEqual([1600, 2133]);

    // The pixels turned too, not only the size: the left half (red) is on top once upright.
    const halves = await processor.process(await pictures.orientedHalves());
    const { data, info } = await sharp(halves.full.body).raw().toBuffer({ resolveWithObject: true });
    const pixel = (x: number, y: number) => [
      ...data.subarray((y * info.width + x) * info.channels, (y * info.width + x) * info.channels + 3),
    ];
    expect([info.width, info.height]).toEqual([300, 400]);
    expect(pixel(150, 50)[0]).toBeGreaterThan(200);
    expect(pixel(150, 350)[2]).toBeGreaterThan(200);
  });

  it('keeps the first frame of an animated GIF (a still picture)', async () => {
    const picture = await createPictureProcessor().process(await pictures.animatedGif(3));
    const { channels } = await sharp(picture.full.body).stats();
    expect(channels[0].mean).toBeGreaterThan(180); // red
    expect(channels[1].mean).toBeLessThan(40);
    for (const file of picture.variants) expect((await sharp(file.body).metadata()).pages ?? 1).toBe(1);
  });

  it('a PNG whose alpha is fully opaque gets a JPEG fallback', async () => {
    const opaque = await sharp({ create: { width: 300, height: 200, channels: 4, background: { r: 1, g: 2, b: 3, alpha: 1 } } })
      .png()
      .toBuffer();
    expect((await createPictureProcessor().process(opaque)).fallback).toBe('jpeg');
  });
});

describe('refused pictures', () => {
  const BOMBS: Array<[string, () => Buffer | Promise<Buffer>]> = [
    ['PNG of 20000×20000 zeros (400 MP, real data)', pictures.pngBomb],
    ['PNG header claiming 100000×100000', pictures.pngHeaderBomb],
    ['JPEG whose frame header claims 65000×65000', pictures.jpegSofBomb],
    ['GIF of 8000×8000 (64 MP, real data)', () => pictures.gifBomb()],
  ];

  /** A fresh processor's refusal of `input`, with the time it took and how much the process's RSS grew. */
  async function measuredRefusal(input: Buffer) {
    const processor = createPictureProcessor();
    const rssBefore = process.memoryUsage().rss;
    const started = performance.now();
    const refused = await refusal(processor, input);
    return { refused, elapsed: performance.now() - started, grown: process.memoryUsage().rss - rssBefore };
  }

  it.each(BOMBS)('%s: 413 from the header, within a second, without the memory its pixels would take', async (_, make) => {
    const { refused, elapsed, grown } = await measuredRefusal(await make());
    expect(refused.status).toBe(413);
    expect(refused.message).toMatch(/megapixels/);
    expect(elapsed).toBeLessThan(1000);
    expect(grown).toBeLessThan(150 * 1024 * 1024);
  });

  it('an interlaced 16-bit RGBA PNG of 7070×7070 (49.98 MP, under the pixel limit, 400 MB to decode): 413 from the header, quickly', async () => {
    const input = await pictures.interlacedPng16();
    expect(input.length).toBeLessThan(400 * 1024);
    const meta = await sharp(input).metadata();
    expect([meta.width, meta.height, meta.channels, meta.depth, meta.isProgressive]).toEqual([7070, 7070, 4, 'ushort', true]);
    expect(meta.width! * meta.height!).toBeLessThan(MEDIA_LIMITS.pixels);
    const { refused, elapsed, grown } = await measuredRefusal(input);
    expect(refused.status).toBe(413);
    expect(refused.message).toMatch(/memory/);
    expect(elapsed).toBeLessThan(1000);
    expect(grown).toBeLessThan(150 * 1024 * 1024);
  }, 30_000);

  it('the decode-memory estimate: streamed formats hold nothing whole; 49.9 MP 8-bit JPEG and PNG pass, the heavy cases do not', () => {
    const mp50 = { width: 8160, height: 6115 }; // 49.9 MP
    const MB = 1024 * 1024;
    const jpeg = { ...mp50, format: 'jpeg', channels: 3, depth: 'uchar' } as const;
    const png = { ...mp50, format: 'png', depth: 'uchar' } as const;
    expect(heldWhileDecoding({ ...jpeg, isProgressive: false, chromaSubsampling: '4:4:4' })).toBe(0);
    expect(heldWhileDecoding({ ...png, channels: 4, isProgressive: false })).toBe(0);
    expect(heldWhileDecoding({ ...png, channels: 4, depth: 'ushort', isProgressive: false })).toBe(0);
    // Progressive JPEG: 2 bytes a coefficient; 4:2:0 (what cameras and editors write) passes, 4:4:4 does not.
    expect(heldWhileDecoding({ ...jpeg, isProgressive: true, chromaSubsampling: '4:2:0' }) / MB).toBeCloseTo(142.8, 1);
    expect(heldWhileDecoding({ ...jpeg, isProgressive: true, chromaSubsampling: '4:4:4' })).toBeGreaterThan(DECODE_MEMORY_BUDGET);
    // Interlaced PNG: held whole at its decoded format.
    expect(heldWhileDecoding({ ...png, channels: 4, isProgressive: true })).toBeLessThan(DECODE_MEMORY_BUDGET);
    expect(heldWhileDecoding({ ...png, channels: 3, depth: 'ushort', isProgressive: true })).toBeGreaterThan(DECODE_MEMORY_BUDGET);
    expect(
      heldWhileDecoding({ format: 'png', width: 7070, height: 7070, channels: 4, depth: 'ushort', isProgressive: true }) / MB,
    ).toBeCloseTo(381.4, 1);
    // Every GIF and WebP under the pixel limit passes; AVIF is decoded whole, several times over.
    expect(heldWhileDecoding({ ...mp50, format: 'gif', channels: 4, depth: 'uchar' })).toBeLessThan(DECODE_MEMORY_BUDGET);
    expect(heldWhileDecoding({ ...mp50, format: 'webp', channels: 4, depth: 'uchar' })).toBeLessThan(DECODE_MEMORY_BUDGET);
    const phone = { width: 4032, height: 3024, format: 'heif', channels: 3 } as const; // 12.2 MP
    expect(heldWhileDecoding({ ...phone, depth: 'uchar' })).toBeLessThan(DECODE_MEMORY_BUDGET);
    expect(heldWhileDecoding({ ...phone, depth: 'ushort' })).toBeLessThan(DECODE_MEMORY_BUDGET); // 10 or 12 bits
    expect(heldWhileDecoding({ ...mp50, format: 'heif', channels: 3, depth: 'uchar' })).toBeGreaterThan(DECODE_MEMORY_BUDGET);
  });

  it('refuses a file over the upload limit with 413', async () => {
    const refused = await refusal(createPictureProcessor(), Buffer.alloc(MEDIA_LIMITS.fileBytes + 1));
    expect(refused.status).toBe(413);
  });

  const WRONG_TYPES: Array<[string, () => Buffer | Promise<Buffer>]> = [
    ['TIFF', pictures.tiff],
    ['SVG with a script', () => pictures.SVG_WITH_SCRIPT],
    ['HEIC', pictures.heic],
    ['text', () => pictures.TEXT],
    ['PDF', () => pictures.PDF],
  ];

  it.each(WRONG_TYPES)('%s: 415, decided from the bytes', async (_, make) => {
    const refused = await refusal(createPictureProcessor(), await make());
    expect(refused.status).toBe(415);
  });

  it('refuses a truncated JPEG, and an empty file, with 400', async () => {
    expect((await refusal(createPictureProcessor(), await pictures.truncatedJpeg())).status).toBe(400);
    expect((await refusal(createPictureProcessor(), Buffer.alloc(0))).status).toBe(400);
  });
});

describe('the queue', () => {
  it('holds at most maxWaiting pictures waiting; one more is refused with 503', async () => {
    const processor = createPictureProcessor({ maxWaiting: 2 });
    const input = await pictures.orientedHalves(1200, 900);
    const jobs = [processor.process(input), processor.process(input), processor.process(input)];
    expect(processor.waiting).toBe(2);
    const refused = await refusal(processor, input);
    expect(refused.status).toBe(503);
    await Promise.all(jobs);
    expect(processor.waiting).toBe(0);
    // Room again once the queue drains.
    await processor.process(input);
  });

  /** The most libvips pipelines seen running at once while `count` pictures go through `processor`. */
  async function mostAtOnce(processor: PictureProcessor, count: number): Promise<number> {
    const input = await pictures.orientedHalves(1600, 1200);
    let most = 0;
    const sample = setInterval(() => (most = Math.max(most, sharp.counters().process)), 1);
    try {
      await Promise.all(Array.from({ length: count }, () => processor.process(input)));
    } finally {
      clearInterval(sample);
    }
    return most;
  }

  it('works on one picture at a time (and the check sees more when more are allowed)', async () => {
    expect(await mostAtOnce(createPictureProcessor(), 3)).toBe(1);
    expect(await mostAtOnce(createPictureProcessor({ concurrency: 3 }), 3)).toBeGreaterThan(1);
  }, 60_000);
});

describe('memory', () => {
  /**
   * glibc gives each thread that allocates its own arena and hands little back, so RSS climbed with every
   * upload (docs/media-storage.md, Memory). MALLOC_ARENA_MAX is read by glibc when the process starts, so
   * it cannot be set from inside the service: `npm start` sets it (2) unless the operator did.
   */
  it('npm start runs the service with MALLOC_ARENA_MAX=2, or the operator’s own value', () => {
    const start = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts.start;
    const launch = start.split('&&').at(-1)!.trim();
    expect(launch).toMatch(/node dist\/server\/main\.js$/);
    // The launch as npm runs it (sh), with the service replaced by a line printing what it would see.
    const seen = (env: NodeJS.ProcessEnv) =>
      execFileSync('sh', ['-c', launch.replace(/node dist\/server\/main\.js$/, `node -p "process.env.MALLOC_ARENA_MAX"`)], {
        env,
        encoding: 'utf8',
      }).trim();
    const { MALLOC_ARENA_MAX: _, ...env } = process.env;
    expect(seen(env)).toBe('2');
    expect(seen({ ...env, MALLOC_ARENA_MAX: '4' })).toBe('4');
  });
});
