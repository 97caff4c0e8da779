// A QR code as inline SVG, built from the vendored encoder's module matrix (no markup strings).
import qrcode from '../vendor/qrcode-generator/qrcode.mjs';
import { s } from './dom.js';

const QUIET_ZONE = 4; // modules of white border a scanner needs

/** An SVG QR code of `text` (ASCII, such as an otpauth:// URI), with a text alternative. */
export function qrSvg(text, { label, size = 220 } = {}) {
  const code = qrcode(0, 'M'); // 0: the smallest version that fits
  code.addData(text, 'Byte');
  code.make();
  const count = code.getModuleCount();
  const extent = count + QUIET_ZONE * 2;
  // One path of unit squares: small, crisp at any size, and no per-module element.
  let path = '';
  for (let row = 0; row < count; row += 1) {
    for (let col = 0; col < count; col += 1) {
      if (code.isDark(row, col)) path += `M${col + QUIET_ZONE} ${row + QUIET_ZONE}h1v1h-1z`;
    }
  }
  return s(
    'svg',
    {
      class: 'qr-code',
      viewBox: `0 0 ${extent} ${extent}`,
      width: size,
      height: size,
      role: 'img',
      'aria-label': label,
      'shape-rendering': 'crispEdges',
      xmlns: 'http://www.w3.org/2000/svg',
    },
    s('rect', { width: extent, height: extent, fill: '#fff' }),
    s('path', { d: path, fill: '#000' }),
  );
}
