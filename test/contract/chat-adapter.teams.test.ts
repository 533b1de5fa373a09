import { splitConversationId } from '../../adapters/teams/teams-thread.js';
import { postActivity, teamsMessage } from '../helpers/teams-activities.js';
import { startFakeConnector } from '../helpers/teams-fake-connector.js';
import { startTeamsBot } from '../helpers/teams-test-server.js';
import { chatAdapterContract, type ChatAdapterHarness, type ReceivedMessage } from './chat-adapter.contract.js';

/**
 * The peer is the Bot Framework both ways: deliveries are activities POSTed to the bot's
 * /api/messages (a channel post mentioning the bot, or a reply in its thread), and what the bot
 * sends lands on a fake Bot Connector on 127.0.0.1 that records it.
 */
async function teamsHarness(): Promise<ChatAdapterHarness> {
  const connector = await startFakeConnector();
  const bot = await startTeamsBot();
  return {
    adapter: bot.adapter,
    async deliver(input) {
      const activity = teamsMessage({ serviceUrl: connector.serviceUrl, text: input.text, user: input.user, id: input.id, conversation: input.conversation, thread: input.thread, isBot: input.isBot });
      const { status, body } = await postActivity(bot.url, activity);
      if (status >= 300) throw new Error(`the bot answered ${status}: ${body}`);
    },
    async received() {
      return connector.delivered().map((record): ReceivedMessage => {
        const { base, messageId } = splitConversationId(record.conversationId);
        return { conversationId: base, ...(messageId ? { threadId: messageId } : {}), messageId: record.messageId!, text: record.text, edited: record.method === 'PUT' };
      });
    },
    async close() {
      await bot.close();
      await connector.close();
    },
  };
}

chatAdapterContract('teams', teamsHarness);
