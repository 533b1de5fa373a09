import { isTerminal } from '../core/index.js';
import type { ChatAdapter, EventJobStatusPayload, FanOutJob, JobsApi, Logger, ReplyStore } from '../core/index.js';
import { renderFanOut } from '../../commands/fan-out-format.js';
import { ReplyDeferredError, type ReplyClaims } from './reply-claims.js';

type ThreadedParent = FanOutJob & { thread: NonNullable<FanOutJob['thread']> };

export interface FanOutRepliesDeps {
  claims: ReplyClaims;
  jobs: Pick<JobsApi, 'get' | 'list'>;
  replies: Pick<ReplyStore, 'list'>;
  logger: Logger;
}

/** True for the events only a fan-out parent has: its creation (null → running) and its progress (running → running). */
export function isFanOutEvent(payload: EventJobStatusPayload): boolean {
  return payload.to === 'running' && (payload.from === null || payload.from === 'running');
}

/**
 * The one message a fan-out parent has in its thread: posted when the parent is created,
 * edited in place on each progress event where the platform can edit (one claim per progress
 * version, so each edit is made once), and turned into the final summary when the parent ends.
 * Where the platform cannot edit, only the first and the final message are sent: no spam.
 */
export function createFanOutReplies(deps: FanOutRepliesDeps) {
  const { claims } = deps;

  async function children(parent: FanOutJob) {
    return (await deps.jobs.list({ parentId: parent.id, limit: 10_000 })).reverse();
  }

  async function start(adapter: ChatAdapter, parent: ThreadedParent): Promise<void> {
    if (isTerminal(parent.state)) return; // the final summary says everything
    await claims.exclusively(parent.id, 'queued', parent.agent, async () => {
      if (await claims.get(parent.id, 'result')) return null;
      const now = ((await deps.jobs.get(parent.id)) as FanOutJob | null) ?? parent;
      return (await adapter.send(parent.thread, renderFanOut(now, await children(now)))).messageId;
    });
  }

  async function progress(adapter: ChatAdapter, parent: ThreadedParent, version: number): Promise<void> {
    if (!adapter.edit || isTerminal(parent.state)) return;
    const queued = await claims.get(parent.id, 'queued');
    if (claims.inFlight(queued)) throw new ReplyDeferredError(parent.id, `progress:${version}`, 'queued');
    const messageId = queued?.state === 'sent' ? queued.messageId : null;
    if (messageId === null) return; // the first message, when it goes, shows the state of that moment
    const edit = adapter.edit.bind(adapter);
    await claims.exclusively(parent.id, `progress:${version}`, parent.agent, async () => {
      if (await claims.get(parent.id, 'result')) return null;
      const now = (await deps.jobs.get(parent.id)) as FanOutJob | null;
      if (!now || isTerminal(now.state)) return null;
      await edit(parent.thread, messageId, renderFanOut(now, await children(now)));
      return messageId;
    });
  }

  async function final(adapter: ChatAdapter, parent: ThreadedParent): Promise<void> {
    const canEdit = adapter.capabilities.edit && adapter.edit !== undefined;
    await claims.exclusively(parent.id, 'result', parent.agent, async () => {
      const queued = await claims.get(parent.id, 'queued');
      if (claims.inFlight(queued)) throw new ReplyDeferredError(parent.id, 'result', 'queued');
      // An update still being made could land after the summary and hide it: let it finish first.
      const updating = (await deps.replies.list(parent.id)).find((r) => r.key.startsWith('progress:') && claims.inFlight(r));
      if (canEdit && updating) throw new ReplyDeferredError(parent.id, 'result', updating.key);
      const message = renderFanOut(parent, await children(parent));
      const statusId = canEdit && queued?.state === 'sent' ? queued.messageId : null;
      if (statusId !== null) {
        try {
          await adapter.edit!(parent.thread, statusId, message);
          return statusId;
        } catch (err) {
          deps.logger.warn({ err, jobId: parent.id, messageId: statusId }, 'could not edit the fan-out message; sending the summary as a new one');
        }
      }
      return (await adapter.send(parent.thread, message)).messageId;
    });
  }

  return {
    /** Replies to one event of a fan-out parent (already checked to be on this adapter's platform). */
    async handle(adapter: ChatAdapter, parent: ThreadedParent, payload: EventJobStatusPayload): Promise<void> {
      if (isTerminal(payload.to)) return final(adapter, parent);
      if (payload.from === null) return start(adapter, parent);
      if (payload.from === 'running' && payload.to === 'running') return progress(adapter, parent, payload.version);
    },
  };
}
