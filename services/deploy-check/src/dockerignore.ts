// What .dockerignore keeps out of the build context (the rules Docker applies: patterns match
// from the context root, `**` spans folders, `*` stays inside one, a later `!pattern` re-admits,
// and an excluded folder excludes everything below it).
import { readRepoFile } from './repo.ts';

export const DOCKERIGNORE = '.dockerignore';

interface Rule {
  readonly pattern: string;
  readonly regex: RegExp;
  readonly include: boolean;
}

export function dockerignoreRules(): Rule[] {
  return readRepoFile(DOCKERIGNORE)
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const include = line.startsWith('!');
      const pattern = (include ? line.slice(1) : line).replace(/^\/+/, '').replace(/\/+$/, '');
      return { pattern, regex: toRegex(pattern), include };
    });
}

/** Whether a repository-relative path is left out of the build context. */
export function isIgnored(path: string, rules: readonly Rule[] = dockerignoreRules()): boolean {
  const segments = path.split('/');
  const candidates = segments.map((_, index) => segments.slice(0, index + 1).join('/'));
  let ignored = false;
  for (const rule of rules) {
    if (candidates.some((candidate) => rule.regex.test(candidate))) ignored = !rule.include;
  }
  return ignored;
}

function toRegex(pattern: string): RegExp {
  let source = '';
  for (let index = 0; index < pattern.length; index++) {
    const char = pattern.charAt(index);
    if (pattern.startsWith('**/', index)) {
      source += '(?:.*/)?';
      index += 2;
    } else if (pattern.startsWith('**', index)) {
      source += '.*';
      index += 1;
    } else if (char === '*') source += '[^/]*';
    else if (char === '?') source += '[^/]';
    else source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}
