import { test } from 'node:test';
import * as assert from 'node:assert/strict';

import { documentKind, isAccordKind, jsonKind, schemaKinds, yamlKind } from '../kinds';

test('YAML: the top-level kind, plain or quoted, with a comment', () => {
  assert.equal(yamlKind('# Vendor questionnaire\nkind: questionnaire\nid: Quillhire\n'), 'questionnaire');
  assert.equal(yamlKind('kind: "manifest"\n'), 'manifest');
  assert.equal(yamlKind("id: x\nkind: 'readiness'   # go-live\n"), 'readiness');
  assert.equal(yamlKind('kind: scorecard\r\nid: q3\r\n'), 'scorecard');
});

test('YAML: a nested kind is not the document kind', () => {
  assert.equal(yamlKind('id: x\nsystems:\n  - name: ats\n    kind: ats\n'), undefined);
  assert.equal(yamlKind('vendor:\n  name: Acme\n'), undefined);
});

test('YAML: several documents', () => {
  assert.equal(yamlKind('---\nkind: change_request\nid: a\n---\nkind: readiness\nid: b\n'), 'change_request');
});

test('JSON: the top-level kind only', () => {
  assert.equal(jsonKind('{"kind": "scorecard", "id": "2026-q3", "metrics": {}}'), 'scorecard');
  assert.equal(jsonKind('{"id": "x", "changes": [{"kind": "add_field"}]}'), undefined);
  assert.equal(jsonKind('[{"kind": "manifest"}]'), undefined);
  assert.equal(jsonKind('{"name": "accord", "version": "0.1.0"}'), undefined);
});

test('JSON being edited: the kind member', () => {
  assert.equal(jsonKind('{"kind": "manifest", "id": '), 'manifest');
});

test('documentKind by language', () => {
  assert.equal(documentKind('yaml', 'kind: manifest\n'), 'manifest');
  assert.equal(documentKind('json', '{"kind":"manifest"}'), 'manifest');
  assert.equal(documentKind('plaintext', 'kind: manifest\n'), undefined);
});

test('schema blocks declare kinds', () => {
  const policy = [
    '## A data protection impact assessment.',
    'schema dpia { owner role  risk string }',
    '  schema manifest { owner role? }',
    'must m { applies dpia  require input.risk == "low" }  # schema x',
  ].join('\n');
  assert.deepEqual(schemaKinds(policy), ['dpia', 'manifest']);
});

test('Accord kinds: the prelude and declared ones', () => {
  assert.ok(isAccordKind('questionnaire'));
  assert.ok(isAccordKind('change_request'));
  assert.ok(isAccordKind('dpia', ['dpia']));
  assert.ok(!isAccordKind('Deployment'));
  assert.ok(!isAccordKind('dpia'));
  assert.ok(!isAccordKind(undefined));
});
