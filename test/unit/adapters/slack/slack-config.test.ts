import { describe, expect, it } from 'vitest';
import { validateSlackConfig } from '../../../../adapters/slack/slack-config.js';
import { loadConfig } from '../../../../src/config/load-config.js';
import { CONFIG_VALIDATORS } from '../../../../src/config-validators.js';
import { ConfigError } from '../../../../src/core/index.js';

function keyOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.key;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('slack config section', () => {
  it('validates socket and http sections, with defaults, and accepts its own output', () => {
    const socket = validateSlackConfig({ mode: 'socket', botToken: 'xoxb-1', appToken: 'xapp-1', signingSecret: 'unused-secret' });
    expect(socket).toEqual({ mode: 'socket', botToken: 'xoxb-1', appToken: 'xapp-1', apiUrl: 'https://slack.com/api/', commandName: '/skadi' });
    const http = validateSlackConfig({ mode: 'http', botToken: 'xoxb-1', signingSecret: 'abcdef123456', apiUrl: 'http://127.0.0.1:9/api', botUserId: 'U1BOT', teamId: 'T1TEAM', commandName: '/ops' });
    expect(http).toEqual({ mode: 'http', botToken: 'xoxb-1', signingSecret: 'abcdef123456', apiUrl: 'http://127.0.0.1:9/api/', botUserId: 'U1BOT', teamId: 'T1TEAM', commandName: '/ops' });
    expect(validateSlackConfig(Object.freeze({ ...socket }))).toEqual(socket);
    expect(validateSlackConfig(http)).toEqual(http);
  });

  it('infers the mode from the one secret given (env-only setups)', () => {
    expect(validateSlackConfig({ botToken: 'xoxb-1', appToken: 'xapp-1' }).mode).toBe('socket');
    expect(validateSlackConfig({ botToken: 'xoxb-1', signingSecret: 'abcdef123456' }).mode).toBe('http');
  });

  it('names the exact key that is wrong', () => {
    expect(keyOf(() => validateSlackConfig('yes'))).toBe('slack');
    expect(keyOf(() => validateSlackConfig({ mode: 'socket', appToken: 'xapp-1' }))).toBe('slack.botToken');
    expect(keyOf(() => validateSlackConfig({ mode: 'socket', botToken: 'xoxp-user-token', appToken: 'xapp-1' }))).toBe('slack.botToken');
    expect(keyOf(() => validateSlackConfig({ mode: 'socket', botToken: 'xoxb-1' }))).toBe('slack.appToken');
    expect(keyOf(() => validateSlackConfig({ mode: 'http', botToken: 'xoxb-1' }))).toBe('slack.signingSecret');
    expect(keyOf(() => validateSlackConfig({ mode: 'websocket', botToken: 'xoxb-1' }))).toBe('slack.mode');
    expect(keyOf(() => validateSlackConfig({ botToken: 'xoxb-1' }))).toBe('slack.mode');
    expect(keyOf(() => validateSlackConfig({ mode: 'http', botToken: 'xoxb-1', signingSecret: 'abcdef123456', apiUrl: 'slack.com' }))).toBe('slack.apiUrl');
    expect(keyOf(() => validateSlackConfig({ mode: 'http', botToken: 'xoxb-1', signingSecret: 'abcdef123456', commandName: 'skadi' }))).toBe('slack.commandName');
    expect(keyOf(() => validateSlackConfig({ mode: 'http', botToken: 'xoxb-1', signingSecret: 'abcdef123456', botUserId: 'alice' }))).toBe('slack.botUserId');
    expect(keyOf(() => validateSlackConfig({ mode: 'http', botToken: 'xoxb-1', signingSecret: 'abcdef123456', signingsecret: 'x' }))).toBe('slack.signingsecret');
  });

  it('never shows a whole secret in an error', () => {
    expect(() => validateSlackConfig({ mode: 'socket', botToken: 'xoxp-very-secret-user-token', appToken: 'xapp-1' })).toThrow(/"xoxp-…"/);
  });

  it('takes the secrets from SKADI_SLACK_* through the config loader', () => {
    const config = loadConfig({
      env: { SKADI_SLACK_BOT_TOKEN: 'xoxb-from-env', SKADI_SLACK_APP_TOKEN: 'xapp-from-env' },
      validate: { slack: CONFIG_VALIDATORS.slack },
    });
    expect(config.slack).toEqual({ mode: 'socket', botToken: 'xoxb-from-env', appToken: 'xapp-from-env', apiUrl: 'https://slack.com/api/', commandName: '/skadi' });
    // The wiring validates the loader's (frozen) output again.
    expect(validateSlackConfig(config.slack)).toEqual(config.slack);
  });
});
