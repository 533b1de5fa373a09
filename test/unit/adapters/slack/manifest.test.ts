import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DEFAULT_SLACK_COMMAND } from '../../../../adapters/slack/slack-config.js';
import { SLACK_PATHS } from '../../../../adapters/slack/slack-routes.js';
import { ROOT } from '../../../helpers/skadi-process.js';

interface Manifest {
  features: { slash_commands: Array<{ command: string; url?: string }>; app_home: { messages_tab_enabled: boolean } };
  oauth_config: { scopes: { bot: string[] } };
  settings: { event_subscriptions: { bot_events: string[]; request_url?: string }; interactivity: { is_enabled: boolean; request_url?: string }; socket_mode_enabled: boolean };
}

function manifest(name: string): Manifest {
  return parse(readFileSync(join(ROOT, 'adapters/slack', name), 'utf8')) as Manifest;
}

describe('slack app manifests', () => {
  const socket = manifest('manifest.yaml');
  const http = manifest('manifest-http.yaml');

  it('ask for the scopes and events the adapter uses, and nothing more', () => {
    for (const m of [socket, http]) {
      // app_mention, message.im, chat.postMessage/update, files upload, users.info, the command.
      expect([...m.oauth_config.scopes.bot].sort()).toEqual(['app_mentions:read', 'chat:write', 'chat:write.public', 'commands', 'files:write', 'im:history', 'users:read']);
      expect(m.settings.event_subscriptions.bot_events).toEqual(['app_mention', 'message.im']);
      expect(m.features.slash_commands.map((c) => c.command)).toEqual([DEFAULT_SLACK_COMMAND]);
      expect(m.settings.interactivity.is_enabled).toBe(true);
      expect(m.features.app_home.messages_tab_enabled).toBe(true);
    }
  });

  it('socket mode needs no URL; HTTP mode points every URL at a route Skadi serves', () => {
    expect(socket.settings.socket_mode_enabled).toBe(true);
    expect(socket.settings.event_subscriptions.request_url).toBeUndefined();
    expect(http.settings.socket_mode_enabled).toBe(false);
    const urls = [http.settings.event_subscriptions.request_url!, http.settings.interactivity.request_url!, http.features.slash_commands[0]!.url!];
    for (const url of urls) expect(SLACK_PATHS).toContain(new URL(url).pathname);
  });
});
