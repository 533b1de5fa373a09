import { describe, expect, it } from 'vitest';
import { validateWechatConfig } from '../../../../adapters/wechat/wechat-platform.js';
import { loadConfig } from '../../../../src/config/load-config.js';
import { ConfigError } from '../../../../src/core/index.js';

function keyOf(fn: () => unknown): string | null {
  try {
    fn();
    return null;
  } catch (err) {
    if (err instanceof ConfigError) return err.key;
    throw err;
  }
}

describe('validateWechatConfig', () => {
  it('fills in the defaults: wechat4u, session "skadi", 2000 characters per message', () => {
    expect(validateWechatConfig({})).toEqual({
      puppet: 'wechaty-puppet-wechat4u',
      puppetToken: null,
      puppetOptions: {},
      name: 'skadi',
      maxTextLength: 2000,
      sendIntervalMs: 500,
      sendRetries: 3,
      maxMessageAgeMs: 300_000,
      statusToken: null,
    });
  });

  it('accepts its own output unchanged (the wiring validates again)', () => {
    const once = validateWechatConfig({ puppet: 'wechaty-puppet-service', puppetToken: 'puppet_padlocal_x', puppetOptions: { tls: { disable: true } }, maxTextLength: '1500', statusToken: 'a-long-enough-token' });
    expect(once.maxTextLength).toBe(1500);
    expect(validateWechatConfig(once)).toEqual(once);
  });

  it('names the key of a bad value', () => {
    expect(keyOf(() => validateWechatConfig('wechaty-puppet-service'))).toBe('wechat');
    expect(keyOf(() => validateWechatConfig({ maxTextLength: 50 }))).toBe('wechat.maxTextLength');
    expect(keyOf(() => validateWechatConfig({ name: '../escape' }))).toBe('wechat.name');
    expect(keyOf(() => validateWechatConfig({ puppetOptions: 'x' }))).toBe('wechat.puppetOptions');
    expect(keyOf(() => validateWechatConfig({ statusToken: 'short' }))).toBe('wechat.statusToken');
    expect(keyOf(() => validateWechatConfig({ puppet: 42 }))).toBe('wechat.puppet');
    expect(() => validateWechatConfig({ puppetTokn: 'x' })).toThrow(/did you mean puppetToken/);
  });

  it('copies puppetOptions, so a puppet may write into them although the config is frozen', () => {
    const options = { endpoint: '127.0.0.1:8788' };
    const config = validateWechatConfig({ puppetOptions: options });
    expect(config.puppetOptions).toEqual(options);
    expect(config.puppetOptions).not.toBe(options);
  });

  it('is switched on by SKADI_WECHAT_PUPPET and SKADI_WECHAT_PUPPET_TOKEN alone', () => {
    const config = loadConfig({ env: { SKADI_WECHAT_PUPPET: 'wechaty-puppet-service', SKADI_WECHAT_PUPPET_TOKEN: 'secret-token' }, validate: { wechat: validateWechatConfig } });
    expect(config.wechat).toMatchObject({ puppet: 'wechaty-puppet-service', puppetToken: 'secret-token', name: 'skadi' });
  });
});
