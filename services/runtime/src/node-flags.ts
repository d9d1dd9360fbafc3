/**
 * The Node flags every long-running process of the platform runs with: `npm start`, the bench, and
 * the Dockerfiles' CMD (services/deploy-check checks that they carry the same ones).
 *
 * `--max-semi-space-size`: V8 lets its young generation grow to 16 MB semi-spaces by default, which is
 * most of what a mostly idle service holds above its code. Capped at 2 MB, every service idles about
 * 25 MB lower (the gateway 158 → 131 MB here); the price is more frequent (and each shorter) scavenges
 * under load, which `npm run bench -- foundation` shows is well inside the latency targets.
 */
export const NODE_FLAGS: readonly string[] = ['--max-semi-space-size=2'];
