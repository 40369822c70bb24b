/**
 * The desks' own events across processes: the approval queue, and who is editing an entry: across two processes sharing one Redis, ended on
 * disconnect, on a silent desk (no heartbeat) and when a process stops sharing (crashed); payloads
 * validated, one connection's entries capped.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { io as connect } from 'socket.io-client';
import type { EditingAck, EntryEditors, PendingEvent } from '../../shared/events';
import type { PendingUpdate } from '../../shared/schemas';
import { editorsRoom } from '../../shared/events';
import { createLogger } from '../../server/logger';
import { RedisBus } from '../../server/realtime/bus';
import type { SharedRedis } from '../../server/store/open';
import { closeRedisClient, createRedisClient, parseRedisUrl } from '../../server/store/redis/connection';
import { redisKeys } from '../../server/store/redis/keys';
import type { LiveServer } from '../../server/realtime/context';
import { EditingPresence, MAX_PER_SOCKET } from '../../server/realtime/editing';
import { createBlog, request } from '../helpers/api';
import { prefixCleaner, startServer, type TestServer } from '../helpers/app';
import { connectDesk, editorToken, person, type Desk, type DeskSocket, type Person } from '../helpers/newsroom';
import { TEST_REDIS_URL, testPrefix } from '../helpers/redis';
import { waitFor } from '../helpers/wait';

const editing = (desk: Desk, updateId: string, on: boolean, blogId = 'live'): Promise<EditingAck> =>
  desk.socket.timeout(5_000).emitWithAck('entry:editing', { blogId, updateId, editing: on }) as Promise<EditingAck>;
const lastEditors = (desk: Desk, updateId: string) =>
  desk
    .of<EntryEditors>('entry:editors')
    .filter((event) => event.updateId === updateId)
    .at(-1)
    ?.editors.map((editor) => editor.name);

describe('editing presence across two processes', () => {
  const prefix = testPrefix('editing');
  const cleaner = prefixCleaner(prefix);
  let one: TestServer;
  let two: TestServer;
  let olena: Person;
  let desk: { token: string };
  const desks: Desk[] = [];

  beforeAll(async () => {
    one = await startServer({ prefix });
    two = await startServer({ prefix });
    await createBlog(one.url, 'live');
    olena = await person(one.url, 'Olena', 'editor', ['live']);
    desk = await editorToken(one.url, 'Night desk', ['live']);
  });

  afterAll(async () => {
    for (const d of desks) d.close();
    await Promise.all([one.stop(), two.stop()]);
    await cleaner.cleanup();
  });

  const deskOn = async (server: TestServer, auth: { cookie?: string; token?: string }) => {
    const d = await connectDesk(server.url, auth);
    desks.push(d);
    expect(await d.socket.timeout(5_000).emitWithAck('blog:subscribe', { blogId: 'live' })).toMatchObject({ ok: true });
    return d;
  };

  it('tells every editor of the blog, on every process, who has an entry open, and ends it on disconnect', async () => {
    const olenaDesk = await deskOn(one, { cookie: olena.cookie });
    const nightDesk = await deskOn(two, { token: desk.token });
    expect(await editing(olenaDesk, 'entry1', true)).toEqual({ ok: true });
    await waitFor(() => lastEditors(nightDesk, 'entry1')?.join() === 'Olena', 'Olena seen on the other process');
    await waitFor(() => lastEditors(olenaDesk, 'entry1')?.join() === 'Olena', 'Olena seen on her own process');
    expect(nightDesk.of<EntryEditors>('entry:editors')[0].editors).toEqual([{ id: `person:${olena.id}`, name: 'Olena' }]);

    expect(await editing(nightDesk, 'entry1', true)).toEqual({ ok: true });
    await waitFor(() => lastEditors(olenaDesk, 'entry1')?.join() === 'Night desk,Olena', 'both seen');
    // A heartbeat changes nothing anyone sees: no new message.
    const told = olenaDesk.of('entry:editors').length;
    expect(await editing(nightDesk, 'entry1', true)).toEqual({ ok: true });

    // A desk opening later is told at once who edits what.
    const late = await deskOn(one, { token: desk.token });
    await waitFor(() => lastEditors(late, 'entry1')?.join() === 'Night desk,Olena', 'the late desk told');

    // Closing the form ends it; so does disconnecting.
    expect(await editing(nightDesk, 'entry1', false)).toEqual({ ok: true });
    await waitFor(() => lastEditors(olenaDesk, 'entry1')?.join() === 'Olena', 'the night desk gone');
    expect(olenaDesk.of('entry:editors').length).toBe(told + 1);
    olenaDesk.close();
    await waitFor(() => lastEditors(nightDesk, 'entry1')?.length === 0, 'Olena gone on the other process');
    await waitFor(() => lastEditors(late, 'entry1')?.length === 0, 'Olena gone on her process');
  });

  it('tells an editor on the other process of a contributor’s entry, and the contributor there of its approval', async () => {
    const taras = await person(one.url, 'Taras', 'contributor', ['live']);
    const nightDesk = await deskOn(two, { token: desk.token });
    const tarasDesk = await connectDesk(two.url, { cookie: taras.cookie });
    desks.push(tarasDesk);
    const submitted = await taras.call<PendingUpdate>('POST', '/api/blogs/live/updates', { body: 'from the field' });
    expect(submitted.status).toBe(202);
    await waitFor(
      () => nightDesk.of<PendingEvent>('blog:pending').some((event) => 'entry' in event && event.entry.id === submitted.body.id),
      'the editor on the other process told',
    );
    await waitFor(() => tarasDesk.of<PendingEvent>('blog:pending').length === 1, 'the contributor on the other process told');
    expect((await request(one.url, 'POST', `/api/blogs/live/updates/${submitted.body.id}/approve`, {})).status).toBe(200);
    await waitFor(
      () => tarasDesk.of<PendingEvent>('blog:pending').some((event) => 'removedId' in event && event.removedId === submitted.body.id),
      'the contributor told of the approval',
    );
  });

  it('refuses bad payloads and more than the cap of entries per connection', async () => {
    const d = await deskOn(two, { token: desk.token });
    for (const payload of [
      null,
      'x',
      { blogId: 'live' },
      { blogId: 'live', updateId: 'BAD ID', editing: true },
      { blogId: 'live', updateId: 'a', editing: 'yes' },
    ]) {
      const ack = (await d.socket.timeout(5_000).emitWithAck('entry:editing', payload as never)) as EditingAck;
      expect(ack).toMatchObject({ ok: false, error: { code: 'invalid' } });
    }
    expect(await editing(d, 'x1', true, 'not-mine')).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    for (let i = 0; i < MAX_PER_SOCKET; i++) expect(await editing(d, `cap${i}`, true)).toEqual({ ok: true });
    expect(await editing(d, 'one-more', true)).toMatchObject({ ok: false, error: { code: 'invalid' } });
    // Editing one again (a heartbeat) is not one more.
    expect(await editing(d, 'cap0', true)).toEqual({ ok: true });
  });
});

/** One process of the test: its own Socket.IO server and presence, on its own bus to the shared Redis. */
interface Process {
  presence: EditingPresence;
  io: LiveServer;
  bus: RedisBus;
  url: string;
  close(): Promise<void>;
}

describe('editing presence forgets the silent, on every process', () => {
  const prefix = testPrefix('editing-silent');
  const cleaner = prefixCleaner(prefix);
  const logger = createLogger('silent');
  const target = parseRedisUrl(TEST_REDIS_URL);
  const client = createRedisClient(target, logger);
  const shared: SharedRedis = {
    client,
    writer: client,
    minReplicas: 0,
    prefix,
    keys: redisKeys(prefix),
    subscriber: () => createRedisClient(target, logger, { subscriber: true }),
    queueConnection: () => createRedisClient(target, logger, { queue: true }),
  };
  const options = { ttlMs: 400, shareMs: 100 };
  const sockets: DeskSocket[] = [];
  let a: Process;
  let b: Process;

  const start = async (): Promise<Process> => {
    const httpServer = http.createServer();
    const io = new Server(httpServer) as LiveServer;
    const bus = new RedisBus(shared, logger);
    const presence = new EditingPresence(io, bus, options);
    io.on('connection', (socket) => {
      const name = String(socket.handshake.auth.name);
      socket.data.principal = { kind: 'editor', source: 'token', tokenId: name, name, blogs: ['b'] };
      void socket.join(editorsRoom('b'));
      socket.on('entry:editing', (payload, ack) => ack?.(presence.handle(socket, payload)));
      socket.on('disconnect', () => presence.dropSocket(socket.id));
    });
    await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
    // The bus must be listening before anything is shared on it.
    await waitFor(async () => (await subscribed()) === live.size + 1, 'the new bus subscribed');
    live.add(bus);
    return {
      presence,
      io,
      bus,
      url: `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`,
      close: async () => {
        presence.close();
        await new Promise<void>((resolve) => io.close(() => resolve()));
        await bus.close();
        live.delete(bus);
      },
    };
  };
  const live = new Set<RedisBus>();
  const subscribed = async () => {
    const [, count] = (await client.call('PUBSUB', 'SHARDNUMSUB', shared.keys.busChannel)) as [string, number];
    return Number(count);
  };

  const desk = async (process: Process, name: string) => {
    const socket: DeskSocket = connect(process.url, { transports: ['websocket'], forceNew: true, reconnection: false, auth: { name } });
    sockets.push(socket);
    const seen: EntryEditors[] = [];
    socket.on('entry:editors', (event) => seen.push(event));
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    const edit = async (updateId: string) =>
      expect(await socket.timeout(2_000).emitWithAck('entry:editing', { blogId: 'b', updateId, editing: true })).toEqual({ ok: true });
    const editors = (updateId: string) =>
      seen
        .filter((event) => event.updateId === updateId)
        .at(-1)
        ?.editors.map((editor) => editor.name)
        .join();
    return { socket, edit, editors };
  };

  beforeAll(async () => {
    a = await start();
    b = await start();
  });

  afterAll(async () => {
    for (const socket of sockets) socket.disconnect();
    await Promise.all([a.close(), b.close()]);
    await closeRedisClient(client);
    await cleaner.cleanup();
  });

  it('ends a silent desk’s editing on the other process within its time and one share, while its process goes on sharing', async () => {
    const olena = await desk(a, 'Olena');
    const petro = await desk(a, 'Petro');
    const watcher = await desk(b, 'Watcher');
    // Petro keeps his heartbeat, so process A goes on sharing (and stays known) throughout.
    await petro.edit('e2');
    const heartbeat = setInterval(() => void petro.edit('e2'), options.shareMs);
    try {
      await olena.edit('e1');
      const lastBeat = Date.now();
      await waitFor(() => watcher.editors('e1') === 'Olena', 'Olena seen on the other process');
      await waitFor(() => watcher.editors('e1') === '', 'Olena gone on the other process', 3_000);
      // Dropped by A's first tick after her time, and told at once: within the time and one share (and a little for the network).
      expect(Date.now() - lastBeat).toBeLessThan(options.ttlMs + 2 * options.shareMs + 150);
      expect(olena.socket.connected).toBe(true);
      expect(watcher.editors('e2')).toBe('Petro');
    } finally {
      clearInterval(heartbeat);
    }
  });

  it('forgets what a process said when it stops sharing, whether it says goodbye or just goes silent', async () => {
    const watcher = await desk(b, 'Watcher 2');
    const c = await start();
    const taras = await desk(c, 'Taras');
    await taras.edit('e3');
    await waitFor(() => watcher.editors('e3') === 'Taras', 'Taras seen');
    // Closing says so at once.
    await c.close();
    await waitFor(() => watcher.editors('e3') === '', 'Taras gone with his process');

    // A process that stops sharing without a word (it crashed) is forgotten after three shares.
    const d = await start();
    const ivan = await desk(d, 'Ivan');
    await ivan.edit('e4');
    await waitFor(() => watcher.editors('e4') === 'Ivan', 'Ivan seen');
    // Its timer stopped without a goodbye: what a crash looks like from outside.
    clearInterval((d.presence as unknown as { timer: ReturnType<typeof setInterval> }).timer);
    const silentSince = Date.now();
    await waitFor(() => watcher.editors('e4') === '', 'Ivan gone with his silent process', 3_000);
    // Three shares and a tick (about 400 ms), with room for timers late on a machine busy with the whole suite.
    expect(Date.now() - silentSince).toBeLessThan(4 * options.shareMs + 1_000);
    await d.close();
  });
});
