import { pino, type DestinationStream, type Logger } from 'pino';
import { REDACTED_PATHS } from '../create-app.js';
import type { Config } from '../config.js';
import { stdoutDestination } from './stdout.js';

/**
 * The service's logger: JSON lines on stdout (always, for `kubectl logs` and node-level log
 * collectors; buffered, flushed on exit: stdout.ts), ISO 8601 `time`, level as a word. Level from
 * config logging.level (LOG_LEVEL / MLS_LOGGING_LEVEL). Tests pass their own destination to read the lines.
 */
export function createLogger(config: Pick<Config, 'logging' | 'service'>, destination?: DestinationStream): Logger {
  return pino(
    {
      level: config.logging.level,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      // The same `service` object the prediction log records carry (they leave theirs out on stdout).
      base: { service: { name: config.service.name, version: config.service.version } },
      redact: REDACTED_PATHS,
    },
    destination ?? stdoutDestination(),
  );
}
