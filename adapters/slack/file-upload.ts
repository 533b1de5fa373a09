import { AdapterError } from '../../src/core/index.js';
import { SLACK_PLATFORM } from './normalize.js';
import { SlackCallError } from './slack-api-call.js';
import type { SlackFile } from './render.js';

/** The slice of WebClient the upload uses. */
export interface ApiCaller {
  apiCall(method: string, options?: Record<string, unknown>): Promise<Record<string, unknown>>;
}

/** Runs one step under the call policy (retries, Retry-After); see callSlack. */
export type RunCall = <T>(what: string, call: () => Promise<T>) => Promise<T>;

export interface UploadTarget {
  channel: string;
  threadTs?: string;
}

const UPLOAD_TIMEOUT_MS = 60_000;

/**
 * Shares `file` in a thread with Slack's external upload flow (files.upload is retired):
 * files.getUploadURLExternal → POST the bytes to the returned URL → files.completeUploadExternal
 * with the channel and thread. Each step is retried on its own, so a 429 on the last step does
 * not upload the bytes twice. Returns the file id.
 */
export async function uploadFile(client: ApiCaller, target: UploadTarget, file: SlackFile, run: RunCall, fetchFn: typeof fetch = fetch): Promise<string> {
  const bytes = Buffer.from(file.content, 'utf8');
  const ticket = await run('files.getUploadURLExternal', () => client.apiCall('files.getUploadURLExternal', { filename: file.filename, length: bytes.length }));
  const uploadUrl = ticket.upload_url;
  const fileId = ticket.file_id;
  if (typeof uploadUrl !== 'string' || typeof fileId !== 'string') throw new AdapterError(SLACK_PLATFORM, 'files.getUploadURLExternal returned no upload_url or file_id');

  await run('file upload', async () => {
    let res: Response;
    try {
      res = await fetchFn(uploadUrl, { method: 'POST', body: bytes, headers: { 'content-type': 'application/octet-stream' }, signal: AbortSignal.timeout(UPLOAD_TIMEOUT_MS) });
    } catch (err) {
      throw new SlackCallError({ kind: 'transient', reason: `upload request failed: ${(err as Error).message}` });
    }
    await res.arrayBuffer().catch(() => undefined);
    if (res.status === 200) return;
    if (res.status === 429) throw new SlackCallError({ kind: 'rate-limited', retryAfterMs: Math.max(1, Number(res.headers.get('retry-after')) || 1) * 1000 });
    throw new SlackCallError({ kind: res.status >= 500 ? 'transient' : 'permanent', reason: `upload answered HTTP ${res.status}` });
  });

  const complete: Record<string, unknown> = { files: [{ id: fileId, title: file.title }], channel_id: target.channel };
  if (target.threadTs) complete.thread_ts = target.threadTs;
  await run('files.completeUploadExternal', () => client.apiCall('files.completeUploadExternal', complete));
  return fileId;
}
