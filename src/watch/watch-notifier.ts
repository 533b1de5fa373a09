import { AdapterError } from '../core/errors.js';
import type { ChatAdapter } from '../core/chat-adapter.js';
import type { EventBus, Subscription } from '../core/event-bus.js';
import type { BusEvent } from '../core/events.js';
import type { Logger } from '../core/logger.js';
import { describeWatchEvent } from './describe-watch-event.js';
import type { WatchNotifyTarget } from './watch-notify-target.js';

export interface WatchNotifierDeps {
  bus: EventBus;
  /** Adapters this process hosts, by platform. */
  adapters: ReadonlyMap<string, ChatAdapter>;
  logger: Logger;
}

export interface WatchNotifier {
  /** Subscribes when this process hosts the target's platform; true if it did. */
  start(): Promise<boolean>;
  stop(): Promise<void>;
}

/** The fleet events `watch.notify` posts. */
export const NOTIFIED_EVENTS = ['EventAgentStatus', 'EventFleetDrift'] as const;

/**
 * Posts EventAgentStatus and EventFleetDrift to the configured conversation. The consumer group
 * is `watch-notify:<platform>`, shared by every process that hosts that platform, so each event
 * is posted by one of them. Delivery is at least once: after a crash between the post and the
 * acknowledgement, a notice may be posted twice.
 */
export function createWatchNotifier(target: WatchNotifyTarget, deps: WatchNotifierDeps): WatchNotifier {
  const log = deps.logger.child({ component: 'watch-notify', platform: target.platform });
  const subscriptions: Subscription[] = [];
  const thread = { platform: target.platform, conversationId: target.conversationId, ...(target.threadId ? { threadId: target.threadId } : {}) };

  async function post(adapter: ChatAdapter, event: BusEvent): Promise<void> {
    const line = describeWatchEvent(event);
    if (!line) return;
    try {
      await adapter.send(thread, { text: line.text, status: line.status });
    } catch (err) {
      // A target the platform refuses for good (bot removed from the channel) would be retried forever.
      if (err instanceof AdapterError && err.permanent) {
        log.error({ err, eventId: event.id }, 'the platform refuses the watch.notify conversation; this notice is dropped');
        return;
      }
      log.warn({ err, eventId: event.id }, 'watch notice not posted; it will be retried');
      throw err;
    }
  }

  return {
    async start() {
      const adapter = deps.adapters.get(target.platform);
      if (!adapter) {
        log.info('watch.notify names a platform this process does not run; a process that runs it posts the notices');
        return false;
      }
      for (const name of NOTIFIED_EVENTS) {
        subscriptions.push(await deps.bus.subscribe(name, `watch-notify:${target.platform}`, (event) => post(adapter, event as BusEvent)));
      }
      return true;
    },
    async stop() {
      await Promise.all(subscriptions.splice(0).map((subscription) => subscription.close()));
    },
  };
}
