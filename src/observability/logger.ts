import winston from 'winston';

import type { LogFormat, LogLevel } from './log-levels.ts';

/** winston on stderr; every line carries the node name, so logs from a whole DaemonSet can be told apart. */
export function createLogger(options: { format: LogFormat; level: LogLevel; node: string }): winston.Logger {
  const { combine, timestamp, json, printf } = winston.format;
  const text = printf(({ timestamp: at, level, message, node, ...rest }) => {
    const extra = Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest)}` : '';
    return `${String(at)} ${level.padEnd(5)} [${String(node)}] ${String(message)}${extra}`;
  });
  return winston.createLogger({
    level: options.level,
    defaultMeta: { node: options.node },
    format: combine(timestamp(), options.format === 'json' ? json() : text),
    transports: [new winston.transports.Stream({ stream: process.stderr })],
  });
}

/** Log metadata: a flat record of what the line is about. */
export type LogMeta = Readonly<Record<string, unknown>>;

/** What the controller and its parts log through: winston's logger is one, and so is any test's recorder. */
export interface Logger {
  error(message: string, meta?: LogMeta): unknown;
  warn(message: string, meta?: LogMeta): unknown;
  info(message: string, meta?: LogMeta): unknown;
  debug(message: string, meta?: LogMeta): unknown;
}
