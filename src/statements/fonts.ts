import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as fontkit from 'fontkit';

/**
 * The CJK font printed statements embed: Noto Sans Hans (SIL Open Font License 1.1) from the npm
 * package @embedpdf/fonts-sc, installed with the service, never downloaded at run time. Despite the
 * package's "GB2312" label the font has 30,888 glyphs: all but 47 of the 20,992 CJK Unified Ideographs,
 * traditional forms (國 與 貧 臺 灣) included, so one font serves both scripts. Characters outside it
 * (rare Extension B ideographs) print as the font's blank glyph.
 */
export interface StatementFonts {
  regular: fontkit.Font;
  bold: fontkit.Font;
}

let loaded: StatementFonts | undefined;

function fontFile(name: string): Buffer {
  // The package exports no font paths: find its folder from its entry point.
  const entry = createRequire(import.meta.url).resolve('@embedpdf/fonts-sc');
  return readFileSync(join(dirname(entry), '..', 'fonts', name));
}

/**
 * The parsed fonts, read and parsed once per process on first use (about 0.1 s each). pdfkit takes an
 * already-created fontkit font as is (PDFFontFactory.open), so documents share these objects instead of
 * parsing 8 MB per request; each document still embeds only the glyphs it used.
 */
export function statementFonts(): StatementFonts {
  loaded ??= {
    regular: fontkit.create(fontFile('NotoSansHans-Regular.otf')) as fontkit.Font,
    bold: fontkit.create(fontFile('NotoSansHans-Bold.otf')) as fontkit.Font,
  };
  return loaded;
}
