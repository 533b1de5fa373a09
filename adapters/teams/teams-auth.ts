import { ConfigurationBotFrameworkAuthentication, type ConfigurationBotFrameworkAuthenticationOptions } from 'botbuilder';
import { ConfigError } from '../../src/core/index.js';
import type { TeamsConfig } from './teams-config.js';

export interface TeamsAuthOptions {
  /** The certificate's private key (PEM), read from the config or its file. */
  certificatePrivateKey?: string | null;
  /**
   * Where the signing keys of the Bot Framework's tokens are published (default: the public
   * cloud's). Tests point it at a local peer; nothing else should need to.
   */
  openIdMetadataUrl?: string;
}

/**
 * The public cloud's endpoints. Overriding any one of them switches the SDK to a "custom cloud"
 * that takes every value from the settings (an unset issuer accepts no token at all), so an
 * override comes with all the others spelled out. Values of botframework-connector's
 * AuthenticationConstants (not exported by botbuilder).
 */
const PUBLIC_CLOUD: ConfigurationBotFrameworkAuthenticationOptions = {
  ToBotFromChannelTokenIssuer: 'https://api.botframework.com',
  ToChannelFromBotLoginUrl: 'https://login.microsoftonline.com/botframework.com',
  ToChannelFromBotOAuthScope: 'https://api.botframework.com',
  OAuthUrl: 'https://api.botframework.com',
  ToBotFromEmulatorOpenIdMetadataUrl: 'https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration',
  CallerId: 'urn:botframework:azure',
  ValidateAuthority: true,
};

/**
 * The Bot Framework authentication of the bot: inbound JWTs checked against the app id (and the
 * tenant, for single-tenant bots), outbound calls signed with the password or certificate.
 * With `allowUnauthenticated` (tests only) there is no app id, and the SDK checks nothing.
 */
export function createTeamsAuth(config: TeamsConfig, options: TeamsAuthOptions = {}): ConfigurationBotFrameworkAuthentication {
  const settings: ConfigurationBotFrameworkAuthenticationOptions = {};
  if (!config.allowUnauthenticated) {
    settings.MicrosoftAppId = config.appId ?? undefined;
    settings.MicrosoftAppType = config.appType;
    if (config.appPassword) settings.MicrosoftAppPassword = config.appPassword;
    if (config.tenantId) settings.MicrosoftAppTenantId = config.tenantId;
    if (config.certificateThumbprint) settings.CertificateThumbprint = config.certificateThumbprint;
    const key = options.certificatePrivateKey ?? config.certificatePrivateKey;
    if (key) settings.CertificatePrivateKey = key;
  }
  if (options.openIdMetadataUrl) Object.assign(settings, PUBLIC_CLOUD, { ToBotFromChannelOpenIdMetadataUrl: options.openIdMetadataUrl });
  try {
    return new ConfigurationBotFrameworkAuthentication(settings);
  } catch (err) {
    // validateTeamsConfig catches these first; this keeps the SDK's own checks in the same form.
    throw new ConfigError('teams', `the Bot Framework SDK refused the settings: ${(err as Error).message}`);
  }
}
