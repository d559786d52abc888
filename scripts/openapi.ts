// Regenerates openapi/openapi.json from the route schemas: `npm run openapi`.
import { mkdirSync, writeFileSync } from 'node:fs';
import { generateOpenApi } from '../src/openapi.js';

mkdirSync('openapi', { recursive: true });
writeFileSync('openapi/openapi.json', await generateOpenApi());
console.log('wrote openapi/openapi.json');
