/**
 * A revoked token, a disabled or removed person, or an ended session loses its open connections at once,
 * on every process: the process that revoked it disconnects its own and tells the others over the bus.
 * In case that message is lost (the bus is at most once), every process also checks, every RECHECK_MS,
 * that the tokens and sessions behind its editors' connections still exist, and that each signed-in
 * person still has the rights their connection was opened with (not disabled or removed, the same role
 * and blogs): a connection's rights are fixed at its handshake, so one that outlived a change of rights
 * is ended, and the desk reconnects with the new ones. (Readers' connections carry neither: nothing to
 * revoke.)
 *
 * Principals are named `token:<id>`, `person:<id>` (every connection of a person) or `session:<hash>`
 * (the connections of one sign-in; the hash of its cookie's secret, which signs nobody in — and still
 * never logged).
 */
import { sessionPrincipalId } from '../auth/people-auth';
import { personPrincipalId, principalId, tokenPrincipalId, type PersonPrincipal, type Principal } from '../auth/principal';
import type { SessionStore } from '../store/sessions';
import type { Logger } from '../logger';
import type { PeopleStore, PersonRecord } from '../store/people';
import type { TokenStore } from '../store/tokens';
import type { Bus } from './bus';
import type { LiveServer } from './context';

/** How often the tokens and sessions behind open connections are checked again. */
export const RECHECK_MS = 10_000;

export interface Revocation {
  /** A principal lost its rights here: end its connections everywhere. */
  revoked(principal: string): void;
  close(): void;
}

function holds(held: Principal, principal: string): boolean {
  return principalId(held) === principal || (held.source === 'session' && sessionPrincipalId(held.sessionId) === principal);
}

/** Whether a connection opened as `held` still has exactly the rights its person has now. */
function sameRights(held: PersonPrincipal, person: PersonRecord | null): boolean {
  if (!person || person.disabled || person.role !== held.kind) return false;
  const blogs = [...person.blogs].sort();
  const heldBlogs = [...held.blogs].sort();
  return blogs.length === heldBlogs.length && blogs.every((blog, i) => blog === heldBlogs[i]);
}

export function startRevocation(deps: {
  io: LiveServer;
  bus: Bus;
  tokens: TokenStore;
  sessions?: SessionStore;
  people?: PeopleStore;
  logger: Logger;
  /** @default RECHECK_MS */
  recheckMs?: number;
}): Revocation {
  const { io, bus, logger } = deps;
  const disconnect = (principal: string) => {
    for (const socket of io.of('/').sockets.values()) {
      const held = socket.data.principal;
      if (held && holds(held, principal)) {
        logger.info(
          { socketId: socket.id, principal: principal.startsWith('session:') ? 'session' : principal },
          'ending a revoked connection',
        );
        socket.disconnect(true);
      }
    }
  };
  bus.onMessage((message) => {
    if (message.type === 'revoked') disconnect(message.principal);
  });
  const recheck = async () => {
    const tokenIds = new Set<string>();
    const sessionHashes = new Set<string>();
    const persons = new Map<string, PersonPrincipal[]>();
    for (const socket of io.of('/').sockets.values()) {
      const held = socket.data.principal;
      if (held?.source === 'token') tokenIds.add(held.tokenId);
      if (held?.source === 'session') {
        sessionHashes.add(held.sessionId);
        persons.set(held.personId, [...(persons.get(held.personId) ?? []), held]);
      }
    }
    if (tokenIds.size) {
      const active = await deps.tokens.active([...tokenIds]);
      for (const tokenId of tokenIds) if (!active.has(tokenId)) disconnect(tokenPrincipalId(tokenId));
    }
    if (sessionHashes.size && deps.sessions) {
      const active = await deps.sessions.active([...sessionHashes]);
      for (const hash of sessionHashes) if (!active.has(hash)) disconnect(sessionPrincipalId(hash));
    }
    if (persons.size && deps.people) {
      const people = deps.people;
      const now = await Promise.all([...persons.keys()].map((personId) => people.get(personId)));
      [...persons].forEach(([personId, held], i) => {
        const person = now[i];
        // One connection whose rights changed ends them all: the desk reconnects with the person's new rights.
        if (held.some((principal) => !sameRights(principal, person))) disconnect(personPrincipalId(personId));
      });
    }
  };
  const timer = setInterval(() => {
    recheck().catch((error: unknown) => logger.warn({ err: error }, 'could not check the tokens of open connections; trying again later'));
  }, deps.recheckMs ?? RECHECK_MS);
  timer.unref();
  return {
    revoked: (principal) => {
      disconnect(principal);
      bus.publish({ type: 'revoked', principal });
    },
    close: () => clearInterval(timer),
  };
}
