/** `/api/tokens`: the admin hands out, lists and revokes editor tokens; each change goes on the service's audit trail. */
import { Router } from 'express';
import { CreateTokenSchema, type TokenInfo } from '../../shared/schemas';
import type { AuditLog } from '../store/audit';
import type { TokenStore } from '../store/tokens';
import { principalOf, requireAdmin } from '../auth/http';
import { actorOf, tokenPrincipalId } from '../auth/principal';
import { notFound, parseOr400 } from './errors';
import type { Guards } from './guards';
import { jsonBody } from './json-body';

export function tokensRouter(deps: { tokens: TokenStore; guards: Guards; revoked: (principal: string) => void; audit?: AuditLog }): Router {
  const { tokens } = deps;
  const { editor, editorWrite } = deps.guards;
  const router = Router();

  router.post('/', editorWrite, jsonBody, async (req, res) => {
    requireAdmin(res);
    const input = parseOr400(CreateTokenSchema, req.body, 'token');
    const { record, secret } = await tokens.create(input, new Date());
    // The record only: never the secret.
    await deps.audit?.record({ at: record.createdAt, actor: actorOf(principalOf(res)), action: 'token.created', after: record });
    // The secret is in this answer and nowhere else: only its hash is kept.
    res.status(201).setHeader('Cache-Control', 'no-store');
    res.json({ ...record, token: secret });
  });

  router.get('/', editor, async (_req, res) => {
    requireAdmin(res);
    const list: TokenInfo[] = await tokens.list();
    res.setHeader('Cache-Control', 'no-store');
    res.json({ tokens: list });
  });

  router.delete('/:tokenId', editorWrite, async (req, res) => {
    requireAdmin(res);
    const tokenId = req.params.tokenId;
    const before = typeof tokenId === 'string' ? (await tokens.list()).find((token) => token.id === tokenId) : undefined;
    if (typeof tokenId !== 'string' || !(await tokens.revoke(tokenId))) throw notFound('token');
    // Its open connections end too, on every process.
    deps.revoked(tokenPrincipalId(tokenId));
    await deps.audit?.record({
      at: new Date().toISOString(),
      actor: actorOf(principalOf(res)),
      action: 'token.revoked',
      ...(before ? { before } : {}),
    });
    res.status(204).end();
  });

  return router;
}
