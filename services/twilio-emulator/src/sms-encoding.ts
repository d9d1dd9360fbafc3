// How many SMS segments a body needs, the way carriers count them: GSM-7 when every
// character is in the GSM 03.38 alphabet (extension characters take two septets),
// otherwise UCS-2 counted in UTF-16 code units.

const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM_EXTENSION = '\f^{}\\[~]|€';

const basic = new Set(GSM_BASIC);
const extension = new Set(GSM_EXTENSION);

export const MAX_BODY_LENGTH = 1600;

export function countSegments(body: string): number {
  let septets = 0;
  for (const char of body) {
    if (basic.has(char)) septets += 1;
    else if (extension.has(char)) septets += 2;
    else return segmentsFor(body.length, 70, 67);
  }
  return segmentsFor(septets, 160, 153);
}

function segmentsFor(units: number, single: number, perPart: number): number {
  if (units <= single) return 1;
  return Math.ceil(units / perPart);
}
