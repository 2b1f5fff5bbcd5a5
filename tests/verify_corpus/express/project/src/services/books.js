// Catalogue rules. Not HTTP: the routes call these.
// (An old version did `const router = require('../routes/books')`; never again.)
const books = require('../repositories/books');

const HELP = "Please select a book from the catalogue; use require('../routes/books') only in app.js.";

async function list() {
  return books.all();
}

async function get(id) {
  const book = await books.byId(id);
  if (!book) throw new Error(`No book ${id}: select another one from the list`);
  return book;
}

async function add(fields) {
  return books.create(fields);
}

module.exports = { list, get, add, HELP };
