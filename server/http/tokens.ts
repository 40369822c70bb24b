/**
 * `/api/tokens`: the admin hands out, lists and revokes editor tokens; each change goes on the service's
 * audit trail. Token keys are in different Cluster slots from the trail (keys.ts), so a token's entry is
 * written right after its change, not in the same step: when that write fails, the change stands, the
 * answer is still the change's, and the missing entry is logged at error level (with what it would say).
 */
import { recordChange } from './audit';
import { Router, type Response } from 'express';
import { z } from 'zod';
import { CreateTokenSchema, type TokenInfo } from '../../shared/schemas';
import { tokenPrincipalId } from '../auth/principal';
import type { Logger } from '../logger';
import type { AuditDraft, AuditLog } from '../store/audit';
import type { TokenStore } from '../store/tokens';
import { notFound, parseOr400 } from './errors';
import type { Guards } from './guards';
import { jsonBody } from './json-body';
import { assertCanManagePeople } from './roles';

/** A token's id as the store makes them (`tok` and 12 hex digits); anything else names none. */
const TokenIdParam = z.string().regex(/^tok[0-9a-f]{12}$/);

export function tokensRouter(deps: {
  tokens: TokenStore;
  guards: Guards;
  revoked: (principal: string) => void;
  audit: AuditLog;
  logger: Logger;
}): Router {
  const { tokens } = deps;
  const { signedIn, signedInWrite } = deps.guards;
  const router = Router();

  const record = (res: Response, entry: Omit<AuditDraft, 'actor'>) => recordChange(deps, res, entry, 'token');

  router.post('/', signedInWrite, jsonBody, async (req, res) => {
    assertCanManagePeople(res);
    const input = parseOr400(CreateTokenSchema, req.body, 'token');
    const { record: token, secret } = await tokens.create(input, new Date());
    // The record only: never the secret.
    await record(res, { at: token.createdAt, action: 'token.created', after: token });
    // The secret is in this answer and nowhere else: only its hash is kept.
    res.status(201).setHeader('Cache-Control', 'no-store');
    res.json({ ...token, token: secret });
  });

  router.get('/', signedIn, async (_req, res) => {
    assertCanManagePeople(res);
    const list: TokenInfo[] = await tokens.list();
    res.setHeader('Cache-Control', 'no-store');
    res.json({ tokens: list });
  });

  router.delete('/:tokenId', signedInWrite, async (req, res) => {
    assertCanManagePeople(res);
    const id = TokenIdParam.safeParse(req.params.tokenId);
    if (!id.success) throw notFound('token');
    const tokenId = id.data;
    const before = (await tokens.list()).find((token) => token.id === tokenId);
    if (!(await tokens.revoke(tokenId))) throw notFound('token');
    // Its open connections end too, on every process.
    deps.revoked(tokenPrincipalId(tokenId));
    await record(res, { at: new Date().toISOString(), action: 'token.revoked', ...(before ? { before } : {}) });
    res.status(204).end();
  });

  return router;
}
