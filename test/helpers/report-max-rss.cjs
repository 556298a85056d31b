// Preloaded into a CLI child process: prints its peak RSS (KiB) as the last stderr line on exit.
process.on('exit', () => {
  process.stderr.write(`@@MAXRSS@@${process.resourceUsage().maxRSS}\n`);
});
