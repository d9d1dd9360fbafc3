// The HTML part of an email, built from its plain text: every piece of text is escaped, so a name or a
// description typed by a homeowner can never become markup in a plumber's mail client.

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text safe to put inside HTML elements and quoted attributes. */
export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);

const URL_PATTERN = /\bhttps?:\/\/[^\s<>"']+/g;

/** One line of text as HTML: escaped, with its http(s) links made clickable (the href escaped too). */
function lineToHtml(line: string): string {
  let html = '';
  let last = 0;
  for (const match of line.matchAll(URL_PATTERN)) {
    const url = match[0];
    html += escapeHtml(line.slice(last, match.index));
    html += `<a href="${escapeHtml(url)}">${escapeHtml(url)}</a>`;
    last = match.index + url.length;
  }
  return html + escapeHtml(line.slice(last));
}

/**
 * A simple HTML part for a plain-text email: a blank line starts a paragraph, a line break stays a line
 * break, links are clickable, everything else is the text itself, escaped.
 */
export function htmlFromText(text: string, options: { heading?: string } = {}): string {
  const paragraphs = text
    .replace(/\r\n/g, '\n')
    .split(/\n\s*\n/)
    .map((p) => p.trim())
    .filter((p) => p.length > 0)
    .map((p) => `<p style="margin:0 0 16px">${p.split('\n').map(lineToHtml).join('<br>')}</p>`);
  const heading =
    options.heading === undefined
      ? ''
      : `<h1 style="font-size:20px;margin:0 0 16px">${escapeHtml(options.heading)}</h1>`;
  return [
    '<!doctype html>',
    '<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"></head>',
    '<body style="font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;font-size:16px;line-height:1.5;color:#1f2937;margin:0;padding:24px">',
    '<div style="max-width:560px;margin:0 auto">',
    heading,
    ...paragraphs,
    '<p style="margin:24px 0 0;font-size:13px;color:#6b7280">Trades Marketplace</p>',
    '</div></body></html>',
  ].join('\n');
}
