// The log settings the CLI parses, apart from logger.ts: the CLI's flags need them for every command, and
// importing them from logger.ts would load winston into the dry run too.
export type LogFormat = 'json' | 'text';
export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
