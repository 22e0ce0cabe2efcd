// check.mjs - validate the OpenAPI document and hold it against the server
// Usage: node check.mjs OPENAPI.json ROUTES.c ERRORS.c
// One line per check ("ok - ..." or "FAIL - ..."), then
// "tests: N passed, N failed" as the last line; exit 1 on any failure.
import { readFileSync } from 'node:fs';
import { validate, compileErrors } from '@readme/openapi-parser';

const [openapiPath, routesPath, errorsPath] = process.argv.slice(2);
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch',
    'trace'];
let passed = 0;
let failed = 0;

function check(ok, what, detail) {
    if (ok) {
        passed++;
        console.log(`ok - ${what}`);
    } else {
        failed++;
        console.log(`FAIL - ${what}${detail ? `: ${detail}` : ''}`);
    }
}

function finish() {
    console.log(`tests: ${passed} passed, ${failed} failed`);
    process.exit(failed ? 1 : 0);
}

// Every [path, method, operation] of the document.
function operations(doc) {
    const out = [];
    for (const [path, item] of Object.entries(doc.paths ?? {}))
        for (const m of METHODS.filter((k) => item[k]))
            out.push([path, m, item[m]]);
    return out;
}

let doc;
try {
    doc = JSON.parse(readFileSync(openapiPath, 'utf8'));
    check(true, `${openapiPath} is JSON`);
} catch (e) {
    check(false, `${openapiPath} is JSON`, e.message);
    finish();
}

check(/^3\.1\.\d+$/.test(doc.openapi ?? ''), 'the document is OpenAPI 3.1',
    `openapi is ${doc.openapi}`);

// The validator may add to what it is given: hand it a copy.
try {
    const result = await validate(structuredClone(doc));
    check(result.valid, 'the document is valid OpenAPI',
        result.valid ? '' : compileErrors(result));
    if (result.warnings?.length)
        console.log(`# ${compileErrors({ ...result, errors: [] })}`);
} catch (e) {
    check(false, 'the document is valid OpenAPI', e.message);
}

// Every route of the table in server/routes.c, and no operation beyond.
const routesSrc = readFileSync(routesPath, 'utf8');
const table = routesSrc.slice(routesSrc.indexOf('g_routes[] = {'));
const routes = [...table.matchAll(/\{\s*"([A-Z]+)"\s*,\s*"([^"]+)"\s*,/g)]
    .map((m) => ({ method: m[1].toLowerCase(), path: m[2] }));
check(routes.length > 0, `${routesPath} has a route table`,
    'no {"METHOD", "/path", ...} entries found');
for (const r of routes) {
    const item = doc.paths?.[r.path];
    check(item && item[r.method],
        `${r.method.toUpperCase()} ${r.path} is in paths`);
}
for (const [path, m] of operations(doc)) {
    check(routes.some((r) => r.path === path && r.method === m),
        `${m.toUpperCase()} ${path} of the document is a route of the server`);
}

// Every error code the server can send is in the ErrorCode enum.
const errorsSrc = readFileSync(errorsPath, 'utf8');
const codes = [...errorsSrc.matchAll(/\{\s*"([a-z_0-9]+)"\s*,\s*"[^"]*"\s*\}/g)]
    .map((m) => m[1]).filter((c) => c !== 'ok');
const known = doc.components?.schemas?.ErrorCode?.enum ?? [];
const missing = codes.filter((c) => !known.includes(c));
check(codes.length > 0 && missing.length === 0,
    `ErrorCode lists every code of ${errorsPath}`,
    `missing: ${missing.join(', ') || '(no codes found)'}`);

// Every operation documents its errors with the shared Error schema, 401
// included (an unknown key is refused on every route).
function resolve(obj) {
    let o = obj;
    while (o && o.$ref)
        o = o.$ref.replace(/^#\//, '').split('/').reduce((a, k) => a?.[k], doc);
    return o;
}
for (const [path, m, op] of operations(doc)) {
    const resps = op.responses ?? {};
    const errs = Object.entries(resps).filter(([code]) => /^[45]/.test(code));
    const notError = errs.filter(([, r]) => {
        const s = resolve(resolve(r)?.content?.['application/json']?.schema);
        return s !== doc.components?.schemas?.Error;
    }).map(([code]) => code);
    check(errs.length > 0 && notError.length === 0 && resps['401'],
        `${m.toUpperCase()} ${path} documents its errors with the Error schema`,
        notError.length ? `not Error: ${notError.join(', ')}` : 'no 401');
}
finish();
