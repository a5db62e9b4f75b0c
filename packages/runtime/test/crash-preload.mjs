// Loaded with `node --import` in front of the real server by test/logging-flush.test.ts: SIGUSR2
// makes the process throw an uncaught error (a crash), SIGHUP makes it call process.exit(7).
process.on('SIGUSR2', () => {
  throw new Error('crash requested by the test (SIGUSR2)');
});
process.on('SIGHUP', () => process.exit(7));
