import type { FieldTree } from '@angular/forms/signals';

/** The message of a field's first error, for its `<mat-error>`; empty when the field is valid. */
export function firstError(field: FieldTree<unknown>): string {
  return field().errors()[0]?.message ?? '';
}
