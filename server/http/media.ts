/**
 * Pictures over HTTP. Under `/api/blogs/:blogId`: `POST /media` (an upload, multipart: `file`, `alt`,
 * `caption?`, `credit?`), `GET /media` (the blog's pictures, for the desk), `DELETE /media/:mediaId` (a
 * takedown). Under `/media`: the files themselves (immutable, content-hashed names) and a picture's
 * address, which redirects to its full-size file.
 *
 * An upload is streamed to a temporary file as it arrives (never held in memory while it trickles in),
 * refused as early as it can be (413 from Content-Length before a byte of the body is read), then
 * handed to the picture processor (media/process.ts): only its re-encoded files are ever stored.
 * Nothing is stored by a request that gets an error, and the temporary file is always removed. Once its
 * sender is authorised, an upload has `uploadTimeoutMs` (10 min) to arrive instead of the 15 s other
 * bodies get (connections.ts), so a photo sent over a slow uplink gets through.
 */
import { recordChange } from './audit';
import busboy from 'busboy';
import { randomBytes } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Router, type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import { ERROR_CODES, type ErrorCode } from '../../shared/codes';
import { can } from '../../shared/permissions';
import { MediaFieldsSchema, type ListedMedia, type MediaInfo } from '../../shared/schemas';
import { actorOf, principalId } from '../auth/principal';
import type { Logger } from '../logger';
import type { MediaCatalog } from '../media/catalog';
import { pictureMarkdown } from '../media/markup';
import { newMediaId } from '../media/catalog';
import { PictureRefused, type PictureProcessor } from '../media/process';
import { fileUrl, MEDIA_FILE_NAME, MEDIA_ID, MEDIA_LIMITS, mediaPath, type MediaRecord } from '../media/types';
import type { Approvals } from '../service/approvals';
import type { LiveBlogs } from '../service/live-blogs';
import type { AuditDraft, AuditLog } from '../store/audit';
import type { Timeline } from '../store/timeline';
import type { Actor } from '../../shared/schemas';
import { extendBodyDeadline } from './connections';
import { HttpError, notFound, parseOr400 } from './errors';
import type { Guards } from './guards';
import { blogIdParam } from './params';
import { assertCan } from './roles';

/** Multipart framing around the file: boundaries, part headers and the three text fields. */
const ENVELOPE_BYTES = 64 * 1024;

/** What busboy accepts of one upload; beyond these the request is refused (and nothing kept). */
const BUSBOY_LIMITS = {
  fileSize: MEDIA_LIMITS.fileBytes,
  files: 1,
  fields: 5,
  fieldSize: 4096,
  parts: 6,
  headerPairs: 20,
} as const;

/** Temporary upload files are named `<this><pid>-<random>`: a process's own are easy to find. */
export const TEMP_PREFIX = 'liveblog-upload-';

const FIELD_NAMES = new Set(['alt', 'caption', 'credit']);

/** Files never change under their name (it holds a hash of their bytes). */
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** A picture's address (302) and a missing file: a takedown must reach readers soon. */
const SHORT_LIVED = 'public, max-age=60';

const REFUSAL_CODES: Record<PictureRefused['status'], ErrorCode> = {
  400: ERROR_CODES.invalid,
  413: ERROR_CODES.payloadTooLarge,
  415: ERROR_CODES.unsupportedMediaType,
  // The queue is full: this process is busy, the store is fine (no Redis error, no page to an operator).
  503: ERROR_CODES.busy,
};

/**
 * Uploads being received at once (each up to 20 MB in a temporary file, for up to 10 minutes): in all on
 * this process, and from one sender, so that nobody, however authorised, can fill the disk or hold the
 * upload slots while the queue is full.
 */
export const UPLOADS_IN_FLIGHT = { total: 16, perSender: 2 } as const;

/** The updates read at once while looking for a picture still shown. */
const SWEEP_PAGE = 100;

export interface MediaDeps {
  catalog: MediaCatalog;
  processor: PictureProcessor;
  timeline: Timeline;
  liveBlogs: LiveBlogs;
  approvals: Approvals;
  guards: Guards;
  audit: AuditLog;
  logger: Logger;
  /** The service's own address: an upload's `url` is absolute. */
  publicOrigin: () => string;
  /** Time an authorised upload has to arrive (ConnectionLimits.uploadTimeoutMs). */
  uploadTimeoutMs: number;
}

/** `/api/blogs/:blogId/media…` */
export function mediaApiRouter(deps: MediaDeps): Router {
  const { catalog, logger } = deps;
  const router = Router({ mergeParams: true });
  const receiving = new Map<string, number>();
  let receivingTotal = 0;
  /** Refused before a byte of the body is read, and the connection closed (the body is not waited for). */
  const busy = (res: Response, message: string) => {
    res.setHeader('Retry-After', '5');
    res.setHeader('Connection', 'close');
    return new HttpError(503, ERROR_CODES.busy, message);
  };

  const info = (record: MediaRecord): MediaInfo => ({
    id: record.id,
    url: deps.publicOrigin() + fileUrl(record, record.full),
    width: record.width,
    height: record.height,
    alt: record.alt,
    ...(record.caption ? { caption: record.caption } : {}),
    ...(record.credit ? { credit: record.credit } : {}),
    markdown: pictureMarkdown(record),
  });

  /** Service trail entries: written after the change (the storage is not Redis), a failure logged. */
  const record = (res: Response, entry: Omit<AuditDraft, 'actor' | 'at'>) =>
    recordChange({ audit: deps.audit, logger }, res, { ...entry, at: new Date().toISOString() }, 'media');

  router.post('/media', refuseTooLarge, deps.guards.signedInWrite, async (req, res) => {
    const blogId = blogIdParam(req);
    const principal = assertCan(res, 'submit', blogId);
    if (!req.is('multipart/form-data')) {
      throw new HttpError(415, ERROR_CODES.unsupportedMediaType, 'send the picture as multipart/form-data, with the fields file and alt');
    }
    if (!(await deps.timeline.getBlog(blogId))) throw notFound('blog');
    if (deps.processor.full) throw busy(res, 'Too many pictures are being processed; try again in a few seconds.');
    const sender = principalId(principal);
    if ((receiving.get(sender) ?? 0) >= UPLOADS_IN_FLIGHT.perSender) {
      throw busy(res, `You are already sending ${UPLOADS_IN_FLIGHT.perSender} pictures: send this one when one of them is done.`);
    }
    if (receivingTotal >= UPLOADS_IN_FLIGHT.total) throw busy(res, 'Too many pictures are being sent; try again in a few seconds.');
    receiving.set(sender, (receiving.get(sender) ?? 0) + 1);
    receivingTotal += 1;
    // Authorised, for a blog that exists: the body may take as long as a slow uplink needs.
    extendBodyDeadline(req, deps.uploadTimeoutMs);
    const temp = path.join(os.tmpdir(), `${TEMP_PREFIX}${process.pid}-${randomBytes(12).toString('hex')}`);
    try {
      const form = await receiveUpload(req, temp);
      const fields = parseOr400(MediaFieldsSchema, form.fields, 'upload');
      const input = await readFile(temp);
      await rm(temp, { force: true });
      if (input.length === 0) throw badForm('file', 'is empty');
      const picture = await deps.processor.process(input).catch((error: unknown) => {
        if (!(error instanceof PictureRefused)) throw error;
        if (error.status === 503) res.setHeader('Retry-After', '5');
        throw new HttpError(error.status, REFUSAL_CODES[error.status], error.message);
      });
      const strip = <T extends { body: Buffer }>({ body: _body, ...file }: T) => file;
      const media: MediaRecord = {
        id: newMediaId(),
        blogId,
        width: picture.width,
        height: picture.height,
        alt: fields.alt,
        ...(fields.caption ? { caption: fields.caption } : {}),
        ...(fields.credit ? { credit: fields.credit } : {}),
        fallback: picture.fallback,
        variants: picture.variants.map(strip),
        full: strip(picture.full),
        source: picture.source,
        createdAt: new Date().toISOString(),
        uploadedBy: principalId(principal),
      };
      await catalog.save(media, [...picture.variants, picture.full]);
      await record(res, { action: 'media.uploaded', blogId, after: media });
      res.status(201).location(fileUrl(media, media.full)).setHeader('Cache-Control', 'no-store');
      res.json(info(media));
    } finally {
      receivingTotal -= 1;
      const left = (receiving.get(sender) ?? 1) - 1;
      if (left > 0) receiving.set(sender, left);
      else receiving.delete(sender);
      await rm(temp, { force: true }).catch((error: unknown) =>
        logger.error({ err: error, temp }, 'could not remove an upload’s temporary file'),
      );
    }
  });

  router.get('/media', deps.guards.signedIn, async (req, res) => {
    const blogId = blogIdParam(req);
    const principal = assertCan(res, 'submit', blogId);
    const editor = can(principal, 'edit', blogId);
    // A contributor sees their own uploads only: an editor's not used yet may be under embargo.
    const uploader = principalId(principal);
    const records = (await catalog.list(blogId)).filter((media) => editor || media.uploadedBy === uploader);
    res.setHeader('Cache-Control', 'no-store');
    res.json({
      media: records.map((media): ListedMedia => ({
        ...info(media),
        createdAt: media.createdAt,
        /** The smallest fallback file, for a list of thumbnails. */
        thumbnail: fileUrl(media, media.variants.find((file) => file.format === media.fallback) ?? media.full),
        ...(editor ? { uploadedBy: media.uploadedBy } : {}),
      })),
    });
  });

  router.delete('/media/:mediaId', deps.guards.signedInWrite, async (req, res) => {
    const blogId = blogIdParam(req);
    const principal = assertCan(res, 'edit', blogId);
    const mediaId = String(req.params.mediaId);
    if (!MEDIA_ID.test(mediaId)) throw notFound('picture');
    // No record: unknown, or taken down already, or by a takedown that stopped partway (the store failed
    // during its sweep). Then this one finishes it if an update or waiting entry still shows the picture.
    if (!(await catalog.get(blogId, mediaId)) && !(await shown(blogId, mediaId))) throw notFound('picture');
    // Marked first: from now on no write can store HTML that shows it (the store refuses it in the same
    // atomic step, and the writer renders again without it), so a write rendered from its record a moment
    // ago cannot put it back after the sweep below went past. Then the record and files go.
    await deps.timeline.markTakenDown(blogId, mediaId);
    const removed = await catalog.remove(blogId, mediaId);
    // The updates and waiting entries that show it are rendered again (readers' screens and cached pages
    // drop it with their update.edited).
    const swept = await sweep(blogId, mediaId, actorOf(principal));
    await record(res, { action: 'media.removed', blogId, before: removed ?? { id: mediaId, blogId } });
    logger.info({ blogId, mediaId, ...swept, ...(removed ? {} : { finished: true }) }, 'picture taken down');
    res.status(204).end();
  });

  /** Renders again every update and waiting entry of the blog that names the picture; how many of each. */
  async function sweep(blogId: string, mediaId: string, actor: Actor) {
    const updates = await deps.liveBlogs.mediaRemoved(blogId, mediaId, actor);
    const pending = await deps.approvals.mediaRemoved(blogId, mediaId, actor);
    return { updates, pending };
  }

  /** Whether an update or a waiting entry of the blog still shows one of the picture's files. */
  async function shown(blogId: string, mediaId: string): Promise<boolean> {
    // Only a picture's own markup (media/markup.ts) puts a media file in an <img src>.
    const file = `src="${mediaPath(blogId, mediaId)}/`;
    if ((await deps.timeline.listPending(blogId)).some((entry) => entry.html.includes(file))) return true;
    let before: string | undefined;
    do {
      const page = await deps.timeline.listUpdates(blogId, { limit: SWEEP_PAGE, ...(before ? { before } : {}) });
      if (page.updates.some((update) => update.html.includes(file))) return true;
      before = page.next;
    } while (before);
    return false;
  }

  // An upload refused before its body was read leaves the rest of it on the connection: closed, not drained.
  const closeUnread: ErrorRequestHandler = (error, req, res, next) => {
    if (!req.complete && !res.headersSent) res.setHeader('Connection', 'close');
    next(error);
  };
  router.use(closeUnread);

  return router;
}

/** 413 from Content-Length alone, before a byte of the body is read. */
const refuseTooLarge: RequestHandler = (req, _res, next) => {
  const length = Number(req.headers['content-length'] ?? 0);
  if (length > MEDIA_LIMITS.fileBytes + ENVELOPE_BYTES) {
    throw new HttpError(413, ERROR_CODES.payloadTooLarge, `the picture is larger than ${MEDIA_LIMITS.fileBytes / 1024 / 1024} MB`);
  }
  next();
};

const tooLarge = () =>
  new HttpError(413, ERROR_CODES.payloadTooLarge, `the picture is larger than ${MEDIA_LIMITS.fileBytes / 1024 / 1024} MB`);
const badForm = (field: string, message: string) =>
  new HttpError(400, ERROR_CODES.invalid, 'the upload has invalid fields', { [field]: message });

/**
 * Reads the multipart body: the one file (`file`) to `temp`, the text fields into `fields`. Rejects on
 * any limit (the file's size: 413; the number of files, fields or parts, an unknown or too long field,
 * no file or an empty one: 400) and on an aborted request; stops reading at the first refusal.
 */
function receiveUpload(req: Request, temp: string): Promise<{ fields: Record<string, string> }> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: req.headers, limits: BUSBOY_LIMITS });
    } catch (error) {
      reject(badForm('body', `not a multipart form: ${(error as Error).message}`));
      return;
    }
    const fields: Record<string, string> = {};
    let file: Readable | null = null;
    let out: WriteStream | null = null;
    let files = 0;
    let settled = false;
    /** Resolves once the temporary file is closed (at once when none was opened). */
    const closed = () => new Promise<void>((done) => (!out || out.closed ? done() : out.once('close', () => done())));
    const interrupted = () => fail(new HttpError(400, ERROR_CODES.invalid, 'the upload was interrupted'));
    // Once a response was sent (connections.ts's 408 at the body's deadline), a connection closed under
    // the request ends it with neither 'aborted' nor 'error': the socket's close is then the only sign.
    const socketClosed = () => {
      if (!req.complete) interrupted();
    };
    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      req.socket.off('close', socketClosed);
      req.unpipe(parser);
      // Parts still arriving are dropped; the file being written is stopped, and the refusal waits until
      // its temporary file is closed, so that the caller's removal of it comes after, never before.
      parser.on('file', (_name, stream: Readable) => stream.on('error', fail).resume());
      if (file && out) file.unpipe(out);
      file?.resume();
      out?.destroy();
      void closed().then(() => reject(error));
    };
    parser.on('file', (name, stream) => {
      files += 1;
      // A form that ends inside the file (no closing boundary) errors the file's stream: unhandled, that
      // error would end the process.
      stream.on('error', (error) => fail(badForm('file', `the upload was cut off: ${error.message}`)));
      if (settled || out) return void stream.resume();
      if (name !== 'file') {
        stream.resume();
        return fail(badForm(name, 'unknown field: the picture goes in the field named file'));
      }
      file = stream;
      out = createWriteStream(temp, { flags: 'wx' });
      out.on('error', (error) => fail(error));
      stream.on('limit', () => fail(tooLarge()));
      stream.pipe(out);
    });
    parser.on('field', (name, value, info) => {
      if (name === 'file') return fail(badForm(name, 'must be a file (a picture), not text'));
      if (!FIELD_NAMES.has(name)) return fail(badForm(name, 'unknown field: send file, alt, caption and credit only'));
      if (info.valueTruncated) return fail(badForm(name, `must be at most ${BUSBOY_LIMITS.fieldSize} bytes`));
      if (name in fields) return fail(badForm(name, 'sent twice'));
      fields[name] = value;
    });
    parser.on('filesLimit', () => fail(badForm('file', 'send one picture per upload')));
    parser.on('fieldsLimit', () => fail(badForm('body', `at most ${BUSBOY_LIMITS.fields} fields`)));
    parser.on('partsLimit', () => fail(badForm('body', `at most ${BUSBOY_LIMITS.parts} parts`)));
    parser.on('error', (error: unknown) => fail(badForm('body', `the form could not be read: ${(error as Error).message}`)));
    parser.on('close', () => {
      if (settled) return;
      if (files === 0 || !file) return fail(badForm('file', 'is required: the picture'));
      if ((file as Readable & { truncated?: boolean }).truncated) return fail(tooLarge());
      void closed().then(() => {
        if (settled) return;
        settled = true;
        req.socket.off('close', socketClosed);
        resolve({ fields });
      });
    });
    req.on('aborted', interrupted);
    req.on('error', (error) => fail(error));
    req.socket.once('close', socketClosed);
    req.pipe(parser);
  });
}

/** `/media/:blogId/:mediaId` and `/media/:blogId/:mediaId/:name`: anyone may read a picture. */
export function mediaFilesRouter(deps: { catalog: MediaCatalog; logger: Logger }): Router {
  const { catalog, logger } = deps;
  const router = Router();

  const missing = (res: Response) => {
    res.status(404).type('text/plain').setHeader('Cache-Control', SHORT_LIVED);
    res.send('Not found\n');
  };

  router.get('/:blogId/:mediaId', async (req, res) => {
    const media = MEDIA_ID.test(req.params.mediaId) ? await catalog.get(req.params.blogId, req.params.mediaId) : null;
    if (!media) return missing(res);
    res.setHeader('Cache-Control', SHORT_LIVED);
    res.redirect(302, fileUrl(media, media.full));
  });

  router.get('/:blogId/:mediaId/:name', async (req, res) => {
    const { blogId, mediaId, name } = req.params;
    if (!MEDIA_FILE_NAME.test(name) || !MEDIA_ID.test(mediaId)) return missing(res);
    const etag = `"${name.slice(name.indexOf('-') + 1, name.lastIndexOf('.'))}"`;
    const revalidating = req.headers['if-none-match']?.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
    // A conditional request or a HEAD needs only to know the file is still there (not after a takedown).
    if (revalidating || req.method === 'HEAD') {
      const head = await catalog.fileHead(blogId, mediaId, name);
      if (!head) return missing(res);
      res.setHeader('ETag', etag).setHeader('Cache-Control', IMMUTABLE);
      if (revalidating) return void res.status(304).end();
      res.type(head.contentType).setHeader('Content-Length', String(head.size));
      return void res.status(200).end();
    }
    const file = await catalog.file(blogId, mediaId, name);
    if (!file) return missing(res);
    res.setHeader('ETag', etag).setHeader('Cache-Control', IMMUTABLE).setHeader('Content-Length', String(file.size));
    res.type(file.contentType);
    try {
      await pipeline(file.body, res);
    } catch (error) {
      // A reader who goes away mid-picture is no fault; anything else is the storage's.
      if (req.destroyed) return void logger.debug({ err: error, blogId, mediaId, name }, 'a reader left during a picture');
      logger.warn({ err: error, blogId, mediaId, name }, 'a media file could not be sent whole');
      res.destroy();
    }
  });

  return router;
}
