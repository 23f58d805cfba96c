// Ends this service when the process that started it for its tests (PARENT_PID: a test binary run by
// plain `cargo test`) has ended, so that no service outlives its tests. Without PARENT_PID (the test
// and demo scripts) the service runs until it is stopped.
export function exitWithParent() {
  const parent = Number(process.env.PARENT_PID || 0);
  if (!parent) return;
  setInterval(() => {
    try {
      process.kill(parent, 0);
    } catch {
      process.exit(0);
    }
  }, 1000).unref();
}
