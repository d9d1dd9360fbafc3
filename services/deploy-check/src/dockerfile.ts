// Dockerfiles parsed with dockerfile-ast (the parser of VS Code's Docker support), split into
// build stages.
import { Copy, DockerfileParser, ModifiableInstruction, Run, type Instruction } from 'dockerfile-ast';
import { readRepoFile } from './repo.ts';

export interface Step {
  readonly keyword: string;
  /** The arguments as written, continuation lines joined. */
  readonly args: string;
  /** `--name=value` flags of COPY, RUN, HEALTHCHECK... */
  readonly flags: ReadonlyMap<string, string | null>;
  /** The contents of here-documents (`COPY <<EOF path`). */
  readonly heredocs: readonly string[];
  /** The exec form of CMD / ENTRYPOINT / HEALTHCHECK CMD, when written as a JSON array. */
  readonly execForm: readonly string[] | null;
}

export interface Stage {
  readonly image: string;
  readonly name: string | null;
  readonly steps: readonly Step[];
}

export interface ParsedDockerfile {
  readonly path: string;
  /** ARGs before the first FROM, with their defaults. */
  readonly globalArgs: ReadonlyMap<string, string>;
  readonly stages: readonly Stage[];
}

export function parseDockerfile(path: string): ParsedDockerfile {
  const source = readRepoFile(path);
  const lines = source.split('\n');
  const dockerfile = DockerfileParser.parse(source);
  const globalArgs = new Map<string, string>();
  const stages: { image: string; name: string | null; steps: Step[] }[] = [];

  for (const instruction of dockerfile.getInstructions()) {
    const keyword = instruction.getKeyword();
    const args = (instruction.getArgumentsContent() ?? '').replace(/\\\n/g, ' ');
    if (keyword === 'FROM') {
      const [image = '', as, name] = args.split(/\s+/);
      stages.push({ image, name: as?.toUpperCase() === 'AS' && name ? name : null, steps: [] });
      continue;
    }
    const stage = stages.at(-1);
    if (!stage) {
      if (keyword === 'ARG') {
        const [name = '', ...value] = args.split('=');
        globalArgs.set(name.trim(), value.join('=').trim());
      }
      continue;
    }
    stage.steps.push({
      keyword,
      args,
      flags: flagsOf(instruction),
      heredocs: heredocsOf(instruction, lines),
      execForm: execFormOf(args),
    });
  }
  return { path, globalArgs, stages };
}

/** The image a stage starts from, with `${ARG}` references to the global ARGs resolved. */
export function resolvedImage(dockerfile: ParsedDockerfile, stage: Stage): string {
  return stage.image.replace(
    /\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g,
    (match, name: string) => dockerfile.globalArgs.get(name) ?? match,
  );
}

export function finalStage(dockerfile: ParsedDockerfile): Stage {
  const stage = dockerfile.stages.at(-1);
  if (!stage) throw new Error(`${dockerfile.path}: no FROM`);
  return stage;
}

export function stepsOf(stage: Stage, keyword: string): Step[] {
  return stage.steps.filter((step) => step.keyword === keyword);
}

function flagsOf(instruction: Instruction): Map<string, string | null> {
  const flags = new Map<string, string | null>();
  if (instruction instanceof ModifiableInstruction) {
    for (const flag of instruction.getFlags()) flags.set(flag.getName(), flag.getValue());
  }
  return flags;
}

function heredocsOf(instruction: Instruction, lines: readonly string[]): string[] {
  if (!(instruction instanceof Copy || instruction instanceof Run)) return [];
  return instruction.getHeredocs().flatMap((heredoc) => {
    const range = heredoc.getContentRange();
    if (!range) return [];
    return [lines.slice(range.start.line, range.end.line + 1).join('\n')];
  });
}

function execFormOf(args: string): string[] | null {
  const json = args.replace(/^CMD\s+/, '').trim();
  if (!json.startsWith('[')) return null;
  try {
    const parsed: unknown = JSON.parse(json);
    if (!Array.isArray(parsed)) return null;
    const items: unknown[] = parsed;
    return items.every((item): item is string => typeof item === 'string') ? items : null;
  } catch {
    return null;
  }
}
