import { mock, PuppetMock } from 'wechaty-puppet-mock';

/** wechaty-puppet's `types.Message.Text` (the helper does not import wechaty: it is slow to load). */
const TEXT = 7;

export interface SentByBot {
  id: string;
  conversationId: string;
  text: string;
  mentionIdList: string[];
}

/**
 * wechaty-puppet-mock that behaves like the puppet services where the bare mock does not: its
 * messageSendText returns the id of the message it sent, and it records what the bot sent with
 * the mention list (the mock drops it).
 */
export class RecordingPuppetMock extends PuppetMock {
  /** Shared by the puppets of one world, so a restart does not lose what was sent before. */
  readonly sentMessages: SentByBot[];

  constructor(options: ConstructorParameters<typeof PuppetMock>[0] & { record?: SentByBot[] }) {
    const { record, ...rest } = options;
    super(rest);
    this.sentMessages = record ?? [];
  }

  override async messageSendText(conversationId: string, text: string, mentionIdList: string[] = []): Promise<void> {
    await super.messageSendText(conversationId, text);
    // The mock creates the message synchronously: it is the newest one.
    const id = [...this.mocker.cacheMessagePayload.keys()].at(-1)!;
    this.sentMessages.push({ id, conversationId, text, mentionIdList: [...mentionIdList] });
    // Typed void by the mock; returned like a puppet service does.
    return id as unknown as void;
  }
}

export interface MockWorld {
  mocker: InstanceType<typeof mock.Mocker>;
  /** The current puppet (a new one after restartPuppet()). */
  readonly puppet: RecordingPuppetMock;
  /**
   * A server restart as WeChat sees it: the stopped process's puppet is replaced by a new one on
   * the same mocker (same contacts, rooms and messages). A puppet takes wechaty's memory only
   * once, so a new Wechaty needs a new puppet.
   */
  restartPuppet(): RecordingPuppetMock;
  /** The bot's account: id `skadi-bot`, name `Skadi`. */
  botId: string;
  botName: string;
  /** Room `ops@chatroom` with the bot, alice, bob and carol. */
  roomId: string;
  /** Creates a contact (id = name in lower case) unless it exists. */
  person(id: string, name?: string): void;
  /** Logs the bot in (once per start of the puppet). */
  login(): void;
  /**
   * A person writes, as WeChat delivers it: in a room (`to` ends in `@chatroom`) with `@Skadi\u2005`
   * in front and the bot in the mention list when mentioning, or else directly to the bot. The same `id` again is the puppet
   * delivering the same message twice.
   */
  say(input: { from: string; to?: string; text: string; mention?: boolean; id?: string; timestamp?: number }): string;
  sent(): SentByBot[];
}

let counter = 0;

/** A WeChat world on wechaty-puppet-mock with explicitly named contacts (no faker names). */
export function createMockWorld(): MockWorld {
  const mocker = new mock.Mocker();
  const record: SentByBot[] = [];
  let puppet = new RecordingPuppetMock({ mocker, record });
  const botId = 'skadi-bot';
  const botName = 'Skadi';
  const roomId = 'ops@chatroom';
  const contacts = new Set<string>();
  const person = (id: string, name?: string) => {
    if (contacts.has(id)) return;
    contacts.add(id);
    mocker.createContact({ id, name: name ?? id.charAt(0).toUpperCase() + id.slice(1) });
  };
  person(botId, botName);
  for (const id of ['alice', 'bob', 'carol']) person(id);
  mocker.createRoom({ id: roomId, topic: 'ops', memberIdList: [botId, 'alice', 'bob', 'carol'] });
  const rooms = new Set([roomId]);

  return {
    mocker,
    get puppet() {
      return puppet;
    },
    restartPuppet() {
      // The mocker refuses a second puppet; forget the first (stopped) one, as a new process would.
      (mocker as unknown as { _puppet?: unknown })._puppet = undefined;
      puppet = new RecordingPuppetMock({ mocker, record });
      return puppet;
    },
    botId,
    botName,
    roomId,
    person,
    login() {
      if (!puppet.isLoggedIn) mocker.login(mocker.ContactMock.load(botId));
    },
    say({ from, to = roomId, text, mention = true, id, timestamp }) {
      person(from);
      if (to.endsWith('@chatroom') && !rooms.has(to)) {
        rooms.add(to);
        mocker.createRoom({ id: to, topic: to, memberIdList: [botId, from] });
      }
      const messageId = id ?? `msg${Date.now().toString(36)}${(counter += 1)}`;
      if (!mocker.cacheMessagePayload.has(messageId)) {
        const base = { id: messageId, talkerId: from, timestamp: timestamp ?? Date.now(), type: TEXT };
        const payload = to.endsWith('@chatroom')
          ? { ...base, roomId: to, text: mention ? `@${botName}\u2005${text}` : text, mentionIdList: mention ? [botId] : [] }
          : { ...base, listenerId: botId, text };
        mocker.MessageMock.create(payload);
      }
      puppet.emit('message', { messageId });
      return messageId;
    },
    sent: () => [...record],
  };
}
