// Preloaded with `node --import` by tests that bound a command's memory: on exit, writes the process's
// peak RSS (kB) to the file named by MAX_RSS_FILE, so the measure is the process's own, on any machine.
import { writeFileSync } from 'node:fs';

const file = process.env.MAX_RSS_FILE;
if (file) process.on('exit', () => writeFileSync(file, String(process.resourceUsage().maxRSS)));
