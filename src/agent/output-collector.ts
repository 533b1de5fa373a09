/**
 * Batches a job's output into chunks for the agent API and enforces the output cap.
 *
 * Small writes are coalesced (flush after `flushIntervalMs` or once `flushBytes` are
 * pending) so a chatty process does not cost one HTTP request per line. Chunks never
 * exceed `maxChunkBytes` and never split a UTF-8 character. Beyond the cap, output is
 * dropped and one explicit note says so: never silently.
 */
export interface OutputCollectorOptions {
  /** Most bytes of process output kept; notes added by the agent do not count. */
  cap: number;
  emit(chunk: string): void;
  flushIntervalMs?: number;
  flushBytes?: number;
  maxChunkBytes?: number;
}

export interface OutputCollector {
  /** Process output (already decoded); counted against the cap. */
  write(text: string): void;
  /** A line from the agent itself (truncation, timeout); always kept. */
  note(line: string): void;
  /** Flushes what is pending and stops the timer; later writes are ignored. */
  close(): void;
  readonly bytes: number;
  readonly truncated: boolean;
}

/** The longest prefix of `text` that fits in `maxBytes` of UTF-8, and the rest. */
export function splitUtf8(text: string, maxBytes: number): [string, string] {
  const buf = Buffer.from(text, 'utf8');
  if (buf.length <= maxBytes) return [text, ''];
  let cut = maxBytes;
  // Back off to the start of a character: continuation bytes are 10xxxxxx.
  while (cut > 0 && (buf[cut]! & 0xc0) === 0x80) cut--;
  const head = buf.subarray(0, cut).toString('utf8');
  return [head, text.slice(head.length)];
}

/** Creates a collector; call `close()` when the process has finished. */
export function createOutputCollector(options: OutputCollectorOptions): OutputCollector {
  const flushIntervalMs = options.flushIntervalMs ?? 100;
  const flushBytes = options.flushBytes ?? 16 * 1024;
  const maxChunkBytes = options.maxChunkBytes ?? 64 * 1024;
  let pending = '';
  let pendingBytes = 0;
  let bytes = 0;
  let truncated = false;
  let closed = false;
  let endsWithNewline = true;
  let timer: NodeJS.Timeout | undefined;

  const flush = (): void => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    let rest = pending;
    pending = '';
    pendingBytes = 0;
    while (rest !== '') {
      const [head, tail] = splitUtf8(rest, maxChunkBytes);
      options.emit(head);
      rest = tail;
    }
  };

  const append = (text: string): void => {
    if (text === '') return;
    pending += text;
    pendingBytes += Buffer.byteLength(text, 'utf8');
    endsWithNewline = text.endsWith('\n');
    if (pendingBytes >= flushBytes) flush();
    else timer ??= setTimeout(flush, flushIntervalMs);
  };

  const note = (line: string): void => {
    if (closed) return;
    append(`${endsWithNewline ? '' : '\n'}${line}\n`);
  };

  return {
    write(text) {
      if (closed || truncated || text === '') return;
      const room = options.cap - bytes;
      const size = Buffer.byteLength(text, 'utf8');
      if (size <= room) {
        bytes += size;
        append(text);
        return;
      }
      const [head] = splitUtf8(text, room);
      bytes += Buffer.byteLength(head, 'utf8');
      append(head);
      truncated = true;
      note(`[output truncated at ${options.cap} bytes by the agent]`);
    },
    note,
    close() {
      if (closed) return;
      flush();
      closed = true;
    },
    get bytes() {
      return bytes;
    },
    get truncated() {
      return truncated;
    },
  };
}
