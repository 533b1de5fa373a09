import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { FastifyPluginAsync } from 'fastify';
import type { ChatAdapter, PlatformDeps } from '../../src/core/index.js';
import { LoginStatus } from './login-status.js';
import { wechatStatusRoutes } from './status-routes.js';
import { WechatAdapter, type WechatAdapterOptions } from './wechat-adapter.js';
import { parseWechatConfig, type WechatConfig } from './wechat-config.js';

export type { WechatConfig } from './wechat-config.js';

/** Optional extras a test (or an embedding program) may pass next to PlatformDeps. */
export interface WechatPlatformExtras {
  /** A wechaty Puppet instance instead of `config.puppet` (tests: wechaty-puppet-mock with a Mocker). */
  puppet?: object;
  /** Where the login QR code is drawn (default: the terminal, stderr). */
  print?: (text: string) => void;
  /** Adapter tuning beyond the config (retry and start delays), for tests. */
  adapterOptions?: Partial<WechatAdapterOptions>;
}

/** Validates the `wechat` section (called once by the config loader); throws ConfigError naming the key. */
export function validateWechatConfig(raw: unknown): WechatConfig {
  return parseWechatConfig(raw);
}

/** The status page's token: configured, or generated once into the data directory (mode 0600). */
function statusToken(config: WechatConfig, dataDir: string): string {
  if (config.statusToken) return config.statusToken;
  const dir = resolve(dataDir, 'wechat');
  const file = join(dir, 'status-token');
  if (existsSync(file)) {
    const token = readFileSync(file, 'utf8').trim();
    if (token.length >= 16) return token;
  }
  mkdirSync(dir, { recursive: true });
  const token = randomBytes(18).toString('base64url');
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return token;
}

/**
 * Builds the WeChat adapter (wechaty with the configured puppet) and its routes: `/wechat`, a
 * page with the session state and the login QR code, and `/wechat/status` as JSON. wechaty is
 * imported here, lazily: servers without a `wechat` section never load it.
 */
export async function createWechatPlatform(config: WechatConfig, deps: PlatformDeps & WechatPlatformExtras): Promise<{ adapter: ChatAdapter; plugin?: FastifyPluginAsync }> {
  const token = statusToken(config, deps.dataDir);
  const base = deps.publicUrl ? deps.publicUrl.replace(/\/+$/, '') : '<Skadi URL>';
  const status = new LoginStatus({
    clock: deps.clock,
    logger: deps.logger,
    print: deps.print ?? ((text) => void process.stderr.write(text)),
    pageLink: `${base}/wechat?token=${encodeURIComponent(token)}`,
  });
  const { wechatyClientFactory } = await import('./wechaty-session.js');
  const openClient = wechatyClientFactory({ config, dataDir: deps.dataDir, ...(deps.puppet ? { puppet: deps.puppet } : {}) });
  const adapter = new WechatAdapter(
    {
      maxTextLength: config.maxTextLength,
      sendIntervalMs: config.sendIntervalMs,
      sendRetries: config.sendRetries,
      maxMessageAgeMs: config.maxMessageAgeMs,
      ...deps.adapterOptions,
    },
    { openClient, status, clock: deps.clock, logger: deps.logger, puppetLabel: deps.puppet ? 'an injected puppet' : config.puppet },
  );
  return { adapter, plugin: wechatStatusRoutes({ status, token }) };
}
