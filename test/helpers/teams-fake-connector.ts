import { createSign, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local Bot Connector on 127.0.0.1: what Teams' `serviceUrl` (smba.trafficmanager.net) does for
 * a bot. It records every activity the bot sends or updates (URL, replyToId, conversation id,
 * card JSON), answers `{id}`, can be told to fail the next calls (429 with Retry-After, 5xx), and
 * publishes OpenID metadata and a signing key so tests can mint Bot Framework tokens — valid
 * ones, and forged ones signed with another key.
 */

export interface ConnectorRecord {
  method: 'POST' | 'PUT';
  /** Path and query as requested. */
  url: string;
  /** Conversation id from the URL, decoded (`19:…@thread.tacv2;messageid=…`). */
  conversationId: string;
  /** The activity id in the URL: the one replied to (POST) or updated (PUT); null for a plain send. */
  urlActivityId: string | null;
  /** `replyToId` of the posted activity. */
  replyToId: string | null;
  /** Status the connector answered. */
  status: number;
  /** Message id: the one assigned (POST 2xx) or the one updated (PUT). */
  messageId: string | null;
  activity: Record<string, unknown>;
  /** The Adaptive Card of the activity, if any. */
  card: Record<string, unknown> | null;
  /** What a person sees as text: the card's fallback text, or the activity's text. */
  text: string;
  at: number;
}

export interface ScriptedResponse {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface TokenClaims {
  /** App id the token is for (`aud`). */
  audience: string;
  serviceUrl?: string;
  issuer?: string;
  /** Seconds from now; negative for an expired token. */
  expiresIn?: number;
}

export interface FakeConnector {
  /** Base URL to use as the activities' `serviceUrl` (ends with `/`). */
  serviceUrl: string;
  /** OpenID metadata of the fake's token issuer (for `openIdMetadataUrl`). */
  openIdMetadataUrl: string;
  records: ConnectorRecord[];
  /** Successful sends and updates only. */
  delivered(): ConnectorRecord[];
  /** Answers the next activity calls with these responses, in order, then succeeds again. */
  failNext(...responses: ScriptedResponse[]): void;
  /** A Bot Framework channel token signed with the published key. */
  token(claims: TokenClaims): string;
  /** The same token signed with a key the fake never published (same key id): a forgery. */
  forgedToken(claims: TokenClaims): string;
  close(): Promise<void>;
}

const KEY_ID = 'skadi-test-signing-key';
const BOT_FRAMEWORK_ISSUER = 'https://api.botframework.com';

let keys: { real: KeyObject; forged: KeyObject; jwk: Record<string, unknown> } | null = null;
function signingKeys() {
  if (!keys) {
    const real = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const forged = generateKeyPairSync('rsa', { modulusLength: 2048 });
    keys = { real: real.privateKey, forged: forged.privateKey, jwk: real.publicKey.export({ format: 'jwk' }) as Record<string, unknown> };
  }
  return keys;
}

function base64url(data: string | Buffer): string {
  return Buffer.from(data).toString('base64url');
}

function signJwt(payload: Record<string, unknown>, key: KeyObject): string {
  const head = base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: KEY_ID, x5t: KEY_ID }));
  const body = base64url(JSON.stringify(payload));
  const signature = createSign('RSA-SHA256').update(`${head}.${body}`).sign(key);
  return `${head}.${body}.${base64url(signature)}`;
}

function claimsOf(c: TokenClaims, serviceUrl: string): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  const exp = now + (c.expiresIn ?? 3600);
  return { iss: c.issuer ?? BOT_FRAMEWORK_ISSUER, aud: c.audience, serviceurl: c.serviceUrl ?? serviceUrl, iat: Math.min(now, exp - 60), nbf: Math.min(now - 60, exp - 60), exp };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (data += chunk));
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(body === undefined ? '' : JSON.stringify(body));
}

function cardOf(activity: Record<string, unknown>): Record<string, unknown> | null {
  const attachments = Array.isArray(activity.attachments) ? (activity.attachments as Array<Record<string, unknown>>) : [];
  const card = attachments.find((a) => a.contentType === 'application/vnd.microsoft.card.adaptive');
  return card && typeof card.content === 'object' ? (card.content as Record<string, unknown>) : null;
}

/** Starts the fake connector on a free loopback port. */
export async function startFakeConnector(): Promise<FakeConnector> {
  const { real, forged, jwk } = signingKeys();
  const records: ConnectorRecord[] = [];
  const script: ScriptedResponse[] = [];
  const prefix = randomBytes(3).toString('hex');
  let counter = 0;
  let base = '';

  const server: Server = createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => json(res, 500, { error: { code: 'FakeConnectorError', message: String(err) } }));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    const path = url.split('?')[0]!;
    if (req.method === 'GET' && path === '/openid/.well-known/openidconfiguration') return json(res, 200, { issuer: BOT_FRAMEWORK_ISSUER, jwks_uri: `${base}openid/keys` });
    if (req.method === 'GET' && path === '/openid/keys') return json(res, 200, { keys: [{ ...jwk, kid: KEY_ID, use: 'sig', endorsements: ['msteams'] }] });
    const match = /^\/v3\/conversations\/([^/]+)\/activities(?:\/([^/]+))?$/.exec(path);
    if (!match || (req.method !== 'POST' && req.method !== 'PUT')) return json(res, 404, { error: { code: 'NotFound', message: `${req.method} ${path}` } });
    const activity = JSON.parse((await readBody(req)) || '{}') as Record<string, unknown>;
    const method = req.method;
    const urlActivityId = match[2] ? decodeURIComponent(match[2]) : null;
    const scripted = script.shift();
    const status = scripted?.status ?? 200;
    let messageId: string | null = null;
    if (status < 300) messageId = method === 'PUT' ? urlActivityId : `${prefix}${String(++counter).padStart(6, '0')}`;
    const card = cardOf(activity);
    records.push({
      method,
      url,
      conversationId: decodeURIComponent(match[1]!),
      urlActivityId,
      replyToId: typeof activity.replyToId === 'string' ? activity.replyToId : null,
      status,
      messageId,
      activity,
      card,
      text: typeof card?.fallbackText === 'string' ? card.fallbackText : typeof activity.text === 'string' ? activity.text : '',
      at: Date.now(),
    });
    if (scripted) return json(res, scripted.status, scripted.body ?? { error: { code: 'Scripted', message: `scripted ${scripted.status}` } }, scripted.headers);
    return json(res, 200, { id: messageId });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const claims = (c: TokenClaims) => claimsOf(c, base);

  return {
    serviceUrl: base,
    openIdMetadataUrl: `${base}openid/.well-known/openidconfiguration`,
    records,
    delivered: () => records.filter((r) => r.status < 300),
    failNext: (...responses) => void script.push(...responses),
    token: (c) => signJwt(claims(c), real),
    forgedToken: (c) => signJwt(claims(c), forged),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
