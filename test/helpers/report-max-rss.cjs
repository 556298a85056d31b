// Preloaded into a CLI child process: prints its peak RSS (KiB) and CPU time of all its threads
// (µs, user + system) as the last stderr line on exit: @@MAXRSS@@<KiB>@@CPU@@<µs>.
process.on('exit', () => {
  const u = process.resourceUsage();
  process.stderr.write(`@@MAXRSS@@${u.maxRSS}@@CPU@@${u.userCPUTime + u.systemCPUTime}\n`);
});
