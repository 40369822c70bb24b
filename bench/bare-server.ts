/**
 * The floor: a bare Socket.IO server and Express app on the same stack, doing only what the bench
 * measures — join a room on subscribe, broadcast what it is given, send the page bytes it is given —
 * with no store, validation or rendering. Run as its own process: `node dist/bench/bare-server.js PORT`.
 */
import http from 'node:http';
import express from 'express';
import { Server } from 'socket.io';

const port = Number(process.argv[2] ?? 0);
const app = express();
const server = http.createServer(app);
const io = new Server(server, { serveClient: false });
let page = Buffer.from('<!doctype html><title>bare</title>');

io.on('connection', (socket) => {
  socket.on('blog:subscribe', async (payload: { blogId: string }, ack: (answer: unknown) => void) => {
    await socket.join(`blog:${payload.blogId}`);
    ack({ ok: true, cursor: '', events: [] });
  });
});

app.post('/publish', express.json({ limit: '1mb' }), (req, res) => {
  io.to(`blog:${req.body.blogId}`).emit('blog:event', req.body.event);
  res.status(201).json({ ok: true });
});

app.put('/page', express.text({ type: '*/*', limit: '10mb' }), (req, res) => {
  page = Buffer.from(req.body as string);
  res.status(204).end();
});

app.get('/page', (_req, res) => {
  res.type('html').send(page);
});

server.listen(port, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`bare server listening on ${typeof address === 'object' && address ? address.port : port}\n`);
});
process.on('SIGTERM', () => {
  io.close();
  process.exit(0);
});
