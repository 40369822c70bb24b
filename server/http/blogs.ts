/** `/api/blogs`: list, create, read and change blogs. */
import { Router } from 'express';
import { CreateBlogSchema, PatchBlogSchema } from '../../shared/schemas';
import type { LiveBlogs } from '../service/live-blogs';
import type { Timeline } from '../store/timeline';
import { actorOf } from '../auth/principal';
import type { Guards } from './guards';
import { notFound, parseOr400 } from './errors';
import { jsonBody } from './json-body';
import { blogIdParam } from './params';
import { assertCan, assertCanCreateBlog } from './roles';

export function blogsRouter(deps: { timeline: Timeline; liveBlogs: LiveBlogs; guards: Guards }): Router {
  const { timeline, liveBlogs } = deps;
  const { signedInWrite } = deps.guards;
  const router = Router();

  router.get('/', async (_req, res) => {
    res.json({ blogs: await timeline.listBlogs() });
  });

  router.post('/', signedInWrite, jsonBody, async (req, res) => {
    const principal = assertCanCreateBlog(res);
    const input = parseOr400(CreateBlogSchema, req.body, 'blog');
    res
      .status(201)
      .location(`/api/blogs/${input.id}`)
      .json(await liveBlogs.createBlog(input, actorOf(principal)));
  });

  router.get('/:blogId', async (req, res) => {
    const blog = await timeline.getBlog(blogIdParam(req));
    if (!blog) throw notFound('blog');
    res.json(blog);
  });

  router.patch('/:blogId', signedInWrite, jsonBody, async (req, res) => {
    const blogId = blogIdParam(req);
    const principal = assertCan(res, 'edit', blogId);
    res.json(await liveBlogs.patchBlog(blogId, parseOr400(PatchBlogSchema, req.body, 'blog'), actorOf(principal)));
  });

  return router;
}
