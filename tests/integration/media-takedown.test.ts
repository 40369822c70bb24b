/**
 * A takedown removes the picture from every update's body (the API's `body`, the events, waiting
 * entries), and so from what is made of it: the reader page's JSON-LD and the Atom feed. Those are made
 * from the rendered text, never from raw Markdown.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { formatCursor, ORIGIN_TAG, parseCursor } from '../../shared/cursor';
import type { Blog, BlogEvent, Update } from '../../shared/schemas';
import { createBlog, publish, request } from '../helpers/api';
import { prefixCleaner, startServer, type TestServer } from '../helpers/app';
import { uploadedPicture } from '../helpers/media';
import { person } from '../helpers/newsroom';
import { richJpeg } from '../helpers/pictures';
import { testPrefix } from '../helpers/redis';

const prefix = testPrefix('media-takedown');
const cleaner = prefixCleaner(prefix);
let server: TestServer;
let url: string;

/** An upload as a script sends it (tests/helpers/media.ts), which must succeed. */
const upload = (blogId: string, file: Buffer, fields: Record<string, string>) =>
  uploadedPicture(url, blogId, file, { fields, type: 'image/jpeg' });

interface Posting {
  liveBlogUpdate: { '@id': string; headline: string; articleBody: string }[];
}

/** The reader page's JSON-LD. */
async function jsonLd(blogId: string): Promise<Posting> {
  const page = await (await fetch(`${url}/blogs/${blogId}`)).text();
  const json = /<script type="application\/ld\+json">(.*?)<\/script>/s.exec(page)![1];
  return JSON.parse(json) as Posting;
}

/** The Atom feed's entry titles, as a feed reader decodes them. */
async function feedTitles(blogId: string): Promise<string[]> {
  const feed = await (await fetch(`${url}/blogs/${blogId}/feed.atom`)).text();
  return [...feed.matchAll(/<entry>.*?<title>(.*?)<\/title>/gs)].map(([, title]) =>
    title.replace(/&(lt|gt|quot|#39|amp);/g, (_all, name: string) => ({ lt: '<', gt: '>', quot: '"', '#39': "'", amp: '&' })[name]!),
  );
}

beforeAll(async () => {
  server = await startServer({ prefix });
  url = server.url;
});

afterAll(async () => {
  await server?.stop();
  await cleaner.cleanup();
});

describe('a takedown', () => {
  it('removes the picture’s reference from every body, so nothing of its alt text or caption is left anywhere', async () => {
    await createBlog(url, 'takedown');
    const contributor = await person(url, 'Maria', 'contributor', ['takedown']);
    const media = await upload('takedown', await richJpeg(640, 480), { alt: 'Zebra [alt]', caption: 'Quokka caption' });
    const keep = await upload('takedown', await richJpeg(320, 240), { alt: 'Kept picture', caption: 'Kept caption' });
    const path = `/media/takedown/${media.id}`;
    expect(media.markdown).toBe(`![Zebra \\[alt\\]](${path} "Quokka caption")`);

    const alone = await publish(url, 'takedown', { body: `Intro line.\n\n${media.markdown}\n\nAfter line.` });
    const forms = await publish(url, 'takedown', {
      title: 'Forms',
      body:
        `Before ![Zebra inline](${path} 'Quokka single') and ${keep.markdown}\n\n` +
        `![Zebra \\] escaped](${path} (Quokka parens))\n\n` +
        `Raw <img alt="Zebra raw" src="${path}" title="Quokka raw"> here\n\n` +
        `![Zebra bare](${path})\n\nEnd.`,
    });
    const unrelated = await publish(url, 'takedown', { body: 'Nothing to see.' });
    const waiting = await contributor.call<Update>('POST', '/api/blogs/takedown/updates', { body: `Entry.\n\n${media.markdown}` });
    expect(waiting.status).toBe(202);
    expect(JSON.stringify(await jsonLd('takedown'))).toContain('Intro line');
    const cursor = (await request<Blog>(url, 'GET', '/api/blogs/takedown')).body.cursor;

    expect((await request(url, 'DELETE', `/api/blogs/takedown/media/${media.id}`)).status).toBe(204);

    const secret = /Zebra|Quokka/;
    // The API's updates: the reference is gone from the body, and nothing stands in its place.
    const updates = (await request<{ updates: Update[] }>(url, 'GET', '/api/blogs/takedown/updates')).body.updates;
    const now = (id: string) => updates.find((update) => update.id === id)!;
    for (const before of [alone, forms]) {
      const after = now(before.id);
      expect(after.body).not.toMatch(secret);
      expect(after.body).not.toContain(media.id);
      expect(after.html).not.toMatch(secret);
      expect(after.html).not.toContain(media.id);
      expect(after.version).toBe(before.version + 1);
      expect(after.editedAt).toBe(before.editedAt);
    }
    expect(now(alone.id).body).toBe('Intro line.\n\nAfter line.');
    expect(now(forms.id).body).toBe(`Before  and ${keep.markdown}\n\nRaw  here\n\nEnd.`);
    expect(now(forms.id).html).toContain(`/media/takedown/${keep.id}/`);
    expect(now(forms.id).html).not.toContain('Picture not available.');
    expect(now(unrelated.id).version).toBe(1);

    // The events after the takedown: one update.edited each, with the new body.
    const events = (await request<{ events: BlogEvent[] }>(url, 'GET', `/api/blogs/takedown/events?after=${encodeURIComponent(cursor)}`))
      .body.events;
    expect(events.map((event) => [event.type, event.update?.id]).sort()).toEqual(
      [
        ['update.edited', alone.id],
        ['update.edited', forms.id],
      ].sort(),
    );
    expect(JSON.stringify(events)).not.toMatch(secret);
    // Earlier events are read back with their update as it is now: nothing of the picture either.
    const origin = formatCursor(parseCursor(cursor)!.epoch, 0, ORIGIN_TAG);
    const all = await request<{ events: BlogEvent[] }>(url, 'GET', `/api/blogs/takedown/events?after=${encodeURIComponent(origin)}`);
    expect(all.status).toBe(200);
    expect(all.body.events.filter((event) => event.update).length).toBeGreaterThanOrEqual(5);
    expect(JSON.stringify(all.body.events)).not.toMatch(secret);

    // The waiting entry.
    const entry = (await contributor.call<Update>('GET', `/api/blogs/takedown/pending/${waiting.body.id}`)).body;
    expect(entry.body).toBe('Entry.');
    expect(entry.html).not.toMatch(secret);
    expect(entry.version).toBe(waiting.body.version + 1);

    // What is made of the bodies for search engines and feed readers.
    expect(JSON.stringify(await jsonLd('takedown'))).not.toMatch(secret);
    expect((await feedTitles('takedown')).join('\n')).not.toMatch(secret);
    const feed = await (await fetch(`${url}/blogs/takedown/feed.atom`)).text();
    expect(feed).not.toMatch(secret);
  });
});

describe('JSON-LD and Atom titles', () => {
  it('are the update’s text as readers read it: no Markdown, no picture, links as their text', async () => {
    await createBlog(url, 'plain');
    const media = await upload('plain', await richJpeg(320, 240), { alt: 'Ibis alt', caption: 'Ibis caption' });
    const update = await publish(url, 'plain', {
      body:
        `**Breaking:** troops *crossed* the [border](https://example.com/news "Tip") at dawn ![Heron](https://img.example/a.jpg "Heron cap") today.\n\n` +
        `${media.markdown}\n\nMore & 1 < 2 "quoted" it's.`,
    });
    const posting = (await jsonLd('plain')).liveBlogUpdate.find((each) => each['@id'].endsWith(update.id))!;
    const text = 'Breaking: troops crossed the border at dawn today. More & 1 < 2 "quoted" it\'s.';
    expect(posting.articleBody).toBe(text);
    expect(posting.headline).toBe(text);
    expect(await feedTitles('plain')).toEqual([text]);
  });
});
