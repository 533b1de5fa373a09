import { CloudAdapter, type Activity, type ConfigurationBotFrameworkAuthentication, type ConversationReference, type InvokeResponse, type TurnContext } from 'botbuilder';
import type { StoredReference } from './teams-thread.js';

/** What authenticating an inbound request yields (claims, the connector for the reply). */
export type AuthenticatedRequest = Awaited<ReturnType<ConfigurationBotFrameworkAuthentication['authenticateRequest']>>;

/** Per-call options of the Bot Connector REST client. */
export interface ConnectorCallOptions {
  timeout?: number;
}

/** The Bot Connector operations the adapter uses (botframework-connector's `conversations`). */
export interface ConnectorConversations {
  sendToConversation(conversationId: string, activity: Partial<Activity>, options?: ConnectorCallOptions): Promise<{ id?: string }>;
  replyToActivity(conversationId: string, activityId: string, activity: Partial<Activity>, options?: ConnectorCallOptions): Promise<{ id?: string }>;
  updateActivity(conversationId: string, activityId: string, activity: Partial<Activity>, options?: ConnectorCallOptions): Promise<{ id?: string }>;
}

interface ConnectorClientShape {
  conversations?: Partial<ConnectorConversations>;
  /** The @azure/core-client pipeline under the connector client. */
  client?: { pipeline?: { removePolicy?: (policy: { name: string }) => unknown } };
}

function conversationsOf(client: unknown): ConnectorConversations {
  const shape = (typeof client === 'object' && client !== null ? client : {}) as ConnectorClientShape;
  const conversations = shape.conversations;
  if (!conversations || typeof conversations.sendToConversation !== 'function' || typeof conversations.replyToActivity !== 'function' || typeof conversations.updateActivity !== 'function') {
    throw new Error('the turn has no Bot Connector client');
  }
  // The connector client retries 429 and 5xx on its own (3 times, seconds apart) before the
  // error reaches us; our retry keeps order per conversation and reports AdapterError, so one
  // policy is enough. Without the pipeline (another SDK version) both would run: slower, still correct.
  shape.client?.pipeline?.removePolicy?.({ name: 'defaultRetryPolicy' });
  return conversations as ConnectorConversations;
}

/** A stored reference in the SDK's shape (its ConversationAccount wants a name). */
function sdkReference(reference: StoredReference): Partial<ConversationReference> {
  return {
    channelId: reference.channelId,
    serviceUrl: reference.serviceUrl,
    conversation: { name: '', ...reference.conversation },
    bot: { name: '', ...reference.bot },
    ...(reference.user ? { user: { name: '', ...reference.user } } : {}),
    ...(reference.locale ? { locale: reference.locale } : {}),
  };
}

/**
 * botbuilder's CloudAdapter with `processActivity` taken apart: `authenticate` (a failure is a
 * 401, nothing else runs) and `runTurn` (the turn itself, whose failures are 500s so Teams
 * retries), plus `withConnector` for proactive calls from a stored reference.
 */
export class TeamsCloudAdapter extends CloudAdapter {
  constructor(
    auth: ConfigurationBotFrameworkAuthentication,
    /** The bot's app id for proactive turns ('' when authentication is off). */
    private readonly botAppId: string,
  ) {
    super(auth);
  }

  /** Validates the request's Bot Framework JWT (signature, issuer, audience = app id, service URL). */
  authenticate(activity: Activity, authHeader: string): Promise<AuthenticatedRequest> {
    return this.botFrameworkAuthentication.authenticateRequest(activity, authHeader);
  }

  /** Runs one turn for an authenticated activity. */
  runTurn(auth: AuthenticatedRequest, activity: Activity, logic: (context: TurnContext) => Promise<void>): Promise<InvokeResponse | undefined> {
    return this.processActivity(auth, activity, logic);
  }

  /**
   * Calls the Bot Connector of `reference`'s conversation through a proactive turn
   * (`continueConversationAsync`): works from any process, long after the user's message.
   */
  async withConnector<T>(reference: StoredReference, call: (conversations: ConnectorConversations) => Promise<T>): Promise<T> {
    let result: { value: T } | null = null;
    await this.continueConversationAsync(this.botAppId, sdkReference(reference), async (context) => {
      result = { value: await call(conversationsOf(context.turnState.get(this.ConnectorClientKey))) };
    });
    if (result === null) throw new Error('the proactive turn ended without calling the connector');
    return (result as { value: T }).value;
  }
}
