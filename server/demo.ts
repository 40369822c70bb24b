/**
 * The demo blog `npm start` serves on an empty store: the capture of North Korean soldiers in Kursk,
 * told in our own words from the facts of the shared folder's seed/article.txt (beside this repository),
 * ending with its 17.45 addendum.
 * Times are Kyiv time (UTC+2) on 11 January 2025, the day the news broke.
 */
import type { z } from 'zod';
import { CreateBlogSchema, CreateUpdateSchema } from '../shared/schemas';
import type { Logger } from './logger';
import type { LiveBlogs } from './service/live-blogs';
import type { Timeline } from './store/timeline';

export const DEMO_BLOG = {
  id: 'kursk-north-korean-prisoners',
  title: 'Ukraine captures North Korean soldiers in Kursk – live',
  description:
    'Two wounded soldiers from North Korea, fighting for Russia in the Kursk region, are held in Kyiv. Follow the story as it develops.',
};

const DESK = 'Live desk';

/** As an editor would send them: they pass the same validation as any request. */
export const DEMO_UPDATES: z.input<typeof CreateUpdateSchema>[] = [
  {
    publishedAt: '2025-01-11T12:05:00+02:00',
    title: 'Zelensky: two North Korean soldiers taken prisoner',
    body: 'President Volodymyr Zelensky says Ukrainian troops have captured **two North Korean soldiers** in Russia’s Kursk region. Both were wounded; they have been brought to Kyiv and are talking to investigators from the Security Service of Ukraine (SBU).\n\nHe posted photos of the men and the military ID one of them carried.',
    author: DESK,
    keyEvent: true,
  },
  {
    publishedAt: '2025-01-11T12:40:00+02:00',
    body: 'Zelensky thanked the **84th Tactical Group** of the Special Operations Forces and Ukraine’s paratroopers for the captures, which he called difficult: according to him, Russian and North Korean units often kill their own wounded so that no proof of North Korea’s role is left behind.\n\nHe said the prisoners are getting the medical care international law requires, and that he has asked the SBU to let journalists see them.',
    author: DESK,
  },
  {
    publishedAt: '2025-01-11T13:25:00+02:00',
    title: 'SBU confirms the captures',
    body: 'The SBU says the operation gives *“irrefutable evidence”* that North Korea is taking part in Russia’s war.\n\n- One soldier was captured on **9 January** by the Special Operations Forces, the other by paratroopers.\n- Both are held in Kyiv under conditions that comply with international law.\n- Neither speaks Ukrainian, English or Russian: Korean interpreters work with them, helped by South Korea’s National Intelligence Service.',
    author: DESK,
  },
  {
    publishedAt: '2025-01-11T14:10:00+02:00',
    title: 'A Russian ID from Tuva',
    body: 'One prisoner carried a Russian-style military ID issued in Tuva, a Russian republic; the other had no papers at all. The man with the ID says it was issued in autumn 2024, during a week of joint work with Russian troops. He gives his birth year as 2005, says he is a rifleman who joined the North Korean army in 2021 — and that he was told he was going to a training exercise, not a war.',
    author: DESK,
  },
  {
    publishedAt: '2025-01-11T15:05:00+02:00',
    body: 'The second prisoner, who says he was born in 1999, has served since 2016 as a sniper-scout. A jaw injury means he answered some of the investigators’ questions in writing; the SBU says his account matches his comrade’s.',
    author: DESK,
  },
  {
    publishedAt: '2025-01-11T16:00:00+02:00',
    title: 'Background: Kursk since August',
    body: 'Ukrainian forces crossed into the Kursk region on **6 August 2024** and have held a bridgehead there since. Russian commanders began sending North Korean troops into large assaults in December; on 7 January the Special Operations Forces said they had killed 13 of them in one operation. Russia, with North Korean support, is estimated to have retaken about half of the ground Ukraine seized.',
    author: DESK,
  },
  {
    publishedAt: '2025-01-11T17:45:00+02:00',
    title: 'Updated at 17.45',
    body: 'Ukraine’s Airborne Assault Troops have published a video of **another captured North Korean soldier** being given medical care.\n\nThey say paratroopers of the 95th Polissya Air Assault Brigade took him prisoner in the Kursk region on his very first combat mission, an attack on the brigade’s positions. He was carrying Russian-made weapons and equipment, and received first aid as soon as he was captured.',
    author: DESK,
    keyEvent: true,
  },
];

/** Seeds the demo blog when the store holds no blog at all. Returns its id, or null when it did nothing. */
export async function seedDemoIfEmpty(timeline: Timeline, liveBlogs: LiveBlogs, logger: Logger): Promise<string | null> {
  if ((await timeline.listBlogs()).length > 0) return null;
  await liveBlogs.createBlog(CreateBlogSchema.parse(DEMO_BLOG));
  for (const update of DEMO_UPDATES) {
    // Each publish has its own Idempotency-Key, so that a retried one is stored once. (A seed cut short
    // is not resumed: the store is no longer empty, and the next start leaves it as it is.)
    await liveBlogs.publishUpdate(DEMO_BLOG.id, CreateUpdateSchema.parse(update), { key: `demo-${update.publishedAt}`, scope: 'demo' });
  }
  logger.info({ blogId: DEMO_BLOG.id, updates: DEMO_UPDATES.length }, 'seeded the demo blog');
  return DEMO_BLOG.id;
}
