// Browser test of the policygraph GraphQL playground (web.Playground()),
// run against a live server with Node's test runner:
//
//   POLICYGRAPH_URL=http://127.0.0.1:8080 node --test tests/browser/
//
// Environment:
//   POLICYGRAPH_URL         required: base URL of the server; the page is ${POLICYGRAPH_URL}/
//   POLICYGRAPH_QUERY       query to run (default `{ __typename }`)
//   POLICYGRAPH_EXPECT      text the result pane must show (default `Query`)
//   POLICYGRAPH_SCREENSHOT  if set, path of a PNG screenshot taken after the query ran
//   POLICYGRAPH_TIMEOUT_MS  timeout of each wait in the page (default 30000)
//   CHROMIUM_PATH           browser binary (default /usr/bin/chromium)
//
// It fails when the page requests anything from another host (the playground
// must work offline), when the page throws or logs an error (CSP violations
// are logged as errors), when an asset fails to load, when the server does not
// answer GraphiQL's introspection query, or when the query's result does not
// contain the expected text.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];

const query = process.env.POLICYGRAPH_QUERY || '{ __typename }';
const expected = process.env.POLICYGRAPH_EXPECT || 'Query';
const screenshot = process.env.POLICYGRAPH_SCREENSHOT || '';
const timeout = Number(process.env.POLICYGRAPH_TIMEOUT_MS) || 30_000;
const executablePath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

let base; // URL of the server, without a trailing slash
let browser;
let page;
const external = []; // requests to any host but the server's
const pageErrors = []; // uncaught exceptions in the page
const consoleErrors = []; // console.error and browser-logged errors
const failedLoads = []; // requests that failed or got an HTTP error, other than GraphQL POSTs
const introspections = []; // promises of the bodies of the answers to GraphiQL's schema queries

before(async () => {
  const raw = process.env.POLICYGRAPH_URL;
  if (!raw) {
    throw new Error(
      'POLICYGRAPH_URL is not set: run this test against a running policygraph server, e.g. ' +
        'POLICYGRAPH_URL=http://127.0.0.1:8080 node --test tests/browser/',
    );
  }
  let url;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`POLICYGRAPH_URL=${JSON.stringify(raw)} is not a URL (want e.g. http://127.0.0.1:8080)`);
  }
  base = url.href.replace(/\/+$/, '');
  const host = url.host;

  if (!existsSync(executablePath)) {
    throw new Error(
      `no browser at ${executablePath}: install Chromium (apt-get install -y chromium) or set CHROMIUM_PATH`,
    );
  }
  browser = await chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS });
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  context.setDefaultTimeout(timeout);

  context.on('request', (req) => {
    const u = new URL(req.url());
    if (['data:', 'blob:', 'about:'].includes(u.protocol)) return;
    if (u.host !== host) external.push(`${req.method()} ${req.url()}`);
  });
  context.on('requestfailed', (req) => {
    failedLoads.push(`${req.method()} ${req.url()}: ${req.failure()?.errorText}`);
  });
  context.on('response', (res) => {
    const req = res.request();
    if (res.status() >= 400 && req.method() !== 'POST') {
      failedLoads.push(`${req.method()} ${res.url()}: HTTP ${res.status()}`);
    }
    if (req.method() === 'POST' && (req.postData() || '').includes('__schema')) {
      introspections.push(res.text().then((body) => ({ status: res.status(), body })));
    }
  });

  page = await context.newPage();
  page.on('pageerror', (err) => pageErrors.push(err.stack || String(err)));
  page.on('console', (msg) => {
    if (msg.type() === 'error') {
      const loc = msg.location();
      consoleErrors.push(`${msg.text()}${loc?.url ? ` (${loc.url}:${loc.lineNumber})` : ''}`);
    }
  });
});

after(async () => {
  await browser?.close();
});

test('the playground page loads and renders GraphiQL', async () => {
  const res = await page.goto(`${base}/`, { waitUntil: 'load' });
  assert.ok(res, 'no response for the playground page');
  assert.equal(res.status(), 200, `GET ${base}/ answered HTTP ${res.status()}`);
  assert.match(res.headers()['content-type'] || '', /^text\/html/);
  assert.equal(await page.title(), 'policygraph');

  await page.locator('.graphiql-container').waitFor({ state: 'visible' });
  await page.locator('.graphiql-query-editor .CodeMirror').waitFor({ state: 'visible' });
  await page.locator('.graphiql-execute-button').waitFor({ state: 'visible' });
  // The logo is replaced by the project's name.
  assert.match(await page.locator('.graphiql-logo').innerText(), /policygraph/);
});

test('GraphiQL loads the schema (introspection)', async () => {
  // GraphiQL shows "Error fetching schema" in its docs pane, and logs nothing,
  // when the server rejects its introspection query: check the answer itself.
  const deadline = Date.now() + timeout;
  while (introspections.length === 0 && Date.now() < deadline) await page.waitForTimeout(100);
  assert.ok(introspections.length > 0, `GraphiQL sent no introspection query within ${timeout} ms`);
  const { status, body } = await introspections[0];
  let json;
  try {
    json = JSON.parse(body);
  } catch {
    assert.fail(`the introspection query got HTTP ${status} and a body that is not JSON: ${body.slice(0, 500)}`);
  }
  assert.ok(
    json?.data?.__schema?.types?.length > 0 && !json.errors,
    `the server did not answer GraphiQL's introspection query (HTTP ${status}), so the playground ` +
      `has no schema (no docs, no autocompletion): ${body.slice(0, 500)}`,
  );
});

test(`the query runs and its result shows ${JSON.stringify(expected)}`, async (t) => {
  // Replace the query editor's text as a user would: select all, type.
  const editor = page.locator('.graphiql-query-editor .CodeMirror');
  await editor.click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(query);
  const text = await editor.evaluate((el) => el.CodeMirror.getValue());
  if (text !== query) {
    // The editor may re-indent typed text; what runs must be the query itself.
    t.diagnostic(`the editor turned the typed query into ${JSON.stringify(text)}; setting it directly`);
    await editor.evaluate((el, q) => el.CodeMirror.setValue(q), query);
  }

  await page.locator('.graphiql-execute-button').click();

  const result = () =>
    page.evaluate(() => document.querySelector('.graphiql-response .CodeMirror')?.CodeMirror?.getValue() ?? '');
  try {
    await page.waitForFunction(
      (want) => {
        const cm = document.querySelector('.graphiql-response .CodeMirror')?.CodeMirror;
        return Boolean(cm && cm.getValue().includes(want));
      },
      expected,
      { timeout },
    );
  } catch (err) {
    assert.fail(
      `the result pane did not show ${JSON.stringify(expected)} within ${timeout} ms; it shows:\n` +
        `${await result()}\n(${err.message.split('\n')[0]})`,
    );
  }

  if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
});

test('the page used only the server, without errors', () => {
  // One comparison, so that a failure lists every kind of problem at once.
  assert.deepEqual(
    { external, pageErrors, consoleErrors, failedLoads },
    { external: [], pageErrors: [], consoleErrors: [], failedLoads: [] },
    `the page must load everything from ${new URL(base).host} only, and run without errors`,
  );
});
