// Preloaded into a `ferry` child process by the bench (node --import): on exit, writes the process's
// resource usage (peak RSS in kB, CPU in µs) as JSON to the file named by FERRY_BENCH_RUSAGE_FILE.
import { writeFileSync } from 'node:fs';

const file = process.env.FERRY_BENCH_RUSAGE_FILE;
if (file) process.on('exit', () => writeFileSync(file, JSON.stringify(process.resourceUsage())));
