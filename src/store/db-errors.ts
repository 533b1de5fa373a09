interface DriverErrorShape {
  code?: string;
}

// Duck-typed rather than `instanceof QueryFailedError`, so a second copy of typeorm in the
// tree cannot make a duplicate key look like an unexpected failure.
function driverCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null || !('driverError' in err)) return undefined;
  const driverError = (err as { driverError?: DriverErrorShape }).driverError;
  return driverError?.code;
}

/** True for a primary-key or unique-index violation, on SQLite and MySQL. */
export function isUniqueViolation(err: unknown): boolean {
  const code = driverCode(err);
  return code === 'ER_DUP_ENTRY' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}

/** True when MySQL aborted a transaction to break a deadlock or a lock wait: safe to run it again. */
export function isRetryableLockError(err: unknown): boolean {
  const code = driverCode(err);
  return code === 'ER_LOCK_DEADLOCK' || code === 'ER_LOCK_WAIT_TIMEOUT';
}
