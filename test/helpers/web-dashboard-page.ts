import type { Page } from 'playwright-core';

/**
 * Reads Skadi's dashboard views (fleet, charts, job list, job page) in a page driven by
 * playwright-core, as text: what a person would see.
 */

const VIEW_OF = (hash: string): string => (/^#\/jobs\/[^?]+$/.test(hash) ? 'job-view' : hash.startsWith('#/jobs') ? 'jobs-view' : hash.startsWith('#/dashboard') ? 'dashboard-view' : 'app-view');

/** Goes to a view by its address (as a click on a link would) and waits for it to show. */
export async function openView(page: Page, hash: string): Promise<void> {
  await page.evaluate((h) => {
    location.hash = h;
  }, hash);
  await page.locator(`#${VIEW_OF(hash)}`).waitFor({ state: 'visible' });
}

export interface FleetRow {
  group: string;
  name: string;
  status: string;
  seen: string;
  jobs: string;
  version: string;
  labels: string[];
}

/** The fleet table's rows, group by group, in page order. */
export async function fleetRows(page: Page): Promise<FleetRow[]> {
  return page.locator('#fleet tr.agent-row').evaluateAll((rows) =>
    rows.map((r) => {
      const el = r as HTMLElement;
      const text = (sel: string) => el.querySelector(sel)?.textContent ?? '';
      return {
        group: el.closest('.fleet-group')?.querySelector('.group-title')?.textContent ?? '',
        name: text('.agent-name'),
        status: el.dataset.status ?? '',
        seen: text('.seen-cell'),
        jobs: text('.load-cell'),
        version: text('.version-cell'),
        labels: [...el.querySelectorAll('.chip')].map((c) => c.textContent ?? ''),
      };
    }),
  );
}

export interface JobRow {
  id: string;
  state: string;
  agent: string;
  message: string;
}

/** The job list's rows, newest first. */
export async function jobRows(page: Page): Promise<JobRow[]> {
  return page.locator('#jobs-table-body tr.job-row').evaluateAll((rows) =>
    rows.map((r) => {
      const el = r as HTMLElement;
      const cells = el.querySelectorAll('td');
      return { id: el.dataset.jobId ?? '', state: el.dataset.state ?? '', agent: cells[2]?.textContent ?? '', message: cells[3]?.textContent ?? '' };
    }),
  );
}

export interface ChartsShown {
  /** The hour's totals from the jobs chart's legend. */
  totals: Record<string, number>;
  /** Bars (minutes with at least one) per final state. */
  bars: Record<string, number>;
  /** Minutes with a latency bar. */
  latencyBars: number;
  latencySummary: string;
}

export async function dashboardCharts(page: Page): Promise<ChartsShown> {
  return page.evaluate(() => {
    const totals: Record<string, number> = {};
    for (const item of document.querySelectorAll<HTMLElement>('#chart-jobs .legend-item')) totals[item.dataset.state ?? ''] = Number(item.querySelector('strong')?.textContent);
    const bars: Record<string, number> = {};
    for (const state of ['succeeded', 'failed', 'expired', 'cancelled']) bars[state] = document.querySelectorAll(`#chart-jobs rect.bar-${state}`).length;
    return {
      totals,
      bars,
      latencyBars: document.querySelectorAll('#chart-latency rect.lat-p50').length,
      latencySummary: document.querySelector('#chart-latency .legend-summary')?.textContent ?? '',
    };
  });
}

/** A screenshot of one view, with the window as tall as the view's content (it scrolls inside the page). */
export async function screenshotView(page: Page, mainId: string, path: string): Promise<void> {
  const before = page.viewportSize() ?? { width: 1280, height: 800 };
  // No focus ring from the last thing a test typed into.
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  const height = await page.evaluate((id) => {
    const main = document.getElementById(id)!;
    const top = main.getBoundingClientRect().top;
    return Math.ceil(top + (main.firstElementChild as HTMLElement).scrollHeight) + 4;
  }, mainId);
  await page.setViewportSize({ width: before.width, height: Math.min(2400, Math.max(before.height, height)) });
  await page.screenshot({ path, fullPage: true });
  await page.setViewportSize(before);
}
