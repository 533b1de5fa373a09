import { FakeChatAdapter } from '../helpers/fake-chat-adapter.js';
import { chatAdapterContract, type ChatAdapterHarness } from './chat-adapter.contract.js';

function harnessFor(adapter: FakeChatAdapter): ChatAdapterHarness {
  return {
    adapter,
    async deliver(input) {
      await adapter.deliver(input);
    },
    async received() {
      return adapter.messages.map(({ source: _source, ...message }) => ({ ...message }));
    },
    async close() {},
  };
}

chatAdapterContract('fake (edit, files)', async () => harnessFor(new FakeChatAdapter({ platform: 'fake' })));

chatAdapterContract('fake (no edit, no files, no threads)', async () =>
  harnessFor(new FakeChatAdapter({ platform: 'plain', capabilities: { edit: false, files: false, threads: false, maxTextLength: 300 } })),
);
