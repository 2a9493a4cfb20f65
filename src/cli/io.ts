import { writeSync } from 'node:fs';
import { pauseOnEagain } from '../devicetree/bounded-read.ts';

/** Where a command writes; injected so tests can run commands in-process and read what they printed. */
export interface CliIo {
  out(text: string): void;
  /** One human-readable line on stderr, prefixed "warning:". */
  warn(line: string): void;
  /** One human-readable line on stderr, prefixed "error:". */
  error(line: string): void;
  /** Text for stderr as it is: commander's usage messages, --debug stack traces. */
  stderr(text: string): void;
}

export const processIo: CliIo = {
  out: (text) => writeAll(1, text),
  warn: (line) => writeAll(2, `warning: ${line}\n`),
  error: (line) => writeAll(2, `error: ${line}\n`),
  stderr: (text) => writeAll(2, text),
};

type WriteSync = (fd: number, buffer: Uint8Array, offset: number) => number;

/**
 * Writes all of `text` to file descriptor `fd`, synchronously, as Node writes to files and (on Linux) pipes
 * anyway. A reader that has gone away (EPIPE: `dump | head -c 100`) ends the output quietly while the command
 * finishes; process.stdout made that an unhandled 'error' event, a stack trace and exit 1. A full
 * non-blocking pipe is waited for. (It also leaves Node's stream and socket modules unloaded: 20 modules.)
 */
export function writeAll(fd: number, text: string, write: WriteSync = writeSync): void {
  const bytes = Buffer.from(text);
  let at = 0;
  while (at < bytes.length) {
    try {
      at += write(fd, bytes, at);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EPIPE') return;
      if (code !== 'EAGAIN') throw error;
      pauseOnEagain();
    }
  }
}

/** Text from a devicetree as it is when printable, else escaped, so a warning stays one line and cannot drive a terminal. */
export { printable } from '../devicetree/errors.ts';
