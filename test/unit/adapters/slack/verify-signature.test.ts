import { describe, expect, it } from 'vitest';
import { signSlackRequest, verifySlackSignature } from '../../../../adapters/slack/verify-signature.js';

const SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const NOW = 1531420618 * 1000;

describe('slack request signatures', () => {
  it('accepts the example from Slack\'s documentation', () => {
    // https://api.slack.com/authentication/verifying-requests-from-slack
    const body = 'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
    const signature = 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503';
    expect(signSlackRequest(SECRET, '1531420618', body)).toBe(signature);
    expect(verifySlackSignature({ signingSecret: SECRET, body, signature, timestamp: '1531420618', nowMs: NOW })).toEqual({ ok: true });
    expect(verifySlackSignature({ signingSecret: SECRET, body: Buffer.from(body), signature, timestamp: '1531420618', nowMs: NOW })).toEqual({ ok: true });
    expect(verifySlackSignature({ signingSecret: SECRET, body: `${body}x`, signature, timestamp: '1531420618', nowMs: NOW })).toEqual({ ok: false, reason: 'signature mismatch' });
  });

  it('refuses timestamps more than five minutes away, either way, and malformed headers', () => {
    const body = '{}';
    const sign = (ts: number) => signSlackRequest(SECRET, String(ts), body);
    const at = (ts: number) => verifySlackSignature({ signingSecret: SECRET, body, signature: sign(ts), timestamp: String(ts), nowMs: NOW });
    expect(at(1531420618 - 300).ok).toBe(true);
    expect(at(1531420618 - 301)).toEqual({ ok: false, reason: 'timestamp is 301 s away from now (stale or replayed)' });
    expect(at(1531420618 + 301).ok).toBe(false);
    expect(verifySlackSignature({ signingSecret: SECRET, body, signature: undefined, timestamp: '1531420618', nowMs: NOW }).ok).toBe(false);
    expect(verifySlackSignature({ signingSecret: SECRET, body, signature: sign(1531420618), timestamp: undefined, nowMs: NOW }).ok).toBe(false);
    expect(verifySlackSignature({ signingSecret: SECRET, body, signature: 'v0=zz', timestamp: '1531420618', nowMs: NOW }).ok).toBe(false);
    expect(verifySlackSignature({ signingSecret: SECRET, body, signature: sign(1531420618).replace('v0=', 'v1='), timestamp: '1531420618', nowMs: NOW }).ok).toBe(false);
  });
});
