/**
 * A newsroom for the approval, audit, roles and presence tests: editors (tokens and signed-in people),
 * contributors (signed in: only people are contributors), desks' sockets, and every surface a reader
 * reads, to assert that something never reaches them.
 */
import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents } from '../../shared/events';
import type { Role } from '../../shared/permissions';
import { request, type ApiResponse } from './api';
import { asPerson, signedInPerson } from './people';

export type DeskSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

let people = 0;

/** Someone who signs in: their id, name and cookie, and a request as their desk sends it. */
export interface Person {
  id: string;
  name: string;
  cookie: string;
  call<T = unknown>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiResponse<T>>;
}

/** Invites a person (as the admin), who accepts and is signed in. */
export async function person(url: string, name: string, role: Role, blogs: string[]): Promise<Person> {
  people += 1;
  const email = `${name.toLowerCase().replace(/\W/g, '')}.${people}.${Date.now()}@newsroom.example`;
  const { id, cookie } = await signedInPerson(url, { email, name, role, blogs });
  return {
    id,
    name,
    cookie,
    call: (method, path, body, headers) =>
      asPerson(url, cookie, method, path, { ...(body !== undefined ? { body } : {}), ...(headers ? { headers } : {}) }),
  };
}

/** An editor token for these blogs (made by the admin). */
export async function editorToken(url: string, name: string, blogs: string[]): Promise<{ id: string; token: string }> {
  const response = await request<{ id: string; token: string }>(url, 'POST', '/api/tokens', { body: { name, blogs } });
  if (response.status !== 201) throw new Error(`token: ${response.status}`);
  return response.body;
}

/** A desk's Socket.IO connection, with every event it receives kept by name. */
export interface Desk {
  socket: DeskSocket;
  received: { event: string; payload: unknown }[];
  of<T>(event: string): T[];
  close(): void;
}

/**
 * A desk's socket, signed in by a token or by a cookie. With a cookie the handshake carries the page's
 * Origin, as a browser's does: the service's own unless `origin` names another (to be refused).
 */
export async function connectDesk(url: string, auth: { cookie?: string; token?: string; origin?: string } = {}): Promise<Desk> {
  const socket: DeskSocket = io(url, {
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    ...(auth.token ? { auth: { token: auth.token } } : {}),
    ...(auth.cookie ? { extraHeaders: { cookie: `lb_session=${auth.cookie}`, origin: auth.origin ?? url } } : {}),
  });
  const received: Desk['received'] = [];
  socket.onAny((event: string, payload: unknown) => received.push({ event, payload }));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return {
    socket,
    received,
    of: <T>(event: string) => received.filter((entry) => entry.event === event).map((entry) => entry.payload as T),
    close: () => socket.disconnect(),
  };
}

/** Everything a reader can read of a blog, as text: the API, the view, the log, the feed, the page and the iframe page. */
export async function readerSurfaces(url: string, blogId: string, since: string): Promise<string> {
  const paths = [
    `/api/blogs/${blogId}/updates`,
    `/api/blogs/${blogId}/view`,
    `/api/blogs/${blogId}/events?after=${encodeURIComponent(since)}`,
    `/blogs/${blogId}/feed.atom`,
    `/blogs/${blogId}`,
    `/embed/${blogId}`,
  ];
  const texts = await Promise.all(
    paths.map(async (path) => {
      const response = await fetch(url + path);
      if (response.status !== 200) throw new Error(`${path}: ${response.status}`);
      return `${path}\n${await response.text()}`;
    }),
  );
  return texts.join('\n');
}
