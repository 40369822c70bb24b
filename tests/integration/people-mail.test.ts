/** Invitations by mail (LIVEBLOG_SMTP_URL), to a real SMTP server run by the test; a mail failure never fails the invitation. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { SMTPServer } from 'smtp-server';
import { createLogger } from '../../server/logger';
import { prefixCleaner, startServer, type TestServer } from '../helpers/app';
import { accept, invite } from '../helpers/people';
import { freePort } from '../helpers/process';
import { testPrefix } from '../helpers/redis';
import { waitFor } from '../helpers/wait';

const prefix = testPrefix('mail');
const cleaner = prefixCleaner(prefix);
const received: { from: string; to: string[]; raw: string }[] = [];
let smtp: SMTPServer;
let server: TestServer;

beforeAll(async () => {
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      let raw = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => (raw += chunk));
      stream.on('end', () => {
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw,
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  const port = (smtp.server.address() as AddressInfo).port;
  server = await startServer({ prefix, smtpUrl: `smtp://127.0.0.1:${port}` });
});

afterAll(async () => {
  await server.stop();
  await new Promise<void>((resolve) => smtp.close(() => resolve()));
  await cleaner.cleanup();
});

describe('with LIVEBLOG_SMTP_URL', () => {
  it('mails the invitation link to the invited person (mailed: true); the link in the mail works', async () => {
    const invited = await invite(server.url, { email: 'mailed@newsroom.example', name: 'Mailed Person' });
    expect(invited.mailed).toBe(true);
    const mail = await waitFor(() => received.find((m) => m.to.includes('mailed@newsroom.example')), 'the invitation mail');
    expect(mail.from).toBe('liveblog@127.0.0.1');
    expect(mail.raw).toMatch(/Subject: You are invited to the live blog desk/);
    const unfolded = mail.raw.replace(/=\r?\n/g, '');
    expect(unfolded).toContain(invited.inviteUrl);
    expect(unfolded).toContain('Hello Mailed Person');
    await accept(invited.inviteUrl);
  });

  it('a mail server that is down: the invitation still succeeds (mailed: false), logged without the link', async () => {
    const lines: string[] = [];
    const logger = createLogger('info', new Writable({ write: (chunk, _encoding, done) => (lines.push(String(chunk)), done()) }));
    const down = await startServer({ prefix, smtpUrl: `smtp://127.0.0.1:${await freePort()}`, logger });
    try {
      const started = Date.now();
      const invited = await invite(down.url, { email: 'unmailed@newsroom.example', name: 'Unmailed' });
      expect(invited.mailed).toBe(false);
      expect(Date.now() - started).toBeLessThan(6_000);
      await accept(invited.inviteUrl);
      const log = lines.join('');
      expect(log).toContain('could not mail an invitation');
      expect(log).not.toContain(invited.inviteUrl.split('/').pop()!);
    } finally {
      await down.stop();
    }
  });
});

describe('without LIVEBLOG_SMTP_URL', () => {
  it('answers mailed: false and sends nothing', async () => {
    const plain = await startServer({ prefix });
    try {
      const count = received.length;
      expect((await invite(plain.url, { email: 'nomail@newsroom.example', name: 'No Mail' })).mailed).toBe(false);
      expect(received.length).toBe(count);
    } finally {
      await plain.stop();
    }
  });
});
