/** Epoch milliseconds (how instants are stored) to a Date, keeping null. */
export function toDate(ms: number | null): Date | null {
  return ms === null ? null : new Date(ms);
}

/** A Date to epoch milliseconds, keeping null. */
export function toMs(date: Date | null | undefined): number | null {
  return date ? date.getTime() : null;
}
