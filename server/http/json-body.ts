import express, { type RequestHandler } from 'express';
import { ERROR_CODES } from '../../shared/codes';
import { LIMITS } from '../../shared/limits';
import { HttpError } from './errors';

const parseJson = express.json({ limit: LIMITS.requestBytes, strict: true, type: 'application/json' });

/** JSON bodies only (415 otherwise), at most `LIMITS.requestBytes` (413), well-formed (400). */
export const jsonBody: RequestHandler = (req, res, next) => {
  if (!req.is('application/json')) {
    throw new HttpError(415, ERROR_CODES.unsupportedMediaType, 'send the body as JSON with Content-Type: application/json');
  }
  parseJson(req, res, next);
};
