import { createHmac, timingSafeEqual } from 'node:crypto';

export interface SignatureInput {
  signingSecret: string;
  /** The request body exactly as received (bytes, or their text): any re-serialisation would break the signature. */
  body: Buffer | string;
  /** `X-Slack-Signature`: `v0=` and 64 hex digits. */
  signature: string | undefined;
  /** `X-Slack-Request-Timestamp`: Unix seconds. */
  timestamp: string | undefined;
  nowMs: number;
  /** Largest difference from our clock, either way (default 300 s, as Slack documents). */
  toleranceSec?: number;
}

export type SignatureVerdict = { ok: true } | { ok: false; reason: string };

/**
 * Checks that a request comes from Slack: `v0=` + hex HMAC-SHA256 of `v0:<timestamp>:<body>` under
 * the signing secret, compared in constant time, and a timestamp within five minutes (so a
 * captured request cannot be replayed later).
 */
export function verifySlackSignature(input: SignatureInput): SignatureVerdict {
  const { signature, timestamp } = input;
  if (!timestamp || !/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'missing or malformed X-Slack-Request-Timestamp' };
  const skewSec = Math.abs(Math.floor(input.nowMs / 1000) - Number(timestamp));
  if (skewSec > (input.toleranceSec ?? 300)) return { ok: false, reason: `timestamp is ${skewSec} s away from now (stale or replayed)` };
  const match = signature ? /^v0=([0-9a-f]{64})$/.exec(signature) : null;
  if (!match) return { ok: false, reason: 'missing or malformed X-Slack-Signature' };
  const expected = createHmac('sha256', input.signingSecret).update(`v0:${timestamp}:`).update(input.body).digest();
  if (!timingSafeEqual(Buffer.from(match[1]!, 'hex'), expected)) return { ok: false, reason: 'signature mismatch' };
  return { ok: true };
}

/** The signature Slack would send for `body` at `timestamp` (tests, and the docs' example). */
export function signSlackRequest(signingSecret: string, timestamp: string, body: string): string {
  return `v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}
