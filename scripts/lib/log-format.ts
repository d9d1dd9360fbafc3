// Makes the services' JSON log lines readable in a terminal, keeping every field. Errors show as
// `Type: message`; set LOG_STACKS=1 to see their stacks too.
const SKIP = new Set(['time', 'level', 'msg', 'service', 'name', 'pid', 'hostname', 'v']);
const LEVELS: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function formatError(value: Record<string, unknown>): string {
  const head = `${String(value['type'] ?? 'Error')}: ${String(value['message'] ?? '')}`;
  const stack = process.env['LOG_STACKS'] && typeof value['stack'] === 'string' ? `\n${value['stack']}` : '';
  return head + stack;
}

export function formatLogLine(line: string): string {
  if (!line.startsWith('{')) return line;
  let record: unknown;
  try {
    record = JSON.parse(line);
  } catch {
    return line;
  }
  if (!isRecord(record)) return line;
  const rawTime = record['time'];
  const time =
    typeof rawTime === 'string'
      ? rawTime.slice(11, 19)
      : typeof rawTime === 'number'
        ? new Date(rawTime).toISOString().slice(11, 19)
        : '';
  const rawLevel = record['level'];
  const level = (
    typeof rawLevel === 'number' ? (LEVELS[rawLevel] ?? String(rawLevel)) : String(rawLevel ?? 'info')
  )
    .toUpperCase()
    .padEnd(5);
  const rest = Object.entries(record)
    .filter(([k]) => !SKIP.has(k))
    .map(
      ([k, v]) =>
        `${k}=${isRecord(v) && (k === 'err' || k === 'error') ? formatError(v) : typeof v === 'string' ? v : JSON.stringify(v)}`,
    )
    .join(' ');
  return `${time} ${level} ${String(record['msg'] ?? '')}${rest ? `  ${rest}` : ''}`;
}
