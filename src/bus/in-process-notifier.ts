import { EventEmitter } from 'node:events';
import { silentLogger, type Logger, type Notifier } from '../core/index.js';

export type InProcessNotifierOptions = Record<string, never>;

export interface InProcessNotifierDeps {
  logger?: Logger;
}

/**
 * Wake-ups within one process. Handlers run on the next microtask, not inside notify(), so a
 * notifier caller (often mid-request) never runs listener code on its own stack — the same
 * asynchrony a Redis notifier has, minus the network.
 */
export function createInProcessNotifier(_options: InProcessNotifierOptions = {}, deps: InProcessNotifierDeps = {}): Notifier {
  const logger = (deps.logger ?? silentLogger).child({ component: 'in-process-notifier' });
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0); // one listener per waiting long-poll: many, and that is fine
  let closed = false;

  return {
    async notify(channel, message) {
      if (closed) return;
      queueMicrotask(() => emitter.emit(channel, message));
    },

    async listen(channel, handler) {
      const listener = (message: string): void => {
        try {
          handler(message);
        } catch (err) {
          logger.warn({ channel, err: err instanceof Error ? err.message : String(err) }, 'notification listener threw');
        }
      };
      emitter.on(channel, listener);
      return async () => {
        emitter.off(channel, listener);
      };
    },

    async close() {
      closed = true;
      emitter.removeAllListeners();
    },
  };
}
