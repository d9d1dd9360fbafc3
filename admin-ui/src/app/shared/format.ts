import { Pipe } from '@angular/core';
import type { PipeTransform } from '@angular/core';

const usd = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });

export function formatCents(cents: number | null | undefined): string {
  return cents === null || cents === undefined ? '—' : usd.format(cents / 100);
}

/** 42 → "42 s", 95 → "1 min 35 s", 7260 → "2 h 1 min". */
export function formatSeconds(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '—';
  const total = Math.round(seconds);
  if (total < 60) return `${total} s`;
  const minutes = Math.floor(total / 60);
  if (minutes < 60) {
    const rest = total % 60;
    return rest ? `${minutes} min ${rest} s` : `${minutes} min`;
  }
  const hours = Math.floor(minutes / 60);
  const restMinutes = minutes % 60;
  return restMinutes ? `${hours} h ${restMinutes} min` : `${hours} h`;
}

/** EN_ROUTE → "En route"; a sentence ("Avery Keys replied YES") is left as written. */
export function humanize(value: string): string {
  if (/\s/.test(value.trim())) return value.charAt(0).toUpperCase() + value.slice(1);
  const words = value.replace(/[_-]+/g, ' ').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

@Pipe({ name: 'cents' })
export class CentsPipe implements PipeTransform {
  transform(cents: number | null | undefined): string {
    return formatCents(cents);
  }
}

@Pipe({ name: 'seconds' })
export class SecondsPipe implements PipeTransform {
  transform(seconds: number | null | undefined): string {
    return formatSeconds(seconds);
  }
}

@Pipe({ name: 'humanize' })
export class HumanizePipe implements PipeTransform {
  transform(value: string | null | undefined): string {
    return value ? humanize(value) : '—';
  }
}
