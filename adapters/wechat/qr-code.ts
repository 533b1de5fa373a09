import { createRequire } from 'node:module';

interface QrModel {
  addData(data: string): void;
  make(): void;
  getModuleCount(): number;
  isDark(row: number, col: number): boolean;
}
type QrModelConstructor = new (typeNumber: number, errorCorrectLevel: number) => QrModel;

/** Error correction M (15 %): a code photographed off a screen survives some glare. */
const LEVEL_M = 0;
/** White border, in modules, that scanners need around the code. */
const QUIET = 2;

let constructor: QrModelConstructor | null = null;

/**
 * The QR matrix of `payload` (dark = true). qrcode-terminal, already a dependency for the
 * terminal print, carries Kazuhiko Arase's encoder; using its model directly lets the page show
 * a crisp SVG without sending the login code to an outside QR image service.
 */
export function qrMatrix(payload: string): boolean[][] {
  constructor ??= createRequire(import.meta.url)('qrcode-terminal/vendor/QRCode/index.js') as QrModelConstructor;
  const model = new constructor(-1, LEVEL_M);
  // The encoder writes one byte per char code: hand it the UTF-8 bytes as a binary string.
  model.addData(Buffer.from(payload, 'utf8').toString('latin1'));
  model.make();
  const size = model.getModuleCount();
  return Array.from({ length: size }, (_, row) => Array.from({ length: size }, (_, col) => model.isDark(row, col)));
}

/** The code as terminal text, two rows per line with half blocks (dark modules are spaces on a light frame). */
export function qrTerminalText(payload: string): string {
  const matrix = qrMatrix(payload);
  const size = matrix.length + QUIET * 2;
  const light = (row: number, col: number): boolean => {
    const r = row - QUIET;
    const c = col - QUIET;
    return r < 0 || c < 0 || r >= matrix.length || c >= matrix.length || !matrix[r]![c];
  };
  const lines: string[] = [];
  for (let row = 0; row < size; row += 2) {
    let line = '';
    for (let col = 0; col < size; col++) {
      const top = light(row, col);
      const bottom = row + 1 < size ? light(row + 1, col) : true;
      line += top && bottom ? '█' : top ? '▀' : bottom ? '▄' : ' ';
    }
    lines.push(line);
  }
  return lines.join('\n');
}

/** The code as an SVG image, one path of unit squares, scaled by the viewBox. */
export function qrSvg(payload: string, pixels = 264): string {
  const matrix = qrMatrix(payload);
  const size = matrix.length + QUIET * 2;
  let path = '';
  matrix.forEach((row, r) => row.forEach((dark, c) => {
    if (dark) path += `M${c + QUIET} ${r + QUIET}h1v1h-1z`;
  }));
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${pixels}" height="${pixels}" viewBox="0 0 ${size} ${size}" shape-rendering="crispEdges" role="img" aria-label="WeChat login QR code"><rect width="${size}" height="${size}" fill="#fff"/><path d="${path}" fill="#000"/></svg>`;
}
