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
import type { Bus, BusMessage } from '../../server/realtime/bus';
import type { LiveServer } from '../../server/realtime/context';
import { EditingPresence, MAX_PER_SOCKET } from '../../server/realtime/editing';
import { createBlog, request } from '../helpers/api';
import { prefixCleaner, startServer, type TestServer } from '../helpers/app';
import { connectDesk, editorToken, person, type Desk, type DeskSocket, type Person } from '../helpers/newsroom';
import { testPrefix } from '../helpers/redis';
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

describe('editing presence forgets the silent', () => {
  let httpServer: http.Server;
  let io: LiveServer;
  let presence: EditingPresence;
  const handlers: ((message: BusMessage, from: string) => void)[] = [];
  const published: BusMessage[] = [];
  const bus: Bus = {
    processId: 'here',
    shared: true,
    publish: (message) => published.push(message),
    onMessage: (handler) => handlers.push(handler),
    onResubscribed: () => {},
    close: async () => {},
  };
  let url: string;

  beforeAll(async () => {
    httpServer = http.createServer();
    io = new Server(httpServer) as LiveServer;
    presence = new EditingPresence(io, bus, { ttlMs: 300, shareMs: 100 });
    io.on('connection', (socket) => {
      socket.data.principal = { kind: 'admin', source: 'admin-token' };
      void socket.join(editorsRoom('b'));
      socket.on('entry:editing', (payload, ack) => ack?.(presence.handle(socket, payload)));
      socket.on('disconnect', () => presence.dropSocket(socket.id));
    });
    await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    presence.close();
    await new Promise<void>((resolve) => io.close(() => resolve()));
  });

  it('drops a desk that stops its heartbeat, and a process that stops sharing', async () => {
    const socket: DeskSocket = connect(url, { transports: ['websocket'], forceNew: true, reconnection: false });
    const seen: EntryEditors[] = [];
    socket.on('entry:editors', (event) => seen.push(event));
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    try {
      expect(await socket.timeout(2_000).emitWithAck('entry:editing', { blogId: 'b', updateId: 'e1', editing: true })).toEqual({
        ok: true,
      });
      await waitFor(() => seen.at(-1)?.editors.length === 1, 'editing');
      // Shared with the other processes on every change and every interval.
      await waitFor(() => published.filter((m) => m.type === 'editing').length >= 2, 'shared again');
      // No heartbeat: gone after its time, though the socket stays connected.
      await waitFor(() => seen.at(-1)?.editors.length === 0, 'the silent desk dropped', 3_000);
      expect(socket.connected).toBe(true);

      // Another process says someone edits e2, then falls silent (it crashed): dropped too.
      for (const handler of handlers)
        handler({ type: 'editing', blogId: 'b', updateId: 'e2', editors: [{ id: 'person:x', name: 'Petro' }] }, 'gone');
      await waitFor(() => seen.some((event) => event.updateId === 'e2' && event.editors[0]?.name === 'Petro'), 'Petro seen');
      await waitFor(() => seen.filter((event) => event.updateId === 'e2').at(-1)?.editors.length === 0, 'Petro dropped', 3_000);
    } finally {
      socket.disconnect();
    }
  });
});
