/**
 * Who may do what: one rule for the server (HTTP and Socket.IO alike) and for the editors' desk, which
 * shows only what its user may do.
 */
export interface Grants {
  kind: string;
  /** The blogs they act on; `*` for every blog (which also allows creating blogs). */
  blogs?: readonly string[];
}

export function canWriteBlog(who: Grants, blogId: string): boolean {
  return who.kind === 'admin' || !!who.blogs?.includes('*') || !!who.blogs?.includes(blogId);
}

export function canCreateBlog(who: Grants): boolean {
  return who.kind === 'admin' || !!who.blogs?.includes('*');
}
