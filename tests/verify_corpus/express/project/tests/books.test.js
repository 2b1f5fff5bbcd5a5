const test = require('node:test');
const assert = require('node:assert');

test('the catalogue starts empty', async () => {
  assert.deepStrictEqual([], []);
});
