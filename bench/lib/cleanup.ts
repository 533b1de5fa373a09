/**
 * Everything the benchmark creates outside its own memory (the load process, databases, Redis
 * keys, temp directories) registers how to undo it here. The undo steps run in reverse order
 * when the run ends, when it fails, and on SIGINT/SIGTERM or an uncaught error.
 */
type Undo = { what: string; run: () => Promise<void> | void };

const undos: Undo[] = [];
let running: Promise<void> | null = null;

/** Registers an undo step; returns a function that runs it now (and forgets it). */
export function onCleanup(what: string, run: Undo['run']): () => Promise<void> {
  const undo: Undo = { what, run };
  undos.push(undo);
  return async () => {
    const at = undos.indexOf(undo);
    if (at < 0) return;
    undos.splice(at, 1);
    await undo.run();
  };
}

/** Runs every registered undo step, newest first; failures are reported, not thrown. */
export function cleanupAll(): Promise<void> {
  running ??= (async () => {
    while (undos.length > 0) {
      const undo = undos.pop()!;
      try {
        await withTimeout(Promise.resolve().then(undo.run), 15_000, undo.what);
      } catch (err) {
        console.error(`bench: cleanup "${undo.what}" failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  })().finally(() => {
    running = null;
  });
  return running;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms);
    }),
  ]);
}

/** Undo everything on Ctrl-C, kill, or a crash, then exit. */
export function installExitHandlers(): void {
  const bail = (code: number, why: string, err?: unknown) => {
    if (err) console.error(`bench: ${why}:`, err);
    else console.error(`bench: ${why}; cleaning up`);
    void cleanupAll().finally(() => process.exit(code));
  };
  process.once('SIGINT', () => bail(130, 'interrupted'));
  process.once('SIGTERM', () => bail(143, 'terminated'));
  process.once('uncaughtException', (err) => bail(1, 'uncaught exception', err));
  process.once('unhandledRejection', (err) => bail(1, 'unhandled rejection', err));
}
