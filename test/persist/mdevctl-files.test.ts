// mdevctl definition files: the exact bytes mdevctl writes, the tolerance and the refusals of its
// reader, the directory scan and its listing order, the 1.2.0 listing bytes, and the vfio_ap attrs
// of a matrix both ways. Expected bytes are written out by hand from the layout mdevctl's testdata
// shows (two-space serde_json pretty form, no final newline).
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { InputError, ZmdevError } from '../../src/errors.js';
import { ApMask } from '../../src/mask/ap-mask.js';
import { makeDefinition, type DefinitionAttr, type MdevDefinition } from '../../src/mdev/definition.js';
import {
  MDEVCTL_DIR, apAttrs, apMatrixOfAttrs, formatMdevctlConfig, mdevctlDumpJson, mdevctlListText, nodeDeviceXml, parseMdevctlConfig,
  readDefinition, readDefinitions, removeDefinition, writeDefinition,
} from '../../src/persist/index.js';

const base = mkdtempSync(path.join(tmpdir(), 'zmdev-mdevctl-files-'));
t.teardown(() => rmSync(base, { recursive: true, force: true }));
let rootCount = 0;
/** A fresh configuration root with an etc/mdevctl.d of its own. */
function newRoot(): string {
  const root = path.join(base, `root${rootCount++}`);
  mkdirSync(path.join(root, MDEVCTL_DIR), { recursive: true });
  return root;
}
function put(root: string, rel: string, content: string | Buffer): string {
  const file = path.join(root, MDEVCTL_DIR, rel);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
  return file;
}

const U1 = '783e6dbb-ea0e-411f-94e2-717eaad438bf';
const U2 = '4b0518fd-9237-493f-93c8-c5597f8006a3';
const U3 = 'cc000052-9b13-9b13-9b13-cc23009b1326';
const AP = 'vfio_ap-passthrough';

const SMALLEST = '{\n  "mdev_type": "vfio_ap-passthrough",\n  "start": "manual",\n  "attrs": []\n}';
const TWO_ATTRS = '{\n  "mdev_type": "vfio_ap-passthrough",\n  "start": "auto",\n  "attrs": [\n' +
  '    {\n      "assign_adapter": "5"\n    },\n    {\n      "assign_domain": "0xab"\n    }\n  ]\n}';

t.test('formatMdevctlConfig: the pretty bytes mdevctl writes, and the compact callout form', (t) => {
  t.equal(formatMdevctlConfig({ type: AP, start: 'manual', attrs: [] }), SMALLEST);
  t.equal(SMALLEST.length, 76, 'the smallest vfio_ap file');
  t.equal(formatMdevctlConfig({ type: AP, start: 'auto', attrs: [{ assign_adapter: '5' }, { assign_domain: '0xab' }] }), TWO_ATTRS);
  t.equal(formatMdevctlConfig({ type: 'vfio_ccw-io', start: 'auto', attrs: [] }, { compact: true }), '{"mdev_type":"vfio_ccw-io","start":"auto","attrs":[]}');
  t.equal(formatMdevctlConfig({ type: AP, start: 'manual', attrs: [{ assign_adapter: '5' }, { assign_domain: '4' }] }, { compact: true }),
    '{"mdev_type":"vfio_ap-passthrough","start":"manual","attrs":[{"assign_adapter":"5"},{"assign_domain":"4"}]}');
  // serde_json escapes '"', '\' and control characters (\n as \n, others as \u00xx); '/', DEL,
  // U+2028 and non-ASCII are written as they are.
  t.equal(formatMdevctlConfig({ type: 'x', start: 'manual', attrs: [{ a: 'q"b\\s/\n\t\u0001\u007f\u2028é' }] }, { compact: true }),
    '{"mdev_type":"x","start":"manual","attrs":[{"a":"q\\"b\\\\s/\\n\\t\\u0001\u007f\u2028é"}]}');
  t.end();
});

t.test('formatMdevctlConfig refuses what makeDefinition refuses and what mdevctl cannot read back', (t) => {
  t.throws(() => formatMdevctlConfig({ type: 'a b', start: 'manual', attrs: [] }), { code: 'EINVAL', message: /type "a b" is not a device or type name.*sysfs path/ });
  t.throws(() => formatMdevctlConfig({ type: AP, start: 'maybe' as 'auto', attrs: [] }), { code: 'EINVAL', message: /start must be "auto" or "manual"/ });
  t.throws(() => formatMdevctlConfig({ type: AP, start: 'manual', attrs: [{ a: '1', b: '2' }] }), { code: 'EINVAL', message: /attrs\[0\] must be one/ });
  t.throws(() => formatMdevctlConfig({ type: AP, start: 'manual', attrs: [{ a: 'x\ud800' }] }), { code: 'EINVAL', message: /lone UTF-16 surrogate/ });
  t.equal(formatMdevctlConfig({ type: AP, start: 'manual', attrs: [{ a: '\ud83d\ude00' }] }, { compact: true }).includes('\ud83d\ude00'), true, 'a pair is fine');
  t.end();
});

t.test('parseMdevctlConfig: as tolerant as mdevctl', (t) => {
  const want = { type: AP, start: 'auto', attrs: [{ assign_adapter: '5' }, { assign_domain: '0xab' }] };
  t.same(parseMdevctlConfig(TWO_ATTRS, 'f'), want, 'its own bytes');
  t.same(parseMdevctlConfig(`${TWO_ATTRS}\n`, 'f'), want, 'a final newline');
  t.same(parseMdevctlConfig('{\r\n\t"attrs" : [ {"assign_adapter":"5"} ,{ "assign_domain" : "0xab" } ],\r\n\t"start":"auto", "mdev_type":"vfio_ap-passthrough"}\n\n', 'f'), want,
    'any layout, any key order');
  t.same(parseMdevctlConfig('{\n    "mdev_type": "i915-GVTg_V5_8",\n    "start": "auto"\n}\n', 'f'), { type: 'i915-GVTg_V5_8', start: 'auto', attrs: [] }, 'attrs missing');
  t.same(parseMdevctlConfig('{"mdev_type":"t","start":"manual","attrs":null}', 'f'), { type: 't', start: 'manual', attrs: [] }, 'attrs null');
  t.same(parseMdevctlConfig('{"mdev_type":"t","start":"auto","uuid":"x","parent":5,"attrs":[]}', 'f'), { type: 't', start: 'auto', attrs: [] }, 'unknown keys ignored');
  for (const start of ['"maybe"', '"Auto"', '"AUTO"', '5', 'true', '{}', '[]', '""']) {
    t.equal(parseMdevctlConfig(`{"mdev_type":"t","start":${start}}`, 'f').start, 'manual', `start ${start} is manual`);
  }
  t.same(parseMdevctlConfig('{"mdev_type":"t","start":"manual","start":"auto"}', 'f').start, 'auto', 'the last of duplicate keys wins, as in serde_json');
  t.same(parseMdevctlConfig('{"mdev_type":"t","start":"auto","attrs":[{"a":"\\u00e9\\ud83d\\ude00"}]}', 'f').attrs, [{ a: 'é\ud83d\ude00' }], 'escapes decoded, a surrogate pair is fine');
  t.end();
});

t.test('parseMdevctlConfig refuses what mdevctl refuses (or crashes on), naming the file, the rule and the fix', (t) => {
  const W = '/etc/mdevctl.d/matrix/x';
  const rows: Array<[string, RegExp]> = [
    ['', /not JSON .*mdevctl refuses the file and every listing that includes it/],
    ['{"mdev_type":"t","start":"manual"} x', /not JSON/],
    ['\ufeff{"mdev_type":"t","start":"manual"}', /not JSON/],
    ['{"mdev_type":"t\\ud800","start":"manual"}', /lone UTF-16 surrogate/],
    ['{"mdev_type":"t","start":"manual","zz":"\\udc00"}', /lone UTF-16 surrogate/],
    ['[]', /holds an array, not an object \(mdevctl: invalid json\)/],
    ['"x"', /holds "x", not an object/],
    ['{"start":"manual"}', /"mdev_type" is missing \(mdevctl: invalid json\)/],
    ['{"mdev_type":"t"}', /"start" is missing/],
    ['{"mdev_type":"t","start":null}', /"start" is null/],
    ['{"mdev_type":null,"start":"auto"}', /"mdev_type" is null/],
    ['{"mdev_type":5,"start":"auto"}', /"mdev_type" is 5, not a string \(mdevctl 1.2.0 crashes on it\)/],
    ['{"mdev_type":"t","start":"auto","attrs":{}}', /"attrs" is \{\}, not an array \(mdevctl: attributes field is not an array\)/],
    ['{"mdev_type":"t","start":"auto","attrs":"a"}', /not an array/],
    ['{"mdev_type":"t","start":"auto","attrs":["x"]}', /attrs\[0\] "x" is not an object \(mdevctl: invalid JSON format for attribute: not an object\)/],
    ['{"mdev_type":"t","start":"auto","attrs":[{"a":"1"},null]}', /attrs\[1\] null is not an object/],
    ['{"mdev_type":"t","start":"auto","attrs":[[]]}', /attrs\[0\] \[\] is not an object/],
    ['{"mdev_type":"t","start":"auto","attrs":[{"a":"1","b":"2"}]}', /has 2 keys, not one \(mdevctl: invalid JSON format for attribute: too many fields\)/],
    ['{"mdev_type":"t","start":"auto","attrs":[{}]}', /has 0 keys, not one/],
    ['{"mdev_type":"t","start":"auto","attrs":[{"assign_adapter":5}]}', /the value is not a string \(mdevctl 1.2.0 crashes on it.*write \{"assign_adapter": "5"\}/],
    ['{"mdev_type":"t","start":"auto","attrs":[{"a":null}]}', /the value is not a string/],
    ['{"mdev_type":"a b/c","start":"auto"}', /type "a b\/c" is not a device or type name.*sysfs path/],
    ['{"mdev_type":"t","start":"auto","attrs":[{"x y":"v"}]}', /attrs\[0\] must be one/],
  ];
  for (const [text, message] of rows) {
    const e = t.throws(() => parseMdevctlConfig(text, W), { code: 'EINVAL', input: text, message }, text) as unknown;
    t.ok(e instanceof InputError && e.message.startsWith(`${W}: `), 'names the file first');
  }
  t.end();
});

t.test('readDefinitions: the scan, its order, what is passed over and what is reported', (t) => {
  const root = newRoot();
  const cfg = (start: string, attrs = '[]') => `{"mdev_type":"t","start":"${start}","attrs":${attrs}}`;
  // Parents in byte order: 0.0.0313 < 0000:00:02.0 < matrix; children in UUID order.
  put(root, `matrix/${U1}`, TWO_ATTRS);
  put(root, `matrix/${U2}`, `${SMALLEST}\n`);
  put(root, `0000:00:02.0/${U2}`, cfg('auto'));
  put(root, `0.0.0313/${U3}`, '{"mdev_type":"vfio_ccw-io","start":"auto"}');
  mkdirSync(path.join(root, MDEVCTL_DIR, 'scripts.d/callouts'), { recursive: true });
  mkdirSync(path.join(root, MDEVCTL_DIR, 'scripts.d/notifiers'), { recursive: true });
  put(root, 'scripts.d/callouts/ap-check.sh', '#!/bin/sh\n');
  const notUuid = put(root, 'matrix/notes.txt', 'x');
  const tmp = put(root, `matrix/.${U1}.0123456789abcdef.tmp`, 'half');
  mkdirSync(path.join(root, MDEVCTL_DIR, `matrix/${U3}`)); // a directory with a UUID name: ignored
  const link = path.join(root, MDEVCTL_DIR, 'matrix/11111111-1111-1111-1111-111111111111');
  symlinkSync(path.join(root, MDEVCTL_DIR, `matrix/${U1}`), link);
  const fifo = path.join(root, MDEVCTL_DIR, 'matrix/22222222-2222-2222-2222-222222222222');
  t.equal(spawnSync('mkfifo', [fifo]).status, 0);
  const topFile = put(root, 'README', 'not a parent');
  const dangling = path.join(root, MDEVCTL_DIR, 'gone');
  symlinkSync(path.join(root, 'nowhere'), dangling);
  // A parent reached through a link is scanned (mdevctl follows links for parents).
  put(root, `../linked-parent/${U1}`, cfg('manual'));
  symlinkSync(path.join(root, MDEVCTL_DIR, '../linked-parent'), path.join(root, MDEVCTL_DIR, 'css1'));

  const r = readDefinitions(root);
  t.same(r.definitions.map((d) => [d.parent, d.uuid, d.type, d.start, d.attrs]), [
    ['0.0.0313', U3, 'vfio_ccw-io', 'auto', []],
    ['0000:00:02.0', U2, 't', 'auto', []],
    ['css1', U1, 't', 'manual', []],
    ['matrix', U2, AP, 'manual', []],
    ['matrix', U1, AP, 'auto', [{ assign_adapter: '5' }, { assign_domain: '0xab' }]],
  ]);
  t.same(r.problems, []);
  t.same(r.skipped, [topFile, dangling, tmp, link, fifo, notUuid].sort(), 'files mdevctl passes over, by path');
  t.same(readDefinitions(root, { parent: 'matrix' }).definitions.map((d) => d.uuid), [U2, U1], '-p');
  t.same(readDefinitions(root, { uuid: U2.toUpperCase() }).definitions.map((d) => d.parent), ['0000:00:02.0', 'matrix'], '-u, in any spelling');
  t.same(readDefinitions(root, { parent: 'nope' }), { definitions: [], problems: [], skipped: [] });
  t.same(readDefinitions(path.join(base, 'no-such-root')), { definitions: [], problems: [], skipped: [] }, 'no directory: no definitions');
  t.end();
});

t.test('readDefinitions: a bad file is one problem; the others are listed', (t) => {
  const root = newRoot();
  put(root, `matrix/${U1}`, TWO_ATTRS);
  const bad = put(root, `matrix/${U2}`, '{"mdev_type":"vfio_ap-passthrough","start":"manual","attrs":[{"assign_adapter":5}]}');
  const notUtf8 = put(root, `matrix/${U3}`, Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d]));
  const upper = put(root, `matrix/${U3.toUpperCase()}`, SMALLEST);
  const simple = put(root, `matrix/${U3.replace(/-/g, '')}`, SMALLEST);
  const braced = put(root, `matrix/{${U3}}`, SMALLEST);
  const urn = put(root, `matrix/urn:uuid:${U3}`, SMALLEST);
  const badParent = put(root, `a b/${U1}`, SMALLEST);
  const loop = path.join(root, MDEVCTL_DIR, 'loop');
  symlinkSync('loop', loop);
  // Not UUIDs to mdevctl either: these are skipped.
  const skipped = [put(root, `matrix/URN:UUID:${U3}`, SMALLEST), put(root, `matrix/{${U3.replace(/-/g, '')}}`, SMALLEST),
    put(root, `matrix/${U3.slice(0, 35)}g`, SMALLEST), put(root, `matrix/${U3.replace('-', '')}-`, SMALLEST)];
  const r = readDefinitions(root);
  t.same(r.definitions.map((d) => d.uuid), [U1]);
  t.same(r.problems.map((p) => p.path), [badParent, loop, bad, notUtf8, upper, simple, braced, urn].sort());
  const by = (p: string) => r.problems.find((x) => x.path === p)!.error;
  t.match(by(bad), { code: 'EINVAL', message: /the value is not a string/ });
  t.ok(by(bad) instanceof ZmdevError);
  t.match(by(notUtf8), { code: 'EINVAL', message: /not UTF-8 text \(mdevctl: stream did not contain valid UTF-8\)/ });
  t.match(by(upper), { code: 'EINVAL', message: new RegExp(`UUID ${U3} spelled another way; mdevctl list -d does not show it.*rename it to ${U3}`) });
  for (const p of [simple, braced, urn]) t.match(by(p), { message: /spelled another way/ });
  t.match(by(badParent), { code: 'EINVAL', message: /parent "a b" is not a device or type name/ });
  t.match(by(loop), { code: 'ELOOP', message: /reading the directory .*\/loop/ }, 'a parent that cannot be read');
  t.same(r.skipped, skipped.sort());
  // -u narrows before reading: the bad file of another UUID is not read.
  t.same(readDefinitions(root, { uuid: U1 }).problems.map((p) => p.path), [badParent, loop]);
  t.same(readDefinitions(root, { parent: 'matrix', uuid: U1 }), { definitions: [readDefinition(root, 'matrix', U1)], problems: [], skipped: [] });
  t.end();
});

t.test('readDefinitions: a genuine U+FFFD is text; a configuration root whose mdevctl.d is a file is an error', (t) => {
  const root = newRoot();
  put(root, `matrix/${U1}`, '{"mdev_type":"t","start":"auto","attrs":[{"a":"\ufffd"}]}');
  t.same(readDefinitions(root).definitions[0]!.attrs, [{ a: '\ufffd' }]);
  const odd = path.join(base, 'odd-root');
  mkdirSync(path.join(odd, 'etc'), { recursive: true });
  writeFileSync(path.join(odd, MDEVCTL_DIR), '');
  t.throws(() => readDefinitions(odd), { code: 'ENOTDIR', message: /reading the directory .*etc\/mdevctl.d/ });
  t.end();
});

t.test('readDefinition / writeDefinition / removeDefinition', (t) => {
  const root = newRoot();
  const d = makeDefinition({ uuid: U1.toUpperCase(), parent: 'matrix', type: AP, start: 'auto', attrs: [{ assign_adapter: '5' }, { assign_domain: '0xab' }] });
  t.equal(readDefinition(root, 'matrix', U1), null, 'none yet');
  const file = writeDefinition(root, d);
  t.equal(file, path.join(root, 'etc/mdevctl.d/matrix', U1), 'lowercase name');
  t.equal(readFileSync(file, 'utf8'), TWO_ATTRS);
  t.equal(statSync(file).mode & 0o777, 0o644);
  t.same(readDefinition(root, 'matrix', U1.toUpperCase()), d);
  // A new parent directory is made, 0755.
  const ccw = writeDefinition(root, makeDefinition({ uuid: U3, parent: '0.0.0313', type: 'vfio_ccw-io', start: 'auto' }));
  t.equal(readFileSync(ccw, 'utf8'), '{\n  "mdev_type": "vfio_ccw-io",\n  "start": "auto",\n  "attrs": []\n}');
  t.equal(statSync(path.dirname(ccw)).mode & 0o777, 0o755);
  // Rewriting replaces the file, nothing left beside it.
  writeDefinition(root, { ...d, start: 'manual', attrs: [] });
  t.equal(readFileSync(file, 'utf8'), SMALLEST);
  t.same(readdirSync(path.dirname(file)), [U1]);
  t.throws(() => writeDefinition(root, { ...d, parent: '../etc' }), { code: 'EINVAL', message: /parent "..\/etc"/ });
  t.throws(() => readDefinition(root, '..', U1), { code: 'EINVAL', message: /parent ".."/ });
  t.throws(() => readDefinition(root, 'matrix', 'nope'), { code: 'EINVAL', message: /is not a UUID/ });
  put(root, `matrix/${U2}`, '{"mdev_type":"t"}');
  t.throws(() => readDefinition(root, 'matrix', U2), { code: 'EINVAL', message: /"start" is missing/ });
  symlinkSync(file, path.join(root, MDEVCTL_DIR, 'matrix', U3));
  t.throws(() => readDefinition(root, 'matrix', U3), { code: 'ELOOP', message: /symbolic link/ }, 'a link is not followed (mdevctl passes links over)');
  // A file where the parent directory should be.
  const blocked = newRoot();
  writeFileSync(path.join(blocked, MDEVCTL_DIR, 'matrix'), '');
  t.throws(() => writeDefinition(blocked, d), { code: 'EEXIST', message: /making the directory/ });
  t.throws(() => removeDefinition(blocked, 'matrix', U1), { code: 'ENOTDIR', message: /removing/ });

  t.equal(removeDefinition(root, 'matrix', U1), true);
  t.equal(removeDefinition(root, 'matrix', U1), false, 'gone already');
  t.equal(readDefinition(root, 'matrix', U1), null);
  t.ok(statSync(path.dirname(file)).isDirectory(), 'the parent directory stays, as with mdevctl undefine');
  mkdirSync(path.join(root, MDEVCTL_DIR, 'matrix', U1));
  t.throws(() => removeDefinition(root, 'matrix', U1), { code: 'EISDIR', message: /is a directory, not a definition/ });
  t.throws(() => removeDefinition(root, 'a/b', U1), { code: 'EINVAL' });
  t.end();
});

t.test('mdevctlListText: `mdevctl list -d` in 1.2.0 bytes', (t) => {
  const defs: MdevDefinition[] = [
    makeDefinition({ uuid: U1, parent: 'matrix', type: AP, start: 'manual', attrs: [{ assign_adapter: '5' }, { assign_domain: 'a"b' }] }),
    makeDefinition({ uuid: U3, parent: '0.0.0313', type: 'vfio_ccw-io', start: 'auto' }),
    makeDefinition({ uuid: U2, parent: 'matrix', type: AP, start: 'auto' }),
  ];
  t.equal(mdevctlListText([]), '\n', 'nothing: println! of an empty string');
  t.equal(mdevctlListText([defs[2]!, defs[2]!]), `${U2} matrix ${AP} auto\n${U2} matrix ${AP} auto\n\n`, 'what is given twice is listed twice');
  t.equal(mdevctlListText(defs),
    `${U3} 0.0.0313 vfio_ccw-io auto\n${U2} matrix ${AP} auto\n${U1} matrix ${AP} manual\n\n`);
  t.equal(mdevctlListText(defs, new Set([U1, `0.0.0313/${U3}`, `other/${U2}`])),
    `${U3} 0.0.0313 vfio_ccw-io auto (active)\n${U2} matrix ${AP} auto\n${U1} matrix ${AP} manual (active)\n\n`,
    'active by UUID, or by parent/UUID (running under another parent is not this definition)');
  t.equal(mdevctlListText(defs, undefined, { verbose: true }),
    `${U3} 0.0.0313 vfio_ccw-io auto\n${U2} matrix ${AP} auto\n${U1} matrix ${AP} manual\n` +
    '  Attrs:\n    @{0}: {"assign_adapter":"5"}\n    @{1}: {"assign_domain":"a"b"}\n\n', '-v: attributes unescaped, none shown when there are none');
  t.end();
});

t.test('mdevctlDumpJson: `mdevctl list -d --dumpjson` in 1.2.0 bytes', (t) => {
  const a = makeDefinition({ uuid: U1, parent: 'matrix', type: AP, start: 'manual', attrs: [{ assign_adapter: '5' }] });
  const b = makeDefinition({ uuid: U3, parent: '0.0.0313', type: 'vfio_ccw-io', start: 'auto' });
  const c = makeDefinition({ uuid: U1, parent: '0.0.0314', type: 'vfio_ccw-io', start: 'manual' });
  t.equal(mdevctlDumpJson([]), '[]\n');
  t.equal(mdevctlDumpJson([a, b]), [
    '[', '  {', '    "0.0.0313": [', '      {', `        "${U3}": {`, '          "mdev_type": "vfio_ccw-io",', '          "start": "auto",',
    '          "attrs": []', '        }', '      }', '    ],', '    "matrix": [', '      {', `        "${U1}": {`,
    '          "mdev_type": "vfio_ap-passthrough",', '          "start": "manual",', '          "attrs": [', '            {',
    '              "assign_adapter": "5"', '            }', '          ]', '        }', '      }', '    ]', '  }', ']', ''].join('\n'));
  t.equal(mdevctlDumpJson([a, b], { uuid: U1.toUpperCase() }), `${formatMdevctlConfig(a)}\n`, '-u with one match: the bare config, the file bytes');
  t.equal(mdevctlDumpJson([a, b, c], { uuid: U1 }), mdevctlDumpJson([c, a]), '-u under two parents: the tree of both');
  t.equal(mdevctlDumpJson([b], { uuid: U1 }), '[]\n', '-u with no match');
  t.end();
});

t.test('apAttrs and apMatrixOfAttrs: the vfio_ap attributes of a matrix, both ways', (t) => {
  const m = { adapters: ApMask.of([10, 1]), domains: ApMask.of([0xab, 2]), controlDomains: ApMask.of([2]) };
  const hex: DefinitionAttr[] = [{ assign_adapter: '0x01' }, { assign_adapter: '0x0a' }, { assign_domain: '0x0002' }, { assign_domain: '0x00ab' }, { assign_control_domain: '0x0002' }];
  t.same(apAttrs(m), hex, 'hex by default, in ID order, adapters then domains then control domains');
  t.same(apAttrs(m, 'hex'), hex);
  t.same(apAttrs(m, 'decimal'), [{ assign_adapter: '1' }, { assign_adapter: '10' }, { assign_domain: '2' }, { assign_domain: '171' }, { assign_control_domain: '2' }]);
  t.same(apAttrs({ adapters: ApMask.EMPTY, domains: ApMask.EMPTY, controlDomains: ApMask.EMPTY }), []);
  const xml = nodeDeviceXml({ ...m, uuid: U1 });
  t.same([...xml.matchAll(/<attr name='([^']+)' value='([^']+)'\/>/g)].map((x) => ({ [x[1]!]: x[2]! })), hex, 'xml nodedev writes the same attrs');

  const same = (x: { adapters: ApMask; domains: ApMask; controlDomains: ApMask }) => [x.adapters.ids(), x.domains.ids(), x.controlDomains.ids()];
  t.same(same(apMatrixOfAttrs(hex, 'f')), same(m));
  t.same(same(apMatrixOfAttrs(apAttrs(m, 'decimal'), 'f')), same(m));
  t.same(same(apMatrixOfAttrs([{ assign_domain: '0107' }, { assign_adapter: '5\n' }, { assign_adapter: '0X5' }, { assign_control_domain: '255' }, { assign_domain: '0' }], 'f')),
    [[5], [0, 0o107], [255]], 'octal, one trailing newline, 0X, duplicates, 0 and 255, in any order');
  t.same(same(apMatrixOfAttrs([], 'f')), [[], [], []]);
  const W = '/etc/mdevctl.d/matrix/x';
  t.throws(() => apMatrixOfAttrs([{ assign_adapter: '5' }, { unassign_adapter: '5' }], W),
    { code: 'EINVAL', input: 'unassign_adapter', message: /^\/etc\/mdevctl.d\/matrix\/x: attrs\[1\] \{"unassign_adapter":"5"\}: "unassign_adapter" is not a vfio_ap attribute; .*assign_adapter, assign_domain, assign_control_domain/ });
  t.throws(() => apMatrixOfAttrs([{} as Record<string, string>], W), { code: 'EINVAL', message: /attrs\[0\] \{\}: undefined is not a vfio_ap attribute/ });
  t.throws(() => apMatrixOfAttrs([{ assign_adapter: '0x05,6' }], W), { code: 'EINVAL', input: '0x05,6', message: /attrs\[0\] .*: ID write "0x05,6" refused at byte 4/ });
  t.throws(() => apMatrixOfAttrs([{ assign_domain: '5 ' }], W), { code: 'EINVAL', message: /white space/ });
  t.throws(() => apMatrixOfAttrs([{ assign_domain: '99999999999999999999999' }], W), { code: 'ERANGE', message: /does not fit in 64 bits/ });
  t.throws(() => apMatrixOfAttrs([{ assign_control_domain: '0x100' }], W), { code: 'ERANGE', input: '0x100', message: /control domain 256 is above 255.*ENODEV/ });
  t.end();
});
