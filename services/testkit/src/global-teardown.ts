export default async function globalTeardown(): Promise<void> {
  for (const step of (globalThis.__TESTKIT_CLEANUP__ ?? []).reverse()) {
    await step().catch((error: unknown) => console.error('test cleanup failed:', error));
  }
}
