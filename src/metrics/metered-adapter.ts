import type { ChatAdapter } from '../core/chat-adapter.js';

export type CountReply = (platform: string, kind: 'send' | 'edit', outcome: 'sent' | 'failed') => void;

/**
 * The adapter with every send and edit counted, for `skadi_replies_total`. Wrapping the adapter
 * counts what the reply router, the dispatcher and watch notices send alike, without touching them.
 */
export function meteredAdapter(adapter: ChatAdapter, count: CountReply): ChatAdapter {
  const counted = async <T>(kind: 'send' | 'edit', call: () => Promise<T>): Promise<T> => {
    try {
      const result = await call();
      count(adapter.platform, kind, 'sent');
      return result;
    } catch (err) {
      count(adapter.platform, kind, 'failed');
      throw err;
    }
  };
  const edit = adapter.edit?.bind(adapter);
  return {
    platform: adapter.platform,
    get capabilities() {
      return adapter.capabilities;
    },
    start: (sink) => adapter.start(sink),
    stop: () => adapter.stop(),
    send: (thread, message) => counted('send', () => adapter.send(thread, message)),
    ...(edit ? { edit: (thread, messageId, message) => counted('edit', () => edit(thread, messageId, message)) } : {}),
  };
}
