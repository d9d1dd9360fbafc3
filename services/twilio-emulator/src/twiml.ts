// Reads the <Message> verbs of a messaging TwiML reply, as Twilio does when it answers an
// inbound SMS with the app's response. Only what a messaging reply can hold is handled:
// <Message> with text or a <Body>, and its `to` / `from` / `action` (or older `statusCallback`)
// attributes: Twilio posts the reply's status callbacks to `action`.

export interface TwimlMessage {
  body: string;
  to?: string;
  from?: string;
  /** Where the reply's status callbacks go (`action`, or the older `statusCallback`). */
  statusCallback?: string;
}

const MESSAGE = /<Message\b([^>]*?)(?:\/>|>([\s\S]*?)<\/Message\s*>)/g;
const BODY = /<Body\b[^>]*>([\s\S]*?)<\/Body\s*>/;
const ATTRIBUTE = /([A-Za-z_][\w.-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;
const CDATA = /<!\[CDATA\[([\s\S]*?)\]\]>/g;

export function readTwimlMessages(xml: string): TwimlMessage[] {
  if (!/<Response\b/.test(xml)) return [];
  const messages: TwimlMessage[] = [];
  for (const match of xml.matchAll(MESSAGE)) {
    const attributes = readAttributes(match[1] ?? '');
    const inner = match[2] ?? '';
    const bodyElement = BODY.exec(inner);
    const body = textOf(bodyElement ? (bodyElement[1] ?? '') : stripNestedElements(inner));
    const message: TwimlMessage = { body };
    if (attributes.to) message.to = attributes.to;
    if (attributes.from) message.from = attributes.from;
    const callback = attributes.action ?? attributes.statusCallback;
    if (callback) message.statusCallback = callback;
    messages.push(message);
  }
  return messages;
}

function readAttributes(source: string): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const match of source.matchAll(ATTRIBUTE)) {
    const name = match[1];
    if (name) attributes[name] = decodeEntities(match[2] ?? match[3] ?? '');
  }
  return attributes;
}

// Text directly inside <Message>, without sibling verbs such as <Media>.
function stripNestedElements(inner: string): string {
  return inner.replace(/<(\w+)\b[^>]*\/>/g, '').replace(/<(\w+)\b[^>]*>[\s\S]*?<\/\1\s*>/g, '');
}

function textOf(content: string): string {
  const parts: string[] = [];
  let last = 0;
  for (const match of content.matchAll(CDATA)) {
    parts.push(decodeEntities(content.slice(last, match.index)), match[1] ?? '');
    last = match.index + match[0].length;
  }
  parts.push(decodeEntities(content.slice(last)));
  return parts.join('').trim();
}

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|amp|lt|gt|quot|apos);/g, (_, entity: string) => {
    switch (entity) {
      case 'amp':
        return '&';
      case 'lt':
        return '<';
      case 'gt':
        return '>';
      case 'quot':
        return '"';
      case 'apos':
        return "'";
      default: {
        const code = entity.startsWith('#x') ? parseInt(entity.slice(2), 16) : parseInt(entity.slice(1), 10);
        return Number.isFinite(code) && code <= 0x10ffff ? String.fromCodePoint(code) : '';
      }
    }
  });
}
