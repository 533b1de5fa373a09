import { BUILTIN_COMMANDS } from '../commands/index.js';
import { createCommandRegistry, validateAccessConfig } from './chat/index.js';
import { validateSlackConfig } from '../adapters/slack/slack-platform.js';
import { validateTeamsConfig } from '../adapters/teams/teams-platform.js';
import { validateWechatConfig } from '../adapters/wechat/wechat-platform.js';
import { validateEmailConfig } from '../adapters/email/email-platform.js';

/** The validators of the config's structured sections, for loadConfig({ validate }). */
export const CONFIG_VALIDATORS = {
  access: (raw: unknown) => validateAccessConfig(raw, { knownCommands: createCommandRegistry(BUILTIN_COMMANDS).accessVocabulary(), key: 'access' }),
  slack: validateSlackConfig,
  teams: validateTeamsConfig,
  wechat: validateWechatConfig,
  email: validateEmailConfig,
};
