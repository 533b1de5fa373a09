import type { Row } from '../scenarios/scenario.js';

export interface Section {
  title: string;
  /** Per stack, in column order: its rows (same labels in the same order), or an error. */
  columns: Array<Row[] | { error: string }>;
}

/** A plain-text table: one section per scenario, one column per stack, a target column. */
export function renderTable(stackLabels: string[], sections: Section[]): string {
  const lines: string[] = [];
  const labelWidth = Math.max(34, ...sections.flatMap((s) => s.columns.flatMap((c) => ('error' in c ? [] : c.map((r) => r.label.length + 3)))));
  const colWidth = Math.max(26, ...stackLabels.map((l) => l.length + 2), ...sections.flatMap((s) => s.columns.flatMap((c) => ('error' in c ? [] : c.map((r) => r.value.length + 2)))));
  const pad = (s: string, w: number) => s + ' '.repeat(Math.max(0, w - s.length));
  lines.push(pad('', labelWidth) + stackLabels.map((l) => pad(l, colWidth)).join('') + 'target');
  for (const section of sections) {
    lines.push('');
    lines.push(section.title);
    const template = section.columns.find((c): c is Row[] => !('error' in c)) ?? [];
    if (template.length === 0) lines.push(`  ${section.columns.map((c) => ('error' in c ? `failed: ${c.error}` : '')).join(' | ')}`);
    template.forEach((row, i) => {
      let target = '';
      const cells = section.columns.map((c) => {
        if ('error' in c) return i === 0 ? 'failed (see JSON)' : '';
        const r = c[i];
        if (r?.target) target += `${target ? ' ' : ''}${r.target.met ? 'met' : 'MISSED'}`;
        return r?.value ?? '';
      });
      const targetText = row.target ? `${row.target.text}: ${target}` : '';
      lines.push(pad(`  ${row.label}`, labelWidth) + cells.map((c) => pad(c, colWidth)).join('') + targetText);
    });
  }
  return lines.join('\n');
}
