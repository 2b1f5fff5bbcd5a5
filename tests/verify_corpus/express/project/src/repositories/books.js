const { Book } = require('../models');

/** All books, by title. */
async function all() {
  return Book.findAll({ order: [['title', 'ASC']] });
}

async function byId(id) {
  return Book.findByPk(id);
}

async function create(fields) {
  return Book.create(fields);
}

module.exports = { all, byId, create };
