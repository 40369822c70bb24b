/**
 * Which other sites may embed the blogs and read the public routes: any, by default; only those in
 * LIVEBLOG_EMBED_ORIGINS when it is set. One policy for CORS, Socket.IO and framing.
 */
import type { IncomingMessage } from 'node:http';
import type { RequestHandler } from 'express';
import { CARD_CSP, cspHeader } from './csp';

export interface EmbedPolicy {
  /** Null: any origin. */
  origins: string[] | null;
  allows(origin: string | undefined, host: string | undefined): boolean;
  /** The CSP of the page made for iframes. */
  frameCsp: string;
  /** Who may frame pages: `frame-ancestors`' sources. */
  frameAncestors: string[];
  /** CORS for the public read routes (GET and HEAD only: writes are the editors', from this origin). */
  cors: RequestHandler;
  /** Socket.IO's `allowRequest`: WebSocket connections are not subject to CORS, so the origin is checked here. */
  allowSocket(req: IncomingMessage, callback: (error: string | null | undefined, success: boolean) => void): void;
}

export function createEmbedPolicy(origins: string[] | null): EmbedPolicy {
  const allowed = origins ? new Set(origins.map(normalise)) : null;
  // Any Origin gets an answer, never an exception: `null` (sandboxed frames, file:// pages), garbage or
  // a huge value is simply not one of the allowed origins (an exception inside Socket.IO's
  // allowRequest left the handshake hanging and its socket open).
  const allows = (origin: string | undefined, host: string | undefined): boolean => {
    if (!allowed || !origin) return true; // no Origin: not a browser's cross-site request
    const normalised = normalise(origin);
    return allowed.has(normalised) || (host !== undefined && hostOf(normalised) === host);
  };
  const frameAncestors = allowed ? ["'self'", ...allowed].join(' ') : '*';
  return {
    origins,
    allows,
    frameCsp: cspHeader({ ...CARD_CSP, 'frame-ancestors': [frameAncestors] }),
    frameAncestors: [frameAncestors],
    cors: (req, res, next) => {
      const origin = req.headers.origin;
      if (!allowed) res.setHeader('Access-Control-Allow-Origin', '*');
      else {
        // The answer depends on the Origin whether or not it is allowed: a shared cache must keep both.
        res.vary('Origin');
        if (origin && allows(origin, undefined)) res.setHeader('Access-Control-Allow-Origin', origin);
      }
      if (req.method === 'OPTIONS') {
        res.setHeader('Access-Control-Allow-Methods', 'GET, HEAD');
        res.setHeader('Access-Control-Max-Age', '86400');
        res.status(204).end();
        return;
      }
      next();
    },
    allowSocket: (req, callback) => {
      const ok = allows(req.headers.origin, req.headers.host);
      callback(ok ? null : 'origin not allowed', ok);
    },
  };
}

/** An origin as URL parsing writes it; the input itself when it is not a URL (`null`, garbage). */
function normalise(origin: string): string {
  try {
    return new URL(origin).origin;
  } catch {
    return origin;
  }
}

function hostOf(origin: string): string | null {
  try {
    return new URL(origin).host;
  } catch {
    return null;
  }
}
