import { describe, expect, it } from '@jest/globals';
import { formatCursor, isAfter, parseCursor } from '../../shared/cursor';
import {
  CreateBlogSchema,
  CreateUpdateSchema,
  issuesToDetails,
  ListUpdatesQuerySchema,
  PatchBlogSchema,
  PatchUpdateSchema,
  SubscribeSchema,
} from '../../shared/schemas';

describe('CreateBlogSchema', () => {
  it.each(['kursk', 'a', '2025-kursk-offensive', 'x'.repeat(64)])('accepts the slug %s', (id) => {
    expect(CreateBlogSchema.safeParse({ id, title: 'T' }).success).toBe(true);
  });
  it.each(['', '-lead', 'Upper', 'has space', 'x'.repeat(65), 'émoji', '../etc', 'a_b'])('refuses the id %j', (id) => {
    expect(CreateBlogSchema.safeParse({ id, title: 'T' }).success).toBe(false);
  });
  it('trims titles, refuses empty, over-long and multi-line ones', () => {
    expect(CreateBlogSchema.parse({ id: 'a', title: '  Live  ' }).title).toBe('Live');
    for (const title of ['   ', 'x'.repeat(201), 'one\ntwo', 'bell\u0007']) {
      expect(CreateBlogSchema.safeParse({ id: 'a', title }).success).toBe(false);
    }
  });
  it('drops unknown keys, so nothing unexpected is stored', () => {
    expect(CreateBlogSchema.parse({ id: 'a', title: 'T', admin: true })).toEqual({ id: 'a', title: 'T' });
  });
});

describe('CreateUpdateSchema', () => {
  it('normalises publishedAt with a zone to UTC', () => {
    expect(CreateUpdateSchema.parse({ body: 'x', publishedAt: '2025-01-11T17:45:00+02:00' }).publishedAt).toBe('2025-01-11T15:45:00.000Z');
  });
  it.each([
    ['without a zone', '2025-01-11T17:45:00'],
    ['a date only', '2025-01-11'],
    ['an impossible day', '2025-02-30T10:00:00Z'],
    ['before 1990', '1989-12-31T23:59:59Z'],
    ['far in the future', '2999-01-01T00:00:00Z'],
    ['not a date', 'yesterday'],
  ])('refuses publishedAt %s', (_label, publishedAt) => {
    const result = CreateUpdateSchema.safeParse({ body: 'x', publishedAt });
    expect(result.success).toBe(false);
    if (!result.success) expect(Object.keys(issuesToDetails(result.error))).toEqual(['publishedAt']);
  });
  it('names each bad field in the details', () => {
    const result = CreateUpdateSchema.safeParse({ body: 42, title: '', author: 'x'.repeat(101), pinned: 'true', keyEvent: 1 });
    expect(result.success).toBe(false);
    if (!result.success)
      expect(Object.keys(issuesToDetails(result.error)).sort()).toEqual(['author', 'body', 'keyEvent', 'pinned', 'title']);
  });
  it('refuses text with half a surrogate pair, which no store can keep, and keeps emoji', () => {
    expect(CreateUpdateSchema.safeParse({ body: 'fine 🙂' }).success).toBe(true);
    for (const broken of ['x\ud83d', '\ude42x', 'a\ud800b']) {
      expect(CreateUpdateSchema.safeParse({ body: broken }).success).toBe(false);
      expect(CreateUpdateSchema.safeParse({ body: 'x', title: broken }).success).toBe(false);
      expect(CreateBlogSchema.safeParse({ id: 'a', title: 'T', description: broken }).success).toBe(false);
    }
  });

  it('refuses, in every text field, the characters XML forbids (they made the Atom feed unreadable), and keeps tabs and newlines in bodies', () => {
    expect(CreateUpdateSchema.safeParse({ body: 'line one\n\tline two\r\n' }).success).toBe(true);
    expect(CreateBlogSchema.safeParse({ id: 'a', title: 'T', description: 'one\ntwo' }).success).toBe(true);
    for (const bad of ['\u0000', '\u0008', '\u000b', '\u000c', '\u001f', '\ufffe', '\uffff']) {
      const text = `before${bad}after`;
      expect(CreateUpdateSchema.safeParse({ body: text }).success).toBe(false);
      expect(CreateUpdateSchema.safeParse({ body: 'x', title: text }).success).toBe(false);
      expect(CreateUpdateSchema.safeParse({ body: 'x', author: text }).success).toBe(false);
      expect(CreateBlogSchema.safeParse({ id: 'a', title: text }).success).toBe(false);
      expect(CreateBlogSchema.safeParse({ id: 'a', title: 'T', description: text }).success).toBe(false);
      expect(PatchBlogSchema.safeParse({ description: text }).success).toBe(false);
    }
  });

  it('limits the body to 20,000 characters', () => {
    expect(CreateUpdateSchema.safeParse({ body: 'x'.repeat(20_000) }).success).toBe(true);
    expect(CreateUpdateSchema.safeParse({ body: 'x'.repeat(20_001) }).success).toBe(false);
  });
});

describe('patch schemas', () => {
  it('need at least one field; null clears title and author', () => {
    expect(PatchUpdateSchema.safeParse({}).success).toBe(false);
    expect(PatchUpdateSchema.parse({ title: null, author: null })).toEqual({ title: null, author: null });
    expect(PatchUpdateSchema.safeParse({ body: null }).success).toBe(false);
    expect(PatchBlogSchema.safeParse({}).success).toBe(false);
    expect(PatchBlogSchema.safeParse({ status: 'paused' }).success).toBe(false);
    expect(PatchBlogSchema.parse({ status: 'ended' })).toEqual({ status: 'ended' });
  });
});

describe('queries and socket payloads', () => {
  it('coerces and bounds limit', () => {
    expect(ListUpdatesQuerySchema.parse({})).toEqual({ limit: 20 });
    expect(ListUpdatesQuerySchema.parse({ limit: '5' })).toEqual({ limit: 5 });
    for (const limit of ['0', '101', '2.5', 'x', ['1', '2']]) expect(ListUpdatesQuerySchema.safeParse({ limit }).success).toBe(false);
  });
  it('accepts a subscribe with or without a cursor and refuses anything else', () => {
    expect(SubscribeSchema.safeParse({ blogId: 'kursk' }).success).toBe(true);
    expect(SubscribeSchema.safeParse({ blogId: 'kursk', cursor: formatCursor('abc', 7, 'k3y9tag0') }).success).toBe(true);
    for (const payload of [null, 'kursk', 42, [], { blogId: 'Kursk' }, { blogId: 'kursk', cursor: 7 }, { blogId: 'kursk', cursor: '7' }]) {
      expect(SubscribeSchema.safeParse(payload).success).toBe(false);
    }
  });
});

describe('cursors', () => {
  it('round-trip, sort as strings within an epoch, and compare only within one', () => {
    const a = formatCursor('ep0ch', 9, 'aaaaaaaa');
    const b = formatCursor('ep0ch', 10, '00000000');
    expect(parseCursor(b)).toEqual({ epoch: 'ep0ch', seq: 10, tag: '00000000' });
    // First-version cursors (no tag) still parse, so that old clients are answered, not refused.
    expect(parseCursor('ep0ch-000000000010')).toEqual({ epoch: 'ep0ch', seq: 10, tag: '' });
    expect(a < b).toBe(true);
    expect(isAfter(b, a)).toBe(true);
    expect(isAfter(a, b)).toBe(false);
    expect(isAfter(formatCursor('other', 99, 'aaaaaaaa'), a)).toBe(false);
    expect(parseCursor('nonsense')).toBeNull();
  });
});
