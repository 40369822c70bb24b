/**
 * Every page the service serves is valid HTML (html-validate's "standard" preset: the HTML standard's
 * conformance rules, as the W3C Nu checker applies them), with updates of every kind on it.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { HtmlValidate } from 'html-validate';
import { createBlog, publish, request } from '../helpers/api';
import { prefixCleaner, startServer, type TestServer } from '../helpers/app';
import { testPrefix } from '../helpers/redis';

const prefix = testPrefix('valid-html');
const cleaner = prefixCleaner(prefix);
let server: TestServer;
const validator = new HtmlValidate({ extends: ['html-validate:standard'] });

beforeAll(async () => {
  server = await startServer({ prefix });
  await createBlog(server.url, 'checked', 'Checked & valid <really>');
  const bodies = [
    'Plain text with a [link](https://example.com/a-very-long-path) and **bold**.',
    '![A bridge at dawn](https://example.com/bridge.jpg "The bridge, this morning")',
    '> A quote\n\n- one\n- two\n\n1. first\n2. second\n\n`code` and\n\n```\nblock\n```',
    '| a | b |\n| - | - |\n| 1 | 2 |',
    'https://www.youtube.com/watch?v=dQw4w9WgXcQ',
  ];
  for (const [i, body] of bodies.entries()) {
    await publish(server.url, 'checked', {
      body,
      title: i % 2 ? `Headline ${i}` : undefined,
      author: 'Desk',
      keyEvent: i === 1,
      pinned: i === 2,
    });
  }
  const older = (await request<{ updates: { id: string }[]; next?: string }>(server.url, 'GET', '/api/blogs/checked/updates?limit=2')).body;
  pages.push(`/blogs/checked?before=${older.next}`);
});

afterAll(async () => {
  await server?.stop();
  await cleaner.cleanup();
});

const pages = ['/', '/blogs/checked', '/embed/checked', '/editor', '/blogs/no-such-blog', '/embed/no-such-blog'];

describe('every page', () => {
  it('is valid HTML, 404 pages included', async () => {
    const errors: string[] = [];
    for (const path of pages) {
      const response = await fetch(`${server.url}${path}`);
      if (response.headers.get('content-type') !== 'text/html; charset=utf-8') {
        errors.push(`${path}: not an HTML page (${response.status} ${response.headers.get('content-type')})`);
        continue;
      }
      const report = await validator.validateString(await response.text(), path);
      errors.push(
        ...report.results.flatMap((result) => result.messages.map((m) => `${path}:${m.line}:${m.column} ${m.ruleId}: ${m.message}`)),
      );
    }
    expect(errors).toEqual([]);
  });
});
