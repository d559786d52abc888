import { createHash } from 'node:crypto';
import { createReadStream, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { categoryNames } from '../funds/chart.js';
import { fontFaceCss, fontFiles } from './fonts.js';

const PUBLIC = fileURLToPath(new URL('./public/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

// The console is a client of the public API like any other: its pages hold no data and no secret, and
// it may load nothing but its own files and talk to nothing but this service.
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

/** Every file under public/, read once at start: the set of paths served is fixed, nothing else is reachable. */
const asset = (body: Buffer, type: string): Asset => ({ body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` });

function loadAssets(): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  // The service's names of the payment categories, as a module: one list for the API and the console.
  assets.set('categories.js', asset(Buffer.from(`export const categoryNames = ${JSON.stringify(categoryNames)};\n`), TYPES['.js']!));
  // The fonts for machines without a Chinese font (./fonts.ts), with their unicode-ranges; also used by /docs.
  assets.set('fonts.css', asset(Buffer.from(fontFaceCss()), TYPES['.css']!));
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (TYPES[extname(name)]) {
        assets.set(relative(PUBLIC, path).split(sep).join('/'), asset(readFileSync(path), TYPES[extname(name)]!));
      }
    }
  };
  walk(PUBLIC);
  return assets;
}


/** The web console (控制台) under /console: static files of a small client that uses the public API. */
export const consoleRoutes: FastifyPluginAsync = async (app) => {
  const assets = loadAssets();
  const hide = { schema: { hide: true } };

  const send = (file: string) => async (request: FastifyRequest, reply: FastifyReply) => {
    const asset = assets.get(file);
    if (!asset) return reply.code(404).type('text/plain; charset=utf-8').send('Not found');
    reply.header('content-security-policy', CSP).header('cache-control', 'no-cache').header('etag', asset.etag);
    if (request.headers['if-none-match'] === asset.etag) return reply.code(304).send();
    return reply.type(asset.type).send(asset.body);
  };

  // A wildcard, not a :name parameter: the scope guard (src/http/scope.ts) knows the API's parameters only.
  // Font files straight from their packages (and the vendored BabelStone Han subset): a fixed list of
  // paths (./fonts.ts), none built from the request.
  const fonts = fontFiles();
  app.get<{ Params: { '*': string } }>('/console/fonts/*', hide, async (request, reply) => {
    const font = fonts.get(request.params['*']);
    if (!font) return reply.code(404).type('text/plain; charset=utf-8').send('Not found');
    return reply.header('cache-control', 'public, max-age=31536000, immutable').type(font.type).send(createReadStream(font.path));
  });
  // The service's front door is the console: a browser pointed at the bare address lands on it.
  app.get('/', hide, async (_request, reply) => reply.redirect('/console/', 302));
  app.get('/console', hide, async (_request, reply) => reply.redirect('/console/', 301));
  app.get('/console/', hide, send('index.html'));
  app.get<{ Params: { '*': string } }>('/console/*', hide, (request, reply) => send(request.params['*'])(request, reply));
};
