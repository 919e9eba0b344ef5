import { createRequire } from 'node:module'
import { renderAsync } from '@resvg/resvg-js'

// The only import of svg-captcha and resvg: a captcha's text drawn as a PNG on the server. PNG, not
// SVG, because Tor Browser's Safest mode shows no SVG. svg-captcha draws each letter as a path in
// its own font (no system font is needed) among noise lines; resvg rasterises it on libuv's thread
// pool (renderAsync), so a drawing does not hold up other requests.
type SvgCaptcha = {
  (text: string, options: Record<string, unknown>): string
  options: { font: { getPath(text: string, x: number, y: number, size: number): { toPathData(decimals?: number): string }; charToGlyphIndex(ch: string): number } }
}
const svgCaptcha = createRequire(import.meta.url)('svg-captcha') as SvgCaptcha

export const PICTURE_WIDTH = 300
export const PICTURE_HEIGHT = 100

const RENDER = { font: { loadSystemFonts: false }, background: '#ffffff', logLevel: 'off' } as const

/** A captcha's text drawn among noise, as PNG bytes. */
export async function drawPicture(text: string): Promise<Uint8Array> {
  const svg = svgCaptcha(text, { width: PICTURE_WIDTH, height: PICTURE_HEIGHT, fontSize: 90, noise: 3, color: false })
  return new Uint8Array((await renderAsync(svg, RENDER)).asPng())
}

const busy = new Map<string, Promise<Uint8Array>>()

/** Whether svg-captcha's font has every letter of `text` (it has Latin ones, no Arabic). */
export const canDraw = (text: string): boolean => [...text].every((ch) => ch === ' ' || svgCaptcha.options.font.charToGlyphIndex(ch) > 0)

/**
 * The picture sent in place of a captcha when this process draws no more for now, saying so in
 * two short lines (the caller's words, in a language the font can draw): drawn once for each.
 */
export function busyPicture(first: string, second: string): Promise<Uint8Array> {
  const key = `${first}\n${second}`
  let png = busy.get(key)
  if (!png) {
    png = (async () => {
      const font = svgCaptcha.options.font
      const line = (text: string, y: number) => `<path fill="#222" d="${font.getPath(text, 12, y, 26).toPathData(1)}"/>`
      const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${PICTURE_WIDTH}" height="${PICTURE_HEIGHT}">${line(first, 40)}${line(second, 78)}</svg>`
      return new Uint8Array((await renderAsync(svg, RENDER)).asPng())
    })()
    busy.set(key, png)
  }
  return png
}
