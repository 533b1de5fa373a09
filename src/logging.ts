import { pino } from 'pino';
import type { Logger } from './core/logger.js';

/**
 * JSON logs on stdout. Token-bearing fields are redacted here so that no code path can log a
 * secret by accident.
 */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { pid: process.pid },
      redact: { paths: ['token', '*.token', 'authorization', '*.authorization', 'headers.authorization', 'req.headers.authorization', 'password', '*.password'], censor: '[redacted]' },
      serializers: { err: pino.stdSerializers.err },
    },
    destination ?? process.stdout,
  ) as unknown as Logger;
}
