import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { LoginStatus } from '../../../../adapters/wechat/login-status.js';
import { qrMatrix, qrSvg } from '../../../../adapters/wechat/qr-code.js';
import { wechatStatusRoutes } from '../../../../adapters/wechat/status-routes.js';
import { silentLogger } from '../../../../src/core/index.js';
import { createHttpServer } from '../../../../src/http/create-http-server.js';
import { manualClock } from '../../../helpers/manual-clock.js';

const TOKEN = 'status-token-0123456789';
const QR = 'https://login.weixin.qq.com/l/Ab12Cd34==';

describe('WeChat status routes', () => {
  let app: FastifyInstance;
  let status: LoginStatus;

  beforeEach(async () => {
    status = new LoginStatus({ clock: manualClock(), logger: silentLogger, print: () => undefined, pageLink: `/wechat?token=${TOKEN}` });
    app = createHttpServer({ bodyLimit: 1024 * 1024, logger: silentLogger });
    await app.register(wechatStatusRoutes({ status, token: TOKEN }));
    await app.ready();
  });

  afterEach(async () => {
    await app.close();
  });

  it('GET /wechat/status: the state for anyone, the QR code only with the token', async () => {
    status.starting('wechaty-puppet-service');
    status.scan(QR, 2);
    const open = await app.inject({ url: '/wechat/status' });
    expect(open.statusCode).toBe(200);
    expect(open.json()).toMatchObject({ platform: 'wechat', state: 'waiting-for-scan', loggedIn: false, qrcode: null, page: '/wechat' });
    const withQuery = await app.inject({ url: `/wechat/status?token=${TOKEN}` });
    expect(withQuery.json().qrcode).toBe(QR);
    const withHeader = await app.inject({ url: '/wechat/status', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(withHeader.json().qrcode).toBe(QR);
    const wrong = await app.inject({ url: '/wechat/status?token=not-the-token-at-all' });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json()).toMatchObject({ code: 'SKADI_UNAUTHENTICATED' });
  });

  it('GET /wechat: a page with the QR code as an inline SVG, refreshed, no scripts, no referrer', async () => {
    status.starting('wechaty-puppet-service');
    status.scan(QR, 2);
    const page = await app.inject({ url: `/wechat?token=${TOKEN}` });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
    expect(page.body).toContain('<svg');
    expect(page.body).toContain('waiting for the login QR code to be scanned');
    expect(page.body).not.toContain('<script');
    const open = await app.inject({ url: '/wechat' });
    expect(open.body).not.toContain('<svg');
    expect(open.body).toContain('status token');
  });

  it('survives a QR payload too long for a QR code: shown as text', async () => {
    const long = `https://login.example/${'x'.repeat(5000)}`;
    status.starting('wechaty-puppet-service');
    expect(() => status.scan(long, 2)).not.toThrow();
    const page = await app.inject({ url: `/wechat?token=${TOKEN}` });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(`<pre>${long}</pre>`);
  });

  it('shows the account once logged in, and the logout after it', async () => {
    status.starting('wechaty-puppet-service');
    status.login({ id: 'wxid_bot', name: 'Skadi <ops>' });
    status.logout('kicked out');
    const page = await app.inject({ url: '/wechat' });
    expect(page.body).toContain('Skadi &#60;ops&#62;');
    expect(page.body).toContain('logged out: kicked out');
    expect((await app.inject({ url: '/wechat/status' })).json()).toMatchObject({ state: 'logged-out', user: { id: 'wxid_bot', name: 'Skadi <ops>' }, lastEvent: { type: 'logout' } });
  });
});

describe('QR code', () => {
  it('encodes a login URL as a square matrix with finder patterns, also for non-ASCII', () => {
    for (const payload of [QR, '登录 https://example.test/二维码']) {
      const m = qrMatrix(payload);
      expect(m.length).toBeGreaterThanOrEqual(21);
      expect(m.every((row) => row.length === m.length)).toBe(true);
      // Top-left finder pattern: a dark 7x7 ring.
      expect(m[0]!.slice(0, 7).every(Boolean)).toBe(true);
      expect(m[6]!.slice(0, 7).every(Boolean)).toBe(true);
      expect(m[1]![1]).toBe(false);
    }
    expect(qrSvg(QR)).toMatch(/^<svg [^>]*viewBox="0 0 \d+ \d+"/);
  });
});
