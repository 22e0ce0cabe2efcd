// browser_test.mjs - drive Debian's chromium through the self-service page,
// the article view and the ticket-form widget of a running deskdex-server.
//
// Usage: DESKDEX_URL=http://127.0.0.1:PORT node tests/browser/browser_test.mjs
// Environment: CHROMIUM (default /usr/bin/chromium), OUT (screenshots,
// default tests/out/browser), TEST_FILTER (run tests whose name contains it),
// DESKDEX_EDITOR_KEY and DESKDEX_AGENT_KEY (keys of the server's keys file,
// for the analytics and editor tests; run.sh makes both), UPDATE_SCREENSHOTS
// (set: also refresh docs/screenshots/editor.png).
// The last line printed is always "tests: N passed, N failed".

import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const BASE = (process.env.DESKDEX_URL || 'http://127.0.0.1:8080').replace(/\/$/, '');
const OUT = process.env.OUT || 'tests/out/browser';
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const FILTER = process.env.TEST_FILTER || '';
const EDITOR_KEY = process.env.DESKDEX_EDITOR_KEY || '';
const AGENT_KEY = process.env.DESKDEX_AGENT_KEY || '';
const DOCS_SHOTS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs', 'screenshots');
const TEST_TIMEOUT_MS = 25000; // one test, setup and screenshots included
const SUITE_TIMEOUT_MS = 90000; // everything: the suite must never hang
const WAIT_MS = 8000; // any single wait for the page

const VPN_FIRST = ['faq-vpn-keeps-disconnecting', 'vpn-guide:keeps-disconnecting'];
const HAN = /[\u3400-\u9fff]/;

let passed = 0;
let failed = 0;
let finished = false;

function finish(code) {
    if (finished) return;
    finished = true;
    console.log(`tests: ${passed} passed, ${failed} failed`);
    process.exitCode = code;
}

// --- a tiny runner ---

const tests = [];
function test(name, fn) {
    tests.push({ name, fn });
}

function withTimeout(promise, ms, what) {
    let timer;
    return Promise.race([
        promise,
        new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
        }),
    ]).finally(() => clearTimeout(timer));
}

/* A fresh context and page per test; console errors, page errors and CSP
 * reports are collected and must stay empty. */
async function newPage(browser) {
    const context = await browser.newContext({
        viewport: { width: 1280, height: 860 },
        locale: 'en-GB',
        colorScheme: 'light',
    });
    context.setDefaultTimeout(WAIT_MS);
    const page = await context.newPage();
    const problems = [];
    const watch = (p) => {
        p.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
        p.on('console', (m) => {
            if (m.type() === 'error') problems.push(`console: ${m.text()}`);
        });
    };
    watch(page);
    context.on('page', watch);
    return { context, page, problems };
}

async function shot(page, name, opts = {}) {
    await page.screenshot({ path: join(OUT, `${name}.png`), timeout: WAIT_MS, ...opts });
}

// --- helpers ---

async function search(page, q) {
    await page.goto(`${BASE}/`);
    await page.fill('#q', q);
    await page.press('#q', 'Enter');
    await page.waitForFunction(
        () => document.querySelector('#results')?.getAttribute('aria-busy') !== 'true' &&
            document.querySelector('#results li') !== null,
        null, { timeout: WAIT_MS });
}

async function resultIds(page) {
    return page.$$eval('#results li.result', (els) => els.map((e) => e.dataset.id));
}

async function openDoc(page, id, version) {
    await page.goto(`${BASE}/#/doc/${encodeURIComponent(id)}${version ? `?v=${version}` : ''}`);
    await page.waitForFunction(
        () => !document.querySelector('#view-doc').hidden &&
            document.querySelector('#view-doc').getAttribute('aria-busy') !== 'true' &&
            document.querySelector('#doc-version').textContent !== '',
        null, { timeout: WAIT_MS });
}

// The server's JSON API from Node, with the editor key unless told
// otherwise (key: '' for an anonymous call).
async function apiJson(path, { key = EDITOR_KEY, method = 'GET', body } = {}) {
    assert.ok(EDITOR_KEY, 'DESKDEX_EDITOR_KEY is set (run.sh makes one)');
    const headers = { Accept: 'application/json' };
    if (key) headers.Authorization = `Bearer ${key}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const r = await fetch(`${BASE}${path}`, {
        method, headers, body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(WAIT_MS),
    });
    const j = await r.json().catch(() => ({}));
    if (!r.ok) throw new Error(`${method} ${path} answered ${r.status}: ${JSON.stringify(j)}`);
    return j;
}

// Poll until fn() gives something truthy: the analytics log is read
// afresh by every report, so a count shows once its event is written.
async function until(fn, what) {
    const end = Date.now() + WAIT_MS;
    while (Date.now() < end) {
        const v = await fn();
        if (v) return v;
        await new Promise((res) => setTimeout(res, 100));
    }
    throw new Error(`${what}: still not so after ${WAIT_MS} ms`);
}

const isEvent = (type) => (r) => r.url() === `${BASE}/v1/events` && r.method() === 'POST' &&
    JSON.parse(r.postData() || '{}').type === type;

async function editorLogin(page, key = EDITOR_KEY) {
    await page.goto(`${BASE}/editor`);
    await page.fill('#key', key);
    await page.press('#key', 'Enter');
}

async function editorReady(page) {
    await page.waitForFunction(() => !document.querySelector('#view-dash').hidden &&
        document.querySelector('#view-dash').getAttribute('aria-busy') !== 'true',
        null, { timeout: WAIT_MS });
}

// The cells of the table row whose heading cell is text.
async function tableRow(page, box, text) {
    return page.$$eval(`${box} tbody tr`, (rows, t) => {
        const r = rows.find((tr) => tr.querySelector('th').textContent.trim() === t);
        return r ? Array.from(r.children).map((c) => c.textContent.trim()) : null;
    }, text);
}

// --- the tests ---

test('search: "vpn keeps disconnecting" puts the VPN article first', async ({ page }) => {
    await page.goto(`${BASE}/`);
    await page.waitForSelector('label[for="q"]');
    await page.click('#q');
    await page.keyboard.type('vpn keeps disconnecting', { delay: 15 });
    await page.keyboard.press('Enter'); // no option picked: a full search
    await page.waitForSelector('#results li.result');
    const ids = await resultIds(page);
    assert.ok(VPN_FIRST.includes(ids[0]), `first result is ${ids[0]}`);
    const first = page.locator('#results li.result').first();
    assert.match(await first.locator('.badge').textContent(), /guide|faq/i);
    assert.ok(await first.locator('.snippet mark').count() > 0, 'snippet highlights matches');
    assert.ok(await first.locator('.result-title mark').count() > 0, 'title highlights matches');
    assert.match(await first.locator('time').textContent(), /^Updated /);
    assert.match(await page.textContent('#status'), /\d+ results? for “vpn keeps disconnecting”/);
    assert.equal(await page.getAttribute('#status', 'aria-live'), 'polite');
    assert.match(page.url(), /#\/search\?q=vpn/);
    await shot(page, 'search-results');
    await page.setViewportSize({ width: 390, height: 844 });
    await shot(page, 'search-results-narrow');
});

test('search: a manual\'s sections come together under its best one', async ({ page }) => {
    const q = 'printer drivers windows';
    const [searched] = await Promise.all([
        page.waitForResponse((r) => r.url().startsWith(`${BASE}/v1/search?`)),
        search(page, q),
    ]);
    assert.match(searched.url(), /[?&]group=1(&|$)/, 'the page asks for group=1');
    const items = await page.$$eval('#results li.result', (els) => els.map((e) => ({
        id: e.dataset.id, parent: e.dataset.parent || '', more: e.classList.contains('result-more'),
    })));
    const more = items.filter((it) => it.more);
    assert.ok(more.length >= 1, JSON.stringify(items));
    items.forEach((it, i) => {
        if (it.more) {
            assert.ok(i > 0 && it.parent && items[i - 1].parent === it.parent,
                `${it.id} continues the article above it: ${JSON.stringify(items)}`);
        }
    });
    // Plain search interleaves the manual's first two sections with other
    // hits; the page shows them together.
    const plain = (await apiJson(`/v1/search?q=${encodeURIComponent(q)}&facets=0`, { key: '' })).results;
    const top = plain.find((r) => r.parent);
    const next = plain.filter((r) => r.parent === top.parent)[1];
    assert.ok(plain.indexOf(next) - plain.indexOf(top) > 1, 'plain order interleaves');
    const at = items.findIndex((it) => it.id === top.id);
    assert.equal(items[at + 1].id, next.id);
    assert.ok(items[at + 1].more);
    await shot(page, 'search-grouped');
});

test('type-ahead: suggestions appear while typing and work with the keyboard', async ({ page }) => {
    await page.goto(`${BASE}/`);
    await page.click('#q');
    await page.keyboard.type('vpn disconn', { delay: 40 });
    const list = page.locator('#suggestions');
    await list.waitFor({ state: 'visible' });
    // A slow machine may pause between keys long enough for the list of a
    // shorter text to show first; the keys below are for the whole text's.
    await page.waitForFunction(() => {
        const all = document.querySelector('#suggestions .suggestion-all');
        return !!all && all.textContent.includes('\u201cvpn disconn\u201d');
    }, null, { timeout: WAIT_MS });
    assert.equal(await list.getAttribute('role'), 'listbox');
    assert.equal(await page.getAttribute('#q', 'aria-expanded'), 'true');
    const options = list.locator('[role="option"][data-id]');
    await options.first().waitFor();
    assert.ok(await options.count() >= 1, 'at least one suggestion');
    const ids = await options.evaluateAll((els) => els.map((e) => e.dataset.id));
    assert.ok(ids.some((id) => VPN_FIRST.includes(id)), `suggestions: ${ids.join(', ')}`);

    await page.keyboard.press('ArrowDown');
    const active = await page.getAttribute('#q', 'aria-activedescendant');
    assert.ok(active, 'ArrowDown sets aria-activedescendant');
    assert.equal(await page.getAttribute(`#${active}`, 'aria-selected'), 'true');
    await shot(page, 'typeahead');

    await page.keyboard.press('Escape');
    await list.waitFor({ state: 'hidden' });
    assert.equal(await page.getAttribute('#q', 'aria-expanded'), 'false');
    assert.equal(await page.inputValue('#q'), 'vpn disconn', 'Escape keeps the text');

    // ArrowDown reopens; Enter on the active option opens that article.
    await page.keyboard.press('ArrowDown');
    await options.first().waitFor();
    await page.keyboard.press('ArrowDown');
    const chosen = await page.$eval('#suggestions [aria-selected="true"]', (e) => e.dataset.id);
    await page.keyboard.press('Enter');
    await page.waitForFunction((id) => location.hash === `#/doc/${encodeURIComponent(id)}`,
        chosen, { timeout: WAIT_MS });
    await page.waitForFunction(() => document.querySelector('#doc-title').textContent !== '',
        null, { timeout: WAIT_MS });
});

test('article: a result opens with its version, text and history', async ({ page }) => {
    await search(page, 'vpn keeps disconnecting');
    // The manual's section (a page of several paragraphs), wherever it is.
    const link = page.locator('#results li.result[data-parent] .result-title a').first();
    const title = (await link.textContent()).trim();
    await link.click();
    await page.waitForFunction(() => /^Version \d+$/.test(
        document.querySelector('#doc-version').textContent), null, { timeout: WAIT_MS });
    assert.equal((await page.textContent('#doc-title')).trim(), title);
    assert.equal(await page.textContent('#doc-version'), 'Version 1');
    assert.match(await page.textContent('#doc-updated'), /^Updated /);
    assert.match(await page.textContent('#doc-body'), /tunnel mode/i);
    assert.ok(await page.locator('#doc-body p, #doc-body li').count() >= 2, 'paragraphs kept');
    assert.equal(await page.locator('#history li').count(), 1);
    assert.match(await page.textContent('#history'), /Version 1.*current/s);
    assert.equal(await page.getAttribute('#back-link', 'href'),
        '#/search?q=vpn+keeps+disconnecting');
    assert.equal(await page.title(), `${title} · IT Help Center`);
    await shot(page, 'article', { fullPage: true });
});

test('feedback: "Yes" posts and the helpful count goes up', async ({ page }) => {
    await openDoc(page, 'faq-vpn-keeps-disconnecting');
    assert.equal(await page.textContent('#feedback-q'), 'Was this helpful?');
    const before = Number(await page.textContent('#fb-helpful'));
    const notBefore = Number(await page.textContent('#fb-not-helpful'));
    const [resp] = await Promise.all([
        page.waitForResponse((r) => r.url().endsWith('/feedback') && r.request().method() === 'POST'),
        page.click('#fb-yes'),
    ]);
    assert.equal(resp.status(), 200);
    const sent = JSON.parse(resp.request().postData());
    assert.equal(sent.helpful, true);
    await page.waitForFunction((n) => Number(document.querySelector('#fb-helpful').textContent) === n,
        before + 1, { timeout: WAIT_MS });
    assert.equal(Number(await page.textContent('#fb-not-helpful')), notBefore);
    assert.ok(await page.isDisabled('#fb-yes'), 'one vote per visit');
    assert.equal(await page.getAttribute('#fb-yes', 'aria-pressed'), 'true');
    assert.ok(await page.isVisible('#fb-thanks'));
    await shot(page, 'feedback', { fullPage: true });
});

test('versions: the history lists both versions and loads the old one', async ({ page }) => {
    await openDoc(page, 'faq-test-history');
    assert.equal(await page.textContent('#doc-version'), 'Version 2');
    assert.match(await page.textContent('#doc-body'), /every two weeks/);
    assert.ok(await page.isHidden('#doc-old'));
    const items = page.locator('#history li');
    assert.equal(await items.count(), 2);
    await page.click('#history a[data-version="1"]');
    await page.waitForFunction(() => document.querySelector('#doc-version').textContent === 'Version 1',
        null, { timeout: WAIT_MS });
    assert.match(page.url(), /#\/doc\/faq-test-history\?v=1$/);
    assert.match(await page.textContent('#doc-body'), /once a month/);
    assert.ok(await page.isVisible('#doc-old'), 'old-version notice');
    assert.match(await page.textContent('#doc-old'), /current version \(2\)/);
    assert.ok(await page.isHidden('#feedback'), 'no votes on old versions');
    assert.equal(await page.getAttribute('#history a[data-version="1"]', 'aria-current'), 'page');
    await shot(page, 'version-history');
    await page.click('#doc-old a');
    await page.waitForFunction(() => document.querySelector('#doc-version').textContent === 'Version 2',
        null, { timeout: WAIT_MS });
});

test('widget: the demo ticket form shows related articles in a shadow root', async ({ page, context }) => {
    // Record the globals before any page script runs, to catch leaks.
    await page.addInitScript(() => {
        Object.defineProperty(window, '__ddBefore', {
            value: Object.getOwnPropertyNames(window), enumerable: false,
        });
    });
    await page.goto(`${BASE}/demo/ticket-form`);
    await page.fill('#subject', 'VPN keeps disconnecting');
    await page.click('#description');
    await page.keyboard.type('GlobalConnect drops every few min', { delay: 20 });
    const links = page.locator('.deskdex-related a[href*="/#/doc/"]');
    await links.first().waitFor();
    const n = await links.count();
    assert.ok(n >= 1 && n <= 5, `${n} related articles`);
    const hrefs = await links.evaluateAll((els) => els.map((a) => a.href));
    assert.ok(hrefs.every((h) => h.startsWith(`${BASE}/#/doc/`)), hrefs.join(' '));
    assert.ok(VPN_FIRST.some((id) => hrefs.includes(`${BASE}/#/doc/${encodeURIComponent(id)}`)),
        `VPN article among ${hrefs.join(' ')}`);
    assert.equal(await links.first().getAttribute('target'), '_blank');

    const info = await page.evaluate(() => {
        const host = document.querySelector('.deskdex-related');
        const a = host.shadowRoot.querySelector('a');
        const box = host.shadowRoot.querySelector('.box');
        const leaked = Object.getOwnPropertyNames(window)
            .filter((k) => !window.__ddBefore.includes(k) && k !== '__ddBefore');
        return {
            inTarget: host.parentElement.id,
            shadow: !!host.shadowRoot,
            decoration: getComputedStyle(a).textDecorationLine,
            weight: getComputedStyle(a).fontWeight,
            radius: getComputedStyle(box).borderTopLeftRadius,
            leaked,
            hostLinks: getComputedStyle(document.querySelector('.portal-bar a')).fontWeight,
        };
    });
    assert.equal(info.shadow, true);
    assert.equal(info.inTarget, 'related-here', 'rendered in data-deskdex-target');
    assert.equal(info.decoration, 'none', 'host page a{} rules do not reach the widget');
    assert.equal(info.radius, '12px', 'the widget stylesheet applies under our CSP');
    assert.deepEqual(info.leaked, ['deskdexWidget'], 'only window.deskdexWidget is added');

    await shot(page, 'widget', { fullPage: true });

    // A click opens the article in a new tab.
    // The widget may re-render once more as the last keystroke's answer
    // lands (slow under the sanitizers): take the link actually clicked.
    await page.waitForLoadState('networkidle');
    const clicked = await links.first().evaluate((a) => a.href);
    const [tab] = await Promise.all([context.waitForEvent('page'), links.first().click()]);
    await tab.waitForLoadState('domcontentloaded');
    await tab.waitForFunction(() => /^Version \d+$/.test(
        document.querySelector('#doc-version')?.textContent || ''), null, { timeout: WAIT_MS });
    assert.equal(tab.url(), clicked);
    await tab.close();
});

test('Chinese: "VPN 连接不上" and "忘记密码怎么办" show Chinese answers', async ({ page }) => {
    await search(page, 'VPN 连接不上');
    let first = page.locator('#results li.result').first();
    assert.equal(await first.getAttribute('lang'), 'zh');
    assert.match(await first.locator('.result-title').textContent(), /连接不上/);
    assert.ok(HAN.test(await first.locator('.snippet').textContent()));
    await shot(page, 'chinese-vpn');

    await search(page, '忘记密码怎么办');
    first = page.locator('#results li.result').first();
    assert.equal(await first.getAttribute('lang'), 'zh');
    assert.match(await first.locator('.result-title').textContent(), /忘记密码/);
    const zhCount = await page.$$eval('#results li.result[lang="zh"]', (e) => e.length);
    assert.ok(zhCount >= 3, `${zhCount} Chinese results`);
    await first.locator('.result-title a').click();
    await page.waitForFunction(() => /^Version \d+$/.test(
        document.querySelector('#doc-version').textContent), null, { timeout: WAIT_MS });
    assert.equal(await page.getAttribute('#view-doc', 'lang'), 'zh');
    assert.ok(HAN.test(await page.textContent('#doc-body')));
    await shot(page, 'chinese-article', { fullPage: true });
});

test('escaping: a document with <script> shows it as text and runs nothing', async ({ page }) => {
    await search(page, 'zebrafish');
    const ids = await resultIds(page);
    assert.equal(ids[0], 'faq-test-script-tag');
    const first = page.locator('#results li.result').first();
    assert.match(await first.locator('.result-title').textContent(), /<b>zebrafish<\/b>/i);
    assert.equal(await first.locator('.result-title b').count(), 0);
    await shot(page, 'escaping-results');

    await first.locator('.result-title a').click();
    await page.waitForFunction(() => document.querySelector('#doc-version').textContent !== '',
        null, { timeout: WAIT_MS });
    const body = await page.textContent('#doc-body');
    assert.ok(body.includes('<script>window.__xss=1</script>'), body);
    assert.ok(body.includes('<img src=x onerror="window.__xss=2">'), body);
    assert.ok(body.includes('copy the text & send it'), 'ampersand kept');
    assert.equal(await page.textContent('#doc-title'),
        'Why does the <b>zebrafish</b> form show a script tag?');
    assert.match(await page.textContent('#doc-tags'), /<i>markup<\/i>/);
    assert.equal(await page.locator('#view-doc script, #view-doc img, #view-doc b, #view-doc i').count(), 0);

    // The related list and the widget get the same text.
    await page.goto(`${BASE}/demo/ticket-form`);
    await page.fill('#subject', 'zebrafish form');
    await page.locator('.deskdex-related a').first().waitFor();
    const w = await page.evaluate(() => {
        const root = document.querySelector('.deskdex-related').shadowRoot;
        return { text: root.textContent, tags: root.querySelectorAll('script, img, b').length };
    });
    assert.ok(w.text.includes('<b>zebrafish</b>') || w.text.includes('<script>'), w.text);
    assert.equal(w.tags, 0);
    await page.waitForTimeout(300); // give any injected handler a chance to fire
    assert.equal(await page.evaluate(() => typeof window.__xss), 'undefined');
    await page.goBack();
    await page.waitForFunction(() => document.querySelector('#doc-version')?.textContent !== '',
        null, { timeout: WAIT_MS });
    assert.equal(await page.evaluate(() => typeof window.__xss), 'undefined');
    await shot(page, 'escaping-article');
});

test('did you mean: a misspelt query says what it searched', async ({ page }) => {
    await search(page, 'vpm disconecting');
    assert.ok(await page.isVisible('#dym'));
    assert.match(await page.textContent('#dym'), /^Showing results for .*vpn.*you searched for “vpm disconecting”/);
    const ids = await resultIds(page);
    assert.ok(ids.slice(0, 3).some((id) => VPN_FIRST.includes(id)), ids.join(' '));
});

test('filters: the FAQ facet keeps only FAQs, and removing it restores all', async ({ page }) => {
    await search(page, 'password');
    const total = await page.textContent('#status');
    await page.click('#filters a.facet-link:has-text("FAQs")');
    await page.waitForFunction(() => location.hash.includes('kind=faq') &&
        document.querySelector('#results').getAttribute('aria-busy') !== 'true', null, { timeout: WAIT_MS });
    await page.waitForSelector('#results li.result');
    const kinds = await page.$$eval('#results li.result .badge', (e) => e.map((b) => b.textContent));
    assert.ok(kinds.length > 0 && kinds.every((k) => k === 'FAQ'), kinds.join(' '));
    assert.equal(await page.getAttribute('#filters a.facet-link.on', 'aria-current'), 'true');
    await shot(page, 'filters');
    await page.click('#filters a.facet-link.on');
    await page.waitForFunction(() => !location.hash.includes('kind='), null, { timeout: WAIT_MS });
    await page.waitForFunction((t) => document.querySelector('#status').textContent === t,
        total, { timeout: WAIT_MS });
});

test('not found and no results are explained, not blank', async (ctx) => {
    const { page } = ctx;
    ctx.allow = /status of 404/; // the unknown article's own request
    await page.goto(`${BASE}/#/doc/${encodeURIComponent('no-such-article:really')}`);
    await page.waitForFunction(() => document.querySelector('#doc-title').textContent !== '',
        null, { timeout: WAIT_MS });
    assert.equal(await page.textContent('#doc-title'), 'Article not found');
    await search(page, 'qqxxzzqqwwvv');
    assert.match(await page.textContent('#status'), /^No results for/);
    assert.match(await page.textContent('#results'), /No articles match/);
});

test('analytics: opening a search result records a click at its position', async ({ page }) => {
    const q = 'outlook not syncing';
    const before = await apiJson('/v1/analytics/ctr?days=1');
    await page.goto(`${BASE}/`);
    await page.fill('#q', q);
    const [searched] = await Promise.all([
        page.waitForResponse((r) => r.url().startsWith(`${BASE}/v1/search?`)),
        page.press('#q', 'Enter'),
    ]);
    const qid = (await searched.json()).query_id;
    assert.match(qid, /^[0-9a-f]{16}$/, 'the search answer carries a query_id');
    await page.waitForSelector('#results li.result');
    const ids = await resultIds(page);
    assert.ok(ids.length >= 2, `${ids.length} results`);

    // Open the second result: position 2, fire-and-forget.
    const [sent] = await Promise.all([
        page.waitForRequest(isEvent('click')),
        page.locator('#results li.result .result-title a').nth(1).click(),
    ]);
    assert.deepEqual(JSON.parse(sent.postData()),
        { type: 'click', query_id: qid, id: ids[1], position: 2 });
    assert.equal((await sent.response()).status(), 202);
    await page.waitForFunction(() => /^Version \d+$/.test(
        document.querySelector('#doc-version').textContent), null, { timeout: WAIT_MS });

    const after = await until(async () => {
        const c = await apiJson('/v1/analytics/ctr?days=1');
        return c.searches_clicked > before.searches_clicked && c;
    }, 'the click is counted');
    assert.equal(after.searches_clicked, before.searches_clicked + 1);
    assert.equal(after.by_position[1].clicks, before.by_position[1].clicks + 1, 'position 2');
    assert.equal(after.by_position[0].clicks, before.by_position[0].clicks, 'not position 1');
    const top = await apiJson('/v1/analytics/top-queries?days=1&limit=100');
    const row = top.queries.find((r) => r.query === q);
    assert.ok(row && row.clicked >= 1 && row.count >= 1, JSON.stringify(row));

    // A vote on the article opened from the results carries the same query_id.
    const [vote] = await Promise.all([
        page.waitForRequest((r) => r.url().endsWith('/feedback') && r.method() === 'POST'),
        page.click('#fb-yes'),
    ]);
    assert.deepEqual(JSON.parse(vote.postData()), { helpful: true, query_id: qid });
    assert.equal((await vote.response()).status(), 200);
});

test('analytics: a click in an article\'s related list is recorded against that list', async ({ page }) => {
    const [rel] = await Promise.all([
        page.waitForResponse((r) => r.url().startsWith(`${BASE}/v1/related?`)),
        openDoc(page, 'faq-wifi-connect'),
    ]);
    const listed = await rel.json();
    await page.waitForSelector('#related-card:not([hidden]) #related li a', { timeout: WAIT_MS });
    const shown = listed.results.filter((r) => r.id !== 'faq-wifi-connect');
    const [sent] = await Promise.all([
        page.waitForRequest(isEvent('click')),
        page.locator('#related li a').first().click(),
    ]);
    assert.deepEqual(JSON.parse(sent.postData()),
        { type: 'click', query_id: listed.query_id, id: shown[0].id, position: 1 });
    assert.equal((await sent.response()).status(), 202);
    await page.waitForFunction((id) => location.hash.includes(encodeURIComponent(id)),
        shown[0].id, { timeout: WAIT_MS });
});

test('analytics: the widget reports its session, the article opened and the ticket sent', async ({ page, context }) => {
    const d0 = await apiJson('/v1/analytics/deflection?days=1');

    // One visit: type, open an article, then send the ticket anyway.
    await page.goto(`${BASE}/demo/ticket-form`);
    const [related] = await Promise.all([
        page.waitForRequest((r) => r.url().startsWith(`${BASE}/v1/related?`)),
        page.fill('#subject', 'Printer shows offline'),
    ]);
    const sid = new URL(related.url()).searchParams.get('session');
    assert.match(sid, /^[0-9a-f]{32}$/, 'a random session per page load');
    assert.equal(await page.evaluate(() => window.deskdexWidget.session), sid);
    await page.fill('#description', 'The office printer says offline since this morning');
    const links = page.locator('.deskdex-related a[href*="/#/doc/"]');
    await links.first().waitFor();
    await page.waitForLoadState('networkidle');
    const firstId = await links.first().getAttribute('data-id');
    const [click, tab] = await Promise.all([
        page.waitForRequest(isEvent('click')),
        context.waitForEvent('page'),
        links.first().click(),
    ]);
    const ev = JSON.parse(click.postData());
    assert.equal(ev.session, sid);
    assert.equal(ev.id, firstId);
    assert.equal(ev.position, 1);
    assert.match(ev.query_id, /^[0-9a-f]{16}$/);
    assert.equal((await click.response()).status(), 202);
    await tab.close();
    const [submit] = await Promise.all([
        page.waitForRequest(isEvent('submit')),
        page.click('#ticket-form button[type="submit"]'),
    ]);
    assert.deepEqual(JSON.parse(submit.postData()), { type: 'submit', session: sid });
    assert.equal((await submit.response()).status(), 202);
    assert.match(await page.textContent('#form-status'), /would now be sent/);
    assert.equal(await page.evaluate(() => window.deskdexWidget.submitted()), false,
        'a session reports its submission once');

    const d1 = await until(async () => {
        const d = await apiJson('/v1/analytics/deflection?days=1');
        return d.submitted > d0.submitted && d;
    }, 'the submission is counted');
    assert.equal(d1.sessions, d0.sessions + 1);
    assert.equal(d1.opened_article, d0.opened_article + 1);
    assert.equal(d1.submitted, d0.submitted + 1);
    assert.equal(d1.deflected, d0.deflected, 'opened an article but still sent a ticket');
    assert.equal(d1.submission_reported, true);

    // A second visit opens an article and leaves without a ticket: deflected.
    const other = await context.newPage();
    await other.goto(`${BASE}/demo/ticket-form`);
    await other.fill('#subject', 'VPN keeps disconnecting');
    await other.locator('.deskdex-related a[href*="/#/doc/"]').first().waitFor();
    await other.waitForLoadState('networkidle');
    const sid2 = await other.evaluate(() => window.deskdexWidget.session);
    assert.notEqual(sid2, sid);
    const [click2, tab2] = await Promise.all([
        other.waitForRequest(isEvent('click')),
        context.waitForEvent('page'),
        other.locator('.deskdex-related a[href*="/#/doc/"]').first().click(),
    ]);
    assert.equal(JSON.parse(click2.postData()).session, sid2);
    await click2.response();
    await tab2.close();
    await other.close();
    const d2 = await until(async () => {
        const d = await apiJson('/v1/analytics/deflection?days=1');
        return d.opened_article > d1.opened_article && d;
    }, 'the second visit is counted');
    assert.equal(d2.sessions, d1.sessions + 1);
    assert.equal(d2.submitted, d1.submitted);
    assert.equal(d2.deflected, d1.deflected + 1);
    assert.ok(Math.abs(d2.rate - d2.deflected / d2.opened_article) < 0.001, JSON.stringify(d2));
});

test('editor: the reports show a batch of searches, gaps, stale articles and charts', async ({ page }) => {
    const nonsense = 'zorbleflax quintopod';
    const busy = 'shared mailbox access';
    const count = async (q) => {
        const t = await apiJson('/v1/analytics/top-queries?days=30&limit=100');
        return (t.queries.find((r) => r.query === q) || { count: 0 }).count;
    };
    const busyBefore = await count(busy);
    const nonsenseBefore = await count(nonsense);
    for (let i = 0; i < 6; i++) {
        const r = await apiJson(`/v1/search?q=${encodeURIComponent(busy)}`, { key: '' });
        assert.ok(r.total > 0);
        if (i < 5) {
            const z = await apiJson(`/v1/search?q=${encodeURIComponent(nonsense)}`, { key: '' });
            assert.equal(z.total, 0, 'the nonsense query finds nothing');
        }
    }
    for (const helpful of [true, true, false])
        await apiJson('/v1/documents/faq-printer-offline/feedback',
            { key: '', method: 'POST', body: { helpful } });

    await page.goto(`${BASE}/editor`);
    assert.equal(await page.textContent('label[for="key"]'), 'Editor key');
    assert.equal(await page.getAttribute('#key', 'type'), 'password');
    await editorLogin(page);
    await editorReady(page);
    const summary = await apiJson('/v1/analytics/summary?days=30&limit=20');

    // Headline numbers agree with the API.
    assert.equal(await page.textContent('#stat-searches'),
        summary.ctr.searches.toLocaleString('en-GB'));
    assert.match(await page.textContent('#stat-ctr'), /^\d+(\.\d)?%$/);
    assert.match(await page.textContent('#stat-zero'), /^\d+(\.\d)?%$/);
    assert.match(await page.textContent('#stat-deflect'), /^\d+(\.\d)?%$/);

    // Top queries and zero-result queries, with their counts.
    assert.deepEqual((await tableRow(page, '#top-queries', busy)).slice(0, 3),
        [busy, String(busyBefore + 6), '0']);
    assert.deepEqual((await tableRow(page, '#top-queries', nonsense)).slice(0, 3),
        [nonsense, String(nonsenseBefore + 5), String(nonsenseBefore + 5)]);
    assert.ok(await tableRow(page, '#zero-queries', nonsense), 'listed with no results');
    assert.ok(await page.locator('#top-queries th[scope="col"]').count() >= 5, 'column headers');
    assert.equal(await page.getAttribute(`#top-queries a:text-is("${busy}")`, 'href'),
        `/#/search?q=${encodeURIComponent(busy)}`);

    // A content gap names the query that found nothing.
    const gap = page.locator('#gaps li.ed-gap', { has: page.locator(`a:text-is("${nonsense}")`) });
    assert.equal(await gap.count(), 1);
    assert.match(await gap.locator('.ed-gap-title').textContent(),
        /^\d+ searches about “?.+”? found nothing\.$/);
    assert.match(await gap.textContent(), new RegExp(`${nonsense}×${nonsenseBefore + 5}`));

    // Overdue articles link to the documents; the bundled corpus has some.
    const overdueIds = summary.stale.overdue.map((r) => r.id);
    assert.ok(overdueIds.some((id) => id.startsWith('mobile-devices-guide:')), overdueIds.join(' '));
    assert.equal(await page.locator('#overdue tbody tr').count(), overdueIds.length);
    const mobile = page.locator('#overdue tbody tr', { has: page.locator('a[href^="/#/doc/mobile-devices-guide"]') });
    assert.ok(await mobile.count() >= 1);
    assert.match(await mobile.first().textContent(), /2026-08-31/);

    // Both charts are SVG drawn by the page.
    assert.equal(await page.locator('#ctr-chart rect.ed-bar').count(), 10);
    assert.equal(await page.getAttribute('#ctr-chart', 'role'), 'img');
    assert.ok(await page.locator('#help-chart g.ed-help-row[data-id="faq-printer-offline"] rect.ed-yes').count() === 1);
    assert.match(await page.textContent('#help-chart desc'), /My computer shows the printer as offline/);

    // The key lives in this tab only.
    assert.deepEqual(await page.evaluate(() => [
        sessionStorage.getItem('deskdex-editor-key') !== null, localStorage.length]), [true, 0]);
    await shot(page, 'editor', { fullPage: true });
    if (process.env.UPDATE_SCREENSHOTS)
        copyFileSync(join(OUT, 'editor.png'), join(DOCS_SHOTS, 'editor.png'));

    // The window selector reloads; 375 px wide fits without sideways scrolling.
    const [win] = await Promise.all([
        page.waitForResponse((r) => r.url().includes('/v1/analytics/summary?days=7')),
        page.selectOption('#days', '7'),
    ]);
    assert.equal(win.status(), 200);
    await page.waitForFunction(() => /last 7 days/.test(document.querySelector('#status').textContent),
        null, { timeout: WAIT_MS });
    await page.setViewportSize({ width: 375, height: 812 });
    await page.waitForFunction(() => document.querySelector('#ctr-chart').getAttribute('width') <= 375,
        null, { timeout: WAIT_MS });
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 375),
        'no sideways scrolling at 375 px');
    await shot(page, 'editor-narrow', { fullPage: true });
});

test('editor: a pin added in the form puts its document first for a close variant', async ({ page }) => {
    const query = 'monitor flickering';
    const variant = 'monitors flicker';
    const doc = 'laptop-software-guide:docking';
    const plain = await apiJson(`/v1/search?q=${encodeURIComponent(variant)}`, { key: '' });
    assert.notEqual(plain.results[0].id, doc, 'not first without the pin');

    await editorLogin(page);
    await editorReady(page);
    await page.fill('#pin-query', query);
    await page.fill('#pin-id', doc);
    await page.fill('#pin-days', '7');
    await page.click('#pin-form button[type="submit"]');
    await page.waitForFunction(() => /^Pinned /.test(document.querySelector('#pin-status').textContent),
        null, { timeout: WAIT_MS });
    const row = await tableRow(page, '#pins', query);
    assert.ok(row && row[1] === doc, JSON.stringify(row));
    await shot(page, 'editor-pins');

    await search(page, variant);
    const ids = await resultIds(page);
    assert.equal(ids[0], doc);
    assert.equal(ids.indexOf(doc, 1), -1, 'shown once');
    const first = page.locator('#results li.result').first();
    assert.match(await first.getAttribute('class'), /\bpinned\b/);
    assert.equal(await first.locator('.badge-pinned').textContent(), 'Recommended');
    await shot(page, 'pinned-result');

    // Removing it from the list (the key is still in this tab) undoes it.
    await page.goto(`${BASE}/editor`);
    await editorReady(page);
    await page.click(`#pins button[aria-label*="${doc}"]`);
    await page.waitForFunction(() => /^Removed /.test(document.querySelector('#pin-status').textContent),
        null, { timeout: WAIT_MS });
    await until(async () => (await tableRow(page, '#pins', query)) === null,
        'the removed pin leaves the list');
    const pins = await apiJson('/v1/pins');
    assert.ok(!pins.pins.some((p) => p.query === query && !p.expired), JSON.stringify(pins));
    const again = await apiJson(`/v1/search?q=${encodeURIComponent(variant)}`, { key: '' });
    assert.notEqual(again.results[0].id, doc);
});

test('editor: a promoted ticket, once published, is found as an FAQ', async (ctx) => {
    const { page } = ctx;
    ctx.allow = /status of (404|409)/; // the draft before publishing; promoting twice
    const ticket = 'INC-10159';
    const kb = `kb-${ticket}`;
    const q = 'webcam black in teams';
    const plain = await apiJson(`/v1/search?q=${encodeURIComponent(q)}`, { key: '' });
    assert.ok(!plain.results.some((r) => r.id === kb), 'not searchable before');

    await editorLogin(page);
    await editorReady(page);
    await page.fill('#promote-id', ticket);
    await page.click('#promote-form button[type="submit"]');
    await page.locator('#draft').waitFor();
    assert.equal(await page.textContent('#draft-state'), 'Draft');
    assert.equal(await page.textContent('#draft-kind'), 'FAQ');
    assert.equal(await page.textContent('#draft-title'), 'Webcam not working on laptop');
    assert.match(await page.textContent('#draft-body'), /Privacy shutter was closed/);
    assert.ok(await page.isVisible('#publish'));
    const t = await apiJson(`/v1/documents/${ticket}`);
    assert.equal(t.promoted_to, kb);
    const hidden = await fetch(`${BASE}/v1/documents/${kb}`);
    assert.equal(hidden.status, 404, 'a draft is not public');
    await shot(page, 'editor-promote');

    await page.click('#publish');
    await page.waitForFunction(() => document.querySelector('#draft-state').textContent === 'Published',
        null, { timeout: WAIT_MS });
    assert.match(await page.textContent('#promote-status'), new RegExp(`^Published ${kb} as version \\d+`));
    assert.equal(await page.getAttribute('#draft-link', 'href'), `/#/doc/${kb}`);
    assert.ok(await page.isHidden('#publish'));

    // Promoting it again is refused with a readable reason.
    await page.click('#promote-form button[type="submit"]');
    await page.waitForFunction(() => /^Not promoted/.test(document.querySelector('#promote-status').textContent),
        null, { timeout: WAIT_MS });
    assert.match(await page.textContent('#promote-status'), /promoted before/);

    await search(page, q);
    const ids = await resultIds(page);
    assert.equal(ids[0], kb, ids.join(' '));
    assert.equal(await page.locator('#results li.result').first().locator('.badge').first().textContent(), 'FAQ');
    await page.locator('#results li.result .result-title a').first().click();
    await page.waitForFunction(() => /^Version \d+$/.test(
        document.querySelector('#doc-version').textContent), null, { timeout: WAIT_MS });
    assert.match(await page.textContent('#doc-body'), /Privacy shutter was closed/);
});

test('editor: a wrong key, or a key that may not edit, is refused readably', async (ctx) => {
    const { page } = ctx;
    ctx.allow = /status of (401|403)/; // the refused requests themselves
    await editorLogin(page, 'not-a-real-key');
    await page.locator('#login-error').waitFor();
    assert.match(await page.textContent('#login-error'), /^That key was not accepted \(.*\)\. Check it/);
    assert.ok(await page.isHidden('#view-dash'));
    assert.equal(await page.getAttribute('#key', 'aria-invalid'), 'true');
    assert.equal(await page.evaluate(() => sessionStorage.getItem('deskdex-editor-key')), null);
    await shot(page, 'editor-error');

    assert.ok(AGENT_KEY, 'DESKDEX_AGENT_KEY is set (run.sh makes one)');
    await page.fill('#key', AGENT_KEY);
    await Promise.all([
        page.waitForResponse((r) => r.url().includes('/v1/analytics/summary') && r.status() === 403),
        page.press('#key', 'Enter'),
    ]);
    await page.waitForFunction(() => /editor or admin key/.test(
        document.querySelector('#login-error').textContent), null, { timeout: WAIT_MS });
    assert.ok(await page.isHidden('#view-dash'));

    // The right key then works, and signing out forgets it.
    await page.fill('#key', EDITOR_KEY);
    await page.press('#key', 'Enter');
    await editorReady(page);
    assert.ok(await page.isHidden('#login-error'));
    await page.click('#sign-out');
    await page.locator('#view-login').waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.getItem('deskdex-editor-key')), null);
});

// --- main ---

async function waitForServer() {
    const until = Date.now() + 10000;
    let last = '';
    while (Date.now() < until) {
        try {
            const r = await fetch(`${BASE}/healthz`, { signal: AbortSignal.timeout(1000) });
            if (r.ok) return;
            last = `status ${r.status}`;
        } catch (e) {
            last = e.message;
        }
        await new Promise((res) => setTimeout(res, 100));
    }
    throw new Error(`server at ${BASE} not ready: ${last}`);
}

async function main() {
    mkdirSync(OUT, { recursive: true });
    const watchdog = setTimeout(() => {
        console.log(`FAIL suite: still running after ${SUITE_TIMEOUT_MS} ms, giving up`);
        failed++;
        finish(1);
        process.exit(1);
    }, SUITE_TIMEOUT_MS);

    let browser;
    try {
        await waitForServer();
        browser = await chromium.launch({
            executablePath: CHROMIUM,
            // playwright gives each launch a fresh temporary user-data dir.
            args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic',
                   '--no-first-run', '--disable-background-networking',
                   '--disable-component-update', '--disable-sync'],
            timeout: 30000,
        });
    } catch (e) {
        console.log(`FAIL setup: ${e.message}`);
        failed++;
        clearTimeout(watchdog);
        finish(1);
        return;
    }

    for (const t of tests) {
        if (FILTER && !t.name.includes(FILTER)) continue;
        const t0 = Date.now();
        let ctx;
        try {
            ctx = await withTimeout(newPage(browser), WAIT_MS, 'opening a page');
            await withTimeout(t.fn(ctx), TEST_TIMEOUT_MS, 'test');
            const problems = ctx.problems.filter((m) => !(ctx.allow && ctx.allow.test(m)));
            assert.deepEqual(problems, [], 'no console errors, page errors or CSP reports');
            passed++;
            console.log(`ok   ${t.name} (${Date.now() - t0} ms)`);
        } catch (e) {
            failed++;
            console.log(`FAIL ${t.name}\n     ${String(e && e.message || e).split('\n').join('\n     ')}`);
            if (ctx) {
                const name = `FAILED-${t.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 40)}`;
                await shot(ctx.page, name).catch(() => {});
            }
        } finally {
            if (ctx) await withTimeout(ctx.context.close(), 5000, 'closing').catch(() => {});
        }
    }
    await withTimeout(browser.close(), 10000, 'closing the browser').catch(() => {});
    clearTimeout(watchdog);
    finish(failed ? 1 : 0);
}

main().catch((e) => {
    console.log(`FAIL runner: ${e && e.stack || e}`);
    failed++;
    finish(1);
});
