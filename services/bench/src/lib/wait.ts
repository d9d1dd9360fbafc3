/** Polls `probe` every 5 ms until it holds or `timeoutMs` passed; whether it held. */
export async function waitUntil(probe: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (probe()) return true;
    await new Promise((r) => setTimeout(r, 5));
  }
  return probe();
}
