/**
 * Single sign-on with an OpenID Connect provider: the authorization code flow with PKCE (S256), a state
 * and a nonce, through openid-client. This file speaks to the provider and keeps the sign-ins under
 * way; server/http/oidc.ts matches who comes back to an invited person and signs them in.
 *
 * A sign-in under way (its state, nonce and PKCE verifier) is kept server-side for five minutes, under
 * the SHA-256 of a random id that only the browser's cookie holds, and is taken once: a second callback
 * with the same cookie, a callback from another browser, or one after five minutes finds nothing. On
 * Redis it is shared by every process, so the callback may reach another process than the start did.
 */
import * as client from 'openid-client';
import type { OidcSettings } from '../config';
import type { Logger } from '../logger';
import type { RedisClient } from '../store/redis/connection';
import { newSecret, secretHash } from '../store/records';

/** How long a sign-in may take at the provider. */
export const SIGN_IN_TTL_MS = 5 * 60 * 1000;
/** The scopes asked for: the subject, the email address (and whether it is verified), the name. */
export const OIDC_SCOPES = 'openid email profile';
/** Requests to the provider (discovery, token, userinfo, keys) give up after this many seconds. */
const PROVIDER_TIMEOUT_S = 10;

/** What the browser must bring back: kept server-side, never in the cookie. */
export interface PendingSignIn {
  state: string;
  nonce: string;
  verifier: string;
}

/** Sign-ins under way, by the hash of their cookie's id; each taken at most once. */
export interface PendingSignIns {
  put(hash: string, pending: PendingSignIn, ttlMs: number): Promise<void>;
  /** The sign-in, removed as it is read (single use), or null when unknown, taken or expired. */
  take(hash: string): Promise<PendingSignIn | null>;
}

export class MemoryPendingSignIns implements PendingSignIns {
  private readonly entries = new Map<string, { pending: PendingSignIn; until: number }>();

  async put(hash: string, pending: PendingSignIn, ttlMs: number): Promise<void> {
    const now = Date.now();
    // Forget abandoned sign-ins as new ones start: nothing else would.
    for (const [key, entry] of this.entries) if (entry.until <= now) this.entries.delete(key);
    this.entries.set(hash, { pending, until: now + ttlMs });
  }

  async take(hash: string): Promise<PendingSignIn | null> {
    const entry = this.entries.get(hash);
    this.entries.delete(hash);
    return entry && entry.until > Date.now() ? entry.pending : null;
  }
}

export class RedisPendingSignIns implements PendingSignIns {
  constructor(
    private readonly redis: RedisClient,
    private readonly key: (hash: string) => string,
  ) {}

  async put(hash: string, pending: PendingSignIn, ttlMs: number): Promise<void> {
    await this.redis.set(this.key(hash), JSON.stringify(pending), 'PX', ttlMs);
  }

  async take(hash: string): Promise<PendingSignIn | null> {
    // GETDEL: of two callbacks racing with one cookie, only one gets the sign-in.
    const raw = await this.redis.getdel(this.key(hash));
    return raw ? (JSON.parse(raw) as PendingSignIn) : null;
  }
}

/** Why a sign-in did not end with an identity; each says what the person should do. */
export type OidcFailureReason =
  /** The provider could not be reached, or answered with something that is not OpenID Connect. */
  | 'provider_unavailable'
  /** The provider sent the person back with an error (they cancelled, or it refused). */
  | 'provider_refused'
  /** No sign-in under way for this browser: expired, already used, or started elsewhere. */
  | 'no_sign_in'
  /** The answer did not match the sign-in (state, PKCE, nonce, issuer, signature). */
  | 'invalid_response'
  /** The provider vouches for no email address, or not for a verified one. */
  | 'unverified_email';

export class OidcFailure extends Error {
  constructor(
    readonly reason: OidcFailureReason,
    message: string,
    /** For the log: the provider's own error code, or the library's. Never a token or a code. */
    readonly detail?: string,
  ) {
    super(message);
    this.name = 'OidcFailure';
  }
}

/** Who the provider says came back: only a verified email makes it this far. */
export interface VerifiedIdentity {
  subject: string;
  email: string;
  name?: string;
}

export interface OidcSignInOptions {
  /** This service's callback, `<public origin>/auth/oidc/callback`, as registered at the provider. */
  redirectUri: () => string;
  pending: PendingSignIns;
  logger: Logger;
}

/** The service's side of the OpenID Connect conversation with one provider. */
export class OidcSignIn {
  private configuration: Promise<client.Configuration> | null = null;

  constructor(
    readonly settings: OidcSettings,
    private readonly options: OidcSignInOptions,
  ) {}

  /** Starts a sign-in: the id for the browser's cookie, and the provider's address to send it to. */
  async begin(): Promise<{ id: string; url: URL }> {
    const configuration = await this.discover();
    const pending: PendingSignIn = {
      state: client.randomState(),
      nonce: client.randomNonce(),
      verifier: client.randomPKCECodeVerifier(),
    };
    const url = client.buildAuthorizationUrl(configuration, {
      redirect_uri: this.options.redirectUri(),
      scope: OIDC_SCOPES,
      response_type: 'code',
      code_challenge: await client.calculatePKCECodeChallenge(pending.verifier),
      code_challenge_method: 'S256',
      state: pending.state,
      nonce: pending.nonce,
    });
    const id = newSecret();
    await this.options.pending.put(secretHash(id), pending, SIGN_IN_TTL_MS);
    return { id, url };
  }

  /**
   * Finishes a sign-in from the callback's full URL (code, state, iss) and the cookie's id: the code
   * is exchanged (with the PKCE verifier), the ID token checked (issuer, audience, signature, nonce),
   * then userinfo read for the email and whether the provider verified it.
   */
  async complete(id: string | undefined, callbackUrl: URL): Promise<VerifiedIdentity> {
    const pending = id ? await this.options.pending.take(secretHash(id)) : null;
    const providerError = callbackUrl.searchParams.get('error');
    if (!pending) {
      throw new OidcFailure(
        'no_sign_in',
        'This sign-in has expired, was already used, or was started in another browser.',
        providerError ?? undefined,
      );
    }
    const configuration = await this.discover();
    let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
    try {
      tokens = await client.authorizationCodeGrant(configuration, callbackUrl, {
        pkceCodeVerifier: pending.verifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
    } catch (error) {
      throw this.failure(error);
    }
    const claims = tokens.claims();
    if (!claims) throw new OidcFailure('invalid_response', 'The sign-in service sent no ID token.');
    let info: client.UserInfoResponse;
    try {
      info = await client.fetchUserInfo(configuration, tokens.access_token, claims.sub);
    } catch (error) {
      throw this.failure(error);
    }
    const email = typeof info.email === 'string' ? info.email.trim() : '';
    // Only an address the provider itself verified: anyone can type any address into an account.
    if (!email || info.email_verified !== true) {
      throw new OidcFailure(
        'unverified_email',
        email
          ? `${this.settings.name} has not verified the email address ${email}.`
          : `${this.settings.name} did not share an email address.`,
        email ? 'email_verified is not true' : 'no email',
      );
    }
    return { subject: claims.sub, email, ...(typeof info.name === 'string' && info.name ? { name: info.name } : {}) };
  }

  /**
   * The provider's configuration, read once; a failed read is forgotten, so that the next sign-in
   * tries again (the provider may have been down when this process started).
   */
  private discover(): Promise<client.Configuration> {
    this.configuration ??= this.readConfiguration().catch((error: unknown) => {
      this.configuration = null;
      this.options.logger.error({ issuer: this.settings.issuer, err: describe(error) }, 'single sign-on: the provider’s discovery failed');
      throw new OidcFailure(
        'provider_unavailable',
        `${this.settings.name} cannot be reached right now. Try again in a moment, or sign in with your email and password.`,
        describe(error).code,
      );
    });
    return this.configuration;
  }

  private readConfiguration(): Promise<client.Configuration> {
    const { issuer, clientId, clientSecret } = this.settings;
    // Basic authentication unless the provider says it takes only client_secret_post (the default
    // when it says nothing is Basic, per OpenID Connect Discovery).
    const basic = client.ClientSecretBasic(clientSecret);
    const post = client.ClientSecretPost(clientSecret);
    const authentication: client.ClientAuth = (server, metadata, body, headers) => {
      const methods = server.token_endpoint_auth_methods_supported;
      return (!methods || methods.includes('client_secret_basic') ? basic : post)(server, metadata, body, headers);
    };
    return client.discovery(new URL(issuer), clientId, clientSecret, authentication, {
      timeout: PROVIDER_TIMEOUT_S,
      // A plain-http issuer (a provider on this machine, the tests) is refused by openid-client unless allowed.
      ...(new URL(issuer).protocol === 'http:' ? { execute: [client.allowInsecureRequests] } : {}),
    });
  }

  private failure(error: unknown): OidcFailure {
    if (error instanceof OidcFailure) return error;
    if (error instanceof client.AuthorizationResponseError) {
      // The provider sent the person back with ?error=: they cancelled, or it would not sign them in.
      return new OidcFailure('provider_refused', `${this.settings.name} did not sign you in (${error.error}).`, error.error);
    }
    if (error instanceof client.ResponseBodyError) {
      return new OidcFailure('invalid_response', `${this.settings.name} refused to finish the sign-in.`, error.error);
    }
    const described = describe(error);
    if (described.network) {
      return new OidcFailure(
        'provider_unavailable',
        `${this.settings.name} cannot be reached right now. Try again in a moment.`,
        described.code,
      );
    }
    return new OidcFailure('invalid_response', `The answer from ${this.settings.name} did not match this sign-in.`, described.code);
  }
}

/** An error as the log may show it: a code and a message, never a token (the libraries put none in these). */
function describe(error: unknown): { code: string; message: string; network: boolean } {
  const err = error as { code?: unknown; name?: unknown; message?: unknown; cause?: unknown };
  const code = typeof err?.code === 'string' ? err.code : typeof err?.name === 'string' ? err.name : 'error';
  const message = typeof err?.message === 'string' ? err.message : String(error);
  // fetch() fails with a TypeError ("fetch failed") whose cause is the socket's error; a timeout aborts.
  const network = (error instanceof TypeError && message === 'fetch failed') || code === 'TimeoutError' || code === 'AbortError';
  return { code, message, network };
}
