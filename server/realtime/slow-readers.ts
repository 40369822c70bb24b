/**
 * Readers that do not take what they are sent are dropped, so that no client — however slow, or
 * hostile and never reading — can make this process hold an unbounded amount of data for it. A dropped
 * reader's client reconnects and resumes by cursor, as after any drop.
 *
 * What is unsent for a connection: the packets engine.io holds while its transport is busy (the
 * connection's `writeBuffer`), plus what the WebSocket has queued but not yet handed to the network
 * (`bufferedAmount`). Neither is in Socket.IO's public API, hence the narrow casts below.
 */
import type { Logger } from '../logger';
import type { LiveServer, LiveSocket } from './context';

/** A connection with more than this unsent is dropped. */
export const MAX_UNSENT_BYTES = 1024 * 1024;
/** How often every connection is checked (beside the check before each catch-up answer). */
export const SLOW_READER_CHECK_MS = 1_000;

interface EngineConnection {
  writeBuffer?: { data?: unknown }[];
  transport?: { socket?: { bufferedAmount?: number } };
}

/** Bytes sent to this connection that have not left the process yet. */
export function unsentBytes(socket: LiveSocket): number {
  const conn = socket.conn as unknown as EngineConnection;
  let bytes = conn.transport?.socket?.bufferedAmount ?? 0;
  for (const packet of conn.writeBuffer ?? []) {
    const { data } = packet;
    bytes += typeof data === 'string' ? data.length : Buffer.isBuffer(data) ? data.length : 0;
  }
  return bytes;
}

/** Drops the connection if it is too far behind; returns whether it did. */
export function dropIfSlow(socket: LiveSocket, logger: Logger): boolean {
  const unsent = unsentBytes(socket);
  if (unsent <= MAX_UNSENT_BYTES) return false;
  logger.warn({ socketId: socket.id, unsent }, 'dropping a reader that does not take what it is sent');
  socket.disconnect(true);
  return true;
}

/** Checks every connection every SLOW_READER_CHECK_MS; returns a function that stops it. */
export function watchSlowReaders(io: LiveServer, logger: Logger): () => void {
  const timer = setInterval(() => {
    for (const socket of io.of('/').sockets.values()) dropIfSlow(socket, logger);
  }, SLOW_READER_CHECK_MS);
  timer.unref();
  return () => clearInterval(timer);
}
