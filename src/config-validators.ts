import { BUILTIN_COMMANDS } from '../commands/index.js';
import { createCommandRegistry, validateAccessConfig } from './chat/index.js';
// From the platforms' config modules, not their *-platform.ts: those import the SDKs, which only a process running that platform loads.
import { validateSlackConfig } from '../adapters/slack/slack-config.js';
import { validateTeamsConfig } from '../adapters/teams/teams-config.js';
import { parseWechatConfig as validateWechatConfig } from '../adapters/wechat/wechat-config.js';
import { validateEmailConfig } from '../adapters/email/email-config.js';

/** The validators of the config's structured sections, for loadConfig({ validate }). */
export const CONFIG_VALIDATORS = {
  access: (raw: unknown) => validateAccessConfig(raw, { knownCommands: createCommandRegistry(BUILTIN_COMMANDS).accessVocabulary(), key: 'access' }),
  slack: validateSlackConfig,
  teams: validateTeamsConfig,
  wechat: validateWechatConfig,
  email: validateEmailConfig,
};
