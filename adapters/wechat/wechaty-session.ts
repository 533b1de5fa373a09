import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { types, WechatyBuilder, type Message, type Wechaty } from 'wechaty';
import type { WechatRawMessage } from './normalize.js';
import type { WechatConfig } from './wechat-config.js';
import type { OpenWechatClient, WechatClient, WechatEvents } from './wechat-client.js';

/**
 * The only module that imports wechaty (slow to load: ~2-6 s), so wechat-platform.ts imports it
 * lazily and servers without WeChat never pay for it.
 */

export interface WechatySessionOptions {
  config: WechatConfig;
  /** The server's data directory; the session's memory card goes to `<dataDir>/wechat/`. */
  dataDir: string;
  /** A puppet instance to use instead of the configured one (tests: wechaty-puppet-mock with a Mocker). */
  puppet?: object;
}

type BuildOptions = Parameters<typeof WechatyBuilder.build>[0];

/** A package name is handed to wechaty as is; a file path becomes a file URL that import() takes from any directory. */
export function puppetSpecifier(puppet: string): string {
  return /^(?:\.{1,2}[\\/]|[\\/]|[A-Za-z]:\\)/.test(puppet) ? pathToFileURL(resolve(puppet)).href : puppet;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Reads what normalising needs off a wechaty Message (payload loads, room alias, mention list). */
export async function readWechatyMessage(bot: Wechaty, message: Message): Promise<WechatRawMessage> {
  const talker = message.talker();
  const room = message.room();
  const self = message.self();
  const isText = message.type() === types.Message.Text;
  // Mentions and aliases cost puppet calls: only text that could be a command needs them, and in
  // a room only when it mentions the bot (most room traffic does not).
  const mentionSelf = room && isText && !self ? await message.mentionSelf() : false;
  const addressed = room !== undefined && mentionSelf;
  const [roomAlias, topic, botAlias] = await Promise.all([
    addressed ? room.alias(talker).catch(() => undefined) : undefined,
    room ? room.topic().catch(() => '') : '',
    addressed ? room.alias(bot.currentUser).catch(() => undefined) : undefined,
  ]);
  const botNames = [bot.currentUser.name(), botAlias].filter((n): n is string => typeof n === 'string' && n !== '');
  return {
    id: message.id,
    type: message.type(),
    text: message.text(),
    timestamp: message.date().getTime(),
    talker: { id: talker.id, name: talker.name(), ...(roomAlias ? { roomAlias } : {}), type: talker.type(), self },
    ...(room ? { room: { id: room.id, topic } } : {}),
    mentionSelf,
    botNames,
  };
}

class WechatySession implements WechatClient {
  private readonly bot: Wechaty;

  constructor(options: WechatySessionOptions, events: WechatEvents) {
    const { config } = options;
    const sessionDir = resolve(options.dataDir, 'wechat');
    mkdirSync(sessionDir, { recursive: true });
    const puppetOptions = { ...config.puppetOptions, ...(config.puppetToken ? { token: config.puppetToken } : {}) };
    // wechaty keeps the login (memory card) at `<name>.memory-card.json`, relative to the cwd
    // unless the name is absolute: the absolute name puts it in the data directory.
    const build = { name: join(sessionDir, config.name), puppet: options.puppet ?? puppetSpecifier(config.puppet), puppetOptions } as unknown as BuildOptions;
    this.bot = WechatyBuilder.build(build);
    const bot = this.bot;

    // Whatever a puppet sends, a throwing listener must not become an exception inside wechaty.
    const guarded = <A extends unknown[]>(fn: (...args: A) => void) => (...args: A): void => {
      try {
        fn(...args);
      } catch (err) {
        events.error(`could not handle a puppet event: ${errorMessage(err)}`);
      }
    };
    bot.on('scan', guarded((qrcode: string, status: number) => events.scan(String(qrcode ?? ''), status)));
    bot.on('login', guarded((user) => events.login({ id: user.id, name: user.name() })));
    bot.on('logout', guarded((_user, reason?: string) => events.logout(typeof reason === 'string' ? reason : '')));
    bot.on('error', guarded((err) => events.error(errorMessage(err))));
    bot.on('heartbeat', guarded(() => events.heartbeat()));
    bot.on('message', (message) => {
      readWechatyMessage(bot, message).then(
        guarded((raw: WechatRawMessage) => events.message(raw)),
        (err: unknown) => events.error(`could not read message ${message.id}: ${errorMessage(err)}`),
      );
    });
  }

  start(): Promise<void> {
    return this.bot.start();
  }

  stop(): Promise<void> {
    return this.bot.stop();
  }

  isLoggedIn(): boolean {
    try {
      return this.bot.isLoggedIn;
    } catch {
      return false; // the puppet is not set up yet (still starting)
    }
  }

  async sendText(conversationId: string, text: string, mentionIds: readonly string[]): Promise<string | undefined> {
    // Straight to the puppet: Room.say() would first load the room and every mentioned member,
    // which fails for a while after a login while the puppet syncs its contacts.
    const id = await this.bot.puppet.messageSendText(conversationId, text, [...mentionIds]);
    return typeof id === 'string' && id !== '' ? id : undefined;
  }
}

/** The OpenWechatClient for wechaty with the configured (or the given) puppet. */
export function wechatyClientFactory(options: WechatySessionOptions): OpenWechatClient {
  return (events) => new WechatySession(options, events);
}
