import { parseAllDocuments } from 'yaml';

/**
 * Every document of a YAML file. Merge keys (`<<: *anchor`) are resolved as Docker Compose
 * resolves them; a syntax error or a duplicate key is an error, not a silent last-one-wins.
 */
export function parseYamlDocuments(source: string, fileName: string): unknown[] {
  return parseAllDocuments(source, { merge: true, uniqueKeys: true, prettyErrors: true }).flatMap(
    (document) => {
      const problems = [...document.errors, ...document.warnings];
      if (problems.length > 0) {
        throw new Error(`${fileName}: ${problems.map((problem) => problem.message).join('; ')}`);
      }
      const value: unknown = document.toJS({ maxAliasCount: 1000 });
      return value === null || value === undefined ? [] : [value];
    },
  );
}

export function parseYaml(source: string, fileName: string): unknown {
  const [first, ...rest] = parseYamlDocuments(source, fileName);
  if (first === undefined || rest.length > 0)
    throw new Error(`${fileName}: expected exactly one YAML document`);
  return first;
}
