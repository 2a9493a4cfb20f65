#!/usr/bin/env node
// Entry point of the dt-node-labeller command: everything lives in program.ts; this only sets the exit code.
import { processIo } from './io.ts';
import { runCli } from './program.ts';

process.exitCode = await runCli(process.argv.slice(2), processIo);
