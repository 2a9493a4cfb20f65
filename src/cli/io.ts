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
  out: (text) => void process.stdout.write(text),
  warn: (line) => void process.stderr.write(`warning: ${line}\n`),
  error: (line) => void process.stderr.write(`error: ${line}\n`),
  stderr: (text) => void process.stderr.write(text),
};

/** Text from a devicetree as it is when printable, else escaped, so a warning stays one line and cannot drive a terminal. */
export { printable } from '../devicetree/errors.ts';
